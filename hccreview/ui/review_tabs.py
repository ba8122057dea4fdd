"""The main window's central area: the Case, Adjudication, Cohort dashboard and Reads tabs, and meeting mode.

Composition only: each panel owns its data and refreshes itself from the ChangeBus. This class connects the
panels to each other (a click on a patient in the dashboard or the queue opens that patient's case) and owns
meeting mode's window (:meth:`ReviewTabs.open_meeting`); the window's actions switch the tabs
(``ui.window_actions``).

Start-up (issue 10): only the case view is built with the window. The adjudication, dashboard and reads panels
(and the modules they import: matplotlib, pandas, the cohort statistics) are built by :meth:`build_panels`, which
the window calls once the first patient is painted, or on first use (their attribute, their tab, an action),
so their own study-wide loads queue behind the first patient's.

Access (DESIGN §4b): a tab exists only when the signed-in user holds the capability ``ui.visibility.TAB_NEEDS``
names for it (a blinded reader has no Adjudication and no Cohort dashboard tab; a viewer or an admin no Reads tab,
as they record no reads). :meth:`ReviewTabs.apply_access` adds and removes tabs after another sign-in; asking for
a panel the user may not see raises ``AccessDenied``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QLabel, QTabWidget, QWidget

from hccreview.domain.access import Capability
from hccreview.domain.changes import ChangeKind, Changes
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.settings import AppSettings
from hccreview.ui.views.case_view import CaseView
from hccreview.ui.visibility import TAB_NEEDS

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

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("review_tabs")
        self.setDocumentMode(True)
        self.context = context  # handed on to every panel
        self.session, self.bus, self.runner, self.undo_stack = context
        self.case_view = CaseView(context, self)
        self.addTab(self.case_view, "&Case")
        self._panels: dict[str, QWidget] = {}
        self._placeholders: dict[str, QWidget] = {}
        for name, _title in self._allowed():  # Alt+R is the Review menu's, hence Re&ads
            self._add_placeholder(name)
        self._settings: AppSettings | None = None  # restored into a panel when it is built
        self._source: str | None = None
        self._subject: str | None = None
        self._importing = False
        self._built_once = False
        self.meeting: MeetingModeWindow | None = None
        self.adjudication_label = QLabel("")
        self.adjudication_label.setObjectName("status_adjudication")
        self.adjudication_label.setVisible(self.session.access.may(Capability.SEE_ADJUDICATION))
        self.case_view.status_message.connect(self.status_message)
        self.currentChanged.connect(self._tab_changed)
        self.bus.changed.connect(self._queries_touched)

    # ------------------------------------------------------------------ access (DESIGN §4b)
    def _allowed(self) -> list[tuple[str, str]]:
        """The later tabs the signed-in user may see, in order: ``(name, title)``."""
        access = self.session.access
        return [(name, title) for name, title in LATER_TABS if access.may(TAB_NEEDS[name])]

    def shows(self, name: str) -> bool:
        """Whether the tab ``name`` (a :data:`LATER_TABS` name) is part of the window for the signed-in user."""
        return name in self._panels or name in self._placeholders

    def _add_placeholder(self, name: str) -> None:
        """A "Loading…" tab for ``name``, in its place among the tabs present."""
        placeholder = QLabel("Loading…", alignment=Qt.AlignmentFlag.AlignCenter)
        placeholder.setObjectName(f"{name}_placeholder")
        self._placeholders[name] = placeholder
        order = [n for n, _t in LATER_TABS]
        before = sum(1 for n in order[: order.index(name)] if self.shows(n) and n != name)
        self.insertTab(1 + before, placeholder, dict(LATER_TABS)[name])

    def apply_access(self) -> None:
        """Add the tabs the signed-in user may now see and take out (and delete) those they may not: after
        another user signed in. Panels already built stay; new ones are built when :meth:`build_panels` runs."""
        allowed = {name for name, _t in self._allowed()}
        built = self.panels_built_once
        with QSignalBlocker(self):
            for name in [n for n, _t in LATER_TABS if self.shows(n) and n not in allowed]:
                widget = self._panels.pop(name, None) or self._placeholders.pop(name)
                self.removeTab(self.indexOf(widget))
                widget.deleteLater()
            for name, _title in LATER_TABS:
                if name in allowed and not self.shows(name):
                    self._add_placeholder(name)
        if "adjudication" not in allowed:
            self.adjudication_label.clear()
            self.close_meeting()
        self.adjudication_label.setVisible("adjudication" in allowed)
        if built:
            self.build_panels()
        self._tab_changed(self.currentIndex())  # a placeholder now in front is built

    # ------------------------------------------------------------------ the panels, built after the first patient
    @property
    def panels_built(self) -> bool:
        """Every tab the user may see is built (no placeholder left)."""
        return not self._placeholders

    @property
    def panels_built_once(self) -> bool:
        """:meth:`build_panels` has run (or every allowed panel was opened)."""
        return self._built_once or self.panels_built

    def build_panels_later(self) -> None:
        """Import the panels' modules on the compute lane, then build them (GUI thread); idempotent. The window
        calls this once the first patient is shown: the GUI thread is not held up by the imports."""
        if (self._built_once and self.panels_built) or self._importing:
            return
        self._importing = True
        build = lambda *_: self.build_panels()  # noqa: E731  (after an error too: a real import error shows there)
        self.runner.run(import_panel_modules, lane="compute", on_done=build, on_error=build)

    def build_panels(self) -> None:
        """Build the panels not built yet (their loads start) and count the open queries; idempotent."""
        if not self._built_once:
            self._built_once = True
            self.refresh_open_queries()
        for name, _title in self._allowed():
            self._panel(name)

    # each panel is what _make builds for its name
    @property
    def adjudication(self) -> AdjudicationPanel:
        return cast("AdjudicationPanel", self._panel("adjudication"))

    @property
    def dashboard(self) -> DashboardPanel:
        return cast("DashboardPanel", self._panel("dashboard"))

    @property
    def read_entry(self) -> ReadEntryPanel:
        return cast("ReadEntryPanel", self._panel("read_entry"))

    def _panel(self, name: str) -> QWidget:
        panel = self._panels.get(name)
        if panel is None:
            self.session.access.require(TAB_NEEDS[name])  # AccessDenied: this tab is not the user's
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
        if name == "adjudication":
            from hccreview.ui.views.adjudication import AdjudicationPanel
            from hccreview.ui.views.adjudication_queue import counts_text

            adjudication = AdjudicationPanel(self.context, self)
            adjudication.subject_activated.connect(self._open_case)
            adjudication.counts_changed.connect(lambda c: self.adjudication_label.setText(counts_text(c)))
            adjudication.status_message.connect(self.status_message)
            if self._settings is not None:
                adjudication.restore_state(self._settings.panel_state("adjudication"))
            return adjudication
        if name == "dashboard":
            from hccreview.ui.views.dashboard import DashboardPanel

            dashboard = DashboardPanel(self.context, self)
            dashboard.subject_activated.connect(self._open_case)
            dashboard.failed.connect(lambda text: self.status_message.emit(f"Dashboard: {text}"))
            if self._settings is not None:
                dashboard.restore_state(self._settings)
            if self._source is not None:
                dashboard.set_source(self._source)
            return dashboard
        from hccreview.ui.views.read_entry import ReadEntryPanel

        read_entry = ReadEntryPanel(self.context, self)
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
        if not self._built_once:
            return  # the first count comes with build_panels
        if changes.study or ChangeKind.QUERIES in changes.kinds:
            self.refresh_open_queries()

    def _open_case(self, subject_id: str) -> None:
        self.setCurrentWidget(self.case_view)
        self.subject_requested.emit(subject_id)

    # ------------------------------------------------------------------ meeting mode
    def open_meeting(self) -> None:
        """Meeting mode: the open discordant cases full screen, one by one."""
        if self.meeting is not None:
            self.meeting.raise_()
            self.meeting.activateWindow()
            return
        from hccreview.ui.views.meeting_mode import MeetingModeWindow

        meeting = MeetingModeWindow(self.context)
        meeting.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        meeting.status_message.connect(self.status_message)
        meeting.left.connect(self._meeting_left)
        self.meeting = meeting
        meeting.start()

    def _meeting_left(self) -> None:
        self.meeting = None

    def signed_in(self) -> None:
        """Another user signed in: what they may see and do changes (DESIGN §4b). The tabs follow their access,
        the case view's tabs too, and every panel reloads as the new user."""
        self.undo_stack.clear()
        self.case_view.apply_access()
        self.case_view.queries.reload()
        self.case_view.reload()
        rebuilt = not self._built_once
        self.apply_access()
        if rebuilt:
            self.build_panels()  # they load as the new user
            return
        if "adjudication" in self._panels:  # the properties: the panels built (the others are built as this user)
            self.adjudication.reload()
        if "read_entry" in self._panels:
            self.read_entry.reload()
        self.refresh_open_queries()

    # ------------------------------------------------------------------ state
    def set_source(self, source: str) -> None:
        self._source = source
        if "dashboard" in self._panels:
            self.dashboard.set_source(source)

    def save_state(self, settings: AppSettings) -> None:
        """The tab in front (by name: another user may have other tabs) and each built panel's layout (a panel
        never built keeps what was saved before)."""
        front = self.currentWidget()
        names = {**{id(w): n for n, w in self._panels.items()}, **{id(w): n for n, w in self._placeholders.items()}}
        settings.set_panel_state("review_tabs", {"tab": names.get(id(front), "case")})
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
        tab = settings.panel_state("review_tabs").get("tab", "case")
        widget = (self._placeholders.get(tab) or self._panels.get(tab)) if isinstance(tab, str) else None
        if widget is not None:
            self.setCurrentWidget(widget)  # builds that panel if needed

    def close_meeting(self) -> None:
        if self.meeting is not None:
            self.meeting.close()
            self.meeting = None
