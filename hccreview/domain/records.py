"""Plain records of a study: frozen dataclasses and enums shared by every layer.

These are the facts the store keeps (DESIGN §3): measurements, reads, decisions. Nothing here
is derived; derivations live in the rule modules (``recist``, ``endpoints``, ``cohort``...).

The record kinds a study holds by the hundred thousand (reads, lesions, measurements, labs, AEs, cycles) use
``slots=True``: no per-record ``__dict__`` (a 5,000-patient study loads in ~35 MB less); they cannot be given
attributes beyond their fields, nor be passed to ``vars()``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime


class Criteria(enum.StrEnum):
    """Response criteria of a study."""

    RECIST11 = "RECIST 1.1"
    MRECIST = "mRECIST"

    @classmethod
    def parse(cls, text: str) -> Criteria:
        """Accept the CLI spellings ``recist1.1`` / ``mrecist`` and the display names."""
        key = text.strip().lower().replace(" ", "")
        if key in ("recist1.1", "recist11", "recist"):
            return cls.RECIST11
        if key == "mrecist":
            return cls.MRECIST
        raise ValueError(f"unknown response criteria {text!r} (use recist1.1 or mrecist)")


class Response(enum.StrEnum):
    """Timepoint / best overall response codes (RECIST 1.1 spellings, DESIGN §7)."""

    CR = "CR"
    PR = "PR"
    SD = "SD"
    NON_CR_NON_PD = "NON-CR/NON-PD"
    PD = "PD"
    NE = "NE"
    MISSING = "MISSING"
    PENDING = "PENDING"


class LesionKind(enum.StrEnum):
    """Role of a lesion in the RECIST assessment."""

    TARGET = "target"
    NON_TARGET = "non-target"
    NEW = "new"


class LesionStatus(enum.StrEnum):
    """State of a lesion at one assessment.

    ``present`` with a diameter is the normal case; ``absent`` = disappeared (counts 0 mm);
    ``too_small`` = too small to measure (counts 5 mm, RECIST 1.1 §4.3.1 appendix I);
    ``not_assessed`` makes the timepoint NE; ``unequivocal_progression`` is non-target PD;
    ``equivocal`` is a non-target finding that is not (yet) progression.
    """

    PRESENT = "present"
    ABSENT = "absent"
    TOO_SMALL = "too_small"
    NOT_ASSESSED = "not_assessed"
    UNEQUIVOCAL_PROGRESSION = "unequivocal_progression"
    EQUIVOCAL = "equivocal"


class ReadRole(enum.StrEnum):
    """Who stated a set of timepoint responses."""

    INVESTIGATOR = "investigator"
    READER = "reader"  # independent central reader
    COMPUTED = "computed"  # derived by the rules engine from measurements
    ADJUDICATOR = "adjudicator"  # the adjudicator's own read, chosen instead of either reader's (issue 7)


class Origin(enum.StrEnum):
    """Time origin of the endpoints (DESIGN §4)."""

    RANDOMISATION = "randomisation"
    ENROLMENT = "enrolment"
    FIRST_DOSE = "first_dose"


class ChildPughVariant(enum.StrEnum):
    """Published Child-Pugh tables differ in the albumin cut-off (DESIGN §4)."""

    ALBUMIN_28 = "albumin-2.8"  # Pugh 1973 as commonly tabulated: >3.5 / 2.8-3.5 / <2.8 g/dL
    ALBUMIN_30 = "albumin-3.0"  # variant tables: >3.5 / 3.0-3.5 / <3.0 g/dL


class Role(enum.StrEnum):
    """User roles of the workstation."""

    READER = "reader"
    ADJUDICATOR = "adjudicator"
    ADMIN = "admin"
    VIEWER = "viewer"  # trial statistician / PI: sees everything, changes no review data (DESIGN §4b)


@dataclass(frozen=True)
class StudySettings:
    """Protocol-level settings that change how the rules are applied."""

    title: str
    protocol: str = ""
    criteria: Criteria = Criteria.RECIST11
    confirmation_days: int = 28
    min_sd_days: int = 42
    max_nr_ne: int = 1
    accept_sd: bool = False
    origin: Origin = Origin.FIRST_DOSE
    assessment_interval_days: int | None = None  # None: no missed-assessment censoring rule
    missed_assessments_for_censoring: int = 2
    assessment_window_days: int = 7
    child_pugh_variant: ChildPughVariant = ChildPughVariant.ALBUMIN_28
    discordance_pd_days: int = 0
    drug: str = ""
    dose_frequency: str = ""  # of the planned regimen, e.g. "QD" (SDTM EXDOSFRQ); "" when not given
    readers_see_clinical_data: bool = False  # charter: central readers see cycles, AEs, labs, survival (§4b)


@dataclass(frozen=True)
class Subject:
    """One enrolled (or screened) patient and their baseline characteristics."""

    subject_id: str
    site: str = ""
    sex: str = ""
    age: int | None = None
    etiology: str = ""
    bclc_stage: str = ""
    ecog: int | None = None
    prior_sorafenib: str = ""  # progressed / intolerant
    extrahepatic: bool | None = None
    macrovascular_invasion: bool | None = None
    afp_ng_ml: float | None = None
    arm: str = ""
    birth_date: date | None = None
    enrolment_date: date | None = None
    randomisation_date: date | None = None
    first_dose_date: date | None = None
    screen_failure: bool = False


@dataclass(frozen=True)
class ChildPughComponents:
    """Baseline Child-Pugh components; ascites: none / mild / moderate-severe;
    encephalopathy: none / grade 1-2 / grade 3-4."""

    subject_id: str
    bilirubin_mg_dl: float | None = None
    albumin_g_dl: float | None = None
    inr: float | None = None
    ascites: str | None = None
    encephalopathy: str | None = None


@dataclass(frozen=True, slots=True)
class Cycle:
    """One treatment cycle as given."""

    subject_id: str
    number: int
    start_date: date
    dose_mg: float
    days_dosed: int | None = None
    delay_days: int = 0
    reduced: bool = False
    reason: str = ""
    drug: str = ""


@dataclass(frozen=True, slots=True)
class AdverseEvent:
    """One adverse event. ``grade`` is the CTCAE v5 grade (None when the source has only severity)."""

    subject_id: str
    seq: int
    term: str
    soc: str = ""
    grade: int | None = None
    severity: str = ""
    onset: date | None = None
    resolution: date | None = None
    attribution: str = ""  # unrelated / unlikely / possible / probable / definite
    serious: bool = False
    action: str = ""
    outcome: str = ""


@dataclass(frozen=True, slots=True)
class LabResult:
    """One laboratory value in standard units with its reference range."""

    subject_id: str
    test: str  # test code, e.g. NEUT, PLAT, HGB, BILI, ALT, AST, CREAT, ALB, INR
    value: float
    unit: str
    date: date | None
    lln: float | None = None
    uln: float | None = None


@dataclass(frozen=True, slots=True)
class Lesion:
    """A lesion as identified by one reader (``reader`` is the read source key)."""

    subject_id: str
    reader: str
    lesion_id: str
    kind: LesionKind
    organ: str = ""
    site: str = ""
    is_node: bool = False
    method: str = ""
    #: DICOM SR TID 1500 Tracking Unique Identifier: binds calipers and SR measurement groups to this lesion
    #: (never its name); empty until the lesion is first measured on an image or exported.
    tracking_uid: str = ""


@dataclass(frozen=True, slots=True)
class Measurement:
    """A lesion at one assessment. Diameters in mm; ``viable_mm`` is the enhancing part (mRECIST)."""

    subject_id: str
    reader: str
    lesion_id: str
    date: date
    visit: str = ""
    diameter_mm: float | None = None
    short_axis_mm: float | None = None
    viable_mm: float | None = None
    status: LesionStatus = LesionStatus.PRESENT
    method: str = ""
    #: The caliper the values were measured with on an image (JSON of ``domain.calipers.Caliper``); empty when
    #: typed. A value its caliper no longer gives is "not image-derived" (``domain.calipers.image_derived``).
    caliper: str = ""


@dataclass(frozen=True, slots=True)
class Read:
    """A stated timepoint response by one read source (investigator or a central reader)."""

    subject_id: str
    reader: str
    role: ReadRole
    date: date
    visit: str = ""
    overall: str = ""  # kept verbatim; non-standard codes count as NE
    target: str = ""
    non_target: str = ""
    new_lesion: bool | None = None
    date_imputed: bool = False
    accepted: bool = False  # the source marked this read as the accepted (adjudicated) one


@dataclass(frozen=True)
class Adjudication:
    """The adjudicator's choice of the read that stands for one subject."""

    subject_id: str
    chosen_reader: str
    reason: str
    adjudicator: str
    decided_at: datetime | None = None
    signed: bool = False
    status: str = "open"  # "open" (unsigned) | "signed" | "reopened" (a signature re-opened; the decision stands)

    @property
    def reopened(self) -> bool:
        """The decision was signed and its signature re-opened: it stands, unsigned, until a new one."""
        return self.status == "reopened"


@dataclass(frozen=True)
class FollowUp:
    """Survival follow-up of one subject."""

    subject_id: str
    death_date: date | None = None
    death_cause: str = ""
    last_known_alive: date | None = None


@dataclass(frozen=True)
class StudyData:
    """Everything the rules engine needs about a study, as plain records (a partial load leaves tables empty)."""

    settings: StudySettings
    subjects: tuple[Subject, ...] = ()
    child_pugh: tuple[ChildPughComponents, ...] = ()
    cycles: tuple[Cycle, ...] = ()
    adverse_events: tuple[AdverseEvent, ...] = ()
    labs: tuple[LabResult, ...] = ()
    lesions: tuple[Lesion, ...] = ()
    measurements: tuple[Measurement, ...] = ()
    reads: tuple[Read, ...] = ()
    adjudications: tuple[Adjudication, ...] = ()
    follow_up: tuple[FollowUp, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)
    #: Latest contact date per subject (``domain.contact``) when the store computed it for a partial load, e.g.
    #: the statistics' (``store.stats_data``): the tables it summarises may then be left out. None: derive it
    #: from the records.
    last_contact: dict[str, date] | None = None
