"""The adjudication site's reader-exchange view (issue 11 item 4): per reader, the completed patients and the
packages merged (when, by whom, what they wrote). Data from :func:`hccreview.services.exchange_status.reader_progress`,
loaded in the database lane when shown and after a change of reads."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from hccreview.domain.changes import ChangeKind, Changes
from hccreview.services.session import StudySession
from hccreview.ui.panel_context import PanelContext

READER_COLUMNS = ("Reader", "Name", "Completed", "In progress", "Not started", "Packages merged", "Last merged")
PACKAGE_COLUMNS = ("Reader", "File", "Exported", "Changes made", "Merged", "Merged by", "Rows written")
#: What a merge writes, and the reader accounts the progress table lists (an account added or (de)activated).
_EXCHANGE_KINDS = {ChangeKind.READS, ChangeKind.LESIONS, ChangeKind.MEASUREMENTS, ChangeKind.USERS}


def _load(session: StudySession) -> list[Any]:
    from hccreview.services.exchange_status import reader_progress

    return reader_progress(session)


def _table(columns: tuple[str, ...], name: str) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(columns))
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().hide()
    return table


def _fill(table: QTableWidget, rows: list[tuple[Any, ...]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            item = QTableWidgetItem(str(value))
            if isinstance(value, int):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()


class ReaderExchangePanel(QWidget):
    """Readers' progress and merged packages (GUI thread; loads in the database lane)."""

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.runner = context.session, context.runner
        self.progress: list[Any] = []
        self.readers = _table(READER_COLUMNS, "exchange_readers")
        self.packages = _table(PACKAGE_COLUMNS, "exchange_packages")
        self.readers.itemSelectionChanged.connect(self._show_completed)
        self.completed = QLabel("")
        self.completed.setWordWrap(True)
        self.completed.setObjectName("exchange_completed")
        self.message = QLabel("")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Central readers</b> — completed patients from each reader's worklist"))
        layout.addWidget(self.readers, 2)
        layout.addWidget(self.completed)
        layout.addWidget(QLabel("<b>Reader packages merged</b> (File ▸ Import reads…)"))
        layout.addWidget(self.packages, 2)
        layout.addWidget(self.message)
        context.bus.changed.connect(self._on_changed)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.reload()

    def _on_changed(self, changes: Changes, _initiator: object) -> None:
        if self.isVisible() and (changes.study or changes.kinds & _EXCHANGE_KINDS):
            self.reload()

    def reload(self) -> None:
        """Load the readers' progress in the database lane (newest request wins)."""
        self.runner.run(_load, self.session, on_done=self._arrived, on_error=self._failed, key="reader-exchange")

    def _arrived(self, progress: list[Any]) -> None:
        self.progress = progress
        self.message.setText("")
        _fill(self.readers, [
            (p.reader, p.full_name, f"{len(p.completed)}/{p.patients}", len(p.in_progress), len(p.not_started),
             len(p.packages), p.packages[-1]["merged_at"][:19].replace("T", " ") if p.packages else "—")
            for p in progress
        ])  # fmt: skip
        rows = []
        for p in progress:
            for pkg in p.packages:
                counts = pkg["counts"]
                written = sum(v for k, v in counts.items() if k != "unchanged")
                span = f"{(pkg['first_change'] or '—')[:10]} – {(pkg['last_change'] or '—')[:10]}"
                rows.append((p.reader, pkg["file_name"], pkg["exported_at"][:19].replace("T", " "), span,
                             pkg["merged_at"][:19].replace("T", " "), pkg["merged_by"], written))  # fmt: skip
        _fill(self.packages, rows)
        if progress and not self.readers.selectedItems():
            self.readers.selectRow(0)
        self._show_completed()

    def _show_completed(self) -> None:
        row = self.readers.currentRow()
        if not (0 <= row < len(self.progress)):
            self.completed.setText("")
            return
        p = self.progress[row]
        self.completed.setText(
            f"{p.reader} completed {len(p.completed)} of {p.patients}: {', '.join(p.completed) or 'none yet'}"
        )

    def _failed(self, exc: BaseException) -> None:
        self.message.setText(f"Cannot show the readers' progress: {exc}")
