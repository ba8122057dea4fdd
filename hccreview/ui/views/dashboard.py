"""The live cohort dashboard (issue 8): headline figures, tables and plots of the open study, always current.

Flow of one edit: ``ChangeBus.changed`` → (changes that cannot move a figure, e.g. review state, are ignored)
→ leading-edge debounce: when idle the recompute starts at once, otherwise a :class:`Debouncer` (150 ms)
starts it after the last change → the backend's ``compute`` on a worker lane: by default the statistics
*process* (:mod:`hccreview.services.dashboard_process`) reads what was committed since its last load (its
study cache re-reads only the changed subjects) and runs ``compute_dashboard(details=False)``, so no Python
work competes with the GUI thread → GUI thread: tables and the visible plots are updated (artists updated in
place where the figure's structure allows), ``updated`` is emitted once those plots have drawn → the
backend's ``complete`` (every source's response column, Child-Pugh curves) → ``details_updated``. Newer
requests supersede older ones through the runner's keys (:data:`COMPUTE_KEY`, :data:`DETAILS_KEY`: the runner
drops a superseded result), the panel's one newest-wins mechanism; the statistics process completes only its
newest result, the same key carried over its pipe (``services.dashboard_process``). While a recompute
runs the previous content stays visible, greyed, with "Updating…"; a failure (including a statistics process
that stopped: the next update starts a new one) shows a message above it and never raises.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Protocol, cast

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hccreview.domain.changes import Changes
from hccreview.domain.sources import Source
from hccreview.domain.survival import KMResult
from hccreview.report import cohort_figures as cf
from hccreview.services.dashboard import Cancelled, DashboardData, affects_dashboard
from hccreview.services.dashboard_process import (
    DashboardBackend,
    DashboardProcessError,
    LocalDashboard,
    ProcessDashboard,
)
from hccreview.ui import heap
from hccreview.ui.models.dataframe_model import DataFrameModel
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.plots import FigureHost
from hccreview.ui.settings import AppSettings
from hccreview.ui.views.dashboard_canvas import DashboardCanvas
from hccreview.ui.views.dashboard_reasons import DiscordanceReasons
from hccreview.ui.views.dashboard_tables import ResponseTableModel, StatsTable
from hccreview.ui.views.veil import Veil, veiled
from hccreview.ui.wording import rule_text
from hccreview.ui.workers import WRITE_PRIORITY, Debouncer

PANEL = "dashboard"
#: Runner keys (newest wins) of the headline recompute and of its details pass.
COMPUTE_KEY, DETAILS_KEY = "dashboard", "dashboard-details"
DEBOUNCE_MS = 150
#: An idle panel starts at once unless it started less than this ago (then the debouncer coalesces a burst).
MIN_GAP_MS = 30
PLOTS = (("pfs", "Progression-free survival", "PFS"), ("os", "Overall survival", "OS"),
         ("pfs_cp", "PFS by Child-Pugh class", "PFS × Child-Pugh"), ("os_cp", "OS by Child-Pugh class",
         "OS × Child-Pugh"), ("waterfall", "Waterfall", "Waterfall"), ("swimmer", "Swimmer plot", "Swimmer"),
         ("toxicity", "Adverse events", "Adverse events"))  # fmt: skip


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _mo(x: float | None) -> str:
    return "NR" if x is None else f"{x:.1f}"


class Exportable(Protocol):
    """A page of the dashboard's table or plot tabs: it fills the Export button's menu with its own actions."""

    def add_export_actions(self, menu: QMenu) -> None: ...


class DashboardPanel(QWidget):
    """Cohort figures of the open study for one read source, recomputed live after every relevant change.

    Signals:
        updated(object): the new :class:`CohortStats` is shown and the visible plots have drawn (GUI thread).
        details_updated(object): the :class:`DashboardData` with every source's responses and the Child-Pugh
            curves is shown (GUI thread, after ``updated``).
        subject_activated(str): the user clicked a patient in a plot (waterfall bar, swimmer lane) (GUI thread).
        failed(str): a recompute failed; the message is shown in the panel (GUI thread).

    ``last_recompute_ms``: time from the change (or source switch / refresh) to ``updated``; ``last_timings``
    splits it ("load", "compute", "show" in ms, the rest is queueing and drawing). All slots run on the GUI
    thread and never touch the database (loading runs on the runner's database lane).
    """

    updated = Signal(object)
    details_updated = Signal(object)
    subject_activated = Signal(str)
    failed = Signal(str)

    def __init__(
        self, context: PanelContext, parent: QWidget | None = None, *, backend: DashboardBackend | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("dashboard_panel")
        self.context = context  # handed on to the reasons table
        self.session, self.bus, self.runner = context.session, context.bus, context.runner
        #: Where the figures are computed: by default the shared statistics process (the window keeps
        #: responding); :class:`LocalDashboard` if no process can be started (``fallback_reason`` says why).
        self.backend: DashboardBackend = backend or ProcessDashboard(self.session.path, access=self.session.access)
        self.fallback_reason: str | None = None
        self.data: DashboardData | None = None
        self.last_recompute_ms: float | None = None
        self.last_timings: dict[str, float] = {}
        self._source: str | None = None
        self._fresh = False  # the next load drops the session's cache (Refresh)
        self._since: float | None = None  # when the oldest change not yet shown arrived (latency)
        self._busy = False
        self._last_start = -1e9
        self._stale = True
        self._debouncer = Debouncer(self._start, DEBOUNCE_MS, self)
        self._build()
        self.bus.changed.connect(self._changed)

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.source_combo = QComboBox()
        self.source_combo.setObjectName("dashboard_source")
        self.source_combo.setToolTip("Read source of the best overall responses and PFS")
        self.source_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.source_combo.activated.connect(lambda _: self.set_source(self.source_combo.currentData()))
        self.updating_label = QLabel("Updating…")
        self.updating_label.setObjectName("dashboard_updating")
        self.updating_label.setStyleSheet("color: palette(highlight); font-weight: bold;")
        self.updating_label.hide()
        self.status_label = QLabel("Loading…")
        self.status_label.setObjectName("dashboard_status")
        # room for "Updated 12:34:56 · 1234 ms" from the start: the bar does not re-flow when a recompute lands
        self.status_label.setMinimumWidth(
            self.status_label.fontMetrics().horizontalAdvance("Updated 00:00:00 · 00000 ms")
        )
        refresh = QPushButton("Refresh")
        refresh.setObjectName("dashboard_refresh")
        refresh.setToolTip("Read the whole study again and recompute")
        refresh.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(QLabel("Source:"))
        top.addWidget(self.source_combo)
        top.addWidget(self.updating_label)
        top.addStretch(1)
        top.addWidget(self.status_label)
        top.addWidget(refresh)

        self.summary_label = QLabel(wordWrap=True)
        self.summary_label.setObjectName("dashboard_summary")
        self.review_label = QLabel(wordWrap=True)
        self.review_label.setObjectName("dashboard_review")
        for selectable in (self.summary_label, self.review_label):
            selectable.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label = QLabel(wordWrap=True)
        self.error_label.setObjectName("dashboard_error")
        self.error_label.setStyleSheet("background: #fdecea; color: #611a15; border: 1px solid #f5c6cb; padding: 4px;")
        self.error_label.hide()

        self.tables = {
            "response": StatsTable("response", "Response by source", ResponseTableModel(parent=self)),
            "baseline": StatsTable("baseline", "Baseline characteristics", DataFrameModel(parent=self)),
            "toxicity": StatsTable("toxicity", "Toxicity", DataFrameModel(parent=self), sortable=True),
            "agreement": StatsTable("agreement", "Reader agreement", DataFrameModel(decimals={"Cohen's κ": 2},
                                                                                     parent=self)),
        }  # fmt: skip
        self.table_tabs = QTabWidget()
        self.table_tabs.setObjectName("dashboard_table_tabs")
        for name, label in (("response", "Response"), ("baseline", "Baseline"), ("toxicity", "Toxicity"),
                            ("agreement", "Agreement")):  # fmt: skip
            self.table_tabs.addTab(self.tables[name], label)
        self.table_tabs.addTab(DiscordanceReasons(self.context, self), "Reasons")  # issue 12
        # every page is Exportable (a StatsTable, the reasons table, a DashboardCanvas)
        self.table_tabs.setCornerWidget(self._export_button(lambda: cast(Exportable, self.table_tabs.currentWidget())))
        self.plots: dict[str, DashboardCanvas] = {}
        self.plot_tabs = QTabWidget()
        self.plot_tabs.setObjectName("dashboard_plot_tabs")
        for name, title, tab in PLOTS:
            canvas = DashboardCanvas(name, title)
            canvas.subject_picked.connect(self.subject_activated)
            canvas.paint_failed.connect(self._show_error)
            self.plots[name] = canvas
            self.plot_tabs.addTab(canvas, tab)
        self.plot_tabs.setCornerWidget(self._export_button(lambda: cast(Exportable, self.plot_tabs.currentWidget())))

        self.body = QSplitter(Qt.Orientation.Horizontal)
        self.body.setObjectName("dashboard_body")
        self.body.addWidget(self.table_tabs)
        self.body.addWidget(self.plot_tabs)
        self.body.setStretchFactor(0, 1)  # half each: five sources' columns fit beside the plot at 1366 px
        self.body.setStretchFactor(1, 1)
        self.body.setSizes([560, 560])
        self.veil = Veil()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.review_label)
        layout.addWidget(self.error_label)
        layout.addWidget(veiled(self.body, self.veil), 1)

    def _export_button(self, current: Callable[[], Exportable]) -> QToolButton:
        button = QToolButton()
        button.setText("Export")
        button.setObjectName("dashboard_export")
        button.setToolTip("Save the current plot as PNG / SVG, or copy / save the current table")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(button)

        def fill() -> None:  # the actions of the page shown when the menu opens
            menu.clear()
            current().add_export_actions(menu)

        menu.aboutToShow.connect(fill)
        button.setMenu(menu)
        return button

    # ------------------------------------------------------------------ public API
    @property
    def source(self) -> str | None:
        """The source shown (None until the first result: the study's default)."""
        return self._source

    @property
    def busy(self) -> bool:
        """A recompute is running."""
        return self._busy

    def set_source(self, source: str) -> None:
        """Show the figures under ``source`` (``adjudicated``, ``investigator``, ``computed``, ``reader:NAME``)."""
        if not source or source == self._source:
            return
        self._source = source
        self._since = time.perf_counter()
        self._start()

    def refresh(self) -> None:
        """Read the whole study again and recompute (also the first load)."""
        self._fresh = True
        self._since = self._since or time.perf_counter()
        self._start()

    def save_state(self, settings: AppSettings) -> None:
        """Remember the current table and plot tabs and the splitter sizes."""
        state = {"table_tab": self.table_tabs.currentIndex(), "plot_tab": self.plot_tabs.currentIndex()}
        settings.set_panel_state(PANEL, {**state, "split": self.body.sizes()})

    def restore_state(self, settings: AppSettings) -> None:
        """Restore what :meth:`save_state` saved (unknown or missing values are ignored)."""
        state = settings.panel_state(PANEL)
        for tabs, key in ((self.table_tabs, "table_tab"), (self.plot_tabs, "plot_tab")):
            if isinstance(state.get(key), int) and 0 <= state[key] < tabs.count():
                tabs.setCurrentIndex(state[key])
        split = state.get("split")
        if isinstance(split, list) and len(split) == 2 and all(isinstance(x, int) and x >= 0 for x in split):
            self.body.setSizes(split)

    # ------------------------------------------------------------------ recompute
    def _changed(self, changes: Changes, initiator: object) -> None:
        if not affects_dashboard(changes):
            return
        if self._since is None:
            self._since = time.perf_counter()
        if not self.isVisible():
            self._stale = True
            return
        if not self._busy and (time.perf_counter() - self._last_start) * 1000 > MIN_GAP_MS:
            self._start()
        else:
            self._debouncer.trigger()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            QTimer.singleShot(0, self._start_if_shown)

    def _start_if_shown(self) -> None:
        """Start a pending recompute if the panel is still on screen: while the window is built, a tab page
        receives a show event and is hidden again at once, and a study-wide recompute then would compete with
        the first patient's paint for nothing."""
        if self._stale and self.isVisible():
            self._since = self._since or time.perf_counter()
            self._start()

    def _start(self) -> None:
        self._stale = False
        self._last_start = time.perf_counter()
        fresh, self._fresh = self._fresh, False
        self._set_busy(True)
        backend = self.backend
        self.runner.run(backend.compute, self._source, fresh=fresh, key=COMPUTE_KEY, lane=backend.lane,
                        priority=WRITE_PRIORITY, on_done=self._computed, on_error=self._failed)  # fmt: skip

    def _owed(self) -> bool:
        """A change arrived that the result just shown does not include: a newer recompute is queued or
        running, the debouncer is about to start one, or the hidden panel starts one when shown."""
        return self.runner.pending(COMPUTE_KEY) or self._debouncer.pending or self._stale

    def _computed(self, dash: DashboardData) -> None:
        """The newest recompute's result (the runner dropped any it superseded) (GUI thread)."""
        started = time.perf_counter()
        heap.settle()  # the new result (≈ 100,000 objects on a large study) stays out of the collector's walks
        self.last_timings = {"load": dash.load_ms, "compute": dash.compute_ms}
        try:
            self._show(dash)
            self.last_timings["show"] = 1000.0 * (time.perf_counter() - started)
        except Exception as exc:  # a display bug must not take the window down
            self._failed(exc)
            return
        current = self.plot_tabs.currentWidget()
        if isinstance(current, DashboardCanvas) and current.isVisible():
            current.when_drawn(lambda: self._announce(dash))  # the visible plot rendered (render thread)
        else:
            QTimer.singleShot(0, lambda: self._announce(dash))

    def _announce(self, dash: DashboardData) -> None:
        """After the visible plot has rendered: record the latency, emit ``updated`` and start the details."""
        if self._since is not None:
            self.last_recompute_ms = 1000.0 * (time.perf_counter() - self._since)
        if not self._owed():  # every change so far is shown: the next one starts a new latency
            self._since = None
        shown = f"{self.last_recompute_ms:.0f} ms" if self.last_recompute_ms is not None else ""
        self.status_label.setText(f"Updated {time.strftime('%H:%M:%S')} · {shown}")
        self.updated.emit(dash.stats)
        backend = self.backend
        self.runner.run(backend.complete, dash, key=DETAILS_KEY, lane=backend.lane,
                        on_done=self._completed, on_error=self._failed)  # fmt: skip

    def _completed(self, dash: DashboardData | None) -> None:
        if dash is None or self.data is None or dash.stats is not self.data.stats:
            return  # details of a result that has been replaced meanwhile
        try:
            self.data = dash
            self.tables["response"].set_frame(dash.response_table)
            self._show_adjudication(dash)
            self._paint_subgroups(dash)
        except Exception as exc:
            self._failed(exc)
            return
        self.details_updated.emit(dash)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            return
        if isinstance(exc, DashboardProcessError) and exc.not_started and isinstance(self.backend, ProcessDashboard):
            self.backend = LocalDashboard(self.session)  # no child process here: compute in this program
            self.fallback_reason = str(exc)
            self._start()
            return
        self._set_busy(False)
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        when = " The figures below are from the last successful update." if self.data is not None else ""
        self._show_error(f"The cohort figures could not be updated: {detail}.{when}")
        self.failed.emit(detail)

    def _show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.updating_label.setVisible(busy)
        self.veil.setVisible(busy and self.data is not None)

    # ------------------------------------------------------------------ showing a result
    def _show(self, dash: DashboardData) -> None:
        self.data = dash
        self._source = dash.source
        self._set_busy(False)
        self.error_label.hide()
        self._fill_sources(dash)
        self._show_summary(dash)
        self._show_adjudication(dash)
        for name, frame in (("response", dash.response_table), ("baseline", dash.baseline_table),
                            ("toxicity", dash.toxicity_table), ("agreement", dash.agreement_table)):  # fmt: skip
            self.tables[name].set_frame(frame)
        self._paint_main(dash)

    def _fill_sources(self, dash: DashboardData) -> None:
        combo = self.source_combo
        current = [combo.itemData(i) for i in range(combo.count())]
        if current != dash.sources:
            combo.blockSignals(True)
            combo.clear()
            for src in dash.sources:
                combo.addItem(Source.parse(src).label(), src)
            combo.blockSignals(False)
        combo.setCurrentIndex(max(0, combo.findData(dash.source)))

    def _show_summary(self, dash: DashboardData) -> None:
        s = dash.stats
        parts = [f"<b>{s.n_enrolled}</b> patients analysed"]
        for key, name in (("orr", "ORR"), ("dcr", "DCR")):
            p = getattr(s, key)
            ci = f"{_pct(p.ci95[0])}–{_pct(p.ci95[1])}"
            parts.append(f"{name} <b>{_pct(p.rate)}</b> ({p.n}/{p.denominator}; exact 95% CI {ci})")
        for key, name in (("pfs", "PFS"), ("os", "OS")):
            km = getattr(s, key)
            lo, hi = km.ci95_months
            parts.append(f"Median {name} <b>{_mo(km.median_months)}</b> mo (95% CI {_mo(lo)}–{_mo(hi)})")
        self.summary_label.setText(" · ".join(parts))
        self.summary_label.setToolTip(
            f"{s.n_screened} patient records, {s.n_enrolled} in the analysis population. ORR / DCR: exact "
            f"(Clopper–Pearson) intervals. Medians: Kaplan–Meier, CI {s.pfs.ci_method}. PFS {s.pfs.events} events, "
            f"{s.pfs.censored} censored; OS {s.os.events} events, {s.os.censored} censored."
        )

    def _show_adjudication(self, dash: DashboardData) -> None:
        progress = dash.adjudication
        parts = [progress.text if progress else "No central review in this study"]
        agreement = dash.stats.reader_agreement
        if agreement and agreement.get("percent_agreement") is not None:
            kappa = agreement.get("kappa")
            kappa_text = "n/a" if kappa is None else f"{kappa:.2f}"
            parts.append(
                f"central readers agree in {agreement['percent_agreement']:.1f}% of {agreement['n']} "
                f"(Cohen's κ {kappa_text})"
            )
        note = getattr(dash.stats, "provisional_note", None) if dash.source == "adjudicated" else None
        if note:
            parts.append("<b>figures provisional</b>")
        self.review_label.setText(" · ".join(parts))
        self.review_label.setToolTip(rule_text(note or ""))

    def _paint_main(self, dash: DashboardData) -> None:
        s = dash.stats
        for key, title in (("pfs", "Progression-free survival"), ("os", "Overall survival")):
            self.plots[key].request(self._km_painter(getattr(s, key), title, dash.censor_months(key)))
        rows = dash.waterfall
        order = [sid for sid, _, _ in cf.waterfall_order(rows)]
        title = f"Best % change of the target sum — {Source.parse(dash.source).label()} ({len(rows)} of {s.n_enrolled})"
        self.plots["waterfall"].set_dense_order(order)
        self.plots["waterfall"].request(lambda host: self._paint_waterfall(host, rows, title))
        self.plots["swimmer"].request(lambda host: host.draw_with(cf.build_swimmer, dash.swimmer))
        self.plots["toxicity"].request(lambda host: host.draw_with(cf.build_toxicity_bars, s.toxicity, s.n_enrolled))

    def _paint_subgroups(self, dash: DashboardData) -> None:
        for key, curves, title in (("pfs", dash.pfs_by_child_pugh, "PFS by Child-Pugh class"),
                                   ("os", dash.os_by_child_pugh, "OS by Child-Pugh class")):  # fmt: skip
            censors = dash.censor_months(key, by_child_pugh=True)
            p = dash.logrank_p(key)

            def paint(host: FigureHost, curves=curves, title=title, censors=censors, p=p) -> None:
                host.draw_with(cf.build_km_subgroups, curves, title, logrank_p=p, censor_times=censors)
                cf.recolour_risk_table(host.figure)

            self.plots[f"{key}_cp"].request(paint)

    @staticmethod
    def _km_painter(km: KMResult, title: str, censors: dict[str, list[float]]) -> Callable[[FigureHost], None]:
        def paint(host: FigureHost) -> None:
            if cf.update_km(host.figure, [km], title, censor_times=censors):
                host.canvas.draw_idle()
                return
            host.draw_with(cf.build_km, [km], title, censor_times=censors)
            cf.recolour_risk_table(host.figure)

        return paint

    @staticmethod
    def _paint_waterfall(host: FigureHost, rows: list[tuple[str, float, str]], title: str) -> None:
        if len(rows) > cf.DENSE_WATERFALL_ABOVE and cf.update_waterfall_dense(host.figure, rows):
            host.figure.axes[0].set_title(title, fontsize=10)
            host.canvas.draw_idle()
            return
        host.draw_with(cf.waterfall_figure, rows, title=title)
