"""The difference between a study's source data and a new data transfer (pure: rows in, changes out).

A data transfer (a new SDTM delivery or CSV bundle of a study under review) is compared record by record
with what the study holds. Records are matched across transfers by natural keys (:data:`NATURAL_KEYS`):
an adverse event by subject + AESEQ, a cycle by subject + number, a lab by subject + test + date, a lesion
by subject + reader + lesion id, a measurement by lesion + date, a read by subject + reader + date, and the
one-per-subject records (subject, Child-Pugh, follow-up) by subject. Where a key is not unique (two labs of
one test on one day), identical records are paired first, then the rest in file order.

Scope: only the subjects a transfer delivers are compared (a subject absent from it is listed as absent and
left as it is — a transfer never removes a patient), and only the record kinds it carries. Review data is
outside the comparison: reads entered in hccreview (``entered_by`` set, or role ``adjudicator``) are never
matched, changed or removed; an incoming source read that collides with one is skipped and noted.
No Qt, no SQL: rows are plain dicts (``store.rows`` / ``store.rows.to_row``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hccreview.domain import record_kinds

#: The record kinds a transfer carries (the source kinds), parents first (the order of the preview and of the writes).
KINDS: tuple[str, ...] = record_kinds.tables(source=True)
NATURAL_KEYS: dict[str, tuple[str, ...]] = {k: record_kinds.kind(k).natural_key for k in KINDS}
#: How the preview names each kind: its plural; subjects and reads say which part of them a transfer compares.
_OWN_LABELS = {"subjects": "subject / baseline", "reads": "reads (source)"}
KIND_LABELS = {k: _OWN_LABELS.get(k, record_kinds.kind(k).plural) for k in KINDS}
STATUSES = ("new", "changed", "removed")
_IGNORED = {"id", "tracking_uid", "caliper"}  # store-only columns: a delivery carries no image binding


def is_review_read(row: Mapping[str, Any]) -> bool:
    """A read entered in hccreview (review data, never touched by a transfer) rather than one from a source."""
    return bool(row.get("entered_by")) or row.get("role") == "adjudicator"


@dataclass(frozen=True)
class RecordChange:
    """One record a transfer adds, changes or removes. ``old`` is the stored row (with its ``id``), ``new``
    the incoming one; ``fields`` the fields that differ (changes only)."""

    kind: str
    subject_id: str
    key: tuple[Any, ...]
    status: str
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None
    fields: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The record's natural key without the subject, e.g. ``radiologist-1 T01 2014-02-03``."""
        row = self.new or self.old or {}
        if self.kind == "adverse_events":
            return f"#{row.get('seq')} {row.get('term', '')}".strip()
        if self.kind == "cycles":
            return f"cycle {row.get('number')}"
        parts = [str(v) for v in self.key[1:]]
        return " ".join(parts) if parts else self.subject_id

    @property
    def row_id(self) -> Any:
        """The stored row's primary key (``id``, or the subject for one-per-subject kinds)."""
        if self.old is None:
            return None
        return self.old.get("id", self.old.get("subject_id"))

    def value_changes(self) -> list[tuple[str, Any, Any]]:
        """``(field, old, new)`` per changed field."""
        old, new = self.old or {}, self.new or {}
        return [(f, old.get(f), new.get(f)) for f in self.fields]

    def describe(self) -> str:
        """One line for a person: ``changed measurements radiologist-1 T01 2014-02-03: diameter_mm 21 → 25``."""
        head = f"{self.status} {KIND_LABELS.get(self.kind, self.kind)} {self.label}"
        if self.status != "changed":
            return head
        return head + ": " + "; ".join(f"{f} {_show(a)} → {_show(b)}" for f, a, b in self.value_changes())


