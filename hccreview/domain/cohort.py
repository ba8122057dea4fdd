"""Cohort statistics of one study under one read source; ``CohortStats.to_dict()`` is ``stats --json``.

Per subject of the analysis population (not a screen failure, with an origin date — DESIGN §4):
timepoint responses from the source (:mod:`~hccreview.domain.sources`) → best overall response
(RECIST 1.1 §4.4 / mRECIST, :func:`recist.best_overall_response`) → PFS, OS and duration of response
(:mod:`~hccreview.domain.endpoints`, FDA 2018 endpoint guidance) → Child-Pugh class at baseline.

Cohort figures:

- ``bor_counts``: every response code, PENDING included for the adjudicated source (subjects awaiting
  adjudication). The denominator of every rate is the analysis population: a PENDING (or MISSING / NE)
  subject counts as a non-responder. While any subject is PENDING the figures are *provisional*:
  ``to_dict()`` says so at the top level (``provisional``, ``pending`` = how many, ``provisional_note``).
- ORR = confirmed CR + PR; DCR = CR + PR + SD + NON-CR/NON-PD (SD already needs the minimum duration in
  the BOR). ``n`` = subjects counted, ``denominator`` = subjects analysed, ``rate`` and ``ci95`` as fractions;
  the 95% CI is exact (Clopper–Pearson, ``scipy.stats.binomtest(k, n).proportion_ci(method="exact")``).
  With nobody analysed the rate is 0.0 and the CI the uninformative [0.0, 1.0].
- PFS / OS / DoR: Kaplan–Meier summaries (:mod:`~hccreview.domain.survival`) with the CI method named.
  A PENDING subject has no accepted tumour assessment yet, so its PFS follows the same rules with none
  (death → event, else censored at the origin, day 0) — consistent with counting it as a non-responder;
  ``pfs_rule`` says so. OS never depends on the source.
- ``n_enrolled`` = subjects analysed; ``n_screened`` = every subject record (screen failures included).
- Subgroups by Child-Pugh class with log-rank p across the classes that have subjects (None with < 2).
- Toxicity: ``ctcae.toxicity_table`` over the analysis population (denominator = subjects analysed).
- Reader agreement between the two central readers of each subject (percent, Cohen's kappa, discordant
  ids) and investigator-vs-central agreement (DESIGN §4 "Adjudication").

Everything in ``to_dict()`` is plain JSON (str, int, float, bool, None, lists, dicts; no NaN).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from hccreview.domain import child_pugh as child_pugh_rules
from hccreview.domain import cohort_memo as memo
from hccreview.domain import contact, ctcae
from hccreview.domain.discordance import DiscordanceResult, compare_reads, summarise
from hccreview.domain.endpoints import (
    EndpointResult,
    duration_of_response,
    origin_rule,
    overall_survival,
    pfs,
)
from hccreview.domain.recist import BestResponse
from hccreview.domain.records import ChildPughComponents, FollowUp, Response, StudyData, Subject
from hccreview.domain.sources import (
    ADJUDICATED,
    COMPUTED,
    INVESTIGATOR,
    StudyIndex,
    SubjectTimepoints,
    default_source,
    parse_source,
    reader_timepoints,
    select_timepoints,
    study_index,
    subject_central_readers,
)
from hccreview.domain.survival import CI_METHOD, KMResult, kaplan_meier, logrank

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


def _km_brief(km: KMResult) -> dict[str, object]:
    return {"n": km.n, "events": km.events, "censored": km.censored, "median_months": km.median_months,
            "ci95_months": list(km.ci95_months)}  # fmt: skip


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


def _pending_best() -> BestResponse:
    return BestResponse(
        Response.PENDING, Response.PENDING, "PENDING: central reads discordant, awaiting adjudication",
        None, None, None, (),
    )  # fmt: skip


def _child_pugh_classes(data: StudyData) -> tuple[dict[str, str | None], dict[str, str]]:
    """Child-Pugh class per subject (the last components record of a subject counts) and, for components
    the scorer refuses (unknown text), the error message; such a subject's class is None (unknown)."""
    variant = data.settings.child_pugh_variant
    return memo.STUDY.get("child_pugh", (data.child_pugh, variant), lambda: _child_pugh_fresh(data))


