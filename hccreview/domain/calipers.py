"""Calipers on images, and how their lengths become a lesion's measurement values (issue 21).

A caliper belongs to one measurement row (a lesion of one evaluator at one assessment) and is stored on it as
JSON (``Measurement.caliper``, a list: one :class:`Caliper` per slice measured on — mRECIST's viable diameter is
drawn on the arterial phase, the long axis perhaps on the portal-venous one): the SOP Instance UID of the slice,
its series and frame of reference, the slice's pixel spacing, and the endpoints of each line in image pixel
coordinates (column, row) as DICOM SR spatial coordinates give them (PS3.3 C.18.6.1.1: the top-left corner of
the top-left pixel is (0, 0), its centre (0.5, 0.5)), so an SR's SCOORD is the stored point itself. A line's
length in mm *is* the value of its field, computed with the row and column spacing apart (DICOM PS3.3
C.7.6.2.1.1, Pixel Spacing = row spacing \\ column spacing):

- ``long``: the longest diameter (RECIST 1.1 §3.1.1 non-nodal lesions; a node's long axis) -> ``diameter_mm``;
- ``short``: the short axis, perpendicular to the long one on the same slice (RECIST 1.1 §3.1.1 nodes: the
  short axis is the size that counts) -> ``short_axis_mm``;
- ``viable``: the longest diameter of the viable (arterially enhancing) part (mRECIST, Lencioni & Llovet 2010)
  -> ``viable_mm``;
- ``marker``: a point on a non-target or new lesion (no value; where the lesion is).

A value typed without a caliper, or typed over one, is "not image-derived": :func:`image_derived` compares each
value with its line's length to the 0.1 mm the grid records, so no flag can drift from the numbers.
Measurements are made on acquisition-plane images only (OHIF #3898: reformatted planes do not round-trip
to an SR); the viewer refuses a caliper elsewhere.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

#: The line of a caliper that sets each measurement field.
FIELD_OF_LINE: Mapping[str, str] = {"long": "diameter_mm", "short": "short_axis_mm", "viable": "viable_mm"}
LINE_OF_FIELD: Mapping[str, str] = {v: k for k, v in FIELD_OF_LINE.items()}

Point = tuple[float, float]


def _coord(value: float) -> float:
    """A stored coordinate: a thousandth of a pixel, always a float (one JSON spelling per caliper)."""
    return float(round(float(value), 3))


class CaliperError(ValueError):
    """A caliper that cannot be a measurement (unreadable JSON, a degenerate line, no pixel spacing)."""


@dataclass(frozen=True)
class Line:
    """A straight caliper line between two image points (column, row), in pixels."""

    start: Point
    end: Point

    def length_mm(self, spacing: tuple[float, float]) -> float:
        """Length in mm with ``spacing`` = (row spacing, column spacing): columns run along x, rows along y."""
        row_mm, col_mm = spacing
        dx = (self.end[0] - self.start[0]) * col_mm
        dy = (self.end[1] - self.start[1]) * row_mm
        return math.hypot(dx, dy)

    @property
    def midpoint(self) -> Point:
        return ((self.start[0] + self.end[0]) / 2, (self.start[1] + self.end[1]) / 2)

    def to_json(self) -> list[list[float]]:
        return [[_coord(self.start[0]), _coord(self.start[1])], [_coord(self.end[0]), _coord(self.end[1])]]


@dataclass(frozen=True)
class Caliper:
    """The lines (and marker) drawn on one slice for one measurement row."""

    sop_instance_uid: str
    series_uid: str
    spacing: tuple[float, float]  # (row spacing, column spacing), mm
    frame_of_reference_uid: str = ""
    lines: Mapping[str, Line] = field(default_factory=dict)  # "long" / "short" / "viable"
    marker: Point | None = None

    def __post_init__(self) -> None:
        if not (self.spacing[0] > 0 and self.spacing[1] > 0):
            raise CaliperError(f"a caliper needs a positive pixel spacing, not {self.spacing}")
        unknown = set(self.lines) - set(FIELD_OF_LINE)
        if unknown:
            raise CaliperError(f"unknown caliper line(s) {sorted(unknown)} (use long, short, viable)")

    @property
    def empty(self) -> bool:
        return not self.lines and self.marker is None

    def values(self) -> dict[str, float]:
        """The measurement fields this caliper sets, each its line's length rounded to the grid's 0.1 mm."""
        return {FIELD_OF_LINE[name]: round(line.length_mm(self.spacing), 1) for name, line in self.lines.items()}

    def with_line(self, name: str, line: Line | None) -> Caliper:
        """This caliper with line ``name`` set (or removed when ``line`` is None)."""
        lines = dict(self.lines)
        if line is None:
            lines.pop(name, None)
        else:
            lines[name] = line
        return replace(self, lines=lines)

    def to_json(self) -> str:
        payload: dict[str, Any] = {
            "sop_instance_uid": self.sop_instance_uid,
            "series_uid": self.series_uid,
            "frame_of_reference_uid": self.frame_of_reference_uid,
            "spacing": [self.spacing[0], self.spacing[1]],
            "lines": {name: self.lines[name].to_json() for name in sorted(self.lines)},
        }
        if self.marker is not None:
            payload["marker"] = [_coord(self.marker[0]), _coord(self.marker[1])]
        return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def new_tracking_uid() -> str:
    """A new DICOM Tracking Unique Identifier for a lesion: a UUID-derived UID (PS3.5 B.2, root ``2.25``), so no
    organisation root is needed and two workstations never collide. Stored once on the lesion and kept."""
    return f"2.25.{uuid.uuid4().int}"


def _one(raw: Mapping[str, Any]) -> Caliper:
    lines = {
        str(name): Line((float(a[0]), float(a[1])), (float(b[0]), float(b[1])))
        for name, (a, b) in dict(raw.get("lines", {})).items()
    }
    marker = raw.get("marker")
    return Caliper(
        sop_instance_uid=str(raw["sop_instance_uid"]),
        series_uid=str(raw.get("series_uid", "")),
        frame_of_reference_uid=str(raw.get("frame_of_reference_uid", "")),
        spacing=(float(raw["spacing"][0]), float(raw["spacing"][1])),
        lines=lines,
        marker=None if marker is None else (float(marker[0]), float(marker[1])),
    )


def parse(text: str) -> tuple[Caliper, ...]:
    """The calipers stored on a measurement, one per slice measured on (empty for a typed or blank cell):
    RECIST's long and short axes on one slice, mRECIST's viable diameter perhaps on the arterial phase's.
    :class:`CaliperError` when unreadable."""
    if not text or not text.strip():
        return ()
    try:
        raw = json.loads(text)
        found = tuple(_one(item) for item in (raw if isinstance(raw, list) else [raw]))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise CaliperError(f"unreadable caliper {text[:60]!r}: {exc}") from exc
    names = [name for c in found for name in c.lines]
    if len(names) != len(set(names)):
        raise CaliperError(f"a line is measured twice in {text[:60]!r}")
    return found


def dump(calipers: Iterable[Caliper]) -> str:
    """The stored form of a measurement's calipers ('' when none is left): a JSON list, one per slice."""
    kept = [c for c in calipers if not c.empty]
    if not kept:
        return ""
    return "[" + ",".join(sorted(c.to_json() for c in kept)) + "]"


