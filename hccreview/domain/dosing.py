"""Dose delivered per patient from the treatment cycles: total dose, dose intensity, reductions, delays.

Model schedule (DESIGN §5): lenalidomide 25 mg once daily on days 1–21 of a 28-day cycle, reduced one level
at a time along :data:`dose_level_steps` (25 -> 20 -> 15 -> 10 mg). Relative dose intensity is delivered dose
per unit time over planned dose per unit time (Hryniuk & Bush, J Clin Oncol 1984;2:1281–1288); the time is
the span from the first cycle's start to the end of the last cycle, so delays lower it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from hccreview.domain.plain_json import plain_fields
from hccreview.domain.records import Cycle

dose_level_steps: tuple[int, ...] = (25, 20, 15, 10)
"""Lenalidomide dose levels in mg/day, starting dose first; each reduction moves one step right."""


def dose_level_of(dose_mg: float) -> int | None:
    """Index of ``dose_mg`` in :data:`dose_level_steps` (0 = 25 mg), None when it is not on the ladder."""
    for i, step in enumerate(dose_level_steps):
        if abs(dose_mg - step) < 1e-9:
            return i
    return None


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
) -> DoseSummary:
    """Summarise one patient's cycles (any order; numbers must be unique).

    - A cycle is received when its dose is above 0 and its days dosed are not 0; missing days dosed count
      as ``planned_days`` (reported in ``days_imputed``).
    - Total dose = sum of dose x days dosed; relative total dose = total / (planned dose x planned days x
      cycles received).
    - Relative dose intensity = (total / elapsed days) / (planned dose x planned days / cycle_days), elapsed
      = last start - first start + cycle_days (needs start dates, which carry the delays).
    - A reduction is a received cycle flagged ``reduced`` or given at a lower dose than the previous received
      cycle; a delay is a cycle with ``delay_days`` > 0.
    """
    if planned_dose_mg <= 0 or planned_days <= 0 or cycle_days <= 0:
        raise ValueError("planned dose, planned days and cycle length must be positive")
    ordered = _validate(cycles)
    subject = ordered[0].subject_id if ordered else ""
    received = [c for c in ordered if c.dose_mg > 0 and c.days_dosed != 0]
    total = 0.0
    imputed = 0
    reductions = 0
    previous: float | None = None
    for c in received:
        days = c.days_dosed if c.days_dosed is not None else planned_days
        imputed += c.days_dosed is None
        total += c.dose_mg * days
        if c.reduced or (previous is not None and c.dose_mg < previous):
            reductions += 1
        previous = c.dose_mg
    planned_total = planned_dose_mg * planned_days * len(received)
    rdi = None
    if received:
        elapsed = (received[-1].start_date - received[0].start_date).days + cycle_days
        rdi = round((total / elapsed) / (planned_dose_mg * planned_days / cycle_days), 4)
    current = received[-1].dose_mg if received else None
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
        current_dose_level=dose_level_of(current) if current is not None else None,
        dose_levels=tuple(c.dose_mg for c in ordered),
        days_imputed=imputed,
        planned_dose_mg=planned_dose_mg,
        planned_days=planned_days,
        cycle_days=cycle_days,
    )
