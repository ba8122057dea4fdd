"""Offline reader exchange, the outbound half (issue 11): reader snapshots and reader packages.

Reader workstations are offline. The adjudication site cuts a **snapshot** for one reader — a study file
holding only what that reader may see under blinding (DESIGN §1; FDA *Clinical Trial Imaging Endpoint Process
Standards*, 2018: a central reader is blind to the other reads and to the adjudication): the patients' data,
the reader's own lesions, measurements and reads, the reader's own account — no other reader's reads or
measurements, no investigator reads, no adjudications, no other accounts. The snapshot carries the study's
UUID and the SHA-256 of its content, and keeps the reader's rows as cut (``snapshot_base``).

On the reader's workstation, :func:`export_reads` writes a **reader package** (:mod:`hccreview.io.reader_package`):
the reader's rows that changed since the snapshot (each with its base), the reader's signatures, the
snapshot's whole audit trail (hash-chained from its first entry), a manifest and a SHA-256 of it all.
:mod:`hccreview.services.exchange_merge` verifies and merges packages at the adjudication site.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hccreview import __version__
from hccreview.domain.access import Capability
from hccreview.domain.records import Role
from hccreview.io import reader_package
from hccreview.services.session import StudySession
from hccreview.store import Store
from hccreview.store import exchange as xstore
from hccreview.store.audit import utc_now
from hccreview.store.write_gate import BUILD

__all__ = ["ExchangeError", "PackageResult", "SnapshotResult", "export_reads", "export_snapshot", "row_content"]

#: Columns that are not the reader's content: the row id differs between files; ``accepted`` is the
#: adjudication's mark (never sent to a reader, never taken from one).
IGNORED_COLUMNS = frozenset({"id", "accepted"})


class ExchangeError(Exception):
    """A snapshot or package cannot be written; nothing was written. The message is for the user."""


@dataclass(frozen=True)
class SnapshotResult:
    """A written snapshot: where, for whom, its id and content hash, and how many rows of each table."""

    path: Path
    reader: str
    snapshot_id: str
    study_uuid: str
    content_sha256: str
    counts: dict[str, int]


@dataclass(frozen=True)
class PackageResult:
    """A written reader package: where, its SHA-256 and its manifest."""

    path: Path
    sha256: str
    manifest: dict[str, Any]


def row_content(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """A row's content as compared across study files (without :data:`IGNORED_COLUMNS`)."""
    return None if row is None else {k: v for k, v in row.items() if k not in IGNORED_COLUMNS}


# ---------------------------------------------------------------------------------------------- snapshot
def export_snapshot(session: StudySession, *, reader: str, out: str | Path) -> SnapshotResult:
    """Write a snapshot of the open study for ``reader`` to ``out`` (a new file); admin only (signed in).

    :class:`ExchangeError` (nothing written) when ``out`` exists, the reader is unknown, inactive or not a
    reader, or the open study is itself a snapshot.
    """
    store, out = session.store, Path(out)
    if xstore.snapshot_info(store) is not None:
        raise ExchangeError(f"{store.path.name} is a reader snapshot: cut snapshots from the adjudication study")
    session.access.require(Capability.ADMINISTER)  # cutting a study file for an outside reader: study management
    if out.exists():
        raise ExchangeError(f"{out}: a file already exists there; choose another name")
    try:
        account = store.get("users", reader)
    except KeyError:
        raise ExchangeError(f"no user {reader!r} in {store.path.name}") from None
    if account["role"] != Role.READER.value or not account["active"]:
        raise ExchangeError(f"{reader} is not an active reader of {store.path.name} (role {account['role']})")
    identity, snapshot_id = xstore.study_uuid(store), str(uuid.uuid4())
    tables: list[tuple[str, list[dict[str, Any]]]] = []
    policy = store.access_for(reader, Role.READER)  # the snapshot holds what the reader may see (DESIGN §4b)
    with store.transaction():  # one consistent read of the study
        for table in xstore.SHARED_TABLES:
            rows = [policy.scrub_subject_row(r) if table == "subjects" else r
                    for r in xstore.table_rows(store, table) if policy.row_visible(table, r)]  # fmt: skip
            tables.append((table, rows))
        for table in xstore.READER_TABLES:
            rows = [r for r in xstore.table_rows(store, table, reader=reader) if policy.row_visible(table, r)]
            if table == "reads":
                rows = [{**r, "accepted": 0} for r in rows]
            tables.append((table, rows))
        settings, source_head = store.settings(), _audit_head(store)
    timepoints = {item.subject_id: [d.isoformat() for d in item.timepoints] for item in _worklist(session, reader)}
    content_sha = xstore.rows_digest(tables)
    note = f"reader snapshot {snapshot_id} of {store.path.name} for {reader}"
    try:
        with Store.create(out, settings, user=session.user) as snap, snap.scope(BUILD), snap.transaction():
            xstore.set_study_uuid(snap, identity, reason=note)
            snap.bulk_insert("users", [account], note=f"{note}: the reader's own account")
            for table, rows in tables:
                snap.bulk_insert(table, rows, note=note)
                if table in xstore.READER_TABLES:
                    xstore.write_base(snap, table, rows)
            info = {
                "snapshot_id": snapshot_id, "study_uuid": identity, "reader": reader, "created_at": utc_now(),
                "created_by": session.user, "source_file": store.path.name, "source_audit_head": source_head,
                "content_sha256": content_sha, "timepoints": timepoints,
            }  # fmt: skip
            xstore.set_snapshot_info(snap, info, reason=note)
    except BaseException:
        out.unlink(missing_ok=True)
        for extra in (out.with_name(out.name + "-wal"), out.with_name(out.name + "-shm")):
            extra.unlink(missing_ok=True)
        raise
    counts = {table: len(rows) for table, rows in tables}
    return SnapshotResult(out, reader, snapshot_id, identity, content_sha, counts)


