"""DICOM SR in (issue 22 item 4): TID 1500 Measurement Reports become a named evaluator's lesions, measurements and
reads, previewed and applied like a reader package.

:func:`preview_sr_import` reads SR documents (files, or every Enhanced / Comprehensive / Comprehensive 3D SR under a
folder; written by OHIF / dcmjs, Slicer / dcmqi, ePAD or hccreview, SCT or legacy SRT axis codes) and plans, per
document, writing nothing:

- the **evaluator**: the one named, else the document's observer (Person Observer Name) made a key
  (:func:`evaluator_key`);
- the **subject, date and visit**: those of the images its measurements reference (the study's image index, or the
  series an image import of the same folder registers first); else the Clinical Trial Subject ID or PatientID
  that is a subject, with its time point equal to one of the subject's visits, else its Study Date equal to one
  of the subject's assessment dates (the assessments are the dates of anyone's measurements and reads);
- per measurement group, the evaluator's **lesion**: matched by tracking UID, else by lesion id (the tracking
  identifier) when the study's lesion has no other tracking UID; else a new lesion. Its **kind**: the SR's baseline
  category (target / non-target, as hccreview writes it); else the kind of the lesion already known; else inferred
  and said so: at the subject's baseline date a group with a long (or short) axis is a target and one without a
  non-target; after baseline an unknown lesion is new. Its organ and node flag come from the finding site;
- per group, the **measurement** at that date: the long / short axis and viable diameter, each with its caliper
  line rebuilt (``domain.calipers.Caliper``) from the SCOORD's two points on the referenced image, with that
  series' pixel spacing and frame of reference. A line whose image is not in the index is named and its value
  kept as typed (not image-derived). Values the SR does not give are left as the study holds them; the status is
  the one hccreview writes (its private *Lesion status* evaluation, ``io.dicom_sr.STATUS_CODES``), else *present*
  (TID 1500 has no code for RECIST's statuses);
- a **read** per post-baseline timepoint the SR covers, where the evaluator has none: role ``reader`` (an
  independent central read; ``adjudicator`` for an adjudicator user), the responses the rules engine computes from
  the evaluator's measurements after the import, entered by the admin (``entered_by``: review data a data
  transfer never touches). An existing read is left as it stands (an SR states no response).

A document is **not imported** (its problem said in words) when its subject or date matches nothing, when the
case is locked, when the evaluator submitted that timepoint, or when another document of the same read is newer
(a document another one amends is left out: the Predecessor Documents Sequence).

:func:`apply_sr_import` (the admin's) re-plans inside one write transaction and writes everything or nothing,
under the write gate's merge scope for each evaluator (the rows are the evaluator's, under their ownership,
submission and lock rules, exactly as a reader package is merged); every row is audited with a note naming the SR
SOP Instance UID it comes from. A plan that would write otherwise than previewed is refused (preview again); a
second apply of the same SRs writes nothing.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from hccreview.domain import calipers, recist
from hccreview.domain.calipers import Caliper, Line
from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.records import Lesion, Measurement, ReadRole, Role
from hccreview.io import dicom_sr
from hccreview.io.dicom_sr import ParsedGroup, ParsedReport, SRError
from hccreview.services import images
from hccreview.services.session import StudySession
from hccreview.store import images as index
from hccreview.store.rows import from_row, sql_value
from hccreview.store.write_gate import MERGE, is_locked, is_submitted

__all__ = [
    "PlannedRow",
    "SRDocument",
    "SRError",
    "SRImportPlan",
    "SRImportRefused",
    "SRImported",
    "apply_sr_import",
    "evaluator_key",
    "preview_sr_import",
]

#: How a field is named in a message.
LABELS = {"diameter_mm": "long axis", "short_axis_mm": "short axis", "viable_mm": "viable diameter"}
LINE = calipers.LINE_OF_FIELD
_VALUE_FIELDS = ("diameter_mm", "short_axis_mm", "viable_mm")
BY_IMAGES = "referenced images"
BY_TIMEPOINT = "time point = visit"
BY_DATE = "StudyDate = assessment date"


class SRImportRefused(ValueError):
    """The SRs cannot be imported as asked; nothing was written. The message says what to do instead."""


def evaluator_key(observer: str) -> str:
    """An evaluator key from an observer's name: DICOM PN components and anything not a letter, digit, ``.``,
    ``_`` or ``-`` become ``-`` ("Doe^Jane" → "Doe-Jane"; "reader1" stays)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", observer.replace("^", " ").strip()).strip("-._")[:64]


