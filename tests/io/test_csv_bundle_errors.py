"""CSV bundle validation: every error names file, row and field; every warning kind; nothing stops at the first."""

from __future__ import annotations

import csv
import re
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hccreview.io.csv_bundle import read_bundle
from hccreview.io.validation import ImportProblem, ParsedImport

Rows = list[dict[str, str]]


def base() -> dict[str, Rows]:
    """A small valid bundle: two subjects, one of every record kind (first dose 2014-01-10)."""
    return {
        "study.csv": [{"key": "title", "value": "T"}, {"key": "origin", "value": "first_dose"}],
        "subjects.csv": [
            {
                "subject_id": "S1",
                "birth_date": "1950-01-01",
                "first_dose_date": "2014-01-10",
                "ascites": "none",
                "encephalopathy": "none",
                "inr": "1.1",
                "age": "64",
                "ecog": "1",
                "extrahepatic": "no",
                "afp_ng_ml": "12.5",
            },
            {
                "subject_id": "S2",
                "birth_date": "1960-05-05",
                "first_dose_date": "2014-02-01",
                "ascites": "",
                "encephalopathy": "",
                "inr": "",
                "age": "",
                "ecog": "",
                "extrahepatic": "",
                "afp_ng_ml": "",
            },
        ],
        "cycles.csv": [{"subject_id": "S1", "number": "1", "start_date": "2014-01-10", "dose_mg": "25"}],
        "adverse_events.csv": [
            {
                "subject_id": "S1",
                "seq": "1",
                "term": "Fatigue",
                "grade": "2",
                "onset": "2014-01-20",
                "resolution": "2014-02-01",
            },
        ],
        "labs.csv": [{"subject_id": "S1", "test": "BILI", "value": "1.0", "unit": "mg/dL", "date": "2014-01-05"}],
        "lesions.csv": [{"subject_id": "S1", "reader": "inv", "lesion_id": "T01", "kind": "target"}],
        "measurements.csv": [
            {
                "subject_id": "S1",
                "reader": "inv",
                "lesion_id": "T01",
                "date": "2014-01-05",
                "visit": "Baseline",
                "diameter_mm": "30",
                "status": "present",
            },
            {
                "subject_id": "S1",
                "reader": "inv",
                "lesion_id": "T01",
                "date": "2014-03-05",
                "visit": "Week 8",
                "diameter_mm": "25",
                "status": "present",
            },
        ],
        "reads.csv": [
            {
                "subject_id": "S1",
                "reader": "inv",
                "role": "investigator",
                "date": "2014-03-05",
                "overall": "SD",
                "new_lesion": "no",
            },
        ],
        "adjudications.csv": [
            {
                "subject_id": "S1",
                "chosen_reader": "inv",
                "reason": "r",
                "adjudicator": "a",
                "decided_at": "2014-04-01T10:00:00",
            }
        ],
        "follow_up.csv": [
            {"subject_id": "S1", "death_date": "2014-06-01", "last_known_alive": "2014-06-01"},
            {"subject_id": "S2", "death_date": "", "last_known_alive": "2014-09-01"},
        ],
    }


def write(folder: Path, files: dict[str, Rows]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        fields = list(dict.fromkeys(k for row in rows for k in row))
        with (folder / name).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields, restval="")
            writer.writeheader()
            writer.writerows(rows)
    return folder


def read_with(tmp: Path, file: str, row: int, **cells: str) -> ParsedImport:
    """The base bundle with cells of one data row (1-based) changed."""
    files = base()
    files[file][row - 1].update(cells)
    return read_bundle(write(tmp, files))


def located(problems: list[ImportProblem]) -> set[tuple[str, int | None, str]]:
    return {(p.file, p.row, p.field) for p in problems}


