"""Helpers for the imaging widget tests: in-memory series, shown viewers, mouse drags at image points."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from hccreview.domain.calipers import Point
from hccreview.ui.imaging.viewer import SliceViewer
from hccreview.ui.imaging.volume import SeriesDescription, SeriesVolume, SliceSource

MOUSE = Qt.MouseButton


def pattern(rows: int, cols: int, k: int) -> np.ndarray:
    """Slice ``k`` of a test series: a ramp −500 … +500 HU across, plus 10 × k (each slice differs)."""
    ramp = np.linspace(-500, 500, cols, dtype=np.float64)[None, :].repeat(rows, axis=0)
    return (ramp + 10 * k).astype(np.int16)


def describe(n: int = 12, rows: int = 64, cols: int = 64, *, spacing: tuple[float, float] = (0.8, 0.8),
             locations: Sequence[float] | None = None, acquisition_plane: bool = True,
             label: str = "Portal venous") -> SeriesDescription:  # fmt: skip
    """A series of ``n`` in-memory slices ("mem:k" paths; locations 0, −2.5, −5 … mm unless given)."""
    locs = list(locations) if locations is not None else [-2.5 * k for k in range(n)]
    slices = tuple(SliceSource(f"1.2.3.{k + 1}", f"mem:{k}", loc) for k, loc in enumerate(locs))
    return SeriesDescription("1.2.3", rows, cols, spacing, slices, frame_of_reference_uid="1.2.3.999", label=label,
                             acquisition_plane=acquisition_plane)  # fmt: skip


def memory_loader(description: SeriesDescription) -> Callable[[str], np.ndarray]:
    """A loader for :func:`describe`'s paths."""
    return lambda path: pattern(description.rows, description.columns, int(path.split(":")[1]))


def loaded_volume(description: SeriesDescription) -> SeriesVolume:
    """A volume with every slice in place (no decoder)."""
    volume = SeriesVolume(description)
    load = memory_loader(description)
    for i, source in enumerate(volume.sources):
        volume.store(i, load(source.path))
    return volume


def shown_viewer(qtbot, volume: SeriesVolume | None = None, size: tuple[int, int] = (400, 400)) -> SliceViewer:  # type: ignore[no-untyped-def]
    viewer = SliceViewer()
    qtbot.addWidget(viewer)
    viewer.resize(*size)
    viewer.show()
    qtbot.waitExposed(viewer)
    if volume is not None:
        viewer.set_volume(volume)
    return viewer


def at(viewer: SliceViewer, point: Point) -> QPoint:
    """The viewport pixel of image ``point``."""
    return viewer.viewport_at(viewer.to_scene(point)).toPoint()


def image_at(viewer: SliceViewer, pos: QPoint) -> Point:
    """The image point a viewport pixel stands for (what a click there means)."""
    return viewer.to_image(viewer.scene_at(pos))


def drag(viewer: SliceViewer, start: QPoint, end: QPoint, button: Qt.MouseButton = MOUSE.LeftButton,
         modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:  # fmt: skip
    """Press at ``start``, move in three steps, release at ``end`` (viewport pixels)."""
    port = viewer.viewport()
    QTest.mousePress(port, button, modifiers, start)
    for f in (0.33, 0.66, 1.0):
        QTest.mouseMove(port, QPoint(round(start.x() + f * (end.x() - start.x())),
                                     round(start.y() + f * (end.y() - start.y()))))  # fmt: skip
    QTest.mouseRelease(port, button, modifiers, end)


def wheel(viewer: SliceViewer, pos: QPoint, delta: int,
          modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:  # fmt: skip
    """One wheel event of ``delta`` eighths of a degree (120 = one notch) at viewport ``pos``."""
    port = viewer.viewport()
    event = QWheelEvent(QPointF(pos), QPointF(port.mapToGlobal(pos)), QPoint(0, 0), QPoint(0, delta),
                        Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase, False)  # fmt: skip
    QApplication.sendEvent(port, event)
