"""DICOM SR out and in (issue 22 items 3–4): every read's documents, stored at submission or built for export.

**At submission** (:func:`write_read_documents`, called by ``reading.submit_read`` in the submission's own
transaction) hccreview writes the read's documents into the study file (table ``structured_reports``, immutable;
the audit entry of each keeps its SHA-256, which ``verify`` checks): a Comprehensive SR (TID 1500, ``io.dicom_sr``)
with every lesion of the reader measured at that date, and a Key Object Selection (``io.dicom_kos``) of the read's
key images (its caliper slices and the images the reader marked). Observer: the reader (their account's name and
login); method: the study's criteria; time point: the visit. A value whose source image is not in the image index
(a moved or unregistered image) is written without its line and named in the audit entry's reason, so a
submission never fails for want of an image file; a read with no located image (no caliper, or no lesion at all)
gets an SR that copies the patient and the study of that date (the index's study, else a UID derived from the
read) and lists no evidence; a read without any located key image gets no KOS (a KOS references at least one
object). A read submitted again after a re-opening gets new documents naming the earlier SR (Predecessor Documents
Sequence; ``predecessor_uid``). Any other failure to build a document is an :class:`SRError` naming the reason, and
the submission rolls back.

**Export** (:func:`export_sr`, ``hccreview export-sr``) writes every stored document the signed-in user may see,
byte for byte, to ``OUT/<subject>/<evaluator>/<date>_SR[_<n>].dcm`` and ``_KO[_<n>].dcm`` ("stored"), and, for the
reads that have no stored document (never submitted in hccreview: imported reads, the investigator's, reads
submitted before schema 7), builds an SR now from the current data when at least one value has a caliper ("built
now"; a blinded reader gets only their own: ``session.data()`` and the store's row filter decide). Files are never
rewritten: a document already in the folder is ``unchanged``; a stored one not yet there takes the next free
number; a read built now that changed becomes ``<date>_SR_<n>.dcm`` naming the latest earlier file.

A lesion without a tracking UID yet (never measured on an image) gets a stable UUID-derived one from the study,
subject, evaluator and lesion id, so every document names it alike (nothing is written to the lesion).

:func:`import_sr` reads an SR (hccreview's, OHIF's or dcmjs's, SCT or legacy SRT axis codes) into a preview of its
lesions and measurements, matched to an evaluator's lesions by tracking UID, else by lesion id. Nothing is written.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from hccreview.domain import calipers
from hccreview.domain.images import ImageInstance, ImageSeries
from hccreview.domain.key_images import key_images_of_read
from hccreview.domain.records import Criteria, Lesion, Measurement
from hccreview.io import dicom_kos, dicom_sr
from hccreview.io.dicom_sr import Dataset, ParsedGroup, ParsedReport, SRError
from hccreview.services import images
from hccreview.services.session import StudySession
from hccreview.store import structured_reports as documents
from hccreview.store.study_data import load_study

__all__ = [
    "BUILT_NOW",
    "STORED",
    "ExportedSR",
    "ImportedGroup",
    "ReadDocuments",
    "SRError",
    "SRPreview",
    "export_sr",
    "import_sr",
    "sr_path",
    "write_read_documents",
]

NEW, AMENDED, UNCHANGED = "new", "amended", "unchanged"
STORED, BUILT_NOW = "stored", "built now"
SR, KOS = "SR", "KOS"
_SUFFIX = {SR: "SR", KOS: "KO"}


@dataclass(frozen=True)
class ExportedSR:
    """One document of an export: where it is, its SHA-256, whether it was written now, and whether it is the
    document stored at submission (``origin`` "stored") or an SR built from the current data ("built now")."""

    subject_id: str
    evaluator: str
    date: date
    visit: str
    path: Path
    sha256: str
    lesions: int  # an SR's measurement groups; a KOS's referenced objects
    status: str  # new / amended (a new version naming its predecessor) / unchanged (nothing written)
    predecessor: Path | None = None
    kind: str = SR  # SR / KOS
    origin: str = BUILT_NOW

    def line(self) -> str:
        """How ``hccreview export-sr`` names it."""
        amends = f" (amends {self.predecessor.name})" if self.predecessor is not None else ""
        what = f"{self.lesions} lesion(s)" if self.kind == SR else f"key object selection, {self.lesions} object(s)"
        who = f"{self.subject_id} {self.evaluator} {self.date}"
        return f"{self.status}: {self.path} ({who}: {what}; {self.origin}){amends}"


def sr_path(folder: Path, subject_id: str, evaluator: str, day: date, version: int = 1, *, kind: str = SR) -> Path:
    """Where the ``version``-th document of a read goes: ``folder/<subject>/<evaluator>/<date>_SR[_<n>].dcm`` (a
    KOS: ``_KO``)."""
    suffix = "" if version == 1 else f"_{version}"
    return folder / _safe(subject_id) / _safe(evaluator) / f"{day.isoformat()}_{_SUFFIX[kind]}{suffix}.dcm"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "_"


def _versions(folder: Path, subject_id: str, evaluator: str, day: date, kind: str = SR) -> list[Path]:
    """The documents already written for a read, oldest first."""
    found = []
    version = 1
    while (path := sr_path(folder, subject_id, evaluator, day, version, kind=kind)).exists():
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

    def series(self, subject_id: str) -> list[ImageSeries]:
        return self._series.setdefault(subject_id, images.series_for(self.session, subject_id))

    def header(self, subject_id: str, caliper: calipers.Caliper) -> Dataset:
        return self.image(subject_id, caliper.series_uid, caliper.sop_instance_uid)

    def image(self, subject_id: str, series_uid: str, sop_instance_uid: str) -> Dataset:
        """The header of one indexed image (:class:`SRError` naming it when the index lacks it)."""
        series = next((s for s in self.series(subject_id) if s.series_uid == series_uid), None)
        if series is None:
            raise SRError(f"{subject_id}: the series {series_uid} of a caliper is not in the image index")
        if series_uid not in self._instances:
            found = images.instances(self.session, series_uid)
            self._instances[series_uid] = {i.sop_instance_uid: i for i in found}
        instance = self._instances[series_uid].get(sop_instance_uid)
        if instance is None:
            raise SRError(f"{subject_id}: image {sop_instance_uid} is not in series {series.label}")
        try:
            path: Path | None = images.resolve(self.session, instance)
        except images.ImagesRefused:
            path = None
        return dicom_sr.evidence_from_index(
            sop_instance_uid=instance.sop_instance_uid, series_uid=series.series_uid, study_uid=series.study_uid,
            modality=series.modality, subject_id=subject_id, study_date=series.study_date or series.date, path=path,
            rows=series.rows, columns=series.columns,
        )  # fmt: skip


@dataclass(frozen=True)
class _Read:
    """Whose read of whom at which timepoint a document says."""

    subject_id: str
    reader: str
    day: date
    visit: str
    baseline: bool
    mrecist: bool
    observer_name: str = ""


def _request(
    session: StudySession,
    rows: list[Measurement],
    lesions: dict[tuple[str, str, str], Lesion],
    read: _Read,
    found: _Images,
    unlocated: list[str] | None = None,
) -> dicom_sr.ReportRequest:
    """The SR request of ``read`` from its measurements; an image the index lacks is an :class:`SRError`, unless
    ``unlocated`` collects it (the value is then written without its line)."""
    evidence: dict[str, Dataset] = {}
    members = []
    for m in sorted(rows, key=lambda r: r.lesion_id):
        lesion = lesions.get((m.subject_id, m.reader, m.lesion_id))
        drawn = calipers.parse(m.caliper)
        for c in drawn:
            if c.lines and c.sop_instance_uid not in evidence:
                try:
                    evidence[c.sop_instance_uid] = found.header(m.subject_id, c)
                except SRError as exc:
                    if unlocated is None:
                        raise
                    unlocated.append(f"{m.lesion_id} ({exc})")
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
                status=m.status.value,
            )
        )
    return dicom_sr.ReportRequest(
        subject_id=read.subject_id, observer=read.reader, date=read.day, visit=read.visit, mrecist=read.mrecist,
        baseline=read.baseline, lesions=tuple(members), evidence=evidence, observer_name=read.observer_name,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------- at submission
@dataclass(frozen=True)
class ReadDocuments:
    """The documents stored for one submitted read: the SR's and the KOS's SOP Instance UIDs (the KOS: '' when the
    read has no key image in the index), their SHA-256, and what the audit entries' reason names."""

    sr_uid: str
    sr_sha256: str
    kos_uid: str = ""
    kos_sha256: str = ""
    predecessor_uid: str = ""
    notes: tuple[str, ...] = ()


