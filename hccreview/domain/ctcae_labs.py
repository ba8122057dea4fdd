"""CTCAE v5.0 laboratory grading: the graded tests, their units, unit conversion and the grade of one value.

Source: National Cancer Institute, *Common Terminology Criteria for Adverse Events (CTCAE) Version 5.0*,
27 November 2017 (cited below as "CTCAE v5.0, <term>"). Laboratory terms are graded as published; where CTCAE
asks for clinical context, the worst-case reading of pharmaverse admiral's structured metadata
(``data-raw/adlb_grading/ncictcaev5.json``) is used and named in :func:`grade_lab`.

Owns the SDTM LBTESTCD codes that are graded and the CTCAE term(s) of each (:data:`LAB_TEST_TERMS`), their
standard units and conversion factors (:func:`standard_unit`, :func:`convert_unit`) and :func:`grade_lab`; for a
subject's whole series (issue 23: what the case view's Labs tab, the timeline and the cohort toxicity table show)
:func:`grade_series` (baseline, unit of the criteria, reference-range flag, grade and direction of each value) and
:func:`worst_lab_grades` (patients by worst post-baseline grade per term, labelled :data:`LAB_SOURCE`). The AE
term table, system organ classes, attribution and toxicity tables are :mod:`hccreview.domain.ctcae`'s.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date

from hccreview.domain.records import LabResult

# ---------------------------------------------------------------------------------------------- units

_TEST_ALIASES = {"ANC": "NEUT", "LYM": "LYMPH", "PLT": "PLAT", "HB": "HGB", "TBILI": "BILI"}
_COUNTS = {
    "10^9/l": 1.0,
    "gi/l": 1.0,
    "g/l": 1.0,  # "G/L" = giga per litre, as European laboratories write counts
    "10^3/ul": 1.0,
    "10^3/mm3": 1.0,
    "k/ul": 1.0,
    "10^6/ml": 1.0,
    "/ul": 1e-3,
    "/mm3": 1e-3,
    "cells/ul": 1e-3,
    "cells/mm3": 1e-3,
    "10^6/l": 1e-3,
}
_ENZYME = {"u/l": 1.0, "iu/l": 1.0, "ukat/l": 60.0}
_ELECTROLYTE = {"mmol/l": 1.0, "meq/l": 1.0}
HGB_MMOL_TO_G_DL = 1.6114  # haemoglobin monomer, 16.114 g/mol per mmol
_UNITS: dict[str, tuple[str, dict[str, float]]] = {
    "NEUT": ("10^9/L", _COUNTS),
    "PLAT": ("10^9/L", _COUNTS),
    "WBC": ("10^9/L", _COUNTS),
    "LYMPH": ("10^9/L", _COUNTS),
    "HGB": ("g/dL", {"g/dl": 1.0, "g/l": 0.1, "mmol/l": HGB_MMOL_TO_G_DL}),
    "ALB": ("g/dL", {"g/dl": 1.0, "g/l": 0.1}),
    "BILI": ("mg/dL", {"mg/dl": 1.0, "umol/l": 1 / 17.1, "micromol/l": 1 / 17.1}),
    "CREAT": ("mg/dL", {"mg/dl": 1.0, "umol/l": 1 / 88.4, "micromol/l": 1 / 88.4}),
    "ALT": ("U/L", _ENZYME),
    "AST": ("U/L", _ENZYME),
    "ALP": ("U/L", _ENZYME),
    "GGT": ("U/L", _ENZYME),
    "INR": ("ratio", {"ratio": 1.0, "": 1.0, "1": 1.0, "inr": 1.0}),
    "SODIUM": ("mmol/L", _ELECTROLYTE),
    "K": ("mmol/L", _ELECTROLYTE),
}
LAB_TEST_TERMS: Mapping[str, tuple[str, ...]] = {
    "NEUT": ("Neutrophil count decreased",),
    "PLAT": ("Platelet count decreased",),
    "WBC": ("White blood cell decreased",),
    "LYMPH": ("Lymphocyte count decreased",),
    "HGB": ("Anemia",),
    "ALB": ("Hypoalbuminemia",),
    "BILI": ("Blood bilirubin increased",),
    "ALT": ("Alanine aminotransferase increased",),
    "AST": ("Aspartate aminotransferase increased",),
    "ALP": ("Alkaline phosphatase increased",),
    "GGT": ("GGT increased",),
    "CREAT": ("Creatinine increased",),
    "INR": ("INR increased",),
    "SODIUM": ("Hyponatremia",),
    "K": ("Hyperkalemia", "Hypokalemia"),
}
"""The SDTM LBTESTCD codes :func:`grade_lab` grades and the CTCAE v5.0 term(s) each is graded under."""


def _r(x: float) -> float:
    """Round to 12 significant digits so that 1.5 x 1.2 compares equal to 1.8 (admiral's ``signif``)."""
    return float(f"{x:.12g}")


@functools.lru_cache(maxsize=512)  # a delivery has a handful of unit spellings, graded tens of thousands of times
def _norm_unit(unit: str) -> str:
    s = unit.strip().lower().replace(" ", "").replace("µ", "u").replace("μ", "u")
    s = s.replace("⁹", "^9").replace("³", "^3").replace("**", "^").replace("*", "^").replace("×", "x")
    s = s.removeprefix("x").replace("10e", "10^").replace("mm^3", "mm3")
    return s


@functools.lru_cache(maxsize=512)
def gradable(test: str) -> str | None:
    """SDTM LBTESTCD of a gradable test (ANC -> NEUT, LYM -> LYMPH...), None for any other test."""
    code = test.strip().upper()
    code = _TEST_ALIASES.get(code, code)
    return code if code in _UNITS else None


def canonical_test(test: str) -> str:
    """SDTM LBTESTCD of a gradable test (ANC -> NEUT, LYM -> LYMPH...); ValueError for any other test."""
    code = gradable(test)
    if code is None:
        raise ValueError(f"lab test {test!r} is not graded (graded: {', '.join(sorted(_UNITS))})")
    return code


def standard_unit(test: str) -> str:
    """The unit :func:`grade_lab` expects for ``test`` when no ``unit`` is given."""
    return _UNITS[canonical_test(test)][0]


def _factor(code: str, unit: str) -> float:
    factors = _UNITS[code][1]
    key = _norm_unit(unit)
    if key not in factors:
        raise ValueError(f"unknown unit {unit!r} for lab test {code}")
    return factors[key]


def convert_unit(test: str, value: float, unit: str, *, to: str | None = None) -> tuple[float, str]:
    """Convert ``value`` of ``test`` from ``unit`` to ``to`` (default: the test's standard unit).

    Bilirubin µmol/L / 17.1 = mg/dL; creatinine µmol/L / 88.4 = mg/dL; albumin and haemoglobin g/L / 10 =
    g/dL; haemoglobin mmol/L x 1.6114 = g/dL; counts 10^3/µL = G/L = 10^9/L, /µL / 1000; enzymes µkat/L x 60
    = U/L. An unknown unit raises ValueError naming it.
    """
    code = canonical_test(test)
    std = _UNITS[code][0]
    target = std if to is None else to
    return _r(value * _factor(code, unit) / _factor(code, target)), target


# ---------------------------------------------------------------------------------------------- lab grading


@dataclass(frozen=True)
class LabGrade:
    """CTCAE grade of one lab value: ``grade`` 0 = normal or not gradable (then ``assessable`` is False)."""

    term: str
    grade: int
    rule: str
    test: str = ""
    assessable: bool = True


Steps = tuple[tuple[int, float, bool], ...]  # (grade, cut-off, inclusive), worst grade first
_INC, _EXC = True, False


def _grade_low(code: str, v: float, lln: float | None, cuts: Steps, unit: str, lln_grade: int = 1) -> LabGrade:
    """Decrease terms: ``value < cut`` gives the grade (absolute cut-offs apply whatever the LLN, admiral)."""
    term = LAB_TEST_TERMS[code][-1]
    for i, (grade, cut, _) in enumerate(cuts):
        if v < _r(cut):
            band = f" and >= {cuts[i - 1][1]:g}" if i else ""
            return LabGrade(term, grade, f"CTCAE v5.0 {term} G{grade}: {v:g} < {cut:g}{band} {unit}", code)
    if lln is None:
        return LabGrade(term, 0, f"{term}: LLN missing, G{lln_grade} not assessable", code, assessable=False)
    if v < _r(lln):
        return LabGrade(term, lln_grade, f"CTCAE v5.0 {term} G{lln_grade}: {v:g} < LLN {lln:g} {unit}", code)
    return LabGrade(term, 0, f"{term}: {v:g} >= LLN {lln:g} {unit}", code)


def _step(v: float, ref: float, steps: Steps) -> tuple[int, float, bool] | None:
    for grade, k, inclusive in steps:
        cut = _r(k * ref)
        if v > cut or (inclusive and v == cut):
            return grade, k, inclusive
    return None


def _describe(term: str, code: str, v: float, found: tuple[int, float, bool], ref_name: str) -> LabGrade:
    grade, k, inclusive = found
    op = ">=" if inclusive else ">"
    return LabGrade(term, grade, f"CTCAE v5.0 {term} G{grade}: {v:g} {op} {k:g} x {ref_name}", code)


# multiples of ULN (baseline normal) and of baseline (baseline abnormal), CTCAE v5.0 / admiral
_ULN_STEPS: dict[str, Steps] = {
    "BILI": ((4, 10.0, _EXC), (3, 3.0, _EXC), (2, 1.5, _EXC), (1, 1.0, _EXC)),
    "ALT": ((4, 20.0, _EXC), (3, 5.0, _EXC), (2, 3.0, _EXC), (1, 1.0, _EXC)),
    "ALP": ((4, 20.0, _EXC), (3, 5.0, _EXC), (2, 2.5, _EXC), (1, 1.0, _EXC)),
    "GGT": ((4, 20.0, _EXC), (3, 5.0, _EXC), (2, 2.5, _EXC), (1, 1.0, _EXC)),  # CTCAE v5.0, GGT increased
    "CREAT": ((4, 6.0, _EXC), (3, 3.0, _EXC), (2, 1.5, _EXC), (1, 1.0, _EXC)),
}
_ULN_STEPS["AST"] = _ULN_STEPS["ALT"]
_BASELINE_STEPS: dict[str, Steps] = {
    "BILI": ((4, 10.0, _EXC), (3, 3.0, _EXC), (2, 1.5, _EXC), (1, 1.0, _EXC)),
    "ALT": ((4, 20.0, _EXC), (3, 5.0, _EXC), (2, 3.0, _EXC), (1, 1.5, _INC)),
    "ALP": ((4, 20.0, _EXC), (3, 5.0, _EXC), (2, 2.5, _EXC), (1, 2.0, _INC)),
    "GGT": ((4, 20.0, _EXC), (3, 5.0, _EXC), (2, 2.5, _EXC), (1, 2.0, _INC)),  # as ALP: 2.0 - 2.5 x baseline
    "CREAT": ((3, 3.0, _EXC), (2, 1.5, _EXC)),
}
_BASELINE_STEPS["AST"] = _BASELINE_STEPS["ALT"]
_LOW_CUTS: dict[str, Steps] = {
    "NEUT": ((4, 0.5, _EXC), (3, 1.0, _EXC), (2, 1.5, _EXC)),
    "PLAT": ((4, 25.0, _EXC), (3, 50.0, _EXC), (2, 75.0, _EXC)),
    "WBC": ((4, 1.0, _EXC), (3, 2.0, _EXC), (2, 3.0, _EXC)),
    "LYMPH": ((4, 0.2, _EXC), (3, 0.5, _EXC), (2, 0.8, _EXC)),
    "HGB": ((3, 8.0, _EXC), (2, 10.0, _EXC)),
    "ALB": ((3, 2.0, _EXC), (2, 3.0, _EXC)),
    "SODIUM": ((4, 120.0, _EXC), (3, 130.0, _EXC)),
    "K": ((4, 2.5, _EXC), (3, 3.0, _EXC)),
}
_HGB_MMOL_CUTS: Steps = ((3, 4.9, _EXC), (2, 6.2, _EXC))  # CTCAE v5.0 Anemia's own mmol/L cut-offs
_INR_STEPS: Steps = ((3, 2.5, _EXC), (2, 1.5, _EXC), (1, 1.2, _EXC))
_INR_ANTICOAG_STEPS: Steps = ((3, 2.5, _EXC), (2, 1.5, _EXC), (1, 1.0, _EXC))
_HYPERKALEMIA: Steps = ((4, 7.0, _EXC), (3, 6.0, _EXC), (2, 5.5, _EXC))


def _grade_high(code: str, v: float, uln: float | None, baseline: float | None) -> LabGrade:
    """BILI, ALT, AST, ALP, GGT: ULN multiples if baseline normal (or unknown), baseline multiples if above ULN."""
    term = LAB_TEST_TERMS[code][0]
    if uln is None:
        return LabGrade(term, 0, f"{term}: ULN missing, not assessable", code, assessable=False)
    if baseline is not None and _r(baseline) > _r(uln):
        found = _step(v, baseline, _BASELINE_STEPS[code])
        if found:
            return _describe(term, code, v, found, f"baseline {baseline:g} (abnormal baseline)")
        return LabGrade(term, 0, f"{term}: {v:g} below grade 1 of abnormal baseline {baseline:g}", code)
    found = _step(v, uln, _ULN_STEPS[code])
    if found:
        return _describe(term, code, v, found, f"ULN {uln:g}")
    return LabGrade(term, 0, f"{term}: {v:g} <= ULN {uln:g}", code)


def _grade_creatinine(v: float, uln: float | None, baseline: float | None) -> LabGrade:
    """CTCAE v5.0 Creatinine increased: the worse of the ULN and the baseline multiples (admiral)."""
    term = LAB_TEST_TERMS["CREAT"][0]
    by_uln = _step(v, uln, _ULN_STEPS["CREAT"]) if uln is not None else None
    by_base = _step(v, baseline, _BASELINE_STEPS["CREAT"]) if baseline is not None else None
    if by_base and (by_uln is None or by_base[0] > by_uln[0]):
        return _describe(term, "CREAT", v, by_base, f"baseline {baseline:g}")
    if by_uln:
        return _describe(term, "CREAT", v, by_uln, f"ULN {uln:g}")
    if uln is None:
        return LabGrade(term, 0, f"{term}: ULN missing, G1/G4 not assessable", "CREAT", assessable=False)
    return LabGrade(term, 0, f"{term}: {v:g} <= ULN {uln:g}", "CREAT")


def _grade_inr(v: float, baseline: float | None, anticoagulated: bool) -> LabGrade:
    """CTCAE v5.0 INR increased: >1.2 / >1.5 / >2.5 (absolute); on anticoagulation, multiples of baseline."""
    term = LAB_TEST_TERMS["INR"][0]
    if anticoagulated:
        if baseline is None:
            return LabGrade(term, 0, f"{term}: on anticoagulation, baseline missing", "INR", assessable=False)
        found = _step(v, baseline, _INR_ANTICOAG_STEPS)
        ref = f"baseline {baseline:g} (on anticoagulation)"
    else:
        found = _step(v, 1.0, _INR_STEPS)
        ref = "1 (absolute INR, not on anticoagulation)"
    if found:
        return _describe(term, "INR", v, found, ref)
    return LabGrade(term, 0, f"{term}: {v:g} not above the grade 1 cut-off", "INR")


def _grade_potassium(v: float, lln: float | None, uln: float | None) -> LabGrade:
    """CTCAE v5.0 Hyperkalemia (>ULN / >5.5 / >6.0 / >7.0) or Hypokalemia (<LLN as G2 / <3.0 / <2.5)."""
    term = "Hyperkalemia"
    found = _step(v, 1.0, _HYPERKALEMIA)
    if found:
        return _describe(term, "K", v, found, "1 mmol/L")
    if uln is not None and v > _r(uln):
        return LabGrade(term, 1, f"CTCAE v5.0 {term} G1: {v:g} > ULN {uln:g} mmol/L", "K")
    low = _grade_low("K", v, lln, _LOW_CUTS["K"], "mmol/L", lln_grade=2)
    if low.grade or uln is not None:
        return low
    return LabGrade(low.term, 0, f"{low.rule}; ULN missing", "K", assessable=False)


def grade_lab(
    test: str,
    value: float,
    *,
    lln: float | None,
    uln: float | None,
    baseline: float | None = None,
    unit: str | None = None,
    anticoagulated: bool = False,
) -> LabGrade:
    """CTCAE v5.0 grade of one laboratory value.

    ``test`` is an SDTM LBTESTCD (:data:`LAB_TEST_TERMS`; ANC, LYM, PLT, HB, TBILI accepted). Without
    ``unit`` the value, LLN, ULN and baseline are in :func:`standard_unit` (10^9/L for counts, g/dL for HGB
    and ALB, mg/dL for BILI and CREAT, U/L for enzymes, mmol/L for SODIUM and K); with ``unit`` they are
    converted first (:func:`convert_unit`), except haemoglobin in mmol/L, graded on CTCAE's own mmol/L
    cut-offs (6.2 / 4.9). ``"<1.0 - 0.5"`` means 0.5 <= x < 1.0; ``">3.0 - 5.0 x ULN"`` means
    3 x ULN < x <= 5 x ULN. Comparisons use 12 significant digits (admiral's ``signif``).

    Readings chosen where CTCAE needs clinical context (admiral ``ncictcaev5.json`` unless stated):

    - Absolute cut-offs of decrease terms apply whatever the LLN; only grade 1 needs the LLN.
    - Anemia and Hypoalbuminemia: grade 4 ("life-threatening") is clinical; values give at most grade 3.
    - BILI / ALT / AST / ALP / GGT: multiples of ULN when ``baseline`` is None or <= ULN, of baseline when
      the baseline is above ULN; abnormal-baseline grade 1 starts at >1.0 x (BILI), >=1.5 x (ALT, AST),
      >=2.0 x (ALP, GGT) baseline.
    - Creatinine increased: the worse of the ULN multiples and the baseline multiples (>1.5, >3.0 x).
    - INR increased: absolute INR >1.2 / >1.5 / >2.5 (not on anticoagulation; admiral instead assumes
      anticoagulation); ``anticoagulated=True`` grades on >1.0 / >1.5 / >2.5 x baseline.
    - Hyponatremia: <130 mmol/L is grade 3 (assumed symptomatic), <120 grade 4; Hypokalemia: <LLN is
      grade 2 (assumed symptomatic), <3.0 grade 3, <2.5 grade 4.
    """
    code = canonical_test(test)
    if value is None or math.isnan(value):
        return LabGrade(LAB_TEST_TERMS[code][0], 0, f"{code}: no value", code, assessable=False)
    label = _UNITS[code][0]
    cuts = _LOW_CUTS.get(code)
    if unit is not None:
        if code == "HGB" and _norm_unit(unit) == "mmol/l":
            cuts, label = _HGB_MMOL_CUTS, "mmol/L"
        else:
            f = _factor(code, unit)
            value = _r(value * f)
            lln, uln, baseline = (None if x is None else _r(x * f) for x in (lln, uln, baseline))
    v = _r(value)
    if code in ("BILI", "ALT", "AST", "ALP", "GGT"):
        return _grade_high(code, v, uln, baseline)
    if code == "CREAT":
        return _grade_creatinine(v, uln, baseline)
    if code == "INR":
        return _grade_inr(v, baseline, anticoagulated)
    if code == "K":
        return _grade_potassium(v, lln, uln)
    assert cuts is not None
    return _grade_low(code, v, lln, cuts, label)


# ---------------------------------------------------------------------------------------------- a subject's series

#: How laboratory-derived toxicity is labelled wherever it stands beside the reported adverse events (as admiral's
#: ADLB grading derives ``ATOXGR`` from LB, not from the investigator's AE grade).
LAB_SOURCE = "laboratory (CTCAE v5.0 from LB)"
#: CTCAE v5.0 system organ class of each laboratory term graded here.
LAB_TERM_SOC: Mapping[str, str] = {
    "Anemia": "Blood and lymphatic system disorders",
    **dict.fromkeys(("Hypoalbuminemia", "Hyponatremia", "Hyperkalemia", "Hypokalemia"),
                    "Metabolism and nutrition disorders"),
}  # fmt: skip
#: Whether each term is a decrease or an increase of its test (the direction the criteria grade).
LAB_TERM_DIRECTION: Mapping[str, str] = {
    term: ("increased" if term.endswith("increased") or term == "Hyperkalemia" else "decreased")
    for terms in LAB_TEST_TERMS.values()
    for term in terms
}

_TERM_TEST = {term: code for code, terms in LAB_TEST_TERMS.items() for term in terms}


def lab_term_soc(term: str) -> str:
    """The CTCAE v5.0 system organ class of a laboratory term (Investigations unless listed otherwise)."""
    return LAB_TERM_SOC.get(term, "Investigations")


def range_flag(value: float, lln: float | None, uln: float | None) -> str:
    """Reference-range flag of a value in the range's own unit: "L" below the LLN, "H" above the ULN, "N" inside
    a complete range, "" when the bound that would decide is missing (no flag is guessed)."""
    if lln is not None and value < lln:
        return "L"
    if uln is not None and value > uln:
        return "H"
    return "N" if lln is not None and uln is not None else ""


@dataclass(frozen=True)
class GradedLab:
    """One laboratory value as recorded, converted to the unit of the criteria, flagged and graded.

    ``grade`` None: not graded, ``rule`` says why (no CTCAE criterion for the test here, unit not understood,
    reference limit missing, no value); otherwise the CTCAE v5.0 grade (0 = not abnormal by the criteria) of
    ``term``, graded in the ``direction`` it names. ``baseline``: the value the abnormal-baseline criteria use;
    ``post_baseline``: dated after the first dose (without one: after the subject's first value of the test).
    """

    subject_id: str
    test: str  # LBTESTCD as recorded
    date: date | None
    value: float
    unit: str
    lln: float | None
    uln: float | None
    flag: str
    term: str  # "" when the test has no criterion here
    direction: str  # "decreased" / "increased" / ""
    grade: int | None
    rule: str
    converted: float  # in converted_unit (the value itself when not converted)
    converted_unit: str
    converted_lln: float | None
    converted_uln: float | None
    baseline: bool = False
    post_baseline: bool = False


def criteria_unit(test: str, unit: str) -> str:
    """The unit a value of ``test`` recorded in ``unit`` is graded in: :func:`standard_unit`, except haemoglobin
    recorded in mmol/L, which CTCAE v5.0 Anemia grades on its own mmol/L cut-offs (6.2 / 4.9)."""
    code = canonical_test(test)
    return "mmol/L" if code == "HGB" and _norm_unit(unit) == "mmol/l" else _UNITS[code][0]


def _in_unit(code: str, x: float | None, unit: str, target: str) -> float | None:
    return None if x is None else convert_unit(code, x, unit, to=target)[0]


def _baselines(rows: list[LabResult], first_dose: date | None) -> dict[str, int]:
    """Index of each test's baseline row: the last dated value on or before the first dose (admiral ADLB ``ABLFL``),
    without a first dose the first dated value; a test with no value then has none."""
    chosen: dict[str, int] = {}
    for i in sorted(range(len(rows)), key=lambda k: (rows[k].date or date.max, k)):
        day = rows[i].date
        if day is None:
            continue
        test = rows[i].test.strip().upper()
        if first_dose is None:
            chosen.setdefault(test, i)
        elif day <= first_dose:
            chosen[test] = i
    return chosen


def _graded(row: LabResult, base: LabResult | None, post: bool, is_base: bool) -> GradedLab:
    out = GradedLab(row.subject_id, row.test, row.date, row.value, row.unit, row.lln, row.uln,
                    flag=range_flag(row.value, row.lln, row.uln), term="", direction="", grade=None,
                    rule=f"not graded: no CTCAE v5.0 laboratory criterion is applied to {row.test}",
                    converted=row.value, converted_unit=row.unit, converted_lln=row.lln, converted_uln=row.uln,
                    baseline=is_base, post_baseline=post)  # fmt: skip
    code = gradable(row.test)
    if code is None:
        return out
    term = LAB_TEST_TERMS[code][0]
    try:
        target = criteria_unit(code, row.unit)
        value = convert_unit(code, row.value, row.unit, to=target)[0]
        lln, uln = _in_unit(code, row.lln, row.unit, target), _in_unit(code, row.uln, row.unit, target)
    except ValueError:
        return replace(out, term=term, direction=LAB_TERM_DIRECTION[term],
                       rule=f"not graded: unit {row.unit!r} not understood for {code}")  # fmt: skip
    try:
        baseline = None if base is None else _in_unit(code, base.value, base.unit, row.unit)
    except ValueError:  # a baseline in a unit not understood: graded as if the baseline were unknown (on the ULN)
        baseline = None
    found = grade_lab(code, row.value, lln=row.lln, uln=row.uln, baseline=baseline, unit=row.unit)
    return replace(out, term=found.term, direction=LAB_TERM_DIRECTION[found.term],
                   grade=found.grade if found.assessable else None,
                   rule=found.rule if found.assessable else f"not graded: {found.rule}",
                   converted=value, converted_unit=target, converted_lln=lln, converted_uln=uln)  # fmt: skip


def grade_series(labs: Iterable[LabResult], first_dose: date | None) -> list[GradedLab]:
    """Every value of one subject's laboratory series, graded (:class:`GradedLab`), by test then date.

    Each value is converted to the unit of the criteria (:func:`criteria_unit`, :func:`convert_unit`; the
    recorded LLN / ULN with it), flagged against its own reference range (:func:`range_flag`) and graded by
    :func:`grade_lab` with the test's baseline (:func:`_baselines`, converted to the value's unit) for the
    criteria that depend on an abnormal baseline (ALT, AST, ALP, GGT, bilirubin, creatinine); the baseline value
    itself is graded on the ULN (its own multiple would always be 1: it would read grade 0 however high it is). A
    test without a criterion here, an unknown unit or a missing limit is kept, not graded, and ``rule`` says so.
    """
    rows = list(labs)
    base_index = _baselines(rows, first_dose)
    firsts = {test: rows[i].date for test, i in base_index.items()}
    out = []
    for i, row in enumerate(rows):
        test = row.test.strip().upper()
        base = rows[base_index[test]] if test in base_index else None
        after = first_dose if first_dose is not None else firsts.get(test)
        post = row.date is not None and after is not None and row.date > after
        is_base = base_index.get(test) == i
        out.append(_graded(row, None if is_base else base, post, is_base))  # the baseline itself: on the ULN
    return sorted(out, key=lambda g: (g.test, g.date or date.max))


def worst_lab_grades(graded: Iterable[GradedLab], n_enrolled: int) -> list[dict[str, object]]:
    """Per CTCAE term, patients by their worst post-baseline laboratory grade, labelled :data:`LAB_SOURCE`.

    ``n_tested``: patients with a graded post-baseline value of the term; ``any_grade``: of them, worst grade
    >= 1; ``grade1``..``grade4``: worst grade exactly that; percentages of ``n_enrolled``. Terms with no graded
    value are left out; most grade >= 3 first.
    """
    worst: dict[tuple[str, str], int] = {}
    for g in graded:
        if g.grade is not None and g.post_baseline:
            for term in LAB_TEST_TERMS[_TERM_TEST[g.term]]:  # a potassium graded Hypokalemia is Hyperkalemia G0
                key = (term, g.subject_id)
                worst[key] = max(g.grade if term == g.term else 0, worst.get(key, 0))
    by_term: dict[str, list[int]] = {}
    for (term, _), grade in worst.items():
        by_term.setdefault(term, []).append(grade)

    def pct(k: int) -> float | None:
        return round(100.0 * k / n_enrolled, 1) if n_enrolled else None

    keyed: list[tuple[tuple[int, int, str], dict[str, object]]] = []
    for term, grades in by_term.items():
        g3 = sum(x >= 3 for x in grades)
        anyg = sum(x >= 1 for x in grades)
        test = _TERM_TEST[term]
        row: dict[str, object] = {
            "term": term, "soc": lab_term_soc(term), "test": test, "direction": LAB_TERM_DIRECTION[term],
            "source": LAB_SOURCE, "n_tested": len(grades), "any_grade": anyg,
            **{f"grade{k}": grades.count(k) for k in range(1, 5)}, "grade3plus": g3,
            "n_enrolled": n_enrolled, "pct_any": pct(anyg), "pct_grade3plus": pct(g3),
        }  # fmt: skip
        keyed.append(((-g3, -anyg, term), row))
    return [row for _, row in sorted(keyed, key=lambda item: item[0])]


def lab_toxicity(
    labs: Iterable[LabResult], first_dose: Mapping[str, date | None], n_enrolled: int
) -> list[dict[str, object]]:
    """:func:`worst_lab_grades` of every subject's series (:func:`grade_series` with the subject's first dose from
    ``first_dose``); only the tests graded here are graded (the others cannot change a worst grade)."""
    by_subject: dict[str, list[LabResult]] = {}
    for lab in labs:
        if gradable(lab.test) is not None:
            by_subject.setdefault(lab.subject_id, []).append(lab)
    graded = [g for sid, rows in by_subject.items() for g in grade_series(rows, first_dose.get(sid))]
    return worst_lab_grades(graded, n_enrolled)
