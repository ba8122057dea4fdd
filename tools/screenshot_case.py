"""Grab a screenshot of the patient case view (tumour tab) for a patient with a partial response.

    python tools/screenshot_case.py [--study STUDY.db] [--subject ID] [--out docs/screenshots/case-view.png]
                                    [--size 1000x680] [--tab tumour|timeline|aes|cycles|findings|audit] [--dark]

Without ``--study`` the demo study is built in a temporary folder. The default size is what the case view gets
in a 1366×768 window beside the navigator. Signed in as the demo adjudicator. Runs offscreen.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from shot_support import (
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

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from hccreview.services.session import StudySession

TABS = {"timeline": 0, "tumour": 1, "aes": 2, "cycles": 3, "findings": 4, "audit": 5}


def partial_response(session: StudySession) -> str:
    """The first patient whose default-source confirmed best response is PR (else the first patient)."""
    from hccreview.services.case_extra import load_case_detail

    subjects = [s.subject_id for s in session.data().subjects]
    for sid in subjects:
        detail = load_case_detail(session, sid)
        outcome = detail.case.outcomes.get(detail.default_source or "")
        if outcome is not None and outcome.bor == "PR" and detail.case.measurements:
            return sid
    return subjects[0]


def dark(app: QApplication) -> None:
    """A dark Fusion palette (checks that the view follows the palette)."""
    from PySide6.QtGui import QColor, QPalette

    app.setStyle("Fusion")
    palette = QPalette()
    role = QPalette.ColorRole
    for r, colour in ((role.Window, "#2b2b2b"), (role.WindowText, "#e8e8e8"), (role.Base, "#1e1e1e"),
                      (role.AlternateBase, "#333333"), (role.Text, "#e8e8e8"), (role.Button, "#3a3a3a"),
                      (role.ButtonText, "#e8e8e8"), (role.Highlight, "#2f65ca"), (role.HighlightedText, "#ffffff"),
                      (role.ToolTipBase, "#333333"), (role.ToolTipText, "#e8e8e8")):  # fmt: skip
        palette.setColor(r, QColor(colour))
    app.setPalette(palette)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", type=Path)
    parser.add_argument("--subject")
    parser.add_argument("--out", type=Path, default=SHOTS / "case-view.png")
    parser.add_argument("--size", default="1000x680")
    parser.add_argument("--tab", choices=sorted(TABS), default="tumour")
    parser.add_argument("--dark", action="store_true", help="a dark Fusion palette (checks palette following)")
    args = parser.parse_args(argv)

    folder = scratch("case-shot")
    app = start_qt(folder)
    if args.dark:
        dark(app)
    from hccreview.ui.views.case_view import CaseView

    session = open_signed_in(demo_study(args.study, folder), "adjudicator")
    subject = args.subject or partial_response(session)
    context = panel_context(session)
    view = CaseView(context)
    view.resize(*size(args.size))
    view.tabs.setCurrentIndex(TABS[args.tab])
    view.show()
    view.show_subject(subject)
    wait_until(app, lambda: view.ready and view.subject_id == subject, "the case")
    settle(app, view, context.runner)
    if view.tumour.grid.model().rowCount():
        view.tumour.grid.setCurrentIndex(view.tumour.grid.model().index(1, 1))
        app.processEvents()
    save(view, args.out, f"{subject}, {args.tab} tab")
    context.runner.wait()
    session.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
