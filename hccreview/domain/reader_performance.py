"""Investigator-versus-central discrepancy of progression: the early and late discrepancy rates.

Amit O, Mannino F, Stone AM, et al. *Blinded independent central review of progression in cancer clinical
trials: results from a meta-analysis.* Eur J Cancer 2011;47:1772–1778 (the PhRMA PFS working group).
Each patient falls in one cell of the local-evaluation (LE, here the investigator) × blinded independent
central review (BICR) table of progression:

==============  =====================  =============
..              BICR: PD               BICR: no PD
==============  =====================  =============
LE: PD          a = a1 + a2 + a3       b
LE: no PD       c                      d
==============  =====================  =============

- a1: both declare PD on the same date (within ``tolerance_days``, default 0: the same date);
- a2: both declare PD, the LE *earlier* than BICR;  a3: both declare PD, the LE *later* than BICR;
- b: PD by the LE only;  c: PD by BICR only;  d: PD by neither.

**Early discrepancy rate** EDR = (a2 + b) / (a1 + a2 + a3 + b): how often the LE declares progression
early relative to BICR, as a share of the LE's progressions.
**Late discrepancy rate** LDR = (a3 + c) / (a2 + a3 + b + c): how often the LE declares progression late
relative to BICR, as a share of all discrepancies.

An undefined rate (denominator 0) is None. Events are radiological progressions (first PD); a death is the
same event in both evaluations and is not compared here. Pure functions: the caller supplies the dates.

The BICR progression date is that of the adjudicated central read: the reads of the one reader the
adjudicator chose for the patient, all their timepoints, never mixed with the other reader's reads (FDA
*Clinical Trial Imaging Endpoint Process Standards*, 2018; ``domain.sources``). Where timepoints of two
evaluations are compared they are paired by visit (``sources.timepoint_groups``: the visit label, else the
nearest date within the assessment window), never by exact date only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

CELLS: tuple[str, ...] = ("a1", "a2", "a3", "b", "c", "d")
CELL_MEANING = {
    "a1": "both PD, same date",
    "a2": "both PD, investigator earlier",
    "a3": "both PD, investigator later",
    "b": "PD by investigator only",
    "c": "PD by central review only",
    "d": "no PD in either",
}
REFERENCE = "Amit O, et al. Eur J Cancer 2011;47:1772-1778"


@dataclass(frozen=True)
class ProgressionPair:
    """One patient's first progression date by the local evaluation and by central review (None = no PD)."""

    subject_id: str
    local_pd: date | None
    central_pd: date | None


def classify(pair: ProgressionPair, tolerance_days: int = 0) -> str:
    """The cell (a1, a2, a3, b, c or d) of one patient (module docstring)."""
    lo, bi = pair.local_pd, pair.central_pd
    if lo is None and bi is None:
        return "d"
    if bi is None:
        return "b"
    if lo is None:
        return "c"
    diff = (lo - bi).days
    if abs(diff) <= tolerance_days:
        return "a1"
    return "a2" if diff < 0 else "a3"


@dataclass(frozen=True)
class DiscrepancyRates:
    """Cell counts, EDR and LDR (fractions 0–1, None when undefined) and the patients in each cell."""

    n: int
    counts: dict[str, int]
    edr: float | None
    ldr: float | None
    tolerance_days: int = 0
    subjects: dict[str, list[str]] = field(default_factory=dict)

    @property
    def n_discrepant(self) -> int:
        """a2 + a3 + b + c: patients whose progression (or its date) differs."""
        return sum(self.counts[c] for c in ("a2", "a3", "b", "c"))

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form, with the formulae and the reference."""
        return {
            "n": self.n,
            "counts": dict(self.counts),
            "n_discrepant": self.n_discrepant,
            "edr": self.edr,
            "ldr": self.ldr,
            "edr_formula": "(a2 + b) / (a1 + a2 + a3 + b)",
            "ldr_formula": "(a3 + c) / (a2 + a3 + b + c)",
            "cells": dict(CELL_MEANING),
            "tolerance_days": self.tolerance_days,
            "subjects": {k: list(v) for k, v in self.subjects.items()},
            "reference": REFERENCE,
        }


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def discrepancy_rates(pairs: Iterable[ProgressionPair], tolerance_days: int = 0) -> DiscrepancyRates:
    """EDR and LDR of Amit et al. 2011 over ``pairs`` (module docstring)."""
    if tolerance_days < 0:
        raise ValueError("tolerance_days must not be negative")
    subjects: dict[str, list[str]] = {c: [] for c in CELLS}
    for pair in pairs:
        subjects[classify(pair, tolerance_days)].append(pair.subject_id)
    k = {c: len(ids) for c, ids in subjects.items()}
    edr = _ratio(k["a2"] + k["b"], k["a1"] + k["a2"] + k["a3"] + k["b"])
    ldr = _ratio(k["a3"] + k["c"], k["a2"] + k["a3"] + k["b"] + k["c"])
    return DiscrepancyRates(sum(k.values()), k, edr, ldr, tolerance_days, subjects)
