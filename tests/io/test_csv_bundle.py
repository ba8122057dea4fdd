"""CSV bundle: lossless round trip, partial dates, the example bundle, the templates, encodings and notes."""

from __future__ import annotations

import csv
import dataclasses
import tempfile
from datetime import UTC, date, datetime
from importlib.resources import files
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hccreview.domain import records as r
from hccreview.io.csv_bundle import LAB_UNITS_KEY, STUDY_FILE, TABLE_FILES, bundle_columns, read_bundle
from hccreview.io.csv_bundle_write import write_bundle

TEMPLATES = Path(str(files("hccreview.resources") / "templates"))
EXAMPLE = TEMPLATES / "example"
STORE_TABLES = (
    "subjects",
    "child_pugh",
    "cycles",
    "adverse_events",
    "labs",
    "lesions",
    "measurements",
    "reads",
    "adjudications",
    "follow_up",
)


def full_study() -> r.StudyData:
    """Every record kind, with edge values: None everywhere allowed, unicode, quotes, line breaks, exact floats."""
    settings_ = r.StudySettings(
        title='Étude HCC — 肝癌, "phase II"',
        protocol="P-01",
        criteria=r.Criteria.MRECIST,
        confirmation_days=30,
        min_sd_days=35,
        max_nr_ne=2,
        accept_sd=True,
        origin=r.Origin.RANDOMISATION,
        assessment_interval_days=56,
        missed_assessments_for_censoring=3,
        assessment_window_days=10,
        child_pugh_variant=r.ChildPughVariant.ALBUMIN_30,
        discordance_pd_days=7,
        drug="lénalidomide",
    )
    subjects = (
        r.Subject(
            "S-001",
            site="Zürich",
            sex="F",
            age=61,
            etiology="HBV",
            bclc_stage="C",
            ecog=1,
            prior_sorafenib="progressed",
            extrahepatic=True,
            macrovascular_invasion=False,
            afp_ng_ml=0.1 + 0.2,
            arm="A",
            birth_date=date(1952, 2, 29),
            enrolment_date=date(2014, 1, 2),
            randomisation_date=date(2014, 1, 3),
            first_dose_date=date(2014, 1, 6),
        ),
        r.Subject("S-002"),  # every optional field blank, every default
        r.Subject('S-003, "quoted"', site="Line\nbreak", age=0, ecog=0, afp_ng_ml=1e-300, screen_failure=True),
    )
    child_pugh = (
        r.ChildPughComponents("S-001", 1.2345678901234567, 3.5, 1.1, "none", "grade 1-2"),
        r.ChildPughComponents('S-003, "quoted"', bilirubin_mg_dl=3.0000000000000004, ascites="Moderate – severe"),
    )
    cycles = (
        r.Cycle("S-001", 1, date(2014, 1, 6), 25.0, days_dosed=21),
        r.Cycle(
            "S-001",
            2,
            date(2014, 2, 10),
            12.5,
            delay_days=7,
            reduced=True,
            reason="Grade 3 fatigue — G3",
            drug="lénalidomide",
        ),
    )
    aes = (
        r.AdverseEvent(
            "S-001",
            1,
            "Fatigue",
            "General disorders",
            3,
            onset=date(2014, 1, 20),
            resolution=date(2014, 2, 1),
            attribution="probable",
            serious=True,
            action="dose reduced",
            outcome="recovered",
        ),
        r.AdverseEvent("S-001", 2, "Prurit ✓", severity="MILD"),
    )
    labs = (
        r.LabResult("S-001", "BILI", 1.2345678901234567, "mg/dL", date(2014, 1, 2), 0.2, 1.2),
        r.LabResult("S-001", "INR", 1.1, "", None),
        r.LabResult("S-001", "NEUT", 5e-324, "10^9/L", date(2014, 2, 1), lln=1.5),
    )
    lesions = (
        r.Lesion("S-001", "investigator", "T01", r.LesionKind.TARGET, "liver", "segment VIII", method="CT"),
        r.Lesion("S-001", "investigator", "NT01", r.LesionKind.NON_TARGET, "portal vein"),
        r.Lesion("S-001", "investigator", "N01", r.LesionKind.NEW),
        r.Lesion("S-001", "dr. Müller", "T01", r.LesionKind.TARGET, "lymph node", is_node=True),
    )
    measurements = (
        r.Measurement("S-001", "investigator", "T01", date(2014, 1, 2), "Baseline", 52.1, None, 48.0),
        r.Measurement("S-001", "investigator", "NT01", date(2014, 1, 2), "Baseline"),
        r.Measurement(
            "S-001", "investigator", "T01", date(2014, 3, 5), "Week 8", None, status=r.LesionStatus.TOO_SMALL
        ),
        r.Measurement(
            "S-001", "investigator", "NT01", date(2014, 3, 5), "Week 8", status=r.LesionStatus.UNEQUIVOCAL_PROGRESSION
        ),
        r.Measurement(
            "S-001", "investigator", "N01", date(2014, 3, 5), "Week 8", 0.0, status=r.LesionStatus.ABSENT, method="MRI"
        ),
        r.Measurement("S-001", "dr. Müller", "T01", date(2014, 1, 2), "", 20.0, 15.000000000000002),
        r.Measurement(
            "S-001", "dr. Müller", "T01", date(2014, 2, 28), "", None, None, None, r.LesionStatus.NOT_ASSESSED
        ),
    )
    reads = (
        r.Read(
            "S-001",
            "investigator",
            r.ReadRole.INVESTIGATOR,
            date(2014, 3, 5),
            "Week 8",
            "PR",
            "PR",
            "NON-CR/NON-PD",
            False,
        ),
        r.Read(
            "S-001",
            "dr. Müller",
            r.ReadRole.READER,
            date(2014, 2, 28),
            overall="CHECK",
            date_imputed=True,
            accepted=True,
        ),
        r.Read("S-001", "rules", r.ReadRole.COMPUTED, date(2014, 3, 5), overall="PD", new_lesion=True),
    )
    adjudications = (
        r.Adjudication("S-001", "dr. Müller", "Reader 2: lesion\nmargins clearer", "adj", None),
        r.Adjudication(
            "S-001", "investigator", "re-opened", "adj", datetime(2014, 7, 1, 9, 30, 5, 123456, tzinfo=UTC), signed=True
        ),
    )
    follow_up = (
        r.FollowUp("S-001", date(2014, 9, 1), "progressive disease", date(2014, 9, 1)),
        r.FollowUp("S-002", last_known_alive=date(2015, 1, 31)),
        r.FollowUp('S-003, "quoted"'),
    )
    return r.StudyData(
        settings_, subjects, child_pugh, cycles, aes, labs, lesions, measurements, reads, adjudications, follow_up
    )


