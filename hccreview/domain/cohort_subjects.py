"""The per-subject derivations of the cohort statistics under one read source (DESIGN §4).

Per subject of the analysis population (not a screen failure, with an origin date): timepoint responses from the
source (:mod:`~hccreview.domain.sources`) → best overall response (RECIST 1.1 §4.4 / mRECIST) → PFS, OS and
duration of response (:mod:`~hccreview.domain.endpoints`, FDA 2018 endpoint guidance) → Child-Pugh class at
baseline; each memoised on its inputs (:mod:`~hccreview.domain.cohort_memo`). :func:`subject_outcomes` is the
single-patient entry; :mod:`hccreview.domain.cohort` builds the cohort figures on the same derivation. No Qt, no SQL.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, replace

from hccreview.domain import child_pugh as child_pugh_rules
from hccreview.domain import cohort_memo as memo
from hccreview.domain import contact
from hccreview.domain.cohort_results import PFS_PENDING_RULE, SubjectOutcome
from hccreview.domain.endpoints import (
    EndpointResult,
    before_death,
    duration_of_response,
    origin_rule,
    overall_survival,
    pfs,
)
from hccreview.domain.recist import BestResponse
from hccreview.domain.records import ChildPughComponents, FollowUp, Response, StudyData, Subject
from hccreview.domain.sources import (
    ADJUDICATED,
    COMPUTED,
    StudyIndex,
    SubjectTimepoints,
    default_source,
    parse_source,
    select_timepoints,
    study_index,
)


def _pending_best() -> BestResponse:
    return BestResponse(
        Response.PENDING, Response.PENDING, "PENDING: central reads discordant, awaiting adjudication",
        None, None, None, (),
    )  # fmt: skip


def pending_pfs() -> EndpointResult:
    """The PFS placeholder of a subject pending adjudication (outside the PFS / DoR population,
    :func:`~hccreview.domain.cohort_results.pfs_population`): no rule is applied to its undecided reads, so it
    is neither an event nor a censoring — ``days`` 0 and ``event`` False only keep the ``stats --json`` shape
    (``pfs_status`` = "pending" says they are not figures), no event or censoring date, and the rule text says
    why. Its duration of response is None (best response PENDING)."""
    return EndpointResult(0, False, None, None, PFS_PENDING_RULE)


def _child_pugh_classes(data: StudyData) -> tuple[dict[str, str | None], dict[str, str]]:
    """Child-Pugh class per subject (the last components record of a subject counts) and, for components
    the scorer refuses (unknown text), the error message; such a subject's class is None (unknown)."""
    variant = data.settings.child_pugh_variant
    return memo.STUDY.get("child_pugh", (data.child_pugh, variant), lambda: _child_pugh_fresh(data))


def _child_pugh_fresh(data: StudyData) -> tuple[dict[str, str | None], dict[str, str]]:
    latest: dict[str, ChildPughComponents] = {c.subject_id: c for c in data.child_pugh}
    variant = data.settings.child_pugh_variant
    out: dict[str, str | None] = {}
    problems: dict[str, str] = {}
    for sid, comp in latest.items():
        try:
            score = child_pugh_rules.child_pugh_score(comp, variant)
        except ValueError as exc:
            out[sid], problems[sid] = None, str(exc)
            continue
        out[sid] = str(score.cls) if score.cls else None
    return out, problems


def _last_contact(data: StudyData) -> dict[str, dt.date]:
    """Latest contact date per subject (:mod:`~hccreview.domain.contact`, for OS censoring): as the store computed
    it for a partial load, else over reads, measurements, AEs, cycles and labs (memoised on those tuples)."""
    if data.last_contact is not None:
        return data.last_contact
    tables = tuple(getattr(data, t) for t in contact.CONTACT_FIELDS)
    return memo.STUDY.get("last_contact", tables, lambda: contact.last_contact(data))


@dataclass
class DerivedSubjects:
    """Per-subject derivations of one source, shared by the cohort figures and single-patient views."""

    source: str
    kind: str
    index: StudyIndex
    outcomes: list[SubjectOutcome]
    origins: dict[str, dt.date]
    adjudicated: dict[str, tuple[SubjectTimepoints, BestResponse]]
    cp_problems: dict[str, str]


