"""The dashboard's tables as display frames, and best response per read source (Qt-free, pure).

- :func:`source_summary`: best overall response counts, ORR and DCR of one source without the survival
  statistics — the subject loop of :func:`hccreview.domain.cohort.compute_cohort_stats` itself
  (``subject_outcomes``: analysis population, origin rule, PENDING while central reads await adjudication,
  RECIST 1.1 §4.4 BOR), memoised per subject; tests check it equals ``CohortStats``.
- :func:`response_table`, :func:`baseline_table`, :func:`toxicity_frame`, :func:`lab_toxicity_frame`,
  :func:`agreement_frame`: pandas frames for ``ui.models.dataframe_model.DataFrameModel`` and for CSV export.
  Percentages are of the patients analysed; proportions carry their exact (Clopper–Pearson) 95% CI as
  ``stats --json`` does.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hccreview.domain.adjudication_status import AdjudicationCounts
from hccreview.domain.cohort import BOR_KEYS, DISEASE_CONTROL, RESPONDER, CohortStats, Proportion, subject_outcomes
from hccreview.domain.collected import Collected
from hccreview.domain.ctcae import carries_grades
from hccreview.domain.records import StudyData
from hccreview.domain.sources import ADJUDICATED, Source, parse_source, study_index
from hccreview.services.adjudication_queue import queue_counts, queue_from_data

NOT_RECORDED = "Not recorded"


@dataclass(frozen=True)
class SourceSummary:
    """Best overall response of every analysed subject under one source, counted."""

    source: str
    n: int
    bor_counts: dict[str, int]
    orr: Proportion
    dcr: Proportion
    bor_by_subject: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_stats(cls, stats: CohortStats) -> SourceSummary:
        """The summary of a full :class:`CohortStats` (no recomputation)."""
        by_subject = {o.subject_id: o.bor for o in stats.subjects}
        return cls(stats.source, stats.n_enrolled, dict(stats.bor_counts), stats.orr, stats.dcr, by_subject)


def source_summary(data: StudyData, source: str) -> SourceSummary:
    """Best overall responses under ``source`` (see the module docstring); ValueError for an unknown source.

    The per-subject outcomes come from :func:`hccreview.domain.cohort.subject_outcomes` — the very code path of
    ``compute_cohort_stats`` (memoised per subject, so a recompute after one edit derives one patient)."""
    src = source.strip()
    kind, _ = parse_source(src)
    by_subject = {o.subject_id: o.bor for o in subject_outcomes(data, src)}
    keys = (*BOR_KEYS, "PENDING") if kind == ADJUDICATED else BOR_KEYS
    counts = dict.fromkeys(keys, 0)
    for code in by_subject.values():
        counts[code] = counts.get(code, 0) + 1
    n = len(by_subject)
    orr = Proportion.exact(sum(b in RESPONDER for b in by_subject.values()), n)
    dcr = Proportion.exact(sum(b in DISEASE_CONTROL for b in by_subject.values()), n)
    return SourceSummary(src, n, counts, orr, dcr, by_subject)


@dataclass(frozen=True)
class AdjudicationProgress:
    """Central review progress: the patients read by a central reader, the adjudication counts of the
    discordant ones (``domain.adjudication_status``: the same counts as the status bar and the queue) and the
    patients whose adjudicated result is pending (None until the adjudicated source has been evaluated: it is
    when it is the shown source or once sources are compared)."""

    central: int
    counts: AdjudicationCounts
    pending: int | None

    @property
    def discordant(self) -> int:
        return self.counts.discordant

    @property
    def adjudicated(self) -> int:
        return self.counts.adjudicated

    @property
    def signed(self) -> int:
        return self.counts.signed

    @property
    def text(self) -> str:
        """One line for the panel: the counts in the one wording, of how many patients read centrally."""
        pending = "…" if self.pending is None else str(self.pending)
        return f"Adjudication: {self.counts.text} of {self.central} read centrally · {pending} pending"


def adjudication_progress(
    data: StudyData, stats: CohortStats, summaries: Mapping[str, SourceSummary]
) -> AdjudicationProgress | None:
    """The central review's counts (None without central review)."""
    index = study_index(data)
    if not index.central_readers:
        return None
    analysed = {o.subject_id for o in stats.subjects}
    central = {sid for sid in analysed if any(r.reader in index.central_readers for r in index.reads.get(sid, []))}
    adjudicated = summaries.get(ADJUDICATED)
    return AdjudicationProgress(
        central=len(central),
        counts=queue_counts(queue_from_data(data, "central")),
        pending=None if adjudicated is None else adjudicated.bor_counts.get("PENDING", 0),
    )


