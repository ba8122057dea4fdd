"""Dose delivered per patient from the treatment cycles: total dose, dose intensity, reductions, delays.

The planned regimen comes from the data (:func:`planned_regimens`, issue 23): per arm, the dose its patients
were given on the most days, the drug of their records, and the schedule the records show — a cyclic schedule ("25 mg
on days 1–21 of every 28-day cycle") when consecutive records leave a rest between them, else continuous dosing
at the study's frequency setting (SDTM ``EXDOSFRQ``, e.g. "Placebo 0 mg QD"). The demo's model schedule (DESIGN
§5: lenalidomide 25 mg once daily on days 1–21 of a 28-day cycle, reduced one level at a time along
:data:`dose_level_steps`, 25 -> 20 -> 15 -> 10 mg) is what its cycles show; the ladder names a dose level only
when the plan starts at its top. Relative dose intensity is delivered dose per unit time over planned dose per
unit time (Hryniuk & Bush, J Clin Oncol 1984;2:1281–1288); the time is the span from the first cycle's start to
the end of the last cycle, so delays lower it. A plan of 0 mg (placebo) has no intensity.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from hccreview.domain.ctcae import meddra_case
from hccreview.domain.plain_json import plain_fields
from hccreview.domain.records import Cycle, StudySettings, Subject

H = TypeVar("H", bound=Hashable)

dose_level_steps: tuple[int, ...] = (25, 20, 15, 10)
"""Lenalidomide dose levels in mg/day, starting dose first; each reduction moves one step right."""


def dose_level_of(dose_mg: float) -> int | None:
    """Index of ``dose_mg`` in :data:`dose_level_steps` (0 = 25 mg), None when it is not on the ladder."""
    for i, step in enumerate(dose_level_steps):
        if abs(dose_mg - step) < 1e-9:
            return i
    return None


@dataclass(frozen=True)
class Regimen:
    """The planned treatment of one arm: ``days`` dosed of every ``cycle_days`` (both None: continuous dosing at
    ``frequency``, e.g. "QD")."""

    drug: str
    dose_mg: float
    frequency: str = ""
    days: int | None = None
    cycle_days: int | None = None
    unit: str = "mg"

    @property
    def cyclic(self) -> bool:
        return self.days is not None and self.cycle_days is not None

    def text(self) -> str:
        """ "25 mg on days 1–21 of every 28-day cycle"; "Placebo 0 mg QD"."""
        if self.cyclic:
            return f"{self.dose_mg:g} {self.unit} on days 1–{self.days} of every {self.cycle_days}-day cycle"
        return " ".join(p for p in (self.drug, f"{self.dose_mg:g} {self.unit}", self.frequency) if p)

    def to_dict(self) -> dict[str, object]:
        return {**plain_fields(self), "text": self.text()}


def _mode(values: Iterable[H]) -> H | None:
    """The most frequent value (the first seen of equally frequent ones), None when there is none."""
    found = Counter(values).most_common(1)
    return found[0][0] if found else None


def planned_regimens(
    subjects: Iterable[Subject], cycles: Iterable[Cycle], settings: StudySettings
) -> dict[str, Regimen]:
    """The planned regimen of each arm ("" for subjects without one) that has treatment records (module
    docstring): dose = the dose its patients were given on the most days (the starting dose of a schedule with
    occasional reductions; the maintenance dose of a titrated one, e.g. 54 -> 81 mg); drug = their commonest
    record drug in the study's spelling when it names the same drug (``settings.drug``), else in sentence case
    ("PLACEBO" -> "Placebo"); cyclic when the commonest rest between a record's last dosed day and the next
    record's start is positive (then days = the commonest days dosed, cycle length = the commonest gap between
    starts), else continuous at ``settings.dose_frequency``."""
    arm_of = {s.subject_id: s.arm.strip() for s in subjects}
    courses: dict[str, list[Cycle]] = {}
    for c in cycles:
        courses.setdefault(c.subject_id, []).append(c)
    by_arm: dict[str, list[list[Cycle]]] = {}
    for sid in sorted(courses):
        by_arm.setdefault(arm_of.get(sid, ""), []).append(sorted(courses[sid], key=lambda c: c.number))
    out = {}
    for arm, lists in by_arm.items():
        days_at: Counter[float] = Counter()
        for c in (c for cs in lists for c in cs):
            days_at[c.dose_mg] += c.days_dosed if c.days_dosed is not None else 1
        dose = days_at.most_common(1)[0][0] if days_at else None
        raw = _mode(c.drug.strip() for cs in lists for c in cs if c.drug.strip()) or settings.drug
        same = bool(settings.drug) and raw.casefold() == settings.drug.strip().casefold()
        drug = settings.drug.strip() if same else meddra_case(raw)
        pairs = [(a, b) for cs in lists for a, b in itertools.pairwise(cs)]
        rest = _mode((b.start_date - a.start_date).days - a.days_dosed for a, b in pairs if a.days_dosed is not None)
        days = _mode(c.days_dosed for cs in lists for c in cs if c.days_dosed)
        gap = _mode((b.start_date - a.start_date).days for a, b in pairs)
        cyclic = rest is not None and rest > 0 and days is not None and gap is not None
        out[arm] = Regimen(
            drug=drug,
            dose_mg=float(dose or 0.0),
            frequency="" if cyclic else settings.dose_frequency.strip(),
            days=days if cyclic else None,
            cycle_days=gap if cyclic else None,
        )
    return out


@dataclass(frozen=True)
class DoseSummary:
    """What one patient received. ``days_imputed``: cycles without days dosed, counted as fully dosed."""

    subject_id: str
    cycles_received: int
    total_dose_mg: float
    planned_total_mg: float
    relative_total_dose: float | None
    relative_dose_intensity: float | None
    reductions: int
    delays: int
    delay_days: int
    current_dose_mg: float | None
    current_dose_level: int | None
    dose_levels: tuple[float, ...]
    days_imputed: int
    planned_dose_mg: float
    planned_days: int
    cycle_days: int
    regimen: Regimen | None = None

    def to_dict(self) -> dict[str, object]:
        return plain_fields(self)


def _validate(cycles: Sequence[Cycle]) -> list[Cycle]:
    subjects = {c.subject_id for c in cycles}
    if len(subjects) > 1:
        raise ValueError(f"dose_summary takes one subject's cycles, got {sorted(subjects)}")
    ordered = sorted(cycles, key=lambda c: c.number)
    for prev, cur in itertools.pairwise(ordered):
        if prev.number == cur.number:
            raise ValueError(f"subject {cur.subject_id}: cycle {cur.number} recorded twice")
    for c in ordered:
        if c.dose_mg < 0 or (c.days_dosed is not None and c.days_dosed < 0) or c.delay_days < 0:
            raise ValueError(f"subject {c.subject_id} cycle {c.number}: negative dose, days dosed or delay")
    return ordered


def dose_summary(
    cycles: Sequence[Cycle],
    planned_dose_mg: float = 25.0,
    planned_days: int = 21,
    *,
    cycle_days: int = 28,
    regimen: Regimen | None = None,
) -> DoseSummary:
    """Summarise one patient's cycles (any order; numbers must be unique) against the plan: ``regimen`` (from
    :func:`planned_regimens`) when given, else ``planned_dose_mg`` on days 1..``planned_days`` of every
    ``cycle_days``.

    - A cycle is received when its days dosed are not 0 and its dose is above 0 (a 0 mg cycle is a held one),
      or the plan itself is 0 mg (placebo); missing days dosed count as ``planned_days`` (a continuous regimen:
      one day), reported in ``days_imputed``.
    - Total dose = sum of dose x days dosed; relative total dose = total / planned total, the planned total
      being planned dose x planned days x cycles received (continuous: x the days dosed).
    - Relative dose intensity = (total / elapsed days) / planned dose per day (cyclic: planned dose x planned
      days / cycle_days), elapsed = last start - first start + cycle_days (continuous: + the last record's
      days); None for a 0 mg plan.
    - A reduction is a received cycle flagged ``reduced`` or given at a lower dose than the previous received
      cycle; a delay is a cycle with ``delay_days`` > 0.
    """
    continuous = regimen is not None and not regimen.cyclic
    if regimen is not None:
        planned_dose_mg = regimen.dose_mg
        planned_days, cycle_days = (regimen.days or 1, regimen.cycle_days or 1) if regimen.cyclic else (1, 1)
    if planned_dose_mg < 0 or planned_days <= 0 or cycle_days <= 0:
        raise ValueError("planned dose must not be negative; planned days and cycle length must be positive")
    ordered = _validate(cycles)
    subject = ordered[0].subject_id if ordered else ""
    received = [c for c in ordered if (c.dose_mg > 0 or planned_dose_mg == 0) and c.days_dosed != 0]
    total = 0.0
    imputed = 0
    reductions = 0
    dosed_days = 0
    previous: float | None = None
    for c in received:
        days = c.days_dosed if c.days_dosed is not None else planned_days
        imputed += c.days_dosed is None
        total += c.dose_mg * days
        dosed_days += days
        if c.reduced or (previous is not None and c.dose_mg < previous):
            reductions += 1
        previous = c.dose_mg
    planned_total = planned_dose_mg * (dosed_days if continuous else planned_days * len(received))
    rdi = None
    if received and planned_dose_mg > 0:
        last = received[-1]
        tail = (last.days_dosed or planned_days) if continuous else cycle_days
        elapsed = (last.start_date - received[0].start_date).days + tail
        rdi = round((total / elapsed) / (planned_dose_mg * planned_days / cycle_days), 4)
    current = received[-1].dose_mg if received else None
    on_ladder = not continuous and abs(planned_dose_mg - dose_level_steps[0]) < 1e-9
    return DoseSummary(
        subject_id=subject,
        cycles_received=len(received),
        total_dose_mg=total,
        planned_total_mg=planned_total,
        relative_total_dose=round(total / planned_total, 4) if planned_total else None,
        relative_dose_intensity=rdi,
        reductions=reductions,
        delays=sum(1 for c in ordered if c.delay_days > 0),
        delay_days=sum(c.delay_days for c in ordered),
        current_dose_mg=current,
        current_dose_level=dose_level_of(current) if current is not None and on_ladder else None,
        dose_levels=tuple(c.dose_mg for c in ordered),
        days_imputed=imputed,
        planned_dose_mg=planned_dose_mg,
        planned_days=planned_days,
        cycle_days=cycle_days,
        regimen=regimen,
    )