# ---------------------------------------------------------------------------------------------- the plan
@dataclass(frozen=True)
class PlannedRow:
    """One row the import writes (``op`` insert / update) or finds as the SR says (``unchanged``)."""

    table: str  # lesions / measurements / reads
    op: str
    subject_id: str
    reader: str
    what: str  # the row for a person: "T01" (a lesion), "T01 2009-01-04" (a measurement), "2009-01-04" (a read)
    values: dict[str, Any]  # insert: the row; update: the changed fields; unchanged: {}
    row_id: int | None = None
    old: dict[str, Any] | None = None
    source: str = ""  # the SOP Instance UID of the SR it comes from

    def describe(self) -> str:
        if self.op == "update" and self.old is not None:
            diff = "; ".join(f"{k} {self.old.get(k)!r} → {v!r}" for k, v in self.values.items())
            return f"update {self.table[:-1]} {self.what}: {diff}"
        return f"{self.op} {self.table[:-1]} {self.what}"

    def signature(self) -> tuple[Any, ...]:
        """What the row writes, for comparing a preview with the plan made again at apply time."""
        return (self.table, self.op, self.subject_id, self.reader, self.what, self.row_id,
                tuple(sorted((k, str(v)) for k, v in self.values.items())))  # fmt: skip


@dataclass(frozen=True)
class SRLesion:
    """One measurement group as the evaluator's lesion at the document's date."""

    lesion_id: str
    tracking_uid: str
    kind: str
    kind_by: str  # "baseline category" / "the study's lesion" / an inference in words
    organ: str
    is_node: bool
    values: dict[str, float]
    calipers: tuple[Caliper, ...]
    method: str = ""


@dataclass(frozen=True)
class SRDocument:
    """One SR document: whose read, of whom, when, its lesions, and what keeps it from the import."""

    path: Path
    sop_instance_uid: str
    observer: str
    evaluator: str
    subject_id: str = ""
    date: date | None = None
    visit: str = ""
    matched_by: str = ""
    lesions: tuple[SRLesion, ...] = ()
    problems: tuple[str, ...] = ()  # blocking: the document is not imported
    warnings: tuple[str, ...] = ()  # said, and the document imported all the same
    report: ParsedReport | None = field(default=None, repr=False, compare=False)

    @property
    def importable(self) -> bool:
        return not self.problems and self.date is not None and bool(self.subject_id)

    def lines(self) -> list[str]:
        when = f"{self.subject_id or '?'} {self.date or '?'} {self.visit or '(no visit)'}"
        by = f", matched by {self.matched_by}" if self.matched_by else ""
        head = f"  {self.path.name}: {when} as {self.evaluator or '?'} (observer {self.observer or '?'}{by})"
        out = [head + f" — {len(self.lesions)} lesion(s)"]
        for x in self.lesions:
            values = ", ".join(f"{LABELS[k]} {v:g} mm" + ("" if any(LINE[k] in c.lines for c in x.calipers)
                                                          else " (typed)") for k, v in x.values.items())  # fmt: skip
            node = " node" if x.is_node else ""
            out.append(
                f"    {x.lesion_id} {x.kind} ({x.kind_by}) {x.organ or 'no organ'}{node}: {values or 'no value'}"
            )
        out += [f"    warning: {w}" for w in self.warnings]
        out += [f"    not imported: {p}" for p in self.problems]
        return out


