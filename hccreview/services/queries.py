"""Queries and comments on a patient or one of its records (issue 12 item 3): open → answered → closed.

A thread hangs on a patient, a visit, a lesion, a measurement or an adverse event. A **query** asks for an
answer and has a state; a **comment** is a thread without state (anyone who sees it may reply). Every write
is audited through the store (21 CFR Part 11 §11.10(e)) in one transaction and returns :class:`Changes`
(kind ``"queries"``).

Who may do what (``domain.records.Role``; nobody signed in = the command line: may list, may not write):

============  =====================================================================================
open          any signed-in user, on a record they may see (a blinded reader: not on another reader's
              lesion or measurement)
answer        a query that is open or answered; any signed-in user other than the opener, or an admin
close         a query that is open or answered; the opener, an adjudicator or an admin
re-open       a closed query, with a reason; the opener, an adjudicator or an admin
reply         a comment thread; anyone who sees it
============  =====================================================================================

Blinding (DESIGN §1; ``store.queries.visible_sql``): while the study is blinded a reader sees no thread on
another reader's lesion or measurement and none opened by another reader, and other readers' messages in a
shared thread are withheld, so no reader learns another's reads through a query. Acting on a thread one may
not see raises :class:`BlindingError`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hccreview.domain.access import Capability
from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.records import Role
from hccreview.services.review import ValidationError
from hccreview.services.session import StudySession
from hccreview.store import access
from hccreview.store import queries as rows
from hccreview.store.access import BlindingError
from hccreview.store.audit import utc_now
from hccreview.store.users import User

__all__ = [
    "LISTING_STATES",
    "TARGET_KINDS",
    "BlindingError",
    "ListingRow",
    "Message",
    "Target",
    "Thread",
    "allowed_actions",
    "answer",
    "close",
    "listing",
    "open_counts",
    "open_thread",
    "reopen",
    "reply",
    "targets",
    "threads",
    "write_csv",
]

TARGET_KINDS = ("patient", "visit", "lesion", "measurement", "adverse_event")
LISTING_STATES = ("open", "answered", "closed", "all")
_TABLES = {"lesion": "lesions", "measurement": "measurements", "adverse_event": "adverse_events"}
CSV_COLUMNS = ("query_id", "subject_id", "state", "target", "title", "opened_by", "opened_at", "updated_at",
               "last_message_by", "last_message", "messages")  # fmt: skip


@dataclass(frozen=True)
class Message:
    """One message of a thread; ``hidden`` when withheld from a blinded reader (another reader wrote it)."""

    id: int
    action: str  # open | answer | close | reopen | reply
    author: str
    author_role: str
    at: str
    text: str
    hidden: bool = False


@dataclass(frozen=True)
class Thread:
    """A query (``state`` open / answered / closed) or a comment (``state`` None) with its messages."""

    id: int
    subject_id: str
    kind: str
    state: str | None
    target_kind: str
    target_ref: str
    target_label: str
    target_reader: str
    title: str
    opened_by: str
    opened_at: str
    updated_at: str
    closed_by: str
    closed_at: str | None
    messages: tuple[Message, ...] = ()

    @property
    def target(self) -> str:
        """What the thread hangs on: "patient", "visit WEEK 8", "lesion T01 (reader1)", ..."""
        if self.target_kind == "patient":
            return "patient"
        return f"{self.target_kind.replace('_', ' ')} {self.target_label or self.target_ref}".strip()


@dataclass(frozen=True)
class ListingRow:
    """One line of the query listing (CSV, PDF, command line)."""

    query_id: int
    subject_id: str
    state: str
    target: str
    title: str
    opened_by: str
    opened_at: str
    updated_at: str
    last_message_by: str
    last_message: str
    messages: int

    def as_dict(self) -> dict[str, Any]:
        return {c: getattr(self, c) for c in CSV_COLUMNS}


# ---------------------------------------------------------------------------------------------- who
def _blinded(session: StudySession) -> str | None:
    """The reader's name when the thread filter applies (a reader who may not see the other reads), else None."""
    policy = session.access
    return None if policy.may(Capability.SEE_OTHER_READS) else policy.username


