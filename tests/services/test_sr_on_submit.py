"""DICOM SR out at submission (issue 22 item 3): submitting a timepoint read stores its TID 1500 SR and its Key
Object Selection in the study, audited by SHA-256, filtered like the reader's lesions, checked by ``verify`` and
exported byte for byte by ``export-sr``."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from pathlib import Path

import highdicom as hd
import pydicom
import pytest
from pydicom.sr.codedict import codes

from hccreview.domain import calipers
from hccreview.services import auth, images, reading
from hccreview.services import structured_reports as srs
from hccreview.services.review import ValidationError
from hccreview.services.session import StudySession, open_study
from hccreview.services.structured_reports import BUILT_NOW, NEW, STORED, UNCHANGED, export_sr
from hccreview.services.verify import verify_study
from hccreview.store import structured_reports as documents
from hccreview.store.users import AuthError
from tests.services.test_structured_reports import PASSWORDS, SUBJECT, measured_demo

PASSWORDS = {**PASSWORDS, "adjudicator": "adjudicator-demo"}
WRITTEN = "written when the read was submitted"


def signed(path: Path, user: str) -> StudySession:
    session = open_study(path)
    auth.sign_in(session, user, PASSWORDS[user])
    return session


def first_read_day(session: StudySession, reader: str, subject_id: str = SUBJECT) -> date:
    """The first date ``reader`` has a read of ``subject_id`` at."""
    rows = session.store.rows("reads", "subject_id = ? AND reader = ?", [subject_id, reader], order_by="date")
    return date.fromisoformat(rows[0]["date"])


def last_read_day(session: StudySession, reader: str, subject_id: str = SUBJECT) -> date:
    """The last date ``reader`` has a read of ``subject_id`` at (not submitted in :func:`submitted_demo`)."""
    rows = session.store.rows("reads", "subject_id = ? AND reader = ?", [subject_id, reader], order_by="date")
    return date.fromisoformat(rows[-1]["date"])


@dataclass(frozen=True)
class Submitted:
    """A measured demo study where reader1 marked one more key image and submitted their first read of SUBJECT,
    and reader2 submitted theirs of the same date."""

    path: Path
    day: date
    manual_key_image: str  # the SOP Instance UID reader1 marked


def submitted_demo(path: Path) -> Submitted:
    measured_demo(path)
    with signed(path, "reader1") as session:
        day = first_read_day(session, "reader1")
        measured = [m for m in session.data().measurements if m.reader == "reader1" and m.date == day and m.caliper]
        caliper = calipers.parse(measured[0].caliper)[0]
        other = next(i for i in images.instances(session, caliper.series_uid)
                     if i.sop_instance_uid != caliper.sop_instance_uid)  # fmt: skip
        session.store.insert("key_images", {
            "subject_id": SUBJECT, "reader": "reader1", "date": day.isoformat(), "series_uid": caliper.series_uid,
            "sop_instance_uid": other.sop_instance_uid, "frame": 1, "note": "equivocal new lesion",
            "created_at": "2026-01-01T00:00:00+00:00",
        })  # fmt: skip
        reading.submit_read(session, SUBJECT, day, password=PASSWORDS["reader1"])
    with signed(path, "reader2") as session:
        reading.submit_read(session, SUBJECT, day, password=PASSWORDS["reader2"])
    return Submitted(path, day, other.sop_instance_uid)


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Submitted:
    return submitted_demo(tmp_path_factory.mktemp("sr-submit") / "demo.db")


def _copy(study: Submitted, tmp_path: Path) -> Path:
    return Path(shutil.copyfile(study.path, tmp_path / "demo.db"))


def _audit(path: Path, table: str = "structured_reports") -> list[dict[str, object]]:
    with sqlite3.connect(path) as conn:
        cur = conn.execute("SELECT * FROM audit_log WHERE table_name = ? ORDER BY seq", [table])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur]


def _dataset(session: StudySession, uid: str) -> pydicom.Dataset:
    return pydicom.dcmread(BytesIO(documents.document_bytes(session.store, uid)))


def test_submitting_a_read_stores_one_sr_and_one_kos_audited_by_their_sha256(study: Submitted) -> None:
    with signed(study.path, "reader1") as session:
        rows = documents.document_rows(session.store, reader="reader1")
        data = {r["sop_instance_uid"]: documents.document_bytes(session.store, r["sop_instance_uid"]) for r in rows}
    assert sorted(r["kind"] for r in rows) == ["KOS", "SR"]
    assert all((r["subject_id"], r["date"], r["predecessor_uid"]) == (SUBJECT, study.day.isoformat(), "")
               for r in rows)  # fmt: skip
    entries = {e["row_key"]: e for e in _audit(study.path) if e["username"] == "reader1"}
    for r in rows:
        digest = hashlib.sha256(data[r["sop_instance_uid"]]).hexdigest()
        entry = entries[r["sop_instance_uid"]]
        logged = json.loads(str(entry["new_value"]))
        assert r["sha256"] == digest == logged["sha256"] and r["size"] == len(data[r["sop_instance_uid"]])
        assert "document" not in logged and entry["action"] == "create" and entry["reason"] == WRITTEN


def test_the_stored_sr_says_the_read(study: Submitted) -> None:
    """hd.sr.srread of the stored bytes: one group per lesion measured that day, with its tracking identifier and
    UID, long / short axis (with their lines where a caliper gave them), RECIST 1.1, the visit, the reader."""
    with signed(study.path, "reader1") as session:
        (row,) = documents.document_rows(session.store, reader="reader1", kind="SR")
        sr = hd.sr.srread(BytesIO(documents.document_bytes(session.store, row["sop_instance_uid"])))
        data = session.data()
    measured = {m.lesion_id: m for m in data.measurements if m.reader == "reader1" and m.date == study.day}
    lesions = {x.lesion_id: x for x in data.lesions if x.reader == "reader1" and x.subject_id == SUBJECT}
    groups = {g.tracking_identifier: g for g in sr.content.get_image_measurement_groups()}
    assert set(groups) == set(measured) and row["visit"] == measured[next(iter(measured))].visit != ""
    assert str(sr.PatientID) == SUBJECT and sr.PreliminaryFlag == "FINAL" and "PredecessorDocumentsSequence" not in sr
    for lesion_id, m in measured.items():
        group = groups[lesion_id]
        stored_uid = lesions[lesion_id].tracking_uid  # a lesion never measured on an image: a UID derived from it
        assert group.tracking_uid == stored_uid if stored_uid else str(group.tracking_uid).startswith("2.25.")
        assert group.method == codes.DCM.RECIST1Point1
        (point,) = [item for item in group[0].ContentSequence if item.ConceptNameCodeSequence[0].CodeValue == "126070"]
        assert point.TextValue == row["visit"]
        found = {x.name.value: x for x in group.get_measurements()}
        if m.diameter_mm is not None:
            assert found[codes.SCT.LongAxis.value].value == pytest.approx(m.diameter_mm, abs=0.01)
        if m.caliper:
            (caliper,) = calipers.parse(m.caliper)
            (where,) = found[codes.SCT.LongAxis.value].referenced_coordinates
            drawn = caliper.lines["long"]
            assert where.value.ravel().tolist() == pytest.approx([*drawn.start, *drawn.end], abs=0.01)
    observer = {str(i.ConceptNameCodeSequence[0].CodeMeaning): i for i in sr.ContentSequence}
    assert str(observer["Person Observer Name"].PersonName) == "Dr Ana Reader (central reader 1)^"
    assert observer["Person Observer's Login Name"].TextValue == "reader1"


def test_the_kos_lists_the_read_s_key_images_and_its_sr(study: Submitted) -> None:
    with signed(study.path, "reader1") as session:
        sr_row, kos_row = (documents.document_rows(session.store, reader="reader1", kind=k)[0] for k in ("SR", "KOS"))
        kos = _dataset(session, kos_row["sop_instance_uid"])
        day_calipers = [c for m in session.data().measurements if m.reader == "reader1" and m.date == study.day
                        for c in calipers.parse(m.caliper)]  # fmt: skip
    title = kos.ConceptNameCodeSequence[0]
    assert (title.CodeValue, title.CodingSchemeDesignator, title.CodeMeaning) == ("113000", "DCM", "Of Interest")
    referenced = [(i.ValueType, str(i.ReferencedSOPSequence[0].ReferencedSOPInstanceUID))
                  for i in kos.ContentSequence if i.ValueType in ("IMAGE", "COMPOSITE")]  # fmt: skip
    slices = list(dict.fromkeys(c.sop_instance_uid for c in day_calipers))
    assert referenced == [*(("IMAGE", uid) for uid in [*slices, study.manual_key_image]),
                          ("COMPOSITE", sr_row["sop_instance_uid"])]  # fmt: skip
    assert kos.SOPClassUID == pydicom.uid.KeyObjectSelectionDocumentStorage and kos.PatientID == SUBJECT


def _dciodvfy_errors(path: Path) -> list[str]:
    run = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, check=False)
    return [line for line in (run.stdout + run.stderr).splitlines() if line.startswith("Error")]


@pytest.mark.skipif(shutil.which("dciodvfy") is None, reason="dciodvfy (dicom3tools) is not installed")
def test_dciodvfy_finds_no_error_in_the_stored_sr_and_kos(study: Submitted, tmp_path: Path) -> None:
    with signed(study.path, "reader1") as session:
        rows = documents.document_rows(session.store, reader="reader1")
        for r in rows:
            (tmp_path / f"{r['kind']}.dcm").write_bytes(documents.document_bytes(session.store, r["sop_instance_uid"]))
    assert {r["kind"] for r in rows} == {"SR", "KOS"}
    assert {k: _dciodvfy_errors(tmp_path / f"{k}.dcm") for k in ("SR", "KOS")} == {"SR": [], "KOS": []}


@pytest.mark.skipif(shutil.which("dsrdump") is None, reason="dsrdump (dcmtk) is not installed")
def test_dsrdump_reads_the_stored_sr(study: Submitted, tmp_path: Path) -> None:
    with signed(study.path, "reader1") as session:
        (row,) = documents.document_rows(session.store, reader="reader1", kind="SR")
        (tmp_path / "sr.dcm").write_bytes(documents.document_bytes(session.store, row["sop_instance_uid"]))
    run = subprocess.run(["dsrdump", str(tmp_path / "sr.dcm")], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert "Comprehensive SR Document" in run.stdout and "Preliminary Flag    : FINAL" in run.stdout
    assert 'PNAME:(,,"Person Observer Name")="Dr Ana Reader (central reader 1)^"' in run.stdout


def test_a_blinded_reader_sees_only_their_own_documents_and_the_adjudicator_both(study: Submitted) -> None:
    with signed(study.path, "reader1") as session:
        mine = documents.document_rows(session.store)
        other = [r["sop_instance_uid"] for r in _rows_of(study.path, "reader2")]
        with pytest.raises(PermissionError):
            documents.document_bytes(session.store, other[0])
    with signed(study.path, "adjudicator") as session:
        every = documents.document_rows(session.store)
    assert {r["reader"] for r in mine} == {"reader1"} and len(mine) == 2
    assert sorted((r["reader"], r["kind"]) for r in every) == [("reader1", "KOS"), ("reader1", "SR"),
                                                                ("reader2", "KOS"), ("reader2", "SR")]  # fmt: skip


def _rows_of(path: Path, reader: str) -> list[dict[str, str]]:
    with sqlite3.connect(path) as conn:
        cur = conn.execute("SELECT sop_instance_uid, kind FROM structured_reports WHERE reader = ?", [reader])
        return [{"sop_instance_uid": uid, "kind": kind} for uid, kind in cur]


def test_a_wrong_password_writes_neither_the_submission_nor_documents(study: Submitted, tmp_path: Path) -> None:
    path = _copy(study, tmp_path)
    with signed(path, "reader1") as session:
        day = last_read_day(session, "reader1")
        with pytest.raises(AuthError):
            reading.submit_read(session, SUBJECT, day, password="wrong")
        assert not reading.get_reads(session, SUBJECT, "reader1").entries[-1].submitted_at
        assert documents.document_rows(session.store, day=day.isoformat()) == []
    assert len(_audit(path)) == len(_audit(study.path))


def test_a_document_that_cannot_be_built_rolls_the_submission_back(
    study: Submitted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _copy(study, tmp_path)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise ValueError("Coded concept value exceeds 16 characters")

    monkeypatch.setattr(srs.dicom_sr, "build_measurement_report", refuse)
    with signed(path, "reader1") as session:
        day = last_read_day(session, "reader1")
        with pytest.raises(ValidationError) as refused:
            reading.submit_read(session, SUBJECT, day, password=PASSWORDS["reader1"])
        assert not reading.get_reads(session, SUBJECT, "reader1").entries[-1].submitted_at
        assert documents.document_rows(session.store, day=day.isoformat()) == []
    assert refused.value.reason == (
        f"not submitted: {SUBJECT} {day}: the DICOM documents of the read cannot be built "
        "(Coded concept value exceeds 16 characters)"
    )
    assert len(_audit(path)) == len(_audit(study.path))
    assert len(_audit(path, "reads")) == len(_audit(study.path, "reads"))


def test_an_image_missing_from_the_index_does_not_stop_a_submission(
    study: Submitted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The values measured on an image the index lacks are written without their lines, named in the audit entry;
    with no located image the SR lists no evidence, and there is no KOS."""
    path = _copy(study, tmp_path)
    monkeypatch.setattr(srs.images, "series_for", lambda _session, _subject: [])
    with signed(path, "reader1") as session:
        day = last_read_day(session, "reader1")
        lesion_ids = sorted(m.lesion_id for m in session.data().measurements
                            if m.reader == "reader1" and m.date == day and m.caliper)  # fmt: skip
        reading.submit_read(session, SUBJECT, day, password=PASSWORDS["reader1"])
        (row,) = documents.document_rows(session.store, day=day.isoformat())
        sr = _dataset(session, row["sop_instance_uid"])
    assert lesion_ids and row["kind"] == "SR" and "CurrentRequestedProcedureEvidenceSequence" not in sr
    report = hd.sr.srread(BytesIO(_bytes(sr)))
    values = [m for g in report.content.get_image_measurement_groups() for m in g.get_measurements()]
    assert values and all(not m.referenced_coordinates for m in values)
    reason = str(_audit(path)[-1]["reason"])
    assert reason.startswith(f"{WRITTEN}; without coordinates (image not in the index): {lesion_ids[0]} ({SUBJECT}: ")
    assert reason.endswith("no KOS: no key image of this read is in the image index")
    if shutil.which("dciodvfy") is not None:
        (tmp_path / "sr.dcm").write_bytes(_bytes(sr))
        assert _dciodvfy_errors(tmp_path / "sr.dcm") == []


