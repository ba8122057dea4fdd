"""The modal form every prompt of the workstation is built on (issue 20: one implementation of the prompts).

A title, the form's fields, OK and Cancel. OK stays disabled while :meth:`FormDialog.answer` is None (the form is
incomplete), and neither OK nor Enter (nor Ctrl+Enter where the form offers it) can accept an incomplete form.
:meth:`FormDialog.run` shows it modally and returns the answer, or None when cancelled, then deletes the dialog;
each dialog's ``ask`` classmethod is ``cls(...).run()``, and tests replace ``ask``. The reason, signature, query,
decision-reason and account prompts are subclasses; none touches the database (the caller's service validates
the answer again).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import SignalInstance
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

#: A refusal or a missing field, said in red.
ERROR_STYLE = "QLabel { color: #c62828; }"


def new_password_fields(prefix: str) -> tuple[QLineEdit, QLineEdit]:
    """A new password and its repetition, masked, named ``{prefix}_password`` / ``{prefix}_repeat`` (the account
    forms check them with ``domain.passwords.password_problem``)."""
    fields = QLineEdit(), QLineEdit()
    for field, name in zip(fields, ("password", "repeat"), strict=True):
        field.setObjectName(f"{prefix}_{name}")
        field.setEchoMode(QLineEdit.EchoMode.Password)
    return fields


class FormDialog(QDialog):
    """Base of the prompts: subclasses build their fields, then call :meth:`lay_out` and :meth:`watch`, and
    implement :meth:`answer`. Signals: QDialog's only. GUI thread only; no database access."""

    def __init__(self, name: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(title)
        self.setModal(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    @property
    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def answer(self) -> Any:
        """The answer as the form stands; None while something required is missing."""
        raise NotImplementedError

    def lay_out(self, *parts: QWidget | QLayout | tuple[QWidget, int]) -> QVBoxLayout:
        """Stack ``parts`` (a widget, a layout, or ``(widget, stretch)``) above the buttons."""
        layout = QVBoxLayout(self)
        for part in parts:
            if isinstance(part, QLayout):
                layout.addLayout(part)
            elif isinstance(part, tuple):
                layout.addWidget(*part)
            else:
                layout.addWidget(part)
        layout.addWidget(self.buttons)
        return layout

    def watch(self, *signals: SignalInstance, ctrl_enter: bool = False) -> None:
        """Re-check the form whenever one of ``signals`` fires (and now); ``ctrl_enter``: Ctrl+Enter accepts (for
        forms with a multi-line field, where Enter makes a new line)."""
        for signal in signals:
            signal.connect(self.update_ok)
        if ctrl_enter:
            for keys in ("Ctrl+Return", "Ctrl+Enter"):
                QShortcut(QKeySequence(keys), self).activated.connect(self.accept)  # the dialog owns it
        self.update_ok()

    def update_ok(self) -> None:
        """Enable OK exactly when the form is complete (subclasses may also say what is missing)."""
        self.ok_button.setEnabled(self.answer() is not None)

    def incomplete(self) -> None:
        """Called when the user tries to accept an incomplete form (subclasses put the focus where it is missing)."""

    def accept(self) -> None:
        if self.answer() is None:
            self.incomplete()
            return
        super().accept()

    def forget(self) -> None:
        """Called when the dialog goes, after the answer was taken (a password field clears itself here)."""

    def run(self) -> Any:
        """Show modally; the answer when accepted, None when cancelled. The dialog is deleted afterwards."""
        try:
            return self.answer() if self.exec() == QDialog.DialogCode.Accepted else None
        finally:
            self.forget()
            self.deleteLater()
