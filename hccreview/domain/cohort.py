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
- PFS / OS / DoR: Kaplan–Meier summaries (:mod:`~hccreview.domain.survival`) with the CI method named, each
  over its analysis population (:func:`~hccreview.domain.cohort_results.endpoint_population`): PFS and DoR
  over :func:`~hccreview.domain.cohort_results.pfs_population` — every analysed subject except those PENDING
  adjudication, who have no PFS yet (``pfs_status`` "pending", ``pfs_rule`` says why; no KM row, no censor
  mark, not in the counts; DoR needs a confirmed response anyway) — OS over every analysed subject (OS never
  depends on the source). The overall curves, the Child-Pugh subgroup curves (:func:`child_pugh_curves`),
  their risk tables and censor marks (``KMResult.censor_months``) and ``stats --json`` all come from these
  functions, so ``events + censored`` = the population everywhere.
- ``n_enrolled`` = subjects analysed; ``n_screened`` = every subject record (screen failures included).
- Subgroups by Child-Pugh class with log-rank p across the classes that have subjects (None with < 2).
- Toxicity: ``ctcae.toxicity_table`` over the analysis population (denominator = subjects analysed); beside it
  ``lab_toxicity``: patients by worst post-baseline CTCAE v5.0 grade of their LB values per laboratory term
  (``ctcae_labs.lab_toxicity``, labelled "laboratory (CTCAE v5.0 from LB)"), same population and denominator.
- Reader agreement between the two central readers of each subject (percent, Cohen's kappa, discordant
  ids) and investigator-vs-central agreement (DESIGN §4 "Adjudication").

Everything in ``to_dict()`` is plain JSON (str, int, float, bool, None, lists, dicts; no NaN).

The module is split by concern: the result types and their JSON form are in
:mod:`~hccreview.domain.cohort_results`, the per-subject derivation in :mod:`~hccreview.domain.cohort_subjects`;
this module aggregates them into the cohort figures and re-exports every public name of both.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable

from hccreview.domain import cohort_memo as memo
from hccreview.domain import ctcae, ctcae_labs
from hccreview.domain.cohort_results import (
    BOR_KEYS,
    CHILD_PUGH_CLASSES,
    CI_PROPORTION_METHOD,
    DISEASE_CONTROL,
    PFS_ANALYSED,
    PFS_PENDING,
    PFS_PENDING_REASON,
    PFS_PENDING_RULE,
    RESPONDER,
    CohortStats,
    Proportion,
    SubjectOutcome,
    endpoint_censor_months,
    endpoint_population,
    endpoint_results,
    pfs_population,
    plain,
)
from hccreview.domain.cohort_subjects import derive_subjects, pending_pfs, subject_outcomes
from hccreview.domain.collected import Collected, collected
from hccreview.domain.discordance import DiscordanceResult, compare_reads, summarise
from hccreview.domain.recist import BestResponse
from hccreview.domain.records import StudyData
from hccreview.domain.sources import (
    ADJUDICATED,
    INVESTIGATOR,
    StudyIndex,
    SubjectTimepoints,
    reader_timepoints,
    select_timepoints,
    subject_central_readers,
)
from hccreview.domain.survival import KMResult, kaplan_meier, logrank

__all__ = [
    "BOR_KEYS",
    "CHILD_PUGH_CLASSES",
    "CI_PROPORTION_METHOD",
    "DISEASE_CONTROL",
    "PFS_ANALYSED",
    "PFS_PENDING",
    "PFS_PENDING_REASON",
    "PFS_PENDING_RULE",
    "RESPONDER",
    "CohortStats",
    "Proportion",
    "SubjectOutcome",
    "child_pugh_curves",
    "compute_cohort_stats",
    "endpoint_censor_months",
    "endpoint_curve",
    "endpoint_population",
    "endpoint_results",
    "pending_pfs",
    "pfs_population",
    "plain",
    "subject_outcomes",
]


def _km_brief(km: KMResult) -> dict[str, object]:
    return {"n": km.n, "events": km.events, "censored": km.censored, "median_months": km.median_months,
            "ci95_months": list(km.ci95_months)}  # fmt: skip


def _counts(codes: Iterable[str], with_pending: bool) -> dict[str, int]:
    keys = (*BOR_KEYS, "PENDING") if with_pending else BOR_KEYS
    counts = dict.fromkeys(keys, 0)
    for code in codes:
        counts[code] = counts.get(code, 0) + 1
    return counts


def endpoint_curve(outcomes: Iterable[SubjectOutcome], which: str, label: str) -> KMResult:
    """The Kaplan–Meier fit of endpoint ``which`` ("pfs" / "os" / "dor") over its analysis population
    (:func:`~hccreview.domain.cohort_results.endpoint_results`): the one fit behind a curve, its risk table,
    censor marks (``KMResult.censor_months``) and counts."""
    results = endpoint_results(outcomes, which)
    return kaplan_meier([r.days for r in results], [r.event for r in results], label=label)


