"""One definition of a discordant case's adjudication status, and of the counts every screen shows.

A *discordant* patient is one whose two central readers' confirmed best overall responses differ, or whose
first-PD dates differ by more than ``settings.discordance_pd_days`` (``domain.discordance.compare_reads``).
Each discordant patient is in exactly one status:

- ``open``: no decision in force and none imported; the adjudicated result is pending (the patient is out
  of the PFS and DoR analyses until decided);
- ``adjudicated``: a decision recorded in this study stands, not signed — including a decision whose
  signature was *re-opened* (the re-opened decision stands until a new one is recorded: ``domain.sources``);
- ``signed``: a decision recorded in this study stands and is e-signed (the case is locked);
- ``imported``: no decision recorded here, but the delivery's accepted-read flags (SDTM RSACPTFL, the sponsor's
  adjudication outcome) settle every visit of the patient.

The counts add up over the discordant patients: ``discordant = open + adjudicated + imported``, where
``adjudicated`` counts the decisions recorded here that stand, signed or not (``signed`` of them signed, the
rest ``unsigned``); ``reopened`` counts the re-opened decisions (a subset of the unsigned). The status bar,
the dashboard, the adjudication queue, the case header, the PDF and ``stats --json`` all count through
:class:`AdjudicationCounts`. Pure; no Qt, no store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from hccreview.domain import sources
from hccreview.domain.plain_json import plain_fields
from hccreview.domain.records import ReadRole, StudyData

OPEN, ADJUDICATED, SIGNED, IMPORTED = "open", "adjudicated", "signed", "imported"
STATUSES: tuple[str, ...] = (OPEN, ADJUDICATED, SIGNED, IMPORTED)

#: How each status is written for the user (the case chip, the queue, the PDF).
STATUS_LABELS: dict[str, str] = {
    OPEN: "open",
    ADJUDICATED: "adjudicated, not signed",
    SIGNED: "signed",
    IMPORTED: "imported decision",
}
REOPENED_LABEL = "re-opened"


def case_status(*, decided: bool, signed: bool, imported: bool) -> str:
    """The status of one patient: a decision in force (signed or not) first, then the delivery's flags."""
    if decided:
        return SIGNED if signed else ADJUDICATED
    return IMPORTED if imported else OPEN


def settled_by_flags(data: StudyData, subject_id: str, *, index: sources.StudyIndex | None = None) -> bool:
    """No decision recorded here, and the delivery's accepted-read flags settle every visit of the patient
    (the adjudicated source resolves through them: ``domain.sources``)."""
    idx = index if index is not None else sources.study_index(data)
    if subject_id in idx.adjudications:
        return False
    if not any(r.accepted and r.role is ReadRole.READER for r in idx.reads.get(subject_id, [])):
        return False
    return sources.select_timepoints(data, subject_id, sources.ADJUDICATED, index=idx).status == "ok"


def status_label(status: str, *, reopened: bool = False) -> str:
    """The user's word for ``status`` ("re-opened" for a re-opened decision that still stands)."""
    if reopened and status == ADJUDICATED:
        return REOPENED_LABEL
    return STATUS_LABELS.get(status, status)


@dataclass(frozen=True)
class AdjudicationCounts:
    """The adjudication counts (module docstring): ``unsigned`` is the status ``adjudicated`` (not signed);
    :attr:`adjudicated` adds the signed decisions."""

    discordant: int = 0
    open: int = 0
    unsigned: int = 0
    signed: int = 0
    imported: int = 0
    reopened: int = 0

    @classmethod
    def of(cls, statuses: Iterable[tuple[str, bool]]) -> AdjudicationCounts:
        """Counts from ``(status, reopened)`` per patient."""
        tally = dict.fromkeys(STATUSES, 0)
        reopened = 0
        for status, was_reopened in statuses:
            tally[status] += 1
            reopened += bool(was_reopened) and status == ADJUDICATED
        return cls(sum(tally.values()), tally[OPEN], tally[ADJUDICATED], tally[SIGNED], tally[IMPORTED], reopened)

    @classmethod
    def from_dict(cls, d: dict[str, int]) -> AdjudicationCounts:
        """The inverse of :meth:`to_dict` (a Qt signal carries the dict)."""
        keys = ("discordant", "open", "unsigned", "signed", "imported", "reopened")
        return cls(**{k: int(d.get(k, 0)) for k in keys})

    @property
    def adjudicated(self) -> int:
        """Decisions recorded in this study that stand, signed or not."""
        return self.unsigned + self.signed

    def to_dict(self) -> dict[str, int]:
        """JSON form (``stats --json`` ``adjudication.counts``; the queue's counts)."""
        names = ("discordant", "open", "adjudicated", "signed", "unsigned", "reopened", "imported")
        return cast("dict[str, int]", plain_fields(self, names))  # every one an int, which plain() keeps

    @property
    def text(self) -> str:
        """One line, the same on every screen: ``"9 discordant · 7 open · 2 adjudicated (1 signed)"``, with the
        re-opened and imported decisions named only when there are any."""
        decided = f"{self.adjudicated} adjudicated ({self.signed} signed"
        decided += f", {self.reopened} re-opened)" if self.reopened else ")"
        parts = [f"{self.discordant} discordant", f"{self.open} open", decided]
        if self.imported:
            parts.append(f"{self.imported} imported decision{'s' if self.imported != 1 else ''}")
        return " · ".join(parts)
