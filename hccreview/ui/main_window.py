"""The main window: composes the navigator dock, the case view, menus, toolbar and status bar. Nothing else.

Every database access goes through the window's :class:`Runner` (database lane); the window never blocks on a
load. Start-up order (issue 10: cold start to first patient painted): the patient list (ids and review states,
``navigation.first_rows``) → the remembered (or first) patient's case → the whole-study overview, which fills
the navigator's derived columns → the other panels (``ReviewTabs.build_panels_later``). Stepping works from the
patient list on. Dialogs are imported when opened. Writes are undoable commands on the window's
QUndoStack; their :class:`Changes` come back on the :class:`ChangeBus`, and the window refreshes only the
navigator rows they touch. The window owns its :class:`StudySession` and closes it when it closes.

What the menu and toolbar actions do lives in :mod:`~hccreview.ui.window_actions` (functions given the window),
named by the one table of :mod:`~hccreview.ui.actions`; a slot that does not resolve stops the window from being
built (``actions.ActionSlotError``). The window keeps only its error box, :meth:`MainWindow.show_error`.

Access (DESIGN §4b): the window is built for the signed-in user's :class:`~hccreview.domain.access.Access`. Menus
and the toolbar hold only the actions the user may use (``ActionSpec.needs``), the tabs only the panels they may
see, the navigator only the columns and read sources they may see; what is hidden is absent, not disabled.
:meth:`MainWindow.apply_access` does it again after another user signs in on the window.
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, Qt, Signal
from PySide6.QtGui import QActionGroup, QCloseEvent, QKeySequence, QShowEvent, QUndoStack
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMenu, QMessageBox, QProgressBar, QToolBar

from hccreview.domain.changes import Changes
from hccreview.services.navigation import first_rows, navigator_inputs, overview_from, patient_rows, review_progress
from hccreview.services.overview import Overview, PatientRow
from hccreview.services.session import StudySession
from hccreview.ui import heap
from hccreview.ui.actions import (
    FILE_MENU,
    REVIEW_MENU,
    TOOLBAR,
    build_actions,
    decorate_undo_actions,
    fill_menu,
    fill_recent_menu,
    make_source_actions,
    permitted,
    resolve_slots,
)
from hccreview.ui.bus import ChangeBus
from hccreview.ui.dock_fit import DockFit
from hccreview.ui.elided_label import ElidedLabel
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.review_tabs import ReviewTabs
from hccreview.ui.settings import AppSettings
from hccreview.ui.status_bar import StatusBar
from hccreview.ui.views.navigator import NavigatorPanel
from hccreview.ui.visibility import may_do, visible_overview, visible_rows
from hccreview.ui.workers import Runner

#: The widest the study title gets in the status bar (elided beyond, whole in its tooltip).
STUDY_LABEL_MAX = 420


class MainWindow(QMainWindow):
    """The reviewer's workstation window on one open study.

    Signals:
        overview_loaded(object): the study :class:`Overview` arrived and the navigator shows it (GUI thread).
        open_requested(str): the user chose another study file (File ▸ Open / Open Recent); the application
            opens it in a new window (GUI thread).

    All slots run on the GUI thread; none may touch the database (use ``self.runner``).
    """

    overview_loaded = Signal(object)
    open_requested = Signal(str)

    def __init__(self, session: StudySession, *, settings: AppSettings | None = None) -> None:
        slots = resolve_slots()  # first: a slot that does not resolve stops the window before any Qt object exists
        super().__init__()
        self.setObjectName("main_window")
        self.session = session
        self.settings = settings if settings is not None else AppSettings()
        self.bus = ChangeBus(self)
        self.runner = Runner(self)
        self.undo_stack = QUndoStack(self)
        self.overview: Overview | None = None
        self.last_error: BaseException | None = None
        self._closed = False
        self.setWindowTitle(f"{session.path.stem} — hccreview")

        self.navigator = NavigatorPanel()
        self.navigator_dock = QDockWidget("Patients", self)
        self.navigator_dock.setObjectName("navigator_dock")
        self.navigator_dock.setWidget(self.navigator)
        self.navigator_dock.setAllowedAreas(
            Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.navigator_dock)
        self.tabs = ReviewTabs(PanelContext(self.session, self.bus, self.runner, self.undo_stack), self)
        self.case_view = self.tabs.case_view
        self.setCentralWidget(self.tabs)
        self.dock_fit = DockFit(self, self.navigator_dock, self.navigator, self.tabs)  # dock width (issue 19)

        self.actions_by_name = build_actions(self, slots)
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()

        self.navigator.subject_selected.connect(self._subject_selected)
        self.bus.changed.connect(self._changed)
        self.runner.busy_changed.connect(self.busy.setVisible)
        self.runner.error.connect(self.show_error)
        self.tabs.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.tabs.subject_requested.connect(self.navigator.select_subject)
        # the tabs' first count is still on the database lane: its result arrives after this connection
        self.tabs.open_queries_changed.connect(self.navigator.model.set_open_queries)

        self.default_state = self.saveState()  # View ▸ Reset layout goes back to it
        self._restore_layout()
        self.settings.last_study = session.path
        self.settings.add_recent(session.path)
        self._update_enabled()
        self.case_view.loaded.connect(self._case_shown)
        self.runner.run(first_rows, self.session, lane="db", key="overview", on_done=self._first_rows_arrived,
                        on_error=self._load_failed)  # fmt: skip

    # ------------------------------------------------------------------ composition
    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("&File")
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_recent_menu()

        edit_menu = bar.addMenu("&Edit")
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        decorate_undo_actions(self.undo_action, self.redo_action, self.style())
        edit_menu.addActions([self.undo_action, self.redo_action])

        view_menu = bar.addMenu("&View")
        toggle = self.navigator_dock.toggleViewAction()
        toggle.setText("&Patients panel")
        toggle.setShortcut(QKeySequence("Ctrl+1"))
        view_menu.addAction(toggle)
        self.toggle_navigator_action = toggle
        self.source_menu = view_menu.addMenu("Best response &source")
        self.source_menu.setToolTipsVisible(True)
        self.source_group = QActionGroup(self)
        self.source_group.setExclusive(True)
        view_menu.addSeparator()
        view_menu.addAction(self.actions_by_name["focus_filter"])
        view_menu.addAction(self.actions_by_name["clear_filters"])
        view_menu.addSeparator()
        self.toolbar_menu_anchor = view_menu.addSeparator()
        view_menu.addAction(self.actions_by_name["reset_layout"])
        self.view_menu = view_menu

        self.review_menu = bar.addMenu("&Review")
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.actions_by_name["about"])
        for menu in (self.file_menu, edit_menu, view_menu, self.review_menu, help_menu):
            menu.setToolTipsVisible(True)
        self._fill_menus()

    def _fill_menus(self) -> None:
        """(Re)fill the File and Review menus with the actions the signed-in user may use (DESIGN §4b)."""
        allowed = permitted(self.session.access)
        submenus = {"@recent": self.recent_menu}
        if may_do(self.session.access, "mark_reviewed"):
            submenus["@mark"] = self.case_view.review_status.mark_menu  # the case's one entry point
        for menu, names in ((self.file_menu, FILE_MENU), (self.review_menu, REVIEW_MENU)):
            fill_menu(menu, names, self.actions_by_name, allowed, submenus)

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Review", self)
        toolbar.setObjectName("main_toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        toggle = toolbar.toggleViewAction()
        toggle.setText("&Toolbar")
        toggle.setShortcut(QKeySequence("Ctrl+2"))
        self.view_menu.insertAction(self.toolbar_menu_anchor, toggle)
        self.toolbar = toolbar
        self._fill_toolbar()

    def _fill_toolbar(self) -> None:
        fill_menu(self.toolbar, TOOLBAR, self.actions_by_name, permitted(self.session.access))

    def _build_status_bar(self) -> None:
        bar = StatusBar(self)  # messages elide in a label of their own, left of the permanent labels
        self.setStatusBar(bar)
        self.study_label = ElidedLabel(self.session.path.name)  # a long study title never widens the window
        self.study_label.setObjectName("status_study")
        self.study_label.setMaximumWidth(STUDY_LABEL_MAX)
        who = self.session.signed_in
        self.user_label = QLabel(f"User: {who.username} ({who.role.value})" if who else f"User: {self.session.user}")
        self.user_label.setObjectName("status_user")
        self.progress_label = QLabel("Loading…")
        self.progress_label.setObjectName("status_progress")
        self.busy = QProgressBar()
        self.busy.setObjectName("status_busy")
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(90)
        self.busy.setTextVisible(False)
        self.busy.setToolTip("Working…")
        self.busy.setVisible(False)
        self.adjudication_label = self.tabs.adjudication_label  # shown only to who may see adjudications
        for widget in (self.busy, self.study_label, self.user_label, self.adjudication_label, self.progress_label):
            bar.addPermanentWidget(widget)

    def apply_access(self) -> None:
        """Follow the signed-in user's access after another sign-in: menus, toolbar, tabs, navigator columns and
        sources, the case view's tabs; then reload what they may see."""
        self._fill_menus()
        self._fill_toolbar()
        self.navigator.apply_access(self.session.access)
        self.tabs.signed_in()
        who = self.session.signed_in
        self.user_label.setText(f"User: {who.username} ({who.role.value})" if who else f"User: {self.session.user}")
        self.reload()

    def _restore_layout(self) -> None:
        geometry = self.settings.window_geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            screen = self.screen().availableGeometry()
            self.resize(min(1366, screen.width()), min(768, screen.height()))
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)
        self.navigator.restore_state(self.settings)
        self.tabs.restore_state(self.settings)
        self.navigator.apply_access(self.session.access)  # after the saved header: columns hidden by the policy
        self.dock_fit.auto = self._first_show = state is None  # no saved layout: size the dock to its columns

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._first_show:
            self._first_show = False
            self.dock_fit.shown()

    # ------------------------------------------------------------------ loading
    def reload(self) -> None:
        """Load (or reload) the study overview: read on the database lane, derive on the compute lane (case loads
        need not wait for the derivation); the newest request wins."""

        def derive(inputs: tuple[object, ...]) -> None:  # navigator_inputs' (records, review states, findings)
            self.runner.run(overview_from, *inputs, lane="compute", key="overview", on_done=self._overview_arrived,
                            on_error=self._load_failed)  # fmt: skip

        self.runner.run(navigator_inputs, self.session, lane="db", key="overview", on_done=derive,
                        on_error=self._load_failed)  # fmt: skip

    def _first_rows_arrived(self, rows: list[PatientRow]) -> None:
        """The patient list (before the overview): select the remembered or first patient — its case load goes
        on the database lane ahead of the overview, which is asked for now."""
        if self._closed or self.overview is not None:
            return
        self.navigator.show_pending(rows, prefer=self.settings.last_subject(self.session.path))
        self.reload()
        self._update_progress()
        self._update_enabled()

    def _case_shown(self, _subject_id: str) -> None:
        """The first patient is painted: the other panels follow (their modules imported off the GUI thread)."""
        self.case_view.loaded.disconnect(self._case_shown)
        self.tabs.build_panels_later()

    def _overview_arrived(self, overview: Overview) -> None:
        if self._closed:
            return
        if not overview.rows or self.case_view.detail is not None:
            self.tabs.build_panels_later()  # no patient to show, or shown already; else after its first paint
        overview = visible_overview(self.session, overview)  # the read sources the user may see (DESIGN §4b)
        self.overview = overview
        saved = self.settings.source(self.session.path)
        source = saved if saved in overview.sources else overview.default_source
        self.navigator.set_overview(overview, source, prefer=self.settings.last_subject(self.session.path))
        self.dock_fit.columns_sized()
        self._fill_source_menu(overview.sources, source)
        self.setWindowTitle(f"{overview.title} — hccreview")
        self.study_label.setText(f"{overview.title} · {overview.criteria}")
        self.study_label.set_tip(f"{overview.title} · {overview.criteria}\n{self.session.path}")
        self._update_progress()
        self._update_enabled()
        heap.settle()  # the study's records, loaded for the overview, stay out of the collector's walks
        self.overview_loaded.emit(overview)

    def _load_failed(self, exc: BaseException) -> None:
        self.tabs.build_panels_later()
        self.navigator.loading.setText(f"Could not load the study:\n{exc}")
        self.progress_label.setText("Load failed")
        self.show_error(exc)

    def _changed(self, changes: Changes, _initiator: object) -> None:
        if changes.study or self.overview is None:
            self.reload()
            return
        if not changes.subjects:
            return  # no patient's row changed (an account write)
        self.runner.run(
            patient_rows,
            self.session,
            sorted(changes.subjects),
            sources=self.overview.sources,
            default=self.overview.default_source,
            lane="db",
            on_done=self._rows_arrived,
        )

    def _rows_arrived(self, rows: list[PatientRow]) -> None:
        if self._closed:
            return
        if self.overview is not None:
            rows = visible_rows(rows, self.overview.sources)
        self.navigator.update_rows(rows)
        self._update_progress()
        self._update_enabled()

    def _update_progress(self) -> None:
        reviewed, total = review_progress(self.navigator.model.rows())
        self.progress_label.setText(f"{reviewed} / {total} reviewed")

    def _update_enabled(self) -> None:
        for name in ("next", "previous", "next_unreviewed", "next_changed", "next_discordant"):
            self.actions_by_name[name].setEnabled(self.navigator.loaded)

    def _fill_source_menu(self, sources: list[str], current: str) -> None:
        self.source_menu.clear()
        for action in self.source_group.actions():
            self.source_group.removeAction(action)
        for action in make_source_actions(self, sources, current, self.set_source):
            self.source_group.addAction(action)
            self.source_menu.addAction(action)

    def _fill_recent_menu(self) -> None:
        paths = self.settings.recent_files()
        fill_recent_menu(self.recent_menu, paths, self.open_requested.emit, self.settings.clear_recent)

    # ------------------------------------------------------------------ slots (actions.py)
    def set_source(self, source: str) -> None:
        """Show the best responses of ``source`` in the navigator (remembered per study)."""
        self.navigator.set_source(source)
        self.tabs.set_source(source)
        self.settings.set_source(self.session.path, source)
        for action in self.source_group.actions():
            action.setChecked(action.data() == source)

    def show_error(self, exc: BaseException) -> None:
        """Tell the user a job failed (non-blocking box); the traceback goes to stderr."""
        self.last_error = exc
        detail = getattr(exc, "__hccreview_traceback__", "") or "".join(traceback.format_exception(exc))
        print(detail, file=sys.stderr)
        self.statusBar().showMessage(f"Error: {exc}", 8000)
        box = QMessageBox(QMessageBox.Icon.Warning, "hccreview", str(exc), parent=self)
        box.setDetailedText(detail)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # ------------------------------------------------------------------ lifetime
    def _subject_selected(self, subject_id: str) -> None:
        self.case_view.show_subject(subject_id)
        self.tabs.show_subject(subject_id)
        self.settings.set_last_subject(self.session.path, subject_id)
        self._update_enabled()

    def save_layout(self) -> None:
        self.dock_fit.give_back()
        self.settings.set_window_layout(self.saveGeometry(), self.saveState())
        self.navigator.save_state(self.settings)
        self.tabs.save_state(self.settings)
        current = self.navigator.current_subject()
        if current:
            self.settings.set_last_subject(self.session.path, current)
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closed:
            self.save_layout()
            self.tabs.close_meeting()
            self._closed = True
            self.bus.blockSignals(True)  # no panel starts new work now
            self._drain(30.0)  # let a running write finish, and its callbacks run, before the file closes
            self.session.close()
        super().closeEvent(event)

    def _drain(self, seconds: float) -> None:
        """Shutdown only: wait until every job has finished and its callback has run on this thread."""
        deadline = time.monotonic() + seconds
        while self.runner.busy and time.monotonic() < deadline:
            self.runner.wait(50)
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)

    @property
    def study_path(self) -> Path:
        return self.session.path
