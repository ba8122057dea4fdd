"""DICOM SR out and in (issue 22 items 3–4): a reader's calipers on the demo images become TID 1500 documents that
highdicom, dciodvfy and dsrdump read, and that come back with the same lesions, tracking UIDs, values and lines."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import highdicom as hd
import pydicom
import pytest
from pydicom.sr.codedict import codes

from hccreview.domain import calipers
from hccreview.domain.calipers import Line
from hccreview.domain.records import LesionKind
from hccreview.services import auth, demo_images
from hccreview.services.review import update_measurement
from hccreview.services.session import StudySession, open_study
from hccreview.services.structured_reports import AMENDED, NEW, UNCHANGED, export_sr, import_sr

SUBJECT = "HCC-001"
PASSWORDS = {"reader1": "reader1-demo", "reader2": "reader2-demo", "admin": "admin-demo"}


def measure_with_calipers(session: StudySession, subject_id: str, reader: str) -> int:
    """Measure ``reader``'s targets of ``subject_id`` on the drawn demo lesions (the generator's truth, as
    tools/screenshot_images.py does); returns how many measurements got a caliper."""
    from hccreview.demo import images as synthetic
    from hccreview.store.database import Store
    from hccreview.store.study_data import load_study

    with Store.open(session.path, migrate=False) as system:  # the plan is drawn from the investigator's records
        data = load_study(system, subject_id=subject_id)
    plans = [p for p in synthetic.plan_subject(data, subject_id) if p.phase == synthetic.PORTAL_VENOUS]
    case = session.data()
    targets = {x.lesion_id for x in case.lesions if x.subject_id == subject_id and x.reader == reader
               and x.kind is LesionKind.TARGET}  # fmt: skip
    rows = session.store.rows("measurements", "subject_id = ? AND reader = ?", [subject_id, reader])
    done = 0
    for plan in plans:
        for truth in plan.lesions:
            row = next((r for r in rows if r["lesion_id"] == truth.lesion_id and r["date"] == plan.date.isoformat()
                        and truth.lesion_id in targets), None)  # fmt: skip
            if row is None:
                continue
            caliper = synthetic.truth_caliper(plan, truth)
            update_measurement(session, measurement_id=int(row["id"]), values={"caliper": caliper},
                               reason="measured on the image")  # fmt: skip
            done += 1
    return done


def measured_demo(path: Path) -> Path:
    """A 6-patient demo study whose first patient's images are drawn and measured by both readers."""
    from hccreview.services.demo_study import build_demo_study

    build_demo_study(path, patients=6)
    with open_study(path) as session:
        auth.sign_in(session, "admin", PASSWORDS["admin"])
        demo_images.generate(session, SUBJECT)
    for reader in ("reader1", "reader2"):
        with open_study(path) as session:
            auth.sign_in(session, reader, PASSWORDS[reader])
            assert measure_with_calipers(session, SUBJECT, reader) > 0
    return path


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return measured_demo(tmp_path_factory.mktemp("sr") / "demo.db")


def _signed(path: Path, user: str) -> StudySession:
    session = open_study(path)
    auth.sign_in(session, user, PASSWORDS[user])
    return session


