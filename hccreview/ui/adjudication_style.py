"""Colours, the lock icon and text formats shared by the adjudication panel and meeting mode.

The only fixed colours are those that carry meaning: a difference between the two reads (amber), the queue
status (open / adjudicated / signed) and the response codes (``report.figures.response_colour``, the colours
of the PDF). Figures are formatted here once, so the panel, meeting mode and the tests read the same text.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

from hccreview.report.figures import readable_text, response_colour
from hccreview.ui.wording import response_text  # noqa: F401  (re-exported: one wording of a response code)

#: Background of a cell whose value differs between the two reads (semi-transparent: light and dark palettes).
DIFF_BACKGROUND = QColor(255, 152, 0, 110)
#: Foreground of a missing value ("not read at this date").
MISSING_FOREGROUND = QColor(150, 150, 150)
#: Colour of each adjudication status (``domain.adjudication_status``).
STATUS_COLOURS: dict[str, str] = {
    "open": "#ef6c00",
    "adjudicated": "#1565c0",
    "signed": "#2e7d32",
    "imported": "#5e35b1",
}
DASH = "—"
NON_CR_NON_PD = "NON-CR/NON-PD"

_LOCKS: dict[tuple[int, str], QPixmap] = {}


def lock_pixmap(size: int = 16, colour: str = STATUS_COLOURS["signed"]) -> QPixmap:
    """A padlock drawn with QPainter (no icon files, no emoji font needed); cached per size and colour."""
    key = (size, colour)
    if key not in _LOCKS:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        s = float(size)
        pen = QPen(QColor(colour))
        pen.setWidthF(max(1.5, s / 9))
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        shackle = QPainterPath()
        shackle.moveTo(QPointF(s * 0.30, s * 0.48))
        shackle.lineTo(QPointF(s * 0.30, s * 0.32))
        shackle.arcTo(QRectF(s * 0.30, s * 0.10, s * 0.40, s * 0.40), 180, -180)
        shackle.lineTo(QPointF(s * 0.70, s * 0.48))
        painter.drawPath(shackle)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawRoundedRect(QRectF(s * 0.16, s * 0.45, s * 0.68, s * 0.50), s * 0.08, s * 0.08)
        painter.setBrush(QColor(readable_text(colour)))
        painter.drawEllipse(QRectF(s * 0.44, s * 0.58, s * 0.12, s * 0.14))
        painter.end()
        _LOCKS[key] = pixmap
    return _LOCKS[key]


def lock_icon(size: int = 16) -> QIcon:
    """:func:`lock_pixmap` as an icon (queue rows and the decision bar of a signed case)."""
    return QIcon(lock_pixmap(size))


def chip_style(colour: str, *, size_pt: float | None = None) -> str:
    """Stylesheet of a colour chip label (a response code or a status)."""
    font = f" font-size: {size_pt}pt;" if size_pt else ""
    return (f"QLabel {{ background: {colour}; color: {readable_text(colour)}; border-radius: 3px; "
            f"padding: 1px 6px; font-weight: bold;{font} }}")  # fmt: skip


def response_chip(code: str | None, *, size_pt: float | None = None) -> str:
    """Stylesheet of a chip for a response code (``report.figures`` colours)."""
    return chip_style(response_colour(code), size_pt=size_pt)


def response_css(code: str | None) -> str:
    """Inline CSS (rich text ``<span style=...>``) of a response code's colour chip."""
    colour = response_colour(code)
    return f"background-color: {colour}; color: {readable_text(colour)}; font-weight: bold;"


def day_text(day: date | None) -> str:
    return day.isoformat() if day is not None else DASH


def mm(value: float | None) -> str:
    """A diameter or sum in mm, one decimal ("—" for none)."""
    return DASH if value is None else f"{value:.1f}"


def signed_pct(value: float | None) -> str:
    """A percent change with its sign ("+12.5%", "−30.0%")."""
    if value is None:
        return DASH
    return f"{value:+.1f}%".replace("-", "−")


def percent(rate: float | None, digits: int = 1) -> str:
    return DASH if rate is None else f"{100 * rate:.{digits}f}%"


def months(value: float | None) -> str:
    """Months, one decimal; "NR" (not reached) for None."""
    return "NR" if value is None else f"{value:.1f}"


def proportion_text(block: dict[str, Any]) -> str:
    """``"5/40 · 12.5%"`` of an ORR / DCR block of ``cohort_figures``."""
    return f"{block['n']}/{block['denominator']} · {percent(block['rate'])}"


def proportion_ci(block: dict[str, Any]) -> str:
    """``"4.2–26.8%"``: the exact (Clopper–Pearson) 95% CI of an ORR / DCR block."""
    lo, hi = block["ci95"]
    if lo is None or hi is None:
        return DASH
    return f"{100 * lo:.1f}–{100 * hi:.1f}%"


def median_text(block: dict[str, Any]) -> str:
    """``"3.6 mo"`` of a PFS / OS block (median in months; "NR" when not reached)."""
    value = block["median_months"]
    return "NR" if value is None else f"{value:.1f} mo"


def median_ci(block: dict[str, Any]) -> str:
    """``"1.9–3.8"``: the 95% CI of a median in months (lifelines' log-log interval)."""
    lo, hi = block["ci95_months"]
    return f"{months(lo)}–{months(hi)}"


def yes_no(value: bool | None) -> str:
    return DASH if value is None else "yes" if value else "no"


def utc_text(stamp: str | None) -> str:
    """An ISO 8601 UTC time stamp as ``"2025-11-25 15:30 UTC"`` (the audit trail keeps the full value)."""
    if not stamp:
        return DASH
    text = str(stamp).replace("T", " ")
    return f"{text[:16]} UTC"
