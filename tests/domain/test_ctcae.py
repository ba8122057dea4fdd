"""CTCAE v5.0: lab grading at every boundary, units, attribution, term lookup and patient-level tables."""

from __future__ import annotations

import math

import pytest

from hccreview.domain.ctcae import (
    ATTRIBUTABLE,
    TermTable,
    ToxicityRow,
    canonical_soc,
    is_attributable,
    toxicity_table,
    worst_grades,
)
from hccreview.domain.ctcae_labs import LAB_TEST_TERMS, canonical_test, convert_unit, grade_lab, standard_unit
from hccreview.domain.records import AdverseEvent

# --------------------------------------------------------------------------------------- lab grading

# (test, lln, uln, value, expected grade): both sides of every boundary ("<1.0 - 0.5" = 0.5 <= x < 1.0)
LOW_CASES = [
    # Neutrophil count decreased (10^9/L): <LLN-1.5, <1.5-1.0, <1.0-0.5, <0.5
    *[("NEUT", 2.0, None, v, g) for v, g in [(2.0, 0), (1.99, 1), (1.5, 1), (1.49, 2), (1.0, 2)]],
    *[("NEUT", 2.0, None, v, g) for v, g in [(0.99, 3), (0.5, 3), (0.49, 4), (0.0, 4)]],
    # Platelet count decreased: <LLN-75, <75-50, <50-25, <25
    *[("PLAT", 150.0, None, v, g) for v, g in [(150, 0), (149.9, 1), (75, 1), (74.9, 2), (50, 2)]],
    *[("PLAT", 150.0, None, v, g) for v, g in [(49.9, 3), (25, 3), (24.9, 4)]],
    # White blood cell decreased: <LLN-3.0, <3.0-2.0, <2.0-1.0, <1.0
    *[("WBC", 4.0, None, v, g) for v, g in [(4.0, 0), (3.99, 1), (3.0, 1), (2.99, 2), (2.0, 2)]],
    *[("WBC", 4.0, None, v, g) for v, g in [(1.99, 3), (1.0, 3), (0.99, 4)]],
    # Lymphocyte count decreased: <LLN-0.8, <0.8-0.5, <0.5-0.2, <0.2
    *[("LYMPH", 1.0, None, v, g) for v, g in [(1.0, 0), (0.99, 1), (0.8, 1), (0.79, 2), (0.5, 2)]],
    *[("LYMPH", 1.0, None, v, g) for v, g in [(0.49, 3), (0.2, 3), (0.19, 4)]],
    # Anemia (g/dL): <LLN-10, <10-8, <8 (grade 4 is clinical: never from a value)
    *[("HGB", 12.0, None, v, g) for v, g in [(12.0, 0), (11.9, 1), (10.0, 1), (9.9, 2), (8.0, 2)]],
    *[("HGB", 12.0, None, v, g) for v, g in [(7.9, 3), (3.0, 3)]],
    # Hypoalbuminemia (g/dL): <LLN-3, <3-2, <2 (grade 4 clinical)
    *[("ALB", 3.5, None, v, g) for v, g in [(3.5, 0), (3.4, 1), (3.0, 1), (2.9, 2), (2.0, 2)]],
    *[("ALB", 3.5, None, v, g) for v, g in [(1.9, 3), (0.5, 3)]],
    # Hyponatremia (mmol/L): <LLN-130 G1; 125-129 G3 (worst case: symptomatic); <120 G4
    *[("SODIUM", 135.0, None, v, g) for v, g in [(135, 0), (134, 1), (130, 1), (129.9, 3), (120, 3)]],
    *[("SODIUM", 135.0, None, v, g) for v, g in [(119.9, 4)]],
    # Hypokalemia (mmol/L): <LLN-3.0 G2 (worst case: symptomatic); <3.0-2.5 G3; <2.5 G4
    *[("K", 3.5, 5.1, v, g) for v, g in [(3.5, 0), (3.49, 2), (3.0, 2), (2.99, 3), (2.5, 3), (2.49, 4)]],
]

