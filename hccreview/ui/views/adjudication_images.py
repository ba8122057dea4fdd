"""Adjudication on the images (issue 22 item 1): both readers' calipers on the same slices, and what differs.

Top, the visit picker — the discordant visits first (the reads' responses differ there or a lesion drives the
discordance), visits where only the sizes differ marked. Middle, the case's images read-only
(:class:`~hccreview.ui.views.case_images.CaseImagesTab` in compare mode): prior | current, reader 1's and reader 2's
calipers laid over in two colours, one toggle each. Bottom, the per-lesion difference table
(:class:`~hccreview.ui.models.lesion_difference_model.LesionDifferenceModel`): both values, the difference, and the
lesions that drive the discordance first and highlighted; selecting a row opens the panes at that lesion's caliper
slice (reader 1's, else reader 2's). The reader columns' headers wear the overlay colours.

Loading: one database-lane job (``services.adjudication_images.load_adjudication_images``) when shown; the images
load as in the case view. Blinding (issue 13, DESIGN §4b): for a blinded reader nothing is asked and nothing of
the images view is built — only :data:`BLINDED_MESSAGE` shows; the service refuses them all the same.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hccreview.domain import calipers
from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.lesion_differences import LesionDifference
from hccreview.services.adjudication_images import ImagesComparison, VisitDifferences, load_adjudication_images
from hccreview.services.adjudication_ui import BLINDED_MESSAGE, blinded_for
from hccreview.ui.adjudication_style import DIFF_BACKGROUND
from hccreview.ui.models.lesion_difference_model import LesionDifferenceModel
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.views.case_images import CaseImagesTab

#: Record kinds whose change alters the calipers or the differences shown.
RELEVANT_KINDS = frozenset({ChangeKind.MEASUREMENTS, ChangeKind.LESIONS, ChangeKind.READS, ChangeKind.BLINDING})
FIELD_WORDS = {"stated_overall": "stated response", "computed_overall": "computed response", "target": "target",
               "non_target": "non-target", "new_lesion": "new lesion", "target_sum_mm": "target sum",
               "missing": "a read is missing"}  # fmt: skip


def visit_text(visit: VisitDifferences) -> str:
    """A visit in the picker: label, then what differs (discordant: the drivers' count)."""
    if visit.discordant:
        drivers = len(visit.drivers)
        what = f"{drivers} driver{'s' if drivers != 1 else ''}" if drivers else "responses differ"
        return f"◆ {visit.label} · {what}"
    if visit.differs:
        return f"≠ {visit.label} · sizes"
    return f"   {visit.label}"


class AdjudicationImages(QWidget):
    """Both reads of one discordant case on the images, with the per-lesion differences.

    Signals (GUI thread): ``loaded(str)`` — the subject's visits and differences are on screen;
    ``status_message(str)``.
    """

    loaded = Signal(str)
    status_message = Signal(str)

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("adjudication_images")
        self.context = context
        self.session, self.bus, self.runner = context.session, context.bus, context.runner
        self.subject_id: str | None = None
        self.data: ImagesComparison | None = None
        self.visit: VisitDifferences | None = None
        self._stale = False
        self._key = f"adj-images-{id(self)}"
        self._large: QFont | None = None
        self._keys_free = False
        self._quiet = False
        self.images: CaseImagesTab | None = None  # built on the first case the user may see (never for a reader)
        self.table: QTableView | None = None
        self.model: LesionDifferenceModel | None = None
        self.visits: QComboBox | None = None

        self.message = QLabel("No case selected.")
        self.message.setObjectName("adjudication_images_message")
        self.message.setWordWrap(True)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(2, 2, 2, 2)
        self._layout.addWidget(self.message)
        self._layout.addStretch(1)
        self.bus.changed.connect(self._on_changed)

    # ------------------------------------------------------------------ building (lazily)
    def _build(self) -> None:
        self.visits = QComboBox()
        self.visits.setObjectName("adjudication_visits")
        self.visits.setToolTip("The visit to look at: discordant visits (◆, with the lesions that drive the "
                               "discordance) first; ≠ where only the sizes differ")  # fmt: skip
        self.visits.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # a visit's label whole
        self.visits.activated.connect(self._visit_chosen)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        top = QHBoxLayout()
        top.setContentsMargins(2, 0, 2, 0)
        label = QLabel("&Visit:")
        label.setBuddy(self.visits)
        top.addWidget(label)
        top.addWidget(self.visits)
        top.addWidget(self.summary, 1)
        self.images = CaseImagesTab(self.context, self, compare=True)
        self.images.status_message.connect(self.status_message)
        self.model = LesionDifferenceModel(self)
        self.table = QTableView()
        self.table.setObjectName("adjudication_lesion_differences")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(self._row_selected)
        bottom = QWidget()
        inner = QVBoxLayout(bottom)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.setSpacing(1)
        self.caption = caption = QLabel()
        caption.setToolTip("Select a row to open its caliper slice (read 1's, else read 2's)")
        caption.setWordWrap(True)
        self.legend = QLabel("  drives the discordance  ")
        self.legend.setStyleSheet(f"QLabel {{ background: {DIFF_BACKGROUND.name(QColor.NameFormat.HexArgb)}; }}")
        row = QHBoxLayout()
        row.addWidget(caption, 1)
        row.addWidget(self.legend)
        inner.addLayout(row)
        inner.addWidget(self.table, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.images)
        self.splitter.addWidget(bottom)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self._layout.takeAt(self._layout.count() - 1)  # the stretch under the message
        self._layout.addLayout(top)
        self._layout.addWidget(self.splitter, 1)
        if self._large is not None:
            self.set_large_type(self._large)
        if self._keys_free:
            self.release_keys()

    def set_large_type(self, font: QFont) -> None:
        """Meeting mode: the difference table and the picker in ``font`` (large type for a projector)."""
        self._large = QFont(font)
        if self.table is None or self.model is None or self.visits is None:
            return
        for widget in (self.table, self.table.horizontalHeader(), self.visits, self.summary):
            widget.setFont(font)
        normal = QApplication.font()  # the viewers' pickers and the caption keep their size: the images get room
        for part in (self.images, self.caption, self.legend):
            if part is not None:
                part.setFont(normal)
        self.model.base_font = font
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        self.splitter.setStretchFactor(0, 1)  # the table in large type gets as much height as the images
        self.splitter.setStretchFactor(1, 1)

    def release_keys(self) -> None:
        """Meeting mode: no child takes the keyboard (the window's keys — 1 / 2, arrows — stay the window's)."""
        self._keys_free = True
        for widget in (self, *self.findChildren(QWidget)):
            widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    # ------------------------------------------------------------------ what to show
    def set_subject(self, subject_id: str | None) -> None:
        """Follow ``subject_id`` (None: nothing): loaded now when shown, else when next shown."""
        changed = subject_id != self.subject_id
        self.subject_id = subject_id
        if self.isVisible():
            self._load()
        elif changed or self.data is None:
            self._stale = True

    def reload(self) -> None:
        """Load the shown case again (a measurement or a read changed)."""
        if self.isVisible():
            self._load()
        else:
            self._stale = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._load()

    def _load(self) -> None:
        self._stale = False
        if blinded_for(self.session):  # asks nothing: a blinded reader is shown the notice only
            self._say(BLINDED_MESSAGE)
            if self.images is not None:
                self.images.set_detail(None, evaluator=None, editable=False)
            return
        if self.subject_id is None:
            self._say("No case selected.")
            return
        self._say(f"{self.subject_id}: loading both reads…" if self.data is None else "")
        self.runner.run(load_adjudication_images, self.session, self.subject_id, key=self._key, lane="db",
                        on_done=self._arrived, on_error=self._failed)  # fmt: skip

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _failed(self, exc: BaseException) -> None:
        self._say(f"Both reads could not be loaded: {exc}" if not isinstance(exc, PermissionError) else str(exc))

    def _arrived(self, data: ImagesComparison) -> None:
        if data.subject_id != self.subject_id:
            return
        if self.images is None:
            self._build()
        assert self.images is not None and self.visits is not None
        same = self.data is not None and self.data.subject_id == data.subject_id
        keep = self.visit.date if same and self.visit is not None else None
        self.data = data
        self._say("" if len(data.readers) == 2 else f"{data.subject_id} has no two central reads to compare.")
        self.images.set_detail(data.detail, evaluator=None, editable=False, others=list(data.readers))
        if self._large is not None and not same:
            total = sum(self.splitter.sizes())
            self.splitter.setSizes([total // 2, total - total // 2])
        self.visits.clear()
        for n, visit in enumerate(data.visits):
            self.visits.addItem(visit_text(visit), visit.date.isoformat())
            if visit.discordant:
                self.visits.setItemData(n, QBrush(QColor("#b35900")), Qt.ItemDataRole.ForegroundRole)
        index = next((n for n, v in enumerate(data.visits) if v.date == keep), 0) if data.visits else -1
        self.visits.setCurrentIndex(index)
        self._visit_chosen(index, jump=not same)
        self.loaded.emit(data.subject_id)

    def reader_colours(self) -> dict[str, str]:
        """Each reader's overlay colour (the checkboxes' and the table headers')."""
        if self.data is None or self.images is None:
            return {}
        return {r: c for r in self.data.readers if (c := self.images.overlay_colour(r)) is not None}

    def show_visit(self, index: int) -> None:
        """Pick visit ``index`` of the picker (as the user would)."""
        if self.visits is not None and 0 <= index < self.visits.count():
            self.visits.setCurrentIndex(index)
            self._visit_chosen(index)

    def _visit_chosen(self, index: int, *, jump: bool = True) -> None:
        data = self.data
        if data is None or self.model is None or self.images is None or not 0 <= index < len(data.visits):
            self.visit = None
            if self.model is not None:
                self.model.set_visit([], data.readers if data else (), {})
            return
        visit = self.visit = data.visits[index]
        self.model.set_visit(visit.rows, data.readers, self.reader_colours())
        drivers = len(visit.drivers)
        read = {r: d for r, d in visit.dates.items() if r in data.readers}
        differ = ", ".join(FIELD_WORDS.get(f, f) for f in visit.differs)
        parts = [f"{drivers} lesion{'s drive' if drivers != 1 else ' drives'} the discordance here"] if drivers else []
        parts += [f"differs: {differ}"] if differ else []
        if len(set(read.values())) > 1:  # two readers read the visit on different days: say so
            parts.append("read " + ", ".join(f"{d.isoformat()} by {r}" for r, d in read.items()))
        self.summary.setText(" · ".join(parts))
        a, b = (*data.readers, "", "")[:2]
        self.caption.setText(f"Lesions: read 1 ({a}) │ read 2 ({b}), Δ = read 2 − read 1 · a row opens its slice")
        first = next((visit.dates[r] for r in data.readers if r in visit.dates), visit.date)
        self.images.show_timepoint(first)
        if jump and visit.rows and self.table is not None:
            self._quiet = True  # no "no caliper" message for a row the user did not pick
            self.table.selectRow(0)  # the first driver (or lesion): its slice opens
            self._quiet = False

    # ------------------------------------------------------------------ rows → slices
    def _row_selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = {i.row() for i in selected.indexes()}
        if rows and self.model is not None:
            self.jump_to(self.model.lesion(min(rows)))

    def caliper_of(self, lesion: LesionDifference) -> calipers.Caliper | None:
        """The caliper ``lesion`` was measured with at this visit: reader 1's, else reader 2's."""
        data, visit = self.data, self.visit
        if data is None or visit is None:
            return None
        for reader in data.readers:
            day = visit.dates.get(reader)
            for _mid, m in data.detail.case.measurements.get(reader, []):
                if m.lesion_id != lesion.lesion_id or m.date != day or not m.caliper:
                    continue
                try:
                    found = calipers.parse(m.caliper)
                except calipers.CaliperError:
                    continue
                if found:
                    return found[0]
        return None

    def jump_to(self, lesion: LesionDifference) -> bool:
        """Open the panes at ``lesion``'s caliper slice (reader 1's, else reader 2's); False when neither measured
        it on the images at this visit."""
        found = self.caliper_of(lesion)
        if found is None or self.images is None:
            if self.data is not None and not self._quiet:
                self.status_message.emit(f"{lesion.label}: no caliper on the images at this visit")
            return False
        self.images.show_caliper(found)
        return True

    def _on_changed(self, changes: Changes, _initiator: object) -> None:
        """ChangeBus handler (GUI thread): reload when a write touched the shown case's reads or calipers."""
        sid = self.subject_id
        if sid is not None and (changes.study or (sid in changes.subjects and changes.kinds & RELEVANT_KINDS)):
            self.reload()

    def closeEvent(self, event: Any) -> None:
        if self.images is not None:
            self.images.close()
        super().closeEvent(event)


__all__ = ["AdjudicationImages", "visit_text"]