def _bytes(ds: pydicom.Dataset) -> bytes:
    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def test_a_read_with_no_lesion_that_day_gets_no_sr_but_its_key_images_a_kos(study: Submitted, tmp_path: Path) -> None:
    """highdicom writes no TID 1500 report without a measurement group: such a read is submitted without an SR, and
    the audit entry of its KOS says why."""
    path = _copy(study, tmp_path)
    subject, day = "HCC-002", date(2012, 1, 2)  # an unscheduled visit: nothing measured that day
    with signed(path, "reader1") as session:
        assert not [m for m in session.data().measurements if m.subject_id == subject and m.date == day]
        reading.record_read(session, subject, day, "UNSCHEDULED", target="", non_target="", new_lesion=False)
        prior = images.series_for(session, subject)[-1]  # the reader marks a slice of the prior scan as key
        key = images.instances(session, prior.series_uid)[0]
        session.store.insert("key_images", {
            "subject_id": subject, "reader": "reader1", "date": day.isoformat(), "series_uid": prior.series_uid,
            "sop_instance_uid": key.sop_instance_uid, "created_at": "2026-01-01T00:00:00+00:00",
        })  # fmt: skip
        reading.submit_read(session, subject, day, password=PASSWORDS["reader1"])
        assert reading.get_reads(session, subject, "reader1").entries[-1].submitted_at
        (row,) = documents.document_rows(session.store, subject_id=subject)
        kos = _dataset(session, row["sop_instance_uid"])
    assert row["kind"] == "KOS" and kos.PatientID == subject
    assert [str(i.ReferencedSOPSequence[0].ReferencedSOPInstanceUID) for i in kos.ContentSequence
            if i.ValueType == "IMAGE"] == [key.sop_instance_uid]  # fmt: skip
    assert _audit(path)[-1]["reason"] == (
        f"{WRITTEN}; no SR: no lesion of this read at this date (a TID 1500 report holds at least one)"
    )
    if shutil.which("dciodvfy") is not None:
        (tmp_path / "ko.dcm").write_bytes(_bytes(kos))
        assert _dciodvfy_errors(tmp_path / "ko.dcm") == []


