"""The reader's workflow with blinding enforced in the service and the store (issue 7 item 2; DESIGN §1, §4).

A central reader records, per timepoint, the target / non-target / new-lesion assessment and the stated
overall response. The response is prefilled with the rules engine's (RECIST 1.1 Tables 1–2 on the reader's
own measurements of that date when there are any, else on the stated components); stating another response
is an *override* and needs a reason. Each read keeps who entered it, the computed response and the override
reason; every write is audited (21 CFR Part 11 §11.10(e)) and returns an :class:`Edit` for undo.

Blinding: while the study is blinded (the default), a reader-role user obtains only their own reads and the
responses computed from their own measurements; asking for another reader's reads (central or investigator)
or for an adjudication raises :class:`BlindingError` (``store.access`` refuses as well). Only an admin
unblinds, with a reason, audited. An adjudicator's or admin's :func:`record_read` is the adjudicator's own
read (role ``adjudicator``), which :func:`~hccreview.services.adjudication.adjudicate` may then choose.
Reads of a patient whose adjudication is signed are locked (:class:`LockedError`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from hccreview.domain import recist
from hccreview.domain.access import Capability, CaseLocked
from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.records import Read, ReadRole, Response, Role
from hccreview.services.review import (
    Edit,
    StaleDataError,
    ValidationError,
    check_expected,
    revert,
    stale_differences,
    stale_error,
)
from hccreview.services.session import StudySession
from hccreview.store import access
from hccreview.store.access import BlindingError
from hccreview.store.audit import utc_now
from hccreview.store.exchange import snapshot_timepoints
from hccreview.store.review_state import scan_dates
from hccreview.store.rows import from_row
from hccreview.store.study_data import load_study
from hccreview.store.users import authenticate
from hccreview.store.write_gate import is_locked

__all__ = [
    "BlindingError",
    "Edit",
    "LockedError",
    "ReadEntry",
    "ReaderReads",
    "StaleDataError",
    "ValidationError",
    "WorklistItem",
    "allowed_sources",
    "computed_response",
    "get_reads",
    "is_blinded",
    "is_submitted",
    "reader_worklist",
    "reblind",
    "record_read",
    "submit_read",
    "unblind",
    "undo_read",
    "visible_readers",
]

TARGET_CODES = ("CR", "PR", "SD", "PD", "NE")
NON_TARGET_CODES = ("CR", "NON-CR/NON-PD", "PD", "NE")
OVERALL_CODES = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE")


#: The patient's adjudication is signed: its reads are locked until a reasoned re-open (raised by the write gate).
LockedError = CaseLocked


@dataclass(frozen=True)
class ReadEntry:
    """One stored read with its entry metadata; ``id`` lets the UI edit or undo it."""

    id: int
    read: Read
    computed_overall: str
    override_reason: str
    entered_by: str
    submitted_at: str = ""  # when its reader submitted it (then it is final for them: :func:`submit_read`)


@dataclass(frozen=True)
class ReaderReads:
    """One reader's reads of one patient and the responses computed from that reader's own measurements."""

    subject_id: str
    reader: str
    entries: list[ReadEntry]
    computed: list[recist.TimepointResult]


@dataclass(frozen=True)
class WorklistItem:
    """A patient on a reader's worklist: the timepoints to read and those already read by this reader."""

    subject_id: str
    timepoints: list[date]
    read_dates: list[date]
    status: str  # "not started" | "in progress" | "done"


def _signed_in(session: StudySession) -> Any:
    if session.signed_in is None:
        raise PermissionError("sign in first")
    return session.signed_in


def is_blinded(session: StudySession) -> bool:
    """Whether the study's central reads are blinded."""
    return access.is_blinded(session.store)


def _set_blinding(session: StudySession, blinded: bool, reason: str) -> Changes:
    user = _signed_in(session)
    if user.role is not Role.ADMIN:
        raise PermissionError(f"{user.username} ({user.role}) may not change blinding: admin role required")
    if not (reason or "").strip():
        raise ValidationError("reason", reason, "a reason is required to change blinding")
    access.set_blinded(session.store, blinded, reason=reason.strip())
    return Changes(kinds=frozenset({ChangeKind.BLINDING}), study=True)


