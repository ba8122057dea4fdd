"""Cohort figures shared by the dashboard and the PDF report: Kaplan–Meier with a number-at-risk table, swimmer,
a dense waterfall for large cohorts and toxicity bars.

Qt-free matplotlib through the object-oriented API (no pyplot state). Every builder returns a
:class:`~matplotlib.figure.Figure`; pass ``fig=`` to redraw into an existing one (the dashboard keeps one figure
per canvas). Patient artists carry ``gid="subject:ID"`` (the convention of :mod:`hccreview.report.figures`, so
that a patient id can never be mistaken for another artist's gid such as ``"ref:pd"``) and ``picker=True``;
:func:`subject_of` maps a picked artist back to the patient.

Kaplan–Meier (DESIGN §4): step curves of :class:`~hccreview.domain.survival.KMResult` points, censor marks (+),
the pointwise 95% band of ``KMResult.curve`` (lifelines' ``confidence_interval_``), median with its CI in the
legend and the CI method named in the legend title, and the number at risk under the x axis in an axes that
shares x with the plot: each count is drawn at the data x of its tick, so the table is aligned to the ticks
by construction (as survminer and lifelines' ``add_at_risk_counts`` draw it). Counts are read from
``KMResult.risk_table`` (at risk at t = subjects with duration ≥ t); nothing is recounted here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from hccreview.domain.survival import KMResult
from hccreview.report.figures import PD_LINE_PCT, PR_LINE_PCT, RESPONSE_COLOURS, RESPONSE_ORDER, response_colour

KM_COLOURS = ("#1f4e9c", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e")
CHILD_PUGH_COLOURS = {"A": "#1b9e77", "B": "#d95f02", "C": "#7570b3"}
MAX_RISK_COLUMNS = 13
SUBJECT_PREFIX = "subject:"
DENSE_WATERFALL_GID = "waterfall-dense"

KMInput = Sequence[KMResult] | Mapping[str, KMResult]


def subject_gid(subject_id: str) -> str:
    """The gid a patient's artist carries."""
    return SUBJECT_PREFIX + subject_id


def subject_of(artist: Artist) -> str | None:
    """The patient a picked artist belongs to (None for every other artist)."""
    gid = artist.get_gid() or ""
    return gid[len(SUBJECT_PREFIX) :] if gid.startswith(SUBJECT_PREFIX) else None


def new_figure(fig: Figure | None, figsize: tuple[float, float]) -> Figure:
    """A new constrained-layout figure, or ``fig`` cleared for a rebuild."""
    if fig is None:
        return Figure(figsize=figsize, layout="constrained")
    fig.clear()
    fig.set_layout_engine("constrained")
    return fig


def empty_figure(fig: Figure, text: str) -> Figure:
    """A figure that only says why there is nothing to draw."""
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, gid="empty", color="#555555")
    return fig


# --- Kaplan–Meier -----------------------------------------------------------------------------------------


def _series(results: KMInput) -> list[tuple[str, KMResult]]:
    items = list(results.items()) if isinstance(results, Mapping) else [(r.label, r) for r in results]
    return [(label, km) for label, km in items if km.n > 0]


def _months(value: float | None) -> str:
    return "NR" if value is None else f"{value:.1f}"


def median_text(km: KMResult) -> str:
    """``"3.6 (2.1–5.5)"``: the median and its 95% CI in months, NR where not reached."""
    lo, hi = km.ci95_months
    return f"{_months(km.median_months)} ({_months(lo)}–{_months(hi)})"


def short_ci_method(km: KMResult) -> str:
    """The CI method without the library note: ``"log(-log) (exponential Greenwood)"``."""
    return km.ci_method.split(",")[0].strip()


def p_text(p: float | None) -> str:
    """A p-value as printed in titles: ``p = 0.012``, ``p < 0.001``, ``p n/a``."""
    if p is None or not math.isfinite(p):
        return "p n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def risk_times(series: list[tuple[str, KMResult]], max_columns: int = MAX_RISK_COLUMNS) -> list[float]:
    """The risk-table times shown (and used as x ticks): the union of the results' times, thinned evenly to at
    most ``max_columns`` (every k-th time from 0, so every column is still a time of the tables)."""
    times = sorted({row.time_months for _, km in series for row in km.risk_table})
    step = max(1, math.ceil(len(times) / max_columns))
    return times[::step]


def risk_height_ratios(fig: Figure, rows: int) -> list[float]:
    """Plot and risk-table heights: about 0.2 in per table row plus its title, the rest for the plot."""
    table = 0.2 * rows + 0.12
    plot = max(1.5, fig.get_figheight() - table - 1.3)
    return [plot, table]


