"""Kaplan–Meier figures with a number-at-risk table (DESIGN §4), for the dashboard and the PDF report.

Step curves of :class:`~hccreview.domain.survival.KMResult` points, censor marks (+), the pointwise 95% band of
``KMResult.curve`` (lifelines' ``confidence_interval_``), median with its CI in the legend and the CI method
named in the legend title, and the number at risk under the x axis in an axes that shares x with the plot: each
count is drawn at the data x of its tick, so the table is aligned to the ticks by construction (as survminer and
lifelines' ``add_at_risk_counts`` draw it). Counts are read from ``KMResult.risk_table`` (at risk at t = subjects
with duration ≥ t) and censor marks from ``KMResult.censor_months``: nothing is recounted here, so marks, curve and
table cover the same subjects (the population the result was fitted on, e.g.
:func:`hccreview.domain.cohort.endpoint_curve`). :func:`update_km` redraws a figure in place. Qt-free matplotlib;
re-exported by :mod:`hccreview.report.cohort_figures`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, cast

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from hccreview.domain.survival import KMResult
from hccreview.report.cohort_figure_common import empty_figure, new_figure
from hccreview.report.pdf_format import months, p_value

if TYPE_CHECKING:
    from matplotlib.collections import FillBetweenPolyCollection
    from matplotlib.text import Text

KM_COLOURS = ("#1f4e9c", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e")
CHILD_PUGH_COLOURS = {"A": "#1b9e77", "B": "#d95f02", "C": "#7570b3"}
MAX_RISK_COLUMNS = 13
#: Tick spacings of the time axis in months, the first that keeps at most MAX_RISK_COLUMNS ticks across the
#: whole follow-up: every 3 months, else every 6 (then 12, 24 for very long follow-up).
TICK_STEPS_MONTHS = (3.0, 6.0, 12.0, 24.0)
LEGEND_FONT = 7.5
#: Stacking of the curves' artists: above every fixed part of the axes (grid 1.5, median line 2, spines 2.5),
#: so that drawing the fixed parts first and the data over them (:func:`km_layers`) paints what one full
#: draw paints.
DATA_ZORDER = {"band": 2.6, "line": 2.7, "censor": 2.8}
#: Title height in axes units, given explicitly (1.0, where matplotlib would place it here anyway): with it
#: matplotlib skips measuring every tick label of the figure to place the titles on each draw.
TITLE_Y = 1.0

KMInput = Sequence[KMResult] | Mapping[str, KMResult]


def _series(results: KMInput) -> list[tuple[str, KMResult]]:
    items = list(results.items()) if isinstance(results, Mapping) else [(r.label, r) for r in results]
    return [(label, km) for label, km in items if km.n > 0]


def median_text(km: KMResult) -> str:
    """``"3.6 (2.1–5.5)"``: the median and its 95% CI in months, NR where not reached."""
    lo, hi = km.ci95_months
    return f"{months(km.median_months)} ({months(lo)}–{months(hi)})"


def short_ci_method(km: KMResult) -> str:
    """The CI method without the library note: ``"log(-log) (exponential Greenwood)"``."""
    return km.ci_method.split(",")[0].strip()


def p_text(p: float | None) -> str:
    """A p-value as printed in titles: ``p = 0.012``, ``p < 0.001``, ``p n/a`` (the PDF's spelling)."""
    return p_value(p)


def month_ticks(follow_up_months: float, max_ticks: int = MAX_RISK_COLUMNS) -> list[float]:
    """Time-axis ticks (and risk-table columns) across the whole follow-up: 0, step, 2·step, … up to the first
    multiple of step at or beyond ``follow_up_months``, with the first step of :data:`TICK_STEPS_MONTHS`
    that gives at most ``max_ticks`` ticks (follow-up 40 months → every 6 months, 0 … 42)."""
    follow_up = max(float(follow_up_months), 0.0) if math.isfinite(follow_up_months) else 0.0
    for step in TICK_STEPS_MONTHS:
        count = max(1, math.ceil(follow_up / step - 1e-9))
        if count + 1 <= max_ticks or step == TICK_STEPS_MONTHS[-1]:
            return [float(i * step) for i in range(count + 1)]
    raise AssertionError("unreachable")  # pragma: no cover


def _last_time(km: KMResult) -> float:
    return max((p.time for p in km.curve), default=0.0)


def _count_known(km: KMResult, t: float) -> bool:
    """Whether the number at risk at ``t`` is known: a time of the result's risk table, or past its last
    duration (nobody is at risk there)."""
    return t > _last_time(km) + 1e-9 or any(math.isclose(r.time_months, t, abs_tol=1e-9) for r in km.risk_table)


def risk_times(series: list[tuple[str, KMResult]], max_columns: int = MAX_RISK_COLUMNS) -> list[float]:
    """The risk-table times shown (and used as x ticks): :func:`month_ticks` across the longest follow-up of
    the results, whose counts the results' risk tables give (every 3 months by default). A result tabulated
    at other times keeps its own times, thinned evenly to at most ``max_columns`` (every k-th time from 0)."""
    ticks = month_ticks(max((_last_time(km) for _, km in series), default=0.0), max_columns)
    if all(_count_known(km, t) for _, km in series for t in ticks):
        return ticks
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


def censor_marks(km: KMResult, censored: Sequence[float] | None = None) -> list[float]:
    """The months of the censor marks drawn on ``km``: the censored durations it was fitted on
    (``KMResult.censor_months``, so every mark is a subject of the curve and its risk table, and a subject
    left out of the analysis — e.g. pending adjudication — has none); ``censored`` (the caller's list) only for
    a result that does not carry them."""
    if km.censor_months is not None:
        return list(km.censor_months)
    return list(censored) if censored is not None else []


def _censor_xy(km: KMResult, censored: Sequence[float] | None) -> tuple[list[float], list[float]]:
    xs = censor_marks(km, censored)
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

    ``results``: KM results (labelled by ``KMResult.label``) or a mapping label → result. One + per censored
    subject of each fit, from ``KMResult.censor_months`` (:func:`censor_marks`); ``censor_times`` (label →
    months) is used only for a result that does not carry its censored times (built by hand), else no marks.
    ``logrank_p`` goes into the title.
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
        ax.step(t, s, where="post", color=colour, linewidth=1.8, label=_legend_label(label, km), gid=f"km:{label}",
                zorder=DATA_ZORDER["line"])  # fmt: skip
        if show_ci:
            ax.fill_between(t, lo, hi, step="post", color=colour, alpha=0.15, linewidth=0, gid=f"km-ci:{label}",
                            zorder=DATA_ZORDER["band"])  # fmt: skip
        cx, cy = _censor_xy(km, (censor_times or {}).get(label))
        ax.plot(cx, cy, linestyle="none", marker="+", markersize=7, markeredgewidth=1.2, color=colour,
                gid=f"km-censor:{label}", zorder=DATA_ZORDER["censor"])  # fmt: skip
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
    # above the plot, off the curves (inside the axes it covered a curve that stays high, e.g. OS with few
    # deaths); constrained layout makes room for it, the title sits above it
    legend = ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), borderaxespad=0.3, fontsize=LEGEND_FONT,
                       title=f"Median, months (95% CI: {method})", title_fontsize=LEGEND_FONT, frameon=False,
                       alignment="left")  # fmt: skip
    legend.set_gid("km-legend")
    _set_title(ax, title, logrank_p, len(series))
    _style_risk_axes(ax_risk, [label for label, _ in series], colours, len(series))
    return fig