def unblind(session: StudySession, reason: str) -> Changes:
    """Unblind the study (admin only; reason required; audited)."""
    return _set_blinding(session, False, reason)


def reblind(session: StudySession, reason: str) -> Changes:
    """Blind the study again (admin only; reason required; audited)."""
    return _set_blinding(session, True, reason)


def visible_readers(session: StudySession, subject_id: str) -> list[str]:
    """The readers of ``subject_id`` whose reads the signed-in user may see."""
    return access.visible_readers(session.store, subject_id)


def allowed_sources(session: StudySession, sources: list[str]) -> list[str]:
    """The read sources (``stats --source`` spellings) the signed-in user may see figures of: a blinded
    reader only their own ``reader:NAME``; everyone else all of ``sources`` (navigator, dashboard, report)."""
    return [s for s in sources if session.access.sees_source(s)]


def _entry(row: dict[str, Any]) -> ReadEntry:
    return ReadEntry(
        int(row["id"]), from_row(Read, row), row.get("computed_overall") or "",
        row.get("override_reason") or "", row.get("entered_by") or "", row.get("submitted_at") or "",
    )  # fmt: skip


def get_reads(session: StudySession, subject_id: str, reader: str) -> ReaderReads:
    """``reader``'s reads of ``subject_id`` and the responses computed from ``reader``'s own measurements.

    A blinded reader-role user asking for anyone but themself gets :class:`BlindingError`.
    """
    rows = access.read_rows(session.store, subject_id, reader=reader)
    data = load_study(session.store, ("lesions", "measurements"), subject_id=subject_id)
    lesions = [les for les in data.lesions if les.reader == reader]
    ms = [m for m in data.measurements if m.reader == reader]
    computed = recist.timepoint_responses(lesions, ms, data.settings.criteria) if lesions else []
    return ReaderReads(subject_id, reader, [_entry(r) for r in rows], computed)


def reader_worklist(session: StudySession, *, reader: str | None = None) -> list[WorklistItem]:
    """The patients to read for ``reader`` (default: the signed-in user) with their reading progress.

    Timepoints are the dates at which the patient was assessed (any reader's read, any measurement after
    the baseline scan): dates only, nothing of another reader's results. A patient is "done" when every
    timepoint up to the reader's own first PD is read.
    """
    viewer = session.access.username
    name = reader or viewer
    if name is None:
        raise PermissionError("sign in first (or name the reader)")
    access.check_reads_visible(session.store, reader=name)
    data = load_study(session.store, ("subjects", "reads"))
    points: dict[str, set[date]] = {}
    own: dict[str, set[date]] = {}
    own_pd: dict[str, date] = {}
    for r in data.reads:
        if r.reader == name:
            own.setdefault(r.subject_id, set()).add(r.date)
            if recist.normalise_response(r.overall) is Response.PD:
                own_pd[r.subject_id] = min(r.date, own_pd.get(r.subject_id, r.date))
    for sid, day in scan_dates(session.store):  # dates only: every reader sees the scan dates (DESIGN §4b)
        points.setdefault(sid, set()).add(day)
    for sid, days in snapshot_timepoints(session.store).items():  # offline: the study's scan dates travel
        points.setdefault(sid, set()).update(days)
    out = []
    for s in data.subjects:
        if s.screen_failure:
            continue
        tps, done = sorted(points.get(s.subject_id, set())), sorted(own.get(s.subject_id, set()))
        stop = own_pd.get(s.subject_id)  # after the reader's own progression nothing more counts (RECIST 1.1)
        needed = {d for d in tps if stop is None or d <= stop}
        status = "not started" if not done else "done" if needed <= set(done) else "in progress"
        out.append(WorklistItem(s.subject_id, tps, done, status))
    return out


def _code(field: str, value: Any, allowed: tuple[str, ...], *, blank_ok: bool = True) -> str:
    text = str(value or "").strip().upper()
    if text == "NON-CR/NON-PD" or text.replace(" ", "") in ("NONCR/NONPD", "NON-CR/NONPD"):
        text = "NON-CR/NON-PD"
    if not text and blank_ok:
        return ""
    if text not in allowed:
        raise ValidationError(field, value, f"must be one of {', '.join(allowed)}" + (" or blank" if blank_ok else ""))
    return text


