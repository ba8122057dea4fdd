"""Synthetic CT series of the demo study: each patient's lesions at each assessment, as a reader measured them.

The input is the study's records (``StudyData``), not the simulator's internals: one evaluator's lesions and
measurements (default: the investigator's, chosen as ``domain.sources`` chooses the lesions it computes from) are
drawn on a synthetic abdomen (``hccreview.demo.image_phantom``) so that measuring the images gives the recorded
diameters back. Per assessment date there is one study (StudyInstanceUID shared by its phases) with an arterial
and a portal-venous series when the patient has liver lesions or the study reads mRECIST (HCC enhances
arterially and washes out; the necrotic part makes the viable diameter smaller), else a portal-venous series.

What is drawn per lesion and date:

- target and measured non-target lesions: an ellipse of the measured long axis (nodes: ``diameter_mm``) and short
  axis (nodes: ``short_axis_mm``; a lesion without one gets a seeded ratio of 0.6–0.85 of its long axis, the same
  at every date); liver lesions with ``viable_mm`` below the long axis get a necrotic part (see image_phantom);
- status only (no size): 12 mm, 20 mm when unequivocal progression, 4 mm when too small to measure;
  ``absent`` lesions are not drawn, and a new lesion appears from its first measured date.

What a reader measures: RECIST on the portal-venous phase (the whole lesion, enhancing and necrotic, stands out
against the liver); mRECIST on the arterial phase, the longest diameter of the enhancing part, which lies on the
lesion's long axis from one end (``LesionTruth.viable_axis_px``), the necrotic rest of the lesion excluded.

A lesion keeps its position at every date (it is placed once, at its largest extent, away from every other
lesion). The truth (:class:`LesionTruth`) gives its axes' end points in DICOM image coordinates — column, row,
with the top-left pixel's centre at (0.5, 0.5), as a DICOM SR SCOORD has them.

All UIDs are derived from the seed, subject, date, phase, size, evaluator and slice (``generate_uid`` with an
explicit prefix: pydicom ignores the entropy when the prefix is None), so a series regenerated has the same UIDs.
Files are written under the user's cache folder (:func:`default_root`), never the repository: a series is
written to a temporary folder and renamed when complete, so a cancelled or failed run leaves no partial series
and the next run resumes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import platformdirs
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels.encoders import JPEG2000LosslessEncoder, JPEGLSLosslessEncoder, RLELosslessEncoder
from pydicom.uid import (
    UID,
    CTImageStorage,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    RLELossless,
    generate_uid,
)

from hccreview import __version__
from hccreview.demo import image_phantom as phantom
from hccreview.domain import sources
from hccreview.domain.calipers import Caliper, Line
from hccreview.domain.records import Criteria, Lesion, LesionKind, LesionStatus, Measurement, StudyData

GENERATOR_VERSION = "1"  # part of every UID and of the cache fingerprint: bump when the drawing changes
DEFAULT_SEED = 20240521
UID_PREFIX = "1.2.826.0.1.3680043.8.498."  # pydicom's root, for UIDs it derives (not a registered hccreview root)
ARTERIAL, PORTAL_VENOUS = "arterial", "portal venous"
CACHE_ENV = "HCCREVIEW_CACHE_DIR"  # overrides the user's cache folder (tests, a shared core-lab disk)
DEFAULT_SPONSOR = "hccreview demo sponsor"

_STATUS_ONLY_MM = {LesionStatus.TOO_SMALL: 4.0, LesionStatus.UNEQUIVOCAL_PROGRESSION: 20.0}
_DEFAULT_MM = 12.0
_MARGIN_Z_MM = 10.0

Point = tuple[float, float]


class ImagesCancelled(Exception):
    """Generation was cancelled; the series finished before stay, none is half-written."""


@dataclass(frozen=True)
class TrialInfo:
    """What the Clinical Trial Subject / Study / Series modules say of the trial and site."""

    sponsor: str
    protocol_id: str
    protocol_name: str
    site_id: str
    site_name: str


@dataclass(frozen=True)
class LesionTruth:
    """One lesion as drawn on one series: what measuring it must give."""

    lesion_id: str
    kind: LesionKind
    organ: str
    is_node: bool
    status: LesionStatus
    sized_from: str  # "measurement", or "status" when drawn at a default size
    in_organ: bool  # False: too large for its organ (its inner half lies in it, the rest bulges out)
    centre_mm: tuple[float, float, float]  # patient x, y, z
    centre_px: Point  # column, row (top-left pixel centre = 0.5, 0.5)
    slice_index: int  # 0-based position in the series (InstanceNumber - 1)
    angle_deg: float  # long axis from +column towards +row
    long_axis_mm: float
    short_axis_mm: float
    depth_mm: float  # craniocaudal extent
    viable_mm: float | None  # enhancing part's longest diameter when smaller than the long axis
    long_axis_px: tuple[Point, Point]
    short_axis_px: tuple[Point, Point]
    viable_axis_px: tuple[Point, Point] | None

    def blob(self) -> phantom.Blob:
        x, y, z = self.centre_mm
        return phantom.Blob(
            x,
            y,
            z,
            self.long_axis_mm,
            self.short_axis_mm,
            self.depth_mm,
            self.angle_deg,
            self.organ,
            self.viable_mm,
            bulges=not self.in_organ,
        )


@dataclass(frozen=True)
class SeriesPlan:
    """Everything needed to render and write one series (pure data; :func:`write_series` makes the files)."""

    subject_id: str
    date: date
    visit: str
    phase: str  # ARTERIAL or PORTAL_VENOUS
    series_number: int
    folder: str  # relative: <subject>/<visit or date>_<phase>
    study_uid: str
    series_uid: str
    frame_of_reference_uid: str
    sop_uids: tuple[str, ...]
    size: int
    spacing_mm: float
    slice_mm: float
    z_positions: tuple[float, ...]  # top (cranial) slice first
    lesions: tuple[LesionTruth, ...]
    trial: TrialInfo
    noise_seed: tuple[int, ...]

    @property
    def description(self) -> str:
        return f"{self.phase.capitalize()} phase"

    def image_position(self, index: int) -> tuple[float, float, float]:
        """ImagePositionPatient (centre of the top-left pixel) of slice ``index``."""
        corner = -(self.size / 2 - 0.5) * self.spacing_mm
        return (corner, corner, self.z_positions[index])


def _key(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _uid(*parts: object) -> str:
    text = "\x1f".join(str(p) for p in ("hccreview-demo-images", GENERATOR_VERSION, *parts))
    return str(generate_uid(prefix=UID_PREFIX, entropy_srcs=[text]))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "x"


def default_evaluator(data: StudyData, subject_id: str) -> str | None:
    """The reader whose lesions the images show by default: the investigator's (``sources`` "computed")."""
    return sources.select_timepoints(data, subject_id, sources.COMPUTED).reader