def legend_height_points(rows: int) -> float:
    """Height of the legend above the plot in points: its title and ``rows`` entries at :data:`LEGEND_FONT`
    (measured from matplotlib's legend layout: 1.8 em of title and padding, 1.5 em per entry)."""
    return LEGEND_FONT * (1.8 + 1.5 * rows)


def _set_title(ax: Axes, title: str | None, logrank_p: float | None, rows: int) -> None:
    """The plot's title, above the legend. ``y`` given: matplotlib then skips placing the title clear of
    decorations above the axes (it would not count the legend anyway), about a tenth of every redraw."""
    text = _km_title(title, logrank_p) if title or logrank_p is not None else ""
    ax.set_title(text, fontsize=10, y=TITLE_Y, pad=legend_height_points(rows) + 8.0)  # + gap and descent


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
    ax.set_title("Number at risk", loc="left", fontsize=8, pad=2, y=TITLE_Y)


def km_layers(fig: Figure) -> tuple[list[Artist], tuple[object, ...]] | None:
    """The parts of a :func:`build_km` figure that :func:`update_km` changes — curves, bands, censor marks,
    the legend and the at-risk counts, in drawing order — and a key of everything else it can change (axes,
    their positions and limits, titles, size, colours): a canvas may keep an image of the rest while the key
    is the same and draw only these over it (``ui.background_canvas``). None for any other figure."""
    axes = {ax.get_gid(): ax for ax in fig.axes}
    ax, ax_risk = axes.get("km-plot"), axes.get("km-risk-table")
    if ax is None or ax_risk is None or len(fig.axes) != 2:
        return None
    gids = ("km:", "km-ci:", "km-censor:")
    data = [a for a in (*ax.lines, *ax.collections) if str(a.get_gid() or "").startswith(gids)]
    data.sort(key=lambda a: a.get_zorder())  # stable: as one draw of the axes orders them
    legend = ax.get_legend()
    counts = sorted(ax_risk.texts, key=lambda a: a.get_zorder())
    parts: list[Artist] = [*data, *([legend] if legend is not None else []), *counts]
    key = (
        fig.bbox.bounds,
        fig.dpi,
        tuple(fig.get_facecolor()),
        tuple(
            (id(a), a.get_position().bounds, a.get_xlim(), a.get_ylim(), a.get_title(), a.get_title("left"))
            for a in (ax, ax_risk)
        ),
        tuple(id(a) for a in parts),
    )
    return parts, key


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
    texts: dict[str | None, list[Text]] = {}
    for text in ax_risk.texts:
        texts.setdefault(text.get_gid(), []).append(text)
    for label, km in series:
        t, s, lo, hi = _curve_arrays(km)
        line = lines[f"km:{label}"]
        line.set_data(t, s)
        line.set_label(_legend_label(label, km))
        if f"km-ci:{label}" in bands:
            band = cast("FillBetweenPolyCollection", bands[f"km-ci:{label}"])  # made by fill_between (build_km)
            band.set_data(t, lo, hi)
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
        _set_title(ax, title, logrank_p, len(series))
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
    colours = {
        (line.get_gid() or "")[3:]: line.get_color() for line in ax.lines if (line.get_gid() or "").startswith("km:")
    }
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