def _context(session: StudySession, found: _Images, subject_id: str, day: date) -> Dataset:
    """The patient and study of a read no located image is referenced by: the indexed study of that date, else a
    study UID derived from the study file and the read (the same for every document of that timepoint)."""
    series = next((s for s in found.series(subject_id) if s.date == day), None)
    if series is not None:
        return dicom_sr.subject_context(subject_id=subject_id, study_uid=series.study_uid,
                                        study_date=series.study_date or series.date)  # fmt: skip
    settings = session.settings()
    name = f"hccreview:{settings.title}:{settings.protocol}:{subject_id}:{day.isoformat()}:study"
    return dicom_sr.subject_context(subject_id=subject_id, study_uid=f"2.25.{uuid.uuid5(uuid.NAMESPACE_URL, name).int}",
                                    study_date=day)  # fmt: skip


def write_read_documents(session: StudySession, subject_id: str, day: date) -> ReadDocuments:
    """Build and store the DICOM SR and KOS of the signed-in reader's submitted read of ``subject_id`` at ``day``
    (``reading.submit_read`` calls it in the submission's transaction). Refused (:class:`SRError`, nothing written)
    when the read is not submitted or its documents are already written since its submission; the write gate
    refuses anyone but the read's reader."""
    user = session.signed_in
    if user is None:
        raise PermissionError("sign in first")
    store, reader, iso = session.store, user.username, day.isoformat()
    read_rows = store.rows("reads", "subject_id = ? AND reader = ? AND date = ?", [subject_id, reader, iso])
    if not read_rows or not read_rows[0].get("submitted_at"):
        raise SRError(f"{subject_id} {iso}: no submitted read of {reader}'s at this timepoint")
    earlier = documents.document_rows(store, subject_id=subject_id, reader=reader, day=iso)
    if earlier and str(earlier[-1]["created_at"]) >= str(read_rows[0]["submitted_at"]):
        raise SRError(f"{subject_id} {iso}: the documents of {reader}'s read were written at its submission")
    data = load_study(store, ("lesions", "measurements"), subject_id=subject_id)
    mine = [m for m in data.measurements if m.reader == reader]
    first = min((m.date for m in mine), default=day)
    read = _Read(subject_id, reader, day, str(read_rows[0].get("visit") or ""), day <= first,
                 data.settings.criteria is Criteria.MRECIST, user.full_name or reader)  # fmt: skip
    latest = {str(r["kind"]): str(r["sop_instance_uid"]) for r in earlier}  # the newest of each kind
    try:
        built = _build(session, read, mine, data.lesions, latest.get(SR, ""))
    except (ValueError, TypeError, AttributeError) as exc:  # highdicom's refusals of a content it cannot encode
        if isinstance(exc, SRError):
            raise
        raise SRError(f"{subject_id} {iso}: the DICOM documents of the read cannot be built ({exc})") from exc
    reason = "; ".join(["written when the read was submitted", *built.notes])
    base = {"subject_id": subject_id, "reader": reader, "date": iso, "visit": read.visit}
    stored: dict[str, tuple[str, str]] = {}
    with store.transaction():
        for kind, document in ((SR, built.sr), (KOS, built.kos)):
            if document is None:
                continue
            data_bytes = dicom_sr.document_bytes(document)
            row = {**base, "sop_instance_uid": str(document.SOPInstanceUID), "kind": kind,
                   "series_uid": str(document.SeriesInstanceUID), "predecessor_uid": latest.get(kind, "")}  # fmt: skip
            stored[kind] = (documents.insert_document(store, row, data_bytes, reason=reason),
                            documents.sha256_of(data_bytes))  # fmt: skip
    sr_uid, sr_sha = stored.get(SR, ("", ""))
    kos_uid, kos_sha = stored.get(KOS, ("", ""))
    return ReadDocuments(sr_uid, sr_sha, kos_uid, kos_sha, latest.get(SR, "") if sr_uid else "", built.notes)