def test_a_read_round_trips_through_the_sr(study: Path, tmp_path: Path) -> None:
    """read → SR → hd.sr.srread: the same lesion ids, tracking UIDs, long / short values and lines on the same image."""
    with _signed(study, "reader1") as session:
        written = export_sr(session, tmp_path)
        data = session.data()
    measured = [m for m in data.measurements if m.caliper]
    assert {(d.subject_id, d.date) for d in written} == {(m.subject_id, m.date) for m in measured}
    assert all(d.status == NEW and d.path.is_file() and len(d.sha256) == 64 for d in written)
    lesions = {x.lesion_id: x for x in data.lesions if x.subject_id == SUBJECT and x.reader == "reader1"}
    for d in written:
        sr = hd.sr.srread(d.path)
        groups = {g.tracking_identifier: g for g in sr.content.get_image_measurement_groups()}
        assert str(sr.PatientID) == SUBJECT
        for m in (m for m in measured if m.date == d.date):
            group = groups[m.lesion_id]
            assert group.tracking_uid == lesions[m.lesion_id].tracking_uid != ""
            assert group.method == codes.DCM.RECIST1Point1
            (caliper,) = calipers.parse(m.caliper)
            found = {x.name.value: x for x in group.get_measurements()}
            for code, field, line in ((codes.SCT.LongAxis, "diameter_mm", "long"),
                                      (codes.SCT.ShortAxis, "short_axis_mm", "short")):  # fmt: skip
                item = found[code.value]
                assert item.value == pytest.approx(getattr(m, field), abs=0.01)
                (where,) = item.referenced_coordinates
                drawn = caliper.lines[line]
                assert where.value.ravel().tolist() == pytest.approx([*drawn.start, *drawn.end], abs=0.01)
                image = where.ContentSequence[0].ReferencedSOPSequence[0]
                assert str(image.ReferencedSOPInstanceUID) == caliper.sop_instance_uid
                assert str(image.ReferencedSOPClassUID) == pydicom.uid.CTImageStorage


def test_the_baseline_read_names_each_lesion_s_baseline_category(study: Path, tmp_path: Path) -> None:
    with _signed(study, "reader1") as session:
        written = export_sr(session, tmp_path)
        kinds = {x.lesion_id: x.kind for x in session.data().lesions if x.reader == "reader1"}
    first, *later = sorted(written, key=lambda d: d.date)
    expected = {LesionKind.TARGET: "112074", LesionKind.NON_TARGET: "112075"}
    for group in hd.sr.srread(first.path).content.get_image_measurement_groups():
        (category,) = group.get_qualitative_evaluations(name=codes.DCM.BaselineCategory)
        assert category.value.value == expected[kinds[group.tracking_identifier]]
    for d in later:
        groups = hd.sr.srread(d.path).content.get_image_measurement_groups()
        assert groups and all(not g.get_qualitative_evaluations(name=codes.DCM.BaselineCategory) for g in groups)


def test_import_sr_previews_the_lesions_matched_by_tracking_uid(study: Path, tmp_path: Path) -> None:
    with _signed(study, "reader1") as session:
        written = export_sr(session, tmp_path)
        preview = import_sr(session, written[0].path)
        data = session.data()
    rows = {m.lesion_id: m for m in data.measurements if m.reader == "reader1" and m.date == written[0].date}
    assert {g.lesion_id for g in preview.groups} == set(rows)
    assert all(g.matched_by == "tracking UID" for g in preview.groups if rows[g.lesion_id].caliper)
    for g in preview.groups:
        assert g.group.value("diameter_mm") == pytest.approx(rows[g.lesion_id].diameter_mm, abs=0.01)
    assert preview.report.observer == "reader1" and preview.evaluator == "reader1"
    assert preview.lines()[0] == f"{written[0].path.name}: {len(rows)} lesion(s), time point {written[0].visit}"


def _to_legacy(ds: pydicom.Dataset) -> int:
    """Replace the SCT long / short axis codes by the legacy SRT ones (as OHIF / dcmjs write them)."""
    legacy = {"103339001": ("G-A185", "Long Axis"), "103340004": ("G-A186", "Short Axis")}
    changed = 0

    def walk(items: pydicom.Sequence) -> None:
        nonlocal changed
        for item in items:
            for code in item.get("ConceptNameCodeSequence", []):
                if code.CodingSchemeDesignator == "SCT" and code.CodeValue in legacy:
                    code.CodeValue, code.CodeMeaning = legacy[code.CodeValue]
                    code.CodingSchemeDesignator = "SRT"
                    changed += 1
            walk(item.get("ContentSequence", []))

    walk(ds.ContentSequence)
    return changed


