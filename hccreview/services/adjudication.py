"""Adjudication of discordant central reads: queue, side-by-side comparison, decision, e-signature, re-opening.

DESIGN §4 "Adjudication" (two blinded readers plus an adjudicator; FDA *Clinical Trial Imaging Endpoint
Process Standards*, 2018) and "Audit trail" (21 CFR Part 11 §11.10(e), §11.50, §11.70, §11.200):

- **Queue** (:func:`discordance_queue`): a patient is discordant when the two central readers' confirmed
  best overall responses differ, or their first-PD dates differ by more than ``discordance_pd_days``
  (``domain.discordance.compare_reads``); the ``"investigator"`` view compares the investigator's best
  response with the adjudicated central one (reported, not adjudicated).
- **Decision** (:func:`adjudicate`): adjudicator or admin only, a reason is mandatory; the chosen read is
  what the cohort figures use (``domain.sources``). An unsigned decision may be changed or undone
  (:func:`undo_adjudication`); each change is audited with old and new values.
- **Sign-off** (:func:`sign_adjudication`): the deciding adjudicator re-enters the password; the signature
  (name, UTC time, meaning "adjudicated", record hash) locks the case: decision and reads are refused
  with :class:`LockedError`.
- **Re-opening** (:func:`reopen`): admin only, with a reason, audited; the signed decision and its
  signature stay in their tables and in the trail; the decision stands until a new one is recorded
  (a new row, so the signed row is never altered).

Impact preview and reader performance live in :mod:`hccreview.services.adjudication_figures`, decisions as
stored and the access checks in :mod:`~hccreview.services.adjudication_decisions`, the queue in
:mod:`~hccreview.services.adjudication_queue`, the side-by-side comparison in
:mod:`~hccreview.services.adjudication_comparison`; all are re-exported here. This module records, undoes,
signs and re-opens decisions. A blinded reader-role user is refused everything in this module (:class:`BlindingError`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hccreview.domain import reason_codes
from hccreview.domain.access import Capability
from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.records import ReadRole
from hccreview.services.adjudication_comparison import (
    Comparison,
    ComparisonRow,
    LesionRow,
    ReaderSide,
    ReaderTimepoint,
    case_comparison,
)
from hccreview.services.adjudication_decisions import (
    Decision,
    check_visible,
    decision_for,
    decision_history,
    decisions_in_force,
    require_adjudicator,
)
from hccreview.services.adjudication_figures import (
    cohort_figures,
    current_figures,
    impact_preview,
    reader_performance,
)
from hccreview.services.adjudication_queue import (
    ACCEPTED_FLAGS,
    QUEUE_KINDS,
    QueueItem,
    discordance_queue,
    next_in_queue,
    queue_counts,
    queue_from_data,
)
from hccreview.services.reading import LockedError
from hccreview.services.review import Edit, StaleDataError, ValidationError, revert, stale_differences, stale_error
from hccreview.services.session import StudySession
from hccreview.store import access
from hccreview.store import queries as coded
from hccreview.store.access import BlindingError
from hccreview.store.audit import utc_now
from hccreview.store.signatures import sign, supersede
from hccreview.store.transfers import clear_flags

__all__ = [
    "ACCEPTED_FLAGS",
    "QUEUE_KINDS",
    "AdjudicationEdit",
    "BlindingError",
    "Comparison",
    "ComparisonRow",
    "Decision",
    "LesionRow",
    "LockedError",
    "QueueItem",
    "ReaderSide",
    "ReaderTimepoint",
    "Signature",
    "ValidationError",
    "adjudicate",
    "case_comparison",
    "cohort_figures",
    "current_figures",
    "decision_for",
    "discordance_queue",
    "impact_preview",
    "next_in_queue",
    "queue_counts",
    "queue_from_data",
    "reader_performance",
    "reason_code_counts",
    "reopen",
    "seen_decision",
    "sign_adjudication",
    "undo_adjudication",
]

SIGNATURE_MEANING = "adjudicated"


def _choices(session: StudySession, subject_id: str) -> list[str]:
    roles = (ReadRole.READER.value, ReadRole.ADJUDICATOR.value)
    return sorted({r["reader"] for r in access.subject_read_rows(session.store, subject_id) if r["role"] in roles})


def adjudicate(
    session: StudySession,
    *,
    subject_id: str,
    chosen_reader: str,
    reason: str,
    reason_code: str | None,
    reason_other: str = "",
    expected: dict[str, Any] | None = None,
) -> Edit:
    """Record which read stands for ``subject_id`` and why (adjudicator / admin; audited; undoable until
    signed). A first decision — or one after a re-opening — is a new row; an unsigned decision is changed
    in place (old values in the trail and in the returned :class:`Edit`).

    ``expected``: the decision in force as the caller showed it (:func:`seen_decision`; ``{}``: none shown).
    When another user or app instance decided, changed or signed meanwhile, :class:`StaleDataError` (or
    :class:`LockedError` for a signature) and nothing is written.

    ``reason_code``: the discordance reason (``domain.reason_codes``; required, ``other`` with
    ``reason_other`` text), stored beside the decision in the same transaction (:class:`AdjudicationEdit`)."""
    user = require_adjudicator(session)
    text = (reason or "").strip()
    if not text:
        raise ValidationError("reason", reason, "the adjudicator must give a reason (DESIGN §4)")
    try:
        code = reason_codes.validate(reason_code, reason_other)
    except reason_codes.ReasonCodeError as exc:
        raise ValidationError(exc.field, reason_code, exc.message) from None
    choices = _choices(session, subject_id)
    if chosen_reader not in choices:
        raise ValidationError("chosen_reader", chosen_reader, f"not a read of {subject_id}: choose one of {choices}")
    store = session.store
    values = {"chosen_reader": chosen_reader, "reason": text, "adjudicator": user.username, "decided_at": utc_now()}
    changes = Changes.of(subject_id, kinds={ChangeKind.ADJUDICATIONS})
    with store.transaction():
        history = decision_history(session, subject_id)
        current = history[-1] if history else None
        if current is not None and current.locked:
            raise LockedError(f"{subject_id}: the decision is signed; an admin must re-open it first")
        _check_seen(session, subject_id, current, expected)
        if current is None or current.status == "reopened":
            row = {"subject_id": subject_id, **values, "signed": 0, "status": "open"}
            key = int(store.insert("adjudications", row, reason=text))
            coded.set_reason_code(store, key, code, reason=text)
            return AdjudicationEdit(changes, "adjudications", key, {}, row, None, code)
        old = store.update("adjudications", current.id, values, reason=text)
        before = coded.reason_code(store, current.id)
        coded.set_reason_code(store, current.id, code, reason=text)
    return AdjudicationEdit(changes, "adjudications", current.id, old, {k: values[k] for k in old}, before, code)


@dataclass(frozen=True)
class AdjudicationEdit(Edit):
    """A decision's edit with its reason code before and after (``(code, other_text)`` or None), so that
    undo / redo restore the code with the decision (the code lives in its own table, keyed by decision id)."""

    code_before: tuple[str, str] | None = None
    code_after: tuple[str, str] | None = None


def _check_seen(session: StudySession, subject_id: str, current: Decision | None, expected: Any) -> None:
    """:class:`StaleDataError` when the decision in force is not the one the caller showed (``expected``)."""
    if expected is None:
        return
    now = seen_decision(current)
    differences = stale_differences(expected, now)  # the one stale check (services.review)
    if not differences:
        return
    if current is None:
        raise StaleDataError("adjudications", subject_id, differences, {"subject_id": subject_id})
    raise stale_error(session, "adjudications", current.id, differences, {"subject_id": subject_id, **now})


def seen_decision(decision: Decision | None) -> dict[str, Any]:
    """What a view shows of the decision in force, for ``adjudicate(expected=...)``: ``{}`` when none."""
    if decision is None:
        return {}
    return {"id": decision.id, "chosen_reader": decision.chosen_reader, "adjudicator": decision.adjudicator,
            "status": decision.status}  # fmt: skip


def undo_adjudication(session: StudySession, edit: Edit, *, reason: str = "undo") -> Edit:
    """Undo (or redo, given the returned inverse) an unsigned decision; :class:`LockedError` once signed."""
    require_adjudicator(session)
    if edit.table != "adjudications":
        raise ValueError("not an adjudication edit")
    subject_id = next(iter(edit.changes.subjects))
    with session.store.transaction():
        history = decision_history(session, subject_id)
        if any(d.locked for d in history[-1:]):
            raise LockedError(f"{subject_id}: the decision is signed; undo works before sign-off only")
        target = next((d for d in history if d.id == edit.key), None)
        if target is not None and (target.signature is not None or target.status != "open"):
            # a decision that was ever signed is never altered or removed (§11.70): record a new one instead
            raise LockedError(f"{subject_id}: decision {target.id} was signed; record a new decision instead")
        if not isinstance(edit, AdjudicationEdit):
            return revert(session, edit, reason=reason)
        store = session.store
        if not edit.old_values and edit.new_values:  # undoing an insert: the code row goes first (foreign key)
            coded.set_reason_code(store, int(edit.key), None, reason=reason)
        inverse = revert(session, edit, reason=reason)
        if edit.old_values:  # an update written back, or a deleted decision inserted again (new id)
            coded.set_reason_code(store, int(inverse.key), edit.code_before, reason=reason)
        return AdjudicationEdit(inverse.changes, inverse.table, inverse.key, inverse.old_values, inverse.new_values,
                                edit.code_after, edit.code_before)  # fmt: skip


@dataclass(frozen=True)
class Signature:
    """A decision's e-signature as stored (21 CFR Part 11 §11.50: who, printed name, UTC time, meaning, and the
    hash of the signed record, §11.70), and what signing touched."""

    id: int
    username: str
    full_name: str
    signed_at: str
    meaning: str
    record_table: str
    record_id: str
    record_hash: str
    subject_id: str
    changes: Changes


def sign_adjudication(
    session: StudySession, *, subject_id: str, password: str, expected: dict[str, Any] | None = None
) -> Signature:
    """Sign the decision in force with the password (meaning "adjudicated"); locks the case.

    ``expected``: the decision the signer saw (:func:`seen_decision`); a decision changed meanwhile in
    another app instance is not signed (:class:`StaleDataError`, nothing written): one signs what one saw.

    Only the adjudicator who recorded the decision signs it. A wrong password raises ``AuthError`` and
    writes nothing. Returns the :class:`Signature` (its ``changes``: the decision and its signature).
    """
    user = require_adjudicator(session)
    store = session.store
    with store.transaction():
        history = decision_history(session, subject_id)
        current = history[-1] if history else None
        if current is None or current.status == "reopened":
            raise ValidationError("subject_id", subject_id, "no decision to sign: adjudicate first")
        if current.locked:
            raise LockedError(f"{subject_id}: the decision is already signed")
        if current.adjudicator != user.username:
            raise PermissionError(f"the decision was recorded by {current.adjudicator}: only they can sign it")
        _check_seen(session, subject_id, current, expected)
        signature = sign(store, username=user.username, password=password, meaning=SIGNATURE_MEANING,
                         record_table="adjudications", record_id=current.id)  # fmt: skip
        store.update("adjudications", current.id, {"status": "signed", "signed": 1, "signature_id": signature["id"]},
                     reason=f"e-signature {signature['id']}: {SIGNATURE_MEANING}")  # fmt: skip
        clear_flags(store, subject_id, reason=f"re-adjudicated: decision {current.id} signed")
    changes = Changes.of(subject_id, kinds={ChangeKind.ADJUDICATIONS, ChangeKind.SIGNATURES})
    return Signature(**signature, subject_id=subject_id, changes=changes)


def reopen(session: StudySession, *, subject_id: str, reason: str) -> Edit:
    """Re-open a signed decision (adjudicator or admin; reason required; audited). The signed row and its
    signature stay; the signature is marked superseded (``verify`` reports it); the case is unlocked and the
    decision stands until the adjudicator records a new one."""
    user = session.signed_in
    if user is None:
        raise PermissionError("sign in first: re-opening a signed decision is an adjudicator's or admin's action")
    session.access.require(Capability.REOPEN)
    text = (reason or "").strip()
    if not text:
        raise ValidationError("reason", reason, "re-opening a signed decision needs a reason")
    store = session.store
    with store.transaction():
        history = decision_history(session, subject_id)
        current = history[-1] if history else None
        if current is None or not current.locked:
            raise ValidationError("subject_id", subject_id, "no signed decision to re-open")
        values = {"status": "reopened", "signed": 0, "reopened_reason": text, "reopened_by": user.username,
                  "reopened_at": utc_now()}  # fmt: skip
        old = store.update("adjudications", current.id, values, reason=text)
        if current.signature is not None:
            supersede(store, int(current.signature["id"]), reason=text)
    changes = Changes.of(subject_id, kinds={ChangeKind.ADJUDICATIONS, ChangeKind.SIGNATURES})  # signature superseded
    return Edit(changes, "adjudications", current.id, old, {k: values[k] for k in old})


def reason_code_counts(session: StudySession) -> dict[str, int]:
    """Decisions in force by discordance reason code (``domain.reason_codes.count_codes``: every code, zeros
    included, plus ``not_recorded`` for decisions made before codes existed or imported without one). A
    re-opened decision awaiting its replacement is not counted. Refused for a blinded reader."""
    check_visible(session)
    return reason_codes.count_codes(
        d.reason_code for d in decisions_in_force(session).values() if d.status != "reopened"
    )
