"""Index a folder of DICOM files: which CT / MR series it holds, their geometry, and what is wrong with them.

:func:`scan` walks a folder at any depth and reads each file's header only (``pydicom.dcmread(...,
stop_before_pixels=True)``, ``force=False``: a file without the DICOM preamble is *not DICOM*, listed, never
fatal). It keeps single-frame CT Image Storage and MR Image Storage (DICOM PS3.4 B.5); other SOP classes are
listed by name, and the DICOM SR documents that may hold a TID 1500 Measurement Report (Enhanced, Comprehensive
and Comprehensive 3D SR: :data:`SR_SOP_CLASSES`) are set aside for the SR import (``services.sr_import``); other
SR classes (a Key Object Selection, a Basic Text SR) are other objects, listed by name. Instances are grouped into
series by Series Instance UID; a series' problems name the file and the attribute (mixed rows / columns / spacing /
orientation, a duplicate SOP Instance UID, missing geometry, a transfer syntax no installed decoder handles). A
series with a *blocking* problem is listed but not registered; a warning (an unreadable Study Date, two images at
one position) does not stop it.

The attributes read, by DICOM PS3.3 module:

- C.12.1 SOP Common: SOP Class UID, SOP Instance UID; PS3.10 7.1 File Meta: Transfer Syntax UID;
- C.7.1.1 Patient: Patient ID; C.7.1.3 Clinical Trial Subject: Clinical Trial Subject ID;
- C.7.2.1 General Study: Study Instance UID, Study Date; C.7.2.3 Clinical Trial Study: Clinical Trial Time
  Point ID;
- C.7.3.1 General Series: Series Instance UID, Modality, Series Description; C.7.4.1 Frame of Reference;
- C.7.6.1 General Image: Instance Number, Image Type (C.7.6.1.1.2: ORIGINAL / DERIVED, LOCALIZER);
- C.7.6.2 Image Plane: Pixel Spacing, Image Orientation (Patient), Image Position (Patient), Slice Thickness;
  the position along the slice normal is C.7.6.2.1.1's Image Position projected on the cross product of the
  row and column direction cosines;
- C.7.6.3 Image Pixel: Rows, Columns; C.7.6.4 Contrast/Bolus: Contrast/Bolus Agent (for the phase).

Measurements are made on acquisition planes only (OHIF #3898 keeps reformatted planes out of the SR): a series
is *measurable* when its Image Type is ORIGINAL (not a localizer) and its slice normal lies within
:data:`PLANE_TOLERANCE_DEG` of a patient axis. Reformatted and derived series are indexed but marked not
measurable. Pure functions; no Qt, no SQL.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import itertools
import math
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pydicom
from pydicom.datadict import dictionary_description, tag_for_keyword
from pydicom.errors import InvalidDicomError
from pydicom.pixels import get_decoder
from pydicom.uid import UID

__all__ = [
    "IMAGE_SOP_CLASSES",
    "PHASES",
    "PLANE_TOLERANCE_DEG",
    "SR_SOP_CLASSES",
    "ScanCancelled",
    "ScanProblem",
    "ScanResult",
    "ScannedInstance",
    "ScannedSeries",
    "acquisition_plane",
    "attribute",
    "decoder_available",
    "phase_of",
    "read_patient_map",
    "scan",
    "slice_location",
]

#: Single-frame image storage SOP classes indexed (PS3.4 B.5): CT Image Storage, MR Image Storage.
IMAGE_SOP_CLASSES = frozenset({"1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.4"})
#: The SR SOP classes a TID 1500 Measurement Report is written in (PS3.16 TID 1500: Enhanced SR, Comprehensive SR,
#: Comprehensive 3D SR): the files the scan sets aside for the SR import.
SR_SOP_CLASSES = frozenset({"1.2.840.10008.5.1.4.1.1.88.22", "1.2.840.10008.5.1.4.1.1.88.33",
                            "1.2.840.10008.5.1.4.1.1.88.34"})  # fmt: skip
#: How far (degrees) a slice normal may lie from a patient axis for the series to count as an acquisition plane.
PLANE_TOLERANCE_DEG = 10.0
#: Contrast phases in the order a liver protocol acquires them; the words of a description that name each. Tried in
#: this order, so "late arterial" is arterial, not delayed.
PHASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("non-contrast", ("non contrast", "noncontrast", "pre contrast", "precontrast", "unenhanced", "native",
                      "plain", "without contrast", "wo contrast", "w o contrast")),
    ("arterial", ("arterial", "art", "hap")),
    ("portal venous", ("portal venous", "portal", "venous", "pv", "pvp")),
    ("delayed", ("delayed", "delay", "equilibrium", "late", "transitional")),
    ("hepatobiliary", ("hepatobiliary", "hbp")),
)  # fmt: skip
#: The phase of a series given a contrast agent but no phase word.
CONTRAST_ENHANCED = "contrast-enhanced"

Progress = Callable[[float, str], None]
_SPACING_TOLERANCE = 1e-3  # mm
_ORIENTATION_TOLERANCE = 1e-3  # direction cosine
_POSITION_TOLERANCE = 1e-3  # mm along the normal: two images "at one position"
_REPORT_EVERY = 25  # files between progress reports


class ScanCancelled(RuntimeError):
    """The scan was cancelled; nothing was indexed."""


@dataclass(frozen=True)
class ScanProblem:
    """Something wrong with one file (``path``, relative to the scanned folder) or a series (``path`` empty).

    ``attribute`` names the DICOM attribute with its tag, e.g. "Pixel Spacing (0028,0030)"; ``blocking``: the
    series is not registered (a warning only informs)."""

    path: str
    attribute: str
    message: str
    series_uid: str = ""
    blocking: bool = True

    def __str__(self) -> str:
        where = self.path or f"series {self.series_uid}"
        what = f"{self.attribute}: " if self.attribute else ""
        return f"{where}: {what}{self.message}"


@dataclass(frozen=True)
class ScannedInstance:
    """One image file of a scanned series."""

    path: str  # relative to the scanned folder, "/"-separated
    sop_instance_uid: str
    instance_number: int | None
    position: tuple[float, float, float] | None  # Image Position (Patient), mm
    slice_location: float | None  # mm along the slice normal (None: no geometry)
    transfer_syntax: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ScannedSeries:
    """One series of the folder with the header values hccreview matches and displays it by."""

    series_uid: str
    study_uid: str
    frame_of_reference_uid: str
    modality: str
    sop_class_uid: str
    description: str
    phase: str
    subject_id: str  # Clinical Trial Subject ID ("" when absent)
    patient_id: str
    study_date: date | None
    timepoint_id: str  # Clinical Trial Time Point ID
    rows: int
    columns: int
    row_spacing: float
    column_spacing: float
    slice_thickness: float | None
    orientation: tuple[float, ...] | None  # the six direction cosines of Image Orientation (Patient)
    image_type: tuple[str, ...]
    plane: str  # "axial" / "coronal" / "sagittal" / "oblique" / "" (no orientation)
    measurable: bool  # an acquisition plane (module docstring)
    not_measurable_why: str
    instances: tuple[ScannedInstance, ...]  # ordered by slice location, then path
    problems: tuple[ScanProblem, ...] = ()

    @property
    def importable(self) -> bool:
        """Whether the series may be registered (no blocking problem)."""
        return not any(p.blocking for p in self.problems)

    @property
    def orientation_text(self) -> str:
        """Image Orientation (Patient) as DICOM writes it: six numbers separated by backslashes."""
        return "\\".join(_number(v) for v in self.orientation) if self.orientation else ""

    @property
    def name(self) -> str:
        """How a person recognises the series: modality, phase or description."""
        what = self.phase or self.description
        return f"{self.modality} {what}".strip() if what else self.modality

    @property
    def size(self) -> int:
        return sum(i.size for i in self.instances)


@dataclass(frozen=True)
class ScanResult:
    """What a folder holds: its series, and every file that is not one of them, by name."""

    folder: Path
    files: int
    series: tuple[ScannedSeries, ...]
    not_dicom: tuple[str, ...] = ()
    structured_reports: tuple[str, ...] = ()  # Enhanced / Comprehensive / Comprehensive 3D SR files, for the SR import
    other_objects: tuple[tuple[str, str], ...] = ()  # (path, SOP class name) of DICOM files not indexed
    problems: tuple[ScanProblem, ...] = ()  # files that could not be placed in a series

    @property
    def images(self) -> int:
        return sum(len(s.instances) for s in self.series)

    def all_problems(self) -> list[ScanProblem]:
        """The files' problems, then each series'."""
        return [*self.problems, *(p for s in self.series for p in s.problems)]


# ---------------------------------------------------------------------------------------------- small pure helpers
@functools.cache
def attribute(keyword: str) -> str:
    """An attribute as a person reads it in a message: its name and tag, e.g. "Pixel Spacing (0028,0030)"."""
    tag = tag_for_keyword(keyword)
    if tag is None:
        return keyword
    return f"{dictionary_description(tag)} ({tag >> 16:04X},{tag & 0xFFFF:04X})"


@functools.cache
def decoder_available(transfer_syntax: str) -> bool:
    """Whether an installed pixel-data decoder handles ``transfer_syntax`` (pydicom's decoder registry with its
    plugins: pylibjpeg / openjpeg / rle, GDCM; the native syntaxes always)."""
    try:
        return bool(get_decoder(UID(transfer_syntax)).is_available)
    except (NotImplementedError, ValueError):
        return False


def phase_of(description: str, contrast_agent: str = "") -> str:
    """The contrast phase a series' description (or its Contrast/Bolus Agent text) names; "contrast-enhanced"
    when an agent is given without a phase word; "" when nothing says."""
    for text in (description, contrast_agent):
        words = f" {' '.join(re.sub(r'[^a-z0-9]+', ' ', text.lower()).split())} "
        for phase, names in PHASES:
            if any(f" {n} " in words for n in names):
                return phase
    return CONTRAST_ENHANCED if contrast_agent.strip() else ""


def _cross(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def slice_location(position: Sequence[float], orientation: Sequence[float]) -> float:
    """The position of a slice along its normal (mm): Image Position (Patient) · (row × column direction), PS3.3
    C.7.6.2.1.1. Slices of one series sort by it whatever the scanner wrote in Slice Location."""
    normal = _cross(orientation[:3], orientation[3:6])
    return sum(p * n for p, n in zip(position, normal, strict=True))


def acquisition_plane(orientation: Sequence[float]) -> tuple[str, float]:
    """The patient plane a slice orientation lies in and the angle (degrees) of its normal from that plane's axis:
    ("axial", 0.0) for (1,0,0,0,1,0); "oblique" beyond :data:`PLANE_TOLERANCE_DEG`."""
    normal = _cross(orientation[:3], orientation[3:6])
    length = math.sqrt(sum(n * n for n in normal)) or 1.0
    cosines = [abs(n) / length for n in normal]  # x: sagittal, y: coronal, z: axial (the patient's LPS axes)
    axis = max(range(3), key=lambda i: cosines[i])
    angle = math.degrees(math.acos(min(1.0, cosines[axis])))
    name = ("sagittal", "coronal", "axial")[axis]
    return (name if angle <= PLANE_TOLERANCE_DEG else "oblique"), angle


def _number(value: float) -> str:
    return f"{value:.6g}"


def _values_text(value: Any) -> str:
    if isinstance(value, tuple):
        return "\\".join(_number(v) if isinstance(v, float) else str(v) for v in value)
    return str(value)


def _study_date(text: str) -> date | None:
    """A DA value (YYYYMMDD, PS3.5 6.2) as a date; None when it is not one."""
    text = text.strip()
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------- reading one file
@dataclass
class _Header:
    """What one image file says (before it is grouped into its series)."""

    path: str
    sha256: str
    size: int
    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax: str
    values: dict[str, Any]  # attribute keyword -> value (tuples for multi-valued attributes)
    instance_number: int | None
    problems: list[ScanProblem] = field(default_factory=list)


#: Text attributes of an image kept for its series.
_TEXTS = ("StudyInstanceUID", "FrameOfReferenceUID", "Modality", "SeriesDescription", "PatientID",
          "ClinicalTrialSubjectID", "ClinicalTrialTimePointID", "StudyDate", "ContrastBolusAgent")  # fmt: skip


def _text(ds: pydicom.Dataset, keyword: str) -> str:
    value = ds.get(keyword)
    return "" if value is None else str(value).strip()


def _floats(ds: pydicom.Dataset, keyword: str, count: int) -> tuple[float, ...] | None:
    """A multi-valued decimal attribute as ``count`` floats; None when absent, empty or malformed."""
    value = ds.get(keyword)
    if value is None or value == "":
        return None
    items = list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]
    try:
        numbers = tuple(float(v) for v in items)
    except (TypeError, ValueError):
        return None
    if len(numbers) != count or not all(math.isfinite(n) for n in numbers):
        return None
    return numbers


def _image_header(rel: str, data: bytes, ds: pydicom.Dataset, sop_class: str) -> _Header:
    """The values of an image file that the index keeps, with its problems (file and attribute named)."""
    problems: list[ScanProblem] = []
    series_uid = _text(ds, "SeriesInstanceUID")
    syntax = str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "") or "")

    def problem(keyword: str, message: str, *, blocking: bool = True) -> None:
        problems.append(ScanProblem(rel, attribute(keyword), message, series_uid, blocking))

    if not syntax:
        problem("TransferSyntaxUID", "missing from the file meta information")
    elif not decoder_available(syntax):
        problem("TransferSyntaxUID", f"{UID(syntax).name}: no installed decoder reads its pixels")
    values: dict[str, Any] = {}
    for keyword in _TEXTS:
        values[keyword] = _text(ds, keyword)
    for keyword in ("Rows", "Columns"):
        number = ds.get(keyword)
        values[keyword] = int(number) if isinstance(number, int) and number > 0 else None
        if values[keyword] is None:
            problem(keyword, "missing")
    spacing = _floats(ds, "PixelSpacing", 2)
    if spacing is None or min(spacing) <= 0:
        problem("PixelSpacing", "missing or not two positive numbers: nothing can be measured in mm")
        spacing = None
    values["PixelSpacing"] = spacing
    orientation = _floats(ds, "ImageOrientationPatient", 6)
    if orientation is None:
        problem("ImageOrientationPatient", "missing or not six numbers")
    values["ImageOrientationPatient"] = orientation
    position = _floats(ds, "ImagePositionPatient", 3)
    if position is None:
        problem("ImagePositionPatient", "missing or not three numbers: the slice cannot be placed")
    values["ImagePositionPatient"] = position
    thickness = _floats(ds, "SliceThickness", 1)
    values["SliceThickness"] = thickness[0] if thickness else None
    image_type = ds.get("ImageType")
    values["ImageType"] = tuple(str(v).upper() for v in image_type) if image_type else ()
    number = ds.get("InstanceNumber")
    try:
        instance_number = int(number) if number not in (None, "") else None
    except (TypeError, ValueError):
        instance_number = None
    if not _text(ds, "StudyInstanceUID"):
        problem("StudyInstanceUID", "missing")
    if values["StudyDate"] and _study_date(values["StudyDate"]) is None:
        problem("StudyDate", f"{values['StudyDate']!r} is not a date (YYYYMMDD)", blocking=False)
    return _Header(rel, hashlib.sha256(data).hexdigest(), len(data), sop_class, _text(ds, "SOPInstanceUID"), syntax,
                   values, instance_number, problems)  # fmt: skip


# ---------------------------------------------------------------------------------------------- a series from files
#: Attributes every image of a series must share (the series row keeps one value), with how to show them.
_SHARED = ("Rows", "Columns", "PixelSpacing", "ImageOrientationPatient", "StudyInstanceUID", "Modality",
           "PatientID", "ClinicalTrialSubjectID", "ClinicalTrialTimePointID", "StudyDate")  # fmt: skip


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        tolerance = _SPACING_TOLERANCE if len(a) == 2 else _ORIENTATION_TOLERANCE
        return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _mixed(series_uid: str, headers: list[_Header]) -> list[ScanProblem]:
    """One problem per file whose shared attribute differs from the series' most common value."""
    problems = []
    for keyword in _SHARED:
        present = [h for h in headers if h.values.get(keyword) is not None]
        if not present:
            continue
        common, count = Counter(_values_text(h.values[keyword]) for h in present).most_common(1)[0]
        reference = next(h.values[keyword] for h in present if _values_text(h.values[keyword]) == common)
        for h in present:
            if not _same(h.values[keyword], reference):
                problems.append(ScanProblem(
                    h.path, attribute(keyword),
                    f"{_values_text(h.values[keyword]) or '(empty)'} here, {common or '(empty)'} in the series' "
                    f"other {count} image(s): one series must share it", series_uid,
                ))  # fmt: skip
    return problems


