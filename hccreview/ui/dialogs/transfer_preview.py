"""The preview of a data transfer: patient → record kind → new / changed / removed records.

:class:`TransferPreviewView` shows a :class:`~hccreview.services.transfers.TransferPreview` — computed off the GUI
thread — as a tree (changes show their old → new values), with a summary line above (totals per status, the
signed cases the transfer sends back to adjudication, notes). It only displays: the import dialog applies the
transfer when the user confirms.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from hccreview.services.transfer_diff import KIND_LABELS, STATUSES, RecordChange
from hccreview.ui.wording import field_label, words

_STATUS_COLOURS = {"new": QColor(46, 125, 50), "changed": QColor(230, 81, 0), "removed": QColor(183, 28, 28)}
COLUMNS = ("Patient / record", "Change", "Old → new")


def change_values(change: RecordChange) -> str:
    """The third column: ``field old → new`` per changed field (changes only)."""
    if change.status != "changed":
        return ""
    return "; ".join(f"{field_label(f)}: {_show(a)} → {_show(b)}" for f, a, b in change.value_changes())


def _show(value: Any) -> str:
    return "—" if value is None or value == "" else str(value)


def _counts_text(changes: list[RecordChange]) -> str:
    n = {s: sum(c.status == s for c in changes) for s in STATUSES}
    return ", ".join(f"{v} {s}" for s, v in n.items() if v)


class TransferPreviewView(QWidget):
    """A read-only tree of a transfer's changes and a summary label. GUI thread only; no signals."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel()
        self.summary.setObjectName("transfer_summary")
        self.summary.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setObjectName("transfer_tree")
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setAlternatingRowColors(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)

    def set_preview(self, preview: Any) -> None:
        """Show ``preview`` (a TransferPreview)."""
        diff = preview.diff
        self.tree.clear()
        totals = {s: sum(c[s] for c in diff.counts().values()) for s in STATUSES}
        lines = [f"{totals['new']} new, {totals['changed']} changed, {totals['removed']} removed record(s) "
                 f"in {len(diff.subjects_touched())} patient(s)"]  # fmt: skip
        if diff.empty:
            lines = ["No changes: the study already holds this data (applying records the transfer)."]
        if diff.new_subjects:
            lines.append(f"{len(diff.new_subjects)} patient(s) new to the study.")
        if diff.absent_subjects:
            lines.append(f"{len(diff.absent_subjects)} patient(s) not in this transfer are kept as they are.")
        for sid, reason in sorted(preview.readjudication.items()):
            lines.append(f"⚠ {sid} will need re-adjudication: {words(reason)}")
        lines += [f"Note: {n}" for n in diff.skipped]
        self.summary.setText("\n".join(lines))
        for sid, kinds in diff.by_subject().items():
            all_changes = [c for items in kinds.values() for c in items]
            new_patient = sid in diff.new_subjects
            top = QTreeWidgetItem([sid + (" (new patient)" if new_patient else ""), _counts_text(all_changes), ""])
            self.tree.addTopLevelItem(top)
            nodes: list[QTreeWidgetItem] = []
            for kind, items in kinds.items():
                node = QTreeWidgetItem([KIND_LABELS[kind], _counts_text(items), ""])
                top.addChild(node)
                nodes.append(node)
                if new_patient:
                    continue  # every record of a new patient is new: the count says it
                for change in items:
                    leaf = QTreeWidgetItem([change.label, change.status, change_values(change)])
                    leaf.setForeground(1, QBrush(_STATUS_COLOURS[change.status]))
                    leaf.setToolTip(0, change.describe())
                    node.addChild(leaf)
            top.setExpanded(not new_patient)
            for node in nodes:
                node.setExpanded(True)
        for column in range(len(COLUMNS)):
            self.tree.resizeColumnToContents(column)

    def rows(self) -> list[tuple[str, ...]]:
        """Every item's texts in tree order, indented by depth (what the user reads; for tests)."""
        out: list[tuple[str, ...]] = []

        def walk(item: QTreeWidgetItem | None, depth: int) -> None:
            if item is None:  # Qt's "no item": never for an index below the count
                return
            out.append(("  " * depth + item.text(0), item.text(1), item.text(2)))
            for i in range(item.childCount()):
                walk(item.child(i), depth + 1)

        for i in range(self.tree.topLevelItemCount()):
            walk(self.tree.topLevelItem(i), 0)
        return out
