"""Per-subject review state (per user), import findings and the per-subject view of the audit trail.

The stored state (``review_status``: not started / in progress / reviewed) is what each reviewer set for
themselves — one row per patient and user (issue 17 item 6: "reviewed" is per user). The state shown
(:func:`review_states`) is the signed-in user's (``store.user``), and "changed since review" while any record kind
of the patient changed, as that user sees it, after they marked it reviewed (:mod:`hccreview.store.record_review`).
Marking a patient reviewed marks every record kind for that user; setting it back to "not started" removes that
user's kind marks (so the two levels never disagree). Other users' states and marks are never written here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hccreview.domain import record_kinds
from hccreview.store.audit import utc_now
from hccreview.store.database import Store
from hccreview.store.record_review import REVIEW_KINDS, kind_states, marks, set_marks

#: The states a reviewer sets.
SETTABLE_STATES = ("not started", "in progress", "reviewed")
CHANGED_STATE = "changed since review"
#: Every state a patient can show (the navigator's filter offers them all).
REVIEW_STATES = (*SETTABLE_STATES, CHANGED_STATE)
#: id-keyed tables whose rows belong to a subject: the id-keyed record kinds and the review tables.
_SUBJECT_ROW_TABLES = (*record_kinds.tables(subject_keyed=False), "queries", "record_review", "readjudication_flags")
#: Tables keyed by the subject id: an audit entry's row key names the subject.
_SUBJECT_KEY_TABLES = (*record_kinds.tables(subject_keyed=True), "review_status")


def stored_states(store: Store, subject_id: str | None = None, *, user: str | None = None) -> dict[str, str]:
    """The state ``user`` (default the store's user) set, per subject (never set: absent); one subject's or all."""
    who = store.user if user is None else user
    if subject_id is None:
        rows = store.rows("review_status", "username = ?", [who])
    else:
        rows = store.rows("review_status", "subject_id = ? AND username = ?", [subject_id, who])
    return {r["subject_id"]: r["state"] for r in rows}


def review_states(store: Store, *, user: str | None = None) -> dict[str, str]:
    """Review state shown per subject to ``user`` (default the store's user; subjects never touched are absent:
    'not started'); a patient with a record kind changed since they marked it reviewed shows "changed since
    review"."""
    states = stored_states(store, user=user)
    for sid, kinds in kind_states(store, user=user).items():
        if any(k.state == CHANGED_STATE for k in kinds.values()):
            states[sid] = CHANGED_STATE
    return states


def set_review_state(store: Store, subject_id: str, state: str, *, reason: str | None = None) -> str:
    """Set the store's user's review state of a subject (audited); returns their previous stored state.

    "reviewed" also marks every record kind reviewed now; "not started" removes the user's kind marks.
    """
    if state not in SETTABLE_STATES:
        raise ValueError(f"review state must be one of {', '.join(SETTABLE_STATES)}, not {state!r}")
    with store.transaction():
        if state == "reviewed":
            set_marks(store, subject_id, REVIEW_KINDS, reason=reason)
        elif state == "not started":
            for row in marks(store, subject_id).get(subject_id, {}).values():
                store.delete("record_review", row["id"], reason=reason)
        return write_state(store, subject_id, state, reason=reason)


def write_state(store: Store, subject_id: str, state: str, *, reason: str | None = None) -> str:
    """Write the store's user's stored patient state only (audited); returns their previous one ('not started'
    when none). Keyed by (subject, user): another user's state is left as it is."""
    with store.transaction():
        rows = store.rows("review_status", "subject_id = ? AND username = ?", [subject_id, store.user])
        values = {"state": state, "updated_by": store.user, "updated_at": utc_now()}
        if rows:
            store.update("review_status", (subject_id, store.user), values, reason=reason)
            return str(rows[0]["state"])
        store.insert("review_status", {"subject_id": subject_id, "username": store.user, **values}, reason=reason)
    return "not started"


def findings_for(store: Store, subject_id: str | None = None) -> list[dict[str, Any]]:
    """Import findings (warnings kept with the study), for one subject or all."""
    if subject_id is None:
        return store.rows("findings", order_by="id")
    return store.rows("findings", "subject_id = ?", [subject_id], order_by="id")


def audit_entries_for(store: Store, subject_id: str) -> list[dict[str, Any]]:
    """Audit entries about one subject: its rows and its records' rows (deleted ones too), oldest first."""
    keyed = ", ".join(f"'{table}'" for table in _SUBJECT_KEY_TABLES)
    parts = [f"(row_key = :sid AND table_name IN ({keyed}))"]
    # a per-user state row is updated by its key (subject, user): the entry's row_key is that pair
    parts.append("(table_name = 'review_status' AND substr(row_key, 1, length(:pair)) = :pair)")
    for table in _SUBJECT_ROW_TABLES:
        parts.append(
            f"(table_name = '{table}' AND row_key IN (SELECT CAST(id AS TEXT) FROM [{table}] WHERE subject_id = :sid))"
        )
    parts.append(
        "(table_name = 'query_messages' AND row_key IN (SELECT CAST(m.id AS TEXT) FROM query_messages m"
        " JOIN queries q ON q.id = m.query_id WHERE q.subject_id = :sid))"
    )
    parts.append(
        "(table_name = 'adjudication_reason_codes' AND row_key IN (SELECT CAST(c.adjudication_id AS TEXT)"
        " FROM adjudication_reason_codes c JOIN adjudications a ON a.id = c.adjudication_id WHERE a.subject_id = :sid))"
    )
    parts.append("(json_valid(new_value) AND json_extract(new_value, '$.subject_id') = :sid)")
    parts.append("(json_valid(old_value) AND json_extract(old_value, '$.subject_id') = :sid)")
    sql = f"SELECT * FROM audit_log WHERE {' OR '.join(parts)} ORDER BY seq"
    cur = store.conn.execute(sql, {"sid": subject_id, "pair": _pair_prefix(subject_id)})
    names = [d[0] for d in cur.description]
    return [dict(zip(names, v, strict=True)) for v in cur]


def _pair_prefix(subject_id: str) -> str:
    """How an audit entry's row_key of a ``review_status`` row starts: the store writes a compound key as the
    text of its (subject, user) tuple."""
    return str((subject_id, ""))[: -len("'')")]


def scan_dates(store: Store) -> list[tuple[str, date]]:
    """Every assessed timepoint after each patient's baseline scan, as (subject, date): dates only, of any
    evaluator — what the access policy lets every reader see (DESIGN §4b: "scan dates"), read past its row filter
    because no value, response or evaluator name leaves this function."""
    rows = store.conn.execute(
        """SELECT subject_id, date FROM reads
           UNION SELECT m.subject_id, m.date FROM measurements m
           WHERE m.date > (SELECT min(b.date) FROM measurements b WHERE b.subject_id = m.subject_id)"""
    )
    return [(str(sid), date.fromisoformat(str(day))) for sid, day in rows]
