"""``io.dicom_index``: a folder of DICOM files becomes series with their geometry, phase and hashes; everything else
in the folder is listed by name, and what is wrong inside a series names the file and the attribute."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.uid import UID, SecondaryCaptureImageStorage, generate_uid

from hccreview.io.dicom_index import (
    ScanCancelled,
    acquisition_plane,
    decoder_available,
    phase_of,
    read_patient_map,
    scan,
    slice_location,
)
from tests.dicom_factory import SYNTAXES, write_series, write_slice, write_structured_report

BASELINE = date(2024, 1, 1)


def test_nested_folders_in_every_compressed_syntax_become_one_series_each(tmp_path: Path) -> None:
    written = {
        name: write_series(tmp_path / "site01" / name / "CT" / "abdomen", subject_id="C01", timepoint_id="BASELINE",
                           study_date=BASELINE, description="LIVER LATE ARTERIAL", syntax=uid)
        for name, uid in SYNTAXES.items()
    }  # fmt: skip
    result = scan(tmp_path)
    assert result.files == 12 and result.images == 12 and not result.all_problems()
    by_uid = {s.series_uid: s for s in result.series}
    for name, files in written.items():
        series = by_uid[files.series_uid]
        assert series.importable and series.measurable and series.plane == "axial"
        assert (series.phase, series.subject_id, series.timepoint_id, series.study_date) == (
            "arterial", "C01", "BASELINE", BASELINE,
        )  # fmt: skip
        assert (series.rows, series.columns, series.row_spacing, series.column_spacing) == (32, 32, 0.8, 0.8)
        assert [i.path for i in series.instances] == [f"site01/{name}/CT/abdomen/IMG000{k}.dcm" for k in (1, 2, 3)]
        assert [i.slice_location for i in series.instances] == [0.0, 2.5, 5.0]
        assert {i.transfer_syntax for i in series.instances} == {str(SYNTAXES[name])}
        assert decoder_available(str(SYNTAXES[name])), f"{name}: an installed decoder reads it"
        first = series.instances[0]
        data = files.files[0].read_bytes()
        assert (first.sha256, first.size) == (hashlib.sha256(data).hexdigest(), len(data))
        assert first.sop_instance_uid == files.sop_uids[0] and first.instance_number == 1


def test_files_that_are_not_ct_or_mr_images_are_listed_by_name_never_fatal(tmp_path: Path) -> None:
    write_series(tmp_path / "ct", n=2, subject_id="C01", study_date=BASELINE)
    (tmp_path / "notes.txt").write_text("scan log")
    (tmp_path / "ct" / "DICOMDIR.bak").write_bytes(b"\x00" * 300)
    write_structured_report(tmp_path / "sr" / "measurements.dcm")
    write_slice(tmp_path / "other" / "capture.dcm", series_uid=generate_uid(), study_uid=generate_uid(),
                frame_uid=generate_uid(), sop_class=SecondaryCaptureImageStorage)  # fmt: skip
    truncated = tmp_path / "broken" / "cut.dcm"
    write_slice(truncated, series_uid=generate_uid(), study_uid=generate_uid(), frame_uid=generate_uid())
    data = truncated.read_bytes()
    truncated.write_bytes(data[: data.index(b"\x20\x00\x0e\x00")])  # cut just before the Series Instance UID

    result = scan(tmp_path)
    assert result.files == 7 and result.images == 2 and len(result.series) == 1
    assert result.not_dicom == ("notes.txt", "ct/DICOMDIR.bak")
    assert result.structured_reports == ("sr/measurements.dcm",)
    assert result.other_objects == (("other/capture.dcm", "Secondary Capture Image Storage"),)
    assert [str(p) for p in result.problems] == [
        "broken/cut.dcm: Series Instance UID (0020,000E): missing: the image fits no series"
    ]


def test_a_series_with_mixed_spacing_is_reported_by_file_and_not_registered(tmp_path: Path) -> None:
    files = write_series(tmp_path / "s", n=3, subject_id="C01", study_date=BASELINE)
    write_slice(files.files[2], series_uid=files.series_uid, study_uid=files.study_uid, frame_uid=generate_uid(),
                k=2, subject_id="C01", study_date=BASELINE, spacing=(0.7, 0.7))  # fmt: skip
    (series,) = scan(tmp_path).series
    assert not series.importable
    assert [str(p) for p in series.problems] == [
        "s/IMG0003.dcm: Pixel Spacing (0028,0030): 0.7\\0.7 here, 0.8\\0.8 in the series' other 2 image(s): one "
        "series must share it"
    ]


def test_duplicate_uids_missing_geometry_and_an_undecodable_syntax_name_the_file(tmp_path: Path) -> None:
    files = write_series(tmp_path / "a", n=2, subject_id="C01", study_date=BASELINE)
    shutil.copyfile(files.files[0], tmp_path / "a" / "copy.dcm")
    other = write_series(tmp_path / "b", n=2, subject_id="C02", study_date=BASELINE)
    write_slice(other.files[1], series_uid=other.series_uid, study_uid=other.study_uid, frame_uid=generate_uid(),
                k=1, subject_id="C02", study_date=BASELINE, position=())  # fmt: skip
    mpeg = _mpeg2_file(tmp_path / "c" / "movie.dcm")

    by_uid = {s.series_uid: s for s in scan(tmp_path).series}
    a = by_uid[files.series_uid]
    assert [str(p) for p in a.problems] == [
        f"a/IMG0001.dcm: SOP Instance UID (0008,0018): {files.sop_uids[0]} is also the UID of another file of the "
        "folder",
        f"a/copy.dcm: SOP Instance UID (0008,0018): {files.sop_uids[0]} is also the UID of another file of the folder",
        "a/copy.dcm: Image Position (Patient) (0020,0032): the same slice position (0.00 mm) as a/IMG0001.dcm",
    ]
    assert [str(p) for p in by_uid[other.series_uid].problems] == [
        "b/IMG0002.dcm: Image Position (Patient) (0020,0032): missing or not three numbers: the slice cannot be placed"
    ]
    assert [str(p) for p in by_uid[mpeg].problems] == [
        "c/movie.dcm: Transfer Syntax UID (0002,0010): MPEG2 Main Profile / Main Level: no installed decoder reads "
        "its pixels"
    ]
    assert not any(s.importable for s in by_uid.values())


def _mpeg2_file(path: Path) -> str:
    """A CT header whose pixels are in a transfer syntax nothing installed decodes (MPEG-2)."""
    series = generate_uid()
    write_slice(path, series_uid=series, study_uid=generate_uid(), frame_uid=generate_uid(), subject_id="C03",
                study_date=BASELINE)  # fmt: skip
    from pydicom import dcmread

    ds = dcmread(path)
    ds.file_meta.TransferSyntaxUID = UID("1.2.840.10008.1.2.4.100")
    ds.PixelData = encapsulate([b"\x00\x00\x01\xb3" + b"\x00" * 60])
    ds["PixelData"].VR = "OB"
    ds.save_as(path, enforce_file_format=True)
    return series


def test_reformatted_oblique_and_localizer_series_are_indexed_but_not_measurable(tmp_path: Path) -> None:
    tilt = (1.0, 0.0, 0.0, 0.0, 0.866025, 0.5)  # 30° about the x axis
    reformatted = write_series(tmp_path / "mpr", subject_id="C01", study_date=BASELINE,
                               image_type=("DERIVED", "SECONDARY", "REFORMATTED"))  # fmt: skip
    oblique = write_series(tmp_path / "obl", subject_id="C01", study_date=BASELINE, orientation=tilt)
    scout = write_series(tmp_path / "scout", n=1, subject_id="C01", study_date=BASELINE,
                         image_type=("ORIGINAL", "PRIMARY", "LOCALIZER"))  # fmt: skip
    coronal = write_series(tmp_path / "cor", subject_id="C01", study_date=BASELINE,
                           orientation=(1.0, 0.0, 0.0, 0.0, 0.0, -1.0))  # fmt: skip
    by_uid = {s.series_uid: s for s in scan(tmp_path).series}
    assert all(s.importable for s in by_uid.values())
    why = {uid: (by_uid[uid].measurable, by_uid[uid].plane, by_uid[uid].not_measurable_why)
           for uid in (reformatted.series_uid, oblique.series_uid, scout.series_uid, coronal.series_uid)}  # fmt: skip
    assert why == {
        reformatted.series_uid: (False, "axial", "a derived or reformatted series (Image Type (0008,0008) "
                                                 "DERIVED\\SECONDARY\\REFORMATTED)"),
        oblique.series_uid: (False, "oblique", "an oblique plane (slice normal 30° from the nearest axis)"),
        scout.series_uid: (False, "axial", "a localizer"),
        coronal.series_uid: (True, "coronal", ""),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("description", "agent", "phase"),
    [
        ("LIVER 3 PHASE - LATE ARTERIAL", "", "arterial"),
        ("Abd PV 70s", "Iomeprol", "portal venous"),
        ("DELAYED 3 min", "", "delayed"),
        ("Pre-contrast", "", "non-contrast"),
        ("T1 VIBE HBP 20 min", "Gd-EOB-DTPA", "hepatobiliary"),
        ("Abdomen", "Omnipaque 350", "contrast-enhanced"),
        ("Abdomen", "", ""),
        ("Abdomen", "ARTERIAL bolus", "arterial"),
    ],
)
def test_the_phase_is_read_from_the_description_then_the_contrast_agent(
    description: str, agent: str, phase: str
) -> None:
    assert phase_of(description, agent) == phase


def test_slice_location_is_the_position_along_the_slice_normal() -> None:
    assert slice_location((-12.8, -12.8, 7.5), (1, 0, 0, 0, 1, 0)) == 7.5
    assert slice_location((5.0, 2.0, 3.0), (0, 1, 0, 0, 0, -1)) == -5.0  # sagittal: normal -x
    assert acquisition_plane((1, 0, 0, 0, 0, -1)) == ("coronal", 0.0)
    assert acquisition_plane((1, 0, 0, 0, 0.996195, 0.087156))[0] == "axial"  # 5° off: still axial


def test_a_cancelled_scan_indexes_nothing(tmp_path: Path) -> None:
    write_series(tmp_path, n=2, subject_id="C01", study_date=BASELINE)
    with pytest.raises(ScanCancelled, match="scan cancelled; nothing was indexed"):
        scan(tmp_path, cancelled=lambda: True)
    reports: list[tuple[float, str]] = []
    scan(tmp_path, progress=lambda f, t: reports.append((f, t)))
    assert reports[0] == (0.0, f"listing the files of {tmp_path.name}")
    assert reports[-1] == (1.0, "2 image(s) in 1 series")


def test_a_patient_map_file_is_read_and_its_errors_name_the_line(tmp_path: Path) -> None:
    good = tmp_path / "map.csv"
    good.write_text("PatientID,subject_id\nP7,C03\n\nP8, C02 \n", encoding="utf-8")
    assert read_patient_map(good) == {"P7": "C03", "P8": "C02"}
    bad = tmp_path / "bad.csv"
    bad.write_text("PatientID,subject_id\nP7,C03\nP7,C02\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.csv line 3: PatientID 'P7' is mapped twice \(C03, C02\)"):
        read_patient_map(bad)
    bad.write_text("patient,subject\nP7,C03\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.csv line 1: expected the columns PatientID and subject_id"):
        read_patient_map(bad)


def test_a_dataset_without_file_meta_is_not_dicom_for_the_index(tmp_path: Path) -> None:
    """``force=False``: a bare dataset (no preamble, no 'DICM') is listed as not DICOM rather than guessed at."""
    ds = Dataset()
    ds.PatientID = "C01"
    ds.save_as(tmp_path / "bare.dcm", enforce_file_format=False, implicit_vr=True, little_endian=True)
    assert scan(tmp_path).not_dicom == ("bare.dcm",)


def test_an_mr_series_is_indexed_like_a_ct_series(tmp_path: Path) -> None:
    files = write_series(tmp_path / "mr", n=2, modality="MR", patient_id="P7", study_date=BASELINE,
                         description="T1 VIBE arterial", syntax=SYNTAXES["rle"])  # fmt: skip
    (series,) = scan(tmp_path).series
    assert (series.series_uid, series.modality, series.sop_class_uid) == (
        files.series_uid, "MR", "1.2.840.10008.5.1.4.1.1.4",
    )  # fmt: skip
    assert (series.phase, series.patient_id, series.subject_id, series.importable) == ("arterial", "P7", "", True)


def test_only_the_sr_classes_of_a_measurement_report_are_set_aside(tmp_path: Path) -> None:
    """Enhanced / Comprehensive / Comprehensive 3D SR go to the SR import; a Key Object Selection is another object."""
    write_structured_report(tmp_path / "sr.dcm")
    kos = pydicom.dcmread(tmp_path / "sr.dcm")
    kos.SOPClassUID = kos.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.88.59"
    kos.save_as(tmp_path / "kos.dcm")
    result = scan(tmp_path)
    assert result.structured_reports == ("sr.dcm",)
    assert result.other_objects == (("kos.dcm", "Key Object Selection Document Storage"),)