def records_of(data: r.StudyData) -> dict[str, list[object]]:
    return {table: list(getattr(data, table)) for table in STORE_TABLES}


def test_round_trip_is_lossless(tmp_path: Path) -> None:
    data = full_study()
    paths = write_bundle(data, tmp_path / "bundle")
    assert [p.name for p in paths] == [STUDY_FILE, *TABLE_FILES.values()]
    parsed = read_bundle(tmp_path / "bundle")
    assert parsed.errors == []
    assert parsed.records == records_of(data)
    assert r.StudySettings(**parsed.settings) == data.settings  # type: ignore[arg-type]
    assert parsed.notes == []
    assert parsed.counts["measurements.csv"] == len(data.measurements)


def test_round_trip_is_stable_when_written_again(tmp_path: Path) -> None:
    data = full_study()
    write_bundle(data, tmp_path / "a")
    parsed = read_bundle(tmp_path / "a")
    again = r.StudyData(r.StudySettings(**parsed.settings), **{t: tuple(v) for t, v in parsed.records.items()})  # type: ignore[arg-type]
    write_bundle(again, tmp_path / "b")
    for name in [STUDY_FILE, *TABLE_FILES.values()]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_si_lab_values_come_back_as_stored(tmp_path: Path) -> None:
    """An SDTM-imported study keeps SI lab units; its export says ``lab_units,as_given`` so nothing is converted."""
    labs = (
        r.LabResult("S-001", "BILI", 34.2, "umol/L", date(2014, 1, 2), 5.0, 21.0),
        r.LabResult("S-001", "ALB", 35.0, "g/L", date(2014, 1, 2)),
    )
    data = dataclasses.replace(full_study(), labs=labs)
    write_bundle(data, tmp_path)
    parsed = read_bundle(tmp_path)
    assert parsed.records["labs"] == list(labs)
    assert [w for w in parsed.warnings if "converted" in w.reason] == []
    assert LAB_UNITS_KEY not in parsed.settings
    _rewrite(tmp_path / "study.csv", {len(dataclasses.fields(r.StudySettings)) + 1: {"value": ""}})  # default
    converted = read_bundle(tmp_path).records["labs"]
    assert [(x.value, x.unit, x.lln) for x in converted] == [(2.0, "mg/dL", 0.2923976608), (3.5, "g/dL", None)]  # type: ignore[attr-defined]


