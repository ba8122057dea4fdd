"""The result types of the cohort statistics and their plain-JSON form (``stats --json``, DESIGN §7).

:class:`CohortStats` (the cohort figures; ``to_dict()`` is the ``stats --json`` object, plain types through
:mod:`hccreview.domain.plain_json`), :class:`SubjectOutcome` (one analysed subject's derivations) and
:class:`Proportion` (a rate with its exact Clopper–Pearson 95% CI). The response-code groups (``BOR_KEYS``,
``RESPONDER``, ``DISEASE_CONTROL``) and the Child-Pugh classes live here too. What the figures mean and how
they are derived: :mod:`hccreview.domain.cohort`. No Qt, no SQL.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hccreview.domain.collected import Collected
from hccreview.domain.endpoints import MONTH_DAYS, EndpointResult
from hccreview.domain.plain_json import plain
from hccreview.domain.recist import BestResponse
from hccreview.domain.survival import CI_METHOD, KMResult

if TYPE_CHECKING:  # domain.arms builds on this module (per-arm CohortStats)
    from hccreview.domain.arms import ArmAnalysis

BOR_KEYS: tuple[str, ...] = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "MISSING")
RESPONDER = frozenset({"CR", "PR"})
DISEASE_CONTROL = frozenset({"CR", "PR", "SD", "NON-CR/NON-PD"})
CHILD_PUGH_CLASSES = ("A", "B", "C")
CI_PROPORTION_METHOD = "exact (Clopper-Pearson), scipy.stats.binomtest"
#: ``pfs_status`` of a subject in the PFS / DoR analysis population, and of one left out of it.
PFS_ANALYSED = "analysed"
PFS_PENDING = "pending"
#: Why a pending subject has no PFS / DoR yet (shown wherever its PFS would be).
PFS_PENDING_REASON = "awaiting adjudication (central reads discordant)"
#: The rule text of a pending subject's PFS: nothing was derived from its (undecided) reads.
PFS_PENDING_RULE = f"not analysed: tumour assessments {PFS_PENDING_REASON}; left out of PFS and DoR until adjudicated"


@dataclass(frozen=True)
class Proportion:
    """``n`` of ``denominator`` with the exact (Clopper–Pearson) 95% CI, as fractions 0–1."""

    n: int
    denominator: int
    rate: float
    ci95: tuple[float, float]

    @classmethod
    def exact(cls, k: int, n: int) -> Proportion:
        """k of n with the Clopper–Pearson interval; n = 0 gives rate 0.0 and CI [0.0, 1.0]."""
        if n <= 0:
            return cls(k, 0, 0.0, (0.0, 1.0))
        return _exact(int(k), int(n))

    def to_dict(self) -> dict[str, object]:
        """``{"n", "denominator", "rate", "ci95", "ci_method"}``."""
        return {
            "n": self.n,
            "denominator": self.denominator,
            "rate": self.rate,
            "ci95": [self.ci95[0], self.ci95[1]],
            "ci_method": CI_PROPORTION_METHOD,
        }


@dataclass(frozen=True)
class SubjectOutcome:
    """Everything derived for one analysed subject under one source."""

    subject_id: str
    child_pugh: str | None
    extrahepatic: bool | None
    origin: dt.date
    origin_rule: str
    source_status: str
    reader: str | None
    source_rule: str
    best: BestResponse
    pfs: EndpointResult
    os: EndpointResult
    dor: EndpointResult | None

    @property
    def bor(self) -> str:
        """Confirmed best overall response code (PENDING while awaiting adjudication)."""
        return str(self.best.confirmed)

    @property
    def bor_unconfirmed(self) -> str:
        """Best overall response without the confirmation requirement."""
        return str(self.best.unconfirmed)

    @property
    def pfs_status(self) -> str:
        """``"pending"`` while the subject's tumour assessments await adjudication (it is then outside the PFS /
        DoR population, :func:`pfs_population`, and ``pfs`` is a placeholder), else ``"analysed"``."""
        return PFS_PENDING if self.source_status == "pending" else PFS_ANALYSED

    @property
    def in_pfs_population(self) -> bool:
        """True when the subject enters the PFS and DoR analyses (see :func:`pfs_population`)."""
        return self.pfs_status == PFS_ANALYSED

    def to_dict(self) -> dict[str, object]:
        """The ``subjects[]`` item of DESIGN §7 plus extra fields."""
        pfs = self.in_pfs_population  # a pending patient has no PFS yet (pfs_status "pending")
        return {
            "id": self.subject_id,
            "child_pugh": self.child_pugh,
            "bor": self.bor,
            "bor_unconfirmed": self.bor_unconfirmed,
            "pfs_days": self.pfs.days,  # DESIGN §7 types these int / bool: a pending patient's are 0 / false
            "pfs_event": self.pfs.event,
            "os_days": self.os.days,
            "os_event": self.os.event,
            "bor_rule": self.best.rule,
            "response_date": self.best.response_date,
            "confirmation_date": self.best.confirmation_date,
            "first_pd_date": self.best.first_pd_date,
            "extrahepatic": self.extrahepatic,
            "origin_date": self.origin,
            "origin_rule": self.origin_rule,
            "source_status": self.source_status,
            "reader": self.reader,
            "source_rule": self.source_rule,
            "pfs_months": round(self.pfs.months, 4) if pfs else None,
            "pfs_date": self.pfs.end_date if pfs else None,
            "pfs_rule": self.pfs.rule,
            "os_months": round(self.os.months, 4),
            "os_date": self.os.end_date,
            "os_rule": self.os.rule,
            "dor_days": self.dor.days if self.dor else None,
            "dor_event": self.dor.event if self.dor else None,
            "pfs_status": self.pfs_status,
            "pfs_pending_reason": None if self.in_pfs_population else PFS_PENDING_REASON,
        }


# --- analysis populations of the time-to-event endpoints ------------------------------------------------------

#: The time-to-event endpoints a population is defined for.
ENDPOINTS = ("pfs", "os", "dor")


def pfs_population(outcomes: Iterable[SubjectOutcome]) -> list[SubjectOutcome]:
    """The PFS and duration-of-response analysis population: the one definition every KM curve, subgroup
    curve, risk table, censor mark, count and ``stats --json`` figure of PFS / DoR uses (issue 18 item 1).

    = the analysed subjects (DESIGN §4: not a screen failure, with an origin — what ``outcomes`` holds) whose
    tumour assessments under the read source are decided, i.e. all but those **pending adjudication**
    (``source_status == "pending"``: central reads discordant, no adjudicated read yet). A pending subject has
    no accepted assessment, so it has no PFS yet — it is *left out*, not censored at day 0 (which would draw a
    censor mark at month 0 and inflate the counts) nor derived from no reads (which would apply rules such as
    "death after missed assessments" to a patient with scans). It stays in ``subjects[]`` with
    ``pfs_status = "pending"`` and counts in the ORR / DCR denominators as a non-responder. A subject with no
    central read at all (status ``"none"``, best response MISSING) is decided — it has none — and stays in,
    censored at the origin (FDA 2018: no post-baseline assessment → censored at origin). Input order kept.
    """
    return [o for o in outcomes if o.in_pfs_population]


def endpoint_population(outcomes: Iterable[SubjectOutcome], endpoint: str) -> list[SubjectOutcome]:
    """The subjects analysed for ``endpoint``: "pfs" and "dor" → :func:`pfs_population` (DoR further needs a
    confirmed response, see :func:`endpoint_results`); "os" → every analysed subject (OS does not depend on
    the reads). Raises ValueError for another endpoint."""
    if endpoint not in ENDPOINTS:
        raise ValueError(f"unknown endpoint {endpoint!r} (expected one of {', '.join(ENDPOINTS)})")
    return list(outcomes) if endpoint == "os" else pfs_population(outcomes)


def endpoint_results(outcomes: Iterable[SubjectOutcome], endpoint: str) -> list[EndpointResult]:
    """The ``endpoint`` results that enter its survival analysis: one per subject of
    :func:`endpoint_population` (for DoR only the responders, who have one), input order kept."""
    results = [getattr(o, endpoint) for o in endpoint_population(outcomes, endpoint)]
    return [r for r in results if r is not None]


def endpoint_censor_months(
    outcomes: Iterable[SubjectOutcome], endpoint: str, *, by_child_pugh: bool = False, label: str | None = None
) -> dict[str, list[float]]:
    """Months from the origin of each censored subject of the ``endpoint`` population (one censor mark each),
    keyed like the KM curves: ``label`` (default "PFS" / "OS" / "DoR"), or by Child-Pugh class letter
    ("?" when unknown). An excluded (pending) subject has no mark."""
    population = endpoint_population(outcomes, endpoint)
    name = label or {"pfs": "PFS", "os": "OS", "dor": "DoR"}[endpoint]
    out: dict[str, list[float]] = defaultdict(list)
    for o in population:
        result = getattr(o, endpoint)
        if result is not None and not result.event:
            out[(o.child_pugh or "?") if by_child_pugh else name].append(result.days / MONTH_DAYS)
    return dict(out)


@functools.lru_cache(maxsize=4096)
def _exact(k: int, n: int) -> Proportion:
    """:meth:`Proportion.exact` for n > 0 (memoised: a recompute asks for the same few (k, n) again)."""
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    return Proportion(k, n, k / n, (float(ci.low), float(ci.high)))


def _km_summary(km: KMResult) -> dict[str, object]:
    return km.to_dict(include_curve=False)


@dataclass(frozen=True)
class CohortStats:
    """Cohort figures of one study under one source; ``to_dict()`` is the ``stats --json`` object (§7)."""

    study: dict[str, object]
    source: str
    n_screened: int
    subjects: list[SubjectOutcome]
    bor_counts: dict[str, int]
    bor_unconfirmed_counts: dict[str, int]
    orr: Proportion
    dcr: Proportion
    pfs: KMResult
    os: KMResult
    dor: KMResult
    baseline: dict[str, object]
    subgroups: dict[str, object]
    toxicity: list[dict[str, object]]
    reader_agreement: dict[str, object] | None = None
    investigator_vs_central: dict[str, object] | None = None
    pending: list[str] = field(default_factory=list)
    adjudication: dict[str, object] | None = None  # decision facts from the store (services.stats), e.g. reason codes
    collected: Collected | None = None  # what the study collects (domain.collected); None: not derived
    lab_toxicity: list[dict[str, object]] = field(default_factory=list)  # ctcae_labs.lab_toxicity (issue 23)
    arms: ArmAnalysis | None = None  # per-arm figures and comparisons (domain.arms.arm_analysis); None: not derived

    @property
    def n_enrolled(self) -> int:
        """Subjects analysed (the analysis population)."""
        return len(self.subjects)

    @property
    def provisional(self) -> bool:
        """True while patients await adjudication: the figures may still change (issue 7 item 6)."""
        return bool(self.pending)

    @property
    def provisional_note(self) -> str | None:
        """A sentence saying the figures are provisional and how many patients are pending, else None."""
        if not self.pending:
            return None
        return (
            f"Provisional: {len(self.pending)} of {self.n_enrolled} patients await adjudication "
            "(best response PENDING, counted as non-responders; "
            "left out of PFS and duration of response until adjudicated)."
        )

    def _population(self, endpoint: str) -> dict[str, object]:
        """Who the ``endpoint`` analysis covers (:func:`endpoint_population`): how many, and how many of the
        analysed subjects are left out as pending adjudication (``n`` + ``excluded_pending`` = ``n_enrolled``
        for PFS; DoR's ``n`` is further only the confirmed responders)."""
        excluded = 0 if endpoint == "os" else len(self.pending)
        return {
            "population": "analysed subjects"
            if endpoint == "os"
            else ("analysed subjects not pending adjudication" + (", confirmed CR/PR" if endpoint == "dor" else "")),
            "excluded_pending": excluded,
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``hccreview stats --json`` (DESIGN §7), plain types only (typed Any: a JSON tree).
        ``pfs`` / ``os`` / ``dor``: the KM summary of :func:`endpoint_population` (``events + censored`` = ``n``),
        with ``population`` and ``excluded_pending``; ``subjects[]`` keeps pending subjects with
        ``pfs_status = "pending"``: its ``pfs_days`` 0 / ``pfs_event`` false are placeholders (DESIGN §7 types them
        int / bool), its ``pfs_months`` / ``pfs_date`` null, and its ``pfs_rule`` says why (no PFS yet)."""
        status_counts: dict[str, int] = defaultdict(int)
        for s in self.subjects:
            status_counts[s.source_status] += 1
        out = {
            "study": self.study,
            "source": self.source,
            "n_enrolled": self.n_enrolled,
            "n_screened": self.n_screened,
            "provisional": self.provisional,
            "pending": len(self.pending),
            "provisional_note": self.provisional_note,
            "baseline": self.baseline,
            "response": {
                "bor_counts": self.bor_counts,
                "bor_unconfirmed_counts": self.bor_unconfirmed_counts,
                "orr": self.orr.to_dict(),
                "dcr": self.dcr.to_dict(),
                "pending": len(self.pending),
                "pending_subjects": self.pending,
                "source_status": dict(status_counts),
            },
            "pfs": {**_km_summary(self.pfs), **self._population("pfs")},
            "os": {**_km_summary(self.os), **self._population("os")},
            "dor": {**_km_summary(self.dor), **self._population("dor")},
            "subgroups": self.subgroups,
            "toxicity": self.toxicity,
            "lab_toxicity": self.lab_toxicity,  # laboratory worst grades (CTCAE v5.0 from LB), beside the AEs
            "reader_agreement": self.reader_agreement,
            "investigator_vs_central": self.investigator_vs_central,
            "subjects": [s.to_dict() for s in self.subjects],
            "methods": {
                "km_ci_method": CI_METHOD,
                "proportion_ci_method": CI_PROPORTION_METHOD,
                "month_days": 30.4375,
                "origin": self.study.get("origin"),
            },
        }
        if self.adjudication is not None:
            out["adjudication"] = self.adjudication
        if (
            self.collected is not None
        ):  # DESIGN §7 keeps child_pugh counts (zeros); this says whether they mean anything
            out["collected"] = self.collected.to_dict()
        if self.arms is not None:  # issue 23: the overall fields above keep their meaning (the whole population)
            out["arms"] = self.arms.arms_block()
            out["by_arm"] = self.arms.by_arm_block()
            out["comparisons"] = [c.to_dict() for c in self.arms.comparisons]
        return plain(out)
