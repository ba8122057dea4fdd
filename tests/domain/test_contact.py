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
    Lesion,
    LesionKind,
    Measurement,
    Read,
    ReadRole,
    StudyData,
    StudySettings,
    Subject,
)
from hccreview.store import Store


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


def _imputed_study() -> StudyData:
    """S1: a complete read on 10 Mar 2024, then one dated "2024-04" (imputed to 30 Apr) with its measurement, and a
    measurement of another reader on 30 Apr; S2: only a read dated "2024" (imputed to 31 Dec)."""
    inv = ReadRole.INVESTIGATOR
    return StudyData(
        StudySettings(title="imputed"),
        subjects=(Subject("S1", first_dose_date=date(2024, 1, 1)), Subject("S2", first_dose_date=date(2024, 1, 1))),
        lesions=(Lesion("S1", "inv", "T01", LesionKind.TARGET), Lesion("S1", "r1", "T01", LesionKind.TARGET)),
        measurements=(
            Measurement("S1", "inv", "T01", date(2024, 3, 10), diameter_mm=30.0),
            Measurement("S1", "inv", "T01", date(2024, 4, 30), diameter_mm=28.0),
            Measurement("S1", "r1", "T01", date(2024, 4, 30), diameter_mm=28.0),
        ),
        reads=(
            Read("S1", "inv", inv, date(2024, 3, 10), overall="SD"),
            Read("S1", "inv", inv, date(2024, 4, 30), overall="SD", date_imputed=True),
            Read("S2", "inv", inv, date(2024, 12, 31), overall="SD", date_imputed=True),
        ),
        follow_up=(FollowUp("S1"), FollowUp("S2")),
    )


def test_imputed_assessment_dates_are_not_a_last_contact() -> None:
    data = _imputed_study()
    assert last_contact(data, ["reads"]) == {"S1": date(2024, 3, 10)}  # "2024-04" and "2024" do not count
    # the investigator's measurement of the imputed timepoint does not count; reader r1's complete one does
    assert last_contact(data, ["measurements"]) == {"S1": date(2024, 4, 30)}
    only_inv = StudyData(data.settings, measurements=data.measurements[:2], reads=data.reads)
    assert last_contact(only_inv, ["measurements"]) == {"S1": date(2024, 3, 10)}
    cohort_memo.clear_all()
    stats = compute_cohort_stats(StudyData(data.settings, subjects=data.subjects, reads=data.reads,
                                           follow_up=data.follow_up), "investigator").to_dict()  # fmt: skip
    os_dates = {s["id"]: s["os_date"] for s in stats["subjects"]}  # type: ignore[union-attr]
    assert os_dates == {"S1": "2024-03-10", "S2": "2024-01-01"}  # S2: censored at origin, not at 31 Dec


def test_the_store_sql_leaves_out_the_same_imputed_dates(store: Store) -> None:
    from hccreview.store.stats_data import contact_dates
    from hccreview.store.study_data import load_study, write_records

    data = _imputed_study()
    write_records(store, {"subjects": data.subjects, "lesions": data.lesions, "measurements": data.measurements,
                          "reads": data.reads}, note="setup")  # fmt: skip
    loaded = load_study(store)
    for table in ("reads", "measurements"):
        assert contact_dates(store, [table]) == last_contact(loaded, [table]), table
    assert contact_dates(store) == last_contact(loaded) == {"S1": date(2024, 4, 30)}
