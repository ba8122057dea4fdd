"""File ▸ Import…: choose a format and a folder, import into the open study in the database lane, show the report.

The import itself is :func:`hccreview.services.importing.import_into` (validate, then write everything in one
transaction or nothing). The dialog only collects the inputs, shows progress, offers Cancel, and lists the
warnings and notes of an import — or, when the import was refused, every problem with its file, row and field.

Into the open (existing) study an import is a **data transfer** (issue 12): the dialog first computes the preview
off the GUI thread (:func:`hccreview.services.transfers.preview_transfer`, database lane), shows it
(:class:`~hccreview.ui.dialogs.transfer_preview.TransferPreviewView`: patient → kind → new / changed / removed,
old → new values), and applies it only when the user presses "Apply transfer" (nothing is written before).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hccreview.services.session import StudySession
from hccreview.ui.bus import ChangeBus
from hccreview.ui.dialogs.path_row import choose_folder, path_row
from hccreview.ui.dialogs.transfer_preview import TransferPreviewView
from hccreview.ui.operations import run_write
from hccreview.ui.workers import Progress, Runner

if TYPE_CHECKING:
    from hccreview.services.auth import User

FORMATS = (("CDISC SDTM (folder of .csv or .xpt domain files)", "sdtm"), ("CSV bundle (hccreview templates)", "csv"))


def run_import(
    study: str, user: str | User, fmt: str, source: str, study_title: str | None, *, progress: Progress
) -> Any:
    """Worker function (database lane): the import service, with progress and cancellation.

    ``study`` is the open study's file (the service opens its own connection on it, WAL; running it in the
    database lane keeps it from overlapping the window's own reads and writes) or a new file to create.
    """
    from hccreview.services.importing import import_into  # lazy: the importer is heavy (pandas, pyreadstat)

    return import_into(
        Path(study),
        fmt=fmt,
        source=Path(source),
        study_title=study_title or None,
        user=user,
        progress=progress.report,
        cancel=lambda: progress.cancelled,
    )


def run_preview(study: str, user: str | User, fmt: str, source: str, *, progress: Progress) -> Any:
    """Worker function (database lane): the transfer's preview; reads only."""
    from hccreview.services.transfers import preview_transfer

    return preview_transfer(Path(study), fmt=fmt, source=Path(source), user=user, progress=progress.report,
                            cancel=lambda: progress.cancelled)  # fmt: skip


def run_apply(preview: Any, user: str | User, *, progress: Progress) -> Any:
    """Worker function (database lane): apply a previewed transfer in one audited transaction."""
    from hccreview.services.transfers import apply_transfer

    return apply_transfer(preview, user=user, progress=progress.report, cancel=lambda: progress.cancelled)


def describe_result(result: Any) -> str:
    """The report text of a finished import: its summary with every warning, then every note."""
    warnings = list(getattr(result, "warnings", []) or [])
    notes = list(getattr(result, "notes", []) or [])
    try:
        lines = [result.summary(max_warnings=len(warnings))]
    except TypeError:
        lines = [str(result)]
    if notes:
        lines += ["", f"{len(notes)} note(s):"] + [f"  • {n}" for n in notes]
    return "\n".join(lines)


def describe_error(exc: BaseException) -> str:
    """The report text of a refused or failed import: each problem (file, row, field) on its own line."""
    problems = list(getattr(exc, "problems", []) or [])
    if type(exc).__name__ == "ImportCancelled":
        return "Import cancelled; nothing was written."
    if problems:
        head = f"Import refused: {len(problems)} problem(s); nothing was written."
        return "\n".join([head, ""] + [f"  • {p}" for p in problems])
    return f"Import failed: {exc}\nNothing was written."