@dataclass(frozen=True)
class SRImportPlan:
    """What importing the SRs would write, computed without writing."""

    study: str
    documents: tuple[SRDocument, ...] = ()
    unreadable: tuple[tuple[str, str], ...] = ()  # (file, why)
    rows: tuple[PlannedRow, ...] = ()
    responses: tuple[str, ...] = ()  # the computed timepoint responses, one line each
    pending_images: frozenset[str] = frozenset()  # SOP Instance UIDs resolved from an image import not applied yet

    @property
    def writes(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.op != "unchanged"]

    def lines(self) -> list[str]:
        out = [f"DICOM SR documents ({len(self.documents) + len(self.unreadable)}):"]
        for d in self.documents:
            out += d.lines()
        out += [f"  {name}: not read: {why}" for name, why in self.unreadable]
        writes = self.writes
        counts = Counter(r.table for r in writes)
        out.append(f"SR import writes {len(writes)} row(s): {counts['lesions']} lesion(s), "
                   f"{counts['measurements']} measurement(s), {counts['reads']} read(s); "
                   f"{len(self.rows) - len(writes)} already as the SRs say")  # fmt: skip
        out += [f"  {r.subject_id} {r.reader}: {r.describe()}" for r in writes]
        out += [f"  {line}" for line in self.responses]
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "documents": [{"path": str(d.path), "sop_instance_uid": d.sop_instance_uid, "observer": d.observer,
                           "evaluator": d.evaluator, "subject_id": d.subject_id,
                           "date": d.date.isoformat() if d.date else None, "visit": d.visit,
                           "matched_by": d.matched_by, "lesions": len(d.lesions), "problems": list(d.problems),
                           "warnings": list(d.warnings)} for d in self.documents],
            "unreadable": [{"path": p, "reason": why} for p, why in self.unreadable],
            "writes": [{"table": r.table, "op": r.op, "subject_id": r.subject_id, "evaluator": r.reader,
                        "row": r.what, "sr": r.source} for r in self.writes],
            "responses": list(self.responses),
        }  # fmt: skip


# ---------------------------------------------------------------------------------------------- access
#: Why an SR import is the admin's (the refusal says it).
SR_WHY = "an SR import writes an evaluator's lesions and reads, which is the admin's"


# ---------------------------------------------------------------------------------------------- the images
@dataclass(frozen=True)
class _Image:
    series_uid: str
    subject_id: str
    date: date
    visit: str
    spacing: tuple[float, float]
    frame_of_reference_uid: str
    modality: str


def _images(session: StudySession, pending: images.ImportPlan | None) -> tuple[dict[str, _Image], frozenset[str]]:
    """Every indexed image by SOP Instance UID, and those of ``pending``'s matched series (an image import of the
    same folder, applied before the SRs)."""
    store = session.store
    found: dict[str, _Image] = {}
    if index.has_image_tables(store):
        series = {s.series_uid: s for s in index.list_series(store)}
        for i in index.all_instances(store) if series else []:
            s = series.get(i.series_uid)
            if s is not None:
                found[i.sop_instance_uid] = _Image(s.series_uid, s.subject_id, s.date, s.visit, s.spacing,
                                                   s.frame_of_reference_uid, s.modality)  # fmt: skip
    later: set[str] = set()
    for m in pending.matched if pending is not None else ():
        sc = m.series
        for inst in sc.instances:
            if inst.sop_instance_uid not in found:
                later.add(inst.sop_instance_uid)
                found[inst.sop_instance_uid] = _Image(sc.series_uid, m.subject_id, m.date, m.visit,
                                                      (sc.row_spacing, sc.column_spacing), sc.frame_of_reference_uid,
                                                      sc.modality)  # fmt: skip
    return found, frozenset(later)


# ---------------------------------------------------------------------------------------------- one document
def _norm(text: str) -> str:
    return " ".join(text.replace("-", " ").replace("_", " ").casefold().split())


