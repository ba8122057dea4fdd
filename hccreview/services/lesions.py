"""The reader's own lesion list: record a lesion, start a follow-up timepoint from the baseline list, remove a lesion
(issue 21 item 3: "follow-up reads start from the baseline lesion list").

RECIST 1.1 (Eisenhauer et al., Eur J Cancer 2009;45:228–247): target and non-target lesions are chosen at baseline
(§4.2) and every one of them is assessed again at each follow-up (§4.3); a lesion first seen at a follow-up is a
*new* lesion (§4.3.4), and it is followed at the timepoints after. mRECIST (Lencioni & Llovet 2010) keeps that
list. An imaging core lab therefore carries the baseline list forward: :func:`start_timepoint` creates the
reader's rows of a follow-up scan for every lesion of their list, values empty, and the reader measures them
(typed or with a caliper: ``services.review.update_measurement``).

A reader's baseline is the patient's first scan date; the scan dates are those of any evaluator's assessments and
of the registered images (``store.reader_lists``: dates only, DESIGN §4b). Every write is the signed-in user's own
(a reader's, or an adjudicator's own read) and goes through the write gate, which refuses another evaluator's rows,
a locked case and a submitted timepoint; the services say so first, in the gate's words. Each returns an
:class:`~hccreview.services.review.EditGroup` that ``services.review.revert`` undoes as one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from hccreview.domain.access import Capability
from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.records import LesionKind, LesionStatus
from hccreview.services.review import Edit, EditGroup, ValidationError
from hccreview.services.session import StudySession
from hccreview.store import write_gate
from hccreview.store.reader_lists import recorded_by, subject_scan_dates

__all__ = [
    "ID_PREFIXES",
    "ReaderTimepoints",
    "add_lesion",
    "reader_timepoints",
    "remove_lesion",
    "start_timepoint",
]

#: How a reader's lesions are numbered, per kind: T01, T02…, NT01…, N01….
ID_PREFIXES = {LesionKind.TARGET: "T", LesionKind.NON_TARGET: "NT", LesionKind.NEW: "N"}
#: The lesions a follow-up starts from besides the new ones already seen: the baseline list.
_BASELINE_KINDS = (LesionKind.TARGET.value, LesionKind.NON_TARGET.value)
#: Measurement fields that hold a recorded value (a lesion with any of them needs a reason to go).
_VALUE_FIELDS = ("diameter_mm", "short_axis_mm", "viable_mm", "caliper")


@dataclass(frozen=True)
class ReaderTimepoints:
    """One patient's scan dates as the signed-in reader's lesion list sees them."""

    subject_id: str
    reader: str
    scan_dates: tuple[date, ...]  # every scan date of the patient, baseline first
    own_dates: tuple[date, ...]  # dates the reader has measurement rows at
    startable: tuple[date, ...]  # follow-ups where :func:`start_timepoint` would add rows
    baseline_lesions: int  # the reader's targets and non-targets

    @property
    def baseline(self) -> date | None:
        """The patient's first scan: where targets and non-targets are chosen."""
        return self.scan_dates[0] if self.scan_dates else None

    @property
    def follow_ups(self) -> tuple[date, ...]:
        """The scan dates after baseline: where new lesions are recorded."""
        return self.scan_dates[1:]


def own_reader(session: StudySession) -> str:
    """The signed-in user whose own read this is (a reader, or an adjudicator's own read): their lesion list, their
    key images (``services.key_images``)."""
    session.access.require(Capability.READ)
    name = session.access.username
    if name is None:
        raise PermissionError("sign in first")
    return name


