"""Who may see and change what: blinding state, the demo flag, account upkeep and reader-scoped queries.

Blinding (DESIGN §1, §4; FDA *Clinical Trial Imaging Endpoint Process Standards*, 2018): a central reader
works blinded to the other reads of the same patient — the other central reader's, the investigator's —
and to the adjudication, until the study admin unblinds the study. The state is a ``settings`` row
(key :data:`BLINDING_KEY`, absent = blinded); changing it is audited with its reason. The queries here
take the viewer and refuse with :class:`BlindingError` rather than trusting the caller to filter, so a
reader-role request for another reader's reads fails in the store as well as in the service. The policy itself
is ``domain.access`` (DESIGN §4b), held by the store as ``store.access``; this module asks it.

The demo flag (key :data:`DEMO_KEY`) marks the built-in demo study, whose documented demo accounts the
sign-in dialog may list; the demo simulator calls :func:`mark_demo`.

Sign-in events are audited (21 CFR Part 11 §11.10(e), §11.300(d): attempts at unauthorised use are
recorded); passwords are never written to the trail.
"""

from __future__ import annotations

import json
from typing import Any

from hccreview.domain.access import EVALUATOR_TABLES, READ_DOCUMENT_TABLES, AccessDenied, Capability
from hccreview.domain.passwords import check_password
from hccreview.store import audit
from hccreview.store.database import Store
from hccreview.store.users import password_columns

BLINDING_KEY = "blinding"
DEMO_KEY = "demo"
BLINDED, UNBLINDED = "blinded", "unblinded"


class BlindingError(AccessDenied):
    """A blinded reader asked for another reader's reads or for the adjudication (nothing is returned)."""


# ---------------------------------------------------------------------------------------------- flags
def _flag(store: Store, key: str) -> Any:
    rows = store.rows("settings", "key = ?", [key])
    return json.loads(rows[0]["value"]) if rows else None


def _set_flag(store: Store, key: str, value: Any, *, reason: str | None) -> None:
    encoded = json.dumps(value)
    with store.transaction():
        if store.rows("settings", "key = ?", [key]):
            store.update("settings", key, {"value": encoded}, reason=reason)
        else:
            store.insert("settings", {"key": key, "value": encoded}, reason=reason)


def is_blinded(store: Store) -> bool:
    """Whether central reads are blinded (the default until an admin unblinds)."""
    return _flag(store, BLINDING_KEY) != UNBLINDED


def set_blinded(store: Store, blinded: bool, *, reason: str) -> None:
    """Blind or unblind the study (audited with ``reason``; the caller checks the admin role)."""
    _set_flag(store, BLINDING_KEY, BLINDED if blinded else UNBLINDED, reason=reason)


def is_demo(store: Store) -> bool:
    """Whether this file is the built-in demo study (its demo accounts may be shown at sign-in)."""
    return _flag(store, DEMO_KEY) is True


def first_writer(store: Store) -> str | None:
    """The user name of the study file's first audit entry (who created it), None for an empty trail."""
    rows = store.rows("audit_log", "seq = 1")
    return str(rows[0]["username"]) if rows else None


def mark_demo(store: Store) -> None:
    """Mark the study as the built-in demo study (the demo simulator calls this once; idempotent)."""
    if not is_demo(store):
        _set_flag(store, DEMO_KEY, True, reason="built-in demo study")


# ---------------------------------------------------------------------------------------------- who sees what
# Every question here is answered by the store's access policy (``store.access``, ``domain.access.Access``),
# set at sign-in: these are its store-side entry points, not a second policy.
def check_reads_visible(store: Store, *, reader: str) -> None:
    """Raise :class:`BlindingError` unless the signed-in user may see ``reader``'s lesions, measurements and reads."""
    if not store.access.sees_evaluator(reader):
        raise BlindingError(
            f"blinded: {store.access.who} may not see the reads of {reader!r} (the study's access policy)"
        )


def check_adjudication_visible(store: Store) -> None:
    """Raise :class:`BlindingError` unless the signed-in user may see adjudications, discordance and agreement."""
    if not store.access.may(Capability.SEE_ADJUDICATION):
        raise BlindingError(
            f"blinded: {store.access.who} may not see adjudications, discordance or other reads "
            f"(the study's access policy)"
        )


