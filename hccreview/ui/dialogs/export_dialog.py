"""File ▸ Export report: choose the document and the file, render it off the GUI thread with progress and cancel."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLineEdit,
    QProgressDialog,
    QWidget,
)

from hccreview.services.reporting import ReportCancelled, ReportResult, render_report
from hccreview.services.session import StudySession
from hccreview.ui.workers import Progress, Runner

#: Document kinds offered: (label, value of ``render_report(cases=...)``).
KINDS = (
    ("Cohort summary", None),
    ("Case packet: discordant patients", "discordant"),
    ("Case packet: all patients", "all"),
    ("Case packet: chosen patients", "ids"),
)


class ExportDialog(QDialog):
    """Asks what to export and where. ``ask`` renders it in the runner's database lane (GUI never blocks).

    The result arrives through ``on_done(ReportResult)`` on the GUI thread; errors through ``on_error``.
    """

    def __init__(self, parent: QWidget | None, default_dir: Path) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export report")
        self.kind = QComboBox()
        for label, value in KINDS:
            self.kind.addItem(label, value)
        self.ids = QLineEdit()
        self.ids.setPlaceholderText("HCC-001, HCC-009")
        self.ids.setEnabled(False)
        self.kind.currentIndexChanged.connect(lambda _: self.ids.setEnabled(self.kind.currentData() == "ids"))
        self.path = QLineEdit(str(default_dir / "summary.pdf"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("&Document", self.kind)
        form.addRow("&Patients", self.ids)
        form.addRow("&File", self.path)
        form.addRow(buttons)

    def cases(self) -> str | None:
        value = self.kind.currentData()
        return self.ids.text().strip() if value == "ids" else value

    @classmethod
    def choose(cls, parent: QWidget | None, default_dir: Path) -> tuple[str | None, Path] | None:
        """(cases, path) or None when cancelled (tests replace this classmethod)."""
        dialog = cls(parent, default_dir)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        path = dialog.path.text().strip() or QFileDialog.getSaveFileName(parent, "Export report", "", "PDF (*.pdf)")[0]
        return (dialog.cases(), Path(path)) if path else None

    @classmethod
    def ask(
        cls,
        parent: QWidget,
        session: StudySession,
        runner: Runner,
        *,
        on_done: object,
        on_error: object,
    ) -> Progress | None:
        """Choose, then render in the background with a cancellable progress dialog; returns the job's Progress."""
        choice = cls.choose(parent, session.path.parent)
        if choice is None:
            return None
        cases, path = choice
        box = QProgressDialog("Rendering the report…", "Cancel", 0, 100, parent)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setMinimumDuration(300)
        job = Progress()
        box.canceled.connect(job.cancel)

        def progressed(fraction: float, text: str) -> None:
            box.setValue(int(100 * fraction))
            box.setLabelText(text or "Rendering the report…")

        def done(result: ReportResult) -> None:
            box.reset()
            on_done(result)  # type: ignore[operator]

        def failed(exc: BaseException) -> None:
            box.reset()
            if not isinstance(exc, ReportCancelled):
                on_error(exc)  # type: ignore[operator]

        runner.run(
            render_report, session, path, cases=cases, lane="db", on_done=done, on_error=failed,
            on_progress=progressed, progress=job, cancel=job,
        )  # fmt: skip
        return job