def _worklist(session: StudySession, reader: str) -> list[Any]:
    """The reader's worklist in the study: its timepoint *dates* travel (no results), so that the offline
    worklist lists every scan to read even where the reader has measured nothing yet."""
    from hccreview.services.reading import reader_worklist

    return reader_worklist(session, reader=reader)


def _audit_head(store: Store) -> str | None:
    entries = xstore.audit_entries(store)
    return entries[-1]["entry_hash"] if entries else None


# ---------------------------------------------------------------------------------------------- package
def _changes(store: Store, table: str, reader: str) -> list[dict[str, Any]]:
    """The reader's rows of ``table`` that differ from the snapshot's base: new, changed or deleted."""
    base = xstore.base_rows(store, table)
    current = {int(r["id"]): r for r in xstore.table_rows(store, table, reader=reader)}
    out = []
    for row_id, row in current.items():
        before = base.get(row_id)
        if before is None:
            out.append({"op": "new", "snapshot_row": row_id, "row": row, "base": None})
        elif row_content(row) != row_content(before):
            out.append({"op": "changed", "snapshot_row": row_id, "row": row, "base": before})
    for row_id, before in base.items():
        if row_id not in current:
            out.append({"op": "deleted", "snapshot_row": row_id, "row": None, "base": before})
    return out


def export_reads(session: StudySession, *, user: str, out: str | Path) -> PackageResult:
    """Write ``user``'s reader package from the open snapshot to ``out``; returns its SHA-256 and manifest.

    Only on a reader snapshot made for ``user``; a signed-in user may export only their own reads.
    """
    store, out = session.store, Path(out)
    info = xstore.snapshot_info(store)
    if info is None:
        raise ExchangeError(
            f"{store.path.name} is not a reader snapshot: export reads from the snapshot the reader was given"
        )
    if info["reader"] != user:
        raise ExchangeError(f"{store.path.name} is {info['reader']}'s snapshot, not {user}'s")
    if session.signed_in is not None and session.signed_in.username != user:
        raise PermissionError(f"{session.signed_in.username} may export only their own reads")
    with store.transaction():
        changes = {table: _changes(store, table, user) for table in xstore.READER_TABLES}
        signatures = store.rows("signatures", "username = ?", [user], order_by="id")
        entries = xstore.audit_entries(store)
        account = store.get("users", user)
    touched = [e["at_utc"] for e in entries if e["table_name"] in xstore.READER_TABLES and e["username"] == user]
    subjects = sorted({(c["row"] or c["base"])["subject_id"] for rows in changes.values() for c in rows})
    manifest = {
        "study_uuid": info["study_uuid"], "snapshot_id": info["snapshot_id"],
        "snapshot_sha256": info["content_sha256"], "user": user, "full_name": account["full_name"],
        "exported_at": utc_now(), "first_change": min(touched, default=None), "last_change": max(touched, default=None),
        "counts": {**{t: len(c) for t, c in changes.items()}, "signatures": len(signatures),
                   "audit_entries": len(entries)},
        "subjects": subjects, "hccreview_version": __version__,
    }  # fmt: skip
    content = {**changes, "signatures": signatures, "audit": entries}
    if out.exists():
        raise ExchangeError(f"{out}: a file already exists there; choose another name")
    sha = reader_package.write(out, manifest, content)
    return PackageResult(out, sha, manifest)
