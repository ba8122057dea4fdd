"""The rules a report was computed with, in words: the settings list of the title page and the methods page.

The wording follows the rules as implemented in ``hccreview.domain`` (RECIST 1.1 / mRECIST, endpoints,
Child-Pugh, CTCAE, sources and discordance) and the study's settings (the ``study`` block of ``stats --json``).
It is written for a reader of the report: each rule is stated in words and cites its published source (the
RECIST 1.1 section or table, the FDA guidance, the paper) — never a program, its option names or its issues.
"""

from __future__ import annotations

from typing import Any

from hccreview.domain.ctcae import carries_grades
from hccreview.domain.sources import Source
from hccreview.report import pdf_text as t
from hccreview.report.pdf_format import child_pugh_variant_words, origin_words
from hccreview.report.pdf_layout import Piece

_ALBUMIN = {
    "albumin-2.8": "> 3.5 / 2.8–3.5 / < 2.8 g/dL",
    "albumin-3.0": "> 3.5 / 3.0–3.5 / < 3.0 g/dL",
}


def _origin(study: dict[str, Any]) -> str:
    return f"the date of {origin_words(str(study.get('origin')))}"


def _albumin(study: dict[str, Any]) -> str:
    variant = str(study.get("child_pugh_variant"))
    return _ALBUMIN.get(variant, child_pugh_variant_words(variant))


def _schedule(study: dict[str, Any]) -> str:
    interval = study.get("assessment_interval_days")
    if not interval:
        return "not defined (no missed-assessment censoring rule)"
    return (f"every {interval} days (window ±{study.get('assessment_window_days', 0)} days); PFS censored at the "
            f"last adequate assessment when the event follows {study.get('missed_assessments_for_censoring', 2)} "
            "or more missed assessments")  # fmt: skip


def _between(study: dict[str, Any]) -> str:
    """What may lie between a response and its confirmation, in words."""
    ne = study.get("max_nr_ne")
    ne_text = "no NE" if not ne else f"at most {ne} NE"
    sd_text = "an SD allowed" if study.get("accept_sd") else "no SD"
    return f"{ne_text} and {sd_text} between"


def settings_pairs(study: dict[str, Any], *, child_pugh: bool = True) -> list[tuple[str, str]]:
    """The study settings as label / value pairs (title pages), in words; without the Child-Pugh table variant
    when the study records no Child-Pugh assessment (``child_pugh`` False, issue 23)."""
    return [
        ("Response criteria", str(study.get("criteria"))),
        ("Confirmation of CR / PR", f"the same or a better response ≥{study.get('confirmation_days')} days later, "
                                    f"with {_between(study)}"),
        ("Minimum duration of SD", f"≥{study.get('min_sd_days')} days after the origin"),
        ("Origin of time-to-event endpoints", _origin(study)),
        ("Assessment schedule", _schedule(study)),
        *([("Child-Pugh albumin points", f"{_albumin(study)} (1 / 2 / 3 points)")] if child_pugh else []),
        ("Discordant progression dates", f"differ by more than {study.get('discordance_pd_days', 0)} days"),
    ]  # fmt: skip


def _response_rules(study: dict[str, Any]) -> list[str]:
    criteria = str(study.get("criteria"))
    conf = study.get("confirmation_days")
    out = []
    if criteria == "mRECIST":
        out.append("Response criteria: mRECIST for hepatocellular carcinoma (Lencioni & Llovet, Semin Liver Dis "
                   "2010;30:52–60): the RECIST 1.1 arithmetic on the longest diameter of the viable (arterially "
                   "enhancing) part of each intrahepatic target lesion; PD = ≥20% increase over the nadir without "
                   "the 5 mm absolute rule; CR = no intratumoural arterial enhancement in any target.")  # fmt: skip
    else:
        out.append("Response criteria: RECIST 1.1 (Eisenhauer et al., Eur J Cancer 2009;45:228–247). Measurable: "
                   "longest diameter ≥10 mm, lymph nodes ≥15 mm short axis (§3.1.1); at most 5 target lesions, 2 "
                   "per organ (§4.2). Target sum = longest diameters of non-nodal targets + short axes of nodal "
                   "targets. Target response (§4.3.1): PR = sum ≥30% below the baseline sum; PD = sum ≥20% and "
                   "≥5 mm above the smallest sum so far (baseline included); a lesion too small to measure counts "
                   "5 mm, one that has disappeared 0 mm (§4.3.2). Unequivocal progression of non-target disease or "
                   "a new lesion is PD (§4.3).")  # fmt: skip
    out += [
        f"Best overall response with confirmation (RECIST 1.1 §4.4, Table 3, and §4.6): a CR or PR counts only "
        f"when the same or a better response is seen again at least {conf} days later, with {_between(study)} "
        "the response and its confirmation. A PR followed by a CR confirms the PR.",
        "A CR followed by a PR (RECIST 1.1 Table 3, footnote a) confirms neither: a CR is confirmed only by a "
        "later CR, and a PR is not confirmed across the CR. The best overall response then falls back to SD "
        "(when the minimum duration of SD was met) or to the later assessments.",
        f"SD (and NON-CR/NON-PD) needs the minimum duration: an assessment at least {study.get('min_sd_days')} "
        "days after the origin; an unconfirmed CR or PR then gives SD, otherwise PD or NE. Assessments after the "
        "first PD do not count; two responses on one date count once, as the worse. A patient without an "
        "assessment on or after the origin has best response MISSING.",
    ]
    return out


