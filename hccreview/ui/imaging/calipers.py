"""Calipers drawn on a slice (issue 21): graphics items in the viewer's image-pixel scene.

- :class:`BidirectionalCaliperItem`: the long axis and the short axis kept perpendicular to it (RECIST 1.1 §3.1.1),
  each end a handle (the geometry of a drag is ``caliper_edit``'s);
- :class:`LineCaliperItem`: one line (a node's short axis, the mRECIST viable diameter, a long axis alone);
- :class:`MarkerItem`: a point (a non-target or new lesion).

Each has a colour and a label (the lesion), shows its length(s) in mm with the slice's row and column spacing
apart (``domain.calipers.Line.length_mm``), and is read-only or editable (the adjudicator's overlays of two
readers are read-only). :class:`CaliperOverlay` turns one stored :class:`~hccreview.domain.calipers.Caliper`
into these items and reports an edit once, when the mouse is released. Lines are cosmetic (two screen pixels
wide at any zoom); handles, markers and labels keep their screen size. Not QObjects: callbacks run on the GUI
thread inside Qt's mouse handling — they must not block.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsRectItem,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from hccreview.domain.calipers import Caliper, Line, Point
from hccreview.ui.imaging.caliper_edit import moved_long_end, moved_short_end
from hccreview.ui.imaging.coords import to_image, to_scene

Spacing = tuple[float, float]
HandleKey = tuple[str, int]  # (line name, 0 start / 1 end); ("marker", 0)
Z_CALIPER = 10.0


def caliper_pen(colour: QColor) -> QPen:
    pen = QPen(colour, 2.0)
    pen.setCosmetic(True)  # two screen pixels at any zoom
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    return pen


class _Handle(QGraphicsRectItem):
    """A draggable end of a line (screen-sized square)."""

    HALF = 4.5

    def __init__(self, owner: CaliperItem, key: HandleKey, colour: QColor) -> None:
        super().__init__(-self.HALF, -self.HALF, 2 * self.HALF, 2 * self.HALF, owner)
        self.owner, self.key = owner, key
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setBrush(QBrush(colour))
        self.setPen(QPen(QColor(0, 0, 0), 1.0))
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setZValue(2)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        event.accept()  # so that this handle gets the moves and the release
        self.owner.begin_drag()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.owner.drag(self.key, to_image(event.scenePos()))

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.owner.end_drag()


class _Label(QGraphicsItem):
    """The lesion's label and length(s), screen-sized, on a dark plate so it reads on bright tissue."""

    def __init__(self, parent: QGraphicsItem, colour: QColor) -> None:
        super().__init__(parent)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(3)
        self.colour = colour
        self.text = ""
        self.font = QFont()
        self.font.setPointSizeF(9.0)
        self._rect = QRectF()

    def set_text(self, text: str) -> None:
        self.prepareGeometryChange()
        self.text = text
        box = QFontMetricsF(self.font).boundingRect(text)
        self._rect = QRectF(8.0, -8.0 - box.height() - 2, box.width() + 6, box.height() + 4)

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if not self.text:
            return
        painter.fillRect(self._rect, QColor(0, 0, 0, 150))
        painter.setFont(self.font)
        painter.setPen(self.colour)
        painter.drawText(self._rect, Qt.AlignmentFlag.AlignCenter, self.text)