def test_a_read_submitted_again_gets_an_sr_naming_its_predecessor(study: Submitted, tmp_path: Path) -> None:
    """No service re-opens a submitted read yet: the test clears ``submitted_at`` as a re-opening would."""
    path = _copy(study, tmp_path)
    with signed(path, "reader1") as session:
        with pytest.raises(srs.SRError, match="were written at its submission"):
            srs.write_read_documents(session, SUBJECT, study.day)
        first = {r["kind"]: r for r in documents.document_rows(session.store, reader="reader1")}
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE reads SET submitted_at = NULL WHERE subject_id = ? AND reader = 'reader1' AND date = ?",
                     [SUBJECT, study.day.isoformat()])  # fmt: skip
    with signed(path, "reader1") as session:
        reading.submit_read(session, SUBJECT, study.day, password=PASSWORDS["reader1"])
        rows = documents.document_rows(session.store, reader="reader1")
        later = {r["kind"]: r for r in rows[2:]}
        sr = _dataset(session, later["SR"]["sop_instance_uid"])
    assert len(rows) == 4
    assert later["SR"]["predecessor_uid"] == first["SR"]["sop_instance_uid"]
    assert later["KOS"]["predecessor_uid"] == first["KOS"]["sop_instance_uid"]
    named = sr.PredecessorDocumentsSequence[0].ReferencedSeriesSequence[0].ReferencedSOPSequence[0]
    assert named.ReferencedSOPInstanceUID == first["SR"]["sop_instance_uid"]


