"""The case view's adverse-events tab: CTCAE v5 terms with a grade colour scale; grade and attribution
are editable (the edit goes through an undo command; the service validates and audits it).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hccreview.services.case_extra import CaseDetail
from hccreview.services.review import ATTRIBUTIONS
from hccreview.ui.models.case_models import AdverseEventsModel

Index = QModelIndex | QPersistentModelIndex


class ChoiceDelegate(QStyledItemDelegate):
    """A combo-box editor offering fixed choices (CTCAE grades, attributions); keyboard: F2, arrows, Enter."""

    def __init__(self, choices: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices = choices

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        combo = QComboBox(parent)
        combo.addItems(list(self.choices))
        combo.setFrame(False)
        return combo

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        value = str(index.data(Qt.ItemDataRole.EditRole) or "")
        editor.setCurrentIndex(max(0, editor.findText(value)))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentText())


class CaseAdverseEvents(QWidget):
    """Adverse-events table of the shown patient.

    Signals: ``edit_requested(EditRequest)`` — the user changed a grade or attribution (GUI thread); the case
    view turns it into an ``EditAdverseEventCommand``.
    """

    edit_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = AdverseEventsModel(self)
        self.model.edit_requested.connect(self.edit_requested)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setItemDelegateForColumn(AdverseEventsModel.GRADE, ChoiceDelegate(("1", "2", "3", "4", "5"), self))
        self.table.setItemDelegateForColumn(AdverseEventsModel.ATTRIBUTION, ChoiceDelegate(ATTRIBUTIONS, self))
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # the SOC gives way (elided, tooltip)
        self.summary = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)

    def set_detail(self, detail: CaseDetail | None) -> None:
        current = self.table.currentIndex()
        rows = detail.case.adverse_events if detail else []
        self.model.set_rows(rows)
        if current.isValid() and current.row() < len(rows):
            self.table.setCurrentIndex(self.model.index(current.row(), current.column()))
        self.summary.setText(self._summary(rows))

    @staticmethod
    def _summary(rows: list[tuple[int, Any]]) -> str:
        if not rows:
            return "No adverse events recorded."
        grades = [ae.grade for _, ae in rows if ae.grade]
        serious = sum(ae.serious for _, ae in rows)
        worst = f"worst grade <b>G{max(grades)}</b>" if grades else "no CTCAE grade recorded"
        return (f"{len(rows)} adverse event{'s' if len(rows) != 1 else ''} · {worst} · {serious} serious — "
                "grade and attribution: F2 or double-click to change (undo with Ctrl+Z)")  # fmt: skip
