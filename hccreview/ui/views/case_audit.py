"""The case view's audit-trail tab: every recorded change to this patient's data, newest first.

21 CFR Part 11 §11.10(e): who, when (UTC), what, the old and the new value and the reason. Read-only; the
trail is reloaded with the case after every edit (the case view's reload reads both in one job).
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from hccreview.services.case_extra import CaseDetail
from hccreview.ui.models.case_models import AuditModel
from hccreview.ui.views.read_only_table import TableTab


def record_labels(detail: CaseDetail) -> dict[tuple[str, str], str]:
    """Readable names of this patient's rows: measurements by lesion and date, reads, AEs by term."""
    case = detail.case
    labels: dict[tuple[str, str], str] = {}
    for ms in case.measurements.values():
        for mid, m in ms:
            labels[("measurements", str(mid))] = f"{m.lesion_id} {m.date.isoformat()} ({m.reader})"
    for reads in case.reads.values():
        for rid, r in reads:
            labels[("reads", str(rid))] = f"{r.reader} {r.date.isoformat()}"
    for aid, ae in case.adverse_events:
        labels[("adverse_events", str(aid))] = f"{ae.term} (#{ae.seq})"
    return labels


class CaseAudit(TableTab):
    """Audit trail of the shown patient. Signals: none. GUI thread only."""

    model: AuditModel

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(AuditModel(), parent)

    def set_detail(self, detail: CaseDetail | None) -> None:
        entries = detail.audit if detail else []
        self.model.set_entries(entries, record_labels(detail) if detail else {})
        n = len(entries)
        self.summary.setText(f"{n} audit entr{'ies' if n != 1 else 'y'} for this patient (newest first, times in UTC)")
