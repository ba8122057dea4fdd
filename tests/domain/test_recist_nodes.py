"""RECIST 1.1 lymph-node rules on hand-made records (Eisenhauer et al., Eur J Cancer 2009;45:228–247).

§4.3.1 / Appendix I: a pathological node is measured by its short axis, and that short axis "contributes to the
sum" of the target diameters (the long axis does not); a target node is normal, i.e. compatible with CR, when its
short axis is <10 mm. §3.1.1: a node is measurable (a possible target) from 15 mm short axis; 10 to <15 mm is
pathological but non-measurable (non-target only); <10 mm is not pathological. A node given without a short axis
counts its longest diameter, and the engine says so (issue 18, rule defect 3).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hccreview.domain.recist import (
    check_lesion_selection,
    lesion_size_mm,
    node_long_axis_fallback,
    timepoint_responses,
)
from hccreview.domain.records import Criteria, Lesion, LesionKind, LesionStatus, Measurement, Response

R = Response
BL = date(2013, 5, 2)
W6, W12, W18 = (BL + timedelta(days=d) for d in (42, 84, 126))


def lesion(lid: str, kind: LesionKind = LesionKind.TARGET, node: bool = False) -> Lesion:
    return Lesion("S1", "r1", lid, kind, organ="LYMPH NODE" if node else "LIVER", is_node=node)


def m(lid: str, day: date, long: float | None, short: float | None = None, status=LesionStatus.PRESENT):
    return Measurement("S1", "r1", lid, day, diameter_mm=long, short_axis_mm=short, status=status)


def test_target_sum_counts_the_node_short_axis_not_its_long_axis() -> None:
    """§4.3.1: sum = longest diameters of non-nodal targets + short axes of nodal targets."""
    lesions = [lesion("T1"), lesion("N1", node=True)]
    meas = [m("T1", BL, 40), m("N1", BL, 32, 20), m("T1", W6, 38), m("N1", W6, 30, 18)]
    (tp,) = timepoint_responses(lesions, meas)
    assert tp.target_sum_mm == pytest.approx(56.0)  # 38 + 18, not 38 + 30
    assert tp.pct_from_baseline == pytest.approx(-6.666666667)


def test_short_axes_decide_progression_where_long_axes_would_not() -> None:
    """§4.3.1 PD: ≥20 % over the nadir and ≥5 mm. The node's short axis grew more than its long axis.

    Modelled on pharmaverse onco 01-717-1357 (investigator, 2013-09-03): by short axis 48.9 mm, +21.0 % over
    the 40.4 mm nadir → PD; by the long axis of the node 49.4 mm, +19.0 % → not PD."""
    lesions = [lesion("T1"), lesion("N1", node=True)]
    meas = [
        m("T1", BL, 52.0), m("N1", BL, 21.0, 20.0),
        m("T1", W6, 30.0), m("N1", W6, 11.5, 10.4),
        m("T1", W12, 30.0), m("N1", W12, 19.4, 18.9),
    ]  # fmt: skip
    _, tp = timepoint_responses(lesions, meas)
    assert tp.target_sum_mm == pytest.approx(48.9) and tp.pct_from_nadir == pytest.approx(21.04, abs=0.01)
    assert tp.target is R.PD and tp.overall is R.PD
    by_long = [m("T1", BL, 52.0), m("N1", BL, 21.0), m("T1", W6, 30.0), m("N1", W6, 11.5), m("T1", W12, 30.0),
               m("N1", W12, 19.4)]  # fmt: skip
    _, long_tp = timepoint_responses(lesions, by_long)  # no short axes: the long axis counts
    assert long_tp.target_sum_mm == pytest.approx(49.4) and long_tp.target is not R.PD


@pytest.mark.parametrize(("short", "expected"), [(9.9, R.CR), (10.0, R.PR)])
def test_target_cr_needs_every_node_below_10_mm_short_axis(short: float, expected: Response) -> None:
    """§4.3.1: CR = non-nodal targets gone and every target node <10 mm short axis (its long axis may be more)."""
    lesions = [lesion("T1"), lesion("N1", node=True)]
    meas = [m("T1", BL, 40), m("N1", BL, 30, 22), m("T1", W6, 0), m("N1", W6, 14, short)]
    (tp,) = timepoint_responses(lesions, meas)
    assert tp.target is expected
    assert tp.target_sum_mm == pytest.approx(short)  # the node's short axis stays in the sum even at CR


def test_non_target_node_below_10_mm_short_axis_is_cr() -> None:
    """§4.3.2: non-target CR needs every node non-pathological (<10 mm short axis)."""
    lesions = [lesion("T1"), lesion("N2", LesionKind.NON_TARGET, node=True)]
    meas = [m("T1", BL, 40), m("N2", BL, 20, 12), m("T1", W6, 0), m("N2", W6, 12, 9)]
    (tp,) = timepoint_responses(lesions, meas)
    assert tp.non_target is R.CR and tp.overall is R.CR


@pytest.mark.parametrize(
    ("short", "finding"),
    [(15.0, None), (14.9, "< 15 mm: a 10–<15 mm node is non-target only"), (9.0, "< 10 mm: not pathological")],
)
def test_node_target_measurable_from_15_mm_short_axis(short: float, finding: str | None) -> None:
    """§3.1.1: a target node needs ≥15 mm short axis, whatever its long axis (here 30 mm)."""
    findings = check_lesion_selection([lesion("N1", node=True)], [m("N1", BL, 30, short)])
    assert [f.rule for f in findings] == (
        [] if finding is None else [f"target node N1 short axis {short:g} mm {finding}"]
    )


def test_node_without_short_axis_counts_its_long_axis_with_a_finding() -> None:
    """No short axis given: the longest diameter counts (never smaller than the short axis), and both the
    selection check and the timepoint rule say so."""
    node = lesion("N1", node=True)
    base, later = m("N1", BL, 24), m("N1", W6, 18)
    assert node_long_axis_fallback(node, base) and lesion_size_mm(node, base, Criteria.RECIST11) == 24
    assert not node_long_axis_fallback(node, m("N1", BL, 24, 16))
    assert not node_long_axis_fallback(lesion("T1"), m("T1", BL, 24))
    assert not node_long_axis_fallback(node, m("N1", BL, None, status=LesionStatus.ABSENT))
    findings = check_lesion_selection([node], [base])
    assert [f.rule for f in findings] == [
        "target node N1 has no baseline short axis: its longest diameter 24 mm counts instead "
        "(RECIST 1.1 §4.3.1 measures nodes by the short axis)"
    ]
    (tp,) = timepoint_responses([lesion("T1"), node], [m("T1", BL, 30), base, m("T1", W6, 30), later])
    assert tp.target_sum_mm == pytest.approx(48.0) and tp.target is R.SD
    assert "node N1: no short axis, longest diameter counted" in tp.rule


def test_node_without_short_axis_below_15_mm_long_axis_is_still_flagged() -> None:
    """A long axis under 15 mm means a short axis under 15 mm too (§3.1.1): the finding is certain."""
    rules = [f.rule for f in check_lesion_selection([lesion("N1", node=True)], [m("N1", BL, 13)])]
    assert len(rules) == 2 and "longest diameter (no short axis) 13 mm < 15 mm" in rules[1]


def test_non_nodal_short_axis_is_ignored() -> None:
    """Only nodes count their short axis; a non-nodal target counts its longest diameter (§4.3.1)."""
    (tp,) = timepoint_responses([lesion("T1")], [m("T1", BL, 40, 25), m("T1", W6, 30, 10)])
    assert tp.target_sum_mm == pytest.approx(30.0)