class CaliperItem(QGraphicsItem):
    """What the three caliper items share: colour, label, spacing, editability, and the edit callbacks.

    ``on_changed(item)`` runs on every drag step, ``on_released(item)`` once when a drag ends."""

    def __init__(self, spacing: Spacing, colour: QColor, label: str, editable: bool) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self.setZValue(Z_CALIPER)
        self.spacing, self.colour, self.label, self.editable = spacing, QColor(colour), label, editable
        self.pen = caliper_pen(self.colour)
        self.handles: dict[HandleKey, _Handle] = {}
        self.label_item = _Label(self, self.colour)
        self.on_changed: Callable[[CaliperItem], None] | None = None
        self.on_released: Callable[[CaliperItem], None] | None = None

    def boundingRect(self) -> QRectF:
        return QRectF()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        return  # the children draw

    def _line_item(self) -> QGraphicsLineItem:
        item = QGraphicsLineItem(self)
        item.setPen(self.pen)
        item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        return item

    def _handle(self, key: HandleKey) -> None:
        if self.editable:
            self.handles[key] = _Handle(self, key, self.colour)

    def _place(self, key: HandleKey, point: Point) -> None:
        handle = self.handles.get(key)
        if handle is not None:
            handle.setPos(to_scene(point))

    def _mm(self, line: Line) -> str:
        return f"{line.length_mm(self.spacing):.1f}"

    def begin_drag(self) -> None:
        """A handle was pressed."""

    def drag(self, key: HandleKey, point: Point) -> None:
        """A handle moved to image ``point``: subclasses move their geometry, then call :meth:`changed`."""
        raise NotImplementedError

    def end_drag(self) -> None:
        if self.on_released is not None:
            self.on_released(self)

    def changed(self) -> None:
        if self.on_changed is not None:
            self.on_changed(self)

    def lines(self) -> dict[str, Line]:
        """The lines this item shows, by ``domain.calipers`` name."""
        return {}

    @property
    def marker(self) -> Point | None:
        return None


class BidirectionalCaliperItem(CaliperItem):
    """Long axis + short axis (perpendicular; absent while the long axis is being drawn)."""

    def __init__(self, long: Line, short: Line | None, spacing: Spacing, colour: QColor, label: str = "",
                 editable: bool = True) -> None:  # fmt: skip
        super().__init__(spacing, colour, label, editable)
        self.long_item, self.short_item = self._line_item(), self._line_item()
        for key in (("long", 0), ("long", 1), ("short", 0), ("short", 1)):
            self._handle(key)
        self.long, self.short = long, short
        self.set_lines(long, short)

    def set_lines(self, long: Line, short: Line | None) -> None:
        self.long, self.short = long, short
        self.long_item.setLine(to_scene(long.start).x(), to_scene(long.start).y(),
                               to_scene(long.end).x(), to_scene(long.end).y())  # fmt: skip
        self._place(("long", 0), long.start)
        self._place(("long", 1), long.end)
        self.short_item.setVisible(short is not None)
        for end in (0, 1):
            handle = self.handles.get(("short", end))
            if handle is not None:
                handle.setVisible(short is not None)
        if short is not None:
            a, b = to_scene(short.start), to_scene(short.end)
            self.short_item.setLine(a.x(), a.y(), b.x(), b.y())
            self._place(("short", 0), short.start)
            self._place(("short", 1), short.end)
        size = self._mm(long) + (f" × {self._mm(short)}" if short is not None else "")
        self.label_item.set_text(f"{self.label} {size} mm".strip())
        self.label_item.setPos(to_scene(long.end))

    def drag(self, key: HandleKey, point: Point) -> None:
        name, end = key
        if name == "long":
            long, short = moved_long_end(self.long, self.short, end, point, self.spacing)
        elif self.short is not None:
            long, short = self.long, moved_short_end(self.long, self.short, end, point, self.spacing)
        else:
            return
        self.set_lines(long, short)
        self.changed()

    def lines(self) -> dict[str, Line]:
        return {"long": self.long} | ({"short": self.short} if self.short is not None else {})


class LineCaliperItem(CaliperItem):
    """One line: ``name`` is its ``domain.calipers`` line (long, short or viable)."""

    def __init__(self, line: Line, name: str, spacing: Spacing, colour: QColor, label: str = "",
                 editable: bool = True) -> None:  # fmt: skip
        super().__init__(spacing, colour, label, editable)
        self.name = name
        self.line_item = self._line_item()
        self._handle((name, 0))
        self._handle((name, 1))
        self.line = line
        self.set_line(line)

    def set_line(self, line: Line) -> None:
        self.line = line
        a, b = to_scene(line.start), to_scene(line.end)
        self.line_item.setLine(a.x(), a.y(), b.x(), b.y())
        self._place((self.name, 0), line.start)
        self._place((self.name, 1), line.end)
        what = "" if self.name == "long" else f" {self.name}"
        self.label_item.set_text(f"{self.label}{what} {self._mm(line)} mm".strip())
        self.label_item.setPos(b)

    def drag(self, key: HandleKey, point: Point) -> None:
        moved = Line(point, self.line.end) if key[1] == 0 else Line(self.line.start, point)
        if moved.length_mm(self.spacing) > 1e-6:
            self.set_line(moved)
            self.changed()

    def lines(self) -> dict[str, Line]:
        return {self.name: self.line}