def _user(session: StudySession) -> User:
    """The signed-in user every write is made under (PermissionError for the unsigned system context)."""
    if session.signed_in is None:
        raise PermissionError("sign in first: queries and comments are written under a user's name")
    return session.signed_in


def allowed_actions(session: StudySession, thread: Thread) -> set[str]:
    """What the signed-in user may do on ``thread`` now: a subset of answer, close, reopen, reply."""
    user = session.signed_in
    if user is None:
        return set()
    if thread.kind == "comment":
        return {"reply"}
    mine = user.username == thread.opened_by
    manager = user.role in (Role.ADJUDICATOR, Role.ADMIN)
    out = set()
    if thread.state in ("open", "answered"):
        if not mine or user.role is Role.ADMIN:
            out.add("answer")
        if mine or manager:
            out.add("close")
    elif thread.state == "closed" and (mine or manager):
        out.add("reopen")
    return out


# ---------------------------------------------------------------------------------------------- reading
def _thread(row: dict[str, Any], messages: list[dict[str, Any]]) -> Thread:
    msgs = tuple(Message(int(m["id"]), m["action"], m["author"], m["author_role"], m["at"], m["text"],
                         bool(m.get("hidden"))) for m in messages)  # fmt: skip
    return Thread(int(row["id"]), row["subject_id"], row["kind"], row["state"], row["target_kind"],
                  row["target_ref"], row["target_label"], row["target_reader"], row["title"], row["opened_by"],
                  row["opened_at"], row["updated_at"], row["closed_by"], row["closed_at"], msgs)  # fmt: skip


def threads(session: StudySession, subject_id: str | None = None, *, states: tuple[str, ...] | None = None,
            kind: str | None = None) -> list[Thread]:  # fmt: skip
    """The threads the signed-in user may see (one patient's, or all), with their messages."""
    blinded = _blinded(session)
    found = rows.thread_rows(session.store, blinded=blinded, subject_id=subject_id, states=states, kind=kind)
    messages = rows.message_rows(session.store, (int(r["id"]) for r in found), blinded=blinded)
    return [_thread(r, messages[int(r["id"])]) for r in found]


def get_thread(session: StudySession, query_id: int) -> Thread:
    """One thread the user may see (:class:`BlindingError` when hidden from them, KeyError when absent)."""
    blinded = _blinded(session)
    found = rows.thread_rows(session.store, blinded=blinded, query_id=query_id)
    if not found:
        if rows.thread_rows(session.store, blinded=None, query_id=query_id):
            raise BlindingError(f"blinded: query {query_id} concerns another reader's reads")
        raise KeyError(f"no query or comment {query_id}")
    return _thread(found[0], rows.message_rows(session.store, [query_id], blinded=blinded)[query_id])


def open_counts(session: StudySession) -> dict[str, int]:
    """Open queries per patient that the user may see (navigator and case-view badges)."""
    return rows.open_counts(session.store, blinded=_blinded(session))


def listing(session: StudySession, *, state: str = "open") -> list[ListingRow]:
    """The queries in ``state`` (open, answered, closed or all), by patient: the CSV / PDF listing."""
    if state not in LISTING_STATES:
        raise ValueError(f"unknown state {state!r}: choose one of {', '.join(LISTING_STATES)}")
    wanted = None if state == "all" else (state,)
    out = []
    for t in threads(session, states=wanted, kind="query"):
        last = next((m for m in reversed(t.messages) if not m.hidden), None)
        out.append(ListingRow(t.id, t.subject_id, t.state or "", t.target, t.title, t.opened_by, t.opened_at,
                              t.updated_at, last.author if last else "", last.text if last else "",
                              len(t.messages)))  # fmt: skip
    return out