HIGH_CASES = [
    # Blood bilirubin increased, baseline normal: >ULN-1.5, >1.5-3.0, >3.0-10.0, >10.0 x ULN (1.5 x 1.2 = 1.8)
    *[("BILI", 1.2, v, g) for v, g in [(1.2, 0), (1.21, 1), (1.8, 1), (1.81, 2), (3.6, 2), (3.61, 3)]],
    *[("BILI", 1.2, v, g) for v, g in [(12.0, 3), (12.01, 4)]],
    # ALT / AST increased: >ULN-3.0, >3.0-5.0, >5.0-20.0, >20.0 x ULN
    *[("ALT", 40.0, v, g) for v, g in [(40, 0), (40.1, 1), (120, 1), (120.1, 2), (200, 2), (200.1, 3)]],
    *[("ALT", 40.0, v, g) for v, g in [(800, 3), (800.1, 4)]],
    *[("AST", 35.0, v, g) for v, g in [(35, 0), (35.1, 1), (105, 1), (105.1, 2), (175, 2), (175.1, 3)]],
    *[("AST", 35.0, v, g) for v, g in [(700, 3), (700.1, 4)]],
    # Alkaline phosphatase increased: >ULN-2.5, >2.5-5.0, >5.0-20.0, >20.0 x ULN
    *[("ALP", 120.0, v, g) for v, g in [(120, 0), (120.1, 1), (300, 1), (300.1, 2), (600, 2), (600.1, 3)]],
    *[("ALP", 120.0, v, g) for v, g in [(2400, 3), (2400.1, 4)]],
    # Creatinine increased: >ULN-1.5, >1.5-3.0, >3.0-6.0, >6.0 x ULN (1.5 x 1.1 = 1.65 in floats)
    *[("CREAT", 1.1, v, g) for v, g in [(1.1, 0), (1.11, 1), (1.65, 1), (1.66, 2), (3.3, 2), (3.31, 3)]],
    *[("CREAT", 1.1, v, g) for v, g in [(6.6, 3), (6.61, 4)]],
    # Hyperkalemia (mmol/L): >ULN-5.5, >5.5-6.0, >6.0-7.0, >7.0
    *[("K", 5.1, v, g) for v, g in [(5.1, 0), (5.2, 1), (5.5, 1), (5.51, 2), (6.0, 2), (6.01, 3)]],
    *[("K", 5.1, v, g) for v, g in [(7.0, 3), (7.01, 4)]],
]

ABNORMAL_BASELINE_CASES = [
    # bilirubin, baseline 2.0 > ULN 1.2: >1.0-1.5, >1.5-3.0, >3.0-10, >10 x baseline
    *[("BILI", 1.2, 2.0, v, g) for v, g in [(2.0, 0), (2.01, 1), (3.0, 1), (3.01, 2), (6.0, 2), (6.01, 3)]],
    *[("BILI", 1.2, 2.0, v, g) for v, g in [(20.0, 3), (20.01, 4)]],
    # ALT, baseline 100 > ULN 40: 1.5-3.0 (1.5 included), >3.0-5.0, >5.0-20, >20 x baseline
    *[("ALT", 40.0, 100.0, v, g) for v, g in [(149.9, 0), (150, 1), (300, 1), (300.1, 2), (500, 2)]],
    *[("ALT", 40.0, 100.0, v, g) for v, g in [(500.1, 3), (2000, 3), (2000.1, 4)]],
    *[("AST", 35.0, 60.0, v, g) for v, g in [(89.9, 0), (90, 1), (180, 1), (180.1, 2), (300, 2)]],
    *[("AST", 35.0, 60.0, v, g) for v, g in [(300.1, 3), (1200, 3), (1200.1, 4)]],
    # ALP, baseline 200 > ULN 120: 2.0-2.5 (2.0 included), >2.5-5.0, >5.0-20, >20 x baseline
    *[("ALP", 120.0, 200.0, v, g) for v, g in [(399.9, 0), (400, 1), (500, 1), (500.1, 2), (1000, 2)]],
    *[("ALP", 120.0, 200.0, v, g) for v, g in [(1000.1, 3), (4000, 3), (4000.1, 4)]],
]


