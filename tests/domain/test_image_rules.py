"""The rule checks beside a caliper (RECIST 1.1 §3.1.1, §3.2 / §4.2), against the published thresholds."""

from __future__ import annotations

from datetime import date

import pytest

from hccreview.domain.image_rules import caliper_findings, measurable_minimum_mm, selection_findings
from hccreview.domain.records import Criteria, Lesion, LesionKind, Measurement


def _lesion(lid: str = "T01", *, node: bool = False, kind: LesionKind = LesionKind.TARGET, organ: str = "liver"):
    return Lesion("P", "reader1", lid, kind, "lymph node" if node else organ, "", node)


@pytest.mark.parametrize(("thickness", "minimum"), [(None, 10.0), (2.5, 10.0), (5.0, 10.0), (6.0, 12.0), (8, 16.0)])
def test_the_measurable_minimum_is_twice_a_slice_thicker_than_5_mm(thickness: float | None, minimum: float) -> None:
    assert measurable_minimum_mm(thickness) == minimum


def test_a_baseline_target_below_the_minimum_is_named_with_its_reason() -> None:
    assert caliper_findings(_lesion(), {"diameter_mm": 10.0}, 2.5, baseline=True) == []
    assert caliper_findings(_lesion(), {"diameter_mm": 9.9}, 2.5, baseline=True) == [
        "target T01: 9.9 mm is below the measurable minimum (10 mm; RECIST 1.1 §3.1.1)"
    ]
    assert caliper_findings(_lesion(), {"diameter_mm": 11.0}, 7.0, baseline=True) == [
        "target T01: 11 mm is below the measurable minimum (twice the 7 mm slice thickness; RECIST 1.1 §3.1.1)"
    ]
    # at follow-up, and for non-targets, size does not decide measurability
    assert caliper_findings(_lesion(), {"diameter_mm": 4.0}, 2.5, baseline=False) == []
    assert caliper_findings(_lesion(kind=LesionKind.NON_TARGET), {"diameter_mm": 4.0}, 2.5, baseline=True) == []


@pytest.mark.parametrize(
    ("axis", "says"),
    [(15.0, None), (14.9, "< 15 mm — a 10–<15 mm node is non-target only"), (9.0, "< 10 mm — not pathological")],
)
def test_a_target_node_is_judged_by_its_short_axis(axis: float, says: str | None) -> None:
    found = caliper_findings(_lesion("T02", node=True), {"diameter_mm": 30.0, "short_axis_mm": axis}, 2.5,
                             baseline=True)  # fmt: skip
    assert (found == []) if says is None else (len(found) == 1 and says in found[0])
    assert "measure its short axis" in caliper_findings(_lesion("T02", node=True), {"diameter_mm": 30.0}, 2.5,
                                                        baseline=True)[0]  # fmt: skip


def test_the_selection_allows_five_targets_and_two_per_organ() -> None:
    day = date(2024, 1, 1)
    lesions = [_lesion(f"T0{i}", organ="liver" if i < 4 else "lung") for i in range(1, 7)]
    baseline = [Measurement("P", "reader1", x.lesion_id, day, diameter_mm=20.0) for x in lesions]
    found = selection_findings(lesions, baseline, Criteria.RECIST11)
    assert "more than 5 target lesions (6)" in found
    assert any(f.startswith("more than 2 target lesions in organ LIVER") for f in found)
    assert selection_findings(lesions[:2], baseline[:2], Criteria.RECIST11) == []
