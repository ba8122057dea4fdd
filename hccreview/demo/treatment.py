"""Treatment cycles, adverse events and laboratory values of the simulated patients.

**Cycles.** Lenalidomide 25 mg on days 1–21 of 28-day cycles from the first dose until progression, death
or toxicity. A dose-limiting event (an attributable grade ≥3 adverse event: the design's grade 4
neutropenia, grade 3 fatigue and grade 3 rash, and background grade 3 neutropenia, thrombocytopenia or
diarrhoea) interrupts dosing at its onset, delays the next cycle by 7–14 days and reduces the dose one level
(25 → 20 → 15 → 10 mg); a further one at 10 mg ends treatment. Some cycles are delayed 3–7 days without a
reduction (scheduling, grade 2 events).

**Labs** (NEUT, PLAT, HGB, BILI, ALB, ALT, AST in the standard units of ``ctcae_labs.grade_lab``): the full panel
at screening, on day 1 of cycles 2–12 (of every second cycle after that) and at the end of treatment; the
blood count also on day 15 of cycles 1–2 and at every dose-limiting cytopenia. Each value is drawn inside a
CTCAE v5.0 grade band chosen first (bands clear of every cut-off, so rounding cannot move a value across
one); screening bilirubin and albumin are the Child-Pugh components themselves.

**Adverse events** use CTCAE v5.0 terms and system organ classes from ``resources/ctcae_v5.csv``.
Laboratory AEs are the treatment-emergent worsening seen in the labs: an AE of the test's CTCAE term exists
when a post-baseline value grades higher than the screening value (the high-direction tests are graded
against the baseline when it is above the ULN, as CTCAE asks, so any grade ≥1 is a worsening); its grade
is the worst post-baseline grade, its onset the first worse value and its resolution the first later value
back at the baseline grade. Other AEs are drawn per term with realistic frequencies and attributions.
"""

from __future__ import annotations

import csv
import importlib.resources
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from hccreview.demo.baseline import Baseline
from hccreview.demo.course import Course
from hccreview.demo.design import DESIGN, TrialDesign, scaled_count
from hccreview.demo.draws import weighted_index
from hccreview.domain.records import AdverseEvent, Cycle, LabResult

