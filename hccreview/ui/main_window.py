"""The main window (placeholder until the reviewer workstation GUI lands): study title and contents."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow

from hccreview.services.session import StudySession


class MainWindow(QMainWindow):
    """Shows which study is open. Runs on the GUI thread only."""

    def __init__(self, session: StudySession) -> None:
        super().__init__()
        self.session = session
        settings = session.settings()
        self.setWindowTitle(f"{settings.title} — hccreview")
        data = session.data()
        self.summary = QLabel(
            f"<h2>{settings.title}</h2><p>{len(data.subjects)} patients · {settings.criteria.value} · "
            f"{len(data.reads)} timepoint reads</p><p>{session.path}</p>"
        )
        self.setCentralWidget(self.summary)
        self.resize(900, 600)
