"""The case view's review-status strip: each record kind's state and the case's one "Mark … reviewed" button.

Shows, for the patient in the case view, baseline / cycles / adverse events / assessments as *not reviewed*,
*reviewed* (by whom, when — tooltip) or *changed since review* (what changed: the first lines below, all of them
in the tooltip), and a banner when a data transfer sent a signed adjudication back ("needs re-adjudication").

Marking has one entry point per case: :attr:`CaseReviewStatus.mark_button`. It marks the record kind of the case
view's current tab and says so ("Mark adverse events reviewed", Ctrl+Return; a tab that shows no single kind —
timeline, findings, audit trail, queries — marks the whole patient); its menu (:attr:`mark_menu`, also the
window's Review ▸ Mark reviewed) offers every kind the user reviews and the whole patient (Ctrl+Shift+Return).
Marking pushes a :class:`~hccreview.ui.record_review_commands.MarkReviewedCommand` on the window's undo stack.
Every state shown and every mark is the signed-in user's own: another reviewer's marks never show here, and
marking never changes theirs.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QMenu, QToolButton, QVBoxLayout, QWidget

from hccreview.domain.changes import Changes
from hccreview.services.record_review import (
    CHANGED,
    KIND_TITLES,
    REVIEW_KINDS,
    REVIEWED,
    PatientReview,
    patient_review,
)
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.record_review_commands import MarkReviewedCommand
from hccreview.ui.wording import words

_COLOURS = {REVIEWED: "#2e7d32", CHANGED: "#e65100"}
_SHOWN_LINES = 3
PATIENT = "patient"  # the whole patient: every record kind the user reviews
#: The record kind each case-view tab shows (the other tabs show no single kind: they mark the whole patient).
TAB_KINDS = {"tumour": "assessments", "adverse_events": "adverse_events", "cycles": "cycles"}
MARK_KIND_KEYS = ("Ctrl+Return", "Ctrl+Enter")
MARK_PATIENT_KEYS = ("Ctrl+Shift+Return", "Ctrl+Shift+Enter")


def mark_text(kind: str) -> str:
    """The action's words: "Mark adverse events reviewed", "Mark patient reviewed" (no accelerator)."""
    what = "patient" if kind == PATIENT else KIND_TITLES[kind].lower()
    return f"Mark {what} reviewed"