class ImportDialog(QDialog):
    """Asks format + folder, runs the import with a progress bar, then shows the report.

    Signals:
        imported(object): the ImportResult, on the GUI thread. A transfer into the open study has already
            published its Changes on the bus (``ui.operations.run_write``); an import into a new file has
            ``created`` set (the window then opens that file; the open study did not change).
    """

    imported = Signal(object)

    def __init__(self, session: StudySession, runner: Runner, bus: ChangeBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.runner, self.bus = session, runner, bus
        self.result_value: Any = None
        self.preview_value: Any = None  # the TransferPreview waiting for the user's confirmation
        self._job: Progress | None = None
        self.setWindowTitle("Import trial data")
        self.setMinimumWidth(560)

        self.format = QComboBox()
        for text, key in FORMATS:
            self.format.addItem(text, key)
        self.folder = QLineEdit(placeholderText="Folder with the files to import")
        self.browse = QPushButton("&Browse…")
        self.browse.clicked.connect(lambda: choose_folder(self, "Folder to import", self.folder))
        self.target = QComboBox()
        self.target.addItem(f"Add to the open study ({session.path.name})", "open")
        self.target.addItem("Create a new study file (then open it)", "new")
        self.new_path = QLineEdit(placeholderText="New study file, e.g. trial.db")
        self.save_as = QPushButton("&Save as…")
        self.save_as.clicked.connect(self._choose_new_file)
        self.title = QLineEdit(placeholderText="(the delivery's own title, else the folder name)")
        form = QFormLayout()
        form.addRow("&Format:", self.format)
        form.addRow(*path_row("F&older:", self.folder, self.browse))
        form.addRow("&Into:", self.target)
        form.addRow(*path_row("New &file:", self.new_path, self.save_as))
        form.addRow("Study &title:", self.title)
        self.target.currentIndexChanged.connect(self._target_changed)
        self._target_changed()
        for signal in (self.folder.textChanged, self.format.currentIndexChanged, self.target.currentIndexChanged):
            signal.connect(self._forget_preview)  # a preview is of one folder, format and study

        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.status = QLabel("Choose a folder, then Import.")
        self.report = QPlainTextEdit(readOnly=True)
        self.report.setObjectName("import_report")
        self.report.setPlaceholderText("The import's warnings and notes appear here.")
        self.preview = TransferPreviewView()
        self.preview.hide()

        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton("&Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.hide()
        self.import_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._cancel)
        self.close_button.clicked.connect(self.accept)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.preview, 2)
        layout.addWidget(self.report, 1)
        layout.addWidget(self.buttons)

    # ------------------------------------------------------------------ actions
    @property
    def _user(self) -> str | User:
        """Who imports: the signed-in user (the write gate checks their access: an import is the admin's), else
        the unsigned name (a study without accounts being built)."""
        return self.session.signed_in or self.session.user

    def start(self) -> bool:
        """Validate the inputs and start the import in the database lane; False if the inputs are wrong.

        Into the open study: the first press computes the transfer's preview, the second ("Apply transfer")
        applies it."""
        if self.preview_value is not None:
            return self.apply_preview()
        folder = Path(self.folder.text().strip()).expanduser()
        if not self.folder.text().strip() or not folder.is_dir():
            self.status.setText(f"Not a folder: {folder}" if self.folder.text().strip() else "Choose a folder first.")
            return False
        study = self.session.path
        if self.creates_new_study:
            text = self.new_path.text().strip()
            study = Path(text).expanduser()
            if not text or study.exists():
                self.status.setText(f"Already exists: {study}" if text else "Choose a name for the new study file.")
                return False
        self._set_inputs_enabled(False)
        self.progress.setRange(0, 0)  # busy until the first progress report
        self.report.clear()
        if not self.creates_new_study:
            self.status.setText("Comparing the delivery with the study…")
            self._job = self.runner.run(
                run_preview, str(study), self._user, self.format.currentData(), str(folder), lane="db",
                on_progress=self._progressed, on_done=self._previewed, on_error=self._failed,
            )  # fmt: skip
            return True
        self.status.setText("Importing…")
        self._job = self.runner.run(
            run_import,
            str(study),
            self._user,
            self.format.currentData(),
            str(folder),
            self.title.text().strip() if self.creates_new_study else None,
            lane="db",
            on_progress=self._progressed,
            on_done=self._done,
            on_error=self._failed,
        )
        return True

    def apply_preview(self) -> bool:
        """Apply the transfer shown in the preview (database lane); False when there is none."""
        if self.preview_value is None:
            return False
        preview, self.preview_value = self.preview_value, None
        self._set_inputs_enabled(False)
        self.progress.setRange(0, 0)
        self.status.setText("Applying the transfer…")
        self._job = run_write(self.runner, self.bus, run_apply, preview, self._user, initiator=self,
                              on_progress=self._progressed, on_done=self._done, on_error=self._failed)  # fmt: skip
        return True

    def _forget_preview(self) -> None:
        if self.preview_value is not None:
            self.preview_value = None
            self.preview.hide()
            self.import_button.setText("&Import")
            self.status.setText("Inputs changed: Import to compare again.")

    def _previewed(self, preview: Any) -> None:
        self._job = None
        self.preview_value = preview
        self.progress.setRange(0, 100)
        self.progress.setValue(100)
        self.preview.set_preview(preview)
        self.preview.show()
        self.report.setPlainText("\n".join(preview.lines(per_record=False)))
        self.status.setText("Preview of the transfer: nothing is written until you press Apply transfer.")
        self._set_inputs_enabled(True)  # changing an input drops the preview
        self.import_button.setText("&Apply transfer")

    @property
    def creates_new_study(self) -> bool:
        return self.target.currentData() == "new"

    def _target_changed(self) -> None:
        for widget in (self.new_path, self.save_as, self.title):
            widget.setEnabled(self.creates_new_study)

    def _set_inputs_enabled(self, enabled: bool) -> None:
        for widget in (self.format, self.folder, self.browse, self.target, self.import_button):
            widget.setEnabled(enabled)
        for widget in (self.new_path, self.save_as, self.title):
            widget.setEnabled(enabled and self.creates_new_study)

    def _choose_new_file(self) -> None:
        start = str(self.session.path.parent / "new-study.db")
        path, _ = QFileDialog.getSaveFileName(self, "New study file", start, "hccreview studies (*.db)")
        if path:
            self.new_path.setText(path if path.endswith(".db") else f"{path}.db")

    def _cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self.status.setText("Cancelling… (nothing will be written)")
        else:
            self.reject()

    def _progressed(self, fraction: float, text: str) -> None:
        self.progress.setRange(0, 100)
        self.progress.setValue(round(100 * max(0.0, min(1.0, fraction))))
        if text:
            self.status.setText(text)

    def _finished(self) -> None:
        self._job = None
        self.progress.setRange(0, 100)
        self.cancel_button.hide()
        self.close_button.show()
        self.close_button.setDefault(True)
        self.close_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _done(self, result: Any) -> None:
        self._finished()
        self.progress.setValue(100)
        self.result_value = result
        self.status.setText("Import finished.")
        self.report.setPlainText(describe_result(result))
        if getattr(result, "created", False):
            self.status.setText("Import finished: the new study opens when you close this dialog.")
        self.imported.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self._finished()
        self.progress.setValue(0)
        self.status.setText("Import refused." if getattr(exc, "problems", None) else "Import failed.")
        self._set_inputs_enabled(True)  # fix the files or the choice, then try again
        self.report.setPlainText(describe_error(exc))

    def reject(self) -> None:
        if self._job is not None:  # still running: cancel first, close when it has stopped
            self._cancel()
            return
        super().reject()

    @classmethod
    def ask(cls, parent: QWidget | None, session: StudySession, runner: Runner, bus: ChangeBus) -> Any:
        """Run the dialog modally; the ImportResult, or None when nothing was imported (tests replace this)."""
        dialog = cls(session, runner, bus, parent)
        dialog.exec()
        return dialog.result_value
