"""The DICOM documents of submitted reads (schema 7, table ``structured_reports``): stored, listed, checked.

A document (a TID 1500 SR or a Key Object Selection) is inserted once through :meth:`Store.insert` (the write gate
lets only the read's own reader insert it, once the read is submitted; the triggers refuse any change), and its
audit entry keeps its SHA-256 but not its bytes. :func:`document_digests` gives ``verify`` the three SHA-256 of
each document: of its bytes, of its row and of its audit entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hccreview.store.audit import utc_now
from hccreview.store.database import Store

__all__ = [
    "TABLE",
    "DocumentDigest",
    "document_bytes",
    "document_digests",
    "document_rows",
    "has_documents_table",
    "insert_document",
    "sha256_of",
]

TABLE = "structured_reports"
#: The columns of a listing (everything but the document's bytes).
_LISTED = ("sop_instance_uid", "kind", "subject_id", "reader", "date", "visit", "series_uid", "predecessor_uid",
           "sha256", "size", "created_at")  # fmt: skip


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def has_documents_table(store: Store) -> bool:
    """Whether the study file has the table (schema 7 on; ``verify`` opens older files without migrating)."""
    found = store.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [TABLE]).fetchone()
    return found is not None


def insert_document(
    store: Store, row: Mapping[str, Any], document: bytes, *, reason: str | None = None
) -> str:  # fmt: skip
    """Store one document of a read (``row``: sop_instance_uid, kind, subject_id, reader, date, visit,
    series_uid, predecessor_uid); its SHA-256, size and creation time are computed here. Returns its SOP
    Instance UID. Refused by the write gate (nothing written) unless the signed-in reader has submitted that read."""
    values = {**row, "sha256": sha256_of(document), "size": len(document), "document": document,
              "created_at": utc_now()}  # fmt: skip
    return str(store.insert(TABLE, values, reason=reason))


def document_rows(
    store: Store, *, subject_id: str | None = None, reader: str | None = None, day: str | None = None,
    kind: str | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """The documents the signed-in user may see (without their bytes), oldest first, optionally of one subject,
    reader, date (ISO) and kind ('SR' / 'KOS')."""
    if not has_documents_table(store):
        return []
    clauses, params = [], []
    for column, value in (("subject_id", subject_id), ("reader", reader), ("date", day), ("kind", kind)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    rows = store.rows(TABLE, " AND ".join(clauses) or None, params, order_by="created_at, rowid")
    return [{k: r[k] for k in _LISTED} for r in rows]


def document_bytes(store: Store, sop_instance_uid: str) -> bytes:
    """A stored document's bytes (KeyError when absent; AccessDenied when the policy hides it)."""
    return bytes(store.get(TABLE, sop_instance_uid)["document"])


@dataclass(frozen=True)
class DocumentDigest:
    """The SHA-256 of one stored document as its bytes, its row and its audit entry have it ('' when absent)."""

    sop_instance_uid: str
    kind: str
    actual: str
    row: str
    audit: str


def document_digests(store: Store) -> list[DocumentDigest]:
    """Every stored document's three SHA-256 (the raw table and trail: ``verify`` runs in the system context; a
    document altered into text is read as its bytes)."""
    if not has_documents_table(store):
        return []
    audited: dict[str, str] = {}
    trail = store.conn.execute(
        "SELECT row_key, new_value FROM audit_log WHERE table_name = ? AND action = 'create' ORDER BY seq", [TABLE]
    )
    for key, value in trail:
        content = json.loads(value or "null")
        if isinstance(content, dict):
            audited[str(key)] = str(content.get("sha256") or "")
    out = []
    for uid, kind, digest, document in store.conn.execute(
        f"SELECT sop_instance_uid, kind, sha256, CAST(document AS BLOB) FROM {TABLE} ORDER BY created_at, rowid"
    ):
        out.append(DocumentDigest(str(uid), str(kind), sha256_of(bytes(document)), str(digest),
                                  audited.get(str(uid), "")))  # fmt: skip
    return out
