"""DICOM SR out and in (issue 22 items 3–4): a read's calipers as a Comprehensive SR Measurement Report.

One document per evaluator × subject × timepoint: DICOM PS3.16 TID 1500 (Measurement Report) built with highdicom,
one TID 1501 measurement group per lesion, so any DICOM viewer or core-lab archive can show and re-measure what a
reader drew. A group carries

- the lesion's **tracking identifier** (the lesion id) and **tracking UID** (``Lesion.tracking_uid``: the lesion
  across timepoints, never its name);
- the **time point** (TID 1502: the visit, else the date; Subject Time Point Identifier DCM 126070 = the visit);
- finding type *Lesion* (SCT 52988006) and the **finding site** from the organ's text (:data:`SITES`);
- the **method**: RECIST 1.1 (DCM 126081) or mRECIST (private ``99HCCREVIEW MRECIST``);
- at baseline, the **baseline category** (DCM 112016): target (112074) or non-target (112075) lesion at baseline;
- the **long axis** (SCT 103339001), **short axis** (SCT 103340004) and mRECIST **viable diameter** (private
  ``99HCCREVIEW VIABLE``) in mm (UCUM ``mm``), each with its line as an SCOORD POLYLINE of two points on its source
  image. Coordinates are the stored caliper points unchanged: both hccreview and DICOM SR put (0, 0) at the
  top-left corner of the top-left pixel (PS3.3 C.18.6.1.1);
- a value typed without (or over) a caliper is written without coordinates and marked by a qualitative evaluation
  ``99HCCREVIEW TYPED`` *Not image-derived* whose value names the measurement; a value measured on an image whose
  header is not at hand (an image missing from the index) is written without coordinates and without that mark
  (the caller names it: at submission, in the audit entry's reason);
- a lesion first seen after the baseline (a new lesion) carries the qualitative evaluation *New finding* (SCT
  129721008) = *Yes* (SCT 373066001).

The private codes (coding scheme designator ``99HCCREVIEW``, PS3.16 §8.2 private schemes) are listed in
:data:`PRIVATE_CODES` and in docs/images.md. The observer is the reader (Person Observer Name). An amended read is a
new document whose Predecessor Documents Sequence names the earlier one (``previous``); documents are never
rewritten. The reader accepts the long / short axis codes of SNOMED CT and the legacy SRT ones OHIF and dcmjs write
(G-A185 / G-A186).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code
from pydicom.uid import CTImageStorage, MRImageStorage

from hccreview.domain.calipers import FIELD_OF_LINE, LINE_OF_FIELD, Caliper
from hccreview.io.dicom_index import SR_SOP_CLASSES

__all__ = [
    "LONG_AXIS_CODES",
    "MANUFACTURER",
    "ORGAN_OF_SITE",
    "PRIVATE_CODES",
    "PRIVATE_SCHEME",
    "SHORT_AXIS_CODES",
    "SITES",
    "Dataset",
    "ParsedGroup",
    "ParsedMeasurement",
    "ParsedReport",
    "ReportLesion",
    "ReportRequest",
    "SRError",
    "build_measurement_report",
    "document_bytes",
    "document_from_bytes",
    "evidence_from_index",
    "finding_site",
    "is_report_file",
    "person_name",
    "read_document",
    "read_measurement_report",
    "subject_context",
    "write_measurement_report",
]

PRIVATE_SCHEME = "99HCCREVIEW"
MANUFACTURER = "hccreview"
MRECIST = hd.sr.CodedConcept("MRECIST", PRIVATE_SCHEME, "mRECIST")
VIABLE_DIAMETER = hd.sr.CodedConcept("VIABLE", PRIVATE_SCHEME, "Viable tumour diameter")
NOT_IMAGE_DERIVED = hd.sr.CodedConcept("TYPED", PRIVATE_SCHEME, "Not image-derived")
RECIST11 = hd.sr.CodedConcept("126081", "DCM", "RECIST 1.1")
LESION_STATUS = hd.sr.CodedConcept("STATUS", PRIVATE_SCHEME, "Lesion status")
#: A lesion's status at the timepoint (``domain.records.LesionStatus``): TID 1500 has no code for RECIST's
#: absent / too small to measure / not evaluable / unequivocal progression, so hccreview writes its own (a
#: group's qualitative evaluation "Lesion status"), and reads them back; other writers' SRs leave it unsaid.
STATUS_CODES: Mapping[str, hd.sr.CodedConcept] = {
    "present": hd.sr.CodedConcept("PRESENT", PRIVATE_SCHEME, "Present"),
    "absent": hd.sr.CodedConcept("ABSENT", PRIVATE_SCHEME, "Absent (disappeared)"),
    "too_small": hd.sr.CodedConcept("TOOSMALL", PRIVATE_SCHEME, "Too small to measure"),
    "not_assessed": hd.sr.CodedConcept("NE", PRIVATE_SCHEME, "Not evaluable"),
    "unequivocal_progression": hd.sr.CodedConcept("UNEQPD", PRIVATE_SCHEME, "Unequivocal progression"),
    "equivocal": hd.sr.CodedConcept("EQUIVOCAL", PRIVATE_SCHEME, "Equivocal"),
}
_STATUS_OF_CODE = {c.value: status for status, c in STATUS_CODES.items()}
#: Every private code written, by meaning (docs/images.md repeats them).
PRIVATE_CODES: tuple[hd.sr.CodedConcept, ...] = (MRECIST, VIABLE_DIAMETER, NOT_IMAGE_DERIVED, LESION_STATUS,
                                                 *STATUS_CODES.values())  # fmt: skip

#: (scheme, value) pairs read as a long / short axis: SNOMED CT and the legacy SNOMED RT (SRT) of OHIF / dcmjs.
LONG_AXIS_CODES = frozenset({("SCT", "103339001"), ("SRT", "G-A185")})
SHORT_AXIS_CODES = frozenset({("SCT", "103340004"), ("SRT", "G-A186")})
_FIELD_OF_CODE: dict[tuple[str, str], str] = {
    **dict.fromkeys(LONG_AXIS_CODES, "diameter_mm"),
    **dict.fromkeys(SHORT_AXIS_CODES, "short_axis_mm"),
    (PRIVATE_SCHEME, VIABLE_DIAMETER.value): "viable_mm",
}
_NAME_OF_FIELD: dict[str, hd.sr.CodedConcept | Code] = {
    "diameter_mm": codes.SCT.LongAxis,
    "short_axis_mm": codes.SCT.ShortAxis,
    "viable_mm": VIABLE_DIAMETER,
}

#: Finding sites by the organ's text (lower case): SNOMED CT where the concept is plain; any other organ is written
#: with the private scheme (value = the organ's text upper-cased, meaning = the text).
SITES: Mapping[str, Code] = {
    "liver": codes.SCT.Liver,
    "lung": codes.SCT.Lung,
    "lymph node": codes.SCT.LymphNode,
    "node": codes.SCT.LymphNode,
    "bone": codes.SCT.Bone,
    "adrenal": codes.SCT.AdrenalGland,
    "adrenal gland": codes.SCT.AdrenalGland,
    "peritoneum": codes.SCT.PeritonealCavity,
    "spleen": codes.SCT.Spleen,
    "kidney": codes.SCT.Kidney,
    "pleura": codes.SCT.Pleura,
    "brain": codes.SCT.Brain,
    "pancreas": codes.SCT.Pancreas,
    "stomach": codes.SCT.Stomach,
    "portal vein": codes.SCT.PortalVein,
    "omentum": codes.SCT.Omentum,
}
_SOP_CLASS_OF_MODALITY = {"CT": CTImageStorage, "MR": MRImageStorage}


class SRError(ValueError):
    """An SR that cannot be written or read as asked; the message says which lesion, image or file."""


def finding_site(organ: str, *, is_node: bool = False) -> hd.sr.CodedConcept | Code | None:
    """The finding site of a lesion in ``organ`` (None when no organ is recorded)."""
    text = " ".join(organ.split())
    if not text:
        return codes.SCT.LymphNode if is_node else None
    known = SITES.get(text.lower())
    if known is not None:
        return known
    value = "".join(ch if ch.isalnum() else "-" for ch in text.upper())[:16]
    return hd.sr.CodedConcept(value, PRIVATE_SCHEME, text[:64])


# ---------------------------------------------------------------------------------------------- writing
@dataclass(frozen=True)
class ReportLesion:
    """One lesion of the read: its values at this timepoint and the calipers they were measured with."""

    lesion_id: str
    tracking_uid: str
    kind: str  # "target" / "non-target" / "new"
    organ: str = ""
    is_node: bool = False
    values: Mapping[str, float] = field(default_factory=dict)  # diameter_mm / short_axis_mm / viable_mm
    calipers: tuple[Caliper, ...] = ()
    status: str = ""  # domain.records.LesionStatus value ("" = not said)


@dataclass(frozen=True)
class ReportRequest:
    """What one SR document says: whose read, of whom, when, and the lesions."""

    subject_id: str
    observer: str  # the reader's user name (Login Name; the Person Observer Name unless ``observer_name``)
    date: dt.date
    visit: str
    mrecist: bool
    baseline: bool
    lesions: tuple[ReportLesion, ...]
    #: The header of every image a caliper is drawn on, by SOP Instance UID (the SR's evidence; the patient and
    #: study modules are copied from the first).
    evidence: Mapping[str, Dataset]
    #: The reader's name as their account has it (Person Observer Name); blank: ``observer``.
    observer_name: str = ""
    #: The patient and study of a read no located image is referenced by (no caliper, or none in the index):
    #: the document copies them and lists no evidence. Unused when ``evidence`` is not empty.
    context: Dataset | None = None
    #: Whether the read is final (submitted by its reader): Preliminary Flag FINAL, else PRELIMINARY.
    final: bool = False


def evidence_from_index(
    *,
    sop_instance_uid: str,
    series_uid: str,
    study_uid: str,
    modality: str,
    subject_id: str,
    study_date: dt.date | None,
    path: Path | None,
    rows: int | None = None,
    columns: int | None = None,
) -> Dataset:
    """The header of a referenced image: read from its file when present (headers only), else the index's facts
    (a demo image not drawn yet): the SOP class from the series' modality (CT or MR Image Storage) and, when
    given, its matrix (``rows`` / ``columns``: a Key Object Selection references an image as IMAGE only then)."""
    if path is not None and path.is_file():
        header = pydicom.dcmread(path, stop_before_pixels=True)
        if str(header.SOPInstanceUID) != sop_instance_uid:
            raise SRError(f"{path}: SOP Instance UID {header.SOPInstanceUID}, the index says {sop_instance_uid}")
        return header
    sop_class = _SOP_CLASS_OF_MODALITY.get(modality.upper())
    if sop_class is None:
        raise SRError(f"image {sop_instance_uid}: modality {modality!r} is not CT or MR")
    ds = Dataset()
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_instance_uid
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.Modality = modality.upper()
    ds.PatientID = subject_id
    ds.PatientName = _person_name(subject_id)
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.StudyDate = study_date.strftime("%Y%m%d") if study_date else ""
    ds.StudyTime = ""
    ds.StudyID = ""
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    if rows and columns:
        ds.Rows, ds.Columns = rows, columns
    return ds


def subject_context(*, subject_id: str, study_uid: str, study_date: dt.date | None) -> Dataset:
    """The patient and study a document of a read copies when it references no image (``ReportRequest.context``):
    the subject, and the imaging study of the timepoint when the index knows one (else a study UID the caller
    derives from the read). Its SOP references are placeholders that the document does not keep."""
    ds = evidence_from_index(sop_instance_uid=hd.UID(), series_uid=hd.UID(), study_uid=study_uid, modality="CT",
                             subject_id=subject_id, study_date=study_date, path=None)  # fmt: skip
    del ds.Modality
    return ds


def _person_name(text: str) -> str:
    """A DICOM PN of a one-word name (a user or subject id): the family name with a trailing caret (PS3.5 6.2.1.2)."""
    return text if "^" in text else f"{text}^"


def person_name(text: str) -> str:
    """A DICOM PN of a name as a user account holds it: the whole text as the family name component (hccreview
    does not guess which word is the family name), without PN delimiters, at most 64 characters (PS3.5 6.2)."""
    clean = " ".join(text.replace("^", " ").replace("=", " ").replace("\\", " ").split())[:63]
    return _person_name(clean)


def _polyline(caliper: Caliper, line: str, header: Dataset) -> hd.sr.CoordinatesForMeasurement:
    ln = caliper.lines[line]
    source = hd.sr.SourceImageForRegion(str(header.SOPClassUID), caliper.sop_instance_uid)
    points = np.array([ln.start, ln.end], dtype=np.float32)
    return hd.sr.CoordinatesForMeasurement(hd.sr.GraphicTypeValues.POLYLINE, points, source)


def _group(request: ReportRequest, lesion: ReportLesion) -> hd.sr.MeasurementsAndQualitativeEvaluations:
    lines = {name: c for c in lesion.calipers for name in c.lines}
    measured = {FIELD_OF_LINE[name]: round(c.lines[name].length_mm(c.spacing), 1) for name, c in lines.items()}
    measurements = []
    typed = []
    for name in ("diameter_mm", "short_axis_mm", "viable_mm"):
        value = lesion.values.get(name)
        if value is None:
            continue
        line = LINE_OF_FIELD[name]
        derived = line in lines and abs(measured[name] - float(value)) < 0.05
        coordinates = None
        if derived:
            caliper = lines[line]
            header = request.evidence.get(caliper.sop_instance_uid)
            # an image without a header (not in the index): the value without its line, not marked as typed
            coordinates = [_polyline(caliper, line, header)] if header is not None else None
        else:
            typed.append(name)
        measurements.append(
            hd.sr.Measurement(
                name=_NAME_OF_FIELD[name],
                value=float(value),
                unit=codes.UCUM.Millimeter,
                referenced_coordinates=coordinates,
            )
        )
    evaluations = [hd.sr.QualitativeEvaluation(NOT_IMAGE_DERIVED, _NAME_OF_FIELD[name]) for name in typed]
    if request.baseline and lesion.kind in ("target", "non-target"):
        category = codes.DCM.TargetLesionAtBaseline if lesion.kind == "target" else codes.DCM.NonTargetLesionAtBaseline
        evaluations.insert(0, hd.sr.QualitativeEvaluation(codes.DCM.BaselineCategory, category))
    elif lesion.kind == "new":
        evaluations.insert(0, hd.sr.QualitativeEvaluation(codes.SCT.NewFinding, codes.SCT.Yes))
    if lesion.status in STATUS_CODES:
        evaluations.append(hd.sr.QualitativeEvaluation(LESION_STATUS, STATUS_CODES[lesion.status]))
    site = finding_site(lesion.organ, is_node=lesion.is_node)
    return hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=lesion.tracking_uid, identifier=lesion.lesion_id),
        time_point_context=hd.sr.TimePointContext(
            time_point=request.visit or request.date.isoformat(),
            subject_time_point_identifier=request.visit or None,
        ),
        finding_type=codes.SCT.Lesion,
        finding_sites=[hd.sr.FindingSite(site)] if site is not None else None,
        method=MRECIST if request.mrecist else RECIST11,
        measurements=measurements or None,
        qualitative_evaluations=evaluations or None,
    )


def build_measurement_report(
    request: ReportRequest, *, previous: Sequence[Dataset] = (), series_number: int = 9100
) -> hd.sr.ComprehensiveSR:
    """The TID 1500 document of ``request`` (``previous``: the documents it amends, latest first). Without
    evidence, the document copies ``request.context``'s patient and study and lists no evidence (a read with no
    located image: its lesions' values without lines, or no lesion at all)."""
    evidence = list(request.evidence.values())
    if evidence:
        sources = evidence
    elif request.context is not None:
        sources = [request.context]
    else:
        raise SRError(f"{request.subject_id} {request.date}: no image is referenced (an SR needs at least one)")
    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Person,
        observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(
            name=person_name(request.observer_name or request.observer), login_name=request.observer
        ),
    )
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_person_context=observer),
        procedure_reported=codes.SCT.ImagingProcedure,
        imaging_measurements=[_group(request, lesion) for lesion in request.lesions],
    )
    sr = hd.sr.ComprehensiveSR(
        evidence=sources,
        content=report[0],
        series_instance_uid=hd.UID(),
        series_number=series_number,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer=MANUFACTURER,
        is_complete=True,
        is_final=request.final,
        previous_versions=list(previous) or None,
        series_description=f"RECIST read {request.observer} {request.visit or request.date.isoformat()}"[:64],
    )
    if not evidence:  # the context is no evidence: highdicom lists it, the document references no instance
        del sr.CurrentRequestedProcedureEvidenceSequence
    return sr


