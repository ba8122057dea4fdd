"""Read sources: which timepoint responses feed a subject's best overall response.

A *source* is one of (DESIGN §7 ``--source``):

- ``"investigator"`` — the reads with role INVESTIGATOR (several investigator readers are pooled; two
  responses on one date then count once, as the worse — RECIST 1.1 BOR rule);
- ``"reader:NAME"`` — the reads of one named reader, whatever their role;
- ``"computed"`` — responses derived by the rules engine (``recist.timepoint_responses``) from one reader's
  lesions and measurements: the investigator's lesions when they can be identified (the lesion reader whose
  reads are investigator reads, or a reader literally named "investigator"), else the only reader present,
  else the alphabetically first reader (stated in ``rule``);
- ``"adjudicated"`` — the blinded independent central review (DESIGN §4 "Adjudication"), in order:
  an :class:`Adjudication` record → the chosen reader's reads; else accepted flags on the central reads
  (SDTM RSACPTFL, the sponsor's adjudication outcome) → per date the accepted read (a date without an
  accepted read is used only where all central reads of that date agree); else a single central reader →
  theirs; else readers not discordant (``discordance.compare_reads`` with
  ``settings.discordance_pd_days``) → the alphabetically first reader's reads; else ``"pending"``.
  A subject with no central read has status ``"none"`` (best response MISSING).

``select_timepoints`` works on a :class:`StudyIndex` (records grouped by subject once), built and cached
for the last ``StudyData`` seen, so that a cohort of thousands of subjects is one pass over the records.
"""

from __future__ import annotations

import functools
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC as dt_timezone_utc
from datetime import date
from itertools import combinations

from hccreview.domain import recist
from hccreview.domain.discordance import compare_reads
from hccreview.domain.endpoints import origin_date
from hccreview.domain.records import (
    Adjudication,
    Criteria,
    Lesion,
    Measurement,
    Read,
    ReadRole,
    Response,
    StudyData,
    Subject,
)

INVESTIGATOR = "investigator"
COMPUTED = "computed"
ADJUDICATED = "adjudicated"
READER_PREFIX = "reader:"

Timepoints = list[tuple[date, Response]]


@dataclass
class StudyIndex:
    """The records of a study grouped by subject id (built once per ``StudyData``)."""

    subjects: dict[str, Subject] = field(default_factory=dict)
    reads: dict[str, list[Read]] = field(default_factory=lambda: defaultdict(list))
    lesions: dict[str, list[Lesion]] = field(default_factory=lambda: defaultdict(list))
    measurements: dict[str, list[Measurement]] = field(default_factory=lambda: defaultdict(list))
    adjudications: dict[str, Adjudication] = field(default_factory=dict)
    central_readers: set[str] = field(default_factory=set)
    investigator_readers: set[str] = field(default_factory=set)
    all_readers: set[str] = field(default_factory=set)

    @classmethod
    def build(cls, data: StudyData, reuse: tuple[StudyData, StudyIndex] | None = None) -> StudyIndex:
        """Group every record kind the sources need by subject, in one pass each. ``reuse``: an earlier
        ``(data, index)`` whose groupings are taken over for every record tuple that is the very same object
        (the session's study cache keeps untouched tables' tuples, so an edit regroups only what it changed)."""
        index = cls()
        old, old_index = reuse if reuse is not None else (None, None)
        index.subjects = {s.subject_id: s for s in data.subjects}
        if old is not None and old_index is not None and data.reads is old.reads:
            index.reads, index.all_readers = old_index.reads, old_index.all_readers
            index.central_readers, index.investigator_readers = (
                old_index.central_readers,
                old_index.investigator_readers,
            )
        else:
            for r in data.reads:
                index.reads[r.subject_id].append(r)
                index.all_readers.add(r.reader)
                if r.role is ReadRole.READER:
                    index.central_readers.add(r.reader)
                elif r.role is ReadRole.INVESTIGATOR:
                    index.investigator_readers.add(r.reader)
        if old is not None and old_index is not None and data.lesions is old.lesions:
            index.lesions = old_index.lesions
        else:
            for les in data.lesions:
                index.lesions[les.subject_id].append(les)
        if old is not None and old_index is not None and data.measurements is old.measurements:
            index.measurements = old_index.measurements
        else:
            for m in data.measurements:
                index.measurements[m.subject_id].append(m)
        # the latest decision stands (a re-opened case gets a newer record)
        for adj in sorted(enumerate(data.adjudications), key=_decision_order):
            index.adjudications[adj[1].subject_id] = adj[1]
        return index


def _decision_order(item: tuple[int, Adjudication]) -> tuple[bool, float, int]:
    """Sort key: undated decisions first, then by time (a naive time is taken as UTC), then by entry order."""
    position, adj = item
    when = adj.decided_at
    if when is None:
        return (False, 0.0, position)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt_timezone_utc)
    return (True, when.timestamp(), position)


_cache: tuple[weakref.ReferenceType[StudyData], StudyIndex] | None = None
#: The last index built and the last one of more than one subject (a one-patient view's data comes between two
#: of the whole study's), so that the next build regroups only the record tuples that changed. At most these two
#: are kept: an older study's records are let go at the next build of the whole study.
_previous: dict[str, tuple[StudyData, StudyIndex]] = {}


