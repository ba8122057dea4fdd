"""Read entry (issue 7 item 2): the signed-in reader's own read of each timepoint of one patient.

One row per assessment date of the patient (the reader's worklist: dates only, nothing of another reader's
results, plus the dates of the reader's own measurements and reads) with target / non-target / new-lesion /
overall response combo boxes. The components are prefilled from the reader's own measurements (else from the
reader's recorded read), the overall response from ``reading.computed_response``. "Record" recomputes the
response on the database lane; when the chosen overall differs from the computed one the reader must give
a reason (``ReasonDialog.ask``), else none is asked; correcting a read already recorded asks why it changes (the
reason for the change, audited: DESIGN §4b). The write is an undoable :class:`RecordReadCommand`.
Refusals of the service (``BlindingError``, ``LockedError``, ``ValidationError``, ``PermissionError``) are
shown inline; nothing is saved then. A user who records no reads (``Capability.READ``) gets the table read-only:
no editor, no Record button (the window does not offer them the tab at all).

Only the signed-in user's own reads are ever requested; blinding is enforced by the services anyway.
Every service call runs on the runner's database lane; callbacks only update widgets.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hccreview.domain.changes import Changes
from hccreview.domain.records import Role
from hccreview.services import auth, reading
from hccreview.services.reading import BlindingError, LockedError, StaleDataError, ValidationError
from hccreview.services.review import Edit
from hccreview.services.session import StudySession
from hccreview.ui.commands import drop_failed, stale_text
from hccreview.ui.dialogs.reason import ReasonDialog
from hccreview.ui.dialogs.signature import SignatureDialog
from hccreview.ui.operations import run_write
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.read_commands import RecordReadCommand
from hccreview.ui.visibility import may_edit_reads
from hccreview.ui.wording import field_label

ERROR_STYLE = "QLabel { color: #c62828; }"
INFO_STYLE = "QLabel { color: palette(window-text); }"
NOT_STATED = "not stated"  # what an empty choice says: a drop-down never shows a blank
NEW_LESION_CHOICES: tuple[tuple[str, bool | None], ...] = ((NOT_STATED, None), ("No", False), ("Yes", True))
COLUMNS = ("Date", "Visit", "Target", "Non-target", "New lesion", "Overall", "Computed", "Recorded", "")
(COL_DATE, COL_VISIT, COL_TARGET, COL_NON_TARGET, COL_NEW, COL_OVERALL, COL_COMPUTED, COL_RECORDED,
 COL_BUTTON) = range(len(COLUMNS))  # fmt: skip


@dataclass(frozen=True)
class TimepointRow:
    """One timepoint to read: the prefilled components, the computed response and the reader's recorded read."""

    day: date
    visit: str
    target: str
    non_target: str
    new_lesion: bool | None
    computed: str
    rule: str
    recorded: str = ""
    recorded_reason: str = ""
    recorded_values: tuple[str, str, bool | None] | None = None  # target, non-target, new lesion as recorded
    submitted: str = ""  # when the read was submitted (final for its reader), "" while it is not


@dataclass(frozen=True)
class ReadEntryData:
    """What the panel shows for one patient; ``notice`` (when set) explains why nothing can be entered, ``hint``
    what the user should know to enter it (no measurements of theirs to prefill from; an adjudicator's own read)."""

    subject_id: str
    reader: str | None
    role: str | None
    rows: list[TimepointRow] = field(default_factory=list)
    notice: str = ""
    full_name: str = ""
    hint: str = ""


def _code(value: object, allowed: tuple[str, ...]) -> str:
    text = str(getattr(value, "value", value) or "").upper()
    return text if text in allowed else ""


