"""Background decoding: the slice on screen first, then outward; re-ordered on scroll; the GUI never waits."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime
from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer

from hccreview.domain.images import ImageInstance, ImageSeries
from hccreview.ui.imaging.decoder import DecodeSchedule, SliceDecoder
from hccreview.ui.imaging.overlay_text import DECODING, overlay_text
from hccreview.ui.imaging.volume import SeriesDescription, SeriesVolume
from tests.ui.imaging.support import describe, memory_loader, pattern, shown_viewer


def test_the_schedule_goes_outward_from_the_focus_ahead_first() -> None:
    schedule = DecodeSchedule(10, focus=4)
    first = [schedule.take() for _ in range(5)]
    assert first == [4, 5, 3, 6, 2]
    schedule.focus(1)  # the user scrolled up: behind (towards 0) is now "ahead"
    assert [schedule.take() for _ in range(6)] == [1, 0, 7, 8, 9, None]
    assert schedule.remaining == 0


class GatedLoader:
    """Decodes one slice each time the test opens the gate, recording the order asked."""

    def __init__(self, description: SeriesDescription) -> None:
        self.order: list[int] = []
        self.gate = threading.Semaphore(0)
        self._load = memory_loader(description)

    def __call__(self, path: str) -> np.ndarray:
        self.order.append(int(path.split(":")[1]))
        assert self.gate.acquire(timeout=10)
        return self._load(path)


def test_the_slice_on_screen_is_decoded_first_and_a_scroll_reorders(qtbot) -> None:  # type: ignore[no-untyped-def]
    description = describe(n=40)
    volume = SeriesVolume(description)
    loader = GatedLoader(description)
    decoder = SliceDecoder(volume, loader, parallel=1)
    viewer = shown_viewer(qtbot)
    viewer.set_volume(volume, decoder, index=10)
    qtbot.waitUntil(lambda: loader.order == [10])
    viewer.set_slice(35)  # while 10 decodes
    with qtbot.waitSignal(decoder.sliceReady) as ready:
        loader.gate.release()
    assert ready.args == [10]
    qtbot.waitUntil(lambda: loader.order == [10, 35])
    for _ in range(2):  # 35, then 36: the loader is then asked for the fourth slice and waits
        loader.gate.release()
    qtbot.waitUntil(lambda: len(loader.order) == 4)
    assert loader.order == [10, 35, 36, 34]  # ahead in the scroll direction, then behind
    assert viewer.painted_slice
    decoder.cancel()
    for _ in range(2):
        loader.gate.release()
    assert decoder.wait(5)
    assert len(loader.order) <= 5 and not decoder.done  # cancelled: the rest is never decoded


def test_the_gui_keeps_running_while_slow_slices_decode(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Each slice takes 150 ms: opening and scrolling return at once, a 10 ms timer keeps firing, the placeholder
    shows until the slice arrives, and then it is painted without being asked again."""
    description = describe(n=8)
    fast = memory_loader(description)

    def slow(path: str) -> np.ndarray:
        time.sleep(0.15)
        return fast(path)

    volume = SeriesVolume(description)
    decoder = SliceDecoder(volume, slow, parallel=2)
    viewer = shown_viewer(qtbot)
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(10)
    start = time.perf_counter()
    viewer.set_volume(volume, decoder, index=3)
    viewer.set_slice(5)
    opened = time.perf_counter() - start
    assert opened < 0.1, opened  # far less than one slice's decode
    assert not viewer.painted_slice and overlay_text(viewer)["centre"] == DECODING
    assert overlay_text(viewer)["top_right"] == "decoding 0 %"
    qtbot.waitUntil(lambda: viewer.painted_slice, timeout=5000)
    assert overlay_text(viewer)["centre"] == ""
    assert viewer.viewport().grab().toImage().pixelColor(5, 200).red() < 10  # the ramp's dark left edge shows
    qtbot.waitUntil(lambda: decoder.done, timeout=10000)
    timer.stop()
    assert len(ticks) > 20 and max(np.diff(ticks)) < 0.1  # the event loop never stalled for a decode
    assert np.array_equal(volume.slice(0), pattern(64, 64, 0)) and volume.loaded_count == 8


def test_a_slice_that_cannot_be_read_says_why_in_its_place(qtbot) -> None:  # type: ignore[no-untyped-def]
    description = describe(n=5)
    fast = memory_loader(description)

    def broken(path: str) -> np.ndarray:
        if path == "mem:2":
            raise ValueError("pixels cannot be decoded (no JPEG-LS decoder)")
        return fast(path)

    volume = SeriesVolume(description)
    decoder = SliceDecoder(volume, broken)
    viewer = shown_viewer(qtbot)
    with qtbot.waitSignal(decoder.finished, timeout=5000):
        viewer.set_volume(volume, decoder, index=2)
    assert volume.loaded_count == 4 and not viewer.painted_slice
    assert overlay_text(viewer)["centre"] == "Slice 3 could not be read: pixels cannot be decoded (no JPEG-LS decoder)"
    viewer.set_slice(3)
    assert viewer.painted_slice


def test_a_volume_orders_slices_head_first_and_finds_the_nearest() -> None:
    volume = SeriesVolume(describe(n=4, locations=[-5.0, 0.0, -10.0, -2.5]))
    assert volume.locations.tolist() == [0.0, -2.5, -5.0, -10.0]
    assert [volume.sop_uid(i) for i in range(4)] == ["1.2.3.2", "1.2.3.4", "1.2.3.1", "1.2.3.3"]
    assert volume.nearest_index(-8.0) == 3 and volume.nearest_index(3.0) == 0
    assert volume.index_of_sop("1.2.3.1") == 2
    assert volume.nbytes == 4 * 64 * 64 * 2 and volume.pixels.dtype == np.int16  # one int16 array, nothing else


def test_a_description_from_the_study_index_records(tmp_path: Path) -> None:
    series = ImageSeries(series_uid="9.1", study_uid="9", subject_id="S1", date=date(2024, 1, 10), modality="CT",
                         rows=512, columns=512, row_spacing=0.7, column_spacing=0.8, instances=2,
                         registered_at=datetime(2024, 2, 1), phase="Arterial", frame_of_reference_uid="9.9",
                         acquisition_plane=False)  # fmt: skip
    instances = [ImageInstance("9.1.1", "9.1", "S1/a/1.dcm", 10.0), ImageInstance("9.1.2", "9.1", "S1/a/2.dcm", 12.5),
                 ImageInstance("8.1.1", "8.1", "S1/b/1.dcm", 0.0)]  # fmt: skip
    d = SeriesDescription.from_records(series, instances, tmp_path)
    assert [s.path for s in d.slices] == [str(tmp_path / "S1" / "a" / "1.dcm"), str(tmp_path / "S1" / "a" / "2.dcm")]
    assert (d.spacing, d.label, d.acquisition_plane, d.frame_of_reference_uid) == ((0.7, 0.8), "Arterial", False, "9.9")
