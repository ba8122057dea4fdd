"""Last contact per patient (domain.contact): the latest dated record of the contact tables, for OS censoring."""

from __future__ import annotations

from datetime import date

from hccreview.domain import cohort_memo
from hccreview.domain.cohort import compute_cohort_stats
from hccreview.domain.contact import CONTACT_FIELDS, last_contact, merge_latest
from hccreview.domain.records import (
    AdverseEvent,
    Cycle,
    FollowUp,
    LabResult,
    Read,
    ReadRole,
    StudyData,
    StudySettings,
    Subject,
)


def _data() -> StudyData:
    return StudyData(
        StudySettings(title="contact"),
        subjects=(Subject("S1", first_dose_date=date(2020, 1, 1)), Subject("S2", first_dose_date=date(2020, 1, 1))),
        reads=(Read("S1", "inv", ReadRole.INVESTIGATOR, date(2020, 3, 1), overall="SD"),),
        adverse_events=(
            AdverseEvent("S1", 1, "Fatigue", onset=date(2020, 2, 1), resolution=date(2020, 6, 30)),
            AdverseEvent("S2", 1, "Nausea", onset=None, resolution=None),
        ),
        cycles=(Cycle("S2", 1, date(2020, 1, 1), 400.0), Cycle("S2", 2, date(2020, 1, 29), 400.0)),
        labs=(LabResult("S2", "ALT", 30.0, "U/L", None), LabResult("S2", "ALT", 31.0, "U/L", date(2020, 2, 15))),
        follow_up=(FollowUp("S1"), FollowUp("S2")),
    )


def test_the_latest_dated_record_of_any_contact_table_counts() -> None:
    data = _data()
    # S1: the AE resolution (30 Jun) is later than the read (1 Mar); S2: a lab (15 Feb) after the cycles, the
    # undated lab and the undated AE are ignored
    assert last_contact(data) == {"S1": date(2020, 6, 30), "S2": date(2020, 2, 15)}
    assert last_contact(data, ["reads", "cycles"]) == {"S1": date(2020, 3, 1), "S2": date(2020, 1, 29)}
    assert set(CONTACT_FIELDS) == {"reads", "measurements", "adverse_events", "cycles", "labs"}


def test_merge_keeps_the_latest_date_per_subject() -> None:
    a = {"S1": date(2020, 1, 1), "S2": date(2021, 1, 1)}
    b = {"S1": date(2020, 5, 1), "S3": date(2019, 1, 1)}
    assert merge_latest(a, b) == {"S1": date(2020, 5, 1), "S2": date(2021, 1, 1), "S3": date(2019, 1, 1)}
    assert merge_latest() == {}


def test_os_is_censored_at_the_given_last_contact_when_the_records_are_left_out() -> None:
    data = _data()
    full = compute_cohort_stats(data, "investigator").to_dict()
    partial = StudyData(
        data.settings, subjects=data.subjects, reads=data.reads, follow_up=data.follow_up,
        adverse_events=data.adverse_events, last_contact=last_contact(data),
    )  # fmt: skip
    cohort_memo.clear_all()  # derive afresh, not from the memo of the full data's outcomes
    assert compute_cohort_stats(partial, "investigator").to_dict() == full
    os_dates = {s["id"]: s["os_date"] for s in full["subjects"]}  # type: ignore[union-attr]
    assert os_dates == {"S1": "2020-06-30", "S2": "2020-02-15"}
