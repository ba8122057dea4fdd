"""Review status per patient and record kind, per user: see it, mark a kind (or the whole patient) reviewed, undo.

States (issue 12 item 2): **not reviewed** → **reviewed** (by whom, when) → **changed since review** when a data
transfer or an edit touches that kind afterwards (:mod:`hccreview.store.record_review` reads the audit trail for
what changed). The patient's own state follows its kinds: all kinds reviewed → "reviewed", some → "in progress",
any changed since review → "changed since review". Marking is audited and returns an :class:`Edit` whose old
values are the previous marks and state, so ``services.review.revert`` — the one inverse of every edit, itself
audited — restores them exactly (:func:`undo_mark` is that call).

Everything is the signed-in user's (issue 17 item 6): reader1's "reviewed" is not reader2's. What is shown, set
and undone are the marks and state of ``session.store.user`` only; an undo restores its author's marks and is
refused to anybody else (another user signed in since).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from hccreview.domain.access import AccessDenied, Capability
from hccreview.domain.changes import ChangeKind, Changes
from hccreview.services.review import Edit, ValidationError, marks_snapshot, revert
from hccreview.services.session import StudySession
from hccreview.store.record_review import (
    CHANGED,
    KIND_TITLES,
    NOT_REVIEWED,
    REVIEW_KINDS,
    REVIEWED,
    KindState,
    set_marks,
    states_of,
)
from hccreview.store.review_state import stored_states, write_state
from hccreview.store.transfers import open_flags

__all__ = [
    "CHANGED",
    "KIND_TITLES",
    "NOT_REVIEWED",
    "REVIEWED",
    "REVIEW_KINDS",
    "KindState",
    "PatientReview",
    "mark_reviewed",
    "patient_review",
    "status_counts",
    "undo_mark",
]


@dataclass(frozen=True)
class PatientReview:
    """One patient's review status: the patient's state, each kind's, and open re-adjudication reasons."""

    subject_id: str
    state: str
    kinds: dict[str, KindState]
    readjudication: list[str] = field(default_factory=list)

    @property
    def changed_kinds(self) -> list[str]:
        return [k for k, s in self.kinds.items() if s.state == CHANGED]


def patient_review(session: StudySession, subject_id: str) -> PatientReview:
    """The review status of ``subject_id`` as it stands now, for the signed-in user."""
    store = session.store
    visible = visible_kinds(session)  # a reader without clinical data reviews the assessments only
    kinds = {k: v for k, v in states_of(store, subject_id).items() if k in visible}
    state = stored_states(store, subject_id).get(subject_id, "not started")
    if any(k.state == CHANGED for k in kinds.values()):
        state = CHANGED
    flags = [f["reason"] for f in open_flags(store, subject_id)]
    return PatientReview(subject_id, state, kinds, flags)


def status_counts(states: Iterable[str]) -> dict[str, int]:
    """How many patients are in each shown state (the navigator's counts)."""
    out: dict[str, int] = {}
    for s in states:
        out[s] = out.get(s, 0) + 1
    return out


def visible_kinds(session: StudySession) -> tuple[str, ...]:
    """The record kinds the signed-in user reviews: a reader without clinical data only the assessments."""
    if session.access.may(Capability.SEE_CLINICAL):
        return tuple(REVIEW_KINDS)
    return tuple(k for k in REVIEW_KINDS if k == "assessments")


def mark_reviewed(
    session: StudySession, *, subject_id: str, kinds: Iterable[str] | None = None, reason: str | None = None
) -> Edit:
    """Mark ``kinds`` of ``subject_id`` reviewed now for the signed-in user (None: every kind, i.e. the whole
    patient); audited, undoable. Other users' marks are left as they are."""
    visible = visible_kinds(session)
    chosen = tuple(visible if kinds is None else dict.fromkeys(kinds))
    unknown = [k for k in chosen if k not in REVIEW_KINDS]
    if unknown or not chosen:
        raise ValidationError("kinds", list(chosen), f"choose from {', '.join(REVIEW_KINDS)}")
    hidden = [k for k in chosen if k not in visible]
    if hidden:
        raise AccessDenied(f"{session.access.who} may not review {', '.join(hidden)}: clinical data is hidden")
    store = session.store
    if not store.rows("subjects", "subject_id = ?", [subject_id]):
        raise ValidationError("subject_id", subject_id, "no such patient in this study")
    with store.transaction():
        old = marks_snapshot(session, subject_id)
        set_marks(store, subject_id, chosen, reason=reason)
        now = states_of(store, subject_id)
        done = all(s.state == REVIEWED for k, s in now.items() if k in visible)
        write_state(store, subject_id, "reviewed" if done else "in progress", reason=reason)
        new = marks_snapshot(session, subject_id)
    return Edit(Changes.of(subject_id, kinds={ChangeKind.REVIEW_STATUS}), "record_review", subject_id, old, new)


def undo_mark(session: StudySession, edit: Edit, *, reason: str = "undo") -> Edit:
    """Restore the marks and state an :class:`Edit` of :func:`mark_reviewed` replaced (audited); returns the
    inverse (for redo). The one inverse of every edit, ``services.review.revert``: only the edit's author may undo
    it (PermissionError otherwise, nothing written)."""
    return revert(session, edit, reason=reason)
