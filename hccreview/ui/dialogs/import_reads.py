"""File ▸ Import reads…: check a reader package against the open study, preview the merge, then merge it.

The checks and the plan are :func:`hccreview.services.exchange_merge.plan_merge` (nothing written); the merge is
:func:`~hccreview.services.exchange_merge.merge_reads` (one transaction, all or nothing). Both run in the
database lane; this dialog only shows the package's manifest, every row the merge would write (old → new) and
every conflict, and enables *Merge* only for a package that can be merged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hccreview.services.session import StudySession
from hccreview.ui.bus import ChangeBus
from hccreview.ui.operations import run_write
from hccreview.ui.workers import Runner

COLUMNS = ("Patient", "Record", "Where", "Change", "Before", "After", "Reader's reason")
#: The fields a reviewer compares first; entry bookkeeping (who entered it, the computed response) follows.
MAIN_FIELDS = ("overall", "target", "non_target", "new_lesion", "diameter_mm", "short_axis_mm", "viable_mm", "status",
               "kind", "organ")  # fmt: skip


def _plan(session: StudySession, path: str) -> Any:
    from hccreview.services.exchange_merge import plan_merge

    return plan_merge(session, path)


def _merge(session: StudySession, path: str) -> Any:
    from hccreview.services.exchange_merge import merge_reads

    return merge_reads(session, path)


def shown_fields(old: dict[str, Any] | None, new: dict[str, Any] | None, *, update: bool) -> list[str]:
    """The fields a preview row shows: for an update the main fields that changed (else any that changed);
    for an insert or a delete the main fields the row has."""
    old, new = old or {}, new or {}
    if update:
        changed = [k for k in new if old.get(k) != new.get(k)]
        return [k for k in MAIN_FIELDS if k in changed] or changed
    return [k for k in MAIN_FIELDS if k in (new or old)]


def _values(content: dict[str, Any] | None, keys: list[str]) -> str:
    if content is None:
        return "—"
    return ", ".join(f"{k.replace('_', ' ')} {'—' if content.get(k) in (None, '') else content.get(k)}" for k in keys)


def manifest_text(plan: Any) -> str:
    """The package's manifest for a person: who, which snapshot, when, how much."""
    m = plan.manifest
    counts = ", ".join(f"{k} {v}" for k, v in m.get("counts", {}).items())
    span = f"{(m.get('first_change') or '—')[:19]} to {(m.get('last_change') or '—')[:19]}"
    return (
        f"Reader: {m.get('full_name')} ({m.get('user')})\nSnapshot: {m.get('snapshot_id')}\n"
        f"Exported: {str(m.get('exported_at'))[:19]}   Changes made: {span}\nContent: {counts}\n"
        f"SHA-256: {plan.package.sha256}"
    )


