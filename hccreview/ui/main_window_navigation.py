"""The main window's navigation slots (Review and View menus): a mixin of ``MainWindow``.

Stepping through the patients of the navigator's view (next / previous / unreviewed / changed since review /
discordant), the filter and layout actions, and switching the central tabs (case, adjudication, dashboard,
meeting mode); marking reviewed is the case view's one button (``CaseReviewStatus``). All slots run on the GUI
thread; none touches the database (the tabs use the window's runner).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QByteArray
    from PySide6.QtGui import QUndoStack
    from PySide6.QtWidgets import QDockWidget, QStatusBar, QToolBar

    from hccreview.services.session import StudySession
    from hccreview.ui.bus import ChangeBus
    from hccreview.ui.review_tabs import ReviewTabs
    from hccreview.ui.views.navigator import NavigatorPanel
    from hccreview.ui.workers import Runner


class NavigationActions:
    """Mixin of :class:`~hccreview.ui.main_window.MainWindow`: stepping, filters, layout and the
    central tabs (see the module docstring). Relies on the window's attributes below; defines no state."""

    # provided by MainWindow
    session: StudySession
    runner: Runner
    bus: ChangeBus
    tabs: ReviewTabs
    navigator: NavigatorPanel
    navigator_dock: QDockWidget
    toolbar: QToolBar
    undo_stack: QUndoStack
    _default_state: QByteArray

    if TYPE_CHECKING:

        def statusBar(self) -> QStatusBar: ...

        def restoreState(self, state: QByteArray, version: int = 0) -> bool: ...

        def show_error(self, exc: BaseException) -> None: ...

    def next_patient(self) -> None:
        if self.navigator.step(+1) is None:
            self.statusBar().showMessage("Last patient in this view", 3000)

    def previous_patient(self) -> None:
        if self.navigator.step(-1) is None:
            self.statusBar().showMessage("First patient in this view", 3000)

    def next_unreviewed(self) -> None:
        if self.navigator.next_unreviewed() is None:
            self.statusBar().showMessage("No other unreviewed patient in this view", 3000)

    def next_changed(self) -> None:
        if self.navigator.next_changed() is None:
            self.statusBar().showMessage("No other patient changed since review in this view", 3000)

    def next_discordant(self) -> None:
        if self.navigator.next_matching(lambda row: row.discordant) is None:
            self.statusBar().showMessage("No other discordant patient in this view", 3000)

    def focus_filter(self) -> None:
        self.navigator_dock.show()
        self.navigator.focus_filter()

    def clear_filters(self) -> None:
        self.navigator.clear_filters()

    def reset_layout(self) -> None:
        self.restoreState(self._default_state)
        self.navigator_dock.show()
        self.toolbar.show()

    # the central tabs' actions (review_tabs.py)
    def show_case(self) -> None:
        self.tabs.show_case()

    def show_adjudication(self) -> None:
        self.tabs.show_adjudication()

    def show_dashboard(self) -> None:
        self.tabs.show_dashboard()

    def next_open_case(self) -> None:
        self.tabs.next_open_case()

    def sign_decision(self) -> None:
        self.tabs.sign_decision()

    def open_meeting(self) -> None:
        self.tabs.open_meeting()
