"""The patient case view: header on top, tabs for timeline, tumour assessments, AEs, cycles, findings, audit.

Loading: :meth:`CaseView.show_subject` runs :func:`load_case_view` (``services.case_extra.load_case_detail`` and,
for a user who may see adjudications, whether the case is locked) on the runner's database lane under the
view's key (the runner's newest-wins: a load asked while another is queued or running supersedes it, so when the
reader steps fast only the last patient is loaded and drawn, and a change arriving during a load loads the case
again after it) and fills the panels on completion; the GUI thread only resets models and draws.

Access (DESIGN §4b): the tabs follow the signed-in user's policy (``ui.visibility.CASE_TAB_NEEDS``): a blinded
reader has no timeline, adverse-events, cycles or findings tab (unless the charter lets readers see clinical
data), the header shows only the read sources ``services.reading.allowed_sources`` allows, and only the user's
own rows of an unlocked case are editable. :meth:`CaseView.apply_access` re-applies it after another sign-in.

Editing: a panel's ``EditRequest`` becomes an undo command pushed on the window's QUndoStack (``ui.commands``).
A change to a value that was already recorded asks for a reason first (``ReasonDialog.ask``; cancelled: nothing
is written); the write gate below the service refuses anything the policy does not allow, and the refusal's
message is shown. The tumour tab's lesion-list actions (add a lesion, start a follow-up from the baseline lesions,
remove a lesion) are written the same way by ``ui.views.lesion_actions``. On the ChangeBus the case view reloads
when the change touches its patient (whoever made it), so the sums, responses and audit trail follow every edit,
undo and redo.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Protocol

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from hccreview.domain.access import AccessDenied, Capability
from hccreview.domain.calipers import Caliper
from hccreview.domain.changes import ChangeKind, Changes
from hccreview.services.case_extra import CaseDetail, load_case_detail
from hccreview.services.lesions import ReaderTimepoints, reader_timepoints
from hccreview.services.reading import allowed_sources
from hccreview.services.record_review import REVIEW_KINDS
from hccreview.services.review import StaleDataError, ValidationError
from hccreview.services.session import StudySession
from hccreview.ui.commands import (
    EditMeasurementCommand,
    EditReadCommand,
    MeasureOnImageCommand,
    ReviewEditCommand,
    drop_failed,
    measurement_values,
    stale_text,
)
from hccreview.ui.dialogs.reason import ReasonDialog
from hccreview.ui.models.case_models import EditRequest
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.views.case_adverse_events import CaseAdverseEvents
from hccreview.ui.views.case_audit import CaseAudit
from hccreview.ui.views.case_cycles import CaseCycles
from hccreview.ui.views.case_findings import CaseFindings
from hccreview.ui.views.case_header import CaseHeader, chip_style
from hccreview.ui.views.case_images import CaseImagesTab
from hccreview.ui.views.case_labs import CaseLabsTab
from hccreview.ui.views.case_queries import CaseQueries
from hccreview.ui.views.case_review_status import CaseReviewStatus
from hccreview.ui.views.case_timeline import CaseTimeline
from hccreview.ui.views.case_tumour import CaseTumour
from hccreview.ui.views.lesion_actions import LesionActions
from hccreview.ui.visibility import CASE_TAB_NEEDS, REVIEW_KIND_NEEDS, allows, may_do, own_evaluator
from hccreview.ui.wording import field_label, value_text

ERROR_COLOUR = "#c62828"
#: The tab titles without their counts (the counts follow the shown patient), in the tabs' order.
TAB_TITLES = {"timeline": "Ti&meline", "tumour": "&Tumour assessments", "images": "&Images",
              "adverse_events": "&Adverse events", "labs": "La&bs",
              "cycles": "C&ycles", "findings": "Fi&ndings", "audit": "A&udit", "queries": "&Queries"}  # fmt: skip
NO_REASON = "Not saved — a change to a recorded value needs a reason (audited); nothing was written."


def error_text(exc: BaseException) -> str:
    """A refused or failed edit as one sentence for the user (a refusal of the access policy says why)."""
    if isinstance(exc, ValidationError):
        return f"Not saved — {field_label(exc.field)} “{value_text(exc.value)}”: {exc.reason}."
    if isinstance(exc, StaleDataError):
        return stale_text(exc)
    if isinstance(exc, AccessDenied):
        return f"Not saved — {exc}"
    return f"Not saved — {type(exc).__name__}: {exc}"


def load_case_view(session: StudySession, subject_id: str) -> tuple[CaseDetail, bool, ReaderTimepoints | None]:
    """Worker function (database lane): the case, whether its signed adjudication locks it, and the patient's
    scan dates as the user's own lesion list sees them (None for a user who records none).

    The lock is asked only for a user who may see adjudications and edit their own reads (an adjudicator): for a
    blinded reader the lock is not known here (it would say the case went to adjudication); the write gate
    refuses their edit of a locked case with its own message.
    """
    detail = load_case_detail(session, subject_id)
    access = session.access
    locked = False
    if access.may(Capability.SEE_ADJUDICATION) and own_evaluator(access) is not None:
        from hccreview.services.adjudication_decisions import decision_for

        decision = decision_for(session, subject_id)
        locked = decision is not None and decision.locked
    timepoints = reader_timepoints(session, subject_id) if own_evaluator(access) is not None else None
    return detail, locked, timepoints


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def changes_recorded_value(request: EditRequest, values: dict[str, Any]) -> bool:
    """Whether an edit changes a value that was already recorded (DESIGN §4b: it then needs a reason)."""
    old = {request.field: request.old, "status": request.old_status}
    return any(not _blank(old.get(f)) and str(old[f]).strip().lower() != str(v).strip().lower()
               for f, v in values.items())  # fmt: skip


class _DetailTab(Protocol):
    """A case tab filled from the whole :class:`CaseDetail` (the adverse events, cycles, findings, audit)."""

    def set_detail(self, detail: CaseDetail | None) -> None: ...


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

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.bus, self.runner, self.undo_stack = context
        self._wanted: str | None = None  # the subject asked for
        self._detail: CaseDetail | None = None  # what the panels show
        self._asked_at = 0.0
        self._load_key = f"case_view:{id(self)}"  # the runner's newest-wins key of this view's loads
        self._locked = False  # the shown case's adjudication is signed (known only to who may see it)
        self._timepoints: ReaderTimepoints | None = None  # the user's own lesion list's scan dates
        self.last_load_ms: float | None = None

        self.header = CaseHeader(self)
        self.review_status = CaseReviewStatus(context, self)  # issue 12: per-kind review
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.hide()
        self.timeline = CaseTimeline(self)
        self.tumour = CaseTumour(self)
        self.lesion_actions = LesionActions(context, self.tumour, self, done=self._edit_done,
                                            refused=self._edit_refused)  # fmt: skip
        self.images = CaseImagesTab(context, self)  # issue 21: read on the images
        self.adverse_events = CaseAdverseEvents(self)
        self.labs = CaseLabsTab(self)  # issue 23: graded laboratory values
        self.cycles = CaseCycles(self)
        self.findings = CaseFindings(self)
        self.audit = CaseAudit(self)
        self.queries = CaseQueries(context, self)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.panels: dict[str, QWidget] = {
            "timeline": self.timeline, "tumour": self.tumour, "images": self.images,
            "adverse_events": self.adverse_events, "labs": self.labs, "cycles": self.cycles,
            "findings": self.findings,
            "audit": self.audit, "queries": self.queries,
        }  # fmt: skip
        self._tips = {
            "timeline": "The patient's course: cycles, adverse events, assessments (Alt+M)",
            "tumour": "Lesion × timepoint grid, responses, spider plot (Alt+T)",
            "images": "Read on the images: prior beside current, calipers that are the grid's values (Alt+I)",
            "adverse_events": "CTCAE grades (source data: a disagreement is raised as a query) (Alt+A)",
            "labs": "Laboratory tests over time: CTCAE v5.0 grade, range flag, unit converted (Alt+B)",
            "cycles": "Treatment cycles and dose intensity (Alt+Y)",
            "findings": "Rules-engine and import findings (Alt+N)",
            "audit": "Every change to this patient's data that you may see (Alt+U)",
            "queries": "Query and comment threads on this patient and its records (Alt+Q)",
        }
        self.apply_access()
        self.tabs.setCurrentWidget(self.tumour)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.header)
        layout.addWidget(self.review_status)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)

        self.queries.count_changed.connect(self._queries_counted)
        self.queries.status_message.connect(self.status_message)
        self.review_status.status_message.connect(self.status_message)
        self.lesion_actions.status_message.connect(self.status_message)
        self.images.status_message.connect(self.status_message)
        self.tumour.reader_changed.connect(lambda _r: self._fill_images(self._detail, self._own()))
        self.images.caliper_drawn.connect(self.request_caliper, Qt.ConnectionType.QueuedConnection)
        self.tabs.currentChanged.connect(lambda _index: self.review_status.set_current_tab(self.current_tab()))
        self.review_status.set_current_tab(self.current_tab())
        # queued: a reason prompt must not open inside the grid editor's commit (the editor closes first)
        self.tumour.edit_requested.connect(self.request_edit, Qt.ConnectionType.QueuedConnection)
        self.bus.changed.connect(self._on_changed)

    # ------------------------------------------------------------------ access (DESIGN §4b)
    def apply_access(self) -> None:
        """Show the tabs the signed-in user may see, in their order; the others are taken out (absent) and
        emptied. Call again after another user signed in (the case is reloaded by the window)."""
        access = self.session.access
        current = self.tabs.currentWidget()
        wanted = [name for name in self.panels if allows(access, CASE_TAB_NEEDS.get(name))]
        if [self.tabs.widget(i) for i in range(self.tabs.count())] != [self.panels[n] for n in wanted]:
            blocked = self.tabs.blockSignals(True)
            while self.tabs.count():
                self.tabs.removeTab(0)
            for name in wanted:
                index = self.tabs.addTab(self.panels[name], TAB_TITLES[name])
                self.tabs.setTabToolTip(index, self._tips[name])
            for name, panel in self.panels.items():
                if name not in wanted:
                    panel.hide()
                    getattr(panel, "set_detail", lambda _d: None)(None)  # nothing of the last user stays in it
            self.tabs.blockSignals(blocked)
        if current is not None and self.tabs.indexOf(current) >= 0:
            self.tabs.setCurrentWidget(current)
        self._update_tab_titles(self._detail)
        self.review_status.setVisible(may_do(access, "mark_reviewed"))  # the marks are the user's own
        self.review_status.show_kinds({k for k in REVIEW_KINDS if allows(access, REVIEW_KIND_NEEDS.get(k))})
        self.review_status.set_current_tab(self.current_tab())

    def current_tab(self) -> str:
        """The name (a key of :attr:`panels`) of the tab shown, "" when none."""
        return next((n for n, p in self.panels.items() if p is self.tabs.currentWidget()), "")

    def tab_index(self, name: str) -> int:
        """The index of the tab ``name`` (a key of :attr:`panels`), -1 when the user may not see it."""
        return self.tabs.indexOf(self.panels[name])

    def shows(self, name: str) -> bool:
        """Whether the tab ``name`` is part of the view for the signed-in user."""
        return self.tab_index(name) >= 0

    # ------------------------------------------------------------------ state (for the window's QSettings)
    def save_state(self) -> dict[str, Any]:
        """The view's layout: current tab (by name: another user may have fewer tabs) and the tumour tab's grid /
        spider split."""
        current = next((n for n, p in self.panels.items() if p is self.tabs.currentWidget()), "tumour")
        return {"tab": current, "tumour_split": bytes(self.tumour.splitter.saveState().data()).hex()}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`save_state`'s value; unknown or damaged entries, and tabs the user may not see, are
        ignored."""
        tab = state.get("tab")
        if isinstance(tab, str) and tab in self.panels and self.shows(tab):
            self.tabs.setCurrentWidget(self.panels[tab])
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
        """Load ``subject_id`` under the view's key: it supersedes a load queued or running (whose result is
        dropped; a queued one never runs), so stepping through 40 patients in a second costs about two loads, not
        forty, and a reload asked during a load (a change arrived) runs after it."""
        self._asked_at = time.perf_counter()
        self.runner.run(
            load_case_view, self.session, subject_id, key=self._load_key, lane="db", on_done=self._filled,
            on_error=lambda exc: self._load_failed(subject_id, exc),
        )  # fmt: skip

    def _filled(self, loaded: tuple[CaseDetail, bool, ReaderTimepoints | None]) -> None:
        detail, locked, timepoints = loaded
        if detail.subject_id != self._wanted:  # the view was cleared meanwhile (no load supersedes that)
            return
        self._locked, self._timepoints = locked, timepoints
        self._fill(detail)
        self.last_load_ms = (time.perf_counter() - self._asked_at) * 1000
        self.loaded.emit(detail.subject_id)

    @property
    def locked(self) -> bool:
        """The shown case is locked by a signed adjudication (known only to users who may see adjudications)."""
        return self._locked

    def _fill(self, detail: CaseDetail | None) -> None:
        self._detail = detail
        access = self.session.access
        sources = allowed_sources(self.session, list(detail.case.outcomes)) if detail is not None else []
        if detail is not None:
            self.header.set_detail(detail, sources=sources, clinical=access.may(Capability.SEE_CLINICAL))
        own = None if self._locked else own_evaluator(access)
        timepoints = self._timepoints if detail is not None and own is not None else None
        self.tumour.set_detail(detail, editable=own, timepoints=timepoints)
        if self.shows("images"):
            self._fill_images(detail, own)
        self.lesion_actions.set_case(detail.subject_id if detail is not None else None, timepoints)
        tables: dict[str, _DetailTab] = {"adverse_events": self.adverse_events, "labs": self.labs,
                                         "cycles": self.cycles, "findings": self.findings,
                                         "audit": self.audit}  # fmt: skip
        for name, tab in tables.items():
            if self.shows(name):
                tab.set_detail(detail)
        if self.shows("timeline"):
            self.timeline.set_detail(detail, source=sources[0] if sources else None)
        self._update_tab_titles(detail)

    def _own(self) -> str | None:
        """The evaluator whose rows the user may edit on this case (None when locked or when they have none)."""
        return None if self._locked else own_evaluator(self.session.access)

    def _fill_images(self, detail: CaseDetail | None, own: str | None) -> None:
        """The Images tab: the user's own read when they have one for this patient (editable unless locked), else
        the read picked in the tumour panel; for those who may see other reads, the central readers' calipers
        can be laid over it (the adjudicator's 2 + 1 view). A blinded reader gets their own only."""
        access = self.session.access
        mine = own_evaluator(access)
        lesions = detail.case.lesions if detail is not None else {}
        central = [
            r for r in (detail.case.readers if detail is not None else []) if r in lesions and r != "investigator"
        ]
        picked = self.tumour.current_reader
        if mine in lesions:
            evaluator: str | None = mine
        elif picked in central or not central:
            evaluator = picked or next(iter(lesions), None)
        else:
            evaluator = central[0]  # the 2 + 1 view starts from the first central reader, the other laid over it
        others = [r for r in central if r != evaluator] if access.may(Capability.SEE_OTHER_READS) else []
        self.images.set_detail(detail, evaluator=evaluator, editable=own is not None and evaluator == own,
                               others=others)  # fmt: skip

    def _update_tab_titles(self, detail: CaseDetail | None) -> None:
        counts: dict[str, int] = {}
        if detail is not None:
            counts = {"adverse_events": len(detail.case.adverse_events), "cycles": len(detail.case.cycles),
                      "findings": self.findings.count, "audit": len(detail.audit)}  # fmt: skip
        for name in ("adverse_events", "cycles", "findings", "audit"):
            index, base = self.tab_index(name), TAB_TITLES[name]
            if index >= 0:
                self.tabs.setTabText(index, f"{base} ({counts[name]})" if name in counts else base)
        index, severe = self.tab_index("labs"), self.labs.severe_count  # the badge: values at grade >= 3
        if index >= 0:
            self.tabs.setTabText(
                index, f"{TAB_TITLES['labs']} ⚠" if severe else TAB_TITLES["labs"]
            )  # the count: tooltip
            self.tabs.setTabToolTip(index, f"{severe} laboratory value(s) of CTCAE grade ≥3" if severe
                                    else "Laboratory values with their CTCAE v5.0 grades")  # fmt: skip

    def _load_failed(self, subject: str, exc: BaseException) -> None:
        if subject != self._wanted:
            return
        self._fill(None)
        reason = "not in this study" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
        self.header.clear(f"{subject}: cannot be shown ({reason})")
        self.status_message.emit(f"Could not load {subject}: {reason}")

    def _queries_counted(self, open_count: int) -> None:
        """The Queries tab's badge: its open-query count (from the tab's own load)."""
        index = self.tab_index("queries")
        if index >= 0:
            self.tabs.setTabText(index, f"&Queries ({open_count} open)" if open_count else "&Queries")

    def _on_changed(self, changes: Changes, initiator: object) -> None:
        """ChangeBus handler (GUI thread): reload when the write touched the shown patient."""
        if changes.only(ChangeKind.QUERIES):
            return  # a thread changed: the Queries tab reloads itself, the case's records did not change
        if self._wanted is not None and changes.touches(self._wanted):
            self.reload()

    # ------------------------------------------------------------------ editing
    def request_edit(self, request: EditRequest) -> ReviewEditCommand | None:
        """Turn a panel's edit request into an undo command and push it (the push runs the edit)."""
        if not self.ready or request.subject_id != self._wanted:
            self._show_error("Not saved — the patient is still loading; try again.")
            return None
        if request.kind == "measurement":
            values = measurement_values(request.value, request.field, request.old_status)
        elif request.kind == "read":
            values = {request.field: request.value}
        else:
            raise ValueError(f"unknown edit kind {request.kind!r}")
        reason: str | None = None
        if changes_recorded_value(request, values):
            reason = self._ask_reason(request)
            if reason is None:
                self._show_error(NO_REASON)
                self.edit_failed.emit(NO_REASON)
                return None
        options: dict[str, Any] = {"initiator": self, "reason": reason}
        if request.kind == "measurement":
            command: ReviewEditCommand = EditMeasurementCommand(
                self.session, self.runner, self.bus, measurement_id=request.key, values=values,
                old_values={request.field: request.old, "status": request.old_status},
                lesion_id=request.label, when=request.when, **options,
            )  # fmt: skip
        else:
            command = EditReadCommand(
                self.session, self.runner, self.bus, read_id=request.key, values=values,
                old_values={request.field: request.old}, reader=request.label, when=request.when, **options,
            )  # fmt: skip
        text = command.text()
        command.on_error = lambda exc, cmd=command: self._edit_refused(cmd, exc)
        command.on_done = lambda edit, t=text: self._edit_done(t)
        self.undo_stack.push(command)
        return command

    def request_caliper(self, measurement_id: int, caliper: Caliper) -> ReviewEditCommand | None:
        """A caliper drawn or moved on the Images tab: an undoable edit of its measurement's values (issue 21),
        asking a reason when a recorded value changes, like a typed one."""
        detail = self._detail
        found = None
        if detail is not None and self.ready:
            found = next(((m, r) for r, ms in detail.case.measurements.items() for mid, m in ms
                          if mid == measurement_id), None)  # fmt: skip
        if found is None:
            self._show_error("Not saved — the patient is still loading; try again.")
            return None
        m, _reader = found
        new = caliper.values()
        old = {f: getattr(m, f) for f in ("diameter_mm", "short_axis_mm", "viable_mm")}
        changed = [f for f, v in new.items() if not _blank(old.get(f)) and abs(float(old[f]) - v) >= 0.05]
        reason: str | None = None
        if changed:
            day = m.date.isoformat()
            listed = ", ".join(f"{field_label(f)} {old[f]:g} → {new[f]:g} mm" for f in changed)
            reason = ReasonDialog.ask(self, "Reason for the change",
                                      f"{m.subject_id} {m.lesion_id} on {day}: the caliper changes a recorded value "
                                      f"({listed}). Why? (Recorded in the audit trail.)")  # fmt: skip
            if reason is None:
                self._show_error(NO_REASON)
                self.edit_failed.emit(NO_REASON)
                self.images.refresh()
                return None
        command = MeasureOnImageCommand(self.session, self.runner, self.bus, measurement_id=measurement_id,
                                        caliper=caliper, old_values=old, lesion_id=m.lesion_id, when=m.date,
                                        initiator=self, reason=reason)  # fmt: skip
        text = command.text()
        command.on_error = lambda exc, cmd=command: self._edit_refused(cmd, exc)
        command.on_done = lambda edit, t=text: self._edit_done(t)
        self.undo_stack.push(command)
        return command

    def _ask_reason(self, request: EditRequest) -> str | None:
        """Ask why a recorded value changes (21 CFR Part 11 §11.10(e)); None when the user cancels."""
        what = "stated response" if request.kind == "read" else request.field.removesuffix("_mm").replace("_", " ")
        day = f" on {request.when.isoformat()}" if request.when else ""
        old = "—" if _blank(request.old) else request.old
        return ReasonDialog.ask(
            self, "Reason for the change",
            f"{request.subject_id} {request.label}{day}: the {what} was recorded as {old}; you change it to "
            f"{str(request.value).strip()}. Why? (Recorded in the audit trail.)",
        )  # fmt: skip

    def _edit_done(self, text: str) -> None:
        self._hide_message()
        self.status_message.emit(f"Saved: {text} (Ctrl+Z undoes)")

    def _edit_refused(self, command: ReviewEditCommand, exc: BaseException) -> None:
        text = error_text(exc)
        drop_failed(self.undo_stack, command)  # may delete the command: do not touch it afterwards
        self.images.refresh()  # a caliper drawn but refused is not left on the image as if saved
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
