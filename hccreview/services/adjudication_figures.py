"""What adjudication does to the figures: the impact preview of each choice, and reader performance.

**Impact preview** (issue 7 item 5; meeting mode): for each read that could stand for a patient, the cohort
figures that *would* result — ORR and DCR (exact CI), median PFS / OS with their CIs, the Child-Pugh
subgroups — computed by the same :func:`domain.cohort.compute_cohort_stats` on the loaded records with a
hypothetical, in-memory :class:`Adjudication` in place of the patient's decision. Nothing is written, so
the preview equals what the figures become once the choice is recorded.

**Reader performance** (issue 7 item 7; DESIGN §4): per central reader, agreement of their confirmed best
overall response with the adjudicated result (percent agreement, Cohen's kappa) and how often their read was
chosen; reader-versus-reader agreement (``domain.discordance``); investigator versus central review:
agreement of the best responses and the early / late discrepancy rates of progression (Amit et al., Eur J
Cancer 2011;47:1772–1778, ``domain.reader_performance``). Both are refused to a blinded reader.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

from hccreview.domain import recist
from hccreview.domain.cohort import CHILD_PUGH_CLASSES, CohortStats, compute_cohort_stats, subject_outcomes
from hccreview.domain.discordance import agreement, compare_reads, summarise
from hccreview.domain.reader_performance import ProgressionPair, discrepancy_rates
from hccreview.domain.records import Adjudication, ReadRole, StudyData
from hccreview.domain.sources import ADJUDICATED, INVESTIGATOR, reader_timepoints, study_index
from hccreview.services.adjudication_decisions import check_visible
from hccreview.services.session import StudySession
from hccreview.store import access

__all__ = ["cohort_figures", "current_figures", "impact_preview", "preview_from_data", "reader_performance"]


def _brief(block: dict[str, Any]) -> dict[str, Any]:
    return {k: block[k] for k in ("events", "censored", "median_months", "ci95_months")}


def _proportion(block: dict[str, Any]) -> dict[str, Any]:
    return {k: block[k] for k in ("n", "denominator", "rate", "ci95")}


def cohort_figures(stats: CohortStats, subject_id: str | None = None) -> dict[str, Any]:
    """The figures a meeting watches, from cohort statistics: ORR, DCR, BOR counts, pending / provisional,
    PFS and OS (median, CI, events), Child-Pugh subgroups; with ``subject_id`` that patient's outcome."""
    d = stats.to_dict()
    resp = d["response"]
    groups = d["subgroups"]["child_pugh"]
    out: dict[str, Any] = {
        "source": d["source"],
        "n": d["n_enrolled"],
        "orr": _proportion(resp["orr"]),
        "dcr": _proportion(resp["dcr"]),
        "bor_counts": dict(resp["bor_counts"]),
        "pending": len(stats.pending),
        "provisional": bool(stats.pending),
        "pfs": _brief(d["pfs"]),
        "os": _brief(d["os"]),
        "child_pugh": {
            cls: {
                "n": groups[cls]["n"],
                "orr": _proportion(groups[cls]["orr"]),
                "pfs": _brief(groups[cls]["pfs"]),
                "os": _brief(groups[cls]["os"]),
            }
            for cls in CHILD_PUGH_CLASSES
        },
    }
    if subject_id is not None:
        match = next((s for s in d["subjects"] if s["id"] == subject_id), None)
        out["subject"] = None if match is None else {
            k: match[k] for k in ("id", "bor", "bor_unconfirmed", "pfs_days", "pfs_event", "os_days", "reader")
        }  # fmt: skip
    return out


def current_figures(session: StudySession, subject_id: str | None = None) -> dict[str, Any]:
    """:func:`cohort_figures` of the study as it stands (adjudicated source): the preview's "now" column."""
    check_visible(session)
    return cohort_figures(compute_cohort_stats(session.data(), ADJUDICATED), subject_id)


def _choices(data: StudyData, subject_id: str) -> list[str]:
    roles = (ReadRole.READER, ReadRole.ADJUDICATOR)
    return sorted({r.reader for r in data.reads if r.subject_id == subject_id and r.role in roles})


def preview_from_data(data: StudyData, subject_id: str, *, adjudicator: str = "preview") -> dict[str, dict[str, Any]]:
    """Pure: ``{reader: cohort_figures}`` for each read that could stand for ``subject_id``."""
    others = tuple(a for a in data.adjudications if a.subject_id != subject_id)
    out = {}
    for reader in _choices(data, subject_id):
        # decided_at None: the only decision of this subject, so it is the one in force (domain.sources)
        choice = Adjudication(subject_id, reader, "impact preview", adjudicator, None, False)
        hypothetical = dataclasses.replace(data, adjudications=(*others, choice))
        out[reader] = cohort_figures(compute_cohort_stats(hypothetical, ADJUDICATED), subject_id)
    return out


