"""The discordance queue side of the adjudication panel: the queue table, its kind toggle and counts.

Two queues (issue 7 item 3; DESIGN §4): **central** — the two central readers disagree (BOR, or the dates of
progression beyond the study's tolerance); **investigator** — the investigator's best response against the
adjudicated central one (reported, not adjudicated). The widget shows what the panel hands it
(:class:`QueueModel`); it loads nothing itself.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hccreview.domain.adjudication_status import AdjudicationCounts
from hccreview.services.adjudication import QueueItem
from hccreview.ui.models.adjudication_models import SUBJECT_ROLE, QueueModel

KINDS = ("central", "investigator")
KIND_LABELS = {"central": "Central &A vs B", "investigator": "Central vs &investigator"}
KIND_TIPS = {
    "central": "Patients whose two central readers disagree (best response or progression date)",
    "investigator": "Patients whose investigator best response disagrees with the adjudicated central read",
}


def counts_text(counts: dict[str, int]) -> str:
    """The central queue's counts (``AdjudicationCounts.to_dict``) in the one wording every screen uses."""
    return AdjudicationCounts.from_dict(counts).text if counts else ""


#: The narrowest the reasons column gets (px); it elides below its content's width.
REASONS_MIN = 48


#: The columns a compact queue leaves out.
COMPACT_HIDDEN = ("Readers", "PD dates", "Reasons")


class QueueView(QWidget):
    """The queue table with a central / investigator toggle and the counts line.

    Signals (GUI thread):
        kind_changed(str): the user picked the other queue ("central" or "investigator").
        subject_selected(str): the current row changed to this subject.
        subject_activated(str): a row was double-clicked or Enter was pressed on it.
    """

    kind_changed = Signal(str)
    subject_selected = Signal(str)
    subject_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = QueueModel(self)
        self.table = QTableView()
        self.table.setObjectName("adjudication_queue")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.buttons = QButtonGroup(self)
        toggle = QHBoxLayout()
        toggle.setContentsMargins(0, 0, 0, 0)
        self.kind_buttons: dict[str, QRadioButton] = {}
        for n, kind in enumerate(KINDS):
            button = QRadioButton(KIND_LABELS[kind])
            button.setObjectName(f"queue_kind_{kind}")
            button.setToolTip(KIND_TIPS[kind])
            self.buttons.addButton(button, n)
            self.kind_buttons[kind] = button
            toggle.addWidget(button)
        toggle.addStretch(1)
        self.kind_buttons["central"].setChecked(True)
        self.counts = QLabel()
        self.counts.setObjectName("queue_counts")
        self.counts.setWordWrap(True)  # wraps in a narrow queue rather than widening the panel (and the window)
        self.empty = QLabel()
        self.empty.setObjectName("queue_empty")
        self.empty.setWordWrap(True)
        self.empty.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(toggle)
        layout.addWidget(self.counts)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        self.buttons.idToggled.connect(self._kind_toggled)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.activated.connect(self._activated)

    def set_compact(self, compact: bool) -> None:
        """Patient, both best responses and the status only (the panel's Images tab takes the width; the visit
        picker there says what differs), or every column."""
        for name in COMPACT_HIDDEN:
            self.table.setColumnHidden(self.model.HEADERS.index(name), compact)
        self._fit_to_contents()  # a column shown again comes back at its default width: fit them all

    def needed_width(self) -> int:
        """The width that shows every visible column whole (frame and vertical scroll bar included)."""
        frame = 2 * self.table.frameWidth()
        bar = self.table.verticalScrollBar().sizeHint().width()
        return self.table.horizontalHeader().length() + frame + bar + 4  # the splitter handle's margins

    def _fit_to_contents(self) -> None:
        self._fit_pending = False
        self.table.resizeColumnsToContents()
        self._fit_reasons()

    def _fit_reasons(self) -> None:
        """The reasons (the last column) take the room the other columns leave, at least REASONS_MIN px: they
        elide (each row's tooltip has them whole) rather than push the status out of view (issue 19)."""
        last = self.model.columnCount() - 1
        if last < 0:
            return
        others = sum(self.table.columnWidth(c) for c in range(last))
        room = self.table.viewport().width() - others
        self.table.setColumnWidth(last, max(REASONS_MIN, min(self.table.sizeHintForColumn(last), room)))
        self.table.resizeRowsToContents()  # the reasons wrap to the width they got

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_reasons()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if getattr(self, "_fit_pending", False):
            self._fit_to_contents()

    @property
    def kind(self) -> str:
        return KINDS[max(0, self.buttons.checkedId())]

    def set_kind(self, kind: str) -> None:
        """Check ``kind``'s toggle (emits ``kind_changed`` when it changes)."""
        self.kind_buttons[kind].setChecked(True)

    def _kind_toggled(self, button_id: int, checked: bool) -> None:
        if checked:
            self.kind_changed.emit(KINDS[button_id])

    def set_items(self, items: list[QueueItem], counts: dict[str, int], select: str | None) -> None:
        """Show a queue; keep (or move to) ``select`` when it is queued, else the first row. No signal is
        emitted for the selection made here."""
        blocker = self.table.selectionModel().blockSignals(True)
        self.model.set_rows(items)
        self._fit_pending = True
        if self.isVisible():  # measuring every row is slow on a long queue: a hidden queue does it when shown
            self._fit_to_contents()
        row = self.model.row_of(select)
        if row < 0 and self.model.rowCount():
            row = 0
        if row >= 0:
            self.table.selectionModel().setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.table.scrollTo(self.model.index(row, 0))
        self.table.selectionModel().blockSignals(blocker)
        self.counts.setText(counts_text(counts) if self.kind == "central" else f"{len(items)} discordant")
        self.empty.setVisible(not items)
        self.empty.setText("No discordant patients in this queue." if not items else "")
        self.table.horizontalHeader().setSectionResizeMode(QueueModel.REASONS, QHeaderView.ResizeMode.Stretch)

    def current_subject(self) -> str | None:
        index = self.table.currentIndex()
        return index.data(SUBJECT_ROLE) if index.isValid() else None

    def select(self, subject_id: str) -> bool:
        """Make ``subject_id`` current (emits ``subject_selected``); False when it is not queued."""
        row = self.model.row_of(subject_id)
        if row < 0:
            return False
        self.table.setCurrentIndex(self.model.index(row, 0))
        return True

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.subject_selected.emit(current.data(SUBJECT_ROLE))

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.subject_activated.emit(index.data(SUBJECT_ROLE))