def _size(lesion: Lesion, m: Measurement, ratio: float) -> tuple[float, float, float | None, str] | None:
    """(long, short, viable, sized_from) of a lesion at one date; None when not drawn."""
    if m.status is LesionStatus.ABSENT:
        return None
    long, short = m.diameter_mm, m.short_axis_mm
    if lesion.is_node and long is None and short:
        long = short / ratio
    sized_from = "measurement"
    if not long or m.status is LesionStatus.TOO_SMALL:
        long, short, sized_from = _STATUS_ONLY_MM.get(m.status, _DEFAULT_MM), None, "status"
    short = short if short else long * ratio
    long, short = max(long, short), min(long, short)
    viable = m.viable_mm if lesion.organ.strip().lower() == "liver" else None
    if viable is not None and (viable >= long or sized_from == "status"):
        viable = None
    return long, short, viable, sized_from


def _depth(short: float) -> float:
    return min(max(short, 5.0), 25.0)


def plan_subject(
    data: StudyData,
    subject_id: str,
    *,
    evaluator: str | None = None,
    size: int = 512,
    seed: int = DEFAULT_SEED,
    sponsor: str = DEFAULT_SPONSOR,
) -> list[SeriesPlan]:
    """The series of one subject: per assessment date of ``evaluator`` (default: :func:`default_evaluator`),
    an arterial and a portal-venous series (or a portal-venous one), in date order. Pure and deterministic."""
    index = sources.study_index(data)
    subject = index.subjects.get(subject_id)
    if subject is None:
        raise ValueError(f"no subject {subject_id!r} in the study")
    reader = evaluator if evaluator is not None else default_evaluator(data, subject_id)
    lesions = sorted((x for x in index.lesions.get(subject_id, []) if x.reader == reader), key=lambda x: x.lesion_id)
    meas = [m for m in index.measurements.get(subject_id, []) if m.reader == reader]
    if not lesions or not meas:
        return []
    skey = _key(subject_id)
    ratios = {
        x.lesion_id: float(np.random.default_rng([seed, skey, _key(x.lesion_id), 11]).uniform(0.6, 0.85))
        for x in lesions
    }
    by_lesion = {x.lesion_id: x for x in lesions}
    sizes: dict[tuple[str, date], tuple[Measurement, tuple[float, float, float | None, str]]] = {}
    for m in meas:
        lesion = by_lesion.get(m.lesion_id)
        drawn = _size(lesion, m, ratios[m.lesion_id]) if lesion is not None else None
        if drawn is not None:
            sizes[m.lesion_id, m.date] = (m, drawn)
    dates = sorted({m.date for m in meas})
    visits = {d: next((m.visit for m in meas if m.date == d and m.visit), "") for d in dates}
    drawn_ids = [x.lesion_id for x in lesions if any((x.lesion_id, d) in sizes for d in dates)]
    footprints = []
    for lid in drawn_ids:
        dims = [sizes[lid, d][1] for d in dates if (lid, d) in sizes]
        long, short = max(s[0] for s in dims), max(s[1] for s in dims)
        footprints.append(phantom.Footprint(by_lesion[lid].organ, long, short, _depth(short)))
    spots = dict(zip(drawn_ids, phantom.place(np.random.default_rng([seed, skey, 7]), footprints), strict=True))
    depth = {lid: fp.depth_mm for lid, fp in zip(drawn_ids, footprints, strict=True)}
    top = math.ceil((max(spots[i].z + depth[i] / 2 for i in drawn_ids) + _MARGIN_Z_MM) / phantom.SLICE_MM)
    bottom = math.floor((min(spots[i].z - depth[i] / 2 for i in drawn_ids) - _MARGIN_Z_MM) / phantom.SLICE_MM)
    z_positions = tuple(k * phantom.SLICE_MM for k in range(top, bottom - 1, -1))
    liver = data.settings.criteria is Criteria.MRECIST or any(x.organ.strip().lower() == "liver" for x in lesions)
    phases = (ARTERIAL, PORTAL_VENOUS) if liver else (PORTAL_VENOUS,)
    trial = TrialInfo(
        sponsor, data.settings.protocol or data.settings.title, data.settings.title, subject.site, subject.site
    )
    spacing = phantom.spacing_mm(size)
    labels = [_slug(visits[d]) if visits[d] else d.isoformat() for d in dates]
    plans: list[SeriesPlan] = []
    for d, label in zip(dates, labels, strict=True):
        if labels.count(label) > 1:
            label = f"{label}_{d:%Y%m%d}"
        truths = []
        for lid in drawn_ids:
            if (lid, d) not in sizes:
                continue
            m, (long, short, viable, sized_from) = sizes[lid, d]
            spot, lesion = spots[lid], by_lesion[lid]
            truths.append(_truth(lesion, m.status, sized_from, spot, z_positions, long, short, viable, size))
        ids = (seed, subject_id, d.isoformat(), size, reader)
        for phase in phases:
            series_ids = (*ids, phase)
            plans.append(
                SeriesPlan(
                    subject_id=subject_id,
                    date=d,
                    visit=visits[d] or d.isoformat(),
                    phase=phase,
                    series_number=1 if phase == ARTERIAL else 2,
                    folder=f"{_slug(subject_id)}/{label}_{_slug(phase).lower()}",
                    study_uid=_uid("study", *ids),
                    series_uid=_uid("series", *series_ids),
                    frame_of_reference_uid=_uid("frame", *ids),
                    sop_uids=tuple(_uid("image", *series_ids, k) for k in range(len(z_positions))),
                    size=size,
                    spacing_mm=spacing,
                    slice_mm=phantom.SLICE_MM,
                    z_positions=z_positions,
                    lesions=tuple(truths),
                    trial=trial,
                    noise_seed=(seed, skey, d.toordinal(), phases.index(phase), size),
                )
            )
    return plans


