"""Help ▸ About: the program's version, the open study file, and the Qt / PySide / Python versions."""

from __future__ import annotations

import html
import platform
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from hccreview import __version__


def about_text(study_path: str | Path | None, study_title: str | None = None) -> str:
    """The dialog's rich text (also what the tests read)."""
    study = html.escape(str(study_path)) if study_path else "no study open"
    title = f"<br>{html.escape(study_title)}" if study_title else ""
    return (
        f"<h2>hccreview {html.escape(__version__)}</h2>"
        "<p>Case-review workstation for oncology clinical trials: RECIST 1.1 / mRECIST review and adjudication, "
        "CTCAE toxicity, live cohort statistics. Works offline; one SQLite file per study.</p>"
        f"<p><b>Study</b>{title}<br><code>{study}</code></p>"
        f"<p><b>Qt</b> {qVersion()} · <b>PySide6</b> {PySide6.__version__} · "
        f"<b>Python</b> {platform.python_version()}</p>"
    )


class AboutDialog(QDialog):
    """A modal box with :func:`about_text`; no signals beyond QDialog's. GUI thread only."""

    def __init__(
        self, study_path: str | Path | None, study_title: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("About hccreview")
        self.label = QLabel(about_text(study_path, study_title))
        self.label.setObjectName("about_text")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setMinimumWidth(420)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(buttons)

    @classmethod
    def ask(cls, parent: QWidget | None, study_path: str | Path | None, study_title: str | None = None) -> None:
        """Show the dialog modally (tests replace this classmethod)."""
        dialog = cls(study_path, study_title, parent)
        dialog.exec()