@pytest.mark.parametrize(("test", "lln", "uln", "value", "grade"), LOW_CASES)
def test_decrease_terms_every_boundary(test, lln, uln, value, grade):
    assert grade_lab(test, value, lln=lln, uln=uln).grade == grade


@pytest.mark.parametrize(("test", "uln", "value", "grade"), HIGH_CASES)
def test_increase_terms_every_boundary_baseline_normal(test, uln, value, grade):
    assert grade_lab(test, value, lln=3.5 if test == "K" else None, uln=uln).grade == grade


@pytest.mark.parametrize(("test", "uln", "baseline", "value", "grade"), ABNORMAL_BASELINE_CASES)
def test_increase_terms_every_boundary_baseline_abnormal(test, uln, baseline, value, grade):
    assert grade_lab(test, value, lln=None, uln=uln, baseline=baseline).grade == grade


def test_baseline_at_or_below_uln_grades_on_uln():
    # ALT 45 with ULN 40: > ULN -> G1 when baseline normal; the abnormal-baseline rule would give 0
    assert grade_lab("ALT", 45, lln=None, uln=40, baseline=40).grade == 1
    assert grade_lab("ALT", 45, lln=None, uln=40, baseline=35).grade == 1
    assert grade_lab("ALT", 45, lln=None, uln=40, baseline=41).grade == 0


@pytest.mark.parametrize(("value", "grade"), [(1.2, 0), (1.21, 1), (1.5, 1), (1.51, 2), (2.5, 2), (2.51, 3)])
def test_inr_absolute_without_anticoagulation(value, grade):
    assert grade_lab("INR", value, lln=None, uln=None).grade == grade
    assert grade_lab("INR", value, lln=0.8, uln=1.2, baseline=1.0).grade == grade  # ULN, baseline unused


@pytest.mark.parametrize(("value", "grade"), [(2.0, 0), (2.01, 1), (3.0, 1), (3.01, 2), (5.0, 2), (5.01, 3)])
def test_inr_on_anticoagulation_uses_baseline_multiples(value, grade):
    assert grade_lab("INR", value, lln=None, uln=None, baseline=2.0, anticoagulated=True).grade == grade


def test_inr_on_anticoagulation_without_baseline_is_not_assessable():
    result = grade_lab("INR", 3.0, lln=None, uln=None, anticoagulated=True)
    assert (result.grade, result.assessable) == (0, False)


@pytest.mark.parametrize(
    ("value", "baseline", "grade"),
    [
        (0.75, 0.5, 0),  # 1.5 x baseline is not "> 1.5 x"
        (0.76, 0.5, 2),  # > 1.5 x baseline, below ULN: grade 2 (admiral reads CTCAE literally)
        (1.5, 0.5, 2),  # 3.0 x baseline exactly; ULN branch only G1
        (1.51, 0.5, 3),  # > 3.0 x baseline
        (7.3, 0.5, 4),  # > 6 x ULN beats the baseline grade 3
    ],
)
def test_creatinine_takes_worse_of_uln_and_baseline(value, baseline, grade):
    assert grade_lab("CREAT", value, lln=None, uln=1.2, baseline=baseline).grade == grade


def test_creatinine_without_uln_grades_from_baseline_only():
    assert grade_lab("CREAT", 2.0, lln=None, uln=None, baseline=0.6).grade == 3
    assert grade_lab("CREAT", 0.7, lln=None, uln=None, baseline=0.6).assessable is False


def test_absolute_cutoffs_apply_whatever_the_lln():
    # admiral: grade 2 is "< 1.5" even when the laboratory's LLN is below 1.5
    assert grade_lab("NEUT", 1.45, lln=1.4, uln=None).grade == 2


