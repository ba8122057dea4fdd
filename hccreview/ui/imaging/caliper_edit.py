"""How a mouse drag changes a bidirectional caliper (issue 21): pure geometry, no Qt.

The lines and their perpendicular come from ``domain.calipers`` (``perpendicular``); this module only decides
where the user's drag puts them. Directions are taken in millimetres (pixels need not be square), points are
image pixels (column, row). RECIST 1.1 §3.1.1: the short axis is perpendicular to the long axis on the same slice.

- Drawing the short axis: the drag A → B sets its length, |AB| projected on the long axis's normal, and its
  middle, the drag's midpoint (slid along the long axis to lie within it), so that the line is perpendicular
  to the long axis and crosses it.
- Dragging a short-axis end: the other end stays, the dragged one follows the mouse along the normal.
- Dragging a long-axis end: the short axis keeps its length, where it crosses the long axis (as a fraction of
  it) and how far off-centre it lies, and turns with the long axis.
"""

from __future__ import annotations

import math

from hccreview.domain.calipers import Line, Point, perpendicular

Spacing = tuple[float, float]  # (row spacing, column spacing), mm


def _mm(v: Point, spacing: Spacing) -> Point:
    return (v[0] * spacing[1], v[1] * spacing[0])


def _px(v: Point, spacing: Spacing) -> Point:
    return (v[0] / spacing[1], v[1] / spacing[0])


def _axes(long: Line, spacing: Spacing) -> tuple[Point, Point, float]:
    """The long axis's unit direction and unit normal (mm space, the normal as ``perpendicular`` takes it) and
    its length in mm."""
    dx, dy = _mm((long.end[0] - long.start[0], long.end[1] - long.start[1]), spacing)
    norm = math.hypot(dx, dy)
    return (dx / norm, dy / norm), (-dy / norm, dx / norm), norm


def _dot(a: Point, b: Point) -> float:
    return a[0] * b[0] + a[1] * b[1]


def _oriented(line: Line, near_start: Point) -> Line:
    """``line`` with its start at the end nearer ``near_start`` (handles keep their identity)."""
    d_start = math.dist(line.start, near_start)
    d_end = math.dist(line.end, near_start)
    return line if d_start <= d_end else Line(line.end, line.start)


def has_length(line: Line, spacing: Spacing) -> bool:
    """Whether a line is long enough to measure (a click is not a drag)."""
    return line.length_mm(spacing) > 1e-6


def short_axis_from_drag(long: Line, a: Point, b: Point, spacing: Spacing) -> Line:
    """The short axis a drag from ``a`` to ``b`` draws across ``long``."""
    along, normal, length_mm = _axes(long, spacing)
    mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
    rel = _mm((mid[0] - long.start[0], mid[1] - long.start[1]), spacing)
    t = min(max(_dot(rel, along), 0.0), length_mm)  # where it crosses the long axis, kept within it
    off = _dot(rel, normal)
    shift = _px((along[0] * t + normal[0] * off, along[1] * t + normal[1] * off), spacing)
    through = (long.start[0] + shift[0], long.start[1] + shift[1])
    span_mm = abs(_dot(_mm((b[0] - a[0], b[1] - a[1]), spacing), normal))
    return _oriented(perpendicular(long, through, span_mm, spacing), a)


def moved_short_end(long: Line, short: Line, end: int, point: Point, spacing: Spacing) -> Line:
    """``short`` with end ``end`` (0 start, 1 end) dragged to ``point``, the other end fixed."""
    _along, normal, _ = _axes(long, spacing)
    fixed = short.end if end == 0 else short.start
    reach = _dot(_mm((point[0] - fixed[0], point[1] - fixed[1]), spacing), normal)
    step = _px((normal[0] * reach, normal[1] * reach), spacing)
    moved = (fixed[0] + step[0], fixed[1] + step[1])
    return Line(moved, fixed) if end == 0 else Line(fixed, moved)


def moved_long_end(
    long: Line, short: Line | None, end: int, point: Point, spacing: Spacing
) -> tuple[Line, Line | None]:
    """``long`` with end ``end`` dragged to ``point`` and ``short`` turned with it (unchanged when the move
    would leave the long axis without length)."""
    new_long = Line(point, long.end) if end == 0 else Line(long.start, point)
    if not has_length(new_long, spacing):
        return long, short
    if short is None:
        return new_long, None
    along, normal, length_mm = _axes(long, spacing)
    rel = _mm((short.midpoint[0] - long.start[0], short.midpoint[1] - long.start[1]), spacing)
    fraction, off = _dot(rel, along) / length_mm, _dot(rel, normal)
    start_side = _dot(_mm((short.start[0] - short.midpoint[0], short.start[1] - short.midpoint[1]), spacing), normal)
    along2, normal2, length2 = _axes(new_long, spacing)
    shift = _px((along2[0] * fraction * length2 + normal2[0] * off, along2[1] * fraction * length2 + normal2[1] * off),
                spacing)  # fmt: skip
    through = (new_long.start[0] + shift[0], new_long.start[1] + shift[1])
    turned = perpendicular(new_long, through, short.length_mm(spacing), spacing)
    if start_side > 0:  # perpendicular() starts on the normal's negative side; keep each handle's side
        turned = Line(turned.end, turned.start)
    return new_long, turned


__all__ = ["has_length", "moved_long_end", "moved_short_end", "short_axis_from_drag"]