def _child_pugh_fresh(data: StudyData) -> tuple[dict[str, str | None], dict[str, str]]:
    latest: dict[str, ChildPughComponents] = {c.subject_id: c for c in data.child_pugh}
    variant = data.settings.child_pugh_variant
    out: dict[str, str | None] = {}
    problems: dict[str, str] = {}
    for sid, comp in latest.items():
        try:
            score = child_pugh_rules.child_pugh_score(comp, variant)
        except ValueError as exc:
            out[sid], problems[sid] = None, str(exc)
            continue
        out[sid] = str(score.cls) if score.cls else None
    return out, problems


def _last_contact(data: StudyData) -> dict[str, dt.date]:
    """Latest contact date per subject (:mod:`~hccreview.domain.contact`, for OS censoring): as the store computed
    it for a partial load, else over reads, measurements, AEs, cycles and labs (memoised on those tuples)."""
    if data.last_contact is not None:
        return data.last_contact
    tables = tuple(getattr(data, t) for t in contact.CONTACT_FIELDS)
    return memo.STUDY.get("last_contact", tables, lambda: contact.last_contact(data))


def _counts(codes: Iterable[str], with_pending: bool) -> dict[str, int]:
    keys = (*BOR_KEYS, "PENDING") if with_pending else BOR_KEYS
    counts = dict.fromkeys(keys, 0)
    for code in codes:
        counts[code] = counts.get(code, 0) + 1
    return counts


def _time_to_event(outcomes: list[SubjectOutcome], which: str) -> list[EndpointResult]:
    """The subjects' ``which`` endpoint results that enter a survival analysis.

    A subject whose tumour assessments await adjudication (PENDING) has no PFS or DoR under the adjudicated
    source yet: it is left out of those analyses (rather than censored at day 0, which gives the same curve but
    misleading counts); its OS does not depend on the reads and stays in.
    """
    pending_out = which in ("pfs", "dor")
    results = [getattr(o, which) for o in outcomes if not (pending_out and o.source_status == "pending")]
    return [r for r in results if r is not None]


def _km(outcomes: list[SubjectOutcome], which: str, label: str) -> KMResult:
    results = _time_to_event(outcomes, which)
    return kaplan_meier([r.days for r in results], [r.event for r in results], label=label)


def _subgroups(outcomes: list[SubjectOutcome]) -> dict[str, object]:
    by_class: dict[str, list[SubjectOutcome]] = {c: [] for c in CHILD_PUGH_CLASSES}
    unknown = 0
    for o in outcomes:
        if o.child_pugh in by_class:
            by_class[o.child_pugh].append(o)
        else:
            unknown += 1
    classes: dict[str, object] = {}
    for cls, members in by_class.items():
        k = sum(o.bor in RESPONDER for o in members)
        pfs_km = _km(members, "pfs", f"PFS Child-Pugh {cls}")
        os_km = _km(members, "os", f"OS Child-Pugh {cls}")
        classes[cls] = {
            "n": len(members),
            "orr": Proportion.exact(k, len(members)).to_dict(),
            "pfs": _km_brief(pfs_km),
            "os": _km_brief(os_km),
        }
    tests = {}
    for which in ("pfs", "os"):
        groups = {
            cls: ([r.days for r in rs], [r.event for r in rs])
            for cls, rs in ((c, _time_to_event(m, which)) for c, m in by_class.items())
        }
        result = logrank(groups)
        tests[which] = result.to_dict() if result else None
    return {"child_pugh": classes, "child_pugh_unknown": unknown, "logrank": tests}


def _reader_agreement(
    data: StudyData, index: StudyIndex, subject_ids: list[str], origins: dict[str, dt.date]
) -> dict[str, object] | None:
    """Agreement of the two (alphabetically first) central readers of each subject that has two."""
    settings = data.settings
    results: list[DiscordanceResult] = []
    readers: set[str] = set()
    for sid in subject_ids:
        origin = origins[sid]

        def agreement(sid: str = sid, origin: dt.date = origin) -> tuple[list[str], DiscordanceResult | None]:
            names = subject_central_readers(data, sid, index=index)
            if len(names) < 2:
                return names, None
            a, b = (
                memo.best_overall_response(reader_timepoints(data, sid, n, index=index), origin, settings)
                for n in names[:2]
            )
            return names, compare_reads(sid, a, b, settings.discordance_pd_days)

        reads = index.reads.get(sid, ())
        names, result = memo.AGREEMENT.get(sid, (settings, origin, len(reads), *reads), agreement)
        if result is None:
            continue
        readers.update(names[:2])
        results.append(result)
    out = summarise(results)
    if out is not None:
        out["readers"] = sorted(readers)
    return out


