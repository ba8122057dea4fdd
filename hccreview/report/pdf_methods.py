"""The rules a report was computed with, in words: the settings list of the title page and the methods page.

The wording follows the rules as implemented in ``hccreview.domain`` (RECIST 1.1 / mRECIST, endpoints,
Child-Pugh, CTCAE, sources and discordance) and the study's settings (the ``study`` block of ``stats --json``).
"""

from __future__ import annotations

from typing import Any

from hccreview.report import pdf_text as t
from hccreview.report.pdf_layout import Piece

_ORIGINS = {"randomisation": "the randomisation date", "enrolment": "the enrolment date",
            "first_dose": "the date of the first dose"}  # fmt: skip
_ALBUMIN = {
    "albumin-2.8": ("2.8", "> 3.5 / 2.8–3.5 / < 2.8 g/dL"),
    "albumin-3.0": ("3.0", "> 3.5 / 3.0–3.5 / < 3.0 g/dL"),
}


def _schedule(study: dict[str, Any]) -> str:
    interval = study.get("assessment_interval_days")
    if not interval:
        return "not defined (no missed-assessment censoring rule)"
    return (f"every {interval} days (window ±{study.get('assessment_window_days', 0)} days); PFS censored at the "
            f"last adequate assessment when the event follows {study.get('missed_assessments_for_censoring', 2)} "
            "or more missed assessments")  # fmt: skip


def settings_pairs(study: dict[str, Any]) -> list[tuple[str, str]]:
    """The study settings as label / value pairs (title pages)."""
    albumin = _ALBUMIN.get(str(study.get("child_pugh_variant")), (None, str(study.get("child_pugh_variant"))))[1]
    sd_between = "accepted" if study.get("accept_sd") else "not accepted"
    return [
        ("Response criteria", str(study.get("criteria"))),
        ("Confirmation of CR / PR", f"≥{study.get('confirmation_days')} days later; at most {study.get('max_nr_ne')} "
                                    f"NE between; SD between {sd_between}"),
        ("Minimum duration of SD", f"≥{study.get('min_sd_days')} days after the origin"),
        ("Origin of time-to-event endpoints", _ORIGINS.get(str(study.get("origin")), str(study.get("origin")))),
        ("Assessment schedule", _schedule(study)),
        ("Child-Pugh variant", f"{study.get('child_pugh_variant')} (albumin {albumin})"),
        ("Discordant progression dates", f"differ by more than {study.get('discordance_pd_days', 0)} days"),
    ]  # fmt: skip


def _response_rules(study: dict[str, Any]) -> list[str]:
    criteria = str(study.get("criteria"))
    conf, ne = study.get("confirmation_days"), study.get("max_nr_ne")
    sd_between = "is accepted" if study.get("accept_sd") else "is not accepted (admiralonco accept_sd = FALSE)"
    out = []
    if criteria == "mRECIST":
        out.append("Response criteria: mRECIST for hepatocellular carcinoma (Lencioni & Llovet, Semin Liver Dis "
                   "2010;30:52–60): the RECIST 1.1 arithmetic on the longest diameter of the viable (arterially "
                   "enhancing) part of each intrahepatic target lesion; PD = ≥20% increase over the nadir without "
                   "the 5 mm absolute rule; CR = no intratumoural arterial enhancement in any target.")  # fmt: skip
    else:
        out.append("Response criteria: RECIST 1.1 (Eisenhauer et al., Eur J Cancer 2009;45:228–247). Target sum = "
                   "longest diameters of non-nodal targets + short axes of nodal targets; PR = sum ≥30% below "
                   "baseline; PD = sum ≥20% and ≥5 mm above the nadir, unequivocal non-target progression or a new "
                   "lesion; a lesion too small to measure counts 5 mm, a disappeared one 0 mm.")  # fmt: skip
    out += [
        f"Best overall response with confirmation (RECIST 1.1 §4.4): a CR or PR counts only when the same or a "
        f"better response is seen again ≥{conf} days later, with at most {ne} NE between; SD between {sd_between}. "
        "PR followed by CR confirms PR.",
        "CR followed by PR (RECIST 1.1 Table 3 footnote a; admiralonco issues #275 / #244): as admiralonco does by "
        "default, a PR after a CR breaks the confirmation — a CR needs a later CR, and a PR is not confirmed "
        "across a CR followed by a PR; the best response then falls back to SD (minimum duration met) or to the "
        "later assessments.",
        f"SD and NON-CR/NON-PD need the minimum duration of ≥{study.get('min_sd_days')} days after the origin; an "
        "unconfirmed CR/PR gives SD when that duration was met, else PD or NE. Assessments after the first PD do "
        "not count; two responses on one date count once, as the worse. A patient without an assessment on or "
        "after the origin has best response MISSING.",
    ]
    return out


