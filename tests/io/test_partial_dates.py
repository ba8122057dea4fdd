"""Partial SDTM dates and survival (issue 18, defects 2 and 4): imputed assessment dates are never a last known
alive date, and a partial death date is imputed against the last known alive date (admiral ``min_dates``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from hccreview.domain.contact import last_contact
from hccreview.domain.endpoints import overall_survival, pfs
from hccreview.domain.records import FollowUp, Read, ReadRole, StudyData, StudySettings, Subject
from hccreview.io.sdtm import read_sdtm
from hccreview.io.sdtm_dates import impute_death_date, parse_dtc
from tests.io.test_sdtm_errors import minimal_delivery


def _rewrite(folder: Path, domain: str, column: str, values: list[str]) -> None:
    path = folder / f"{domain}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame[column] = values
    frame.to_csv(path, index=False)


def _add_rs(folder: Path, visit: str, dtc: str, response: str = "SD") -> None:
    path = folder / "rs.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = {"USUBJID": "S-001", "RSTESTCD": "OVRLRESP", "RSSTRESC": response, "RSEVAL": "INVESTIGATOR",
           "VISIT": visit, "RSDTC": dtc}  # fmt: skip
    pd.concat([frame, pd.DataFrame([row])], ignore_index=True).to_csv(path, index=False)


def _study(parsed) -> StudyData:
    return StudyData(StudySettings(title="t"), **{k: tuple(v) for k, v in parsed.records.items() if k in (
        "subjects", "reads", "measurements", "adverse_events", "cycles", "labs", "follow_up")})  # fmt: skip


# ------------------------------------------------------------------ defect 2: imputed dates are not contacts
@pytest.mark.parametrize(("raw", "imputed"), [("2024-04", date(2024, 4, 30)), ("2024", date(2024, 12, 31))])
def test_a_partial_assessment_date_is_imputed_to_the_period_end_but_is_no_contact(
    tmp_path: Path, raw: str, imputed: date
) -> None:
    folder = minimal_delivery(tmp_path / "in")
    _add_rs(folder, "WEEK 12", raw)
    parsed = read_sdtm(folder)
    assert not parsed.errors, [str(p) for p in parsed.errors]
    read = next(r for r in parsed.records["reads"] if r.visit == "WEEK 12")
    assert (read.date, read.date_imputed) == (imputed, True)
    assert any((w.file, w.row, w.field) == ("rs.csv", 2, "RSDTC") for w in parsed.warnings)
    data = _study(parsed)
    # the latest complete date of S-001 is the week-6 assessment (17 Feb 2020), not the imputed day
    fu = next(f for f in data.follow_up if f.subject_id == "S-001")
    assert fu.last_known_alive == date(2020, 2, 17)
    assert last_contact(data)["S-001"] == date(2020, 2, 17)
    os_ = overall_survival(date(2020, 1, 6), fu, [last_contact(data)["S-001"]])
    assert os_.end_date == date(2020, 2, 17) and not os_.event


def test_parse_dtc_periods() -> None:
    assert (parse_dtc("2024-04").earliest, parse_dtc("2024-04").latest) == (date(2024, 4, 1), date(2024, 4, 30))
    assert (parse_dtc("2024").earliest, parse_dtc("2024").latest) == (date(2024, 1, 1), date(2024, 12, 31))
    assert parse_dtc("2024-04-20").complete and not parse_dtc("2024-04").complete


# ------------------------------------------------------------------ defect 4: death dates against later evidence
def test_partial_death_month_takes_the_later_last_known_alive_date() -> None:
    day, reasons = impute_death_date("2024-04", date(2024, 4, 20))
    assert day == date(2024, 4, 20)
    assert len(reasons) == 1 and "last known alive date (2024-04-20)" in reasons[0]


def test_partial_death_month_without_later_evidence_takes_the_first_day() -> None:
    for alive in (None, date(2024, 3, 31), date(2024, 4, 1)):
        day, reasons = impute_death_date("2024-04", alive)
        assert day == date(2024, 4, 1)
        assert reasons == ["partial death date imputed to the first day of its period (2024-04-01)"]


def test_partial_death_year() -> None:
    assert impute_death_date("2024", date(2024, 4, 20))[0] == date(2024, 4, 20)
    assert impute_death_date("2024", date(2023, 12, 1))[0] == date(2024, 1, 1)


def test_a_record_after_the_whole_death_period_is_a_second_warning() -> None:
    day, reasons = impute_death_date("2024-04", date(2024, 5, 10))
    assert day == date(2024, 4, 1)  # the floor only applies inside the period (admiral min_dates)
    assert len(reasons) == 2 and "death date before a later study record (2024-05-10)" in reasons[1]


def test_complete_death_date_before_a_later_assessment_is_a_warning() -> None:
    day, reasons = impute_death_date("2024-04-10", date(2024, 4, 20))
    assert day == date(2024, 4, 10)
    assert len(reasons) == 1 and "death date before a later study record (2024-04-20)" in reasons[0]
    assert impute_death_date("2024-04-10", date(2024, 4, 10)) == (date(2024, 4, 10), [])
    with pytest.raises(ValueError):
        impute_death_date("2024-13", None)


def test_a_read_after_death_is_neither_pfs_event_nor_censoring_date() -> None:
    origin, death = date(2024, 1, 1), date(2024, 4, 10)
    fu = FollowUp("S1", death_date=death)
    timepoints = [(date(2024, 2, 20), "SD"), (date(2024, 4, 20), "PD")]
    result = pfs(origin, timepoints, fu, StudySettings(title="t"))
    assert result.event and result.end_date == death and result.rule == "event: death"
    assert overall_survival(origin, fu, [date(2024, 4, 20)]).end_date == death


def _death_findings(parsed) -> list[tuple]:
    return [(w.file, w.row, w.field, w.reason) for w in parsed.warnings if w.field == "DTHDTC"]


def test_import_imputes_a_partial_death_date_against_a_later_assessment(tmp_path: Path) -> None:
    folder = minimal_delivery(tmp_path / "in")
    _rewrite(folder, "dm", "DTHDTC", ["2020-02", ""])  # S-001 assessed on 17 Feb 2020
    parsed = read_sdtm(folder)
    assert not parsed.errors, [str(p) for p in parsed.errors]
    fu = next(f for f in parsed.records["follow_up"] if f.subject_id == "S-001")
    assert fu.death_date == date(2020, 2, 17)
    assert any(f[:3] == ("dm.csv", 1, "DTHDTC") and "last known alive" in f[3] for f in _death_findings(parsed))


def test_import_warns_of_an_assessment_after_a_complete_death_date(tmp_path: Path) -> None:
    folder = minimal_delivery(tmp_path / "in")
    _rewrite(folder, "dm", "DTHDTC", ["2020-02-10", ""])  # S-001 assessed on 17 Feb 2020
    parsed = read_sdtm(folder)
    assert not parsed.errors, [str(p) for p in parsed.errors]
    assert any(f[:3] == ("dm.csv", 1, "DTHDTC") and "later study record (2020-02-17)" in f[3]
               for f in _death_findings(parsed))  # fmt: skip


def test_subject_record_helper_is_consistent() -> None:
    data = StudyData(
        StudySettings(title="t"),
        subjects=(Subject("S1"),),
        reads=(Read("S1", "inv", ReadRole.INVESTIGATOR, date(2024, 4, 30), date_imputed=True),),
    )
    assert last_contact(data) == {}