def load_read_entry(session: StudySession, subject_id: str) -> ReadEntryData:
    """Worker function (database lane): the signed-in user's timepoints of ``subject_id``, prefilled."""
    user = auth.current_user(session)
    if user is None:
        return ReadEntryData(subject_id, None, None, notice="Sign in as a reader to record reads.")
    if user.role not in (Role.READER, Role.ADJUDICATOR):
        return ReadEntryData(subject_id, user.username, user.role.value,
                             notice=f"{user.username} ({user.role.value}): reads are entered by readers "
                                    "and adjudicators.", full_name=user.full_name)  # fmt: skip
    reader = user.username
    worklist = {item.subject_id: item for item in reading.reader_worklist(session)}
    own = reading.get_reads(session, subject_id, reader)  # only ever the signed-in user's own reads
    entries = {e.read.date: e for e in own.entries}
    computed = {tp.date: tp for tp in own.computed}
    item = worklist.get(subject_id)
    days = set(item.timepoints if item is not None else []) | set(entries) | set(computed)
    rows = []
    for day in sorted(days):
        entry, tp = entries.get(day), computed.get(day)
        target: object  # a computed Response, a recorded code, or "" (read through _code)
        non_target: object
        new: bool | None
        if tp is not None:
            target, non_target, new = tp.target, tp.non_target, tp.new_lesion
        elif entry is not None:
            target, non_target, new = entry.read.target, entry.read.non_target, entry.read.new_lesion
        else:
            target, non_target, new = "", "", None
        tgt, ntg = _code(target, reading.TARGET_CODES), _code(non_target, reading.NON_TARGET_CODES)
        response, rule = reading.computed_response(session, subject_id, reader, day, target=tgt, non_target=ntg,
                                                   new_lesion=new)  # fmt: skip
        visit = entry.read.visit if entry is not None else tp.visit if tp is not None else ""
        rows.append(TimepointRow(
            day, visit or "", tgt, ntg, new, response.value, rule,
            recorded=entry.read.overall if entry is not None else "",
            recorded_reason=entry.override_reason if entry is not None else "",
            submitted=entry.submitted_at if entry is not None else "",
            recorded_values=None if entry is None else (
                _code(entry.read.target, reading.TARGET_CODES), _code(entry.read.non_target, reading.NON_TARGET_CODES),
                None if entry.read.new_lesion is None else bool(entry.read.new_lesion),
            ),
        ))  # fmt: skip
    notice = "" if rows else f"{subject_id}: no assessment to read."
    hints = []
    if user.role is Role.ADJUDICATOR:
        hints.append("This is a read of your own, kept apart from the central readers' reads; to decide between "
                     "their reads use the Adjudication tab.")  # fmt: skip
    if rows and not own.computed:
        hints.append(f"You have measured no lesions of this patient, so nothing is prefilled: choose each response "
                     f"yourself (“{NOT_STATED}” until you do).")  # fmt: skip
    return ReadEntryData(subject_id, reader, user.role.value, rows, notice, user.full_name, " ".join(hints))


def changes_recorded_read(row: TimepointRow, values: tuple[str, str, bool | None, str]) -> bool:
    """Whether recording ``values`` (target, non-target, new lesion, overall) changes a read already recorded."""
    if row.recorded_values is None:
        return False
    target, non_target, new, overall = values
    return (target, non_target, new) != row.recorded_values or overall.upper() != row.recorded.upper()


def refusal_text(exc: BaseException) -> str:
    """A refused or failed read as one sentence for the panel."""
    if isinstance(exc, ValidationError):
        return f"Not recorded — {field_label(exc.field)}: {exc.reason}"
    if isinstance(exc, LockedError):
        return f"Not recorded — locked: {exc}"
    if isinstance(exc, StaleDataError):
        return stale_text(exc).replace("Not saved", "Not recorded", 1)
    if isinstance(exc, BlindingError):
        return f"Not recorded — blinded: {exc}"
    if isinstance(exc, PermissionError):
        return f"Not recorded — {exc}"
    return f"Failed: {type(exc).__name__}: {exc}"


@dataclass
class RowWidgets:
    """The editors of one timepoint row."""

    data: TimepointRow
    target: QComboBox
    non_target: QComboBox
    new_lesion: QComboBox
    overall: QComboBox
    computed: QTableWidgetItem
    button: QPushButton
    submit: QPushButton

    def values(self) -> tuple[str, str, bool | None, str]:
        """(target, non-target, new lesion, overall) as chosen (codes: "" where "not stated")."""
        return (self.target.currentData() or "", self.non_target.currentData() or "", self.new_lesion.currentData(),
                self.overall.currentData() or "")  # fmt: skip