def _when(
    report: ParsedReport, refs: list[_Image], subjects: set[str], visits: dict[str, list[tuple[date, str]]]
) -> tuple[str, date | None, str, str, str]:
    """(subject, date, visit, how, why not) of a document."""
    if refs:
        (sid, day, visit), _ = Counter((r.subject_id, r.date, r.visit) for r in refs).most_common(1)[0]
        return sid, day, visit, BY_IMAGES, ""
    candidates = [report.clinical_trial_subject_id, report.patient_id]
    sid = next((c for c in candidates if c and c in subjects), "")
    if not sid:
        named = " / ".join(f"'{c}'" for c in candidates if c) or "none"
        return "", None, "", "", (f"no image it references is in the study and its subject ({named}) is no "
                                  "subject of this study")  # fmt: skip
    items = visits.get(sid, [])
    labels = [report.time_point, report.clinical_trial_time_point_id,
              *(g.time_point_id or g.time_point for g in report.groups)]  # fmt: skip
    for label in (x for x in labels if x):
        found = [(d, v) for d, v in items if _norm(v) == _norm(label) or d.isoformat() == label.strip()]
        if found:
            return sid, found[0][0], found[0][1], BY_TIMEPOINT, ""
    if report.study_date is not None:
        found = [(d, v) for d, v in items if d == report.study_date]
        if found:
            return sid, found[0][0], found[0][1], BY_DATE, ""
    said = ", ".join(dict.fromkeys(x for x in (*labels, str(report.study_date or "")) if x)) or "none"
    return sid, None, "", "", f"no assessment of {sid} matches its time point or Study Date ({said})"


def _group_values(
    g: ParsedGroup, lesion: str, sid: str, found: dict[str, _Image], warnings: list[str]
) -> tuple[dict[str, float], tuple[Caliper, ...], list[_Image]]:
    """A group's values and the calipers rebuilt from its lines (a line whose image is absent is named)."""
    values: dict[str, float] = {}
    lines: dict[str, dict[str, Line]] = defaultdict(dict)
    refs: dict[str, _Image] = {}
    for m in g.measurements:
        values[m.field] = round(m.value_mm, 2)
        if not m.points:
            continue
        label = f"lesion {lesion} {LABELS[m.field]}"
        image = found.get(m.sop_instance_uid)
        if image is None:
            warnings.append(f"{label}: source image {m.sop_instance_uid or '(none named)'} is not in the study's "
                            "image index; its value is imported without its line")  # fmt: skip
        elif image.subject_id != sid and sid:
            warnings.append(f"{label}: source image {m.sop_instance_uid} is an image of {image.subject_id}, not "
                            f"{sid}; its value is imported without its line")  # fmt: skip
        elif len(m.points) != 2:
            warnings.append(f"{label}: a line of {len(m.points)} points, not 2; its value is imported without it")
        else:
            lines[m.sop_instance_uid][LINE[m.field]] = Line(m.points[0], m.points[1])
            refs[m.sop_instance_uid] = image
    drawn = tuple(
        Caliper(sop, refs[sop].series_uid, refs[sop].spacing, refs[sop].frame_of_reference_uid, dict(named))
        for sop, named in lines.items()
    )
    return values, drawn, list(refs.values())


def _document(
    path: Path,
    report: ParsedReport,
    evaluator: str | None,
    found: dict[str, _Image],
    subjects: set[str],
    visits: dict[str, list[tuple[date, str]]],
) -> SRDocument:
    who = evaluator_key(evaluator) if evaluator else evaluator_key(report.observer)
    refs = [found[m.sop_instance_uid] for g in report.groups for m in g.measurements if m.sop_instance_uid in found]
    sid, day, visit, how, why = _when(report, refs, subjects, visits)
    problems = [why] if why else []
    if not who:
        problems.append("the SR names no observer: name the evaluator to import it as")
    elif who == "investigator":
        problems.append("'investigator' is the source data's evaluator, not one an SR is imported as")
    warnings = [f"skipped: {s}" for s in report.skipped]
    doc = SRDocument(path, report.sop_instance_uid, report.observer, who, sid, day, visit, how, (), (), (), report)
    return replace(doc, problems=tuple(problems), warnings=tuple(warnings))


# ---------------------------------------------------------------------------------------------- rows
@dataclass
class _Evaluator:
    """One evaluator's rows of one subject as they stand, and as the import leaves them."""

    lesions: dict[str, dict[str, Any]]  # lesion_id -> row (the stored row, or the planned one)
    measurements: dict[tuple[str, str], dict[str, Any]]  # (lesion_id, date) -> row
    reads: set[str]  # dates with a read


