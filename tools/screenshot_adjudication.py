"""Render the adjudication panel and meeting mode on the demo study, offscreen, and save screenshots.

    python tools/screenshot_adjudication.py [--study STUDY.db] [--size 1366x768]
                                            [--out-panel docs/screenshots/adjudication.png]
                                            [--out-meeting docs/screenshots/meeting-mode.png]
                                            [--subject HCC-009]

Without ``--study`` the demo study is built in a temporary folder. The adjudicator signs in; to show every
queue status, one case is decided and signed and another decided (not signed) before the panel opens (on
a copy: the study given is never changed). The panel shows ``--subject`` (an open case), meeting mode its
first open case.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ADJUDICATOR = ("adjudicator", "adjudicator-demo")


def _wait(app: object, condition: object, what: str, timeout_s: float = 60.0) -> None:
    from PySide6.QtCore import QEventLoop

    end = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < end:  # type: ignore[operator]
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)  # type: ignore[attr-defined]
    if not condition():  # type: ignore[operator]
        raise SystemExit(f"{what} did not finish in time")


def _prepare(study: Path) -> None:
    """Decide and sign the first queued case, decide the second: the queue then shows every status."""
    from hccreview.services import adjudication, auth
    from hccreview.services.session import open_study

    with open_study(study) as session:
        auth.sign_in(session, *ADJUDICATOR)
        queue = adjudication.discordance_queue(session)
        if len(queue) < 3:
            return
        first, second = queue[1], queue[2]
        reason = "Read 1's target sum rise of more than 20% at the first scan is confirmed on review."
        adjudication.adjudicate(
            session,
            subject_id=first.subject_id,
            chosen_reader=first.readers[0],
            reason=reason,
            reason_code="measurement",
        )
        adjudication.sign_adjudication(session, subject_id=first.subject_id, password=ADJUDICATOR[1])
        reason = "Read 2's progression is supported by the lesion measurements; read 1 under-measured T01."
        adjudication.adjudicate(
            session,
            subject_id=second.subject_id,
            chosen_reader=second.readers[1],
            reason=reason,
            reason_code="measurement",
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", type=Path)
    parser.add_argument("--size", default="1366x768")
    parser.add_argument("--out-panel", type=Path, default=REPO / "docs" / "screenshots" / "adjudication.png")
    parser.add_argument("--out-meeting", type=Path, default=REPO / "docs" / "screenshots" / "meeting-mode.png")
    parser.add_argument("--subject", default="HCC-009")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    width, height = (int(v) for v in args.size.lower().split("x"))

    from PySide6.QtGui import QUndoStack
    from PySide6.QtWidgets import QApplication

    from hccreview.services import auth
    from hccreview.services.demo_study import build_demo_study
    from hccreview.services.session import open_study
    from hccreview.ui.background_canvas import figures_settled
    from hccreview.ui.bus import ChangeBus
    from hccreview.ui.views.adjudication import AdjudicationPanel
    from hccreview.ui.views.meeting_mode import MeetingModeWindow
    from hccreview.ui.workers import Runner

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as folder:
        study = Path(folder) / "demo.db"
        if args.study is not None:
            shutil.copyfile(args.study, study)
        else:
            build_demo_study(study)
        _prepare(study)
        session = open_study(study)
        auth.sign_in(session, *ADJUDICATOR)
        runner, bus, stack = Runner(), ChangeBus(), QUndoStack()

        panel = AdjudicationPanel(session, bus, runner, stack)
        panel.setWindowTitle("Adjudication — hccreview")
        panel.resize(width, height)
        panel.show()
        _wait(app, lambda: panel.comparison is not None, "the adjudication panel")
        panel.show_subject(args.subject)
        _wait(app, lambda: panel.comparison is not None and panel.comparison.subject_id == args.subject, "the case")
        _wait(app, lambda: not runner.busy, "the panel's jobs")
        app.processEvents()
        _wait(app, lambda: figures_settled(panel), "the figures")
        args.out_panel.parent.mkdir(parents=True, exist_ok=True)
        panel.grab().save(str(args.out_panel))
        print(f"wrote {args.out_panel}")

        meeting = MeetingModeWindow(session, bus, runner, stack)
        meeting.resize(width, height)
        meeting.start(full_screen=False)
        _wait(app, lambda: meeting.loaded and meeting.case is not None, "meeting mode")
        app.processEvents()
        _wait(app, lambda: figures_settled(meeting), "the figures")
        meeting.grab().save(str(args.out_meeting))
        print(f"wrote {args.out_meeting}")
        meeting.close()
        panel.close()
        runner.wait()
        session.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