def document_bytes(document: Dataset) -> bytes:
    """A document as the bytes of its DICOM file (Part 10, with its file meta): what is stored and hashed."""
    buffer = BytesIO()
    document.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def document_from_bytes(data: bytes) -> Dataset:
    """A stored document's bytes as a dataset (the predecessor an amended read names)."""
    return pydicom.dcmread(BytesIO(data))


def write_measurement_report(request: ReportRequest, path: Path, *, previous: Sequence[Dataset] = ()) -> Dataset:
    """Write the SR of ``request`` to ``path`` (a new file: documents are immutable) and return it."""
    if path.exists():
        raise SRError(f"{path} exists: an SR is never rewritten (an amended read is a new document)")
    sr = build_measurement_report(request, previous=previous)
    path.parent.mkdir(parents=True, exist_ok=True)
    sr.save_as(path, enforce_file_format=True)
    return sr


# ---------------------------------------------------------------------------------------------- reading
def read_document(path: Path) -> Dataset:
    """A written SR as a dataset (the predecessor an amended read names)."""
    return pydicom.dcmread(path)


def is_report_file(path: Path) -> bool:
    """Whether ``path`` is a DICOM file of an SR class a TID 1500 Measurement Report is written in (its header's
    SOP Class UID only; a file that is not DICOM is not one)."""
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SOPClassUID"])
    except (InvalidDicomError, OSError, ValueError, EOFError, KeyError, TypeError, AttributeError):
        return False
    meta = getattr(ds, "file_meta", None)
    sop_class = str(ds.get("SOPClassUID", "") or getattr(meta, "MediaStorageSOPClassUID", "") or "")
    return sop_class in SR_SOP_CLASSES