def _stored(session: StudySession, sid: str, who: str) -> _Evaluator:
    store = session.store
    where, params = "subject_id = ? AND reader = ?", [sid, who]
    return _Evaluator(
        {r["lesion_id"]: r for r in store.rows("lesions", where, params)},
        {(r["lesion_id"], r["date"]): r for r in store.rows("measurements", where, params, order_by="id")},
        {r["date"] for r in store.rows("reads", where, params)},
    )


def _lesion_for(g: ParsedGroup, state: _Evaluator, taken: set[str], n: int) -> tuple[str, dict[str, Any] | None]:
    """The evaluator's lesion a group names (id, stored or planned row), or a free id for a new one."""
    if g.tracking_uid:
        same = next((r for r in state.lesions.values() if r.get("tracking_uid") == g.tracking_uid), None)
        if same is not None:
            return str(same["lesion_id"]), same
    wanted = " ".join(g.lesion_id.split())[:32] or f"SR{n:02d}"
    row = state.lesions.get(wanted)
    if row is not None and (not row.get("tracking_uid") or not g.tracking_uid) and wanted not in taken:
        return wanted, row
    free, k = wanted, 2
    while free in state.lesions or free in taken:
        free, k = f"{wanted}-{k}", k + 1
    return free, None


def _kind(g: ParsedGroup, row: dict[str, Any] | None, baseline: bool) -> tuple[str, str]:
    if g.kind:
        return g.kind, "new finding" if g.kind == "new" else "baseline category"
    if row is not None:
        return str(row["kind"]), "the study's lesion"
    if baseline:
        if g.value("diameter_mm") is not None or g.value("short_axis_mm") is not None:
            return "target", "kind unknown: a target (measured at baseline)"
        return "non-target", "kind unknown: a non-target (no axis at baseline)"
    return "new", "kind unknown: new (first seen after baseline)"


def _plan_document(
    doc: SRDocument, state: _Evaluator, found: dict[str, _Image], baseline: date | None
) -> tuple[SRDocument, list[PlannedRow]]:
    assert doc.report is not None and doc.date is not None  # importable documents only
    day = doc.date.isoformat()
    rows: list[PlannedRow] = []
    lesions: list[SRLesion] = []
    warnings = list(doc.warnings)
    taken: set[str] = set()
    for n, g in enumerate(doc.report.groups, start=1):
        lid, row = _lesion_for(g, state, taken, n)
        taken.add(lid)
        if lid != (" ".join(g.lesion_id.split())[:32]) and row is None:
            warnings.append(f"group {g.lesion_id or n} ({g.tracking_uid or 'no tracking UID'}) is imported as "
                            f"lesion {lid}: the evaluator's {g.lesion_id or '(unnamed)'} is another one")  # fmt: skip
        values, drawn, refs = _group_values(g, lid, doc.subject_id, found, warnings)
        kind, kind_by = _kind(g, row, baseline is not None and doc.date <= baseline)
        method = refs[0].modality if refs else ""
        if row is None:
            row = {"subject_id": doc.subject_id, "reader": doc.evaluator, "lesion_id": lid, "kind": kind,
                   "organ": g.organ, "site": "", "is_node": int(g.is_node), "method": method,
                   "tracking_uid": g.tracking_uid}  # fmt: skip
            state.lesions[lid] = row
            rows.append(PlannedRow("lesions", "insert", doc.subject_id, doc.evaluator, lid, dict(row),
                                   source=doc.sop_instance_uid))  # fmt: skip
        else:
            said = [("kind", kind), ("organ", g.organ)] + ([("is_node", int(g.is_node))] if g.finding_site else [])
            differ = [f"{k} {row.get(k)!r} (SR: {v!r})" for k, v in said if v != "" and str(row.get(k)) != str(v)]
            if differ:
                warnings.append(f"lesion {lid}: the study's {', '.join(differ)} is kept")
            kind = str(row["kind"])
            if g.tracking_uid and not row.get("tracking_uid"):
                rows.append(PlannedRow("lesions", "update", doc.subject_id, doc.evaluator, lid,
                                       {"tracking_uid": g.tracking_uid}, row.get("id"), dict(row),
                                       doc.sop_instance_uid))  # fmt: skip
                row["tracking_uid"] = g.tracking_uid
            else:
                rows.append(PlannedRow("lesions", "unchanged", doc.subject_id, doc.evaluator, lid, {}, row.get("id")))
        lesions.append(SRLesion(lid, g.tracking_uid, kind, kind_by, str(row.get("organ", "")),
                                bool(row.get("is_node")), values, drawn, method))  # fmt: skip
        rows.append(_measurement_row(doc, state, lid, day, values, drawn, method, g.status))
    return replace(doc, lesions=tuple(lesions), warnings=tuple(warnings)), rows


