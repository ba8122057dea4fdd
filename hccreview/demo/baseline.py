"""Baseline characteristics of the simulated patients: demographics, disease, Child-Pugh components.

Child-Pugh classes are assigned in the design's proportions (A 19 / B 16 / C 5 per 40) and the five
components are then drawn so that they SCORE to that class under Pugh et al. (Br J Surg 1973;60:646–649):
the class fixes a total of points, the points are spread over the components, and each component value is
drawn inside its points band (kept clear of the band edges and of the albumin 2.8 / 3.0 g/dL variant
boundary, so that both published albumin cut-offs give the same class). The class itself is never stored:
``hccreview.domain.child_pugh`` derives it from the components.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hccreview.demo.design import DESIGN, TrialDesign, scaled_count, scaled_partition

COMPONENTS = ("bilirubin", "albumin", "inr", "ascites", "encephalopathy")
#: Total Child-Pugh points per class and their probabilities.
_TOTALS = {0: ((5, 6), (0.55, 0.45)), 1: ((7, 8, 9), (0.45, 0.35, 0.20)), 2: ((10, 11, 12), (0.6, 0.3, 0.1))}
#: Relative chance that an extra point falls on each component, and its room for extra points (a trial
#: does not enrol grade 3-4 encephalopathy: at most 2 points there).
_WEIGHTS = np.array([1.0, 1.3, 0.6, 1.0, 0.35])
_ROOM = np.array([2, 2, 2, 2, 1])
#: Value bands (low, high) per points 1 / 2 / 3, clear of the Child-Pugh cut-offs.
_BILIRUBIN = ((0.4, 1.9), (2.1, 2.9), (3.2, 6.0))  # mg/dL: <2 / 2-3 / >3
_ALBUMIN = ((3.6, 4.6), (3.1, 3.4), (2.2, 2.7))  # g/dL: >3.5 / 2.8(3.0)-3.5 / <2.8
_INR = ((0.95, 1.55), (1.75, 2.25), (2.4, 3.0))  # <1.7 / 1.7-2.3 / >2.3
ASCITES = ("none", "mild", "moderate-severe")
ENCEPHALOPATHY = ("none", "grade 1-2", "grade 3-4")
ETIOLOGIES = ("HBV", "HCV", "alcohol", "NASH")
SITES = ("Site 01", "Site 02", "Site 03", "Site 04")


@dataclass(frozen=True)
class Baseline:
    """Per-patient baseline arrays (index = patient number in simulation order)."""

    n: int
    cp_class: np.ndarray  # 0 = A, 1 = B, 2 = C (design input; the study derives it from the components)
    points: np.ndarray  # (n, 5) points per component
    bilirubin: np.ndarray  # mg/dL
    albumin: np.ndarray  # g/dL
    inr: np.ndarray
    sex: np.ndarray  # "M" / "F"
    age: np.ndarray
    etiology: np.ndarray
    ecog: np.ndarray
    extrahepatic: np.ndarray  # bool
    macrovascular: np.ndarray  # bool
    afp: np.ndarray  # ng/mL
    prior_sorafenib: np.ndarray  # "progressed" / "intolerant"
    site: np.ndarray
    imaging: np.ndarray  # "CT" / "MRI"

    def bclc(self, i: int) -> str:
        """BCLC stage: C with vascular invasion, extrahepatic spread or ECOG 1-2, else B."""
        return "C" if self.extrahepatic[i] or self.macrovascular[i] or self.ecog[i] >= 1 else "B"

    def ascites(self, i: int) -> str:
        return ASCITES[self.points[i, 3] - 1]

    def encephalopathy(self, i: int) -> str:
        return ENCEPHALOPATHY[self.points[i, 4] - 1]


def _exact_flags(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    flags = np.zeros(n, dtype=bool)
    flags[rng.permutation(n)[:k]] = True
    return flags


def _spread_points(rng: np.random.Generator, cp_class: np.ndarray) -> np.ndarray:
    """Points per component (1-3) adding up to a total drawn for each patient's class."""
    n = len(cp_class)
    total = np.empty(n, dtype=int)
    u = rng.random(n)
    for cls, (values, probs) in _TOTALS.items():
        rows = cp_class == cls
        total[rows] = np.asarray(values)[np.searchsorted(np.cumsum(probs), u[rows], side="right")]
    points = np.ones((n, 5), dtype=int)
    extra = total - 5
    for _ in range(int(extra.max(initial=0))):
        active = extra > 0
        weights = _WEIGHTS * ((points - 1) < _ROOM)
        cum = np.cumsum(weights, axis=1)
        pick = (cum < (1.0 - rng.random(n))[:, None] * cum[:, -1:]).sum(axis=1)
        rows = np.flatnonzero(active)
        points[rows, pick[rows]] += 1
        extra[rows] -= 1
    return points


def _banded(rng: np.random.Generator, points: np.ndarray, bands: tuple, decimals: int) -> np.ndarray:
    lo = np.asarray([b[0] for b in bands])[points - 1]
    hi = np.asarray([b[1] for b in bands])[points - 1]
    return np.round(lo + (hi - lo) * rng.random(len(points)), decimals)


def simulate_baseline(seed_rng: np.random.Generator, patients: int, design: TrialDesign = DESIGN) -> Baseline:
    """Draw the baseline of ``patients`` patients (Child-Pugh and extrahepatic counts exact per design)."""
    rng, n = seed_rng, patients
    counts = scaled_partition(design.child_pugh_counts, n)
    cp_class = rng.permutation(np.repeat(np.arange(3), counts))
    points = _spread_points(rng, cp_class)
    ecog_probs = np.array([[0.45, 0.45, 0.10], [0.30, 0.55, 0.15], [0.15, 0.55, 0.30]])
    ecog = (np.cumsum(ecog_probs[cp_class], axis=1) < rng.random(n)[:, None]).sum(axis=1)
    etiology = np.asarray(ETIOLOGIES)[np.searchsorted([0.3, 0.7, 0.9], rng.random(n), side="right")]
    age_mean = np.where(etiology == "HBV", 54.0, 63.0)
    return Baseline(
        n=n,
        cp_class=cp_class,
        points=points,
        bilirubin=_banded(rng, points[:, 0], _BILIRUBIN, 1),
        albumin=_banded(rng, points[:, 1], _ALBUMIN, 1),
        inr=_banded(rng, points[:, 2], _INR, 2),
        sex=np.where(rng.random(n) < 0.82, "M", "F"),
        age=np.clip(np.round(age_mean + 9.0 * rng.standard_normal(n)), 32, 86).astype(int),
        etiology=etiology,
        ecog=ecog,
        extrahepatic=_exact_flags(rng, n, scaled_count(design.extrahepatic_count, n, design)),
        macrovascular=rng.random(n) < 0.3,
        afp=np.round(np.clip(np.exp(np.log(150.0) + 1.8 * rng.standard_normal(n)), 2.0, 250000.0), 1),
        prior_sorafenib=np.where(rng.random(n) < 0.8, "progressed", "intolerant"),
        site=np.asarray(SITES)[np.searchsorted([0.4, 0.65, 0.85], rng.random(n), side="right")],
        imaging=np.where(rng.random(n) < 0.25, "MRI", "CT"),
    )
