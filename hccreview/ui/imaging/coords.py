"""Image pixel ↔ scene coordinates of the slice viewer (issue 21).

The scene's unit is one image pixel and pixel (c, r) is drawn over [c, c+1) × [r, r+1). ``domain.calipers``
stores points as DICOM SR spatial coordinates do (PS3.3 C.18.6.1.1: the top-left corner of the top-left pixel
is (0, 0), its centre (0.5, 0.5)), so a scene point *is* the image point: no offset to get wrong between the
viewer, the stored caliper and an SR's SCOORD.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF

from hccreview.domain.calipers import Point


def to_scene(point: Point) -> QPointF:
    """The scene point of image point (column, row)."""
    return QPointF(point[0], point[1])


def to_image(point: QPointF) -> Point:
    """The image point (column, row) of a scene point."""
    return (point.x(), point.y())


__all__ = ["to_image", "to_scene"]