#: Concept names read from a measurement group besides the measurements: SNOMED CT and the legacy SRT of dcmjs.
FINDING_SITE_CODES = frozenset({("SCT", "363698007"), ("SRT", "G-C0E3")})
METHOD_CODES = frozenset({("SCT", "370129005"), ("SRT", "G-C036")})
BASELINE_CATEGORY = ("DCM", "112016")
#: *New finding* = *Yes* (SCT 129721008 / 373066001; legacy SRT R-42E61 / R-0038D): hccreview's mark of a new lesion.
NEW_FINDING = ("SCT", "129721008")
YES = ("SCT", "373066001")
TIME_POINT, TIME_POINT_ID = ("UMLS", "C2348792"), ("DCM", "126070")
#: The lesion kind a baseline category (DCM 112016) names.
KIND_OF_CATEGORY: Mapping[tuple[str, str], str] = {("DCM", "112074"): "target", ("DCM", "112075"): "non-target"}
#: hccreview's organ word of a finding site: the first organ of :data:`SITES` written with that code, and the legacy
#: SRT topography codes old dcmjs / OHIF wrote for the same organs.
ORGAN_OF_SITE: Mapping[tuple[str, str], str] = {
    **{("SRT", code): organ for code, organ in (("T-62000", "liver"), ("T-28000", "lung"), ("T-C4000", "lymph node"),
                                               ("T-11000", "bone"), ("T-B3000", "adrenal"))},
    **{(str(c.scheme_designator), str(c.value)): organ for organ, c in reversed(list(SITES.items()))},
}  # fmt: skip
NODE_SITES = frozenset(k for k, organ in ORGAN_OF_SITE.items() if organ == "lymph node")
#: The method a group names, as the study's criteria spell it.
_METHOD_OF_CODE = {("DCM", "126081"): "RECIST 1.1", (PRIVATE_SCHEME, MRECIST.value): "mRECIST"}


