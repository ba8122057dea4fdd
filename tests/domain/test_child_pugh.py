"""Child-Pugh (Pugh 1973): every component boundary, both albumin variants, class boundaries, missing data."""

from __future__ import annotations

import math

import pytest

from hccreview.domain.child_pugh import (
    albumin_points,
    ascites_points,
    bilirubin_points,
    child_pugh_class,
    child_pugh_score,
    encephalopathy_points,
    inr_points,
)
from hccreview.domain.records import ChildPughComponents, ChildPughVariant

A28, A30 = ChildPughVariant.ALBUMIN_28, ChildPughVariant.ALBUMIN_30


@pytest.mark.parametrize(("mg_dl", "points"), [(0.5, 1), (1.99, 1), (2.0, 2), (2.5, 2), (3.0, 2), (3.01, 3)])
def test_bilirubin(mg_dl, points):
    assert bilirubin_points(mg_dl) == points


@pytest.mark.parametrize(
    ("g_dl", "variant", "points"),
    [
        (3.51, A28, 1), (3.5, A28, 2), (2.8, A28, 2), (2.79, A28, 3),
        (3.51, A30, 1), (3.5, A30, 2), (3.0, A30, 2), (2.99, A30, 3), (2.8, A30, 3),
    ],
)  # fmt: skip
def test_albumin_both_variants(g_dl, variant, points):
    assert albumin_points(g_dl, variant) == points


@pytest.mark.parametrize(("inr", "points"), [(1.0, 1), (1.69, 1), (1.7, 2), (2.3, 2), (2.31, 3)])
def test_inr(inr, points):
    assert inr_points(inr) == points


def test_float_error_does_not_cross_a_boundary():
    assert 23 * 0.1 > 2.3  # 2.3000000000000003 in binary floating point
    assert inr_points(23 * 0.1) == 2


@pytest.mark.parametrize(
    ("text", "points"),
    [
        ("none", 1), ("Absent", 1), ("slight", 2), ("Mild", 2), ("controlled", 2), ("moderate", 3),
        ("severe", 3), ("moderate-severe", 3), ("Moderate – severe", 3), ("refractory", 3),
    ],
)  # fmt: skip
def test_ascites(text, points):
    assert ascites_points(text) == points


@pytest.mark.parametrize(
    ("text", "points"),
    [
        ("none", 1), ("absent", 1), ("1", 2), ("2", 2), ("grade 1", 2), ("Grade 2", 2), ("grade 1-2", 2),
        ("Grade 1 – 2", 2), ("mild", 2), ("3", 3), ("4", 3), ("grade 3-4", 3), ("Grade 4", 3), ("severe", 3),
    ],
)  # fmt: skip
def test_encephalopathy(text, points):
    assert encephalopathy_points(text) == points


def test_unknown_text_names_field_and_value():
    with pytest.raises(ValueError, match=r"ascites.*'lots'"):
        ascites_points("lots")
    with pytest.raises(ValueError, match=r"encephalopathy.*'moderate'"):
        encephalopathy_points("moderate")  # ambiguous between grade 2 and "moderate-severe": refused
    with pytest.raises(ValueError, match="bilirubin"):
        bilirubin_points(-1.0)


@pytest.mark.parametrize(("total", "cls"), [(5, "A"), (6, "A"), (7, "B"), (9, "B"), (10, "C"), (15, "C")])
def test_class_boundaries(total, cls):
    assert child_pugh_class(total) == cls


@pytest.mark.parametrize("total", [4, 16])
def test_class_outside_range_refused(total):
    with pytest.raises(ValueError):
        child_pugh_class(total)


def comps(bili=1.0, alb=4.0, inr=1.0, ascites="none", enceph="none", sid="S1"):
    return ChildPughComponents(sid, bili, alb, inr, ascites, enceph)


@pytest.mark.parametrize(
    ("components", "total", "cls"),
    [
        (comps(), 5, "A"),
        (comps(bili=2.0), 6, "A"),
        (comps(bili=2.0, alb=3.0), 7, "B"),
        (comps(bili=3.5, alb=3.0, inr=1.8), 9, "B"),
        (comps(bili=3.5, alb=3.0, inr=1.8, ascites="mild"), 10, "C"),
        (comps(bili=4, alb=2.0, inr=2.5, ascites="severe", enceph="grade 3"), 15, "C"),
    ],
)
def test_score_totals_and_class(components, total, cls):
    score = child_pugh_score(components)
    assert (score.total, score.cls, score.missing) == (total, cls, ())
    assert sum(score.points.values()) == total


def test_variant_moves_a_patient_across_the_a_b_boundary():
    patient = comps(bili=2.5, alb=2.9)  # 2 + 2 + 1 + 1 + 1 = 7 (B) with 2.8; albumin 3 points with 3.0
    assert child_pugh_score(patient, A28).points["albumin"] == 2
    assert child_pugh_score(patient, A30).points["albumin"] == 3
    patient = comps(alb=2.9)
    assert (child_pugh_score(patient, A28).cls, child_pugh_score(patient, A30).cls) == ("A", "B")


@pytest.mark.parametrize(
    ("components", "missing"),
    [
        (comps(bili=None), ("bilirubin",)),
        (comps(alb=math.nan), ("albumin",)),
        (comps(inr=None, ascites=""), ("inr", "ascites")),
        (comps(enceph=None), ("encephalopathy",)),
    ],
)
def test_missing_components_leave_no_class(components, missing):
    score = child_pugh_score(components)
    assert score.missing == missing
    assert (score.total, score.cls) == (None, None)
    assert set(score.points) == {"bilirubin", "albumin", "inr", "ascites", "encephalopathy"} - set(missing)


def test_to_dict_shows_variant_and_points():
    d = child_pugh_score(comps(bili=2.0), A30).to_dict()
    assert d["variant"] == "albumin-3.0"
    assert (d["total"], d["class"], d["missing"], d["subject_id"]) == (6, "A", [], "S1")
    assert d["points"]["bilirubin"] == 2
