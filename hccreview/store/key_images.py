"""Rows of ``key_images`` (issue 22 item 2): the slices a reader marks as key images of their read.

Writes go through :class:`~hccreview.store.database.Store` (the write gate: the reader's own, refused once that
read is submitted or the case locked; every insert and delete audited with the whole row); reads go through
:meth:`Store.rows`, so a blinded reader sees only their own (``domain.access.READ_DOCUMENT_TABLES``). The caliper
slices are key images by themselves and are never stored here (``domain.key_images``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from hccreview.store.database import Store

__all__ = ["TABLE", "delete", "find", "get", "insert", "rows_of"]

TABLE = "key_images"


def rows_of(store: Store, subject_id: str, reader: str | None = None) -> list[dict[str, Any]]:
    """The key-image rows of ``subject_id`` the signed-in user may see (one reader's, or all), in marking order."""
    if reader is None:
        return store.rows(TABLE, "subject_id = ?", [subject_id], order_by="id")
    return store.rows(TABLE, "subject_id = ? AND reader = ?", [subject_id, reader], order_by="id")


def find(store: Store, subject_id: str, reader: str, day: date, sop_instance_uid: str, frame: int = 1) -> int | None:
    """The id of the row marking that slice in that read, if there is one."""
    found = store.rows(TABLE, "subject_id = ? AND reader = ? AND date = ? AND sop_instance_uid = ? AND frame = ?",
                       [subject_id, reader, day.isoformat(), sop_instance_uid, frame])  # fmt: skip
    return int(found[0]["id"]) if found else None


def get(store: Store, key_id: int) -> dict[str, Any]:
    """One row (KeyError when absent; AccessDenied when the policy hides it)."""
    return store.get(TABLE, key_id)


def insert(
    store: Store, *, subject_id: str, reader: str, day: date, series_uid: str, sop_instance_uid: str, frame: int = 1,
    note: str = "",
) -> tuple[int, dict[str, Any]]:  # fmt: skip
    """Mark one slice; returns the new id and the row written (the gate refuses what the policy does not allow)."""
    row = {"subject_id": subject_id, "reader": reader, "date": day.isoformat(), "series_uid": series_uid,
           "sop_instance_uid": sop_instance_uid, "frame": int(frame), "note": note,
           "created_at": datetime.now(UTC).isoformat(timespec="seconds")}  # fmt: skip
    return int(store.insert(TABLE, row)), row


def delete(store: Store, key_id: int, *, reason: str) -> dict[str, Any]:
    """Unmark one slice (the row is kept whole in the audit trail with ``reason``); returns the deleted row."""
    return store.delete(TABLE, key_id, reason=reason)