#: test: (CTCAE term, unit, LLN, ULN, rounding decimals); HGB's LLN/ULN depend on sex (below).
LAB_TESTS: dict[str, tuple[str, str, float, float, int]] = {
    "NEUT": ("Neutrophil count decreased", "10^9/L", 2.0, 7.5, 2),
    "PLAT": ("Platelet count decreased", "10^9/L", 150.0, 400.0, 0),
    "HGB": ("Anemia", "g/dL", 13.5, 17.5, 1),
    "BILI": ("Blood bilirubin increased", "mg/dL", 0.3, 1.2, 2),
    "ALB": ("Hypoalbuminemia", "g/dL", 3.5, 5.0, 1),
    "ALT": ("Alanine aminotransferase increased", "U/L", 7.0, 40.0, 0),
    "AST": ("Aspartate aminotransferase increased", "U/L", 10.0, 40.0, 0),
}
_TESTS = tuple(LAB_TESTS)
_HGB_FEMALE = (12.0, 15.5)
_HIGH = ("BILI", "ALT", "AST")  # graded as multiples of ULN, or of an abnormal baseline
_BLOOD_COUNT = ("NEUT", "PLAT", "HGB")  # also on day 15 of cycles 1-2 and at dose-limiting cytopenias
#: Background worst post-baseline grade per test: probabilities of grade 0, 1, 2, 3.
_BACKGROUND = {
    "NEUT": (0.45, 0.25, 0.30, 0.0),
    "PLAT": (0.40, 0.35, 0.25, 0.0),
    "HGB": (0.40, 0.40, 0.17, 0.03),
    "BILI": (0.55, 0.27, 0.14, 0.04),
    "ALT": (0.55, 0.30, 0.12, 0.03),
    "AST": (0.50, 0.32, 0.14, 0.04),
}
#: Non-laboratory AEs: term, share of patients, grade 1/2/3 probabilities, attribution weights
#: (unrelated, unlikely, possible, probable, definite). Grade 3 of an attributable term only as a
#: dose-limiting event (below), so that dose reductions follow the AEs that caused them.
_CLINICAL = (
    ("Fatigue", 0.55, (0.55, 0.45, 0.0), (0, 1, 4, 3, 1)),
    ("Rash maculo-papular", 0.30, (0.6, 0.4, 0.0), (0, 0, 3, 4, 2)),
    ("Pruritus", 0.25, (0.7, 0.3, 0.0), (0, 1, 4, 3, 0)),
    ("Diarrhea", 0.30, (0.7, 0.3, 0.0), (0, 1, 4, 3, 0)),
    ("Constipation", 0.25, (0.7, 0.3, 0.0), (1, 2, 4, 1, 0)),
    ("Nausea", 0.20, (0.75, 0.25, 0.0), (1, 2, 3, 1, 0)),
    ("Anorexia", 0.30, (0.6, 0.4, 0.0), (1, 3, 3, 1, 0)),
    ("Edema limbs", 0.20, (0.6, 0.35, 0.05), (3, 4, 0, 0, 0)),
    ("Abdominal pain", 0.25, (0.5, 0.35, 0.15), (4, 4, 0, 0, 0)),
    ("Ascites", 0.15, (0.2, 0.5, 0.3), (5, 3, 0, 0, 0)),
    ("Fever", 0.10, (0.8, 0.2, 0.0), (2, 4, 2, 0, 0)),
    ("Dyspnea", 0.10, (0.6, 0.3, 0.1), (3, 4, 0, 0, 0)),
    ("Cough", 0.10, (0.8, 0.2, 0.0), (5, 3, 0, 0, 0)),
    ("Encephalopathy", 0.05, (0.0, 0.5, 0.5), (5, 3, 0, 0, 0)),
    ("Thromboembolic event", 0.05, (0.0, 1.0, 0.0), (0, 1, 4, 2, 0)),
    ("Upper gastrointestinal hemorrhage", 0.05, (0.0, 0.4, 0.6), (5, 3, 0, 0, 0)),
    ("Insomnia", 0.10, (0.8, 0.2, 0.0), (2, 4, 2, 0, 0)),
    ("Dizziness", 0.08, (0.8, 0.2, 0.0), (1, 3, 3, 0, 0)),
    ("Mucositis oral", 0.08, (0.8, 0.2, 0.0), (0, 2, 4, 1, 0)),
)
_ATTRIBUTIONS = ("unrelated", "unlikely", "possible", "probable", "definite")
#: Dose-limiting events: kind -> (term, grade, lab test or None, cycles it may start in, onset day range).
_DLT = {
    "neut4": ("Neutrophil count decreased", 4, "NEUT", (1, 2), (14, 14)),
    "fatigue3": ("Fatigue", 3, None, (1, 3), (8, 24)),
    "rash3": ("Rash maculo-papular", 3, None, (1, 2), (7, 18)),
    "neut3": ("Neutrophil count decreased", 3, "NEUT", (1, 99), (14, 14)),
    "plat3": ("Platelet count decreased", 3, "PLAT", (1, 99), (14, 14)),
    "diarrhea3": ("Diarrhea", 3, None, (1, 99), (5, 20)),
}
_BACKGROUND_DLT = (("neut3", 0.012), ("plat3", 0.01), ("diarrhea3", 0.005))  # per cycle at 25 mg


def ctcae_socs() -> dict[str, str]:
    """CTCAE v5.0 term -> system organ class, from the packaged ``resources/ctcae_v5.csv``."""
    path = importlib.resources.files("hccreview.resources") / "ctcae_v5.csv"
    # Traversable.open passes text options on to io.TextIOWrapper (importlib.resources docs); typeshed's overloads
    # name only encoding and errors
    with path.open(encoding="utf-8", newline="") as fh:  # type: ignore[call-overload]  # typeshed omits newline
        return {row["term"]: row["soc"] for row in csv.DictReader(fh)}