def _endpoint_rules(study: dict[str, Any]) -> list[str]:
    return [
        f"Origin: {_origin(study)}; day of origin = day 0; months = days / 30.4375. Analysis population: patients "
        "who reached the origin (screen failures excluded). A partial date is imputed to the last day of its period.",
        "PFS (FDA 2018 endpoint guidance): event = first documented PD or death from any cause, whichever is "
        "earlier. No event → censored at the last adequate tumour assessment (NE, MISSING and PENDING are not "
        "adequate); no post-baseline assessment → censored at the origin (day 0). Assessment schedule: "
        f"{_schedule(study)}.",
        "OS: event = death from any cause; otherwise censored at the last date known alive (the latest follow-up, "
        "assessment, cycle, adverse-event or laboratory date).",
        "Duration of response: from the first CR/PR of a confirmed response to PD or death, censored as PFS.",
    ]


def _ci_method(stats: dict[str, Any]) -> str:
    """The CI method of the medians without the name of the program that computed it."""
    methods = stats.get("methods") or {}
    text = str(methods.get("km_ci_method") or stats["pfs"].get("ci_method", ""))
    return text.split(",")[0].strip()


def _statistics(stats: dict[str, Any]) -> list[str]:
    """The statistics bullets; the Child-Pugh one only when the study records Child-Pugh, the adverse-event one
    by severity when the data carry no CTCAE grade (issue 23)."""
    has = stats.get("collected") or {}
    out = [
        "ORR = confirmed CR + PR; DCR = CR + PR + SD + NON-CR/NON-PD; the denominator is the analysis population "
        "(NE, MISSING and PENDING count as non-responders). 95% confidence intervals of proportions: exact "
        "(Clopper–Pearson).",
        "Kaplan–Meier estimates. Median = first time the estimate is ≤ 0.5 (NR when not reached); 95% CI of the "
        f"median from the pointwise confidence band, transform {_ci_method(stats)}. Other programs default to "
        "other transforms (R's survfit uses the log transform), so CIs of the same median can differ between "
        "tools. Number at risk at t = patients whose time is ≥ t.",
        "Child-Pugh class at baseline (Pugh et al., Br J Surg 1973;60:646–649, INR in place of prothrombin time): "
        f"bilirubin < 2 / 2–3 / > 3 mg/dL; albumin {_albumin(stats['study'])}; INR < 1.7 / 1.7–2.3 / > 2.3; "
        "ascites none / mild / moderate–severe; encephalopathy none / grade 1–2 / grade 3–4 → 1 / 2 / 3 points; "
        "5–6 = A, 7–9 = B, 10–15 = C. Classes compared with the log-rank test.",
        "Adverse events: CTCAE v5.0 terms grouped by MedDRA system organ class; patients counted once per term at "
        "their worst grade; attributable = possible, probable or definite.",
    ]
    if not has.get("child_pugh", True):
        out = [line for line in out if not line.startswith("Child-Pugh")]
    if not carries_grades(stats.get("toxicity") or []) and stats.get("toxicity"):
        out[-1] = ("Adverse events: terms in MedDRA capitalisation, grouped by system organ class. The data carry no "
                   "CTCAE grade: patients are counted once per term at their worst severity (mild / moderate / "
                   "severe).")  # fmt: skip
    return out


def _review_rules(stats: dict[str, Any], has_adjudication: bool) -> list[str]:
    study = stats["study"]
    out = [
        f"Read source of the figures: {Source.parse(stats['source']).label()}. The adjudicated central review "
        "takes, per patient, the read the adjudicator chose; else the read the data transfer marks as accepted; "
        "else the only central reader's read; else the central readers' reads where they agree; otherwise the "
        "patient is PENDING. The investigator source uses the investigator's stated responses; the computed "
        "source, the responses derived from the measurements by the rules above.",
    ]
    if has_adjudication:
        out.append(
            "Adjudication (blinded independent central review, two readers plus an adjudicator): a case is "
            "discordant when the two readers' confirmed best overall responses differ or their dates of first "
            f"progression differ by more than {study.get('discordance_pd_days', 0)} days. Reader agreement: percent "
            "agreement and Cohen's kappa with its Wald 95% CI; investigator vs central progression timing: early and "
            "late discrepancy rates (Amit et al., Eur J Cancer 2011;47:1772–1778)."
        )
    out.append(
        "Provenance: the SHA-256 on the title page is computed over every data table, the study settings and the "
        "audit trail of the study file; the audit chain head is the hash of the newest audit entry (each entry "
        "hashes its predecessor, 21 CFR Part 11 §11.10(e)). The program's verify command re-checks the chain."
    )
    return out


def methods_pieces(stats: dict[str, Any], *, has_adjudication: bool) -> list[Piece]:
    """The methods section: criteria, confirmation, censoring, CI methods, Child-Pugh, CTCAE, sources."""
    study = stats["study"]
    pieces = t.title("Methods", section="Methods", anchor="Methods")
    pieces += t.heading("Tumour response", space_before=0.0)
    pieces += t.bullets(_response_rules(study), size=8.5)
    pieces += t.heading("Endpoints and censoring")
    pieces += t.bullets(_endpoint_rules(study), size=8.5)
    pieces += t.heading("Statistics")
    pieces += t.bullets(_statistics(stats), size=8.5)
    pieces += t.heading("Read sources, adjudication and provenance")
    pieces += t.bullets(_review_rules(stats, has_adjudication), size=8.5)
    return pieces


__all__ = ["methods_pieces", "settings_pairs"]