def _measurement_row(
    doc: SRDocument,
    state: _Evaluator,
    lid: str,
    day: str,
    values: dict[str, float],
    drawn: tuple[Caliper, ...],
    method: str,
    status: str = "",
) -> PlannedRow:
    wanted: dict[str, Any] = {**values, "caliper": calipers.dump(drawn), **({"status": status} if status else {})}
    old = state.measurements.get((lid, day))
    what = f"{lid} {day}"
    if old is None:
        row = {"subject_id": doc.subject_id, "reader": doc.evaluator, "lesion_id": lid, "date": day,
               "visit": doc.visit, **dict.fromkeys(_VALUE_FIELDS), "status": "present", **wanted,
               "method": method}  # fmt: skip
        state.measurements[(lid, day)] = row
        return PlannedRow("measurements", "insert", doc.subject_id, doc.evaluator, what, row,
                          source=doc.sop_instance_uid)  # fmt: skip
    if not old.get("visit") and doc.visit:
        wanted["visit"] = doc.visit
    changed = {k: v for k, v in wanted.items() if not _same(old.get(k), v)}
    if not changed:
        return PlannedRow("measurements", "unchanged", doc.subject_id, doc.evaluator, what, {}, old.get("id"))
    state.measurements[(lid, day)] = {**old, **changed}
    return PlannedRow("measurements", "update", doc.subject_id, doc.evaluator, what, changed, old.get("id"),
                      {k: old.get(k) for k in changed}, doc.sop_instance_uid)  # fmt: skip


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) < 0.005
    return (a if a is not None else "") == (b if b is not None else "")


def _reads(
    session: StudySession, sid: str, who: str, state: _Evaluator, docs: list[SRDocument]
) -> tuple[list[PlannedRow], list[str]]:
    """A read per post-baseline date the documents cover where the evaluator has none, with the responses the
    rules engine computes from the evaluator's measurements as the import leaves them."""
    lesions = [from_row(Lesion, r) for r in state.lesions.values()]
    ms = [from_row(Measurement, {**r, "date": str(r["date"])}) for r in state.measurements.values()]
    results = {tp.date: tp for tp in recist.timepoint_responses(lesions, ms, session.settings().criteria)}
    user = session.store.rows("users", "username = ?", [who])
    role = ReadRole.ADJUDICATOR if user and user[0]["role"] in (Role.ADJUDICATOR, Role.ADMIN) else ReadRole.READER
    rows, lines = [], []
    for doc in docs:
        assert doc.date is not None
        tp = results.get(doc.date)
        if tp is None:
            continue
        day = doc.date.isoformat()
        new = "new lesion" if tp.new_lesion else "no new lesion"
        lines.append(f"{sid} {who} {day} {doc.visit or tp.visit}: {tp.overall} (target {tp.target or '-'}, "
                     f"non-target {tp.non_target or '-'}, {new})")  # fmt: skip
        if day in state.reads:
            rows.append(PlannedRow("reads", "unchanged", sid, who, day, {}))
            continue
        row = {"subject_id": sid, "reader": who, "role": role.value, "date": day, "visit": doc.visit or tp.visit,
               "overall": tp.overall.value, "target": tp.target.value if tp.target else "",
               "non_target": tp.non_target.value if tp.non_target else "", "new_lesion": int(tp.new_lesion),
               "computed_overall": tp.overall.value, "override_reason": "", "entered_by": session.store.user,
               "date_imputed": 0, "accepted": 0}  # fmt: skip
        state.reads.add(day)
        rows.append(PlannedRow("reads", "insert", sid, who, day, row, source=doc.sop_instance_uid))
    return rows, lines