@dataclass(frozen=True)
class ParsedMeasurement:
    """A long / short axis or viable diameter read from an SR (``points``: the line, empty when typed)."""

    field: str  # diameter_mm / short_axis_mm / viable_mm
    value_mm: float
    points: tuple[tuple[float, float], ...] = ()
    sop_instance_uid: str = ""
    sop_class_uid: str = ""


@dataclass(frozen=True)
class ParsedGroup:
    """One lesion's measurement group, with what recreating the lesion needs: its kind where the SR names it
    (the baseline category: target / non-target; "" when the SR does not say), its organ in hccreview's words
    (:data:`ORGAN_OF_SITE`; a private site's meaning is the organ's text), whether the site is a lymph node, the
    method (RECIST 1.1 / mRECIST) and the group's time point."""

    lesion_id: str
    tracking_uid: str
    measurements: tuple[ParsedMeasurement, ...]
    finding_site: str = ""
    kind: str = ""
    organ: str = ""
    is_node: bool = False
    method: str = ""
    time_point: str = ""
    time_point_id: str = ""
    typed: tuple[str, ...] = ()  # the fields marked *Not image-derived*
    status: str = ""  # the lesion's status where hccreview wrote it ("" = the SR does not say)

    def value(self, field_name: str) -> float | None:
        return next((m.value_mm for m in self.measurements if m.field == field_name), None)


