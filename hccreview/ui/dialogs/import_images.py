"""File ▸ Import images…: scan a folder of DICOM files, preview how its series match the study, then register them.

Three steps, none on the GUI thread: the folder is checked (database lane: inside the image root, the admin's);
it is scanned on the compute lane (:func:`hccreview.services.images.scan_folder`: headers and hashes, with
progress and Cancel); the series are matched on the database lane
(:func:`~hccreview.services.images.preview_import` with that scan). The preview lists every series — new ones
with the patient, date and visit they match and how, unmatched ones with the reason, unchanged and changed ones —
and a checkbox per PatientID that equals a subject id: ticking one matches the series by it (re-planned from the
same scan). The TID 1500 SR documents found beside the images are previewed too
(:func:`~hccreview.services.sr_import.preview_sr_import`, against the series the import registers): their
patient, date, lesions and problems, and the evaluator they are imported as (editable; blank: each document's
observer). Nothing is written until *Apply*, which runs :func:`~hccreview.services.images.apply_import` and then
:func:`~hccreview.services.sr_import.apply_sr_import` through ``ui.operations.run_write``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hccreview.domain.changes import Changes
from hccreview.services.session import StudySession
from hccreview.ui.bus import ChangeBus
from hccreview.ui.dialogs.path_row import choose_folder, path_row
from hccreview.ui.operations import run_write
from hccreview.ui.workers import Progress, Runner

COLUMNS = ("Status", "Patient", "Date", "Visit", "Series", "Images", "Matched by / reason")
PLAN_KEY = "plan-images"


# ---------------------------------------------------------------------- worker functions (off the GUI thread)
def check_job(session: StudySession, folder: str) -> Path:
    """Database lane: the folder may be imported here (else the refusal says why)."""
    from hccreview.services.images import check_folder

    return check_folder(session, folder)


def scan_job(folder: Path, *, progress: Progress) -> Any:
    """Compute lane: the folder's DICOM headers and hashes (touches no database)."""
    from hccreview.services.images import scan_folder

    return scan_folder(folder, progress=progress.report, cancelled=lambda: progress.cancelled)


def plan_job(session: StudySession, scan: Any, confirmed: frozenset[str], evaluator: str = "") -> Any:
    """Database lane: match the scanned series to the study, and plan the SRs found beside them as ``evaluator``
    (blank: each one's observer); writes nothing. Returns (image plan, SR plan or None)."""
    from hccreview.services.images import preview_import
    from hccreview.services.sr_import import preview_sr_import

    plan = preview_import(session, scan.folder, scan=scan, confirmed_ids=confirmed)
    if not plan.structured_reports:
        return plan, None
    return plan, preview_sr_import(session, plan.structured_reports, evaluator=evaluator or None, images_plan=plan)


@dataclass(frozen=True)
class Imported:
    """What Apply wrote: the images registered, then the SRs imported (None: there were none)."""

    images: Any
    reports: Any = None

    @property
    def changes(self) -> Changes:
        return self.images.changes if self.reports is None else self.images.changes.merge(self.reports.changes)

    def summary(self) -> str:
        text = self.images.summary()
        return text if self.reports is None else f"{text}; {self.reports.summary()}"


def apply_job(session: StudySession, plan: Any, replace: tuple[str, ...], sr_plan: Any = None) -> Imported:
    """Database lane (through ``run_write``): register the plan, then import its SRs."""
    from hccreview.services.images import apply_import
    from hccreview.services.sr_import import apply_sr_import

    registered = apply_import(session, plan, replace=replace)
    return Imported(registered, None if sr_plan is None else apply_sr_import(session, sr_plan))