@dataclass
class TransferDiff:
    """What a transfer would change: the record changes, per-kind unchanged counts, and the subjects that are
    new to the study or absent from the transfer; ``skipped`` notes incoming rows that were not applied."""

    changes: list[RecordChange] = field(default_factory=list)
    unchanged: dict[str, int] = field(default_factory=dict)
    new_subjects: list[str] = field(default_factory=list)
    absent_subjects: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.changes

    def counts(self) -> dict[str, dict[str, int]]:
        """``{kind: {"new": n, "changed": n, "removed": n}}`` for every kind of :data:`KINDS`."""
        out = {k: dict.fromkeys(STATUSES, 0) for k in KINDS}
        for c in self.changes:
            out[c.kind][c.status] += 1
        return out

    def by_subject(self) -> dict[str, dict[str, list[RecordChange]]]:
        """Changes grouped per subject (sorted) and kind (in :data:`KINDS` order)."""
        grouped: dict[str, dict[str, list[RecordChange]]] = {}
        for c in sorted(self.changes, key=lambda c: (c.subject_id, KINDS.index(c.kind), c.status, _sortable(c.key))):
            grouped.setdefault(c.subject_id, {}).setdefault(c.kind, []).append(c)
        return grouped

    def subjects_touched(self) -> set[str]:
        return {c.subject_id for c in self.changes}

    def signature(self) -> tuple[tuple[str, str, str, str, tuple[str, ...]], ...]:
        """A comparable summary (kind, subject, status, key, fields): equal diffs have equal signatures."""
        return tuple(sorted((c.kind, c.subject_id, c.status, repr(c.key), c.fields) for c in self.changes))

    def lines(self, *, per_record: bool = True) -> list[str]:
        """The preview as text: per patient, per kind, the new / changed / removed records."""
        out = []
        for sid, kinds in self.by_subject().items():
            tag = " (new patient)" if sid in self.new_subjects else ""
            out.append(f"{sid}{tag}")
            for kind, items in kinds.items():
                n = {s: sum(c.status == s for c in items) for s in STATUSES}
                counts = ", ".join(f"{v} {s}" for s, v in n.items() if v)
                out.append(f"  {KIND_LABELS[kind]}: {counts}")
                if per_record and sid not in self.new_subjects:
                    out += [f"    {c.describe()}" for c in items]
        return out


def _show(value: Any) -> str:
    return "—" if value is None or value == "" else str(value)


def _sortable(key: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in key)


def _same(a: Any, b: Any) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)


def differing_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, ...]:
    """The fields of ``new`` (the record's fields) whose value differs in ``old`` (store-only columns ignored)."""
    return tuple(f for f in new if f not in _IGNORED and not _same(old.get(f), new.get(f)))


def natural_key(kind: str, row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(row.get(f) for f in NATURAL_KEYS[kind])


def diff_kind(
    kind: str, current: Sequence[dict[str, Any]], incoming: Sequence[dict[str, Any]]
) -> tuple[list[RecordChange], int]:
    """The changes of one record kind (rows of the subjects in scope only); returns (changes, unchanged)."""
    old_by: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    new_by: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in current:
        old_by[natural_key(kind, row)].append(row)
    for row in incoming:
        new_by[natural_key(kind, row)].append(row)
    changes: list[RecordChange] = []
    unchanged = 0
    for key in sorted(set(old_by) | set(new_by), key=_sortable):
        olds, news = list(old_by.get(key, [])), list(new_by.get(key, []))
        sid = str(key[0])
        for new in list(news):  # identical records first (duplicate keys)
            match = next((o for o in olds if not differing_fields(o, new)), None)
            if match is not None:
                olds.remove(match)
                news.remove(new)
                unchanged += 1
        for old, new in zip(olds, news, strict=False):
            changes.append(RecordChange(kind, sid, key, "changed", old, new, differing_fields(old, new)))
        for new in news[len(olds) :]:
            changes.append(RecordChange(kind, sid, key, "new", None, new))
        for old in olds[len(news) :]:
            changes.append(RecordChange(kind, sid, key, "removed", old, None))
    return changes, unchanged


def diff_transfer(
    current: Mapping[str, Sequence[dict[str, Any]]],
    incoming: Mapping[str, Sequence[dict[str, Any]]],
    *,
    study_subjects: Iterable[str],
) -> TransferDiff:
    """Compare a transfer (``incoming``: rows per kind) with the study (``current``: its stored rows per kind).

    ``study_subjects``: every subject of the study. Kinds ``incoming`` does not carry are not compared;
    subjects it does not deliver are listed in ``absent_subjects`` and not compared (module docstring).
    """
    delivered = {str(r["subject_id"]) for r in incoming.get("subjects") or []}
    present = set(study_subjects)
    result = TransferDiff(
        new_subjects=sorted(delivered - present), absent_subjects=sorted(present - delivered) if delivered else []
    )
    review_reads = {natural_key("reads", r) for r in current.get("reads") or [] if is_review_read(r)}
    for kind in KINDS:
        if kind not in incoming:
            continue
        old = [r for r in current.get(kind) or [] if r["subject_id"] in delivered]
        new = [r for r in incoming[kind] if r["subject_id"] in delivered]
        if kind == "reads":
            # a stored source read whose key a review read holds stays: the delivery still has it (not removed)
            old = [r for r in old if not is_review_read(r) and natural_key("reads", r) not in review_reads]
            kept = [r for r in new if natural_key("reads", r) in review_reads]
            result.skipped += [
                f"{r['subject_id']}: source read {r['reader']} {r['date']} not applied — a read entered in hccreview "
                "has the same reader and date (review data is never overwritten)"
                for r in kept
            ]
            new = [r for r in new if natural_key("reads", r) not in review_reads]
        changes, unchanged = diff_kind(kind, old, new)
        result.changes += changes
        result.unchanged[kind] = unchanged
    return result