def test_an_sr_with_the_legacy_srt_axis_codes_is_read_too(study: Path, tmp_path: Path) -> None:
    with _signed(study, "reader1") as session:
        written = export_sr(session, tmp_path / "out")[0]
        ds = pydicom.dcmread(written.path)
        assert _to_legacy(ds) >= 2
        legacy = tmp_path / "legacy.dcm"
        ds.save_as(legacy)
        modern, old = import_sr(session, written.path), import_sr(session, legacy)
    assert old.report.skipped == ()
    assert [(g.lesion_id, g.group.tracking_uid, g.group.measurements) for g in old.groups] == [
        (g.lesion_id, g.group.tracking_uid, g.group.measurements) for g in modern.groups
    ]


@pytest.mark.skipif(shutil.which("dciodvfy") is None, reason="dciodvfy (dicom3tools) is not installed")
def test_dciodvfy_finds_no_error_in_a_written_sr(study: Path, tmp_path: Path) -> None:
    with _signed(study, "reader1") as session:
        written = export_sr(session, tmp_path)
    for d in written:
        run = subprocess.run(["dciodvfy", str(d.path)], capture_output=True, text=True, check=False)
        lines = (run.stdout + run.stderr).splitlines()
        assert [line for line in lines if line.startswith("Error")] == []


@pytest.mark.skipif(shutil.which("dsrdump") is None, reason="dsrdump (dcmtk) is not installed")
def test_dsrdump_reads_a_written_sr(study: Path, tmp_path: Path) -> None:
    with _signed(study, "reader1") as session:
        written = export_sr(session, tmp_path)[0]
    run = subprocess.run(["dsrdump", str(written.path)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert "Comprehensive SR Document" in run.stdout and '"Long axis"' in run.stdout
    assert '(126081,DCM,"RECIST 1.1")' in run.stdout and 'PNAME:(,,"Person Observer Name")="reader1^"' in run.stdout


def test_a_blinded_reader_exports_only_their_own_reads(study: Path, tmp_path: Path) -> None:
    with _signed(study, "reader2") as session:
        mine = export_sr(session, tmp_path / "reader2")
    assert mine and {d.evaluator for d in mine} == {"reader2"}
    assert {p.name for p in (tmp_path / "reader2" / SUBJECT).iterdir()} == {"reader2"}
    with _signed(study, "admin") as session:
        every = export_sr(session, tmp_path / "admin")
    assert {d.evaluator for d in every} == {"reader1", "reader2"}


def test_exporting_again_writes_nothing_and_an_amended_read_is_a_new_document(study: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copyfile(study, tmp_path / "demo.db"))
    out = tmp_path / "out"
    with _signed(copy, "reader1") as session:
        first = {d.date: d for d in export_sr(session, out)}
        again = export_sr(session, out)
        assert {d.status for d in again} == {UNCHANGED}
        assert {d.path: d.sha256 for d in again} == {d.path: d.sha256 for d in first.values()}
        row = next(m for m in session.store.rows("measurements", "reader = 'reader1' AND caliper != ''", []))
        (caliper,) = calipers.parse(row["caliper"])
        long = caliper.lines["long"]
        moved = caliper.with_line("long", Line(long.start, (long.end[0] + 4.0, long.end[1])))
        update_measurement(session, measurement_id=int(row["id"]), values={"caliper": moved}, reason="re-measured")
        amended = {d.date: d for d in export_sr(session, out)}
    day = next(d for d in amended if d.isoformat() == row["date"])
    changed = amended[day]
    assert changed.status == AMENDED and changed.predecessor == first[day].path
    assert changed.path.name == f"{day.isoformat()}_SR_2.dcm" and first[day].path.is_file()
    ds = pydicom.dcmread(changed.path)
    predecessor = ds.PredecessorDocumentsSequence[0].ReferencedSeriesSequence[0].ReferencedSOPSequence[0]
    assert predecessor.ReferencedSOPInstanceUID == pydicom.dcmread(first[day].path).SOPInstanceUID
    assert {d.status for d in amended.values() if d.date != day} <= {UNCHANGED}