@dataclass(frozen=True)
class _Built:
    sr: Dataset | None
    kos: Dataset | None
    notes: tuple[str, ...]


def _build(
    session: StudySession, read: _Read, mine: list[Measurement], all_lesions: Sequence[Lesion], previous_uid: str
) -> _Built:
    """The SR (None for a read with no lesion that day: highdicom writes no empty TID 1500 report) and the KOS
    (None without a located key image) of ``read``, and what the audit entries' reason names."""
    found = _Images(session)
    unlocated: list[str] = []
    rows = [m for m in mine if m.date == read.day]
    lesions = {(x.subject_id, x.reader, x.lesion_id): x for x in all_lesions if x.reader == read.reader}
    request = _request(session, rows, lesions, read, found, unlocated)
    notes = [f"without coordinates (image not in the index): {u}" for u in unlocated]
    sr: Dataset | None = None
    if request.lesions:
        context = None if request.evidence else _context(session, found, read.subject_id, read.day)
        previous = [dicom_sr.document_from_bytes(documents.document_bytes(session.store, previous_uid))] \
            if previous_uid else []  # fmt: skip
        sr = dicom_sr.build_measurement_report(dataclasses.replace(request, context=context, final=True),
                                               previous=previous)  # fmt: skip
    else:
        notes.append("no SR: no lesion of this read at this date (a TID 1500 report holds at least one)")
    kos, kos_notes = _key_objects(session, found, read, mine, sr)
    return _Built(sr, kos, tuple(notes + kos_notes))


