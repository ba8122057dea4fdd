"""Store side of the offline reader exchange (issue 11): study identity, snapshot bookkeeping, merged packages.

- Every study file has a ``study_uuid`` (settings; schema v4). A reader snapshot carries its study's UUID and a
  ``snapshot`` settings entry (snapshot id, the reader, when, the content hash), plus ``snapshot_base``: the
  reader's own rows as they were when the snapshot was cut.
- ``reader_packages`` lists the packages merged into a study (one audited row each) and
  ``reader_package_audit`` keeps the audit entries each package carried, verbatim.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date
from typing import Any

from hccreview.domain.record_kinds import RECORD_KINDS
from hccreview.store.database import Store

#: The reader-owned tables a snapshot sends back (the per-evaluator kinds, parents first), with the columns that
#: identify a row across study files (the kind's natural key).
READER_TABLES: dict[str, tuple[str, ...]] = {k.table: k.natural_key for k in RECORD_KINDS if k.per_evaluator}
#: Study tables a snapshot copies whole (what any reader sees of the patients: the source kinds no evaluator owns).
SHARED_TABLES: tuple[str, ...] = tuple(k.table for k in RECORD_KINDS if k.source and not k.per_evaluator)
SNAPSHOT_KEY = "snapshot"
UUID_KEY = "study_uuid"


def _setting(store: Store, key: str) -> Any:
    rows = store.rows("settings", "key = ?", [key])
    return json.loads(rows[0]["value"]) if rows else None


def study_uuid(store: Store) -> str:
    """The study's identity (shared by its snapshots)."""
    value = _setting(store, UUID_KEY)
    if not value:
        raise ValueError(f"{store.path.name}: the study has no study_uuid (open it once with this version)")
    return str(value)


def set_study_uuid(store: Store, value: str, *, reason: str) -> None:
    """Give a new snapshot file its study's identity (audited)."""
    store.update("settings", UUID_KEY, {"value": json.dumps(value)}, reason=reason)


def snapshot_info(store: Store) -> dict[str, Any] | None:
    """The snapshot entry of a reader snapshot (None for a study file that is not one)."""
    value = _setting(store, SNAPSHOT_KEY)
    return value if isinstance(value, dict) else None


def snapshot_timepoints(store: Store) -> dict[str, set[date]]:
    """In a reader snapshot, the timepoint dates to read per patient as cut from the study (else empty)."""
    info = snapshot_info(store) or {}
    return {sid: {date.fromisoformat(d) for d in days} for sid, days in (info.get("timepoints") or {}).items()}


def set_snapshot_info(store: Store, info: dict[str, Any], *, reason: str) -> None:
    """Mark the file as a reader snapshot (audited)."""
    store.insert("settings", {"key": SNAPSHOT_KEY, "value": json.dumps(info, sort_keys=True)}, reason=reason)


def table_rows(store: Store, table: str, *, reader: str | None = None) -> list[dict[str, Any]]:
    """Every row of ``table`` (only ``reader``'s for the reader tables when given), in id order."""
    if reader is not None and table in READER_TABLES:
        return store.rows(table, "reader = ?", [reader], order_by="rowid")
    return store.rows(table, order_by="rowid")


def rows_digest(tables: Iterable[tuple[str, list[dict[str, Any]]]]) -> str:
    """SHA-256 over the canonical JSON of named row lists (a snapshot's content hash)."""
    h = hashlib.sha256()
    for name, rows in tables:
        h.update(json.dumps([name, rows], sort_keys=True, separators=(",", ":"), default=str).encode("utf-8"))
    return h.hexdigest()


def write_base(store: Store, table: str, rows: list[dict[str, Any]]) -> None:
    """Keep ``rows`` (id-keyed) as the snapshot's base of ``table`` (inside the snapshot's creating transaction)."""
    store.conn.executemany(
        "INSERT INTO snapshot_base (table_name, row_id, content) VALUES (?, ?, ?)",
        [(table, int(r["id"]), json.dumps(r, sort_keys=True)) for r in rows],
    )


def base_rows(store: Store, table: str) -> dict[int, dict[str, Any]]:
    """The snapshot's base rows of ``table`` by id."""
    cur = store.conn.execute("SELECT row_id, content FROM snapshot_base WHERE table_name = ?", [table])
    return {int(row_id): json.loads(content) for row_id, content in cur}


def audit_entries(store: Store) -> list[dict[str, Any]]:
    """The whole audit trail as dicts, in sequence order."""
    cur = store.conn.execute("SELECT * FROM audit_log ORDER BY seq")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]


def find_by_key(store: Store, table: str, key: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of a reader table whose identifying columns equal ``key``."""
    cols = READER_TABLES[table]
    where = " AND ".join(f"[{c}] = ?" for c in cols)
    return store.rows(table, where, [key[c] for c in cols], order_by="rowid")


def merged_packages(store: Store) -> list[dict[str, Any]]:
    """The reader packages merged into this study, oldest first (``counts`` decoded)."""
    out = []
    for row in store.rows("reader_packages", order_by="merged_at, id"):
        out.append({**row, "counts": json.loads(row["counts"])})
    return out


def package_by_sha(store: Store, sha256: str) -> dict[str, Any] | None:
    """The merged package with this SHA-256, if any."""
    rows = store.rows("reader_packages", "package_sha256 = ?", [sha256])
    return rows[0] if rows else None


def record_package(store: Store, row: dict[str, Any], entries: list[dict[str, Any]], *, reason: str) -> int:
    """Record a merged package (audited insert) and keep the audit entries it carried; returns its id."""
    with store.transaction():
        package_id = int(store.insert("reader_packages", {**row, "counts": json.dumps(row["counts"])}, reason=reason))
        store.conn.executemany(
            "INSERT INTO reader_package_audit (package_id, seq, entry) VALUES (?, ?, ?)",
            [(package_id, int(e["seq"]), json.dumps(e, sort_keys=True)) for e in entries],
        )
    return package_id


def package_audit(store: Store, package_id: int) -> list[dict[str, Any]]:
    """The audit entries a merged package carried, in sequence order."""
    cur = store.conn.execute("SELECT entry FROM reader_package_audit WHERE package_id = ? ORDER BY seq", [package_id])
    return [json.loads(e) for (e,) in cur]


def verify_package_chains(store: Store) -> list[str]:
    """Problems with the audit entries kept from merged packages (each must still be an intact hash chain)."""
    from hccreview.store.audit import GENESIS, entry_hash

    problems = []
    for package in store.rows("reader_packages", order_by="id"):
        prev = GENESIS
        for expected, entry in enumerate(package_audit(store, int(package["id"])), start=1):
            if (
                entry.get("seq") != expected
                or entry.get("prev_hash") != prev
                or entry_hash(prev, entry) != entry.get("entry_hash")
            ):
                problems.append(
                    f"package {package['file_name']} ({package['username']}): audit entry {expected} broken"
                )
                break
            prev = entry["entry_hash"]
    return problems