def write_csv(listed: list[ListingRow], path: str | Path) -> Path:
    """Write the listing as CSV (UTF-8, header row; one row per query); returns the path."""
    target = Path(path)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(CSV_COLUMNS))
        writer.writeheader()
        for row in listed:
            writer.writerow(row.as_dict())
    return target


@dataclass(frozen=True)
class Target:
    """Something a thread can hang on: ``kind`` (TARGET_KINDS), ``ref`` (what :func:`open_thread` takes), label."""

    kind: str
    ref: str
    label: str


def targets(session: StudySession, subject_id: str) -> list[Target]:
    """What the user may open a thread on for ``subject_id``: the patient, its visits, the lesions and
    measurements of the readers they may see, its adverse events."""
    store = session.store
    found = rows.target_rows(store, subject_id)

    def seen(row: dict[str, Any]) -> bool:
        return session.access.sees_evaluator(str(row["reader"]))

    out = [Target("patient", "", f"patient {subject_id}")]
    out += [Target("visit", v, f"visit {v}") for v in rows.visit_labels(store, subject_id)]
    out += [Target("lesion", str(r["id"]), f"lesion {r['lesion_id']} ({r['reader']})") for r in found["lesion"]
            if seen(r)]  # fmt: skip
    out += [Target("measurement", str(r["id"]), f"measurement {r['lesion_id']} {r['date']} ({r['reader']})")
            for r in found["measurement"] if seen(r)]  # fmt: skip
    if session.access.may(Capability.SEE_CLINICAL):
        out += [Target("adverse_event", str(r["id"]), f"adverse event {r['term']} (AE {r['seq']})")
                for r in found["adverse_event"]]  # fmt: skip
    return out