def values_of(calipers: Iterable[Caliper]) -> dict[str, float]:
    """The measurement fields the calipers set (each line's length to 0.1 mm)."""
    out: dict[str, float] = {}
    for c in calipers:
        out.update(c.values())
    return out


def merge(existing: Iterable[Caliper], new: Caliper) -> tuple[Caliper, ...]:
    """``existing`` with ``new`` drawn: the lines (and marker) ``new`` draws replace the same lines wherever
    they were, a caliper left empty goes, ``new`` is added."""
    out = []
    for c in existing:
        for name in new.lines:
            c = c.with_line(name, None)
        if new.marker is not None and c.marker is not None:
            c = replace(c, marker=None)
        if not c.empty:
            out.append(c)
    return (*out, new)


def image_derived(measurement: Any) -> dict[str, bool]:
    """For each value field of ``measurement`` that holds a value: whether its calipers give it (to 0.1 mm).

    A value without a caliper line, or typed over one, is not image-derived. ``measurement`` is a
    :class:`~hccreview.domain.records.Measurement` (duck-typed: the fields and ``caliper``)."""
    measured = values_of(parse(getattr(measurement, "caliper", "")))
    out: dict[str, bool] = {}
    for name in FIELD_OF_LINE.values():
        value = getattr(measurement, name, None)
        if value is not None:
            out[name] = name in measured and abs(measured[name] - float(value)) < 0.05
    return out