def scan_day(value: date | str, field: str = "date") -> date:
    """``value`` as a date (ValidationError naming ``field`` for anything but a full ISO date)."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(field, value, "a full date YYYY-MM-DD is required") from None


def _scan_dates(session: StudySession, subject_id: str) -> list[date]:
    try:
        session.store.get("subjects", subject_id)
    except KeyError:
        raise ValidationError("subject_id", subject_id, "no such patient in this study") from None
    return subject_scan_dates(session.store, subject_id)


def _scan_date(session: StudySession, subject_id: str, value: date | str) -> tuple[date, list[date]]:
    """The date as a scan date of the patient, and all of them (ValidationError when it is none)."""
    day = scan_day(value)
    dates = _scan_dates(session, subject_id)
    if day not in dates:
        raise ValidationError("date", day.isoformat(), f"not a scan date of {subject_id}")
    return day, dates


def _own(session: StudySession, table: str, subject_id: str, reader: str) -> list[dict[str, Any]]:
    return session.store.rows(table, "subject_id = ? AND reader = ?", [subject_id, reader], order_by="id")


def _changes(subject_id: str) -> Changes:
    return Changes.of(subject_id, kinds={ChangeKind.LESIONS, ChangeKind.MEASUREMENTS})


def _refuse_early(session: StudySession, op: str, first: str, subject_id: str, reader: str, days: set[str]) -> None:
    """Refuse, in the write gate's words, what it would refuse at the first write (``op`` of a row of the table
    ``first``): a locked case; a measurement row at a timepoint the reader has submitted."""
    conn = session.store.conn
    if write_gate.is_locked(conn, subject_id):
        raise write_gate.locked_refusal(session.access, f"{op} {first} of {subject_id}", subject_id)
    if any(write_gate.is_submitted(conn, subject_id, reader, day) for day in days):
        raise write_gate.submitted_refusal(f"{op} measurements of {subject_id}", reader)


def _next_id(kind: LesionKind, taken: list[str]) -> str:
    """The next free id of ``kind``: one above the highest of that prefix (an id once removed is not reused while
    a higher one stands; ``N07`` is no ``NT07``)."""
    prefix = ID_PREFIXES[kind]
    pattern = re.compile(rf"{prefix}(\d+)")
    numbers = [int(m.group(1)) for lid in taken if (m := pattern.fullmatch(lid.strip().upper()))]
    return f"{prefix}{max(numbers, default=0) + 1:02d}"


def _visit(own_ms: list[dict[str, Any]], day: str, given: str) -> str:
    """The visit name given, else the one the reader's rows of that date already carry."""
    return given.strip() or next((str(m["visit"]) for m in own_ms if m["date"] == day and m["visit"]), "")


def _carried(lesions: list[dict[str, Any]], ms: list[dict[str, Any]], day: date) -> list[dict[str, Any]]:
    """The lesions a follow-up at ``day`` starts from: the targets and non-targets, and new lesions seen before."""
    first_seen: dict[str, str] = {}
    for m in ms:
        first_seen[m["lesion_id"]] = min(m["date"], first_seen.get(m["lesion_id"], m["date"]))
    iso = day.isoformat()
    return [
        x for x in lesions
        if x["kind"] in _BASELINE_KINDS or (x["lesion_id"] in first_seen and first_seen[x["lesion_id"]] < iso)
    ]  # fmt: skip


def _missing(lesions: list[dict[str, Any]], ms: list[dict[str, Any]], day: date) -> list[dict[str, Any]]:
    """The carried lesions without a row of the reader at ``day``."""
    present = {m["lesion_id"] for m in ms if m["date"] == day.isoformat()}
    return [x for x in _carried(lesions, ms, day) if x["lesion_id"] not in present]


def reader_timepoints(session: StudySession, subject_id: str) -> ReaderTimepoints:
    """The patient's scan dates for the signed-in reader's own list: baseline, follow-ups, the dates they have
    rows at and those :func:`start_timepoint` would fill (what the tumour tab offers)."""
    reader = own_reader(session)
    dates = _scan_dates(session, subject_id)
    lesions = _own(session, "lesions", subject_id, reader)
    ms = _own(session, "measurements", subject_id, reader)
    own = sorted({date.fromisoformat(m["date"]) for m in ms})
    startable = tuple(d for d in dates[1:] if _missing(lesions, ms, d))
    baseline = sum(1 for x in lesions if x["kind"] in _BASELINE_KINDS)
    return ReaderTimepoints(subject_id, reader, tuple(dates), tuple(own), startable, baseline)