# --- frames -----------------------------------------------------------------------------------------------


def _pct(k: int, n: int) -> str:
    return f"{k} ({100.0 * k / n:.1f}%)" if n else f"{k}"


def _ci(p: Proportion) -> str:
    return f"{100 * p.ci95[0]:.1f}–{100 * p.ci95[1]:.1f}%"


def response_table(summaries: Mapping[str, SourceSummary], chosen: str, sources: Iterable[str]) -> pd.DataFrame:
    """Rows: patients analysed, each BOR code ``n (%)``, ORR and DCR with exact 95% CIs, and how many
    patients' BOR differs from the chosen source (named in words: the row is shown as it is, in the dashboard
    and the PDF); one column per source evaluated (chosen first, keyed by source)."""
    order = [chosen] + [s for s in sources if s != chosen and s in summaries]
    codes = list(BOR_KEYS) + (["PENDING"] if any("PENDING" in summaries[s].bor_counts for s in order) else [])
    base = summaries[chosen].bor_by_subject
    rows: list[list[object]] = [["Patients analysed", *(str(summaries[s].n) for s in order)]]
    for code in codes:
        rows.append([code, *(_pct(summaries[s].bor_counts.get(code, 0), summaries[s].n) for s in order)])
    rows.append(["ORR (CR + PR)", *(_pct(summaries[s].orr.n, summaries[s].n) for s in order)])
    rows.append(["ORR exact 95% CI", *(_ci(summaries[s].orr) for s in order)])
    rows.append(["DCR (CR + PR + SD + NON-CR/NON-PD)", *(_pct(summaries[s].dcr.n, summaries[s].n) for s in order)])
    rows.append(["DCR exact 95% CI", *(_ci(summaries[s].dcr) for s in order)])
    differs = [sum(base.get(sid) != bor for sid, bor in summaries[s].bor_by_subject.items()) for s in order]
    rows.append([f"BOR differs from {Source.parse(chosen).label(short=True)}", *(str(d) for d in differs)])
    return pd.DataFrame(rows, columns=["Best overall response", *order])


def _categorical(name: str, values: list[str], n: int, order: list[str] | None = None) -> list[list[object]]:
    counts = Counter(values)
    keys = order if order is not None else sorted(counts, key=lambda k: (k == NOT_RECORDED, -counts[k], k))
    return [[name, key, counts[key], round(100.0 * counts[key] / n, 1) if n else None] for key in keys if counts[key]]


def _text(value: object) -> str:
    return NOT_RECORDED if value is None or str(value).strip() == "" else str(value).strip()


def baseline_table(data: StudyData, stats: CohortStats) -> pd.DataFrame:
    """Baseline characteristics of the analysed patients: age median (range); sex, etiology, BCLC, ECOG,
    Child-Pugh class (as derived for ``stats``), extrahepatic disease, prior sorafenib — counts and %; the
    fields the study does not collect (``stats.collected``) are left out rather than "Not recorded 100%"."""
    by_id = {s.subject_id: s for s in data.subjects}
    outcomes = stats.subjects
    people = [by_id[o.subject_id] for o in outcomes]
    n = len(people)
    ages = [s.age for s in people if s.age is not None]
    age = f"median {statistics.median(ages):g} (range {min(ages)}–{max(ages)})" if ages else NOT_RECORDED
    rows: list[list[object]] = [
        ["Patients analysed", "", n, 100.0 if n else None],
        ["Age, years", age, len(ages), None],
    ]
    has = stats.collected or Collected.everything()  # a field the study does not collect gets no row (issue 23)
    rows += _categorical("Sex", [_text(s.sex) for s in people], n)
    if has.etiology:
        rows += _categorical("Etiology", [_text(s.etiology) for s in people], n)
    if has.bclc:
        bclc = [_text(s.bclc_stage) for s in people]
        rows += _categorical("BCLC stage", bclc, n, sorted(set(bclc), key=lambda k: (k == NOT_RECORDED, k)))
    if has.ecog:
        ecog = [_text(s.ecog) for s in people]
        rows += _categorical("ECOG", ecog, n, sorted(set(ecog), key=lambda k: (k == NOT_RECORDED, k)))
    if has.child_pugh:
        classes = [o.child_pugh or "Unknown" for o in outcomes]
        rows += _categorical("Child-Pugh class", classes, n, ["A", "B", "C", "Unknown"])
    if has.extrahepatic:
        extra = ["Yes" if s.extrahepatic else "No" if s.extrahepatic is False else NOT_RECORDED for s in people]
        rows += _categorical("Extrahepatic disease", extra, n, ["Yes", "No", NOT_RECORDED])
    if has.prior_sorafenib:
        rows += _categorical("Prior sorafenib", [_text(s.prior_sorafenib) for s in people], n)
    frame = pd.DataFrame(rows, columns=["Characteristic", "Category", "n", "%"])
    frame["n"] = frame["n"].astype("Int64")
    return frame