def _key_objects(
    session: StudySession, found: _Images, read: _Read, measurements: list[Measurement], sr: Dataset | None
) -> tuple[Dataset | None, list[str]]:
    """The KOS of the read's key images that the index has (None when it has none) and, in words, the key images
    it leaves out."""
    manual = session.store.rows("key_images", "subject_id = ? AND reader = ? AND date = ?",
                                [read.subject_id, read.reader, read.day.isoformat()])  # fmt: skip
    keys = key_images_of_read(measurements, manual, subject_id=read.subject_id, reader=read.reader, day=read.day)
    headers: list[Dataset] = []
    notes: list[str] = []
    for key in keys:
        try:
            headers.append(found.image(read.subject_id, key.series_uid, key.sop_instance_uid))
        except SRError as exc:
            notes.append(f"key image left out of the KOS: {exc}")
    if not headers:
        return None, [*notes, "no KOS: no key image of this read is in the image index"]
    where = read.visit or read.day.isoformat()
    built = dicom_kos.build_key_object_selection(
        headers, observer=read.reader, observer_name=read.observer_name, report=sr,
        description=f"Key images of {read.reader}'s read of {read.subject_id} at {where}",
    )  # fmt: skip
    return built.document, notes + [f"key image {uid} left out of the KOS (another study)" for uid in built.left_out]


# ---------------------------------------------------------------------------------------------- export
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
    """Write every stored document the signed-in user may see (byte for byte) and, for the reads without one, the
    SR of each read with at least one caliper built now (``subjects``: only these); returns every document, new,
    amended or unchanged."""
    folder = Path(out_folder)
    wanted = set(subjects) if subjects is not None else None
    stored = [r for r in documents.document_rows(session.store) if wanted is None or r["subject_id"] in wanted]
    out = _export_stored(session, folder, stored)
    done = {(r["subject_id"], r["reader"], r["date"]) for r in stored}
    data = session.data()
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
    for (sid, evaluator, day), rows in sorted(reads.items()):
        if (sid, evaluator, day.isoformat()) in done or not any(calipers.parse(m.caliper) for m in rows):
            continue
        read = _Read(sid, evaluator, day, rows[0].visit, day == first_day[(sid, evaluator)], mrecist)
        out.append(_write(folder, _request(session, rows, lesions, read, found)))
    order = {SR: 0, KOS: 1}
    return sorted(out, key=lambda d: (d.subject_id, d.evaluator, d.date, order[d.kind], d.path.name))


def _export_stored(session: StudySession, folder: Path, rows: list[dict[str, object]]) -> list[ExportedSR]:
    """Write the stored documents, oldest first, each where its bytes are not yet (the next free number)."""
    out: list[ExportedSR] = []
    written: dict[str, Path] = {}  # SOP Instance UID -> file (the predecessor a later document names)
    for row in rows:
        sid, reader, kind = str(row["subject_id"]), str(row["reader"]), str(row["kind"])
        day, digest, uid = date.fromisoformat(str(row["date"])), str(row["sha256"]), str(row["sop_instance_uid"])
        earlier = _versions(folder, sid, reader, day, kind)
        same = next((p for p in earlier if _sha256(p) == digest), None)
        if same is not None:
            target, status = same, UNCHANGED
        else:
            data = documents.document_bytes(session.store, uid)
            target = sr_path(folder, sid, reader, day, len(earlier) + 1, kind=kind)
            partial = target.with_suffix(".partial")
            target.parent.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(data)
            partial.rename(target)
            status = AMENDED if row["predecessor_uid"] else NEW
        written[uid] = target
        predecessor = written.get(str(row["predecessor_uid"] or ""))
        count = (len(dicom_sr.read_measurement_report(target).groups) if kind == SR
                 else dicom_kos.referenced_objects(target))  # fmt: skip
        out.append(ExportedSR(sid, reader, day, str(row["visit"] or ""), target, _sha256(target), count, status,
                              predecessor, kind, STORED))  # fmt: skip
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
