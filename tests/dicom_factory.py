"""A tiny DICOM writer for tests: 32×32 CT / MR slices with the Clinical Trial attributes, in any transfer syntax
the installed encoders write (explicit VR little endian, RLE Lossless, JPEG 2000 Lossless through pydicom's
``Dataset.compress``; JPEG Lossless SV1 through GDCM, which pydicom cannot encode).

Every file is a proper Part 10 file (preamble, file meta) with the Patient, Clinical Trial Subject / Study, General
Study / Series, Frame of Reference, General Image, Image Plane and Image Pixel modules, so ``io.dicom_index`` reads
what a core lab's delivery would give it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    UID,
    CTImageStorage,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLosslessSV1,
    MRImageStorage,
    RLELossless,
    generate_uid,
)

#: The syntaxes the factory writes, by a short name for test ids.
SYNTAXES: dict[str, UID] = {
    "explicit": ExplicitVRLittleEndian,
    "rle": RLELossless,
    "j2k": JPEG2000Lossless,
    "jpeg-lossless": JPEGLosslessSV1,
}
SIZE = 32
AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


@dataclass(frozen=True)
class SeriesFiles:
    """A written series: its UIDs and its files (in slice order)."""

    series_uid: str
    study_uid: str
    files: tuple[Path, ...]
    sop_uids: tuple[str, ...]


def _pixels(k: int) -> np.ndarray:
    """A recognisable 12-bit pattern per slice (an ellipse on a gradient)."""
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    inside = ((x - 16) / 12.0) ** 2 + ((y - 16) / 9.0) ** 2 <= 1.0
    return (1000 + 10 * x + k * 5 + 200 * inside).astype(np.uint16)


def _jpeg_lossless(path: Path) -> None:
    """Re-encode ``path`` in place as JPEG Lossless SV1 with GDCM (pydicom has no encoder for it)."""
    import gdcm  # type: ignore[import-untyped]  # GDCM's SWIG bindings ship no type information

    reader = gdcm.ImageReader()
    reader.SetFileName(str(path))
    if not reader.Read():
        raise RuntimeError(f"GDCM cannot read {path}")
    change = gdcm.ImageChangeTransferSyntax()
    change.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.JPEGLosslessProcess14_1))
    change.SetInput(reader.GetImage())
    if not change.Change():
        raise RuntimeError(f"GDCM cannot encode {path} as JPEG Lossless")
    writer = gdcm.ImageWriter()
    writer.SetFileName(str(path))
    writer.SetFile(reader.GetFile())
    writer.SetImage(change.GetOutput())
    if not writer.Write():
        raise RuntimeError(f"GDCM cannot write {path}")


def write_slice(
    path: Path,
    *,
    series_uid: str,
    study_uid: str,
    frame_uid: str,
    k: int = 0,
    modality: str = "CT",
    subject_id: str = "",
    patient_id: str = "",
    study_date: date | None = None,
    timepoint_id: str = "",
    description: str = "",
    contrast: str = "",
    spacing: tuple[float, float] = (0.8, 0.8),
    thickness: float = 2.5,
    orientation: Sequence[float] = AXIAL,
    image_type: Sequence[str] = ("ORIGINAL", "PRIMARY", "AXIAL"),
    syntax: UID = ExplicitVRLittleEndian,
    sop_uid: str | None = None,
    rows: int = SIZE,
    sop_class: UID | None = None,
    position: Sequence[float] | None = None,
) -> str:
    """Write one slice ``k`` (position k × thickness along z unless ``position`` is given) to ``path``; returns its
    SOP Instance UID. ``sop_class`` overrides the CT / MR Image Storage class (another kind of object)."""
    sop_class = sop_class or (CTImageStorage if modality == "CT" else MRImageStorage)
    uid = UID(sop_uid) if sop_uid else generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, uid
    ds.PatientName = f"Anonymous^{patient_id or subject_id}"
    ds.PatientID = patient_id
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    if subject_id:  # the Clinical Trial Subject module (PS3.3 C.7.1.3); absent from a PatientID-only delivery
        ds.ClinicalTrialSponsorName = "hccreview tests"
        ds.ClinicalTrialProtocolID = "HCC-TEST"
        ds.ClinicalTrialProtocolName = ""
        ds.ClinicalTrialSiteID = "01"
        ds.ClinicalTrialSiteName = ""
        ds.ClinicalTrialSubjectID = subject_id
    if timepoint_id:
        ds.ClinicalTrialTimePointID = timepoint_id
    ds.StudyInstanceUID = study_uid
    ds.StudyDate = study_date.strftime("%Y%m%d") if study_date else ""
    ds.StudyTime = "120000"
    ds.ReferringPhysicianName = ""
    ds.StudyID = "1"
    ds.AccessionNumber = ""
    ds.Modality = modality
    ds.SeriesInstanceUID = series_uid
    ds.SeriesNumber = 1
    ds.PatientPosition = "FFS"
    ds.BodyPartExamined = "ABDOMEN"
    ds.SeriesDescription = description
    if contrast:
        ds.ContrastBolusAgent = contrast
    ds.FrameOfReferenceUID = frame_uid
    ds.PositionReferenceIndicator = ""
    ds.Manufacturer = "hccreview"
    ds.InstanceNumber = k + 1
    ds.AcquisitionNumber = 1
    ds.ImageType = list(image_type)
    ds.ImagePositionPatient = list(position) if position is not None else [-12.8, -12.8, k * thickness]
    ds.ImageOrientationPatient = list(orientation)
    ds.PixelSpacing = list(spacing)
    ds.SliceThickness = thickness
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = rows, SIZE
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    if modality == "CT":
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = -1024, 1, "HU"
        ds.KVP = 120
    else:
        ds.ScanningSequence, ds.SequenceVariant, ds.ScanOptions, ds.MRAcquisitionType = "GR", "SP", "", "3D"
        ds.RepetitionTime, ds.EchoTime, ds.EchoTrainLength = 4.0, 2.0, 1
    pixels = np.resize(_pixels(k), (rows, SIZE))
    ds.PixelData = pixels.tobytes()
    if syntax in (RLELossless, JPEG2000Lossless):
        ds.compress(syntax, pixels, generate_instance_uid=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    if syntax == JPEGLosslessSV1:
        _jpeg_lossless(path)  # GDCM gives the re-encoded image a new SOP Instance UID
        return str(dcmread(path, stop_before_pixels=True).SOPInstanceUID)
    return str(uid)


def write_series(
    folder: Path, *, n: int = 3, series_uid: str | None = None, study_uid: str | None = None, **attrs: Any
) -> SeriesFiles:
    """Write ``n`` slices of one series as ``folder/IMG0001.dcm`` …; ``attrs`` as :func:`write_slice` takes them."""
    series_uid = series_uid or generate_uid()
    study_uid = study_uid or generate_uid()
    frame_uid = str(attrs.pop("frame_uid", "") or generate_uid())
    files, uids = [], []
    for k in range(n):
        path = folder / f"IMG{k + 1:04d}.dcm"
        uids.append(write_slice(path, series_uid=series_uid, study_uid=study_uid, frame_uid=frame_uid, k=k, **attrs))
        files.append(path)
    return SeriesFiles(series_uid, study_uid, tuple(files), tuple(uids))


def write_structured_report(path: Path) -> str:
    """A minimal Comprehensive SR header (the index lists SR files for a later import; it never reads content)."""
    meta = FileMetaDataset()
    uid = generate_uid()
    meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.88.33")
    meta.MediaStorageSOPInstanceUID = uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, uid
    ds.Modality = "SR"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return uid
