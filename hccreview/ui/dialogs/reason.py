"""The reason prompt: adjudication decisions, re-opening a signed case and other audited actions need one.

DESIGN §4 (the adjudicator "must give a reason") and 21 CFR Part 11 §11.10(e) (the audit trail records why).
The dialog will not accept an empty or blank reason: OK stays disabled until some text is typed. It never
touches the database; the caller passes the reason to the service, which validates it again.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QWidget

from hccreview.ui.dialogs.form_dialog import FormDialog

MAX_REASON_CHARS = 2000


def clean_reason(text: str) -> str:
    """The reason as it will be stored: surrounding blanks removed, inner lines kept."""
    return text.strip()


class ReasonDialog(FormDialog):
    """A modal box asking why: a prompt, a multi-line text field, OK (disabled while empty) and Cancel.

    Ctrl+Enter accepts (Enter makes a new line: reasons may be several sentences). Signals: QDialog's
    only. GUI thread only; no database access.
    """

    def __init__(self, title: str, prompt: str, parent: QWidget | None = None, *, text: str = "") -> None:
        super().__init__("reason_dialog", title, parent)
        self.prompt = QLabel(prompt)
        self.prompt.setObjectName("reason_prompt")
        self.prompt.setWordWrap(True)
        self.prompt.setTextFormat(Qt.TextFormat.PlainText)
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("reason_text")
        self.editor.setPlaceholderText("Reason (required; recorded in the audit trail)")
        self.editor.setTabChangesFocus(True)
        self.editor.setMinimumSize(420, 110)
        self.editor.setPlainText(text)
        self.hint = QLabel("A reason is required. Ctrl+Enter to confirm.")
        self.hint.setObjectName("reason_hint")
        self.hint.setEnabled(False)
        self.lay_out(self.prompt, (self.editor, 1), self.hint)
        self.watch(self.editor.textChanged, ctrl_enter=True)
        self.editor.setFocus()

    @property
    def reason(self) -> str:
        """The typed reason, cleaned (empty while nothing but blanks is typed)."""
        return clean_reason(self.editor.toPlainText())[:MAX_REASON_CHARS]

    def answer(self) -> str | None:
        return self.reason or None

    def incomplete(self) -> None:  # Ctrl+Enter on an empty field: a reason is required
        self.editor.setFocus()

    @classmethod
    def ask(cls, parent: QWidget | None, title: str, prompt: str) -> str | None:
        """Ask modally; the reason, or None when cancelled (tests replace this classmethod)."""
        return cls(title, prompt, parent).run()