class _MarkerGlyph(QGraphicsItem):
    """A ring with a cross, screen-sized; the marker's handle when editable."""

    RADIUS = 7.0

    def __init__(self, owner: MarkerItem) -> None:
        super().__init__(owner)
        self.owner = owner
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton if owner.editable else Qt.MouseButton.NoButton)
        if owner.editable:
            self.setCursor(Qt.CursorShape.SizeAllCursor)

    def boundingRect(self) -> QRectF:
        r = self.RADIUS + 2
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setPen(self.owner.pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(QPointF(0, 0), self.RADIUS, self.RADIUS)
        painter.drawLine(QPointF(-self.RADIUS, 0), QPointF(self.RADIUS, 0))
        painter.drawLine(QPointF(0, -self.RADIUS), QPointF(0, self.RADIUS))

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        event.accept()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.owner.drag(("marker", 0), to_image(event.scenePos()))

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.owner.end_drag()


class MarkerItem(CaliperItem):
    """A point on a lesion (non-target, new lesion)."""

    def __init__(self, point: Point, spacing: Spacing, colour: QColor, label: str = "", editable: bool = True) -> None:
        super().__init__(spacing, colour, label, editable)
        self.glyph = _MarkerGlyph(self)
        self.point = point
        self.set_point(point)

    def set_point(self, point: Point) -> None:
        self.point = point
        self.glyph.setPos(to_scene(point))
        self.label_item.set_text(self.label)
        self.label_item.setPos(to_scene(point))

    def drag(self, key: HandleKey, point: Point) -> None:
        self.set_point(point)
        self.changed()

    @property
    def marker(self) -> Point | None:
        return self.point


class CaliperOverlay:
    """One stored caliper on screen: its items, and its edits reported once per drag as a new Caliper.

    ``on_edited(overlay)`` runs on the GUI thread when a drag that changed something ends; ``overlay.caliper``
    is then the edited caliper (same slice, spacing and UIDs)."""

    def __init__(self, tag: str, caliper: Caliper, colour: QColor | str, *, editable: bool = True, label: str = "",
                 on_edited: Callable[[CaliperOverlay], None] | None = None) -> None:  # fmt: skip
        self.tag, self.caliper, self.editable = tag, caliper, editable
        self.colour = QColor(colour)
        self.label = label or tag
        self.on_edited = on_edited
        self._before: Caliper | None = None
        self.items: list[CaliperItem] = self._build(caliper.lines, caliper.marker)
        for item in self.items:
            item.on_changed = self._changed
            item.on_released = self._released

    def _build(self, lines: Mapping[str, Line], marker: Point | None) -> list[CaliperItem]:
        spacing, colour, label, editable = self.caliper.spacing, self.colour, self.label, self.editable
        items: list[CaliperItem] = []
        rest = dict(lines)
        if "long" in rest and "short" in rest:
            items.append(BidirectionalCaliperItem(rest.pop("long"), rest.pop("short"), spacing, colour, label,
                                                  editable))  # fmt: skip
        items += [LineCaliperItem(line, name, spacing, colour, label, editable) for name, line in sorted(rest.items())]
        if marker is not None:
            items.append(MarkerItem(marker, spacing, colour, label, editable))
        return items

    def _changed(self, item: CaliperItem) -> None:
        if self._before is None:
            self._before = self.caliper
        lines = dict(self.caliper.lines) | item.lines()
        marker = item.marker if isinstance(item, MarkerItem) else self.caliper.marker
        self.caliper = replace(self.caliper, lines=lines, marker=marker)

    def _released(self, item: CaliperItem) -> None:
        before, self._before = self._before, None
        if before is not None and before != self.caliper and self.on_edited is not None:
            self.on_edited(self)


__all__ = [
    "BidirectionalCaliperItem",
    "CaliperItem",
    "CaliperOverlay",
    "LineCaliperItem",
    "MarkerItem",
    "caliper_pen",
]
