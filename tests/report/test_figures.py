"""The shared figure builders (no Qt, no pyplot): the right artists, colours and reference lines."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from hccreview.domain.records import AdverseEvent, Cycle
from hccreview.report.figures import (
    GRADE_COLOURS,
    RESPONSE_COLOURS,
    apply_theme,
    build_spider,
    build_timeline,
    build_waterfall,
    readable_text,
)

O = date(2024, 1, 8)  # noqa: E741


def _gids(fig: Figure, prefix: str) -> list:
    return [a for a in fig.findobj(lambda a: str(a.get_gid() or "").startswith(prefix))]


def _exact(fig: Figure, gid: str) -> list:
    return list(fig.findobj(lambda a: a.get_gid() == gid))


def _render(fig: Figure) -> None:
    FigureCanvasAgg(fig).draw()  # drawing must not raise (layout, text, markers)


def test_spider_has_one_line_per_reader_and_the_two_reference_lines() -> None:
    points = {"investigator": [(0, 0.0), (8, -20.0), (16, -35.0)], "reader A": [(0, 0.0), (8, -10.0), (16, 25.0)],
              "reader B": []}  # fmt: skip
    fig = build_spider(points, highlight="investigator")
    (ax,) = fig.axes
    readers = [line for line in ax.lines if str(line.get_gid()).startswith("reader:")]
    assert [line.get_label() for line in readers] == ["investigator", "reader A"], "an empty series is left out"
    assert list(readers[0].get_ydata()) == [0.0, -20.0, -35.0]
    assert readers[0].get_linewidth() > readers[1].get_linewidth(), "the highlighted reader stands out"
    refs = {line.get_gid(): line.get_ydata()[0] for line in ax.lines if str(line.get_gid()).startswith("ref:")}
    assert refs == {"ref:pd": 20.0, "ref:pr": -30.0}
    _render(fig)


def test_spider_without_data_says_so_and_reuses_a_figure() -> None:
    fig = Figure()
    out = build_spider({}, fig=fig)
    assert out is fig and [t.get_text() for t in _gids(fig, "empty")] == ["No target-lesion measurements"]
    build_spider({"x": [(0, 0.0), (6, 10.0)]}, fig=fig)
    assert len(fig.axes) == 1 and not _gids(fig, "empty"), "a redraw clears the figure first"


def _course() -> dict:
    cycles = [Cycle("P1", n, O + timedelta(days=28 * (n - 1)), 25.0 if n < 4 else 20.0, 21) for n in range(1, 7)]
    aes = [
        AdverseEvent("P1", 1, "Fatigue", grade=3, onset=O + timedelta(days=20), resolution=O + timedelta(days=40)),
        AdverseEvent("P1", 2, "Rash maculo-papular", grade=1, onset=O + timedelta(days=30)),
        AdverseEvent("P1", 3, "Neutrophil count decreased", grade=4, onset=O + timedelta(days=22)),
        AdverseEvent("P1", 4, "Sepsis", grade=5, onset=O + timedelta(days=150)),
        AdverseEvent("P1", 5, "Pruritus", grade=None),  # no onset: not drawn
    ]
    return {
        "origin": O,
        "cycles": cycles,
        "adverse_events": aes,
        "assessments": [(O - timedelta(days=5), "BL"), (O + timedelta(days=56), "PR"), (O + timedelta(days=112), "PD")],
        "progression": O + timedelta(days=112),
        "death": O + timedelta(days=150),
    }


def test_timeline_has_one_bar_per_cycle_coloured_by_dose_and_labelled_in_mg() -> None:
    fig = build_timeline(**_course())
    bars = _gids(fig, "cycle")
    assert len(bars) == 6
    colours = [to_hex(b.get_facecolor()) for b in bars]
    assert len(set(colours[:3])) == 1 and len(set(colours[3:])) == 1 and colours[0] != colours[3]
    assert abs(bars[0].get_x()) < 1e-9 and abs(bars[0].get_width() - 3.0) < 1e-9, "21 dosed days = 3 weeks"
    assert [t.get_text() for t in _gids(fig, "dose-label")] == ["25 mg", "20 mg"], "mg where the dose changes"
    _render(fig)


def test_timeline_marks_aes_by_grade_assessments_progression_and_death() -> None:
    fig = build_timeline(**_course())
    markers = {line.get_gid(): to_hex(line.get_color()) for line in _gids(fig, "ae:")}
    assert markers == {f"ae:{g}": GRADE_COLOURS[g] for g in (1, 3, 4, 5)}
    assert {t.get_text() for t in _gids(fig, "ae-label")} == {"G3 Fatigue", "G4 Neutrophil count decr…", "G5 Sepsis"}
    assessments = _gids(fig, "assessment")
    assert len(assessments) == 3
    assert to_hex(assessments[1].get_color()) == RESPONSE_COLOURS["PR"]
    assert [t.get_text() for t in _gids(fig, "response-label")] == ["BL", "PR", "PD"]
    (pd_line,) = _gids(fig, "progression")
    assert pd_line.get_xdata()[0] == 16.0, "progression at week 16"
    assert len(_exact(fig, "death")) == 1 and not _exact(fig, "last-contact")
    alive = build_timeline(origin=O, cycles=[], last_contact=O + timedelta(days=70))
    assert len(_exact(alive, "last-contact")) == 1 and "week 10" in _gids(alive, "lc-label")[0].get_text()
    _render(alive)


def test_waterfall_one_bar_per_patient_sorted_and_coloured_by_bor() -> None:
    data = [("P1", -50.0, "PR"), ("P2", 30.0, "PD"), ("P3", -10.0, "SD"), ("P4", -100.0, "CR"), ("P5", 5.0, "NE")]
    fig = build_waterfall(data)
    (ax,) = fig.axes
    bars = [p for p in ax.patches if str(p.get_gid()).startswith("subject:")]
    assert [b.get_gid() for b in bars] == ["subject:P2", "subject:P5", "subject:P3", "subject:P1", "subject:P4"]
    assert [to_hex(b.get_facecolor()) for b in bars] == [RESPONSE_COLOURS[c] for c in ("PD", "NE", "SD", "PR", "CR")]
    assert [b.get_height() for b in bars] == [30.0, 5.0, -10.0, -50.0, -100.0]
    assert {line.get_gid() for line in ax.lines} >= {"ref:pd", "ref:pr"}
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["CR", "PR", "SD", "PD", "NE"]
    _render(fig)
    assert _gids(build_waterfall([]), "empty")


def test_theme_recolours_background_and_text_but_not_data() -> None:
    fig = build_timeline(**_course())
    apply_theme(fig, background="#202020", foreground="#eeeeee")
    (ax,) = fig.axes
    assert to_hex(fig.get_facecolor()) == "#202020" and to_hex(ax.get_facecolor()) == "#202020"
    assert to_hex(ax.xaxis.label.get_color()) == "#eeeeee"
    assert to_hex(_gids(fig, "ae:3")[0].get_color()) == GRADE_COLOURS[3]
    assert to_hex(_gids(fig, "ae:5")[0].get_color()) == "#eeeeee", "black (G5, death) follows the text colour"
    assert to_hex(_exact(fig, "death")[0].get_markerfacecolor()) == "#eeeeee"
    _render(fig)


def test_readable_text_on_chips() -> None:
    assert readable_text("#000000") == "#ffffff" and readable_text("#f9a825") == "#000000"
    assert readable_text(GRADE_COLOURS[4]) == "#ffffff"


def test_builders_use_neither_pyplot_nor_qt() -> None:
    code = (
        "import sys, datetime; from hccreview.report import figures as f;"
        "f.build_spider({'a': [(0, 0.0), (8, -40.0)]}); f.build_waterfall([('P', 1.0, 'SD')]);"
        "f.build_timeline(origin=datetime.date(2024, 1, 1));"
        "print(sorted(m for m in ('matplotlib.pyplot', 'PySide6', 'PyQt5', 'PyQt6') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
