"""Per-subject review state, import findings and the per-subject view of the audit trail."""

from __future__ import annotations

from typing import Any

from hccreview.store.audit import utc_now
from hccreview.store.database import Store

REVIEW_STATES = ("not started", "in progress", "reviewed")
#: id-keyed tables whose rows belong to a subject.
_SUBJECT_ROW_TABLES = (
    "cycles",
    "adverse_events",
    "labs",
    "lesions",
    "measurements",
    "reads",
    "adjudications",
)


def review_states(store: Store) -> dict[str, str]:
    """Review state per subject (subjects never touched are absent: 'not started')."""
    return {r["subject_id"]: r["state"] for r in store.rows("review_status")}


def set_review_state(store: Store, subject_id: str, state: str, *, reason: str | None = None) -> str:
    """Set a subject's review state (audited); returns the previous state."""
    if state not in REVIEW_STATES:
        raise ValueError(f"review state must be one of {', '.join(REVIEW_STATES)}, not {state!r}")
    with store.transaction():
        rows = store.rows("review_status", "subject_id = ?", [subject_id])
        if rows:
            old = rows[0]["state"]
            store.update(
                "review_status",
                subject_id,
                {"state": state, "updated_by": store.user, "updated_at": utc_now()},
                reason=reason,
            )
            return str(old)
        store.insert(
            "review_status",
            {"subject_id": subject_id, "state": state, "updated_by": store.user, "updated_at": utc_now()},
            reason=reason,
        )
    return "not started"


def findings_for(store: Store, subject_id: str | None = None) -> list[dict[str, Any]]:
    """Import findings (warnings kept with the study), for one subject or all."""
    if subject_id is None:
        return store.rows("findings", order_by="id")
    return store.rows("findings", "subject_id = ?", [subject_id], order_by="id")


def audit_entries_for(store: Store, subject_id: str) -> list[dict[str, Any]]:
    """Audit entries about one subject: its rows and its records' rows (deleted ones too), oldest first."""
    parts = ["(row_key = :sid AND table_name IN ('subjects', 'child_pugh', 'follow_up', 'review_status'))"]
    for table in _SUBJECT_ROW_TABLES:
        parts.append(
            f"(table_name = '{table}' AND row_key IN "
            f"(SELECT CAST(id AS TEXT) FROM [{table}] WHERE subject_id = :sid))"
        )
    parts.append("(json_valid(new_value) AND json_extract(new_value, '$.subject_id') = :sid)")
    parts.append("(json_valid(old_value) AND json_extract(old_value, '$.subject_id') = :sid)")
    sql = f"SELECT * FROM audit_log WHERE {' OR '.join(parts)} ORDER BY seq"
    cur = store.conn.execute(sql, {"sid": subject_id})
    names = [d[0] for d in cur.description]
    return [dict(zip(names, v, strict=True)) for v in cur]
