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
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshot import wait_until  # noqa: E402  (the tools folder: one event-loop wait for every screenshot)

ADJUDICATOR = ("adjudicator", "adjudicator-demo")


def widest_case(session: object) -> tuple[str, str]:
    """The patient and reader with the most assessment dates (then the most lesions)."""
    data = session.data()  # type: ignore[attr-defined]
    dates: dict[tuple[str, str], set[object]] = {}
    for m in data.measurements:
        dates.setdefault((m.subject_id, m.reader), set()).add(m.date)
    lesions: dict[tuple[str, str], int] = {}
    for x in data.lesions:
        lesions[(x.subject_id, x.reader)] = lesions.get((x.subject_id, x.reader), 0) + 1
    return max(dates, key=lambda k: (len(dates[k]), lesions.get(k, 0)))


def settle(app: object, window: object) -> None:
    """Wait for the window's jobs, the plots' quiet period and their renders, then deferred layouts."""
    from hccreview.ui.background_canvas import figures_settled
    from hccreview.ui.plots import FigureHost

    wait_until(app, lambda: not window.runner.busy)  # type: ignore[attr-defined]
    hosts = window.findChildren(FigureHost)  # type: ignore[attr-defined]
    wait_until(app, lambda: not any(h.pending for h in hosts if h.isVisible()))
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.01)
    wait_until(app, lambda: figures_settled(window))


def save(widget: object, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    image = widget.grab()  # type: ignore[attr-defined]
    if not image.save(str(out)):
        raise SystemExit(f"layout_screenshots: could not write {out}")
    print(f"{out} ({image.width()}×{image.height()})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", type=Path, help="study file (default: build the demo study)")
    parser.add_argument("--size", default="1366x768", help="window size WxH (default 1366x768)")
    parser.add_argument("--out-dir", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    scratch = Path(tempfile.mkdtemp(prefix="hccreview-layout-shot-"))
    from hccreview.services import auth
    from hccreview.services.demo_study import build_demo_study
    from hccreview.services.session import open_study
    from hccreview.ui.main_window import MainWindow
    from hccreview.ui.settings import AppSettings

    study = args.study or build_demo_study(scratch / "demo-study.db")
    session = open_study(study)
    auth.sign_in(session, *ADJUDICATOR)
    settings = AppSettings(QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(session, settings=settings)
    window.resize(width, height)  # before the first show: the navigator dock is sized for this width
    window.show()
    wait_until(app, lambda: window.overview is not None and window.case_view.ready)
    subject, reader = widest_case(session)
    window.navigator.select_subject(subject)
    view = window.case_view
    wait_until(app, lambda: view.ready and view.subject_id == subject)
    view.tabs.setCurrentWidget(view.tumour)
    view.tumour.reader.setCurrentText(reader)
    settle(app, window)
    save(window, args.out_dir / "layout-case.png")

    window.tabs.show_adjudication()
    panel = window.tabs.adjudication
    wait_until(app, lambda: panel.comparison is not None)
    settle(app, window)
    save(window, args.out_dir / "layout-adjudication.png")

    window.tabs.show_dashboard()
    dashboard = window.tabs.dashboard
    wait_until(app, lambda: dashboard.source_combo.count() > 0 and not dashboard.updating_label.isVisible())
    settle(app, window)
    save(window, args.out_dir / "layout-dashboard.png")
    # issue 18's figures checked by eye: the PFS curve (pending patients out) and PFS by Child-Pugh class
    dashboard.plot_tabs.setCurrentWidget(dashboard.plots["pfs_cp"])
    settle(app, window)
    save(window, args.out_dir / "figures-dashboard-pfs-child-pugh.png")

    window.tabs.open_meeting()
    meeting = window.tabs.meeting
    meeting.showNormal()
    meeting.resize(width, height)
    wait_until(app, lambda: meeting.loaded and meeting.case is not None)
    settle(app, meeting)
    save(meeting, args.out_dir / "layout-meeting.png")
    window.tabs.close_meeting()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
