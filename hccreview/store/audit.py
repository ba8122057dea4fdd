"""The append-only, hash-chained audit trail (21 CFR Part 11 §11.10(e)).

Every create / change / delete of review data appends one row per changed field, written in the same
transaction as the change. Each entry stores the SHA-256 of the previous entry's hash and its own
content, so altering, removing or reordering any entry breaks the chain from that entry on.
SQLite triggers (``schema.py``) refuse UPDATE and DELETE on the table itself.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64

_CONTENT_FIELDS = (
    "seq",
    "at_utc",
    "username",
    "action",
    "table_name",
    "row_key",
    "field",
    "old_value",
    "new_value",
    "reason",
)


def utc_now() -> str:
    """The current UTC time, ISO 8601 with microseconds and offset."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def encode_value(value: Any) -> str | None:
    """A value as stored in the trail: None stays NULL, everything else canonical JSON."""
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the entry's content fields (canonical JSON)."""
    content = json.dumps([entry.get(k) for k in _CONTENT_FIELDS], ensure_ascii=False, default=str)
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def append(
    conn: sqlite3.Connection,
    *,
    username: str,
    action: str,
    table_name: str,
    row_key: str,
    field: str | None = None,
    old_value: Any = None,
    new_value: Any = None,
    reason: str | None = None,
) -> int:
    """Append one entry; the caller holds the write transaction. Returns the entry's sequence number."""
    last = conn.execute("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq = (last[0] + 1) if last else 1
    prev = last[1] if last else GENESIS
    entry = {
        "seq": seq,
        "at_utc": utc_now(),
        "username": username,
        "action": action,
        "table_name": table_name,
        "row_key": str(row_key),
        "field": field,
        "old_value": encode_value(old_value),
        "new_value": encode_value(new_value),
        "reason": reason,
    }
    entry["prev_hash"] = prev
    entry["entry_hash"] = entry_hash(prev, entry)
    cols = ", ".join(entry)
    marks = ", ".join("?" for _ in entry)
    conn.execute(f"INSERT INTO audit_log ({cols}) VALUES ({marks})", list(entry.values()))
    return seq


def last_change(
    conn: sqlite3.Connection, table_name: str, row_key: Any, fields: list[str] | None = None
) -> dict[str, Any] | None:
    """The newest audit entry about one row (optionally one of ``fields``), or None: who changed it, when, why."""
    sql = "SELECT * FROM audit_log WHERE table_name = ? AND row_key = ?"
    params: list[Any] = [table_name, str(row_key)]
    if fields:
        sql += f" AND (field IS NULL OR field IN ({', '.join('?' * len(fields))}))"
        params += list(fields)
    cur = conn.execute(sql + " ORDER BY seq DESC LIMIT 1", params)
    row = cur.fetchone()
    return None if row is None else dict(zip([d[0] for d in cur.description], row, strict=True))


@dataclass(frozen=True)
class ChainCheck:
    """Result of walking the audit chain: ``first_bad_seq`` is None when intact."""

    entries: int
    first_bad_seq: int | None
    problem: str

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


def verify_chain(conn: sqlite3.Connection) -> ChainCheck:
    """Recompute every entry's hash in sequence order and name the first entry that does not match."""
    cur = conn.execute(
        "SELECT seq, at_utc, username, action, table_name, row_key, field, old_value, new_value, reason, "
        "prev_hash, entry_hash FROM audit_log ORDER BY seq"
    )
    names = [d[0] for d in cur.description]
    prev = GENESIS
    expected_seq = 1
    n = 0
    for values in cur:
        entry = dict(zip(names, values, strict=True))
        n += 1
        seq = entry["seq"]
        if seq != expected_seq:
            return ChainCheck(n, expected_seq, f"audit entry {expected_seq} is missing (next is {seq})")
        if entry["prev_hash"] != prev:
            return ChainCheck(n, seq, f"audit entry {seq}: previous-hash link broken")
        if entry_hash(prev, entry) != entry["entry_hash"]:
            return ChainCheck(n, seq, f"audit entry {seq}: content does not match its hash (altered)")
        prev = entry["entry_hash"]
        expected_seq += 1
    # AUTOINCREMENT remembers the highest sequence ever issued: a removed tail shows up here.
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").fetchone()
    if row and row[0] >= expected_seq:
        return ChainCheck(n, expected_seq, f"audit entries {expected_seq}..{row[0]} are missing (tail removed)")
    return ChainCheck(n, None, "intact")
