"""The study navigator's filters and sort: a proxy over :class:`~hccreview.ui.models.navigator_model.NavigatorModel`."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QSortFilterProxyModel, Qt

from hccreview.ui.models.navigator_model import RESPONDERS, SORT_ROLE, Index, NavigatorModel, natural_key


class NavigatorFilter(QSortFilterProxyModel):
    """The navigator's filters and sort over a :class:`NavigatorModel`.

    Filters (all combined): patient-id text (case-insensitive substring), treatment arm (as treated, issue 23),
    Child-Pugh class, best response under the model's current source (a code, or :data:`RESPONDERS` for CR or PR),
    review state, discordant only.
    Sorting compares :data:`SORT_ROLE` keys, so numbers sort as numbers. GUI thread only.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)
        self._text = ""
        self._arm: str | None = None
        self._child_pugh: str | None = None
        self._response: str | None = None
        self._review: str | None = None
        self._discordant_only = False

    def navigator(self) -> NavigatorModel:
        model = self.sourceModel()
        assert isinstance(model, NavigatorModel)
        return model

    # ------------------------------------------------------------------ filter setters
    def set_text(self, text: str) -> None:
        self._change("_text", text.strip().casefold())

    def set_arm(self, arm: str | None) -> None:
        self._change("_arm", arm or None)

    def set_child_pugh(self, cls: str | None) -> None:
        self._change("_child_pugh", cls or None)

    def set_response(self, response: str | None) -> None:
        self._change("_response", response or None)

    def set_review_state(self, state: str | None) -> None:
        self._change("_review", state or None)

    def set_discordant_only(self, on: bool) -> None:
        self._change("_discordant_only", bool(on))

    def _change(self, attribute: str | None = None, value: object = None) -> None:
        """Change one filter (Qt >= 6.10: begin/endFilterChange; older: invalidateFilter)."""
        begin = getattr(self, "beginFilterChange", None)
        if begin is not None:
            begin()
        if attribute is not None:
            setattr(self, attribute, value)
        if begin is not None:
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.invalidateFilter()

    def filter_state(self) -> dict[str, Any]:
        return {
            "text": self._text,
            "arm": self._arm,
            "child_pugh": self._child_pugh,
            "response": self._response,
            "review": self._review,
            "discordant_only": self._discordant_only,
        }

    def refilter(self) -> None:
        """Re-apply the filters (after the model's source changed, which moves the response filter)."""
        self._change()

    # ------------------------------------------------------------------ Qt interface
    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.navigator()
        if source_parent.isValid() or not 0 <= source_row < model.rowCount():
            return False
        row = model.row_at(source_row)
        if self._text and self._text not in row.subject_id.casefold():
            return False
        if self._arm and row.arm != self._arm:
            return False
        if self._child_pugh and (row.child_pugh or "—") != self._child_pugh:
            return False
        if self._response:
            bor = model.bor(row)
            if self._response == RESPONDERS:
                if bor not in ("CR", "PR"):
                    return False
            elif bor != self._response:
                return False
        if self._review and row.review_state != self._review:
            return False
        return not (self._discordant_only and not row.discordant)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by ordering the source model (:meth:`NavigatorModel.sort`); the proxy keeps its order."""
        self.navigator().sort(column, order)

    def lessThan(self, left: Index, right: Index) -> bool:  # not used by sort(); kept for a plain proxy sort
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if type(a) is not type(b):
            return str(a) < str(b)
        if a == b:  # ties by patient id, so the order is the same on every run
            model = self.navigator()
            return natural_key(model.row_at(left.row()).subject_id) < natural_key(model.row_at(right.row()).subject_id)
        return bool(a < b)
