"""File ▸ Export report (PDF) and File ▸ Export data (SDTM or CSV bundle): choose, then run off the GUI thread.

Both dialogs collect their inputs in a classmethod ``choose`` (tests replace it) and run the service in the
runner's database lane behind one cancellable progress dialog (:func:`run_with_progress`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QWidget,
)

from hccreview.services.exporting import ExportCancelled, ExportResult, export_data
from hccreview.services.session import StudySession
from hccreview.ui.dialogs.path_row import choose_folder, path_row
from hccreview.ui.workers import Progress, Runner

if TYPE_CHECKING:
    from hccreview.services.reporting import ReportResult

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
        on_done: Callable[[ReportResult], object],
        on_error: Callable[[BaseException], object],
    ) -> Progress | None:
        """Choose, then render in the background with a cancellable progress dialog; returns the job's Progress."""
        choice = cls.choose(parent, session.path.parent)
        if choice is None:
            return None
        cases, path = choice
        # imported here: the PDF stack (matplotlib's PDF backend, fontTools) is not needed to start the window
        from hccreview.services.reporting import ReportCancelled, render_report

        return run_with_progress(
            parent, runner, render_report, session, path, cases=cases, label="Rendering the report…",
            cancelled=ReportCancelled, on_done=on_done, on_error=on_error,
        )  # fmt: skip


def run_with_progress(
    parent: QWidget,
    runner: Runner,
    fn: Callable[..., Any],
    *args: Any,
    label: str,
    cancelled: type[BaseException],
    on_done: Callable[[Any], object],
    on_error: Callable[[BaseException], object],
    **kwargs: Any,
) -> Progress:
    """Run ``fn(*args, **kwargs, progress=job, cancel=job)`` in the database lane behind a cancellable progress
    dialog; ``on_done(result)`` / ``on_error(exc)`` on the GUI thread (a ``cancelled`` exception is not an error)."""
    box = QProgressDialog(label, "Cancel", 0, 100, parent)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.setMinimumDuration(300)
    job = Progress()
    box.canceled.connect(job.cancel)

    def progressed(fraction: float, text: str) -> None:
        box.setValue(int(100 * fraction))
        box.setLabelText(text or label)

    def done(result: object) -> None:
        box.reset()
        on_done(result)

    def failed(exc: BaseException) -> None:
        box.reset()
        if not isinstance(exc, cancelled):
            on_error(exc)

    runner.run(
        fn, *args, lane="db", on_done=done, on_error=failed, on_progress=progressed, progress=job, cancel=job,
        **kwargs,
    )  # fmt: skip
    return job


#: Data formats offered: (label, service format, XPT).
DATA_FORMATS = (
    ("CDISC SDTM domains (CSV) + derived responses", "sdtm", False),
    ("CDISC SDTM domains (SAS XPT v5) + derived responses", "sdtm-xpt", True),
    ("CSV bundle (hccreview templates)", "csv", False),
)


class ExportDataDialog(QDialog):
    """File ▸ Export data: the study's records as CDISC SDTM (docs/sdtm-export.md) or a CSV bundle, into a folder.

    ``ask`` writes in the runner's database lane with a cancellable progress dialog; the result
    (:class:`~hccreview.services.exporting.ExportResult`) arrives through ``on_done`` on the GUI thread, a
    refusal (a reader may not export: blinding; a folder holding another delivery) through ``on_error``.
    """

    def __init__(self, parent: QWidget | None, default_dir: Path) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export data")
        self.format = QComboBox()
        for label, value, _xpt in DATA_FORMATS:
            self.format.addItem(label, value)
        self.folder = QLineEdit(str(default_dir / "export"))
        browse = QPushButton("&Browse…")
        browse.clicked.connect(lambda: choose_folder(self, "Export into folder", self.folder))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("&Format", self.format)
        form.addRow(*path_row("F&older", self.folder, browse))
        form.addRow(buttons)

    def choice(self) -> tuple[str, bool, Path] | None:
        """(service format, XPT, folder) as the dialog stands; None without a folder."""
        value = self.format.currentData()
        fmt, xpt = next((f.split("-")[0], x) for _label, f, x in DATA_FORMATS if f == value)
        text = self.folder.text().strip()
        return (fmt, xpt, Path(text)) if text else None

    @classmethod
    def choose(cls, parent: QWidget | None, default_dir: Path) -> tuple[str, bool, Path] | None:
        """(format, xpt, folder) or None when cancelled (tests replace this classmethod)."""
        dialog = cls(parent, default_dir)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.choice()

    @classmethod
    def ask(
        cls,
        parent: QWidget,
        session: StudySession,
        runner: Runner,
        *,
        on_done: Callable[[ExportResult], object],
        on_error: Callable[[BaseException], object],
    ) -> Progress | None:
        """Choose, then export in the background; returns the job's Progress (None when cancelled)."""
        choice = cls.choose(parent, session.path.parent)
        if choice is None:
            return None
        fmt, xpt, folder = choice
        return run_with_progress(
            parent, runner, export_data, session, folder, fmt=fmt, xpt=xpt, label="Exporting the study…",
            cancelled=ExportCancelled, on_done=on_done, on_error=on_error,
        )  # fmt: skip


def describe_export(result: ExportResult) -> str:
    """The status-bar line of a finished export, with what the format could not carry (docs/sdtm-export.md)."""
    what = "SDTM domains" if result.fmt == "sdtm" else "CSV bundle"
    line = f"Exported {what} to {result.folder}: {len(result.files)} files in {result.seconds:.1f} s"
    return f"{line}. Notes: {'; '.join(result.notes)}" if result.notes else line
