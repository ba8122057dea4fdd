"""What the main window's menu and toolbar actions do: one plain function per action, each given the window.

:data:`hccreview.ui.actions.ACTIONS` names these functions (its ``slot``); the window resolves every name when it
builds its menus and refuses to start with one that is not here (``actions.ActionSlotError``), so a misspelt
slot can never become a dead menu item. They replace the window's two forwarding mixins: the window composes
panels, this module says what File, Review, View and Help do.

File: open (a file dialog; the application opens the chosen study in a new window through
``MainWindow.open_requested``), import, export report / data, the offline reader exchange (issue 11), sign in,
users, quit. Review and View: stepping through the navigator's patients, filters, layout, and the central tabs
(case, adjudication, dashboard, meeting mode). Help: about. Each dialog module is imported when its dialog opens
(start-up time); long work runs on the window's runner. All run on the GUI thread; none touches the database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog

if TYPE_CHECKING:
    from hccreview.services.reporting import ReportResult
    from hccreview.ui.main_window import MainWindow

#: How long a status-bar message of an action stays (ms).
NOTE_MS = 3000
DONE_MS = 10000


# ---------------------------------------------------------------------- File
def open_study_dialog(window: MainWindow) -> None:
    """File ▸ Open study: choose a study file; the application opens it in a new window."""
    start = str(window.session.path.parent)
    path, _ = QFileDialog.getOpenFileName(window, "Open study", start, "hccreview studies (*.db);;All files (*)")
    if path:
        window.open_requested.emit(path)


def import_data(window: MainWindow) -> None:
    """File ▸ Import: SDTM or a CSV bundle into this study (a transfer) or into a new study file (then opened)."""
    from hccreview.ui.dialogs.import_dialog import ImportDialog

    result = ImportDialog.ask(window, window.session, window.runner, window.bus)
    if result is not None and getattr(result, "created", False):
        window.open_requested.emit(str(result.study))


def import_images(window: MainWindow) -> None:
    """File ▸ Import images: index a folder of DICOM files into the study after a preview (issue 21)."""
    from hccreview.ui.dialogs.import_images import ImportImagesDialog

    result = ImportImagesDialog.ask(window, window.session, window.runner, window.bus)
    if result is not None:
        window.statusBar().showMessage(result.summary(), DONE_MS)


def export_report(window: MainWindow) -> None:
    """File ▸ Export report: the cohort summary or a case packet as PDF, rendered off the GUI thread."""
    from hccreview.ui.dialogs.export_dialog import ExportDialog

    def done(r: ReportResult) -> None:
        text = f"Wrote {r.path} ({r.pages} pages, {r.seconds:.1f} s)"
        window.statusBar().showMessage(text, DONE_MS)

    ExportDialog.ask(window, window.session, window.runner, on_done=done, on_error=window.show_error)


def export_data(window: MainWindow) -> None:
    """File ▸ Export data: SDTM domains or the CSV bundle into a folder, written off the GUI thread."""
    from hccreview.ui.dialogs.export_dialog import ExportDataDialog, describe_export

    ExportDataDialog.ask(window, window.session, window.runner, on_error=window.show_error,
                         on_done=lambda r: window.statusBar().showMessage(describe_export(r), DONE_MS))  # fmt: skip


def import_reads(window: MainWindow) -> None:
    """File ▸ Import reads: check, preview and merge a reader package (issue 11)."""
    from hccreview.ui.dialogs.import_reads import ImportReadsDialog

    ImportReadsDialog.ask(window, window.session, window.runner, window.bus)


def export_snapshot(window: MainWindow) -> None:
    """File ▸ Export snapshot for a reader (issue 11)."""
    from hccreview.ui.dialogs.exchange_files import export_snapshot_interactive

    export_snapshot_interactive(window, window.session, window.runner, done=_done(window), error=window.show_error)


def export_reads(window: MainWindow) -> None:
    """File ▸ Export my reads, on a reader snapshot (issue 11)."""
    from hccreview.ui.dialogs.exchange_files import export_reads_interactive

    export_reads_interactive(window, window.session, window.runner, done=_done(window), error=window.show_error)


def sign_in(window: MainWindow) -> None:
    """File ▸ Sign in as: what the window shows and offers follows that user's access (DESIGN §4b)."""
    from hccreview.ui.dialogs.sign_in import SignInDialog

    if SignInDialog.ask(window.session, window, runner=window.runner, bus=window.bus) is not None:
        window.apply_access()


def manage_users(window: MainWindow) -> None:
    """File ▸ Users: add users, reset passwords, (de)activate accounts (admin only)."""
    from hccreview.ui.dialogs.users import UsersDialog

    UsersDialog.ask(window.session, window.runner, window.bus, window)


def quit_window(window: MainWindow) -> None:
    """File ▸ Quit: close the window (it saves its layout and closes the study)."""
    window.close()


# ---------------------------------------------------------------------- Review and View
def next_patient(window: MainWindow) -> None:
    if window.navigator.step(+1) is None:
        window.statusBar().showMessage("Last patient in this view", NOTE_MS)


def previous_patient(window: MainWindow) -> None:
    if window.navigator.step(-1) is None:
        window.statusBar().showMessage("First patient in this view", NOTE_MS)


def next_unreviewed(window: MainWindow) -> None:
    if window.navigator.next_unreviewed() is None:
        window.statusBar().showMessage("No other unreviewed patient in this view", NOTE_MS)


def next_changed(window: MainWindow) -> None:
    if window.navigator.next_changed() is None:
        window.statusBar().showMessage("No other patient changed since review in this view", NOTE_MS)


def next_discordant(window: MainWindow) -> None:
    if window.navigator.next_matching(lambda row: row.discordant) is None:
        window.statusBar().showMessage("No other discordant patient in this view", NOTE_MS)


def focus_filter(window: MainWindow) -> None:
    window.navigator_dock.show()
    window.navigator.focus_filter()


def clear_filters(window: MainWindow) -> None:
    window.navigator.clear_filters()


def reset_layout(window: MainWindow) -> None:
    """View ▸ Reset layout: the docks and the toolbar as the window first laid them out."""
    window.restoreState(window.default_state)
    window.navigator_dock.show()
    window.toolbar.show()


def show_case(window: MainWindow) -> None:
    window.tabs.setCurrentWidget(window.case_view)


def show_adjudication(window: MainWindow) -> None:
    """The Adjudication tab (built now if it was not yet)."""
    window.tabs.setCurrentWidget(window.tabs.adjudication)


def show_dashboard(window: MainWindow) -> None:
    """The Cohort dashboard tab (built now if it was not yet)."""
    window.tabs.setCurrentWidget(window.tabs.dashboard)


def next_open_case(window: MainWindow) -> None:
    show_adjudication(window)
    if window.tabs.adjudication.next_case() is None:
        window.statusBar().showMessage("No other open discordant case", NOTE_MS)


def sign_decision(window: MainWindow) -> None:
    """Sign the shown case's decision (the panel asks for the password)."""
    show_adjudication(window)
    window.tabs.adjudication.sign()


def open_meeting(window: MainWindow) -> None:
    """Meeting mode: the open discordant cases full screen, one by one."""
    window.tabs.open_meeting()


# ---------------------------------------------------------------------- Help
def show_about(window: MainWindow) -> None:
    from hccreview.ui.dialogs.about import AboutDialog

    AboutDialog.ask(window, window.session.path, window.overview.title if window.overview else None)


def _done(window: MainWindow) -> Callable[[str], None]:
    """Shows what a finished exchange wrote in the status bar."""
    return lambda text: window.statusBar().showMessage(text, DONE_MS)