def test_written_files_are_readable_by_a_spreadsheet(tmp_path: Path) -> None:
    """UTF-8 with BOM, a header of the record fields, None as an empty cell, floats exact, booleans yes/no."""
    write_bundle(full_study(), tmp_path)
    raw = (tmp_path / "subjects.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines(keepends=True)))
    assert list(rows[0]) == bundle_columns("subjects")
    assert rows[0]["afp_ng_ml"] == "0.30000000000000004"
    assert rows[0]["extrahepatic"] == "yes" and rows[0]["macrovascular_invasion"] == "no"
    assert rows[1]["age"] == "" and rows[1]["bilirubin_mg_dl"] == ""
    assert rows[0]["birth_date"] == "1952-02-29"


def test_write_refuses_what_a_bundle_cannot_hold(tmp_path: Path) -> None:
    data = full_study()
    with pytest.raises(ValueError, match="two Child-Pugh records"):
        write_bundle(dataclasses.replace(data, child_pugh=data.child_pugh * 2), tmp_path)
    with pytest.raises(ValueError, match="not in the study"):
        write_bundle(dataclasses.replace(data, child_pugh=(r.ChildPughComponents("nobody", 1.0),)), tmp_path)
    bad = dataclasses.replace(data, labs=(r.LabResult("S-001", "X", float("nan"), "", None),))
    with pytest.raises(ValueError, match="non-finite"):
        write_bundle(bad, tmp_path)


finite = st.floats(allow_nan=False, allow_infinity=False)
text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20).filter(lambda s: s == s.strip())


@settings(max_examples=60, deadline=None)
@given(
    diameter=st.none() | st.floats(min_value=0, max_value=1000),  # over 1000 mm is refused (implausible)
    value=finite,
    lln=st.none() | finite,
    visit=text,
    day=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    subject=text.filter(bool),
)
def test_round_trip_property(
    diameter: float | None, value: float, lln: float | None, visit: str, day: date, subject: str
) -> None:
    data = r.StudyData(
        r.StudySettings(title=visit or "t"),
        subjects=(r.Subject(subject, site=visit, first_dose_date=day),),
        labs=(r.LabResult(subject, "TEST", value, visit, day, lln=lln),),
        lesions=(r.Lesion(subject, "reader", "L1", r.LesionKind.TARGET),),
        measurements=(r.Measurement(subject, "reader", "L1", day, visit, diameter),),
    )
    with tempfile.TemporaryDirectory() as folder:
        write_bundle(data, Path(folder))
        parsed = read_bundle(Path(folder))
    assert parsed.errors == []
    assert parsed.records == records_of(data)


