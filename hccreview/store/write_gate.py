"""The one write gate: every insert, update and delete of the store passes here before it is written.

DESIGN §4b, writes: imported source records are read-only for everybody; a user changes only their own lesions,
measurements and reads; a submitted read is read-only to its reader, and so are their measurements of that date
(none is added there either); a signed adjudication locks every read and measurement of the case for everybody
until an audited, reasoned re-open; a change to a value that already existed needs a reason (ICH E6(R3) §4.2;
21 CFR Part 11 §11.10(e)); undo, revert, second windows, reader-package merges and data transfers pass the same
gate. Tables the gate does not know are refused (default deny).

:func:`check` reads the rows it decides on through the raw connection (the policy's row filter hides other
readers' rows from a reader, but the gate must see them to say *why* a write is refused). It raises
:class:`~hccreview.domain.access.AccessDenied`; the caller's transaction then rolls back, so nothing is written.

Scopes widen the gate for one operation. :data:`BUILD`: the unsigned system context building a new study (the
demo simulator writes its records, then its accounts), entered only while the study has no account. For an
admin: :data:`TRANSFER` (an import or data transfer writes source records; a locked case keeps its lock for
review data, and the transfer flags it for re-adjudication instead) and :data:`MERGE` (a reader package writes
the rows of the reader named in the package, under that reader's ownership, submission and lock rules).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hccreview.domain.access import (
    DECISION_TABLES,
    EVALUATOR_TABLES,
    READ_DOCUMENT_TABLES,
    SOURCE_TABLES,
    Access,
    AccessDenied,
    Capability,
    CaseLocked,
)

TRANSFER = "transfer"
MERGE = "merge"
BUILD = "build"  # the system context building a new study: only entered while the study has no accounts

#: Fields that record who / when / what the rules engine said: changing them is bookkeeping, not a change of value.
BOOKKEEPING_FIELDS = frozenset({
    "entered_by", "computed_overall", "override_reason", "submitted_at", "submitted_by", "decided_at",
    "reopened_at", "reopened_by", "reopened_reason", "signature_id", "signed", "status", "accepted",
})  # fmt: skip
#: Tables of review data whose existing values need a reason to change (the others keep their own reasons).
REASONED_TABLES = EVALUATOR_TABLES | frozenset({"adjudications", "adjudication_reason_codes"})
#: Bookkeeping tables every signed-in user with the capability may write; the owning service checks the detail.
_CAPABILITY_TABLES: Mapping[str, Capability] = {
    "queries": Capability.WRITE_QUERIES,
    "query_messages": Capability.WRITE_QUERIES,
    "record_review": Capability.MARK_REVIEWED,
    "review_status": Capability.MARK_REVIEWED,
    "users": Capability.ADMINISTER,
    "settings": Capability.ADMINISTER,
    "transfers": Capability.ADMINISTER,
    "reader_packages": Capability.ADMINISTER,
    "reader_package_audit": Capability.ADMINISTER,
    "snapshot_base": Capability.ADMINISTER,
    "signature_supersessions": Capability.REOPEN,
    "image_series": Capability.ADMINISTER,  # registering images is an import (DESIGN §4b: imports are the admin's)
    "image_instances": Capability.ADMINISTER,
}


@dataclass(frozen=True)
class Scope:
    """An operation that widens the gate for its duration: a data transfer, or a merge for ``reader``."""

    kind: str
    reader: str | None = None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _one(conn: sqlite3.Connection, sql: str, params: list[Any]) -> Any:
    row = conn.execute(sql, params).fetchone()
    return None if row is None else row[0]


def has_accounts(conn: sqlite3.Connection) -> bool:
    """Whether the study has any user account (then every write must name a signed-in person)."""
    return bool(_one(conn, "SELECT EXISTS (SELECT 1 FROM users)", []))


def is_locked(conn: sqlite3.Connection, subject_id: str) -> bool:
    """Whether the subject's current adjudication is signed (the case is locked for everybody)."""
    rows = conn.execute(
        "SELECT status FROM adjudications WHERE subject_id = ? ORDER BY decided_at IS NOT NULL, decided_at, id",
        [subject_id],
    ).fetchall()
    status = rows[-1][0] if rows else None
    return status == "signed"


def _submitted(conn: sqlite3.Connection, table: str, row: Mapping[str, Any]) -> bool:
    """Whether ``row`` (a read, or a measurement at a date) belongs to a timepoint its reader has submitted."""
    if table == "reads":
        return not _blank(row.get("submitted_at"))
    if table == "measurements":
        return is_submitted(conn, str(row.get("subject_id")), str(row.get("reader")), str(row.get("date")))
    return False