def _truth(
    lesion: Lesion,
    status: LesionStatus,
    sized_from: str,
    spot: phantom.Placement,
    z_positions: tuple[float, ...],
    long: float,
    short: float,
    viable: float | None,
    size: int,
) -> LesionTruth:
    spacing = phantom.spacing_mm(size)
    col, row = spot.x / spacing + size / 2, spot.y / spacing + size / 2
    t = math.radians(spot.angle_deg)
    ux, uy = math.cos(t) / spacing, math.sin(t) / spacing  # one millimetre along the long axis, in pixels

    def along(mm: float, sx: float = ux, sy: float = uy) -> Point:
        return (round(col + mm * sx, 3), round(row + mm * sy, 3))

    viable_axis = None if viable is None else (along(long / 2), along(long / 2 - viable))
    return LesionTruth(
        lesion_id=lesion.lesion_id,
        kind=lesion.kind,
        organ=lesion.organ,
        is_node=lesion.is_node,
        status=status,
        sized_from=sized_from,
        in_organ=spot.in_organ,
        centre_mm=(spot.x, spot.y, spot.z),
        centre_px=(round(col, 3), round(row, 3)),
        slice_index=z_positions.index(spot.z),
        angle_deg=spot.angle_deg,
        long_axis_mm=long,
        short_axis_mm=short,
        depth_mm=_depth(short),
        viable_mm=viable,
        long_axis_px=(along(-long / 2), along(long / 2)),
        short_axis_px=(along(-short / 2, -uy, ux), along(short / 2, -uy, ux)),
        viable_axis_px=viable_axis,
    )


