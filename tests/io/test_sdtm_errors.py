"""Malformed SDTM input is refused as a whole, each problem naming file, row and field; nothing is written."""

from __future__ import annotations

import hashlib
import re
import string
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hccreview.io.sdtm import read_sdtm
from hccreview.io.sdtm_dates import parse_dtc
from hccreview.services.importing import ImportRefused, import_into
from hccreview.store import Store
from hccreview.store.study_data import review_tables_digest


def minimal_delivery(folder: Path, prefix: str = "S") -> Path:
    """A small valid SDTM delivery: two subjects, one with lesions, measurements and a read."""
    folder.mkdir(parents=True, exist_ok=True)
    a, b = f"{prefix}-001", f"{prefix}-002"
    tables = {
        "dm": {
            "STUDYID": ["T1", "T1"],
            "USUBJID": [a, b],
            "SITEID": ["10", "11"],
            "SEX": ["F", "M"],
            "AGE": ["61", "70"],
            "ARM": ["Drug", "Drug"],
            "ARMCD": ["D", "D"],
            "BRTHDTC": ["1960-05-01", "1950"],
            "RFSTDTC": ["2020-01-06", "2020-02-03"],
            "RFXSTDTC": ["2020-01-06", "2020-02-03"],
            "DTHDTC": ["", ""],
        },
        "ds": {"USUBJID": [a, b], "DSDECOD": ["RANDOMIZED", "RANDOMIZED"], "DSSTDTC": ["2020-01-06", "2020-02-03"]},
        "ex": {
            "USUBJID": [a, b],
            "EXSEQ": ["1", "1"],
            "EXTRT": ["DRUG", "DRUG"],
            "EXDOSE": ["25", "25"],
            "EXDOSU": ["mg", "mg"],
            "EXSTDTC": ["2020-01-06", "2020-02-03"],
            "EXENDTC": ["2020-01-26", ""],
        },
        "ae": {
            "USUBJID": [a, b],
            "AESEQ": ["1", "1"],
            "AETERM": ["Fatigue", "Rash"],
            "AEDECOD": ["Fatigue", "Rash"],
            "AEBODSYS": ["GENERAL", "SKIN"],
            "AETOXGR": ["3", "2"],
            "AESEV": ["SEVERE", "MODERATE"],
            "AESER": ["N", "N"],
            "AEREL": ["POSSIBLE", "UNRELATED"],
            "AESTDTC": ["2020-01-20", "2020-03"],
            "AEENDTC": ["2020-02-01", ""],
        },
        "tu": {
            "USUBJID": [a, a],
            "TULNKID": ["T01", "NT01"],
            "TUSTRESC": ["TARGET", "NON-TARGET"],
            "TULOC": ["LIVER", "LYMPH NODE"],
            "TUMETHOD": ["CT SCAN", "CT SCAN"],
            "TUEVAL": ["INVESTIGATOR"] * 2,
        },
        "tr": {
            "USUBJID": [a, a, a, a],
            "TRLNKID": ["T01", "NT01", "T01", "NT01"],
            "TRTESTCD": ["LDIAM", "TUMSTATE", "LDIAM", "TUMSTATE"],
            "TRSTRESC": ["32", "PRESENT", "20", "PRESENT"],
            "TRSTRESN": ["32", "", "20", ""],
            "TRSTRESU": ["mm", "", "mm", ""],
            "TREVAL": ["INVESTIGATOR"] * 4,
            "VISIT": ["BASELINE", "BASELINE", "WEEK 6", "WEEK 6"],
            "TRDTC": ["2020-01-03", "2020-01-03", "2020-02-17", "2020-02-17"],
        },
        "rs": {
            "USUBJID": [a],
            "RSTESTCD": ["OVRLRESP"],
            "RSSTRESC": ["PR"],
            "RSEVAL": ["INVESTIGATOR"],
            "VISIT": ["WEEK 6"],
            "RSDTC": ["2020-02-17"],
        },
    }
    for domain, columns in tables.items():
        pd.DataFrame(columns).to_csv(folder / f"{domain}.csv", index=False)
    return folder


BASE_IDS = {"S-001", "S-002", "E-001", "E-002"}
#: Shapes an SDTM date may take (anything else is certainly not a date); semantic errors are listed separately.
_DATE_SHAPE = re.compile(r"\d{4}(-\d{2}(-\d{2}(T[0-9:.+\-Z]*)?)?)?|\d{4}---\d{2}.*")
_GRADE_OK = re.compile(r"[1-5](\.0*)?")


@dataclass(frozen=True)
class Case:
    """One malformed row appended to a domain: ``field`` gets ``value``; the error must name file/row/field."""

    domain: str
    field: str
    value: str


def _usable(text: str) -> bool:
    return text.strip() not in ("", "NA") and "\x00" not in text