def derive_subjects(
    data: StudyData, source: str | None, progress: Callable[[int, int], None] | None
) -> DerivedSubjects:
    """Every analysed subject's outcome under ``source`` (the study's default when None), memoised per subject;
    the cohort figures (``domain.cohort``) and the single-patient views start from it."""
    settings = data.settings
    src = source.strip() if source else default_source(data)
    kind, _ = parse_source(src)
    index = study_index(data)
    cp_class, cp_problems = _child_pugh_classes(data)
    last_contact = _last_contact(data)
    follow_up = {f.subject_id: f for f in data.follow_up}

    outcomes: list[SubjectOutcome] = []
    origins: dict[str, dt.date] = {}
    adjudicated: dict[str, tuple[SubjectTimepoints, BestResponse]] = {}
    population = [s for s in data.subjects if not s.screen_failure]
    total = len(population)
    readers = frozenset(index.all_readers) if kind == "reader" else None
    for i, subject in enumerate(population, start=1):
        sid = subject.subject_id
        reads = index.reads.get(sid, ())
        # every input of the subject's derivation (see cohort_memo): a hit returns what a fresh one would
        inputs: tuple[object, ...] = (
            settings, subject, index.adjudications.get(sid), follow_up.get(sid), cp_class.get(sid),
            last_contact.get(sid), readers, len(reads), *reads,
        )  # fmt: skip
        if kind == COMPUTED:
            lesions, meas = index.lesions.get(sid, ()), index.measurements.get(sid, ())
            inputs = (*inputs, len(lesions), *lesions, len(meas), *meas)
        derived = memo.OUTCOMES.get(
            (src, sid), inputs,
            functools.partial(_subject_outcome, data, subject, src, index, cp_class, last_contact, follow_up),
        )  # fmt: skip
        if derived is None:
            continue
        outcome, chosen = derived
        origins[sid] = outcome.origin
        if kind == ADJUDICATED:
            adjudicated[sid] = (chosen, outcome.best)
        outcomes.append(outcome)
        if progress is not None and i % 500 == 0:
            progress(i, total)
    if progress is not None:
        progress(total, total)

    return DerivedSubjects(src, kind, index, outcomes, origins, adjudicated, cp_problems)


def _subject_outcome(
    data: StudyData,
    subject: Subject,
    src: str,
    index: StudyIndex,
    cp_class: dict[str, str | None],
    last_contact: dict[str, dt.date],
    follow_up: dict[str, FollowUp],
) -> tuple[SubjectOutcome, SubjectTimepoints] | None:
    """One subject's outcome under ``src`` (None when the subject has no origin date: not analysed)."""
    settings = data.settings
    origin, why = origin_rule(subject, settings)
    if origin is None:
        return None
    sid = subject.subject_id
    chosen = select_timepoints(data, sid, src, index=index)
    fu = follow_up.get(sid)
    kept, after = before_death(chosen.timepoints, fu.death_date if fu is not None else None)
    if after:
        days = ", ".join(d.isoformat() for d in after)
        chosen = replace(chosen, timepoints=kept, rule=f"{chosen.rule}; assessment(s) after death left out: {days}")
    best = (
        _pending_best()
        if chosen.status == "pending"
        else memo.best_overall_response(chosen.timepoints, origin, settings)
    )
    pfs_result = pending_pfs() if chosen.status == "pending" else pfs(origin, chosen.timepoints, fu, settings)
    last = last_contact.get(sid)
    os_result = overall_survival(origin, fu, [last] if last else [])
    outcome = SubjectOutcome(
        subject_id=sid,
        child_pugh=cp_class.get(sid),
        extrahepatic=subject.extrahepatic,
        origin=origin,
        origin_rule=why,
        source_status=chosen.status,
        reader=chosen.reader,
        source_rule=chosen.rule,
        best=best,
        pfs=pfs_result,
        os=os_result,
        dor=duration_of_response(best, pfs_result),
    )
    return outcome, chosen


def subject_outcomes(data: StudyData, source: str | None = None) -> list[SubjectOutcome]:
    """Best response, PFS, OS and DoR of each analysed subject under ``source`` — without the cohort's survival
    fits, so a single patient's view (``data`` holding one subject) stays fast."""
    return derive_subjects(data, source, None).outcomes
