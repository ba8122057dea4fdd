"""Offline reader exchange, the inbound half (issue 11): verify a reader package and merge it, all or nothing.

:func:`plan_merge` reads the package (:mod:`hccreview.io.reader_package`: intact SHA-256, canonical bytes) and
checks it against the open study without writing: the right study (UUID), a known, active reader, the package's
audit chain (hash-chained from the snapshot's first entry, the snapshot entry matching the manifest, every sent
row backed by an audit entry of that reader) — then plans each row as a three-way merge against the row as it
was when the snapshot was cut (its *base*):

- a new row: inserted when the study has none at that timepoint / lesion; *unchanged* when the study already holds
  the same values (re-sent); a **conflict** when the study holds other values there;
- a changed or deleted row: applied when the study still holds the base; unchanged when it already holds the
  result; a **conflict** when the study's row changed since the snapshot;
- any change to a patient whose adjudication is signed (the case is locked) is a **conflict**.

:func:`merge_reads` re-plans inside one write transaction and writes everything or nothing: conflicts are
reported one by one (:class:`MergeRefused`) and nothing of a refused package is written. A package already
merged (same SHA-256) is a no-op. A merge is audited row by row, and recorded in ``reader_packages`` with the
audit entries the package carried, after an automatic backup of the study.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hccreview.domain.access import Capability
from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.records import Role
from hccreview.io import reader_package
from hccreview.io.reader_package import PackageError, ReaderPackage
from hccreview.services.exchange import row_content
from hccreview.services.session import StudySession
from hccreview.store import Store, access
from hccreview.store import exchange as xstore
from hccreview.store.audit import GENESIS, entry_hash, utc_now
from hccreview.store.write_gate import MERGE

__all__ = ["Conflict", "MergePlan", "MergeRefused", "MergeResult", "PackageError", "merge_reads", "plan_merge"]


@dataclass(frozen=True)
class Conflict:
    """One reason a package cannot be merged: its kind, where, and a message for the user."""

    kind: str  # wrong-study | unknown-user | audit-chain | row-conflict | locked-case | unknown-patient | malformed
    message: str
    subject_id: str = ""
    table: str = ""


@dataclass(frozen=True)
class PlannedChange:
    """One row the merge writes (``op`` insert / update / delete) or finds already there (``unchanged``)."""

    table: str
    op: str
    subject_id: str
    key: dict[str, Any]
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    study_row_id: int | None = None

    def describe(self) -> str:
        """A short line for a person: the row and what happens to it."""
        where = ", ".join(str(v) for k, v in self.key.items() if k not in ("subject_id", "reader"))
        if self.op == "update" and self.old and self.new:
            diff = "; ".join(f"{k} {self.old.get(k)!r} → {v!r}" for k, v in self.new.items() if self.old.get(k) != v)
            return f"{self.table} {where}: {diff}"
        return f"{self.table} {where}: {self.op}"


@dataclass
class MergePlan:
    """What merging a package would do: the package, the planned rows, the conflicts (empty = mergeable)."""

    package: ReaderPackage
    file_name: str
    changes: list[PlannedChange] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    already_merged: dict[str, Any] | None = None

    @property
    def manifest(self) -> dict[str, Any]:
        return self.package.manifest

    @property
    def writes(self) -> list[PlannedChange]:
        return [c for c in self.changes if c.op != "unchanged"]

    @property
    def ok(self) -> bool:
        return not self.conflicts


class MergeRefused(Exception):
    """The package was refused; ``plan.conflicts`` lists why, one by one. Nothing was written."""

    def __init__(self, plan: MergePlan) -> None:
        lines = "\n".join(f"  - {c.message}" for c in plan.conflicts)
        super().__init__(f"{plan.file_name}: refused, nothing was written ({len(plan.conflicts)} problem(s)):\n{lines}")
        self.plan = plan


@dataclass(frozen=True)
class MergeResult:
    """A finished merge (or the no-op of a package merged before)."""

    plan: MergePlan
    changes: Changes
    package_id: int | None
    backup: Path | None

    @property
    def already_merged(self) -> bool:
        return self.plan.already_merged is not None


# ---------------------------------------------------------------------------------------------- checks
def _check_audit(pkg: ReaderPackage, user: str) -> list[Conflict]:
    """The package's audit chain is intact from the genesis, contains the snapshot entry named by the manifest,
    and every sent row has an audit entry by ``user`` after that entry."""
    entries = pkg.content.get("audit")
    if not isinstance(entries, list) or not entries:
        return [Conflict("audit-chain", "the package carries no audit trail")]
    prev = GENESIS
    for expected_seq, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or entry.get("seq") != expected_seq:
            return [Conflict("audit-chain", f"audit entry {expected_seq} is missing from the package's trail")]
        if entry.get("prev_hash") != prev or entry_hash(prev, entry) != entry.get("entry_hash"):
            return [Conflict("audit-chain", f"audit entry {expected_seq} of the package does not match its hash chain")]
        prev = entry["entry_hash"]
    start = None
    for entry in entries:
        if (
            entry["table_name"] == "settings"
            and entry["row_key"] == xstore.SNAPSHOT_KEY
            and entry["action"] == "create"
        ):
            value = json.loads(json.loads(entry["new_value"])["value"])
            if (value.get("snapshot_id"), value.get("content_sha256")) == (
                pkg.manifest.get("snapshot_id"), pkg.manifest.get("snapshot_sha256"),
            ):  # fmt: skip
                start = entry["seq"]
    if start is None:
        return [Conflict("audit-chain", "the package's audit trail does not start from the snapshot it names")]
    backed = {
        (e["table_name"], e["row_key"]) for e in entries[start:] if e["username"] == user
    }  # rows the reader wrote after the snapshot
    problems = []
    for table in xstore.READER_TABLES:
        for item in pkg.content.get(table, []):
            if (table, str(item.get("snapshot_row"))) not in backed:
                problems.append(Conflict(
                    "audit-chain",
                    f"{table} row {item.get('snapshot_row')} has no audit entry by {user} after the snapshot",
                ))  # fmt: skip
    return problems


def _check_header(store: Store, pkg: ReaderPackage) -> list[Conflict]:
    m = pkg.manifest
    if xstore.snapshot_info(store) is not None:
        return [Conflict("wrong-study", f"{store.path.name} is a reader snapshot: merge packages into the study")]
    identity = xstore.study_uuid(store)
    if m.get("study_uuid") != identity:
        return [
            Conflict("wrong-study", f"the package is from study {m.get('study_uuid')}, not this study ({identity})")
        ]
    user = m.get("user")
    rows = store.rows("users", "username = ?", [user])
    if not rows:
        return [Conflict("unknown-user", f"the package's reader {user!r} is not a user of this study")]
    if rows[0]["role"] != Role.READER.value or not rows[0]["active"]:
        return [Conflict("unknown-user", f"{user} is not an active reader of this study (role {rows[0]['role']})")]
    return _check_audit(pkg, str(user))


# ---------------------------------------------------------------------------------------------- planning
def _locked_subjects(store: Store) -> set[str]:
    last: dict[str, dict[str, Any]] = {}
    for row in access.adjudication_rows(store):
        last[row["subject_id"]] = row
    return {s for s, r in last.items() if r.get("status") == "signed"}


def _plan_row(
    store: Store, table: str, item: dict[str, Any], user: str, subjects: set[str]
) -> PlannedChange | Conflict:
    op, row, base = item.get("op"), item.get("row"), item.get("base")
    ref = row or base
    if op not in ("new", "changed", "deleted") or not isinstance(ref, dict):
        return Conflict("malformed", f"{table}: a malformed package row ({op!r})", table=table)
    if ref.get("reader") != user or (row is not None and row.get("reader") != user):
        return Conflict(
            "unknown-user", f"{table}: a row of reader {ref.get('reader')!r} in {user}'s package", table=table
        )
    subject = str(ref.get("subject_id"))
    cols = xstore.READER_TABLES[table]
    key = {c: ref.get(c) for c in cols}
    where = ", ".join(str(key[c]) for c in cols[2:])
    if subject not in subjects:
        return Conflict(
            "unknown-patient", f"{subject}: no such patient in this study ({table} {where})", subject, table
        )
    found = xstore.find_by_key(store, table, key)
    if len(found) > 1:
        return Conflict("row-conflict", f"{subject}: {table} {where} is ambiguous in this study", subject, table)
    current = found[0] if found else None
    now, new, before = row_content(current), row_content(row), row_content(base)
    rid = int(current["id"]) if current else None
    if now == new:
        return PlannedChange(table, "unchanged", subject, key, now, new, rid)
    if op == "new" and current is None:
        return PlannedChange(table, "insert", subject, key, None, new, None)
    if op != "new" and now == before:
        return PlannedChange(table, "update" if op == "changed" else "delete", subject, key, now, new, rid)
    what = "already holds other values" if op == "new" or current is not None else "no longer holds this row"
    return Conflict(
        "row-conflict", f"{subject}: {table} {where} — the study {what} ({_short(now)}; package: {_short(new)})",
        subject, table,
    )  # fmt: skip


def _short(content: dict[str, Any] | None) -> str:
    if content is None:
        return "absent"
    keys = ("overall", "target", "non_target", "new_lesion", "diameter_mm", "short_axis_mm", "status", "kind")
    return ", ".join(f"{k}={content[k]}" for k in keys if k in content) or "row"


def _plan(store: Store, pkg: ReaderPackage, file_name: str) -> MergePlan:
    plan = MergePlan(pkg, file_name)
    merged = xstore.package_by_sha(store, pkg.sha256)
    if merged is not None:
        plan.already_merged = merged
        return plan
    plan.conflicts = _check_header(store, pkg)
    if plan.conflicts:
        return plan
    if pkg.content.get("signatures"):  # readers have no e-signature action: never drop one silently
        plan.conflicts.append(Conflict(
            "malformed", f"the package carries {len(pkg.content['signatures'])} signature(s); reader signatures "
            "cannot be merged by this version of hccreview",
        ))  # fmt: skip
        return plan
    user = str(pkg.manifest["user"])
    subjects = {r["subject_id"] for r in store.rows("subjects")}
    locked = _locked_subjects(store)
    for table in xstore.READER_TABLES:  # parents first: lesions before their measurements
        items = pkg.content.get(table, [])
        if not isinstance(items, list):
            plan.conflicts.append(Conflict("malformed", f"{table}: malformed package content", table=table))
            continue
        for item in items:
            outcome = _plan_row(store, table, item if isinstance(item, dict) else {}, user, subjects)
            if isinstance(outcome, Conflict):
                plan.conflicts.append(outcome)
            elif outcome.op != "unchanged" and outcome.subject_id in locked:
                plan.conflicts.append(Conflict(
                    "locked-case", f"{outcome.subject_id}: the adjudication is signed, the case is locked "
                    f"({outcome.describe()})", outcome.subject_id, table,
                ))  # fmt: skip
            else:
                plan.changes.append(outcome)
    return plan


def plan_merge(session: StudySession, path: str | Path) -> MergePlan:
    """Verify a package against the open study and plan the merge; writes nothing (the preview).

    :class:`PackageError` when the file is not an intact package (damaged, altered, not a package).
    """
    path = Path(path)
    pkg = reader_package.read(path)
    return _plan(session.store, pkg, path.name)


# ---------------------------------------------------------------------------------------------- merge
def merge_reads(session: StudySession, path: str | Path) -> MergeResult:
    """Merge a reader package into the open study in one transaction (admin; the command line with ``--user``).

    :class:`MergeRefused` (nothing written) when the plan has conflicts; a package merged before is a no-op.
    """
    from hccreview.services.backups import backup_before

    session.access.require(Capability.ADMINISTER)  # merging a package is an import (DESIGN §4b)

    path = Path(path)
    pkg = reader_package.read(path)
    store = session.store
    first = _plan(store, pkg, path.name)
    if first.already_merged is not None:
        return MergeResult(first, Changes(), None, None)
    if not first.ok:
        raise MergeRefused(first)
    backup = backup_before(store, why="before-merge") if first.writes else None
    m = pkg.manifest
    reason = f"merged from {m['user']}'s reader package {pkg.sha256[:12]} (snapshot {str(m['snapshot_id'])[:8]})"
    # re-planned under the write lock (nothing changes between check and write); the rows are written under the
    # package reader's ownership, submission and lock rules (the write gate's merge scope)
    with store.transaction(), store.scope(MERGE, reader=str(m["user"])):
        plan = _plan(store, pkg, path.name)
        if not plan.ok:
            raise MergeRefused(plan)
        ordered = [c for c in plan.writes if c.op != "delete"] + [c for c in reversed(plan.writes) if c.op == "delete"]
        for change in ordered:
            if change.op == "insert":
                store.insert(change.table, dict(change.new or {}), reason=reason)
            elif change.op == "update":
                store.update(change.table, change.study_row_id, dict(change.new or {}), reason=reason)
            else:
                store.delete(change.table, change.study_row_id, reason=reason)
        counts = {t: sum(1 for c in plan.writes if c.table == t) for t in xstore.READER_TABLES}
        row = {
            "package_sha256": pkg.sha256, "study_uuid": m["study_uuid"], "snapshot_id": m["snapshot_id"],
            "username": m["user"], "exported_at": m["exported_at"], "first_change": m.get("first_change"),
            "last_change": m.get("last_change"),
            "counts": {**counts, "unchanged": len(plan.changes) - len(plan.writes)},
            "file_name": path.name, "merged_at": utc_now(), "merged_by": store.user,
        }  # fmt: skip
        note = f"merge of {m['user']}'s reader package {pkg.sha256[:12]} from {path.name}"
        package_id = xstore.record_package(store, row, pkg.content["audit"], reason=note)
    subjects = {c.subject_id for c in plan.writes}
    changes = Changes.of(*subjects, kinds={ChangeKind(t) for t in xstore.READER_TABLES}) if subjects else Changes()
    return MergeResult(plan, changes, package_id, backup)