def test_missing_reference_limits_are_not_assessable():
    neut = grade_lab("NEUT", 1.8, lln=None, uln=None)
    assert (neut.grade, neut.assessable) == (0, False)
    assert grade_lab("NEUT", 1.2, lln=None, uln=None).grade == 2  # absolute cut-off still applies
    alt = grade_lab("ALT", 500, lln=None, uln=None)
    assert (alt.grade, alt.assessable) == (0, False)
    assert grade_lab("HGB", math.nan, lln=12, uln=None).assessable is False


def test_normal_value_is_grade_zero_and_assessable():
    result = grade_lab("PLAT", 250, lln=150, uln=400)
    assert (result.grade, result.assessable, result.term) == (0, True, "Platelet count decreased")


def test_result_names_term_test_and_rule():
    result = grade_lab("ANC", 0.4, lln=1.8, uln=7.5)
    assert result.term == "Neutrophil count decreased"
    assert result.test == "NEUT"
    assert "G4" in result.rule and "0.5" in result.rule


@pytest.mark.parametrize(
    ("alias", "code"), [("ANC", "NEUT"), ("neut", "NEUT"), ("LYM", "LYMPH"), ("PLT", "PLAT"), ("TBILI", "BILI")]
)
def test_test_code_aliases(alias, code):
    assert canonical_test(alias) == code


def test_unknown_test_raises():
    with pytest.raises(ValueError, match="GLUC"):
        grade_lab("GLUC", 5.0, lln=3.9, uln=5.6)


def test_potassium_picks_the_term_by_direction():
    assert grade_lab("K", 6.5, lln=3.5, uln=5.1).term == "Hyperkalemia"
    assert grade_lab("K", 2.7, lln=3.5, uln=5.1).term == "Hypokalemia"


def test_potassium_without_uln_cannot_be_called_normal():
    assert grade_lab("K", 4.0, lln=3.5, uln=None).assessable is False
    assert grade_lab("K", 4.0, lln=3.5, uln=5.1).assessable is True
    assert grade_lab("K", 5.8, lln=3.5, uln=None).grade == 2  # absolute cut-off needs no ULN


def test_lab_terms_cover_the_requested_tests():
    wanted = {"NEUT", "PLAT", "WBC", "LYMPH", "HGB", "BILI", "ALT", "AST", "ALP", "CREAT", "ALB", "INR"}
    assert wanted <= set(LAB_TEST_TERMS)


# --------------------------------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("test", "value", "unit", "expected"),
    [
        ("BILI", 34.2, "µmol/L", 2.0),
        ("BILI", 34.2, "umol/L", 2.0),
        ("BILI", 2.0, "mg/dL", 2.0),
        ("CREAT", 88.4, "umol/L", 1.0),
        ("ALB", 35.0, "g/L", 3.5),
        ("HGB", 120.0, "g/L", 12.0),
        ("HGB", 1.0, "mmol/L", 1.6114),
        ("NEUT", 1500.0, "/uL", 1.5),
        ("NEUT", 1500.0, "cells/mm3", 1.5),
        ("NEUT", 1.5, "10^3/µL", 1.5),
        ("NEUT", 1.5, "x10E9/L", 1.5),
        ("PLAT", 150.0, "GI/L", 150.0),
        ("PLAT", 150.0, "10*9/L", 150.0),
        ("ALT", 1.0, "µkat/L", 60.0),
    ],
)
def test_convert_unit_to_standard(test, value, unit, expected):
    converted, std = convert_unit(test, value, unit)
    assert converted == pytest.approx(expected)
    assert std == standard_unit(test)


def test_convert_unit_to_another_unit():
    assert convert_unit("BILI", 2.0, "mg/dL", to="umol/L") == (pytest.approx(34.2), "umol/L")
    assert convert_unit("ALB", 3.5, "g/dL", to="g/L") == (pytest.approx(35.0), "g/L")


