"""Tumour lesions and their measurements, built so that RECIST 1.1 reproduces each patient's planned course.

Each patient gets target lesions (1–2 in the liver; 1–2 extrahepatic — lung, lymph node, adrenal, peritoneum
— when the patient has extrahepatic disease; never more than 2 per organ or 5 in all, RECIST 1.1 §4.2),
non-target lesions (further liver lesions, portal-vein tumour thrombus with macrovascular invasion, bone, small
lung nodules, 10–15 mm nodes) and, at progression, possibly a new lesion.

The sum of the target diameters (short axis for nodes) follows a factor of its baseline value chosen per
planned response with margins around the RECIST 1.1 §4.3.1 thresholds, so that measurement noise of ±3 %
per lesion never changes a response:

========  =================================================================================
SD        0.77 – 1.08 × nadir (never ≤ −30 % from baseline, never ≥ +20 % over the nadir)
PR        0.45 – 0.64 (first), then 0.85 – 1.08 × nadir and ≤ 0.64
PD        growth: ≥ 1.33 × nadir and ≥ nadir + 8 mm; or a new lesion; or unequivocal progression of a
          non-target lesion (targets then as SD)
========  =================================================================================

Lesions are split around the sum with log-normal heterogeneity and measured to 0.1 mm; the viable
(arterially enhancing) diameter of liver lesions is kept for mRECIST. A :class:`View` is one reader's
numbers for one patient; the investigator's view is the reference and each central reader's is a copy
with its own measurement noise (``hccreview.demo.reads``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from hccreview.demo.draws import uniform, weighted_index
from hccreview.domain.records import Lesion, LesionKind, LesionStatus, Measurement

_LIVER_SEGMENTS = (
    "segment II",
    "segment III",
    "segment IVa",
    "segment IVb",
    "segment V",
    "segment VI",
    "segment VII",
    "segment VIII",
)
#: Extrahepatic target organs: (organ, weight, size range mm, sites); nodes are sized by short axis.
_EXTRA_TARGETS = (
    ("lung", 0.35, (12.0, 35.0), ("right upper lobe", "right lower lobe", "left upper lobe", "left lower lobe")),
    ("lymph node", 0.30, (15.5, 28.0), ("para-aortic", "celiac axis", "mediastinal", "retrocrural")),
    ("adrenal", 0.15, (15.0, 45.0), ("left adrenal", "right adrenal")),
    ("peritoneum", 0.20, (15.0, 40.0), ("omentum", "right subphrenic peritoneum", "pelvic peritoneum")),
)
_BONE_SITES = ("T11 vertebra", "L2 vertebra", "right iliac bone", "left 7th rib", "sacrum")
_NEW_ORGANS = (("liver", 0.5), ("lung", 0.2), ("bone", 0.15), ("adrenal", 0.05), ("peritoneum", 0.1))


@dataclass(frozen=True)
class LesionSpec:
    """One lesion's identity and baseline size (the size that counts: short axis for nodes)."""

    lesion_id: str
    kind: LesionKind
    organ: str
    site: str
    is_node: bool = False
    size_mm: float | None = None
    long_ratio: float = 1.0  # long / short axis of a node
    liver: bool = False


@dataclass
class View:
    """One reader's numbers for one patient: rows = lesions, columns = assessment dates (0 = baseline)."""

    sizes: np.ndarray  # targets (mm that count)
    viable: np.ndarray  # targets: viable fraction (liver lesions)
    nt_sizes: np.ndarray  # non-targets (nan: not measured)
    nt_status: list[list[LesionStatus]]  # [non-target][date]
    new: list[tuple[LesionSpec, int, float]] = field(default_factory=list)  # (lesion, first date index, mm)

    def copy(self) -> View:
        return View(
            self.sizes.copy(),
            self.viable.copy(),
            self.nt_sizes.copy(),
            [list(row) for row in self.nt_status],
            list(self.new),
        )

    def target_sums(self) -> np.ndarray:
        """Sum of the target sizes per date, as recorded (each size to 0.1 mm)."""
        return np.round(self.sizes, 1).sum(axis=0)


@dataclass
class TumourCase:
    """A patient's lesions, assessment dates and planned responses, and the investigator's view."""

    subject_id: str
    method: str
    dates: list[date]  # baseline first
    visits: list[str]
    plan: list[str]  # per post-baseline date
    targets: list[LesionSpec]
    non_targets: list[LesionSpec]
    pd_mode: str  # growth / new / non-target / "" (no progression)
    investigator: View


