"""CTCAE v5.0 grading of a subject's laboratory series (``ctcae_labs.grade_series``) on REAL LB rows of the
pharmaverse ``onco`` delivery, checked against the CTCAE v5.0 thresholds written out below, with the unit conversion
(SI result → the unit of the criteria, checked against the delivery's own conventional-unit LBORRES) and the
direction of each term; then hand-made edge cases (missing ULN, unknown unit, abnormal baseline) and the cohort's
worst grades per term (``lab_toxicity``).

CTCAE v5.0 (NCI, 27 Nov 2017) criteria used here:
- Lymphocyte count decreased: G1 <LLN-0.8, G2 <0.8-0.5, G3 <0.5-0.2, G4 <0.2 x 10e9/L.
- Anemia: G1 <LLN-6.2, G2 <6.2-4.9, G3 <4.9 mmol/L (<LLN-10.0, <10.0-8.0, <8.0 g/dL).
- Hypoalbuminemia: G1 <LLN-3, G2 <3-2, G3 <2 g/dL (<LLN-30, <30-20, <20 g/L).
- Blood bilirubin increased: baseline normal >ULN-1.5, >1.5-3.0, >3.0-10.0, >10.0 x ULN; baseline abnormal
  >1.0-1.5, >1.5-3.0, >3.0-10.0, >10.0 x baseline.
- Alanine aminotransferase increased: baseline normal >ULN-3.0, >3.0-5.0, >5.0-20.0, >20.0 x ULN; baseline abnormal
  1.5-3.0, >3.0-5.0, >5.0-20.0, >20.0 x baseline.
- Alkaline phosphatase increased: baseline normal >ULN-2.5, >2.5-5.0, >5.0-20.0, >20.0 x ULN.
- Creatinine increased: G1 >ULN-1.5 x ULN; G2 >1.5-3.0 x baseline or x ULN; G3 >3.0 x baseline or >3.0-6.0 x ULN.
- Hyperkalemia: G1 >ULN-5.5, G2 >5.5-6.0, G3 >6.0-7.0, G4 >7.0 mmol/L.
- Hyponatremia: G1 <LLN-130; 125-129 is G2 asymptomatic / G3 symptomatic, graded G3 here (admiral's reading,
  documented in ``grade_lab``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from hccreview.domain.ctcae_labs import (
    LAB_SOURCE,
    GradedLab,
    grade_lab,
    grade_series,
    lab_toxicity,
    range_flag,
    worst_lab_grades,
)
from hccreview.domain.records import LabResult

LB = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pharmaversesdtm" / "onco" / "lb.csv"


@pytest.fixture(scope="module")
def lb() -> pd.DataFrame:
    """The onco LB domain (read with pandas), only the rows the tests use."""
    if not LB.is_file():
        pytest.skip(f"real SDTM data not present at {LB} (clone outside the workspace)")
    frame = pd.read_csv(LB)
    wanted = {"01-701-1341", "01-705-1292", "01-705-1349", "01-705-1186", "01-709-1339", "01-710-1315",
              "01-709-1001", "01-704-1218"}  # fmt: skip
    return frame[frame.USUBJID.isin(wanted)]


def _series(lb: pd.DataFrame, subject: str, test: str) -> tuple[list[GradedLab], pd.DataFrame]:
    """Grade one subject's test as the delivery has it; the baseline row (LBBLFL = Y) stands for the first dose
    (the baseline is then the flagged value, as ADLB derives it)."""
    rows = lb[lb.USUBJID.eq(subject) & lb.LBTESTCD.eq(test)]
    labs = [LabResult(subject, test, float(r.LBSTRESN), str(r.LBSTRESU), date.fromisoformat(r.LBDTC[:10]),
                      float(r.LBSTNRLO), float(r.LBSTNRHI)) for r in rows.itertuples()]  # fmt: skip
    flagged = rows[rows.LBBLFL.eq("Y")]
    first_dose = date.fromisoformat(flagged.LBDTC.iloc[0][:10]) if len(flagged) else None
    return grade_series(labs, first_dose), rows


def _on(graded: list[GradedLab], day: str) -> GradedLab:
    return next(g for g in graded if g.date == date.fromisoformat(day))


def _lborres(rows: pd.DataFrame, day: str) -> float:
    """The delivery's original (conventional-unit) result of that day: the conversion's independent check."""
    return float(rows[rows.LBDTC.str.startswith(day)].LBORRES.iloc[0])


def test_lymphocytes_in_gi_per_litre_are_graded_as_a_decrease(lb: pd.DataFrame) -> None:
    graded, _ = _series(lb, "01-701-1341", "LYM")
    low = _on(graded, "2013-01-18")  # LBSTRESN 0.47 GI/L, LLN 0.91
    assert (low.converted, low.converted_unit) == (0.47, "10^9/L")  # GI/L = 10^9/L
    assert 0.2 <= low.converted < 0.5  # CTCAE v5.0 Lymphocyte count decreased G3: <0.5 - 0.2 x 10e9/L
    assert (low.term, low.direction, low.grade, low.flag) == ("Lymphocyte count decreased", "decreased", 3, "L")
    baseline = _on(graded, "2012-12-22")  # 1.29 >= LLN 0.91
    assert (baseline.baseline, baseline.post_baseline, baseline.grade, baseline.flag) == (True, False, 0, "N")


def test_haemoglobin_in_mmol_per_litre_uses_the_mmol_cut_offs_and_agrees_with_g_per_dl(lb: pd.DataFrame) -> None:
    graded, rows = _series(lb, "01-705-1292", "HGB")
    value = _on(graded, "2013-11-22")  # LBSTRESN 6.08188 mmol/L; LBORRES 9.8 g/dL
    assert value.converted_unit == "mmol/L" and 4.9 <= value.converted < 6.2  # Anemia G2: <6.2 - 4.9 mmol/L
    assert (value.term, value.direction, value.grade, value.flag) == ("Anemia", "decreased", 2, "L")
    in_g_dl = _lborres(rows, "2013-11-22")
    assert 8.0 <= in_g_dl < 10.0  # the same value in g/dL: Anemia G2 <10.0 - 8.0 g/dL
    assert grade_lab("HGB", in_g_dl, lln=None, uln=None, unit="g/dL").grade == value.grade


def test_albumin_in_g_per_litre_is_converted_to_g_per_dl(lb: pd.DataFrame) -> None:
    graded, rows = _series(lb, "01-705-1349", "ALB")
    value = _on(graded, "2013-07-23")  # LBSTRESN 26 g/L, LLN 35 g/L
    assert (value.value, value.unit) == (26.0, "g/L")
    assert (value.converted, value.converted_unit) == (_lborres(rows, "2013-07-23"), "g/dL")  # 2.6, as delivered
    assert value.converted_lln == 3.5
    assert 2.0 <= value.converted < 3.0  # Hypoalbuminemia G2: <3 - 2 g/dL
    assert (value.term, value.direction, value.grade, value.flag) == ("Hypoalbuminemia", "decreased", 2, "L")


def test_bilirubin_over_an_abnormal_baseline_is_graded_on_the_baseline(lb: pd.DataFrame) -> None:
    graded, rows = _series(lb, "01-705-1186", "BILI")
    base = next(g for g in graded if g.baseline)  # 25.65 µmol/L (1.5 mg/dL) > ULN 21 µmol/L: abnormal baseline
    assert base.date == date(2014, 1, 3) and base.converted == _lborres(rows, "2014-01-03") == 1.5
    value = _on(graded, "2014-02-07")  # 71.82 µmol/L = 4.2 mg/dL
    assert value.converted == _lborres(rows, "2014-02-07") == 4.2
    # 71.82 / 25.65 = 2.8 x baseline: G2 on the baseline (>1.5 - 3.0 x baseline), where the ULN rule
    # (71.82 / 21.0 = 3.4 x ULN: >3.0 - 10.0 x ULN) would have said G3
    assert (value.term, value.direction, value.grade) == ("Blood bilirubin increased", "increased", 2)
    assert "abnormal baseline" in value.rule and value.flag == "H"
    assert grade_lab("BILI", 71.82, lln=3.0, uln=21.0, unit="umol/L").grade == 3  # no baseline: on the ULN
    worst = _on(graded, "2014-01-26")  # 124.83 µmol/L: 4.9 x baseline -> G3 (>3.0 - 10.0 x baseline)
    assert 3.0 < 124.83 / 25.65 <= 10.0 and worst.grade == 3


def test_alkaline_phosphatase_over_a_normal_baseline_is_graded_on_the_uln(lb: pd.DataFrame) -> None:
    graded, _ = _series(lb, "01-709-1339", "ALP")
    assert next(g for g in graded if g.baseline).flag == "N"  # 85 U/L, range 35-115
    g2, g3 = _on(graded, "2013-06-08"), _on(graded, "2013-06-24")  # 499 and 624 U/L, ULN 115
    assert 2.5 < 499 / 115 <= 5.0 and g2.grade == 2  # >2.5 - 5.0 x ULN
    assert 5.0 < 624 / 115 <= 20.0 and g3.grade == 3  # >5.0 - 20.0 x ULN
    assert (g3.term, g3.direction, g3.flag, g3.converted_unit) == ("Alkaline phosphatase increased", "increased",
                                                                   "H", "U/L")  # fmt: skip


def test_creatinine_in_micromol_is_converted_and_graded_on_uln_and_baseline(lb: pd.DataFrame) -> None:
    graded, rows = _series(lb, "01-704-1218", "CREAT")
    value = _on(graded, "2012-10-11")  # 176.8 µmol/L = 2.0 mg/dL; ULN 124; baseline 132.6 (1.5 mg/dL)
    assert value.converted == _lborres(rows, "2012-10-11") == 2.0 and value.converted_unit == "mg/dL"
    # 176.8 / 124 = 1.43 x ULN: G1 (>ULN - 1.5 x ULN); 176.8 / 132.6 = 1.33 x baseline: not G2 (>1.5 x baseline)
    assert (value.term, value.direction, value.grade) == ("Creatinine increased", "increased", 1)


def test_potassium_and_sodium_are_graded_in_their_own_direction(lb: pd.DataFrame) -> None:
    potassium, _ = _series(lb, "01-709-1001", "K")
    high = _on(potassium, "2014-03-17")  # 5.9 mmol/L, ULN 5.4
    assert 5.5 < high.converted <= 6.0  # Hyperkalemia G2: >5.5 - 6.0 mmol/L
    assert (high.term, high.direction, high.grade, high.flag) == ("Hyperkalemia", "increased", 2, "H")
    sodium, _ = _series(lb, "01-710-1315", "SODIUM")
    low = _on(sodium, "2013-03-13")  # 129 mmol/L (recorded as mEq/L: the same)
    assert 120 <= low.converted < 130
    assert (low.term, low.direction, low.grade, low.flag) == ("Hyponatremia", "decreased", 3, "L")
    assert _on(sodium, "2013-02-20").grade == 1  # 130 mmol/L: <LLN 135 - 130


# ---------------------------------------------------------------------------------------------- hand-made edges
D0 = date(2024, 1, 10)


def _lab(test: str, value: float, unit: str, day: int, lln: float | None = None, uln: float | None = None) -> LabResult:
    return LabResult("S1", test, value, unit, date(2024, 1, day), lln, uln)


def test_a_missing_uln_leaves_an_increase_ungraded_and_says_why() -> None:
    [alt] = grade_series([_lab("ALT", 500.0, "U/L", 20, lln=7.0)], D0)
    assert (alt.grade, alt.term, alt.flag) == (None, "Alanine aminotransferase increased", "")
    assert alt.rule == "not graded: Alanine aminotransferase increased: ULN missing, not assessable"


def test_an_unknown_unit_is_not_graded_and_says_so() -> None:
    [neut] = grade_series([_lab("NEUT", 0.3, "cells/hpf", 20, lln=2.0, uln=7.5)], D0)
    assert neut.grade is None and neut.rule == "not graded: unit 'cells/hpf' not understood for NEUT"
    assert (neut.converted, neut.converted_unit, neut.flag) == (0.3, "cells/hpf", "L")  # shown as recorded


def test_a_test_without_criterion_is_kept_with_its_flag() -> None:
    [chol] = grade_series([_lab("CHOL", 7.9, "mmol/L", 20, lln=3.0, uln=6.2)], D0)
    assert (chol.grade, chol.term, chol.flag) == (None, "", "H")
    assert chol.rule == "not graded: no CTCAE v5.0 laboratory criterion is applied to CHOL"


def test_an_abnormal_alt_baseline_moves_the_grade() -> None:
    series = [_lab("ALT", 100.0, "U/L", 8, uln=40.0), _lab("ALT", 250.0, "U/L", 30, uln=40.0)]
    base, later = grade_series(series, D0)
    assert base.baseline and not base.post_baseline and later.post_baseline
    assert later.grade == 1  # 250 / 100 = 2.5 x an abnormal baseline (1.5 - 3.0 x): G1; on the ULN (6.25 x) G3
    expected = "CTCAE v5.0 Alanine aminotransferase increased G1: 250 >= 1.5 x baseline 100 (abnormal baseline)"
    assert later.rule == expected
    normal = grade_series([_lab("ALT", 30.0, "U/L", 8, uln=40.0), _lab("ALT", 250.0, "U/L", 30, uln=40.0)], D0)
    assert normal[1].grade == 3  # a normal baseline: >5.0 - 20.0 x ULN


def test_the_baseline_is_the_last_value_on_or_before_the_first_dose() -> None:
    series = [_lab("AST", 90.0, "U/L", 2, uln=40.0), _lab("AST", 60.0, "U/L", 10, uln=40.0),
              _lab("AST", 200.0, "U/L", 20, uln=40.0)]  # fmt: skip
    graded = grade_series(series, D0)
    assert [g.baseline for g in graded] == [False, True, False]
    assert graded[2].grade == 2  # 200 / 60 = 3.3 x baseline: >3.0 - 5.0 (on the 90 it would be G1)


@pytest.mark.parametrize(("value", "lln", "uln", "flag"),
                         [(1.0, 2.0, 5.0, "L"), (6.0, 2.0, 5.0, "H"), (3.0, 2.0, 5.0, "N"), (3.0, None, 5.0, ""),
                          (1.0, 2.0, None, "L"), (5.0, 2.0, 5.0, "N")])  # fmt: skip
def test_range_flag(value: float, lln: float | None, uln: float | None, flag: str) -> None:
    assert range_flag(value, lln, uln) == flag


def test_cohort_worst_grades_count_patients_post_baseline_per_term_and_say_their_source() -> None:
    labs = [
        LabResult("A", "K", 4.0, "mmol/L", date(2024, 1, 5), 3.5, 5.1),  # baseline
        LabResult("A", "K", 6.5, "mmol/L", date(2024, 2, 1), 3.5, 5.1),  # Hyperkalemia G3
        LabResult("B", "K", 2.8, "mmol/L", date(2024, 2, 1), 3.5, 5.1),  # Hypokalemia G3
        LabResult("C", "K", 2.4, "mmol/L", date(2024, 1, 5), 3.5, 5.1),  # G4, but at baseline: not counted
        LabResult("C", "K", 4.2, "mmol/L", date(2024, 2, 1), 3.5, 5.1),
    ]
    rows = {r["term"]: r for r in lab_toxicity(labs, dict.fromkeys("ABC", D0), n_enrolled=4)}
    hyper, hypo = rows["Hyperkalemia"], rows["Hypokalemia"]
    assert (hyper["n_tested"], hyper["any_grade"], hyper["grade3"], hyper["pct_grade3plus"]) == (3, 1, 1, 25.0)
    assert (hypo["n_tested"], hypo["any_grade"], hypo["grade3"], hypo["grade4"]) == (3, 1, 1, 0)
    assert hyper["source"] == hypo["source"] == LAB_SOURCE == "laboratory (CTCAE v5.0 from LB)"
    assert (hyper["direction"], hypo["direction"]) == ("increased", "decreased")
    assert hypo["soc"] == "Metabolism and nutrition disorders"
    assert worst_lab_grades([], 4) == []