def test_partial_assessment_dates_are_imputed_to_the_end_of_the_period(tmp_path: Path) -> None:
    write_bundle(full_study(), tmp_path)
    _rewrite(tmp_path / "measurements.csv", {1: {"date": "2016-02"}, 2: {"date": "2014-12"}})
    _rewrite(tmp_path / "reads.csv", {1: {"date": "2014-03", "date_imputed": "no"}, 3: {"date": "2015"}})
    parsed = read_bundle(tmp_path)
    assert parsed.errors == []
    dates = [m.date for m in parsed.records["measurements"]]  # type: ignore[attr-defined]
    assert dates[:2] == [date(2016, 2, 29), date(2014, 12, 31)]
    reads = parsed.records["reads"]
    assert (reads[0].date, reads[0].date_imputed) == (date(2014, 3, 31), True)  # type: ignore[attr-defined]
    assert (reads[2].date, reads[2].date_imputed) == (date(2015, 12, 31), True)  # type: ignore[attr-defined]
    imputed = [(p.file, p.row, p.field) for p in parsed.warnings if "imputed" in p.reason]
    assert imputed == [
        ("measurements.csv", 1, "date"),
        ("measurements.csv", 2, "date"),
        ("reads.csv", 1, "date"),
        ("reads.csv", 3, "date"),
    ]