@dataclass
class _Patient:
    """Treatment-side draws of one patient while its records are built."""

    sid: str
    first_dose: date
    end: int  # no cycle starts on or after this day
    last_day: int
    dlts: list[tuple[str, int, int]] = field(default_factory=list)  # (kind, cycle, day in cycle)
    forced: dict[int, tuple[str, int]] = field(default_factory=dict)  # day -> (test, grade) of a DLT lab
    starts: dict[int, int] = field(default_factory=dict)  # cycle number -> start day


@dataclass
class Treatment:
    """Records of the treatment topic."""

    cycles: list[Cycle]
    adverse_events: list[AdverseEvent]
    labs: list[LabResult]
    death_causes: dict[str, str]


def _special(rng: np.random.Generator, course: Course, ends: np.ndarray, design: TrialDesign) -> list[list]:
    """The design's dose-limiting events, each given to patients treated long enough to have them."""
    out: list[list] = [[] for _ in range(course.n)]
    eligible = np.flatnonzero(ends >= 45)
    for kind, count in (
        ("neut4", design.neutropenia_g4_count),
        ("fatigue3", design.fatigue_g3_count),
        ("rash3", design.rash_g3_count),
    ):
        k = scaled_count(count, course.n, design)
        pool = eligible if len(eligible) >= k else np.flatnonzero(ends >= 1)
        for i in np.sort(rng.permutation(pool)[:k]):
            out[int(i)].append(kind)
    return out


def _cycles(rng: np.random.Generator, p: _Patient, special: list[str], design: TrialDesign) -> list[Cycle]:
    """Cycles from the first dose until ``p.end``, with delays and reductions after dose-limiting events."""
    pending = sorted((int(rng.integers(_DLT[k][3][0], _DLT[k][3][1] + 1)), k) for k in special)
    out: list[Cycle] = []
    start, level, number, delay, reduced, reason = 0, 0, 1, 0, False, ""
    levels = design.dose_levels_mg
    while start < p.end:
        room = min(p.end - 1, p.last_day) - start  # last possible onset day in this cycle
        last_chance = start + design.cycle_days + 14 >= p.end  # a delayed next cycle may never come
        events = []
        for cycle, kind in list(pending):  # the design's events: in their cycle, or in the last one treated
            if (cycle <= number or last_chance) and room >= 1:
                lo, hi = _DLT[kind][4]
                events.append((max(1, min(int(rng.integers(lo, hi + 1)), room)), kind))
                pending.remove((cycle, kind))
        for kind, prob in _BACKGROUND_DLT:
            if rng.random() < prob * (1.0 - 0.2 * level):
                lo, hi = _DLT[kind][4]
                day = int(rng.integers(lo, hi + 1))
                if day <= room:
                    events.append((day, kind))
        dosed = min(design.dosing_days, p.end - start)
        events.sort()
        if events:
            dosed = min(dosed, events[0][0])
        out.append(
            Cycle(
                p.sid,
                number,
                p.first_dose + timedelta(days=start),
                levels[level],
                dosed,
                delay,
                reduced,
                reason,
                design.drug,
            )
        )
        p.starts[number] = start
        for day, kind in events:
            p.dlts.append((kind, number, day))
            term, grade, test = _DLT[kind][:3]
            if test and p.forced.get(start + day, ("", 0))[1] < grade:
                p.forced[start + day] = (test, grade)
        if events:
            term, grade = _DLT[events[0][1]][:2]
            if level == len(levels) - 1:
                p.end = min(p.end, start + design.cycle_days)  # treatment ends for toxicity
                break
            level += 1
            delay, reduced = int(rng.integers(7, 15)), True
            reason = f"{term} grade {grade}: delayed, dose reduced to {levels[level]:g} mg"
        elif rng.random() < 0.08:
            delay, reduced = int(rng.integers(3, 8)), False
            reason = ("scheduling", "grade 2 fatigue", "grade 2 diarrhea")[weighted_index(rng, (0.5, 0.3, 0.2))]
        else:
            delay, reduced, reason = 0, False, ""
        start += design.cycle_days + delay
        number += 1
    return out


