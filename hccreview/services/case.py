"""One patient's case, as the case view shows it: baseline, cycles, AEs, lesions × timepoints, reads, outcomes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hccreview.domain import recist
from hccreview.domain.child_pugh import ChildPughScore, child_pugh_score
from hccreview.domain.cohort import SubjectOutcome, subject_outcomes
from hccreview.domain.cohort_memo import LastInputMemo
from hccreview.domain.collected import Collected, collected
from hccreview.domain.dosing import DoseSummary, Regimen, dose_summary, planned_regimens
from hccreview.domain.records import (
    AdverseEvent,
    ChildPughComponents,
    Cycle,
    FollowUp,
    LabResult,
    Lesion,
    Measurement,
    Read,
    StudyData,
    Subject,
)
from hccreview.domain.sources import available_sources
from hccreview.services.session import StudySession
from hccreview.store.access import visible_audit_entries
from hccreview.store.review_state import audit_entries_for, findings_for, review_states
from hccreview.store.study_data import load_study, rows_with_ids


@dataclass(frozen=True)
class CaseData:
    """Everything the case view shows for one patient. Row ids let the UI edit a measurement, read or AE."""

    subject: Subject
    child_pugh: ChildPughComponents | None
    child_pugh_score: ChildPughScore | None
    child_pugh_error: str | None
    cycles: list[Cycle]
    dose: DoseSummary
    adverse_events: list[tuple[int, AdverseEvent]]
    labs: list[LabResult]
    readers: list[str]  # readers with lesions, investigator first
    lesions: dict[str, list[Lesion]]
    measurements: dict[str, list[tuple[int, Measurement]]]
    computed: dict[str, list[recist.TimepointResult]]  # per reader, by the rules engine
    reads: dict[str, list[tuple[int, Read]]]  # per reader, as stated
    outcomes: dict[str, SubjectOutcome]  # per source
    selection_findings: dict[str, list[recist.SelectionFinding]]
    import_findings: list[dict[str, Any]]
    follow_up: FollowUp | None
    review_state: str
    criteria: str
    collected: Collected = field(default_factory=Collected.everything)  # what the study collects (issue 23)

    @property
    def assessment_dates(self) -> dict[str, list[date]]:
        """Assessment dates per reader (baseline first)."""
        return {r: sorted({m.date for _, m in ms}) for r, ms in self.measurements.items()}


def _reader_order(readers: set[str]) -> list[str]:
    return sorted(readers, key=lambda r: (r != "investigator", r))


_STUDY_FACTS = LastInputMemo(size=2)


def study_facts(data: StudyData) -> tuple[Collected, dict[str, Regimen]]:
    """What the study collects and each arm's planned regimen (``domain.collected``, ``domain.dosing``), derived
    once per state of the study's records (reused while they are the same objects)."""
    inputs = (data.subjects, data.child_pugh, data.adverse_events, data.cycles, data.settings)
    return _STUDY_FACTS.get("facts", inputs, lambda: (
        collected(data.subjects, data.child_pugh, data.adverse_events),
        planned_regimens(data.subjects, data.cycles, data.settings),
    ))  # fmt: skip


def load_case(session: StudySession, subject_id: str) -> CaseData:
    """Read one patient's records and derive what the case view shows."""
    store = session.store
    data = load_study(store, subject_id=subject_id)
    if not data.subjects:
        raise KeyError(f"no patient {subject_id!r} in this study")
    subject = data.subjects[0]
    settings = data.settings
    facts, regimens = study_facts(session.data())
    cp = data.child_pugh[0] if data.child_pugh else None
    score, cp_error = None, None
    if cp is not None:
        try:
            score = child_pugh_score(cp, settings.child_pugh_variant)
        except ValueError as exc:
            cp_error = str(exc)
    lesions: dict[str, list[Lesion]] = defaultdict(list)
    for lesion in data.lesions:
        lesions[lesion.reader].append(lesion)
    measurements: dict[str, list[tuple[int, Measurement]]] = defaultdict(list)
    for mid, m in rows_with_ids(store, "measurements", subject_id):
        measurements[m.reader].append((mid, m))
    reads: dict[str, list[tuple[int, Read]]] = defaultdict(list)
    for rid, r in rows_with_ids(store, "reads", subject_id):
        reads[r.reader].append((rid, r))
    readers = _reader_order(set(lesions) | set(reads))
    computed = {}
    selection = {}
    for reader in lesions:
        ms = [m for _, m in measurements.get(reader, [])]
        computed[reader] = recist.timepoint_responses(lesions[reader], ms, settings.criteria)
        if ms:
            first = min(m.date for m in ms)
            baseline = [m for m in ms if m.date == first]
            selection[reader] = recist.check_lesion_selection(lesions[reader], baseline, settings.criteria)
    outcomes: dict[str, SubjectOutcome] = {}
    for source in filter(session.access.sees_source, available_sources(data)):
        found = subject_outcomes(data, source)
        if found:
            outcomes[source] = found[0]
    return CaseData(
        subject=subject,
        child_pugh=cp,
        child_pugh_score=score,
        child_pugh_error=cp_error,
        cycles=list(data.cycles),
        dose=dose_summary(data.cycles, regimen=regimens.get(subject.arm.strip())),
        adverse_events=rows_with_ids(store, "adverse_events", subject_id),
        labs=list(data.labs),
        readers=readers,
        lesions=dict(lesions),
        measurements=dict(measurements),
        computed=computed,
        reads=dict(reads),
        outcomes=outcomes,
        selection_findings=selection,
        import_findings=findings_for(store, subject_id),
        follow_up=data.follow_up[0] if data.follow_up else None,
        review_state=review_states(store).get(subject_id, "not started"),
        criteria=str(settings.criteria),
        collected=facts,
    )


def audit_trail(session: StudySession, subject_id: str) -> list[dict[str, Any]]:
    """The audit entries about one patient that the signed-in user may see (DESIGN §4b), oldest first."""
    return visible_audit_entries(session.store, audit_entries_for(session.store, subject_id))