def study_index(data: StudyData) -> StudyIndex:
    """The :class:`StudyIndex` of ``data``, cached for the most recent ``StudyData`` object."""
    global _cache
    if _cache is not None and _cache[0]() is data:
        return _cache[1]
    candidates = [p for p in (_previous.get("study"), _previous.get("last")) if p is not None]
    reuse = next((p for p in candidates if p[0].reads is data.reads), candidates[0] if candidates else None)
    index = StudyIndex.build(data, reuse)
    _cache = (weakref.ref(data), index)
    _previous["last"] = (data, index)
    if len(data.subjects) > 1:
        _previous["study"] = (data, index)
    return index


@dataclass(frozen=True)
class SubjectTimepoints:
    """The timepoint responses one source gives for one subject.

    ``status``: ``"ok"`` (use ``timepoints``), ``"pending"`` (central reads discordant and not adjudicated;
    best response PENDING) or ``"none"`` (the source has nothing for this subject; best response MISSING).
    ``reader`` names the reader(s) whose reads were used; ``rule`` says why.
    """

    status: str
    timepoints: Timepoints
    reader: str | None
    rule: str


def parse_source(source: str) -> tuple[str, str | None]:
    """Split a source string into ``(kind, reader name)``; raises ValueError for an unknown source."""
    text = source.strip()
    low = text.lower()
    if low in (INVESTIGATOR, COMPUTED, ADJUDICATED):
        return low, None
    if low.startswith(READER_PREFIX) and text[len(READER_PREFIX) :].strip():
        return "reader", text[len(READER_PREFIX) :].strip()
    raise ValueError(f"unknown source {source!r} (use adjudicated, investigator, computed or reader:NAME)")


def available_sources(data: StudyData) -> list[str]:
    """The sources this study can answer, default first where it applies: ``adjudicated`` (with central
    reads), ``investigator`` (with investigator reads), ``computed`` (with measurements), then
    ``reader:NAME`` for every central reader, then for other named readers (e.g. an adjudicator's own read),
    alphabetical. Investigator readers are not repeated as ``reader:NAME``: ``investigator`` is their source."""
    index = study_index(data)
    out: list[str] = []
    if index.central_readers:
        out.append(ADJUDICATED)
    if index.investigator_readers:
        out.append(INVESTIGATOR)
    if data.measurements and data.lesions:
        out.append(COMPUTED)
    out.extend(READER_PREFIX + name for name in sorted(index.central_readers))
    others = index.all_readers - index.central_readers - index.investigator_readers
    out.extend(READER_PREFIX + name for name in sorted(others))
    return out


def default_source(data: StudyData) -> str:
    """``"adjudicated"`` when the study has reads with role READER (central review), else
    ``"investigator"``."""
    return ADJUDICATED if study_index(data).central_readers else INVESTIGATOR


_normalise = functools.lru_cache(maxsize=1024)(recist.normalise_response)


def _pairs(reads: list[Read]) -> Timepoints:
    return sorted(((r.date, _normalise(r.overall)) for r in reads), key=lambda t: t[0])


def _joined(names: set[str]) -> str | None:
    return "+".join(sorted(names)) if names else None


def _resolve_reader(index: StudyIndex, subject_reads: list[Read], name: str) -> str | None:
    names = {r.reader for r in subject_reads} | index.all_readers
    if name in names:
        return name
    folded = [n for n in names if n.casefold() == name.casefold()]
    return folded[0] if len(folded) == 1 else None


def _investigator(reads: list[Read]) -> SubjectTimepoints:
    inv = [r for r in reads if r.role is ReadRole.INVESTIGATOR]
    if not inv:
        return SubjectTimepoints("none", [], None, "no investigator reads")
    names = {r.reader for r in inv}
    rule = "investigator reads" if len(names) == 1 else "investigator reads pooled (several readers)"
    return SubjectTimepoints("ok", _pairs(inv), _joined(names), rule)


def _computed(index: StudyIndex, subject_id: str, criteria: Criteria) -> SubjectTimepoints:
    lesions = index.lesions.get(subject_id, [])
    if not lesions:
        return SubjectTimepoints("none", [], None, "no lesions to compute from")
    lesion_readers = sorted({les.reader for les in lesions})
    inv_names = {r.reader for r in index.reads.get(subject_id, []) if r.role is ReadRole.INVESTIGATOR}
    preferred = [n for n in lesion_readers if n in inv_names]
    if preferred:
        reader, why = preferred[0], "investigator's lesions"
    elif any(n.casefold() == INVESTIGATOR for n in lesion_readers):
        reader = next(n for n in lesion_readers if n.casefold() == INVESTIGATOR)
        why = "investigator's lesions"
    elif len(lesion_readers) == 1:
        reader, why = lesion_readers[0], "the only reader's lesions"
    else:
        reader, why = lesion_readers[0], "alphabetically first reader's lesions (no investigator lesions)"
    own_lesions = [les for les in lesions if les.reader == reader]
    own_meas = [m for m in index.measurements.get(subject_id, []) if m.reader == reader]
    results = recist.timepoint_responses(own_lesions, own_meas, criteria=criteria)
    points = sorted(((tp.date, recist.normalise_response(tp.overall)) for tp in results), key=lambda t: t[0])
    if not points:
        return SubjectTimepoints("none", [], reader, f"computed ({criteria}) from {why}: no timepoints")
    return SubjectTimepoints("ok", points, reader, f"computed ({criteria}) from {why}")