def _tamper(path: Path, uid: str, *, also_row: bool) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER IF EXISTS structured_reports_immutable_update")
        (data,) = conn.execute("SELECT document FROM structured_reports WHERE sop_instance_uid = ?", [uid]).fetchone()
        changed = bytes(data[:-1]) + bytes([data[-1] ^ 1])
        digest = hashlib.sha256(changed).hexdigest() if also_row else None
        conn.execute("UPDATE structured_reports SET document = ?, sha256 = coalesce(?, sha256) "
                     "WHERE sop_instance_uid = ?", [changed, digest, uid])  # fmt: skip


def test_verify_checks_every_stored_document_and_names_a_tampered_one(study: Submitted, tmp_path: Path) -> None:
    intact = {c.name: c for c in verify_study(study.path)}["dicom_documents"]
    assert intact.ok and intact.detail == "4 stored DICOM document(s) match their rows and the audit trail"
    (sr_uid,) = [r["sop_instance_uid"] for r in _rows_of(study.path, "reader1") if r["kind"] == "SR"]
    (kos_uid,) = [r["sop_instance_uid"] for r in _rows_of(study.path, "reader2") if r["kind"] == "KOS"]
    path = _copy(study, tmp_path)
    _tamper(path, str(sr_uid), also_row=False)
    _tamper(path, str(kos_uid), also_row=True)
    check = {c.name: c for c in verify_study(path)}["dicom_documents"]
    assert not check.ok
    assert check.detail.split("; ") == [
        f"SR {sr_uid}: the stored document's SHA-256 differs from its row's",
        f"SR {sr_uid}: the stored document's SHA-256 differs from the audit trail's",
        f"KOS {kos_uid}: the stored document's SHA-256 differs from the audit trail's",
    ]