def _measurable(image_type: tuple[str, ...], plane: str, angle: float) -> str:
    """Why a series is not an acquisition plane ("" when it is)."""
    if not image_type:
        return f"{attribute('ImageType')} is missing"
    if image_type[0] != "ORIGINAL" or "REFORMATTED" in image_type:
        return f"a derived or reformatted series ({attribute('ImageType')} {chr(92).join(image_type)})"
    if "LOCALIZER" in image_type:
        return "a localizer"
    if plane == "oblique":
        return f"an oblique plane (slice normal {angle:.0f}° from the nearest axis)"
    if not plane:
        return f"no {attribute('ImageOrientationPatient')}"
    return ""


def _series(series_uid: str, headers: list[_Header], duplicates: set[str]) -> ScannedSeries:
    headers = sorted(headers, key=lambda h: h.path)
    problems = [p for h in headers for p in h.problems] + _mixed(series_uid, headers)
    for h in headers:
        if h.sop_instance_uid in duplicates:
            problems.append(ScanProblem(h.path, attribute("SOPInstanceUID"),
                                        f"{h.sop_instance_uid} is also the UID of another file of the folder",
                                        series_uid))  # fmt: skip
        if not h.sop_instance_uid:
            problems.append(ScanProblem(h.path, attribute("SOPInstanceUID"), "missing", series_uid))

    def first(keyword: str) -> Any:
        counts = Counter(_values_text(h.values[keyword]) for h in headers if h.values.get(keyword) is not None)
        if not counts:
            return None
        common = counts.most_common(1)[0][0]
        return next(h.values[keyword] for h in headers if _values_text(h.values.get(keyword)) == common)

    orientation = first("ImageOrientationPatient")
    instances = []
    for h in headers:
        position = h.values.get("ImagePositionPatient")
        location = slice_location(position, orientation) if position and orientation else None
        instances.append(ScannedInstance(h.path, h.sop_instance_uid, h.instance_number, position, location,
                                         h.transfer_syntax, h.sha256, h.size))  # fmt: skip
    instances.sort(key=lambda i: (i.slice_location is None, i.slice_location or 0.0, i.path))
    placed = [i for i in instances if i.slice_location is not None]
    for a, b in itertools.pairwise(placed):
        assert a.slice_location is not None and b.slice_location is not None  # placed: narrowed for the checker
        if abs(a.slice_location - b.slice_location) <= _POSITION_TOLERANCE:
            problems.append(ScanProblem(b.path, attribute("ImagePositionPatient"),
                                        f"the same slice position ({a.slice_location:.2f} mm) as {a.path}",
                                        series_uid, blocking=False))  # fmt: skip
    plane, angle = acquisition_plane(orientation) if orientation else ("", 0.0)
    image_type = first("ImageType") or ()
    why = _measurable(image_type, plane, angle)
    spacing = first("PixelSpacing") or (0.0, 0.0)
    description = first("SeriesDescription") or ""
    thicknesses = [h.values["SliceThickness"] for h in headers if h.values.get("SliceThickness") is not None]
    return ScannedSeries(
        series_uid=series_uid, study_uid=first("StudyInstanceUID") or "",
        frame_of_reference_uid=first("FrameOfReferenceUID") or "", modality=first("Modality") or "",
        sop_class_uid=headers[0].sop_class_uid, description=description,
        phase=phase_of(description, first("ContrastBolusAgent") or ""),
        subject_id=first("ClinicalTrialSubjectID") or "", patient_id=first("PatientID") or "",
        study_date=_study_date(first("StudyDate") or ""), timepoint_id=first("ClinicalTrialTimePointID") or "",
        rows=first("Rows") or 0, columns=first("Columns") or 0, row_spacing=spacing[0], column_spacing=spacing[1],
        slice_thickness=Counter(thicknesses).most_common(1)[0][0] if thicknesses else None,
        orientation=orientation, image_type=image_type, plane=plane, measurable=not why, not_measurable_why=why,
        instances=tuple(instances), problems=tuple(problems),
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------- the walk
def _files(folder: Path) -> list[Path]:
    """Every file under ``folder`` at any depth, in a stable order (directories sorted, then names)."""
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        out += [Path(dirpath) / name for name in sorted(filenames)]
    return out


def scan(
    folder: str | Path, *, progress: Progress | None = None, cancelled: Callable[[], bool] | None = None
) -> ScanResult:
    """Index the DICOM files under ``folder`` (module docstring). Reads headers only; raises
    :class:`ScanCancelled` when ``cancelled()`` turns true, ``NotADirectoryError`` for a folder that is not one."""
    folder = Path(folder).expanduser().resolve()
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder}: not a folder")
    report = progress or (lambda fraction, text: None)
    report(0.0, f"listing the files of {folder.name}")
    paths = _files(folder)
    headers: dict[str, list[_Header]] = {}
    not_dicom: list[str] = []
    reports: list[str] = []
    others: list[tuple[str, str]] = []
    problems: list[ScanProblem] = []
    for n, path in enumerate(paths):
        if cancelled is not None and cancelled():
            raise ScanCancelled("scan cancelled; nothing was indexed")
        if n % _REPORT_EVERY == 0:
            report(n / max(1, len(paths)), f"reading file {n + 1} of {len(paths)}")
        rel = path.relative_to(folder).as_posix()
        try:
            data = path.read_bytes()
            ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True)  # force=False: DICOM files only
        except InvalidDicomError:
            not_dicom.append(rel)
            continue
        except (OSError, ValueError, EOFError, KeyError, TypeError, AttributeError) as exc:  # a damaged header
            problems.append(ScanProblem(rel, "", f"cannot be read as DICOM ({type(exc).__name__}: {exc})"))
            continue
        sop_class = _text(ds, "SOPClassUID") or str(
            getattr(getattr(ds, "file_meta", None), "MediaStorageSOPClassUID", "") or ""
        )
        if sop_class in SR_SOP_CLASSES:
            reports.append(rel)
        elif sop_class not in IMAGE_SOP_CLASSES:
            others.append((rel, UID(sop_class).name if sop_class else f"no {attribute('SOPClassUID')}"))
        elif not _text(ds, "SeriesInstanceUID"):
            problems.append(ScanProblem(rel, attribute("SeriesInstanceUID"), "missing: the image fits no series"))
        else:
            header = _image_header(rel, data, ds, sop_class)
            headers.setdefault(_text(ds, "SeriesInstanceUID"), []).append(header)
    report(0.95, "checking each series")
    uids = Counter(h.sop_instance_uid for hs in headers.values() for h in hs if h.sop_instance_uid)
    duplicates = {uid for uid, count in uids.items() if count > 1}
    found = (_series(uid, hs, duplicates) for uid, hs in headers.items())
    series = tuple(sorted(found, key=lambda s: (s.subject_id or s.patient_id, s.study_date or date.min, s.series_uid)))
    report(1.0, f"{sum(len(s.instances) for s in series)} image(s) in {len(series)} series")
    return ScanResult(folder, len(paths), series, tuple(not_dicom), tuple(reports), tuple(others), tuple(problems))