class ReadEntryPanel(QWidget):
    """The "Reads" tab: the signed-in reader's (or adjudicator's own) read of each timepoint of one patient.

    Signals:
        status_message(str): a short message for the status bar (emitted after a write).
        loaded(object): the :class:`ReadEntryData` of the shown patient arrived and the table shows it.

    GUI thread only; every service call goes through ``runner`` (database lane), writes through
    :class:`RecordReadCommand` on ``undo_stack``.
    """

    status_message = Signal(str)
    loaded = Signal(object)

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("read_entry")
        self.session, self.bus, self.runner, self.undo_stack = context
        self.subject_id: str | None = None
        self.data: ReadEntryData | None = None
        self.rows: list[RowWidgets] = []
        self._busy = False
        self._stale = False

        self.header = QLabel("No patient selected")
        self.header.setObjectName("read_entry_header")
        self.header.setTextFormat(Qt.TextFormat.PlainText)
        self.header.setWordWrap(True)  # a hint may follow the patient and the user
        self.message = QLabel()
        self.message.setObjectName("read_entry_message")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("read_entry_table")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        self.bus.changed.connect(self._changed)

    # ------------------------------------------------------------------ loading
    def show_subject(self, subject_id: str | None) -> None:
        """Show ``subject_id``'s timepoints (None: nothing). Returns at once; the table fills when the load lands."""
        self.subject_id = subject_id
        self._hide_message()
        if subject_id is None:
            self._fill(None)
            return
        self.header.setText(f"{subject_id} — loading…")
        self.reload()

    def reload(self) -> None:
        """Load the shown patient again (after a write, or another user signed in); the newest load wins.

        A hidden panel only remembers to load when it is shown: stepping through patients costs nothing here. It
        keeps nothing of what it showed meanwhile (another patient, another user signed in).
        """
        if self.subject_id is None:
            return
        if not self.isVisible():
            self._stale = True
            if self.data is not None:
                self._fill(None)
                self.header.setText(f"{self.subject_id} — loading…")
            return
        self._stale = False
        self.runner.run(load_read_entry, self.session, self.subject_id, lane="db", key=f"read_entry:{id(self)}",
                        on_done=self._arrived, on_error=self._load_failed)  # fmt: skip

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def _arrived(self, data: ReadEntryData) -> None:
        if data.subject_id != self.subject_id:
            return
        self._fill(data)
        self.loaded.emit(data)

    def _load_failed(self, exc: BaseException) -> None:
        self._fill(None)
        self._show_message(f"Could not load the reads: {exc}", error=True)

    def _changed(self, changes: Changes, _initiator: object) -> None:
        if self.subject_id is None or not (changes.study or self.subject_id in changes.subjects):
            return
        self.reload()

    def _fill(self, data: ReadEntryData | None) -> None:
        self.data = data
        self.rows = []
        self.table.setRowCount(0)
        if data is None:
            self.header.setText("No patient selected")
            return
        if data.reader is None:
            header = f"{data.subject_id} — nobody signed in"
        else:
            name = data.full_name or data.reader
            header = f"{data.subject_id} — your reads ({name}, {data.role})"
        extra = " ".join(text for text in (data.notice, data.hint) if text)
        self.header.setText(f"{header}. {extra}" if extra else header)
        self.table.setRowCount(len(data.rows))
        for i, row in enumerate(data.rows):
            self.rows.append(self._fill_row(i, row))
        editable = may_edit_reads(self.session.access) and not data.notice
        for widgets in self.rows:  # read-only for a user who records no reads, and once submitted (DESIGN §4b)
            open_row = editable and not widgets.data.submitted
            for combo in (widgets.target, widgets.non_target, widgets.new_lesion, widgets.overall):
                combo.setEnabled(open_row)
            widgets.button.setVisible(open_row)
            widgets.submit.setVisible(open_row and bool(widgets.data.recorded))

    def _fill_row(self, i: int, row: TimepointRow) -> RowWidgets:
        self.table.setItem(i, COL_DATE, QTableWidgetItem(row.day.isoformat()))
        self.table.setItem(i, COL_VISIT, QTableWidgetItem(row.visit))
        target = self._combo(("", *reading.TARGET_CODES), row.target, f"target_{i}")
        non_target = self._combo(("", *reading.NON_TARGET_CODES), row.non_target, f"non_target_{i}")
        new_lesion = QComboBox()
        new_lesion.setObjectName(f"new_lesion_{i}")
        for text, value in NEW_LESION_CHOICES:
            new_lesion.addItem(text, value)
        new = None if row.new_lesion is None else bool(row.new_lesion)
        new_lesion.setCurrentIndex(next(k for k, (_t, v) in enumerate(NEW_LESION_CHOICES) if v is new))
        overall = self._combo(reading.OVERALL_CODES, row.computed, f"overall_{i}")
        computed = QTableWidgetItem(row.computed)
        computed.setToolTip(row.rule)
        recorded = row.recorded + (f" (override: {row.recorded_reason})" if row.recorded_reason else "")
        if row.submitted:
            recorded += f" — submitted {row.submitted[:10]}"
        button = QPushButton("Record")
        button.setObjectName(f"record_{i}")
        button.setToolTip(f"Record your read of {row.day.isoformat()} (undoable; audited)")
        submit = QPushButton("Submit…")
        submit.setObjectName(f"submit_{i}")
        submit.setToolTip(f"Submit your read of {row.day.isoformat()}: your password is asked; the read and your "
                          "measurements of that date become final for you (audited; not undoable)")  # fmt: skip
        buttons = QWidget()
        box = QHBoxLayout(buttons)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(button)
        box.addWidget(submit)
        for col, widget in ((COL_TARGET, target), (COL_NON_TARGET, non_target), (COL_NEW, new_lesion),
                            (COL_OVERALL, overall), (COL_BUTTON, buttons)):  # fmt: skip
            self.table.setCellWidget(i, col, widget)
        self.table.setItem(i, COL_COMPUTED, computed)
        self.table.setItem(i, COL_RECORDED, QTableWidgetItem(recorded or "—"))
        widgets = RowWidgets(row, target, non_target, new_lesion, overall, computed, button, submit)
        for combo in (target, non_target, new_lesion):
            combo.currentIndexChanged.connect(lambda _i, w=widgets: self._components_changed(w))
        button.clicked.connect(lambda _checked=False, w=widgets: self._record_row(w))
        submit.clicked.connect(lambda _checked=False, w=widgets: self._submit_row(w))
        return widgets

    @staticmethod
    def _combo(choices: tuple[str, ...], current: str, name: str) -> QComboBox:
        """A response drop-down: the codes as items (their data), the empty choice written "not stated"."""
        combo = QComboBox()
        combo.setObjectName(name)
        for code in choices:
            combo.addItem(code or NOT_STATED, code)
        if current and current not in choices:
            combo.addItem(current, current)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        return combo

    # ------------------------------------------------------------------ editing
    def _components_changed(self, widgets: RowWidgets) -> None:
        """The stated components changed: recompute the response (database lane); an untouched overall follows."""
        if self.data is None or self.data.reader is None:
            return
        target, non_target, new, _overall = widgets.values()
        self.runner.run(
            reading.computed_response, self.session, self.data.subject_id, self.data.reader, widgets.data.day,
            target=target, non_target=non_target, new_lesion=new, lane="db",
            key=f"read_entry_computed:{id(self)}:{widgets.data.day}",
            on_done=functools.partial(self._computed_arrived, widgets), on_error=self._refused,
        )  # fmt: skip

    def _computed_arrived(self, widgets: RowWidgets, result: tuple[object, str]) -> None:
        if widgets not in self.rows:
            return
        response, rule = result
        code = str(getattr(response, "value", response))
        if widgets.overall.currentText() == widgets.computed.text():  # not overridden by the reader: follow
            widgets.overall.setCurrentText(code)
        widgets.computed.setText(code)
        widgets.computed.setToolTip(rule)

    def record(self, index: int) -> None:
        """Record row ``index`` as chosen (what the row's Record button does)."""
        self._record_row(self.rows[index])

    def _record_row(self, widgets: RowWidgets) -> None:
        data = self.data
        if self._busy or data is None or data.reader is None or data.notice or not may_edit_reads(self.session.access):
            return
        self._busy = True
        self._hide_message()
        target, non_target, new, overall = widgets.values()
        self.runner.run(
            reading.computed_response, self.session, data.subject_id, data.reader, widgets.data.day,
            target=target, non_target=non_target, new_lesion=new, lane="db",
            on_done=lambda result: self._confirm(data, widgets.data, (target, non_target, new, overall), result),
            on_error=self._refused,
        )  # fmt: skip

    def _confirm(self, data: ReadEntryData, row: TimepointRow, values: tuple[str, str, bool | None, str],
                 result: tuple[object, str]) -> None:  # fmt: skip
        """The computed response arrived: ask a reason for an override, then push the command."""
        target, non_target, new, overall = values
        computed = str(getattr(result[0], "value", result[0]))
        reason: str | None = None
        if overall != computed:
            reason = self._ask_reason(
                "Override the computed response",
                f"{data.subject_id} {row.day.isoformat()}: you state {overall}; the rules engine computes {computed}"
                f" ({result[1]}). Why do you override it?", "an override needs a reason",
            )  # fmt: skip
            if reason is None:
                return
        change: str | None = None
        if changes_recorded_read(row, values):
            change = self._ask_reason(
                "Reason for the change",
                f"{data.subject_id} {row.day.isoformat()}: you recorded {row.recorded or 'a read'} and now record "
                f"{overall}. Why does your read change? (Recorded in the audit trail.)",
                "a change to a recorded read needs a reason",
            )  # fmt: skip
            if change is None:
                return
        command = RecordReadCommand(
            self.session, self.runner, self.bus, subject_id=data.subject_id, day=row.day, visit=row.visit,
            overall=overall, target=target, non_target=non_target, new_lesion=new, override_reason=reason,
            change_reason=change, expected={"overall": row.recorded}, initiator=self, on_done=self._written,
        )  # fmt: skip
        command.on_error = lambda exc, c=command: self._command_failed(c, exc)
        self.undo_stack.push(command)

    def submit(self, index: int) -> None:
        """Submit row ``index`` (what the row's Submit button does)."""
        self._submit_row(self.rows[index])

    def _submit_row(self, widgets: RowWidgets) -> None:
        """Ask the password (a signing act re-authenticates), then submit on the database lane."""
        data = self.data
        if self._busy or data is None or data.reader is None or not widgets.data.recorded or widgets.data.submitted:
            return
        password = SignatureDialog.ask(self, "submitted (final for me)", data.reader,
                                       subject=f"{data.subject_id} {widgets.data.day.isoformat()}")  # fmt: skip
        if password is None:
            return
        self._busy = True
        self._hide_message()
        run_write(self.runner, self.bus, reading.submit_read, self.session, data.subject_id, widgets.data.day,
                  password=password, initiator=self, on_done=self._submitted, on_error=self._refused)  # fmt: skip

    def _submitted(self, edit: Edit) -> None:
        self._busy = False
        self.status_message.emit(f"Read of {next(iter(edit.changes.subjects), '')} submitted (final; audited)")
        self.reload()

    def _ask_reason(self, title: str, prompt: str, refused: str) -> str | None:
        """A reason from the user, or None after telling them why nothing was recorded (the write is abandoned)."""
        text = ReasonDialog.ask(self, title, prompt)
        if text is None:
            self._busy = False
            self._show_message(f"Not recorded: {refused}.", error=True)
        return text

    def _written(self, edit: Edit) -> None:
        self._busy = False
        self.status_message.emit(f"Read of {next(iter(edit.changes.subjects), '')} saved (audited)")

    def _command_failed(self, command: RecordReadCommand, exc: BaseException) -> None:
        drop_failed(self.undo_stack, command)
        self._refused(exc)

    def _refused(self, exc: BaseException) -> None:
        self._busy = False
        self._show_message(refusal_text(exc), error=True)

    # ------------------------------------------------------------------ messages
    def _show_message(self, text: str, *, error: bool) -> None:
        self.message.setStyleSheet(ERROR_STYLE if error else INFO_STYLE)
        self.message.setText(text)
        self.message.show()

    def _hide_message(self) -> None:
        self.message.clear()
        self.message.hide()

    @property
    def busy(self) -> bool:
        """True while a read is being checked or written."""
        return self._busy
