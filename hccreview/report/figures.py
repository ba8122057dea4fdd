"""Matplotlib figure builders shared by the GUI and the PDF report (one drawing code path).

Every ``build_*`` function takes plain data (primitives, dates, domain records) and returns a
:class:`matplotlib.figure.Figure` built through the object-oriented API: no pyplot state, no Qt. Pass
``fig=`` to redraw into an existing figure (the GUI keeps one figure per canvas); otherwise a new one is made.
Artists carry a ``gid`` ("reader:NAME", "ref:pd", "cycle", "ae:3", ...) so that tests and the PDF can find them.

Colours: CTCAE grades G1 green, G2 amber, G3 orange, G4 red, G5 black; responses CR dark green, PR blue,
SD amber, PD red, NE grey. :func:`readable_text` picks black or white text for a colour chip.

matplotlib is imported inside the builders: the colours and the colour helpers, which the case view needs for
its first paint, do not load it (issue 10, cold start).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

from hccreview.domain.records import AdverseEvent, Cycle

PD_LINE_PCT, PR_LINE_PCT = 20.0, -30.0  # RECIST 1.1 §4.3.1 reference lines

GRADE_COLOURS: dict[int, str] = {1: "#2e7d32", 2: "#f9a825", 3: "#ef6c00", 4: "#c62828", 5: "#000000"}
RESPONSE_COLOURS: dict[str, str] = {
    "CR": "#1b5e20",
    "PR": "#1e88e5",
    "SD": "#f9a825",
    "NON-CR/NON-PD": "#78909c",
    "PD": "#d32f2f",
    "NE": "#9e9e9e",
    "MISSING": "#bdbdbd",
    "PENDING": "#7e57c2",
}
RESPONSE_ORDER = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "MISSING", "PENDING")
_READER_COLOURS = ("#1e88e5", "#8e24aa", "#00897b", "#f4511e", "#6d4c41", "#3949ab")
_DAYS_PER_WEEK = 7.0
_LABEL_BOX = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}


def readable_text(colour: str) -> str:
    """Black or white, whichever reads better on ``colour`` (``#rrggbb``; WCAG relative luminance)."""
    rgb = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#000000" if luminance > 0.179 else "#ffffff"


def response_colour(code: str | None) -> str:
    """Colour of a response code (unknown codes: the NE grey)."""
    return RESPONSE_COLOURS.get(str(code or "NE").upper(), RESPONSE_COLOURS["NE"])


def _figure(fig: Figure | None, figsize: tuple[float, float]) -> Figure:
    """A new constrained-layout figure, or ``fig`` cleared (the cohort figures' ``new_figure``, imported here
    so that importing this module does not load matplotlib)."""
    from hccreview.report.cohort_figure_common import new_figure

    return new_figure(fig, figsize)


def _empty(fig: Figure, text: str) -> Figure:
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, gid="empty")
    return fig


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _weeks(day: date, origin: date) -> float:
    return (day - origin).days / _DAYS_PER_WEEK


# --- spider -----------------------------------------------------------------------------------------------


def build_spider(
    case_points: dict[str, list[tuple[float, float]]],
    *,
    highlight: str | None = None,
    title: str | None = "Target sum, % change from baseline",
    fig: Figure | None = None,
    figsize: tuple[float, float] = (5.0, 3.2),
) -> Figure:
    """Spider plot: one line per reader of (weeks from origin, % change of the target sum from baseline).

    The dashed lines at +20 % and −30 % are the RECIST 1.1 progression and partial-response thresholds
    (§4.3.1; PD also needs a nadir reference and 5 mm, so the +20 % line is a guide, not the rule).
    """
    fig = _figure(fig, figsize)
    series = {reader: sorted(points) for reader, points in case_points.items() if points}
    if not series:
        return _empty(fig, "No target-lesion measurements")
    ax = fig.add_subplot()
    for i, (reader, points) in enumerate(series.items()):
        xs, ys = zip(*points, strict=True)
        strong = highlight is None or reader == highlight
        ax.plot(
            xs,
            ys,
            marker="o",
            markersize=5 if strong else 3,
            linewidth=2.2 if strong else 1.0,
            alpha=1.0 if strong else 0.55,
            color=_READER_COLOURS[i % len(_READER_COLOURS)],
            label=reader,
            gid=f"reader:{reader}",
            zorder=3 if strong else 2,
        )
    ax.axhline(PD_LINE_PCT, linestyle="--", linewidth=1, color=RESPONSE_COLOURS["PD"], gid="ref:pd")
    ax.axhline(PR_LINE_PCT, linestyle="--", linewidth=1, color=RESPONSE_COLOURS["PR"], gid="ref:pr")
    trans = ax.get_yaxis_transform()
    ax.text(1.0, PD_LINE_PCT, "+20 %", transform=trans, ha="right", va="bottom", fontsize=8, gid="ref-label")
    ax.text(1.0, PR_LINE_PCT, "−30 %", transform=trans, ha="right", va="top", fontsize=8, gid="ref-label")
    values = [y for points in series.values() for _, y in points]
    ax.set_ylim(min(-40.0, min(values) - 8), max(30.0, max(values) + 8))
    ax.set_xlabel("Weeks from origin")
    ax.set_ylabel("% change from baseline")
    ax.grid(True, alpha=0.3)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="best", frameon=False)
    return fig


