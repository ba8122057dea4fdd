"""The slice viewer driven as a reader drives it: wheel, keys, zoom about the cursor, pan, window / level, cine."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from hccreview.domain.images import WINDOW_PRESETS
from hccreview.ui.imaging.overlay_text import NO_SERIES, overlay_text
from hccreview.ui.imaging.viewer import SliceViewer
from hccreview.ui.imaging.window_level import DEFAULT_WINDOW
from tests.ui.imaging.support import MOUSE, at, describe, drag, image_at, loaded_volume, shown_viewer, wheel

KEY = Qt.Key
MOD = Qt.KeyboardModifier


@pytest.fixture
def viewer(qtbot) -> SliceViewer:  # type: ignore[no-untyped-def]
    return shown_viewer(qtbot, loaded_volume(describe(n=30, rows=128, cols=128)))


def test_opens_on_the_middle_slice_fitted_with_its_corner_texts(viewer: SliceViewer) -> None:
    assert viewer.index == 15 and viewer.painted_slice and viewer.fitted
    assert viewer.zoom == pytest.approx(400 / 128)
    assert overlay_text(viewer) == {
        "top_left": "Portal venous",
        "top_right": "",
        "bottom_left": "16 / 30   -37.5 mm",
        "bottom_right": "W 400  L 50   ×3.12",
        "centre": "",
    }
    assert (viewer.windowing) == DEFAULT_WINDOW


def test_the_wheel_and_the_keys_scroll(viewer: SliceViewer, qtbot) -> None:  # type: ignore[no-untyped-def]
    changed: list[int] = []
    viewer.sliceChanged.connect(changed.append)
    middle = QPoint(200, 200)
    wheel(viewer, middle, -120)  # towards the user: the next slice
    wheel(viewer, middle, 120)
    wheel(viewer, middle, 120)
    wheel(viewer, middle, 60)  # half a notch (a fine-grained wheel) does nothing yet
    assert viewer.index == 14
    wheel(viewer, middle, 60)
    assert viewer.index == 13
    QTest.keyClick(viewer, KEY.Key_Down)
    QTest.keyClick(viewer, KEY.Key_PageDown)
    assert viewer.index == 24
    QTest.keyClick(viewer, KEY.Key_PageDown)  # clamped at the last slice
    QTest.keyClick(viewer, KEY.Key_Up)
    assert viewer.index == 28
    QTest.keyClick(viewer, KEY.Key_Home)
    assert viewer.index == 0 and overlay_text(viewer)["bottom_left"] == "1 / 30   0.0 mm"
    QTest.keyClick(viewer, KEY.Key_End)
    assert changed == [16, 15, 14, 13, 14, 24, 29, 28, 0, 29]


def test_ctrl_wheel_zooms_about_the_cursor(viewer: SliceViewer) -> None:
    cursor = QPoint(90, 300)
    under = viewer.scene_at(cursor)
    wheel(viewer, cursor, 240, MOD.ControlModifier)
    assert viewer.zoom == pytest.approx(400 / 128 * 1.25**2) and not viewer.fitted
    assert viewer.index == 15  # zooming does not scroll
    after = viewer.scene_at(cursor)
    assert abs(after.x() - under.x()) < 0.5 and abs(after.y() - under.y()) < 0.5  # less than a pixel
    QTest.keyClick(viewer, KEY.Key_Minus)
    assert viewer.zoom == pytest.approx(400 / 128 * 1.25)
    QTest.keyClick(viewer, KEY.Key_0)
    assert viewer.fitted and viewer.zoom == pytest.approx(400 / 128)


def test_middle_drag_and_shift_drag_pan(viewer: SliceViewer) -> None:
    before = image_at(viewer, QPoint(200, 200))
    drag(viewer, QPoint(200, 200), QPoint(260, 170), MOUSE.MiddleButton)
    moved = image_at(viewer, QPoint(260, 170))  # the same image point is now under the mouse
    assert abs(moved[0] - before[0]) < 0.5 and abs(moved[1] - before[1]) < 0.5
    drag(viewer, QPoint(260, 170), QPoint(200, 200), MOUSE.LeftButton, MOD.ShiftModifier)
    back = image_at(viewer, QPoint(200, 200))
    assert abs(back[0] - before[0]) < 0.5 and abs(back[1] - before[1]) < 0.5
    assert not viewer.fitted and viewer.index == 15


def test_right_drag_sets_window_and_level_and_presets_by_key(viewer: SliceViewer, qtbot) -> None:  # type: ignore[no-untyped-def]
    changed: list[tuple[float, float]] = []
    viewer.windowChanged.connect(lambda w, c: changed.append((w, c)))
    drag(viewer, QPoint(200, 200), QPoint(264, 200), MOUSE.RightButton)
    assert viewer.windowing == (400 + 64 * 400 / 256, 50) == (500.0, 50.0)  # right: wider
    assert len(changed) == 3 and changed[-1] == (500.0, 50.0)  # live, at each move
    drag(viewer, QPoint(200, 200), QPoint(200, 180), MOUSE.RightButton)
    assert viewer.windowing[1] == pytest.approx(50 - 20 * 500 / 256)  # up: a lower level (brighter)
    QTest.keyClick(viewer, KEY.Key_1)
    assert viewer.windowing == WINDOW_PRESETS["Liver"]
    QTest.keyClick(viewer, KEY.Key_3)
    assert viewer.windowing == WINDOW_PRESETS["Lung"]
    assert overlay_text(viewer)["bottom_right"].startswith("W 1500  L -600")
    # the image follows: the ramp's left edge (−500 HU) is black in the abdomen window, grey in the lung window
    assert viewer.viewport().grab().toImage().pixelColor(at(viewer, (0, 64))).red() > 60
    viewer.apply_preset("Abdomen")
    assert viewer.viewport().grab().toImage().pixelColor(at(viewer, (0, 64))).red() == 0


def test_cine_plays_in_a_loop_and_space_stops_it(viewer: SliceViewer, qtbot) -> None:  # type: ignore[no-untyped-def]
    viewer.set_cine_fps(50)
    viewer.set_slice(28)
    seen: list[int] = []
    viewer.sliceChanged.connect(seen.append)
    with qtbot.waitSignal(viewer.cineChanged) as started:
        QTest.keyClick(viewer, KEY.Key_Space)
    assert started.args == [True] and overlay_text(viewer)["top_right"] == "cine 50 fps"
    qtbot.waitUntil(lambda: len(seen) >= 4, timeout=3000)
    QTest.keyClick(viewer, KEY.Key_Space)
    assert not viewer.cine_running
    assert seen[:4] == [29, 0, 1, 2]  # wraps around


def test_an_empty_viewer_says_so(qtbot) -> None:  # type: ignore[no-untyped-def]
    viewer = shown_viewer(qtbot)
    assert overlay_text(viewer)["centre"] == NO_SERIES
    QTest.keyClick(viewer, KEY.Key_Down)
    wheel(viewer, QPoint(10, 10), 120)
    assert viewer.index == 0 and viewer.location is None
