"""Stated responses of the three read sources: the investigator and two blinded central readers.

Every source states what RECIST 1.1 gives on *its own* measurements (``recist.timepoint_responses``), so
``--source computed`` (the investigator's lesions) and ``--source investigator`` (the stated reads) agree.

The central readers measure the same lesions with ±3 % noise per lesion, which by the margins of
``hccreview.demo.tumour`` never changes a response. For the design's share of patients (≈22 %) one reader,
chosen at random, reads the case differently in one of the ways real central reviews disagree:

- ``early-pd``: calls a small new liver focus (or a ≥20 % growth) one assessment before the investigator's
  progression — an earlier PD date;
- ``late-pd``: misses the progression at the last assessment (judges the non-target progression
  equivocal, or measures the growth below 20 %);
- ``missed-new-lesion``: overlooks the new lesion that made the investigator's progression;
- ``pr-missed``: measures a responder's shrinkage at −22 to −29 % (a borderline PR read as SD);
- ``pr-called``: measures a minor response at −31 to −36 % on two assessments (a borderline SD read as a
  confirmed PR).

Each disagreement is kept only when ``discordance.compare_reads`` (confirmed best overall response, first-PD
date, ``settings.discordance_pd_days``) flags the case. Candidates are tried in a seeded order, first one
per kind (so the adjudicator meets every kind), then at random, until the design's count is reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from hccreview.demo.design import INVESTIGATOR, READERS
from hccreview.demo.draws import weighted_index
from hccreview.demo.tumour import LesionSpec, TumourCase, View, records, target_classes
from hccreview.domain import recist
from hccreview.domain.discordance import compare_reads
from hccreview.domain.records import (
    Lesion,
    LesionKind,
    LesionStatus,
    Measurement,
    Read,
    ReadRole,
    StudySettings,
)

DISCORDANCE_KINDS = ("pr-missed", "pr-called", "missed-new-lesion", "early-pd", "late-pd")
_KIND_WEIGHTS = (0.15, 0.15, 0.2, 0.3, 0.2)


@dataclass
class SourceRead:
    """One source's records for one patient and the overall responses they give."""

    reader: str
    view: View
    lesions: list[Lesion]
    measurements: list[Measurement]
    reads: list[Read]

    @property
    def overall(self) -> list[str]:
        return [r.overall for r in self.reads]


def derive(case: TumourCase, reader: str, role: ReadRole, view: View) -> SourceRead:
    """Records of ``view`` and the reads stating RECIST 1.1's timepoint responses on them."""
    lesions, meas = records(case, reader, view)
    results = recist.timepoint_responses(lesions, meas)
    reads = [
        Read(
            case.subject_id,
            reader,
            role,
            tp.date,
            tp.visit,
            str(tp.overall),
            "" if tp.target is None else str(tp.target),
            "" if tp.non_target is None else str(tp.non_target),
            tp.new_lesion,
        )
        for tp in results
    ]
    return SourceRead(reader, view, lesions, meas, reads)


def best(read: SourceRead, origin: date, settings: StudySettings) -> recist.BestResponse:
    return recist.best_overall_response([(r.date, r.overall) for r in read.reads], origin, settings)


def investigator_read(case: TumourCase) -> SourceRead:
    """The investigator's read; raises if RECIST does not give the planned responses (a simulator bug)."""
    read = derive(case, INVESTIGATOR, ReadRole.INVESTIGATOR, case.investigator)
    if read.overall != case.plan:
        raise RuntimeError(f"demo simulator: {case.subject_id} planned {case.plan}, RECIST gives {read.overall}")
    return read


def _noisy(rng: np.random.Generator, view: View) -> View:
    out = view.copy()
    out.sizes = view.sizes * (1.0 + rng.uniform(-0.03, 0.03, view.sizes.shape))
    out.nt_sizes = view.nt_sizes * (1.0 + rng.uniform(-0.03, 0.03, view.nt_sizes.shape))
    return out


def _scale_to(view: View, k: int, total: float) -> None:
    view.sizes[:, k] *= total / view.sizes[:, k].sum()


def _kinds(case: TumourCase) -> list[str]:
    """The kinds of disagreement that ``case`` allows."""
    plan, out = case.plan, []
    progression = bool(plan) and plan[-1] == "PD"
    if plan.count("PR") >= 2:
        out.append("pr-missed")
    f = case.investigator.target_sums() / case.investigator.target_sums()[0]
    if any(plan[k] == plan[k + 1] == "SD" and f[k + 1] <= 0.9 and f[k + 2] <= 0.9 for k in range(len(plan) - 1)):
        out.append("pr-called")
    if progression and case.investigator.new:
        out.append("missed-new-lesion")
    if progression and len(plan) >= 2:
        out.append("early-pd")
    if progression and case.pd_mode in ("growth", "non-target"):
        out.append("late-pd")
    return out


