"""The study navigator's data: one row per patient with best responses by source, endpoints, review state."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from hccreview.domain.cohort import compute_cohort_stats
from hccreview.domain.records import StudyData
from hccreview.domain.sources import available_sources, default_source
from hccreview.services.session import StudySession
from hccreview.store.review_state import findings_for, review_states


@dataclass(frozen=True)
class PatientRow:
    """One navigator row; every figure derived by the rules engine from the records."""

    subject_id: str
    child_pugh: str | None
    extrahepatic: bool | None
    cycles: int
    bor: dict[str, str]  # source -> confirmed best overall response
    bor_unconfirmed: dict[str, str]
    pfs_months: float
    pfs_event: bool
    os_months: float
    os_event: bool
    review_state: str
    discordant: bool
    findings: int


@dataclass(frozen=True)
class Overview:
    """The navigator's content for one study: rows, the sources they show, review progress."""

    title: str
    criteria: str
    sources: list[str]
    default_source: str
    rows: list[PatientRow]
    screened_out: list[str] = field(default_factory=list)

    @property
    def n_reviewed(self) -> int:
        return sum(r.review_state == "reviewed" for r in self.rows)

    def index_of(self, subject_id: str) -> int | None:
        for i, row in enumerate(self.rows):
            if row.subject_id == subject_id:
                return i
        return None


def build_overview(data: StudyData, states: dict[str, str], finding_counts: dict[str, int]) -> Overview:
    """Pure: the overview from loaded records (runs in a worker, off the GUI thread)."""
    sources = available_sources(data)
    default = default_source(data)
    per_source = {src: compute_cohort_stats(data, src) for src in sources}
    by_id = {src: {o.subject_id: o for o in stats.subjects} for src, stats in per_source.items()}
    main = per_source[default]
    cycles = Counter(c.subject_id for c in data.cycles)
    discordant: set[str] = set()
    agreement = main.reader_agreement or {}
    discordant.update(agreement.get("discordant", []))  # type: ignore[arg-type]
    rows = []
    for outcome in main.subjects:
        sid = outcome.subject_id
        bor = {src: outcomes[sid].bor for src, outcomes in by_id.items() if sid in outcomes}
        bor_u = {src: outcomes[sid].bor_unconfirmed for src, outcomes in by_id.items() if sid in outcomes}
        rows.append(
            PatientRow(
                subject_id=sid,
                child_pugh=outcome.child_pugh,
                extrahepatic=outcome.extrahepatic,
                cycles=cycles.get(sid, 0),
                bor=bor,
                bor_unconfirmed=bor_u,
                pfs_months=outcome.pfs.months,
                pfs_event=outcome.pfs.event,
                os_months=outcome.os.months,
                os_event=outcome.os.event,
                review_state=states.get(sid, "not started"),
                discordant=sid in discordant,
                findings=finding_counts.get(sid, 0),
            )
        )
    analysed = {r.subject_id for r in rows}
    return Overview(
        title=data.settings.title,
        criteria=str(data.settings.criteria),
        sources=sources,
        default_source=default,
        rows=rows,
        screened_out=[s.subject_id for s in data.subjects if s.subject_id not in analysed],
    )


def load_overview(session: StudySession) -> Overview:
    """Read the study and build its overview."""
    data = session.data()
    counts = Counter(f["subject_id"] for f in findings_for(session.store) if f["subject_id"])
    return build_overview(data, review_states(session.store), dict(counts))
