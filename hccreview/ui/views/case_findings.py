"""The case view's findings tab: what the rules engine and the importer noticed about this patient.

Lesion-selection findings per reader (RECIST 1.1 §3 / §4.2, mRECIST: e.g. a third target in one organ, a
node measured by its long axis, a target below measurability) and the import findings kept with the study.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from hccreview.services.case_extra import CaseDetail
from hccreview.ui.models.case_models import FindingsModel
from hccreview.ui.views.read_only_table import TableTab


def finding_rows(detail: CaseDetail) -> list[tuple[str, str, str, str]]:
    """``(source, lesion / field, finding, severity)`` rows: rules-engine findings first, per reader."""
    case = detail.case
    rows = []
    for reader in case.readers:
        for f in case.selection_findings.get(reader, []):
            rows.append((f"rules engine · {reader}", f.lesion_id or "—", f.rule, f.severity))
    for found in case.import_findings:
        where = " · ".join(str(x) for x in (found.get("file"), f"row {found['row']}" if found.get("row") else "")
                           if x)  # fmt: skip
        field = found.get("field") or "—"
        value = f" = {found['value']!r}" if found.get("value") else ""
        rows.append((f"import · {where or found.get('kind', '')}", f"{field}{value}", found.get("message", ""),
                     str(found.get("kind", "warning"))))  # fmt: skip
    return rows


class CaseFindings(TableTab):
    """Findings table of the shown patient. Signals: none. GUI thread only."""

    model: FindingsModel

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(FindingsModel(), parent, alternating=False, stretch_column=2)
        self.table.setWordWrap(True)

    def set_detail(self, detail: CaseDetail | None) -> None:
        rows = finding_rows(detail) if detail else []
        self.model.set_rows(rows)
        self.table.resizeRowsToContents()
        self.summary.setText(
            f"{len(rows)} finding{'s' if len(rows) != 1 else ''} for this patient" if rows else "No findings."
        )