# ---------------------------------------------------------------------------------------------- the PatientID map
_PATIENT_COLUMNS = ("patientid", "patient_id", "patient id")
_SUBJECT_COLUMNS = ("subjectid", "subject_id", "subject id", "usubjid", "clinicaltrialsubjectid")


def read_patient_map(path: str | Path) -> dict[str, str]:
    """A CSV file mapping DICOM Patient IDs to the study's subject ids: a header with a ``PatientID`` and a
    ``subject_id`` column (also spelt ``SubjectID``, ``USUBJID``, ``ClinicalTrialSubjectID``), one row each.
    ``ValueError`` naming the line for a missing column, an empty cell or a Patient ID mapped twice."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        raise ValueError(f"{path.name}: empty; expected a header 'PatientID,subject_id' and one row per patient")
    header = [c.strip().lower() for c in rows[0]]
    pid_col = _column(header, _PATIENT_COLUMNS)
    sid_col = _column(header, _SUBJECT_COLUMNS)
    if pid_col is None or sid_col is None:
        raise ValueError(f"{path.name} line 1: expected the columns PatientID and subject_id, found {rows[0]}")
    out: dict[str, str] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        pid = row[pid_col].strip() if pid_col < len(row) else ""
        sid = row[sid_col].strip() if sid_col < len(row) else ""
        if not pid or not sid:
            raise ValueError(f"{path.name} line {line}: a PatientID and a subject_id are both needed")
        if pid in out and out[pid] != sid:
            raise ValueError(f"{path.name} line {line}: PatientID {pid!r} is mapped twice ({out[pid]}, {sid})")
        out[pid] = sid
    return out


def _column(header: Iterable[str], names: Sequence[str]) -> int | None:
    return next((i for i, name in enumerate(header) if name in names), None)