def simulate_treatment(
    rng: np.random.Generator,
    base: Baseline,
    course: Course,
    ids: list[str],
    first_dose: list[date],
    design: TrialDesign = DESIGN,
) -> Treatment:
    """Cycles, labs and adverse events of every patient (``ids`` / ``first_dose`` in simulation order)."""
    n = course.n
    treat_end = np.where(
        course.pd_day > 0, course.pd_day, np.where(course.death_day > 0, course.death_day, course.last_day - 7)
    )
    specials = _special(rng, course, treat_end, design)
    socs = ctcae_socs()
    cycles: list[Cycle] = []
    lab_rows: list[tuple[int, int, bool]] = []  # (patient, day, full panel or blood count only)
    patients: list[_Patient] = []
    for i in range(n):
        p = _Patient(ids[i], first_dose[i], int(treat_end[i]), int(course.last_day[i]))
        mine = _cycles(rng, p, specials[i], design)
        cycles.extend(mine)
        days = {-int(rng.integers(1, 8)): True}  # screening
        for d in p.forced:  # dose-limiting cytopenias
            days[d] = False
        for c in mine:
            d0 = p.starts[c.number]
            if c.number <= 2 and d0 + 14 < p.end and d0 + 14 <= p.last_day:
                days.setdefault(d0 + 14, False)
            if c.number >= 2 and (c.number <= 12 or c.number % 2 == 0):
                days[d0] = True
        if course.pd_day[i] > 0 and p.end <= p.last_day:
            days[p.end] = True  # end of treatment
        lab_rows.extend((i, d, days[d]) for d in sorted(days))
        patients.append(p)
    labs, lab_aes = _labs(rng, base, patients, lab_rows)
    aes, causes = _clinical_aes(rng, course, patients, lab_aes, socs)
    return Treatment(cycles, aes, labs, causes)


# ------------------------------------------------------------------------------------------- laboratory

#: High-direction bands as multiples of the reference (ULN, or an abnormal baseline) per grade 1-3;
#: grade 1 above an abnormal baseline starts at >1.0 x (BILI) or >=1.5 x (ALT, AST) baseline (CTCAE v5.0).
_HIGH_BANDS = {"BILI": ((1.06, 1.44), (1.56, 2.9), (3.1, 9.0)), "ALT": ((1.56, 2.9), (3.1, 4.9), (5.2, 12.0))}
_HIGH_BANDS["AST"] = _HIGH_BANDS["ALT"]
_LOW_BANDS = {  # grade 1-4 (absolute cut-offs; grade 1 is below the LLN)
    "NEUT": ((1.55, 1.95), (1.05, 1.45), (0.55, 0.95), (0.15, 0.45)),
    "PLAT": ((78.0, 147.0), (52.0, 73.0), (27.0, 48.0), (10.0, 23.0)),
    "HGB": ((10.1, None), (8.1, 9.9), (6.6, 7.9), (6.6, 7.9)),
    "ALB": ((3.1, 3.4), (2.1, 2.9), (1.6, 1.9), (1.6, 1.9)),
}


