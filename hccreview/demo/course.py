"""The course of each simulated patient: calendar, scan schedule, progression, death — calibrated.

Model (days from the first dose, the study's origin):

- **Scans** every 8 weeks (every 12 weeks after week 48), each within the protocol window of ±7 days, plus
  an *unscheduled* scan when progression is clinically suspected (30 % of progressions, 4–26 days after it).
- **Latent progression** ``T = θ · W`` with ``W`` Weibull (shape 1.3) scaled by Child-Pugh class and ECOG.
  It is *documented* at the first scan on or after ``T`` (scheduled or unscheduled). A share of patients
  (8 / 15 / 35 % for Child-Pugh A / B / C) die of liver failure at ``T`` before progression is documented.
- **Responders** (the design's confirmed-PR count, Child-Pugh A favoured): PR from the first or second
  scan, confirmed at the next; progression a gamma-distributed time after the confirmation, except for the
  long-term responders, still progression-free at data cut-off (36 and 32 months per 40 patients): their
  last assessment falls on that day and they are alive at the cut-off.
- **Death after progression**: ``φ · P`` days later, ``P`` log-normal by Child-Pugh class; alive at the
  data cut-off → censored there; one patient per 40 is lost to follow-up after progression.

**Calibration.** ``θ`` and ``φ`` are solved (bisection; every observed time is non-decreasing in them) so
that the Kaplan–Meier median of the *observed* PFS and OS times — event dates on the scan grid, as the rules
engine will derive them — is the design's target. The median is made robust to the convention: both
``min{t: S(t) ≤ ½}`` and ``min{t: S(t) < ½}`` must round to the target month (so floating-point ties at
exactly ½ and midpoint conventions give the same figure). When the scan grid of one draw cannot land it,
the draw is repeated with the next seeded stream (deterministic); small cohorts keep the closest draw.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hccreview.demo.baseline import Baseline
from hccreview.demo.design import DESIGN, STREAM_COURSE, TrialDesign, month_days, scaled_count

MONTH = 30.4375
_MAX_ATTEMPTS = 100  # draws tried for the calibration (10 below 20 patients, where it rarely lands)
_PFS_CP = np.array([1.2, 0.95, 0.6])  # latent progression-time multiplier by Child-Pugh class
_PFS_ECOG = np.array([1.1, 1.0, 0.8])
_DEATH_FIRST = np.array([0.08, 0.15, 0.35])  # death before documented progression, by class
_PPS_CP = np.array([1.2, 0.9, 0.55])  # post-progression survival multiplier by class
_RESPONDER_WEIGHT = np.array([1.0, 0.6, 0.25])


@dataclass(frozen=True)
class Course:
    """Per-patient course (index = simulation order) and the calibration that produced it."""

    n: int
    first_dose: np.ndarray  # day offset of the first dose from the study start
    cutoff: int  # data cut-off, day offset from the study start
    baseline_scan: np.ndarray  # day of the baseline scan (negative: before the first dose)
    scans: list[list[int]]  # post-baseline scans actually done (days from the first dose)
    visits: list[list[str]]
    plan: list[list[str]]  # intended overall response per scan: SD / PR / PD
    responder: np.ndarray
    long_term: np.ndarray
    death_first: np.ndarray  # died before progression was documented
    lost: np.ndarray  # lost to follow-up after progression
    pd_day: np.ndarray  # documented progression (-1: none)
    death_day: np.ndarray  # (-1: alive at last contact)
    last_day: np.ndarray  # last contact: death, loss to follow-up or data cut-off
    pfs_days: np.ndarray  # planned PFS (what the rules engine must derive)
    pfs_event: np.ndarray
    os_days: np.ndarray
    os_event: np.ndarray
    theta: float
    phi: float
    attempt: int
    calibrated: bool


def day_window(months: float) -> tuple[int, int]:
    """First and last whole day whose months (days / 30.4375) round to ``months`` at one decimal."""
    centre = month_days(months)
    days = [d for d in range(centre - 10, centre + 11) if round(d / MONTH, 1) == round(months, 1)]
    return min(days), max(days)


def km_crossing(days: np.ndarray, events: np.ndarray) -> tuple[float, float]:
    """``(min{t: S(t) ≤ ½}, min{t: S(t) < ½})`` of the Kaplan–Meier estimate (inf when never reached)."""
    times, inverse = np.unique(days, return_inverse=True)
    d = np.bincount(inverse, weights=events.astype(float), minlength=len(times))
    removed = np.bincount(inverse, minlength=len(times))
    at_risk = len(days) - np.concatenate([[0], np.cumsum(removed)[:-1]])
    surv = np.cumprod(1.0 - d / at_risk)
    lo = np.flatnonzero(surv <= 0.5 + 1e-9)
    hi = np.flatnonzero(surv < 0.5 - 1e-9)
    return (float(times[lo[0]]) if len(lo) else math.inf, float(times[hi[0]]) if len(hi) else math.inf)


def _solve(fn: Callable[[float], tuple[float, float]], start: int, lo: float, hi: float) -> float:
    """Smallest scale (to bisection precision) whose lower median crossing is ≥ ``start`` day."""
    if fn(lo)[0] >= start:
        return lo
    if fn(hi)[0] < start:
        return hi
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        lo, hi = (lo, mid) if fn(mid)[0] >= start else (mid, hi)
    return hi


def _calibrate(
    fn: Callable[[float], tuple[float, float]], window: tuple[int, int], target: int, lo: float, hi: float
) -> tuple[float, float]:
    """Scale that puts both median crossings in ``window`` (error 0), else the closest one found."""
    best = (math.inf, hi)
    for start in (target, window[0]):
        scale = _solve(fn, start, lo, hi)
        t_lo, t_hi = fn(scale)
        error = max(0.0, window[0] - t_lo) + max(0.0, t_hi - window[1])
        if error < best[0]:
            best = (error, scale)
        if error == 0:
            break
    return best


def _weighted_pick(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """``k`` indices drawn without replacement with probability ∝ ``weights`` (Efraimidis–Spirakis)."""
    keys = np.log(1.0 - rng.random(len(weights))) / weights
    return np.sort(np.argsort(-keys, kind="stable")[:k])


def _schedule(design: TrialDesign, horizon: int) -> np.ndarray:
    early = np.arange(
        design.assessment_interval_days, design.late_schedule_from_day + 1, design.assessment_interval_days
    )
    late = np.arange(
        early[-1] + design.late_interval_days, horizon + design.late_interval_days + 1, design.late_interval_days
    )
    return np.concatenate([early, late])


def _visit(target: int) -> str:
    return f"WEEK {target // 7}"


def simulate_course(seed: int, base: Baseline, design: TrialDesign = DESIGN) -> Course:
    """Draw and calibrate every patient's course (deterministic given ``seed``)."""
    best: tuple[float, Course] | None = None
    for attempt in range(_MAX_ATTEMPTS if base.n >= 20 else 10):
        course, error = _attempt(np.random.default_rng([seed, STREAM_COURSE, attempt]), base, design, attempt)
        if best is None or error < best[0]:
            best = (error, course)
        if error == 0:
            break
    assert best is not None
    return best[1]


