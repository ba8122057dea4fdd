"""The study navigator's data, fast: one row per patient, and the rows of the patients a write touched.

The navigator needs per-patient figures only (best responses by source, PFS, OS, discordance), never the
cohort's survival fits, so it derives them with :func:`hccreview.domain.cohort.subject_outcomes` — the same
per-subject code path as the cohort statistics, without Kaplan–Meier (a load of the whole study is one pass
per source; refreshing one patient after an edit reads and derives only that patient). A patient is
discordant by the adjudication queue's rule (:func:`hccreview.services.adjudication.queue_from_data`: the two
central readers' confirmed best responses or first-PD dates differ), so the navigator's ⚑ and the queue agree.
The rows are :class:`hccreview.services.overview.PatientRow`. No Qt; runs in the GUI's database lane.
A row's review state is the signed-in user's (``session.store.user``; issue 17 item 6: "reviewed" is per user),
so the counts, the review filter and next-unreviewed stepping follow that user's marks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from hccreview.domain.arms import arm_of
from hccreview.domain.cohort import subject_outcomes
from hccreview.domain.endpoints import analysis_population
from hccreview.domain.records import StudyData
from hccreview.domain.sources import available_sources, default_source
from hccreview.services.adjudication import queue_from_data
from hccreview.services.overview import Overview, PatientRow
from hccreview.services.session import StudySession
from hccreview.store.review_state import findings_for, review_states
from hccreview.store.study_data import load_study


def navigator_rows(
    data: StudyData,
    sources: Sequence[str],
    states: Mapping[str, str],
    finding_counts: Mapping[str, int],
    *,
    default: str | None = None,
) -> list[PatientRow]:
    """Pure: one row per analysed subject of ``data`` with the best responses of every source in ``sources``
    (a source a subject's records do not offer gives MISSING, as in the cohort statistics). PFS and OS follow
    ``default`` (the study's default source; derived from ``data`` when not given)."""
    default = default or default_source(data)
    wanted = list(dict.fromkeys([default, *sources]))
    by_source = {src: {o.subject_id: o for o in subject_outcomes(data, src)} for src in wanted}
    discordant = {item.subject_id for item in queue_from_data(data, "central")}
    cycles = Counter(c.subject_id for c in data.cycles)
    arms = {s.subject_id: arm_of(s) for s in data.subjects}
    rows = []
    for sid, main in by_source[default].items():
        shown = {src: outcomes[sid] for src, outcomes in by_source.items() if sid in outcomes and src in sources}
        rows.append(
            PatientRow(
                subject_id=sid,
                child_pugh=main.child_pugh,
                extrahepatic=main.extrahepatic,
                cycles=cycles.get(sid, 0),
                bor={src: o.bor for src, o in shown.items()},
                bor_unconfirmed={src: o.bor_unconfirmed for src, o in shown.items()},
                pfs_months=main.pfs.months,
                pfs_event=main.pfs.event,
                os_months=main.os.months,
                os_event=main.os.event,
                review_state=states.get(sid, "not started"),
                discordant=sid in discordant,
                findings=finding_counts.get(sid, 0),
                arm=arms.get(sid, ""),
            )
        )
    return rows


def first_rows(session: StudySession) -> list[PatientRow]:
    """The navigator's rows before the overview is derived (issue 10: the first patient is shown, and stepping
    works, while the whole study loads): one :attr:`~PatientRow.pending` row per analysed subject (DESIGN §4:
    not a screen failure, with an origin date), with its review state and import findings count — the figures
    the navigator needs no derivation for. Reads the subjects, review-state and findings tables only."""
    store = session.store
    subjects = load_study(store, ["subjects"]).subjects
    states = review_states(store)
    counts = Counter(f["subject_id"] for f in findings_for(store) if f["subject_id"])
    nan = float("nan")
    rows = []
    for subject in analysis_population(subjects, session.settings()):
        sid = subject.subject_id
        row = PatientRow(sid, None, None, 0, {}, {}, nan, False, nan, False, states.get(sid, "not started"),
                         discordant=False, findings=counts.get(sid, 0), pending=True, arm=arm_of(subject))  # fmt: skip
        rows.append(row)
    return rows


def load_navigator_overview(session: StudySession) -> Overview:
    """The navigator's overview of the open study (works for a study without reads, e.g. before an import).

    PFS and OS columns follow the study's default source (adjudicated with central review, else investigator).
    The GUI runs the two halves apart: :func:`navigator_inputs` on the database lane, :func:`overview_from` on
    the compute lane (the database lane stays free for the case view meanwhile).
    """
    return overview_from(*navigator_inputs(session))


def navigator_inputs(session: StudySession) -> tuple[StudyData, dict[str, str], Counter[str]]:
    """What the overview is derived from: the study's records, review states and findings per subject (reads)."""
    store = session.store
    counts = Counter(f["subject_id"] for f in findings_for(store) if f["subject_id"])
    return session.data(), review_states(store), counts


def overview_from(data: StudyData, states: Mapping[str, str], counts: Mapping[str, int]) -> Overview:
    """Pure: the overview of ``data`` (see :func:`load_navigator_overview`)."""
    default = default_source(data)
    sources: list[str] = [*available_sources(data)] or [default]
    rows = navigator_rows(data, sources, states, counts, default=default)
    analysed = {r.subject_id for r in rows}
    return Overview(
        title=data.settings.title,
        criteria=str(data.settings.criteria),
        sources=sources,
        default_source=default if default in sources else sources[0],
        rows=rows,
        screened_out=[s.subject_id for s in data.subjects if s.subject_id not in analysed],
    )


def patient_rows(
    session: StudySession, subject_ids: Iterable[str], *, sources: Sequence[str] = (), default: str | None = None
) -> list[PatientRow]:
    """The navigator rows of ``subject_ids`` as they stand now, reading only those patients' records.

    ``sources`` and ``default``: the overview's (the study's list and default source, so that a patient without
    central reads keeps the study's PFS / OS source); patients not analysed are left out.
    """
    store = session.store
    states = review_states(store)
    rows: list[PatientRow] = []
    for subject_id in sorted(set(subject_ids)):
        data = load_study(store, subject_id=subject_id)
        if not data.subjects:
            continue
        counts = Counter(f["subject_id"] for f in findings_for(store, subject_id))
        rows += navigator_rows(data, sources or available_sources(data), states, counts, default=default)
    return rows


def review_progress(rows: Sequence[PatientRow]) -> tuple[int, int]:
    """(reviewed, total) over navigator rows — the status bar's "17 / 40 reviewed"."""
    return sum(r.review_state == "reviewed" for r in rows), len(rows)