def _investigator_vs_central(
    data: StudyData,
    index: StudyIndex,
    subject_ids: list[str],
    origins: dict[str, dt.date],
    adjudicated: dict[str, tuple[SubjectTimepoints, BestResponse]],
) -> dict[str, object] | None:
    """Agreement of the investigator's BOR with the adjudicated central BOR (subjects with both);
    ``adjudicated`` holds already derived adjudicated selections (reused, not recomputed)."""
    if not index.central_readers or not index.investigator_readers:
        return None
    settings = data.settings
    results: list[DiscordanceResult] = []
    for sid in subject_ids:
        inv = select_timepoints(data, sid, INVESTIGATOR, index=index)
        if inv.status != "ok":
            continue
        if sid in adjudicated:
            central, bor_c = adjudicated[sid]
        else:
            central = select_timepoints(data, sid, ADJUDICATED, index=index)
            bor_c = memo.best_overall_response(central.timepoints, origins[sid], settings)
        if central.status == "ok":
            bor_i = memo.best_overall_response(inv.timepoints, origins[sid], settings)
            results.append(compare_reads(sid, bor_i, bor_c, settings.discordance_pd_days))
    return summarise(results)


def _toxicity(data: StudyData, analysed: set[str], n: int) -> list[dict[str, object]]:
    aes = [ae for ae in data.adverse_events if ae.subject_id in analysed]
    return [plain(row.to_dict()) for row in ctcae.toxicity_table(aes, n_enrolled=n)]  # type: ignore[misc]


def _study_block(data: StudyData) -> dict[str, object]:
    """Every study setting (enums as their values); ``criteria`` is "RECIST 1.1" or "mRECIST"."""
    return plain(dataclasses.asdict(data.settings))  # type: ignore[return-value]


@dataclass
class _Derived:
    """Per-subject derivations of one source, shared by the cohort figures and single-patient views."""

    source: str
    kind: str
    index: StudyIndex
    outcomes: list[SubjectOutcome]
    origins: dict[str, dt.date]
    adjudicated: dict[str, tuple[SubjectTimepoints, BestResponse]]
    cp_problems: dict[str, str]


def _derive(data: StudyData, source: str | None, progress: Callable[[int, int], None] | None) -> _Derived:
    settings = data.settings
    src = source.strip() if source else default_source(data)
    kind, _ = parse_source(src)
    index = study_index(data)
    cp_class, cp_problems = _child_pugh_classes(data)
    last_contact = _last_contact(data)
    follow_up = {f.subject_id: f for f in data.follow_up}

    outcomes: list[SubjectOutcome] = []
    origins: dict[str, dt.date] = {}
    adjudicated: dict[str, tuple[SubjectTimepoints, BestResponse]] = {}
    population = [s for s in data.subjects if not s.screen_failure]
    total = len(population)
    readers = frozenset(index.all_readers) if kind == "reader" else None
    for i, subject in enumerate(population, start=1):
        sid = subject.subject_id
        reads = index.reads.get(sid, ())
        # every input of the subject's derivation (see cohort_memo): a hit returns what a fresh one would
        inputs: tuple[object, ...] = (
            settings, subject, index.adjudications.get(sid), follow_up.get(sid), cp_class.get(sid),
            last_contact.get(sid), readers, len(reads), *reads,
        )  # fmt: skip
        if kind == COMPUTED:
            lesions, meas = index.lesions.get(sid, ()), index.measurements.get(sid, ())
            inputs = (*inputs, len(lesions), *lesions, len(meas), *meas)
        derived = memo.OUTCOMES.get(
            (src, sid), inputs,
            lambda subject=subject: _subject_outcome(data, subject, src, index, cp_class, last_contact, follow_up),
        )  # fmt: skip
        if derived is None:
            continue
        outcome, chosen = derived
        origins[sid] = outcome.origin
        if kind == ADJUDICATED:
            adjudicated[sid] = (chosen, outcome.best)
        outcomes.append(outcome)
        if progress is not None and i % 500 == 0:
            progress(i, total)
    if progress is not None:
        progress(total, total)

    return _Derived(src, kind, index, outcomes, origins, adjudicated, cp_problems)