@dataclass(frozen=True)
class ParsedReport:
    """What an SR says, as hccreview reads it (``skipped``: measurements it does not know, in words).

    ``study_date``, ``clinical_trial_subject_id`` and ``clinical_trial_time_point_id`` come from the document's
    header (the study and patient modules it copies from its images): an importer's fall-backs when the images
    it references are not in the study."""

    sop_instance_uid: str
    patient_id: str
    observer: str
    time_point: str
    groups: tuple[ParsedGroup, ...]
    predecessors: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    study_date: dt.date | None = None
    clinical_trial_subject_id: str = ""
    clinical_trial_time_point_id: str = ""
    sop_class_uid: str = ""


def _code_key(item: Dataset) -> tuple[str, str]:
    name = item.ConceptNameCodeSequence[0]
    return (str(name.CodingSchemeDesignator), str(name.CodeValue))


def _find_text(items: Sequence[Dataset], scheme: str, value: str) -> str:
    """The first TEXT / PNAME / UIDREF value below ``items`` whose concept name is (scheme, value)."""
    for item in items:
        if "ConceptNameCodeSequence" in item and _code_key(item) == (scheme, value):
            for attr in ("TextValue", "PersonName", "UID"):
                if attr in item:
                    return str(item.get(attr))
        found = _find_text(item.get("ContentSequence", []), scheme, value)
        if found:
            return found
    return ""


