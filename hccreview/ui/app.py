"""GUI start-up: QApplication, names for QSettings, error reporting, the main window."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from hccreview import __version__
from hccreview.services.session import StoreError, open_study
from hccreview.services.workspace import ensure_demo_study


def _report_error(message: str) -> None:
    print(f"hccreview: {message}", file=sys.stderr)
    if QApplication.platformName() not in ("offscreen", "minimal"):
        QMessageBox.critical(None, "hccreview", message)


def run_gui(study: str | None = None) -> int:
    """Open the GUI on ``study`` (or on the demo study, created on first run); returns the exit status."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("hccreview")
    app.setApplicationName("hccreview")
    app.setApplicationVersion(__version__)
    try:
        path = Path(study) if study else ensure_demo_study()
        session = open_study(path)
    except StoreError as exc:
        _report_error(str(exc))
        return 1
    from hccreview.ui.main_window import MainWindow

    window = MainWindow(session)
    window.show()
    quit_after = os.environ.get("HCCREVIEW_QUIT_AFTER_MS")
    if quit_after:  # smoke tests: start, draw, leave
        QTimer.singleShot(int(quit_after), app.quit)
    status = app.exec()
    session.close()
    return int(status)