def test_the_base_bundle_is_valid(tmp_path: Path) -> None:
    parsed = read_bundle(write(tmp_path, base()))
    assert parsed.problems == [], [str(p) for p in parsed.problems]
    assert {k: len(v) for k, v in parsed.records.items()} == {
        "subjects": 2,
        "child_pugh": 1,
        "cycles": 1,
        "adverse_events": 1,
        "labs": 1,
        "lesions": 1,
        "measurements": 2,
        "reads": 1,
        "adjudications": 1,
        "follow_up": 2,
    }


CELL_ERRORS = [
    ("subjects.csv", 1, "birth_date", "1950-13-01", "calendar date"),
    ("subjects.csv", 1, "birth_date", "01/02/1950", "ISO 8601"),
    ("subjects.csv", 1, "birth_date", "1950-02", "partial date"),
    ("subjects.csv", 2, "age", "sixty", "whole number"),
    ("subjects.csv", 1, "afp_ng_ml", "1,5", "decimal point"),
    ("subjects.csv", 1, "extrahepatic", "maybe", "yes/no"),
    ("subjects.csv", 1, "ascites", "lots", "Child-Pugh"),
    ("subjects.csv", 1, "encephalopathy", "grade 7", "Child-Pugh"),
    ("subjects.csv", 1, "inr", "0", "> 0"),
    ("subjects.csv", 1, "ecog", "6", "<= 5"),
    ("subjects.csv", 1, "subject_id", "", "value required"),
    ("cycles.csv", 1, "dose_mg", "-25", ">= 0"),
    ("cycles.csv", 1, "number", "", "value required"),
    ("cycles.csv", 1, "start_date", "2014-1-10", "ISO 8601"),
    ("adverse_events.csv", 1, "grade", "0", "must be >= 1 and <= 5"),
    ("adverse_events.csv", 1, "grade", "6", "must be >= 1 and <= 5"),
    ("adverse_events.csv", 1, "grade", "x", "whole number"),
    ("adverse_events.csv", 1, "grade", "2.5", "whole number"),
    ("adverse_events.csv", 1, "resolution", "2014-01-01", "before onset"),
    ("adverse_events.csv", 1, "serious", "sometimes", "yes/no"),
    ("labs.csv", 1, "value", "high", "not a number"),
    ("labs.csv", 1, "value", "nan", "not a number"),
    ("lesions.csv", 1, "kind", "primary", "unknown value"),
    ("lesions.csv", 1, "is_node", "nodal", "yes/no"),
    ("measurements.csv", 2, "diameter_mm", "-1", ">= 0"),
    ("measurements.csv", 2, "short_axis_mm", "-0.5", ">= 0"),
    ("measurements.csv", 2, "viable_mm", "abc", "not a number"),
    ("measurements.csv", 2, "status", "gone", "unknown value"),
    ("measurements.csv", 2, "date", "2014-02-30", "calendar date"),
    ("measurements.csv", 2, "date", "2014-13", "calendar date"),
    ("reads.csv", 1, "role", "radiologist", "unknown value"),
    ("reads.csv", 1, "new_lesion", "perhaps", "yes/no"),
    ("adjudications.csv", 1, "decided_at", "yesterday", "date-time"),
    ("adjudications.csv", 1, "reason", "", "value required"),
    ("follow_up.csv", 1, "death_date", "1949-12-31", "death before birth"),
    ("follow_up.csv", 1, "death_date", "2014-01-04", "before the subject's first record"),
    ("follow_up.csv", 2, "last_known_alive", "2014-09", "partial date"),
    ("study.csv", 2, "origin", "death", "unknown value"),
]


