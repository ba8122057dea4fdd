"""The patient case view: header on top, tabs for timeline, tumour assessments, AEs, cycles, findings, audit.

Loading: :meth:`CaseView.show_subject` runs ``services.case_extra.load_case_detail`` on the runner's database
lane with ``key="case"`` (newest wins: when the reader steps fast only the last patient is drawn) and fills
the panels on completion; the GUI thread only resets models and draws. Editing: a panel's ``EditRequest``
becomes an undo command pushed on the window's QUndoStack (``ui.commands``); the service validates and
audits it; on the ChangeBus the case view reloads when the change touches its patient (whoever made it), so
the sums, responses and audit trail follow every edit, undo and redo.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from PySide6.QtCore import QByteArray, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from hccreview.domain.changes import Changes
from hccreview.services.case_extra import CaseDetail, load_case_detail
from hccreview.services.review import StaleDataError, ValidationError
from hccreview.services.session import StudySession
from hccreview.ui.bus import ChangeBus
from hccreview.ui.commands import (
    EditAdverseEventCommand,
    EditMeasurementCommand,
    EditReadCommand,
    ReviewEditCommand,
    drop_failed,
    measurement_values,
    stale_text,
)
from hccreview.ui.models.case_models import EditRequest
from hccreview.ui.views.case_adverse_events import CaseAdverseEvents
from hccreview.ui.views.case_audit import CaseAudit
from hccreview.ui.views.case_cycles import CaseCycles
from hccreview.ui.views.case_findings import CaseFindings
from hccreview.ui.views.case_header import CaseHeader, chip_style
from hccreview.ui.views.case_queries import CaseQueries
from hccreview.ui.views.case_review_status import CaseReviewStatus
from hccreview.ui.views.case_timeline import CaseTimeline
from hccreview.ui.views.case_tumour import CaseTumour
from hccreview.ui.workers import Runner

ERROR_COLOUR = "#c62828"


def error_text(exc: BaseException) -> str:
    """A refused or failed edit as one sentence for the user."""
    if isinstance(exc, ValidationError):
        return f"Not saved — {exc.field} {exc.value!r}: {exc.reason}."
    if isinstance(exc, StaleDataError):
        return stale_text(exc)
    return f"Not saved — {type(exc).__name__}: {exc}"


class CaseView(QWidget):
    """One patient's case, composed of the header and the tab panels.

    Signals (all emitted on the GUI thread):
        loaded(str): the panels now show this subject (after :meth:`show_subject` or a reload).
        status_message(str): a short message for the main window's status bar (edit saved / refused).
        edit_failed(str): an edit was refused or failed; nothing was saved (the message).

    Runner callbacks (``_filled``, ``_load_failed``, the commands' callbacks) run on the GUI thread; they
    must only reset models and draw — never touch the database (the runner's database lane does that).
    """

    loaded = Signal(str)
    status_message = Signal(str)
    edit_failed = Signal(str)

    TAB_TIMELINE, TAB_TUMOUR, TAB_AES, TAB_CYCLES, TAB_FINDINGS, TAB_AUDIT = range(6)
    TAB_QUERIES = 6  # issue 12 item 3: query / comment threads, with their open count on the tab

    def __init__(
        self,
        session: StudySession,
        bus: ChangeBus,
        runner: Runner,
        undo_stack: QUndoStack,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session, self.bus, self.runner, self.undo_stack = session, bus, runner, undo_stack
        self._wanted: str | None = None  # the subject asked for
        self._detail: CaseDetail | None = None  # what the panels show
        self._asked_at = 0.0
        self._in_flight: str | None = None  # the subject of the load under way
        self._again = False  # a newer request came in while loading
        self.last_load_ms: float | None = None

        self.header = CaseHeader(self)
        self.review_status = CaseReviewStatus(session, runner, bus, undo_stack, self)  # issue 12: per-kind review
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.hide()
        self.timeline = CaseTimeline(self)
        self.tumour = CaseTumour(self)
        self.adverse_events = CaseAdverseEvents(self)
        self.cycles = CaseCycles(self)
        self.findings = CaseFindings(self)
        self.audit = CaseAudit(self)
        self.queries = CaseQueries(session, bus, runner, self)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        for panel, title, tip in (
            (self.timeline, "Ti&meline", "The patient's course: cycles, adverse events, assessments (Alt+M)"),
            (self.tumour, "&Tumour assessments", "Lesion × timepoint grid, responses, spider plot (Alt+T)"),
            (self.adverse_events, "&Adverse events", "CTCAE grades; grade and attribution editable (Alt+A)"),
            (self.cycles, "C&ycles", "Treatment cycles and dose intensity (Alt+Y)"),
            (self.findings, "Fi&ndings", "Rules-engine and import findings (Alt+N)"),
            (self.audit, "A&udit trail", "Every change to this patient's data (Alt+U)"),
            (self.queries, "&Queries", "Query and comment threads on this patient and its records (Alt+Q)"),
        ):
            index = self.tabs.addTab(panel, title)
            self.tabs.setTabToolTip(index, tip)
        self.tabs.setCurrentIndex(self.TAB_TUMOUR)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.header)
        layout.addWidget(self.review_status)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)

        self.queries.count_changed.connect(self._queries_counted)
        self.queries.status_message.connect(self.status_message)
        self.tumour.edit_requested.connect(self.request_edit)
        self.adverse_events.edit_requested.connect(self.request_edit)
        self.bus.changed.connect(self._on_changed)

    # ------------------------------------------------------------------ state (for the window's QSettings)
    def save_state(self) -> dict[str, Any]:
        """The view's layout: current tab and the tumour tab's grid / spider split."""
        return {"tab": self.tabs.currentIndex(), "tumour_split": bytes(self.tumour.splitter.saveState().data()).hex()}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`save_state`'s value; unknown or damaged entries are ignored."""
        tab = state.get("tab")
        if isinstance(tab, int) and 0 <= tab < self.tabs.count():
            self.tabs.setCurrentIndex(tab)
        split = state.get("tumour_split")
        if isinstance(split, str):
            with contextlib.suppress(ValueError):
                self.tumour.splitter.restoreState(QByteArray(bytes.fromhex(split)))

    # ------------------------------------------------------------------ loading
    @property
    def subject_id(self) -> str | None:
        """The subject shown (or being loaded)."""
        return self._wanted

    @property
    def detail(self) -> CaseDetail | None:
        """What the panels show (None before the first load)."""
        return self._detail

    @property
    def ready(self) -> bool:
        """True when the panels show the subject asked for (edits are accepted)."""
        return self._detail is not None and self._detail.subject_id == self._wanted

    def show_subject(self, subject_id: str | None) -> None:
        """Show ``subject_id`` (None: nothing). Returns at once; the panels fill when the load lands."""
        if subject_id == self._wanted and self.ready:
            return
        self._wanted = subject_id
        self._hide_message()
        self.queries.show_subject(subject_id)
        self.review_status.show_subject(subject_id)
        if subject_id is None:  # a load under way is ignored when it lands
            self._fill(None)
            self.header.clear("No patient selected")
            return
        self.header.show_loading(subject_id)
        self._load(subject_id)

    def reload(self) -> None:
        """Load the shown subject again (after a change elsewhere)."""
        if self._wanted is not None:
            self._load(self._wanted)

    def _load(self, subject_id: str) -> None:
        """Start a load, or, while one is under way, remember to load the newest request when it lands.

        At most one load is queued on the database lane: stepping through 40 patients in a second costs two
        loads, not forty, and the last patient appears one load after the reader stops.
        """
        if self._in_flight is not None:
            self._again = True
            return
        self._in_flight = subject_id
        self._asked_at = time.perf_counter()
        self.runner.run(
            load_case_detail, self.session, subject_id,
            key="case", lane="db", on_done=self._filled, on_error=self._load_failed,
        )  # fmt: skip

    def _landed(self) -> bool:
        """A load ended; start the newest request if one came in meanwhile (returns whether it did)."""
        self._in_flight = None
        again, self._again = self._again, False
        if again and self._wanted is not None:
            self._load(self._wanted)
            return True
        return False

    def _filled(self, detail: CaseDetail) -> None:
        again = self._landed()
        if detail.subject_id != self._wanted:  # the reader has moved on
            return
        self._fill(detail)  # the right patient; a reload may follow when the data changed meanwhile
        if not again:
            self.last_load_ms = (time.perf_counter() - self._asked_at) * 1000
            self.loaded.emit(detail.subject_id)

    def _fill(self, detail: CaseDetail | None) -> None:
        self._detail = detail
        if detail is not None:
            self.header.set_detail(detail)
        self.tumour.set_detail(detail)
        self.adverse_events.set_detail(detail)
        self.cycles.set_detail(detail)
        self.findings.set_detail(detail)
        self.audit.set_detail(detail)
        self.timeline.set_detail(detail)
        self._update_tab_titles(detail)

    def _update_tab_titles(self, detail: CaseDetail | None) -> None:
        counts: dict[int, Any] = {}
        if detail is not None:
            counts = {self.TAB_AES: len(detail.case.adverse_events), self.TAB_CYCLES: len(detail.case.cycles),
                      self.TAB_FINDINGS: self.findings.count, self.TAB_AUDIT: len(detail.audit)}  # fmt: skip
        for index, base in ((self.TAB_AES, "&Adverse events"), (self.TAB_CYCLES, "C&ycles"),
                            (self.TAB_FINDINGS, "Fi&ndings"), (self.TAB_AUDIT, "A&udit trail")):  # fmt: skip
            self.tabs.setTabText(index, f"{base} ({counts[index]})" if index in counts else base)

    def _load_failed(self, exc: BaseException) -> None:
        subject = self._in_flight
        if self._landed() or subject != self._wanted:
            return
        self._fill(None)
        reason = "not in this study" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
        self.header.clear(f"{subject}: cannot be shown ({reason})")
        self.status_message.emit(f"Could not load {subject}: {reason}")

    def _queries_counted(self, open_count: int) -> None:
        """The Queries tab's badge: its open-query count (from the tab's own load)."""
        self.tabs.setTabText(self.TAB_QUERIES, f"&Queries ({open_count} open)" if open_count else "&Queries")

    def _on_changed(self, changes: Changes, initiator: object) -> None:
        """ChangeBus handler (GUI thread): reload when the write touched the shown patient."""
        if changes.kinds == {"queries"} and not changes.study:
            return  # a thread changed: the Queries tab reloads itself, the case's records did not change
        if self._wanted is not None and changes.touches(self._wanted):
            self.reload()

    # ------------------------------------------------------------------ editing
    def request_edit(self, request: EditRequest) -> ReviewEditCommand | None:
        """Turn a panel's edit request into an undo command and push it (the push runs the edit)."""
        if not self.ready or request.subject_id != self._wanted:
            self._show_error("Not saved — the patient is still loading; try again.")
            return None
        options: dict[str, Any] = {"initiator": self}
        if request.kind == "measurement":
            command: ReviewEditCommand = EditMeasurementCommand(
                self.session, self.runner, self.bus, measurement_id=request.key,
                values=measurement_values(request.value, request.field, request.old_status),
                old_values={request.field: request.old, "status": request.old_status},
                lesion_id=request.label, when=request.when, **options,
            )  # fmt: skip
        elif request.kind == "read":
            command = EditReadCommand(
                self.session, self.runner, self.bus, read_id=request.key, values={request.field: request.value},
                old_values={request.field: request.old}, reader=request.label, when=request.when, **options,
            )  # fmt: skip
        elif request.kind == "adverse_event":
            command = EditAdverseEventCommand(
                self.session, self.runner, self.bus, ae_id=request.key, values={request.field: request.value},
                old_values={request.field: request.old}, term=request.label, **options,
            )  # fmt: skip
        else:
            raise ValueError(f"unknown edit kind {request.kind!r}")
        text = command.text()
        command.on_error = lambda exc, cmd=command: self._edit_refused(cmd, exc)
        command.on_done = lambda edit, t=text: self._edit_done(t)
        self.undo_stack.push(command)
        return command

    def _edit_done(self, text: str) -> None:
        self._hide_message()
        self.status_message.emit(f"Saved: {text} (Ctrl+Z undoes)")

    def _edit_refused(self, command: ReviewEditCommand, exc: BaseException) -> None:
        text = error_text(exc)
        drop_failed(self.undo_stack, command)  # may delete the command: do not touch it afterwards
        self._show_error(text)
        self.edit_failed.emit(text)

    def _show_error(self, text: str) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(chip_style(ERROR_COLOUR))
        self.message.show()
        self.status_message.emit(text)

    def _hide_message(self) -> None:
        self.message.hide()
        self.message.clear()
