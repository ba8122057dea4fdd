"""Who sees and changes what: the one access policy of DESIGN §4b, as a pure value.

Central readers are blinded independent readers (BICR): blinded to each other, to the investigator's
assessment and to the adjudication (FDA *Clinical Trial Imaging Endpoint Process Standards*, 2018, §III.B;
the charter may relax blinding). Clinical data (cycles, AEs, labs, follow-up, survival, treatment arm) is
hidden from readers unless the study setting ``readers_see_clinical_data`` is on. Imported source records are
read-only for everybody (a disagreement is a query; the correction arrives in a transfer).

:class:`Access` is the signed-in user's view of the study. It is computed once per sign-in from the user's role
and the study settings, and every read and every write goes through it: ``store`` filters rows and records by
:meth:`Access.row_visible` / :meth:`Access.filter`, and the write gate (``store.write_gate``) asks
:meth:`Access.may` and :meth:`Access.owns`. Services ask :meth:`Access.require` for whole capabilities (the
cohort dashboard, the adjudication queue...), so a refused call says why instead of returning an empty answer.

``role`` None is the *system* context: the command line before anyone signs in, the statistics process of a
signed-in window, scripts. It sees everything (like a viewer) and may write only in a study without accounts
(a study being built); once a study has accounts, every write names a signed-in person.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hccreview.domain.record_kinds import RECORD_KINDS
from hccreview.domain.records import Role, StudyData, Subject


class AccessDenied(PermissionError):
    """The access policy refused a read or a write; the message says who, what and why. Nothing was written."""


class CaseLocked(AccessDenied):
    """The case's adjudication is signed: its reads and measurements are locked until a reasoned re-open."""


class Capability(enum.StrEnum):
    """What a user may do, one line of the DESIGN §4b matrix each."""

    SEE_CLINICAL = "see clinical data (cycles, adverse events, labs, follow-up, survival)"
    SEE_OTHER_READS = "see other readers' and the investigator's lesions, measurements and reads"
    SEE_ADJUDICATION = "see adjudications, discordance, adjudicated responses and reader agreement"
    SEE_COHORT = "see the cohort dashboard, the cohort PDF and the study export"
    SEE_ALL_QUERIES = "see every query"
    SEE_ALL_AUDIT = "see the whole audit trail"
    READ = "record their own lesions, measurements and timepoint reads"
    DECIDE = "record, sign and undo adjudication decisions"
    REOPEN = "re-open a signed adjudication"
    WRITE_QUERIES = "open, answer and close queries"
    MARK_REVIEWED = "mark records reviewed"
    ADMINISTER = "manage users and study settings, import data, merge reader packages and restore backups"


#: The DESIGN §4b matrix: which roles hold each capability (``None`` is the system context).
MATRIX: Mapping[Capability, frozenset[Role | None]] = {
    Capability.SEE_CLINICAL: frozenset({Role.ADJUDICATOR, Role.ADMIN, Role.VIEWER, None}),
    Capability.SEE_OTHER_READS: frozenset({Role.ADJUDICATOR, Role.ADMIN, Role.VIEWER, None}),
    Capability.SEE_ADJUDICATION: frozenset({Role.ADJUDICATOR, Role.ADMIN, Role.VIEWER, None}),
    Capability.SEE_COHORT: frozenset({Role.ADJUDICATOR, Role.ADMIN, Role.VIEWER, None}),
    Capability.SEE_ALL_QUERIES: frozenset({Role.ADJUDICATOR, Role.ADMIN, Role.VIEWER, None}),
    Capability.SEE_ALL_AUDIT: frozenset({Role.ADJUDICATOR, Role.ADMIN, Role.VIEWER, None}),
    Capability.READ: frozenset({Role.READER, Role.ADJUDICATOR}),
    Capability.DECIDE: frozenset({Role.ADJUDICATOR}),
    Capability.REOPEN: frozenset({Role.ADJUDICATOR, Role.ADMIN}),
    Capability.WRITE_QUERIES: frozenset({Role.READER, Role.ADJUDICATOR, Role.ADMIN}),
    Capability.MARK_REVIEWED: frozenset({Role.READER, Role.ADJUDICATOR, Role.ADMIN}),
    Capability.ADMINISTER: frozenset({Role.ADMIN}),
}

#: Tables of clinical source data (hidden from readers unless the charter allows it).
CLINICAL_TABLES = frozenset(k.table for k in RECORD_KINDS if k.clinical)
#: Tables of imported source records: read-only for everybody in the review tool.
SOURCE_TABLES = CLINICAL_TABLES | frozenset({"subjects", "findings"})
#: Tables whose rows belong to one evaluator (the ``reader`` column: a central reader, the investigator...).
EVALUATOR_TABLES = frozenset(k.table for k in RECORD_KINDS if k.per_evaluator)
#: Tables of what a read leaves on the images (issue 22): the reader's key images and the DICOM documents written
#: when they submit. Each row is one evaluator's (``reader``): seen as their lesions are, written only by them.
READ_DOCUMENT_TABLES = frozenset({"key_images", "structured_reports"})
#: Tables of adjudication decisions and what hangs on them.
DECISION_TABLES = frozenset({"adjudications", "adjudication_reason_codes", "readjudication_flags"})
#: Subject fields a blinded reader without clinical data does not see (treatment and clinical baseline).
CLINICAL_SUBJECT_FIELDS = (
    "etiology", "bclc_stage", "ecog", "prior_sorafenib", "extrahepatic", "macrovascular_invasion", "afp_ng_ml", "arm",
)  # fmt: skip


