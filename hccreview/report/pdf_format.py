"""Number and label formatting shared by the PDF documents and the cohort figures — the same spellings as
``hccreview stats`` and the dashboard. Every measured quantity goes through :func:`decimal`, so a number reads
the same wherever it is printed: diameters and sums in mm, months and percentages with one decimal ("12.0",
never "12" beside "12.5"); CIs as ``lo–hi%``; ``NR`` when a median is not reached. Counts stay integers.
Internal setting values (``first_dose``, ``albumin-2.8``) are put into words here too; read sources are named by
:meth:`hccreview.domain.sources.Source.label` (the GUI's and the command line's words)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

#: Digits after the decimal point of every measured quantity in a document (mm, months, percentages).
DIGITS = 1

ORIGIN_WORDS = {"randomisation": "randomisation", "enrolment": "enrolment", "first_dose": "first dose"}
ROLE_WORDS = {"investigator": "investigator", "reader": "central reader", "adjudicator": "adjudicator"}


def decimal(value: float | None, digits: int = DIGITS, *, none: str = "—") -> str:
    """The one number formatter: ``12`` → ``"12.0"``, ``12.345`` → ``"12.3"``, None → ``none``."""
    return none if value is None else f"{value:.{digits}f}"


def origin_words(rule: str) -> str:
    """The origin a date was taken from, in words: ``"first_dose"`` → ``"first dose"``, also inside a fallback
    note (``"randomisation (fallback: no first_dose date)"``)."""
    for value, words in ORIGIN_WORDS.items():
        rule = rule.replace(value, words)
    return rule


def child_pugh_variant_words(variant: str) -> str:
    """``"albumin-2.8"`` → ``"albumin cut-off 2.8 g/dL"`` (the published tables differ in it, DESIGN §4)."""
    if variant.startswith("albumin-"):
        return f"albumin cut-off {variant.removeprefix('albumin-')} g/dL"
    return variant


def pct(rate: float | None) -> str:
    """A fraction as a percentage: ``0.1`` → ``"10.0%"`` (``"—"`` for None)."""
    return "—" if rate is None else f"{decimal(100 * rate)}%"


def percent(value: float | None) -> str:
    """A value already in percent: ``94`` → ``"94.0%"`` (``"—"`` for None)."""
    return "—" if value is None else f"{decimal(value)}%"


def ci_pct(ci: Sequence[float | None]) -> str:
    """An exact CI of a proportion as printed by the dashboard: ``"2.8–23.7%"``."""
    lo, hi = ci
    if lo is None or hi is None:
        return "—"
    return f"{decimal(100 * lo)}–{decimal(100 * hi)}%"


def months(value: float | None) -> str:
    """Months with one decimal, ``NR`` when not reached."""
    return decimal(value, none="NR")


def median_ci(block: Mapping[str, Any]) -> str:
    """``"3.6 (1.9–3.8)"`` from a KM block of ``stats --json`` (``median_months``, ``ci95_months``)."""
    lo, hi = block.get("ci95_months") or (None, None)
    return f"{months(block.get('median_months'))} ({months(lo)}–{months(hi)})"


def proportion_text(block: Mapping[str, Any], n: int) -> str:
    """``"4/40 = 10.0% (exact 95% CI 2.8–23.7%)"`` from an ``orr`` / ``dcr`` block."""
    return f"{block['n']}/{n} = {pct(block['rate'])} (exact 95% CI {ci_pct(block['ci95'])})"


def count_pct(k: int, n: int) -> str:
    """``"6 (15.0%)"`` (the dashboard's spelling)."""
    return f"{k} ({decimal(100.0 * k / n)}%)" if n else str(k)


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
    return f"{block['n_agree']}/{block['n']} ({percent(block['percent_agreement'])})"


def day(value: date | str | None) -> str:
    """An ISO date (``"—"`` for None)."""
    if value is None or value == "":
        return "—"
    return value.isoformat() if isinstance(value, date) else str(value)


def role_words(role: str) -> str:
    """A read's role in words: ``"reader"`` → ``"central reader"``."""
    return ROLE_WORDS.get(role, role)


def utc_stamp(value: datetime) -> str:
    """``"2024-05-01 14:03 UTC"``."""
    return value.strftime("%Y-%m-%d %H:%M UTC")


def mm(value: float | None) -> str:
    """A diameter or sum in mm with one decimal: ``12`` → ``"12.0"``."""
    return decimal(value)


def signed_pct(value: float | None) -> str:
    """A signed percentage change: ``"+7.3%"`` / ``"−24.4%"``."""
    if value is None:
        return "—"
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return f"{sign}{decimal(abs(value))}%"


__all__ = [
    "DIGITS",
    "agree_text",
    "child_pugh_variant_words",
    "ci_pct",
    "count_pct",
    "day",
    "decimal",
    "kappa_text",
    "median_ci",
    "mm",
    "months",
    "origin_words",
    "p_value",
    "pct",
    "percent",
    "proportion_text",
    "role_words",
    "signed_pct",
    "utc_stamp",
]