def truth_caliper(plan: SeriesPlan, truth: LesionTruth, *, stretch_px: float = 0.0) -> Caliper:
    """The bidirectional caliper a reader's eye would draw on a drawn lesion (its long and short axes on its
    centre slice), the long axis ``stretch_px`` pixels longer for a reader who disagrees: how the screenshot tools
    and the tests measure the demo images without a mouse."""
    (a, b) = truth.long_axis_px
    lines = {"long": Line(a, (b[0] + stretch_px, b[1])), "short": Line(*truth.short_axis_px)}
    return Caliper(plan.sop_uids[truth.slice_index], plan.series_uid, (plan.spacing_mm, plan.spacing_mm),
                   plan.frame_of_reference_uid, lines)  # fmt: skip


def iter_slices(plan: SeriesPlan) -> Iterator[np.ndarray]:
    """The series' stored pixel values (uint16, HU + 1024), slice by slice in ``z_positions`` order."""
    rng = np.random.default_rng(list(plan.noise_seed))
    phase = phantom.ARTERIAL if plan.phase == ARTERIAL else phantom.PORTAL_VENOUS
    blobs = [lesion.blob() for lesion in plan.lesions]
    for z in plan.z_positions:
        yield phantom.render_slice(plan.size, phase, z, blobs, rng)


