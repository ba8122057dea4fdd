"""Adjudication decisions as stored, and who may see or make them (DESIGN §4 "Adjudication", 21 CFR Part 11).

:class:`Decision` (one ``adjudications`` row with its reason code and signature), the decision in force for a
patient (:func:`decision_for`, the latest row) and the access checks every adjudication service starts with: a
blinded reader-role user sees nothing (``store.access``, :class:`~hccreview.store.access.BlindingError`), only an
adjudicator or admin decides. Re-exported by :mod:`hccreview.services.adjudication`. No Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hccreview.domain import reason_codes
from hccreview.domain.access import Capability
from hccreview.services.session import StudySession
from hccreview.store import access
from hccreview.store import queries as coded
from hccreview.store.signatures import get_signature


def check_visible(session: StudySession) -> None:
    """Refuse (``BlindingError``) when the signed-in user may not see adjudications (a blinded reader)."""
    access.check_adjudication_visible(session.store)


def require_adjudicator(session: StudySession) -> Any:
    """The signed-in user, when the access policy lets them decide (adjudicator role)."""
    user = session.signed_in
    if user is None:
        raise PermissionError("sign in first")
    session.access.require(Capability.DECIDE)
    return user


@dataclass(frozen=True)
class Decision:
    """One adjudication row: the choice, its reason and who made it, its lifecycle and signature."""

    id: int
    subject_id: str
    chosen_reader: str
    reason: str
    adjudicator: str
    decided_at: str | None
    status: str  # "open" | "signed" | "reopened"
    signature: dict[str, Any] | None = None
    reopened_reason: str = ""
    reopened_by: str = ""
    reopened_at: str | None = None
    reason_code: str | None = None  # domain.reason_codes (None: recorded before reason codes existed)
    reason_other: str = ""  # the free text of the code "other" (or a note)

    @property
    def reason_label(self) -> str:
        """The reason code's label, with the free text of "other"."""
        text = reason_codes.label(self.reason_code)
        return f"{text}: {self.reason_other}" if self.reason_other else text

    @property
    def locked(self) -> bool:
        """A signed decision (not re-opened) locks the case."""
        return self.status == "signed"


def _decision(store: Any, row: dict[str, Any], codes: dict[int, tuple[str, str]] | None = None) -> Decision:
    status = row.get("status") or "open"
    if status == "open" and row.get("signed"):
        status = "signed"  # marked signed by an import that predates the lifecycle columns
    signature = get_signature(store, row["signature_id"]) if row.get("signature_id") else None
    code = coded.reason_code(store, int(row["id"])) if codes is None else codes.get(int(row["id"]))
    return Decision(
        int(row["id"]), row["subject_id"], row["chosen_reader"], row["reason"], row["adjudicator"],
        row.get("decided_at"), status, signature, row.get("reopened_reason") or "", row.get("reopened_by") or "",
        row.get("reopened_at"), code[0] if code else None, code[1] if code else "",
    )  # fmt: skip


def decision_history(session: StudySession, subject_id: str) -> list[Decision]:
    """Every decision recorded for ``subject_id``, oldest first (re-opened ones included)."""
    return [_decision(session.store, r) for r in access.adjudication_rows(session.store, subject_id)]


def decision_for(session: StudySession, subject_id: str) -> Decision | None:
    """The decision in force for ``subject_id`` (the latest), or None."""
    check_visible(session)
    history = decision_history(session, subject_id)
    return history[-1] if history else None


def decisions_in_force(session: StudySession) -> dict[str, Decision]:
    """The latest decision of every patient that has one, by subject id."""
    out: dict[str, Decision] = {}
    codes = coded.reason_codes(session.store)
    for row in access.adjudication_rows(session.store):
        out[row["subject_id"]] = _decision(session.store, row, codes)  # rows are oldest first: the latest wins
    return out
