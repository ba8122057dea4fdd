"""The case view's review-status strip: each record kind's state, "mark reviewed" per kind or for the patient.

Shows, for the patient in the case view, baseline / cycles / adverse events / assessments as *not reviewed*,
*reviewed* (by whom, when — tooltip) or *changed since review* (what changed: the first lines below, all of them
in the tooltip), and a banner when a data transfer sent a signed adjudication back ("needs re-adjudication").
Marking pushes a :class:`~hccreview.ui.record_review_commands.MarkReviewedCommand` on the window's undo stack.
Every state shown and every mark is the signed-in user's own (issue 17 item 6): another reviewer's marks never
show here, and marking never changes theirs.
"""

from __future__ import annotations

from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from hccreview.domain.changes import Changes
from hccreview.services.record_review import (
    CHANGED,
    KIND_TITLES,
    REVIEW_KINDS,
    REVIEWED,
    PatientReview,
    patient_review,
)
from hccreview.services.session import StudySession
from hccreview.ui.bus import ChangeBus
from hccreview.ui.record_review_commands import MarkReviewedCommand
from hccreview.ui.workers import Runner

_COLOURS = {REVIEWED: "#2e7d32", CHANGED: "#e65100"}
_SHOWN_LINES = 3


class CaseReviewStatus(QWidget):
    """Review status per record kind of one patient, with mark-reviewed buttons. GUI thread only; the status is
    loaded in the runner's database lane (callbacks run on the GUI thread and only fill labels). No signals."""

    def __init__(
        self, session: StudySession, runner: Runner, bus: ChangeBus, undo_stack: QUndoStack, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.session, self.runner, self.bus, self.undo_stack = session, runner, bus, undo_stack
        self.setObjectName("case_review_status")
        self._subject: str | None = None
        self.review: PatientReview | None = None
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        self._grid = grid
        self.states: dict[str, QLabel] = {}
        self.buttons: dict[str, QPushButton] = {}
        self.titles: dict[str, QLabel] = {}
        for column, kind in enumerate(REVIEW_KINDS):
            state = QLabel("—")
            state.setObjectName(f"review_state_{kind}")
            button = QPushButton("Mark reviewed")
            button.setObjectName(f"mark_{kind}")
            button.setToolTip(f"Mark {KIND_TITLES[kind].lower()} of this patient reviewed by you (undoable)")
            button.clicked.connect(lambda _checked=False, k=kind: self.mark([k]))
            self.titles[kind] = QLabel(f"<b>{KIND_TITLES[kind]}</b>")
            grid.addWidget(self.titles[kind], 0, column)
            grid.addWidget(state, 1, column)
            grid.addWidget(button, 2, column)
            self.states[kind], self.buttons[kind] = state, button
        self.mark_all = QPushButton("Mark &patient reviewed")
        self.mark_all.setObjectName("mark_patient_reviewed")
        self.mark_all.setToolTip("Mark every record kind of this patient reviewed by you (each user has their own)")
        self.mark_all.clicked.connect(lambda: self.mark(None))
        self.changes = QLabel()
        self.changes.setObjectName("review_changes")
        self.changes.setWordWrap(True)
        self.banner = QLabel()
        self.banner.setObjectName("readjudication_banner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("color: #b71c1c; font-weight: bold;")
        top = QHBoxLayout()
        top.addLayout(grid, 1)
        top.addWidget(self.mark_all)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addLayout(top)
        layout.addWidget(self.changes)
        layout.addWidget(self.banner)
        self._fill(None)
        bus.changed.connect(self._on_changed)

    def show_kinds(self, kinds: set[str]) -> None:
        """Show only the record kinds of ``kinds`` (the case view passes those the user may see: DESIGN §4b)."""
        for kind in REVIEW_KINDS:
            for widget in (self.titles[kind], self.states[kind], self.buttons[kind]):
                widget.setVisible(kind in kinds)
        fewer = any(kind not in kinds for kind in REVIEW_KINDS)  # the kinds shown keep their width, left-aligned
        self._grid.setColumnStretch(len(REVIEW_KINDS), 1 if fewer else 0)

    def show_subject(self, subject_id: str | None) -> None:
        """Show ``subject_id``'s status (loads in the database lane; None clears)."""
        self._subject = subject_id
        if subject_id is None:
            self._fill(None)
            return
        self.runner.run(patient_review, self.session, subject_id, key="case_review_status", lane="db",
                        on_done=self._loaded, on_error=lambda _exc: self._fill(None))  # fmt: skip

    def mark(self, kinds: list[str] | None) -> None:
        """Mark ``kinds`` (None: the whole patient) reviewed, as an undoable command."""
        if self._subject is None:
            return
        self.undo_stack.push(MarkReviewedCommand(self.session, self.runner, self.bus, subject_id=self._subject,
                                                 kinds=kinds))  # fmt: skip

    def _loaded(self, review: PatientReview) -> None:
        if review.subject_id == self._subject:
            self._fill(review)

    def _fill(self, review: PatientReview | None) -> None:
        self.review = review
        enabled = review is not None
        self.mark_all.setEnabled(enabled and any(s.state != REVIEWED for s in review.kinds.values()))
        lines: list[str] = []
        for kind in REVIEW_KINDS:
            label, button = self.states[kind], self.buttons[kind]
            status = review.kinds.get(kind) if review is not None else None
            if status is None:
                label.setText("—")
                label.setToolTip("")
                label.setStyleSheet("")
                button.setEnabled(False)
                continue
            count = f" ({len(status.changes)})" if status.changes else ""
            label.setText(status.state + count)
            label.setStyleSheet(f"color: {_COLOURS[status.state]};" if status.state in _COLOURS else "")
            tip = f"reviewed by {status.reviewed_by} at {status.reviewed_at[:16]} UTC" if status.reviewed_by else ""
            if status.changes:
                tip += "\nchanged since:\n" + "\n".join(status.changes)
            label.setToolTip(tip.strip() or "not reviewed by you yet")
            button.setEnabled(status.state != REVIEWED)
            lines += [f"{KIND_TITLES[kind]}: {line}" for line in status.changes]
        more = f" … and {len(lines) - _SHOWN_LINES} more (tooltips)" if len(lines) > _SHOWN_LINES else ""
        self.changes.setText("\n".join(lines[:_SHOWN_LINES]) + more)
        self.changes.setVisible(bool(lines))
        flags = review.readjudication if review is not None else []
        self.banner.setText("Needs re-adjudication: " + " | ".join(flags) if flags else "")
        self.banner.setVisible(bool(flags))

    def _on_changed(self, changes: Changes, _initiator: object) -> None:
        if self._subject is not None and changes.touches(self._subject):
            self.show_subject(self._subject)
