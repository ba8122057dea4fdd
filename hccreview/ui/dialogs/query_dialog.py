"""Opening a query or comment thread: what it hangs on, a title and the first message (issue 12 item 3).

The dialog only collects the user's input; the caller passes it to ``services.queries.open_thread`` on the
runner's database lane (the service validates it again and audits it). OK stays disabled until a title and a
message are typed. Answer / close / re-open / reply prompts use :class:`~hccreview.ui.dialogs.reason.ReasonDialog`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QPlainTextEdit, QWidget

from hccreview.services.queries import Target
from hccreview.ui.dialogs.form_dialog import FormDialog


@dataclass(frozen=True)
class NewThread:
    """What the user asked for: ``kind`` query / comment, the target's kind and ref, title and first message."""

    kind: str
    target_kind: str
    target_ref: str
    title: str
    text: str


class QueryDialog(FormDialog):
    """A modal form: kind (query or comment), target (patient, visit, lesion, measurement, AE), title, message.

    Signals: QDialog's only. GUI thread only; no database access.
    """

    def __init__(self, subject_id: str, targets: Sequence[Target], parent: QWidget | None = None, *,
                 kind: str = "query", target: Target | None = None) -> None:  # fmt: skip
        super().__init__("query_dialog", f"New thread on {subject_id}", parent)
        self.kind = QComboBox()
        self.kind.setObjectName("query_kind")
        self.kind.addItem("Query (needs an answer)", "query")
        self.kind.addItem("Comment (no state)", "comment")
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        self.target = QComboBox()
        self.target.setObjectName("query_target")
        for t in targets:
            self.target.addItem(t.label, t)
        if target is not None:
            for i in range(self.target.count()):
                if self.target.itemData(i) == target:
                    self.target.setCurrentIndex(i)
        self.title = QLineEdit()
        self.title.setObjectName("query_title")
        self.title.setMaxLength(200)
        self.title.setPlaceholderText("Short title (required)")
        self.text = QPlainTextEdit()
        self.text.setObjectName("query_text")
        self.text.setPlaceholderText("Message (required; recorded in the audit trail)")
        self.text.setMinimumSize(420, 100)
        form = QFormLayout()
        form.addRow("&Kind", self.kind)
        form.addRow("&On", self.target)
        form.addRow("&Title", self.title)
        form.addRow("&Message", self.text)
        self.lay_out(form)
        self.watch(self.title.textChanged, self.text.textChanged)
        self.title.setFocus()

    def answer(self) -> NewThread | None:
        """The thread asked for, or None while the title or the message is blank."""
        title, text = self.title.text().strip(), self.text.toPlainText().strip()
        target = self.target.currentData()
        if not title or not text or not isinstance(target, Target):
            return None
        return NewThread(str(self.kind.currentData()), target.kind, target.ref, title, text)

    @classmethod
    def ask(cls, parent: QWidget | None, subject_id: str, targets: Sequence[Target], *,
            kind: str = "query") -> NewThread | None:  # fmt: skip
        """Ask modally; the new thread, or None when cancelled (tests replace this classmethod)."""
        return cls(subject_id, targets, parent, kind=kind).run()
