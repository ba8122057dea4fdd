"""The lesion list beside the reading viewer (issue 21): each lesion at the current timepoint with its value, whether
the value was measured on the image, and a thumbnail of its caliper (OHIF #4034: readers could not find their
measurements and asked for a picture of each).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from hccreview.domain import calipers
from hccreview.domain.images import WINDOW_PRESETS
from hccreview.domain.records import Lesion, LesionKind, Measurement
from hccreview.ui.imaging.volume import SeriesVolume
from hccreview.ui.imaging.window_level import rgb32_image, window_rgb32

THUMB = 56  # thumbnail size, px
COLUMNS = ("Lesion", "Kind", "Value (mm)", "Measured")
KIND_WORDS = {LesionKind.TARGET: "target", LesionKind.NON_TARGET: "non-target", LesionKind.NEW: "new"}


@dataclass(frozen=True)
class LesionRow:
    """One lesion of the evaluator at the current timepoint, with its measurement row."""

    lesion: Lesion
    measurement_id: int
    measurement: Measurement

    def value_text(self, viable: bool = True) -> str:
        """The values as the grid records them; the viable diameter only where it counts (mRECIST)."""
        m = self.measurement
        if self.lesion.is_node and m.short_axis_mm is not None:
            return f"{m.short_axis_mm:g} (short)"
        parts = [f"{v:g}" for v in (m.diameter_mm, m.short_axis_mm) if v is not None]
        text = " × ".join(parts) if parts else m.status.value.replace("_", " ")
        return text + (f" · viable {m.viable_mm:g}" if viable and m.viable_mm is not None else "")

    def measured_text(self, viable: bool = True) -> str:
        """ "on image", "typed" (a value not image-derived) or "partly typed", of the values that count here (the
        viable diameter only under mRECIST)."""
        derived = calipers.image_derived(self.measurement)
        if not viable:
            derived.pop("viable_mm", None)
        if not derived:
            return "marked" if self.measurement.caliper else "—"
        if all(derived.values()):
            return "on image"
        return "typed" if not any(derived.values()) else "partly typed"


class LesionTable(QTableWidget):
    """The lesions; ``activated_row(int)`` on a double-click or Enter (the view jumps to the lesion)."""

    activated_row = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setIconSize(QSize(THUMB, THUMB))
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(THUMB + 4)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)  # the values give way; "Measured" stays whole
        self.rows: list[LesionRow] = []
        self.show_viable = False  # mRECIST: the viable diameter counts, so the list shows it
        self.cellActivated.connect(lambda row, _col: self.activated_row.emit(row))
        self.cellDoubleClicked.connect(lambda row, _col: self.activated_row.emit(row))

    def set_rows(self, rows: list[LesionRow]) -> None:
        """Show ``rows``, keeping the selected lesion selected."""
        keep = self.selected()
        self.rows = rows
        self.setRowCount(len(rows))
        for i, row in enumerate(rows):
            texts = (row.lesion.lesion_id, KIND_WORDS.get(row.lesion.kind, str(row.lesion.kind)),
                     row.value_text(self.show_viable),
                     row.measured_text(self.show_viable))  # fmt: skip
            for col, text in enumerate(texts):
                item = QTableWidgetItem(text)
                if col == 0:
                    item.setToolTip(f"{row.lesion.organ} {row.lesion.site}".strip())
                if col == 3 and text in ("typed", "partly typed"):
                    item.setToolTip("Not image-derived: the value was typed, not measured with a caliper")
                    item.setForeground(QColor("#b35900"))
                self.setItem(i, col, item)
        if keep is not None:
            self.select_lesion(keep.lesion.lesion_id)

    def selected(self) -> LesionRow | None:
        rows = self.selectionModel().selectedRows() if self.selectionModel() else []
        return self.rows[rows[0].row()] if rows and rows[0].row() < len(self.rows) else None

    def select_lesion(self, lesion_id: str) -> bool:
        for i, row in enumerate(self.rows):
            if row.lesion.lesion_id == lesion_id:
                self.selectRow(i)
                return True
        return False

    def refresh_thumbnails(self, volumes: Iterable[SeriesVolume]) -> None:
        """Give each lesion the picture of its caliper where that slice is decoded (the others wait)."""
        by_series = {v.series_uid: v for v in volumes}
        for i, row in enumerate(self.rows):
            item = self.item(i, 0)
            if item is None:
                continue
            try:
                stored = calipers.parse(row.measurement.caliper)
            except calipers.CaliperError:
                stored = ()
            icon = next((t for c in stored if (t := thumbnail(by_series.get(c.series_uid), c)) is not None), None)
            item.setIcon(QIcon(icon) if icon is not None else QIcon())


def thumbnail(volume: SeriesVolume | None, caliper: calipers.Caliper) -> QPixmap | None:
    """A THUMB² picture of the caliper's slice around the caliper, lines drawn (None until that slice is decoded)."""
    if volume is None:
        return None
    index = volume.index_of_sop(caliper.sop_instance_uid)
    if index is None or not volume.is_loaded(index):
        return None
    points = [p for line in caliper.lines.values() for p in (line.start, line.end)]
    if caliper.marker is not None:
        points.append(caliper.marker)
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    half = max(24.0, (max(xs) - min(xs)) * 0.7, (max(ys) - min(ys)) * 0.7)
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    rows, cols = volume.shape
    x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
    x1, y1 = int(min(cols, cx + half)), int(min(rows, cy + half))
    crop = np.ascontiguousarray(volume.slice(index)[y0:y1, x0:x1])
    if crop.size == 0:
        return None
    width, centre = WINDOW_PRESETS["Abdomen"]
    image: QImage = rgb32_image(window_rgb32(crop, width, centre))
    scale = THUMB / max(x1 - x0, y1 - y0)
    pixmap = QPixmap.fromImage(image.scaled(round((x1 - x0) * scale), round((y1 - y0) * scale)))
    painter = QPainter(pixmap)
    painter.setPen(QPen(QColor("#ffd400"), 1.5))
    for line in caliper.lines.values():
        painter.drawLine(round((line.start[0] - x0) * scale), round((line.start[1] - y0) * scale),
                         round((line.end[0] - x0) * scale), round((line.end[1] - y0) * scale))  # fmt: skip
    if caliper.marker is not None:
        mx, my = (caliper.marker[0] - x0) * scale, (caliper.marker[1] - y0) * scale
        painter.drawEllipse(round(mx) - 3, round(my) - 3, 6, 6)
    painter.end()
    return pixmap


__all__ = ["COLUMNS", "LesionRow", "LesionTable", "thumbnail"]