@pytest.mark.parametrize(("file", "row", "field", "value", "reason"), CELL_ERRORS)
def test_each_error_is_located(tmp_path: Path, file: str, row: int, field: str, value: str, reason: str) -> None:
    edit = {"key": "origin", "value": value} if file == "study.csv" else {field: value}
    parsed = read_with(tmp_path, file, row, **edit)
    errors = [e for e in parsed.errors if (e.file, e.row, e.field) == (file, row, field)]
    assert errors, [str(p) for p in parsed.problems]
    assert reason in errors[0].reason
    assert errors[0].value == value
    assert errors[0].subject_id == (None if file == "study.csv" else parsed_subject(file, row, field, value))
    if field != "subject_id":  # a subject without an id leaves its records orphaned: those errors are right
        assert {(e.file, e.row) for e in parsed.errors} == {(file, row)}, [str(p) for p in parsed.errors]


def parsed_subject(file: str, row: int, field: str, value: str) -> str | None:
    subject = base()[file][row - 1]["subject_id"]
    return value or None if field == "subject_id" else subject


def test_cell_text_is_reported_without_padding(tmp_path: Path) -> None:
    parsed = read_with(tmp_path, "subjects.csv", 1, age="  sixty ")
    assert [(e.field, e.value) for e in parsed.errors] == [("age", "sixty")]


@pytest.mark.parametrize(
    "file",
    [
        "cycles.csv",
        "adverse_events.csv",
        "labs.csv",
        "lesions.csv",
        "measurements.csv",
        "reads.csv",
        "adjudications.csv",
        "follow_up.csv",
    ],
)
def test_a_record_of_an_unknown_subject_is_refused(tmp_path: Path, file: str) -> None:
    parsed = read_with(tmp_path, file, 1, subject_id="S9")
    assert (file, 1, "subject_id") in located(parsed.errors)
    error = next(e for e in parsed.errors if e.field == "subject_id")
    assert (error.row, error.value, error.subject_id) == (1, "S9", "S9")
    assert "no subject 'S9'" in error.reason
    assert all(getattr(x, "subject_id", None) != "S9" for recs in parsed.records.values() for x in recs)


def test_a_measurement_of_an_unknown_lesion_is_refused(tmp_path: Path) -> None:
    parsed = read_with(tmp_path, "measurements.csv", 2, lesion_id="T02")
    assert located(parsed.errors) == {("measurements.csv", 2, "lesion_id")}
    parsed = read_with(tmp_path / "b", "measurements.csv", 2, reader="central")
    assert located(parsed.errors) == {("measurements.csv", 2, "lesion_id")}
    assert "reader 'central'" in parsed.errors[0].reason


def test_measurements_without_lesions_file(tmp_path: Path) -> None:
    files = base()
    del files["lesions.csv"]
    parsed = read_bundle(write(tmp_path, files))
    assert located(parsed.errors) == {("measurements.csv", None, "lesion_id")}


@pytest.mark.parametrize(
    ("file", "field"),
    [
        ("subjects.csv", "subject_id"),
        ("cycles.csv", "number"),
        ("adverse_events.csv", "seq"),
        ("lesions.csv", "lesion_id"),
        ("measurements.csv", "date"),
        ("reads.csv", "date"),
        ("follow_up.csv", "subject_id"),
        ("study.csv", "title"),
    ],
)
def test_duplicate_keys_are_refused(tmp_path: Path, file: str, field: str) -> None:
    files = base()
    files[file].append(dict(files[file][0]))
    parsed = read_bundle(write(tmp_path, files))
    row = len(files[file])
    assert (file, row, field) in located(parsed.errors), [str(p) for p in parsed.errors]
    error = next(e for e in parsed.errors if e.row == row)
    assert error.reason.endswith(f"(rows 1 and {row})" if file != "study.csv" else "(first on row 1)"), error.reason


@pytest.mark.parametrize(
    ("file", "column"),
    [
        ("subjects.csv", "subject_id"),
        ("measurements.csv", "date"),
        ("labs.csv", "unit"),
        ("labs.csv", "date"),
        ("lesions.csv", "kind"),
        ("reads.csv", "role"),
        ("adjudications.csv", "reason"),
        ("study.csv", "value"),
    ],
)
def test_a_missing_required_column_is_refused(tmp_path: Path, file: str, column: str) -> None:
    files = base()
    for row in files[file]:
        del row[column]
    parsed = read_bundle(write(tmp_path, files))
    assert (file, None, column) in located(parsed.errors)
    assert all(e.file == file for e in parsed.errors), [str(e) for e in parsed.errors]  # no cascade


