"""The matplotlib canvas host: draws ``report.figures`` builders in a Qt widget, in the palette's colours.

The same builders draw the PDF, so the GUI shows exactly what the report prints (DESIGN §2: one drawing
code path); only the background and text colours follow the screen palette (light or dark).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QSize, Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

from hccreview.report.figures import apply_theme

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from hccreview.ui.background_canvas import BackgroundCanvas


class FigureHost(QWidget):
    """A :class:`~hccreview.ui.background_canvas.BackgroundCanvas` that shows one figure at a time.

    - :meth:`draw_with` redraws the host's own figure with a builder (``builder(*args, fig=figure, **kw)``):
      the canvas and figure are reused, nothing is rebuilt (the way to redraw on every patient step);
    - :meth:`draw_later` does the same after a short quiet period (newest call wins: fast stepping);
    - :meth:`set_figure` shows a figure built elsewhere (a new canvas for it).

    Colours follow the widget palette (Window / WindowText) and are reapplied on a palette change. Drawing
    is deferred (``draw_idle``) and rendered on the render thread; every change of the figure here first
    waits for a render in flight (:meth:`settle`). Signals: none. GUI thread only: never call from a worker.
    """

    def __init__(self, parent: QWidget | None = None, *, min_size: QSize | None = None, delay_ms: int = 120) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._min_size = min_size or QSize(280, 200)
        self._canvas_: BackgroundCanvas | None = None  # made on first use: matplotlib loads then (cold start)
        self._pending: tuple[Callable[..., Figure], tuple[Any, ...], dict[str, Any]] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._draw_pending)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # ------------------------------------------------------------------ API
    @property
    def _canvas(self) -> BackgroundCanvas:
        if self._canvas_ is None:
            from matplotlib.figure import Figure

            self._canvas_ = self._make_canvas(Figure(layout="constrained"))
        return self._canvas_

    @property
    def figure(self) -> Figure:
        return self._canvas.figure

    @property
    def canvas(self) -> BackgroundCanvas:
        return self._canvas

    def settle(self) -> None:
        """Wait for a render of the figure in flight (before changing the figure outside :meth:`draw_with`)."""
        self._canvas.settle()

    def draw_with(self, builder: Callable[..., Figure], *args: Any, **kwargs: Any) -> Figure:
        """Clear the figure and redraw it with ``builder``; returns the figure."""
        self._canvas.settle()
        fig = builder(*args, fig=self._canvas.figure, **kwargs)
        self._finish()
        return fig

    def draw_later(self, builder: Callable[..., Figure], *args: Any, **kwargs: Any) -> None:
        """Like :meth:`draw_with`, but after ``delay_ms`` of quiet (default 120 ms); a newer call replaces a
        pending one. Stepping through patients then draws once, when the reader pauses, instead of spending
        a matplotlib render (≈50–150 ms on the GUI thread) on every patient passed over."""
        self._pending = (builder, args, kwargs)
        self._timer.start()

    @property
    def pending(self) -> bool:
        """Whether a :meth:`draw_later` is waiting."""
        return self._pending is not None

    def _draw_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            builder, args, kwargs = pending
            self.draw_with(builder, *args, **kwargs)

    def set_figure(self, fig: Figure) -> None:
        """Show ``fig`` (built by a ``report.figures`` builder) in place of the current figure."""
        old, self._canvas_ = self._canvas_, self._make_canvas(fig)
        if old is not None:
            old.settle()
            self._layout.removeWidget(old)
            old.hide()
            old.deleteLater()
        self._finish()

    def clear(self) -> None:
        """Show an empty figure (and drop a pending :meth:`draw_later`)."""
        self._pending = None
        self._canvas.settle()
        self._canvas.figure.clear()
        self._finish()

    def sizeHint(self) -> QSize:
        return QSize(560, 340)

    def minimumSizeHint(self) -> QSize:
        return self._min_size

    # ------------------------------------------------------------------ internals
    def _make_canvas(self, fig: Figure) -> BackgroundCanvas:
        from hccreview.ui.background_canvas import BackgroundCanvas

        canvas = BackgroundCanvas(fig)
        canvas.setParent(self)
        canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        canvas.setMinimumSize(self._min_size)
        canvas.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keyboard focus stays with the tables
        self._layout.addWidget(canvas)
        return canvas

    def _finish(self) -> None:
        self._theme()
        self._canvas.draw_idle()

    def _theme(self) -> None:
        self._canvas.settle()
        palette = self.palette()
        background = palette.color(QPalette.ColorRole.Window).name()
        foreground = palette.color(QPalette.ColorRole.WindowText).name()
        apply_theme(self._canvas.figure, background=background, foreground=foreground)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange and getattr(self, "_canvas_", None) is not None:
            self._finish()
        super().changeEvent(event)
