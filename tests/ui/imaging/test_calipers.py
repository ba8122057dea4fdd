"""Calipers drawn and edited with the mouse on anisotropic pixels, read-only overlays, the acquisition-plane rule."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest

from hccreview.domain.calipers import Caliper, Line, angle_between
from hccreview.ui.imaging.caliper_edit import moved_long_end, moved_short_end, short_axis_from_drag
from hccreview.ui.imaging.viewer import REFUSED_PLANE, SliceViewer
from tests.ui.imaging.support import at, describe, drag, image_at, loaded_volume, shown_viewer

SPACING = (1.0, 0.5)  # rows 1 mm apart, columns 0.5 mm: a pixel twice as tall as wide
GREEN = "#00ff00"


@pytest.fixture
def viewer(qtbot) -> SliceViewer:  # type: ignore[no-untyped-def]
    return shown_viewer(qtbot, loaded_volume(describe(n=6, rows=128, cols=128, spacing=SPACING)))


def normal_projection_mm(long: Line, a: tuple[float, float], b: tuple[float, float]) -> float:
    """|AB| projected on the long axis's normal, in mm (the expected short axis of a drag A → B)."""
    dx, dy = (long.end[0] - long.start[0]) * SPACING[1], (long.end[1] - long.start[1]) * SPACING[0]
    vx, vy = (b[0] - a[0]) * SPACING[1], (b[1] - a[1]) * SPACING[0]
    return abs(-dy * vx + dx * vy) / math.hypot(dx, dy)


def near_colour(image: QImage, point: QPoint, colour: QColor, radius: int = 2) -> bool:
    return any(
        image.pixelColor(point.x() + dx, point.y() + dy).rgb() == colour.rgb()
        for dx in range(-radius, radius + 1)
        for dy in range(-radius, radius + 1)
    )


def test_a_bidirectional_caliper_by_two_drags(viewer: SliceViewer, qtbot) -> None:  # type: ignore[no-untyped-def]
    finished: list[tuple[str, Caliper]] = []
    viewer.caliperFinished.connect(lambda tag, c: finished.append((tag, c)))
    assert viewer.start_caliper("bidirectional", "T1", colour=GREEN, label="T1 liver")
    a, b = at(viewer, (20, 30)), at(viewer, (100, 90))
    drag(viewer, a, b)
    assert finished == [] and viewer.tool_active  # the short axis is still to come
    c, d = at(viewer, (70, 40)), at(viewer, (50, 80))
    drag(viewer, c, d)
    [(tag, caliper)] = finished
    long, short = caliper.lines["long"], caliper.lines["short"]
    intended = Line((20, 30), (100, 90)).length_mm(SPACING)  # 80 × 0.5 mm across, 60 × 1 mm down: 72.1 mm
    assert abs(long.length_mm(SPACING) - intended) <= max(SPACING)  # within a pixel
    assert long == Line(image_at(viewer, a), image_at(viewer, b))
    assert angle_between(long, short, SPACING) == pytest.approx(90.0, abs=1e-6)  # perpendicular in mm
    expected_short = normal_projection_mm(long, image_at(viewer, c), image_at(viewer, d))
    assert short.length_mm(SPACING) == pytest.approx(expected_short, abs=1e-6)
    assert tag == "T1"
    assert (caliper.sop_instance_uid, caliper.series_uid, caliper.frame_of_reference_uid, caliper.spacing) == (
        viewer.volume.sop_uid(viewer.index) if viewer.volume else "", "1.2.3", "1.2.3.999", SPACING)  # fmt: skip
    assert caliper.marker is None and not viewer.tool_active
    [overlay] = viewer.caliper_overlays  # it stays on screen, editable
    assert overlay.caliper == caliper and overlay.items[0].label_item.text == (
        f"T1 liver {long.length_mm(SPACING):.1f} × {short.length_mm(SPACING):.1f} mm"
    )