def test_export_writes_the_stored_documents_byte_for_byte(study: Submitted, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with signed(study.path, "reader1") as session:
        stored = {r["sop_instance_uid"]: r for r in documents.document_rows(session.store)}
        written = export_sr(session, out)
        again = export_sr(session, out)
    folder = out / SUBJECT / "reader1"
    mine = [d for d in written if d.origin == STORED]
    assert sorted(d.path for d in mine) == [folder / f"{study.day}_KO.dcm", folder / f"{study.day}_SR.dcm"]
    assert {d.sha256 for d in mine} == {r["sha256"] for r in stored.values()}
    assert all(hashlib.sha256(d.path.read_bytes()).hexdigest() == d.sha256 and d.status == NEW for d in mine)
    built = [d for d in written if d.origin == BUILT_NOW]
    assert built and all(d.kind == "SR" and d.date != study.day for d in built)
    assert {d.status for d in again} == {UNCHANGED} and [d.path for d in again] == [d.path for d in written]
    kos = next(d for d in mine if d.kind == "KOS")
    objects = len(pydicom.dcmread(kos.path).CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence)
    assert objects >= 2  # the caliper slices' series and the SR's
    assert kos.line() == (f"new: {kos.path} ({SUBJECT} reader1 {study.day}: key object selection, {kos.lesions} "
                          f"object(s); stored)")  # fmt: skip
    assert kos.lesions == len([i for i in pydicom.dcmread(kos.path).ContentSequence
                               if i.ValueType in ("IMAGE", "COMPOSITE")]) >= 3  # fmt: skip


def test_a_new_lesion_is_marked_new_and_a_read_without_images_copies_the_subject_and_study() -> None:
    """The writer alone: a lesion new after baseline carries New finding = Yes; without evidence the document
    copies the context's patient and study and lists no evidence; the observer is the account's name."""
    from hccreview.io import dicom_sr

    context = dicom_sr.subject_context(subject_id="HCC-009", study_uid="2.25.1234", study_date=date(2010, 5, 6))
    request = dicom_sr.ReportRequest(
        subject_id="HCC-009", observer="reader1", date=date(2010, 5, 6), visit="WEEK 24", mrecist=True,
        baseline=False, evidence={}, observer_name="Dr Ana Reader^", context=context, final=True,
        lesions=(dicom_sr.ReportLesion("N01", "2.25.99", "new", organ="lung", values={"diameter_mm": 12.0}),),
    )  # fmt: skip
    sr = hd.sr.srread(BytesIO(dicom_sr.document_bytes(dicom_sr.build_measurement_report(request))))
    (group,) = sr.content.get_image_measurement_groups()
    (new,) = group.get_qualitative_evaluations(name=codes.SCT.NewFinding)
    assert new.value == codes.SCT.Yes and group.method.value == "MRECIST" and group.finding_type == codes.SCT.Lesion
    assert (sr.PatientID, sr.StudyInstanceUID, sr.StudyDate, sr.PreliminaryFlag) == ("HCC-009", "2.25.1234",
                                                                                     "20100506", "FINAL")  # fmt: skip
    assert "CurrentRequestedProcedureEvidenceSequence" not in sr and "PertinentOtherEvidenceSequence" not in sr
    names = {str(i.ConceptNameCodeSequence[0].CodeMeaning): i for i in sr.ContentSequence}
    assert str(names["Person Observer Name"].PersonName) == "Dr Ana Reader^"  # PN delimiters are not kept