def test_subjects_file_is_required(tmp_path: Path) -> None:
    files = base()
    del files["subjects.csv"]
    parsed = read_bundle(write(tmp_path, files))
    assert located(parsed.errors) == {("subjects.csv", None, "")}


def test_a_child_pugh_file_is_refused_with_advice(tmp_path: Path) -> None:
    files = base()
    files["child_pugh.csv"] = [{"subject_id": "S1", "inr": "1.2"}]
    parsed = read_bundle(write(tmp_path, files))
    assert [(e.file, e.row) for e in parsed.errors] == [("child_pugh.csv", None)]
    assert "subjects.csv" in parsed.errors[0].reason


def test_ragged_row_and_empty_file(tmp_path: Path) -> None:
    folder = write(tmp_path, base())
    (folder / "cycles.csv").write_text("subject_id,number,start_date,dose_mg\nS1,1,2014-01-10,25,extra\n")
    (folder / "labs.csv").write_text("")
    parsed = read_bundle(folder)
    assert located(parsed.errors) == {("cycles.csv", 1, ""), ("labs.csv", None, "")}


def test_every_problem_is_collected(tmp_path: Path) -> None:
    files = base()
    files["subjects.csv"][1]["age"] = "old"
    files["adverse_events.csv"][0]["grade"] = "7"
    files["measurements.csv"][0]["diameter_mm"] = "-3"
    files["measurements.csv"][1]["date"] = "March"
    files["follow_up.csv"][1]["subject_id"] = "S3"
    parsed = read_bundle(write(tmp_path, files))
    assert located(parsed.errors) == {
        ("subjects.csv", 2, "age"),
        ("adverse_events.csv", 1, "grade"),
        ("measurements.csv", 1, "diameter_mm"),
        ("measurements.csv", 2, "date"),
        ("follow_up.csv", 2, "subject_id"),
    }
    assert all(str(e).startswith(e.file) for e in parsed.errors)
    assert parsed.records["adverse_events"] == []  # an invalid row makes no record


def test_invalid_settings_are_located(tmp_path: Path) -> None:
    files = base()
    files["study.csv"] += [
        {"key": "confirmation_days", "value": "four weeks"},
        {"key": "min_sd_days", "value": "-1"},
        {"key": "accept_sd", "value": "perhaps"},
    ]
    parsed = read_bundle(write(tmp_path, files))
    assert located(parsed.errors) == {
        ("study.csv", 3, "confirmation_days"),
        ("study.csv", 4, "min_sd_days"),
        ("study.csv", 5, "accept_sd"),
    }


# ---------------------------------------------------------------------------------------------- warnings
def warnings_of(parsed: ParsedImport) -> list[tuple[str, int | None, str, str]]:
    assert parsed.errors == [], [str(e) for e in parsed.errors]
    return [(w.file, w.row, w.field, w.reason) for w in parsed.warnings]


