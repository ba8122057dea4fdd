"""Caliper geometry and its link to measurement values (issue 21): lengths with row and column spacing apart,
the bidirectional caliper's right angle in physical space, and the "not image-derived" flag."""

from __future__ import annotations

import math

import pytest

from hccreview.domain import calipers
from hccreview.domain.calipers import Caliper, CaliperError, Line
from hccreview.domain.records import Measurement

ANISOTROPIC = (0.5, 0.8)  # row spacing (mm between rows, along y), column spacing (along x)


def _caliper(**lines: Line) -> Caliper:
    return Caliper("1.2.3.4", "1.2.3", ANISOTROPIC, "1.2.3.9", lines)


def test_a_line_measures_columns_and_rows_with_their_own_spacing() -> None:
    # 30 columns x 0.8 mm = 24 mm along x, 64 rows x 0.5 mm = 32 mm along y: a 24-32-40 triangle
    line = Line((10.0, 20.0), (40.0, 84.0))
    assert line.length_mm(ANISOTROPIC) == pytest.approx(40.0)
    assert Line((0, 0), (10, 0)).length_mm(ANISOTROPIC) == pytest.approx(8.0)  # along a row: column spacing
    assert Line((0, 0), (0, 10)).length_mm(ANISOTROPIC) == pytest.approx(5.0)  # along a column: row spacing


def test_a_caliper_gives_the_values_of_its_lines_to_the_grids_tenth_of_a_mm() -> None:
    c = _caliper(long=Line((0, 0), (51.37, 0)), short=Line((5, -10), (5, 40.04)), viable=Line((0, 0), (0, 7)))
    assert c.values() == {"diameter_mm": round(51.37 * 0.8, 1), "short_axis_mm": round(50.04 * 0.5, 1),
                          "viable_mm": 3.5}  # fmt: skip


def test_the_stored_form_round_trips_and_is_stable() -> None:
    c = _caliper(long=Line((1.23456, 2.5), (30.0, 40.0)))
    c = Caliper(c.sop_instance_uid, c.series_uid, c.spacing, c.frame_of_reference_uid, c.lines, marker=(3.0, 4.0))
    text = calipers.dump([c])
    (back,) = calipers.parse(text)
    assert calipers.dump([back]) == text and back.to_json() == c.to_json()
    assert back.lines["long"].start == (1.235, 2.5) and back.marker == (3.0, 4.0)
    assert calipers.parse(c.to_json()) == (back,)  # one caliper object reads as a list of one
    assert calipers.parse("") == () and calipers.parse("   ") == () and calipers.dump([]) == ""


def test_a_measurement_keeps_one_caliper_per_slice_and_a_redrawn_line_replaces_its_old_self() -> None:
    pv = _caliper(long=Line((0, 0), (50, 0)), short=Line((25, -20), (25, 20)))  # 40 x 20 mm, portal venous
    arterial = Caliper("1.2.3.5", "1.2.4", ANISOTROPIC, "1.2.3.9", {"viable": Line((0, 0), (30, 0))})  # 24 mm
    both = calipers.merge([pv], arterial)
    assert calipers.values_of(both) == {"diameter_mm": 40.0, "short_axis_mm": 20.0, "viable_mm": 24.0}
    redrawn = _caliper(long=Line((0, 0), (60, 0)))  # the long axis again, on the same slice
    after = calipers.merge(both, redrawn)
    assert calipers.values_of(after) == {"diameter_mm": 48.0, "short_axis_mm": 20.0, "viable_mm": 24.0}
    assert sum("long" in c.lines for c in after) == 1
    assert calipers.parse(calipers.dump(after)) == tuple(sorted(after, key=lambda c: c.to_json()))
    twice = "[" + pv.to_json() + "," + pv.to_json() + "]"
    with pytest.raises(CaliperError, match="measured twice"):
        calipers.parse(twice)


@pytest.mark.parametrize(
    "text",
    [
        "{",
        '{"lines": {}}',
        '{"sop_instance_uid": "1", "spacing": [0, 1]}',
        '{"sop_instance_uid": "1", "spacing": [1, 1], "lines": {"diagonal": [[0,0],[1,1]]}}',
    ],
)
def test_an_unreadable_or_impossible_caliper_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(CaliperError):
        calipers.parse(text)


def test_the_short_axis_is_perpendicular_in_millimetres_not_in_pixels() -> None:
    long = Line((10.0, 10.0), (60.0, 40.0))  # not axis-aligned, on anisotropic pixels
    short = calipers.perpendicular(long, long.midpoint, 20.0, ANISOTROPIC)
    assert calipers.angle_between(long, short, ANISOTROPIC) == pytest.approx(90.0, abs=1e-6)
    assert short.length_mm(ANISOTROPIC) == pytest.approx(20.0)
    assert short.midpoint == pytest.approx(long.midpoint)
    # in pixels the two lines are NOT at a right angle (what a naive implementation would draw)
    dx1, dy1 = 50.0, 30.0
    dx2, dy2 = short.end[0] - short.start[0], short.end[1] - short.start[1]
    assert abs(dx1 * dx2 + dy1 * dy2) > 1.0
    # a dragged short axis snaps back to the right angle, keeping its midpoint and length
    crooked = Line((30.0, 10.0), (40.0, 45.0))
    fixed = calipers.short_axis_for(long, crooked, ANISOTROPIC)
    assert calipers.angle_between(long, fixed, ANISOTROPIC) == pytest.approx(90.0, abs=1e-6)
    assert fixed.length_mm(ANISOTROPIC) == pytest.approx(crooked.length_mm(ANISOTROPIC))
    assert fixed.midpoint == pytest.approx(crooked.midpoint)
    with pytest.raises(CaliperError):
        calipers.perpendicular(Line((1, 1), (1, 1)), (1, 1), 5.0, ANISOTROPIC)


def test_a_value_is_image_derived_only_while_its_caliper_gives_it() -> None:
    c = _caliper(long=Line((0, 0), (50, 0)), short=Line((25, -20), (25, 20)))  # 40.0 mm and 20.0 mm
    m = Measurement("P", "r", "T01", __import__("datetime").date(2024, 1, 1), diameter_mm=40.0, short_axis_mm=20.0,
                    viable_mm=12.0, caliper=calipers.dump([c]))  # fmt: skip
    assert calipers.image_derived(m) == {"diameter_mm": True, "short_axis_mm": True, "viable_mm": False}
    typed = Measurement("P", "r", "T01", m.date, diameter_mm=41.0, short_axis_mm=20.0, caliper=calipers.dump([c]))
    assert calipers.image_derived(typed) == {"diameter_mm": False, "short_axis_mm": True}
    assert calipers.image_derived(Measurement("P", "r", "T01", m.date, diameter_mm=3.0)) == {"diameter_mm": False}


def test_typing_a_value_drops_only_that_values_line() -> None:
    c = _caliper(long=Line((0, 0), (50, 0)), short=Line((25, -20), (25, 20)))
    stored = calipers.dump([c])
    (kept,) = calipers.parse(calipers.after_typed_edit(stored, {"diameter_mm": 41.0}))
    assert set(kept.lines) == {"short"}
    assert calipers.after_typed_edit(calipers.dump([kept]), {"short_axis_mm": 1.0}) == ""
    assert calipers.after_typed_edit(stored, {"status": "absent"}) == stored
    assert calipers.after_typed_edit("", {"diameter_mm": 1.0}) == ""


def test_a_caliper_needs_a_positive_spacing() -> None:
    with pytest.raises(CaliperError):
        Caliper("1", "2", (0.0, 0.7))
    assert math.isclose(_caliper().spacing[0], 0.5)