def add_lesion(
    session: StudySession,
    *,
    subject_id: str,
    kind: LesionKind | str,
    organ: str,
    site: str = "",
    is_node: bool = False,
    date: date | str,
    visit: str = "",
    method: str = "",
) -> EditGroup:
    """Record a lesion of the signed-in reader: the lesion (next free id of its kind: T01…, NT01…, N01…) and its
    measurement at ``date`` (status present, values empty: the reader measures it next). A target or non-target
    is chosen at baseline (the patient's first scan), a new lesion at a later scan (RECIST 1.1 §4.2, §4.3.4).
    ValidationError names what is wrong; a locked case or a submitted timepoint is refused; nothing is written."""
    reader = own_reader(session)
    try:
        lesion_kind = LesionKind(str(getattr(kind, "value", kind)).strip().lower())
    except ValueError:
        raise ValidationError("kind", kind, "a lesion is target, non-target or new") from None
    where = organ.strip()
    if not where:
        raise ValidationError("organ", organ, "the organ is required (RECIST counts target lesions per organ)")
    day, dates = _scan_date(session, subject_id, date)
    baseline = dates[0]
    if lesion_kind is LesionKind.NEW and day == baseline:
        why = f"a new lesion appears after baseline ({baseline}); at baseline record target and non-target lesions"
        raise ValidationError("kind", lesion_kind.value, why + " (RECIST 1.1 §4.3.4)")
    if lesion_kind is not LesionKind.NEW and day != baseline:
        why = f"{lesion_kind.value} lesions are chosen at baseline ({baseline}); one first seen later is a new lesion"
        raise ValidationError("kind", lesion_kind.value, why + " (RECIST 1.1 §4.2)")
    _refuse_early(session, "insert", "lesions", subject_id, reader, {day.isoformat()})
    store = session.store
    with store.transaction():  # the next id is chosen under the write lock
        taken = [str(x["lesion_id"]) for x in _own(session, "lesions", subject_id, reader)]
        lesion = {"subject_id": subject_id, "reader": reader, "lesion_id": _next_id(lesion_kind, taken),
                  "kind": lesion_kind.value, "organ": where, "site": site.strip(), "is_node": int(bool(is_node)),
                  "method": method.strip()}  # fmt: skip
        shown = _visit(_own(session, "measurements", subject_id, reader), day.isoformat(), visit)
        row = {"subject_id": subject_id, "reader": reader, "lesion_id": lesion["lesion_id"],
               "date": day.isoformat(), "visit": shown, "diameter_mm": None, "short_axis_mm": None, "viable_mm": None,
               "status": LesionStatus.PRESENT.value, "method": method.strip()}  # fmt: skip
        lesion_key = int(store.insert("lesions", lesion))
        row_key = int(store.insert("measurements", row))
    changes = _changes(subject_id)
    return EditGroup(changes, (Edit(changes, "lesions", lesion_key, {}, lesion),
                               Edit(changes, "measurements", row_key, {}, row)))  # fmt: skip