def _subject_outcome(
    data: StudyData,
    subject: Subject,
    src: str,
    index: StudyIndex,
    cp_class: dict[str, str | None],
    last_contact: dict[str, dt.date],
    follow_up: dict[str, FollowUp],
) -> tuple[SubjectOutcome, SubjectTimepoints] | None:
    """One subject's outcome under ``src`` (None when the subject has no origin date: not analysed)."""
    settings = data.settings
    origin, why = origin_rule(subject, settings)
    if origin is None:
        return None
    sid = subject.subject_id
    chosen = select_timepoints(data, sid, src, index=index)
    best = (
        _pending_best()
        if chosen.status == "pending"
        else memo.best_overall_response(chosen.timepoints, origin, settings)
    )
    fu = follow_up.get(sid)
    pfs_result = pfs(origin, chosen.timepoints, fu, settings)
    if chosen.status == "pending":
        pfs_result = EndpointResult(
            pfs_result.days, pfs_result.event, pfs_result.event_date, pfs_result.censor_date,
            f"{pfs_result.rule} (tumour assessments pending adjudication)",
        )  # fmt: skip
    last = last_contact.get(sid)
    os_result = overall_survival(origin, fu, [last] if last else [])
    outcome = SubjectOutcome(
        subject_id=sid,
        child_pugh=cp_class.get(sid),
        extrahepatic=subject.extrahepatic,
        origin=origin,
        origin_rule=why,
        source_status=chosen.status,
        reader=chosen.reader,
        source_rule=chosen.rule,
        best=best,
        pfs=pfs_result,
        os=os_result,
        dor=duration_of_response(best, pfs_result),
    )
    return outcome, chosen


def subject_outcomes(data: StudyData, source: str | None = None) -> list[SubjectOutcome]:
    """Best response, PFS, OS and DoR of each analysed subject under ``source`` — without the cohort's survival
    fits, so a single patient's view (``data`` holding one subject) stays fast."""
    return _derive(data, source, None).outcomes


def compute_cohort_stats(
    data: StudyData,
    source: str | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> CohortStats:
    """Derive the cohort figures of ``data`` under ``source`` (default :func:`sources.default_source`).

    ``progress(done, total)``, when given, is called every 500 subjects and at the end (from the calling
    thread). Raises ValueError for an unknown source string.
    """
    d = _derive(data, source, progress)
    settings = data.settings
    src, kind, index, outcomes, origins = d.source, d.kind, d.index, d.outcomes, d.origins
    adjudicated, cp_problems = d.adjudicated, d.cp_problems

    n = len(outcomes)
    bors = [o.bor for o in outcomes]
    analysed = set(origins)
    cp_counts = dict.fromkeys(CHILD_PUGH_CLASSES, 0)
    for o in outcomes:
        if o.child_pugh in cp_counts:
            cp_counts[o.child_pugh] += 1
    baseline = {
        "child_pugh": cp_counts,
        "child_pugh_unknown": n - sum(cp_counts.values()),
        "child_pugh_variant": str(settings.child_pugh_variant),
        "extrahepatic": sum(o.extrahepatic is True for o in outcomes),
        "child_pugh_problems": [{"id": sid, "error": msg} for sid, msg in cp_problems.items() if sid in analysed],
    }
    toxicity = [dict(row) for row in memo.STUDY.get("toxicity", (data.adverse_events, frozenset(analysed), n),
                                                    lambda: _toxicity(data, analysed, n))]  # fmt: skip
    ids = [o.subject_id for o in outcomes]
    return CohortStats(
        study=_study_block(data),
        source=src,
        n_screened=len(data.subjects),
        subjects=outcomes,
        bor_counts=_counts(bors, with_pending=kind == ADJUDICATED),
        bor_unconfirmed_counts=_counts((o.bor_unconfirmed for o in outcomes), with_pending=kind == ADJUDICATED),
        orr=Proportion.exact(sum(b in RESPONDER for b in bors), n),
        dcr=Proportion.exact(sum(b in DISEASE_CONTROL for b in bors), n),
        pfs=_km(outcomes, "pfs", "PFS"),
        os=_km(outcomes, "os", "OS"),
        dor=_km(outcomes, "dor", "DoR"),
        baseline=baseline,
        subgroups=_subgroups(outcomes),
        toxicity=toxicity,  # type: ignore[arg-type]
        reader_agreement=_reader_agreement(data, index, ids, origins),
        investigator_vs_central=_investigator_vs_central(data, index, ids, origins, adjudicated),
        pending=[o.subject_id for o in outcomes if o.source_status == "pending"],
    )
