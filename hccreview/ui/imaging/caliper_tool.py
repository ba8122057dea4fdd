"""Drawing a new caliper with the mouse (issue 21): the viewer's tool mode, as a small state machine.

The viewer feeds it image points (press, move, release with the left button); it shows a preview item and says
when the caliper is complete:

- ``line``: press-drag-release draws the line (its ``domain.calipers`` name is given: long, short or viable);
- ``bidirectional``: the first press-drag-release draws the long axis, the second the short axis, held
  perpendicular across it (``caliper_edit.short_axis_from_drag``: its length is the drag projected on the
  long axis's normal);
- ``marker``: a press places it, a drag moves it, the release sets it.

A press-release that moves less than one image pixel is a click, not a line, and is ignored (the tool waits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsScene

from hccreview.domain.calipers import FIELD_OF_LINE, Line, Point
from hccreview.ui.imaging.caliper_edit import short_axis_from_drag
from hccreview.ui.imaging.calipers import BidirectionalCaliperItem, CaliperItem, LineCaliperItem, MarkerItem

KINDS = ("bidirectional", "line", "marker")
MIN_DRAG_PX = 1.0


@dataclass(frozen=True)
class Drawn:
    """What the tool drew: the lines by name and / or the marker, in image coordinates."""

    lines: dict[str, Line]
    marker: Point | None = None


class CaliperTool:
    """One caliper being drawn on one slice; ``scene`` receives the preview item (removed when done)."""

    def __init__(self, scene: QGraphicsScene, kind: str, tag: str, *, spacing: tuple[float, float],
                 colour: QColor, label: str = "", line_name: str = "long") -> None:  # fmt: skip
        if kind not in KINDS:
            raise ValueError(f"unknown caliper kind {kind!r} (use {', '.join(KINDS)})")
        if kind == "line" and line_name not in FIELD_OF_LINE:
            raise ValueError(f"unknown line {line_name!r} (use {', '.join(FIELD_OF_LINE)})")
        self.scene, self.kind, self.tag, self.spacing = scene, kind, tag, spacing
        self.colour, self.label, self.line_name = QColor(colour), label or tag, line_name
        self.long: Line | None = None  # bidirectional: the long axis once drawn
        self._anchor: Point | None = None
        self._preview: CaliperItem | None = None

    @property
    def drawing(self) -> bool:
        """A press is held, or a bidirectional caliper waits for its short axis."""
        return self._anchor is not None or self.long is not None

    def press(self, point: Point) -> None:
        self._anchor = point
        if self.kind == "marker":
            self._show(MarkerItem(point, self.spacing, self.colour, self.label, editable=False))
        elif self.long is None:
            line = Line(point, point)
            item: CaliperItem = (
                BidirectionalCaliperItem(line, None, self.spacing, self.colour, self.label, editable=False)
                if self.kind == "bidirectional"
                else LineCaliperItem(line, self.line_name, self.spacing, self.colour, self.label, editable=False)
            )
            self._show(item)

    def move(self, point: Point) -> None:
        anchor, item = self._anchor, self._preview
        if anchor is None or item is None:
            return
        if isinstance(item, MarkerItem):
            item.set_point(point)
        elif isinstance(item, LineCaliperItem):
            item.set_line(Line(anchor, point))
        elif isinstance(item, BidirectionalCaliperItem):
            if self.long is None:
                item.set_lines(Line(anchor, point), None)
            elif math.dist(anchor, point) >= MIN_DRAG_PX:
                item.set_lines(self.long, short_axis_from_drag(self.long, anchor, point, self.spacing))

    def release(self, point: Point) -> Drawn | None:
        """The caliper when this release completes it, else None (the tool goes on)."""
        anchor = self._anchor
        if anchor is None:
            return None
        self.move(point)
        self._anchor = None
        if self.kind == "marker":
            self.reset()
            return Drawn({}, point)
        if math.dist(anchor, point) < MIN_DRAG_PX:  # a click
            if self.long is None:
                self._remove_preview()
            return None
        if self.long is None:
            line = Line(anchor, point)
            if self.kind == "line":
                self.reset()
                return Drawn({self.line_name: line})
            self.long = line
            return None
        long, short = self.long, short_axis_from_drag(self.long, anchor, point, self.spacing)
        self.reset()
        return Drawn({"long": long, "short": short})

    def reset(self) -> None:
        """Forget what was drawn so far (the slice changed, Escape, or done); the tool stays."""
        self._anchor = None
        self.long = None
        self._remove_preview()

    def _show(self, item: CaliperItem) -> None:
        self._remove_preview()
        self._preview = item
        self.scene.addItem(item)

    def _remove_preview(self) -> None:
        if self._preview is not None:
            self.scene.removeItem(self._preview)
            self._preview = None


__all__ = ["KINDS", "CaliperTool", "Drawn"]
