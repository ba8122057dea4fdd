"""Review status per patient and record kind: who marked a kind reviewed, and what changed since.

A mark (``record_review`` row) keeps the audit sequence number at the moment of marking. A kind is then
**changed since review** when the audit trail holds a later create / update / delete of one of that patient's
rows of that kind — from a data transfer (written row by row, the transfer named in the reason) or from an
edit in hccreview — and those audit entries are what "what changed" shows. No mark: **not reviewed**.
Patients new to a study arrive by bulk insert (one audit entry per table, no subject): they have no marks,
so nothing is lost. Marks themselves are audited (insert / update / delete through :class:`Store`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from hccreview.store.audit import utc_now
from hccreview.store.database import Store

REVIEW_KINDS: tuple[str, ...] = ("baseline", "cycles", "adverse_events", "assessments")
KIND_TITLES = {
    "baseline": "Baseline & follow-up",
    "cycles": "Cycles",
    "adverse_events": "Adverse events",
    "assessments": "Assessments",
}
#: The data tables each review kind covers.
KIND_TABLES: dict[str, tuple[str, ...]] = {
    "baseline": ("subjects", "child_pugh", "labs", "follow_up"),
    "cycles": ("cycles",),
    "adverse_events": ("adverse_events",),
    "assessments": ("lesions", "measurements", "reads"),
}
TABLE_KIND = {table: kind for kind, tables in KIND_TABLES.items() for table in tables}
NOT_REVIEWED, REVIEWED, CHANGED = "not reviewed", "reviewed", "changed since review"
_SUBJECT_KEYED = {"subjects", "child_pugh", "follow_up"}
_LABEL_FIELDS = ("reader", "lesion_id", "test", "number", "seq", "term", "date")


@dataclass(frozen=True)
class KindState:
    """One record kind of one patient: its state, who marked it reviewed and when, and what changed since."""

    kind: str
    state: str
    reviewed_by: str = ""
    reviewed_at: str = ""
    changes: tuple[str, ...] = field(default_factory=tuple)


def max_seq(store: Store) -> int:
    return int(store.conn.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()[0])


def marks(store: Store, subject_id: str | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """``{subject: {kind: mark row}}`` (one subject's, or all)."""
    rows = (
        store.rows("record_review")
        if subject_id is None
        else store.rows("record_review", "subject_id = ?", [subject_id])
    )
    out: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        out[row["subject_id"]][row["kind"]] = row
    return dict(out)


def _label(table: str, row: dict[str, Any] | None, key: str) -> str:
    if not row:
        return f"{table} {key}"
    parts = [str(row[f]) for f in _LABEL_FIELDS if row.get(f) not in (None, "")]
    return f"{table} {' '.join(parts)}".strip()


def _describe(entry: dict[str, Any], row: dict[str, Any] | None) -> str:
    action, table = entry["action"], entry["table_name"]
    what = _label(table, row, entry["row_key"])
    if action == "update":
        old, new = json.loads(entry["old_value"] or "null"), json.loads(entry["new_value"] or "null")
        text = f"changed {what}: {entry['field']} {'—' if old is None else old} → {'—' if new is None else new}"
    else:
        text = f"{'new' if action == 'create' else 'removed'} {what}"
    why = f"; {entry['reason']}" if entry.get("reason") else ""
    return f"{text} ({entry['username']}, {str(entry['at_utc'])[:16]}{why})"


def changes_since(store: Store, since: dict[str, int]) -> dict[tuple[str, str], list[str]]:
    """Audited changes after each patient's marks: ``since`` maps ``"subject|kind"`` to the mark's sequence
    number; returns ``{(subject, kind): [line, ...]}`` for the kinds with later changes (oldest first)."""
    if not since:
        return {}
    start = min(since.values())
    tables = sorted(TABLE_KIND)
    marks_of = {tuple(k.split("|", 1)) for k in since}
    subjects = {s for s, _ in marks_of}
    sql = (
        "SELECT seq, at_utc, username, action, table_name, row_key, field, old_value, new_value, reason "
        f"FROM audit_log WHERE seq > ? AND action IN ('create', 'update', 'delete') "
        f"AND table_name IN ({', '.join('?' * len(tables))}) ORDER BY seq"
    )
    cur = store.conn.execute(sql, [start, *tables])
    names = [d[0] for d in cur.description]
    entries = [dict(zip(names, v, strict=True)) for v in cur]
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for e in entries:  # rows as created or deleted (for subjects and labels)
        value = e["new_value"] if e["action"] == "create" else e["old_value"] if e["action"] == "delete" else None
        if value:
            rows.setdefault((e["table_name"], e["row_key"]), json.loads(value))
    missing = defaultdict(set)
    for e in entries:
        if (e["table_name"], e["row_key"]) not in rows and e["table_name"] not in _SUBJECT_KEYED:
            missing[e["table_name"]].add(e["row_key"])
    for table, keys in missing.items():
        for part in _chunks(sorted(keys)):
            cur = store.conn.execute(
                f"SELECT * FROM [{table}] WHERE CAST(id AS TEXT) IN ({', '.join('?' * len(part))})", part
            )
            cols = [d[0] for d in cur.description]
            for values in cur:
                row = dict(zip(cols, values, strict=True))
                rows[(table, str(row["id"]))] = row
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for e in entries:
        row = rows.get((e["table_name"], e["row_key"]))
        sid = e["row_key"] if e["table_name"] in _SUBJECT_KEYED else (row or {}).get("subject_id")
        if sid not in subjects:
            continue
        kind = TABLE_KIND[e["table_name"]]
        mark = since.get(f"{sid}|{kind}")
        if mark is not None and e["seq"] > mark:
            out[(sid, kind)].append(_describe(e, row))
    return dict(out)


def _chunks(items: list[str], size: int = 500) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def kind_states(store: Store, subject_id: str | None = None) -> dict[str, dict[str, KindState]]:
    """``{subject: {kind: KindState}}`` for the patients with at least one mark (others: all not reviewed)."""
    found = marks(store, subject_id)
    since = {f"{sid}|{kind}": int(row["reviewed_seq"]) for sid, kinds in found.items() for kind, row in kinds.items()}
    changed = changes_since(store, since)
    out: dict[str, dict[str, KindState]] = {}
    for sid, kinds in found.items():
        states = {}
        for kind in REVIEW_KINDS:
            row = kinds.get(kind)
            if row is None:
                states[kind] = KindState(kind, NOT_REVIEWED)
                continue
            lines = tuple(changed.get((sid, kind), ()))
            states[kind] = KindState(
                kind, CHANGED if lines else REVIEWED, row["reviewed_by"], row["reviewed_at"], lines
            )
        out[sid] = states
    return out


def states_of(store: Store, subject_id: str) -> dict[str, KindState]:
    """One patient's kinds (every kind of :data:`REVIEW_KINDS`)."""
    return kind_states(store, subject_id).get(subject_id) or {k: KindState(k, NOT_REVIEWED) for k in REVIEW_KINDS}


def set_marks(store: Store, subject_id: str, kinds: tuple[str, ...], *, reason: str | None = None) -> None:
    """Mark ``kinds`` of a patient reviewed now, by the store's user (audited; replaces older marks)."""
    unknown = set(kinds) - set(REVIEW_KINDS)
    if unknown:
        raise ValueError(f"unknown record kind(s) {', '.join(sorted(unknown))} (use {', '.join(REVIEW_KINDS)})")
    with store.transaction():
        seq = max_seq(store)
        current = marks(store, subject_id).get(subject_id, {})
        values = {"reviewed_by": store.user, "reviewed_at": utc_now(), "reviewed_seq": seq}
        for kind in kinds:
            if kind in current:
                store.update("record_review", current[kind]["id"], values, reason=reason)
            else:
                store.insert("record_review", {"subject_id": subject_id, "kind": kind, **values}, reason=reason)


def restore_marks(store: Store, subject_id: str, snapshot: dict[str, dict[str, Any]], *, reason: str | None) -> None:
    """Put a patient's marks back as in ``snapshot`` (``{kind: row}``; absent kinds unmarked) — for undo."""
    with store.transaction():
        current = marks(store, subject_id).get(subject_id, {})
        for kind, row in current.items():
            if kind not in snapshot:
                store.delete("record_review", row["id"], reason=reason)
        for kind, row in snapshot.items():
            values = {k: row[k] for k in ("reviewed_by", "reviewed_at", "reviewed_seq")}
            if kind in current:
                store.update("record_review", current[kind]["id"], values, reason=reason)
            else:
                store.insert("record_review", {"subject_id": subject_id, "kind": kind, **values}, reason=reason)