def _endpoint_rules(study: dict[str, Any]) -> list[str]:
    origin = _ORIGINS.get(str(study.get("origin")), str(study.get("origin")))
    return [
        f"Origin: {origin}; day of origin = day 0; months = days / 30.4375. Analysis population: patients who "
        "reached the origin (screen failures excluded). A partial date is imputed to the last day of its period.",
        "PFS (FDA 2018 endpoint guidance): event = first documented PD or death from any cause, whichever is "
        "earlier. No event → censored at the last adequate tumour assessment (NE, MISSING and PENDING are not "
        "adequate); no post-baseline assessment → censored at the origin (day 0). Assessment schedule: "
        f"{_schedule(study)}.",
        "OS: event = death from any cause; otherwise censored at the last date known alive (the latest follow-up, "
        "assessment, cycle, adverse-event or laboratory date).",
        "Duration of response: from the first CR/PR of a confirmed response to PD or death, censored as PFS.",
    ]


def _statistics(stats: dict[str, Any]) -> list[str]:
    methods = stats.get("methods") or {}
    km_ci = methods.get("km_ci_method") or stats["pfs"].get("ci_method", "")
    variant = str(stats["study"].get("child_pugh_variant"))
    albumin = _ALBUMIN.get(variant, (None, variant))[1]
    return [
        "ORR = confirmed CR + PR; DCR = CR + PR + SD + NON-CR/NON-PD; the denominator is the analysis population "
        "(NE, MISSING and PENDING count as non-responders). 95% CIs of proportions: Clopper–Pearson exact "
        f"({methods.get('proportion_ci_method', 'scipy.stats.binomtest')}).",
        "Kaplan–Meier estimates (lifelines KaplanMeierFitter). Median = first time the estimate is ≤ 0.5 (NR when "
        f"not reached); 95% CI of the median from the pointwise band, method: {km_ci}. R's survfit defaults to the "
        "log transform, so CIs of the same median differ between tools. Number at risk at t = patients whose "
        "time is ≥ t.",
        "Child-Pugh class at baseline (Pugh et al., Br J Surg 1973;60:646–649, INR in place of prothrombin time): "
        f"bilirubin < 2 / 2–3 / > 3 mg/dL; albumin {albumin} (variant {variant}); INR < 1.7 / 1.7–2.3 / > 2.3; "
        "ascites none / mild / moderate–severe; encephalopathy none / grade 1–2 / grade 3–4 → 1 / 2 / 3 points; "
        "5–6 = A, 7–9 = B, 10–15 = C. Subgroups compared with the log-rank test (lifelines "
        "multivariate_logrank_test).",
        "Adverse events: CTCAE v5.0 terms grouped by MedDRA system organ class; patients counted once per term at "
        "their worst grade; attributable = possible, probable or definite.",
    ]


def _review_rules(stats: dict[str, Any], has_adjudication: bool) -> list[str]:
    study = stats["study"]
    out = [
        f"Read source of the figures: {stats['source']}. Adjudicated = the read chosen by the adjudicator; else "
        "the source's accepted-read flags; else a single central reader; else the central readers' reads when "
        "they agree; otherwise PENDING. Investigator = the investigator's stated responses; computed = responses "
        "derived by the rules engine from the measurements.",
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
        "hashes its predecessor, 21 CFR Part 11 §11.10(e)). `hccreview verify` checks the chain."
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
