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
from pathlib import Path

from shot_support import (
    DEMO_PASSWORDS,
    SHOTS,
    demo_study,
    open_signed_in,
    panel_context,
    save,
    scratch,
    settle,
    size,
    start_qt,
    wait_until,
)


def prepare(study: Path) -> None:
    """Decide and sign the second queued case, decide the third: the queue then shows every status."""
    from hccreview.services import adjudication

    with open_signed_in(study, "adjudicator") as session:
        queue = adjudication.discordance_queue(session)
        if len(queue) < 3:
            return
        first, second = queue[1], queue[2]
        adjudication.adjudicate(
            session, subject_id=first.subject_id, chosen_reader=first.readers[0], reason_code="measurement",
            reason="Read 1's target sum rise of more than 20% at the first scan is confirmed on review.",
        )  # fmt: skip
        adjudication.sign_adjudication(session, subject_id=first.subject_id, password=DEMO_PASSWORDS["adjudicator"])
        adjudication.adjudicate(
            session, subject_id=second.subject_id, chosen_reader=second.readers[1], reason_code="measurement",
            reason="Read 2's progression is supported by the lesion measurements; read 1 under-measured T01.",
        )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", type=Path)
    parser.add_argument("--size", default="1366x768")
    parser.add_argument("--out-panel", type=Path, default=SHOTS / "adjudication.png")
    parser.add_argument("--out-meeting", type=Path, default=SHOTS / "meeting-mode.png")
    parser.add_argument("--subject", default="HCC-009")
    args = parser.parse_args(argv)
    width, height = size(args.size)

    folder = scratch("adjudication-shot")
    app = start_qt(folder)
    from hccreview.ui.views.adjudication import AdjudicationPanel
    from hccreview.ui.views.meeting_mode import MeetingModeWindow

    study = demo_study(args.study, folder, copy=True)
    prepare(study)
    session = open_signed_in(study, "adjudicator")
    context = panel_context(session)

    panel = AdjudicationPanel(context)
    panel.setWindowTitle("Adjudication — hccreview")
    panel.resize(width, height)
    panel.show()
    wait_until(app, lambda: panel.comparison is not None, "the adjudication panel")
    panel.show_subject(args.subject)
    wait_until(app, lambda: panel.comparison is not None and panel.comparison.subject_id == args.subject, "the case")
    settle(app, panel, context.runner)
    save(panel, args.out_panel, f"patient {args.subject}")

    meeting = MeetingModeWindow(context)
    meeting.resize(width, height)
    meeting.start(full_screen=False)
    wait_until(app, lambda: meeting.loaded and meeting.case is not None, "meeting mode")
    settle(app, meeting, context.runner)
    save(meeting, args.out_meeting)
    meeting.close()
    panel.close()
    context.runner.wait()
    session.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