def test_unknown_unit_raises_naming_the_unit():
    with pytest.raises(ValueError, match="furlongs"):
        convert_unit("BILI", 1.0, "furlongs")
    with pytest.raises(ValueError, match="mg/dL"):
        grade_lab("NEUT", 1.0, lln=1.8, uln=None, unit="mg/dL")


def test_grade_lab_converts_value_and_limits():
    # bilirubin in µmol/L, ULN 21: 1.5 x ULN = 31.5
    assert grade_lab("BILI", 31.5, lln=None, uln=21.0, unit="umol/L").grade == 1
    assert grade_lab("BILI", 31.6, lln=None, uln=21.0, unit="umol/L").grade == 2
    assert grade_lab("NEUT", 990, lln=1800, uln=None, unit="/uL").grade == 3
    assert grade_lab("HGB", 80, lln=120, uln=None, unit="g/L").grade == 2
    assert grade_lab("HGB", 79, lln=120, uln=None, unit="g/L").grade == 3
    assert grade_lab("ALB", 30, lln=35, uln=None, unit="g/L").grade == 1
    assert grade_lab("ALB", 29.9, lln=35, uln=None, unit="g/L").grade == 2


@pytest.mark.parametrize(("value", "grade"), [(7.4, 0), (6.2, 1), (6.19, 2), (4.9, 2), (4.89, 3)])
def test_haemoglobin_in_mmol_uses_ctcae_mmol_cutoffs(value, grade):
    assert grade_lab("HGB", value, lln=7.4, uln=None, unit="mmol/L").grade == grade


# --------------------------------------------------------------------------------------- attribution


def test_attributable_set():
    assert {"possible", "probable", "definite"} == ATTRIBUTABLE


@pytest.mark.parametrize(
    "text", ["possible", "Probable", "DEFINITE", "POSSIBLE", "RELATED", "Y", " probable ", "Possibly related"]
)
def test_attributable_values(text):
    assert is_attributable(text) is True


@pytest.mark.parametrize(
    "text", ["unrelated", "Unlikely", "NOT RELATED", "UNLIKELY", "UNRELATED", "REMOTE", "NONE", "N", ""]
)
def test_not_attributable_values(text):
    assert is_attributable(text) is False


def test_unknown_attribution_raises():
    with pytest.raises(ValueError, match="maybe"):
        is_attributable("maybe")


# --------------------------------------------------------------------------------------- term table

ROWS = [
    {"term": "Rash maculo-papular", "soc": "Skin and subcutaneous tissue disorders", "meddra_code": "10037868",
     "grade1": "a", "grade2": "b", "grade3": "c", "grade4": "-", "grade5": "-"},
    {"term": "Neutrophil count decreased", "soc": "Investigations", "meddra_code": "",
     "grade1": "a", "grade2": "b", "grade3": "c", "grade4": "d", "grade5": "-"},
    {"term": "Fatigue", "soc": "general disorders and administration site conditions", "meddra_code": None,
     "grade1": "a", "grade2": "b", "grade3": "c", "grade4": "-", "grade5": ""},
]  # fmt: skip


def test_term_table_lookup_case_and_synonyms():
    table = TermTable.from_rows(ROWS)
    assert len(table) == 3
    assert table.lookup("RASH MACULO-PAPULAR").term == "Rash maculo-papular"
    assert table.lookup("Rash").term == "Rash maculo-papular"
    assert table.lookup("Neutropenia").term == "Neutrophil count decreased"
    assert table.lookup("Headache") is None
    assert "fatigue" in table
    assert table.soc_of("neutropenia") == "Investigations"
    assert table.soc_of("Headache") is None


def test_term_table_rows_parsed():
    table = TermTable.from_rows(ROWS)
    rash = table.lookup("Rash maculo-papular")
    assert rash.meddra_code == "10037868"
    assert rash.grades == {1: "a", 2: "b", 3: "c"}
    assert rash.max_grade == 3
    assert table.lookup("Neutrophil count decreased").meddra_code is None
    assert table.soc_of("Fatigue") == "General disorders and administration site conditions"


