"""Electronic signatures (21 CFR Part 11 §11.50, §11.70, §11.200) over one row of a study table.

A signature is executed by re-entering the password (§11.200(a)(1): both components, user id and password,
the id being the signed-in user's). It records the signer's user name and printed name, the UTC time and
the meaning of the signature (§11.50(a)), and the SHA-256 of the signed record's canonical JSON (§11.70:
the signature is linked to its record, so a later change of the record's content is detectable and the
signature cannot be copied onto another record). The signature row and its audit entry are written in one
transaction; a wrong password writes nothing.

Lifecycle columns that record the signing itself (an adjudication's ``status``, ``signed``, ``signature_id``
and re-opening fields) are not part of the signed content: they change *because of* the signature.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hccreview.store import audit
from hccreview.store.audit import utc_now
from hccreview.store.database import Store, key_column
from hccreview.store.users import authenticate

#: Columns of a table that are bookkeeping of the signature / re-opening, excluded from the signed content.
LIFECYCLE_COLUMNS: dict[str, frozenset[str]] = {
    "adjudications": frozenset({"status", "signed", "signature_id", "reopened_reason", "reopened_by", "reopened_at"}),
}


def canonical_json(store: Store, table: str, record_id: Any) -> str:
    """The signed content of one row: every column but the lifecycle ones, as sorted compact JSON."""
    row = store.get(table, record_id)
    skip = LIFECYCLE_COLUMNS.get(table, frozenset())
    content = {k: v for k, v in row.items() if k not in skip}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def record_hash(store: Store, table: str, record_id: Any) -> str:
    """SHA-256 (hex) of :func:`canonical_json` — what a signature links to (§11.70)."""
    return hashlib.sha256(canonical_json(store, table, record_id).encode("utf-8")).hexdigest()


def sign(
    store: Store, *, username: str, password: str, meaning: str, record_table: str, record_id: Any
) -> dict[str, Any]:
    """Re-authenticate ``username`` and sign one record; returns the signature row (with its ``id``).

    Raises :class:`~hccreview.store.users.AuthError` for a wrong password (nothing written), ValueError for
    an empty meaning and KeyError when the record does not exist.
    """
    if not meaning.strip():
        raise ValueError("a signature needs its meaning (21 CFR Part 11 §11.50(a)(3))")
    user = authenticate(store, username, password)
    with store.transaction():
        digest = record_hash(store, record_table, record_id)  # KeyError when the record is absent
        row: dict[str, Any] = {
            "username": user.username,
            "full_name": user.full_name,
            "signed_at": utc_now(),
            "meaning": meaning.strip(),
            "record_table": record_table,
            "record_id": str(record_id),
            "record_hash": digest,
        }
        store.db.table("signatures").insert(row)
        row["id"] = int(store.conn.execute("SELECT last_insert_rowid()").fetchone()[0])
        audit.append(
            store.conn,
            username=user.username,
            action="sign",
            table_name="signatures",
            row_key=str(row["id"]),
            new_value=row,
            reason=row["meaning"],
        )
    return row


def signatures_for(store: Store, table: str, record_id: Any) -> list[dict[str, Any]]:
    """Every signature of one record, oldest first (re-opened records keep their earlier signatures)."""
    return store.rows(
        "signatures", "record_table = ? AND record_id = ?", [table, str(record_id)], order_by="signed_at, id"
    )


def get_signature(store: Store, signature_id: int) -> dict[str, Any]:
    """One signature row by id (KeyError when absent)."""
    return store.get("signatures", signature_id)


def signature_valid(store: Store, signature: dict[str, Any]) -> bool:
    """Whether the signed record still has the content it had when signed (its hash still matches)."""
    table, key = signature["record_table"], signature["record_id"]
    if key_column(table) == "id":
        key = int(key)
    try:
        return record_hash(store, table, key) == signature["record_hash"]
    except KeyError:
        return False


def supersede(store: Store, signature_id: int, *, reason: str) -> None:
    """Mark a signature superseded (its decision was re-opened): the signature row itself never changes."""
    store.insert("signature_supersessions", {"signature_id": signature_id, "superseded_at": utc_now(),
                                             "superseded_by": store.user, "reason": reason}, reason=reason)  # fmt: skip


def superseded(store: Store) -> dict[int, dict[str, Any]]:
    """Superseded signatures by id: when, by whom and why (``verify`` reports this history)."""
    rows = store.conn.execute("SELECT signature_id, superseded_at, superseded_by, reason FROM signature_supersessions")
    return {int(r[0]): {"at": r[1], "by": r[2], "reason": r[3]} for r in rows}


def signature_history(store: Store) -> list[str]:
    """One line per superseded signature: who signed what, and who re-opened it when and why."""
    gone = superseded(store)
    lines = []
    signed = store.conn.execute("SELECT id, username, record_table, record_id, signed_at FROM signatures ORDER BY id")
    for sig in signed:
        if int(sig[0]) in gone:
            info = gone[int(sig[0])]
            lines.append(f"signature {sig[0]} by {sig[1]} on {sig[2]} {sig[3]} ({sig[4]}) superseded: re-opened by "
                         f"{info['by']} at {info['at']} ({info['reason']})")  # fmt: skip
    return lines


def verify_signatures(store: Store) -> list[str]:
    """Problems found: each signature whose record is gone or changed since signing (empty when all hold)."""
    problems = []
    for sig in store.rows("signatures", order_by="id"):
        if not signature_valid(store, sig):
            problems.append(
                f"signature {sig['id']} by {sig['username']} ({sig['meaning']}) on {sig['record_table']} "
                f"{sig['record_id']}: the record changed or is gone since it was signed"
            )
    return problems
