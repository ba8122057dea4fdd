"""The design of the model trial the demo study reproduces: its parameters, the simulator's inputs.

The seed trial (DESIGN §5): lenalidomide 25 mg on days 1–21 of 28-day cycles for advanced hepatocellular
carcinoma after sorafenib, 40 patients. Everything in :class:`TrialDesign` is an *input* of the simulator —
the trial's design and the published figures it is calibrated to reproduce (class counts per 40 patients, the
target ORR, the target median PFS / OS). None of these numbers is written into the study file: the file holds
measurements, cycles, events, labs and reads, and every figure is derived from them by the rules engine.

Counts are given per :attr:`TrialDesign.reference_patients` (40) and scaled to any cohort size by
:func:`scaled_count` / :func:`scaled_partition` (largest remainder).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from hccreview.domain.records import Role

#: Independent random streams of the simulator (one per topic, so that a change in one topic's draws
#: never shifts another topic's): ``numpy.random.default_rng([seed, stream, ...])``.
STREAM_BASELINE, STREAM_COURSE, STREAM_TUMOUR, STREAM_READERS, STREAM_TREATMENT = 1, 2, 3, 4, 5


@dataclass(frozen=True)
class TrialDesign:
    """Design parameters and calibration targets of the simulated trial (per 40 patients)."""

    reference_patients: int = 40
    # baseline
    child_pugh_counts: tuple[int, int, int] = (19, 16, 5)  # A / B / C
    extrahepatic_count: int = 17
    # response and time-to-event calibration targets
    confirmed_pr_count: int = 6  # ORR 15 %, no CR
    long_term_pf_months: tuple[float, ...] = (36.0, 32.0)  # progression-free at data cut-off
    median_pfs_months: float = 3.6
    median_os_months: float = 7.6
    lost_to_follow_up_count: int = 1  # after progression, OS censored at the last contact
    # toxicity (patients by worst grade, attributable)
    neutropenia_g4_count: int = 1
    fatigue_g3_count: int = 3
    rash_g3_count: int = 4
    # central review
    reader_discordant_count: int = 9  # ~22 % of patients: adjudication has work to do
    # schedule
    study_start: date = date(2008, 9, 1)
    accrual_days: int = 540
    assessment_interval_days: int = 56  # CT/MRI every 8 weeks ...
    late_interval_days: int = 84  # ... every 12 weeks after week 48
    late_schedule_from_day: int = 336
    scan_window_days: int = 7
    cycle_days: int = 28
    dosing_days: int = 21
    dose_levels_mg: tuple[float, ...] = (25.0, 20.0, 15.0, 10.0)
    drug: str = "lenalidomide"


DESIGN = TrialDesign()


def scaled_count(count: float, patients: int, design: TrialDesign = DESIGN) -> int:
    """``count`` per reference cohort scaled to ``patients`` (rounded half up, never above ``patients``)."""
    return min(patients, math.floor(count * patients / design.reference_patients + 0.5))


def scaled_partition(counts: tuple[int, ...], patients: int) -> list[int]:
    """Split ``patients`` in the proportions of ``counts`` by the largest-remainder method (deterministic)."""
    total = sum(counts)
    exact = np.asarray(counts, dtype=float) * patients / total
    out = np.floor(exact).astype(int)
    order = np.argsort(-(exact - out), kind="stable")
    for k in order[: patients - int(out.sum())]:
        out[k] += 1
    return [int(x) for x in out]


def month_days(months: float) -> int:
    """Days of ``months`` at 30.4375 days per month (DESIGN §4), rounded to the nearest day."""
    return math.floor(months * 30.4375 + 0.5)


@dataclass(frozen=True)
class DemoUser:
    """A user account created in every demo study (documented in ``docs/demo-study.md``)."""

    username: str
    full_name: str
    role: Role
    password: str


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("reader1", "Dr Ana Reader (central reader 1)", Role.READER, "reader1-demo"),
    DemoUser("reader2", "Dr Ben Reader (central reader 2)", Role.READER, "reader2-demo"),
    DemoUser("adjudicator", "Dr Cleo Adjudicator", Role.ADJUDICATOR, "adjudicator-demo"),
    DemoUser("admin", "Demo Administrator", Role.ADMIN, "admin-demo"),
)
#: The read sources of the demo: the investigator and the two central readers (the reader users).
INVESTIGATOR = "investigator"
READERS: tuple[str, str] = (DEMO_USERS[0].username, DEMO_USERS[1].username)