def _measurements(
    group: hd.sr.MeasurementsAndQualitativeEvaluations, where: str
) -> tuple[list[ParsedMeasurement], list[str]]:
    out: list[ParsedMeasurement] = []
    skipped: list[str] = []
    for item in group[0].ContentSequence:
        if item.ValueType != "NUM":
            continue
        key = _code_key(item)
        name = _FIELD_OF_CODE.get(key)
        meaning = str(item.ConceptNameCodeSequence[0].CodeMeaning)
        if name is None:
            skipped.append(f"{where}: {meaning} ({key[0]} {key[1]}) is not a long / short axis or viable diameter")
            continue
        value = float(item.MeasuredValueSequence[0].NumericValue)
        unit = str(item.MeasuredValueSequence[0].MeasurementUnitsCodeSequence[0].CodeValue)
        if unit == "cm":
            value *= 10.0
        elif unit != "mm":
            skipped.append(f"{where}: {meaning} in {unit!r}, not mm")
            continue
        points: tuple[tuple[float, float], ...] = ()
        sop_uid = sop_class = ""
        for child in item.get("ContentSequence", []):
            if child.ValueType == "SCOORD":
                data = [float(v) for v in child.GraphicData]
                points = tuple((data[i], data[i + 1]) for i in range(0, len(data) - 1, 2))
                for ref in child.get("ContentSequence", []):
                    if ref.ValueType == "IMAGE":
                        sop = ref.ReferencedSOPSequence[0]
                        sop_uid, sop_class = str(sop.ReferencedSOPInstanceUID), str(sop.ReferencedSOPClassUID)
        out.append(ParsedMeasurement(name, value, points, sop_uid, sop_class))
    return out, skipped


