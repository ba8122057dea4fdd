"""Import use case: read a source folder, validate all of it, then write everything in ONE transaction — or nothing.

``import_into(study, fmt=..., source=...)`` reads an SDTM delivery (:func:`hccreview.io.sdtm.read_sdtm`) or a CSV
bundle (:func:`hccreview.io.csv_bundle.read_bundle`), checks it against the study file, and:

- refuses with :class:`ImportRefused` (carrying every error, each naming file, row and field) when any error was
  found — an existing study file is then left byte-for-byte as it was (it is only opened for reading before the
  write), and no new file is created (validation is complete before :meth:`Store.create`);
- otherwise, into a new study: writes all records and the warnings (as ``findings`` rows of kind
  ``import-warning``) in one transaction, audited as one batch per table, and lists it as transfer 1;
- into an existing study: the delivery is a new **data transfer** (:mod:`hccreview.services.transfers`): it is
  compared with the study's data (new / changed / removed per patient and record kind) and, after an online
  backup into ``STUDY.db.backups/``, applied in one audited transaction (``dry_run``: the preview only, nothing
  written). Review data (reads entered in hccreview, adjudications, review marks) is never overwritten.

A new study takes its settings from what the importer suggests (title: ``study_title``, else the source's own
title, else the folder name).
``progress(fraction, message)`` is called from the calling thread between steps; ``cancel()`` is polled at the
same points and before the commit — a cancel raises :class:`ImportCancelled` and nothing is written.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hccreview.domain.changes import Changes
from hccreview.domain.record_kinds import RECORD_KINDS
from hccreview.domain.records import ChildPughVariant, Criteria, Origin, StudySettings
from hccreview.io.validation import ImportProblem, ParsedImport
from hccreview.store import Store
from hccreview.store.study_data import TABLE_RECORDS, write_records
from hccreview.store.study_file import check_study_file
from hccreview.store.users import User
from hccreview.store.write_gate import BUILD

__all__ = [
    "ImportCancelled",
    "ImportRefused",
    "ImportResult",
    "finding_rows",
    "import_into",
    "read_delivery",
    "reference_problems",
]

Progress = Callable[[float, str], None]
FORMATS = ("sdtm", "csv")
_CAP = 20  # problems of one kind listed row by row; the rest are counted


class ImportRefused(Exception):
    """The input has errors; nothing was written. ``problems`` lists every error (file, row, field, reason)."""

    def __init__(self, problems: Iterable[ImportProblem]) -> None:
        self.problems: list[ImportProblem] = list(problems)
        first = f": {self.problems[0]}" if self.problems else ""
        super().__init__(f"import refused, {len(self.problems)} error(s){first}")


class ImportCancelled(Exception):
    """The user cancelled the import; nothing was written."""


@dataclass
class ImportResult:
    """What an import wrote: rows per table (``findings`` = the warnings kept), warnings, notes, wall time."""

    counts: dict[str, int]
    warnings: list[ImportProblem]
    notes: list[str]
    seconds: float
    study: str = ""
    created: bool = False
    source_rows: dict[str, int] = field(default_factory=dict)
    backup: Path | None = None  # the copy of an existing study taken just before the write
    transfer_id: int | None = None  # the ``transfers`` row (None: a dry run)
    preview: Any = None  # TransferPreview of an import into an existing study
    readjudication: dict[str, str] = field(default_factory=dict)  # cases flagged "needs re-adjudication"
    changes: Changes = field(default_factory=lambda: Changes(study=True))
    dry_run: bool = False

    def summary(self, *, max_warnings: int = 5) -> str:
        """A few lines for a person: rows per table (a transfer: its preview), the first warnings, the time taken."""
        verb = "created" if self.created else "imported into"
        n = sum(self.counts.get(t, 0) for t in TABLE_RECORDS)
        if self.dry_run:
            lines = [f"dry run on {self.study}: nothing was written ({self.seconds:.1f} s)"]
        else:
            number = f" as transfer {self.transfer_id}" if self.transfer_id else ""
            lines = [f"{verb} {self.study}{number}: {n} records in {self.seconds:.1f} s"]
        if self.preview is not None:
            lines += self.preview.lines()
        names = {**{k.table: k.plural for k in RECORD_KINDS}, "findings": "findings"}  # the user's words
        tables = [f"{names[t]} {self.counts[t]}" for t in [*TABLE_RECORDS, "findings"] if self.counts.get(t)]
        if self.dry_run and self.preview is None and tables:
            lines.append("  would create the study with " + ", ".join(tables))
        elif not self.dry_run:
            lines.append("  " + ", ".join(tables) if tables else "  nothing to import")
        if self.warnings:
            kept = "would be kept" if self.dry_run else "kept"
            lines.append(f"  {len(self.warnings)} warning(s), {kept} with the study as findings:")
            lines += [f"    {w}" for w in self.warnings[:max_warnings]]
            if len(self.warnings) > max_warnings:
                lines.append(f"    ... and {len(self.warnings) - max_warnings} more")
        else:
            lines.append("  no warnings")
        if self.backup is not None:
            lines.append(f"  backup of the study as it was before: {self.backup}")
        if self.notes:
            lines.append(f"  {len(self.notes)} note(s) on what was not used, e.g. {self.notes[0]}")
        return "\n".join(lines)


def stepper(progress: Progress | None, cancel: Callable[[], bool] | None) -> Progress:
    """A progress callback that first polls ``cancel`` (raising :class:`ImportCancelled`)."""

    def step(fraction: float, message: str) -> None:
        if cancel is not None and cancel():
            raise ImportCancelled("import cancelled; nothing was written")
        if progress is not None:
            progress(fraction, message)

    return step


def import_into(
    study: str | Path,
    *,
    fmt: str,
    source: str | Path,
    study_title: str | None = None,
    criteria: str | None = None,
    user: str | User = "system",
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Import ``source`` (a folder) in format ``fmt`` ("sdtm" or "csv") into ``study`` (module docstring).

    ``user``: into an existing study, the signed-in :class:`User` (an admin; the write gate refuses others); a new
    study is written whole by its creator before it has any account (the audit trail names ``user``)."""
    started = time.perf_counter()
    study, source = Path(study), Path(source)
    if study.exists():  # refused read-only before the source is read: an existing file must be a study
        check_study_file(study)
    step = stepper(progress, cancel)
    step(0.0, f"reading {source.name}")
    parsed = read_delivery(fmt, source, lambda f, m: step(0.8 * f, m))
    step(0.8, "checking against the study")
    notes = list(parsed.notes)
    if study.exists():
        return _transfer(study, fmt, source, parsed, notes, study_title, criteria, user, progress, cancel, dry_run)
    errors = [*parsed.errors, *reference_problems(parsed, set(), set(), fmt, source)]
    settings = _new_settings(parsed, study_title, criteria, source, errors)
    if errors or settings is None:  # settings are None only with an error saying why
        raise ImportRefused(errors)
    if dry_run:
        counts = {t: len(parsed.records.get(t) or []) for t in TABLE_RECORDS if parsed.records.get(t)}
        return ImportResult(counts, parsed.warnings, notes, time.perf_counter() - started, str(study), True,
                            dict(parsed.counts), dry_run=True)  # fmt: skip

    step(0.85, "writing")
    note = f"{fmt} import of {source.name}"
    store = Store.create(study, settings, user=str(getattr(user, "username", user)))
    try:
        with store.scope(BUILD), store.transaction():
            counts = write_records(store, parsed.records, note=note)
            counts["findings"] = store.bulk_insert("findings", finding_rows(parsed.warnings), note=note)
            transfer_id = _first_transfer(store, fmt, source, counts)
            if cancel is not None and cancel():
                raise ImportCancelled("import cancelled; nothing was written")
    except BaseException:
        store.close()
        _remove_study_file(study)
        raise
    store.close()
    if progress is not None:
        progress(1.0, "imported")
    return ImportResult(
        counts=counts,
        warnings=parsed.warnings,
        notes=notes,
        seconds=time.perf_counter() - started,
        study=str(study),
        created=True,
        source_rows=dict(parsed.counts),
        transfer_id=transfer_id,
    )