def child_pugh_curves(outcomes: Iterable[SubjectOutcome]) -> tuple[dict[str, KMResult], dict[str, KMResult]]:
    """PFS and OS Kaplan–Meier fits per Child-Pugh class with subjects (classes without any left out), each over
    its endpoint's population within the class — the curves the dashboard and the PDF draw, fitted exactly as
    ``subgroups`` in ``stats --json`` summarises them. Labels "PFS Child-Pugh A" etc."""
    members = _by_class(outcomes)[0]
    pfs_cp = {c: endpoint_curve(m, "pfs", f"PFS Child-Pugh {c}") for c, m in members.items() if m}
    os_cp = {c: endpoint_curve(m, "os", f"OS Child-Pugh {c}") for c, m in members.items() if m}
    return pfs_cp, os_cp


def _by_class(outcomes: Iterable[SubjectOutcome]) -> tuple[dict[str, list[SubjectOutcome]], int]:
    by_class: dict[str, list[SubjectOutcome]] = {c: [] for c in CHILD_PUGH_CLASSES}
    unknown = 0
    for o in outcomes:
        if o.child_pugh in by_class:
            by_class[o.child_pugh].append(o)
        else:
            unknown += 1
    return by_class, unknown


def _subgroups(outcomes: list[SubjectOutcome], facts: Collected) -> dict[str, object]:
    """Per Child-Pugh class: ``n`` = the class's analysed subjects (the ORR denominator and the OS
    population), ``pending`` = those of them outside the PFS population, ``pfs.n`` = ``n - pending`` =
    ``pfs.events + pfs.censored``; the log-rank tests use the same populations. ``available``: the subgroup
    dimensions the data holds (:meth:`Collected.subgroups`: arm, Child-Pugh, sex, age group, ECOG, extrahepatic
    disease where present) — a screen offers those only; ``child_pugh_collected`` False when the study records
    no Child-Pugh assessment (the class counts are then zeros by necessity, not findings)."""
    by_class, unknown = _by_class(outcomes)
    classes: dict[str, object] = {}
    for cls, members in by_class.items():
        k = sum(o.bor in RESPONDER for o in members)
        pfs_km = endpoint_curve(members, "pfs", f"PFS Child-Pugh {cls}")
        os_km = endpoint_curve(members, "os", f"OS Child-Pugh {cls}")
        classes[cls] = {
            "n": len(members),
            "orr": Proportion.exact(k, len(members)).to_dict(),
            "pfs": _km_brief(pfs_km),
            "os": _km_brief(os_km),
            "pending": len(members) - len(pfs_population(members)),
        }
    tests = {}
    for which in ("pfs", "os"):
        groups = {
            cls: ([r.days for r in rs], [r.event for r in rs])
            for cls, rs in ((c, endpoint_results(m, which)) for c, m in by_class.items())
        }
        result = logrank(groups)
        tests[which] = result.to_dict() if result else None
    return {"child_pugh": classes, "child_pugh_unknown": unknown, "logrank": tests,
            "available": list(facts.subgroups()), "child_pugh_collected": facts.child_pugh}  # fmt: skip


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
    return [plain(row.to_dict()) for row in ctcae.toxicity_table(aes, n_enrolled=n)]


def _lab_toxicity(data: StudyData, analysed: set[str], n: int) -> list[dict[str, object]]:
    """Laboratory worst grades (``ctcae_labs.lab_toxicity``) of the analysis population, from the first dose on."""
    first_dose = {s.subject_id: s.first_dose_date for s in data.subjects}
    labs = [lab for lab in data.labs if lab.subject_id in analysed]
    return [plain(row) for row in ctcae_labs.lab_toxicity(labs, first_dose, n)]


def _study_block(data: StudyData) -> dict[str, object]:
    """Every study setting (enums as their values); ``criteria`` is "RECIST 1.1" or "mRECIST"."""
    return plain(dataclasses.asdict(data.settings))


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
    d = derive_subjects(data, source, progress)
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
    lab_toxicity = [dict(row) for row in memo.STUDY.get("lab_toxicity", (data.labs, data.subjects, frozenset(analysed),
                                                        n), lambda: _lab_toxicity(data, analysed, n))]  # fmt: skip
    ids = [o.subject_id for o in outcomes]
    facts = collected(data.subjects, data.child_pugh, data.adverse_events)
    return CohortStats(
        study=_study_block(data),
        source=src,
        n_screened=len(data.subjects),
        subjects=outcomes,
        bor_counts=_counts(bors, with_pending=kind == ADJUDICATED),
        bor_unconfirmed_counts=_counts((o.bor_unconfirmed for o in outcomes), with_pending=kind == ADJUDICATED),
        orr=Proportion.exact(sum(b in RESPONDER for b in bors), n),
        dcr=Proportion.exact(sum(b in DISEASE_CONTROL for b in bors), n),
        pfs=endpoint_curve(outcomes, "pfs", "PFS"),
        os=endpoint_curve(outcomes, "os", "OS"),
        dor=endpoint_curve(outcomes, "dor", "DoR"),
        baseline=baseline,
        subgroups=_subgroups(outcomes, facts),
        toxicity=toxicity,
        lab_toxicity=lab_toxicity,
        reader_agreement=_reader_agreement(data, index, ids, origins),
        investigator_vs_central=_investigator_vs_central(data, index, ids, origins, adjudicated),
        pending=[o.subject_id for o in outcomes if o.source_status == "pending"],
        collected=facts,
    )