def at_risk(km: KMResult, t: float) -> int:
    """Number at risk at ``t`` from the result's risk table (0 after its last row, whose times it ends at)."""
    for row in km.risk_table:
        if math.isclose(row.time_months, t, abs_tol=1e-9):
            return row.at_risk
    return 0


def _step_at(km: KMResult, t: float) -> float:
    """S(t) of the step curve (right-continuous)."""
    s = 1.0
    for point in km.curve:
        if point.time > t + 1e-12:
            break
        s = point.survival
    return s


def _curve_arrays(km: KMResult) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    t = np.array([p.time for p in km.curve], dtype=float)
    s = np.array([p.survival for p in km.curve], dtype=float)
    lo = np.array([np.nan if p.lower is None else p.lower for p in km.curve], dtype=float)
    hi = np.array([np.nan if p.upper is None else p.upper for p in km.curve], dtype=float)
    return t, s, lo, hi


def _censor_xy(km: KMResult, censored: Sequence[float] | None) -> tuple[list[float], list[float]]:
    xs = list(censored) if censored is not None else []
    return xs, [_step_at(km, x) for x in xs]


def _legend_label(label: str, km: KMResult) -> str:
    return f"{label} (n={km.n}, {km.events} events): {median_text(km)}"


def _km_title(title: str | None, logrank_p: float | None) -> str:
    if logrank_p is None:
        return title or ""
    return f"{title} — log-rank {p_text(logrank_p)}" if title else f"log-rank {p_text(logrank_p)}"


def build_km(
    results: KMInput,
    title: str | None = None,
    *,
    show_ci: bool = True,
    logrank_p: float | None = None,
    censor_times: Mapping[str, Sequence[float]] | None = None,
    colours: Mapping[str, str] | None = None,
    xlabel: str = "Months from origin",
    fig: Figure | None = None,
    figsize: tuple[float, float] = (6.4, 4.6),
) -> Figure:
    """Kaplan–Meier curves with a number-at-risk table under the x axis (see the module docstring).

    ``results``: KM results (labelled by ``KMResult.label``) or a mapping label → result. ``censor_times``
    (label → months of each censored subject) places one + per censored subject; without it no marks are
    drawn (a ``KMResult`` does not say which times were censorings). ``logrank_p`` goes into the title.
    """
    fig = new_figure(fig, figsize)
    series = _series(results)
    if not series:
        return empty_figure(fig, "No patients to analyse")
    times = risk_times(series)
    grid = fig.add_gridspec(2, 1, height_ratios=risk_height_ratios(fig, len(series)))
    ax = fig.add_subplot(grid[0])
    ax_risk = fig.add_subplot(grid[1], sharex=ax)
    ax.set_gid("km-plot")
    ax_risk.set_gid("km-risk-table")
    for i, (label, km) in enumerate(series):
        colour = (colours or {}).get(label, KM_COLOURS[i % len(KM_COLOURS)])
        t, s, lo, hi = _curve_arrays(km)
        ax.step(t, s, where="post", color=colour, linewidth=1.8, label=_legend_label(label, km), gid=f"km:{label}")
        if show_ci:
            ax.fill_between(t, lo, hi, step="post", color=colour, alpha=0.15, linewidth=0, gid=f"km-ci:{label}")
        cx, cy = _censor_xy(km, (censor_times or {}).get(label))
        ax.plot(cx, cy, linestyle="none", marker="+", markersize=7, markeredgewidth=1.2, color=colour,
                gid=f"km-censor:{label}")  # fmt: skip
        for x in times:
            ax_risk.text(x, i, str(at_risk(km, x)), ha="center", va="center", fontsize=8, color=colour,
                         gid=f"risk:{label}")  # fmt: skip
    x_max = max(max((p.time for p in km.curve), default=0.0) for _, km in series)
    ax.set_xlim(-0.02 * max(x_max, 1.0), max(x_max, times[-1]) * 1.03 + 0.1)
    ax.set_ylim(-0.02, 1.04)
    ax.set_xticks(times, [f"{x:g}" for x in times])
    ax.set_ylabel("Probability")
    ax.set_xlabel(xlabel)
    ax.grid(True, alpha=0.25)
    ax.axhline(0.5, color="#9e9e9e", linewidth=0.7, linestyle=":", gid="median-line")
    ax.tick_params(labelsize=8)
    method = short_ci_method(series[0][1])
    legend = ax.legend(loc="upper right", fontsize=7.5, title=f"Median, months (95% CI: {method})",
                       title_fontsize=7.5, framealpha=0.9)  # fmt: skip
    legend.set_gid("km-legend")
    if title or logrank_p is not None:
        ax.set_title(_km_title(title, logrank_p), fontsize=10)
    _style_risk_axes(ax_risk, [label for label, _ in series], colours, len(series))
    return fig