def test_a_line_a_marker_and_a_click_that_is_not_a_line(viewer: SliceViewer, qtbot) -> None:  # type: ignore[no-untyped-def]
    finished: list[Caliper] = []
    viewer.caliperFinished.connect(lambda tag, c: finished.append(c))
    viewer.start_caliper("line", "N1", line_name="viable")
    QTest.mouseClick(viewer.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(viewer, (9, 9)))
    assert finished == [] and viewer.tool_active  # a click draws nothing
    a, b = at(viewer, (30, 30)), at(viewer, (30, 50))
    drag(viewer, a, b)
    assert list(finished[0].lines) == ["viable"]
    length = Line(image_at(viewer, a), image_at(viewer, b)).length_mm(SPACING)
    assert finished[0].values() == {"viable_mm": round(length, 1)} and abs(length - 20.0) <= 1.0  # 20 rows of 1 mm
    viewer.start_caliper("marker", "NEW1")
    drag(viewer, at(viewer, (60, 60)), at(viewer, (64, 70)))  # a marker follows the drag
    assert finished[1].lines == {} and finished[1].marker == image_at(viewer, at(viewer, (64, 70)))
    with pytest.raises(ValueError, match="unknown caliper kind 'circle'"):
        viewer.start_caliper("circle", "X")


def test_dragging_a_handle_edits_and_keeps_the_right_angle(viewer: SliceViewer, qtbot) -> None:  # type: ignore[no-untyped-def]
    assert viewer.volume is not None
    long = Line((20.0, 60.0), (100.0, 60.0))
    short = short_axis_from_drag(long, (60.0, 40.0), (60.0, 80.0), SPACING)
    caliper = Caliper(
        viewer.volume.sop_uid(viewer.index), "1.2.3", SPACING, "1.2.3.999", {"long": long, "short": short}
    )
    viewer.show_calipers([("T1", caliper, GREEN, True)])
    edited: list[tuple[str, Caliper]] = []
    viewer.caliperEdited.connect(lambda tag, c: edited.append((tag, c)))
    target = at(viewer, (100, 90))
    drag(viewer, at(viewer, long.end), target)
    [(tag, after)] = edited  # once, on release
    assert tag == "T1" and after.lines["long"].start == long.start
    assert math.dist(after.lines["long"].end, image_at(viewer, target)) < 1e-9
    assert angle_between(after.lines["long"], after.lines["short"], SPACING) == pytest.approx(90.0, abs=1e-6)
    assert after.lines["short"].length_mm(SPACING) == pytest.approx(short.length_mm(SPACING))
    assert viewer.calipers[0].caliper == after  # the viewer keeps the edited one
    fixed = after.lines["short"].start
    drag(viewer, at(viewer, after.lines["short"].end), at(viewer, (40, 110)))
    again = edited[-1][1].lines["short"]
    assert len(edited) == 2 and again.start == fixed
    assert angle_between(edited[-1][1].lines["long"], again, SPACING) == pytest.approx(90.0, abs=1e-6)


def test_read_only_calipers_do_not_move(viewer: SliceViewer, qtbot) -> None:  # type: ignore[no-untyped-def]
    assert viewer.volume is not None
    sop = viewer.volume.sop_uid(viewer.index)
    caliper = Caliper(sop, "1.2.3", SPACING, lines={"long": Line((20.0, 60.0), (100.0, 60.0))})
    viewer.show_calipers([("R1", caliper, "#ff00ff", False), ("R2", Caliper(sop, "1.2.3", SPACING, marker=(50.0, 50.0)),
                                                              "#00ffff", False)])  # fmt: skip
    edited: list[object] = []
    viewer.caliperEdited.connect(lambda tag, c: edited.append(c))
    drag(viewer, at(viewer, (100, 60)), at(viewer, (110, 100)))
    drag(viewer, at(viewer, (50, 50)), at(viewer, (70, 70)))
    assert edited == [] and [o.caliper for o in viewer.caliper_overlays] == [c.caliper for c in viewer.calipers]
    assert viewer.calipers[0].caliper == caliper
    assert all(not item.handles for o in viewer.caliper_overlays for item in o.items)