class CaseReviewStatus(QWidget):
    """Review status per record kind of one patient, with the case's one mark-reviewed button and its menu.

    Signals: status_message(str) after a mark was pushed (GUI thread). The status is loaded in the runner's
    database lane; the callbacks run on the GUI thread and only fill labels and enable actions.
    """

    status_message = Signal(str)

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.bus, self.runner, self.undo_stack = context
        self.setObjectName("case_review_status")
        self._subject: str | None = None
        self.review: PatientReview | None = None
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        self._grid = grid
        self.states: dict[str, QLabel] = {}
        self.titles: dict[str, QLabel] = {}
        for column, kind in enumerate(REVIEW_KINDS):
            state = QLabel("—")
            state.setObjectName(f"review_state_{kind}")
            self.titles[kind] = QLabel(f"<b>{KIND_TITLES[kind]}</b>")
            grid.addWidget(self.titles[kind], 0, column)
            grid.addWidget(state, 1, column)
            self.states[kind] = state
        self.mark_menu = QMenu("&Mark reviewed", self)
        self.mark_menu.setObjectName("mark_reviewed_menu")
        self.mark_menu.setToolTipsVisible(True)
        self.mark_actions: dict[str, QAction] = {}
        for kind in (*REVIEW_KINDS, PATIENT):
            if kind == PATIENT:
                self.mark_menu.addSeparator()
            action = QAction(mark_text(kind).replace("&", "&&"), self)  # "Baseline & follow-up": no accelerator
            action.setObjectName(f"mark_{kind}")
            what = "every record kind of this patient" if kind == PATIENT else KIND_TITLES[kind].lower()
            action.setToolTip(f"Mark {what} reviewed by you (each user has their own marks; Ctrl+Z undoes)")
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _checked=False, k=kind: self.mark(None if k == PATIENT else [k]))
            self.mark_menu.addAction(action)
            self.mark_actions[kind] = action
        self.mark_actions[PATIENT].setShortcuts([QKeySequence(k) for k in MARK_PATIENT_KEYS])
        self.addActions(list(self.mark_actions.values()))  # their shortcuts work while the strip is shown
        self.mark_button = QToolButton(self)
        self.mark_button.setObjectName("mark_reviewed")
        self.mark_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.mark_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.mark_button.setMenu(self.mark_menu)
        self.mark_button.clicked.connect(self.mark_current)
        self._kinds_shown = set(REVIEW_KINDS)
        self.current_kind = PATIENT  # what the button marks: set by set_current_tab
        self.set_current_tab("tumour")
        self.changes = QLabel()
        self.changes.setObjectName("review_changes")
        self.changes.setWordWrap(True)
        self.banner = QLabel()
        self.banner.setObjectName("readjudication_banner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("color: #b71c1c; font-weight: bold;")
        top = QHBoxLayout()
        top.addLayout(grid, 1)
        top.addWidget(self.mark_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addLayout(top)
        layout.addWidget(self.changes)
        layout.addWidget(self.banner)
        self._fill(None)
        self.bus.changed.connect(self._on_changed)

    def show_kinds(self, kinds: set[str]) -> None:
        """Show only the record kinds of ``kinds`` (the case view passes those the user may see: DESIGN §4b)."""
        self._kinds_shown = set(kinds)
        for kind in REVIEW_KINDS:
            for widget in (self.titles[kind], self.states[kind]):
                widget.setVisible(kind in kinds)
            self.mark_actions[kind].setVisible(kind in kinds)
        fewer = any(kind not in kinds for kind in REVIEW_KINDS)  # the kinds shown keep their width, left-aligned
        self._grid.setColumnStretch(len(REVIEW_KINDS), 1 if fewer else 0)
        self.set_current_tab(self._tab)

    def set_current_tab(self, tab: str) -> None:
        """The case view shows ``tab`` (a key of ``CaseView.panels``): the button marks its record kind (the
        whole patient for a tab without one, or one whose kind the user does not review) and says so."""
        self._tab = tab
        kind = TAB_KINDS.get(tab, PATIENT)
        kind = kind if kind == PATIENT or kind in self._kinds_shown else PATIENT
        self.current_kind = kind
        for name, action in self.mark_actions.items():
            keys = MARK_KIND_KEYS if name == kind else MARK_PATIENT_KEYS if name == PATIENT else ()
            action.setShortcuts([QKeySequence(k) for k in keys])
        self.mark_button.setText(mark_text(kind).replace("&", "&&"))
        self.mark_button.setToolTip(
            f"{mark_text(kind)}: what this tab shows, by you (Ctrl+Return; Ctrl+Z undoes). The arrow offers each "
            "record kind and the whole patient (Ctrl+Shift+Return)."
        )

    def mark_current(self) -> None:
        """Mark what the button says (the current tab's record kind, or the whole patient); says so when that is
        reviewed already (the button stays enabled: its menu offers the other kinds)."""
        action = self.mark_actions[self.current_kind]
        if action.isEnabled():
            action.trigger()
        elif self.review is not None:
            what = "every record kind" if self.current_kind == PATIENT else KIND_TITLES[self.current_kind].lower()
            self.status_message.emit(f"{self.review.subject_id}: {what} already reviewed by you")

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
        what = "every record kind" if kinds is None else " and ".join(KIND_TITLES[k].lower() for k in kinds)
        self.status_message.emit(f"Marked {what} of {self._subject} reviewed (Ctrl+Z undoes)")

    def _loaded(self, review: PatientReview) -> None:
        if review.subject_id == self._subject:
            self._fill(review)

    def _fill(self, review: PatientReview | None) -> None:
        self.review = review
        enabled = review is not None
        self.mark_button.setEnabled(enabled)
        self.mark_actions[PATIENT].setEnabled(
            review is not None and any(s.state != REVIEWED for s in review.kinds.values())
        )
        lines: list[str] = []
        for kind in REVIEW_KINDS:
            label, action = self.states[kind], self.mark_actions[kind]
            status = review.kinds.get(kind) if review is not None else None
            if status is None:
                label.setText("—")
                label.setToolTip("")
                label.setStyleSheet("")
                action.setEnabled(False)
                continue
            count = f" ({len(status.changes)})" if status.changes else ""
            label.setText(status.state + count)
            label.setStyleSheet(f"color: {_COLOURS[status.state]};" if status.state in _COLOURS else "")
            tip = f"reviewed by {status.reviewed_by} at {status.reviewed_at[:16]} UTC" if status.reviewed_by else ""
            if status.changes:
                tip += "\nchanged since:\n" + "\n".join(words(line) for line in status.changes)
            label.setToolTip(tip.strip() or "not reviewed by you yet")
            action.setEnabled(status.state != REVIEWED)
            lines += [f"{KIND_TITLES[kind]}: {words(line)}" for line in status.changes]
        more = f" … and {len(lines) - _SHOWN_LINES} more (tooltips)" if len(lines) > _SHOWN_LINES else ""
        self.changes.setText("\n".join(lines[:_SHOWN_LINES]) + more)
        self.changes.setVisible(bool(lines))
        flags = review.readjudication if review is not None else []
        self.banner.setText("Needs re-adjudication: " + " | ".join(words(f) for f in flags) if flags else "")
        self.banner.setVisible(bool(flags))

    def _on_changed(self, changes: Changes, _initiator: object) -> None:
        if self._subject is not None and changes.touches(self._subject):
            self.show_subject(self._subject)
