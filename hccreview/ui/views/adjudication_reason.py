"""The decision prompt of the adjudication panel and meeting mode: the discordance reason code (issue 12 item 4,
``domain.reason_codes``), the free text that "other" requires, and the adjudicator's reason (DESIGN §4: a reason
is mandatory). OK stays disabled until a code is chosen, the reason is typed and, for "other", its text too.
The dialog never touches the database; the service validates everything again.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QPlainTextEdit, QWidget

from hccreview.domain import reason_codes
from hccreview.ui.dialogs.form_dialog import FormDialog


@dataclass(frozen=True)
class DecisionReason:
    """What the adjudicator gave: the reason code, its free text ("other"; optional otherwise) and the reason."""

    code: str
    other: str
    reason: str


class DecisionReasonDialog(FormDialog):
    """Reason code (combo), "other" text, reason (multi-line). Ctrl+Enter accepts. Signals: QDialog's only.
    GUI thread only."""

    def __init__(self, title: str, prompt: str, parent: QWidget | None = None) -> None:
        super().__init__("decision_reason_dialog", title, parent)
        self.prompt = QLabel(prompt)
        self.prompt.setWordWrap(True)
        self.prompt.setTextFormat(Qt.TextFormat.PlainText)
        self.code = QComboBox()
        self.code.setObjectName("decision_reason_code")
        self.code.addItem("— choose the discordance reason —", None)
        for rc in reason_codes.REASON_CODES:
            self.code.addItem(rc.label, rc.code)
            self.code.setItemData(self.code.count() - 1, rc.description, Qt.ItemDataRole.ToolTipRole)
        self.other = QLineEdit()
        self.other.setObjectName("decision_reason_other")
        self.other.setPlaceholderText("Required for 'Other'; an optional note otherwise")
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("decision_reason_text")
        self.reason.setPlaceholderText("Reason (required; recorded in the audit trail)")
        self.reason.setTabChangesFocus(True)
        self.reason.setMinimumSize(420, 90)
        form = QFormLayout()
        form.addRow("Discordance &code", self.code)
        form.addRow("Code &text", self.other)
        form.addRow("&Reason", self.reason)
        self.hint = QLabel("")
        self.hint.setEnabled(False)
        self.lay_out(self.prompt, form, self.hint)
        self.watch(self.code.currentIndexChanged, self.other.textChanged, self.reason.textChanged, ctrl_enter=True)
        self.code.setFocus()

    def answer(self) -> DecisionReason | None:
        """The answer, or None while something required is missing (the hint says what)."""
        return self._check()[0]

    def _check(self) -> tuple[DecisionReason | None, str]:
        reason = self.reason.toPlainText().strip()
        try:
            code, other = reason_codes.validate(self.code.currentData(), self.other.text())
        except reason_codes.ReasonCodeError as exc:
            return None, exc.message
        if not reason:
            return None, "the reason is required"
        return DecisionReason(code, other, reason), "Ctrl+Enter to confirm"

    def update_ok(self) -> None:
        value, hint = self._check()
        self.ok_button.setEnabled(value is not None)
        self.hint.setText(hint[:1].upper() + hint[1:] + ".")

    @classmethod
    def ask(cls, parent: QWidget | None, title: str, prompt: str) -> DecisionReason | None:
        """Ask modally; the answer, or None when cancelled (tests replace this classmethod)."""
        return cls(title, prompt, parent).run()
