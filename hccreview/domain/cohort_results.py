"""The result types of the cohort statistics and their plain-JSON form (``stats --json``, DESIGN §7).

:class:`CohortStats` (the cohort figures; ``to_dict()`` is the ``stats --json`` object), :class:`SubjectOutcome`
(one analysed subject's derivations), :class:`Proportion` (a rate with its exact Clopper–Pearson 95% CI) and
:func:`plain` (anything → plain JSON types, no NaN). The response-code groups (``BOR_KEYS``, ``RESPONDER``,
``DISEASE_CONTROL``) and the Child-Pugh classes live here too. What the figures mean and how they are derived:
:mod:`hccreview.domain.cohort`. No Qt, no SQL.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import math
from collections import defaultdict
from dataclasses import dataclass, field

from hccreview.domain.endpoints import EndpointResult
from hccreview.domain.recist import BestResponse
from hccreview.domain.survival import CI_METHOD, KMResult

BOR_KEYS: tuple[str, ...] = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "MISSING")
RESPONDER = frozenset({"CR", "PR"})
DISEASE_CONTROL = frozenset({"CR", "PR", "SD", "NON-CR/NON-PD"})
CHILD_PUGH_CLASSES = ("A", "B", "C")
CI_PROPORTION_METHOD = "exact (Clopper-Pearson), scipy.stats.binomtest"


def plain(value: object) -> object:
    """Convert to plain JSON types: numpy scalars → Python, NaN/inf → None, dates → ISO, enums → value."""
    if value is None or (isinstance(value, bool | str) and not isinstance(value, enum.Enum)):
        return value
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, dict):
        return {str(plain(k)): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return plain(value.item())
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "to_dict"):
        return plain(value.to_dict())
    return str(value)


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

    def to_dict(self) -> dict[str, object]:
        """The ``subjects[]`` item of DESIGN §7 plus extra fields."""
        return {
            "id": self.subject_id,
            "child_pugh": self.child_pugh,
            "bor": self.bor,
            "bor_unconfirmed": self.bor_unconfirmed,
            "pfs_days": self.pfs.days,
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
            "pfs_months": round(self.pfs.months, 4),
            "pfs_date": self.pfs.end_date,
            "pfs_rule": self.pfs.rule,
            "os_months": round(self.os.months, 4),
            "os_date": self.os.end_date,
            "os_rule": self.os.rule,
            "dor_days": self.dor.days if self.dor else None,
            "dor_event": self.dor.event if self.dor else None,
        }


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

    def to_dict(self) -> dict[str, object]:
        """The JSON object of ``hccreview stats --json`` (DESIGN §7), plain types only."""
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
            "pfs": _km_summary(self.pfs),
            "os": _km_summary(self.os),
            "dor": _km_summary(self.dor),
            "subgroups": self.subgroups,
            "toxicity": self.toxicity,
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
        return plain(out)  # type: ignore[return-value]
