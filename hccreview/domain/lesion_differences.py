"""Both readers' lesions at one visit of a discordant case, paired, with what drives the discordance (issue 22).

The adjudicator decides between two complete reads (the 2 + 1 paradigm: no averaging). What they need on the images
is where the reads part: Ford et al. (BICR, 79 trials) found discordance comes mostly from new lesions, non-target
progression and the choice of targets. :func:`lesion_differences` pairs the two readers' lesions at one visit — by
lesion id within a kind (T01 with T01, NT02 with NT02, N01 with N01); a lesion only one reader has is unpaired — and
gives each pair both values, their difference, each reader's status and, when the pair can by itself explain the
discordance, a ``drives`` reason:

- a **new lesion** seen by one reader only (RECIST 1.1 §4.3.4 "New lesions": an unequivocal new lesion is
  progression; an equivocal one is not, until confirmed);
- a **non-target** called unequivocal progression by one reader only (RECIST 1.1 §4.3.2, with the special notes of
  §4.3.3);
- a **different target choice**: a target one reader chose and the other did not, or one id in two organs
  (RECIST 1.1 §4.2: the targets are chosen at baseline and followed);
- a **target whose difference flips the target response**: taking the other reader's value for this lesion
  changes a reader's target response (RECIST 1.1 §4.3.1 thresholds: −30 % from baseline, +20 % and +5 mm over
  the nadir, nodes <10 mm short axis for CR).

Rows come drivers first, then by kind (target, non-target, new) and id. Each reader's values are taken at that
reader's own date of the visit (two readers may read one visit on different days). Pure: no Qt, no SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

from hccreview.domain import recist
from hccreview.domain.records import Criteria, LesionKind, LesionStatus

KIND_ORDER = (LesionKind.TARGET.value, LesionKind.NON_TARGET.value, LesionKind.NEW.value)
#: A new lesion's statuses that do not make it seen (RECIST 1.1 §4.3.4: an equivocal finding is not progression).
_NOT_SEEN = frozenset({LesionStatus.ABSENT.value, LesionStatus.NOT_ASSESSED.value, LesionStatus.EQUIVOCAL.value})
PROGRESSION = LesionStatus.UNEQUIVOCAL_PROGRESSION.value


class LesionTrack(Protocol):
    """One reader's lesion over time (``services.adjudication_comparison.LesionRow`` is one): the size that counts
    per date (targets: the size in the sum, a node's short axis; others: the longest diameter) and the status per
    date where the reader has a row."""

    @property
    def lesion_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def organ(self) -> str: ...
    @property
    def is_node(self) -> bool: ...
    @property
    def sizes(self) -> Mapping[date, float | None]: ...
    @property
    def statuses(self) -> Mapping[date, str]: ...


@dataclass(frozen=True)
class ReaderVisit:
    """One reader at one visit: the date they read it (None: no timepoint of theirs at this visit), all their
    lesions, and their target sums at baseline and the nadir before this visit (for the target response)."""

    reader: str
    day: date | None
    lesions: Sequence[LesionTrack]
    baseline_sum_mm: float | None = None
    nadir_sum_mm: float | None = None


@dataclass(frozen=True)
class LesionDifference:
    """One lesion at one visit as both readers have it. ``value_a`` / ``value_b`` are None where a reader has no
    number (unpaired, not measured, a status only); ``diff_mm`` = B − A and ``diff_pct`` = (B − A) / A where both
    are numbers (the percentage only for A > 0); ``status_*`` is the reader's status at the visit ('' for no row);
    ``organ_*`` the reader's organ ('' when they lack the lesion); ``drives`` says why this lesion can by itself
    explain the discordance ('' when it does not)."""

    lesion_id: str
    kind: str
    organ_a: str
    organ_b: str
    is_node: bool
    in_a: bool
    in_b: bool
    value_a: float | None
    value_b: float | None
    status_a: str
    status_b: str
    diff_mm: float | None = None
    diff_pct: float | None = None
    drives: str = ""
    day_a: date | None = None
    day_b: date | None = None

    @property
    def organ(self) -> str:
        """The organ, or both when the readers put the id in different organs."""
        if self.organ_a and self.organ_b and self.organ_a.lower() != self.organ_b.lower():
            return f"{self.organ_a} / {self.organ_b}"
        return self.organ_a or self.organ_b

    @property
    def label(self) -> str:
        """What the table shows for the lesion: its id, with "(node)" for a lymph node (short axis counts)."""
        return f"{self.lesion_id} (node)" if self.is_node else self.lesion_id


def nadir_before(baseline_sum: float | None, sums: Mapping[date, float | None], day: date | None) -> float | None:
    """The smallest target sum before ``day``, baseline included (RECIST 1.1 §4.3.1: progression is measured from
    the nadir); None without a baseline sum."""
    if baseline_sum is None:
        return None
    earlier = [v for d, v in sums.items() if v is not None and (day is None or d < day)]
    return min([baseline_sum, *earlier])


def _at(track: LesionTrack | None, day: date | None) -> tuple[float | None, str]:
    if track is None or day is None:
        return None, ""
    return track.sizes.get(day), track.statuses.get(day, "")


def _seen_new(status: str, size: float | None, criteria: Criteria) -> bool:
    """A new lesion that counts as progression (RECIST 1.1 §4.3.4; mRECIST: ≥10 mm, smaller ones are equivocal,
    as ``recist.timepoint_responses`` counts them)."""
    if not status or status in _NOT_SEEN:
        return False
    least = recist.rules_for(criteria).new_lesion_min_mm
    if status == LesionStatus.TOO_SMALL.value:
        size = recist.TOO_SMALL_MM
    return least is None or size is None or size >= least


def _target_sizes(visit: ReaderVisit) -> list[tuple[str, float | None, bool]]:
    return [(t.lesion_id, _at(t, visit.day)[0], t.is_node) for t in visit.lesions if t.kind == LesionKind.TARGET]


def _flips(visit: ReaderVisit, lesion_id: str, other_value: float, criteria: Criteria) -> tuple[str, str] | None:
    """(own response, response with the other reader's value of ``lesion_id``) when they differ (§4.3.1)."""
    if visit.day is None or visit.baseline_sum_mm is None or visit.nadir_sum_mm is None:
        return None
    sizes = _target_sizes(visit)
    own = recist.target_response(sizes, visit.baseline_sum_mm, visit.nadir_sum_mm, criteria).response
    swapped = [(lid, other_value if lid == lesion_id else size, node) for lid, size, node in sizes]
    other = recist.target_response(swapped, visit.baseline_sum_mm, visit.nadir_sum_mm, criteria).response
    return (str(own), str(other)) if own != other else None


def _drives(row: LesionDifference, a: ReaderVisit, b: ReaderVisit, criteria: Criteria, baseline: bool) -> str:
    ra, rb = a.reader, b.reader
    if row.kind == LesionKind.NEW:
        seen_a = _seen_new(row.status_a, row.value_a, criteria)
        seen_b = _seen_new(row.status_b, row.value_b, criteria)
        if seen_a != seen_b:
            return f"new lesion seen by {ra if seen_a else rb} only (§4.3.4)"
        return ""
    if row.kind == LesionKind.NON_TARGET:
        pd_a, pd_b = row.status_a == PROGRESSION, row.status_b == PROGRESSION
        if pd_a != pd_b:
            return f"non-target unequivocal progression by {ra if pd_a else rb} only (§4.3.2)"
        return ""
    if row.in_a != row.in_b:
        return f"target chosen by {ra if row.in_a else rb} only (§4.2)"
    if row.organ_a.strip().lower() != row.organ_b.strip().lower():
        return f"different targets: {row.organ_a or '?'} ({ra}) vs {row.organ_b or '?'} ({rb}) (§4.2)"
    if baseline or row.value_a is None or row.value_b is None:
        return ""
    for visit, other, name in ((a, row.value_b, ra), (b, row.value_a, rb)):
        flipped = _flips(visit, row.lesion_id, other, criteria)
        if flipped is not None:
            return f"flips {name}'s target response {flipped[0]} → {flipped[1]} (§4.3.1)"
    return ""


def lesion_differences(
    a: ReaderVisit, b: ReaderVisit, criteria: Criteria | str = Criteria.RECIST11, *, baseline: bool = False
) -> list[LesionDifference]:
    """Both readers' lesions at one visit, paired by id within kind, with the difference and the driver.

    ``a`` and ``b`` carry each reader's own date of the visit. Targets and non-targets are listed whenever a reader
    has them (they are followed from baseline); a new lesion only where a reader has a row for it at this visit.
    ``baseline``: the visit is the baseline (no target response to flip there; target choice still drives).
    Sorted drivers first, then target, non-target, new, then by id."""
    crit = criteria if isinstance(criteria, Criteria) else Criteria.parse(criteria)
    tracks_a = {(t.kind, t.lesion_id): t for t in a.lesions}
    tracks_b = {(t.kind, t.lesion_id): t for t in b.lesions}
    rows = []
    for key in sorted(set(tracks_a) | set(tracks_b)):
        kind, lesion_id = key
        ta, tb = tracks_a.get(key), tracks_b.get(key)
        value_a, status_a = _at(ta, a.day)
        value_b, status_b = _at(tb, b.day)
        if kind == LesionKind.NEW and not status_a and not status_b:
            continue  # not at this visit in either read
        diff = pct = None
        if value_a is not None and value_b is not None:
            diff = round(value_b - value_a, 1)
            pct = round((value_b - value_a) / value_a * 100.0, 1) if value_a > 0 else None
        row = LesionDifference(
            lesion_id=lesion_id, kind=kind, organ_a=ta.organ if ta else "", organ_b=tb.organ if tb else "",
            is_node=bool((ta and ta.is_node) or (tb and tb.is_node)), in_a=ta is not None, in_b=tb is not None,
            value_a=value_a, value_b=value_b, status_a=status_a, status_b=status_b, diff_mm=diff, diff_pct=pct,
            day_a=a.day, day_b=b.day,
        )  # fmt: skip
        drives = _drives(row, a, b, crit, baseline)
        rows.append(replace(row, drives=drives) if drives else row)
    return sorted(rows, key=sort_key)


def sort_key(row: LesionDifference) -> tuple[int, int, str]:
    """Drivers first, then by kind (target, non-target, new), then by id."""
    kind = KIND_ORDER.index(row.kind) if row.kind in KIND_ORDER else len(KIND_ORDER)
    return (0 if row.drives else 1, kind, row.lesion_id)


__all__ = [
    "KIND_ORDER",
    "LesionDifference",
    "LesionTrack",
    "ReaderVisit",
    "lesion_differences",
    "nadir_before",
    "sort_key",
]
