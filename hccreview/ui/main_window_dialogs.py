"""The main window's dialog-opening slots (File and Help menus) and its error box: a mixin of ``MainWindow``.

File ▸ Open (a file dialog; the application opens the chosen study in a new window through
``MainWindow.open_requested``), Import, Export report / data, the offline reader exchange (issue 11), Sign in,
Users, Help ▸ About, and :meth:`DialogActions.show_error`. Each dialog module is imported when its dialog is
opened (start-up time); long work runs on the window's :class:`~hccreview.ui.workers.Runner`. All slots run on
the GUI thread and never touch the database themselves.
"""

from __future__ import annotations

import sys
import traceback
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtWidgets import QLabel, QStatusBar

    from hccreview.services.overview import Overview
    from hccreview.services.session import StudySession
    from hccreview.ui.bus import ChangeBus
    from hccreview.ui.review_tabs import ReviewTabs
    from hccreview.ui.workers import Runner


class DialogActions:
    """Mixin of :class:`~hccreview.ui.main_window.MainWindow`: the slots that open dialogs (see the module
    docstring). Relies on the window's attributes below; defines no state of its own."""

    # provided by MainWindow
    session: StudySession
    runner: Runner
    bus: ChangeBus
    tabs: ReviewTabs
    overview: Overview | None
    user_label: QLabel
    last_error: BaseException | None
    open_requested: SignalInstance

    if TYPE_CHECKING:

        def statusBar(self) -> QStatusBar: ...

        def reload(self) -> None: ...

        def apply_access(self) -> None: ...

    def open_study_dialog(self) -> None:
        start = str(self.session.path.parent)
        path, _ = QFileDialog.getOpenFileName(self, "Open study", start, "hccreview studies (*.db);;All files (*)")
        if path:
            self.open_requested.emit(path)

    def import_data(self) -> None:
        from hccreview.ui.dialogs.import_dialog import ImportDialog

        result = ImportDialog.ask(self, self.session, self.runner, self.bus)
        if result is not None and getattr(result, "created", False):  # imported into a new study file: open it
            self.open_requested.emit(str(result.study))

    def export_report(self) -> None:
        """File ▸ Export report: the cohort summary or a case packet as PDF, rendered off the GUI thread."""
        from hccreview.ui.dialogs.export_dialog import ExportDialog

        def done(r: object) -> None:
            self.statusBar().showMessage(f"Wrote {r.path} ({r.pages} pages, {r.seconds:.1f} s)", 10000)  # type: ignore[attr-defined]

        ExportDialog.ask(self, self.session, self.runner, on_done=done, on_error=self.show_error)

    def export_data(self) -> None:
        """File ▸ Export data: SDTM domains or the CSV bundle into a folder, written off the GUI thread."""
        from hccreview.ui.dialogs.export_dialog import ExportDataDialog, describe_export

        ExportDataDialog.ask(self, self.session, self.runner, on_error=self.show_error,
                             on_done=lambda r: self.statusBar().showMessage(describe_export(r), 10000))  # fmt: skip

    # the offline reader exchange (issue 11)
    def import_reads(self) -> None:
        """File ▸ Import reads: check, preview and merge a reader package."""
        from hccreview.ui.dialogs.import_reads import ImportReadsDialog

        ImportReadsDialog.ask(self, self.session, self.runner, self.bus)

    def export_snapshot(self) -> None:
        """File ▸ Export snapshot for a reader."""
        from hccreview.ui.dialogs.exchange_files import export_snapshot_interactive

        export_snapshot_interactive(self, self.session, self.runner, done=self._status, error=self.show_error)

    def export_reads(self) -> None:
        """File ▸ Export my reads (on a reader snapshot)."""
        from hccreview.ui.dialogs.exchange_files import export_reads_interactive

        export_reads_interactive(self, self.session, self.runner, done=self._status, error=self.show_error)

    def _status(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)

    def sign_in(self) -> None:
        """Sign in as another user; what the window shows and offers follows that user's access (DESIGN §4b)."""
        from hccreview.ui.dialogs.sign_in import SignInDialog

        user = SignInDialog.ask(self.session, self, runner=self.runner)
        if user is not None:
            self.apply_access()

    def manage_users(self) -> None:
        """File ▸ Users: add users, reset passwords, (de)activate accounts (admin only)."""
        from hccreview.ui.dialogs.users import UsersDialog

        UsersDialog.ask(self.session, self.runner, self)

    def show_about(self) -> None:
        from hccreview.ui.dialogs.about import AboutDialog

        AboutDialog.ask(self, self.session.path, self.overview.title if self.overview else None)

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
