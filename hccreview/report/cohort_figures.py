"""Cohort figures shared by the dashboard and the PDF report: Kaplan–Meier with a number-at-risk table, swimmer,
a dense waterfall for large cohorts and toxicity bars.

Qt-free matplotlib through the object-oriented API (no pyplot state). Every builder returns a
:class:`~matplotlib.figure.Figure`; pass ``fig=`` to redraw into an existing one (the dashboard keeps one figure
per canvas). Patient artists carry ``gid="subject:ID"`` and ``picker=True``; :func:`subject_of` maps a picked
artist back to the patient.

One module per figure kind, all re-exported here: :mod:`~hccreview.report.cohort_figure_common` (gid convention,
new / empty figure), :mod:`~hccreview.report.cohort_km` (Kaplan–Meier, DESIGN §4),
:mod:`~hccreview.report.cohort_swimmer`, :mod:`~hccreview.report.cohort_waterfall`; the toxicity bars are here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from hccreview.domain.ctcae import carries_grades
from hccreview.report.cohort_figure_common import SUBJECT_PREFIX, empty_figure, new_figure, subject_gid, subject_of
from hccreview.report.cohort_km import (
    CHILD_PUGH_COLOURS,
    KM_COLOURS,
    MAX_RISK_COLUMNS,
    KMInput,
    at_risk,
    build_km,
    build_km_subgroups,
    fit_risk_table,
    median_text,
    month_ticks,
    p_text,
    recolour_risk_table,
    risk_height_ratios,
    risk_times,
    short_ci_method,
    update_km,
)
from hccreview.report.cohort_swimmer import (
    MAX_SWIMMER_LANES,
    SWIMMER_LABEL_PT,
    SwimmerLane,
    build_swimmer,
    swimmer_pages,
    swimmer_selection,
)
from hccreview.report.cohort_waterfall import (
    DENSE_WATERFALL_ABOVE,
    DENSE_WATERFALL_GID,
    WaterfallRows,
    build_waterfall_dense,
    update_waterfall_dense,
    waterfall_figure,
    waterfall_order,
)

__all__ = [
    "CHILD_PUGH_COLOURS",
    "DENSE_WATERFALL_ABOVE",
    "DENSE_WATERFALL_GID",
    "KM_COLOURS",
    "MAX_RISK_COLUMNS",
    "MAX_SWIMMER_LANES",
    "SUBJECT_PREFIX",
    "SWIMMER_LABEL_PT",
    "KMInput",
    "SwimmerLane",
    "WaterfallRows",
    "at_risk",
    "build_km",
    "build_km_subgroups",
    "build_swimmer",
    "build_toxicity_bars",
    "build_waterfall_dense",
    "empty_figure",
    "fit_risk_table",
    "median_text",
    "month_ticks",
    "new_figure",
    "p_text",
    "recolour_risk_table",
    "risk_height_ratios",
    "risk_times",
    "short_ci_method",
    "subject_gid",
    "subject_of",
    "swimmer_pages",
    "swimmer_selection",
    "update_km",
    "update_waterfall_dense",
    "waterfall_figure",
    "waterfall_order",
]


_TOX_PARTS = (("grade 1–2 / ungraded", "#9ccc65"), ("grade 3", "#ef6c00"), ("grade 4", "#c62828"),
              ("grade 5", "#000000"))  # fmt: skip
_SEVERITY_PARTS = (("mild", "#9ccc65"), ("moderate", "#ef6c00"), ("severe", "#c62828"),
                   ("severity not given", "#bdbdbd"))  # fmt: skip


def build_toxicity_bars(
    rows: Sequence[Mapping[str, object]],
    n_enrolled: int,
    *,
    top: int = 15,
    title: str | None = "Adverse events: patients by worst grade",
    fig: Figure | None = None,
    figsize: tuple[float, float] = (7.0, 4.8),
) -> Figure:
    """Stacked horizontal bars, % of patients per CTCAE term by worst grade (the ``stats --json`` toxicity
    rows: ``term``, ``any_grade``, ``grade3``, ``grade4``, ``grade5``), the ``top`` most frequent terms; by worst
    severity (``mild`` / ``moderate`` / ``severe``) when no row carries a grade, the title saying so."""
    fig = new_figure(fig, figsize)
    shown = list(rows)[:top]
    if not shown or n_enrolled <= 0:
        return empty_figure(fig, "No adverse events recorded")
    graded = carries_grades(shown) or carries_grades(rows)
    parts = _TOX_PARTS if graded else _SEVERITY_PARTS
    if not graded and title:
        title = "Adverse events: patients by worst severity (the data carry no CTCAE grade)"
    ax = fig.add_subplot()
    ys = range(len(shown))
    for y, row in zip(ys, shown, strict=True):
        counts = cast(Mapping[str, int], row)  # a stats --json toxicity row: its counts are ints
        if graded:
            g3, g4, g5 = (int(counts[k]) for k in ("grade3", "grade4", "grade5"))
            values: tuple[int, ...] = (int(counts["any_grade"]) - g3 - g4 - g5, g3, g4, g5)
        else:
            levels = [int(counts.get(k, 0)) for k in ("mild", "moderate", "severe")]
            values = (*levels, int(counts["any_grade"]) - sum(levels))
        left = 0.0
        for (label, colour), count in zip(parts, values, strict=True):
            width = 100.0 * count / n_enrolled
            if width > 0:
                ax.barh(y, width, left=left, height=0.7, color=colour, gid=f"term:{row['term']}", label=label)
            left += width
        ax.text(left + 0.5, y, f"{row['any_grade']}", va="center", fontsize=7, gid="tox-count")
    ax.set_yticks(list(ys), [str(row["term"]) for row in shown], fontsize=7.5)
    ax.invert_yaxis()
    ax.set_xlabel(f"% of patients (n = {n_enrolled})")
    ax.grid(True, axis="x", alpha=0.3)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    if title:
        ax.set_title(title, fontsize=10)
    handles = [Patch(color=colour, label=label) for label, colour in parts]
    ax.legend(handles=handles, fontsize=7.5, loc="lower right", frameon=False)
    return fig