def start_timepoint(session: StudySession, *, subject_id: str, date: date | str, visit: str = "") -> EditGroup:
    """Start the signed-in reader's read of a follow-up scan from their baseline lesion list: a measurement row at
    ``date`` (status present, values empty) for every target and non-target, and every new lesion seen before.
    Idempotent: rows that exist are left; when all exist nothing is written (an empty group, no changes).

    ValidationError for a date that is not a follow-up scan of the patient, or a reader without baseline lesions.
    """
    reader = own_reader(session)
    day, dates = _scan_date(session, subject_id, date)
    if day == dates[0]:
        raise ValidationError("date", day.isoformat(), f"the baseline of {subject_id}: record its lesions with "
                              "Add lesion; a follow-up starts from them")  # fmt: skip
    lesions = _own(session, "lesions", subject_id, reader)
    if not any(x["kind"] in _BASELINE_KINDS for x in lesions):
        raise ValidationError("subject_id", subject_id, f"you have no baseline lesions of {subject_id} yet: add "
                              f"your target and non-target lesions at baseline ({dates[0]}) first")  # fmt: skip
    if not _missing(lesions, _own(session, "measurements", subject_id, reader), day):
        return EditGroup(Changes(), ())
    _refuse_early(session, "insert", "measurements", subject_id, reader, {day.isoformat()})
    store = session.store
    edits = []
    changes = _changes(subject_id)
    reason = f"follow-up {day.isoformat()} started from the baseline lesion list"
    with store.transaction():  # read again under the write lock: another window may have started it meanwhile
        ms = _own(session, "measurements", subject_id, reader)
        shown = _visit(ms, day.isoformat(), visit)
        for lesion in _missing(_own(session, "lesions", subject_id, reader), ms, day):
            row = {"subject_id": subject_id, "reader": reader, "lesion_id": lesion["lesion_id"],
                   "date": day.isoformat(), "visit": shown, "diameter_mm": None, "short_axis_mm": None,
                   "viable_mm": None, "status": LesionStatus.PRESENT.value, "method": lesion["method"]}  # fmt: skip
            edits.append(Edit(changes, "measurements", int(store.insert("measurements", row, reason=reason)), {}, row))
    return EditGroup(changes if edits else Changes(), tuple(edits))


def remove_lesion(session: StudySession, *, subject_id: str, lesion_id: str, reason: str) -> EditGroup:
    """Remove a lesion the signed-in reader recorded in hccreview, with all its measurement rows (audited deletes,
    the lesion last). A lesion with a recorded value needs a ``reason``; one without any may go without (the audit
    trail then says so). A lesion that came with the study's data (an import, the demo build) is not removed here:
    its rows are the delivery's."""
    reader = own_reader(session)
    _scan_dates(session, subject_id)  # the patient exists
    found = [x for x in _own(session, "lesions", subject_id, reader) if x["lesion_id"] == lesion_id]
    if not found:
        raise ValidationError("lesion_id", lesion_id, f"no lesion {lesion_id} of yours on {subject_id}")
    lesion = found[0]
    if recorded_by(session.store, "lesions", int(lesion["id"])) != reader:
        raise ValidationError("lesion_id", lesion_id, "came with the study's data, not recorded by you in hccreview: "
                              "it stays (set its status at a timepoint, or open a query)")  # fmt: skip
    ms = [m for m in _own(session, "measurements", subject_id, reader) if m["lesion_id"] == lesion_id]
    measured = any(m[f] not in (None, "") for m in ms for f in _VALUE_FIELDS) or any(
        m["status"] != LesionStatus.PRESENT.value for m in ms
    )
    why = (reason or "").strip()
    if measured and not why:
        raise ValidationError("reason", reason, f"{lesion_id} has recorded values: removing it needs a reason "
                              "(audited)")  # fmt: skip
    why = why or f"{lesion_id} removed by its reader before any value was recorded"
    _refuse_early(session, "delete", "measurements", subject_id, reader, {m["date"] for m in ms})
    store = session.store
    changes = _changes(subject_id)
    with store.transaction():
        edits = [Edit(changes, "measurements", int(m["id"]), store.delete("measurements", m["id"], reason=why), {})
                 for m in ms]  # fmt: skip
        edits.append(Edit(changes, "lesions", int(lesion["id"]), store.delete("lesions", lesion["id"], reason=why), {}))
    return EditGroup(changes, tuple(edits))