def _first_transfer(store: Store, fmt: str, source: Path, counts: dict[str, int]) -> int:
    """List the first delivery of a new study as transfer 1 (every record new)."""
    from hccreview.services.transfer_diff import KINDS
    from hccreview.services.transfers import file_hashes
    from hccreview.store.transfers import add_transfer

    per_kind = {k: {"new": counts.get(k, 0), "changed": 0, "removed": 0} for k in KINDS}
    subjects = {"new": counts.get("subjects", 0), "changed": [], "absent": 0}
    return add_transfer(store, source=str(source), fmt=fmt, files=file_hashes(source), counts=per_kind,
                        subjects=subjects, created_study=True)  # fmt: skip


def _transfer(
    study: Path, fmt: str, source: Path, parsed: ParsedImport, notes: list[str], study_title: str | None,
    criteria: str | None, user: str | User, progress: Progress | None, cancel: Callable[[], bool] | None, dry_run: bool,
) -> ImportResult:  # fmt: skip
    """An import into an existing study: a data transfer, previewed then (unless ``dry_run``) applied."""
    from hccreview.services.transfers import apply_transfer, preview_transfer

    if study_title:
        notes.append("the study exists: its title is left unchanged")
    if criteria:
        notes.append("the study exists: its response criteria are left unchanged")
    preview = preview_transfer(study, fmt=fmt, source=source, user=user, parsed=parsed,
                               progress=lambda f, m: stepper(progress, cancel)(0.8 + 0.05 * f, m))  # fmt: skip
    preview.notes = notes
    if dry_run:
        return ImportResult({}, preview.warnings, notes, preview.seconds, str(study), False, dict(parsed.counts),
                            preview=preview, readjudication=dict(preview.readjudication), dry_run=True)  # fmt: skip
    return apply_transfer(preview, user=user, cancel=cancel,
                          progress=lambda f, m: stepper(progress, cancel)(0.85 + 0.15 * f, m))  # fmt: skip


