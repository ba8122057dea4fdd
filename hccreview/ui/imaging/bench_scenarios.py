"""The image viewer's benchmark scenarios (issue 21), run by ``python -m hccreview.ui.bench_gui`` in a fresh process.

The parent (``services.bench``) writes synthetic 512² CT series (``services.bench_images``) and passes their
manifest; each scenario returns what it measured as a JSON-ready dict:

- ``image_scroll``: a decoded series scrolled one slice per wheel notch in a 1024² viewport with six calipers on
  every slice (three bidirectional, two lines, a marker); milliseconds from the wheel event to the frame painted
  (``repaint()``), nearest-neighbour (``frame_ms``) and bilinear (``smooth_frame_ms``);
- ``image_first``: a series opened (volume, decoder, viewer) until its first slice is painted, ms per run;
- ``image_memory``: resident memory of a window with two viewer panes before any series (``baseline_kib``) and
  its peak once two series are fully decoded and shown (``peak_kib``).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget

from hccreview.domain.calipers import Caliper, Line
from hccreview.services.bench import peak_rss_kib
from hccreview.services.bench_images import read_manifest
from hccreview.services.image_pixels import load_slice
from hccreview.ui.imaging.caliper_edit import short_axis_from_drag
from hccreview.ui.imaging.decoder import SliceDecoder
from hccreview.ui.imaging.pane import ViewerPane
from hccreview.ui.imaging.viewer import CaliperShown, SliceViewer
from hccreview.ui.imaging.volume import SeriesDescription, SeriesVolume, SliceSource

VIEWPORT = 1024
COLOURS = ("#ffd400", "#00d0ff", "#ff4040", "#40ff40", "#ff80ff", "#ffffff")


def _app() -> QApplication:
    app = QApplication.instance()
    return app if isinstance(app, QApplication) else QApplication([])


def _wait(done: Callable[[], bool], timeout_s: float = 300.0) -> None:
    app, deadline = _app(), time.perf_counter() + timeout_s
    while not done():
        if time.perf_counter() > deadline:
            raise TimeoutError("the viewer did not finish in time")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)


def descriptions(manifest: str | Path) -> list[SeriesDescription]:
    out = []
    for k, s in enumerate(read_manifest(manifest)):
        slices = tuple(SliceSource(*f) for f in s.files)
        out.append(SeriesDescription(s.series_uid, s.rows, s.columns, s.spacing, slices, s.frame_of_reference_uid,
                                     label=f"bench series {k + 1}"))  # fmt: skip
    return out


def _viewer() -> SliceViewer:
    _app()
    viewer = SliceViewer()
    viewer.resize(VIEWPORT, VIEWPORT)  # no frame, no scroll bars: the viewport is 1024²
    viewer.show()
    _app().processEvents()
    return viewer


def six_calipers(volume: SeriesVolume) -> list[CaliperShown]:
    """Three bidirectional calipers, two lines and a marker on every slice."""
    out = []
    for i in range(volume.count):
        sop, uid, spacing = volume.sop_uid(i), volume.series_uid, volume.spacing
        for k in range(3):
            long = Line((100.0 + 90 * k, 200.0), (160.0 + 90 * k, 230.0))
            short = short_axis_from_drag(long, (130.0 + 90 * k, 190.0), (130.0 + 90 * k, 240.0), spacing)
            caliper = Caliper(sop, uid, spacing, lines={"long": long, "short": short})
            out.append(CaliperShown(f"T{k + 1}", caliper, COLOURS[k], True, f"T{k + 1}"))
        for k, name in enumerate(("short", "viable")):
            line = Line((150.0 + 100 * k, 330.0), (165.0 + 100 * k, 350.0))
            out.append(CaliperShown(f"N{k + 1}", Caliper(sop, uid, spacing, lines={name: line}), COLOURS[3 + k]))
        out.append(CaliperShown("NT1", Caliper(sop, uid, spacing, marker=(300.0, 150.0)), COLOURS[5], False))
    return out


def _decoded(description: SeriesDescription) -> tuple[SeriesVolume, SliceDecoder]:
    volume = SeriesVolume(description)
    decoder = SliceDecoder(volume)
    decoder.prioritise(volume.count // 2)
    _wait(lambda: decoder.done)
    return volume, decoder


def image_scroll(manifest: str, runs: int) -> dict[str, Any]:
    """``runs`` passes through a cached series (down, up, down …), one frame per slice, in both scalings."""
    volume, decoder = _decoded(descriptions(manifest)[0])
    viewer = _viewer()
    viewer.set_volume(volume, decoder, index=0)
    viewer.show_calipers(six_calipers(volume))
    viewer.apply_preset("Liver")
    port = viewer.viewport()
    centre = QPointF(VIEWPORT / 2, VIEWPORT / 2)
    out: dict[str, Any] = {"slices": volume.count, "overlays_per_slice": len(viewer.caliper_overlays)}
    for key, smooth in (("frame_ms", False), ("smooth_frame_ms", True)):
        viewer.set_smooth(smooth)
        times: list[float] = []
        for run in range(runs + 1):  # the first pass is the warm-up
            delta = -120 if run % 2 == 0 else 120  # towards the user: the next slice
            for _ in range(volume.count - 1):
                start = time.perf_counter()
                event = QWheelEvent(centre, QPointF(port.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                                    QPoint(0, delta), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                                    Qt.ScrollPhase.NoScrollPhase, False)  # fmt: skip
                QApplication.sendEvent(port, event)
                port.repaint()
                if run:
                    times.append(1000.0 * (time.perf_counter() - start))
        out[key] = times
    return out


def image_first(manifest: str, runs: int) -> dict[str, Any]:
    """Open a 512² series and paint its first (middle) slice, ``runs`` + 1 times (the first is the warm-up)."""
    series = descriptions(manifest)
    viewer = _viewer()
    times: list[float] = []
    for run in range(runs + 1):
        description = series[run % len(series)]
        start = time.perf_counter()
        volume = SeriesVolume(description)
        decoder = SliceDecoder(volume)
        viewer.set_volume(volume, decoder)
        _wait(lambda: viewer.painted_slice)
        viewer.viewport().repaint()
        times.append(1000.0 * (time.perf_counter() - start))
        decoder.cancel()
        decoder.wait()
        viewer.set_volume(None)
    middle = series[0].slices[len(series[0].slices) // 2].path
    reference = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        load_slice(middle)
        reference.append(1000.0 * (time.perf_counter() - start))
    return {"times_ms": times, "reference_ms": reference}


def current_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return peak_rss_kib()


def image_memory(manifest: str) -> dict[str, Any]:
    """Two panes side by side (1400 × 800); RSS before any series, then the peak with two series decoded."""
    _app()
    window = QWidget()
    layout = QHBoxLayout(window)
    panes = [ViewerPane(), ViewerPane()]
    for pane in panes:
        layout.addWidget(pane)
    window.resize(1400, 800)
    window.show()
    _app().processEvents()
    gc.collect()
    baseline = current_rss_kib()
    kept = []
    for pane, description in zip(panes, descriptions(manifest)[:2], strict=True):
        volume = SeriesVolume(description)
        decoder = SliceDecoder(volume)
        pane.viewer.set_volume(volume, decoder)
        kept.append((volume, decoder))
    _wait(lambda: all(decoder.done for _, decoder in kept))
    window.repaint()
    return {"baseline_kib": baseline, "peak_kib": peak_rss_kib(), "after_kib": current_rss_kib(),
            "volume_bytes": sum(volume.nbytes for volume, _ in kept)}  # fmt: skip


__all__ = ["descriptions", "image_first", "image_memory", "image_scroll", "six_calipers"]