def _lesions(rng: np.random.Generator, extrahepatic: bool, macrovascular: bool) -> tuple[list, list]:
    segs = rng.permutation(len(_LIVER_SEGMENTS))
    targets: list[LesionSpec] = []
    n_liver = 1 if rng.random() < 0.4 else 2
    for k in range(n_liver):
        size = float(np.clip(np.exp(np.log(42.0) + 0.45 * rng.standard_normal()), 15.0, 120.0))
        targets.append(LesionSpec("", LesionKind.TARGET, "liver", _LIVER_SEGMENTS[segs[k]], size_mm=size, liver=True))
    non_targets: list[LesionSpec] = []
    for k in range(weighted_index(rng, [0.4, 0.4, 0.2])):
        non_targets.append(
            LesionSpec(
                "",
                LesionKind.NON_TARGET,
                "liver",
                _LIVER_SEGMENTS[segs[n_liver + k]],
                size_mm=round(uniform(rng, 8.0, 25.0), 1),
                liver=True,
            )
        )
    if macrovascular:
        non_targets.append(LesionSpec("", LesionKind.NON_TARGET, "liver", "portal vein tumour thrombus"))
    if extrahepatic:
        used: list[str] = []
        n_extra = 0 if rng.random() < 0.2 else (1 if rng.random() < 0.7 else 2)
        for _ in range(n_extra):
            organ, _, (lo, hi), sites = _EXTRA_TARGETS[weighted_index(rng, [o[1] for o in _EXTRA_TARGETS])]
            if used.count(organ) >= 2:
                continue
            used.append(organ)
            node = organ == "lymph node"
            targets.append(
                LesionSpec(
                    "",
                    LesionKind.TARGET,
                    organ,
                    sites[int(rng.integers(len(sites)))],
                    is_node=node,
                    size_mm=uniform(rng, lo, hi),
                    long_ratio=uniform(rng, 1.2, 1.6) if node else 1.0,
                )
            )
        if n_extra == 0 or rng.random() < 0.3:
            non_targets.append(
                LesionSpec("", LesionKind.NON_TARGET, "bone", _BONE_SITES[int(rng.integers(len(_BONE_SITES)))])
            )
        if rng.random() < 0.2:
            non_targets.append(
                LesionSpec(
                    "",
                    LesionKind.NON_TARGET,
                    "lymph node",
                    "peripancreatic",
                    is_node=True,
                    size_mm=round(uniform(rng, 10.8, 14.5), 1),
                    long_ratio=1.4,
                )
            )
        if rng.random() < 0.2:
            non_targets.append(
                LesionSpec(
                    "",
                    LesionKind.NON_TARGET,
                    "lung",
                    "multiple small nodules",
                    size_mm=round(uniform(rng, 4.0, 9.0), 1),
                )
            )
    targets = [_named(t, f"T{k + 1:02d}") for k, t in enumerate(targets)]
    non_targets = [_named(t, f"NT{k + 1:02d}") for k, t in enumerate(non_targets)]
    return targets, non_targets


def _named(spec: LesionSpec, lesion_id: str) -> LesionSpec:
    return LesionSpec(
        lesion_id, spec.kind, spec.organ, spec.site, spec.is_node, spec.size_mm, spec.long_ratio, spec.liver
    )


def _factors(rng: np.random.Generator, plan: list[str], base_sum: float, mode: str) -> np.ndarray:
    """Target-sum factor (× baseline) at baseline and each planned response (margins: module docstring)."""
    shrinking = rng.random() < 0.3  # minor-response stable disease
    out, nadir, seen_pr = [1.0], 1.0, False
    for resp in plan:
        if resp == "PR":
            if not seen_pr:
                f = uniform(rng, 0.45, 0.64)
            else:
                f = uniform(rng, max(0.30, nadir * 0.85), min(0.64, nadir * 1.08))
            seen_pr = True
        elif resp == "PD" and mode == "growth":
            f = max(nadir * uniform(rng, 1.33, 1.65), nadir + 8.0 / base_sum)
        else:  # SD, or the targets at a PD by new lesion / non-target progression
            lo = max(0.77, nadir * (0.88 if shrinking else 0.93)) if nadir >= 0.77 else nadir * 0.93
            hi = nadir * (1.0 if shrinking else 1.08)
            f = uniform(rng, lo, max(lo, hi))
        out.append(f)
        nadir = min(nadir, f)
    return np.asarray(out)


