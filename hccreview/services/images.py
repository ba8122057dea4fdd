"""Images in the study (issue 21 item 1): index a folder of DICOM files, preview the match, register it; the image
root; the check of the registered files; what the viewer reads.

:func:`preview_import` scans a folder (:func:`hccreview.io.dicom_index.scan`, headers only) and matches each series
to a subject and one of its assessments, writing nothing:

- the **subject** by the Clinical Trial Subject ID; else by a PatientID mapping file; else by a PatientID equal to
  a subject id, only once the user confirms it (``match_patient_id`` or ``confirmed_ids``) — never guessed;
- the **assessment** by the Clinical Trial Time Point ID equal to one of the subject's visits, else by the Study
  Date equal to one of its assessment dates. A subject's assessments are the dates and visits of its measurements
  and reads by any evaluator (the admin sees all);
- a series already registered with the same files and hashes is *unchanged*; one whose files differ is *changed*
  and is replaced only when the user confirms it (:func:`apply_import`'s ``replace``); every series left out is
  listed with its reason in words.

:func:`apply_import` (the admin's: an import) writes the plan in one transaction through the write gate: when the
study has no image root yet, the imported folder becomes it; a folder outside the root is refused with what to do.
Paths are stored relative to the root with "/" separators, so :func:`set_image_root` re-points a moved root once.
:func:`check_image_files` names every registered file that is missing or altered (``hccreview verify`` too).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from hccreview.domain.access import AccessDenied, Capability
from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.images import ImageInstance, ImageSeries
from hccreview.io.dicom_index import PHASES, ScanCancelled, ScannedSeries, ScanProblem, ScanResult, read_patient_map
from hccreview.io.dicom_index import scan as scan_folder
from hccreview.services.session import StudySession
from hccreview.store import Store
from hccreview.store import images as index
from hccreview.store.audit import utc_now

__all__ = [
    "ChangedSeries",
    "ImagesImported",
    "ImagesRefused",
    "ImportPlan",
    "MappingProposal",
    "MatchedSeries",
    "RootChanged",
    "ScanCancelled",
    "UnchangedSeries",
    "UnmatchedSeries",
    "apply_import",
    "check_folder",
    "check_image_files",
    "file_problems",
    "image_root",
    "instances",
    "preview_import",
    "read_patient_map",
    "resolve",
    "scan_folder",
    "series_for",
    "set_image_root",
    "summary_of_index",
]

Progress = Callable[[float, str], None]
BY_SUBJECT_ID = "Clinical Trial Subject ID"
BY_PATIENT_ID = "PatientID (confirmed)"
BY_MAPPING = "mapping"
BY_TIMEPOINT = "ClinicalTrialTimePointID = visit"
BY_DATE = "StudyDate = assessment date"
_PHASE_RANK = {name: rank for rank, (name, _) in enumerate(PHASES)}


class ImagesRefused(ValueError):
    """The images cannot be imported, or the root re-pointed, as asked; nothing was written. The message says what
    to do instead."""


# ---------------------------------------------------------------------------------------------- the plan
@dataclass(frozen=True)
class MatchedSeries:
    """A new series and the assessment it belongs to, with how each half was matched."""

    series: ScannedSeries
    subject_id: str
    date: date
    visit: str
    timepoint_by: str  # BY_TIMEPOINT / BY_DATE
    patient_by: str  # BY_SUBJECT_ID / BY_PATIENT_ID / BY_MAPPING

    @property
    def how(self) -> str:
        return f"{self.patient_by}; {self.timepoint_by}"


@dataclass(frozen=True)
class UnmatchedSeries:
    """A series left out, and why (in words)."""

    series: ScannedSeries
    reason: str


@dataclass(frozen=True)
class UnchangedSeries:
    """A series already registered with the same files and hashes."""

    series: ScannedSeries
    registered: ImageSeries


@dataclass(frozen=True)
class ChangedSeries:
    """A registered series whose files (or match) differ now: replaced only when the user confirms it."""

    series: ScannedSeries
    registered: ImageSeries
    differences: tuple[str, ...]
    match: MatchedSeries | None  # how it would be registered again (None: it matches nothing now)
    reason: str = ""  # why it cannot be replaced (when ``match`` is None)


@dataclass(frozen=True)
class MappingProposal:
    """A PatientID equal to a subject id of the study: matched only once the user confirms it."""

    patient_id: str
    subject_id: str
    series: int
    confirmed: bool


@dataclass(frozen=True)
class ImportPlan:
    """What an import of ``folder`` would do, computed without writing (module docstring)."""

    study: str
    folder: Path
    root: Path
    prefix: str  # the folder relative to the root ("" when it is the root)
    root_is_new: bool  # the study has no root yet: the folder becomes it
    scan: ScanResult = field(repr=False)
    matched: tuple[MatchedSeries, ...] = ()
    unmatched: tuple[UnmatchedSeries, ...] = ()
    unchanged: tuple[UnchangedSeries, ...] = ()
    changed: tuple[ChangedSeries, ...] = ()
    proposals: tuple[MappingProposal, ...] = ()
    registered_at_preview: frozenset[str] = frozenset()  # series UIDs registered when previewed (stale check)
    root_at_preview: str = ""

    @property
    def problems(self) -> list[ScanProblem]:
        return self.scan.all_problems()

    @property
    def new_images(self) -> int:
        return sum(len(m.series.instances) for m in self.matched)

    @property
    def structured_reports(self) -> tuple[Path, ...]:
        """The SR documents found beside the images (Enhanced / Comprehensive / Comprehensive 3D SR): what
        ``services.sr_import`` previews and applies after the images, so that they may reference them."""
        return tuple(self.folder.joinpath(*rel.split("/")) for rel in self.scan.structured_reports)

    def path_of(self, rel: str) -> str:
        """A scanned file's path as the study stores it: relative to the image root, "/"-separated."""
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def lines(self) -> list[str]:
        """The preview for a person: the folder, then matched / unmatched / unchanged / changed / problems."""
        s = self.scan
        out = [f"images in {self.folder}: {s.files} file(s), {s.images} image(s) in {len(s.series)} series"]
        out.append(f"  image root: {self.root}" + (" (the study has none: this folder becomes it)"
                                                   if self.root_is_new else ""))  # fmt: skip
        out.append(f"matched, to register ({len(self.matched)} series, {self.new_images} images):")
        for m in self.matched:
            plane = "" if m.series.measurable else f"; not measurable: {m.series.not_measurable_why}"
            out.append(f"  {m.subject_id} {m.date} {m.visit or '(no visit)'}: {_series_text(m.series)} — by "
                       f"{m.how}{plane}")  # fmt: skip
        out.append(f"unmatched, not registered ({len(self.unmatched)}):")
        out += [f"  {_series_text(u.series)} [{_identity(u.series)}]: {u.reason}" for u in self.unmatched]
        out.append(f"unchanged, already registered ({len(self.unchanged)}):")
        out += [f"  {u.registered.subject_id} {u.registered.date}: {_series_text(u.series)}" for u in self.unchanged]
        out.append(f"changed since registered, replaced only when confirmed ({len(self.changed)}):")
        for c in self.changed:
            out.append(f"  {c.registered.subject_id} {c.registered.date}: {_series_text(c.series)}"
                       + (f" — cannot be replaced: {c.reason}" if c.match is None else ""))  # fmt: skip
            out += [f"    {d}" for d in c.differences]
        for p in self.proposals:
            state = "confirmed" if p.confirmed else "not confirmed"
            out.append(f"PatientID '{p.patient_id}' = subject {p.subject_id} ({p.series} series): {state}")
        problems = self.problems
        out.append(f"problems ({len(problems)}):")
        out += [f"  {'' if p.blocking else 'warning: '}{p}" for p in problems]
        if s.not_dicom:
            out.append(f"not DICOM, ignored ({len(s.not_dicom)}): {', '.join(s.not_dicom)}")
        if s.structured_reports:
            out.append(f"DICOM SR documents, imported after the images ({len(s.structured_reports)}): "
                       f"{', '.join(s.structured_reports)}")  # fmt: skip
        for path, name in s.other_objects:
            out.append(f"not a single-frame CT or MR image, ignored: {path} ({name})")
        return out

    def to_json(self) -> dict[str, Any]:
        """The plan as plain JSON values (``hccreview import-images --json``)."""
        s = self.scan
        return {
            "study": self.study, "folder": str(self.folder), "image_root": str(self.root),
            "root_is_new": self.root_is_new, "files": s.files, "images": s.images,
            "matched": [{**_series_json(m.series), "subject_id": m.subject_id, "date": m.date.isoformat(),
                         "visit": m.visit, "matched_by": m.patient_by, "timepoint_by": m.timepoint_by}
                        for m in self.matched],
            "unmatched": [{**_series_json(u.series), "reason": u.reason} for u in self.unmatched],
            "unchanged": [{**_series_json(u.series), "subject_id": u.registered.subject_id,
                           "date": u.registered.date.isoformat()} for u in self.unchanged],
            "changed": [{**_series_json(c.series), "subject_id": c.registered.subject_id,
                         "date": c.registered.date.isoformat(), "differences": list(c.differences),
                         "replaceable": c.match is not None, "reason": c.reason} for c in self.changed],
            "mapping_proposals": [{"patient_id": p.patient_id, "subject_id": p.subject_id, "series": p.series,
                                   "confirmed": p.confirmed} for p in self.proposals],
            "problems": [{"path": p.path, "attribute": p.attribute, "message": p.message,
                          "series_uid": p.series_uid, "blocking": p.blocking} for p in self.problems],
            "not_dicom": list(s.not_dicom), "structured_reports": list(s.structured_reports),
            "other_objects": [{"path": p, "sop_class": n} for p, n in s.other_objects],
        }  # fmt: skip