def is_submitted(conn: sqlite3.Connection, subject_id: str, reader: str, day: str) -> bool:
    """Whether ``reader`` has submitted their read of ``subject_id`` at ``day`` (ISO date): the timepoint is final."""
    return bool(_one(
        conn, "SELECT EXISTS (SELECT 1 FROM reads WHERE subject_id = ? AND reader = ? AND date = ? "
              "AND submitted_at IS NOT NULL)", [subject_id, reader, day],
    ))  # fmt: skip


def locked_refusal(access: Access, what: str, subject_id: str) -> CaseLocked:
    """The refusal of ``what`` (e.g. "insert lesions of S") on a case whose adjudication is signed: a blinded
    reader learns no more than "closed" (services that check first raise the gate's own words)."""
    if not access.may(Capability.SEE_ADJUDICATION):
        return CaseLocked(f"{what}: the review of {subject_id} is closed (locked); nothing was written")
    return CaseLocked(
        f"{what}: the adjudication of {subject_id} is signed; the case is locked for everybody "
        f"until an adjudicator or admin re-opens it with a reason"
    )


def submitted_refusal(what: str, owner: str) -> AccessDenied:
    """The refusal of ``what`` at a timepoint ``owner`` has submitted (final for its reader)."""
    return AccessDenied(f"{what}: {owner} has submitted this timepoint read; it is read-only")


def _delivered(table: str, row: Mapping[str, Any]) -> bool:
    """Whether an evaluator row came with a data delivery (what a transfer may change). A read entered in
    hccreview carries who entered it (``entered_by``) or is an adjudicator's; lesions and measurements carry no
    such mark, and the transfer only plans those its delivery holds (``services.transfer_diff``)."""
    if table == "reads":
        return not row.get("entered_by") and row.get("role") != "adjudicator"
    return True


def _is_source_evaluator(conn: sqlite3.Connection, row: Mapping[str, Any]) -> bool:
    """Whether an evaluator row is imported source data (the investigator's, or any evaluator not a user)."""
    if row.get("role") == "investigator":
        return True
    return not _one(conn, "SELECT EXISTS (SELECT 1 FROM users WHERE username = ?)", [row.get("reader")])


def enter(conn: sqlite3.Connection, access: Access, scope: Scope) -> None:
    """Refuse entering ``scope`` when the user may not run that operation."""
    if scope.kind == BUILD:
        if not access.is_system or has_accounts(conn):
            raise AccessDenied("only a new study without accounts is built by the system context")
    elif not access.is_system:
        access.require(Capability.ADMINISTER)


def check(
    conn: sqlite3.Connection,
    access: Access,
    scope: Scope | None,
    op: str,
    table: str,
    *,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    reason: str | None,
) -> None:
    """Refuse (:class:`AccessDenied`) a write the policy does not allow. ``op``: insert / update / delete;
    ``old`` the stored row (update, delete), ``new`` the row or the changed fields (insert, update)."""
    row: dict[str, Any] = {**(old or {}), **(new or {})}
    what = f"{op} {table}" + (f" of {row['subject_id']}" if row.get("subject_id") else "")
    if access.is_system:
        if (scope is None or scope.kind != BUILD) and has_accounts(conn):
            raise AccessDenied(f"{what}: this study has user accounts; sign in (command line: --user) to change it")
        return
    if scope is not None and scope.kind == TRANSFER:
        access.require(Capability.ADMINISTER)
        if table in SOURCE_TABLES or table in {"transfers", "readjudication_flags", "settings"}:
            return
        if table in EVALUATOR_TABLES and _delivered(table, row):
            return
        raise AccessDenied(f"{what}: a data transfer never changes review data entered in hccreview")
    if table in SOURCE_TABLES:
        raise AccessDenied(
            f"{what}: imported source records are read-only in hccreview; open a query instead "
            f"(the correction arrives in the next data transfer)"
        )
    if table in EVALUATOR_TABLES:
        _check_evaluator(conn, access, scope, op, table, row, old, what)
    elif table in READ_DOCUMENT_TABLES:
        _check_read_document(conn, access, scope, op, table, row, what)
    elif table in DECISION_TABLES:
        _check_decision(conn, access, op, table, row, new, what)
    elif table in _CAPABILITY_TABLES:
        _check_capability(access, scope, table, old, new, what)
    else:
        raise AccessDenied(f"{what}: not a table the review tool writes (default deny)")
    _check_reason(table, op, old, new, reason, what)