def _bands(test: str, g: np.ndarray, base: np.ndarray, lln: np.ndarray, uln: np.ndarray) -> tuple:
    """(low, high) value band of grade ``g`` for ``test``, clear of every CTCAE v5.0 cut-off.

    Grade 0 stays near ``base`` (the screening value): at or above the LLN for the low tests, at or below
    the reference (ULN, or an abnormal baseline; ALT / AST: below 1.5 x an abnormal baseline) for the high.
    """
    if test in _LOW_BANDS:
        lo0 = {
            "NEUT": np.clip(base * 0.8, 2.05, 7.0),
            "PLAT": np.clip(base * 0.85, 152.0, 380.0),
            "HGB": lln + 0.1,
            "ALB": np.full(len(g), 3.6),
        }[test]
        hi0 = {
            "NEUT": np.clip(base * 1.2, 2.1, 7.4),
            "PLAT": np.clip(base * 1.15, 155.0, 395.0),
            "HGB": lln + 2.5,
            "ALB": np.full(len(g), 4.6),
        }[test]
        bands = _LOW_BANDS[test]
        lows = [lo0, *(np.full(len(g), b[0]) for b in bands)]
        highs = [hi0, *((lln - 0.1) if b[1] is None else np.full(len(g), b[1]) for b in bands)]
        return np.choose(g, lows), np.choose(g, highs)
    abnormal = base > uln
    ref = np.where(abnormal, base, uln)
    if test == "BILI":
        lo0 = np.where(abnormal, base * 0.80, np.maximum(0.3, base * 0.8))
        hi0 = np.where(abnormal, base * 0.97, np.clip(base * 1.15, 0.35, 1.15))
        g1 = (np.where(abnormal, base * 1.06, uln * 1.05), np.where(abnormal, base * 1.44, uln * 1.44))
    else:
        lo0 = np.where(abnormal, base * 0.7, np.maximum(8.0, base * 0.7))
        hi0 = np.where(abnormal, base * 1.4, np.clip(base * 1.2, 9.0, uln - 1.0))
        g1 = (np.where(abnormal, base * 1.56, uln * 1.06), np.where(abnormal, base * 2.9, uln * 2.9))
    (_, _), (l2, h2), (l3, h3) = _HIGH_BANDS[test]
    return (np.choose(g, [lo0, g1[0], ref * l2, ref * l3]), np.choose(g, [hi0, g1[1], ref * h2, ref * h3]))