def _disagree(rng: np.random.Generator, case: TumourCase, view: View, kind: str) -> View:
    """A copy of ``view`` read the ``kind`` way (module docstring)."""
    v, last = view.copy(), len(case.dates) - 1
    sums = v.target_sums()
    if kind == "early-pd":
        k = last - 1
        if rng.random() < 0.6:
            seg = "segment VI" if case.targets[0].site != "segment VI" else "segment VII"
            spec = LesionSpec("N99", LesionKind.NEW, "liver", seg, liver=True)
            v.new = [(spec, k, float(rng.uniform(10.0, 14.0))), *v.new]
        else:
            nadir = sums[:k].min()
            _scale_to(v, k, max(nadir * rng.uniform(1.24, 1.32), nadir + 6.0))
    elif kind in ("late-pd", "missed-new-lesion"):
        v.new = []
        for status in v.nt_status:
            if status[last] is LesionStatus.UNEQUIVOCAL_PROGRESSION:
                status[last] = LesionStatus.EQUIVOCAL
        nadir = sums[:last].min()
        if sums[last] >= nadir * 1.15:
            _scale_to(v, last, nadir * rng.uniform(1.06, 1.14))
    elif kind == "pr-missed":
        for k in range(1, last + 1):
            if case.plan[k - 1] == "PR":
                _scale_to(v, k, sums[0] * rng.uniform(0.71, 0.78))
        if case.plan[-1] == "PD" and case.pd_mode == "growth":
            nadir = v.target_sums()[:last].min()
            _scale_to(v, last, max(v.target_sums()[last], nadir * 1.3, nadir + 8.0))
    elif kind == "pr-called":
        f = case.investigator.target_sums() / case.investigator.target_sums()[0]  # as ``_kinds`` saw it
        k = next(
            k for k in range(1, last) if case.plan[k - 1] == case.plan[k] == "SD" and f[k] <= 0.9 and f[k + 1] <= 0.9
        )
        for j in (k, k + 1):
            _scale_to(v, j, sums[0] * rng.uniform(0.64, 0.69))
        nadir = v.target_sums()[: k + 2].min()
        for j in range(k + 2, last + 1):
            if case.plan[j - 1] != "PD" or case.pd_mode != "growth":
                _scale_to(v, j, min(v.target_sums()[j], nadir * 1.1))
    return v


def central_reads(
    rng: np.random.Generator,
    cases: list[TumourCase],
    investigator: list[SourceRead],
    origins: list[date],
    settings: StudySettings,
    n_discordant: int,
) -> tuple[list[tuple[SourceRead, SourceRead]], dict[str, str]]:
    """Both central readers' reads of every case and the disagreements kept (subject id -> kind).

    A reader's noisy view keeps the investigator's target response at every date (``target_classes``;
    else the reader measures exactly as the investigator did) and the same non-target and new-lesion
    findings, so RECIST 1.1 Table 1 gives the investigator's responses: they are stated as such. Views
    changed by a disagreement are read through ``recist.timepoint_responses``.
    """
    out: list[tuple[SourceRead, SourceRead]] = []
    for case, inv in zip(cases, investigator, strict=True):
        classes = target_classes(case.investigator.target_sums())
        pair = []
        for reader in READERS:
            view = _noisy(rng, case.investigator)
            if target_classes(view.target_sums()) != classes:  # outside the margins: measure exactly
                view = case.investigator.copy()
            lesions, meas = records(case, reader, view)
            reads = [
                Read(
                    r.subject_id,
                    reader,
                    ReadRole.READER,
                    r.date,
                    r.visit,
                    r.overall,
                    r.target,
                    r.non_target,
                    r.new_lesion,
                )
                for r in inv.reads
            ]
            pair.append(SourceRead(reader, view, lesions, meas, reads))
        out.append((pair[0], pair[1]))
    kept: dict[str, str] = {}
    order = rng.permutation(len(cases)).tolist()
    eligible = [_kinds(case) for case in cases]
    first_pass = [(next((i for i in order if kind in eligible[i]), None), kind) for kind in DISCORDANCE_KINDS]
    tried: set[int] = set()  # membership only
    for i, wanted in [*first_pass, *((i, None) for i in order)]:
        if len(kept) >= n_discordant:
            break
        if i is None or i in tried or not eligible[i]:
            continue
        tried.add(i)
        kinds = eligible[i]
        pick = weighted_index(rng, [_KIND_WEIGHTS[DISCORDANCE_KINDS.index(k)] for k in kinds])
        kind = wanted or kinds[pick]
        side = int(rng.integers(2))
        case, other = cases[i], out[i][1 - side]
        read = derive(case, READERS[side], ReadRole.READER, _disagree(rng, case, out[i][side].view, kind))
        result = compare_reads(
            case.subject_id,
            best(read, origins[i], settings),
            best(other, origins[i], settings),
            settings.discordance_pd_days,
        )
        if result.discordant and "CR" not in read.overall:
            out[i] = (read, other) if side == 0 else (other, read)
            kept[case.subject_id] = kind
    return out, kept