def build_case(
    rng: np.random.Generator,
    subject_id: str,
    method: str,
    dates: list[date],
    visits: list[str],
    plan: list[str],
    extrahepatic: bool,
    macrovascular: bool,
) -> TumourCase:
    """Lesions and the investigator's measurements of one patient for its planned responses."""
    targets, non_targets = _lesions(rng, extrahepatic, macrovascular)
    base = np.asarray([t.size_mm for t in targets])
    progression = bool(plan) and plan[-1] == "PD"
    mode = ""
    if progression:
        mode = ("growth", "new", "non-target")[weighted_index(rng, [0.5, 0.35, 0.15 if non_targets else 0.0])]
    factors = _factors(rng, plan, float(base.sum()), mode)
    n_dates = len(dates)
    raw = base[:, None] * np.exp(0.08 * rng.standard_normal((len(targets), n_dates)))
    raw[:, 0] = base
    sizes = raw * (factors * base.sum() / raw.sum(axis=0))[None, :]
    viable = np.full((len(targets), n_dates), np.nan)
    for j, t in enumerate(targets):
        if t.liver:
            v = uniform(rng, 0.6, 1.0)
            for k in range(n_dates):
                if k:
                    step = {"PR": (0.6, 0.95), "PD": (1.1, 1.3)}.get(plan[k - 1], (0.9, 1.08))
                    v = min(1.0, max(0.2, v * uniform(rng, *step)))
                viable[j, k] = v
    nt_sizes = np.full((len(non_targets), n_dates), np.nan)
    for j, nt in enumerate(non_targets):
        if nt.size_mm is not None:
            drift = np.clip(nt.size_mm * (1.0 + 0.05 * rng.standard_normal(n_dates)), 0.0, None)
            nt_sizes[j] = np.maximum(drift, 10.6) if nt.is_node else drift
            nt_sizes[j, 0] = nt.size_mm
    nt_status = [[LesionStatus.PRESENT] * n_dates for _ in non_targets]
    new: list[tuple[LesionSpec, int, float]] = []
    if mode == "non-target":
        nt_status[int(rng.integers(len(non_targets)))][-1] = LesionStatus.UNEQUIVOCAL_PROGRESSION
    if mode == "new" or (mode == "growth" and rng.random() < 0.15):
        organ = _NEW_ORGANS[weighted_index(rng, [w for _, w in _NEW_ORGANS])][0]
        site = "new focus" if organ != "liver" else _LIVER_SEGMENTS[int(rng.integers(len(_LIVER_SEGMENTS)))]
        new.append(
            (
                LesionSpec("N01", LesionKind.NEW, organ, site, liver=organ == "liver"),
                n_dates - 1,
                uniform(rng, 10.0, 25.0),
            )
        )
    view = View(sizes=sizes, viable=viable, nt_sizes=nt_sizes, nt_status=nt_status, new=new)
    return TumourCase(subject_id, method, dates, visits, plan, targets, non_targets, mode, view)


def records(case: TumourCase, reader: str, view: View) -> tuple[list[Lesion], list[Measurement]]:
    """Lesion and Measurement records of ``view`` as read by ``reader`` (sizes to 0.1 mm)."""
    sid, method, dates, visits = case.subject_id, case.method, case.dates, case.visits
    present = LesionStatus.PRESENT
    lesions: list[Lesion] = []
    meas: list[Measurement] = []
    sizes = np.round(view.sizes, 1)
    long_axis = np.round(sizes * np.asarray([t.long_ratio for t in case.targets])[:, None], 1).tolist()
    viable = np.round(sizes * view.viable, 1).tolist()
    sizes_l = sizes.tolist()
    for j, t in enumerate(case.targets):
        lesions.append(Lesion(sid, reader, t.lesion_id, t.kind, t.organ, t.site, t.is_node, method))
        lid, row = t.lesion_id, sizes_l[j]
        if t.is_node:
            meas.extend(
                Measurement(sid, reader, lid, day, visits[k], long_axis[j][k], row[k], None, present, method)
                for k, day in enumerate(dates)
            )
        else:
            vrow = [None if v != v else v for v in viable[j]]  # NaN (not a liver lesion) -> None
            meas.extend(
                Measurement(sid, reader, lid, day, visits[k], row[k], None, vrow[k], present, method)
                for k, day in enumerate(dates)
            )
    nt_sizes = np.round(view.nt_sizes, 1).tolist()
    for j, nt in enumerate(case.non_targets):
        lesions.append(Lesion(sid, reader, nt.lesion_id, nt.kind, nt.organ, nt.site, nt.is_node, method))
        for k, day in enumerate(dates):
            value = nt_sizes[j][k]
            value = None if value != value else value
            diameter, axis = (None, value) if nt.is_node else (value, None)
            meas.append(
                Measurement(
                    sid, reader, nt.lesion_id, day, visits[k], diameter, axis, None, view.nt_status[j][k], method
                )
            )
    for spec, first, size in view.new:
        lesions.append(Lesion(sid, reader, spec.lesion_id, spec.kind, spec.organ, spec.site, False, method))
        mm = round(size, 1)
        for k in range(first, len(dates)):
            meas.append(
                Measurement(
                    sid,
                    reader,
                    spec.lesion_id,
                    dates[k],
                    visits[k],
                    mm,
                    None,
                    round(size * 0.9, 1) if spec.liver else None,
                    present,
                    method,
                )
            )
    return lesions, meas


def target_classes(sums: np.ndarray) -> list[str]:
    """Target response per post-baseline date from target sums (RECIST 1.1 §4.3.1: PD ≥20 % and ≥5 mm over
    the nadir, PR ≤ −30 % from baseline, else SD). Only the guard that keeps a central reader's noise
    response-neutral (``hccreview.demo.reads``); the study's responses come from ``domain.recist``."""
    out, nadir = [], float(sums[0])
    for s in sums[1:].tolist():
        if s - nadir >= 5.0 - 1e-6 and s >= nadir * 1.2 - 1e-6:
            out.append("PD")
        elif s <= sums[0] * 0.7 + 1e-6:
            out.append("PR")
        else:
            out.append("SD")
        nadir = min(nadir, s)
    return out


def assessment_dates(first_dose: date, baseline_day: int, scan_days: list[int]) -> list[date]:
    """Calendar dates of the baseline scan and the post-baseline scans."""
    return [first_dose + timedelta(days=int(d)) for d in [baseline_day, *scan_days]]