TOXICITY_COLUMNS = {
    "term": "Term",
    "soc": "System organ class",
    "any_grade": "Any grade",
    "pct_any": "Any grade %",
    "grade3": "Grade 3",
    "grade4": "Grade 4",
    "grade5": "Grade 5",
    "pct_grade3plus": "Grade ≥3 %",
    "attributable_grade3plus": "Attributable grade ≥3",
    "ungraded": "Ungraded",
}


SEVERITY_COLUMNS = {
    "term": "Term",
    "soc": "System organ class",
    "any_grade": "Patients",
    "pct_any": "Patients %",
    "mild": "Worst severity mild",
    "moderate": "Worst severity moderate",
    "severe": "Worst severity severe",
}


def toxicity_frame(stats: CohortStats) -> pd.DataFrame:
    """Patients by worst CTCAE grade per term (the ``stats --json`` toxicity rows), most frequent first; by
    worst severity instead when no event carries a grade (:func:`~hccreview.domain.ctcae.carries_grades`: a
    table of "Grade 3: 0" would be no finding, issue 23)."""
    columns = TOXICITY_COLUMNS if carries_grades(stats.toxicity) or not stats.toxicity else SEVERITY_COLUMNS
    frame = pd.DataFrame(stats.toxicity, columns=list(columns))
    return frame.rename(columns=columns)


LAB_TOXICITY_COLUMNS = {
    "term": "Term",
    "source": "Source",
    "soc": "System organ class",
    "n_tested": "Patients tested",
    "any_grade": "Any grade",
    "pct_any": "Any grade %",
    "grade1": "Grade 1",
    "grade2": "Grade 2",
    "grade3": "Grade 3",
    "grade4": "Grade 4",
    "pct_grade3plus": "Grade ≥3 %",
}


def lab_toxicity_frame(stats: CohortStats) -> pd.DataFrame:
    """Patients by worst post-baseline CTCAE v5.0 grade of their laboratory values per term (the ``stats --json``
    ``lab_toxicity`` rows), each row labelled with its source ("laboratory (CTCAE v5.0 from LB)"): graded from LB,
    beside the reported adverse events, never merged with them (issue 23)."""
    frame = pd.DataFrame(stats.lab_toxicity, columns=list(LAB_TOXICITY_COLUMNS))
    return frame.rename(columns=LAB_TOXICITY_COLUMNS)


def _agreement_row(name: str, block: Mapping[str, Any] | None) -> list[object] | None:
    """One row of :func:`agreement_frame` from a ``stats --json`` agreement block (Any: a JSON object)."""
    if not block:
        return None
    lo, hi = block.get("kappa_ci95") or (None, None)
    ci = "—" if lo is None or hi is None else f"{lo:.2f} to {hi:.2f}"
    readers = block.get("readers")
    label = f"{name} ({' vs '.join(readers)})" if readers else name
    return [label, block.get("n"), block.get("n_agree"), block.get("percent_agreement"), block.get("kappa"), ci,
            block.get("n_discordant")]  # fmt: skip


def agreement_frame(stats: CohortStats) -> pd.DataFrame:
    """Reader agreement (percent, Cohen's κ with its Wald 95% CI, discordant patients): central reader vs
    central reader, and investigator vs adjudicated central review."""
    rows = [
        _agreement_row("Central readers", stats.reader_agreement),
        _agreement_row("Investigator vs adjudicated central", stats.investigator_vs_central),
    ]
    columns = ["Comparison", "Patients", "Agree", "% agreement", "Cohen's κ", "κ 95% CI", "Discordant"]
    frame = pd.DataFrame([r for r in rows if r is not None], columns=columns)
    for col in ("Patients", "Agree", "Discordant"):
        frame[col] = frame[col].astype("Int64")
    return frame
