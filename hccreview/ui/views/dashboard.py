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

import functools
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
from hccreview.domain.ctcae import NO_GRADE, carries_grades
from hccreview.domain.ctcae_labs import LAB_SOURCE
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
from hccreview.services.dashboard_tables import lab_toxicity_frame
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
         "OS × Child-Pugh"), ("pfs_arm", "PFS by arm", "PFS × arm"), ("os_arm", "OS by arm", "OS × arm"),
         ("waterfall", "Waterfall", "Waterfall"), ("swimmer", "Swimmer plot", "Swimmer"),
         ("toxicity", "Adverse events", "Adverse events"))  # fmt: skip
#: The arm combo's first entry: every analysed patient (issue 23).
OVERALL = "Overall"


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
        self._arm: str | None = None  # the arm shown (issue 23); None: every analysed patient
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
        self.arm_combo = QComboBox()  # issue 23: shown with two or more arms only
        self.arm_combo.setObjectName("dashboard_arm")
        self.arm_combo.setToolTip("Treatment arm whose patients the figures cover (as treated); Overall = all")
        self.arm_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.arm_combo.activated.connect(lambda _: self.set_arm(self.arm_combo.currentData()))
        self.arm_label = QLabel("Arm:")
        self.arm_label.hide()
        self.arm_combo.hide()
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
        top.addWidget(self.arm_label)
        top.addWidget(self.arm_combo)
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
            "lab_toxicity": StatsTable("lab_toxicity", "Laboratory toxicity", DataFrameModel(parent=self),
                                       sortable=True),  # issue 23: CTCAE v5.0 grades from LB, beside the AEs
            "agreement": StatsTable("agreement", "Reader agreement", DataFrameModel(decimals={"Cohen's κ": 2},
                                                                                     parent=self)),
            "arms": StatsTable("arms", "Arms compared", DataFrameModel(parent=self)),  # issue 23, two or more arms
        }  # fmt: skip
        self.table_tabs = QTabWidget()
        self.table_tabs.setObjectName("dashboard_table_tabs")
        for name, label in (("response", "Response"), ("arms", "Arms"), ("baseline", "Baseline"),
                            ("toxicity", "Toxicity"), ("lab_toxicity", "Lab toxicity"),
                            ("agreement", "Agreement")):  # fmt: skip
            self.table_tabs.addTab(self.tables[name], label)
        self.table_tabs.setTabVisible(self.table_tabs.indexOf(self.tables["arms"]), False)
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
        for key in ("pfs_arm", "os_arm"):  # shown with two or more arms (issue 23)
            self.plot_tabs.setTabVisible(self.plot_tabs.indexOf(self.plots[key]), False)
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

    @property
    def arm(self) -> str | None:
        """The arm whose patients the figures cover (None: every analysed patient)."""
        return self._arm

    def set_arm(self, arm: str | None) -> None:
        """Show the figures of ``arm``'s patients (None or "": every analysed patient), recomputed in the
        statistics process like every other figure."""
        arm = arm or None
        if arm == self._arm:
            return
        self._arm = arm
        self._since = time.perf_counter()
        self._start()

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
        # a backend is asked for an arm only when one is chosen
        job = functools.partial(backend.compute, arm=self._arm) if self._arm else backend.compute
        self.runner.run(job, self._source, fresh=fresh, key=COMPUTE_KEY, lane=backend.lane,
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
            self._show_arm_comparison(dash)
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
        self._fill_arms(dash)
        self._show_summary(dash)
        self._show_adjudication(dash)
        for name, frame in (("response", dash.response_table), ("baseline", dash.baseline_table),
                            ("toxicity", dash.toxicity_table), ("agreement", dash.agreement_table)):  # fmt: skip
            self.tables[name].set_frame(frame)
        self._show_lab_toxicity(dash)
        self._show_collected(dash)
        self._paint_main(dash)

    def _show_lab_toxicity(self, dash: DashboardData) -> None:
        """The laboratory worst grades beside the reported AEs (issue 23), their source said on every row and in
        the tab's tooltip; the tab is hidden when the study has no gradable laboratory value."""
        frame = lab_toxicity_frame(dash.stats)
        table = self.tables["lab_toxicity"]
        table.set_frame(frame)
        index = self.table_tabs.indexOf(table)
        self.table_tabs.setTabVisible(index, not frame.empty)
        note = (f"Patients by worst post-baseline CTCAE v5.0 grade of their laboratory values — {LAB_SOURCE}, "
                "not reported adverse events. Percentages of the patients analysed.")  # fmt: skip
        self.table_tabs.setTabToolTip(index, note)
        table.setToolTip(note)

    def _show_collected(self, dash: DashboardData) -> None:
        """Offer only what the study collects (issue 23): no Child-Pugh plot tabs without a Child-Pugh
        assessment in the data; a toxicity table without CTCAE grades says it counts severity instead."""
        has = dash.stats.collected
        for key in ("pfs_cp", "os_cp"):
            self.plot_tabs.setTabVisible(self.plot_tabs.indexOf(self.plots[key]), has is None or has.child_pugh)
        graded = carries_grades(dash.stats.toxicity) or not dash.stats.toxicity
        note = "" if graded else f"{NO_GRADE}: patients are counted by their worst severity of each term."
        self.table_tabs.setTabToolTip(self.table_tabs.indexOf(self.tables["toxicity"]), note)
        self.tables["toxicity"].setToolTip(note)

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

    def _fill_arms(self, dash: DashboardData) -> None:
        """The arm combo: Overall, then each arm (reference first); hidden with fewer than two arms."""
        combo = self.arm_combo
        several = len(dash.arms) >= 2
        wanted = [None, *dash.arms] if several else []
        if [combo.itemData(i) for i in range(combo.count())] != wanted:
            combo.blockSignals(True)
            combo.clear()
            for arm in wanted:
                combo.addItem(arm or OVERALL, arm)
            combo.blockSignals(False)
        if several:
            combo.setCurrentIndex(max(0, combo.findData(dash.arm)) if dash.arm else 0)
        self._arm = dash.arm
        self.arm_label.setVisible(several)
        combo.setVisible(several)

    def _show_arm_comparison(self, dash: DashboardData) -> None:
        """With two or more arms: the Arms table (medians, HR and log-rank p per endpoint; ORR and its difference)
        and the PFS / OS curves per arm with the log-rank p across the arms; else those tabs are hidden."""
        details = dash.by_arm
        shown = details is not None and details.compared
        self.table_tabs.setTabVisible(self.table_tabs.indexOf(self.tables["arms"]), shown)
        for key in ("pfs_arm", "os_arm"):
            self.plot_tabs.setTabVisible(self.plot_tabs.indexOf(self.plots[key]), shown)
        if details is None or not shown:
            return
        self.tables["arms"].set_frame(details.comparison)
        note = (f"Each arm against the reference ({details.reference}); arms {details.grouping}. HR: Cox model on the "
                "arm alone (lifelines), log-rank p per pair; ORR difference: Newcombe hybrid score 95% CI. The "
                "comparison covers the whole study whichever arm is shown. Not estimable: an arm has no event, or the "
                "Cox fit has no finite estimate.")  # fmt: skip
        self.tables["arms"].setToolTip(note)
        self.table_tabs.setTabToolTip(self.table_tabs.indexOf(self.tables["arms"]), note)
        for key, title in (("pfs", "PFS by arm"), ("os", "OS by arm")):
            curves, p, censors = details.curves(key), details.logrank_p.get(key), details.censors.get(key, {})

            def paint(host: FigureHost, curves=curves, title=title, p=p, censors=censors) -> None:
                host.draw_with(cf.build_km, curves, title, show_ci=False, logrank_p=p, censor_times=censors)
                cf.recolour_risk_table(host.figure)

            self.plots[f"{key}_arm"].request(paint)

    def _show_summary(self, dash: DashboardData) -> None:
        s = dash.stats
        parts = [f"<b>{s.n_enrolled}</b> patients analysed" + (f" in <b>{dash.arm}</b>" if dash.arm else "")]
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
