"""The background canvas (pytest-qt): deferred draws render on the render thread and show when done, the
window keeps answering during a slow render, and changes to the figure wait for the render in flight."""

from __future__ import annotations

import itertools
import threading
import time

from matplotlib.artist import Artist
from matplotlib.figure import Figure
from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor

from hccreview.ui.background_canvas import BackgroundCanvas


class SlowArtist(Artist):
    """An artist whose draw takes ``seconds`` of Python (as a large figure's text layout does)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.threads: list[int] = []

    def draw(self, renderer: object) -> None:
        self.threads.append(threading.get_ident())
        end = time.perf_counter() + self.seconds
        while time.perf_counter() < end:  # busy Python, holding the interpreter in turns
            sum(range(200))


def _canvas(qtbot, seconds: float = 0.0) -> tuple[BackgroundCanvas, SlowArtist]:  # type: ignore[no-untyped-def]
    fig = Figure(figsize=(4, 3), dpi=50)
    fig.set_facecolor("#ff0000")
    slow = SlowArtist(seconds)
    fig.add_artist(slow)
    canvas = BackgroundCanvas(fig)
    qtbot.addWidget(canvas)
    canvas.resize(200, 150)
    canvas.show()
    qtbot.waitExposed(canvas)
    return canvas, slow


def test_a_deferred_draw_renders_on_the_render_thread_and_is_shown(qtbot) -> None:  # type: ignore[no-untyped-def]
    canvas, slow = _canvas(qtbot)
    with qtbot.waitSignal(canvas.rendered, timeout=5000):
        canvas.draw_idle()
    assert slow.threads and slow.threads[-1] != threading.get_ident()
    assert canvas.renders >= 1 and not canvas.rendering
    shown = canvas.grab().toImage()
    assert QColor(shown.pixel(shown.width() // 2, shown.height() // 2)).name() == "#ff0000"


def test_the_window_answers_during_a_slow_render(qtbot) -> None:  # type: ignore[no-untyped-def]
    canvas, slow = _canvas(qtbot)
    with qtbot.waitSignal(canvas.rendered, timeout=5000):
        canvas.draw_idle()
    slow.seconds = 0.6
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    with qtbot.waitSignal(canvas.rendered, timeout=10000):
        canvas.draw_idle()
    timer.stop()
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) > 20, "the timer kept firing while the figure rendered"
    assert max(gaps) < 0.1, f"largest gap between 10 ms ticks: {1000 * max(gaps):.0f} ms"


def test_changes_wait_for_the_render_in_flight(qtbot) -> None:  # type: ignore[no-untyped-def]
    canvas, _slow = _canvas(qtbot, seconds=0.3)
    canvas.draw_idle()
    qtbot.waitUntil(lambda: canvas.rendering, timeout=2000)
    applied: list[bool] = []
    canvas.after_render(lambda: applied.append(canvas.rendering))
    assert applied == []  # deferred: the figure is being drawn
    canvas.resize(260, 180)  # the figure's size follows once the render is done
    canvas.draw_idle()  # asked for during the render: one more render afterwards
    with qtbot.waitSignal(canvas.rendered, timeout=5000):
        pass
    assert applied == [False]
    qtbot.waitUntil(lambda: canvas.renders >= 2 and not canvas.rendering, timeout=5000)
    assert tuple(round(x) for x in canvas.figure.get_size_inches() * canvas.figure.dpi) == (260, 180)
    canvas.draw_idle()
    canvas.settle()  # returns once no render thread uses the figure
    canvas.figure.set_facecolor("#0000ff")  # safe now
    with qtbot.waitSignal(canvas.rendered, timeout=5000):
        canvas.draw_idle()
    shown = canvas.grab().toImage()
    assert QColor(shown.pixel(5, 5)).name() == "#0000ff"


def test_a_failing_render_is_reported_and_the_last_image_stays(qtbot) -> None:  # type: ignore[no-untyped-def]
    canvas, slow = _canvas(qtbot)
    with qtbot.waitSignal(canvas.rendered, timeout=5000):
        canvas.draw_idle()

    def broken(renderer: object) -> None:
        raise ValueError("bad artist")

    slow.draw = broken  # type: ignore[method-assign]
    with qtbot.waitSignal(canvas.render_failed, timeout=5000) as blocker:
        canvas.draw_idle()
    assert "bad artist" in blocker.args[0] and not canvas.rendering
    shown = canvas.grab().toImage()
    assert QColor(shown.pixel(5, 5)).name() == "#ff0000"


def test_a_km_plot_redraws_only_its_curves_and_counts_with_the_same_pixels(qtbot) -> None:  # type: ignore[no-untyped-def]
    """After an in-place update (``update_km``) the canvas reuses the image of the axes, grid and titles and
    draws the curves, bands, censor marks, legend and at-risk counts over it: the image equals a full draw."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from hccreview.domain.survival import kaplan_meier
    from hccreview.report.cohort_km import build_km, km_layers, update_km

    before = kaplan_meier([30, 60, 90, 120, 200, 400], [True, True, False, True, True, False], "PFS")
    after = kaplan_meier([30, 65, 90, 150, 200, 400], [True, True, True, True, False, False], "PFS")  # same span
    censors = {"PFS": [3.0, 13.1]}
    canvas = BackgroundCanvas(Figure(dpi=60))
    canvas.layers = km_layers
    qtbot.addWidget(canvas)
    canvas.resize(360, 300)
    canvas.show()
    qtbot.waitExposed(canvas)
    build_km([before], "PFS", censor_times=censors, fig=canvas.figure)
    with qtbot.waitSignal(canvas.rendered, timeout=5000):
        canvas.draw_idle()
    qtbot.waitUntil(lambda: not canvas.rendering, timeout=5000)
    canvas.figure.set_layout_engine("none")  # as the dashboard does after the first draw
    with qtbot.waitSignal(canvas.rendered, timeout=5000):
        canvas.draw_idle()  # the fixed parts' image is taken (the layout is final now)
    partial = canvas.partial_renders
    assert update_km(canvas.figure, [after], "PFS", censor_times={"PFS": [12.5]})
    with qtbot.waitSignal(canvas.rendered, timeout=5000):
        canvas.draw_idle()
    assert canvas.partial_renders == partial + 1, "only the changing parts were drawn"
    assert update_km(canvas.figure, [after], "PFS (re-read)", censor_times={"PFS": [12.5]})  # a new title
    with qtbot.waitSignal(canvas.rendered, timeout=5000):
        canvas.draw_idle()
    assert canvas.partial_renders == partial + 1, "a fixed part changed: drawn in full"
    shown = canvas._image.convertToFormat(canvas._image.Format.Format_RGBA8888)
    parts = np.frombuffer(shown.constBits(), np.uint8).reshape(shown.height(), shown.width(), 4)
    full = FigureCanvasAgg(canvas.figure)
    full.draw()
    assert np.array_equal(parts, np.asarray(full.buffer_rgba()))
