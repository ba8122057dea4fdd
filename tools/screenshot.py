"""Screenshot of the main window on the demo study (offscreen, 1366×768) for the README and the docs.

    python tools/screenshot.py [--study STUDY.db] [--out docs/screenshots/main-window.png] [--size 1366x768]

Without ``--study`` the demo study is built in a temporary folder. Selects the first patient (in the
navigator's order) whose best overall response under the shown source is PR, waits until the case view has
drawn that patient, and saves the window. Settings go to a temporary folder: the real ones are not touched.
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


def wait_until(app: object, condition: object, timeout: float = 60.0) -> None:
    """Process events until ``condition()`` holds (fails after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit("screenshot: timed out waiting for the window")
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", type=Path, help="study file (default: build the demo study)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots" / "main-window.png")
    parser.add_argument("--size", default="1366x768", help="window size WxH (default 1366x768)")
    parser.add_argument("--response", default="PR", help="select the first patient with this best response")
    parser.add_argument("--user", default="adjudicator", help="sign in as (default: the demo adjudicator)")
    parser.add_argument("--password", default="adjudicator-demo", help="that user's password")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))

    from PySide6.QtCore import QCoreApplication, QSettings
    from PySide6.QtWidgets import QApplication

    scratch = Path(tempfile.mkdtemp(prefix="hccreview-shot-"))
    app = QApplication([sys.argv[0]])
    QCoreApplication.setOrganizationName("hccreview-screenshot")
    QCoreApplication.setApplicationName("hccreview-screenshot")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(scratch))

    from hccreview.services.demo_study import build_demo_study
    from hccreview.services.session import open_study
    from hccreview.ui.main_window import MainWindow

    study = args.study or build_demo_study(scratch / "demo-study.db")
    session = open_study(study)
    from hccreview.services import auth

    auth.sign_in(session, args.user, args.password)  # the window shows what this user's access policy allows
    window = MainWindow(session)
    window.show()
    window.resize(width, height)
    wait_until(app, lambda: window.overview is not None)
    rows = {r.subject_id: r for r in window.overview.rows}
    model = window.navigator.model
    wanted = next((s for s in window.navigator.visible_subjects() if model.bor(rows[s]) == args.response), None)
    if wanted is None:
        print(f"screenshot: no patient with best response {args.response}; showing the first", file=sys.stderr)
        wanted = window.navigator.visible_subjects()[0]
    window.navigator.select_subject(wanted)
    wait_until(app, lambda: window.case_view.ready and window.case_view.subject_id == wanted)
    wait_until(app, lambda: not window.runner.busy)
    from hccreview.ui.plots import FigureHost

    hosts = window.findChildren(FigureHost)
    wait_until(app, lambda: not any(h.pending for h in hosts))  # plots draw after a quiet period
    settle = time.monotonic() + 0.5
    while time.monotonic() < settle:  # deferred layouts and draw_idle
        app.processEvents()
        time.sleep(0.01)
    from hccreview.ui.background_canvas import figures_settled

    wait_until(app, lambda: figures_settled(window))  # the figures render on the render thread
    args.out.parent.mkdir(parents=True, exist_ok=True)
    image = window.grab()
    if not image.save(str(args.out)):
        raise SystemExit(f"screenshot: could not write {args.out}")
    print(f"{args.out} ({image.width()}×{image.height()}, patient {wanted}, study {study})")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
