"""Arms (issue 23): per-arm figures by the same cohort computation, and each arm against the reference arm."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd
import pytest
from lifelines import CoxPHFitter
from lifelines.statistics import logrank_test
from scipy.stats import norm

from hccreview.domain.arms import arm_analysis, arm_data, hazard_ratio, orr_difference, reference_arm, study_arms
from hccreview.domain.cohort import compute_cohort_stats
from hccreview.domain.records import FollowUp, Read, ReadRole, StudyData, StudySettings, Subject

O = date(2022, 3, 1)  # noqa: E741


def day(n: int) -> date:
    return O + timedelta(days=n)


def _subject(sid: str, arm: str, **kw: object) -> Subject:
    return Subject(sid, arm=arm, randomisation_date=O, first_dose_date=O, **kw)  # type: ignore[arg-type]


def _reads(sid: str, seq: list[tuple[int, str]]) -> list[Read]:
    return [Read(sid, "INV", ReadRole.INVESTIGATOR, day(d), overall=code) for d, code in seq]


def two_arm_study() -> StudyData:
    """Placebo: four patients progressing on days 42, 56, 84 and 112, two of them dying (days 150, 200); Drug: two
    confirmed partial responses (one progressing on day 224), a stable patient progressing on day 70, and one
    stable and censored; nobody on Drug dies. One screen failure on Drug and one treated patient without an arm."""
    subjects = [
        _subject("P1", "Placebo"),
        _subject("P2", "Placebo"),
        _subject("P3", "Placebo"),
        _subject("P4", "Placebo"),
        _subject("D1", "Drug"),
        _subject("D2", "Drug"),
        _subject("D3", "Drug"),
        _subject("D4", "Drug"),
        Subject("SF", arm="Drug", screen_failure=True),
        _subject("U1", ""),
    ]
    reads = [
        *_reads("P1", [(42, "PD")]),
        *_reads("P2", [(28, "SD"), (56, "PD")]),
        *_reads("P3", [(42, "SD"), (84, "PD")]),
        *_reads("P4", [(56, "SD"), (112, "PD")]),
        *_reads("D1", [(56, "PR"), (112, "PR"), (224, "PD")]),
        *_reads("D2", [(56, "PR"), (112, "PR"), (168, "PR")]),
        *_reads("D3", [(56, "SD"), (70, "PD")]),
        *_reads("D4", [(56, "SD"), (112, "SD"), (140, "SD")]),
        *_reads("U1", [(56, "PR"), (112, "PR")]),
    ]
    follow_up = [FollowUp("P1", death_date=day(150)), FollowUp("P2", death_date=day(200))]
    return StudyData(
        settings=StudySettings(title="Arms"), subjects=tuple(subjects), reads=tuple(reads), follow_up=tuple(follow_up)
    )


def _lifelines_cox(arm: list[tuple[int, bool]], ref: list[tuple[int, bool]]) -> tuple[float, float, float]:
    frame = pd.DataFrame(
        {
            "t": [d for d, _ in arm + ref],
            "e": [e for _, e in arm + ref],
            "x": [1] * len(arm) + [0] * len(ref),
        }
    )
    row = CoxPHFitter().fit(frame, "t", "e").summary.loc["x"]
    return row["exp(coef)"], row["exp(coef) lower 95%"], row["exp(coef) upper 95%"]


def _wilson(k: int, n: int) -> tuple[float, float]:
    z = norm.ppf(0.975)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_arms_reference_first_then_by_name_and_screen_failures_and_blanks_left_out() -> None:
    data = two_arm_study()
    assert study_arms(data.subjects) == ("Placebo", "Drug")
    assert reference_arm(["Xanomeline High Dose", "Standard of care control"]) == "Standard of care control"
    assert reference_arm(["B arm", "A arm"]) == "A arm"  # no placebo / control: the first by name
    only_sf = (Subject("SF", arm="Other", screen_failure=True), *data.subjects)
    assert study_arms(only_sf) == ("Placebo", "Drug")  # an arm of screen failures only is no arm


def test_per_arm_figures_are_the_cohort_computation_on_the_arms_subjects() -> None:
    data = two_arm_study()
    overall = compute_cohort_stats(data, "investigator")
    result = arm_analysis(data, overall)
    assert result.names == ("Placebo", "Drug") and result.reference == "Placebo"
    assert result.unassigned == ("U1",) and result.screen_failures == 1
    for name in result.names:
        alone = compute_cohort_stats(arm_data(data, name), "investigator").to_dict()
        assert result.by_arm_block()[name]["response"] == alone["response"]
        assert result.by_arm_block()[name]["pfs"] == alone["pfs"]
    drug = result.by_arm["Drug"]
    assert [o.subject_id for o in drug.subjects] == ["D1", "D2", "D3", "D4"]
    assert (drug.orr.n, drug.orr.denominator) == (2, 4)
    assert result.by_arm["Placebo"].pfs.events == 4 and result.by_arm["Placebo"].pfs.median_months == pytest.approx(
        56 / 30.4375
    )
    # the overall figures keep their meaning: every analysed patient, the one without an arm included
    assert overall.n_enrolled == 9 and overall.orr.n == 3


def test_comparison_equals_lifelines_and_newcombe() -> None:
    data = two_arm_study()
    result = arm_analysis(data, compute_cohort_stats(data, "investigator"))
    pfs = next(c for c in result.comparisons if c.endpoint == "pfs")
    assert (pfs.arm, pfs.reference) == ("Drug", "Placebo")
    drug_pfs = [(224, True), (168, False), (70, True), (140, False)]
    placebo_pfs = [(42, True), (56, True), (84, True), (112, True)]
    drug = [o for o in result.by_arm["Drug"].subjects]
    assert sorted((o.pfs.days, o.pfs.event) for o in drug) == sorted(drug_pfs)
    expected_p = logrank_test([d for d, _ in drug_pfs], [d for d, _ in placebo_pfs],
                              [e for _, e in drug_pfs], [e for _, e in placebo_pfs]).p_value  # fmt: skip
    assert pfs.logrank_p == pytest.approx(expected_p, rel=1e-9)
    hr, lo, hi = _lifelines_cox(drug_pfs, placebo_pfs)
    assert pfs.hr.hr is not None and pfs.hr.hr == pytest.approx(hr, rel=1e-6) and pfs.hr.hr < 1
    assert pfs.hr.ci95 == (pytest.approx(lo, rel=1e-6), pytest.approx(hi, rel=1e-6))
    # ORR 2/4 vs 0/4: Newcombe's hybrid score interval from the two Wilson intervals, by hand
    l1, u1 = _wilson(2, 4)
    l2, u2 = _wilson(0, 4)
    p1, p2 = 0.5, 0.0
    low = (p1 - p2) - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = (p1 - p2) + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    assert pfs.orr_difference == pytest.approx(0.5)
    assert pfs.orr_difference_ci == (pytest.approx(low), pytest.approx(high))


def test_an_arm_without_an_event_has_no_hazard_ratio_but_a_logrank_p() -> None:
    data = two_arm_study()
    result = arm_analysis(data, compute_cohort_stats(data, "investigator"))
    os = next(c for c in result.comparisons if c.endpoint == "os")
    assert (os.events, os.events_reference) == (0, 2)
    assert os.hr.hr is None and os.hr.ci95 == (None, None)
    assert os.hr.note == "not estimable: an arm has no event"
    assert os.logrank_p is not None and 0 < os.logrank_p < 1
    block = os.to_dict()
    assert block["hr"] is None and block["hr_ci"] == [None, None] and block["hr_note"] == os.hr.note


def test_one_arm_has_figures_but_no_comparison() -> None:
    data = two_arm_study()
    one = StudyData(settings=data.settings, subjects=tuple(s for s in data.subjects if s.arm == "Drug"),
                    reads=data.reads)  # fmt: skip
    overall = compute_cohort_stats(one, "investigator")
    result = arm_analysis(one, overall)
    assert result.names == ("Drug",) and result.reference is None and result.comparisons == []
    assert not result.compared
    assert result.by_arm_block()["Drug"]["response"] == overall.to_dict()["response"]


def test_degenerate_inputs() -> None:
    assert orr_difference(1, 0, 1, 4) == (0.0, (-1.0, 1.0))
    assert hazard_ratio((), ((10, True),)).hr is None
    separated = hazard_ratio(((224, True), (168, True)), ((42, True), (56, True), (84, True)))
    assert separated.hr is None and separated.note is not None and "monotone likelihood" in separated.note
