"""Review status per patient and record kind, per user: who marked a kind reviewed, and what changed since.

"Reviewed" is each user's own (issue 17 item 6): a mark (``record_review`` row, one per patient, kind and user)
belongs to the user who made it, and every read here is for one user — by default the store's (``store.user``,
the name writes are audited under; "system" when nobody signed in). reader1 marking a patient reviewed does not
mark it for reader2, and undoing reader1's mark leaves reader2's alone.

A mark keeps the audit sequence number at the moment of marking. A kind is then **changed since review** when
the audit trail holds a later create / update / delete of one of that patient's rows of that kind — from a data
transfer (written row by row, the transfer named in the reason) or from an edit in hccreview — that the user may
see and that still stands; those audit entries are what "what changed" shows. Not counted: an update that wrote
the value already there, a field that only records who / when (:data:`BOOKKEEPING_FIELDS`), an edit undone
since (the value is the one reviewed again), a row created and removed again, and what the user's access policy
hides (a blinded reader never learns that another reader's lesions, measurements or reads changed). Their own
edits after their own mark count: the value changed. No mark: **not reviewed**. Patients new to a study arrive
by bulk insert (one audit entry per table, no subject): they have no marks, so nothing is lost. Marks themselves
are audited (insert / update / delete through :class:`Store`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from hccreview.domain import record_kinds
from hccreview.domain.access import CLINICAL_SUBJECT_FIELDS, Access, Capability
from hccreview.domain.records import Role
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
_SUBJECT_KEYED = frozenset(record_kinds.tables(subject_keyed=True))
_LABEL_FIELDS = ("reader", "lesion_id", "test", "number", "seq", "term", "date")
#: Fields that record who entered or submitted a read, or what the rules engine computed from the (audited)
#: measurements: an update of these alone changes no value a reviewer looked at.
BOOKKEEPING_FIELDS = frozenset({"entered_by", "computed_overall", "submitted_at", "submitted_by"})


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


def marks(
    store: Store, subject_id: str | None = None, *, user: str | None = None
) -> dict[str, dict[str, dict[str, Any]]]:
    """``{subject: {kind: mark row}}`` of ``user``'s marks (default the store's user), one subject's or all."""
    who = store.user if user is None else user
    if subject_id is None:
        rows = store.rows("record_review", "reviewed_by = ?", [who])
    else:
        rows = store.rows("record_review", "subject_id = ? AND reviewed_by = ?", [subject_id, who])
    out: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        out[row["subject_id"]][row["kind"]] = row
    return dict(out)


def viewer_access(store: Store, user: str | None = None) -> Access:
    """What ``user`` (default the store's user) may see, for "changed since review": their role from ``users``
    and the study's blinding and charter settings. A name without an account ("system", a script's user) sees
    every change, as the unsigned system context does."""
    who = store.user if user is None else user
    found = store.conn.execute("SELECT role FROM users WHERE username = ?", [who]).fetchone()
    if found is None:
        return Access.system()
    keys = ("blinding", "readers_see_clinical_data")
    cur = store.conn.execute(f"SELECT key, value FROM settings WHERE key IN ({', '.join('?' * len(keys))})", keys)
    settings = {k: json.loads(v) for k, v in cur}
    return Access(
        who,
        Role(found[0]),
        blinded=settings.get("blinding") != "unblinded",
        readers_see_clinical_data=bool(settings.get("readers_see_clinical_data")),
    )


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


def changes_since(
    store: Store, since: dict[str, int], *, access: Access | None = None
) -> dict[tuple[str, str], list[str]]:
    """Audited changes after each patient's marks: ``since`` maps ``"subject|kind"`` to the mark's sequence
    number; returns ``{(subject, kind): [line, ...]}`` for the kinds with later changes (oldest first).

    Only changes ``access`` (default: the store's user, :func:`viewer_access`) may see, and only those that
    still stand (see the module docstring)."""
    if not since:
        return {}
    access = viewer_access(store) if access is None else access
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
                current = dict(zip(cols, values, strict=True))
                rows[(table, str(current["id"]))] = current
    found: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for e in entries:
        row = rows.get((e["table_name"], e["row_key"]))
        sid = e["row_key"] if e["table_name"] in _SUBJECT_KEYED else (row or {}).get("subject_id")
        if sid not in subjects:
            continue
        kind = TABLE_KIND[e["table_name"]]
        mark = since.get(f"{sid}|{kind}")
        if mark is not None and e["seq"] > mark and _counts(e, row, access):
            found[(sid, kind)].append(e)
    out: dict[tuple[str, str], list[str]] = {}
    for key, changed in found.items():
        standing = _standing(changed)
        if standing:
            out[key] = [_describe(e, rows.get((e["table_name"], e["row_key"]))) for e in standing]
    return out


