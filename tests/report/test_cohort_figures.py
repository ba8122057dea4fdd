"""Cohort figure builders (Qt-free): KM curves, censor marks, risk table aligned to the ticks, swimmer lanes,
waterfall bars and their colours, picking a patient."""

from __future__ import annotations

import dataclasses
import math

import pytest
from matplotlib.backend_bases import MouseEvent
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from hccreview.domain.survival import KMResult, kaplan_meier
from hccreview.report import cohort_figures as cf
from hccreview.report.figures import response_colour

M = 30.4375
DAYS = [30, 45, 60, 60, 90, 120, 150, 200, 240, 300, 365, 400, 500, 610, 700]
EVENTS = [True, False, True, True, False, True, True, False, True, True, False, True, False, True, False]


def _km(days: list[int] = DAYS, events: list[bool] = EVENTS, label: str = "PFS") -> KMResult:
    return kaplan_meier(days, events, label=label)


def _censored(days: list[int], events: list[bool]) -> list[float]:
    return [d / M for d, e in zip(days, events, strict=True) if not e]


def _axes(fig: Figure) -> tuple:
    by_gid = {ax.get_gid(): ax for ax in fig.axes}
    return by_gid["km-plot"], by_gid["km-risk-table"]


def _risk_texts(fig: Figure, label: str) -> list:
    return [t for t in _axes(fig)[1].texts if t.get_gid() == f"risk:{label}"]


def test_km_one_step_line_per_curve_with_censor_marks_and_band() -> None:
    other_days, other_events = [d + 40 for d in DAYS[:9]], EVENTS[:9]
    results = {"Arm 1": _km(), "Arm 2": _km(other_days, other_events, "x")}
    censors = {"Arm 1": _censored(DAYS, EVENTS), "Arm 2": _censored(other_days, other_events)}
    fig = cf.build_km(results, "PFS", censor_times=censors)
    ax, _ = _axes(fig)
    steps = [line for line in ax.lines if (line.get_gid() or "").startswith("km:")]
    assert [line.get_gid() for line in steps] == ["km:Arm 1", "km:Arm 2"]
    assert all(line.get_drawstyle() == "steps-post" for line in steps)
    for label, km in results.items():
        marks = next(line for line in ax.lines if line.get_gid() == f"km-censor:{label}")
        assert len(marks.get_xdata()) == km.censored and marks.get_marker() == "+"
        band = next(c for c in ax.collections if c.get_gid() == f"km-ci:{label}")
        assert band.get_alpha() == pytest.approx(0.15)
    # a censor mark sits on the curve: S(t) of the step function at the censoring time
    km = results["Arm 1"]
    marks = next(line for line in ax.lines if line.get_gid() == "km-censor:Arm 1")
    first_x, first_y = marks.get_xdata()[0], marks.get_ydata()[0]
    expected = [p.survival for p in km.curve if p.time <= first_x + 1e-12][-1]
    assert first_y == pytest.approx(expected)


def test_risk_table_numbers_come_from_the_risk_table_and_sit_under_the_ticks() -> None:
    km = _km()
    fig = cf.build_km([km], "PFS", censor_times={"PFS": _censored(DAYS, EVENTS)})
    FigureCanvasAgg(fig).draw()
    ax, ax_risk = _axes(fig)
    texts = _risk_texts(fig, "PFS")
    ticks = list(ax.get_xticks())
    assert [t.get_position()[0] for t in texts] == ticks  # aligned by construction: same data x
    assert ax_risk.get_shared_x_axes().joined(ax, ax_risk)
    table = {row.time_months: row.at_risk for row in km.risk_table}
    # ticks every 3 months across the whole follow-up (23 months: 0 … 24); those within it are rows of the risk
    # table, the last lies past every time, where nobody is at risk
    follow_up = max(DAYS) / M
    assert ticks == [3.0 * i for i in range(9)] and ticks[-2] < follow_up <= ticks[-1]
    assert all(x in table for x in ticks[:-1])
    assert [int(t.get_text()) for t in texts] == [table.get(x, 0) for x in ticks]
    # and the risk table itself says "at risk = duration >= t"
    assert [table.get(x, 0) for x in ticks] == [sum(d / M >= x for d in DAYS) for x in ticks]
    # on screen too: each count is centred on its tick label
    renderer = fig.canvas.get_renderer()
    for text, label in zip(texts, ax.get_xticklabels(), strict=True):
        a, b = text.get_window_extent(renderer), label.get_window_extent(renderer)
        assert abs((a.x0 + a.x1) / 2 - (b.x0 + b.x1) / 2) < 1.0


