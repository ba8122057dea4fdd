"""The case view's Queries tab: the patient's query and comment threads, their messages, and the buttons that
open, answer, close, re-open or reply (issue 12 item 3; the rules are ``services.queries``').

Loading and every write run on the runner's database lane (``services.queries``; the writes through
``ui.operations.run_write``), whose Changes (kind ``ChangeKind.QUERIES``) go out on the ChangeBus, so the
navigator's badge, this tab's count and any other view follow. The buttons are there only for who may write queries
(``ui.visibility.ACTION_NEEDS``: a viewer reads them) and enabled from ``services.queries.allowed_actions`` for the
signed-in user, a disabled one saying why in its tooltip; the service checks again (role, state, blinding) and a
refusal is shown, never swallowed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hccreview.domain.changes import Changes
from hccreview.services import queries
from hccreview.services.queries import Thread
from hccreview.services.session import StudySession
from hccreview.ui.dialogs.query_dialog import QueryDialog
from hccreview.ui.dialogs.reason import ReasonDialog
from hccreview.ui.operations import run_write
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.visibility import may_do

_PROMPTS = {
    "answer": ("Answer query", "Your answer (recorded in the audit trail):"),
    "close": ("Close query", "Closing note (optional: leave 'Closed.' or say why):"),
    "reopen": ("Re-open query", "Why is this query re-opened? (required)"),
    "reply": ("Reply to comment", "Your reply:"),
}
_STATE_TEXT = {"open": "● open", "answered": "◐ answered", "closed": "○ closed", None: "comment"}

CLOSE_WHO = "Only the query's opener or a study manager closes it"
REOPEN_WHO = "Only the query's opener or a study manager re-opens it"


def why_not(action: str, thread: Thread | None) -> str:
    """Why ``action`` (answer, close, reopen, reply) is not offered on ``thread`` now (its button's tooltip)."""
    if thread is None:
        return "Select a query or a comment first"
    if thread.kind == "comment":
        return "A comment has no state: reply to it" if action != "reply" else "You may not reply here"
    if action == "reply":
        return "A query is answered (Answer…), not replied to"
    if action == "reopen":
        return "Only a closed query is re-opened" if thread.state != "closed" else REOPEN_WHO
    if thread.state == "closed":
        return "The query is closed: re-open it first"
    if action == "answer":
        return "You opened this query: another user answers it"
    return CLOSE_WHO


@dataclass(frozen=True)
class QueriesView:
    """What the tab shows for one patient: its threads and what the user may do on each (worker result)."""

    subject_id: str
    threads: list[Thread]
    allowed: dict[int, set[str]]

    @property
    def open_count(self) -> int:
        return sum(t.kind == "query" and t.state == "open" for t in self.threads)


def load_queries_view(session: StudySession, subject_id: str) -> QueriesView:
    """Worker function (database lane): the patient's visible threads and the user's allowed actions."""
    found = queries.threads(session, subject_id)
    return QueriesView(subject_id, found, {t.id: queries.allowed_actions(session, t) for t in found})


def message_text(thread: Thread) -> str:
    """The thread as plain text: one paragraph per message, withheld messages named as such."""
    lines = [f"{thread.title} — on {thread.target} — {_STATE_TEXT.get(thread.state, thread.state)}", ""]
    for m in thread.messages:
        body = "(withheld while blinded: written by another reader)" if m.hidden else m.text
        lines.append(f"[{m.at[:16].replace('T', ' ')}] {m.author} ({m.author_role}) — {m.action}:\n{body}\n")
    return "\n".join(lines)


class CaseQueries(QWidget):
    """The Queries tab of one patient.

    Signals (GUI thread): ``count_changed(int)`` the patient's open queries after each load (the tab's badge);
    ``status_message(str)`` a write done or refused. Runner callbacks run on the GUI thread and only draw.
    """

    count_changed = Signal(int)
    status_message = Signal(str)

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.bus, self.runner = context.session, context.bus, context.runner
        self.subject_id: str | None = None
        self.view: QueriesView | None = None
        self.summary = QLabel("No patient selected.")
        self.summary.setObjectName("queries_summary")
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("queries_list")
        self.tree.setHeaderLabels(["#", "State", "On", "Title", "Opened by", "Messages"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.messages = QPlainTextEdit(self)
        self.messages.setObjectName("queries_messages")
        self.messages.setReadOnly(True)
        self.buttons: dict[str, QPushButton] = {}
        self._tips: dict[str, str] = {}
        row = QHBoxLayout()
        for name, text, tip in (
            ("new_query", "New &query…", "Open a query on this patient, a visit, a lesion, a measurement or an AE"),
            ("new_comment", "New co&mment…", "A comment thread: no state, anyone who sees it may reply"),
            ("answer", "A&nswer…", "Answer the selected query (another user than its opener, or an admin)"),
            ("close", "C&lose…", "Close the selected query (its opener or a study manager may)"),
            ("reopen", "Re-o&pen…", "Re-open the selected closed query, with a reason"),
            ("reply", "Rep&ly…", "Reply to the selected comment"),
        ):
            button = QPushButton(text, self)
            button.setObjectName(f"queries_{name}")
            button.setToolTip(tip)
            self._tips[name] = tip
            row.addWidget(button)
            self.buttons[name] = button
        row.addStretch(1)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.tree)
        splitter.addWidget(self.messages)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addLayout(row)
        layout.addWidget(splitter, 1)
        self.buttons["new_query"].clicked.connect(lambda: self.new_thread("query"))
        self.buttons["new_comment"].clicked.connect(lambda: self.new_thread("comment"))
        for action in ("answer", "close", "reopen", "reply"):
            self.buttons[action].clicked.connect(lambda _=False, a=action: self.act(a))
        self.tree.currentItemChanged.connect(lambda *_: self._selected())
        self.bus.changed.connect(self._on_changed)
        self._update_buttons()

    # ------------------------------------------------------------------ loading
    def show_subject(self, subject_id: str | None) -> None:
        """Show ``subject_id``'s threads (None: nothing); returns at once, fills when the load lands."""
        self.subject_id = subject_id
        if subject_id is None:
            self._fill(None)
            return
        self.reload()

    def reload(self) -> None:
        if self.subject_id is not None:
            self.runner.run(load_queries_view, self.session, self.subject_id, key="case_queries", lane="db",
                            on_done=self._fill, on_error=self._failed)  # fmt: skip

    def _on_changed(self, changes: Changes, _initiator: object) -> None:
        if self.subject_id is not None and changes.touches(self.subject_id):
            self.reload()

    def _fill(self, view: QueriesView | None) -> None:
        if view is not None and view.subject_id != self.subject_id:
            return  # the user moved on
        current = self.selected()
        self.view = view
        self.tree.clear()
        for t in view.threads if view else []:
            item = QTreeWidgetItem([str(t.id), _STATE_TEXT.get(t.state, str(t.state)), t.target, t.title,
                                    t.opened_by, str(len(t.messages))])  # fmt: skip
            item.setData(0, Qt.ItemDataRole.UserRole, t.id)
            self.tree.addTopLevelItem(item)
            if current is not None and t.id == current.id:
                self.tree.setCurrentItem(item)
        if view is None:
            self.summary.setText("No patient selected.")
        else:
            n = len(view.threads)
            self.summary.setText(f"{view.open_count} open quer{'y' if view.open_count == 1 else 'ies'} · "
                                 f"{n} thread{'s' if n != 1 else ''} on {view.subject_id}")  # fmt: skip
        self._selected()
        self.count_changed.emit(view.open_count if view else 0)

    def _failed(self, exc: BaseException) -> None:
        self.summary.setText(f"Queries cannot be shown: {exc}")
        self.count_changed.emit(0)

    # ------------------------------------------------------------------ selection
    def selected(self) -> Thread | None:
        item = self.tree.currentItem()
        if item is None or self.view is None:
            return None
        wanted = item.data(0, Qt.ItemDataRole.UserRole)
        return next((t for t in self.view.threads if t.id == wanted), None)

    def select_thread(self, query_id: int) -> bool:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == query_id:
                self.tree.setCurrentItem(item)
                return True
        return False

    def _selected(self) -> None:
        thread = self.selected()
        self.messages.setPlainText(message_text(thread) if thread else "")
        self._update_buttons()

    def _update_buttons(self) -> None:
        writer = may_do(self.session.access, "write_queries")
        for button in self.buttons.values():
            button.setVisible(writer)  # a viewer reads the threads; nothing here is theirs to do
        signed_in = self.session.signed_in is not None and self.subject_id is not None and self.view is not None
        thread = self.selected()
        allowed = self.view.allowed.get(thread.id, set()) if thread is not None and self.view else set()
        self.buttons["new_query"].setEnabled(signed_in)
        self.buttons["new_comment"].setEnabled(signed_in)
        for action in ("answer", "close", "reopen", "reply"):
            button = self.buttons[action]
            button.setEnabled(action in allowed)
            button.setToolTip(self._tips[action] if action in allowed else why_not(action, thread))

    # ------------------------------------------------------------------ writing
    def new_thread(self, kind: str) -> None:
        """Ask what to open (targets are read on the database lane first), then open it."""
        subject = self.subject_id
        if subject is None:
            return
        self.runner.run(queries.targets, self.session, subject, lane="db",
                        on_done=lambda found: self._ask_new(subject, kind, found), on_error=self._refused)  # fmt: skip

    def _ask_new(self, subject: str, kind: str, found: list[queries.Target]) -> None:
        if subject != self.subject_id:
            return
        asked = QueryDialog.ask(self, subject, found, kind=kind)
        if asked is None:
            return
        self._write(queries.open_thread, f"{asked.kind} opened on {subject}", subject_id=subject, kind=asked.kind,
                    target_kind=asked.target_kind, target_ref=asked.target_ref, title=asked.title,
                    text=asked.text)  # fmt: skip

    def act(self, action: str) -> None:
        """Answer / close / re-open / reply on the selected thread, after asking for the text."""
        thread = self.selected()
        if thread is None:
            return
        title, prompt = _PROMPTS[action]
        text = ReasonDialog.ask(self, f"{title} #{thread.id}", prompt)
        if text is None:
            return
        services: dict[str, Callable[..., Changes]] = {"answer": queries.answer, "close": queries.close,
                                                       "reopen": queries.reopen, "reply": queries.reply}  # fmt: skip
        service = services[action]
        key = "reason" if action == "reopen" else "text"
        self._write(service, f"query #{thread.id}: {action} saved", query_id=thread.id, **{key: text})

    def _write(self, service: Callable[..., Changes], done: str, **kwargs: Any) -> None:
        run_write(self.runner, self.bus, service, self.session, initiator=self, on_error=self._refused,
                  on_done=lambda _changes: self.status_message.emit(done), **kwargs)  # fmt: skip

    def _refused(self, exc: BaseException) -> None:
        self.status_message.emit(f"Not saved — {exc}")
        self.summary.setText(f"Not saved — {exc}")