def _style_risk_axes(ax: Axes, labels: list[str], colours: Mapping[str, str] | None, n: int) -> None:
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_yticks(range(n), labels)
    for i, tick in enumerate(ax.get_yticklabels()):
        tick.set_color((colours or {}).get(labels[i], KM_COLOURS[i % len(KM_COLOURS)]))
        tick.set_fontsize(8)
    ax.tick_params(axis="x", which="both", bottom=False, labelbottom=False)
    ax.tick_params(axis="y", length=0, pad=16)  # clear of a wide count ("5000") centred on the first tick
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title("Number at risk", loc="left", fontsize=8, pad=2)


def update_km(
    fig: Figure,
    results: KMInput,
    title: str | None = None,
    *,
    logrank_p: float | None = None,
    censor_times: Mapping[str, Sequence[float]] | None = None,
) -> bool:
    """Update a figure made by :func:`build_km` in place (curves, bands, censor marks, risk counts, legend,
    title) when the labels and risk-table columns are unchanged; False (nothing touched) otherwise."""
    series = _series(results)
    axes = {ax.get_gid(): ax for ax in fig.axes}
    ax, ax_risk = axes.get("km-plot"), axes.get("km-risk-table")
    if ax is None or ax_risk is None or not series:
        return False
    times = risk_times(series)
    lines = {line.get_gid(): line for line in ax.lines}
    bands = {c.get_gid(): c for c in ax.collections}
    labels = [label for label, _ in series]
    if [t.get_text() for t in ax_risk.get_yticklabels()] != labels or list(ax.get_xticks()) != times:
        return False
    if any(f"km:{label}" not in lines for label in labels):
        return False
    texts: dict[str, list] = {}
    for text in ax_risk.texts:
        texts.setdefault(text.get_gid(), []).append(text)
    for label, km in series:
        t, s, lo, hi = _curve_arrays(km)
        line = lines[f"km:{label}"]
        line.set_data(t, s)
        line.set_label(_legend_label(label, km))
        if f"km-ci:{label}" in bands:
            bands[f"km-ci:{label}"].set_data(t, lo, hi)
        lines[f"km-censor:{label}"].set_data(*_censor_xy(km, (censor_times or {}).get(label)))
        for text, x in zip(texts.get(f"risk:{label}", []), times, strict=True):
            text.set_text(str(at_risk(km, x)))
    legend = ax.get_legend()
    if legend is not None:
        for text, (label, km) in zip(legend.get_texts(), series, strict=True):
            text.set_text(_legend_label(label, km))
    x_max = max(max((p.time for p in km.curve), default=0.0) for _, km in series)
    ax.set_xlim(-0.02 * max(x_max, 1.0), max(x_max, times[-1]) * 1.03 + 0.1)
    if title or logrank_p is not None:
        ax.set_title(_km_title(title, logrank_p), fontsize=10)
    fig.stale = True
    return True


def fit_risk_table(fig: Figure) -> None:
    """Re-apportion a :func:`build_km` figure's heights after a resize, so the table keeps ~0.2 in per row."""
    for ax in fig.axes:
        if ax.get_gid() == "km-plot":
            spec = ax.get_subplotspec()
            if spec is not None:
                rows = len(next(a for a in fig.axes if a.get_gid() == "km-risk-table").get_yticks())
                spec.get_gridspec().set_height_ratios(risk_height_ratios(fig, rows))
            return


def recolour_risk_table(fig: Figure) -> None:
    """Give each risk-table row (label and counts) its curve's colour again, e.g. after a screen theme has
    recoloured every text to the palette's foreground."""
    axes = {ax.get_gid(): ax for ax in fig.axes}
    ax, ax_risk = axes.get("km-plot"), axes.get("km-risk-table")
    if ax is None or ax_risk is None:
        return
    colours = {line.get_gid()[3:]: line.get_color() for line in ax.lines if (line.get_gid() or "").startswith("km:")}
    for text in ax_risk.texts:
        label = (text.get_gid() or "")[len("risk:") :]
        if label in colours:
            text.set_color(colours[label])
    for tick in ax_risk.get_yticklabels():
        if tick.get_text() in colours:
            tick.set_color(colours[tick.get_text()])