def _day(value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError("date", value, "a full date YYYY-MM-DD is required") from None


def computed_response(
    session: StudySession, subject_id: str, reader: str, day: date, *, target: str, non_target: str,
    new_lesion: bool | None,
) -> tuple[Response, str]:  # fmt: skip
    """The rules engine's overall response for a read: RECIST 1.1 / mRECIST on ``reader``'s own measurements
    of ``day`` when there are any, else Table 1 / Table 2 on the stated components (blank = no such disease)."""
    data = load_study(session.store, ("lesions", "measurements"), subject_id=subject_id)
    lesions = [les for les in data.lesions if les.reader == reader]
    ms = [m for m in data.measurements if m.reader == reader]
    if lesions and any(m.date == day for m in ms):
        for tp in recist.timepoint_responses(lesions, ms, data.settings.criteria):
            if tp.date == day:
                return tp.overall, f"computed from {reader}'s measurements: {tp.rule}"
    out, rule = recist.overall_timepoint_response(target or None, non_target or None, bool(new_lesion))
    return out, f"computed from the stated assessment: {rule}"


def _locked(session: StudySession, subject_id: str) -> bool:
    """Whether the case is locked (asked before the work of a read; the write gate refuses it in any case)."""
    return is_locked(session.store.conn, subject_id)


def record_read(
    session: StudySession,
    subject_id: str,
    date: date | str,
    visit: str = "",
    *,
    overall: str | None = None,
    target: str | None = "",
    non_target: str | None = "",
    new_lesion: bool | None = None,
    override_reason: str | None = None,
    expected: dict[str, Any] | None = None,
    change_reason: str | None = None,
) -> Edit:
    """Record (or correct) the signed-in user's read of one timepoint; audited; returns the :class:`Edit`.

    Correcting a read already recorded needs ``change_reason`` (the write gate refuses a changed value without one).

    ``expected``: the user's read of that date as the caller showed it (``{}``: none shown); when the stored read
    differs (another app instance recorded or changed it meanwhile), :class:`StaleDataError` and nothing written.

    ``overall`` None / blank takes the computed response. A stated ``overall`` that differs from the computed
    one is an override and needs ``override_reason`` (:class:`ValidationError` otherwise; nothing written).
    A reader's read has role ``reader``; an adjudicator's or admin's is their own read (role ``adjudicator``).
    """
    user = _signed_in(session)
    store = session.store
    day = _day(date)
    try:
        store.get("subjects", subject_id)
    except KeyError:
        raise ValidationError("subject_id", subject_id, "no such patient in this study") from None
    tgt = _code("target", target, TARGET_CODES)
    ntg = _code("non_target", non_target, NON_TARGET_CODES)
    new = None if new_lesion is None else bool(new_lesion)
    computed, _rule = computed_response(session, subject_id, user.username, day, target=tgt, non_target=ntg,
                                        new_lesion=new)  # fmt: skip
    stated = _code("overall", overall, OVERALL_CODES) or computed.value
    reason = (override_reason or "").strip()
    if stated != computed.value and not reason:
        raise ValidationError(
            "override_reason", override_reason,
            f"the stated response {stated} overrides the computed {computed.value}: a reason is required",
        )  # fmt: skip
    if _locked(session, subject_id):
        raise LockedError(f"{subject_id}: the adjudication is signed; reads are locked until an admin re-opens it")
    role = ReadRole.READER if user.role is Role.READER else ReadRole.ADJUDICATOR
    values = {
        "visit": visit or "", "overall": stated, "target": tgt, "non_target": ntg,
        "new_lesion": None if new is None else int(new), "computed_overall": computed.value,
        "override_reason": reason if stated != computed.value else "", "entered_by": user.username,
    }  # fmt: skip
    audit_reason = f"override of computed {computed.value}: {reason}" if stated != computed.value else None
    change = (change_reason or "").strip()
    if change:
        audit_reason = f"{change}; {audit_reason}" if audit_reason else change
    changes = Changes.of(subject_id, kinds={ChangeKind.READS})
    with store.transaction():
        if _locked(session, subject_id):  # again inside the write transaction: signed by another instance meanwhile
            raise LockedError(f"{subject_id}: the adjudication is signed; reads are locked until an admin re-opens it")
        existing = [r for r in access.read_rows(store, subject_id, reader=user.username)
                    if r["date"] == day.isoformat()]  # fmt: skip
        if expected is not None:
            _check_seen(session, subject_id, existing[0] if existing else None, expected, day.isoformat())
        if existing:
            key = int(existing[0]["id"])
            old = store.update("reads", key, values, reason=audit_reason)
            return Edit(changes, "reads", key, old, {k: values[k] for k in old})
        row = {"subject_id": subject_id, "reader": user.username, "role": role.value, "date": day.isoformat(),
               "date_imputed": 0, "accepted": 0, **values}  # fmt: skip
        key = int(store.insert("reads", row, reason=audit_reason))
    return Edit(changes, "reads", key, {}, row)


def submit_read(session: StudySession, subject_id: str, date: date | str, *, password: str) -> Edit:
    """Submit the signed-in user's read of one timepoint (the password re-entered, audited). From then on the
    write gate refuses any change to that read and to the reader's measurements of that date: the read is final
    for its reader (BICR practice; 21 CFR Part 11 §11.200: a signing act re-authenticates). An adjudicator's
    decision rests on submitted reads; a wrong password (``AuthError``) writes nothing.

    In the same transaction the read's DICOM documents are written into the study (a TID 1500 SR and a Key Object
    Selection: ``structured_reports.write_read_documents``; their SHA-256 in the audit trail). A document that
    cannot be built is a :class:`ValidationError` naming the reason, and nothing is submitted; an image missing
    from the index is no such reason (its values are written without their lines, named in the audit entry)."""
    from hccreview.services.structured_reports import SRError, write_read_documents  # DICOM loads at submission

    user = _signed_in(session)
    session.access.require(Capability.READ)
    store, day = session.store, _day(date)
    authenticate(store, user.username, password)
    with store.transaction():
        rows = [r for r in access.read_rows(store, subject_id, reader=user.username) if r["date"] == day.isoformat()]
        if not rows:
            raise ValidationError("date", day.isoformat(), f"no read of yours of {subject_id} at this timepoint")
        row = rows[0]
        if row.get("submitted_at"):
            raise ValidationError("date", day.isoformat(), f"already submitted at {row['submitted_at']}")
        values = {"submitted_at": utc_now(), "submitted_by": user.username}
        old = store.update("reads", int(row["id"]), values, reason="read submitted (password re-entered)")
        try:
            write_read_documents(session, subject_id, day)
        except SRError as exc:
            raise ValidationError("date", day.isoformat(), f"not submitted: {exc}") from exc
    return Edit(Changes.of(subject_id, kinds={ChangeKind.READS}), "reads", int(row["id"]), old, values)


def is_submitted(session: StudySession, read_id: int) -> bool:
    """Whether a read (visible to the user) has been submitted by its reader."""
    return bool(session.store.get("reads", read_id).get("submitted_at"))


def _check_seen(
    session: StudySession, subject_id: str, row: dict[str, Any] | None, expected: dict[str, Any], day: str
) -> None:
    """:class:`StaleDataError` when a row the caller showed (``expected``; ``{}`` = no row) is not what is stored."""
    if row is None:
        differences = stale_differences(expected, {})  # the one stale check: what was seen vs no row at all
        if differences:
            raise StaleDataError("reads", f"{subject_id} {day}", differences, {}, subject_id=subject_id)
        return
    if not expected:
        fields = ["overall", "target", "non_target", "new_lesion"]
        raise stale_error(session, "reads", row["id"], {f: (None, row[f]) for f in fields}, dict(row))
    check_expected(session, "reads", row["id"], row, expected)


def undo_read(session: StudySession, edit: Edit, *, reason: str = "undo") -> Edit:
    """Undo one of the signed-in user's own read edits (refused once the patient's adjudication is signed)."""
    user = _signed_in(session)
    if edit.table != "reads":
        raise ValueError("not a read edit")
    subject_id = next(iter(edit.changes.subjects))
    reader = (edit.old_values or edit.new_values).get("reader")
    if reader is None:
        reader = session.store.get("reads", edit.key)["reader"]
    if reader != user.username:
        raise PermissionError(f"{user.username} may only undo their own reads")
    if _locked(session, subject_id):
        raise LockedError(f"{subject_id}: the adjudication is signed; reads are locked")
    return revert(session, edit, reason=reason)
