"""Data transfers into an existing study: preview what changes, then apply it in one audited transaction.

A new delivery of a study under review (SDTM or CSV bundle) is compared with the study's source data
(:mod:`hccreview.services.transfer_diff`: new / changed / removed per patient and record kind) before anything
is written. :func:`preview_transfer` only reads. :func:`apply_transfer` — after an online backup — writes the
changes in ONE transaction: records of patients new to the study by bulk insert, every other record row by row
through ``Store.insert`` / ``update`` / ``delete`` (each audited, the reason naming the transfer), the
``transfers`` row (time, user, source, SHA-256 of every source file, counts per kind), and the import warnings of
the delivered patients (replacing the previous delivery's). If the study changed between the preview and the
write, :class:`TransferStale` is raised and nothing is written.

Review data is never overwritten or deleted: reads entered in hccreview, adjudications, comments, review marks.
A transfer that removes or changes a read, lesion or measurement of a patient whose adjudication is signed —
the evidence the decision relied on (DESIGN §4 "Adjudication") — marks the case "needs re-adjudication"
with the reason (``readjudication_flags``); the flag clears when a new decision is signed. Record kinds that
change after a patient was marked reviewed show "changed since review" (:mod:`hccreview.store.record_review`).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hccreview.domain.changes import ChangeKind, Changes
from hccreview.io.validation import ImportProblem, ParsedImport
from hccreview.services import importing
from hccreview.services.backups import backup_before
from hccreview.services.transfer_diff import KINDS, NATURAL_KEYS, RecordChange, TransferDiff, diff_transfer
from hccreview.store import Store
from hccreview.store.rows import to_row
from hccreview.store.transfers import (
    DELETE_ORDER,
    add_transfer,
    flag_readjudication,
    list_transfers,
    signed_decisions,
    source_rows,
)
from hccreview.store.users import User
from hccreview.store.write_gate import TRANSFER

__all__ = ["TransferPreview", "TransferStale", "apply_transfer", "file_hashes", "list_transfers", "preview_transfer"]

Progress = Callable[[float, str], None]
EVIDENCE_KINDS = ("reads", "lesions", "measurements")
_REASON_ITEMS = 5


class TransferStale(RuntimeError):
    """The study changed between the preview and the write; nothing was written (preview again)."""


@dataclass
class TransferPreview:
    """What a transfer would do to a study, computed without writing: the diff, the signed cases it would send
    back to adjudication (subject → reason), the source files with their SHA-256, warnings and notes."""

    study: str
    source: str
    fmt: str
    files: list[dict[str, Any]]
    diff: TransferDiff
    readjudication: dict[str, str]
    warnings: list[ImportProblem]
    notes: list[str]
    parsed: ParsedImport = field(repr=False)
    seconds: float = 0.0

    def lines(self, *, per_record: bool = True) -> list[str]:
        """The preview for a person: totals per kind, then per patient and kind (with old → new values)."""
        counts = self.diff.counts()
        out = [f"transfer from {self.source} ({self.fmt}, {len(self.files)} file(s)) into {self.study}"]
        total = {s: sum(c[s] for c in counts.values()) for s in ("new", "changed", "removed")}
        out.append(f"  {total['new']} new, {total['changed']} changed, {total['removed']} removed record(s)")
        for kind in KINDS:
            c = counts[kind]
            if any(c.values()):
                out.append(f"    {kind}: {c['new']} new, {c['changed']} changed, {c['removed']} removed")
        if self.diff.new_subjects:
            out.append(f"  {len(self.diff.new_subjects)} patient(s) new to the study")
        if self.diff.absent_subjects:
            out.append(
                f"  {len(self.diff.absent_subjects)} patient(s) of the study not in this transfer (kept as they are)"
            )
        if self.diff.empty:
            out.append("  no changes: the study already holds this data")
        out += ["  " + line for line in self.diff.lines(per_record=per_record)]
        for sid, reason in sorted(self.readjudication.items()):
            out.append(f"  needs re-adjudication: {sid} — {reason}")
        out += [f"  note: {n}" for n in self.diff.skipped]
        return out


def file_hashes(source: Path) -> list[dict[str, Any]]:
    """Name, size and SHA-256 of every file of the source folder (sorted by name)."""
    out = []
    for path in sorted(p for p in source.iterdir() if p.is_file()):
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        out.append({"name": path.name, "bytes": path.stat().st_size, "sha256": digest.hexdigest()})
    return out


def incoming_rows(parsed: ParsedImport) -> dict[str, list[dict[str, Any]]]:
    """The parsed records as rows per kind (only the kinds the delivery carries)."""
    return {k: [to_row(x) for x in parsed.records[k] or []] for k in KINDS if k in parsed.records}


def compute_diff(store: Store, parsed: ParsedImport) -> TransferDiff:
    """The diff of a parsed delivery against the study as it is now."""
    incoming = incoming_rows(parsed)
    current = source_rows(store, incoming)
    subjects = [r["subject_id"] for r in store.rows("subjects")]
    if "reads" not in current:
        current["reads"] = source_rows(store, ["reads"])["reads"]  # review reads are needed to skip collisions
    return diff_transfer(current, incoming, study_subjects=subjects)


def readjudication_reasons(store: Store, diff: TransferDiff, label: str) -> dict[str, str]:
    """Signed cases whose reads, lesions or measurements the diff removes or changes: subject → reason."""
    signed = signed_decisions(store)
    hits: dict[str, list[RecordChange]] = {}
    for c in diff.changes:
        if c.subject_id in signed and c.kind in EVIDENCE_KINDS and c.status in ("changed", "removed"):
            hits.setdefault(c.subject_id, []).append(c)
    out = {}
    for sid, items in hits.items():
        shown = "; ".join(c.describe() for c in items[:_REASON_ITEMS])
        more = f"; and {len(items) - _REASON_ITEMS} more" if len(items) > _REASON_ITEMS else ""
        decision = signed[sid]
        out[sid] = (f"{label} {shown}{more} — evidence of the signed decision {decision['id']} "
                    f"(chosen read {decision['chosen_reader']})")  # fmt: skip
    return out


def preview_transfer(
    study: str | Path,
    *,
    fmt: str,
    source: str | Path,
    user: str | User = "system",
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    parsed: ParsedImport | None = None,
) -> TransferPreview:
    """Read ``source`` and compare it with the existing ``study``; writes nothing (module docstring).

    Raises :class:`~hccreview.services.importing.ImportRefused` when the delivery has errors.
    """
    started = time.perf_counter()
    study, source = Path(study), Path(source)
    step = importing.stepper(progress, cancel)
    step(0.0, f"reading {source.name}")
    if parsed is None:
        parsed = importing.read_delivery(fmt, source, lambda f, m: step(0.7 * f, m))
    step(0.7, "comparing with the study")
    with Store.open(study, user=str(getattr(user, "username", user)), migrate=False) as store:
        present = {row["subject_id"] for row in store.rows("subjects")}
        delivered = {str(getattr(s, "subject_id", "")) for s in parsed.records.get("subjects") or []}
        lesions = {(r["subject_id"], r["reader"], r["lesion_id"]) for r in store.rows("lesions")
                   if r["subject_id"] not in delivered}  # fmt: skip
        errors = [*parsed.errors, *importing.reference_problems(parsed, present, lesions, fmt, source, transfer=True)]
        if errors:
            raise importing.ImportRefused(errors)
        diff = compute_diff(store, parsed)
        reasons = readjudication_reasons(store, diff, "transfer would apply:")
    step(0.95, "hashing the source files")
    files = file_hashes(source)
    return TransferPreview(str(study), str(source), fmt, files, diff, reasons, list(parsed.warnings),
                           list(parsed.notes), parsed, time.perf_counter() - started)  # fmt: skip


def apply_transfer(
    preview: TransferPreview,
    *,
    user: str | User = "system",
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> importing.ImportResult:
    """Write a previewed transfer in one audited transaction (module docstring); returns what was written.

    ``user``: the signed-in :class:`User` (its access policy must allow imports: admin); a plain name is the
    unsigned system context, which the write gate lets write only a study without accounts."""
    started = time.perf_counter()
    step = importing.stepper(progress, cancel)
    step(0.0, "writing")
    study = Path(preview.study)
    store = Store.open(study, user=str(getattr(user, "username", user)))
    try:
        if isinstance(user, User):
            store.sign_as(user.username, user.role)
        with store.scope(TRANSFER):  # refused before anything is written unless the user may import
            backup = backup_before(store, why="before-import")
        with store.transaction(), store.scope(TRANSFER):
            diff = compute_diff(store, preview.parsed)
            if diff.signature() != preview.diff.signature():
                raise TransferStale(f"{study.name} changed since the preview; nothing was written — preview again")
            counts = diff.counts()
            transfer_id = add_transfer(
                store, source=preview.source, fmt=preview.fmt, files=preview.files, counts=counts,
                subjects={"new": diff.new_subjects, "changed": sorted(diff.subjects_touched() - set(diff.new_subjects)),
                          "absent": len(diff.absent_subjects)},
                created_study=False, backup=str(backup),
            )  # fmt: skip
            label = f"transfer {transfer_id} ({Path(preview.source).name})"
            written = _write_changes(store, diff, preview.parsed, label)
            delivered = {str(getattr(s, "subject_id", "")) for s in preview.parsed.records.get("subjects") or []}
            written["findings"] = _replace_findings(store, delivered, preview.warnings, label)
            flagged = readjudication_reasons(store, diff, f"{label}:")
            signed = signed_decisions(store)
            for sid, reason in flagged.items():
                flag_readjudication(store, subject_id=sid, adjudication_id=int(signed[sid]["id"]),
                                    transfer_id=transfer_id, reason=reason)  # fmt: skip
            if cancel is not None and cancel():
                raise importing.ImportCancelled("import cancelled; nothing was written")
    finally:
        store.close()
    if progress is not None:
        progress(1.0, "imported")
    return importing.ImportResult(
        counts=written, warnings=preview.warnings, notes=preview.notes + diff.skipped,
        seconds=preview.seconds + time.perf_counter() - started, study=str(study), created=False,
        source_rows=dict(preview.parsed.counts), backup=backup, transfer_id=transfer_id, preview=preview,
        readjudication=flagged, changes=Changes.of(*diff.subjects_touched(), kinds=map(ChangeKind, KINDS), study=True),
    )  # fmt: skip


def _write_changes(store: Store, diff: TransferDiff, parsed: ParsedImport, label: str) -> dict[str, int]:
    """Apply the diff: new patients' records in bulk, the rest row by row (deletes first, children first)."""
    new = set(diff.new_subjects)
    records = {k: [x for x in parsed.records.get(k) or [] if getattr(x, "subject_id", None) in new] for k in KINDS}
    written = importing.write_records(store, records, note=f"{label}: patients new to the study")
    rest = [c for c in diff.changes if c.subject_id not in new]
    for kind in DELETE_ORDER:
        for c in rest:
            if c.kind == kind and c.status == "removed":
                store.delete(kind, c.row_id, reason=f"{label}: removed from the source")
    for kind in KINDS:
        for c in rest:
            if c.kind != kind or c.new is None:
                continue
            if c.status == "new":
                store.insert(kind, c.new, reason=f"{label}: new in the source")
                written[kind] = written.get(kind, 0) + 1
            elif c.status == "changed":
                store.update(kind, c.row_id, {f: c.new[f] for f in c.fields}, reason=f"{label}: changed in the source")
    return written


def _replace_findings(store: Store, delivered: set[str], warnings: list[ImportProblem], label: str) -> int:
    """The delivered patients' import warnings (and the study-wide ones) become this transfer's: warnings no
    longer raised are deleted (audited), new ones added; unchanged ones stay as they are. Returns rows added."""
    fields = ("subject_id", "file", "row", "field", "value", "message")
    incoming = importing.finding_rows(warnings)
    wanted = {tuple(r[f] for f in fields) for r in incoming}
    kept: set[tuple[Any, ...]] = set()
    for row in store.rows("findings", "kind = 'import-warning'"):
        if row["subject_id"] is not None and row["subject_id"] not in delivered:
            continue
        key = tuple(row[f] for f in fields)
        if key in wanted and key not in kept:
            kept.add(key)
        else:
            store.delete("findings", row["id"], reason=f"{label}: no longer raised by the new delivery")
    new = [r for r in incoming if tuple(r[f] for f in fields) not in kept]
    return store.bulk_insert("findings", new, note=f"{label} warnings")


#: Natural keys, re-exported for the documentation and the CLI.
NATURAL_KEY_FIELDS = NATURAL_KEYS