def build_km_subgroups(
    by_group: Mapping[str, KMResult],
    title: str | None = None,
    *,
    logrank_p: float | None = None,
    censor_times: Mapping[str, Sequence[float]] | None = None,
    show_ci: bool = False,
    fig: Figure | None = None,
    figsize: tuple[float, float] = (6.4, 4.6),
) -> Figure:
    """KM curves per Child-Pugh class (keys "A", "B", "C"; empty classes left out), log-rank p in the title.

    Curves are labelled "Child-Pugh A" etc.; ``censor_times`` is keyed by class.
    """
    labelled = {f"Child-Pugh {k}": km for k, km in by_group.items()}
    colours = {f"Child-Pugh {k}": CHILD_PUGH_COLOURS.get(k, KM_COLOURS[i]) for i, k in enumerate(by_group)}
    censors = {f"Child-Pugh {k}": v for k, v in (censor_times or {}).items()}
    return build_km(labelled, title, show_ci=show_ci, logrank_p=logrank_p, censor_times=censors,
                    colours=colours, fig=fig, figsize=figsize)  # fmt: skip


# --- swimmer ----------------------------------------------------------------------------------------------

MAX_SWIMMER_LANES = 50
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


def build_swimmer(
    lanes: Sequence[SwimmerLane],
    *,
    title: str | None = "Time on treatment and outcome",
    max_lanes: int = MAX_SWIMMER_LANES,
    fig: Figure | None = None,
    figsize: tuple[float, float] = (7.0, 6.0),
) -> Figure:
    """Swimmer plot: per patient a bar over the time on treatment (coloured by best overall response) on a
    thin follow-up line, with response onset, progression, death and an arrow for patients alive and
    progression-free at the data cut-off. More than ``max_lanes`` patients: see :func:`swimmer_selection`."""
    fig = new_figure(fig, figsize)
    shown = swimmer_selection(lanes, max_lanes)
    if not shown:
        return empty_figure(fig, "No patients to show")
    ax = fig.add_subplot()
    ax.set_gid("swimmer")
    points: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in _MARKERS}
    x_max = 0.0
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
        x_max = max(x_max, lane.follow_up_end, lane.treatment_end or 0.0)
    for kind, (xs, ys) in points.items():
        style = _MARKERS[kind]
        ax.plot(xs, ys, linestyle="none", marker=style["marker"], color=style["color"], markersize=6,
                markeredgecolor="white", markeredgewidth=0.6, gid=f"swimmer-{kind}", zorder=4)  # fmt: skip
    ax.set_yticks(range(len(shown)), [lane.subject_id for lane in shown], fontsize=7 if len(shown) <= 40 else 6)
    ax.set_ylim(len(shown) - 0.4, -0.6)
    ax.set_xlim(0, x_max * 1.04 + 0.8)
    ax.set_xlabel("Months from origin")
    ax.grid(True, axis="x", alpha=0.3)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    if title:
        note = f" ({len(shown)} of {len(lanes)} shown, responders first)" if len(lanes) > len(shown) else ""
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


# --- waterfall --------------------------------------------------------------------------------------------

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
    bars = next((c for ax in fig.axes for c in ax.collections if c.get_gid() == DENSE_WATERFALL_GID), None)
    if bars is None or not rows:
        return False
    ordered = waterfall_order(rows)
    bars.set_verts(_bar_verts(ordered))
    bars.set_facecolors([response_colour(b) for _, _, b in ordered])
    ax = bars.axes
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


# --- toxicity ---------------------------------------------------------------------------------------------

_TOX_PARTS = (("grade 1–2 / ungraded", "#9ccc65"), ("grade 3", "#ef6c00"), ("grade 4", "#c62828"),
              ("grade 5", "#000000"))  # fmt: skip


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
    rows: ``term``, ``any_grade``, ``grade3``, ``grade4``, ``grade5``), the ``top`` most frequent terms."""
    fig = new_figure(fig, figsize)
    shown = list(rows)[:top]
    if not shown or n_enrolled <= 0:
        return empty_figure(fig, "No adverse events recorded")
    ax = fig.add_subplot()
    ys = range(len(shown))
    for y, row in zip(ys, shown, strict=True):
        g3, g4, g5 = (int(row[k]) for k in ("grade3", "grade4", "grade5"))  # type: ignore[call-overload]
        low = int(row["any_grade"]) - g3 - g4 - g5  # type: ignore[call-overload]
        left = 0.0
        for (label, colour), count in zip(_TOX_PARTS, (low, g3, g4, g5), strict=True):
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
    handles = [Patch(color=colour, label=label) for label, colour in _TOX_PARTS]
    ax.legend(handles=handles, fontsize=7.5, loc="lower right", frameon=False)
    return fig