def render_series(plan: SeriesPlan) -> np.ndarray:
    """The whole series as a (slices, rows, columns) uint16 array."""
    return np.stack(list(iter_slices(plan)))


# ---------------------------------------------------------------- DICOM files

_ENCODERS = {
    RLELossless: (RLELosslessEncoder, "gdcm"),  # gdcm: ~1.5 ms a 512² slice, pylibjpeg-rle ~9, pydicom's ~50
    JPEG2000Lossless: (JPEG2000LosslessEncoder, "pylibjpeg"),
    JPEGLSLossless: (JPEGLSLosslessEncoder, "pyjpegls"),
}
_STUDY_TIME = "093000"
_SERIES_TIME = {ARTERIAL: "093035", PORTAL_VENOUS: "093110"}


def _gdcm_available() -> bool:
    """python-gdcm is the one installed encoder of JPEG Lossless SV1 (pydicom has none; pylibjpeg-libjpeg, which
    decodes it, is GPL and not used)."""
    return importlib.util.find_spec("gdcm") is not None


def transfer_syntaxes() -> tuple[UID, ...]:
    """The (lossless) transfer syntaxes :func:`write_series` can write with the encoders installed here."""
    out = [ExplicitVRLittleEndian, *(uid for uid, (encoder, _) in _ENCODERS.items() if encoder.is_available)]
    return (*out, JPEGLosslessSV1) if _gdcm_available() else tuple(out)


def cache_transfer_syntax() -> UID:
    """What the cache is written in: RLE Lossless (a quarter of the bytes, decoded in ~2 ms) when available."""
    return RLELossless if RLELossless in transfer_syntaxes() else ExplicitVRLittleEndian


def _ds(value: float) -> str:
    return f"{value:.10g}"[:16]