bad_dates = st.one_of(
    st.sampled_from(
        [
            "2014-13-01",
            "2014-02-30",
            "02/07/2014",
            "2014-02-1x",
            "--07-02",
            "20140702",
            "2014-7-2",
            "yesterday",
            "2014/02/01",
            "14-02-01",
            "1700-01-01",
            "2014-00",
        ]
    ),
    st.text(alphabet="0123456789-/Tx: ", min_size=1, max_size=12).filter(
        lambda s: _usable(s) and not _DATE_SHAPE.fullmatch(s.strip())
    ),
)
date_fields = st.sampled_from(
    [
        ("ae", "AESTDTC"),
        ("ae", "AEENDTC"),
        ("tr", "TRDTC"),
        ("rs", "RSDTC"),
        ("dm", "BRTHDTC"),
        ("ex", "EXSTDTC"),
        ("ds", "DSSTDTC"),
    ]
)
negative = st.floats(min_value=-1e6, max_value=-0.001, allow_nan=False).map(lambda x: repr(round(x, 3)))
bad_grades = st.one_of(
    st.sampled_from(["0", "6", "x", "-1", "2.5", "10", "G3", "III"]),
    st.integers(min_value=-50, max_value=50).filter(lambda g: not 1 <= g <= 5).map(str),
    st.text(alphabet=string.ascii_letters + string.digits + ".", min_size=1, max_size=4),
).filter(lambda s: _usable(s) and not _GRADE_OK.fullmatch(s.strip()))
unknown_ids = st.text(alphabet=string.ascii_uppercase + string.digits + "-", min_size=1, max_size=12).filter(
    lambda s: s not in BASE_IDS and _usable(s)
)
cases = st.one_of(
    st.builds(lambda df, v: Case(df[0], df[1], v), date_fields, bad_dates),
    st.builds(lambda v: Case("tr", "TRSTRESN", v), negative),
    st.builds(lambda v: Case("ae", "AETOXGR", v), bad_grades),
    st.builds(lambda d, v: Case(d, "USUBJID", v), st.sampled_from(["ae", "ex", "tu", "tr", "rs", "ds"]), unknown_ids),
)


def inject(folder: Path, case: Case, prefix: str = "S") -> int:
    """Append a copy of the domain's first row with ``case.field`` set; returns the new row's number."""
    path = folder / f"{case.domain}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = frame.iloc[0].copy()
    if case.domain == "dm":
        row["USUBJID"] = f"{prefix}-009"
    if case.domain == "tr":  # a new assessment date so the copy is no repeat of a measurement
        row["TRDTC"], row["VISIT"] = "2020-04-01", "WEEK 12"
    if case.domain == "tu":
        row["TULNKID"] = "T09"
    seq = f"{case.domain.upper()}SEQ"
    if seq in frame.columns:  # the copy is a new record: its own sequence number (a repeated key is refused)
        row[seq] = str(frame[seq].astype(int).max() + 1)
    row[case.field] = case.value
    frame = pd.concat([frame, row.to_frame().T], ignore_index=True)
    frame.to_csv(path, index=False)
    return len(frame)


def _located(problems: list, case: Case, row: int) -> bool:
    return any((p.file, p.row, p.field) == (f"{case.domain}.csv", row, case.field) for p in problems)


def _fingerprint(path: Path) -> tuple[str, str]:
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with Store.open(path, migrate=False) as store:
        digest = review_tables_digest(store)
    return sha, digest


def test_minimal_delivery_is_valid(tmp_path: Path) -> None:
    parsed = read_sdtm(minimal_delivery(tmp_path / "base"))
    assert parsed.errors == [], [str(p) for p in parsed.errors]
    n = {k: len(v) for k, v in parsed.records.items()}
    assert (n["subjects"], n["lesions"], n["measurements"], n["reads"], n["adverse_events"]) == (2, 2, 4, 1, 2)
    assert parsed.records["adverse_events"][0].grade == 3


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases)
def test_malformed_row_refused_for_a_new_study(case: Case) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = minimal_delivery(Path(tmp) / "in")
        row = inject(folder, case)
        study = Path(tmp) / "new.db"
        with pytest.raises(ImportRefused) as refused:
            import_into(study, fmt="sdtm", source=folder)
        assert _located(refused.value.problems, case, row), [str(p) for p in refused.value.problems]
        assert all(p.severity == "error" for p in refused.value.problems)
        assert not study.exists(), "a refused import must not leave a new study file behind"


@pytest.fixture(scope="module")
def existing_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("existing")
    path = root / "study.db"
    import_into(path, fmt="sdtm", source=minimal_delivery(root / "first", prefix="E"))
    return path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases)
