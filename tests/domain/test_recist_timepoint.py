"""RECIST 1.1 timepoint arithmetic, Tables 1 and 2, and baseline lesion selection (Eisenhauer et al. 2009)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from hccreview.domain.recist import (
    SelectionFinding,
    check_lesion_selection,
    non_target_response,
    normalise_response,
    overall_timepoint_response,
    target_response,
    timepoint_responses,
)
from hccreview.domain.records import Criteria, Lesion, LesionKind, LesionStatus, Measurement, Response

R = Response
S = LesionStatus
BL = date(2021, 3, 1)
W6 = BL + timedelta(days=42)
W12 = BL + timedelta(days=84)
NCNP = R.NON_CR_NON_PD


def target(lid: str, organ: str = "LIVER", node: bool = False) -> Lesion:
    return Lesion("S1", "r1", lid, LesionKind.TARGET, organ=organ, is_node=node)


def non_target(lid: str, organ: str = "LUNG", node: bool = False) -> Lesion:
    return Lesion("S1", "r1", lid, LesionKind.NON_TARGET, organ=organ, is_node=node)


def new(lid: str) -> Lesion:
    return Lesion("S1", "r1", lid, LesionKind.NEW, organ="BONE")


def m(
    lid: str,
    day: date,
    mm: float | None = None,
    status: S = S.PRESENT,
    axis: float | None = None,
    visit: str = "",
):
    return Measurement("S1", "r1", lid, day, visit, diameter_mm=mm, short_axis_mm=axis, status=status)


# --- response codes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("CR", R.CR),
        ("pr", R.PR),
        (" sd ", R.SD),
        ("NON-CR/NON-PD", NCNP),
        ("NON CR/NON PD", NCNP),
        ("NONCR/NONPD", NCNP),
        ("Non-CR/Non-PD", NCNP),
        ("PD", R.PD),
        ("NE", R.NE),
        ("", R.NE),
        ("   ", R.NE),
        (None, R.NE),
        ("CHECK", R.NE),
        ("NOT EVALUABLE", R.NE),
        ("UNK", R.NE),
        (R.PR, R.PR),
    ],
)
def test_normalise_response(code: str | Response | None, expected: Response) -> None:
    assert normalise_response(code) is expected


# --- RECIST 1.1 Table 1 (target disease) and Table 2 (non-target disease only) ------------------------------

TABLE_1 = [
    (R.CR, R.CR, False, R.CR),
    (R.CR, None, False, R.CR),  # no non-target lesions behaves as non-target CR
    (R.CR, NCNP, False, R.PR),
    (R.CR, R.NE, False, R.PR),
    (R.PR, NCNP, False, R.PR),
    (R.PR, R.NE, False, R.PR),
    (R.PR, R.CR, False, R.PR),
    (R.PR, None, False, R.PR),
    (R.SD, NCNP, False, R.SD),
    (R.SD, R.NE, False, R.SD),
    (R.SD, R.CR, False, R.SD),
    (R.NE, NCNP, False, R.NE),
    (R.NE, R.CR, False, R.NE),
    (R.NE, R.NE, False, R.NE),
    (R.PD, R.CR, False, R.PD),
    (R.PD, NCNP, False, R.PD),
    (R.PD, R.NE, False, R.PD),
    (R.CR, R.PD, False, R.PD),
    (R.PR, R.PD, False, R.PD),
    (R.SD, R.PD, False, R.PD),
    (R.NE, R.PD, False, R.PD),
    (R.CR, R.CR, True, R.PD),
    (R.PR, NCNP, True, R.PD),
    (R.SD, R.NE, True, R.PD),
    (R.NE, R.NE, True, R.PD),
]


@pytest.mark.parametrize(("tgt", "ntg", "new_lesion", "expected"), TABLE_1)
def test_table_1_with_target_disease(tgt: Response, ntg: Response | None, new_lesion: bool, expected: Response) -> None:
    overall, rule = overall_timepoint_response(tgt, ntg, new_lesion)
    assert overall is expected
    assert rule.startswith("Table 1:")
    assert rule.endswith(f"-> {expected.value}")


TABLE_2 = [
    (R.CR, False, R.CR),
    (NCNP, False, NCNP),
    (R.NE, False, R.NE),
    (R.PD, False, R.PD),
    (R.CR, True, R.PD),
    (NCNP, True, R.PD),
    (R.NE, True, R.PD),
]


@pytest.mark.parametrize(("ntg", "new_lesion", "expected"), TABLE_2)
def test_table_2_non_target_disease_only(ntg: Response, new_lesion: bool, expected: Response) -> None:
    overall, rule = overall_timepoint_response(None, ntg, new_lesion)
    assert overall is expected
    assert rule.startswith("Table 2:")


def test_rule_text_is_readable() -> None:
    _, rule = overall_timepoint_response(R.PR, NCNP, False)
    assert rule == "Table 1: target PR + non-target Non-CR/Non-PD + no new -> PR"


# --- target arithmetic ------------------------------------------------------------------------------------


def run(lesions: list[Lesion], meas: list[Measurement], **kw):
    return timepoint_responses(lesions, meas, **kw)


def test_sum_uses_long_axis_for_lesions_and_short_axis_for_nodes() -> None:
    lesions = [target("T1"), target("N1", organ="NODE", node=True)]
    meas = [m("T1", BL, 40), m("N1", BL, 30, axis=20), m("T1", W6, 30), m("N1", W6, 25, axis=12)]
    (tp,) = run(lesions, meas)
    assert tp.target_sum_mm == pytest.approx(42.0)  # 30 + short axis 12, not 25
    assert tp.pct_from_baseline == pytest.approx(-30.0)
    assert tp.target is R.PR


@pytest.mark.parametrize(("base", "now", "expected"), [(50.0, 35.0, R.PR), (100.0, 70.1, R.SD), (100.0, 70.0, R.PR)])
def test_partial_response_boundary(base: float, now: float, expected: Response) -> None:
    (tp,) = run([target("T1")], [m("T1", BL, base), m("T1", W6, now)])
    assert tp.target is expected
    assert tp.overall is expected  # no non-target lesions: Table 1 with non-target "none"
    assert tp.non_target is None


@pytest.mark.parametrize(
    ("nadir", "now", "expected"),
    [(24.5, 29.4, R.SD), (25.0, 30.0, R.PD), (25.0, 29.9, R.SD), (50.0, 59.9, R.SD), (50.0, 60.0, R.PD)],
)
def test_progression_needs_20_percent_and_5_mm(nadir: float, now: float, expected: Response) -> None:
    (tp,) = run([target("T1")], [m("T1", BL, nadir), m("T1", W6, now)])
    assert tp.target is expected


def test_progression_is_measured_from_the_nadir_not_the_baseline() -> None:
    meas = [m("T1", BL, 50), m("T1", W6, 25), m("T1", W12, 30)]
    first, second = run([target("T1")], meas)
    assert first.target is R.PR
    assert second.target is R.PD
    assert second.pct_from_nadir == pytest.approx(20.0)
    assert second.pct_from_baseline == pytest.approx(-40.0)


@pytest.mark.parametrize(("axis", "expected"), [(9.9, R.CR), (10.0, R.PR)])
def test_node_below_10_mm_is_cr_compatible(axis: float, expected: Response) -> None:
    lesions = [target("T1"), target("N1", organ="NODE", node=True)]
    meas = [m("T1", BL, 20), m("N1", BL, axis=20), m("T1", W6, status=S.ABSENT), m("N1", W6, axis=axis)]
    (tp,) = run(lesions, meas)
    assert tp.target is expected
    assert tp.overall is expected


def test_too_small_counts_5_mm_and_absent_counts_0() -> None:
    lesions = [target("T1"), target("T2", organ="LUNG")]
    meas = [
        m("T1", BL, 20), m("T2", BL, 20),
        m("T1", W6, status=S.TOO_SMALL), m("T2", W6, status=S.ABSENT),
        m("T1", W12, status=S.ABSENT), m("T2", W12, status=S.ABSENT),
    ]  # fmt: skip
    too_small, gone = run(lesions, meas)
    assert too_small.target_sum_mm == pytest.approx(5.0)
    assert too_small.target is R.PR  # 5 mm left: not CR
    assert gone.target_sum_mm == pytest.approx(0.0)
    assert gone.target is R.CR


def test_not_assessed_target_is_ne() -> None:
    lesions = [target("T1"), target("T2", organ="LUNG")]
    meas = [m("T1", BL, 20), m("T2", BL, 20), m("T1", W6, status=S.NOT_ASSESSED), m("T2", W6, 25)]
    (tp,) = run(lesions, meas)
    assert tp.target is R.NE
    assert tp.overall is R.NE
    assert "T1 not assessed" in tp.rule


def test_unrecorded_target_is_ne() -> None:
    lesions = [target("T1"), target("T2", organ="LUNG")]
    (tp,) = run(lesions, [m("T1", BL, 20), m("T2", BL, 20), m("T2", W6, 10)])
    assert tp.target is R.NE


def test_not_assessed_target_is_pd_when_the_others_already_progress() -> None:
    lesions = [target("T1"), target("T2", organ="LUNG")]
    meas = [m("T1", BL, 20), m("T2", BL, 20), m("T1", W6, status=S.NOT_ASSESSED), m("T2", W6, 50)]
    (tp,) = run(lesions, meas)
    assert tp.target is R.PD  # 50 mm alone is +25 % and +10 mm over the 40 mm nadir
    assert tp.overall is R.PD


def test_target_response_helper_directly() -> None:
    result = target_response([("T1", 30.0, False), ("N1", 8.0, True)], baseline_sum=40.0, nadir_sum=25.0)
    assert result.response is R.PD
    assert result.sum_mm == pytest.approx(38.0)
    assert target_response([("T1", 0.0, False), ("N1", 8.0, True)], 40.0, 8.0).response is R.CR
    assert target_response([("T1", 10.0, False)], None, None).response is R.NE


# --- non-target and new lesions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], None),
        ([(S.ABSENT, False, None), (S.PRESENT, True, 8.0)], R.CR),
        ([(S.ABSENT, False, None), (S.PRESENT, True, 10.0)], NCNP),
        ([(S.PRESENT, False, None)], NCNP),
        ([(S.EQUIVOCAL, False, None)], NCNP),
        ([(S.ABSENT, False, None), (S.NOT_ASSESSED, False, None)], R.NE),
        ([(S.PRESENT, False, None), (None, False, None)], R.NE),
        ([(S.NOT_ASSESSED, False, None), (S.UNEQUIVOCAL_PROGRESSION, False, None)], R.PD),
    ],
)
def test_non_target_response(items: list, expected: Response | None) -> None:
    assert non_target_response(items) == expected


def test_non_target_only_subject_uses_table_2() -> None:
    lesions = [non_target("N1"), non_target("N2", node=True)]
    meas = [m("N1", BL), m("N2", BL, axis=16), m("N1", W6, status=S.ABSENT), m("N2", W6, axis=7)]
    meas += [m("N1", W12, status=S.ABSENT), m("N2", W12, axis=12)]
    cr, non = run(lesions, meas)
    assert (cr.target, cr.non_target, cr.overall) == (None, R.CR, R.CR)
    assert non.overall is NCNP
    assert non.rule.startswith("Table 2:")


def test_unequivocal_non_target_progression_is_pd() -> None:
    lesions = [target("T1"), non_target("N1")]
    meas = [m("T1", BL, 40), m("N1", BL), m("T1", W6, 20), m("N1", W6, status=S.UNEQUIVOCAL_PROGRESSION)]
    (tp,) = run(lesions, meas)
    assert (tp.target, tp.non_target, tp.overall) == (R.PR, R.PD, R.PD)


@pytest.mark.parametrize(
    ("status", "is_new"), [(S.PRESENT, True), (S.TOO_SMALL, True), (S.ABSENT, False), (S.EQUIVOCAL, False)]
)
def test_new_lesion_makes_pd(status: S, is_new: bool) -> None:
    lesions = [target("T1"), new("X1")]
    (tp,) = run(lesions, [m("T1", BL, 40), m("T1", W6, 20), m("X1", W6, 8, status=status)])
    assert tp.new_lesion is is_new
    assert tp.overall is (R.PD if is_new else R.PR)


def test_a_new_lesion_alone_on_a_date_is_a_pd_timepoint() -> None:
    lesions = [target("T1"), new("X1")]
    first, second = run(lesions, [m("T1", BL, 40), m("T1", W6, 38), m("X1", W12, 15)])
    assert first.overall is R.SD
    assert (second.target, second.new_lesion, second.overall) == (R.NE, True, R.PD)


# --- timepoint bookkeeping --------------------------------------------------------------------------------


def test_timepoints_are_in_date_order_whatever_the_input_order() -> None:
    lesions = [target("T1"), non_target("N1")]
    meas = [m("T1", BL, 40, visit="BASELINE"), m("N1", BL)]
    meas += [m("T1", W6, 28, visit="WEEK 6"), m("N1", W6), m("T1", W12, 40, visit="WEEK 12"), m("N1", W12)]
    expected = run(lesions, meas)
    shuffled = meas[:]
    random.Random(7).shuffle(shuffled)
    assert run(lesions, shuffled) == expected
    assert [tp.date for tp in expected] == [W6, W12]
    assert [tp.visit for tp in expected] == ["WEEK 6", "WEEK 12"]
    assert [tp.overall for tp in expected] == [R.PR, R.PD]  # 28 -> 40: +42.9 %, +12 mm over the nadir


def test_explicit_baseline_date() -> None:
    screening = BL - timedelta(days=20)
    meas = [m("T1", screening, 80), m("T1", BL, 50), m("T1", W6, 35)]
    (tp,) = run([target("T1")], meas, baseline_date=BL)
    assert tp.pct_from_baseline == pytest.approx(-30.0)
    assert [t.date for t in run([target("T1")], meas)] == [BL, W6]  # default baseline: earliest date


def test_criteria_parameter_accepts_mrecist() -> None:
    (tp,) = run([target("T1")], [m("T1", BL, 40), m("T1", W6, 40)], criteria=Criteria.MRECIST)
    assert tp.target is R.NE  # mRECIST needs the viable diameter of a liver target
    assert "[mRECIST]" in tp.rule


def test_to_dict_is_plain() -> None:
    (tp,) = run([target("T1")], [m("T1", BL, 40), m("T1", W6, 20)])
    d = tp.to_dict()
    assert d["date"] == W6.isoformat()
    assert d["overall"] == "PR"
    assert d["non_target"] is None
    assert d["target_sum_mm"] == pytest.approx(20.0)


# --- lesion selection (RECIST 1.1 §3, §4.2) --------------------------------------------------------------


def rules_of(findings: list[SelectionFinding]) -> list[str]:
    return [f.rule for f in findings]


def test_six_targets_exceed_the_maximum_of_five() -> None:
    organs = ["LIVER", "LIVER", "LUNG", "LUNG", "ADRENAL", "BONE"]
    lesions = [target(f"T{i}", organ=o) for i, o in enumerate(organs, 1)]
    findings = check_lesion_selection(lesions, [m(f"T{i}", BL, 20) for i in range(1, 7)])
    assert len(findings) == 1
    assert findings[0].lesion_id is None
    assert findings[0].rule.startswith("more than 5 target lesions")
    assert findings[0].severity == "warning"


def test_three_targets_in_one_organ() -> None:
    lesions = [target("T1"), target("T2"), target("T3"), target("T4", organ="LUNG")]
    findings = check_lesion_selection(lesions, [m(f"T{i}", BL, 20) for i in range(1, 5)])
    assert rules_of(findings) == ["more than 2 target lesions in organ LIVER (T1, T2, T3)"]


def test_lymph_nodes_count_as_one_organ() -> None:
    lesions = [target(f"N{i}", organ=o, node=True) for i, o in enumerate(["NECK", "MEDIASTINUM", "PELVIS"], 1)]
    findings = check_lesion_selection(lesions, [m(f"N{i}", BL, axis=20) for i in range(1, 4)])
    assert rules_of(findings) == ["more than 2 target lesions in organ LYMPH NODES (N1, N2, N3)"]


def test_target_below_measurability() -> None:
    findings = check_lesion_selection([target("T1"), target("T3", organ="LUNG")], [m("T1", BL, 20), m("T3", BL, 9)])
    assert [(f.lesion_id, f.rule) for f in findings] == [("T3", "target lesion T3 below measurability (9 mm < 10 mm)")]


@pytest.mark.parametrize(("axis", "flagged"), [(14.0, "non-target only"), (9.0, "not pathological"), (15.0, None)])
def test_node_as_target_needs_15_mm_short_axis(axis: float, flagged: str | None) -> None:
    findings = check_lesion_selection([target("N1", organ="NODE", node=True)], [m("N1", BL, 25, axis=axis)])
    if flagged is None:
        assert findings == []
    else:
        assert len(findings) == 1
        assert findings[0].lesion_id == "N1"
        assert flagged in findings[0].rule


def test_clean_selection_has_no_findings_and_never_raises() -> None:
    lesions = [target("T1"), target("T2", organ="LUNG"), non_target("N1"), new("X1")]
    assert check_lesion_selection(lesions, [m("T1", BL, 10), m("T2", BL, 30), m("N1", BL)]) == []
    missing = check_lesion_selection([target("T1")], [])
    assert rules_of(missing) == ["target lesion T1 has no baseline measurement"]
