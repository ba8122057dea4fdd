"""Synthetic CT series for the image benchmark and tests (issue 21); Qt-free.

``hccreview bench`` times the viewer on series it writes itself into its temporary folder (no image is shipped
or downloaded; IMAGING.md: synthesize). A slice is a plain abdominal phantom — body ellipse (fat −100 HU with
soft tissue 40 HU), liver 110 HU, a vertebra 400 HU, Gaussian noise σ 8 — stored as uint16 with
RescaleIntercept −1024 (CT's usual encoding), single-frame, uncompressed unless asked otherwise.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, UID, CTImageStorage, ExplicitVRLittleEndian, generate_uid


@dataclass(frozen=True)
class SyntheticSeries:
    """A written series: its UIDs and geometry, and (SOP Instance UID, path, slice location mm) per file."""

    series_uid: str
    frame_of_reference_uid: str
    rows: int
    columns: int
    spacing: tuple[float, float]
    files: tuple[tuple[str, str, float], ...]


def phantom_slice(size: int, z: float, rng: np.random.Generator) -> np.ndarray:
    """HU of one axial slice at ``z`` mm (int16, size × size)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5
    hu = np.full((size, size), -1000.0, dtype=np.float32)
    hu[(x / 0.45) ** 2 + (y / 0.33) ** 2 <= 1] = -100.0
    hu[(x / 0.40) ** 2 + (y / 0.28) ** 2 <= 1] = 40.0
    liver = 0.16 + 0.04 * np.cos(z / 40.0)
    hu[((x + 0.15) / liver) ** 2 + ((y + 0.02) / (liver * 0.8)) ** 2 <= 1] = 110.0
    hu[(x / 0.05) ** 2 + ((y - 0.2) / 0.05) ** 2 <= 1] = 400.0
    hu += rng.normal(0.0, 8.0, hu.shape).astype(np.float32)
    return np.rint(hu).astype(np.int16)


def write_ct_series(folder: str | Path, *, slices: int, size: int = 512, spacing: float = 0.78,
                    thickness: float = 2.5, transfer_syntax: UID = ExplicitVRLittleEndian, seed: int = 0,
                    acquisition_plane: bool = True) -> SyntheticSeries:  # fmt: skip
    """Write ``slices`` axial CT files (``size``² pixels of ``spacing`` mm, ``thickness`` mm apart) into ``folder``.

    ``acquisition_plane`` False writes ImageType DERIVED\\SECONDARY\\REFORMATTED (a reformat)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    files = []
    for k in range(slices):
        z = -k * thickness  # head first: instance 1 is the highest slice
        sop = generate_uid()
        ds = _dataset(size, spacing, thickness, z, k + 1, (study, series, frame, sop), acquisition_plane)
        stored = phantom_slice(size, z, rng).astype(np.int32) + 1024
        ds.PixelData = np.clip(stored, 0, 4095).astype(np.uint16).tobytes()
        ds.file_meta = _file_meta(sop, ExplicitVRLittleEndian)
        if transfer_syntax != ExplicitVRLittleEndian:
            ds.compress(transfer_syntax)
        path = out / f"ct{k + 1:04d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        files.append((sop, str(path), z))
    return SyntheticSeries(series, frame, size, size, (spacing, spacing), tuple(files))


def write_manifest(path: str | Path, series: list[SyntheticSeries]) -> None:
    """Say which series were written (the GUI benchmark process reads it back with :func:`read_manifest`)."""
    Path(path).write_text(json.dumps([asdict(s) for s in series]), encoding="utf-8")


def read_manifest(path: str | Path) -> list[SyntheticSeries]:
    out = []
    for raw in json.loads(Path(path).read_text(encoding="utf-8")):
        files = tuple((str(sop), str(file), float(loc)) for sop, file, loc in raw["files"])
        out.append(
            SyntheticSeries(
                raw["series_uid"],
                raw["frame_of_reference_uid"],
                int(raw["rows"]),
                int(raw["columns"]),
                (float(raw["spacing"][0]), float(raw["spacing"][1])),
                files,
            )
        )
    return out


def _file_meta(sop: str, transfer_syntax: UID) -> FileMetaDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = UID(sop)
    meta.TransferSyntaxUID = transfer_syntax
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    return meta


def _dataset(size: int, spacing: float, thickness: float, z: float, number: int, uids: tuple[str, str, str, str],
             acquisition_plane: bool) -> Dataset:  # fmt: skip
    study, series, frame, sop = uids
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, sop
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
    ds.Modality, ds.PatientID, ds.PatientName = "CT", "BENCH-001", "Bench^Phantom"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"] if acquisition_plane else ["DERIVED", "SECONDARY", "REFORMATTED"]
    ds.InstanceNumber, ds.SeriesNumber = number, 1
    ds.ImagePositionPatient = [-size * spacing / 2, -size * spacing / 2, z]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.SliceLocation, ds.SliceThickness = z, thickness
    ds.PixelSpacing = [spacing, spacing]
    ds.Rows = ds.Columns = size
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = -1024, 1, "HU"
    ds.WindowCenter, ds.WindowWidth = 50, 400
    return ds


__all__ = ["SyntheticSeries", "phantom_slice", "read_manifest", "write_ct_series", "write_manifest"]
