"""The main window's central area: the Case, Adjudication, Cohort dashboard and Reads tabs, and meeting mode.

Composition only: each panel owns its data and refreshes itself from the ChangeBus. This class connects the
panels to each other (a click on a patient in the dashboard or the queue opens that patient's case) and gives
the main window's actions their slots (``show_*``, ``next_open_case``, ``sign_decision``, ``open_meeting``).

Start-up (issue 10): only the case view is built with the window. The adjudication, dashboard and reads panels
(and the modules they import: matplotlib, pandas, the cohort statistics) are built by :meth:`build_panels`, which
the window calls once the first patient is painted, or on first use (their attribute, their tab, an action),
so their own study-wide loads queue behind the first patient's.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QLabel, QTabWidget, QWidget

from hccreview.domain.changes import Changes
from hccreview.services.session import StudySession
from hccreview.ui.bus import ChangeBus
from hccreview.ui.settings import AppSettings
from hccreview.ui.views.case_view import CaseView
from hccreview.ui.workers import Runner

if TYPE_CHECKING:
    from hccreview.ui.views.adjudication import AdjudicationPanel
    from hccreview.ui.views.dashboard import DashboardPanel
    from hccreview.ui.views.meeting_mode import MeetingModeWindow
    from hccreview.ui.views.read_entry import ReadEntryPanel

#: The tabs after the case view, in order: attribute name and tab title.
LATER_TABS = (("adjudication", "A&djudication"), ("dashboard", "Cohort da&shboard"), ("read_entry", "Re&ads"))
#: The modules :meth:`ReviewTabs.build_panels_later` imports off the GUI thread first (matplotlib, pandas...).
PANEL_MODULES = ("hccreview.ui.views.adjudication", "hccreview.ui.views.adjudication_queue",
                 "hccreview.ui.views.dashboard", "hccreview.ui.views.read_entry")  # fmt: skip


def import_panel_modules() -> None:
    """Import :data:`PANEL_MODULES` (compute lane: module code only, no widget is created)."""
    for name in PANEL_MODULES:
        importlib.import_module(name)


class ReviewTabs(QTabWidget):
    """Case view, adjudication panel, cohort dashboard and the reader's read entry as tabs (GUI thread only).

    Signals:
        subject_requested(str): a panel asked to open a patient's case (the window selects it in the navigator).
        status_message(str): a short message for the status bar.
        open_queries_changed(dict): open queries per patient the user may see (the navigator's badge), after
            the study loads, a user signs in or a thread changes.
    """

    subject_requested = Signal(str)
    status_message = Signal(str)
    open_queries_changed = Signal(object)

    def __init__(
        self,
        session: StudySession,
        bus: ChangeBus,
        runner: Runner,
        undo_stack: QUndoStack,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("review_tabs")
        self.setDocumentMode(True)
        self.session, self.bus, self.runner, self.undo_stack = session, bus, runner, undo_stack
        self.case_view = CaseView(session, bus, runner, undo_stack, self)
        self.addTab(self.case_view, "&Case")
        self._panels: dict[str, QWidget] = {}
        self._placeholders: dict[str, QWidget] = {}
        for name, title in LATER_TABS:  # Alt+R is the Review menu's, hence Re&ads
            placeholder = QLabel("Loading…", alignment=Qt.AlignmentFlag.AlignCenter, objectName=f"{name}_placeholder")
            self._placeholders[name] = placeholder
            self.addTab(placeholder, title)
        self._settings: AppSettings | None = None  # restored into a panel when it is built
        self._source: str | None = None
        self._subject: str | None = None
        self._importing = False
        self.meeting: MeetingModeWindow | None = None
        self.adjudication_label = QLabel("")
        self.adjudication_label.setObjectName("status_adjudication")
        self.case_view.status_message.connect(self.status_message)
        self.currentChanged.connect(self._tab_changed)
        self.bus.changed.connect(self._queries_touched)

    # ------------------------------------------------------------------ the panels, built after the first patient
    @property
    def panels_built(self) -> bool:
        return len(self._panels) == len(LATER_TABS)

    def build_panels_later(self) -> None:
        """Import the panels' modules on the compute lane, then build them (GUI thread); idempotent. The window
        calls this once the first patient is shown: the GUI thread is not held up by the imports."""
        if self.panels_built or self._importing:
            return
        self._importing = True
        build = lambda *_: self.build_panels()  # noqa: E731  (after an error too: a real import error shows there)
        self.runner.run(import_panel_modules, lane="compute", on_done=build, on_error=build)

    def build_panels(self) -> None:
        """Build the panels not built yet (their loads start) and count the open queries; idempotent."""
        if not self.panels_built:
            self.refresh_open_queries()
        for name, _title in LATER_TABS:
            self._panel(name)

    @property
    def adjudication(self) -> AdjudicationPanel:
        return self._panel("adjudication")  # type: ignore[return-value]

    @property
    def dashboard(self) -> DashboardPanel:
        return self._panel("dashboard")  # type: ignore[return-value]

    @property
    def read_entry(self) -> ReadEntryPanel:
        return self._panel("read_entry")  # type: ignore[return-value]

    def _panel(self, name: str) -> QWidget:
        panel = self._panels.get(name)
        if panel is None:
            panel = self._panels[name] = self._make(name)
            placeholder = self._placeholders.pop(name)
            index = self.indexOf(placeholder)
            with QSignalBlocker(self):  # no currentChanged for the swap itself
                current = self.currentIndex()
                self.removeTab(index)
                self.insertTab(index, panel, dict(LATER_TABS)[name])
                self.setCurrentIndex(current)
            placeholder.deleteLater()
        return panel

    def _make(self, name: str) -> QWidget:
        """Import and build one panel, connected and restored (imports here: not needed to start the window)."""
        session, bus, runner = self.session, self.bus, self.runner
        if name == "adjudication":
            from hccreview.ui.views.adjudication import AdjudicationPanel
            from hccreview.ui.views.adjudication_queue import counts_text

            adjudication = AdjudicationPanel(session, bus, runner, self.undo_stack, self)
            adjudication.subject_activated.connect(self._open_case)
            adjudication.counts_changed.connect(lambda c: self.adjudication_label.setText(counts_text(c)))
            adjudication.status_message.connect(self.status_message)
            if self._settings is not None:
                adjudication.restore_state(self._settings.panel_state("adjudication"))
            return adjudication
        if name == "dashboard":
            from hccreview.ui.views.dashboard import DashboardPanel

            dashboard = DashboardPanel(session, bus, runner, self)
            dashboard.subject_activated.connect(self._open_case)
            dashboard.failed.connect(lambda text: self.status_message.emit(f"Dashboard: {text}"))
            if self._settings is not None:
                dashboard.restore_state(self._settings)
            if self._source is not None:
                dashboard.set_source(self._source)
            return dashboard
        from hccreview.ui.views.read_entry import ReadEntryPanel

        read_entry = ReadEntryPanel(session, bus, runner, self.undo_stack, self)
        read_entry.status_message.connect(self.status_message)
        if self._subject is not None:
            read_entry.show_subject(self._subject)
        return read_entry

    def _tab_changed(self, index: int) -> None:
        for name, placeholder in list(self._placeholders.items()):
            if self.indexOf(placeholder) == index:  # the user (or a restored layout) opened a panel not built yet
                self._panel(name)

    def show_subject(self, subject_id: str) -> None:
        """The navigator's patient changed: the reads panel follows it (when built; else once built)."""
        self._subject = subject_id
        if "read_entry" in self._panels:
            self.read_entry.show_subject(subject_id)

    def refresh_open_queries(self) -> None:
        """Count the open queries per patient on the database lane; :attr:`open_queries_changed` follows."""
        from hccreview.services import queries

        self.runner.run(queries.open_counts, self.session, key="open_queries", lane="db",
                        on_done=self.open_queries_changed.emit)  # fmt: skip

    def _queries_touched(self, changes: Changes, _initiator: object) -> None:
        if not self.panels_built:
            return  # the first count comes with build_panels
        if changes.study or "queries" in changes.kinds:
            self.refresh_open_queries()

    def _open_case(self, subject_id: str) -> None:
        self.setCurrentWidget(self.case_view)
        self.subject_requested.emit(subject_id)

    # ------------------------------------------------------------------ action slots
    def show_case(self) -> None:
        self.setCurrentWidget(self.case_view)

    def show_adjudication(self) -> None:
        self.setCurrentWidget(self.adjudication)

    def show_dashboard(self) -> None:
        self.setCurrentWidget(self.dashboard)

    def next_open_case(self) -> None:
        self.show_adjudication()
        if self.adjudication.next_case() is None:
            self.status_message.emit("No other open discordant case")

    def sign_decision(self) -> None:
        self.show_adjudication()
        self.adjudication.sign()

    def open_meeting(self) -> None:
        """Meeting mode: the open discordant cases full screen, one by one."""
        if self.meeting is not None:
            self.meeting.raise_()
            self.meeting.activateWindow()
            return
        from hccreview.ui.views.meeting_mode import MeetingModeWindow

        meeting = MeetingModeWindow(self.session, self.bus, self.runner, self.undo_stack)
        meeting.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        meeting.status_message.connect(self.status_message)
        meeting.left.connect(self._meeting_left)
        self.meeting = meeting
        meeting.start()

    def _meeting_left(self) -> None:
        self.meeting = None

    def signed_in(self) -> None:
        """Another user signed in: what they may see changes (blinding)."""
        self.undo_stack.clear()
        self.case_view.queries.reload()
        if not self.panels_built:
            self.build_panels()  # they load as the new user
            return
        self.adjudication.reload()
        self.read_entry.reload()
        self.refresh_open_queries()

    # ------------------------------------------------------------------ state
    def set_source(self, source: str) -> None:
        self._source = source
        if "dashboard" in self._panels:
            self.dashboard.set_source(source)

    def save_state(self, settings: AppSettings) -> None:
        """The tab in front and each built panel's layout (a panel never built keeps what was saved before)."""
        settings.set_panel_state("review_tabs", {"tab": self.currentIndex()})
        settings.set_panel_state("case_view", self.case_view.save_state())
        if "adjudication" in self._panels:
            settings.set_panel_state("adjudication", self.adjudication.save_state())
        if "dashboard" in self._panels:
            self.dashboard.save_state(settings)

    def restore_state(self, settings: AppSettings) -> None:
        self._settings = settings
        if "adjudication" in self._panels:
            self.adjudication.restore_state(settings.panel_state("adjudication"))
        if "dashboard" in self._panels:
            self.dashboard.restore_state(settings)
        self.case_view.restore_state(settings.panel_state("case_view"))
        self.setCurrentIndex(int(settings.panel_state("review_tabs").get("tab", 0)))  # builds that panel if needed

    def close_meeting(self) -> None:
        if self.meeting is not None:
            self.meeting.close()
            self.meeting = None
