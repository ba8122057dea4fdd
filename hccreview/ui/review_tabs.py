"""The main window's central area: the Case, Adjudication, Cohort dashboard and Reads tabs, and meeting mode.

Composition only: each panel owns its data and refreshes itself from the ChangeBus. This class connects the
panels to each other (a click on a patient in the dashboard or the queue opens that patient's case) and gives
the main window's actions their slots (``show_*``, ``next_open_case``, ``sign_decision``, ``open_meeting``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QLabel, QTabWidget, QWidget

from hccreview.domain.changes import Changes
from hccreview.services import queries
from hccreview.services.session import StudySession
from hccreview.ui.bus import ChangeBus
from hccreview.ui.settings import AppSettings
from hccreview.ui.views.adjudication import AdjudicationPanel
from hccreview.ui.views.adjudication_queue import counts_text
from hccreview.ui.views.case_view import CaseView
from hccreview.ui.views.dashboard import DashboardPanel
from hccreview.ui.views.meeting_mode import MeetingModeWindow
from hccreview.ui.views.read_entry import ReadEntryPanel
from hccreview.ui.workers import Runner


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
        self.adjudication = AdjudicationPanel(session, bus, runner, undo_stack, self)
        self.dashboard = DashboardPanel(session, bus, runner, self)
        self.read_entry = ReadEntryPanel(session, bus, runner, undo_stack, self)
        self.addTab(self.case_view, "&Case")
        self.addTab(self.adjudication, "A&djudication")
        self.addTab(self.dashboard, "Cohort da&shboard")
        self.addTab(self.read_entry, "Re&ads")  # Alt+R is the Review menu's
        self.meeting: MeetingModeWindow | None = None
        self.adjudication_label = QLabel("")
        self.adjudication_label.setObjectName("status_adjudication")

        self.adjudication.subject_activated.connect(self._open_case)
        self.dashboard.subject_activated.connect(self._open_case)
        self.adjudication.counts_changed.connect(lambda c: self.adjudication_label.setText(counts_text(c)))
        for panel in (self.case_view, self.adjudication, self.read_entry):
            panel.status_message.connect(self.status_message)
        self.dashboard.failed.connect(lambda text: self.status_message.emit(f"Dashboard: {text}"))
        self.bus.changed.connect(self._queries_touched)
        self.refresh_open_queries()

    def refresh_open_queries(self) -> None:
        """Count the open queries per patient on the database lane; :attr:`open_queries_changed` follows."""
        self.runner.run(queries.open_counts, self.session, key="open_queries", lane="db",
                        on_done=self.open_queries_changed.emit)  # fmt: skip

    def _queries_touched(self, changes: Changes, _initiator: object) -> None:
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
        self.adjudication.reload()
        self.read_entry.reload()
        self.case_view.queries.reload()
        self.refresh_open_queries()

    # ------------------------------------------------------------------ state
    def set_source(self, source: str) -> None:
        self.dashboard.set_source(source)

    def save_state(self, settings: AppSettings) -> None:
        settings.set_panel_state("review_tabs", {"tab": self.currentIndex()})
        settings.set_panel_state("adjudication", self.adjudication.save_state())
        settings.set_panel_state("case_view", self.case_view.save_state())
        self.dashboard.save_state(settings)

    def restore_state(self, settings: AppSettings) -> None:
        self.setCurrentIndex(int(settings.panel_state("review_tabs").get("tab", 0)))
        self.adjudication.restore_state(settings.panel_state("adjudication"))
        self.case_view.restore_state(settings.panel_state("case_view"))
        self.dashboard.restore_state(settings)

    def close_meeting(self) -> None:
        if self.meeting is not None:
            self.meeting.close()
            self.meeting = None