class ImportReadsDialog(QDialog):
    """Choose a ``.hccr`` file, see what the merge would do, merge it (GUI thread; work in the database lane).

    Signals:
        merged(object): the MergeResult after a merge (the window's bus has already been told the Changes).
    """

    merged = Signal(object)

    def __init__(
        self, session: StudySession, runner: Runner, bus: ChangeBus, parent: QWidget | None = None, *, path: str = ""
    ) -> None:
        super().__init__(parent)
        self.session, self.runner, self.bus = session, runner, bus
        self.plan: Any = None
        self.result_value: Any = None
        self.setWindowTitle("Import reads from a reader package")
        self.resize(820, 560)
        self.file = QLineEdit(path, placeholderText="Reader package (.hccr)")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        self.check_button = QPushButton("&Check package")
        self.check_button.clicked.connect(self.check)
        label = QLabel("&File:")
        label.setBuddy(self.file)
        top = QHBoxLayout()
        for w in (label, self.file, browse, self.check_button):
            top.addWidget(w)
        self.manifest = QLabel("Choose a package, then Check.")
        self.manifest.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.problems = QPlainTextEdit(readOnly=True)
        self.problems.setObjectName("merge_problems")
        self.problems.setMaximumHeight(140)
        self.status = QLabel("")
        self.buttons = QDialogButtonBox()
        self.merge_button = self.buttons.addButton("&Merge", QDialogButtonBox.ButtonRole.AcceptRole)
        self.merge_button.setEnabled(False)
        self.merge_button.clicked.connect(self.merge)
        close = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.manifest)
        layout.addWidget(self.table, 1)
        layout.addWidget(QLabel("Problems:"))
        layout.addWidget(self.problems)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    # ------------------------------------------------------------------ actions
    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Reader package", str(self.session.path.parent), "Reader packages (*.hccr);;All files (*)"
        )
        if path:
            self.file.setText(path)
            self.check()

    def check(self) -> None:
        """Verify the package and plan the merge in the database lane (writes nothing)."""
        path = self.file.text().strip()
        if not path or not Path(path).is_file():
            self.status.setText(f"Not a file: {path}" if path else "Choose a package first.")
            return
        self.merge_button.setEnabled(False)
        self.status.setText("Checking the package…")
        self.runner.run(_plan, self.session, path, on_done=self._planned, on_error=self._refused, key="plan-reads")

    def _planned(self, plan: Any) -> None:
        self.plan = plan
        self.manifest.setText(manifest_text(plan))
        writes = plan.writes
        self.table.setRowCount(len(writes))
        for row, change in enumerate(writes):
            where = ", ".join(str(v) for k, v in change.key.items() if k not in ("subject_id", "reader"))
            keys = shown_fields(change.old, change.new, update=change.op == "update")
            reason = (change.new or {}).get("override_reason") or ""
            cells = (change.subject_id, change.table, where, change.op, _values(change.old, keys),
                     _values(change.new, keys), reason)  # fmt: skip
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(str(text)))
        self.table.resizeColumnsToContents()
        if plan.already_merged is not None:
            done = plan.already_merged
            self.problems.setPlainText("")
            self.status.setText(f"Already merged on {done['merged_at']} by {done['merged_by']}: nothing to do.")
        elif plan.conflicts:
            self.problems.setPlainText("\n".join(f"• {c.message}" for c in plan.conflicts))
            self.status.setText(f"Refused: {len(plan.conflicts)} problem(s). Nothing will be written.")
        else:
            self.problems.setPlainText("")
            unchanged = len(plan.changes) - len(writes)
            self.status.setText(f"Ready: {len(writes)} row(s) to write, {unchanged} already in the study.")
            self.merge_button.setEnabled(True)

    def _refused(self, exc: BaseException) -> None:
        plan = getattr(exc, "plan", None)
        if plan is not None:
            self._planned(plan)
            return
        self.plan = None
        self.table.setRowCount(0)
        self.manifest.setText("")
        self.problems.setPlainText(f"• {exc}")
        self.status.setText("Refused. Nothing was written.")
        self.merge_button.setEnabled(False)

    def merge(self) -> None:
        """Merge the checked package in one transaction (database lane)."""
        if self.plan is None or not self.plan.ok:
            return
        self.merge_button.setEnabled(False)
        self.status.setText("Merging…")
        run_write(self.runner, self.bus, _merge, self.session, self.file.text().strip(), initiator=self,
                  on_done=self._merged, on_error=self._refused)  # fmt: skip

    def _merged(self, result: Any) -> None:
        self.result_value = result
        self.status.setText(
            f"Merged {len(result.plan.writes)} row(s) from {result.plan.manifest['user']}'s package"
            + (f"; backup {result.backup.name}" if result.backup else "")
        )
        self.merged.emit(result)

    @classmethod
    def ask(cls, parent: QWidget, session: StudySession, runner: Runner, bus: ChangeBus) -> Any:
        """Show the dialog modally; returns the MergeResult or None."""
        dialog = cls(session, runner, bus, parent)
        dialog.exec()
        return dialog.result_value