def _accepted(central: list[Read]) -> SubjectTimepoints:
    by_date: dict[date, list[Read]] = defaultdict(list)
    for r in central:
        by_date[r.date].append(r)
    chosen: list[Read] = []
    names: set[str] = set()
    unresolved: list[date] = []
    for day in sorted(by_date):
        reads = by_date[day]
        accepted = [r for r in reads if r.accepted]
        if accepted:
            chosen.extend(accepted)
            names.update(r.reader for r in accepted)
        elif len({_normalise(r.overall) for r in reads}) == 1:
            chosen.append(reads[0])
        else:
            unresolved.append(day)
    if unresolved:
        days = ", ".join(d.isoformat() for d in unresolved)
        return SubjectTimepoints("pending", [], None, f"pending: reads differ without an accepted read on {days}")
    return SubjectTimepoints("ok", _pairs(chosen), _joined(names), "accepted reads (source adjudication flags)")


def _adjudicated(data: StudyData, index: StudyIndex, subject_id: str) -> SubjectTimepoints:
    reads = index.reads.get(subject_id, [])
    central = [r for r in reads if r.role is ReadRole.READER]
    adjudication = index.adjudications.get(subject_id)
    if adjudication is not None:
        chosen = [r for r in central if r.reader == adjudication.chosen_reader] or [
            r for r in reads if r.reader == adjudication.chosen_reader
        ]
        signed = "signed" if adjudication.signed else "unsigned"
        return SubjectTimepoints(
            "ok" if chosen else "none",
            _pairs(chosen),
            adjudication.chosen_reader,
            f"adjudicated ({signed}): {adjudication.chosen_reader} chosen by {adjudication.adjudicator}",
        )
    if not central:
        return SubjectTimepoints("none", [], None, "no central reads")
    if any(r.accepted for r in central):
        return _accepted(central)
    by_reader: dict[str, list[Read]] = defaultdict(list)
    for r in central:
        by_reader[r.reader].append(r)
    names = sorted(by_reader)
    if len(names) == 1:
        return SubjectTimepoints("ok", _pairs(by_reader[names[0]]), names[0], "single central reader")
    settings = data.settings
    subject = index.subjects.get(subject_id)
    origin = origin_date(subject, settings) if subject is not None else None
    bors = {n: recist.best_overall_response(_pairs(by_reader[n]), origin, settings) for n in names}
    for a, b in combinations(names, 2):
        result = compare_reads(subject_id, bors[a], bors[b], settings.discordance_pd_days)
        if result.discordant:
            return SubjectTimepoints(
                "pending", [], None, f"pending adjudication: {a} vs {b}: " + "; ".join(result.reasons)
            )
    return SubjectTimepoints(
        "ok", _pairs(by_reader[names[0]]), names[0], f"central readers agree; {names[0]}'s reads used"
    )


def select_timepoints(
    data: StudyData,
    subject_id: str,
    source: str,
    criteria: Criteria | None = None,
    *,
    index: StudyIndex | None = None,
) -> SubjectTimepoints:
    """The timepoint responses of ``subject_id`` under ``source`` (see the module docstring for the rules).

    ``criteria`` (default: the study's) only matters for ``"computed"``. ``index`` may be passed to reuse a
    prebuilt :class:`StudyIndex`.
    """
    kind, name = parse_source(source)
    idx = index if index is not None else study_index(data)
    reads = idx.reads.get(subject_id, [])
    if kind == INVESTIGATOR:
        return _investigator(reads)
    if kind == COMPUTED:
        return _computed(idx, subject_id, criteria or data.settings.criteria)
    if kind == ADJUDICATED:
        return _adjudicated(data, idx, subject_id)
    assert name is not None
    resolved = _resolve_reader(idx, reads, name)
    own = [r for r in reads if r.reader == resolved] if resolved else []
    if not own:
        return SubjectTimepoints("none", [], resolved or name, f"no reads by {name}")
    return SubjectTimepoints("ok", _pairs(own), resolved, f"reads of {resolved}")


def reader_timepoints(data: StudyData, subject_id: str, reader: str, *, index: StudyIndex | None = None) -> Timepoints:
    """All timepoint responses stated by ``reader`` for ``subject_id`` (sorted by date)."""
    idx = index if index is not None else study_index(data)
    return _pairs([r for r in idx.reads.get(subject_id, []) if r.reader == reader])


def subject_central_readers(data: StudyData, subject_id: str, *, index: StudyIndex | None = None) -> list[str]:
    """The central (role READER) readers of one subject, alphabetical."""
    idx = index if index is not None else study_index(data)
    return sorted({r.reader for r in idx.reads.get(subject_id, []) if r.role is ReadRole.READER})
