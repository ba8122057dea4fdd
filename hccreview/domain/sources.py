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
  (SDTM RSACPTFL, the sponsor's adjudication outcome): when the flags name one reader wholesale (every central
  read of that reader accepted, no other reader's read accepted) → that reader's reads alone; else (flags
  per timepoint) the central reads are paired into visits (:func:`timepoint_groups`) and per visit the
  accepted read is used (a visit without an accepted read is used only where all central reads of that visit
  agree); else a single central reader → theirs; else readers not discordant
  (``discordance.compare_reads`` with ``settings.discordance_pd_days``) → the alphabetically first reader's
  reads; else ``"pending"``. A subject with no central read has status ``"none"`` (best response MISSING).

  Once an adjudicator has chosen a reader for a patient, that reader's assessment is the final one, all of
  its timepoints, never mixed with the other reader's reads: in the two-reader-plus-adjudicator paradigm
  the adjudicator selects one reader's assessment as the final (adjudicated) assessment of the patient (FDA
  guidance *Clinical Trial Imaging Endpoint Process Standards*, 2018, on the two-reader-plus-adjudicator
  read; RECIST 1.1, Eisenhauer et al. 2009, on independent review; Amit et al., Eur J Cancer
  2011;47:1772-1778, whose BICR progression is that of the adjudicated reader). Where
  timepoints of two readers must be compared they are paired by visit, never by exact date only: by the
  ``visit`` label when both reads have one, else by the nearest date within ``settings.assessment_window_days``
  (a reader who read a visit two days after the other still read the same visit).

A source is a :class:`Source`: a ``str`` (the key above, so dict keys, JSON, settings and comparisons with plain
strings work unchanged) made only by :meth:`Source.parse`, which also gives its kind, its reader and how it is
named to people (:meth:`Source.label`, :attr:`Source.abbreviation`: one wording for the GUI, the PDF documents,
the services and the command line, issue 20). The key itself never reaches the user.

