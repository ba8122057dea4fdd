"""GUI start-up: QApplication, names for QSettings, error reporting, and the windows on open studies.

``hccreview`` with no argument opens the last study when its file still exists, else the demo study (built on
first run) — DESIGN §7. The style and palette are the platform's own (light or dark, as the OS says); Qt 6
scales for high-DPI screens by default. ``HCCREVIEW_QUIT_AFTER_MS`` makes the GUI quit by itself after that
many milliseconds (the smoke test's hook).
"""

from __future__ import annotations

import os
import sys
import traceback
from importlib.resources import files
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from hccreview import __version__
from hccreview.services.session import StoreError, StudySession, open_study
from hccreview.services.workspace import ensure_demo_study
from hccreview.ui.settings import AppSettings
from hccreview.ui.workers import Runner


def _report_error(message: str, parent: QWidget | None = None) -> None:
    print(f"hccreview: {message}", file=sys.stderr)
    if QApplication.platformName() not in ("offscreen", "minimal"):
        QMessageBox.critical(parent, "hccreview", message)


def _excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """Unhandled exceptions in slots: print them and tell the user, instead of aborting the program."""
    text = "".join(traceback.format_exception(kind, exc, tb))
    print(text, file=sys.stderr)
    if QApplication.platformName() not in ("offscreen", "minimal"):
        box = QMessageBox(QMessageBox.Icon.Critical, "hccreview", f"Unexpected error: {exc}")
        box.setDetailedText(text)
        box.exec()


def app_icon() -> QIcon:
    """The application icon, every rendered size from resources/icons."""
    icon = QIcon()
    folder = files("hccreview.resources").joinpath("icons")
    for size in (16, 32, 48, 64, 128, 256):
        icon.addFile(str(folder.joinpath(f"hccreview-{size}.png")))
    return icon


def study_to_open(requested: str | None, settings: AppSettings) -> Path:
    """The study the GUI starts on: the one asked for, else the last one if it still exists, else the demo."""
    if requested:
        return Path(requested)
    last = settings.last_study
    if last is not None and last.is_file():
        return last
    return ensure_demo_study()


class StudyLauncher(QObject):
    """Opens study files in main windows and keeps the windows alive (no global window object).

    Opening a file (which may migrate it) runs in the launcher's own runner; the new window appears when the
    study is open, and the window that asked for it closes. Callbacks run on the GUI thread.
    """

    def __init__(self, settings: AppSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.runner = Runner(self)
        self.windows: list[QWidget] = []

    def show_session(self, session: StudySession, replaces: QWidget | None = None) -> QWidget | None:
        """Sign the user in on ``session`` (DESIGN §4: everything is audited under their id), then show it.

        Cancelling the sign-in closes the study; with no window left, the application quits.
        """
        from hccreview.ui.dialogs.sign_in import SignInDialog
        from hccreview.ui.main_window import MainWindow

        if session.signed_in is None and SignInDialog.ask(session, replaces) is None:
            session.close()
            if not self.windows:
                QApplication.quit()
            return None
        window = MainWindow(session, settings=self.settings)
        window.open_requested.connect(lambda path, w=window: self.open(path, replaces=w))
        self.windows.append(window)
        window.show()
        if replaces is not None:
            replaces.close()
            self.windows.remove(replaces)
        return window

    def open(self, path: str, replaces: QWidget | None = None) -> None:
        """Open ``path`` off the GUI thread, then show it (replacing the asking window)."""

        def failed(exc: BaseException) -> None:
            if not Path(path).exists():
                self.settings.remove_recent(path)
            _report_error(str(exc), replaces)

        self.runner.run(
            open_study,
            path,
            lane="db",
            on_done=lambda session: self.show_session(session, replaces),
            on_error=failed,
        )


def run_gui(study: str | None = None) -> int:
    """Open the GUI on ``study`` (or the last study, or the demo study); returns the exit status."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName("hccreview")
    app.setApplicationName("hccreview")
    app.setApplicationVersion(__version__)
    app.setApplicationDisplayName("hccreview")
    app.setDesktopFileName("hccreview")
    app.setWindowIcon(app_icon())
    sys.excepthook = _excepthook
    settings = AppSettings()
    try:
        path = study_to_open(study, settings)
        session = open_study(path)  # before any window: a wrong path is reported and the program exits 1
    except StoreError as exc:
        _report_error(str(exc))
        return 1
    launcher = StudyLauncher(settings, app)
    quit_after = os.environ.get("HCCREVIEW_QUIT_AFTER_MS")
    if quit_after:  # smoke tests: start, draw, leave (also closes the sign-in dialog)
        QTimer.singleShot(int(quit_after), app.closeAllWindows)
        QTimer.singleShot(int(quit_after), app.quit)
    QTimer.singleShot(0, lambda: launcher.show_session(session))  # sign-in runs inside the event loop
    status = app.exec()
    for window in launcher.windows:
        window.close()  # closes its study (idempotent)
    return int(status)
