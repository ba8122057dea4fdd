"""Images in the study (issue 21 item 1): a folder of DICOM files is previewed against the study's subjects and
assessments, then registered by the admin; unmatched series are listed with their reason, never guessed; a second
import of the same folder changes nothing; a missing or altered file is named; a moved root is re-pointed.

The study is the central-review factory study (C01–C03, scans every 8 weeks: ``tests.factories_central.day``)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from hccreview.domain.access import AccessDenied
from hccreview.domain.changes import ChangeKind, Changes
from hccreview.services import images
from hccreview.services.images import ImagesRefused
from hccreview.services.session import StudySession
from tests.dicom_factory import SYNTAXES, SeriesFiles, write_series
from tests.factories_central import central_study, day, open_as


@pytest.fixture
def study(tmp_path: Path) -> Path:
    path = tmp_path / "central.db"
    central_study(path).close()
    return path


def _audit(session: StudySession) -> int:
    return int(session.store.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0])


def _rows(session: StudySession, table: str) -> int:
    return int(session.store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _delivery(folder: Path) -> dict[str, SeriesFiles]:
    """C01 at baseline by time point (JPEG 2000) and at week 8 by date (RLE, nested deeper), C02 by PatientID only,
    C03 on a day nobody assessed, C09 unknown, and a mixed-spacing series of C01."""
    return {
        "c01_bl": write_series(folder / "C01" / "BL" / "ART", subject_id="C01", timepoint_id="BASELINE",
                               study_date=day(0), description="LIVER ARTERIAL", syntax=SYNTAXES["j2k"]),
        "c01_w8": write_series(folder / "C01" / "W8" / "x" / "PV", subject_id="C01", study_date=day(1),
                               description="PORTAL VENOUS", syntax=SYNTAXES["rle"]),
        "c02": write_series(folder / "P-C02", patient_id="C02", study_date=day(1), syntax=SYNTAXES["jpeg-lossless"]),
        "c03": write_series(folder / "C03", subject_id="C03", study_date=date(2024, 3, 6)),
        "c09": write_series(folder / "C09", subject_id="C09", study_date=day(1)),
    }  # fmt: skip


def test_series_are_matched_by_subject_id_time_point_or_date_and_the_rest_listed_with_reasons(
    study: Path, tmp_path: Path
) -> None:
    written = _delivery(tmp_path / "images")
    with open_as(study, "admin") as session:
        plan = images.preview_import(session, tmp_path / "images")
    matched = {m.series.series_uid: (m.subject_id, m.date, m.visit, m.patient_by, m.timepoint_by) for m in plan.matched}
    assert matched == {
        written["c01_bl"].series_uid: ("C01", day(0), "BASELINE", "Clinical Trial Subject ID",
                                       "ClinicalTrialTimePointID = visit"),
        written["c01_w8"].series_uid: ("C01", day(1), "WEEK 8", "Clinical Trial Subject ID",
                                       "StudyDate = assessment date"),
    }  # fmt: skip
    reasons = {u.series.series_uid: u.reason for u in plan.unmatched}
    assert reasons == {
        written["c02"].series_uid: "PatientID 'C02' is not mapped: confirm the mapping",
        written["c03"].series_uid: "no assessment of C03 on 2024-03-06; nearest: 2024-03-04 (WEEK 8)",
        written["c09"].series_uid: "no subject 'C09' in this study",
    }
    assert [(p.patient_id, p.subject_id, p.series, p.confirmed) for p in plan.proposals] == [("C02", "C02", 1, False)]
    assert plan.root_is_new and plan.root == (tmp_path / "images").resolve() and not plan.unchanged
    assert "  C01 2024-03-04 WEEK 8: CT portal venous (3 images) — by Clinical Trial Subject ID; " \
           "StudyDate = assessment date" in plan.lines()  # fmt: skip


def test_a_patient_id_matches_only_once_confirmed_or_mapped(study: Path, tmp_path: Path) -> None:
    folder = tmp_path / "images"
    c02 = write_series(folder / "a", patient_id="C02", study_date=day(1))
    p7 = write_series(folder / "b", patient_id="P7", study_date=day(2))
    p9 = write_series(folder / "c", patient_id="P9", study_date=day(2))
    with open_as(study, "admin") as session:
        plan = images.preview_import(session, folder)
        assert {u.series.series_uid: u.reason for u in plan.unmatched} == {
            c02.series_uid: "PatientID 'C02' is not mapped: confirm the mapping",
            p7.series_uid: "PatientID 'P7' is no subject of this study and is not mapped: map it to a subject",
            p9.series_uid: "PatientID 'P9' is no subject of this study and is not mapped: map it to a subject",
        }
        plan = images.preview_import(session, folder, patient_map={"P7": "C03", "P9": "C99"}, confirmed_ids=["C02"],
                                     scan=plan.scan)  # fmt: skip
    assert {m.series.series_uid: (m.subject_id, m.date, m.patient_by) for m in plan.matched} == {
        c02.series_uid: ("C02", day(1), "PatientID (confirmed)"),
        p7.series_uid: ("C03", day(2), "mapping"),
    }
    assert [u.reason for u in plan.unmatched] == [
        "the mapping gives PatientID 'P9' the subject 'C99', which is not in this study"
    ]
    assert [p.confirmed for p in plan.proposals] == [True]


def test_apply_registers_the_index_and_a_second_import_of_the_folder_changes_nothing(
    study: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "images"
    written = _delivery(folder)
    with open_as(study, "admin") as session:
        plan = images.preview_import(session, folder, match_patient_id=True)
        result = images.apply_import(session, plan)
        assert result.changes == Changes.of("C01", "C02", kinds={ChangeKind.IMAGES})
        assert result.summary() == (f"registered 3 series (9 images) for 2 patient(s); the image root is now "
                                    f"{folder.resolve()}")  # fmt: skip
        assert images.image_root(session) == folder.resolve()
        c01 = images.series_for(session, "C01")
        assert [(s.date, s.visit, s.phase, s.instances, s.registered_by) for s in c01] == [
            (day(0), "BASELINE", "arterial", 3, "admin"), (day(1), "WEEK 8", "portal venous", 3, "admin"),
        ]  # fmt: skip
        files = images.instances(session, written["c01_w8"].series_uid)
        assert [(f.path, f.slice_location) for f in files] == [
            (f"C01/W8/x/PV/IMG000{k}.dcm", 2.5 * (k - 1)) for k in (1, 2, 3)
        ]
        assert {f.transfer_syntax for f in files} == {str(SYNTAXES["rle"])}
        assert images.resolve(session, files[0]) == written["c01_w8"].files[0].resolve()
        assert images.check_image_files(session) == []
        audit, rows = _audit(session), _rows(session, "image_instances")

        again = images.preview_import(session, folder, match_patient_id=True)
        assert not again.matched and not again.changed and not again.root_is_new and not again.proposals
        assert {u.series.series_uid for u in again.unchanged} == {
            written[k].series_uid for k in ("c01_bl", "c01_w8", "c02")
        }
        second = images.apply_import(session, again)
        assert second.changes.empty and second.summary() == (
            "nothing to register: the study already holds these series (nothing was written)"
        )
        assert (_audit(session), _rows(session, "image_instances")) == (audit, rows)


def test_a_missing_and_an_altered_file_are_named_and_a_changed_series_is_replaced_only_when_confirmed(
    study: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "images"
    bl = write_series(folder / "bl", subject_id="C01", timepoint_id="BASELINE", study_date=day(0))
    w8 = write_series(folder / "w8", subject_id="C01", study_date=day(1))
    with open_as(study, "admin") as session:
        images.apply_import(session, images.preview_import(session, folder))
        bl.files[1].unlink()
        with w8.files[0].open("ab") as fh:
            fh.write(b"\x00\x00")
        assert images.check_image_files(session) == [
            f"bl/IMG0002.dcm: missing (not under the image root {folder.resolve()})",
            "w8/IMG0001.dcm: altered (its SHA-256 differs from the one registered)",
        ]
        plan = images.preview_import(session, folder)
        changes = {c.series.series_uid: c.differences for c in plan.changed}
        assert changes == {
            bl.series_uid: ("bl/IMG0002.dcm: registered, no longer in the folder",),
            w8.series_uid: ("w8/IMG0001.dcm: altered (its SHA-256 differs from the registered file's)",),
        }
        audit = _audit(session)
        assert images.apply_import(session, plan).changes.empty and _audit(session) == audit  # not confirmed
        result = images.apply_import(session, plan, replace=[w8.series_uid])
        assert (result.series, result.replaced, result.images) == (0, 1, 3)
        assert (
            result.summary() == f"replaced 1 changed series (3 images) for 1 patient(s); image root {folder.resolve()}"
        )
        assert images.check_image_files(session) == [
            f"bl/IMG0002.dcm: missing (not under the image root {folder.resolve()})"
        ]
        deleted = session.store.conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'delete' AND table_name = 'image_instances' "
            "AND reason LIKE ?",
            [f"re-import of {folder.resolve()} confirmed: w8/IMG0001.dcm: altered%"],
        ).fetchone()[0]
        assert deleted == 3, "each replaced image is kept in the audit trail with the reason"


def test_a_moved_root_is_re_pointed_and_a_folder_outside_it_is_refused(study: Path, tmp_path: Path) -> None:
    old = tmp_path / "old" / "images"
    write_series(old / "C01", subject_id="C01", timepoint_id="BASELINE", study_date=day(0))
    write_series(old / "C02", subject_id="C02", timepoint_id="BASELINE", study_date=day(0))
    elsewhere = tmp_path / "elsewhere"
    write_series(elsewhere, subject_id="C03", timepoint_id="BASELINE", study_date=day(0))
    with open_as(study, "admin") as session:
        images.apply_import(session, images.preview_import(session, old))
        with pytest.raises(ImagesRefused) as refused:
            images.preview_import(session, elsewhere)
        assert str(refused.value) == (
            f"{elsewhere.resolve()} is outside the study's image root {old.resolve()}: move or copy the folder under "
            f"{old.resolve()} and import it from there, or re-point the image root to a folder that holds both "
            f"(hccreview image-root central.db NEW_ROOT --reason R); nothing was written"
        )
        new = tmp_path / "new" / "images"
        shutil.move(old, new)
        assert len(images.check_image_files(session)) == 6
        with pytest.raises(ImagesRefused, match=r"none of the 6 registered image files is under .*elsewhere"):
            images.set_image_root(session, elsewhere, reason="moved")
        with pytest.raises(ImagesRefused, match="re-pointing the image root needs a reason"):
            images.set_image_root(session, new, reason=" ")
        (new / "C02" / "IMG0003.dcm").unlink()
        moved = images.set_image_root(session, new, reason="archive moved to the new share")
        assert (moved.found, moved.missing, moved.root) == (5, ("C02/IMG0003.dcm",), str(new.resolve()))
        assert moved.changes == Changes.of("C01", "C02", kinds={ChangeKind.IMAGES})
        assert images.check_image_files(session) == [
            f"C02/IMG0003.dcm: missing (not under the image root {new.resolve()})"
        ]
        sub = new / "later" / "C03"
        write_series(sub, subject_id="C03", timepoint_id="BASELINE", study_date=day(0))
        plan = images.preview_import(session, sub)
        assert plan.prefix == "later/C03" and not plan.root_is_new
        images.apply_import(session, plan)
        (c03,) = images.series_for(session, "C03")
        assert images.instances(session, c03.series_uid)[0].path == "later/C03/IMG0001.dcm"


@pytest.mark.parametrize("user", ["reader1", "adj"])
def test_a_reader_or_adjudicator_is_refused_and_nothing_is_written(study: Path, tmp_path: Path, user: str) -> None:
    folder = tmp_path / "images"
    write_series(folder, subject_id="C01", timepoint_id="BASELINE", study_date=day(0))
    with open_as(study, "admin") as admin:
        plan = images.preview_import(admin, folder)
    with open_as(study, user) as session:
        role = "reader" if user == "reader1" else "adjudicator"
        message = (f"{user} ({role}) may not import images: registering images is an import, which is the admin's "
                   "(the study's access policy); nothing was written")  # fmt: skip
        with pytest.raises(AccessDenied) as refused:
            images.preview_import(session, folder)
        assert str(refused.value) == message
        audit = _audit(session)
        with pytest.raises(AccessDenied):
            images.apply_import(session, plan)
        with pytest.raises(AccessDenied, match="may not re-point the image root"):
            images.set_image_root(session, folder, reason="x")
        assert (_audit(session), _rows(session, "image_series"), images.image_root(session)) == (audit, 0, None)


def test_a_series_with_problems_is_listed_unmatched_with_its_first_problem(study: Path, tmp_path: Path) -> None:
    folder = tmp_path / "images"
    files = write_series(folder / "mixed", subject_id="C01", timepoint_id="BASELINE", study_date=day(0))
    write_series(folder / "mixed2", n=1, series_uid=files.series_uid, study_uid=files.study_uid, subject_id="C01",
                 timepoint_id="BASELINE", study_date=day(0), spacing=(0.7, 0.7))  # fmt: skip
    with open_as(study, "admin") as session:
        plan = images.preview_import(session, folder)
    assert not plan.matched
    assert [u.reason for u in plan.unmatched] == [
        "not registered: mixed2/IMG0001.dcm: Pixel Spacing (0028,0030): 0.7\\0.7 here, 0.8\\0.8 in the series' "
        "other 3 image(s): one series must share it (all problems below)"
    ]