def preview_rows(plan: Any) -> list[tuple[str, ...]]:
    """The preview table's rows: new, unmatched, unchanged, changed series (one row each)."""

    def series_text(s: Any) -> str:
        shown = s.description and s.description.casefold() != s.phase.casefold()
        return f"{s.name} — {s.description}" if shown else s.name

    rows: list[tuple[str, ...]] = []
    for m in plan.matched:
        how = m.how if m.series.measurable else f"{m.how}; not measurable: {m.series.not_measurable_why}"
        rows.append(("new", m.subject_id, str(m.date), m.visit, series_text(m.series), str(len(m.series.instances)),
                     how))  # fmt: skip
    for u in plan.unmatched:
        s = u.series
        who = s.subject_id or (f"PatientID {s.patient_id}" if s.patient_id else "")
        rows.append(("unmatched", who, str(s.study_date or ""), s.timepoint_id, series_text(s), str(len(s.instances)),
                     u.reason))  # fmt: skip
    for c in plan.unchanged:
        r = c.registered
        rows.append(("unchanged", r.subject_id, str(r.date), r.visit, series_text(c.series),
                     str(len(c.series.instances)), "already registered: same files"))  # fmt: skip
    for c in plan.changed:
        r = c.registered
        why = "; ".join(c.differences) + (f" — cannot be replaced: {c.reason}" if c.match is None else "")
        rows.append(("changed", r.subject_id, str(r.date), r.visit, series_text(c.series),
                     str(len(c.series.instances)), why))  # fmt: skip
    return rows


def problems_text(plan: Any) -> str:
    """Problems by file and attribute, then the files left out (not DICOM, SR documents, other objects)."""
    scan = plan.scan
    lines = [f"• {'' if p.blocking else 'warning: '}{p}" for p in plan.problems]
    if scan.not_dicom:
        lines.append(f"Not DICOM, ignored ({len(scan.not_dicom)}): {', '.join(scan.not_dicom)}")
    lines += [f"Not a single-frame CT or MR image, ignored: {p} ({n})" for p, n in scan.other_objects]
    return "\n".join(lines)