def read_delivery(fmt: str, source: Path, progress: Progress) -> ParsedImport:
    """Parse the delivery in ``source`` (an SDTM or CSV-bundle folder); a first import and a transfer both read
    it here. Refuses a path that is not a folder."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown import format {fmt!r} (use {' or '.join(FORMATS)})")
    if not source.is_dir():
        raise ImportRefused([ImportProblem(str(source), None, "", "", "source is not a folder of domain files")])
    if fmt == "sdtm":
        from hccreview.io.sdtm import read_sdtm

        return read_sdtm(source, progress=progress)
    from hccreview.io.csv_bundle import read_bundle

    return read_bundle(source)


def _subject_file(fmt: str, source: Path) -> str:
    """The file the subjects came from (for "already in study" problems)."""
    stems = ("dm",) if fmt == "sdtm" else ("subjects", "subject")
    for path in sorted(source.iterdir()):
        if path.is_file() and path.stem.lower() in stems:
            return path.name
    return f"{stems[0]}.csv"


def reference_problems(
    parsed: ParsedImport,
    present: set[str],
    present_lesions: set[tuple[str, str, str]],
    fmt: str,
    source: Path,
    *,
    transfer: bool = False,
) -> list[ImportProblem]:
    """Repeated subjects, records of unknown subjects or lesions (and, unless ``transfer``, subjects already in
    the study — a transfer updates them).

    The importers check their own references; this is the format-independent guard that keeps a foreign-key
    failure from ever reaching the store. Rows are positions in the importer's record lists (file order).
    """
    problems: list[ImportProblem] = []
    subjects = parsed.records.get("subjects") or []
    file = _subject_file(fmt, source)
    column = "USUBJID" if fmt == "sdtm" else "subject_id"
    seen: set[str] = set()
    already = 0
    for n, subject in enumerate(subjects, start=1):
        sid = str(getattr(subject, "subject_id", ""))
        if sid in present and not transfer:
            already += 1
            if already <= _CAP:
                problems.append(ImportProblem(file, n, column, sid, "subject already in study", "error", sid))
        elif sid in seen:
            problems.append(ImportProblem(file, n, column, sid, "subject listed twice", "error", sid))
        seen.add(sid)
    if already > _CAP:
        problems.append(
            ImportProblem(
                file, None, column, "", f"subject already in study — and {already - _CAP} more subjects like this"
            )
        )
    known = seen | present
    lesions = present_lesions | {_lesion_key(x) for x in parsed.records.get("lesions") or []}
    for table, items in parsed.records.items():
        if table == "subjects":
            continue
        bad = 0
        for n, record in enumerate(items or [], start=1):
            owner = getattr(record, "subject_id", None)
            if owner not in known:
                field_, reason = "subject_id", "subject does not exist"
            elif table == "measurements" and _lesion_key(record) not in lesions:
                field_, reason = "lesion_id", "measurement of a lesion that does not exist"
            else:
                continue
            bad += 1
            if bad <= _CAP:
                problems.append(ImportProblem(table, n, field_, str(owner), reason, "error", owner))
        if bad > _CAP:
            problems.append(ImportProblem(table, None, "subject_id", "", f"and {bad - _CAP} more records like this"))
    return problems


def _lesion_key(record: object) -> tuple[str, str, str]:
    return (getattr(record, "subject_id", ""), getattr(record, "reader", ""), getattr(record, "lesion_id", ""))


def _new_settings(
    parsed: ParsedImport, study_title: str | None, criteria: str | None, source: Path, errors: list[ImportProblem]
) -> StudySettings | None:
    """Settings of a new study from the importer's suggestions (unknown keys ignored)."""
    names = {f.name for f in dataclasses.fields(StudySettings)}
    values: dict[str, Any] = {k: v for k, v in (parsed.settings or {}).items() if k in names}  # Any: per field
    values["title"] = str(study_title or values.get("title") or source.name)
    try:
        crit = criteria or values.get("criteria")
        values["criteria"] = Criteria.parse(str(crit)) if crit else Criteria.RECIST11
        if "origin" in values:
            values["origin"] = Origin(str(values["origin"]))
        if "child_pugh_variant" in values:
            values["child_pugh_variant"] = ChildPughVariant(str(values["child_pugh_variant"]))
        return StudySettings(**values)
    except (TypeError, ValueError) as exc:
        errors.append(ImportProblem("settings", None, "", "", f"study settings not usable: {exc}"))
        return None


def finding_rows(warnings: list[ImportProblem]) -> list[dict[str, object]]:
    """The ``findings`` rows that keep an import's warnings with the study (shown in the case view)."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return [
        {
            "subject_id": w.subject_id,
            "kind": "import-warning",
            "file": w.file,
            "row": w.row,
            "field": w.field,
            "value": w.value,
            "message": w.reason,
            "created_at": now,
        }
        for w in warnings
    ]


def _remove_study_file(path: Path) -> None:
    """Remove a study file this import created (and its WAL side files)."""
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        p.unlink(missing_ok=True)