def test_measuring_a_reformatted_series_is_refused(qtbot) -> None:  # type: ignore[no-untyped-def]
    viewer = shown_viewer(qtbot, loaded_volume(describe(n=3, acquisition_plane=False)))
    finished: list[object] = []
    viewer.caliperFinished.connect(finished.append)
    with qtbot.waitSignal(viewer.measureRefused) as refused:
        assert viewer.start_caliper("bidirectional", "T1") is False
    assert refused.args == [REFUSED_PLANE] == ["Measure on acquisition-plane (axial) images only"]
    drag(viewer, at(viewer, (10, 10)), at(viewer, (40, 40)))
    assert finished == [] and not viewer.tool_active


def test_a_caliper_shows_on_its_own_slice_only(viewer: SliceViewer) -> None:
    volume = viewer.volume
    assert volume is not None
    on = [
        Caliper(volume.sop_uid(i), "1.2.3", SPACING, lines={"long": Line((10.0, 10.0), (40.0, 40.0))}) for i in (1, 4)
    ]
    viewer.show_calipers([("T1", on[0], GREEN, True), ("T2", on[1], GREEN, True)])
    assert viewer.caliper_overlays == []  # the viewer shows slice 3
    assert viewer.show_slice_of(on[1].sop_instance_uid) and viewer.index == 4
    assert [o.tag for o in viewer.caliper_overlays] == ["T2"]
    QTest.keyClick(viewer, Qt.Key.Key_PageUp)
    assert viewer.index == 0 and viewer.caliper_overlays == []
    assert not viewer.show_slice_of("4.5.6")


def test_scrolling_while_drawing_starts_the_caliper_again_and_escape_leaves(viewer: SliceViewer, qtbot) -> None:  # type: ignore[no-untyped-def]
    finished: list[Caliper] = []
    viewer.caliperFinished.connect(lambda tag, c: finished.append(c))
    viewer.start_caliper("bidirectional", "T1")
    drag(viewer, at(viewer, (20, 30)), at(viewer, (100, 90)))
    QTest.keyClick(viewer, Qt.Key.Key_Down)  # a caliper belongs to one slice
    drag(viewer, at(viewer, (10, 10)), at(viewer, (50, 10)))  # a new long axis, not a short one
    assert finished == [] and viewer.tool_active
    with qtbot.waitSignal(viewer.caliperCancelled) as cancelled:
        QTest.keyClick(viewer, Qt.Key.Key_Escape)
    assert cancelled.args == ["T1"] and not viewer.tool_active and viewer.caliper_overlays == []


def test_the_grab_shows_the_image_and_the_caliper_colour_at_its_ends(viewer: SliceViewer, qtbot) -> None:  # type: ignore[no-untyped-def]
    assert viewer.volume is not None
    line = Line((20.0, 40.0), (110.0, 100.0))
    viewer.show_calipers([("T1", Caliper(viewer.volume.sop_uid(viewer.index), "1.2.3", SPACING, lines={"long": line}),
                           GREEN, False)])  # fmt: skip
    image = viewer.grab().toImage()
    inside = [image.pixelColor(at(viewer, (c, 10))).red() for c in range(0, 128, 8)]  # a row the line misses
    assert len(set(inside)) > 5 and np.all(np.diff(inside) >= 0)  # the ramp, dark to bright: image pixels
    for end in (line.start, line.end):
        assert near_colour(image, at(viewer, end), QColor(GREEN))


def test_the_geometry_of_a_drag() -> None:
    long = Line((0.0, 0.0), (40.0, 0.0))
    far = short_axis_from_drag(long, (60.0, -10.0), (60.0, 10.0), SPACING)  # beyond the end: slid onto the axis
    assert far.midpoint == pytest.approx((40.0, 0.0)) and far.length_mm(SPACING) == pytest.approx(20.0)
    new_long, turned = moved_long_end(long, far, 1, (40.0, 40.0), SPACING)
    assert turned is not None and turned.length_mm(SPACING) == pytest.approx(20.0)
    assert turned.midpoint == pytest.approx(new_long.end)  # still at the end (the fraction along is kept)
    assert moved_long_end(long, far, 1, (0.0, 0.0), SPACING) == (long, far)  # no zero-length long axis
    moved = moved_short_end(long, far, 0, (45.0, -30.0), SPACING)  # sideways motion is dropped
    assert moved.end == far.end and moved.start == pytest.approx((40.0, -30.0))