def test_partial_dates_are_imputed_with_a_warning(tmp_path: Path) -> None:
    files = base()
    files["measurements.csv"][1]["date"] = "2014-03"
    files["reads.csv"][0]["date"] = "2014-03"
    parsed = read_bundle(write(tmp_path, files))
    found = warnings_of(parsed)
    assert [w[:3] for w in found] == [("measurements.csv", 2, "date"), ("reads.csv", 1, "date")]
    assert all("imputed to the last day" in w[3] and "2014-03-31" in w[3] for w in found)
    assert parsed.records["reads"][0].date_imputed is True  # type: ignore[attr-defined]
    assert parsed.records["measurements"][1].date == date(2014, 3, 31)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("field", "code", "reason"),
    [
        ("overall", "CHECK", "kept verbatim; counts as NE"),
        ("overall", "NOT EVALUABLE", "counts as NE"),
        ("overall", "", "no response stated"),
        ("target", "Partial Response", "non-standard spelling of PR"),
        ("non_target", "Non-CR/Non-PD", None),
        ("overall", "pd", None),
        ("target", "", None),
    ],
)
def test_non_standard_response_codes_are_kept_and_flagged(
    tmp_path: Path, field: str, code: str, reason: str | None
) -> None:
    parsed = read_with(tmp_path, "reads.csv", 1, **{field: code})
    found = warnings_of(parsed)
    if reason is None:
        assert found == []
    else:
        assert [w[:3] for w in found] == [("reads.csv", 1, field)] and reason in found[0][3]
    assert getattr(parsed.records["reads"][0], field) == code  # kept verbatim


@pytest.mark.parametrize(
    ("test", "unit", "value", "expected", "to_unit"),
    [
        ("BILI", "µmol/L", "34.2", 2.0, "mg/dL"),
        ("Bilirubin", "umol/l", "17.1", 1.0, "mg/dL"),
        ("ALB", "g/L", "35", 3.5, "g/dL"),
        ("albumin", "g/l", "28", 2.8, "g/dL"),
    ],
)
def test_lab_units_are_converted_with_a_warning(
    tmp_path: Path, test: str, unit: str, value: str, expected: float, to_unit: str
) -> None:
    parsed = read_with(tmp_path, "labs.csv", 1, test=test, unit=unit, value=value, lln="3.4", uln="")
    assert [w[:3] for w in warnings_of(parsed)] == [("labs.csv", 1, "unit")]
    lab = parsed.records["labs"][0]
    assert (lab.value, lab.unit, lab.uln) == (expected, to_unit, None)  # type: ignore[attr-defined]
    assert lab.lln == pytest.approx(3.4 / (17.1 if to_unit == "mg/dL" else 10))  # type: ignore[attr-defined]


def test_child_pugh_in_si_units_is_converted(tmp_path: Path) -> None:
    parsed = read_with(tmp_path, "subjects.csv", 1, inr="1.1", bilirubin_umol_l="51.3", albumin_g_l="30")
    assert [w[:3] for w in warnings_of(parsed)] == [
        ("subjects.csv", 1, "bilirubin_umol_l"),
        ("subjects.csv", 1, "albumin_g_l"),
    ]
    cp = parsed.records["child_pugh"][0]
    assert (cp.bilirubin_mg_dl, cp.albumin_g_dl) == (3.0, 3.0)  # type: ignore[attr-defined]
    parsed = read_with(tmp_path / "b", "subjects.csv", 1, bilirubin_mg_dl="3", bilirubin_umol_l="51.3")
    assert located(parsed.errors) == {("subjects.csv", 1, "bilirubin_umol_l")}


def test_assessments_before_the_origin_are_flagged_unless_baseline(tmp_path: Path) -> None:
    files = base()  # first dose 2014-01-10; baseline scan 2014-01-05
    files["measurements.csv"].append(dict(files["measurements.csv"][0], date="2014-01-08", visit="Unscheduled"))
    files["measurements.csv"].append(dict(files["measurements.csv"][0], date="2014-01-07", visit="Screening 2"))
    files["reads.csv"].append(dict(files["reads.csv"][0], date="2014-01-09", visit=""))
    parsed = read_bundle(write(tmp_path, files))
    found = warnings_of(parsed)
    assert [w[:3] for w in found] == [("measurements.csv", 3, "date"), ("reads.csv", 2, "date")]
    assert "before the origin (first_dose 2014-01-10)" in found[0][3]