def test_term_table_rejects_bad_rows():
    with pytest.raises(ValueError, match="duplicate"):
        TermTable.from_rows([ROWS[0], dict(ROWS[0], term="rash maculo-papular")])
    with pytest.raises(ValueError, match="soc"):
        TermTable.from_rows([dict(ROWS[0], soc="")])
    with pytest.raises(ValueError, match="meddra_code"):
        TermTable.from_rows([dict(ROWS[0], meddra_code="10O3")])


def test_canonical_soc_restores_meddra_spelling():
    assert canonical_soc("SKIN AND SUBCUTANEOUS TISSUE DISORDERS") == "Skin and subcutaneous tissue disorders"
    assert canonical_soc("Not a SOC") == "Not a SOC"


# --------------------------------------------------------------------------------------- toxicity


def ae(subject, seq, term, grade=None, attribution="", soc="", severity=""):
    return AdverseEvent(subject, seq, term, soc=soc, grade=grade, attribution=attribution, severity=severity)


def row_for(rows: list[ToxicityRow], term: str) -> ToxicityRow:
    (found,) = [r for r in rows if r.term == term]
    return found


def test_worst_grades_per_subject_and_term():
    worst = worst_grades([ae("01", 1, "Rash maculo-papular", 2), ae("01", 2, "rash", 3), ae("02", 1, "Fatigue", None)])
    assert worst == {("01", "Rash maculo-papular"): 3, ("02", "Fatigue"): None}


def test_worst_grades_graded_event_beats_ungraded():
    worst = worst_grades([ae("01", 1, "Nausea", None), ae("01", 2, "Nausea", 1)])
    assert worst == {("01", "Nausea"): 1}
    worst = worst_grades([ae("01", 1, "Nausea", 1), ae("01", 2, "Nausea", None)])
    assert worst == {("01", "Nausea"): 1}


def test_worst_grade_does_not_depend_on_event_order():
    worst = worst_grades([ae("01", 2, "Fatigue", 2), ae("01", 1, "Fatigue", 3), ae("01", 3, "Fatigue", 1)])
    assert worst == {("01", "Fatigue"): 3}


def test_patient_counted_once_at_worst_grade():
    rows = toxicity_table([ae("01", 1, "Rash maculo-papular", 2), ae("01", 2, "Rash maculo-papular", 3)], 40)
    rash = row_for(rows, "Rash maculo-papular")
    assert (rash.any_grade, rash.grade3, rash.grade4, rash.grade5) == (1, 1, 0, 0)


def test_grade_columns_are_exact_worst_grades():
    aes = [
        ae("01", 1, "Fatigue", 3),
        ae("01", 2, "Fatigue", 4),  # worst 4: counts in grade4 only
        ae("02", 1, "Fatigue", 3),
        ae("03", 1, "Fatigue", 5),
        ae("04", 1, "Fatigue", 1),
    ]
    fatigue = row_for(toxicity_table(aes, 40), "Fatigue")
    assert (fatigue.any_grade, fatigue.grade3, fatigue.grade4, fatigue.grade5) == (4, 1, 1, 1)
    assert fatigue.grade3plus == 3


def test_attributable_grade3plus_counts_patients_with_an_attributable_grade3plus_event():
    aes = [
        ae("01", 1, "Rash maculo-papular", 3, "possible"),
        ae("01", 2, "Rash maculo-papular", 3, "definite"),  # same patient: once
        ae("02", 1, "Rash maculo-papular", 3, "unrelated"),
        ae("02", 2, "Rash maculo-papular", 2, "probable"),  # attributable but grade 2
        ae("03", 1, "Rash maculo-papular", 4, "PROBABLE"),
        ae("04", 1, "Rash maculo-papular", 1, "weird text, never evaluated below grade 3"),
    ]
    rash = row_for(toxicity_table(aes, 40), "Rash maculo-papular")
    assert rash.attributable_grade3plus == 2
    assert rash.any_grade == 4