def test_malformed_row_leaves_an_existing_study_unchanged(case: Case, existing_study: Path) -> None:
    before = _fingerprint(existing_study)
    with tempfile.TemporaryDirectory() as tmp:
        folder = minimal_delivery(Path(tmp) / "in")
        row = inject(folder, case)
        with pytest.raises(ImportRefused) as refused:
            import_into(existing_study, fmt="sdtm", source=folder)
    assert _located(refused.value.problems, case, row), [str(p) for p in refused.value.problems]
    assert _fingerprint(existing_study) == before


def test_parse_dtc_forms() -> None:
    assert parse_dtc("2014-07-02T11:45").earliest.isoformat() == "2014-07-02"
    feb = parse_dtc("2014-02")
    assert (feb.earliest.isoformat(), feb.latest.isoformat(), feb.precision) == ("2014-02-01", "2014-02-28", "month")
    year = parse_dtc("2012")
    assert (year.earliest.isoformat(), year.latest.isoformat()) == ("2012-01-01", "2012-12-31")
    assert parse_dtc("2016-02").latest.isoformat() == "2016-02-29"
    assert parse_dtc("2014---15").precision == "year"
    for bad in ("2014-02-1x", "2014-02-30", "--07-02", "02/07/2014"):
        with pytest.raises(ValueError):
            parse_dtc(bad)


def _rewrite(folder: Path, domain: str, change) -> None:
    path = folder / f"{domain}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(frame)
    frame.to_csv(path, index=False)


@pytest.mark.parametrize(
    ("domain", "column"),
    [
        ("dm", "USUBJID"),
        ("tr", "TRLNKID"),
        ("tu", "TULNKID"),
        ("rs", "RSTESTCD"),
        ("ex", "EXSTDTC"),
        ("lb", "LBTESTCD"),
    ],
)
def test_missing_required_column(tmp_path: Path, domain: str, column: str) -> None:
    folder = minimal_delivery(tmp_path / "in")
    if domain == "lb":
        pd.DataFrame({"USUBJID": ["S-001"], "LBSTRESN": ["3"]}).to_csv(folder / "lb.csv", index=False)
    else:
        _rewrite(folder, domain, lambda f: f.drop(columns=[column], inplace=True))
    parsed = read_sdtm(folder)
    assert any((p.file, p.row, p.field) == (f"{domain}.csv", None, column) for p in parsed.errors), [
        str(p) for p in parsed.errors
    ]


def test_no_dm_file(tmp_path: Path) -> None:
    folder = minimal_delivery(tmp_path / "in")
    (folder / "dm.csv").unlink()
    parsed = read_sdtm(folder)
    assert [(p.file, p.row) for p in parsed.errors] == [("dm.csv", None)]


def _first_error(folder: Path) -> tuple:
    errors = read_sdtm(folder).errors
    assert errors, "expected the input to be refused"
    return errors[0].file, errors[0].row, errors[0].field, errors[0].reason


def test_death_before_birth_and_before_first_record(tmp_path: Path) -> None:
    folder = minimal_delivery(tmp_path / "a")
    _rewrite(folder, "dm", lambda f: f.__setitem__("DTHDTC", ["1955-01-01", ""]))
    assert _first_error(folder) == ("dm.csv", 1, "DTHDTC", "death before birth (1960-05-01)")
    folder = minimal_delivery(tmp_path / "b")
    _rewrite(folder, "dm", lambda f: f.__setitem__("DTHDTC", ["2019-12-01", ""]))
    file, row, field, reason = _first_error(folder)
    assert (file, row, field) == ("dm.csv", 1, "DTHDTC") and "before the subject's first record" in reason


def test_measurement_of_a_lesion_that_does_not_exist(tmp_path: Path) -> None:
    folder = minimal_delivery(tmp_path / "in")
    _rewrite(folder, "tr", lambda f: f.loc.__setitem__((2, "TRLNKID"), "T07"))
    assert _first_error(folder) == ("tr.csv", 3, "TRLNKID", "measurement of a lesion that does not exist")


def test_unknown_lesion_kind_and_conflicting_repeat(tmp_path: Path) -> None:
    folder = minimal_delivery(tmp_path / "a")
    _rewrite(folder, "tu", lambda f: f.loc.__setitem__((1, "TUSTRESC"), "MAYBE"))
    assert _first_error(folder)[:3] == ("tu.csv", 2, "TUSTRESC")
    folder = minimal_delivery(tmp_path / "b")

    def repeat_with_other_value(f: pd.DataFrame) -> None:
        f.loc[len(f)] = {**f.iloc[0].to_dict(), "TRSTRESN": "33", "TRSTRESC": "33"}

    _rewrite(folder, "tr", repeat_with_other_value)
    file, row, field, reason = _first_error(folder)
    assert (file, row, field) == ("tr.csv", 5, "TRSTRESN") and "second, different LDIAM" in reason