def test_other_warnings(tmp_path: Path) -> None:
    files = base()
    files["adjudications.csv"][0]["chosen_reader"] = "reader 9"
    files["follow_up.csv"][0]["last_known_alive"] = "2014-07-01"
    found = warnings_of(read_bundle(write(tmp_path, files)))
    assert [w[:3] for w in found] == [
        ("adjudications.csv", 1, "chosen_reader"),
        ("follow_up.csv", 1, "last_known_alive"),
    ]


# ---------------------------------------------------------------------------------------------- generated rows
cell = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12).filter(lambda s: s.strip())


def _is_iso_date(text: str) -> bool:
    try:
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text, re.ASCII)) and date.fromisoformat(text) is not None
    except ValueError:
        return False


bad_dates = (
    cell.filter(lambda s: not _is_iso_date(s.strip()))
    | st.dates().map(lambda d: d.strftime("%d/%m/%Y"))
    | st.dates().map(lambda d: d.strftime("%Y%m%d"))
    | st.tuples(st.integers(1900, 2100), st.integers(1, 12), st.integers(32, 99)).map(
        lambda t: f"{t[0]}-{t[1]:02d}-{t[2]}"
    )
)
bad_diameters = st.floats(max_value=-1e-9, allow_infinity=False).map(repr) | cell.filter(
    lambda s: not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", s.strip(), re.ASCII)
)
bad_grades = (
    st.sampled_from(["0", "6", "x", "-1", "2.5", "10", "III", "grade 3"])
    | st.integers().filter(lambda g: not 1 <= g <= 5).map(str)
    | cell.filter(
        lambda s: s.strip() not in {"1", "2", "3", "4", "5"} and not re.fullmatch(r"[+-]?0*[1-5](\.0*)?", s.strip())
    )
)


def _run(files: dict[str, Rows]) -> ParsedImport:
    with tempfile.TemporaryDirectory() as folder:
        return read_bundle(write(Path(folder), files))


def _assert_located(parsed: ParsedImport, file: str, row: int, field: str) -> None:
    assert (file, row, field) in located(parsed.errors), [str(p) for p in parsed.problems]


@settings(max_examples=40, deadline=None)
@given(value=bad_dates, position=st.integers(0, 2), field=st.sampled_from(["onset", "resolution"]))
def test_generated_bad_dates(value: str, position: int, field: str) -> None:
    files = base()
    good = files["adverse_events.csv"][0]
    rows = [dict(good, seq=str(i + 1)) for i in range(3)]
    rows[position][field] = value
    files["adverse_events.csv"] = rows
    _assert_located(_run(files), "adverse_events.csv", position + 1, field)


@settings(max_examples=40, deadline=None)
@given(
    value=bad_diameters,
    position=st.integers(0, 1),
    field=st.sampled_from(["diameter_mm", "short_axis_mm", "viable_mm"]),
)
def test_generated_bad_diameters(value: str, position: int, field: str) -> None:
    files = base()
    files["measurements.csv"][position][field] = value
    _assert_located(_run(files), "measurements.csv", position + 1, field)


@settings(max_examples=40, deadline=None)
@given(value=bad_grades)
def test_generated_bad_grades(value: str) -> None:
    files = base()
    files["adverse_events.csv"][0]["grade"] = value
    _assert_located(_run(files), "adverse_events.csv", 1, "grade")


@settings(max_examples=40, deadline=None)
@given(
    subject=cell.filter(lambda s: s.strip() not in {"S1", "S2"}),
    file=st.sampled_from(
        [
            "cycles.csv",
            "adverse_events.csv",
            "labs.csv",
            "lesions.csv",
            "measurements.csv",
            "reads.csv",
            "adjudications.csv",
            "follow_up.csv",
        ]
    ),
)
def test_generated_unknown_subjects(subject: str, file: str) -> None:
    files = base()
    files[file][0]["subject_id"] = subject
    parsed = _run(files)
    _assert_located(parsed, file, 1, "subject_id")
    assert next(e for e in parsed.errors if e.field == "subject_id").value == subject.strip()
