"""The slice viewer (issue 21): one series, one slice at a time, with window / level, zoom, pan, cine and calipers.

The scene's unit is one image pixel (``coords``): calipers are items in that scene, so they zoom and pan with the
image. Pixels need not be square: the view's transform scales columns and rows by their spacing, so a circle
looks round. The slice is windowed through a lookup table (``window_level``) and painted as it is, nearest
neighbour by default (``smooth`` for bilinear); a slice not decoded yet shows "decoding…" and is painted when
the decoder announces it — the viewer never waits.

Mouse: wheel = next / previous slice; Ctrl+wheel = zoom about the cursor; middle-drag or Shift+left-drag = pan;
right-drag = window (right wider) / level (down higher); left-drag on a handle = edit a caliper; in tool mode
(:meth:`SliceViewer.start_caliper`) left-drags draw. Keys: Up / Down, PageUp / PageDown (10), Home / End;
+ / − zoom, 0 fit; 1–4 the presets (Liver, Abdomen, Lung, Bone); Space cine; Escape leaves the tool.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QResizeEvent,
    QShowEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QFrame, QGraphicsItem, QGraphicsScene, QGraphicsView, QStyleOptionGraphicsItem, QWidget

from hccreview.domain.calipers import Caliper, Line, Point
from hccreview.domain.images import WINDOW_PRESETS
from hccreview.ui.imaging.caliper_tool import CaliperTool
from hccreview.ui.imaging.calipers import CaliperOverlay
from hccreview.ui.imaging.coords import to_image, to_scene
from hccreview.ui.imaging.decoder import SliceDecoder
from hccreview.ui.imaging.overlay_text import draw_overlay, overlay_text
from hccreview.ui.imaging.volume import SeriesVolume
from hccreview.ui.imaging.window_level import DEFAULT_WINDOW, WindowedSlice, dragged_window

#: Why a caliper is refused (OHIF #3898: measurements on reformatted planes do not round-trip to an SR).
REFUSED_PLANE = "Measure on acquisition-plane (axial) images only"
REFUSED_NO_SERIES = "Open a series before measuring"
DEFAULT_CALIPER_COLOUR = "#ffd400"
ZOOM_STEP = 1.25
ZOOM_RANGE = (0.05, 64.0)
PAGE = 10  # slices per PageUp / PageDown
PRESET_KEYS = {Qt.Key.Key_1: "Liver", Qt.Key.Key_2: "Abdomen", Qt.Key.Key_3: "Lung", Qt.Key.Key_4: "Bone"}
_SCENE_MARGIN = 100_000.0  # the scene reaches far beyond the image so that it can be panned anywhere


class CaliperShown(NamedTuple):
    """A caliper to draw: its tag (the lesion / measurement it belongs to), colour, editability and label."""

    tag: str
    caliper: Caliper
    colour: QColor | str = DEFAULT_CALIPER_COLOUR
    editable: bool = True
    label: str = ""


class _SliceItem(QGraphicsItem):
    """The windowed slice, drawn over [0, columns) × [0, rows) of the scene."""

    def __init__(self) -> None:
        super().__init__()
        self.windowed: WindowedSlice | None = None
        self.rect = QRectF()
        self.smooth = False

    def boundingRect(self) -> QRectF:
        return self.rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if self.windowed is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.smooth)
            painter.drawImage(self.rect, self.windowed.image)


class SliceViewer(QGraphicsView):
    """Shows a :class:`SeriesVolume`; knows nothing of the study (the caller gives volumes and calipers).

    Signals (all on the GUI thread):
        sliceChanged(int): another slice of the series is shown;
        volumeChanged(): another series (or none) is shown, at slice ``index``;
        windowChanged(float, float): width and centre in HU; viewChanged(): zoom or pan;
        cineChanged(bool): cine started / stopped;
        caliperFinished(str, Caliper): a caliper drawn in tool mode (tag, caliper on the current slice);
        caliperEdited(str, Caliper): a shown editable caliper was dragged (once, on release);
        caliperCancelled(str): tool mode left without a caliper (Escape, another series);
        measureRefused(str): :meth:`start_caliper` refused, and why (shown to the user as is).
    """

    sliceChanged = Signal(int)
    volumeChanged = Signal()
    windowChanged = Signal(float, float)
    viewChanged = Signal()
    cineChanged = Signal(bool)
    caliperFinished = Signal(str, object)
    caliperEdited = Signal(str, object)
    caliperCancelled = Signal(str)
    measureRefused = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setBackgroundBrush(QColor(0, 0, 0))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)  # the corner texts
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.PreventContextMenu)  # right-drag is window / level
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._slice_item = _SliceItem()
        self.scene().addItem(self._slice_item)
        self.volume: SeriesVolume | None = None
        self.decoder: SliceDecoder | None = None
        self.index = 0
        self.windowing: tuple[float, float] = DEFAULT_WINDOW
        self.zoom = 1.0
        self.center = QPointF(0.0, 0.0)
        self.fitted = True  # follow the widget's size until the user zooms or pans
        self._wheel_rest = 0
        self._drag: tuple[str, QPointF, tuple[float, float] | QPointF] | None = None  # (what, press, start)
        self._tool: CaliperTool | None = None
        self._shown: list[CaliperShown] = []
        self._by_sop: dict[str, list[int]] = {}  # SOP Instance UID -> indices in _shown
        self._overlays: list[tuple[int, CaliperOverlay]] = []  # (index in _shown, overlay on this slice)
        self._cine = QTimer(self)
        self._cine.timeout.connect(self._cine_step)
        self.set_cine_fps(10.0)

    # ------------------------------------------------------------------ series and slice
    def set_volume(self, volume: SeriesVolume | None, decoder: SliceDecoder | None = None,
                   index: int | None = None) -> None:  # fmt: skip
        """Show ``volume`` at slice ``index`` (default: the middle one), fitted; emits ``volumeChanged`` (not
        ``sliceChanged``: a linked viewer then decides which slice to show). ``decoder`` (owned by the caller,
        who cancels it when the series is closed) is asked for the slice on screen first."""
        if self.decoder is not None:
            self.decoder.sliceReady.disconnect(self._slice_ready)
            self.decoder.sliceFailed.disconnect(self._slice_ready)
        if self._tool is not None:
            self.cancel_caliper()
        self.volume, self.decoder = volume, decoder
        if decoder is not None:
            decoder.sliceReady.connect(self._slice_ready)
            decoder.sliceFailed.connect(self._slice_ready)
        self._slice_item.prepareGeometryChange()
        rows, cols = volume.shape if volume is not None else (0, 0)
        self._slice_item.rect = QRectF(0, 0, cols, rows)
        self.scene().setSceneRect(QRectF(-_SCENE_MARGIN, -_SCENE_MARGIN, cols + 2 * _SCENE_MARGIN,
                                         rows + 2 * _SCENE_MARGIN))  # fmt: skip
        self.index = -1 if volume is None else min(max(volume.count // 2 if index is None else index, 0),
                                                   volume.count - 1)  # fmt: skip
        if decoder is not None and volume is not None:
            decoder.prioritise(self.index)
        self.fit()
        self._render()
        self._refresh_calipers()
        self.volumeChanged.emit()

    def set_slice(self, index: int) -> None:
        """Show slice ``index`` (clamped); the decoder is asked for it first if not decoded yet."""
        if self.volume is None:
            return
        index = min(max(index, 0), self.volume.count - 1)
        if index == self.index:
            return
        self.index = index
        if self._tool is not None:
            self._tool.reset()  # a caliper belongs to one slice
        if self.decoder is not None:
            self.decoder.prioritise(index)
        self._render()
        self._refresh_calipers()
        self.sliceChanged.emit(index)

    def step(self, slices: int) -> None:
        self.set_slice(self.index + slices)

    def show_slice_of(self, sop_instance_uid: str) -> bool:
        """Go to the slice of ``sop_instance_uid`` (a caliper's); False when it is not in this series."""
        index = None if self.volume is None else self.volume.index_of_sop(sop_instance_uid)
        if index is not None:
            self.set_slice(index)
        return index is not None

    @property
    def location(self) -> float | None:
        """The shown slice's position along the normal (mm)."""
        return None if self.volume is None or self.index < 0 else self.volume.location(self.index)

    def _slice_ready(self, index: int, _why: str = "") -> None:
        if index == self.index:
            self._render()

    # ------------------------------------------------------------------ window / level and painting
    def set_window(self, width: float, centre: float) -> None:
        width = max(1.0, float(width))
        if (width, float(centre)) == self.windowing:
            return
        self.windowing = (width, float(centre))
        self._render()
        self.windowChanged.emit(width, float(centre))

    def apply_preset(self, name: str) -> None:
        """One of ``domain.images.WINDOW_PRESETS`` (Liver, Abdomen, Lung, Bone)."""
        self.set_window(*WINDOW_PRESETS[name])

    @property
    def smooth(self) -> bool:
        return self._slice_item.smooth

    def set_smooth(self, on: bool) -> None:
        """Bilinear instead of nearest-neighbour scaling (IMAGING.md: 7–9 ms a frame instead of 1.4–1.9)."""
        self._slice_item.smooth = on
        self.viewport().update()

    def _render(self) -> None:
        volume, item = self.volume, self._slice_item
        if volume is not None and 0 <= self.index < volume.count and volume.is_loaded(self.index):
            item.windowed = WindowedSlice(volume.slice(self.index), *self.windowing)
        else:
            item.windowed = None
        item.update()
        self.viewport().update()

    @property
    def painted_slice(self) -> bool:
        """Whether the slice on screen has its pixels (not the "decoding…" placeholder)."""
        return self._slice_item.windowed is not None

    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        painter.save()
        painter.resetTransform()
        draw_overlay(painter, self.viewport().rect(), overlay_text(self))
        painter.restore()

    # ------------------------------------------------------------------ zoom and pan
    def _scales(self) -> tuple[float, float]:
        """Screen pixels per image column and per image row."""
        if self.volume is None:
            return self.zoom, self.zoom
        row_mm, col_mm = self.volume.spacing
        finest = min(row_mm, col_mm)
        return self.zoom * col_mm / finest, self.zoom * row_mm / finest

    def _apply_view(self) -> None:
        sx, sy = self._scales()
        self.setTransform(QTransform.fromScale(sx, sy))
        self.centerOn(self.center)
        self.viewport().update()
        self.viewChanged.emit()

    def fit(self) -> None:
        """The whole slice in the viewport, centred."""
        self.fitted = True
        rect = self._slice_item.rect
        if self.volume is None or rect.isEmpty():
            self.zoom, self.center = 1.0, QPointF(0, 0)
        else:
            self.zoom = 1.0
            sx, sy = self._scales()
            view = self.viewport().rect()
            self.zoom = max(1e-3, min(view.width() / (rect.width() * sx), view.height() / (rect.height() * sy)))
            self.center = rect.center()
        self._apply_view()

    def scene_at(self, viewport_pos: QPointF | QPoint) -> QPointF:
        """The scene point under a viewport position (float precision)."""
        inverse, _ok = self.viewportTransform().inverted()
        return inverse.map(QPointF(viewport_pos))

    def viewport_at(self, scene_pos: QPointF) -> QPointF:
        return self.viewportTransform().map(scene_pos)

    def to_image(self, scene_pos: QPointF) -> Point:
        """Image coordinates (column, row; DICOM SR convention, pixel centres at +0.5) of a scene point."""
        return to_image(scene_pos)

    def to_scene(self, image_pos: Point) -> QPointF:
        return to_scene(image_pos)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom by ``factor`` keeping the scene point under ``anchor`` (viewport; default its centre) in place."""
        view = self.viewport().rect()
        anchor = QPointF(view.width() / 2, view.height() / 2) if anchor is None else QPointF(anchor)
        fixed = self.scene_at(anchor)
        self.zoom = min(max(self.zoom * factor, ZOOM_RANGE[0]), ZOOM_RANGE[1])
        self.fitted = False
        self.setTransform(QTransform.fromScale(*self._scales()))
        self.centerOn(self.center)
        moved = self.scene_at(anchor)  # where the fixed point went: shift the centre by the difference
        self.center = self.center + (fixed - moved)
        self._apply_view()

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the image by (dx, dy) screen pixels."""
        sx, sy = self._scales()
        self.center = QPointF(self.center.x() - dx / sx, self.center.y() - dy / sy)
        self.fitted = False
        self._apply_view()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.fitted:
            self.fit()
        else:
            self._apply_view()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.fitted:
            self.fit()

    # ------------------------------------------------------------------ cine
    @property
    def cine_running(self) -> bool:
        return self._cine.isActive()

    @property
    def cine_fps(self) -> float:
        return 1000.0 / max(1, self._cine.interval())

    def set_cine_fps(self, fps: float) -> None:
        self._cine.setInterval(max(1, round(1000.0 / max(0.5, min(fps, 60.0)))))

    def set_cine(self, on: bool) -> None:
        """Play the slices in a loop (or stop)."""
        if on == self._cine.isActive() or (on and self.volume is None):
            return
        self._cine.start() if on else self._cine.stop()
        self.cineChanged.emit(on)

    def toggle_cine(self) -> None:
        self.set_cine(not self.cine_running)

    def _cine_step(self) -> None:
        if self.volume is not None:
            self.set_slice((self.index + 1) % self.volume.count)

    # ------------------------------------------------------------------ calipers
    def show_calipers(self, calipers: Iterable[tuple[Any, ...]]) -> None:
        """The calipers to draw (each on its own slice: only those of the shown slice appear); replaces the
        previous list. Entries are :class:`CaliperShown` or tuples (tag, Caliper, colour, editable[, label])."""
        self._shown = [CaliperShown(*c) for c in calipers]
        self._by_sop = {}
        for i, shown in enumerate(self._shown):
            self._by_sop.setdefault(shown.caliper.sop_instance_uid, []).append(i)
        self._refresh_calipers()

    @property
    def calipers(self) -> list[CaliperShown]:
        """The calipers given to :meth:`show_calipers` (with this viewer's edits and new ones)."""
        return list(self._shown)

    @property
    def caliper_overlays(self) -> list[CaliperOverlay]:
        """The calipers drawn on the shown slice."""
        return [overlay for _, overlay in self._overlays]

    def _refresh_calipers(self) -> None:
        scene = self.scene()
        for _, overlay in self._overlays:
            for item in overlay.items:
                scene.removeItem(item)
        self._overlays = []
        if self.volume is None or self.index < 0:
            return
        for i in self._by_sop.get(self.volume.sop_uid(self.index), []):
            shown = self._shown[i]
            overlay = CaliperOverlay(shown.tag, shown.caliper, shown.colour, editable=shown.editable,
                                     label=shown.label, on_edited=self._edited)  # fmt: skip
            for item in overlay.items:
                scene.addItem(item)
            self._overlays.append((i, overlay))

    def _edited(self, overlay: CaliperOverlay) -> None:
        for i, shown in self._overlays:
            if shown is overlay:
                self._shown[i] = self._shown[i]._replace(caliper=overlay.caliper)
        self.caliperEdited.emit(overlay.tag, overlay.caliper)

    def start_caliper(self, kind: str, tag: str, *, line_name: str = "long",
                      colour: QColor | str = DEFAULT_CALIPER_COLOUR, label: str = "") -> bool:  # fmt: skip
        """Enter tool mode: the next left-drags draw a ``kind`` caliper (bidirectional, line — named
        ``line_name`` — or marker) for ``tag``; then ``caliperFinished`` is emitted. Refused (False, and
        ``measureRefused`` with the reason) without a series or on a series not in its acquisition plane."""
        if self.volume is None or not self.volume.acquisition_plane:
            self.measureRefused.emit(REFUSED_NO_SERIES if self.volume is None else REFUSED_PLANE)
            return False
        if self._tool is not None:
            self.cancel_caliper()
        self._tool = CaliperTool(self.scene(), kind, tag, spacing=self.volume.spacing, colour=QColor(colour),
                                 label=label, line_name=line_name)  # fmt: skip
        self.viewport().setCursor(Qt.CursorShape.CrossCursor)
        return True

    @property
    def tool_active(self) -> bool:
        return self._tool is not None

    def cancel_caliper(self) -> None:
        """Leave tool mode without a caliper."""
        tool, self._tool = self._tool, None
        if tool is not None:
            tool.reset()
            self.viewport().unsetCursor()
            self.caliperCancelled.emit(tool.tag)

    def _finish(self, tool: CaliperTool, lines: dict[str, Line], marker: Point | None) -> None:
        volume = self.volume
        assert volume is not None  # a tool exists only with a volume
        caliper = Caliper(sop_instance_uid=volume.sop_uid(self.index), series_uid=volume.series_uid,
                          spacing=volume.spacing, frame_of_reference_uid=volume.description.frame_of_reference_uid,
                          lines=lines, marker=marker)  # fmt: skip
        self._tool = None
        self.viewport().unsetCursor()
        self.show_calipers([*self._shown, CaliperShown(tool.tag, caliper, tool.colour, True, tool.label)])
        self.caliperFinished.emit(tool.tag, caliper)

    # ------------------------------------------------------------------ mouse and keys
    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(ZOOM_STEP ** (delta / 120.0), event.position())
        else:
            self._wheel_rest += delta
            steps = int(self._wheel_rest / 120)
            self._wheel_rest -= steps * 120
            if steps:
                self.step(-steps)  # wheel up (away from the user) = previous slice
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos, button = event.position(), event.button()
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if button == Qt.MouseButton.LeftButton and self._tool is not None and not shift:
            self._tool.press(to_image(self.scene_at(pos)))
        elif button == Qt.MouseButton.RightButton:
            self._drag = ("window", pos, self.windowing)
        elif button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and shift):
            self._drag = ("pan", pos, pos)
        else:
            super().mousePressEvent(event)
            return
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._drag is not None:
            what, press, start = self._drag
            if what == "window" and isinstance(start, tuple):
                self.set_window(*dragged_window(*start, pos.x() - press.x(), pos.y() - press.y()))
            elif isinstance(start, QPointF):
                self.pan_by(pos.x() - start.x(), pos.y() - start.y())
                self._drag = (what, press, pos)
        elif self._tool is not None and self._tool.drawing:
            self._tool.move(to_image(self.scene_at(pos)))
        else:
            super().mouseMoveEvent(event)
            return
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            self._drag = None
        elif self._tool is not None and event.button() == Qt.MouseButton.LeftButton:
            tool = self._tool
            drawn = tool.release(to_image(self.scene_at(event.position())))
            if drawn is not None:
                self._finish(tool, dict(drawn.lines), drawn.marker)
        else:
            super().mouseReleaseEvent(event)
            return
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        steps = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -PAGE, Qt.Key.Key_PageDown: PAGE}
        if key in steps:
            self.step(steps[Qt.Key(key)])
        elif key == Qt.Key.Key_Home:
            self.set_slice(0)
        elif key == Qt.Key.Key_End and self.volume is not None:
            self.set_slice(self.volume.count - 1)
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal, Qt.Key.Key_Minus):
            cursor = self.viewport().mapFromGlobal(self.cursor().pos())
            anchor = QPointF(cursor) if self.viewport().rect().contains(cursor) else None
            self.zoom_by(ZOOM_STEP if key != Qt.Key.Key_Minus else 1 / ZOOM_STEP, anchor)
        elif key == Qt.Key.Key_0:
            self.fit()
        elif key in PRESET_KEYS:
            self.apply_preset(PRESET_KEYS[Qt.Key(key)])
        elif key == Qt.Key.Key_Space:
            self.toggle_cine()
        elif key == Qt.Key.Key_Escape and self._tool is not None:
            self.cancel_caliper()
        else:
            super().keyPressEvent(event)
            return
        event.accept()


__all__ = ["REFUSED_NO_SERIES", "REFUSED_PLANE", "CaliperShown", "SliceViewer"]
