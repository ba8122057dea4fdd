"""Navigator overview and case data derived from the records of a small study."""

from __future__ import annotations

from pathlib import Path

import pytest

from hccreview.services.case import audit_trail, load_case
from hccreview.services.navigation import load_navigator_overview as load_overview
from hccreview.services.review import set_review_state, update_measurement
from hccreview.services.session import StudySession
from tests.factories import small_study


@pytest.fixture
def session(tmp_path: Path) -> StudySession:
    s = StudySession(small_study(tmp_path / "s.db"))
    yield s
    s.close()


def test_overview_rows_are_derived(session: StudySession) -> None:
    ov = load_overview(session)
    assert ov.title == "Small study" and ov.default_source == "investigator"
    assert {"investigator", "computed"} <= set(ov.sources)
    rows = {r.subject_id: r for r in ov.rows}
    assert rows["P01"].bor["investigator"] == "PR" and rows["P01"].bor["computed"] == "PR"
    # SD at week 8 (day 56 >= 42) then PD at week 16: best response SD, progression at week 16
    assert rows["P02"].bor["computed"] == "SD" and rows["P02"].pfs_event
    assert rows["P02"].pfs_months == pytest.approx(112 / 30.4375)
    assert rows["P01"].cycles == 6 and rows["P02"].cycles == 4
    assert rows["P01"].child_pugh == "A" and rows["P02"].child_pugh == "B"
    assert rows["P02"].os_event and not rows["P01"].os_event
    assert ov.n_reviewed == 0
    set_review_state(session, subject_id="P01", state="reviewed")
    assert load_overview(session).n_reviewed == 1


def test_case_shows_computed_and_stated_responses(session: StudySession) -> None:
    case = load_case(session, "P01")
    assert case.subject.subject_id == "P01" and case.readers == ["investigator"]
    computed = case.computed["investigator"]
    assert [t.overall.value for t in computed] == ["PR", "PR", "PR"]
    assert computed[0].target_sum_mm == pytest.approx(48.0)
    assert computed[0].pct_from_baseline == pytest.approx(-31.4285714, rel=1e-6)
    assert [r.overall for _, r in case.reads["investigator"]] == ["PR", "PR", "PR"]
    assert case.outcomes["computed"].bor == "PR"
    assert case.child_pugh_score is not None and case.child_pugh_score.cls == "A"
    assert case.dose.to_dict()  # a dose summary exists for the cycles shown


def test_edit_changes_the_computed_response_and_the_audit_view(session: StudySession) -> None:
    case = load_case(session, "P01")
    mid = next(i for i, m in case.measurements["investigator"] if m.lesion_id == "T01" and m.visit == "WEEK 8")
    update_measurement(session, measurement_id=mid, values={"diameter_mm": 39}, reason="recheck")
    after = load_case(session, "P01")
    first = after.computed["investigator"][0]
    assert first.target_sum_mm == pytest.approx(57.0) and first.overall.value == "SD"
    trail = audit_trail(session, "P01")
    assert trail[-1]["field"] == "diameter_mm" and trail[-1]["reason"] == "recheck"


def test_unknown_patient(session: StudySession) -> None:
    with pytest.raises(KeyError):
        load_case(session, "NOPE")