def _series_text(s: ScannedSeries) -> str:
    desc = f' "{s.description}"' if s.description and s.description.casefold() != s.phase.casefold() else ""
    return f"{s.name}{desc} ({len(s.instances)} images)"


def _identity(s: ScannedSeries) -> str:
    parts = [f"Clinical Trial Subject ID '{s.subject_id}'" if s.subject_id else "",
             f"PatientID '{s.patient_id}'" if s.patient_id else "",
             f"StudyDate {s.study_date}" if s.study_date else "",
             f"time point '{s.timepoint_id}'" if s.timepoint_id else "", f"series {s.series_uid}"]  # fmt: skip
    return ", ".join(p for p in parts if p)


def _series_json(s: ScannedSeries) -> dict[str, Any]:
    return {
        "series_uid": s.series_uid, "study_uid": s.study_uid, "modality": s.modality, "description": s.description,
        "phase": s.phase, "clinical_trial_subject_id": s.subject_id, "patient_id": s.patient_id,
        "study_date": s.study_date.isoformat() if s.study_date else None, "timepoint_id": s.timepoint_id,
        "images": len(s.instances), "measurable": s.measurable, "not_measurable_why": s.not_measurable_why,
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------- access
IMPORT_WHY = "registering images is an import, which is the admin's"


def require_admin(session: StudySession, what: str, *, why: str = IMPORT_WHY, writes: bool = True) -> None:
    """Say why before the write gate refuses an import (``why``: what makes it the admin's; DESIGN §4b: imports
    are the admin's). The unsigned system context may preview (it sees everything) and writes only a study
    without accounts."""
    access = session.access
    if access.is_system:
        if writes and session.store.rows("users"):
            raise AccessDenied(f"{session.path.name} has user accounts: sign in as an admin to {what}; "
                               "nothing was written")  # fmt: skip
        return
    if not access.may(Capability.ADMINISTER):
        raise AccessDenied(f"{access.who} may not {what}: {why} (the study's access policy); nothing was written")


# ---------------------------------------------------------------------------------------------- matching
def _norm(text: str) -> str:
    """A visit or time point label compared without case, spacing, hyphens or underscores ("Week-8" = "WEEK 8")."""
    return " ".join(text.replace("-", " ").replace("_", " ").casefold().split())


def assessments(session: StudySession) -> dict[str, list[tuple[date, str]]]:
    """Per subject, the (date, visit) of its measurements and reads by any evaluator the user sees, sorted."""
    data = session.data()
    found: dict[str, set[tuple[date, str]]] = {}
    for m in data.measurements:
        found.setdefault(m.subject_id, set()).add((m.date, m.visit))
    for r in data.reads:
        found.setdefault(r.subject_id, set()).add((r.date, r.visit))
    return {sid: sorted(items) for sid, items in found.items()}


def _match_subject(
    s: ScannedSeries, subjects: Collection[str], patient_map: Mapping[str, str], confirmed: Callable[[str], bool]
) -> tuple[str | None, str]:
    """(subject, how it matched) or (None, why not)."""
    pid, ct = s.patient_id, s.subject_id
    mapped = patient_map.get(pid) if pid else None
    if mapped is not None:
        if ct and ct != mapped:
            return None, f"Clinical Trial Subject ID '{ct}' and the mapping of PatientID '{pid}' to '{mapped}' disagree"
        if mapped not in subjects:
            return None, f"the mapping gives PatientID '{pid}' the subject '{mapped}', which is not in this study"
        return mapped, BY_MAPPING
    if ct:
        return (ct, BY_SUBJECT_ID) if ct in subjects else (None, f"no subject '{ct}' in this study")
    if not pid:
        return None, "no Clinical Trial Subject ID and no PatientID"
    if pid in subjects:
        if confirmed(pid):
            return pid, BY_PATIENT_ID
        return None, f"PatientID '{pid}' is not mapped: confirm the mapping"
    return None, f"PatientID '{pid}' is no subject of this study and is not mapped: map it to a subject"


def _match_timepoint(s: ScannedSeries, sid: str, items: list[tuple[date, str]]) -> tuple[date, str, str] | str:
    """(date, visit, how) of the assessment the series belongs to, or why none."""
    if not items:
        return f"{sid} has no assessment (no measurement or read) to match the series to"
    when = s.study_date
    if s.timepoint_id:
        dates = [d for d, v in items if _norm(v) == _norm(s.timepoint_id)]
        if dates:
            counts = Counter(dates)
            best = (
                when if when is not None and when in counts else max(counts, key=lambda d: (counts[d], -d.toordinal()))
            )
            visit = next(v for d, v in items if d == best and _norm(v) == _norm(s.timepoint_id))
            return best, visit, BY_TIMEPOINT
    if when is not None:
        visits = Counter(v for d, v in items if d == when)
        if visits:
            return when, visits.most_common(1)[0][0], BY_DATE
        near_date, near_visit = min(items, key=lambda dv: (abs((dv[0] - when).days), dv[0]))
        visit = f" or at visit '{s.timepoint_id}'" if s.timepoint_id else ""
        return f"no assessment of {sid} on {when}{visit}; nearest: {near_date} ({near_visit or 'no visit'})"
    if s.timepoint_id:
        visits_text = ", ".join(dict.fromkeys(v for _, v in items if v)) or "none"
        return f"no visit '{s.timepoint_id}' among the assessments of {sid} ({visits_text}) and no StudyDate"
    return f"no StudyDate and no ClinicalTrialTimePointID to match an assessment of {sid}"


def _differences(
    s: ScannedSeries, plan_path: Callable[[str], str], registered: ImageSeries, files: list[ImageInstance],
    match: MatchedSeries | None,
) -> list[str]:  # fmt: skip
    """What differs between the scanned series and its registered files (by file name), and its match."""
    now = {i.sop_instance_uid: (plan_path(i.path), i.sha256) for i in s.instances}
    then = {i.sop_instance_uid: (i.path, i.sha256) for i in files}
    out = []
    for uid, (path, sha) in now.items():
        if uid not in then:
            out.append(f"{path}: new in the series")
            continue
        old_path, old_sha = then[uid]
        if old_path != path:
            out.append(f"{path}: moved (registered as {old_path})")
        if old_sha and old_sha != sha:
            out.append(f"{path}: altered (its SHA-256 differs from the registered file's)")
    out += [f"{path}: registered, no longer in the folder" for uid, (path, _) in then.items() if uid not in now]
    if match is not None and (match.subject_id, match.date) != (registered.subject_id, registered.date):
        out.append(f"now matched to {match.subject_id} on {match.date}, registered for {registered.subject_id} "
                   f"on {registered.date}")  # fmt: skip
    return out


def _locate(store: Store, folder: Path) -> tuple[Path, str, bool]:
    """(root, folder relative to it, whether the root is new); :class:`ImagesRefused` for a folder outside it."""
    current = index.image_root(store)
    if not current:
        return folder, "", True
    root = Path(current)
    if not folder.is_relative_to(root):
        raise ImagesRefused(
            f"{folder} is outside the study's image root {root}: move or copy the folder under {root} and import "
            f"it from there, or re-point the image root to a folder that holds both (hccreview image-root "
            f"{store.path.name} NEW_ROOT --reason R); nothing was written"
        )
    rel = folder.relative_to(root).as_posix()
    return root, "" if rel == "." else rel, False


def check_folder(session: StudySession, folder: str | Path) -> Path:
    """The folder to import, resolved, once it is known to be importable here (a folder, inside the image root,
    the user the admin or the system context): checked before a long scan. :class:`ImagesRefused` or
    ``AccessDenied`` saying why not."""
    require_admin(session, "import images", writes=False)
    path = Path(folder).expanduser().resolve()
    if not path.is_dir():
        raise ImagesRefused(f"{path}: not a folder; nothing was written")
    _locate(session.store, path)
    return path


def preview_import(
    session: StudySession,
    folder: str | Path,
    *,
    patient_map: Mapping[str, str] | None = None,
    match_patient_id: bool = False,
    confirmed_ids: Collection[str] = (),
    scan: ScanResult | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ImportPlan:
    """Scan ``folder`` (or take its ``scan``) and match it to the study (module docstring); writes nothing.

    ``patient_map``: PatientID → subject id (a mapping file); ``match_patient_id`` confirms every PatientID equal
    to a subject id, ``confirmed_ids`` those listed (the GUI's checkboxes). :class:`ImagesRefused` for a folder
    that is not one or lies outside the image root; ``AccessDenied`` for a signed-in user who is not the admin."""
    path = check_folder(session, folder)
    store = session.store
    root, prefix, root_is_new = _locate(store, path)
    report = progress or (lambda fraction, text: None)
    if scan is None or scan.folder != path:
        scan = scan_folder(path, progress=lambda f, t: report(0.9 * f, t), cancelled=cancelled)
    report(0.9, "matching the series to the study's assessments")
    plan_path = (lambda rel: f"{prefix}/{rel}") if prefix else (lambda rel: rel)
    subjects = {r["subject_id"] for r in store.rows("subjects")}
    visits = assessments(session)
    mapping = dict(patient_map or {})
    confirm_set = set(confirmed_ids)

    def confirmed(pid: str) -> bool:
        return match_patient_id or pid in confirm_set

    registered = {s.series_uid: s for s in index.list_series(store)}
    registered_sops = {i.sop_instance_uid: i.series_uid for i in index.all_instances(store)} if registered else {}
    matched, unmatched, unchanged, changed = [], [], [], []
    proposals: Counter[tuple[str, str]] = Counter()
    for s in scan.series:
        if not s.importable:
            first = next(p for p in s.problems if p.blocking)
            unmatched.append(UnmatchedSeries(s, f"not registered: {first} (all problems below)"))
            continue
        match: MatchedSeries | str
        sid, how = _match_subject(s, subjects, mapping, confirmed)
        if sid is None:
            match = how
        else:
            timepoint = _match_timepoint(s, sid, visits.get(sid, []))
            match = timepoint if isinstance(timepoint, str) else MatchedSeries(s, sid, *timepoint, how)
        if s.series_uid in registered:
            old = registered[s.series_uid]
            new_match = match if isinstance(match, MatchedSeries) else None
            diffs = _differences(s, plan_path, old, index.instances_of(store, s.series_uid), new_match)
            if not diffs:
                unchanged.append(UnchangedSeries(s, old))
            else:
                changed.append(ChangedSeries(s, old, tuple(diffs), new_match, "" if new_match else str(match)))
            continue
        if not s.subject_id and s.patient_id in subjects and s.patient_id not in mapping:  # a new series only
            proposals[(s.patient_id, s.patient_id)] += 1
        elsewhere = next((f"{plan_path(i.path)} is already registered in series {registered_sops[i.sop_instance_uid]}"
                          for i in s.instances if i.sop_instance_uid in registered_sops), None)  # fmt: skip
        if elsewhere:
            unmatched.append(UnmatchedSeries(s, elsewhere))
        elif isinstance(match, str):
            unmatched.append(UnmatchedSeries(s, match))
        else:
            matched.append(match)
    report(1.0, f"{len(matched)} series to register, {len(unmatched)} unmatched")
    return ImportPlan(
        study=str(session.path), folder=path, root=root, prefix=prefix, root_is_new=root_is_new, scan=scan,
        matched=tuple(matched), unmatched=tuple(unmatched), unchanged=tuple(unchanged), changed=tuple(changed),
        proposals=tuple(MappingProposal(pid, sid, n, confirmed(pid)) for (pid, sid), n in sorted(proposals.items())),
        registered_at_preview=frozenset(registered), root_at_preview=index.image_root(store),
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------- apply
@dataclass(frozen=True)
class ImagesImported:
    """What an import registered: series, images, replaced series, the root; ``changes`` for the window."""

    changes: Changes
    series: int = 0
    images: int = 0
    replaced: int = 0
    root: str = ""
    root_set: bool = False
    subjects: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"series": self.series, "images": self.images, "replaced": self.replaced, "image_root": self.root,
                "root_set": self.root_set, "subjects": list(self.subjects)}  # fmt: skip

    def summary(self) -> str:
        if not (self.series or self.replaced):
            return "nothing to register: the study already holds these series (nothing was written)"
        done = [f"registered {self.series} series"] if self.series else []
        done += [f"replaced {self.replaced} changed series"] if self.replaced else []
        root = f"; the image root is now {self.root}" if self.root_set else f"; image root {self.root}"
        return f"{' and '.join(done)} ({self.images} images) for {len(self.subjects)} patient(s){root}"


def _rows(plan: ImportPlan, m: MatchedSeries, user: str, now: datetime) -> tuple[ImageSeries, list[ImageInstance]]:
    s = m.series
    series = ImageSeries(
        series_uid=s.series_uid, study_uid=s.study_uid, subject_id=m.subject_id, date=m.date, modality=s.modality,
        rows=s.rows, columns=s.columns, row_spacing=s.row_spacing, column_spacing=s.column_spacing,
        instances=len(s.instances), registered_at=now, visit=m.visit, study_date=s.study_date,
        timepoint_id=s.timepoint_id, description=s.description, phase=s.phase,
        frame_of_reference_uid=s.frame_of_reference_uid, slice_thickness=s.slice_thickness,
        orientation=s.orientation_text, acquisition_plane=s.measurable, source="import", registered_by=user,
    )  # fmt: skip
    images = [
        ImageInstance(
            sop_instance_uid=i.sop_instance_uid,
            series_uid=s.series_uid,
            path=plan.path_of(i.path),
            slice_location=float(i.slice_location or 0.0),
            instance_number=i.instance_number,
            position="\\".join(f"{v:.6g}" for v in i.position) if i.position else "",
            transfer_syntax=i.transfer_syntax,
            sha256=i.sha256,
            size=i.size,
        )
        for i in s.instances
    ]
    return series, images


def apply_import(session: StudySession, plan: ImportPlan, *, replace: Iterable[str] = ()) -> ImagesImported:
    """Register the plan's matched series, and replace the changed series whose UIDs are in ``replace`` (the
    user's confirmation), in one transaction; nothing is written when nothing is new. The admin's only;
    :class:`ImagesRefused` when the study's images changed since the preview (preview again)."""
    require_admin(session, "import images")
    wanted = set(replace)
    replaceable = {c.series.series_uid: c for c in plan.changed if c.match is not None}
    unknown = sorted(wanted - set(replaceable))
    if unknown:
        raise ImagesRefused(f"not a changed series of this preview that can be replaced: {', '.join(unknown)}")
    todo = [*plan.matched, *(c.match for uid, c in replaceable.items() if uid in wanted and c.match is not None)]
    if not todo:
        return ImagesImported(Changes(), root=str(plan.root))
    store = session.store
    now = datetime.fromisoformat(utc_now())
    rows = [_rows(plan, m, store.user, now) for m in todo]
    with store.transaction():
        if {s.series_uid for s in index.list_series(store)} != plan.registered_at_preview or (
            index.image_root(store) != plan.root_at_preview
        ):
            raise ImagesRefused(f"the images of {session.path.name} changed since the preview; nothing was "
                                "written — preview again")  # fmt: skip
        if plan.root_is_new:
            index.set_image_root(store, str(plan.root), reason=f"images imported from {plan.folder}: the first "
                                 "folder imported becomes the study's image root")  # fmt: skip
        for uid in sorted(wanted):
            why = "; ".join(replaceable[uid].differences[:3])
            index.delete_series(store, uid, reason=f"re-import of {plan.folder} confirmed: {why}")
        index.register(store, [s for s, _ in rows], [i for _, images in rows for i in images],
                       note=f"images from {plan.folder}")  # fmt: skip
    subjects = tuple(sorted({m.subject_id for m in todo} | {replaceable[u].registered.subject_id for u in wanted}))
    return ImagesImported(
        Changes.of(*subjects, kinds={ChangeKind.IMAGES}), series=len(plan.matched),
        images=sum(len(images) for _, images in rows), replaced=len(wanted), root=str(plan.root),
        root_set=plan.root_is_new, subjects=subjects,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------- the image root
@dataclass(frozen=True)
class RootChanged:
    """The image root re-pointed: where to, from where, and the registered files not found under it."""

    changes: Changes
    root: str
    previous: str
    found: int
    missing: tuple[str, ...] = ()

    def summary(self) -> str:
        if self.changes.empty:
            return f"the image root is already {self.root}; nothing was written"
        missing = f"; {len(self.missing)} missing: {', '.join(self.missing)}" if self.missing else ""
        return f"image root {self.previous or '(none)'} → {self.root}: {self.found} registered file(s) found{missing}"


def image_root(session: StudySession) -> Path | None:
    """The study's image root (None: no image was registered yet)."""
    text = index.image_root(session.store)
    return Path(text) if text else None


def summary_of_index(session: StudySession) -> str:
    """What the study's image index holds, in one line (``hccreview image-root``)."""
    series = index.list_series(session.store)
    images = sum(s.instances for s in series)
    patients = len({s.subject_id for s in series})
    return f"{len(series)} series ({images} images) registered for {patients} patient(s)"


def set_image_root(session: StudySession, path: str | Path, *, reason: str) -> RootChanged:
    """Re-point the image root to ``path`` (the folder moved), audited with ``reason``. Refused when none of the
    registered files is under it; the missing ones are named in the result otherwise."""
    require_admin(session, "re-point the image root")
    if not reason.strip():
        raise ImagesRefused("re-pointing the image root needs a reason (it is audited); nothing was written")
    new = Path(path).expanduser().resolve()
    if not new.is_dir():
        raise ImagesRefused(f"{new}: not a folder; the image root was not changed")
    store = session.store
    files = index.all_instances(store)
    missing = tuple(i.path for i in files if not (new / i.path).is_file())
    if files and len(missing) == len(files):
        raise ImagesRefused(f"none of the {len(files)} registered image files is under {new} (e.g. {files[0].path}); "
                            "the image root was not changed")  # fmt: skip
    previous = index.image_root(store)
    if previous == str(new):
        return RootChanged(Changes(), str(new), previous, len(files) - len(missing), missing)
    index.set_image_root(store, str(new), reason=reason)
    subjects = {s.subject_id for s in index.list_series(store)}
    return RootChanged(Changes.of(*subjects, kinds={ChangeKind.IMAGES}), str(new), previous,
                       len(files) - len(missing), missing)  # fmt: skip


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_problems(store: Store) -> list[str]:
    """Every registered image file that is missing or altered, by name (``hccreview verify`` and the service);
    a demo image (no hash) is generated on first view: absent, it is not a problem."""
    if not index.has_image_tables(store):
        return []
    files = index.all_instances(store)
    if not files:
        return []
    root = index.image_root(store)
    if not root:
        return [f"{len(files)} image file(s) are registered but the study has no image root: set one "
                "(hccreview image-root)"]  # fmt: skip
    out = []
    for i in files:
        path = Path(root) / i.path
        if not path.is_file():
            if i.sha256:  # a demo image (no hash) not generated yet is made on first view, not missing
                out.append(f"{i.path}: missing (not under the image root {root})")
        elif i.sha256 and (path.stat().st_size != i.size or _sha256(path) != i.sha256):
            out.append(f"{i.path}: altered (its SHA-256 differs from the one registered)")
    return out


def check_image_files(session: StudySession) -> list[str]:
    """:func:`file_problems` of the open study: each missing or altered image file, by name."""
    return file_problems(session.store)


# ---------------------------------------------------------------------------------------------- what the viewer reads
def series_for(session: StudySession, subject_id: str) -> list[ImageSeries]:
    """A subject's registered series by date, then contrast phase in acquisition order, then description."""
    found = index.list_series(session.store, subject_id)
    return sorted(found, key=lambda s: (s.date, _PHASE_RANK.get(s.phase, len(_PHASE_RANK)), s.phase, s.description))


def instances(session: StudySession, series_uid: str) -> list[ImageInstance]:
    """The images of a series along the slice normal."""
    return index.instances_of(session.store, series_uid)


def resolve(session: StudySession, instance: ImageInstance) -> Path:
    """The file of ``instance`` on this workstation (under the image root); :class:`ImagesRefused` without a root."""
    root = index.image_root(session.store)
    if not root:
        raise ImagesRefused("the study has no image root: import images first (File ▸ Import images…)")
    return Path(root).joinpath(*instance.path.split("/"))