def test_warnings_do_not_refuse(tmp_path: Path) -> None:
    folder = minimal_delivery(tmp_path / "in")
    _rewrite(folder, "rs", lambda f: f.__setitem__("RSSTRESC", ["CHECK"]))
    _rewrite(folder, "tr", lambda f: f.__setitem__("TRSTRESU", ["cm", "", "cm", ""]))
    parsed = read_sdtm(folder)
    assert parsed.errors == []
    assert parsed.records["reads"][0].overall == "CHECK"
    reasons = {(w.file, w.field): w.reason for w in parsed.warnings}
    assert reasons[("rs.csv", "RSSTRESC")] == "non-standard response code, counts as NE"
    assert reasons[("tr.csv", "TRSTRESU")].startswith("unit converted")
    assert [m.diameter_mm for m in parsed.records["measurements"] if m.lesion_id == "T01"] == [320.0, 200.0]
    assert any(w.reason.startswith("partial date imputed to the first day") for w in parsed.warnings)  # AE onset


def test_many_problems_of_one_kind_are_capped(tmp_path: Path) -> None:
    folder = minimal_delivery(tmp_path / "in")
    ae = pd.read_csv(folder / "ae.csv", dtype=str, keep_default_na=False)
    many = pd.concat([ae] * 100, ignore_index=True).assign(USUBJID="NOBODY")
    many["AESEQ"] = [str(i) for i in range(1, len(many) + 1)]  # 200 records, not one repeated key
    many.to_csv(folder / "ae.csv", index=False)
    errors = read_sdtm(folder).errors
    assert len(errors) == 51 and errors[-1].row is None and "150 more rows like this" in errors[-1].reason


def test_assessment_before_origin_is_a_warning(tmp_path: Path) -> None:
    folder = minimal_delivery(tmp_path / "in")
    _rewrite(folder, "ds", lambda f: f.__setitem__("DSSTDTC", ["2020-03-01", "2020-02-03"]))  # randomised late
    parsed = read_sdtm(folder)
    assert parsed.errors == []
    early = [w for w in parsed.warnings if "before the origin (2020-03-01)" in w.reason]
    # the WEEK 6 read and measurements warn; the BASELINE measurements do not
    assert sorted((w.file, w.row, w.field) for w in early) == [("rs.csv", 1, "RSDTC"), ("tr.csv", 3, "TRDTC")]
    assert all(w.subject_id == "S-001" for w in early)


def test_suppdm_fields_screen_failures_and_child_pugh(tmp_path: Path) -> None:
    folder = minimal_delivery(tmp_path / "in")

    def add_screened(f: pd.DataFrame) -> None:
        f.loc[len(f)] = {**f.iloc[1].to_dict(), "USUBJID": "S-003", "RFSTDTC": "", "RFXSTDTC": ""}

    _rewrite(folder, "dm", add_screened)
    pd.DataFrame(
        {
            "USUBJID": ["S-001"] * 5 + ["S-002"],
            "QNAM": ["ECOG", "ETIOL", "EXTRAHEP", "AFP", "ITT", "ECOG"],
            "QVAL": ["1", "HBV", "Y", "1200.5", "Y", "seven"],
        }
    ).to_csv(folder / "suppdm.csv", index=False)
    pd.DataFrame(
        {  # no LBBLFL: the last value on or before the first dose is the baseline
            "USUBJID": ["S-001"] * 4,
            "LBTESTCD": ["BILI", "BILI", "ALB", "INR"],
            "LBSTRESN": ["20.52", "99", "30", "1.2"],
            "LBSTRESU": ["umol/L", "umol/L", "g/L", ""],
            "LBDTC": ["2020-01-02T08:00", "2020-02-01", "2020-01-02", "2020-01"],
        }
    ).to_csv(folder / "lb.csv", index=False)
    parsed = read_sdtm(folder)
    assert parsed.errors == []
    subjects = {s.subject_id: s for s in parsed.records["subjects"]}
    one = subjects["S-001"]
    assert (one.ecog, one.etiology, one.extrahepatic, one.afp_ng_ml) == (1, "HBV", True, 1200.5)
    assert subjects["S-002"].ecog is None and not subjects["S-002"].screen_failure
    assert subjects["S-003"].screen_failure  # neither randomised nor dosed
    assert any("ITT 1" in n for n in parsed.notes)
    assert any(w.field == "QVAL" and w.value == "seven" for w in parsed.warnings)
    (cp,) = parsed.records["child_pugh"]
    assert (cp.bilirubin_mg_dl, cp.albumin_g_dl, cp.inr, cp.ascites) == (1.2, 3.0, 1.2, None)
    assert len(parsed.records["labs"]) == 4
    assert any(w.file == "lb.csv" and w.field == "LBDTC" and w.value == "2020-01" for w in parsed.warnings)
