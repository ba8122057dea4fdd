"""mRECIST (Lencioni & Llovet 2010) against RECIST 1.1 on the same lesions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hccreview.domain.mrecist import (
    MRECIST_RULES,
    check_lesion_selection_mrecist,
    target_response_mrecist,
    timepoint_responses_mrecist,
)
from hccreview.domain.recist import check_lesion_selection, timepoint_responses
from hccreview.domain.records import Criteria, Lesion, LesionKind, LesionStatus, Measurement, Response

R = Response
S = LesionStatus
BL = date(2023, 5, 2)
W6 = BL + timedelta(days=42)


def lesion(lid: str, kind: LesionKind = LesionKind.TARGET, organ: str = "LIVER", **kw) -> Lesion:
    return Lesion("S1", "r1", lid, kind, organ=organ, **kw)


def m(lid: str, day: date, mm: float | None = None, viable: float | None = None, **kw) -> Measurement:
    return Measurement("S1", "r1", lid, day, diameter_mm=mm, viable_mm=viable, **kw)


def both(lesions: list[Lesion], meas: list[Measurement]):
    """(RECIST 1.1 timepoints, mRECIST timepoints) on the same records."""
    return timepoint_responses(lesions, meas), timepoint_responses(lesions, meas, criteria=Criteria.MRECIST)


def test_necrosis_is_mrecist_pr_but_recist_sd() -> None:
    lesions = [lesion("T1"), lesion("T2")]
    meas = [m("T1", BL, 50, 40), m("T2", BL, 30, 20), m("T1", W6, 50, 25), m("T2", W6, 30, 17)]
    (recist,), (mrecist,) = both(lesions, meas)
    assert recist.target is R.SD  # total size unchanged: 80 -> 80 mm
    assert recist.target_sum_mm == pytest.approx(80.0)
    assert mrecist.target is R.PR  # viable 60 -> 42 mm: -30 %
    assert mrecist.target_sum_mm == pytest.approx(42.0)
    assert mrecist.overall is R.PR


def test_viable_growth_of_20_percent_under_5_mm_is_mrecist_pd_only() -> None:
    lesions = [lesion("T1")]
    (recist,), (mrecist,) = both(lesions, [m("T1", BL, 20, 20), m("T1", W6, 24, 24)])
    assert recist.target is R.SD  # +20 % but only +4 mm: RECIST 1.1 needs 5 mm
    assert mrecist.target is R.PD  # mRECIST: no absolute rule
    assert mrecist.pct_from_nadir == pytest.approx(20.0)


def test_just_under_20_percent_is_not_pd_under_mrecist() -> None:
    (tp,) = timepoint_responses_mrecist([lesion("T1")], [m("T1", BL, 30, 20), m("T1", W6, 30, 23.98)])
    assert tp.target is R.SD


@pytest.mark.parametrize(("size", "mrecist_pd"), [(8.0, False), (9.9, False), (10.0, True)])
def test_new_lesion_counts_under_mrecist_only_from_10_mm(size: float, mrecist_pd: bool) -> None:
    lesions = [lesion("T1"), lesion("X1", LesionKind.NEW)]
    meas = [m("T1", BL, 40, 30), m("T1", W6, 40, 30), m("X1", W6, size)]
    (recist,), (mrecist,) = both(lesions, meas)
    assert recist.new_lesion and recist.overall is R.PD
    assert mrecist.new_lesion is mrecist_pd
    assert mrecist.overall is (R.PD if mrecist_pd else R.SD)
    if not mrecist_pd:
        assert "equivocal new lesion" in mrecist.rule


def test_no_viable_tumour_is_mrecist_cr_while_recist_sees_a_mass() -> None:
    lesions = [lesion("T1"), lesion("T2", organ="LIVER")]
    meas = [m("T1", BL, 40, 30), m("T2", BL, 20, 15), m("T1", W6, 40, 0), m("T2", W6, 20, 0)]
    (recist,), (mrecist,) = both(lesions, meas)
    assert recist.target is R.SD  # fully necrotic but the same size: 60 -> 60 mm
    assert mrecist.target is R.CR
    assert mrecist.overall is R.CR
    (gone,) = timepoint_responses_mrecist(lesions, [*meas[:2], m("T1", W6, 40, 0), m("T2", W6, status=S.ABSENT)])
    assert gone.target is R.CR


def test_nodes_keep_their_short_axis_under_mrecist() -> None:
    lesions = [lesion("T1"), lesion("N1", organ="NODE", is_node=True)]
    meas = [
        m("T1", BL, 40, 30), m("N1", BL, short_axis_mm=22),
        m("T1", W6, 40, 0), m("N1", W6, short_axis_mm=9.9),
    ]  # fmt: skip
    (tp,) = timepoint_responses_mrecist(lesions, meas)
    assert tp.target is R.CR
    assert tp.target_sum_mm == pytest.approx(9.9)


def test_extrahepatic_lesion_without_viable_diameter_is_measured_as_recist() -> None:
    lesions = [lesion("T1"), lesion("L1", organ="LUNG")]
    meas = [m("T1", BL, 40, 30), m("L1", BL, 20), m("T1", W6, 40, 30), m("L1", W6, 14)]
    (tp,) = timepoint_responses_mrecist(lesions, meas)
    assert tp.target_sum_mm == pytest.approx(44.0)
    assert tp.target is R.SD


def test_liver_target_without_viable_diameter_is_ne() -> None:
    (tp,) = timepoint_responses_mrecist([lesion("T1")], [m("T1", BL, 40, 30), m("T1", W6, 40)])
    assert tp.target is R.NE


def test_entry_points_agree() -> None:
    lesions = [lesion("T1")]
    meas = [m("T1", BL, 50, 40), m("T1", W6, 50, 25)]
    assert timepoint_responses_mrecist(lesions, meas) == timepoint_responses(lesions, meas, Criteria.MRECIST)
    assert timepoint_responses(lesions, meas, MRECIST_RULES) == timepoint_responses_mrecist(lesions, meas)
    assert target_response_mrecist([("T1", 24.0, False)], 20.0, 20.0).response is R.PD


def test_mrecist_selection_wants_arterial_enhancement() -> None:
    lesions = [lesion("T1"), lesion("T2")]
    baseline = [m("T1", BL, 40, 30), m("T2", BL, 30, 0)]
    findings = check_lesion_selection_mrecist(lesions, baseline)
    assert [f.lesion_id for f in findings] == ["T2"]
    assert "arterial enhancement" in findings[0].rule
    assert check_lesion_selection(lesions, baseline) == []  # RECIST 1.1 does not care


@pytest.mark.parametrize(("axis", "flagged"), [(18.0, True), (20.0, False)])
def test_porta_hepatis_node_is_malignant_from_20_mm(axis: float, flagged: bool) -> None:
    node = lesion("N1", LesionKind.NON_TARGET, organ="LYMPH NODE", site="PORTA HEPATIS", is_node=True)
    baseline = [m("N1", BL, short_axis_mm=axis)]
    findings = check_lesion_selection_mrecist([node], baseline)
    assert bool(findings) is flagged
    if flagged:
        assert "porta-hepatis" in findings[0].rule
    assert check_lesion_selection([node], baseline) == []


def test_liver_is_judged_by_organ_not_by_nearby_words() -> None:
    from hccreview.domain.recist import _is_liver

    def lesion(organ: str, site: str = "") -> Lesion:
        return Lesion("S", "r", "T1", LesionKind.TARGET, organ=organ, site=site)

    assert _is_liver(lesion("LIVER", "segment VIII")) and _is_liver(lesion("")) and _is_liver(lesion("Hepatic"))
    assert not _is_liver(lesion("PERITONEUM", "perihepatic"))
    assert not _is_liver(lesion("LYMPH NODE", "hepatoduodenal ligament"))
    assert not _is_liver(lesion("EXTRAHEPATIC"))
