"""Screenshots for docs/access.md: the main window on one discordant patient, as reader1 and as the adjudicator.

    python tools/access_screenshots.py [--study STUDY.db] [--subject ID] [--size 1366x768]
                                       [--out-dir docs/screenshots]

Writes ``access-reader.png`` (reader1: blinded — their own reads only, no adjudication, no cohort dashboard, no
clinical data) and ``access-adjudicator.png`` (the adjudicator: every reader, the investigator, the discordance
flag) of the same patient, tumour tab in front. Without ``--study`` the demo study is built in a temporary folder;
without ``--subject`` the first discordant patient of the adjudication queue is shown. Offscreen; settings go to a
temporary folder (the real ones are not touched). Signs in with the demo accounts (docs/demo-study.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from shot_support import SHOTS, demo_study, open_signed_in, save, scratch, settle, size, start_qt, wait_until

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

#: Who is shown, and the file each screenshot goes to.
SHOTS_BY_USER = (("reader1", "access-reader.png"), ("adjudicator", "access-adjudicator.png"))


def first_discordant(study: Path) -> str:
    """The first patient of the adjudication queue (read as the adjudicator, who may see it)."""
    from hccreview.services import adjudication

    with open_signed_in(study, "adjudicator") as session:
        queue = adjudication.discordance_queue(session)
    if not queue:
        raise SystemExit("access_screenshots: the study has no discordant patient")
    return queue[0].subject_id


def grab(app: QApplication, study: Path, user: str, subject: str, window_size: tuple[int, int], out: Path) -> None:
    """Open the window signed in as ``user``, show ``subject`` on the tumour tab and save the window."""
    from hccreview.ui.main_window import MainWindow

    window = MainWindow(open_signed_in(study, user))
    window.show()
    window.resize(*window_size)
    wait_until(app, lambda: window.overview is not None)
    if not window.navigator.select_subject(subject):
        raise SystemExit(f"access_screenshots: {subject} is not in the navigator")
    view = window.case_view
    wait_until(app, lambda: view.ready and view.subject_id == subject)
    window.tabs.setCurrentWidget(view)
    view.tabs.setCurrentWidget(view.tumour)
    settle(app, window, window.runner)
    save(window, out, f"{user}, patient {subject}")
    window.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", type=Path, help="study file (default: build the demo study)")
    parser.add_argument("--subject", help="patient to show (default: the first discordant one)")
    parser.add_argument("--size", default="1366x768", help="window size WxH (default 1366x768)")
    parser.add_argument("--out-dir", type=Path, default=SHOTS)
    args = parser.parse_args(argv)

    folder = scratch("access-shot")
    app = start_qt(folder)
    study = demo_study(args.study, folder)
    subject = args.subject or first_discordant(study)
    for user, name in SHOTS_BY_USER:
        grab(app, study, user, subject, size(args.size), args.out_dir / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
