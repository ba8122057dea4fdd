"""What the case's Images tab reads (issue 21 item 2): a patient's registered series by timepoint, their images
and where they are, and which timepoint is the prior of another.

The series and images come from the study's index (``services.images``); the lesions and measurements the
calipers belong to come with the case (``services.case``), already filtered by the access policy, so a blinded
reader sees their own calipers only. A demo series not drawn yet is listed in ``undrawn`` so the tab draws it
(``services.demo_images``) before showing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from hccreview.domain import recist
from hccreview.domain.images import ImageInstance, ImageSeries
from hccreview.domain.records import Criteria, Lesion, LesionKind, Measurement
from hccreview.services import demo_images, images
from hccreview.services.session import StudySession

#: The prior timepoints a reader compares against, in the picker's order (RECIST 1.1 §4.3.1: progression is
#: measured from the nadir, response from the baseline).
PRIOR_KINDS = ("baseline", "nadir", "previous")


@dataclass(frozen=True)
class ImageTimepoint:
    """One assessment date with its registered series (phases in acquisition order)."""

    date: date
    visit: str
    series: tuple[ImageSeries, ...]

    @property
    def label(self) -> str:
        return f"{self.visit} {self.date.isoformat()}" if self.visit else self.date.isoformat()


@dataclass(frozen=True)
class CaseImages:
    """One patient's images: timepoints (baseline first), each series' images along the normal, the root."""

    subject_id: str
    root: Path | None
    timepoints: tuple[ImageTimepoint, ...]
    instances: dict[str, tuple[ImageInstance, ...]] = field(default_factory=dict)
    undrawn: tuple[str, ...] = ()  # demo series UIDs whose files are not drawn yet

    def timepoint(self, day: date) -> ImageTimepoint | None:
        return next((t for t in self.timepoints if t.date == day), None)

    def series(self, series_uid: str) -> ImageSeries | None:
        return next((s for t in self.timepoints for s in t.series if s.series_uid == series_uid), None)


def load_case_images(session: StudySession, subject_id: str) -> CaseImages:
    """The registered series of ``subject_id`` grouped by timepoint (every role sees the scans: DESIGN §4b)."""
    found = images.series_for(session, subject_id)
    by_date: dict[date, list[ImageSeries]] = {}
    for s in found:
        by_date.setdefault(s.date, []).append(s)
    timepoints = tuple(
        ImageTimepoint(day, next((s.visit for s in series if s.visit), ""), tuple(series))
        for day, series in sorted(by_date.items())
    )
    instances = {s.series_uid: tuple(images.instances(session, s.series_uid)) for s in found}
    undrawn = tuple(s.series_uid for s in demo_images.missing_series(session, subject_id, known=instances))
    return CaseImages(subject_id, images.image_root(session), timepoints, instances, undrawn)


def target_sums(lesions: Sequence[Lesion], measurements: Sequence[Measurement], criteria: str) -> dict[date, float]:
    """Each date's target sum of one evaluator (the size that counts per lesion: ``recist.lesion_size_mm``),
    for dates where every target has a size."""
    targets = [x for x in lesions if x.kind is LesionKind.TARGET]
    by_date: dict[date, dict[str, Measurement]] = {}
    for m in measurements:
        by_date.setdefault(m.date, {})[m.lesion_id] = m
    rules = recist.rules_for(Criteria.parse(criteria))
    out = {}
    for day, ms in by_date.items():
        sizes = [recist.lesion_size_mm(t, ms.get(t.lesion_id), rules) for t in targets]
        if targets and all(v is not None for v in sizes):
            out[day] = float(sum(v for v in sizes if v is not None))
    return out


def prior_date(kind: str, current: date, dates: Sequence[date], sums: dict[date, float] | None = None) -> date | None:
    """The prior of ``current`` among ``dates`` (the timepoints with images): ``baseline`` the first,
    ``previous`` the one before, ``nadir`` the earlier timepoint with the smallest target sum (``sums``, of the
    evaluator reading; the earliest of equal sums; RECIST 1.1 §4.3.1: progression is measured from the nadir,
    which may be the baseline). None when ``current`` is the first."""
    earlier = sorted(d for d in dates if d < current)
    if not earlier:
        return None
    if kind == "baseline":
        return earlier[0]
    if kind == "previous":
        return earlier[-1]
    if kind != "nadir":
        raise ValueError(f"unknown prior {kind!r} (use {', '.join(PRIOR_KINDS)})")
    known = [d for d in earlier if sums and d in sums]
    return min(known, key=lambda d: ((sums or {})[d], d)) if known else earlier[0]


__all__ = ["PRIOR_KINDS", "CaseImages", "ImageTimepoint", "load_case_images", "prior_date", "target_sums"]
