"""What the adjudication screens load in one database-lane job each: the queue view and a meeting case.

The adjudication panel and meeting mode (``hccreview.ui``) call these worker functions on the runner's
database lane; each bundles calls of :mod:`hccreview.services.adjudication` that a screen needs together,
so a screen makes one round trip per refresh. No Qt here; every function is testable on its own.

Blinding (DESIGN §4; issue 7 item 2): :func:`load_queue` and :func:`load_meeting_case` look at the signed-in
role and the study's blinding *before* any adjudication call, so a blinded reader gets an empty, marked
result instead of a refused call (the services would refuse with ``BlindingError``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hccreview.domain.access import Capability
from hccreview.services import adjudication
from hccreview.services.adjudication import Comparison, QueueItem
from hccreview.services.session import StudySession

__all__ = [
    "BLINDED_MESSAGE",
    "MeetingCase",
    "QueueSnapshot",
    "blinded_for",
    "can_decide",
    "can_reopen",
    "load_meeting_case",
    "load_performance",
    "load_queue",
    "meeting_subjects",
]

BLINDED_MESSAGE = "Blinded: adjudication is visible to adjudicators and admins"


def blinded_for(session: StudySession) -> bool:
    """True when the access policy hides adjudication from the signed-in user (a reader)."""
    return not session.access.may(Capability.SEE_ADJUDICATION)


def can_decide(session: StudySession) -> bool:
    """Whether the access policy lets the signed-in user adjudicate and sign (adjudicator). No database access."""
    return session.access.may(Capability.DECIDE)


def can_reopen(session: StudySession) -> bool:
    """Whether the access policy lets the signed-in user re-open a signed decision (adjudicator, admin)."""
    return session.access.may(Capability.REOPEN)


@dataclass(frozen=True)
class QueueSnapshot:
    """One refresh of the adjudication panel's queue.

    ``items`` is the queue of ``kind``; ``counts`` are :func:`adjudication.queue_counts` (``to_dict``) of the *central*
    queue (the adjudication work, for the status bar) whatever ``kind`` is shown. ``blinded``: the user may
    not see adjudication at all (nothing else was loaded).
    """

    kind: str
    items: list[QueueItem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    blinded: bool = False


def load_queue(session: StudySession, kind: str = "central") -> QueueSnapshot:
    """Worker function: the discordance queue of ``kind`` and the central queue's counts."""
    if blinded_for(session):
        return QueueSnapshot(kind, blinded=True)
    central = adjudication.discordance_queue(session, "central")
    items = central if kind == "central" else adjudication.discordance_queue(session, kind)
    return QueueSnapshot(kind, items, adjudication.queue_counts(central).to_dict())


def load_performance(session: StudySession) -> dict[str, Any] | None:
    """Worker function: :func:`adjudication.reader_performance` with the decisions' discordance reason codes
    (``"reason_codes"``: :func:`adjudication.reason_code_counts`), or None for a blinded reader."""
    if blinded_for(session):
        return None
    return {**adjudication.reader_performance(session), "reason_codes": adjudication.reason_code_counts(session)}


def meeting_subjects(session: StudySession) -> list[QueueItem]:
    """Worker function: the central queue's cases still open (what a meeting works through), in subject
    order; empty for a blinded reader."""
    if blinded_for(session):
        return []
    return [item for item in adjudication.discordance_queue(session, "central") if item.status == "open"]


@dataclass(frozen=True)
class MeetingCase:
    """What meeting mode shows for one case: both reads, the figures now, and the figures under each choice.

    ``now`` is :func:`adjudication.current_figures` (with the patient's outcome); ``previews`` maps each
    possible choice (reader name) to :func:`adjudication.impact_preview`'s figures. Once a choice is
    recorded, ``now`` equals that choice's preview (the preview is computed by the same code on the same
    records with the decision in memory).
    """

    subject_id: str
    comparison: Comparison
    now: dict[str, Any]
    previews: dict[str, dict[str, Any]]


def load_meeting_case(session: StudySession, subject_id: str) -> MeetingCase:
    """Worker function: :class:`MeetingCase` of ``subject_id`` (``BlindingError`` for a blinded reader)."""
    comparison = adjudication.case_comparison(session, subject_id)
    now = adjudication.current_figures(session, subject_id)
    previews = adjudication.impact_preview(session, subject_id)
    return MeetingCase(subject_id, comparison, now, previews)
