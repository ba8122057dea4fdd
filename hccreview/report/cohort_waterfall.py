"""The waterfall of best % change of the target sum: one pickable bar per patient, or one collection for many.

Up to :data:`DENSE_WATERFALL_ABOVE` patients :func:`waterfall_figure` draws :func:`figures.build_waterfall`;
above it :func:`build_waterfall_dense` (one :class:`PolyCollection`, redrawn in place by
:func:`update_waterfall_dense`). Qt-free matplotlib; re-exported by :mod:`hccreview.report.cohort_figures`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from hccreview.report.cohort_figure_common import empty_figure, new_figure, subject_of
from hccreview.report.figures import PD_LINE_PCT, PR_LINE_PCT, RESPONSE_COLOURS, RESPONSE_ORDER, response_colour

DENSE_WATERFALL_GID = "waterfall-dense"


#: Above this many patients the waterfall is one collection (``build_waterfall_dense``): one artist per bar
#: costs seconds to build and draw at thousands of patients and the bars are thinner than a pixel anyway.
DENSE_WATERFALL_ABOVE = 200

WaterfallRows = Sequence[tuple[str, float, str]]


def waterfall_order(rows: WaterfallRows) -> list[tuple[str, float, str]]:
    """Bars left to right: largest increase first, ties by patient id (the order of ``figures.build_waterfall``)."""
    return sorted(rows, key=lambda t: (-t[1], t[0]))


def waterfall_figure(rows: WaterfallRows, *, fig: Figure | None = None, title: str | None = None) -> Figure:
    """The waterfall for ``rows`` ``(subject_id, best % change, BOR)``: :func:`figures.build_waterfall` (one
    pickable bar per patient) up to :data:`DENSE_WATERFALL_ABOVE` patients, else :func:`build_waterfall_dense`."""
    from hccreview.report.figures import build_waterfall

    heading = title or "Best % change of the target sum from baseline"
    if len(rows) > DENSE_WATERFALL_ABOVE:
        return build_waterfall_dense(rows, title=heading, fig=fig)
    fig = build_waterfall(list(rows), title=heading, fig=fig)
    for ax in fig.axes:
        for patch in ax.patches:
            if subject_of(patch):
                patch.set_picker(True)
    return fig


def _bar_verts(ordered: list[tuple[str, float, str]]) -> list[list[tuple[float, float]]]:
    return [[(x - 0.5, 0.0), (x - 0.5, pct), (x + 0.5, pct), (x + 0.5, 0.0)] for x, (_, pct, _) in enumerate(ordered)]


def build_waterfall_dense(
    rows: WaterfallRows,
    *,
    title: str | None = "Best % change of the target sum from baseline",
    fig: Figure | None = None,
    figsize: tuple[float, float] = (8.0, 3.6),
) -> Figure:
    """Waterfall of many patients as ONE pickable :class:`PolyCollection` (gid :data:`DENSE_WATERFALL_GID`;
    a pick's ``ind`` indexes :func:`waterfall_order`), coloured by BOR, with the +20 % / −30 % lines."""
    fig = new_figure(fig, figsize)
    if not rows:
        return empty_figure(fig, "No patient with a measured target sum")
    ordered = waterfall_order(rows)
    ax = fig.add_subplot()
    bars = PolyCollection(_bar_verts(ordered), facecolors=[response_colour(b) for _, _, b in ordered],
                          edgecolors="none", gid=DENSE_WATERFALL_GID, picker=True)  # fmt: skip
    ax.add_collection(bars)
    ax.axhline(PD_LINE_PCT, linestyle="--", linewidth=1, color=RESPONSE_COLOURS["PD"], gid="ref:pd")
    ax.axhline(PR_LINE_PCT, linestyle="--", linewidth=1, color=RESPONSE_COLOURS["PR"], gid="ref:pr")
    ax.axhline(0, color="#757575", linewidth=0.8, gid="zero")
    _dense_limits(ax, ordered)
    ax.set_xticks([])
    ax.set_xlabel(f"{len(ordered)} patients, ordered by best change")
    ax.set_ylabel("% change from baseline")
    ax.grid(True, axis="y", alpha=0.3)
    if title:
        ax.set_title(title, fontsize=10)
    _bor_legend(ax, ordered)
    return fig


def update_waterfall_dense(fig: Figure, rows: WaterfallRows) -> bool:
    """Update a :func:`build_waterfall_dense` figure in place (bars, colours, limits, legend); False when the
    figure is not one (nothing touched)."""
    found = next(((ax, c) for ax in fig.axes for c in ax.collections if c.get_gid() == DENSE_WATERFALL_GID), None)
    if found is None or not rows:
        return False
    ax, collection = found
    bars = cast(PolyCollection, collection)  # the bars of build_waterfall_dense (its gid)
    ordered = waterfall_order(rows)
    bars.set_verts(_bar_verts(ordered))
    bars.set_facecolor([response_colour(b) for _, _, b in ordered])
    _dense_limits(ax, ordered)
    ax.set_xlabel(f"{len(ordered)} patients, ordered by best change")
    _bor_legend(ax, ordered)
    fig.stale = True
    return True


def _dense_limits(ax: Axes, ordered: list[tuple[str, float, str]]) -> None:
    values = [pct for _, pct, _ in ordered]
    ax.set_xlim(-0.5, len(ordered) - 0.5)
    ax.set_ylim(min(-40.0, min(values) - 5), max(30.0, max(values) + 5))


def _bor_legend(ax: Axes, ordered: list[tuple[str, float, str]]) -> None:
    counts: dict[str, int] = {}
    for _, _, bor in ordered:
        counts[bor] = counts.get(bor, 0) + 1
    keys = [b for b in RESPONSE_ORDER if b in counts] + sorted(set(counts) - set(RESPONSE_ORDER))
    handles = [Patch(color=response_colour(b), label=f"{b} ({counts[b]})") for b in keys]
    ax.legend(handles=handles, fontsize=7.5, loc="lower left", frameon=False, ncol=min(len(handles), 4))