``select_timepoints`` works on a :class:`StudyIndex` (records grouped by subject once), built and cached
for the last ``StudyData`` seen, so that a cohort of thousands of subjects is one pass over the records.
"""

from __future__ import annotations

import functools
import weakref
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC as dt_timezone_utc
from datetime import date
from itertools import combinations
from typing import Protocol, TypeVar

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
READER = "reader"  # the kind of a ``reader:NAME`` source

#: The long names: menus, the dashboard's source box, plot titles, PDF tables and headings.
_NAMES = {
    ADJUDICATED: "Adjudicated (central review)",
    INVESTIGATOR: "Investigator",
    COMPUTED: "Computed from measurements",
}
#: The short names: chips, narrow column headers, tooltips listing every source.
_SHORT = {ADJUDICATED: "Adjudicated", INVESTIGATOR: "Investigator", COMPUTED: "Computed"}
#: The abbreviations of the navigator's BOR column header only.
_ABBREVIATIONS = {ADJUDICATED: "adj.", INVESTIGATOR: "inv.", COMPUTED: "comp."}


class Source(str):
    """A read source: its key (``"adjudicated"``, ``"investigator"``, ``"computed"``, ``"reader:NAME"``) as a
    ``str``, so it is a dict key, a JSON string and a setting like the plain key and equals it; made by
    :meth:`parse` (``Source(text)`` is the same call), which refuses an unknown source.

    Its words are the one wording of a source (issue 20): :meth:`label` names it on its own ("Adjudicated (central
    review)"), ``label(short=True)`` fits a chip, a narrow column header or a list of every source
    ("Adjudicated"); a reader is "Reader NAME" either way. Inside a sentence the label stands as a name ("differs
    from Adjudicated (central review)"), not lower-cased. Only the navigator's narrow BOR column abbreviates
    (:attr:`abbreviation`, "BOR (adj.)"; its tooltip gives the label).
    """

    __slots__ = ()

    def __new__(cls, text: str) -> Source:
        return cls.parse(text)

    @classmethod
    def parse(cls, text: str) -> Source:
        """The source ``text`` names (case and spaces around it do not matter, a reader's name keeps its case);
        ValueError for an unknown source."""
        if isinstance(text, Source):
            return text
        stripped = text.strip()
        low = stripped.lower()
        if low in (INVESTIGATOR, COMPUTED, ADJUDICATED):
            return str.__new__(cls, low)
        name = stripped[len(READER_PREFIX) :].strip()
        if low.startswith(READER_PREFIX) and name:
            return cls.of_reader(name)
        raise ValueError(f"unknown source {text!r} (use adjudicated, investigator, computed or reader:NAME)")

    @classmethod
    def of_reader(cls, name: str) -> Source:
        """The source ``reader:NAME`` of one evaluator, ``name`` as it is spelled in the reads."""
        if not name.strip():
            raise ValueError("a reader source needs the reader's name (reader:NAME)")
        return str.__new__(cls, READER_PREFIX + name)

    @property
    def kind(self) -> str:
        """``"adjudicated"``, ``"investigator"``, ``"computed"`` or ``"reader"``."""
        return READER if self.startswith(READER_PREFIX) else str(self)

    @property
    def reader(self) -> str | None:
        """The evaluator of a ``reader:NAME`` source; None for the others."""
        return self[len(READER_PREFIX) :].strip() if self.kind == READER else None

    def label(self, short: bool = False) -> str:
        """The source for people: "Adjudicated (central review)", "Investigator", "Computed from measurements",
        "Reader reader1"; ``short`` gives "Adjudicated", "Computed" (a reader keeps "Reader NAME")."""
        if self.reader is not None:
            return f"Reader {self.reader}"
        return (_SHORT if short else _NAMES)[self.kind]

    @property
    def abbreviation(self) -> str:
        """The source in the narrowest header: "adj.", "inv.", "comp.", a reader's name."""
        return self.reader if self.reader is not None else _ABBREVIATIONS[self.kind]


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
    """Split a source string into ``(kind, reader name)`` (:meth:`Source.parse`); ValueError for an unknown one."""
    parsed = Source.parse(source)
    return parsed.kind, parsed.reader


def available_sources(data: StudyData) -> list[Source]:
    """The sources this study can answer, default first where it applies: ``adjudicated`` (with central
    reads), ``investigator`` (with investigator reads), ``computed`` (with measurements), then
    ``reader:NAME`` for every central reader, then for other named readers (e.g. an adjudicator's own read),
    alphabetical. Investigator readers are not repeated as ``reader:NAME``: ``investigator`` is their source."""
    index = study_index(data)
    out: list[Source] = []
    if index.central_readers:
        out.append(Source(ADJUDICATED))
    if index.investigator_readers:
        out.append(Source(INVESTIGATOR))
    if data.measurements and data.lesions:
        out.append(Source(COMPUTED))
    out.extend(Source.of_reader(name) for name in sorted(index.central_readers))
    others = index.all_readers - index.central_readers - index.investigator_readers
    out.extend(Source.of_reader(name) for name in sorted(others))
    return out


def default_source(data: StudyData) -> Source:
    """``"adjudicated"`` when the study has reads with role READER (central review), else
    ``"investigator"``."""
    return Source(ADJUDICATED if study_index(data).central_readers else INVESTIGATOR)


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


class Timepoint(Protocol):
    """What pairing by visit needs of a read (a :class:`Read`, or one reader's timepoint in a comparison)."""

    @property
    def reader(self) -> str: ...
    @property
    def date(self) -> date: ...
    @property
    def visit(self) -> str: ...


T = TypeVar("T", bound=Timepoint)


def _visit_label(read: Timepoint) -> str:
    return " ".join(read.visit.split()).casefold()


def timepoint_groups(reads: Iterable[T], window_days: int) -> list[list[T]]:
    """Pair the reads of several readers into timepoints (visits), earliest first.

    One reader's reads on one date are one timepoint of that reader; every group holds at most one timepoint
    of each reader. Readers are merged in alphabetical order; a timepoint joins a group by the ``visit``
    label when both it and the group have one (equal labels, the nearest date first; different labels never
    pair), else by the nearest date when it is at most ``window_days`` from a read of the group
    (``settings.assessment_window_days``, the protocol's assessment window); pairs are made nearest first.
    A timepoint that pairs with nothing is a group of its own. Never by exact date only: two readers who
    read one visit on different days read the same timepoint (Amit et al., Eur J Cancer 2011;47:1772-1778
    compare local and central evaluations timepoint by timepoint; FDA *Clinical Trial Imaging Endpoint
    Process Standards*, 2018).
    """
    by_reader: dict[str, dict[date, list[T]]] = defaultdict(lambda: defaultdict(list))
    for r in reads:
        by_reader[r.reader][r.date].append(r)
    groups: list[dict[str, list[T]]] = []
    for name in sorted(by_reader):
        own = by_reader[name]
        candidates: list[tuple[int, int, date, int]] = []
        for day, day_reads in own.items():
            label = next((_visit_label(r) for r in day_reads if r.visit.strip()), "")
            for gi, group in enumerate(groups):
                members = [r for rs in group.values() for r in rs]
                distance = min(abs((r.date - day).days) for r in members)
                labels = {_visit_label(r) for r in members if r.visit.strip()}
                if label and labels:
                    if label in labels:
                        candidates.append((0, distance, day, gi))
                elif distance <= window_days:
                    candidates.append((1, distance, day, gi))
        taken_days: set[date] = set()
        taken_groups: set[int] = set()
        for _, _, day, gi in sorted(candidates):
            if day in taken_days or gi in taken_groups:
                continue
            groups[gi][name] = own[day]
            taken_days.add(day)
            taken_groups.add(gi)
        groups.extend({name: own[day]} for day in sorted(own) if day not in taken_days)
    out = [sorted((r for rs in g.values() for r in rs), key=lambda r: (r.date, r.reader)) for g in groups]
    return sorted(out, key=lambda g: (g[0].date, g[0].reader))


def pair_reads(first: Iterable[Read], second: Iterable[Read], window_days: int) -> list[tuple[list[Read], list[Read]]]:
    """The timepoints of two readers side by side, by visit (:func:`timepoint_groups`): ``(first's reads,
    second's reads)`` per visit, earliest first; an empty list where that reader has no read of the visit."""
    a, b = list(first), list(second)
    a_ids = {id(r) for r in a}
    out = []
    for group in timepoint_groups([*a, *b], window_days):
        out.append(([r for r in group if id(r) in a_ids], [r for r in group if id(r) not in a_ids]))
    return out


def _accepted(central: list[Read], window_days: int) -> SubjectTimepoints:
    """Central reads with accepted flags (module docstring). Flags on every read of one reader and on no other
    reader's read: the adjudicator chose that reader for the patient → that reader's reads alone (FDA BICR
    guidance: the adjudicator selects one reader's assessment as the final one). Otherwise the flags are per
    timepoint: the reads are paired by visit (:func:`timepoint_groups`, never by exact date only) and each
    visit takes its accepted read."""
    accepted_by = {r.reader for r in central if r.accepted}
    rule = "accepted reads (source adjudication flags)"
    if len(accepted_by) == 1:
        (name,) = accepted_by
        own = [r for r in central if r.reader == name]
        if all(r.accepted for r in own):
            return SubjectTimepoints("ok", _pairs(own), name, rule)
    chosen: list[Read] = []
    names: set[str] = set()
    unresolved: list[str] = []
    for reads in timepoint_groups(central, window_days):
        accepted = [r for r in reads if r.accepted]
        if accepted:
            chosen.extend(accepted)
            names.update(r.reader for r in accepted)
        elif len({_normalise(r.overall) for r in reads}) == 1:
            chosen.append(reads[0])  # the earliest read of an agreeing visit
        else:
            unresolved.append("/".join(sorted({r.date.isoformat() for r in reads})))
    if unresolved:
        days = ", ".join(unresolved)
        return SubjectTimepoints("pending", [], None, f"pending: reads differ without an accepted read on {days}")
    return SubjectTimepoints("ok", _pairs(chosen), _joined(names), rule)


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
        return _accepted(central, data.settings.assessment_window_days)
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
