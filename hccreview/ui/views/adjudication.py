"""The adjudication panel (issue 7 items 3, 4, 7): discordance queue, both reads side by side, decision,
e-signature, re-opening, reader performance.

Left, the discordance queue (central A vs B, or central vs investigator); right, the shown case
(:class:`CaseComparisonView`), the same case on the images (:class:`AdjudicationImages`, issue 22: both readers'
calipers in two colours, the per-lesion differences) and a "Reader performance" tab. The adjudicator chooses a read
— a discordance code and a reason are asked (:class:`DecisionReasonDialog`) and an :class:`AdjudicateCommand` is
pushed on the window's undo stack — and signs (:class:`SignatureDialog`; ``adjudication.sign_adjudication`` through
``ui.operations.run_write``, which publishes its Changes; a wrong password signs nothing). After a signature the
undo stack is cleared (a signed decision cannot be undone) and the panel says so. An admin re-opens a signed case
with a reason.

Every service call runs on the runner's database lane (keys ``adj-queue``, ``adj-case``, ``adj-perf``: newest
wins); callbacks arrive on the GUI thread and only fill models. Blinding: for a reader-role user the panel
shows :data:`BLINDED_MESSAGE` and asks only ``adjudication_ui.load_queue``, which checks the study's blinding
before any adjudication call — no call that the services would refuse is made.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.records import Role
from hccreview.services import adjudication
from hccreview.services.adjudication import Comparison, Signature
from hccreview.services.adjudication_ui import BLINDED_MESSAGE, QueueSnapshot, can_decide, can_reopen, load_queue
from hccreview.services.adjudication_ui import load_performance as load_reader_performance
from hccreview.services.auth import AuthError
from hccreview.services.review import Edit, StaleDataError, ValidationError
from hccreview.ui.adjudication_commands import AdjudicateCommand
from hccreview.ui.adjudication_style import chip_style
from hccreview.ui.commands import drop_failed, stale_text
from hccreview.ui.dialogs.reason import ReasonDialog
from hccreview.ui.dialogs.signature import SignatureDialog
from hccreview.ui.operations import run_write
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.views.adjudication_case import CaseComparisonView
from hccreview.ui.views.adjudication_images import AdjudicationImages
from hccreview.ui.views.adjudication_performance import ReaderPerformanceView
from hccreview.ui.views.adjudication_queue import QueueView
from hccreview.ui.views.adjudication_reason import DecisionReasonDialog
from hccreview.ui.views.reader_exchange import ReaderExchangePanel
from hccreview.ui.wording import field_label
from hccreview.ui.workers import Debouncer

#: Record kinds whose change can alter the queue, a comparison or the figures.
RELEVANT_KINDS = frozenset({ChangeKind.ADJUDICATIONS, ChangeKind.SIGNATURES, ChangeKind.READS, ChangeKind.MEASUREMENTS,
                            ChangeKind.LESIONS, ChangeKind.BLINDING})  # fmt: skip
ERROR_COLOUR, INFO_COLOUR = "#c62828", "#2e7d32"
QUEUE_SHARE = 0.39  # of the panel's width, on the first show (both reads' columns fit beside it at 1366 px)
QUEUE_SHARE_IMAGES = 0.22  # while the Images tab is shown: the images get the room (the patient column stays)


def refusal_text(exc: BaseException) -> str:
    """A refused or failed adjudication action as one sentence."""
    if isinstance(exc, AuthError):
        return "Wrong password — nothing was signed."
    if isinstance(exc, ValidationError):
        return f"Not saved — {field_label(exc.field)}: {exc.reason}."
    if isinstance(exc, StaleDataError):
        return stale_text(exc)
    if isinstance(exc, PermissionError):  # LockedError and BlindingError are PermissionErrors
        return f"Refused — {exc}"
    return f"Failed — {type(exc).__name__}: {exc}"


class AdjudicationPanel(QWidget):
    """The adjudicator's panel on one open study.

    Signals (all emitted on the GUI thread):
        subject_activated(str): the user opened a queue row (double-click / Enter): show it in the case view.
        updated(): the queue and the shown case were (re)loaded and are on screen.
        counts_changed(dict): ``adjudication.queue_counts`` of the central queue ({} while blinded).
        status_message(str): a short message for the status bar (decision saved, signed, refused).

    Runner callbacks run on the GUI thread and only fill models and widgets; none touches the database.
    """

    subject_activated = Signal(str)
    updated = Signal()
    counts_changed = Signal(dict)
    status_message = Signal(str)

    TAB_CASE, TAB_IMAGES, TAB_PERFORMANCE = range(3)

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("adjudication_panel")
        self.session, self.bus, self.runner, self.undo_stack = context
        self.blinded = False
        self.snapshot: QueueSnapshot | None = None
        self.comparison: Comparison | None = None
        self.performance: dict[str, Any] | None = None
        self._wanted: str | None = None
        self._busy = False
        self._performance_stale = True
        self._sized = False  # the user set the queue / case split (or restore_state did): else QUEUE_SHARE
        self._sharing = False

        self.banner = QLabel(BLINDED_MESSAGE)
        self.banner.setObjectName("adjudication_blinded")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(chip_style("#5e35b1"))
        self.banner.hide()
        self.message = QLabel()
        self.message.setObjectName("adjudication_message")
        self.message.setWordWrap(True)
        self.message.hide()
        self.queue = QueueView(self)
        self.case = CaseComparisonView(self)
        self.performance_view = ReaderPerformanceView(self)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.case, "&Case")
        self.images = AdjudicationImages(context, self)  # builds nothing until a case the user may see arrives
        self.tabs.addTab(self.images, "&Images")
        self.tabs.setTabToolTip(self.TAB_IMAGES, "Both readers' calipers on the images, the per-lesion differences")
        self.tabs.addTab(self.performance_view, "Reader &performance")
        self.exchange_view = ReaderExchangePanel(context, self)
        self.tabs.addTab(self.exchange_view, "Reader e&xchange")
        self.splitter = QSplitter()
        self.splitter.addWidget(self.queue)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 1)  # about QUEUE_SHARE of any room the panel gains
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.splitterMoved.connect(self._split_moved)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.banner)
        layout.addWidget(self.message)
        layout.addWidget(self.splitter, 1)

        self._debounce = Debouncer(self.reload, 80, self)
        self.queue.kind_changed.connect(lambda _kind: self.reload())
        self.queue.subject_selected.connect(self.show_subject)
        self.queue.subject_activated.connect(self.subject_activated)
        self.case.choose_requested.connect(self.choose_reader)
        self.case.sign_requested.connect(self.sign)
        self.case.reopen_requested.connect(self.reopen)
        self.images.status_message.connect(self.status_message)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.bus.changed.connect(self._on_changed)
        self.reload()

    # ------------------------------------------------------------------ state
    @property
    def kind(self) -> str:
        return self.queue.kind

    def current_subject(self) -> str | None:
        return self._wanted

    def save_state(self) -> dict[str, Any]:
        return {"kind": self.kind, "split": self.splitter.sizes(), "tab": self.tabs.currentIndex()}

    def restore_state(self, state: dict[str, Any]) -> None:
        if state.get("kind") in ("central", "investigator"):
            self.queue.set_kind(state["kind"])
        split = state.get("split")
        if isinstance(split, list) and len(split) == 2 and all(isinstance(v, int) for v in split):
            self.splitter.setSizes(split)
            self._sized = True
        if state.get("tab") in (self.TAB_CASE, self.TAB_IMAGES, self.TAB_PERFORMANCE):
            self.tabs.setCurrentIndex(state["tab"])

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._share_room()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """The queue keeps QUEUE_SHARE of a new width (the window grew, the navigator gave way) until the user
        moves the splitter or a saved split is restored."""
        super().resizeEvent(event)
        self._share_room()

    def _share_room(self) -> None:
        if self._sized or self.width() <= 0 or not self.isVisible():
            return
        images = self.tabs.currentIndex() == self.TAB_IMAGES
        queue = int(self.width() * (QUEUE_SHARE_IMAGES if images else QUEUE_SHARE))
        if images:  # at least what the compact queue's columns need (long subject ids)
            queue = max(queue, self.queue.needed_width())
        self._sharing = True
        self.splitter.setSizes([queue, self.width() - queue])
        self._sharing = False

    def _split_moved(self, *_args: object) -> None:
        if not self._sharing:
            self._sized = True

    # ------------------------------------------------------------------ loading
    def reload(self) -> None:
        """Reload the queue (and then the shown case) on the database lane."""
        if self.session.role is Role.READER:
            self._show_blinded(True)  # until the study is known to be unblinded
        self.runner.run(load_queue, self.session, self.kind, key="adj-queue", lane="db",
                        on_done=self._queue_arrived, on_error=self._failed)  # fmt: skip
        self._performance_stale = True
        if self.tabs.currentIndex() == self.TAB_PERFORMANCE:
            self._load_performance()

    def _show_blinded(self, blinded: bool) -> None:
        self.blinded = blinded
        self.banner.setVisible(blinded)
        self.splitter.setVisible(not blinded)

    def _queue_arrived(self, view: QueueSnapshot) -> None:
        self.snapshot = view
        self._show_blinded(view.blinded)
        if view.blinded:
            self.queue.set_items([], {}, None)
            self._fill_case(None)
            self.counts_changed.emit({})
            self.updated.emit()
            return
        self.queue.set_items(view.items, view.counts, self._wanted)
        self.counts_changed.emit(dict(view.counts))
        current = self.queue.current_subject()
        if current is None:
            self._wanted = None
            self._fill_case(None)
            self.updated.emit()
        else:
            self._wanted = current
            self._load_case(current)

    def show_subject(self, subject_id: str) -> None:
        """Show one queued case (a click in the queue, or the main window's "next discordant")."""
        if self.blinded:
            return
        if self.queue.current_subject() != subject_id and self.queue.select(subject_id):
            return  # the queue's selection signal comes back here
        if subject_id != self._wanted:
            self.message.hide()  # a message is about the case it was given for
        self._wanted = subject_id
        self._load_case(subject_id)

    def _load_case(self, subject_id: str) -> None:
        self.runner.run(adjudication.case_comparison, self.session, subject_id, key="adj-case", lane="db",
                        on_done=self._case_arrived, on_error=self._failed)  # fmt: skip

    def _case_arrived(self, comparison: Comparison) -> None:
        if comparison.subject_id != self._wanted:
            return
        self._fill_case(comparison)
        self.updated.emit()

    def _fill_case(self, comparison: Comparison | None) -> None:
        self.comparison = comparison
        wanted = None if self.blinded else (comparison.subject_id if comparison is not None else None)
        if wanted != self.images.subject_id:
            self.images.set_subject(wanted)  # loads when its tab is shown
        user = self.session.signed_in
        self.case.set_comparison(
            comparison, can_decide=can_decide(self.session), can_reopen=can_reopen(self.session),
            username=user.username if user else None, busy=self._busy,
        )  # fmt: skip

    def _tab_changed(self, index: int) -> None:
        self.queue.set_compact(index == self.TAB_IMAGES)
        self._share_room()  # the Images tab takes more of the width (until the user sets the split)
        if index == self.TAB_PERFORMANCE and self._performance_stale:
            self._load_performance()

    def _load_performance(self) -> None:
        # load_performance checks the blinding itself before any call a blinded reader would be refused
        self._performance_stale = False
        self.performance_view.set_loading()
        self.runner.run(load_reader_performance, self.session, key="adj-perf", lane="db",
                        on_done=self._performance_arrived, on_error=self._failed)  # fmt: skip

    def _performance_arrived(self, perf: dict[str, Any] | None) -> None:
        self.performance = perf
        self.performance_view.set_performance(perf)

    def _failed(self, exc: BaseException) -> None:
        self._show_message(refusal_text(exc), error=True)

    def _on_changed(self, changes: Changes, _initiator: object) -> None:
        """ChangeBus handler (GUI thread): reload when a write may alter the queue or the shown case."""
        if changes.study or changes.kinds & RELEVANT_KINDS:
            self._debounce.trigger()

    # ------------------------------------------------------------------ stepping
    def next_case(self, *, forward: bool = True, status: str | None = "open") -> str | None:
        """Show the next (previous) queued case, only ``status`` ones by default; None at the end."""
        items = self.queue.model.items()
        target = adjudication.next_in_queue(items, self._wanted, forward=forward, status=status)
        if target is not None:
            self.show_subject(target)
        return target

    # ------------------------------------------------------------------ decisions
    def choose(self, number: int) -> AdjudicateCommand | None:
        """Choose read ``number`` (1 or 2, or 3 for an adjudicator's own read) for the shown case."""
        comparison = self.comparison
        if comparison is None or not 1 <= number <= len(comparison.choices):
            return None
        return self.choose_reader(comparison.choices[number - 1])

    def choose_reader(self, reader: str) -> AdjudicateCommand | None:
        """Ask the reason, then push an :class:`AdjudicateCommand` choosing ``reader``'s read."""
        comparison = self.comparison
        if comparison is None or reader not in comparison.choices:
            return None
        if not can_decide(self.session):
            self._show_message("Sign in as an adjudicator to decide.", error=True)
            return None
        if comparison.locked:
            self._show_message(f"{comparison.subject_id} is signed and locked: re-open it first.", error=True)
            return None
        number = comparison.choices.index(reader) + 1
        bor = comparison.sides[reader].bor.confirmed
        answer = DecisionReasonDialog.ask(
            self, f"Choose read {number} for {comparison.subject_id}",
            f"Read {number} ({reader}, best overall response {bor}) stands for {comparison.subject_id}.\n"
            "Why did the readers differ, and why this read? Both are recorded in the audit trail.",
        )  # fmt: skip
        if answer is None:
            return None
        command = AdjudicateCommand(
            self.session, self.runner, self.bus, subject_id=comparison.subject_id, chosen_reader=reader,
            reason=answer.reason, reason_code=answer.code, reason_other=answer.other,
            label=f"read {number} ({reader}, {bor})", initiator=self,
            expected=adjudication.seen_decision(comparison.decision),
        )  # fmt: skip
        text = command.text()
        command.on_done = lambda _edit: self._decided(text)
        command.on_error = lambda exc, cmd=command: self._decision_refused(cmd, exc)
        self.undo_stack.push(command)
        return command

    def _decided(self, text: str) -> None:
        self._show_message(f"Saved: {text}. Ctrl+Z undoes it until the case is signed.", error=False)

    def _decision_refused(self, command: AdjudicateCommand, exc: BaseException) -> None:
        drop_failed(self.undo_stack, command)  # may delete the command: do not touch it afterwards
        self._show_message(refusal_text(exc), error=True)

    def sign(self) -> None:
        """Ask the password (e-signature, meaning "adjudicated") and sign the shown decision."""
        comparison, user = self.comparison, self.session.signed_in
        if comparison is None or user is None or comparison.decision is None or comparison.locked:
            return
        decision = comparison.decision  # the signer sees what they sign: choice and discordance reason code
        what = f"{comparison.subject_id}: {decision.chosen_reader}'s read — {decision.reason_label}"
        password = SignatureDialog.ask(self, adjudication.SIGNATURE_MEANING,
                                       f"{user.full_name} ({user.username})", what)  # fmt: skip
        if password is None:
            return
        self._set_busy(True)
        run_write(
            self.runner, self.bus, adjudication.sign_adjudication, self.session, subject_id=comparison.subject_id,
            password=password, expected=adjudication.seen_decision(comparison.decision), initiator=self,
            on_done=self._signed, on_error=self._action_refused,
        )  # fmt: skip

    def _signed(self, signature: Signature) -> None:
        self._set_busy(False)
        self.undo_stack.clear()  # a signed decision cannot be undone (21 CFR Part 11 §11.70)
        text = (f"Signed {signature.subject_id} ({signature.meaning}) by {signature.full_name}; the case is locked. "
                "Undo history cleared: a signed decision cannot be undone.")  # fmt: skip
        self._show_message(text, error=False)

    def _action_refused(self, exc: BaseException) -> None:
        self._set_busy(False)
        self._show_message(refusal_text(exc), error=True)
        if isinstance(exc, StaleDataError):  # changed in another app instance: show what is stored now
            self.reload()

    def reopen(self) -> None:
        """Re-open the shown signed decision with a reason (adjudicator or admin; audited; not undoable)."""
        comparison = self.comparison
        if comparison is None or not comparison.locked or not can_reopen(self.session):
            return
        reason = ReasonDialog.ask(self, f"Re-open {comparison.subject_id}",
                                  f"Re-open the signed decision of {comparison.subject_id}? The signature stays in "
                                  "the record; the case then awaits a new decision. Why?")  # fmt: skip
        if reason is None:
            return
        self._set_busy(True)
        run_write(self.runner, self.bus, adjudication.reopen, self.session, subject_id=comparison.subject_id,
                  reason=reason, initiator=self, on_done=self._reopened, on_error=self._action_refused)  # fmt: skip

    def _reopened(self, edit: Edit) -> None:
        self._set_busy(False)
        subject = next(iter(edit.changes.subjects), "")
        self._show_message(f"Re-opened {subject}: it awaits a new decision.", error=False)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._fill_case(self.comparison)

    def _show_message(self, text: str, *, error: bool) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(chip_style(ERROR_COLOUR if error else INFO_COLOUR))
        self.message.show()
        self.status_message.emit(text)
