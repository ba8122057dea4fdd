"""The seeded demo study: a simulated lenalidomide-after-sorafenib HCC trial built from patient-level records.

``simulate_study(seed=, patients=)`` is pure given its arguments (independent ``numpy.random.default_rng``
streams per topic; no dependence on set or hash order): the same seed gives identical records. It returns
plain domain records per store table (``hccreview.store.study_data.TABLE_RECORDS``) and the study settings.
``write_demo_study`` writes them to a new study file in one transaction and adds the demo users.

The study file holds only facts — baseline components, cycles, adverse events, labs, lesions and their
measurements, the stated reads of the investigator and two central readers, survival follow-up. Every
published figure (Child-Pugh classes, ORR, median PFS / OS, toxicity counts, reader discordance) is
*derived* by the rules engine (``hccreview.domain``); the simulator's inputs are the trial's design
parameters and calibration targets (``hccreview.demo.design``). See ``docs/demo-study.md``.

Topics: ``baseline`` (demographics, Child-Pugh), ``course`` (scans, progression, death; calibration of the
medians), ``tumour`` (lesions, measurements), ``reads`` (investigator and central readers), ``treatment``
(cycles, AEs, labs).

Demo users (role, password) — for trying the workstation only:

- ``reader1`` (reader, ``reader1-demo``) and ``reader2`` (reader, ``reader2-demo``): the two central readers
  whose reads the study holds;
- ``adjudicator`` (adjudicator, ``adjudicator-demo``);
- ``admin`` (admin, ``admin-demo``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from hccreview.demo.baseline import Baseline, simulate_baseline
from hccreview.demo.course import Course, simulate_course
from hccreview.demo.design import (
    DEMO_USERS,
    DESIGN,
    STREAM_BASELINE,
    STREAM_READERS,
    STREAM_TREATMENT,
    STREAM_TUMOUR,
    TrialDesign,
    scaled_count,
)
from hccreview.demo.image_index import register_demo_images
from hccreview.demo.reads import central_reads, investigator_read
from hccreview.demo.treatment import simulate_treatment
from hccreview.demo.tumour import TumourCase, assessment_dates, build_case
from hccreview.domain.records import (
    ChildPughComponents,
    ChildPughVariant,
    Criteria,
    FollowUp,
    Origin,
    StudySettings,
    Subject,
)
from hccreview.store import access, write_gate
from hccreview.store.database import Store
from hccreview.store.study_data import TABLE_RECORDS, gc_paused, load_study, write_records
from hccreview.store.users import create_user

SIMULATOR_USER = "demo-simulator"


@dataclass(frozen=True)
class SimulatedStudy:
    """The demo study as plain records per store table, its settings, and how it was simulated."""

    settings: StudySettings
    records: dict[str, tuple[Any, ...]]
    seed: int
    patients: int
    calibration: dict[str, object] = field(default_factory=dict)
    discordances: dict[str, str] = field(default_factory=dict)  # subject id -> kind of reader disagreement


def demo_settings(design: TrialDesign = DESIGN) -> StudySettings:
    """Protocol settings of the demo study (RECIST 1.1, origin first dose, 8-weekly assessments)."""
    return StudySettings(
        title="Lenalidomide after sorafenib in advanced HCC (simulated demo)",
        protocol="DEMO-LEN-HCC",
        criteria=Criteria.RECIST11,
        confirmation_days=28,
        min_sd_days=42,
        origin=Origin.FIRST_DOSE,
        assessment_interval_days=design.assessment_interval_days,
        missed_assessments_for_censoring=2,
        assessment_window_days=design.scan_window_days,
        child_pugh_variant=ChildPughVariant.ALBUMIN_28,
        discordance_pd_days=0,
        drug=design.drug,
    )


def simulate_study(*, seed: int = 1, patients: int = 40, design: TrialDesign = DESIGN) -> SimulatedStudy:
    """Simulate the demo study (deterministic given ``seed`` and ``patients``)."""
    if patients < 1:
        raise ValueError(f"patients must be at least 1, got {patients}")
    with gc_paused():
        return _simulate(seed, patients, design)


def _simulate(seed: int, patients: int, design: TrialDesign) -> SimulatedStudy:
    settings = demo_settings(design)
    rng = np.random.default_rng([seed, STREAM_BASELINE])
    base = simulate_baseline(rng, patients, design)
    course = simulate_course(seed, base, design)
    n = patients
    rank = np.empty(n, dtype=int)
    rank[np.argsort(course.first_dose, kind="stable")] = np.arange(n)
    width = max(3, len(str(n)))
    ids = [f"HCC-{int(rank[i]) + 1:0{width}d}" for i in range(n)]
    first = [design.study_start + timedelta(days=int(d)) for d in course.first_dose]
    screening_gap = rng.integers(1, 11, n)
    subjects = [
        Subject(
            subject_id=ids[i],
            site=str(base.site[i]),
            sex=str(base.sex[i]),
            age=int(base.age[i]),
            etiology=str(base.etiology[i]),
            bclc_stage=base.bclc(i),
            ecog=int(base.ecog[i]),
            prior_sorafenib=str(base.prior_sorafenib[i]),
            extrahepatic=bool(base.extrahepatic[i]),
            macrovascular_invasion=bool(base.macrovascular[i]),
            afp_ng_ml=float(base.afp[i]),
            arm=f"{design.drug} {design.dose_levels_mg[0]:g} mg",
            enrolment_date=first[i] - timedelta(days=int(screening_gap[i])),
            first_dose_date=first[i],
        )
        for i in range(n)
    ]
    child_pugh = [
        ChildPughComponents(
            ids[i],
            float(base.bilirubin[i]),
            float(base.albumin[i]),
            float(base.inr[i]),
            base.ascites(i),
            base.encephalopathy(i),
        )
        for i in range(n)
    ]
    cases = _cases(seed, base, course, ids, first)
    inv = [investigator_read(case) for case in cases]
    pairs, discordances = central_reads(
        np.random.default_rng([seed, STREAM_READERS]),
        cases,
        inv,
        first,
        settings,
        scaled_count(design.reader_discordant_count, n, design),
    )
    treatment = simulate_treatment(np.random.default_rng([seed, STREAM_TREATMENT]), base, course, ids, first, design)
    sources = [s for i in range(n) for s in (inv[i], *pairs[i])]
    follow_up = [_follow_up(course, i, ids[i], first[i], treatment.death_causes) for i in range(n)]
    tables: dict[str, list[Any]] = {
        "subjects": subjects,
        "child_pugh": child_pugh,
        "cycles": treatment.cycles,
        "adverse_events": treatment.adverse_events,
        "labs": treatment.labs,
        "lesions": [x for s in sources for x in s.lesions],
        "measurements": [x for s in sources for x in s.measurements],
        "reads": [x for s in sources for x in s.reads],
        "follow_up": follow_up,
    }
    records = {
        table: tuple(sorted(tables[table], key=lambda r: r.subject_id)) for table in TABLE_RECORDS if table in tables
    }
    calibration: dict[str, object] = {
        "theta_days": course.theta,
        "phi_days": course.phi,
        "attempt": course.attempt,
        "calibrated": course.calibrated,
    }
    return SimulatedStudy(settings, records, seed, patients, calibration, discordances)


def _cases(seed: int, base: Baseline, course: Course, ids: list[str], first: list[date]) -> list[TumourCase]:
    rng = np.random.default_rng([seed, STREAM_TUMOUR])
    cases = []
    for i in range(course.n):
        dates = assessment_dates(first[i], int(course.baseline_scan[i]), course.scans[i])
        cases.append(
            build_case(
                rng,
                ids[i],
                str(base.imaging[i]),
                dates,
                ["BASELINE", *course.visits[i]],
                course.plan[i],
                bool(base.extrahepatic[i]),
                bool(base.macrovascular[i]),
            )
        )
    return cases


def _follow_up(course: Course, i: int, sid: str, first: date, causes: dict[str, str]) -> FollowUp:
    if course.death_day[i] > 0:
        death = first + timedelta(days=int(course.death_day[i]))
        return FollowUp(sid, death, causes.get(sid, "disease progression"), None)
    return FollowUp(sid, None, "", first + timedelta(days=int(course.last_day[i])))


def write_demo_study(
    path: str | Path, *, seed: int = 1, patients: int = 40, progress: Callable[[float, str], None] | None = None
) -> Path:
    """Create the demo study file at ``path`` (which must not exist: ``StoreError``), flagged as the demo
    (``store.access.mark_demo``) and with the demo users; a failed write leaves no file behind.
    ``progress(fraction, text)``, when given, is told each step (the command line shows it)."""
    step = progress or (lambda fraction, text: None)
    step(0.0, f"simulating {patients} patients (seed {seed})")
    study = simulate_study(seed=seed, patients=patients)
    path = Path(path)
    store = Store.create(path, study.settings, user=SIMULATOR_USER)
    try:
        with store.scope(write_gate.BUILD):  # a new study without accounts: the simulator writes it whole
            step(0.4, "writing the records")
            with gc_paused():
                write_records(store, study.records, note=f"demo simulator seed {seed}")
            step(0.8, "registering the demo images (generated on first use)")
            register_demo_images(store, load_study(store))
            step(0.9, "creating the demo accounts")
            access.mark_demo(store)  # the sign-in dialog may list the documented demo accounts
            for user in DEMO_USERS:
                create_user(store, username=user.username, full_name=user.full_name, role=user.role,
                            password=user.password)  # fmt: skip
    except BaseException:
        store.close()
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        raise
    store.close()
    step(1.0, "done")
    return path