def read_measurement_report(path: Path) -> ParsedReport:
    """The lesions and measurements of a TID 1500 SR (hccreview's, OHIF's, dcmjs's): :class:`SRError` when the
    file is not a Measurement Report."""
    try:
        sr = hd.sr.srread(path)
    except Exception as exc:  # highdicom raises several types for a file that is not an SR it reads
        raise SRError(f"{path}: not a DICOM SR highdicom reads ({exc})") from exc
    content = sr.content
    if not isinstance(content, hd.sr.MeasurementReport):
        raise SRError(f"{path}: not a TID 1500 Measurement Report")
    groups: list[ParsedGroup] = []
    skipped: list[str] = []
    for group in content.get_image_measurement_groups():
        tracking = group.tracking_identifier or ""
        uid = str(group.tracking_uid or "")
        where = f"lesion {tracking or uid or '?'}"
        found, dropped = _measurements(group, where)
        skipped += dropped
        groups.append(_parsed_group(group, str(tracking), uid, tuple(found)))
    root = list(content[0].ContentSequence) if len(content) else []
    predecessors = tuple(
        str(instance.ReferencedSOPInstanceUID)
        for study in sr.get("PredecessorDocumentsSequence", [])
        for series in study.ReferencedSeriesSequence
        for instance in series.ReferencedSOPSequence
    )
    return ParsedReport(
        sop_instance_uid=str(sr.SOPInstanceUID),
        patient_id=str(sr.get("PatientID", "")),
        observer=_find_text(root, "DCM", "121008").rstrip("^"),
        time_point=_find_text(root, *TIME_POINT_ID) or _find_text(root, *TIME_POINT),
        groups=tuple(groups),
        predecessors=predecessors,
        skipped=tuple(skipped),
        study_date=_date(str(sr.get("StudyDate", "") or "")),
        clinical_trial_subject_id=str(sr.get("ClinicalTrialSubjectID", "") or "").strip(),
        clinical_trial_time_point_id=str(sr.get("ClinicalTrialTimePointID", "") or "").strip(),
        sop_class_uid=str(sr.SOPClassUID),
    )


def _date(text: str) -> dt.date | None:
    """A DA value (YYYYMMDD) as a date; None when it is not one."""
    try:
        return dt.datetime.strptime(text.strip(), "%Y%m%d").date()
    except ValueError:
        return None


def _coded(item: Dataset) -> tuple[str, str, str]:
    """(scheme, value, meaning) of a CODE item's value."""
    code = item.ConceptCodeSequence[0]
    return (str(code.CodingSchemeDesignator), str(code.CodeValue), str(code.get("CodeMeaning", "")))


def _parsed_group(
    group: hd.sr.MeasurementsAndQualitativeEvaluations,
    tracking: str,
    uid: str,
    found: tuple[ParsedMeasurement, ...],
) -> ParsedGroup:
    """A group's lesion facts, read from its content items (SCT and legacy SRT concept names alike)."""
    site = ("", "", "")
    kind = method = time_point = time_point_id = status = ""
    typed: list[str] = []
    for item in group[0].ContentSequence:
        if "ConceptNameCodeSequence" not in item:
            continue
        key = _code_key(item)
        if item.ValueType == "TEXT":
            if key == TIME_POINT:
                time_point = str(item.TextValue)
            elif key == TIME_POINT_ID:
                time_point_id = str(item.TextValue)
        if item.ValueType != "CODE" or "ConceptCodeSequence" not in item:
            continue
        scheme, value, meaning = _coded(item)
        if key in FINDING_SITE_CODES and not site[0]:
            site = (scheme, value, meaning)
        elif key in METHOD_CODES:
            method = _METHOD_OF_CODE.get((scheme, value), meaning)
        elif key == BASELINE_CATEGORY:
            kind = KIND_OF_CATEGORY.get((scheme, value), "")
        elif key == (PRIVATE_SCHEME, NOT_IMAGE_DERIVED.value) and (scheme, value) in _FIELD_OF_CODE:
            typed.append(_FIELD_OF_CODE[(scheme, value)])
        elif key == NEW_FINDING and (scheme, value) == YES and not kind:
            kind = "new"
        elif key == (PRIVATE_SCHEME, LESION_STATUS.value) and scheme == PRIVATE_SCHEME:
            status = _STATUS_OF_CODE.get(value, "")
    scheme, value, meaning = site
    organ = meaning if scheme == PRIVATE_SCHEME else ORGAN_OF_SITE.get((scheme, value), meaning.lower())
    return ParsedGroup(
        lesion_id=tracking, tracking_uid=uid, measurements=found, finding_site=meaning, kind=kind, organ=organ,
        is_node=(scheme, value) in NODE_SITES, method=method, time_point=time_point, time_point_id=time_point_id,
        typed=tuple(typed), status=status,
    )  # fmt: skip
