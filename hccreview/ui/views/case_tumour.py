"""The case view's tumour-assessment tab: one reader's lesion × timepoint grid, best response, spider plot.

The grid (``TumourGridModel``) shows the diameters that count, the target sums and % changes, the timepoint
response of the rules engine and the reader's stated response beside it (mismatches red). The signed-in user's
own diameters and stated responses are editable (the case view says whose rows those are, and none on a locked
case): F2 / double-click / type, Enter to commit; the case view asks the reason for a change, validates through
the service and shows a refused value's reason. Below: best overall response (confirmed where RECIST asks), from
the rules engine and as stated; right: the spider plot of every reader's target sum the user may see (selected
reader bold). The readers offered are those of the case as the service returns it: a blinded reader's own only.

On the user's own grid (a reader's, or an adjudicator's own read; never a viewer's, never another reader's) the
lesion-list actions are offered, as buttons beside the reader and in the grid's context menu: Add lesion…, Start
follow-up… (a scan the reader has not started: a row for each baseline lesion, ``services.lesions``) and Remove
lesion…; the panel only asks (``add_lesion_requested`` ...), the case view writes (``ui.views.lesion_actions``).
Their own grid is offered even before they have recorded anything (a study delivered with the investigator's reads
only).
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hccreview.domain.recist import BestResponse
from hccreview.report.figures import build_spider, response_colour
from hccreview.services.case_extra import CaseDetail
from hccreview.services.lesions import ReaderTimepoints
from hccreview.ui.elided_label import ElidedLabel
from hccreview.ui.models.tumour_model import TumourGridModel
from hccreview.ui.plots import FigureHost
from hccreview.ui.views.case_header import chip_style
from hccreview.ui.views.tumour_grid import TumourGrid
from hccreview.ui.wording import best_response_text

#: Timepoints the grid shows beside the lesion titles before the spider plot gets the rest (issue 19).
TIMEPOINTS_SHOWN = 7
#: The spider plot's narrowest share of the splitter (px).
SPIDER_MIN = 280


def best_text(best: BestResponse | None) -> str:
    """``"PR (confirmed)"``, ``"SD · PR (unconfirmed)"``, ``"PD"`` (``ui.wording``) or a dash."""
    if best is None:
        return "—"
    return best_response_text(best.confirmed, best.unconfirmed)


class CaseTumour(QWidget):
    """Tumour assessments of the shown patient, one reader at a time.

    Signals:
        edit_requested(EditRequest): the user edited a diameter or a stated response (GUI thread).
        reader_changed(str): the reader selector changed.
        add_lesion_requested(object): Add lesion… on the user's own grid (the current column's date, or None).
        start_requested(object): Start follow-up… (the current column's date, or None).
        remove_requested(str): Remove lesion… on the current lesion row (its lesion id).
    """

    edit_requested = Signal(object)
    reader_changed = Signal(str)
    add_lesion_requested = Signal(object)
    start_requested = Signal(object)
    remove_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = TumourGridModel(self)
        self.model.edit_requested.connect(self.edit_requested)
        self.reader = QComboBox(self)
        self.reader.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.reader.currentTextChanged.connect(self._reader_chosen)
        reader_label = QLabel("&Reader:")
        reader_label.setBuddy(self.reader)
        self.hint = ElidedLabel()  # may be cut (elided, whole in its tooltip), never widens the tab
        self.hint.setEnabled(False)  # the palette's secondary text colour
        self.hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        top = QHBoxLayout()
        top.addWidget(reader_label)
        top.addWidget(self.reader)
        top.addSpacing(12)
        top.addWidget(self.hint, 1)

        # lesions above, the response rows pinned below them; compact columns (issue 19)
        self.grid_views = TumourGrid(self.model, self)
        self.grid = self.grid_views.lesions
        self.lesion_tools = self._lesion_tools()
        top.addWidget(self.lesion_tools)

        self.best_computed = QLabel()
        self.best_stated = QLabel()
        best = QGridLayout()  # two short lines: the row never forces the tab wider than a small screen
        best.addWidget(QLabel("<b>Best response</b>"), 0, 0, 2, 1, Qt.AlignmentFlag.AlignTop)
        best.addWidget(self.best_computed, 0, 1, Qt.AlignmentFlag.AlignLeft)
        best.addWidget(self.best_stated, 1, 1, Qt.AlignmentFlag.AlignLeft)
        best.setColumnStretch(2, 1)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(top)
        left_layout.addWidget(self.grid_views, 1)
        left_layout.addLayout(best)
        self.spider = FigureHost(self, delay_ms=250)  # stepping fast: draw when the reader pauses
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.spider)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([560, 440])
        self._user_split = False  # the user dragged the splitter: keep their split for this session
        self._sharing = False
        self.splitter.splitterMoved.connect(self._split_moved)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)
        self.setFocusProxy(self.grid)
        self._detail: CaseDetail | None = None
        self._editable: str | None = None  # whose rows may be edited (the signed-in user's own), None: nobody's
        self._timepoints: ReaderTimepoints | None = None  # the user's own list's scan dates (their grid only)
        self._spider_dirty = False
        self._columns_dirty = False
        self._set_hint(False)
        self._update_lesion_tools()

    # ------------------------------------------------------------------ filling
    @property
    def current_reader(self) -> str:
        return self.reader.currentText()

    def set_detail(
        self, detail: CaseDetail | None, *, editable: str | None = None, timepoints: ReaderTimepoints | None = None
    ) -> None:
        """Show ``detail`` (None: nothing); keeps the chosen reader and the current cell when they exist.

        ``editable``: the evaluator whose rows the user may edit (their own, the case not locked); None: no row.
        ``timepoints``: the patient's scan dates as their own lesion list sees them (``services.lesions``).
        """
        self._editable, self._timepoints = editable, timepoints
        same_patient = detail is not None and self._detail is not None and detail.subject_id == self._detail.subject_id
        keep = self._current_cell() if same_patient else None
        wanted = self.current_reader
        self._detail = detail
        readers = list(detail.case.readers) if detail else []
        if detail is not None and editable and editable not in readers:
            readers.append(editable)  # their own grid, empty until they record their baseline lesions
        self.reader.blockSignals(True)
        if [self.reader.itemText(i) for i in range(self.reader.count())] != readers:
            self.reader.clear()
            self.reader.addItems(readers)
        self.reader.setCurrentIndex(max(0, readers.index(wanted)) if wanted in readers else 0)
        self.reader.blockSignals(False)
        self.reader.setEnabled(len(readers) > 1)
        self._show_reader(keep)

    def _reader_chosen(self, reader: str) -> None:
        if self._detail is not None:
            self._show_reader(None)
            self.reader_changed.emit(reader)

    def _show_reader(self, keep: tuple[str, date] | None) -> None:
        detail, reader = self._detail, self.current_reader
        editable = bool(reader) and reader == self._editable
        self.model.set_reader(detail, reader, editable=editable)
        self._set_hint(editable)
        self._update_lesion_tools()
        self._columns_dirty = True
        if self.isVisible():
            self._size_columns()
        self._restore_cell(keep)
        figures = detail.readers.get(reader) if detail else None
        self._set_best(self.best_computed, "Rules engine", figures.best_computed if figures else None)
        self._set_best(self.best_stated, f"Stated by {reader}", figures.best_stated if figures else None)
        self._spider_dirty = True
        if self.isVisible():
            self.redraw_spider()

    def _set_hint(self, editable: bool) -> None:
        if editable and self.model.rowCount() == 0:
            self.hint.setText("no lesions of yours yet · Add lesion… records your baseline lesions")
        else:
            text = "diameters in mm · " + ("F2 edits · " if editable else "read-only · ")
            self.hint.setText(text + "red: stated ≠ rules engine · NN: non-CR/non-PD")
        self.hint.set_tip(self.hint.text())

    # ------------------------------------------------------------------ the user's own lesion list
    def _lesion_tools(self) -> QWidget:
        """Add lesion… / Start follow-up… / Remove lesion…: buttons beside the reader, and the grid's context menu."""
        self.add_lesion_action = QAction("Add lesion…", self)
        self.add_lesion_action.setObjectName("add_lesion")
        self.add_lesion_action.triggered.connect(lambda: self.add_lesion_requested.emit(self._current_day()))
        self.start_action = QAction("Start follow-up…", self)
        self.start_action.setObjectName("start_timepoint")
        self.start_action.triggered.connect(lambda: self.start_requested.emit(self._current_day()))
        self.remove_lesion_action = QAction("Remove lesion…", self)
        self.remove_lesion_action.setObjectName("remove_lesion")
        self.remove_lesion_action.triggered.connect(self._remove_current)
        tools = QWidget(self)
        row = QHBoxLayout(tools)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        self.lesion_actions = (self.add_lesion_action, self.start_action, self.remove_lesion_action)
        for action in self.lesion_actions:
            button = QToolButton(tools)
            button.setDefaultAction(action)
            row.addWidget(button)
        self.grid.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.grid.addActions(list(self.lesion_actions))
        self.grid.selectionModel().currentChanged.connect(lambda *_: self._update_lesion_tools())
        return tools

    def _own_grid(self) -> bool:
        return bool(self._editable) and self.current_reader == self._editable and self._detail is not None

    def _current_day(self) -> date | None:
        cell = self._current_cell()
        return cell[1] if cell else None

    def _current_lesion(self) -> str | None:
        cell = self._current_cell()
        return cell[0].removeprefix("lesion:") if cell and cell[0].startswith("lesion:") else None

    def _remove_current(self) -> None:
        lesion = self._current_lesion()
        if lesion is not None:
            self.remove_requested.emit(lesion)

    def _update_lesion_tools(self) -> None:
        """Shown on the user's own grid only; each enabled when it can do something, its tooltip saying why not."""
        own, tp = self._own_grid(), self._timepoints
        self.lesion_tools.setVisible(own)
        for action in self.lesion_actions:
            action.setVisible(own)
        can_add = tp is not None and tp.baseline is not None
        self.add_lesion_action.setEnabled(can_add)
        self.add_lesion_action.setToolTip(
            "Record a lesion of yours: targets and non-targets at baseline, new lesions at a follow-up scan"
            if can_add else "No scan date of this patient is known yet"
        )  # fmt: skip
        can_start = tp is not None and bool(tp.startable)
        self.start_action.setEnabled(can_start)
        if can_start:
            tip = "Start a follow-up scan from your baseline lesions: a row for each, values empty, to measure"
        elif tp is not None and not tp.baseline_lesions:
            tip = "Add your baseline lesions first: each follow-up starts from them"
        else:
            tip = "Every follow-up scan of this patient is started"
        self.start_action.setToolTip(tip)
        lesion = self._current_lesion() if own else None
        self.remove_lesion_action.setEnabled(lesion is not None)
        self.remove_lesion_action.setToolTip(
            f"Remove {lesion} and its measurements (a lesion you recorded; audited)" if lesion
            else "Select one of your lesions to remove it"
        )  # fmt: skip

    def _set_best(self, label: QLabel, what: str, best: BestResponse | None) -> None:
        label.setVisible(best is not None)
        if best is None:
            return
        label.setText(f"{what}: {best_text(best)}")
        label.setStyleSheet(chip_style(response_colour(best.confirmed.value)))
        label.setToolTip(best.rule)

    def redraw_spider(self) -> None:
        self._spider_dirty = False
        detail = self._detail
        if detail is None:
            self.spider.clear()
            return
        points = {reader: fig.spider for reader, fig in detail.readers.items() if fig.spider}
        self.spider.draw_later(build_spider, points, highlight=self.current_reader or None,
                              title=f"{detail.subject_id}: target sum")  # the y axis says "vs baseline"  # fmt: skip

    def _size_columns(self) -> None:
        self._columns_dirty = False
        self.grid_views.fit_columns()
        self._share_room()

    def _share_room(self) -> None:
        """Give the grid the room for :data:`TIMEPOINTS_SHOWN` timepoints (or all it has) and the spider plot the
        rest, down to its minimum: once per window size, while the user has not moved the splitter."""
        total = sum(self.splitter.sizes())
        if total <= 0 or self._user_split:
            return
        grid = self.grid_views.needed_width(TIMEPOINTS_SHOWN)
        left = max(min(grid, total - SPIDER_MIN), int(total * 0.5))
        self._sharing = True
        self.splitter.setSizes([left, total - left])
        self._sharing = False

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._share_room()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._columns_dirty:
            self._size_columns()
        else:
            self._share_room()  # the window was resized while another tab was in front
        if self._spider_dirty:
            self.redraw_spider()

    def _split_moved(self, *_args: object) -> None:
        if not self._sharing:
            self._user_split = True

    # ------------------------------------------------------------------ current cell across reloads
    def _current_cell(self) -> tuple[str, date] | None:
        index = self.grid.currentIndex()
        if not index.isValid():
            index = self.grid_views.responses.currentIndex()
        if not index.isValid():
            return None
        return self.model.row_key(index.row()), self.model.dates[index.column()]

    def _restore_cell(self, keep: tuple[str, date] | None) -> None:
        if keep is None:
            return
        row = self.model.find_row(keep[0])
        dates = self.model.dates
        if row >= 0 and keep[1] in dates:
            self.grid_views.view_of(row).setCurrentIndex(self.model.index(row, dates.index(keep[1])))

    def select_cell(self, row_key: str, day: date) -> bool:
        """Make the cell of ``row_key`` (e.g. "lesion:T01") on ``day`` current; False when absent."""
        self._restore_cell((row_key, day))
        row = self.model.find_row(row_key)
        index = self.grid_views.view_of(row).currentIndex() if row >= 0 else QModelIndex()
        return index.isValid() and self.model.row_key(index.row()) == row_key