class ImportImagesDialog(QDialog):
    """Pick a folder, scan it with progress and Cancel, preview the match, apply it (GUI thread; the work runs on
    the runner's lanes).

    Signals:
        imported(object): the :class:`Imported` after Apply (the window's bus has already been told its Changes).
    """

    imported = Signal(object)

    def __init__(
        self, session: StudySession, runner: Runner, bus: ChangeBus, parent: QWidget | None = None, *, folder: str = ""
    ) -> None:
        super().__init__(parent)
        self.session, self.runner, self.bus = session, runner, bus
        self.scan_value: Any = None
        self.plan: Any = None
        self.sr_plan: Any = None
        self.result_value: Any = None
        self._job: Progress | None = None
        self.setWindowTitle("Import images")
        self.resize(980, 620)

        self.folder = QLineEdit(folder, placeholderText="Folder of DICOM files (searched at any depth)")
        self.browse = QPushButton("&Browse…")
        self.browse.clicked.connect(lambda: choose_folder(self, "Folder of DICOM images", self.folder))
        self.folder.textChanged.connect(self._forget)
        form = QFormLayout()
        form.addRow(*path_row("F&older:", self.folder, self.browse))
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.status = QLabel("Choose a folder, then Scan.")
        self.status.setWordWrap(True)
        self.status.setObjectName("import_images_status")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("import_images_preview")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.proposals = QGroupBox("PatientIDs equal to a subject id: tick to match the series by them")
        self.proposal_list = QVBoxLayout(self.proposals)
        self.proposals.hide()
        self.checkboxes: dict[str, QCheckBox] = {}
        self.replace = QCheckBox()
        self.replace.setObjectName("replace_changed")
        self.replace.hide()
        self.replace.toggled.connect(self._update_apply)
        self.problems = QPlainTextEdit(readOnly=True)
        self.problems.setObjectName("import_images_problems")
        self.problems.setMaximumHeight(130)
        self.problems.setPlaceholderText("Problems by file and attribute, and the files left out, appear here.")
        self.reports = QGroupBox("DICOM SR documents found beside the images")
        self.reports.setObjectName("import_images_reports")
        self.evaluator = QLineEdit(placeholderText="each document's observer")
        self.evaluator.setObjectName("sr_evaluator")
        self.evaluator.editingFinished.connect(self._replan)
        self.report_text = QPlainTextEdit(readOnly=True)
        self.report_text.setObjectName("import_images_sr_plan")
        self.report_text.setMaximumHeight(150)
        report_form = QFormLayout(self.reports)
        report_form.addRow("Import as &evaluator:", self.evaluator)
        report_form.addRow(self.report_text)
        self.reports.hide()

        self.buttons = QDialogButtonBox()
        self.scan_button = self.buttons.addButton("&Scan", QDialogButtonBox.ButtonRole.ActionRole)
        self.apply_button = self.buttons.addButton("&Apply", QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply_button.setEnabled(False)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.scan_button.clicked.connect(self.start)
        self.apply_button.clicked.connect(self.apply)
        self.cancel_button.clicked.connect(self._cancel)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.proposals)
        layout.addWidget(self.replace)
        layout.addWidget(self.reports)
        layout.addWidget(QLabel("Problems and files left out:"))
        layout.addWidget(self.problems)
        layout.addWidget(self.buttons)

    @property
    def scanning(self) -> bool:
        """Whether a scan is running (Cancel stops it)."""
        return self._job is not None

    # ------------------------------------------------------------------ scan
    def start(self) -> bool:
        """Check the folder (database lane), then scan it (compute lane); False when no folder is given."""
        text = self.folder.text().strip()
        if not text:
            self.status.setText("Choose a folder first.")
            return False
        self._forget()
        self._busy(True)
        self.status.setText("Checking the folder…")
        self.runner.run(check_job, self.session, text, on_done=self._checked, on_error=self._refused)
        return True

    def _checked(self, folder: Path) -> None:
        self.status.setText(f"Scanning {folder}…")
        self.progress.setRange(0, 0)
        self._job = self.runner.run(scan_job, folder, lane="compute", on_progress=self._progressed,
                                    on_done=self._scanned, on_error=self._refused)  # fmt: skip

    def _progressed(self, fraction: float, text: str) -> None:
        self.progress.setRange(0, 100)
        self.progress.setValue(round(100 * max(0.0, min(1.0, fraction))))
        if text:
            self.status.setText(text)

    def _scanned(self, scan: Any) -> None:
        self._job = None
        self.scan_value = scan
        self.status.setText(f"Scanned {scan.files} file(s): matching the series to the study…")
        self._plan()

    def _plan(self) -> None:
        confirmed = frozenset(pid for pid, box in self.checkboxes.items() if box.isChecked())
        self.apply_button.setEnabled(False)
        self.runner.run(plan_job, self.session, self.scan_value, confirmed, self.evaluator.text().strip(),
                        key=PLAN_KEY, on_done=self._planned, on_error=self._refused)  # fmt: skip

    # ------------------------------------------------------------------ preview
    def _planned(self, plans: tuple[Any, Any]) -> None:
        plan, self.sr_plan = plans
        self.plan = plan
        self._busy(False)
        self.progress.setRange(0, 100)
        self.progress.setValue(100)
        rows = preview_rows(plan)
        self.table.setRowCount(len(rows))
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self._show_proposals(plan)
        replaceable = [c for c in plan.changed if c.match is not None]
        self.replace.setVisible(bool(replaceable))
        self.replace.setText(f"&Replace the {len(replaceable)} changed series (their files differ from those "
                             "registered; the old entries stay in the audit trail)")  # fmt: skip
        self.problems.setPlainText(problems_text(plan))
        self.reports.setVisible(self.sr_plan is not None)
        self.report_text.setPlainText("\n".join(self.sr_plan.lines()) if self.sr_plan is not None else "")
        root = f"; {plan.root} becomes the study's image root" if plan.root_is_new else ""
        self.status.setText(
            f"Preview: {len(plan.matched)} series to register ({plan.new_images} images), {len(plan.unmatched)} "
            f"unmatched, {len(plan.unchanged)} unchanged, {len(plan.changed)} changed{root}. Nothing is written "
            "until you press Apply."
        )
        self._update_apply()

    def _show_proposals(self, plan: Any) -> None:
        for p in plan.proposals:
            if p.patient_id in self.checkboxes:
                continue
            box = QCheckBox(f"PatientID '{p.patient_id}' is subject {p.subject_id} ({p.series} series)")
            box.setObjectName(f"confirm_{p.patient_id}")
            box.setChecked(p.confirmed)
            box.toggled.connect(self._replan)
            self.proposal_list.addWidget(box)
            self.checkboxes[p.patient_id] = box
        self.proposals.setVisible(bool(self.checkboxes))

    def _replan(self) -> None:
        if self.scan_value is not None:
            self.status.setText("Matching again with the confirmed PatientIDs…")
            self._plan()

    def _replace_uids(self) -> tuple[str, ...]:
        if self.plan is None or not self.replace.isChecked():
            return ()
        return tuple(c.series.series_uid for c in self.plan.changed if c.match is not None)

    def _update_apply(self) -> None:
        ready = self.plan is not None and self._job is None and not self.runner.pending(PLAN_KEY)
        self.apply_button.setEnabled(ready and self._anything())

    def _anything(self) -> bool:
        """Whether Apply would write: series to register or replace, or SR rows to import."""
        reports = self.sr_plan is not None and bool(self.sr_plan.writes)
        return self.plan is not None and bool(self.plan.matched or self._replace_uids() or reports)

    # ------------------------------------------------------------------ apply
    def apply(self) -> bool:
        """Register the previewed series through ``run_write``; False when there is nothing to apply."""
        if not self._anything():
            return False
        self._busy(True)
        self.status.setText("Registering the series…")
        run_write(self.runner, self.bus, apply_job, self.session, self.plan, self._replace_uids(), self.sr_plan,
                  initiator=self, on_done=self._applied, on_error=self._refused)  # fmt: skip
        return True

    def _applied(self, result: Any) -> None:
        self.result_value = result
        self.plan = self.sr_plan = None
        self._busy(False)
        self.apply_button.setEnabled(False)
        self.status.setText(result.summary()[:1].upper() + result.summary()[1:] + ".")
        self.cancel_button.setText("Close")
        self.imported.emit(result)

    # ------------------------------------------------------------------ state
    def _refused(self, exc: BaseException) -> None:
        self._job = None
        self._busy(False)
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        cancelled = type(exc).__name__ == "ScanCancelled"
        self.status.setText("Scan cancelled; nothing was written." if cancelled else f"Refused: {exc}")
        self._update_apply()

    def _busy(self, busy: bool) -> None:
        for widget in (self.folder, self.browse, self.scan_button):
            widget.setEnabled(not busy)
        if busy:
            self.apply_button.setEnabled(False)

    def _forget(self) -> None:
        """A preview is of one folder: changing it drops the scan, the plan and the PatientID choices."""
        self.scan_value = self.plan = self.sr_plan = None
        self.table.setRowCount(0)
        self.report_text.clear()
        self.reports.hide()
        self.problems.clear()
        for box in self.checkboxes.values():
            box.deleteLater()
        self.checkboxes.clear()
        self.proposals.hide()
        self.replace.setChecked(False)
        self.replace.hide()
        self.apply_button.setEnabled(False)

    def _cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self.status.setText("Cancelling the scan… (nothing will be written)")
        else:
            self.reject()

    def reject(self) -> None:
        if self._job is not None:  # scanning: cancel first, close once it stopped
            self._cancel()
            return
        super().reject()

    @classmethod
    def ask(cls, parent: QWidget | None, session: StudySession, runner: Runner, bus: ChangeBus) -> Any:
        """Show the dialog modally; the ImagesImported, or None when nothing was registered."""
        dialog = cls(session, runner, bus, parent)
        dialog.exec()
        return dialog.result_value
