"""Window / level lookup tables: DICOM's linear VOI function at the window's edges, over the whole int16 range."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage

from hccreview.domain.images import WINDOW_PRESETS
from hccreview.ui.imaging.window_level import (
    WindowedSlice,
    dragged_window,
    grey_table,
    rgb32_image,
    window_grey,
    window_rgb32,
)


@pytest.mark.parametrize("name", sorted(WINDOW_PRESETS))
def test_black_at_the_lower_edge_white_at_the_upper_edge(name: str) -> None:
    width, centre = WINDOW_PRESETS[name]
    low, high = round(centre - width / 2), round(centre + width / 2)
    values = np.array([-32768, low - 1, low, high, high + 1, 32767], dtype=np.int16)
    assert window_grey(values, width, centre).tolist() == [0, 0, 0, 255, 255, 255]
    inside = np.arange(low + 1, high, dtype=np.int16)
    grey = window_grey(inside, width, centre).astype(int)
    assert np.all(np.diff(grey) >= 0) and grey.min() >= 0 and grey.max() <= 255  # a ramp, rising
    assert abs(int(window_grey(np.array([round(centre)], np.int16), width, centre)[0]) - 128) <= 1  # mid-grey


def test_the_liver_window_step_by_step() -> None:
    """Liver (W 150, L 90): 15 HU black, 165 HU white, DICOM's formula in between."""
    values = np.array([14, 15, 16, 90, 164, 165], dtype=np.int16)
    expected = [0, 0, round(((16 - 89.5) / 149 + 0.5) * 255), round(((90 - 89.5) / 149 + 0.5) * 255), 255, 255]
    assert window_grey(values, 150, 90).tolist() == expected


def test_negative_values_index_the_table_through_their_uint16_view() -> None:
    """−1000 HU (air) and +1000 HU differ, and each equals the table entry of its own value."""
    table = grey_table(2000, 0)
    values = np.array([-1000, -1, 0, 1000], dtype=np.int16)
    grey = window_grey(values, 2000, 0)
    assert grey.tolist() == [table[np.uint16(v & 0xFFFF)] for v in (-1000, -1, 0, 1000)]
    assert grey[0] < grey[1] <= grey[2] < grey[3]


def test_a_width_of_one_is_a_threshold() -> None:
    assert window_grey(np.array([49, 50, 51], np.int16), 1, 50.5).tolist() == [0, 0, 255]


def test_rgb32_is_the_grey_level_in_each_channel_and_opaque() -> None:
    values = np.array([[-200, 0, 35, 300]], dtype=np.int16)
    grey = window_grey(values, 400, 50).astype(np.uint32)
    assert window_rgb32(values, 400, 50).tolist() == ((grey * 0x010101) | 0xFF000000).tolist()


def test_the_image_wraps_the_windowed_pixels() -> None:
    values = np.array([[-1000, 1000], [50, 50]], dtype=np.int16)
    shown = WindowedSlice(values, 400, 50)
    assert shown.image.format() == QImage.Format.Format_RGB32
    assert (shown.image.width(), shown.image.height()) == (2, 2)
    assert shown.image.pixelColor(0, 0).getRgb()[:3] == (0, 0, 0)
    assert shown.image.pixelColor(1, 0).getRgb()[:3] == (255, 255, 255)
    assert rgb32_image(shown.pixels).pixelColor(0, 1).red() == window_grey(values, 400, 50)[1, 0]


def test_a_right_drag_widens_to_the_right_and_raises_the_level_downwards() -> None:
    assert dragged_window(400, 50, 10, 0) == (400 + 10 * 400 / 256, 50)
    assert dragged_window(150, 90, 0, 20) == (150, 110)  # narrow windows move one HU per pixel
    assert dragged_window(10, 0, -100, 0)[0] == 1.0  # never narrower than 1 HU