def impact_preview(session: StudySession, subject_id: str) -> dict[str, dict[str, Any]]:
    """For each possible choice for ``subject_id`` (each central reader, and an adjudicator's own read), the
    cohort figures that would result (:func:`cohort_figures`). Refused to a blinded reader."""
    check_visible(session)
    user = session.signed_in
    return preview_from_data(session.data(), subject_id, adjudicator=user.username if user else "preview")


def _pct(k: int, n: int) -> float | None:
    return 100.0 * k / n if n else None


def reader_performance(session: StudySession, *, data: StudyData | None = None) -> dict[str, Any]:
    """Reader agreement and investigator-vs-central discrepancy (module docstring); plain JSON. ``data``: the
    study's records when the caller has just loaded them (else they are read)."""
    check_visible(session)
    data = session.data() if data is None else data
    settings, index = data.settings, study_index(data)
    adjudicated = {o.subject_id: o for o in subject_outcomes(data, ADJUDICATED)}
    resolved = {sid: o for sid, o in adjudicated.items() if o.source_status == "ok"}
    readers = sorted(index.central_readers)
    decisions: dict[str, dict[str, Any]] = {}
    for row in access.adjudication_rows(session.store):
        decisions[row["subject_id"]] = row

    bors: dict[tuple[str, str], recist.BestResponse] = {}
    for sid, outcome in adjudicated.items():
        for name in {r.reader for r in index.reads.get(sid, []) if r.role is ReadRole.READER}:
            tps = reader_timepoints(data, sid, name, index=index)
            bors[(sid, name)] = recist.best_overall_response(tps, outcome.origin, settings)

    per_reader: dict[str, Any] = {}
    for name in readers:
        pairs = [(str(bors[(sid, name)].confirmed), o.bor) for sid, o in resolved.items() if (sid, name) in bors]
        cases = [sid for sid, row in decisions.items() if (sid, name) in bors and sid in adjudicated]
        chosen = sum(decisions[sid]["chosen_reader"] == name for sid in cases)
        read = sum(1 for sid in adjudicated if (sid, name) in bors)
        per_reader[name] = {
            "vs_adjudicated": agreement(pairs).to_dict(),
            # the denominators: the reader's patients, and those without an adjudicated result yet (pending: left
            # out of the agreement, which is then over the resolved patients only — shown, never implied)
            "patients_read": read,
            "pending": read - len(pairs),
            "adjudicated_cases": len(cases),
            "chosen": chosen,
            "chosen_percent": _pct(chosen, len(cases)),
        }

    readers_of: dict[str, list[str]] = defaultdict(list)
    for sid, name in sorted(bors):
        readers_of[sid].append(name)
    by_pair: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for sid, names in readers_of.items():
        if len(names) >= 2:
            a, b = names[0], names[1]
            by_pair[(a, b)].append(compare_reads(sid, bors[(sid, a)], bors[(sid, b)], settings.discordance_pd_days))
    reader_pairs = []
    for (a, b), results in sorted(by_pair.items()):
        summary = summarise(results) or {}
        summary["readers"] = [a, b]
        reader_pairs.append(summary)

    investigator: dict[str, Any] | None = None
    if index.investigator_readers and index.central_readers:
        inv = {o.subject_id: o for o in subject_outcomes(data, INVESTIGATOR)}
        both = [sid for sid in resolved if sid in inv and inv[sid].source_status == "ok"]
        pd_pairs = [ProgressionPair(sid, inv[sid].best.first_pd_date, resolved[sid].best.first_pd_date) for sid in both]
        investigator = {
            "agreement": agreement([(inv[sid].bor, resolved[sid].bor) for sid in both]).to_dict(),
            "discrepancy": discrepancy_rates(pd_pairs, settings.discordance_pd_days).to_dict(),
            "event": "first radiological progression (PD) of the investigator vs the adjudicated central read",
        }
    return {
        "readers": readers,
        "per_reader": per_reader,
        "reader_pairs": reader_pairs,
        "investigator_vs_central": investigator,
        "n_analysed": len(adjudicated),
        "n_resolved": len(resolved),
        "n_pending": sum(o.source_status == "pending" for o in adjudicated.values()),
    }
