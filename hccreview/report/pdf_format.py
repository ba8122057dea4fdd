"""Number and label formatting shared by the PDF documents — the same spellings as ``hccreview stats`` and the
dashboard: percentages with one decimal, CIs as ``lo–hi%``, months with one decimal, ``NR`` when not reached."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

SOURCE_LABELS = {
    "adjudicated": "Adjudicated central review",
    "investigator": "Investigator",
    "computed": "Computed by the rules engine",
}


def source_label(source: str) -> str:
    """A reader-friendly name of a read source (``reader:NAME`` → "Reader NAME")."""
    if source.startswith("reader:"):
        return f"Reader {source.split(':', 1)[1]}"
    return SOURCE_LABELS.get(source, source)


def pct(rate: float | None, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.1`` → ``"10.0%"`` (``"—"`` for None)."""
    return "—" if rate is None else f"{100 * rate:.{digits}f}%"


def ci_pct(ci: Sequence[float | None]) -> str:
    """An exact CI of a proportion as printed by the dashboard: ``"2.8–23.7%"``."""
    lo, hi = ci
    if lo is None or hi is None:
        return "—"
    return f"{100 * lo:.1f}–{100 * hi:.1f}%"


def months(value: float | None) -> str:
    """Months with one decimal, ``NR`` when not reached."""
    return "NR" if value is None else f"{value:.1f}"


def median_ci(block: Mapping[str, Any]) -> str:
    """``"3.6 (1.9–3.8)"`` from a KM block of ``stats --json`` (``median_months``, ``ci95_months``)."""
    lo, hi = block.get("ci95_months") or (None, None)
    return f"{months(block.get('median_months'))} ({months(lo)}–{months(hi)})"


def proportion_text(block: Mapping[str, Any], n: int) -> str:
    """``"4/40 = 10.0% (exact 95% CI 2.8–23.7%)"`` from an ``orr`` / ``dcr`` block."""
    return f"{block['n']}/{n} = {pct(block['rate'])} (exact 95% CI {ci_pct(block['ci95'])})"


def count_pct(k: int, n: int) -> str:
    """``"6 (15.0%)"`` (the dashboard's spelling)."""
    return f"{k} ({100.0 * k / n:.1f}%)" if n else str(k)


def p_value(p: float | None) -> str:
    """``p = 0.003``, ``p < 0.001``, ``p n/a``."""
    if p is None or not math.isfinite(p):
        return "p n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def kappa_text(block: Mapping[str, Any] | None) -> str:
    """``"0.75 (0.56 to 0.94)"`` for Cohen's kappa with its 95% CI."""
    if not block or block.get("kappa") is None:
        return "n/a"
    lo, hi = block.get("kappa_ci95") or (None, None)
    ci = "" if lo is None or hi is None else f" ({lo:.2f} to {hi:.2f})"
    return f"{block['kappa']:.2f}{ci}"


def agree_text(block: Mapping[str, Any] | None) -> str:
    """``"33/39 (84.6%)"``."""
    if not block or not block.get("n"):
        return "n/a"
    return f"{block['n_agree']}/{block['n']} ({block['percent_agreement']:.1f}%)"


def day(value: date | str | None) -> str:
    """An ISO date (``"—"`` for None)."""
    if value is None or value == "":
        return "—"
    return value.isoformat() if isinstance(value, date) else str(value)


def utc_stamp(value: datetime) -> str:
    """``"2024-05-01 14:03 UTC"``."""
    return value.strftime("%Y-%m-%d %H:%M UTC")


def mm(value: float | None) -> str:
    """A diameter or sum in mm without needless decimals."""
    return "—" if value is None else f"{value:g}"


def signed_pct(value: float | None) -> str:
    """A signed percentage change: ``"+7.3%"`` / ``"−24.4%"``."""
    if value is None:
        return "—"
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return f"{sign}{abs(value):.1f}%"


__all__ = [
    "agree_text",
    "ci_pct",
    "count_pct",
    "day",
    "kappa_text",
    "median_ci",
    "mm",
    "months",
    "p_value",
    "pct",
    "proportion_text",
    "signed_pct",
    "source_label",
    "utc_stamp",
]