def _blockers(session: StudySession, doc: SRDocument) -> list[str]:
    conn = session.store.conn
    assert doc.date is not None
    if is_locked(conn, doc.subject_id):
        return [f"the adjudication of {doc.subject_id} is signed: the case is locked (re-open it to import)"]
    if is_submitted(conn, doc.subject_id, doc.evaluator, doc.date.isoformat()):
        return [f"{doc.evaluator} has submitted the read of {doc.subject_id} at {doc.date}: it is final"]
    return []


def _plan(
    session: StudySession,
    parsed: Sequence[tuple[Path, ParsedReport]],
    evaluators: Callable[[ParsedReport], str | None],
    unreadable: Sequence[tuple[str, str]],
    pending: images.ImportPlan | None,
) -> SRImportPlan:
    found, later = _images(session, pending)
    subjects = {r["subject_id"] for r in session.store.rows("subjects")}
    visits = images.assessments(session)
    docs = [_document(path, report, evaluators(report), found, subjects, visits) for path, report in parsed]
    amended = {uid for _, r in parsed for uid in r.predecessors}
    read_of: dict[tuple[str, str, date], SRDocument] = {}
    checked: list[SRDocument] = []
    for doc in docs:
        problems = list(doc.problems)
        if doc.sop_instance_uid in amended:
            problems.append("another document here amends it (its Predecessor Documents Sequence names this one)")
        elif doc.importable:
            assert doc.date is not None
            key = (doc.subject_id, doc.evaluator, doc.date)
            if key in read_of:
                problems.append(f"{read_of[key].path.name} is a read of the same evaluator, patient and date")
            else:
                read_of[key] = doc
                problems += _blockers(session, doc)
        checked.append(replace(doc, problems=tuple(problems)))
    by_read: dict[tuple[str, str], list[SRDocument]] = defaultdict(list)
    for doc in checked:
        if doc.importable:
            by_read[(doc.subject_id, doc.evaluator)].append(doc)
    planned: dict[str, SRDocument] = {}
    rows: list[PlannedRow] = []
    responses: list[str] = []
    for (sid, who), mine in sorted(by_read.items()):
        mine.sort(key=lambda d: (d.date or date.min, d.path.name))
        baseline = min((d for d, _ in visits.get(sid, [])), default=mine[0].date)
        state = _stored(session, sid, who)
        for doc in mine:
            done, doc_rows = _plan_document(doc, state, found, baseline)
            planned[doc.sop_instance_uid] = done
            rows += doc_rows
        read_rows, lines = _reads(session, sid, who, state, mine)
        rows += read_rows
        responses += lines
    final = tuple(planned.get(d.sop_instance_uid, d) if d.importable else d for d in checked)
    used = {c.sop_instance_uid for d in final for x in d.lesions for c in x.calipers}
    return SRImportPlan(str(session.path), final, tuple(unreadable), tuple(rows), tuple(responses),
                        frozenset(used & later))  # fmt: skip


def _files(paths_or_folder: str | Path | Iterable[str | Path]) -> list[Path]:
    """The SR files named, or found under the folders named (any depth, in a stable order)."""
    items = [paths_or_folder] if isinstance(paths_or_folder, (str, Path)) else list(paths_or_folder)
    out: list[Path] = []
    for item in items:
        path = Path(item).expanduser()
        if path.is_dir():
            out += [p for p in sorted(path.rglob("*")) if p.is_file() and dicom_sr.is_report_file(p)]
        elif path.is_file():
            out.append(path)
        else:
            raise SRImportRefused(f"{path}: no such file or folder; nothing was read")
    return out