def _check_evaluator(
    conn: sqlite3.Connection,
    access: Access,
    scope: Scope | None,
    op: str,
    table: str,
    row: Mapping[str, Any],
    old: Mapping[str, Any] | None,
    what: str,
) -> None:
    owner = str(row.get("reader", ""))
    if old is not None and old.get("reader") != row.get("reader"):
        raise AccessDenied(f"{what}: a row's evaluator cannot be changed")
    if scope is not None and scope.kind == MERGE:
        access.require(Capability.ADMINISTER)
        acting = scope.reader
    else:
        access.require(Capability.READ)
        acting = access.username
    if owner != acting:
        kind = "the investigator's" if _is_source_evaluator(conn, row) else f"{owner}'s"
        raise AccessDenied(f"{what}: {acting} may not change {kind} {table}; only their own")
    if row.get("subject_id") and is_locked(conn, str(row["subject_id"])):
        raise locked_refusal(access, what, str(row["subject_id"]))
    # the stored row; for a new measurement the row itself (no row is added to a submitted timepoint either)
    stored = old if old is not None else row if op == "insert" and table == "measurements" else None
    if stored is not None and _submitted(conn, table, stored):
        raise submitted_refusal(what, owner)


def _check_read_document(
    conn: sqlite3.Connection,
    access: Access,
    scope: Scope | None,
    op: str,
    table: str,
    row: Mapping[str, Any],
    what: str,
) -> None:
    """A key image or a DICOM document of a read: its reader's own, on an unlocked case. A key image is part of the
    read (added or removed until the reader submits it); a document is written once the read is submitted (at
    submission: the read it records is final) and never changed (the schema's triggers refuse it too)."""
    if scope is not None and scope.kind == MERGE:
        access.require(Capability.ADMINISTER)
        acting = scope.reader
    else:
        access.require(Capability.READ)
        acting = access.username
    owner = str(row.get("reader", ""))
    if owner != acting:
        raise AccessDenied(f"{what}: {acting} may not change {owner}'s {table.replace('_', ' ')}; only their own")
    subject, day = str(row.get("subject_id", "")), str(row.get("date", ""))
    if subject and is_locked(conn, subject):
        raise locked_refusal(access, what, subject)
    submitted = is_submitted(conn, subject, owner, day)
    if table == "key_images" and submitted:
        raise submitted_refusal(what, owner)
    if table == "structured_reports":
        if op != "insert":
            raise AccessDenied(f"{what}: a DICOM document hccreview wrote is immutable; amend the read instead")
        if not submitted:
            raise AccessDenied(f"{what}: a read's DICOM documents are written when its reader submits it")


def _check_decision(
    conn: sqlite3.Connection,
    access: Access,
    op: str,
    table: str,
    row: Mapping[str, Any],
    new: Mapping[str, Any] | None,
    what: str,
) -> None:
    reopening = table == "adjudications" and op == "update" and (new or {}).get("status") == "reopened"
    if reopening:
        access.require(Capability.REOPEN)
        return
    access.require(Capability.DECIDE)
    if table == "adjudications" and op == "insert" and is_locked(conn, str(row.get("subject_id"))):
        raise AccessDenied(f"{what}: the current decision is signed; re-open it (with a reason) first")


def _check_capability(
    access: Access, scope: Scope | None, table: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None,
    what: str,
) -> None:  # fmt: skip
    own = table == "users" and old is not None and old.get("username") == access.username
    if own and new is not None and set(new) <= {"password_hash", "salt", "kdf"}:
        return  # a user changes their own password
    if scope is not None and scope.kind == MERGE and table in {"reader_packages", "reader_package_audit"}:
        access.require(Capability.ADMINISTER)
        return
    access.require(_CAPABILITY_TABLES[table])


def _check_reason(
    table: str, op: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, reason: str | None, what: str
) -> None:
    if table not in REASONED_TABLES or not _blank(reason):
        return
    if op == "delete":
        raise AccessDenied(f"{what}: removing recorded review data needs a reason (audited)")
    if op == "update" and old is not None:
        changed = [f for f, v in (new or {}).items() if f not in BOOKKEEPING_FIELDS and not _blank(old.get(f))
                   and old.get(f) != v]  # fmt: skip
        if changed:
            raise AccessDenied(
                f"{what}: changing an existing value ({', '.join(changed)}) needs a reason for the change (audited)"
            )
