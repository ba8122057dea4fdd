"""A matplotlib canvas that renders off the GUI thread (issue 8: the window keeps responding).

Rendering a figure with text (tick labels, a legend, a number-at-risk table) costs 50–200 ms of Python in
matplotlib; on the GUI thread that is as long a freeze. :class:`BackgroundCanvas` keeps matplotlib's
``FigureCanvasQTAgg`` for everything else (events, picking, ``draw()``, saving) but its ``draw_idle`` renders
into a fresh Agg renderer on one render thread and, when done, shows the finished image; until then the
previous image stays on screen. The figure must not change while it is being rendered, so a caller that
changes it first calls :meth:`BackgroundCanvas.settle` (waits for a render in flight; free when idle), or
registers the change with :meth:`BackgroundCanvas.after_render` to run when the render has finished.

Matplotlib keeps its font cache per thread, so rendering one figure on another thread is safe as long as
no other thread touches that figure meanwhile — which this class guarantees for its own figure: resizes,
mouse events and synchronous draws arriving during a render wait for it (or are applied after it).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from matplotlib.artist import Artist
from matplotlib.backend_bases import ResizeEvent
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import QObject, QPoint, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QWidget

_POOL: QThreadPool | None = None


#: The interpreter's thread switch interval once a render thread exists (Python's default is 5 ms).
SWITCH_INTERVAL_S = 0.001


def render_pool() -> QThreadPool:
    """The one render thread of the program (renders never compete with each other for the interpreter).

    While it renders, every call from Qt into Python on the GUI thread (a model's ``data()``, a paint, a timer)
    must take the interpreter lock from it, which costs up to the switch interval each time; the first call
    therefore lowers the interval to :data:`SWITCH_INTERVAL_S`, so the window answers within a millisecond or
    two instead of five per call."""
    global _POOL
    if _POOL is None:
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
        _POOL = QThreadPool()
        _POOL.setMaxThreadCount(1)
    return _POOL


class _Done(QObject):
    finished = Signal(object)


#: What a figure may offer for redrawing only its changing parts: ``layers(figure)`` → (the changing artists in
#: drawing order, a key of everything else) or None (e.g. ``report.cohort_km.km_layers``).
Layers = Callable[[Figure], "tuple[list[Artist], tuple[object, ...]] | None"]


class _Backdrop:
    """The last image of a figure's fixed parts and its key (used by the render thread only)."""

    def __init__(self) -> None:
        self.key: tuple[object, ...] | None = None
        self.image: Any = None


class _Render(QRunnable):
    def __init__(self, canvas: BackgroundCanvas, renderer: RendererAgg) -> None:
        super().__init__()
        self.figure, self.renderer, self.done = canvas.figure, renderer, canvas._done
        self.finished_event, self.layers, self.backdrop = canvas._idle, canvas.layers, canvas._backdrop
        self.setAutoDelete(True)

    def _draw(self) -> str:
        """Draw the figure; returns "full" or "parts" (the fixed parts' image reused, the changing parts drawn
        over it — the same pixels as a full draw when the figure stacks its changing parts on top)."""
        parts = self.layers(self.figure) if self.layers is not None else None
        if parts is None:
            self.backdrop.key = None
            self.figure.draw(self.renderer)
            return "full"
        artists, key = parts
        if key == self.backdrop.key:
            self.renderer.restore_region(self.backdrop.image)
            drawn = "parts"
        else:
            for artist in artists:
                artist.set_animated(True)  # left out of the figure's own draw
            try:
                self.figure.draw(self.renderer)
            finally:
                for artist in artists:
                    artist.set_animated(False)
            self.backdrop.key, self.backdrop.image = key, self.renderer.copy_from_bbox(self.figure.bbox)
            drawn = "full"
        for artist in artists:
            artist.draw(self.renderer)
        return drawn

    def run(self) -> None:
        try:
            drawn = self._draw()
            buf = self.renderer.buffer_rgba()
            height, width = buf.shape[0], buf.shape[1]
            image = QImage(bytes(buf), width, height, QImage.Format.Format_RGBA8888).copy()
            result: tuple[str, Any] = ("ok", (image, drawn))
        except Exception as exc:  # shown by the GUI thread, never lost
            result = ("error", exc)
        finally:
            self.finished_event.set()
        self.done.finished.emit(result)


class BackgroundCanvas(FigureCanvasQTAgg):
    """``FigureCanvasQTAgg`` whose deferred draws render on the render thread.

    Signals:
        rendered(): a background render finished and its image is shown (GUI thread).
        render_failed(str): a background render raised (GUI thread); the previous image stays.

    ``rendering``: a render is in flight. ``renders``: background renders finished, ``partial_renders`` of them
    drawing only the figure's changing parts (:attr:`layers`).
    """

    rendered = Signal()
    render_failed = Signal(str)

    def __init__(self, figure: Figure | None = None) -> None:
        super().__init__(figure)
        self._image: QImage | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._busy = False  # GUI side: from the start of a render until its result is handled
        self._again = False
        self._resize_pending = False
        self._after: list[Callable[[], None]] = []
        self._when_idle: list[Callable[[], None]] = []
        self._done = _Done()

        def finished(result: Any) -> None:  # the render thread's result, unless this canvas is gone meanwhile
            if shiboken6.isValid(self):
                self._finished(result)

        self._done.finished.connect(finished)
        self.renders = 0
        self.partial_renders = 0  # renders that reused the fixed parts' image
        #: Optional :data:`Layers` of the figure: later renders then draw only its changing parts while the
        #: rest is unchanged (e.g. a dashboard KM plot after an edit).
        self.layers: Layers | None = None
        self._backdrop = _Backdrop()

    # ------------------------------------------------------------------ state
    @property
    def rendering(self) -> bool:
        """A render was started and its result has not been shown yet."""
        return self._busy

    def settle(self, timeout_s: float = 30.0) -> None:
        """Wait until no render thread uses the figure (GUI thread: before changing it). Free when idle."""
        self._idle.wait(timeout_s)

    def after_render(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` (which may change the figure) now when idle, else once the render in flight is done."""
        if self.rendering:
            self._after.append(fn)
        else:
            fn()

    def when_idle(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` (GUI thread) once no draw is queued or rendering; soon (event loop) when idle now."""
        self._when_idle.append(fn)
        if not self._busy and not getattr(self, "_draw_pending", False):
            QTimer.singleShot(0, self._check_idle)

    def _check_idle(self) -> None:
        if not shiboken6.isValid(self) or self._busy or getattr(self, "_draw_pending", False) or not self._when_idle:
            return
        waiting, self._when_idle = self._when_idle, []
        for fn in waiting:
            fn()

    # ------------------------------------------------------------------ drawing
    def draw_idle(self) -> None:
        """Queue a background render (coalesced; one more after the render in flight if one runs)."""
        if self.rendering:
            self._again = True
            return
        if not getattr(self, "_draw_pending", False):
            self._draw_pending = True
            QTimer.singleShot(0, self._draw_idle)

    def _draw_idle(self) -> None:
        if not shiboken6.isValid(self) or not getattr(self, "_draw_pending", False):
            return
        self._draw_pending = False
        if self.height() <= 0 or self.width() <= 0 or self.figure is None:
            self._check_idle()
            return
        if self.rendering:
            self._again = True
            return
        width, height = self.get_width_height(physical=True)
        self._busy = True
        self._idle.clear()
        job = _Render(self, RendererAgg(width, height, self.figure.dpi))
        render_pool().start(job)

    def _finished(self, result: tuple[str, Any]) -> None:
        self._busy = False
        status, value = result
        if status == "ok":
            self.renders += 1
            self._image, drawn = value
            self.partial_renders += drawn == "parts"
            self._image.setDevicePixelRatio(self.device_pixel_ratio)
            self.update()
        pending, self._after = self._after, []
        for fn in pending:
            fn()
        if self._resize_pending:
            self._resize_pending = False
            self._apply_size()
        if self._again:
            self._again = False
            self.draw_idle()
        if status == "ok":
            self.rendered.emit()
        else:
            self.render_failed.emit(f"{type(value).__name__}: {value}")
        self._check_idle()

    def draw(self) -> None:
        """Render now, on this thread (as matplotlib's canvas does): after a render in flight."""
        self.settle()
        super().draw()
        buf = self.renderer.buffer_rgba()
        self._image = QImage(bytes(buf), buf.shape[1], buf.shape[0], QImage.Format.Format_RGBA8888).copy()
        self._image.setDevicePixelRatio(self.device_pixel_ratio)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Show the last finished image (a render still running shows when it is done)."""
        painter = QPainter(self)
        try:
            painter.eraseRect(event.rect())
            if self._image is not None:
                painter.drawImage(QPoint(0, 0), self._image)
            self._draw_rect_callback(painter)
        finally:
            painter.end()

    # ------------------------------------------------------------------ events that touch the figure
    def resizeEvent(self, event: QResizeEvent) -> None:
        if self.rendering:  # resize the figure once the render is done
            QWidget.resizeEvent(self, event)
            self._resize_pending = True
            return
        super().resizeEvent(event)

    def _apply_size(self) -> None:
        if self.figure is None:
            return
        ratio = self.device_pixel_ratio
        self.figure.set_size_inches(self.width() * ratio / self.figure.dpi, self.height() * ratio / self.figure.dpi,
                                    forward=False)  # fmt: skip
        self.callbacks.process("resize_event", ResizeEvent("resize_event", self))  # what Event._process does
        self.draw_idle()

    def mousePressEvent(self, event: Any) -> None:
        self.settle()  # a pick reads the artists: not while they are drawn
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: Any) -> None:
        self.settle()
        super().mouseReleaseEvent(event)


def figures_settled(root: QWidget) -> bool:
    """No background canvas under ``root`` has a draw queued or a render in flight (screenshots wait for
    this before grabbing, since a grab shows the last finished image)."""
    return not any(
        canvas.rendering or getattr(canvas, "_draw_pending", False) for canvas in root.findChildren(BackgroundCanvas)
    )
