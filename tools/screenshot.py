"""Screenshot of the main window on the demo study (offscreen, 1366×768) for the README and the docs.

    python tools/screenshot.py [--study STUDY.db] [--out docs/screenshots/main-window.png] [--size 1366x768]
                               [--response PR] [--user adjudicator] [--password PASSWORD]

Without ``--study`` the demo study is built in a temporary folder. Selects the first patient (in the
navigator's order) whose best overall response under the shown source is PR, waits until the case view has
drawn that patient, and saves the window. Settings go to a temporary folder: the real ones are not touched.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shot_support import SHOTS, demo_study, open_signed_in, save, scratch, settle, size, start_qt, wait_until


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", type=Path, help="study file (default: build the demo study)")
    parser.add_argument("--out", type=Path, default=SHOTS / "main-window.png")
    parser.add_argument("--size", default="1366x768", help="window size WxH (default 1366x768)")
    parser.add_argument("--response", default="PR", help="select the first patient with this best response")
    parser.add_argument("--user", default="adjudicator", help="sign in as (default: the demo adjudicator)")
    parser.add_argument("--password", default=None, help="that user's password (default: the demo one)")
    args = parser.parse_args(argv)

    folder = scratch("shot")
    app = start_qt(folder)
    from hccreview.ui.main_window import MainWindow

    study = demo_study(args.study, folder)
    window = MainWindow(open_signed_in(study, args.user, args.password))  # shows what this user may see
    window.show()
    window.resize(*size(args.size))
    wait_until(app, lambda: window.overview is not None)
    rows = {r.subject_id: r for r in window.overview.rows}
    model = window.navigator.model
    wanted = next((s for s in window.navigator.visible_subjects() if model.bor(rows[s]) == args.response), None)
    if wanted is None:
        print(f"screenshot: no patient with best response {args.response}; showing the first", file=sys.stderr)
        wanted = window.navigator.visible_subjects()[0]
    window.navigator.select_subject(wanted)
    wait_until(app, lambda: window.case_view.ready and window.case_view.subject_id == wanted)
    settle(app, window, window.runner)
    save(window, args.out, f"patient {wanted}, study {study}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