@dataclass(frozen=True)
class Access:
    """What one signed-in user may see and do in one study (DESIGN §4b)."""

    username: str | None = None
    role: Role | None = None
    blinded: bool = True  # the study's blinding state (an admin may unblind; charter relaxation)
    readers_see_clinical_data: bool = False  # study setting (charter relaxation)

    @classmethod
    def system(cls) -> Access:
        """The unsigned system context (sees everything; writes only in a study without accounts)."""
        return cls()

    @functools.cached_property
    def sees_everything(self) -> bool:
        """Whether nothing is hidden from this user (the store's filters then pass rows through untouched)."""
        wanted = (Capability.SEE_CLINICAL, Capability.SEE_OTHER_READS, Capability.SEE_ADJUDICATION)
        return all(self.may(c) for c in wanted)

    @property
    def is_system(self) -> bool:
        return self.role is None

    @property
    def who(self) -> str:
        return "the command line (nobody signed in)" if self.role is None else f"{self.username} ({self.role})"

    # ------------------------------------------------------------------ capabilities
    def may(self, capability: Capability) -> bool:
        """Whether the user holds ``capability``, with the study's relaxations applied."""
        if self.role is Role.READER:
            if capability is Capability.SEE_CLINICAL and self.readers_see_clinical_data:
                return True
            if capability in (Capability.SEE_OTHER_READS, Capability.SEE_ADJUDICATION) and not self.blinded:
                return True  # the admin unblinded the study (end of reading): the reads and decisions are open
        return self.role in MATRIX[capability]

    def require(self, capability: Capability) -> None:
        """Raise :class:`AccessDenied` naming the user and the capability unless :meth:`may`."""
        if not self.may(capability):
            raise AccessDenied(f"{self.who} may not {capability.value} (the study's access policy)")

    # ------------------------------------------------------------------ reads
    def sees_evaluator(self, evaluator: str) -> bool:
        """Whether the lesions, measurements and reads of ``evaluator`` (a read-source key) are visible."""
        return evaluator == self.username or self.may(Capability.SEE_OTHER_READS)

    def sees_source(self, source: str) -> bool:
        """Whether figures of a read source (``stats --source`` spelling) are visible: ``reader:NAME`` with
        that evaluator's reads; ``adjudicated`` with the adjudication; ``investigator`` and ``computed`` (the
        rules engine on the investigator's measurements) with the other reads."""
        if source.startswith("reader:"):
            return self.sees_evaluator(source.removeprefix("reader:"))
        if source == "adjudicated":
            return self.may(Capability.SEE_ADJUDICATION)
        return self.may(Capability.SEE_OTHER_READS)

    def sees_table(self, table: str) -> bool:
        """Whether any row of ``table`` may be visible (a whole table hidden by the policy answers False)."""
        if table in CLINICAL_TABLES:
            return self.may(Capability.SEE_CLINICAL)
        if table in DECISION_TABLES:
            return self.may(Capability.SEE_ADJUDICATION)
        if table == "findings":  # import checks name the investigator's records and values
            return self.may(Capability.SEE_OTHER_READS)
        return True

    def row_visible(self, table: str, row: Mapping[str, Any]) -> bool:
        """Whether one stored row of ``table`` is visible (the store's row filter)."""
        if not self.sees_table(table):
            return False
        if table in EVALUATOR_TABLES or table in READ_DOCUMENT_TABLES:
            return self.sees_evaluator(str(row.get("reader", "")))
        if table == "users":  # a blinded reader does not learn who the other readers are
            return row.get("username") == self.username or self.may(Capability.SEE_OTHER_READS)
        return True

    def scrub_subject_row(self, row: dict[str, Any]) -> dict[str, Any]:
        """A subject row without its clinical fields when clinical data is hidden."""
        if self.may(Capability.SEE_CLINICAL):
            return row
        return {k: (None if k in CLINICAL_SUBJECT_FIELDS and isinstance(v, (int, float)) else
                    "" if k in CLINICAL_SUBJECT_FIELDS else v) for k, v in row.items()}  # fmt: skip

    def filter(self, data: StudyData) -> StudyData:
        """``data`` with everything this user may not see removed (the same object when nothing is hidden)."""
        if self.sees_everything:
            return data
        clinical = self.may(Capability.SEE_CLINICAL)
        others = self.may(Capability.SEE_OTHER_READS)
        decisions = self.may(Capability.SEE_ADJUDICATION)
        changes: dict[str, Any] = {}
        if not clinical:
            changes.update(cycles=(), adverse_events=(), labs=(), follow_up=(), child_pugh=(), last_contact=None,
                           subjects=tuple(_scrub(s) for s in data.subjects))  # fmt: skip
        if not others:
            mine = self.username
            changes.update(
                lesions=tuple(x for x in data.lesions if x.reader == mine),
                measurements=tuple(x for x in data.measurements if x.reader == mine),
                reads=tuple(x for x in data.reads if x.reader == mine),
            )
        if not decisions:
            changes["adjudications"] = ()
        return dataclasses.replace(data, extra={}, **changes)  # ``extra`` may hold anything: nothing of it is shown


def _scrub(subject: Subject) -> Subject:
    blank: dict[str, Any] = {  # Any: one value per field, of a different type per field
        f: (None if getattr(subject, f) is None or isinstance(getattr(subject, f), (bool, int, float)) else "")
        for f in CLINICAL_SUBJECT_FIELDS
    }
    return dataclasses.replace(subject, **blank)
