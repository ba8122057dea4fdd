"""One patient's laboratory values graded by CTCAE v5.0, as the case view's Labs tab and timeline show them.

The grading is :func:`hccreview.domain.ctcae_labs.grade_series` (unit of the criteria, reference-range flag, baseline,
grade and direction of each value); this module groups it per test for the tab and picks the grade >= 3 values the
timeline marks. Labs are clinical data (``domain.access.CLINICAL_TABLES``): :func:`case_labs` refuses a user who
may not see them (a blinded reader unless the charter allows), and the store's filter gives :func:`graded_labs` no
rows for such a user anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from hccreview.domain.access import Capability
from hccreview.domain.ctcae_labs import LAB_TEST_TERMS, GradedLab, gradable, grade_series
from hccreview.domain.records import LabResult
from hccreview.services.session import StudySession
from hccreview.store.study_data import load_study

__all__ = ["CaseLabs", "LabTestSeries", "case_labs", "graded_labs"]

#: Grade from which a laboratory value is marked on the timeline and highlighted in the Labs tab.
SEVERE_GRADE = 3


@dataclass(frozen=True)
class LabTestSeries:
    """One test of the patient over time: its CTCAE v5.0 term(s) ("" when it has no criterion here), the unit its
    values are shown in (the criteria's, converted; as recorded when not graded) and every value, by date."""

    test: str
    terms: str
    unit: str
    values: tuple[GradedLab, ...]

    @property
    def graded(self) -> bool:
        """Whether the test has a CTCAE v5.0 criterion here (its values may still be ungraded: unit, limit)."""
        return bool(self.terms)

    @property
    def worst(self) -> int | None:
        """The worst grade of any value (None: no value graded)."""
        grades = [v.grade for v in self.values if v.grade is not None]
        return max(grades) if grades else None


@dataclass(frozen=True)
class CaseLabs:
    """The graded laboratory series of one patient; ``first_dose`` splits baseline from post-baseline values."""

    subject_id: str
    first_dose: date | None
    values: tuple[GradedLab, ...]

    @property
    def tests(self) -> list[LabTestSeries]:
        """One series per test: the graded tests first (worst grade first), then the others, by test code."""
        by_test: dict[str, list[GradedLab]] = {}
        for v in self.values:
            by_test.setdefault(v.test.strip().upper(), []).append(v)
        series = []
        for test, values in by_test.items():
            code = gradable(test)
            terms = " / ".join(LAB_TEST_TERMS[code]) if code else ""
            units = [v.converted_unit for v in values if v.grade is not None] or [values[0].converted_unit]
            series.append(LabTestSeries(test, terms, units[0], tuple(sorted(values, key=_day))))
        return sorted(series, key=lambda s: (not s.graded, -(s.worst or 0), s.test))

    @property
    def dates(self) -> list[date]:
        """Every date with a value, in order."""
        return sorted({v.date for v in self.values if v.date is not None})

    @property
    def severe(self) -> list[GradedLab]:
        """Values at grade >= 3, by date: what the timeline marks."""
        return sorted((v for v in self.values if v.grade is not None and v.grade >= SEVERE_GRADE), key=_day)


def _day(v: GradedLab) -> date:
    return v.date or date.max


def graded_labs(subject_id: str, labs: Iterable[LabResult], first_dose: date | None) -> CaseLabs:
    """Grade the records already loaded for one patient (the case view's load has them: no database trip)."""
    return CaseLabs(subject_id, first_dose, tuple(grade_series(labs, first_dose)))


def case_labs(session: StudySession, subject_id: str) -> CaseLabs:
    """The patient's graded laboratory values; refused (AccessDenied, a PermissionError) for a user who may not see
    clinical data, LookupError for an unknown patient."""
    session.access.require(Capability.SEE_CLINICAL)
    data = load_study(session.store, ("subjects", "labs"), subject_id=subject_id)
    if not data.subjects:
        raise LookupError(f"no patient {subject_id!r} in this study")
    return graded_labs(subject_id, data.labs, data.subjects[0].first_dose_date)