def preview_sr_import(
    session: StudySession,
    paths_or_folder: str | Path | Iterable[str | Path],
    *,
    evaluator: str | None = None,
    images_plan: images.ImportPlan | None = None,
) -> SRImportPlan:
    """Read the SR documents (files, or those under a folder) and plan their import as ``evaluator`` (default:
    each document's observer as a key); ``images_plan``: an image import of the same folder, applied first, whose
    series the SRs may reference. Writes nothing (module docstring). The admin's."""
    images.require_admin(session, "import DICOM SR documents", why=SR_WHY, writes=False)
    parsed: list[tuple[Path, ParsedReport]] = []
    unreadable: list[tuple[str, str]] = []
    for path in _files(paths_or_folder):
        try:
            parsed.append((path, dicom_sr.read_measurement_report(path)))
        except SRError as exc:
            unreadable.append((path.name, str(exc).removeprefix(f"{path}: ")))
    return _plan(session, parsed, lambda report: evaluator, unreadable, images_plan)


# ---------------------------------------------------------------------------------------------- apply
@dataclass(frozen=True)
class SRImported:
    """What an SR import wrote (nothing when the study already held it)."""

    changes: Changes
    documents: int = 0
    lesions: int = 0
    measurements: int = 0
    reads: int = 0

    def summary(self) -> str:
        if self.changes.empty:
            return "SR import: nothing to write (the study already holds what the SRs say; nothing was written)"
        return (f"SR import: {self.documents} document(s): {self.lesions} lesion(s), {self.measurements} "
                f"measurement(s), {self.reads} read(s) written")  # fmt: skip


def apply_sr_import(session: StudySession, sr_plan: SRImportPlan) -> SRImported:
    """Write ``sr_plan`` in one transaction (module docstring); nothing when nothing is new. The admin's;
    :class:`SRImportRefused` (nothing written) when the study changed since the preview so that the import would
    write otherwise, or when an image it relies on was not registered meanwhile."""
    images.require_admin(session, "import DICOM SR documents", why=SR_WHY)
    if not sr_plan.writes:
        return SRImported(Changes())
    store = session.store
    parsed = [(d.path, d.report) for d in sr_plan.documents if d.report is not None]
    chosen = {d.sop_instance_uid: d.evaluator for d in sr_plan.documents}
    with store.transaction():
        plan = _plan(session, parsed, lambda r: chosen.get(r.sop_instance_uid), sr_plan.unreadable, None)
        if not plan.writes:  # applied already (this plan, or the same SRs since)
            return SRImported(Changes())
        if [r.signature() for r in plan.writes] != [r.signature() for r in sr_plan.writes]:
            missing = sorted(sr_plan.pending_images - {c.sop_instance_uid for d in plan.documents for x in d.lesions
                                                       for c in x.calipers})  # fmt: skip
            why = (f"image(s) {', '.join(missing[:3])} of the SRs are not registered (apply the image import "
                   "first)" if missing else f"the study changed since the preview of {len(sr_plan.documents)} "
                   "SR(s)")  # fmt: skip
            raise SRImportRefused(f"{why}; nothing was written — preview again")
        uid_names = {d.sop_instance_uid: d.path.name for d in plan.documents}
        by_reader: dict[str, list[PlannedRow]] = defaultdict(list)
        for r in plan.writes:
            by_reader[r.reader].append(r)
        for who, rows in sorted(by_reader.items()):
            with store.scope(MERGE, reader=who):
                for r in rows:
                    note = f"DICOM SR import as {who}: SR {r.source} ({uid_names.get(r.source, '?')})"
                    values = {k: sql_value(v) for k, v in r.values.items()}
                    if r.op == "insert":
                        store.insert(r.table, values, reason=note)
                    else:
                        store.update(r.table, r.row_id, values, reason=note)
    writes = plan.writes
    counts = Counter(r.table for r in writes)
    subjects = sorted({r.subject_id for r in writes})
    kinds = {ChangeKind(t) for t in counts}
    return SRImported(Changes.of(*subjects, kinds=kinds), len({r.source for r in writes}), counts["lesions"],
                      counts["measurements"], counts["reads"])  # fmt: skip
