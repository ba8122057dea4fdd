"""Screenshots at 1366×768 for issue 19 (every tab usable on a small screen): the main window on the case view's
tumour grid, the adjudication tab, the cohort dashboard, and meeting mode, on the demo study.

    python tools/layout_screenshots.py [--study STUDY.db] [--size 1366x768] [--out-dir docs/screenshots]

Writes ``layout-case.png``, ``layout-adjudication.png``, ``layout-dashboard.png`` (its PFS curve),
``figures-dashboard-pfs-child-pugh.png`` and ``layout-meeting.png``.
Signed in as the demo adjudicator (every panel shows). The case shown is the patient and reader with the most
assessment dates (the widest grid). Without ``--study`` the demo study is built in a temporary folder; settings go
to a temporary folder (the real ones are not touched). Offscreen.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from shot_support import SHOTS, demo_study, open_signed_in, save, scratch, settle, size, start_qt, wait_until

if TYPE_CHECKING:
    from hccreview.services.session import StudySession


def widest_case(session: StudySession) -> tuple[str, str]:
    """The patient and reader with the most assessment dates (then the most lesions)."""
    data = session.data()
    dates: dict[tuple[str, str], set[object]] = {}
    for m in data.measurements:
        dates.setdefault((m.subject_id, m.reader), set()).add(m.date)
    lesions: dict[tuple[str, str], int] = {}
    for x in data.lesions:
        lesions[(x.subject_id, x.reader)] = lesions.get((x.subject_id, x.reader), 0) + 1
    return max(dates, key=lambda k: (len(dates[k]), lesions.get(k, 0)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", type=Path, help="study file (default: build the demo study)")
    parser.add_argument("--size", default="1366x768", help="window size WxH (default 1366x768)")
    parser.add_argument("--out-dir", type=Path, default=SHOTS)
    args = parser.parse_args(argv)
    width, height = size(args.size)

    folder = scratch("layout-shot")
    app = start_qt(folder)
    from hccreview.ui.main_window import MainWindow

    session = open_signed_in(demo_study(args.study, folder), "adjudicator")
    window = MainWindow(session)
    window.resize(width, height)  # before the first show: the navigator dock is sized for this width
    window.show()
    wait_until(app, lambda: window.overview is not None and window.case_view.ready)
    subject, reader = widest_case(session)
    window.navigator.select_subject(subject)
    view = window.case_view
    wait_until(app, lambda: view.ready and view.subject_id == subject)
    view.tabs.setCurrentWidget(view.tumour)
    view.tumour.reader.setCurrentText(reader)
    settle(app, window, window.runner)
    save(window, args.out_dir / "layout-case.png")

    window.actions_by_name["show_adjudication"].trigger()
    panel = window.tabs.adjudication
    wait_until(app, lambda: panel.comparison is not None, "the adjudication panel")
    settle(app, window, window.runner)
    save(window, args.out_dir / "layout-adjudication.png")

    window.actions_by_name["show_dashboard"].trigger()
    dashboard = window.tabs.dashboard
    wait_until(app, lambda: dashboard.source_combo.count() > 0 and not dashboard.updating_label.isVisible())
    settle(app, window, window.runner)
    save(window, args.out_dir / "layout-dashboard.png")
    # issue 18's figures checked by eye: the PFS curve (pending patients out) and PFS by Child-Pugh class
    dashboard.plot_tabs.setCurrentWidget(dashboard.plots["pfs_cp"])
    settle(app, window, window.runner)
    save(window, args.out_dir / "figures-dashboard-pfs-child-pugh.png")

    window.actions_by_name["meeting_mode"].trigger()
    meeting = window.tabs.meeting
    meeting.showNormal()
    meeting.resize(width, height)
    wait_until(app, lambda: meeting.loaded and meeting.case is not None, "meeting mode")
    settle(app, meeting, window.runner)
    save(meeting, args.out_dir / "layout-meeting.png")
    window.tabs.close_meeting()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