def test_ungraded_events_count_in_any_grade_only():
    aes = [
        ae("01", 1, "NAUSEA", None, severity="SEVERE"),
        ae("02", 1, "Nausea", None, severity="MILD"),
        ae("02", 2, "Nausea", None, severity="MODERATE"),
        ae("03", 1, "Nausea", 3),
    ]
    nausea = row_for(toxicity_table(aes, 10), "Nausea")  # one term, in MedDRA case whatever the delivery's
    assert (nausea.any_grade, nausea.ungraded, nausea.grade3) == (3, 2, 1)
    assert (nausea.mild, nausea.moderate, nausea.severe) == (0, 1, 1)  # patient 02 at their worst: moderate


def test_soc_from_record_else_table_and_synonyms_merge():
    table = TermTable.from_rows(ROWS)
    aes = [
        ae("01", 1, "Neutropenia", 4),
        ae("02", 1, "Neutrophil count decreased", 2),
        ae("03", 1, "Rash maculo-papular", 1, soc="SKIN AND SUBCUTANEOUS TISSUE DISORDERS"),
        ae("04", 1, "Headache", 1),
    ]
    rows = toxicity_table(aes, 40, table)
    neut = row_for(rows, "Neutrophil count decreased")
    assert (neut.any_grade, neut.grade4, neut.soc) == (2, 1, "Investigations")
    assert row_for(rows, "Rash maculo-papular").soc == "Skin and subcutaneous tissue disorders"
    assert row_for(rows, "Headache").soc == ""


def test_soc_of_the_record_wins_over_the_table():
    table = TermTable.from_rows(ROWS)
    aes = [ae("01", 1, "Fatigue", 1, soc="NERVOUS SYSTEM DISORDERS"), ae("02", 1, "Fatigue", 2)]
    assert toxicity_table(aes, 10, table)[0].soc == "Nervous system disorders"
    assert toxicity_table(aes[1:], 10, table)[0].soc == "General disorders and administration site conditions"
    assert toxicity_table(aes, 10)[0].soc == "Nervous system disorders"


def test_rows_sorted_by_patients_then_term():
    aes = [ae("01", 1, "Nausea", 1), ae("01", 2, "Fatigue", 1), ae("02", 1, "Nausea", 2), ae("03", 1, "Anemia", 1)]
    assert [r.term for r in toxicity_table(aes, 10)] == ["Nausea", "Anemia", "Fatigue"]


def test_to_dict_keys_and_percentages():
    aes = [ae("01", 1, "Neutrophil count decreased", 4, "possible")]
    d = toxicity_table(aes, 40)[0].to_dict()
    assert set(d) == {
        "term", "soc", "any_grade", "grade3", "grade4", "grade5", "attributable_grade3plus",
        "ungraded", "pct_any", "pct_grade3plus", "mild", "moderate", "severe",
    }  # fmt: skip
    assert (d["grade4"], d["attributable_grade3plus"], d["pct_any"], d["pct_grade3plus"]) == (1, 1, 2.5, 2.5)


def test_zero_enrolled_gives_no_percentages_and_negative_is_refused():
    assert toxicity_table([ae("01", 1, "Nausea", 1)], 0)[0].pct_any is None
    with pytest.raises(ValueError):
        toxicity_table([], -1)


def test_invalid_grade_and_unknown_attribution_raise():
    with pytest.raises(ValueError, match="grade 6"):
        toxicity_table([ae("01", 1, "Nausea", 6)], 10)
    with pytest.raises(ValueError, match="perhaps"):
        toxicity_table([ae("01", 1, "Nausea", 3, "perhaps")], 10)
    with pytest.raises(ValueError, match="term"):
        worst_grades([ae("01", 1, "  ", 1)])
