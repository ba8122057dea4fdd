"""DICOM SR out and in (issue 22 items 3–4): every visible read measured on images, as TID 1500 documents.

:func:`export_sr` writes one Comprehensive SR (``io.dicom_sr``) per evaluator × subject × timepoint that has at
least one caliper, to ``OUT/<subject>/<evaluator>/<date>_SR.dcm``, from the session's own data (``session.data()``:
a blinded reader exports only their own reads; the access policy decides, not this module). Every lesion measured
at that timepoint is a measurement group: a value measured with a caliper carries its line on the source image, a
value typed without one is written without coordinates and marked *Not image-derived* (so the document is the
whole read, and says which values an image gives).

Documents are immutable: exporting again writes nothing for a read that did not change (``unchanged``); an amended
read becomes a new document ``<date>_SR_<n>.dcm`` whose Predecessor Documents Sequence names the latest earlier
one. A lesion without a tracking UID yet (never measured on an image) gets a stable UUID-derived one from the study,
subject, evaluator and lesion id, so every export names it alike (nothing is written to the study).

:func:`import_sr` reads an SR (hccreview's, OHIF's or dcmjs's, SCT or legacy SRT axis codes) into a preview of its
lesions and measurements, matched to an evaluator's lesions by tracking UID, else by lesion id. Nothing is written.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from hccreview.domain import calipers
from hccreview.domain.images import ImageInstance, ImageSeries
from hccreview.domain.records import Criteria, Lesion, Measurement
from hccreview.io import dicom_sr
from hccreview.io.dicom_sr import Dataset, ParsedGroup, ParsedReport, SRError
from hccreview.services import images
from hccreview.services.session import StudySession

__all__ = ["ExportedSR", "ImportedGroup", "SRError", "SRPreview", "export_sr", "import_sr", "sr_path"]

NEW, AMENDED, UNCHANGED = "new", "amended", "unchanged"


@dataclass(frozen=True)
class ExportedSR:
    """One document of an export: where it is, its SHA-256, and whether it was written now."""

    subject_id: str
    evaluator: str
    date: date
    visit: str
    path: Path
    sha256: str
    lesions: int
    status: str  # new / amended (a new version naming its predecessor) / unchanged (nothing written)
    predecessor: Path | None = None

    def line(self) -> str:
        """How ``hccreview export-sr`` names it."""
        amends = f" (amends {self.predecessor.name})" if self.predecessor is not None else ""
        what = f"{self.subject_id} {self.evaluator} {self.date}: {self.lesions} lesion(s)"
        return f"{self.status}: {self.path} ({what}){amends}"


def sr_path(folder: Path, subject_id: str, evaluator: str, day: date, version: int = 1) -> Path:
    """Where the ``version``-th document of a read goes: ``folder/<subject>/<evaluator>/<date>_SR[_<n>].dcm``."""
    suffix = "" if version == 1 else f"_{version}"
    return folder / _safe(subject_id) / _safe(evaluator) / f"{day.isoformat()}_SR{suffix}.dcm"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "_"


def _versions(folder: Path, subject_id: str, evaluator: str, day: date) -> list[Path]:
    """The documents already written for a read, oldest first."""
    found = []
    version = 1
    while (path := sr_path(folder, subject_id, evaluator, day, version)).exists():
        found.append(path)
        version += 1
    return found


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tracking_uid(session: StudySession, m: Measurement, lesion: Lesion | None) -> str:
    """The lesion's stored tracking UID, else one UUID-derived from the study and the lesion (PS3.5 B.2): the same
    at every export and timepoint, and nothing written to the study."""
    if lesion is not None and lesion.tracking_uid:
        return lesion.tracking_uid
    settings = session.settings()
    name = f"hccreview:{settings.title}:{settings.protocol}:{m.subject_id}:{m.reader}:{m.lesion_id}"
    return f"2.25.{uuid.uuid5(uuid.NAMESPACE_URL, name).int}"


class _Images:
    """The index entries of the images calipers are drawn on, one subject at a time."""

    def __init__(self, session: StudySession) -> None:
        self.session = session
        self._series: dict[str, list[ImageSeries]] = {}
        self._instances: dict[str, dict[str, ImageInstance]] = {}

    def header(self, subject_id: str, caliper: calipers.Caliper) -> Dataset:
        series_list = self._series.setdefault(subject_id, images.series_for(self.session, subject_id))
        series = next((s for s in series_list if s.series_uid == caliper.series_uid), None)
        if series is None:
            raise SRError(f"{subject_id}: the series {caliper.series_uid} of a caliper is not in the image index")
        if caliper.series_uid not in self._instances:
            found = images.instances(self.session, caliper.series_uid)
            self._instances[caliper.series_uid] = {i.sop_instance_uid: i for i in found}
        instance = self._instances[caliper.series_uid].get(caliper.sop_instance_uid)
        if instance is None:
            raise SRError(f"{subject_id}: image {caliper.sop_instance_uid} is not in series {series.label}")
        try:
            path: Path | None = images.resolve(self.session, instance)
        except images.ImagesRefused:
            path = None
        return dicom_sr.evidence_from_index(
            sop_instance_uid=instance.sop_instance_uid, series_uid=series.series_uid, study_uid=series.study_uid,
            modality=series.modality, subject_id=subject_id, study_date=series.study_date or series.date, path=path,
        )  # fmt: skip


def _request(
    session: StudySession,
    rows: list[Measurement],
    lesions: dict[tuple[str, str, str], Lesion],
    *,
    baseline: bool,
    mrecist: bool,
    found: _Images,
) -> dicom_sr.ReportRequest:
    first = rows[0]
    evidence: dict[str, Dataset] = {}
    members = []
    for m in sorted(rows, key=lambda r: r.lesion_id):
        lesion = lesions.get((m.subject_id, m.reader, m.lesion_id))
        drawn = calipers.parse(m.caliper)
        for c in drawn:
            if c.lines and c.sop_instance_uid not in evidence:
                evidence[c.sop_instance_uid] = found.header(m.subject_id, c)
        values = {name: float(v) for name in calipers.LINE_OF_FIELD if (v := getattr(m, name)) is not None}
        members.append(
            dicom_sr.ReportLesion(
                lesion_id=m.lesion_id,
                tracking_uid=_tracking_uid(session, m, lesion),
                kind=str(lesion.kind) if lesion else "",
                organ=lesion.organ if lesion else "",
                is_node=bool(lesion and lesion.is_node),
                values=values,
                calipers=drawn,
            )
        )
    return dicom_sr.ReportRequest(
        subject_id=first.subject_id, observer=first.reader, date=first.date, visit=first.visit, mrecist=mrecist,
        baseline=baseline, lesions=tuple(members), evidence=evidence,
    )  # fmt: skip


def _same(a: ParsedReport, b: ParsedReport) -> bool:
    """Whether two documents say the same read (their UIDs and dates aside)."""

    def key(report: ParsedReport) -> tuple[object, ...]:
        groups = tuple(
            (g.lesion_id, g.tracking_uid, g.finding_site,
             tuple((m.field, round(m.value_mm, 2), tuple((round(x, 2), round(y, 2)) for x, y in m.points),
                    m.sop_instance_uid) for m in g.measurements))
            for g in report.groups
        )  # fmt: skip
        return (report.observer, report.time_point, groups)

    return key(a) == key(b)


def export_sr(session: StudySession, out_folder: str | Path, *, subjects: list[str] | None = None) -> list[ExportedSR]:
    """Write the SR of every read the signed-in user may see that has at least one caliper (``subjects``: only
    these); returns every document, new, amended or unchanged."""
    folder = Path(out_folder)
    data = session.data()
    wanted = set(subjects) if subjects is not None else None
    lesions = {(x.subject_id, x.reader, x.lesion_id): x for x in data.lesions}
    reads: dict[tuple[str, str, date], list[Measurement]] = defaultdict(list)
    first_day: dict[tuple[str, str], date] = {}
    for m in data.measurements:
        if wanted is not None and m.subject_id not in wanted:
            continue
        reads[(m.subject_id, m.reader, m.date)].append(m)
        key = (m.subject_id, m.reader)
        first_day[key] = min(first_day.get(key, m.date), m.date)
    mrecist = data.settings.criteria is Criteria.MRECIST
    found = _Images(session)
    out: list[ExportedSR] = []
    for (sid, evaluator, day), rows in sorted(reads.items()):
        if not any(calipers.parse(m.caliper) for m in rows):
            continue
        request = _request(session, rows, lesions, baseline=day == first_day[(sid, evaluator)], mrecist=mrecist,
                           found=found)  # fmt: skip
        out.append(_write(folder, request))
    return out


def _write(folder: Path, request: dicom_sr.ReportRequest) -> ExportedSR:
    earlier = _versions(folder, request.subject_id, request.observer, request.date)
    latest = earlier[-1] if earlier else None
    target = sr_path(folder, request.subject_id, request.observer, request.date, len(earlier) + 1)
    previous = [dicom_sr.read_document(latest)] if latest is not None else []
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    dicom_sr.write_measurement_report(request, partial, previous=previous)
    written = dicom_sr.read_measurement_report(partial)
    if latest is not None and _same(written, dicom_sr.read_measurement_report(latest)):
        partial.unlink()
        target, status, predecessor = latest, UNCHANGED, (earlier[-2] if len(earlier) > 1 else None)
    else:
        partial.rename(target)
        status, predecessor = (AMENDED, latest) if latest is not None else (NEW, None)
    return ExportedSR(request.subject_id, request.observer, request.date, request.visit, target, _sha256(target),
                      len(request.lesions), status, predecessor)  # fmt: skip


# ---------------------------------------------------------------------------------------------- reading back
@dataclass(frozen=True)
class ImportedGroup:
    """One measurement group of an SR and the evaluator's lesion it names (``matched_by``: tracking UID, lesion
    id, or '' for a lesion the evaluator does not have)."""

    group: ParsedGroup
    lesion_id: str
    matched_by: str


@dataclass(frozen=True)
class SRPreview:
    """What an SR would bring: its lesions and measurements; nothing is written."""

    path: Path
    report: ParsedReport
    evaluator: str
    groups: tuple[ImportedGroup, ...]

    def lines(self) -> list[str]:
        out = [f"{self.path.name}: {len(self.groups)} lesion(s), time point {self.report.time_point or '?'}"]
        for g in self.groups:
            values = ", ".join(f"{m.field} {m.value_mm:g} mm{'' if m.points else ' (typed)'}"
                               for m in g.group.measurements)  # fmt: skip
            match = f" = {g.lesion_id} (by {g.matched_by})" if g.matched_by else " (no such lesion)"
            out.append(f"  {g.group.lesion_id or '?'} {g.group.tracking_uid}{match}: {values}")
        out += [f"  skipped: {s}" for s in self.report.skipped]
        return out


def import_sr(session: StudySession, path: str | Path, *, evaluator: str | None = None) -> SRPreview:
    """Read the SR at ``path`` as a preview, matched to ``evaluator``'s lesions (default: the signed-in user) by
    tracking UID, else by lesion id, among the lesions the user may see. Writes nothing."""
    source = Path(path)
    report = dicom_sr.read_measurement_report(source)
    who = evaluator or session.user
    mine = [x for x in session.data().lesions if x.reader == who]
    by_uid = {x.tracking_uid: x for x in mine if x.tracking_uid}
    patient = report.patient_id
    by_id = {x.lesion_id: x for x in mine if not patient or x.subject_id == patient}
    groups = []
    for g in report.groups:
        if g.tracking_uid in by_uid:
            groups.append(ImportedGroup(g, by_uid[g.tracking_uid].lesion_id, "tracking UID"))
        elif g.lesion_id in by_id:
            groups.append(ImportedGroup(g, g.lesion_id, "lesion id"))
        else:
            groups.append(ImportedGroup(g, "", ""))
    return SRPreview(source, report, who, tuple(groups))
