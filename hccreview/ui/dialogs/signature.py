"""The electronic-signature prompt: the signer re-enters the password to sign with a stated meaning.

21 CFR Part 11 §11.50 (a signature shows the signer's printed name, the date and time, and its meaning) and
§11.200(a) (a non-biometric signature is two components, here the signed-in user id and the password re-entered
for each signing). The dialog shows who signs and what the signature means ("adjudicated") and returns the
password typed; it never checks it itself: the service does (``services.adjudication.sign_adjudication``),
on the database lane, and a wrong password writes nothing.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QWidget

from hccreview.ui.dialogs.form_dialog import ERROR_STYLE, FormDialog

STATEMENT = (
    "By entering my password I sign this record electronically. My signature is the legally binding "
    "equivalent of my handwritten signature (21 CFR Part 11 §11.100(c)) and is recorded with my name, "
    "the date and time (UTC) and the meaning shown above. A signed case is locked."
)


class SignatureDialog(FormDialog):
    """A modal box: signer's name, the meaning, the Part 11 statement and a password field.

    OK ("Sign") stays disabled until a password is typed. :meth:`show_refused` lets a caller keep the dialog
    and say why a signature was refused. The password field is cleared when the dialog goes. Signals: QDialog's
    only. GUI thread only; no database access.
    """

    def __init__(self, meaning: str, signer: str, parent: QWidget | None = None, *, subject: str = "") -> None:
        super().__init__("signature_dialog", "Electronic signature", parent)
        self.meaning = meaning
        self.signer = signer
        heading = QLabel(f"<b>Sign{(' ' + escape(subject)) if subject else ''}</b>")
        heading.setTextFormat(Qt.TextFormat.RichText)
        self.signer_label = QLabel(signer)
        self.signer_label.setObjectName("signature_signer")
        self.meaning_label = QLabel(f"<b>{escape(meaning)}</b>")
        self.meaning_label.setObjectName("signature_meaning")
        self.meaning_label.setTextFormat(Qt.TextFormat.RichText)
        self.password = QLineEdit()
        self.password.setObjectName("signature_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("your password")
        form = QFormLayout()
        form.addRow("Signer:", self.signer_label)
        form.addRow("Meaning:", self.meaning_label)
        form.addRow("&Password:", self.password)
        statement = QLabel(STATEMENT)
        statement.setWordWrap(True)
        statement.setObjectName("signature_statement")
        self.message = QLabel()
        self.message.setObjectName("signature_message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.hide()
        self.ok_button.setText("&Sign")
        self.lay_out(heading, form, statement, self.message)
        self.setMinimumWidth(460)
        self.watch(self.password.textChanged)
        self.password.setFocus()

    def answer(self) -> str | None:
        """The password typed (None while empty)."""
        return self.password.text() or None

    def show_refused(self, text: str) -> None:
        """Show why a signature was refused and clear the password for another try."""
        self.message.setText(text)
        self.message.show()
        self.password.clear()
        self.password.setFocus()

    def forget(self) -> None:
        self.password.clear()

    @classmethod
    def ask(cls, parent: QWidget | None, meaning: str, signer: str, subject: str = "") -> str | None:
        """Ask modally; the password typed, or None when cancelled (tests replace this classmethod)."""
        return cls(meaning, signer, parent, subject=subject).run()