def _counts(entry: dict[str, Any], row: dict[str, Any] | None, access: Access) -> bool:
    """Whether one audit entry is a change of a value ``access`` may see (a blinded reader's view leaves out other
    readers' rows, so it does not learn they changed)."""
    table = entry["table_name"]
    if not access.row_visible(table, row or {}):
        return False
    if entry["action"] != "update":
        return True
    field = entry["field"]
    if field in BOOKKEEPING_FIELDS:
        return False
    if table == "subjects" and field in CLINICAL_SUBJECT_FIELDS and not access.may(Capability.SEE_CLINICAL):
        return False
    return not _same(entry["old_value"], entry["new_value"])


def _same(old: str | None, new: str | None) -> bool:
    """Whether two audited values (canonical JSON) are the same value (``40`` and ``40.0`` are)."""
    if old == new:
        return True
    try:
        return bool(json.loads(old or "null") == json.loads(new or "null"))
    except ValueError:
        return False


def _standing(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries (one patient's kind, oldest first) whose change still stands: a field edited and then set back
    to the value it had at the mark (an undo, a re-recorded read) or a row created and removed again since the
    mark leaves nothing to review again."""
    by_row: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for e in entries:
        by_row[(e["table_name"], e["row_key"])].append(e)
    kept: list[dict[str, Any]] = []
    for group in by_row.values():
        actions = [e["action"] for e in group]
        if "create" in actions or "delete" in actions:
            if not (actions[0] == "create" and actions[-1] == "delete"):
                kept += group
            continue
        by_field: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for e in group:
            by_field[e["field"]].append(e)
        for edits in by_field.values():
            if not _same(edits[0]["old_value"], edits[-1]["new_value"]):
                kept += edits
    return sorted(kept, key=lambda e: e["seq"])


def _chunks(items: list[str], size: int = 500) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def kind_states(
    store: Store, subject_id: str | None = None, *, user: str | None = None
) -> dict[str, dict[str, KindState]]:
    """``{subject: {kind: KindState}}`` of ``user`` (default the store's user) for the patients they marked at
    least once (others: all not reviewed); "changed since" counts only what that user may see."""
    who = store.user if user is None else user
    found = marks(store, subject_id, user=who)
    since = {f"{sid}|{kind}": int(row["reviewed_seq"]) for sid, kinds in found.items() for kind, row in kinds.items()}
    changed = changes_since(store, since, access=viewer_access(store, who))
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


def states_of(store: Store, subject_id: str, *, user: str | None = None) -> dict[str, KindState]:
    """One patient's kinds for ``user`` (default the store's user; every kind of :data:`REVIEW_KINDS`)."""
    found = kind_states(store, subject_id, user=user).get(subject_id)
    return found or {k: KindState(k, NOT_REVIEWED) for k in REVIEW_KINDS}


def set_marks(store: Store, subject_id: str, kinds: tuple[str, ...], *, reason: str | None = None) -> None:
    """Mark ``kinds`` of a patient reviewed now, by the store's user (audited; replaces that user's older marks,
    never another user's)."""
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
    """Put the store's user's marks of a patient back as in ``snapshot`` (``{kind: row}``; absent kinds unmarked)
    — for undo. Other users' marks are never touched; a snapshot of another user's marks is refused."""
    foreign = {str(row["reviewed_by"]) for row in snapshot.values()} - {store.user}
    if foreign:
        raise PermissionError(f"{store.user} may not restore the review marks of {', '.join(sorted(foreign))}")
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