# --- timeline ---------------------------------------------------------------------------------------------

_ROWS = {"Treatment": 3.0, "Adverse events": 2.0, "Tumour assessments": 1.0, "Follow-up": 0.0}


def _dose_colours(doses: Sequence[float]) -> dict[float, str]:
    """Darker for higher dose levels (sequential purple scale)."""
    from matplotlib import colormaps

    levels = sorted(set(doses), reverse=True)
    cmap = colormaps["Purples"]
    span = max(1, len(levels) - 1)
    out = {}
    for i, dose in enumerate(levels):
        r, g, b, _ = cmap(0.85 - 0.45 * i / span)
        out[dose] = f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"
    return out


def _lanes(spans: list[tuple[float, float]], n_lanes: int = 4) -> list[int]:
    """Greedy interval packing: the first lane whose last span ended before this one starts."""
    ends = [float("-inf")] * n_lanes
    out = []
    for start, end in spans:
        lane = next((k for k in range(n_lanes) if ends[k] < start), min(range(n_lanes), key=lambda k: ends[k]))
        ends[lane] = max(end, start + 1.5)
        out.append(lane)
    return out


def build_timeline(
    *,
    origin: date,
    cycles: Sequence[Cycle] = (),
    adverse_events: Sequence[AdverseEvent] = (),
    assessments: Sequence[tuple[date, str]] = (),
    progression: date | None = None,
    death: date | None = None,
    last_contact: date | None = None,
    planned_days: int = 21,
    title: str | None = None,
    fig: Figure | None = None,
    figsize: tuple[float, float] = (9.0, 3.4),
    lab_events: Sequence[tuple[date, int, str]] = (),
) -> Figure:
    """One horizontal chart of a patient's course; x = weeks from ``origin``.

    Rows: treatment cycles (one bar per cycle over its dosed days, coloured by dose, mg labelled where the
    dose changes), adverse events (a marker at onset coloured by CTCAE grade, a line to resolution, grade ≥3
    named), tumour assessments (marker and response label), follow-up (death or last contact). Progression
    is a dashed vertical line across all rows. ``lab_events`` ``(date, grade, label)``: laboratory values at
    CTCAE grade >= 3 (graded from LB, not reported AEs): a downward triangle under the adverse events, coloured by
    grade and labelled, with its own legend entry.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    fig = _figure(fig, figsize)
    ax = fig.add_subplot()
    colours = _dose_colours([c.dose_mg for c in cycles])
    ends = [0.0]
    previous_dose = None
    for c in sorted(cycles, key=lambda c: c.number):
        start = _weeks(c.start_date, origin)
        width = max(c.days_dosed if c.days_dosed is not None else planned_days, 1) / _DAYS_PER_WEEK
        colour = colours[c.dose_mg]
        ax.barh(
            _ROWS["Treatment"],
            width,
            left=start,
            height=0.5,
            color=colour,
            edgecolor="white",
            linewidth=0.8,
            gid="cycle",
        )
        if c.dose_mg != previous_dose:
            ax.text(start, _ROWS["Treatment"] + 0.32, f"{c.dose_mg:g} mg", fontsize=8, va="bottom", gid="dose-label")
        previous_dose = c.dose_mg
        ends.append(start + width)
    events = sorted(adverse_events, key=lambda a: (a.onset or date.max, a.seq))
    events = [a for a in events if a.onset is not None]
    onsets = [cast(date, a.onset) for a in events]  # every one is set (filtered just above)
    spans = [
        (_weeks(onset, origin), _weeks(a.resolution, origin) if a.resolution else _weeks(onset, origin))
        for a, onset in zip(events, onsets, strict=True)
    ]
    for a, (x0, x1), lane in zip(events, spans, _lanes(spans), strict=True):
        y = _ROWS["Adverse events"] + 0.3 - 0.2 * lane
        grade = a.grade if a.grade in GRADE_COLOURS else None
        colour = GRADE_COLOURS[grade] if grade else RESPONSE_COLOURS["NE"]
        if x1 > x0:
            ax.plot([x0, x1], [y, y], color=colour, linewidth=2, alpha=0.6, gid="ae-span")
        ax.plot([x0], [y], marker="o", markersize=7, color=colour, linestyle="none", gid=f"ae:{grade or 0}")
        if grade and grade >= 3:
            ax.text(x0, y + 0.09, f"G{grade} {_short(a.term)}", fontsize=7, va="bottom", gid="ae-label")
        ends.append(x1)
    for day, grade, label in sorted(lab_events):
        x, y = _weeks(day, origin), _ROWS["Adverse events"] - 0.42
        colour = GRADE_COLOURS.get(grade, GRADE_COLOURS[3])
        ax.plot([x], [y], marker="v", markersize=8, color=colour, markeredgecolor="#000000", markeredgewidth=0.6,
                linestyle="none", gid=f"lab:{grade}")  # fmt: skip
        ax.text(x, y - 0.12, _short(label, 18), fontsize=6.5, ha="center", va="top", gid="lab-label")
        ends.append(x)
    for day, code in sorted(assessments):
        x = _weeks(day, origin)
        colour = response_colour(code)
        y = _ROWS["Tumour assessments"]
        ax.plot([x], [y], marker="D", markersize=8, color=colour, linestyle="none", gid="assessment")
        ax.text(x, y + 0.2, str(code), fontsize=8, ha="center", va="bottom", gid="response-label", bbox=_LABEL_BOX)
        ends.append(x)
    if progression is not None:
        x = _weeks(progression, origin)
        ax.axvline(x, linestyle="--", linewidth=1.5, color=RESPONSE_COLOURS["PD"], gid="progression")
        ax.text(x, 3.55, " progression", color=RESPONSE_COLOURS["PD"], fontsize=8, va="bottom", gid="pd-label")
        ends.append(x)
    y = _ROWS["Follow-up"]
    if death is not None:
        x = _weeks(death, origin)
        ax.plot([0, x], [y, y], color="#9e9e9e", linewidth=1, gid="follow-up")
        ax.plot([x], [y], marker="X", markersize=10, color="#000000", linestyle="none", gid="death")
        ax.text(x, y + 0.2, f"death (week {x:.0f})", fontsize=8, ha="center", va="bottom", gid="death-label")
        ends.append(x)
    elif last_contact is not None:
        x = _weeks(last_contact, origin)
        ax.plot([0, x], [y, y], color="#9e9e9e", linewidth=1, gid="follow-up")
        ax.plot([x], [y], marker=">", markersize=9, color="#607d8b", linestyle="none", gid="last-contact")
        ax.text(x, y + 0.2, f"last contact (week {x:.0f})", fontsize=8, ha="center", va="bottom", gid="lc-label")
        ends.append(x)
    right = max(ends) + 3
    earliest = min([x0 for x0, _ in spans] + [_weeks(day, origin) for day, _ in assessments]
                   + [_weeks(day, origin) for day, _, _ in lab_events], default=0.0)  # fmt: skip
    ax.set_xlim(min(-2.0, earliest - 1.5), right)  # room for a baseline scan dated before the origin
    ax.set_ylim(-0.6, 4.0)
    ax.set_yticks(list(_ROWS.values()), list(_ROWS))
    ax.set_xlabel(f"Weeks from origin ({origin.isoformat()})")
    ax.grid(True, axis="x", alpha=0.3)
    ax.axvline(0, color="#9e9e9e", linewidth=0.8, gid="origin")
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    if title:
        ax.set_title(title, fontsize=10)
    handles: list[Artist] = [Patch(color=colours[d], label=f"{d:g} mg") for d in colours]
    handles += [
        Line2D([], [], marker="o", color=GRADE_COLOURS[g], linestyle="none", label=f"G{g}") for g in range(1, 6)
    ]
    if lab_events:
        handles.append(Line2D([], [], marker="v", color=GRADE_COLOURS[3], markeredgecolor="#000000",
                              linestyle="none", label="Lab G≥3 (CTCAE, LB)"))  # fmt: skip
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8, frameon=False)
    return fig


# --- waterfall --------------------------------------------------------------------------------------------


def build_waterfall(
    best_pct_changes: list[tuple[str, float, str]],
    *,
    title: str | None = "Best % change of the target sum from baseline",
    fig: Figure | None = None,
    figsize: tuple[float, float] = (8.0, 3.6),
) -> Figure:
    """Waterfall: one bar per patient ``(subject_id, best % change, best overall response)``, largest
    increase on the left, coloured by best overall response, with the +20 % / −30 % reference lines."""
    from matplotlib.patches import Patch

    fig = _figure(fig, figsize)
    if not best_pct_changes:
        return _empty(fig, "No patient with a measured target sum")
    ax = fig.add_subplot()
    ordered = sorted(best_pct_changes, key=lambda t: (-t[1], t[0]))
    xs = range(len(ordered))
    for x, (sid, pct, bor) in zip(xs, ordered, strict=True):
        ax.bar(x, pct, width=0.8, color=response_colour(bor), edgecolor="none", gid=f"subject:{sid}")
    ax.axhline(PD_LINE_PCT, linestyle="--", linewidth=1, color=RESPONSE_COLOURS["PD"], gid="ref:pd")
    ax.axhline(PR_LINE_PCT, linestyle="--", linewidth=1, color=RESPONSE_COLOURS["PR"], gid="ref:pr")
    ax.axhline(0, color="#757575", linewidth=0.8, gid="zero")
    if len(ordered) <= 60:
        ax.set_xticks(list(xs), [sid for sid, _, _ in ordered], rotation=90, fontsize=7)
    else:
        ax.set_xticks([])
    ax.set_xlim(-0.7, len(ordered) - 0.3)
    ax.set_ylabel("% change from baseline")
    ax.grid(True, axis="y", alpha=0.3)
    if title:
        ax.set_title(title, fontsize=10)
    present = {bor for _, _, bor in ordered}
    handles = [Patch(color=response_colour(b), label=b) for b in RESPONSE_ORDER if b in present]
    handles += [Patch(color=response_colour(b), label=b) for b in sorted(present - set(RESPONSE_ORDER))]
    ax.legend(handles=handles, fontsize=8, loc="lower left", frameon=False, ncol=min(len(handles), 4))
    return fig


# --- theming ----------------------------------------------------------------------------------------------


def apply_theme(fig: Figure, *, background: str, foreground: str) -> None:
    """Recolour a built figure for a screen palette (dark mode): backgrounds, axes, ticks, labels, legends.

    Data colours (bars, markers, reference lines) and text on colour chips stay as built.
    """
    from matplotlib.lines import Line2D

    fig.set_facecolor(background)
    legends = list(fig.legends)
    for ax in fig.axes:
        for line in ax.lines:
            _swap_black(line, foreground)
        for patch in ax.patches:
            if patch.get_gid() == "cycle":
                patch.set_edgecolor(background)
        ax.set_facecolor(background)
        for spine in ax.spines.values():
            spine.set_edgecolor(foreground)
        ax.tick_params(colors=foreground, which="both")
        for label in (ax.xaxis.label, ax.yaxis.label, ax.title):
            label.set_color(foreground)
        for text in ax.texts:
            if text.get_gid() not in ("pd-label",):
                text.set_color(foreground)
            bbox = text.get_bbox_patch()
            if bbox is not None:
                bbox.set_facecolor(background)
        ax_legend = ax.get_legend()
        if ax_legend is not None:
            legends.append(ax_legend)
    for legend in legends:
        for text in legend.get_texts():
            text.set_color(foreground)
        for handle in legend.legend_handles:
            if isinstance(handle, Line2D):
                _swap_black(handle, foreground)


def _swap_black(line: Line2D, foreground: str) -> None:
    """Pure black means "strongest contrast" (G5, death): follow the palette's text colour."""
    from matplotlib.colors import to_hex

    if to_hex(line.get_color()) == "#000000":
        line.set_color(foreground)
    if to_hex(line.get_markerfacecolor()) == "#000000":
        line.set_markerfacecolor(foreground)
        line.set_markeredgecolor(foreground)