def test_risk_table_is_thinned_to_tick_columns_for_long_follow_up() -> None:
    days = list(range(30, 30 * 80, 30))  # up to 77.9 months: every 12 months keeps at most 13 columns
    km = kaplan_meier(days, [i % 3 == 0 for i in range(len(days))], label="OS")
    fig = cf.build_km([km], "OS")
    ax, _ = _axes(fig)
    ticks = list(ax.get_xticks())
    assert len(ticks) <= cf.MAX_RISK_COLUMNS and ticks == [12.0 * i for i in range(8)]
    table = {row.time_months: row.at_risk for row in km.risk_table}
    assert set(ticks[:-1]) <= set(table) and ticks[-1] > max(days) / M
    assert [int(t.get_text()) for t in _risk_texts(fig, "OS")] == [table.get(x, 0) for x in ticks]


def test_legend_names_median_ci_and_method_title_has_log_rank() -> None:
    a, b = _km(label="A"), _km([d * 2 for d in DAYS], EVENTS, "B")
    fig = cf.build_km_subgroups({"A": a, "B": b}, "PFS by Child-Pugh class", logrank_p=0.0123)
    ax, _ = _axes(fig)
    legend = ax.get_legend()
    assert "log(-log)" in legend.get_title().get_text()
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts[0].startswith("Child-Pugh A (n=15") and cf.median_text(a) in texts[0]
    assert ax.get_title() == "PFS by Child-Pugh class — log-rank p = 0.012"
    assert cf.p_text(0.0001) == "p < 0.001"


def test_update_km_in_place_and_refusal_on_new_structure() -> None:
    fig = cf.build_km([_km()], "PFS")
    line = next(x for x in _axes(fig)[0].lines if x.get_gid() == "km:PFS")
    changed = _km([d + 5 for d in DAYS], [not e for e in EVENTS])
    assert cf.update_km(fig, [changed], "PFS", censor_times={"PFS": [1.0, 2.0]})
    assert next(x for x in _axes(fig)[0].lines if x.get_gid() == "km:PFS") is line  # same artist
    assert list(line.get_ydata()) == [p.survival for p in changed.curve]
    table = {row.time_months: row.at_risk for row in changed.risk_table}
    ticks = list(_axes(fig)[0].get_xticks())
    assert [int(t.get_text()) for t in _risk_texts(fig, "PFS")] == [table.get(x, 0) for x in ticks]
    assert cf.median_text(changed) in _axes(fig)[0].get_legend().get_texts()[0].get_text()
    assert not cf.update_km(fig, [_km(label="OS")], "OS")  # another label: rebuild instead
    assert not cf.update_km(fig, [_km(DAYS[:5], EVENTS[:5])], "PFS")  # other risk columns


def test_empty_km_says_so() -> None:
    fig = cf.build_km([kaplan_meier([], [], label="PFS")], "PFS")
    assert [t.get_text() for ax in fig.axes for t in ax.texts] == ["No patients to analyse"]


def _lanes(n: int) -> list[cf.SwimmerLane]:
    out = []
    for i in range(n):
        bor = "PR" if i % 5 == 0 else "SD" if i % 2 else "PD"
        out.append(cf.SwimmerLane(f"S{i:03d}", bor, 0.0, 1.0 + i % 7, 3.0 + i % 11,
                                  response=1.0 if bor == "PR" else None, progression=2.0 if bor == "PD" else None,
                                  death=3.0 + i % 11 if i % 4 == 0 else None, ongoing=i % 4 == 1))  # fmt: skip
    return out


def test_swimmer_has_one_pickable_lane_per_patient_and_its_markers() -> None:
    lanes = _lanes(12)
    fig = cf.build_swimmer(lanes)
    ax = fig.axes[0]
    ids = {cf.subject_of(a) for a in fig.findobj(lambda a: cf.subject_of(a) is not None)}
    assert ids == {lane.subject_id for lane in lanes}
    assert sorted(t.get_text() for t in ax.get_yticklabels()) == sorted(ids)
    bars = [p for p in ax.patches if cf.subject_of(p)]
    assert len(bars) == 12 and all(p.get_picker() for p in bars)
    by_id = {lane.subject_id: lane for lane in lanes}
    assert all(to_hex(p.get_facecolor()) == response_colour(by_id[cf.subject_of(p)].bor) for p in bars)

    def count(kind: str) -> int:
        return len(next(x for x in ax.lines if x.get_gid() == f"swimmer-{kind}").get_xdata())

    assert count("ongoing") == sum(lane.ongoing for lane in lanes)
    assert count("death") == sum(lane.death is not None for lane in lanes)
    assert count("response") == sum(lane.response is not None for lane in lanes)


def test_swimmer_caps_lanes_responders_first() -> None:
    lanes = _lanes(130)
    shown = cf.swimmer_selection(lanes, 50)
    assert len(shown) == 50
    responders = [lane for lane in lanes if lane.bor == "PR"]
    assert {lane.subject_id for lane in shown[: len(responders)]} == {lane.subject_id for lane in responders}
    fig = cf.build_swimmer(lanes)
    assert "50 of 130" in fig.axes[0].get_title()


