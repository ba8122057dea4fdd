"""The viewer's corner texts (issue 21): series, slice n / N and its location, window / level, what is loading.

:func:`overlay_text` says what to write (plain strings, tested directly); :func:`draw_overlay` writes it over the
image in screen pixels, with a dark shadow so it reads on any tissue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPainter

from hccreview.ui.imaging.volume import SeriesVolume

DECODING = "decoding…"
NO_SERIES = "No series"
_MARGIN = 6
_ALIGN = {
    "top_left": Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft,
    "top_right": Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight,
    "bottom_left": Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft,
    "bottom_right": Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignRight,
    "centre": Qt.AlignmentFlag.AlignCenter,
}


class ViewState(Protocol):
    """What the texts are made of (the viewer)."""

    volume: SeriesVolume | None
    index: int
    windowing: tuple[float, float]
    zoom: float

    @property
    def cine_running(self) -> bool: ...

    @property
    def cine_fps(self) -> float: ...


def overlay_text(view: ViewState) -> dict[str, str]:
    """The texts by place (top_left, top_right, bottom_left, bottom_right, centre); empty ones included."""
    volume = view.volume
    if volume is None or view.index < 0:
        return dict.fromkeys(_ALIGN, "") | {"centre": NO_SERIES}
    i, n = view.index, volume.count
    width, centre = view.windowing
    busy = [] if volume.loaded_count == n else [f"decoding {100 * volume.loaded_count // n} %"]
    cine = [f"cine {view.cine_fps:.0f} fps"] if view.cine_running else []
    if volume.is_loaded(i):
        middle = ""
    elif i in volume.errors:
        middle = f"Slice {i + 1} could not be read: {volume.errors[i]}"
    else:
        middle = DECODING
    return {
        "top_left": volume.description.label,
        "top_right": "\n".join(busy + cine),
        "bottom_left": f"{i + 1} / {n}   {round(volume.location(i), 1) + 0.0:.1f} mm",  # + 0.0: never "-0.0"
        "bottom_right": f"W {width:.0f}  L {centre:.0f}   ×{view.zoom:.2f}",
        "centre": middle,
    }


def draw_overlay(painter: QPainter, rect: QRect, texts: Mapping[str, str]) -> None:
    """Write ``texts`` in the corners (and centre) of ``rect`` (screen pixels)."""
    inner = rect.adjusted(_MARGIN, _MARGIN, -_MARGIN, -_MARGIN)
    for place, text in texts.items():
        if not text:
            continue
        flags = int(_ALIGN[place].value) | int(Qt.TextFlag.TextWordWrap.value)
        painter.setPen(QColor(0, 0, 0))
        painter.drawText(inner.translated(1, 1), flags, text)
        painter.setPen(QColor(235, 235, 235) if place != "centre" else QColor(255, 210, 90))
        painter.drawText(inner, flags, text)


__all__ = ["DECODING", "NO_SERIES", "draw_overlay", "overlay_text"]