def after_typed_edit(caliper_text: str, changed: Mapping[str, Any]) -> str:
    """The calipers left on a measurement when ``changed`` fields are typed: the lines of the changed fields are
    dropped (their values are no longer the image's), the others stay. Returns the stored form ('' when empty);
    the text unchanged when no line goes."""
    found = parse(caliper_text)
    gone = {LINE_OF_FIELD[name] for name in changed if name in LINE_OF_FIELD}
    if not any(gone & set(c.lines) for c in found):
        return caliper_text
    kept = []
    for c in found:
        for name in gone:
            c = c.with_line(name, None)
        kept.append(c)
    return dump(kept)


def perpendicular(long: Line, through: Point, length_mm: float, spacing: tuple[float, float]) -> Line:
    """The short axis of a bidirectional caliper: a line ``length_mm`` long centred on ``through`` and
    perpendicular *in mm* to ``long`` (pixels need not be square, so the right angle is taken in physical space
    and mapped back to pixels)."""
    row_mm, col_mm = spacing
    dx = (long.end[0] - long.start[0]) * col_mm
    dy = (long.end[1] - long.start[1]) * row_mm
    norm = math.hypot(dx, dy)
    if norm == 0:
        raise CaliperError("the long axis has no length")
    ux, uy = -dy / norm, dx / norm  # physical unit normal
    ox, oy = ux * length_mm / 2 / col_mm, uy * length_mm / 2 / row_mm
    return Line((through[0] - ox, through[1] - oy), (through[0] + ox, through[1] + oy))


def short_axis_for(long: Line, short: Line, spacing: tuple[float, float]) -> Line:
    """``short`` made perpendicular to ``long`` (physical space), keeping its midpoint and length: a dragged
    short-axis end or a moved long axis keeps the bidirectional caliper's right angle (RECIST 1.1 §3.1.1)."""
    return perpendicular(long, short.midpoint, short.length_mm(spacing), spacing)


def angle_between(a: Line, b: Line, spacing: tuple[float, float]) -> float:
    """The angle between two lines in physical space, degrees (0–90)."""
    row_mm, col_mm = spacing
    ax, ay = (a.end[0] - a.start[0]) * col_mm, (a.end[1] - a.start[1]) * row_mm
    bx, by = (b.end[0] - b.start[0]) * col_mm, (b.end[1] - b.start[1]) * row_mm
    na, nb = math.hypot(ax, ay), math.hypot(bx, by)
    if na == 0 or nb == 0:
        raise CaliperError("a caliper line has no length")
    cos = abs(ax * bx + ay * by) / (na * nb)
    return math.degrees(math.acos(min(1.0, cos)))


__all__ = [
    "FIELD_OF_LINE",
    "LINE_OF_FIELD",
    "Caliper",
    "CaliperError",
    "Line",
    "Point",
    "after_typed_edit",
    "angle_between",
    "dump",
    "image_derived",
    "merge",
    "new_tracking_uid",
    "parse",
    "perpendicular",
    "short_axis_for",
    "values_of",
]