# ---------------------------------------------------------------------------------------------- writing
def _text(field: str, value: str | None, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(field, value, f"{what} cannot be empty")
    return text


def _target(session: StudySession, subject_id: str, target_kind: str, target_ref: Any) -> tuple[str, str, str]:
    """``(ref, label, owning reader)`` of a thread's target, checked against the patient and blinding."""
    store = session.store
    if target_kind not in TARGET_KINDS:
        raise ValidationError("target_kind", target_kind, f"choose one of {', '.join(TARGET_KINDS)}")
    if target_kind == "patient":
        return "", "", ""
    if target_kind == "visit":
        visit = _text("target_ref", str(target_ref or ""), "the visit")
        if visit not in rows.visit_labels(store, subject_id):
            raise ValidationError("target_ref", target_ref, f"{subject_id} has no visit {visit!r}")
        return visit, visit, ""
    try:
        key = int(target_ref)
    except (TypeError, ValueError):
        raise ValidationError("target_ref", target_ref, f"not a {target_kind} id") from None
    row = rows.record_row(store, _TABLES[target_kind], key)
    if row is None or row["subject_id"] != subject_id:
        raise ValidationError("target_ref", target_ref, f"no {target_kind.replace('_', ' ')} {key} of {subject_id}")
    reader = str(row.get("reader") or "")
    if reader:
        access.check_reads_visible(store, reader=reader)
    if target_kind == "adverse_event":
        session.access.require(Capability.SEE_CLINICAL)
    if target_kind == "adverse_event":
        label = f"{row['term']} (AE {row['seq']})"
    elif target_kind == "lesion":
        label = f"{row['lesion_id']} ({reader})"
    else:
        label = f"{row['lesion_id']} {row['date']} ({reader})"
    return str(key), label, reader


def _message(session: StudySession, query_id: int, action: str, text: str, *, reason: str) -> None:
    user = _user(session)
    session.store.insert("query_messages", {"query_id": query_id, "action": action, "author": user.username,
                                            "author_role": user.role.value, "at": utc_now(), "text": text},
                         reason=reason)  # fmt: skip


def open_thread(
    session: StudySession,
    *,
    subject_id: str,
    title: str,
    text: str,
    kind: str = "query",
    target_kind: str = "patient",
    target_ref: Any = "",
) -> Changes:
    """Open a query (state open) or a comment on ``subject_id`` or one of its records, with its first message."""
    user = _user(session)
    if kind not in ("query", "comment"):
        raise ValidationError("kind", kind, "a thread is a query or a comment")
    heading = _text("title", title, "the title")
    body = _text("text", text, "the message")
    store = session.store
    with store.transaction():
        store.get("subjects", subject_id)  # KeyError for an unknown patient
        ref, label, reader = _target(session, subject_id, target_kind, target_ref)
        now = utc_now()
        row = {"subject_id": subject_id, "kind": kind, "state": "open" if kind == "query" else None,
               "target_kind": target_kind, "target_ref": ref, "target_label": label, "target_reader": reader,
               "title": heading, "opened_by": user.username, "opened_role": user.role.value, "opened_at": now,
               "updated_at": now}  # fmt: skip
        query_id = int(store.insert("queries", row, reason=f"{kind} opened"))
        _message(session, query_id, "open", body, reason=f"{kind} opened")
    return Changes.of(subject_id, kinds={ChangeKind.QUERIES})


def _transition(session: StudySession, query_id: int, action: str, text: str, state: str | None) -> Changes:
    """Add a message and move the thread to ``state`` (None: unchanged) after the role check."""
    user = _user(session)
    with session.store.transaction():
        thread = get_thread(session, query_id)
        if action not in allowed_actions(session, thread):
            raise PermissionError(_refusal(session, thread, action))
        now = utc_now()
        values: dict[str, Any] = {"updated_at": now}
        if state is not None:
            values["state"] = state
            values.update({"closed_by": user.username, "closed_at": now} if state == "closed"
                          else {"closed_by": "", "closed_at": None})  # fmt: skip
        session.store.update("queries", query_id, values, reason=f"{action}: {text}")
        _message(session, query_id, action, text, reason=action)
    return Changes.of(thread.subject_id, kinds={ChangeKind.QUERIES})


def _refusal(session: StudySession, thread: Thread, action: str) -> str:
    user = _user(session)
    who = f"{user.username} ({user.role})"
    if thread.kind == "comment":
        return f"{who}: a comment has no state; reply to it instead"
    if action == "answer" and thread.state == "closed":
        return f"query {thread.id} is closed: re-open it first"
    if action == "answer":
        return f"{who} opened query {thread.id}: another user (or an admin) answers it"
    if action == "reopen":
        return (
            f"query {thread.id} is {thread.state}: only a closed query is re-opened"
            if thread.state != "closed"
            else f"{who} may not re-open query {thread.id}: the opener, an adjudicator or an admin may"
        )
    if thread.state == "closed":
        return f"query {thread.id} is already closed"
    return f"{who} may not close query {thread.id}: the opener, an adjudicator or an admin may"


def answer(session: StudySession, *, query_id: int, text: str) -> Changes:
    """Answer a query (state answered; a further answer keeps it answered)."""
    return _transition(session, query_id, "answer", _text("text", text, "the answer"), "answered")


def close(session: StudySession, *, query_id: int, text: str = "") -> Changes:
    """Close a query (an optional closing note; "Closed." when none)."""
    return _transition(session, query_id, "close", (text or "").strip() or "Closed.", "closed")


def reopen(session: StudySession, *, query_id: int, reason: str) -> Changes:
    """Re-open a closed query; the reason is required and becomes its message."""
    return _transition(session, query_id, "reopen", _text("reason", reason, "the reason for re-opening"), "open")


def reply(session: StudySession, *, query_id: int, text: str) -> Changes:
    """Add a reply to a comment thread (no state)."""
    return _transition(session, query_id, "reply", _text("text", text, "the reply"), None)
