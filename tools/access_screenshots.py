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
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshot import wait_until  # noqa: E402  (the tools folder: one event-loop wait for every screenshot)

ACCOUNTS = {"reader": ("reader1", "reader1-demo"), "adjudicator": ("adjudicator", "adjudicator-demo")}


def first_discordant(study: Path) -> str:
    """The first patient of the adjudication queue (read as the adjudicator, who may see it)."""
    from hccreview.services import adjudication, auth
    from hccreview.services.session import open_study

    with open_study(study) as session:
        auth.sign_in(session, *ACCOUNTS["adjudicator"])
        queue = adjudication.discordance_queue(session)
    if not queue:
        raise SystemExit("access_screenshots: the study has no discordant patient")
    return queue[0].subject_id


def grab(app: object, study: Path, role: str, subject: str, size: tuple[int, int], out: Path) -> None:
    """Open the window signed in for ``role``, show ``subject`` on the tumour tab and save the window."""
    from hccreview.services import auth
    from hccreview.services.session import open_study
    from hccreview.ui.background_canvas import figures_settled
    from hccreview.ui.main_window import MainWindow
    from hccreview.ui.plots import FigureHost

    session = open_study(study)
    auth.sign_in(session, *ACCOUNTS[role])
    window = MainWindow(session)
    window.show()
    window.resize(*size)
    wait_until(app, lambda: window.overview is not None)
    if not window.navigator.select_subject(subject):
        raise SystemExit(f"access_screenshots: {subject} is not in the navigator")
    view = window.case_view
    wait_until(app, lambda: view.ready and view.subject_id == subject)
    window.tabs.setCurrentWidget(view)
    view.tabs.setCurrentWidget(view.tumour)
    wait_until(app, lambda: not window.runner.busy)
    hosts = window.findChildren(FigureHost)
    wait_until(app, lambda: not any(h.pending for h in hosts if h.isVisible()))  # plots draw after a quiet spell
    settle = time.monotonic() + 0.5
    while time.monotonic() < settle:  # deferred layouts and draw_idle
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.01)
    wait_until(app, lambda: figures_settled(window))  # the figures render on the render thread
    out.parent.mkdir(parents=True, exist_ok=True)
    image = window.grab()
    if not image.save(str(out)):
        raise SystemExit(f"access_screenshots: could not write {out}")
    print(f"{out} ({image.width()}×{image.height()}, {ACCOUNTS[role][0]}, patient {subject})")
    window.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", type=Path, help="study file (default: build the demo study)")
    parser.add_argument("--subject", help="patient to show (default: the first discordant one)")
    parser.add_argument("--size", default="1366x768", help="window size WxH (default 1366x768)")
    parser.add_argument("--out-dir", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))

    from PySide6.QtCore import QCoreApplication, QSettings
    from PySide6.QtWidgets import QApplication

    scratch = Path(tempfile.mkdtemp(prefix="hccreview-access-shot-"))
    app = QApplication([sys.argv[0]])
    QCoreApplication.setOrganizationName("hccreview-screenshot")
    QCoreApplication.setApplicationName("hccreview-screenshot")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(scratch))

    from hccreview.services.demo_study import build_demo_study

    study = args.study or build_demo_study(scratch / "demo-study.db")
    subject = args.subject or first_discordant(study)
    for role, name in (("reader", "access-reader.png"), ("adjudicator", "access-adjudicator.png")):
        grab(app, study, role, subject, (width, height), args.out_dir / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
