"""The navigator's row and overview types (built by :mod:`hccreview.services.navigation`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hccreview.domain.arms import reference_arm


@dataclass(frozen=True)
class PatientRow:
    """One navigator row; every figure derived by the rules engine from the records."""

    subject_id: str
    child_pugh: str | None
    extrahepatic: bool | None
    cycles: int
    bor: dict[str, str]  # source -> confirmed best overall response
    bor_unconfirmed: dict[str, str]
    pfs_months: float
    pfs_event: bool
    os_months: float
    os_event: bool
    review_state: str
    discordant: bool
    findings: int
    #: True for a row shown before the overview is derived (``navigation.first_rows``): only the patient id, the
    #: review state and the findings count are known; the other figures are placeholders, not results.
    pending: bool = False
    #: The patient's treatment arm as treated (``domain.arms.arm_of``; "" when none or withheld from the user).
    arm: str = ""


@dataclass(frozen=True)
class Overview:
    """The navigator's content for one study: rows, the sources they show, review progress."""

    title: str
    criteria: str
    sources: list[str]
    default_source: str
    rows: list[PatientRow]
    screened_out: list[str] = field(default_factory=list)

    @property
    def n_reviewed(self) -> int:
        return sum(r.review_state == "reviewed" for r in self.rows)

    @property
    def arms(self) -> tuple[str, ...]:
        """The arms of the rows, reference first, then by name (``domain.arms``; issue 23's navigator filter)."""
        names = sorted({r.arm for r in self.rows if r.arm})
        ref = reference_arm(names)
        return () if ref is None else (ref, *(n for n in names if n != ref))

    def index_of(self, subject_id: str) -> int | None:
        for i, row in enumerate(self.rows):
            if row.subject_id == subject_id:
                return i
        return None