ROWS = [("P01", -45.0, "PR"), ("P02", 25.0, "PD"), ("P03", -5.0, "SD"), ("P04", -100.0, "CR"), ("P05", 0.0, "NE")]


def test_waterfall_bars_per_patient_with_bor_colours_and_reference_lines() -> None:
    fig = cf.waterfall_figure(ROWS)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if cf.subject_of(p)]
    assert len(bars) == len(ROWS) and all(p.get_picker() for p in bars)
    by_id = {sid: (pct, bor) for sid, pct, bor in ROWS}
    for bar in bars:
        pct, bor = by_id[cf.subject_of(bar)]
        assert bar.get_height() == pytest.approx(pct)
        assert to_hex(bar.get_facecolor()) == response_colour(bor)
    assert [cf.subject_of(b) for b in sorted(bars, key=lambda b: b.get_x())] == ["P02", "P05", "P03", "P01", "P04"]
    refs = {line.get_gid(): line.get_ydata()[0] for line in ax.lines}
    assert refs["ref:pd"] == 20 and refs["ref:pr"] == -30


def test_dense_waterfall_is_one_collection_in_waterfall_order_and_updates() -> None:
    rows = [(f"S{i:04d}", math.sin(i) * 60, ("PR", "SD", "PD")[i % 3]) for i in range(cf.DENSE_WATERFALL_ABOVE + 50)]
    fig = cf.waterfall_figure(rows)
    coll = next(c for c in fig.axes[0].collections if c.get_gid() == cf.DENSE_WATERFALL_GID)
    assert isinstance(coll, PolyCollection) and len(coll.get_paths()) == len(rows)
    order = cf.waterfall_order(rows)
    colours = [to_hex(c) for c in coll.get_facecolors()]
    assert colours == [response_colour(bor) for _, _, bor in order]
    heights = [max(p.vertices[:, 1]) if pct > 0 else min(p.vertices[:, 1]) for p, (_, pct, _) in
               zip(coll.get_paths(), order, strict=True)]  # fmt: skip
    assert heights == pytest.approx([pct for _, pct, _ in order])
    flipped = [(sid, -pct, "PD") for sid, pct, _ in rows]
    assert cf.update_waterfall_dense(fig, flipped)
    assert {to_hex(c) for c in coll.get_facecolors()} == {response_colour("PD")}
    assert not cf.update_waterfall_dense(cf.waterfall_figure(ROWS), flipped)


def test_pick_maps_a_click_on_a_bar_to_its_patient() -> None:
    fig = cf.waterfall_figure(ROWS)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    picked: list[str | None] = []
    canvas.mpl_connect("pick_event", lambda e: picked.append(cf.subject_of(e.artist)))
    bar = next(p for p in fig.axes[0].patches if cf.subject_of(p) == "P01")
    box = bar.get_window_extent()
    MouseEvent("button_press_event", canvas, (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2, 1)._process()
    assert picked == ["P01"]
    assert cf.subject_of(fig.axes[0].lines[0]) is None


def test_toxicity_bars_stack_worst_grades_as_percent() -> None:
    rows = [{"term": "Fatigue", "any_grade": 10, "grade3": 3, "grade4": 1, "grade5": 0},
            {"term": "Rash", "any_grade": 4, "grade3": 0, "grade4": 0, "grade5": 0}]  # fmt: skip
    fig = cf.build_toxicity_bars(rows, 40)
    fatigue = [p for p in fig.axes[0].patches if p.get_gid() == "term:Fatigue"]
    assert [p.get_width() for p in fatigue] == pytest.approx([15.0, 7.5, 2.5])
    assert sum(p.get_width() for p in fatigue) == pytest.approx(25.0)
    assert cf.build_toxicity_bars([], 40).axes[0].texts[0].get_text() == "No adverse events recorded"


def test_censor_marks_are_the_fitted_subjects_not_the_callers_list() -> None:
    """Marks come from ``KMResult.censor_months``: a caller's list with extra (excluded) patients at month 0
    draws no mark for them (issue 18); a result built by hand without them uses the caller's list."""
    km = _km()
    assert km.censor_months == tuple(sorted(_censored(DAYS, EVENTS)))
    fig = cf.build_km([km], "PFS", censor_times={"PFS": [0.0, 0.0, *_censored(DAYS, EVENTS)]})
    marks = next(x for x in _axes(fig)[0].lines if x.get_gid() == "km-censor:PFS")
    assert list(marks.get_xdata()) == list(km.censor_months) and 0.0 not in list(marks.get_xdata())
    bare = dataclasses.replace(km, censor_months=None)
    fig = cf.build_km([bare], "PFS", censor_times={"PFS": [1.0]})
    marks = next(x for x in _axes(fig)[0].lines if x.get_gid() == "km-censor:PFS")
    assert list(marks.get_xdata()) == [1.0]
