"""io.dicom_sr on its own (issue 22 items 3–4): what a group says for typed values, mRECIST and organ sites, and
what the writer and reader refuse."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import highdicom as hd
import pytest
from pydicom.sr.codedict import codes

from hccreview.domain.calipers import Caliper, Line, perpendicular
from hccreview.io import dicom_sr

SPACING = (0.78, 0.78)
IMAGE = "1.2.826.0.1.3680043.8.498.11"


def _request(*, mrecist: bool = False, baseline: bool = True, organ: str = "Liver") -> dicom_sr.ReportRequest:
    long = Line((100.0, 200.0), (160.0, 200.0))
    caliper = Caliper(IMAGE, "1.2.826.0.1.3680043.8.498.10", SPACING, "1.2.826.0.1.3680043.8.498.9",
                      {"long": long, "short": perpendicular(long, long.midpoint, 20.0, SPACING)})  # fmt: skip
    evidence = dicom_sr.evidence_from_index(
        sop_instance_uid=IMAGE, series_uid=caliper.series_uid, study_uid="1.2.826.0.1.3680043.8.498.8",
        modality="CT", subject_id="HCC-001", study_date=dt.date(2024, 1, 2), path=None,
    )  # fmt: skip
    lesion = dicom_sr.ReportLesion("T01", "2.25.1234", "target", organ, False,
                                   {**caliper.values(), "viable_mm": 30.0}, (caliper,))  # fmt: skip
    return dicom_sr.ReportRequest("HCC-001", "reader1", dt.date(2024, 1, 2), "SCREENING", mrecist, baseline,
                                  (lesion,), {IMAGE: evidence})  # fmt: skip


def test_a_typed_value_has_no_line_and_is_marked_not_image_derived(tmp_path: Path) -> None:
    path = tmp_path / "sr.dcm"
    dicom_sr.write_measurement_report(_request(mrecist=True), path)
    parsed = dicom_sr.read_measurement_report(path)
    (group,) = parsed.groups
    by_field = {m.field: m for m in group.measurements}
    assert by_field["diameter_mm"].points == ((100.0, 200.0), (160.0, 200.0))
    assert by_field["diameter_mm"].sop_instance_uid == IMAGE
    assert by_field["viable_mm"].value_mm == 30.0 and by_field["viable_mm"].points == ()
    (sr_group,) = hd.sr.srread(path).content.get_image_measurement_groups()
    typed = sr_group.get_qualitative_evaluations(name=dicom_sr.NOT_IMAGE_DERIVED)
    assert [t.value.value for t in typed] == ["VIABLE"]
    assert (sr_group.method.value, sr_group.method.scheme_designator) == ("MRECIST", "99HCCREVIEW")
    assert (parsed.observer, parsed.time_point, parsed.patient_id) == ("reader1", "SCREENING", "HCC-001")


def test_an_organ_is_a_snomed_site_where_one_is_plain_else_a_private_code() -> None:
    assert dicom_sr.finding_site(" liver ") == codes.SCT.Liver
    assert dicom_sr.finding_site("Lymph node") == codes.SCT.LymphNode
    assert dicom_sr.finding_site("", is_node=True) == codes.SCT.LymphNode
    assert dicom_sr.finding_site("") is None
    other = dicom_sr.finding_site("Mediastinal mass")
    assert (other.value, other.scheme_designator, other.meaning) == ("MEDIASTINAL-MASS", "99HCCREVIEW",
                                                                      "Mediastinal mass")  # fmt: skip


def test_an_sr_is_never_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "sr.dcm"
    dicom_sr.write_measurement_report(_request(), path)
    with pytest.raises(dicom_sr.SRError, match="an SR is never rewritten"):
        dicom_sr.write_measurement_report(_request(), path)


def test_a_file_that_is_not_an_sr_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "notes.dcm"
    path.write_text("not DICOM")
    with pytest.raises(dicom_sr.SRError, match=r"notes\.dcm: not a DICOM SR highdicom reads"):
        dicom_sr.read_measurement_report(path)


def test_an_image_of_another_modality_cannot_be_referenced_without_its_file() -> None:
    with pytest.raises(dicom_sr.SRError, match="modality 'US' is not CT or MR"):
        dicom_sr.evidence_from_index(sop_instance_uid=IMAGE, series_uid="1.2", study_uid="1.3", modality="US",
                                     subject_id="HCC-001", study_date=None, path=None)  # fmt: skip


@pytest.mark.parametrize(
    ("organ", "words", "node"),
    [("Liver", "liver", False), ("lymph node", "lymph node", True), ("Mediastinal mass", "Mediastinal mass", False)],
)
def test_a_group_reads_back_what_recreating_its_lesion_needs(tmp_path: Path, organ: str, words: str,
                                                             node: bool) -> None:  # fmt: skip
    """Kind (the baseline category), organ in hccreview's words, node, method, time point, the typed fields; the
    header's Study Date for an importer's fall-back."""
    path = tmp_path / "sr.dcm"
    dicom_sr.write_measurement_report(_request(mrecist=True, organ=organ), path)
    report = dicom_sr.read_measurement_report(path)
    (group,) = report.groups
    assert (group.kind, group.organ, group.is_node, group.method) == ("target", words, node, "mRECIST")
    assert (group.time_point, group.time_point_id, group.typed) == ("SCREENING", "SCREENING", ("viable_mm",))
    assert report.study_date == dt.date(2024, 1, 2) and report.sop_class_uid == "1.2.840.10008.5.1.4.1.1.88.33"
    follow_up = tmp_path / "follow-up.dcm"
    dicom_sr.write_measurement_report(_request(baseline=False), follow_up)
    (later,) = dicom_sr.read_measurement_report(follow_up).groups
    assert (later.kind, later.method) == ("", "RECIST 1.1")  # no category after baseline: the importer decides
    assert dicom_sr.is_report_file(path) and not dicom_sr.is_report_file(tmp_path)