def read_rows(store: Store, subject_id: str, *, reader: str) -> list[dict[str, Any]]:
    """One reader's read rows of one subject (date order), refused by the access policy as above."""
    check_reads_visible(store, reader=reader)
    return store.rows("reads", "subject_id = ? AND reader = ?", [subject_id, reader], order_by="date, id")


def subject_read_rows(store: Store, subject_id: str) -> list[dict[str, Any]]:
    """The read rows of one subject that the signed-in user may see."""
    return store.rows("reads", "subject_id = ?", [subject_id], order_by="reader, date, id")


def visible_readers(store: Store, subject_id: str) -> list[str]:
    """The readers of one subject whose reads the signed-in user may see."""
    names = [r[0] for r in store.conn.execute(
        "SELECT DISTINCT reader FROM reads WHERE subject_id = ? ORDER BY reader", [subject_id]
    )]  # fmt: skip
    return [n for n in names if store.access.sees_evaluator(n)]


def adjudication_rows(store: Store, subject_id: str | None = None) -> list[dict[str, Any]]:
    """Adjudication rows (one subject's, or all), oldest decision first; refused for a blinded reader."""
    check_adjudication_visible(store)
    order = "subject_id, decided_at IS NOT NULL, decided_at, id"
    if subject_id is None:
        return store.rows("adjudications", order_by=order)
    return store.rows("adjudications", "subject_id = ?", [subject_id], order_by=order)


def visible_audit_entries(store: Store, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The audit entries the signed-in user may see: all for those who see the whole trail; for a reader, the
    entries on what they may see (their own records, and clinical data where the charter allows it)."""
    policy = store.access
    if policy.may(Capability.SEE_ALL_AUDIT):
        return entries
    return [e for e in entries if _entry_visible(store, e)]


def _entry_visible(store: Store, entry: dict[str, Any]) -> bool:
    policy = store.access
    table = str(entry.get("table_name") or "")
    if table in EVALUATOR_TABLES or table in READ_DOCUMENT_TABLES:
        return policy.sees_evaluator(_entry_reader(store, table, entry))
    if table == "users":
        return entry.get("row_key") == policy.username
    if table in ("record_review", "review_status", "queries", "query_messages"):
        return entry.get("username") == policy.username
    return table not in ("adjudications", "adjudication_reason_codes", "readjudication_flags") and (
        table == "subjects" or policy.sees_table(table)
    )


def _entry_reader(store: Store, table: str, entry: dict[str, Any]) -> str:
    """Whose row an audit entry of an evaluator table is about (from its content, else the stored row)."""
    for key in ("new_value", "old_value"):
        try:
            content = json.loads(entry.get(key) or "null")
        except ValueError:
            content = None
        if isinstance(content, dict) and "reader" in content:
            return str(content["reader"])
    key = "sop_instance_uid" if table == "structured_reports" else "id"
    row = store.conn.execute(f"SELECT reader FROM [{table}] WHERE {key} = ?", [entry.get("row_key")]).fetchone()
    return "" if row is None else str(row[0])


# ---------------------------------------------------------------------------------------------- accounts
def set_password(store: Store, username: str, password: str, *, reason: str) -> None:
    """Replace a user's password (new salt; audited without the secret — §11.300(b) periodic revision)."""
    check_password(password)
    store.get("users", username)  # KeyError for an unknown user
    store.update("users", username, password_columns(password), reason=reason)


def set_active(store: Store, username: str, active: bool, *, reason: str) -> None:
    """Activate or deactivate an account (users are never deleted: their audit entries name them)."""
    store.update("users", username, {"active": int(active)}, reason=reason)


def active_usernames(store: Store) -> set[str]:
    """User names of the active accounts."""
    return {r["username"] for r in store.rows("users", "active = 1")}


def user_count(store: Store) -> int:
    """Number of accounts (0: the first admin has yet to be created)."""
    return store.count("users")


def log_access(store: Store, *, username: str, action: str, detail: str | None = None) -> None:
    """Append a sign-in / sign-out / refused-attempt entry to the audit trail."""
    with store.transaction():
        audit.append(store.conn, username=username, action=action, table_name="users", row_key=username, reason=detail)