def _header(plan: SeriesPlan) -> Dataset:
    """The attributes every slice of the series shares (CT Image IOD with the Clinical Trial modules)."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.file_meta.ImplementationClassUID = UID(_uid("implementation"))
    ds.file_meta.ImplementationVersionName = f"HCCREVIEW_{__version__}"[:16]
    texts = (plan.trial.sponsor, plan.trial.protocol_name, plan.trial.protocol_id, plan.trial.site_name, plan.visit)
    if not all(t.isascii() for t in texts):
        ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = CTImageStorage
    series_time = _SERIES_TIME[plan.phase]
    day = plan.date.strftime("%Y%m%d")
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.StudyDate, ds.SeriesDate, ds.AcquisitionDate, ds.ContentDate = day, day, day, day
    ds.StudyTime, ds.SeriesTime, ds.AcquisitionTime, ds.ContentTime = _STUDY_TIME, *[series_time] * 3
    ds.AccessionNumber = ""
    ds.Modality = "CT"
    ds.Manufacturer = "hccreview"
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = f"Synthetic CT abdomen, {plan.visit}"[:64]
    ds.SeriesDescription = plan.description
    ds.ManufacturerModelName = "demo phantom"
    # Patient: the subject id only (no other identifying data).
    ds.PatientName = f"{plan.subject_id}^"  # family name only; dciodvfy flags a PN without "^" (retired form)
    ds.PatientID = plan.subject_id
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.ClinicalTrialSponsorName = plan.trial.sponsor[:64]
    ds.ClinicalTrialProtocolID = plan.trial.protocol_id[:64]
    ds.ClinicalTrialProtocolName = plan.trial.protocol_name[:64]
    ds.ClinicalTrialSiteID = plan.trial.site_id[:64]
    ds.ClinicalTrialSiteName = plan.trial.site_name[:64]
    ds.ClinicalTrialSubjectID = plan.subject_id
    ds.ClinicalTrialTimePointID = plan.visit[:64]
    ds.ClinicalTrialTimePointDescription = f"Tumour assessment {plan.visit} on {plan.date.isoformat()}"
    ds.ClinicalTrialCoordinatingCenterName = ""
    ds.ClinicalTrialSeriesDescription = plan.description
    ds.ContrastBolusAgent = "Iodinated contrast"
    ds.BodyPartExamined = "ABDOMEN"
    ds.SliceThickness = _ds(plan.slice_mm)
    ds.KVP = "120"
    ds.SpacingBetweenSlices = _ds(plan.slice_mm)
    ds.SoftwareVersions = __version__
    ds.ReconstructionDiameter = _ds(plan.size * plan.spacing_mm)
    ds.PatientPosition = "HFS"
    ds.ContrastBolusRoute = "IV"
    ds.StudyInstanceUID = plan.study_uid
    ds.SeriesInstanceUID = plan.series_uid
    ds.StudyID = plan.visit[:16]
    ds.SeriesNumber = plan.series_number
    ds.AcquisitionNumber = 1
    ds.PatientOrientation = ["L", "P"]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.FrameOfReferenceUID = plan.frame_of_reference_uid
    ds.PositionReferenceIndicator = ""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = plan.size
    ds.PixelSpacing = [_ds(plan.spacing_mm)] * 2
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.BurnedInAnnotation = "NO"
    ds.WindowCenter, ds.WindowWidth = ["60", "40"], ["160", "400"]
    ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = "-1024", "1", "HU"
    ds.WindowCenterWidthExplanation = ["LIVER", "ABDOMEN"]
    ds.LossyImageCompression = "00"
    return ds


def write_series(
    plan: SeriesPlan,
    folder: Path,
    *,
    transfer_syntax: str = ExplicitVRLittleEndian,
    cancelled: Callable[[], bool] | None = None,
) -> list[Path]:
    """Write the series as CT Image Storage files ``folder/IM00001.dcm``... (top slice first); raises
    :class:`ImagesCancelled` when ``cancelled()`` turns true (the files written so far stay: the caller
    writes into a temporary folder) and ValueError for a transfer syntax no installed encoder writes."""
    syntax = UID(transfer_syntax)
    if syntax not in transfer_syntaxes():
        raise ValueError(f"cannot write {syntax.name or syntax}: use one of {[str(u) for u in transfer_syntaxes()]}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ds = _header(plan)
    paths = []
    for k, pixels in enumerate(iter_slices(plan)):
        if cancelled is not None and cancelled():
            raise ImagesCancelled(f"stopped in {plan.folder}")
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = UID(plan.sop_uids[k])
        ds.InstanceNumber = k + 1
        ds.ImagePositionPatient = [_ds(v) for v in plan.image_position(k)]
        ds.SliceLocation = _ds(plan.z_positions[k])
        if syntax in _ENCODERS:
            encoder, plugin = _ENCODERS[syntax]
            ds.compress(
                syntax,
                pixels,
                encoding_plugin=plugin if plugin in encoder.available_plugins else "",
                generate_instance_uid=False,
            )  # the plan's UID: the index registers it
        else:
            ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
            ds.PixelData = pixels.tobytes()
            ds["PixelData"].VR = "OW"
        path = folder / f"IM{k + 1:05d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        if syntax == JPEGLosslessSV1:
            _gdcm_transcode(path, syntax)
        paths.append(path)
    return paths


def _gdcm_transcode(path: Path, syntax: UID) -> None:
    """Re-encode a written file in place with GDCM (pydicom has no JPEG Lossless encoder)."""
    import gdcm  # type: ignore[import-untyped]  # python-gdcm ships no type information

    kinds = {JPEGLosslessSV1: gdcm.TransferSyntax.JPEGLosslessProcess14_1}
    temp = path.with_suffix(".gdcm")
    reader, change, writer = gdcm.ImageReader(), gdcm.ImageChangeTransferSyntax(), gdcm.ImageWriter()
    reader.SetFileName(str(path))
    change.SetTransferSyntax(gdcm.TransferSyntax(kinds[syntax]))
    done = reader.Read()
    if done:
        change.SetInput(reader.GetImage())
        done = change.Change()
    if done:
        writer.SetFileName(str(temp))
        writer.SetFile(reader.GetFile())
        writer.SetImage(change.GetOutput())
        done = writer.Write()
    if not done:
        temp.unlink(missing_ok=True)
        raise RuntimeError(f"GDCM could not encode {path.name} as {syntax.name}")
    os.replace(temp, path)


def default_root(study_fingerprint: str) -> Path:
    """Where a study's demo images are cached: ``<user cache>/demo-images/<fingerprint>`` (``HCCREVIEW_CACHE_DIR``
    replaces the user cache folder)."""
    base = os.environ.get(CACHE_ENV) or platformdirs.user_cache_dir("hccreview", appauthor=False)
    return Path(base) / "demo-images" / study_fingerprint


def fingerprint(data: StudyData, *, size: int = 512, seed: int = DEFAULT_SEED) -> str:
    """A short digest of what the images depend on (the lesions and measurements of each subject's rendered
    evaluator — the investigator's, read-only source data — size, seed, generator version): a changed delivery
    gives a new cache folder instead of stale images, while a reader's measuring never does."""
    digest = hashlib.sha256(f"{GENERATOR_VERSION}|{size}|{seed}|{data.settings.criteria}".encode())
    drawn = {(s.subject_id, default_evaluator(data, s.subject_id)) for s in data.subjects}
    records: tuple[Lesion | Measurement, ...] = (*data.lesions, *data.measurements)
    for record in sorted(repr(r) for r in records if (r.subject_id, r.reader) in drawn):
        digest.update(record.encode())
    return digest.hexdigest()[:16]


Progress = Callable[[int, int, str], None]


def generate_subject(
    data: StudyData,
    subject_id: str,
    root: Path,
    *,
    size: int = 512,
    seed: int = DEFAULT_SEED,
    evaluator: str | None = None,
    transfer_syntax: str = "",
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[SeriesPlan]:
    """Write one subject's series under ``root`` (those already complete are kept); returns their plans."""
    plans = plan_subject(data, subject_id, evaluator=evaluator, size=size, seed=seed)
    _generate(plans, Path(root), transfer_syntax, progress, cancelled)
    return plans


def generate_study(
    data: StudyData,
    root: Path,
    *,
    subjects: Sequence[str] | None = None,
    size: int = 512,
    seed: int = DEFAULT_SEED,
    transfer_syntax: str = "",
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[SeriesPlan]:
    """Write the series of ``subjects`` (default: every subject with lesions) under ``root``; ``progress(done,
    total, text)`` counts series; raises :class:`ImagesCancelled` when ``cancelled()`` turns true."""
    wanted = subjects if subjects is not None else [s.subject_id for s in data.subjects]
    plans = [p for sid in wanted for p in plan_subject(data, sid, size=size, seed=seed)]
    _generate(plans, Path(root), transfer_syntax, progress, cancelled)
    return plans


def _generate(
    plans: list[SeriesPlan],
    root: Path,
    transfer_syntax: str,
    progress: Progress | None,
    cancelled: Callable[[], bool] | None,
) -> None:
    syntax = UID(transfer_syntax) if transfer_syntax else cache_transfer_syntax()
    stop = cancelled or (lambda: False)
    for done, plan in enumerate(plans):
        if progress is not None:
            progress(done, len(plans), f"{plan.subject_id} {plan.visit} {plan.phase}")
        final = root / plan.folder
        if final.is_dir():
            continue
        temp = final.with_name(f".partial-{final.name}-{os.getpid()}")
        shutil.rmtree(temp, ignore_errors=True)
        try:
            write_series(plan, temp, transfer_syntax=syntax, cancelled=stop)
            if stop():
                raise ImagesCancelled(f"stopped before {plan.folder}")
            try:
                os.replace(temp, final)
            except OSError:
                if not final.is_dir():  # else another process finished the same series first: keep theirs
                    raise
        finally:
            shutil.rmtree(temp, ignore_errors=True)
    if progress is not None:
        progress(len(plans), len(plans), "done")
