"""Rows of data transfers: the ``transfers`` listing, the study's source rows to compare, re-adjudication flags.

A transfer's writes go through :meth:`Store.insert` / :meth:`Store.update` / :meth:`Store.delete` (one audit
entry per row and field, with the transfer named in the reason) — or :meth:`Store.bulk_insert` for the records
of patients new to the study — inside the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from hccreview.domain import record_kinds
from hccreview.store.audit import utc_now
from hccreview.store.database import Store

#: Delete order: the source kinds children first (subjects are never deleted by a transfer).
DELETE_ORDER: tuple[str, ...] = tuple(t for t in reversed(record_kinds.tables(source=True)) if t != "subjects")


def source_rows(store: Store, kinds: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """The study's stored rows of each kind (with their ids), for comparison with a transfer."""
    out: dict[str, list[dict[str, Any]]] = {}
    for kind in kinds:
        cur = store.conn.execute(f"SELECT * FROM [{kind}] ORDER BY rowid")
        names = [d[0] for d in cur.description]
        out[kind] = [dict(zip(names, values, strict=True)) for values in cur]
    return out


def add_transfer(
    store: Store,
    *,
    source: str,
    fmt: str,
    files: list[dict[str, Any]],
    counts: Mapping[str, Mapping[str, int]],
    subjects: Mapping[str, Any],
    created_study: bool,
    backup: str = "",
) -> int:
    """Record one transfer (audited as a ``create`` of a ``transfers`` row); returns its id."""
    row = {
        "at_utc": utc_now(),
        "username": store.user,
        "source": source,
        "format": fmt,
        "files": json.dumps(files, sort_keys=True),
        "counts": json.dumps(counts, sort_keys=True),
        "subjects": json.dumps(subjects, sort_keys=True),
        "created_study": int(created_study),
        "backup": backup,
    }
    return int(store.insert("transfers", row, reason=f"data transfer from {source}"))


def list_transfers(store: Store) -> list[dict[str, Any]]:
    """Every transfer, oldest first, with ``files`` / ``counts`` / ``subjects`` decoded."""
    out = []
    for row in store.rows("transfers", order_by="id"):
        item = dict(row)
        for name in ("files", "counts", "subjects"):
            item[name] = json.loads(item[name] or "null")
        item["created_study"] = bool(item["created_study"])
        out.append(item)
    return out


def next_transfer_number(store: Store) -> int:
    return int(store.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM transfers").fetchone()[0])


# ---------------------------------------------------------------------------------------------- re-adjudication
def signed_decisions(store: Store) -> dict[str, dict[str, Any]]:
    """Per subject, the decision in force when it is signed (the latest row, status 'signed')."""
    latest: dict[str, dict[str, Any]] = {}
    for row in store.rows("adjudications", order_by="id"):
        latest[row["subject_id"]] = row
    return {sid: row for sid, row in latest.items() if row.get("status") == "signed"}


def flag_readjudication(store: Store, *, subject_id: str, adjudication_id: int, transfer_id: int, reason: str) -> int:
    """Mark a signed case "needs re-adjudication" (audited)."""
    row = {
        "subject_id": subject_id,
        "adjudication_id": adjudication_id,
        "transfer_id": transfer_id,
        "reason": reason,
        "flagged_at": utc_now(),
        "cleared_at": None,
        "cleared_by": "",
    }
    return int(store.insert("readjudication_flags", row, reason=reason))


def open_flags(store: Store, subject_id: str | None = None) -> list[dict[str, Any]]:
    """Flags not yet cleared (one subject's, or all), oldest first."""
    if subject_id is None:
        return store.rows("readjudication_flags", "cleared_at IS NULL", order_by="id")
    return store.rows("readjudication_flags", "cleared_at IS NULL AND subject_id = ?", [subject_id], order_by="id")


def clear_flags(store: Store, subject_id: str, *, reason: str) -> int:
    """Clear a subject's open flags (a new decision was signed); audited; returns how many."""
    rows = open_flags(store, subject_id)
    with store.transaction():
        for row in rows:
            store.update("readjudication_flags", row["id"], {"cleared_at": utc_now(), "cleared_by": store.user},
                         reason=reason)  # fmt: skip
    return len(rows)