def _ranges(test: str, sex: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    _, _, lln, uln, _ = LAB_TESTS[test]
    if test == "HGB":
        return np.where(sex == "F", _HGB_FEMALE[0], lln), np.where(sex == "F", _HGB_FEMALE[1], uln)
    return np.full(len(sex), lln), np.full(len(sex), uln)


def _round(test: str, values: np.ndarray) -> np.ndarray:
    return np.round(values, LAB_TESTS[test][4])


def _screening(rng: np.random.Generator, base: Baseline) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Screening value and its grade per test and patient (grade 0 for the high tests: the reference)."""
    n, cp = base.n, base.cp_class
    zeros = np.zeros(n, dtype=int)
    plat_g = np.array([[0.6, 0.35, 0.05], [0.35, 0.5, 0.15], [0.2, 0.5, 0.3]])
    grades = {
        "NEUT": (rng.random(n) < 0.08).astype(int),
        "PLAT": (np.cumsum(plat_g[cp], axis=1) < rng.random(n)[:, None]).sum(axis=1),
        "HGB": np.searchsorted([0.6, 0.95], rng.random(n), side="right"),
    }
    centre = {
        "NEUT": np.exp(np.log(3.6) + 0.35 * rng.standard_normal(n)),
        "PLAT": np.asarray([170.0, 120.0, 95.0])[cp] * np.exp(0.35 * rng.standard_normal(n)),
        "HGB": np.zeros(n),
    }
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for test, g in grades.items():
        lln, uln = _ranges(test, base.sex)
        lo, hi = _bands(test, g, centre[test], lln, uln)
        out[test] = (_round(test, lo + (hi - lo) * rng.random(n)), g)
    out["BILI"] = (base.bilirubin.astype(float), zeros)
    out["ALB"] = (base.albumin.astype(float), np.where(base.albumin > 3.5, 0, np.where(base.albumin >= 3.0, 1, 2)))
    out["ALT"] = (np.round(np.clip(np.exp(np.log(48.0) + 0.5 * rng.standard_normal(n)), 12, 180)), zeros)
    out["AST"] = (np.round(np.clip(np.exp(np.log(70.0) + 0.5 * rng.standard_normal(n)), 15, 250)), zeros)
    return out


def _labs(
    rng: np.random.Generator, base: Baseline, patients: list[_Patient], lab_rows: list[tuple[int, int, bool]]
) -> tuple[list[LabResult], list[tuple]]:
    """Lab values at ``lab_rows`` and the laboratory AEs they show: (patient, test, grade, onset, resolution)."""
    n = base.n
    who_all = np.asarray([r[0] for r in lab_rows], dtype=int)
    day_all = np.asarray([r[1] for r in lab_rows], dtype=int)
    full = np.asarray([r[2] for r in lab_rows], dtype=bool)
    screening = _screening(rng, base)
    values: dict[str, list[float]] = {}
    events: list[tuple] = []
    for test in _TESTS:
        rows = np.flatnonzero(full | (test in _BLOOD_COUNT))
        who, day = who_all[rows], day_all[rows]
        is_base = day < 0
        post = np.flatnonzero(~is_base)
        b_val, g0 = screening[test]
        draw = np.searchsorted(np.cumsum(_BACKGROUND.get(test, (1.0,))), rng.random(n), side="right")
        bump = rng.random(n) < 0.4  # albumin: one grade worse in 40 %
        worst = np.minimum(3, g0 + bump) if test == "ALB" else np.maximum(g0, np.minimum(draw, 3))
        low = np.zeros(n, dtype=int) if test in _HIGH else np.maximum(0, g0 - 1)
        g = low[who] + np.floor(rng.random(len(who)) * (worst[who] - low[who] + 1)).astype(int)
        pick = np.full(n, -1)  # one random post-baseline date per patient carries the worst grade
        order = post[np.argsort(rng.random(len(post)), kind="stable")]
        pick[who[order]] = order
        has = pick >= 0
        g[pick[has]] = worst[has]
        for k, (w, d) in enumerate(zip(who.tolist(), day.tolist(), strict=True)):
            forced = patients[w].forced.get(d)
            if forced is not None and forced[0] == test:
                g[k] = forced[1]
        g = np.where(is_base, g0[who], g)
        lln, uln = _ranges(test, base.sex[who])
        lo, hi = _bands(test, g, b_val[who], lln, uln)
        measured = np.full(len(lab_rows), np.nan)
        measured[rows] = np.where(is_base, b_val[who], _round(test, lo + (hi - lo) * rng.random(len(who))))
        values[test] = measured.tolist()
        events.extend(_lab_events(test, who, day, g, screening[test][1]))
    labs: list[LabResult] = []
    for k, (w, d) in enumerate(zip(who_all.tolist(), day_all.tolist(), strict=True)):
        p, when = patients[w], patients[w].first_dose + timedelta(days=d)
        for test in _TESTS:
            value = values[test][k]
            if value == value:  # not NaN: measured on this date
                _, unit, normal_low, normal_high, _ = LAB_TESTS[test]
                if test == "HGB" and base.sex[w] == "F":
                    normal_low, normal_high = _HGB_FEMALE
                labs.append(LabResult(p.sid, test, value, unit, when, normal_low, normal_high))
    return labs, sorted(events, key=lambda e: (e[0], _TESTS.index(e[1])))


def _lab_events(test: str, who: np.ndarray, day: np.ndarray, g: np.ndarray, g0_all: np.ndarray) -> list[tuple]:
    """Treatment-emergent AEs of ``test``: (patient, test, worst grade, onset day, resolution day or None)."""
    out = []
    bounds = np.flatnonzero(np.diff(who)) + 1
    starts = np.concatenate([[0], bounds]).tolist()
    ends = np.concatenate([bounds, [len(who)]]).tolist()
    days, grades = day.tolist(), g.tolist()
    for s, e in zip(starts, ends, strict=True):
        i = int(who[s])
        g0 = 0 if test in _HIGH else int(g0_all[i])
        post = [(days[k], grades[k]) for k in range(s, e) if days[k] >= 0]
        worse = [(d, x) for d, x in post if x > g0]
        if not worse:
            continue
        grade = max(x for _, x in worse)
        peak = next(d for d, x in post if x == grade)
        resolution = next((d for d, x in post if d > peak and x <= g0), None)
        out.append((i, test, grade, worse[0][0], resolution))
    return out


# ------------------------------------------------------------------------------------------- adverse events


def _clinical_aes(
    rng: np.random.Generator, course: Course, patients: list[_Patient], lab_aes: list[tuple], socs: dict[str, str]
) -> tuple[list[AdverseEvent], dict[str, str]]:
    """All AEs (lab-derived, dose-limiting, background, fatal) with CTCAE terms; death cause per subject."""
    by_patient: list[list[tuple]] = [[] for _ in patients]
    for i, test, grade, onset, resolution in lab_aes:
        term = LAB_TESTS[test][0]
        if test in ("NEUT", "PLAT"):
            attribution = "probable" if grade >= 3 else ("possible", "probable")[int(rng.integers(2))]
        elif test == "HGB" and grade <= 2:
            attribution = ("possible", "probable")[int(rng.integers(2))]
        else:  # liver tests, albumin, severe anaemia: the disease (attributable grade >= 3 only as DLTs)
            attribution = _ATTRIBUTIONS[weighted_index(rng, (1, 6, 3 if grade <= 2 else 0, 0, 0))]
        dlt = any(_DLT[k][0] == term and _DLT[k][1] == grade for k, _, _ in patients[i].dlts)
        action = "dose reduced" if dlt else ("drug interrupted" if grade >= 3 else "none")
        by_patient[i].append((onset, term, grade, attribution, grade >= 4, action, resolution))
    causes: dict[str, str] = {}
    for i, p in enumerate(patients):
        for kind, number, day in p.dlts:
            term, grade, test = _DLT[kind][:3]
            if test:
                continue
            onset = p.starts.get(number, 0) + day
            attribution = ("possible", "probable", "definite")[weighted_index(rng, (0.3, 0.5, 0.2))]
            by_patient[i].append(
                (onset, term, grade, attribution, kind == "diarrhea3", "dose reduced", onset + int(rng.integers(7, 22)))
            )
        horizon = max(1, min(p.end + 28, p.last_day))
        for term, share, gprobs, attr in _CLINICAL:
            if rng.random() >= share:
                continue
            grade = 1 + weighted_index(rng, gprobs)
            related = attr[2] + attr[3] + attr[4] > attr[0] + attr[1]
            u = rng.random()
            onset = 1 + int((horizon - 1) * (u * u if related else u))
            attribution = _ATTRIBUTIONS[weighted_index(rng, attr)]
            by_patient[i].append(
                (onset, term, grade, attribution, grade >= 3, "none", onset + int(rng.integers(5, 61)))
            )
        if course.death_first[i]:
            death = int(course.death_day[i])
            cause = weighted_index(rng, (0.6, 0.2, 0.2))
            causes[p.sid] = ("hepatic failure", "sepsis", "unknown")[cause]
            if cause < 2:
                term = ("Hepatic failure", "Sepsis")[cause]
                onset = max(1, death - int(rng.integers(2, 16)))
                by_patient[i].append(
                    (onset, term, 5, ("unrelated", "unlikely")[int(rng.integers(2))], True, "drug withdrawn", None)
                )
        elif course.death_day[i] > 0:
            causes[p.sid] = "disease progression"
    aes: list[AdverseEvent] = []
    for i, p in enumerate(patients):
        events = sorted((e for e in by_patient[i] if e[0] <= p.last_day), key=lambda e: (e[0], e[1]))
        for seq, (onset, term, grade, attribution, serious, action, resolution) in enumerate(events, start=1):
            end = resolution if resolution is not None and resolution <= p.last_day else None
            outcome = (
                "fatal" if grade == 5 else ("recovered/resolved" if end is not None else "not recovered/not resolved")
            )
            aes.append(
                AdverseEvent(
                    p.sid,
                    seq,
                    term,
                    socs[term],
                    grade,
                    "",
                    p.first_dose + timedelta(days=onset),
                    None if end is None else p.first_dose + timedelta(days=end),
                    attribution,
                    bool(serious),
                    action,
                    outcome,
                )
            )
    return aes, causes
