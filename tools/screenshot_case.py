"""Grab a screenshot of the patient case view (tumour tab) for a patient with a partial response.

    python tools/screenshot_case.py [--study STUDY.db] [--subject ID] [--out docs/screenshots/case-view.png]
                                    [--size 1000x680] [--tab tumour|timeline|aes|cycles|findings|audit] [--dark]

Without ``--study`` the demo study is built in a temporary folder (``services.demo_study``); while the demo
simulator is still a placeholder (no patients) the small test study of ``tests/factories.py`` is used. The
default size is what the case view gets in a 1366×768 window beside the navigator. Runs offscreen.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TABS = {"timeline": 0, "tumour": 1, "aes": 2, "cycles": 3, "findings": 4, "audit": 5}


def _study(path: Path | None, folder: Path) -> Path:
    if path is not None:
        return path
    from hccreview.services.demo_study import build_demo_study
    from hccreview.services.session import open_study

    demo = build_demo_study(folder / "demo.db")
    with open_study(demo) as session:
        if session.data().subjects:
            return demo
    sys.path.insert(0, str(REPO))
    from tests.factories import small_study

    small_study(folder / "small.db").close()
    return folder / "small.db"


def _partial_response(session: object) -> str:
    """The first patient whose default-source confirmed best response is PR (else the first patient)."""
    from hccreview.services.case_extra import load_case_detail

    subjects = [s.subject_id for s in session.data().subjects]  # type: ignore[attr-defined]
    for sid in subjects:
        detail = load_case_detail(session, sid)  # type: ignore[arg-type]
        outcome = detail.case.outcomes.get(detail.default_source or "")
        if outcome is not None and outcome.bor == "PR" and detail.case.measurements:
            return sid
    return subjects[0]


def _dark(app: object) -> None:
    from PySide6.QtGui import QColor, QPalette

    app.setStyle("Fusion")  # type: ignore[attr-defined]
    palette = QPalette()
    role = QPalette.ColorRole
    for r, colour in ((role.Window, "#2b2b2b"), (role.WindowText, "#e8e8e8"), (role.Base, "#1e1e1e"),
                      (role.AlternateBase, "#333333"), (role.Text, "#e8e8e8"), (role.Button, "#3a3a3a"),
                      (role.ButtonText, "#e8e8e8"), (role.Highlight, "#2f65ca"), (role.HighlightedText, "#ffffff"),
                      (role.ToolTipBase, "#333333"), (role.ToolTipText, "#e8e8e8")):  # fmt: skip
        palette.setColor(r, QColor(colour))
    app.setPalette(palette)  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", type=Path)
    parser.add_argument("--subject")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots" / "case-view.png")
    parser.add_argument("--size", default="1000x680")
    parser.add_argument("--tab", choices=sorted(TABS), default="tumour")
    parser.add_argument("--dark", action="store_true", help="a dark Fusion palette (checks palette following)")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtGui import QUndoStack
    from PySide6.QtWidgets import QApplication

    from hccreview.services.session import open_study
    from hccreview.ui.bus import ChangeBus
    from hccreview.ui.views.case_view import CaseView
    from hccreview.ui.workers import Runner

    app = QApplication.instance() or QApplication(sys.argv[:1])
    if args.dark:
        _dark(app)
    with tempfile.TemporaryDirectory() as folder:
        session = open_study(_study(args.study, Path(folder)))
        subject = args.subject or _partial_response(session)
        runner, bus, stack = Runner(), ChangeBus(), QUndoStack()
        view = CaseView(session, bus, runner, stack)
        width, height = (int(x) for x in args.size.split("x"))
        view.resize(width, height)
        view.tabs.setCurrentIndex(TABS[args.tab])
        view.show()
        loop = QEventLoop()
        view.loaded.connect(loop.quit)
        QTimer.singleShot(30000, loop.quit)
        view.show_subject(subject)
        loop.exec()
        deadline = time.monotonic() + 10
        while (view.tumour.spider.pending or view.timeline.host.pending) and time.monotonic() < deadline:
            app.processEvents()  # the plots draw after a short quiet spell (FigureHost.draw_later)
            time.sleep(0.02)
        for _ in range(5):  # let draw_idle and the layouts settle
            app.processEvents()
        if view.tumour.grid.model().rowCount():
            view.tumour.grid.setCurrentIndex(view.tumour.grid.model().index(1, 1))
        app.processEvents()
        from hccreview.ui.background_canvas import figures_settled

        while not figures_settled(view) and time.monotonic() < deadline:  # rendered on the render thread
            app.processEvents()
            time.sleep(0.02)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        ok = view.grab().save(str(args.out))
        runner.wait()
        session.close()
    print(f"{'wrote' if ok else 'FAILED to write'} {args.out} ({subject}, {args.size}, {args.tab} tab)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
