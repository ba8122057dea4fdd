"""The swimmer plot: per patient the time on treatment, response onset, progression, death and ongoing status.

:class:`SwimmerLane` holds one patient's times in months from the origin; :func:`swimmer_selection` chooses the
lanes drawn when there are more than fit; each lane's artists carry the patient's gid (pickable). Qt-free
matplotlib; re-exported by :mod:`hccreview.report.cohort_figures`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from hccreview.report.cohort_figure_common import empty_figure, new_figure, subject_gid
from hccreview.report.figures import RESPONSE_ORDER, response_colour

MAX_SWIMMER_LANES = 50
#: Patient labels are never smaller than this (points): a larger cohort gets a taller figure or more pages
#: (the PDF splits the lanes, :func:`swimmer_pages`), not smaller print.
SWIMMER_LABEL_PT = 7.0
_MARKERS = {
    "response": {"marker": "^", "color": "#1b5e20", "label": "Response onset (confirmed CR/PR)"},
    "progression": {"marker": "o", "color": "#b71c1c", "label": "Progression"},
    "death": {"marker": "X", "color": "#000000", "label": "Death"},
    "ongoing": {"marker": ">", "color": "#37474f", "label": "Alive, progression-free at cut-off"},
}


@dataclass(frozen=True)
class SwimmerLane:
    """One patient's lane, all times in months from the origin (None: did not happen / no record)."""

    subject_id: str
    bor: str
    treatment_start: float | None
    treatment_end: float | None
    follow_up_end: float
    response: float | None = None
    progression: float | None = None
    death: float | None = None
    ongoing: bool = False
    child_pugh: str | None = None

    @property
    def treatment_months(self) -> float:
        """Time on treatment (0 without cycles)."""
        if self.treatment_start is None or self.treatment_end is None:
            return 0.0
        return max(0.0, self.treatment_end - self.treatment_start)


def swimmer_selection(lanes: Sequence[SwimmerLane], max_lanes: int = MAX_SWIMMER_LANES) -> list[SwimmerLane]:
    """The lanes drawn, top first: everyone when they fit, else responders first, then the longest on
    treatment; within each, longest on treatment first."""

    def key(lane: SwimmerLane) -> tuple[bool, float, float, str]:
        return (lane.bor not in ("CR", "PR"), -lane.treatment_months, -lane.follow_up_end, lane.subject_id)

    ordered = sorted(lanes, key=key)
    if len(ordered) <= max_lanes:
        return sorted(ordered, key=lambda lane: (-lane.treatment_months, -lane.follow_up_end, lane.subject_id))
    return ordered[:max_lanes]


def swimmer_pages(lanes: Sequence[SwimmerLane], per_page: int, max_lanes: int) -> list[list[SwimmerLane]]:
    """The lanes of a paged swimmer plot: :func:`swimmer_selection` of at most ``max_lanes``, in that order,
    cut into pages of at most ``per_page`` lanes (nearly equal, so that no page holds a stray few)."""
    shown = swimmer_selection(lanes, max_lanes)
    if not shown:
        return []
    pages = math.ceil(len(shown) / max(per_page, 1))
    size = math.ceil(len(shown) / pages)
    return [shown[i : i + size] for i in range(0, len(shown), size)]


def build_swimmer(
    lanes: Sequence[SwimmerLane],
    *,
    title: str | None = "Time on treatment and outcome",
    max_lanes: int = MAX_SWIMMER_LANES,
    fig: Figure | None = None,
    figsize: tuple[float, float] = (7.0, 6.0),
    keep_order: bool = False,
    x_max: float | None = None,
) -> Figure:
    """Swimmer plot: per patient a bar over the time on treatment (coloured by best overall response) on a
    thin follow-up line, with response onset, progression, death and an arrow for patients alive and
    progression-free at the data cut-off. More than ``max_lanes`` patients: see :func:`swimmer_selection`.
    ``keep_order``: draw ``lanes`` top to bottom as given (a page of :func:`swimmer_pages`); ``x_max``: the
    time axis's extent in months (the same on every page), else the longest lane's."""
    fig = new_figure(fig, figsize)
    shown = list(lanes)[:max_lanes] if keep_order else swimmer_selection(lanes, max_lanes)
    if not shown:
        return empty_figure(fig, "No patients to show")
    ax = fig.add_subplot()
    ax.set_gid("swimmer")
    points: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in _MARKERS}
    extent = x_max or 0.0
    for y, lane in enumerate(shown):
        gid = subject_gid(lane.subject_id)
        ax.plot([0, lane.follow_up_end], [y, y], color="#9e9e9e", linewidth=1, gid=gid, picker=True, pickradius=4)
        if lane.treatment_start is not None and lane.treatment_end is not None:
            ax.barh(y, max(lane.treatment_months, 0.05), left=lane.treatment_start, height=0.62,
                    color=response_colour(lane.bor), gid=gid, picker=True)  # fmt: skip
        for kind, x in (("response", lane.response), ("progression", lane.progression), ("death", lane.death)):
            if x is not None:
                points[kind][0].append(x)
                points[kind][1].append(y)
        if lane.ongoing:
            points["ongoing"][0].append(lane.follow_up_end + 0.35)
            points["ongoing"][1].append(y)
        extent = max(extent, lane.follow_up_end, lane.treatment_end or 0.0)
    for kind, (xs, ys) in points.items():
        style = _MARKERS[kind]
        ax.plot(xs, ys, linestyle="none", marker=style["marker"], color=style["color"], markersize=6,
                markeredgecolor="white", markeredgewidth=0.6, gid=f"swimmer-{kind}", zorder=4)  # fmt: skip
    ax.set_yticks(range(len(shown)), [lane.subject_id for lane in shown], fontsize=SWIMMER_LABEL_PT)
    ax.set_ylim(len(shown) - 0.4, -0.6)
    ax.set_xlim(0, extent * 1.04 + 0.8)
    ax.set_xlabel("Months from origin")
    ax.grid(True, axis="x", alpha=0.3)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    if title:
        capped = len(lanes) > len(shown) and not keep_order
        note = f" ({len(shown)} of {len(lanes)} shown, responders first)" if capped else ""
        ax.set_title(title + note, fontsize=10)
    present = {lane.bor for lane in shown}
    handles: list[Artist] = [Patch(color=response_colour(b), label=b) for b in RESPONSE_ORDER if b in present]
    handles += [_marker_handle(kind) for kind, (xs, _) in points.items() if xs]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 5), fontsize=7.5, frameon=False)
    return fig


def _marker_handle(kind: str) -> Artist:
    from matplotlib.lines import Line2D

    style = _MARKERS[kind]
    return Line2D([], [], linestyle="none", marker=style["marker"], color=style["color"], label=style["label"])
