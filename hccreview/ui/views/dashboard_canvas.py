"""One dashboard plot: a :class:`~hccreview.ui.plots.FigureHost` that paints only when it is on screen, maps
picks to patients, and exports PNG / SVG.

A plot that is hidden (another tab is current) keeps its newest paint request and runs it when shown, so a
recompute only draws what the user can see. Save locations come from :meth:`SaveLocation.ask_path`, which
tests replace.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from matplotlib.backend_bases import PickEvent
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QFileDialog, QMenu, QVBoxLayout, QWidget

from hccreview.report.cohort_figures import DENSE_WATERFALL_GID, empty_figure, fit_risk_table, new_figure, subject_of
from hccreview.report.cohort_km import km_layers
from hccreview.ui.plots import FigureHost

#: Paints a figure into the host (what it returns, e.g. the figure, is not used).
Painter = Callable[[FigureHost], object]
IMAGE_FILTERS = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)", "csv": "CSV table (*.csv)"}


class SaveLocation:
    """Asks where to save an export (one place for every dashboard export; tests monkeypatch ``ask_path``)."""

    last_folder: Path | None = None

    @classmethod
    def ask_path(cls, parent: QWidget | None, caption: str, suggested: str, kind: str) -> Path | None:
        """A path chosen in a save dialog (``kind``: "png", "svg" or "csv"; the suffix is added when
        missing), or None when cancelled. GUI thread; blocks in the dialog."""
        start = str((cls.last_folder or Path.home()) / suggested)
        name, _ = QFileDialog.getSaveFileName(parent, caption, start, IMAGE_FILTERS[kind])
        if not name:
            return None
        path = Path(name)
        if path.suffix.lower() != f".{kind}":
            path = path.with_name(path.name + f".{kind}")
        cls.last_folder = path.parent
        return path


class DashboardCanvas(QWidget):
    """A named plot of the dashboard.

    Signals:
        subject_picked(str): the user clicked a patient's artist (a waterfall bar, a swimmer lane); emitted on
            the GUI thread from matplotlib's ``pick_event``.
        paint_failed(str): a paint request raised; the figure shows the message instead (GUI thread).
        exported(str): a figure was written to this path (GUI thread).

    GUI thread only. Painters receive the :class:`FigureHost` and must not block (figures only, no I/O).
    """

    subject_picked = Signal(str)
    paint_failed = Signal(str)
    exported = Signal(str)

    def __init__(self, name: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"dashboard_plot_{name}")
        self.name = name
        self.title = title
        self.host = FigureHost(self)
        self._pending: Painter | None = None
        self._dense_order: list[str] = []
        self._last_mouse_event: object | None = None
        self.painted = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.host)
        self.host.canvas.layers = km_layers  # a KM plot redraws only its curves and counts after an edit
        self.host.canvas.mpl_connect("pick_event", self._picked)
        self.host.canvas.mpl_connect("resize_event", self._resized)
        self.host.canvas.mpl_connect("draw_event", self._drawn)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)
        self.host.canvas.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)

    # ------------------------------------------------------------------ painting
    @property
    def figure(self) -> Figure:
        return self.host.figure

    @property
    def pending(self) -> bool:
        """A paint request waits for the plot to be shown."""
        return self._pending is not None

    def request(self, painter: Painter) -> bool:
        """Paint now when on screen (returns True; after the render in flight, if any), else keep the newest
        request for :meth:`showEvent`."""
        self._pending = painter
        if self.isVisible():
            self.host.canvas.after_render(self._paint)
            return True
        return False

    def when_drawn(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` once the figure's pending paint and render are done (at once when there are none)."""
        self.host.canvas.when_idle(fn)

    def set_dense_order(self, subject_ids: Sequence[str]) -> None:
        """Patients of a dense waterfall's bars, left to right (a pick's ``ind`` indexes this list)."""
        self._dense_order = list(subject_ids)

    def _paint(self) -> None:
        painter, self._pending = self._pending, None
        if painter is None:
            return
        self.host.settle()
        try:
            painter(self.host)
        except Exception as exc:  # a figure must never take the window down
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            message = f"This plot could not be drawn:\n{detail}"
            self.host.draw_with(lambda fig: empty_figure(new_figure(fig, (4.0, 3.0)), message))
            self.paint_failed.emit(f"{self.title}: {detail}")
            return
        self.painted += 1

    def _drawn(self, _event: object) -> None:
        """Keep the layout the constrained engine found: later in-place updates (same labels and ticks) then
        draw without re-solving it (about half the draw time of a KM figure with its risk table)."""
        if isinstance(self.figure.get_layout_engine(), ConstrainedLayoutEngine):
            self.figure.set_layout_engine("none")

    def _resized(self, _event: object) -> None:
        fit_risk_table(self.figure)
        self.figure.set_layout_engine("constrained")

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._pending is not None:
            self.host.canvas.after_render(self._paint)

    # ------------------------------------------------------------------ picking
    def _picked(self, event: PickEvent) -> None:
        if event.mouseevent is self._last_mouse_event:  # a lane's line and bar both report one click
            return
        sid = subject_of(event.artist)
        if sid is None and event.artist.get_gid() == DENSE_WATERFALL_GID:
            ind = getattr(event, "ind", None)
            if ind is not None and len(ind) and 0 <= int(ind[0]) < len(self._dense_order):
                sid = self._dense_order[int(ind[0])]
        if sid is not None:
            self._last_mouse_event = event.mouseevent
            self.subject_picked.emit(sid)

    # ------------------------------------------------------------------ export
    def export(self, path: Path) -> Path:
        """Write the figure as shown to ``path`` (PNG at 150 dpi, or SVG by the suffix)."""
        kind = path.suffix.lower().lstrip(".")
        self.host.settle()
        self.figure.savefig(path, format=kind, dpi=150 if kind == "png" else "figure",
                            facecolor=self.figure.get_facecolor())  # fmt: skip
        self.exported.emit(str(path))
        return path

    def ask_and_export(self, kind: str) -> Path | None:
        """Ask for a file name (``kind`` "png" / "svg") and export there; None when cancelled."""
        path = SaveLocation.ask_path(self, f"Save {self.title} as {kind.upper()}", f"{self.name}.{kind}", kind)
        return None if path is None else self.export(path)

    def _context_menu(self, pos: QPoint) -> None:
        menu = self.export_menu(self)
        menu.exec(self.mapToGlobal(pos))

    def export_menu(self, parent: QWidget) -> QMenu:
        """A menu of :meth:`add_export_actions`."""
        menu = QMenu(parent)
        self.add_export_actions(menu)
        return menu

    def add_export_actions(self, menu: QMenu) -> None:
        """ "Save as PNG…" / "Save as SVG…" for this plot (its context menu and the dashboard's Export button)."""
        for kind in ("png", "svg"):
            action = menu.addAction(f"Save {self.title} as {kind.upper()}…")
            action.triggered.connect(lambda _=False, k=kind: self.ask_and_export(k))