def _rewrite(path: Path, changes: dict[int, dict[str, str]]) -> None:
    """Change cells of a bundle file (data rows 1-based)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for number, cells in changes.items():
        rows[number - 1].update(cells)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


# ---------------------------------------------------------------------------------------------- example, templates
def test_example_bundle_imports_clean() -> None:
    parsed = read_bundle(EXAMPLE)
    assert parsed.problems == [] and parsed.notes == []
    recs = parsed.records
    assert len(recs["subjects"]) == 3 and len(recs["child_pugh"]) == 3
    assert all(recs[t] for t in STORE_TABLES)
    roles = {(read.reader, read.role) for read in recs["reads"]}  # type: ignore[attr-defined]
    assert roles == {("investigator", r.ReadRole.INVESTIGATOR), ("central1", r.ReadRole.READER)}
    for subject in recs["subjects"]:
        dates = {m.date for m in recs["measurements"] if m.subject_id == subject.subject_id}  # type: ignore[attr-defined]
        assert len(dates) == 3, subject  # baseline and two follow-ups
    assert parsed.settings["criteria"] is r.Criteria.RECIST11


def test_example_bundle_round_trips(tmp_path: Path) -> None:
    parsed = read_bundle(EXAMPLE)
    data = r.StudyData(r.StudySettings(**parsed.settings), **{t: tuple(v) for t, v in parsed.records.items()})  # type: ignore[arg-type]
    write_bundle(data, tmp_path)
    assert read_bundle(tmp_path).records == parsed.records


@pytest.mark.parametrize("table", list(TABLE_FILES))
def test_template_headers_match_the_record_fields(table: str) -> None:
    for folder in (TEMPLATES, EXAMPLE):
        with (folder / TABLE_FILES[table]).open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh))
        assert header == bundle_columns(table), folder
    fields = [f.name for f in dataclasses.fields(_record_type(table))]
    assert bundle_columns(table)[: len(fields)] == fields


def _record_type(table: str) -> type:
    return {
        "subjects": r.Subject,
        "cycles": r.Cycle,
        "adverse_events": r.AdverseEvent,
        "labs": r.LabResult,
        "lesions": r.Lesion,
        "measurements": r.Measurement,
        "reads": r.Read,
        "adjudications": r.Adjudication,
        "follow_up": r.FollowUp,
    }[table]


def test_subjects_template_carries_the_child_pugh_components() -> None:
    cp_fields = [f.name for f in dataclasses.fields(r.ChildPughComponents) if f.name != "subject_id"]
    assert bundle_columns("subjects")[-len(cp_fields) :] == cp_fields


def test_study_template_lists_every_setting() -> None:
    with (TEMPLATES / STUDY_FILE).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["key", "value"]
    assert [row[0] for row in rows[1:]] == [*(f.name for f in dataclasses.fields(r.StudySettings)), LAB_UNITS_KEY]
    assert all(row[1] == "" for row in rows[1:])  # blank = the default


def test_blank_templates_read_as_an_empty_bundle() -> None:
    parsed = read_bundle(TEMPLATES)
    assert parsed.problems == [] and parsed.settings == {}
    assert all(v == [] for v in parsed.records.values())


# ---------------------------------------------------------------------------------------------- encodings, notes
def _subjects(folder: Path, content: bytes) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "subjects.csv").write_bytes(content)
    return folder


def test_windows_1252_is_read_with_a_note(tmp_path: Path) -> None:
    folder = _subjects(tmp_path, "subject_id,site\nS1,Zürich – Süd\n".encode("cp1252"))
    parsed = read_bundle(folder)
    assert parsed.errors == []
    assert parsed.records["subjects"][0].site == "Zürich – Süd"  # type: ignore[attr-defined]
    assert any("Windows-1252" in n for n in parsed.notes)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_utf8_with_or_without_bom(tmp_path: Path, bom: bytes) -> None:
    parsed = read_bundle(_subjects(tmp_path, bom + "subject_id,site\nS1,肝癌\n".encode()))
    assert parsed.problems == [] and parsed.notes == []
    assert parsed.records["subjects"][0].site == "肝癌"  # type: ignore[attr-defined]


def test_utf16_is_refused_with_advice(tmp_path: Path) -> None:
    parsed = read_bundle(_subjects(tmp_path, "subject_id\nS1\n".encode("utf-16")))
    assert [(e.file, e.row) for e in parsed.errors] == [("subjects.csv", None)]
    assert "CSV UTF-8" in parsed.errors[0].reason


def test_semicolons_headers_and_blank_rows_are_tolerated(tmp_path: Path) -> None:
    """Spreadsheet habits: ';' separators, 'Subject ID' headers, blank lines; rows keep their numbers."""
    parsed = read_bundle(_subjects(tmp_path, b"Subject ID;Age\nS1;60\n\n;\nS2;x\n"))
    assert [(e.row, e.field) for e in parsed.errors] == [(4, "age")]
    assert any("semicolons" in n for n in parsed.notes)
    assert parsed.counts == {"subjects.csv": 2}


def test_unknown_columns_files_and_settings_are_notes(tmp_path: Path) -> None:
    folder = _subjects(tmp_path, b"subject_id,favourite_colour\nS1,blue\n")
    (folder / "notes.txt").write_text("hello")
    (folder / "study.csv").write_text("key,value\ntitle,T\nlucky_number,7\n")
    parsed = read_bundle(folder)
    assert parsed.problems == []
    assert parsed.settings == {"title": "T"}
    assert len(parsed.notes) == 3
    assert any("favourite_colour" in n for n in parsed.notes) and any("notes.txt" in n for n in parsed.notes)
    assert any("lucky_number" in n for n in parsed.notes)


def test_optional_files_and_columns_may_be_left_out(tmp_path: Path) -> None:
    parsed = read_bundle(_subjects(tmp_path, b"subject_id\nS1\n"))
    assert parsed.problems == []
    assert parsed.records["subjects"] == [r.Subject("S1")]
    assert parsed.records["child_pugh"] == []


def test_child_pugh_record_only_when_a_component_is_given(tmp_path: Path) -> None:
    folder = _subjects(tmp_path, b"subject_id,inr,ascites\nS1,,\nS2,1.3,\nS3,,Mild\n")
    parsed = read_bundle(folder)
    assert parsed.problems == []
    assert parsed.records["child_pugh"] == [
        r.ChildPughComponents("S2", inr=1.3),
        r.ChildPughComponents("S3", ascites="Mild"),
    ]


def test_the_docs_describe_every_file_and_column() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "csv-bundle.md").read_text(encoding="utf-8")
    sections = {part.split("`", 1)[0]: part for part in doc.split("\n## `")[1:]}
    settings_rows = sections[STUDY_FILE]
    for key in [*(f.name for f in dataclasses.fields(r.StudySettings)), LAB_UNITS_KEY]:
        assert f"| `{key}` |" in settings_rows, key
    for table, name in TABLE_FILES.items():
        for column in bundle_columns(table):
            assert f"| `{column}` |" in sections[name], (name, column)