def _attempt(rng: np.random.Generator, base: Baseline, design: TrialDesign, attempt: int) -> tuple[Course, float]:
    """One draw of every course, calibrated; the error is 0 when both medians land (module docstring)."""
    n, cp = base.n, base.cp_class
    idx = np.arange(n)
    # --- who responds, who stays progression-free ------------------------------------------------------
    n_resp = scaled_count(design.confirmed_pr_count, n, design)
    responder = np.zeros(n, dtype=bool)
    responder[_weighted_pick(rng, _RESPONDER_WEIGHT[cp], n_resp)] = True
    n_lt = min(n_resp, scaled_count(len(design.long_term_pf_months), n, design))
    resp_idx = np.flatnonzero(responder)
    long_term = np.zeros(n, dtype=bool)
    lt_idx = resp_idx[np.sort(rng.permutation(len(resp_idx))[:n_lt])]
    long_term[lt_idx] = True
    months = list(design.long_term_pf_months)
    lo_m, hi_m = min(months), max(months)
    lt_months = [months[k] if k < len(months) else lo_m + (hi_m - lo_m) * rng.random() for k in range(n_lt)]
    lt_last = np.zeros(n, dtype=int)
    lt_last[lt_idx] = [month_days(m) for m in lt_months]
    # --- calendar: accrual and data cut-off -------------------------------------------------------------
    alive_gap = rng.integers(7, 29, n)  # last contact after the last assessment of the long-term patients
    cutoff = int(max((lt_last + alive_gap)[lt_idx], default=design.accrual_days + 600)) + 20
    first_dose = rng.integers(0, design.accrual_days + 1, n)
    first_dose[lt_idx] = cutoff - lt_last[lt_idx] - alive_gap[lt_idx]
    follow = cutoff - first_dose  # days from the first dose to the data cut-off
    # --- scan grid ---------------------------------------------------------------------------------------
    targets = _schedule(design, int(follow.max()))
    w = design.scan_window_days
    scan_days = targets[None, :] + rng.integers(-w, w + 1, (n, len(targets)))
    baseline_scan = -rng.integers(3, 29, n)
    # --- latent times --------------------------------------------------------------------------------------
    latent = rng.weibull(1.3, n) * _PFS_CP[cp] * _PFS_ECOG[np.minimum(base.ecog, 2)]
    death_first = (rng.random(n) < _DEATH_FIRST[cp]) & ~responder
    unscheduled = rng.random(n) < 0.3
    delay = 4.0 + 22.0 * rng.random(n)
    pps = np.exp(0.75 * rng.standard_normal(n)) * _PPS_CP[cp] * np.where(responder, 1.5, 1.0)
    pr_from = np.where(rng.random(n) < 0.7, 0, 1)
    resp_time = scan_days[idx, pr_from + 1] + rng.gamma(2.0, 70.0, n)
    unconfirmed = (rng.random(n) < 0.12) & ~responder & ~death_first
    lost_draw = rng.random(n)
    lost_gap = rng.integers(14, 61, n)

    def progression(theta: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t = np.minimum(np.where(responder, resp_time, theta * latent), follow - 120.0)
        nxt = scan_days[idx, (scan_days < t[:, None]).sum(axis=1)]
        early = np.ceil(t + delay).astype(int)
        pd = np.where(unscheduled & (early < nxt), early, nxt)
        return t, pd, np.maximum(1, np.ceil(t)).astype(int)

    def pfs(theta: float) -> tuple[np.ndarray, np.ndarray]:
        _, pd, death = progression(theta)
        days = np.where(long_term, lt_last, np.where(death_first, death, pd))
        return days, ~long_term

    pfs_window = day_window(design.median_pfs_months)
    err_pfs, theta = _calibrate(
        lambda s: km_crossing(*pfs(s)), pfs_window, month_days(design.median_pfs_months), 1.0, 5000.0
    )
    _, pd_day, early_death = progression(theta)
    pd_day = np.where(long_term | death_first, -1, pd_day)
    # --- lost to follow-up and death ------------------------------------------------------------------------
    n_lost = scaled_count(design.lost_to_follow_up_count, n, design)
    eligible = np.flatnonzero((pd_day > 0) & (pd_day <= 150) & ~responder)
    lost = np.zeros(n, dtype=bool)
    lost[eligible[np.argsort(lost_draw[eligible], kind="stable")[:n_lost]]] = True

    def survival(phi: float) -> tuple[np.ndarray, np.ndarray]:
        death = np.where(death_first, early_death, pd_day + np.maximum(7, np.ceil(phi * pps)).astype(int))
        dead = ~long_term & ~lost & (death <= follow)
        days = np.where(dead, death, np.where(lost, pd_day + lost_gap, follow))
        return days, dead

    os_window = day_window(design.median_os_months)
    err_os, phi = _calibrate(
        lambda s: km_crossing(*survival(s)), os_window, month_days(design.median_os_months), 1.0, 20000.0
    )
    os_days, os_event = survival(phi)
    death_day = np.where(os_event, os_days, -1)
    pfs_days, pfs_event = pfs(theta)
    # --- scans done and the planned response at each ----------------------------------------------------------
    scans, visits, plans = [], [], []
    for i in range(n):
        grid = scan_days[i]
        if long_term[i]:
            keep = grid < lt_last[i] - 28
            days, labels = [*grid[keep].tolist(), int(lt_last[i])], [_visit(int(t)) for t in targets[keep]]
            labels.append(_visit(int(targets[int(keep.sum())])))
        else:
            stop = early_death[i] if death_first[i] else pd_day[i]
            keep = grid < stop
            days, labels = grid[keep].tolist(), [_visit(int(t)) for t in targets[keep]]
            if not death_first[i]:
                days.append(int(pd_day[i]))
                labels.append("UNSCHEDULED" if pd_day[i] not in grid else _visit(int(targets[int(keep.sum())])))
        plan = ["SD"] * len(days)
        if responder[i]:
            plan[pr_from[i] : len(days) if long_term[i] else len(days) - 1] = ["PR"] * (
                len(days) - pr_from[i] - (0 if long_term[i] else 1)
            )
        if not death_first[i] and not long_term[i]:
            plan[-1] = "PD"
            if unconfirmed[i] and len(days) >= 2:
                plan[-2] = "PR"
        scans.append([int(d) for d in days])
        visits.append(labels)
        plans.append(plan)
    last_day = np.where(os_event, os_days, np.where(lost, os_days, follow))
    course = Course(
        n=n,
        first_dose=first_dose,
        cutoff=cutoff,
        baseline_scan=baseline_scan,
        scans=scans,
        visits=visits,
        plan=plans,
        responder=responder,
        long_term=long_term,
        death_first=death_first,
        lost=lost,
        pd_day=pd_day,
        death_day=death_day,
        last_day=last_day,
        pfs_days=pfs_days,
        pfs_event=pfs_event,
        os_days=os_days,
        os_event=os_event,
        theta=theta,
        phi=phi,
        attempt=attempt,
        calibrated=err_pfs == 0 and err_os == 0,
    )
    return course, err_pfs + err_os
