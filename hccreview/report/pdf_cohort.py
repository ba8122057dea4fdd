"""The cohort summary report as layout pieces: title page, baseline, response by source, Kaplan–Meier pages,
waterfall, swimmer, toxicity, adjudication summary and methods (issue 9 item 1).

Every number comes from the ``stats --json`` dictionary or the dashboard's frames in
:class:`~hccreview.report.pdf_data.CohortReportInput`; figures are drawn by the builders the dashboard uses
(:mod:`hccreview.report.cohort_figures`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from hccreview.domain.ctcae import NO_GRADE, carries_grades
from hccreview.domain.ctcae_labs import LAB_SOURCE
from hccreview.domain.sources import Source
from hccreview.domain.survival import KMResult
from hccreview.report import cohort_figures as cf
from hccreview.report import pdf_arms
from hccreview.report import pdf_text as t
from hccreview.report.pdf_adjudication import adjudication_pieces
from hccreview.report.pdf_data import CohortReportInput
from hccreview.report.pdf_format import (
    count_pct,
    decimal,
    median_ci,
    months,
    p_value,
    proportion_text,
)
from hccreview.report.pdf_layout import Piece
from hccreview.report.pdf_methods import methods_pieces, settings_pairs
from hccreview.report.pdf_queries import ANCHOR as QUERIES_ANCHOR
from hccreview.report.pdf_queries import queries_pieces
from hccreview.report.pdf_table import Cell, Column, RowStyle, key_values, table
from hccreview.report.pdf_title import provenance_pieces, title_pieces

KM_HEIGHT = 4.7
#: The swimmer plot in the PDF: inches per patient lane (a 7 pt label needs about 0.1 in; the rest keeps
#: neighbouring labels apart), inches for its title, time axis and legend, and the tallest figure on a page.
SWIMMER_LANE_IN = 0.16
SWIMMER_FRAME_IN = 1.5
SWIMMER_MAX_IN = 8.6
SWIMMER_LANES_PER_PAGE = int((SWIMMER_MAX_IN - SWIMMER_FRAME_IN) / SWIMMER_LANE_IN)
#: At most this many patients in the PDF's swimmer plot (responders first beyond it, as the dashboard).
SWIMMER_PDF_LANES = 6 * SWIMMER_LANES_PER_PAGE
PageRef = Callable[[], str]


def _page_ref(anchors: dict[str, int], key: str) -> PageRef:
    return lambda: str(anchors.get(key, ""))


def fit_km_to_slot(fig: Figure, height: float) -> None:
    """Give a :func:`cohort_figures.build_km` figure's risk table ~0.2 in per row within a slot ``height``
    inches tall (the builder sized it for the whole page figure)."""
    axes = {ax.get_gid(): ax for ax in fig.axes}
    plot, risk = axes.get("km-plot"), axes.get("km-risk-table")
    spec = None if plot is None else plot.get_subplotspec()
    if spec is None or risk is None:
        return
    rows = len(risk.get_yticks())
    table_h = 0.2 * rows + 0.12
    spec.get_gridspec().set_height_ratios([max(1.5, height - table_h - 1.3), table_h])


# --- title page -------------------------------------------------------------------------------------------


def headline_pairs(stats: dict[str, Any]) -> list[tuple[str, str]]:
    """ORR, DCR and the medians, as printed on the title page (the ``stats --json`` figures)."""
    n = stats["n_enrolled"]
    resp = stats["response"]
    out = [
        ("Read source", Source.parse(stats["source"]).label()),
        ("Patients analysed", f"{n} (of {stats.get('n_screened', n)} screened)"),
        ("ORR (confirmed CR + PR)", proportion_text(resp["orr"], n)),
        ("DCR (CR + PR + SD + NON-CR/NON-PD)", proportion_text(resp["dcr"], n)),
    ]
    for key, label in (("pfs", "Median PFS, months (95% CI)"), ("os", "Median OS, months (95% CI)")):
        block = stats[key]
        out.append((label, f"{median_ci(block)}; {block['events']} events, {block['censored']} censored"))
    return out


def _title_page(inp: CohortReportInput, anchors: dict[str, int], contents: list[tuple[str, str]]) -> list[Piece]:
    prov, stats = inp.provenance, inp.stats
    pieces = title_pieces("COHORT SUMMARY REPORT", prov, stats["study"]["criteria"], after=0.18)
    if stats.get("provisional_note"):
        pieces += t.callout(stats["provisional_note"])
    pieces += t.heading("Headline figures", space_before=0.04)
    pieces += key_values(headline_pairs(stats))
    pieces += t.heading("Provenance")
    pieces += provenance_pieces(prov)
    pieces += t.heading("Criteria and settings")
    pieces += key_values(settings_pairs(stats["study"], child_pugh=_child_pugh_collected(stats)), size=8.0)
    pieces += t.heading("Contents")
    half = (len(contents) + 1) // 2
    rows: list[list[Cell]] = []
    for i in range(half):
        right = contents[half + i] if half + i < len(contents) else None
        rows.append([contents[i][0], _page_ref(anchors, contents[i][1]), right[0] if right else "",
                     _page_ref(anchors, right[1]) if right else ""])  # fmt: skip
    columns = [Column("Section"), Column("Page", "right"), Column("Section"), Column("Page", "right")]
    pieces += table(columns, rows, header=False, zebra=False, size=8.5)
    return pieces


# --- baseline and response --------------------------------------------------------------------------------


def _baseline(frame: pd.DataFrame) -> list[Piece]:
    rows, styles, previous = [], {}, None
    for i, rec in enumerate(frame.itertuples(index=False)):
        name, category, n, share = rec
        rows.append([name if name != previous else "", str(category), "" if pd.isna(n) else str(int(n)),
                     "" if share is None or pd.isna(share) else decimal(share)])  # fmt: skip
        if name != previous and i:
            styles[i] = RowStyle(rule_above=True)
        previous = name
    columns = [Column("Characteristic"), Column("Category"), Column("n", "right"), Column("%", "right")]
    return table(columns, rows, caption="Table 1. Baseline characteristics of the analysis population",
                 styles=styles, zebra=False)  # fmt: skip


def _responses(inp: CohortReportInput) -> list[Piece]:
    stats = inp.stats
    frame = inp.response_table
    sources = list(frame.columns[1:])
    columns = [Column("Best overall response", max_width=1.9)] + [
        Column(f"{Source.parse(s).label()}", "right") for s in sources
    ]
    rows = [[str(v) for v in rec] for rec in frame.itertuples(index=False)]
    styles = {i: RowStyle(bold=True) for i, r in enumerate(rows) if r[0].startswith(("ORR", "DCR"))}
    n = stats["n_enrolled"]
    resp = stats["response"]
    pieces = t.paragraph(
        f"Figures of {Source.parse(stats['source']).label()}, the source of every other table: ORR "
        f"{proportion_text(resp['orr'], n)}; DCR {proportion_text(resp['dcr'], n)}. Confirmed best overall "
        "responses (RECIST 1.1 §4.4); exact (Clopper–Pearson) 95% confidence intervals.",
    )
    pieces += table(columns, rows, caption="Table 2. Best overall response and response rates by read source",
                    styles=styles, size=7.5)  # fmt: skip
    notes = [
        "Percentages of the patients analysed. ORR = confirmed CR + PR; DCR = CR + PR + SD + NON-CR/NON-PD (SD "
        f"after at least {stats['study']['min_sd_days']} days). MISSING = no assessment after the origin.",
    ]
    if "PENDING" in resp["bor_counts"]:
        notes.append("PENDING = central reads discordant and not yet adjudicated; counted as non-responders.")
    if len(sources) > 1:
        notes.append(f"Last row: patients whose best response differs from {Source.parse(sources[0]).label()}.")
    pieces += t.note(" ".join(notes))
    unconfirmed = resp.get("bor_unconfirmed_counts") or {}
    if unconfirmed:
        line = ", ".join(f"{k} {v}" for k, v in unconfirmed.items())
        pieces += t.note(f"Without the confirmation requirement, {Source.parse(stats['source']).label()}: {line}.")
    dor = stats.get("dor") or {}
    if dor.get("n"):
        pieces += t.heading("Duration of response")
        pieces += key_values([
            ("Confirmed responders", str(dor["n"])),
            ("Events / censored", f"{dor['events']} / {dor['censored']}"),
            ("Median, months (95% CI)", f"{median_ci(dor)}; {dor.get('ci_method', '')}"),
        ], size=8.0)  # fmt: skip
    return pieces


# --- survival ---------------------------------------------------------------------------------------------


def _km_page(
    title: str, km: KMResult, block: dict[str, Any], censors: dict[str, list[float]], rule: str
) -> list[Piece]:
    if not block.get("n"):
        return t.empty_section(title, "No patients to analyse.", section=title, anchor=title)
    pieces = t.title(title, section=title, anchor=title)
    pieces += t.figure(lambda fig: cf.build_km([km], title, censor_times=censors, fig=fig), KM_HEIGHT,
                       after=fit_km_to_slot)  # fmt: skip
    pieces += t.note("Kaplan–Meier estimate with its pointwise 95% band; + = censored; median and 95% CI in the "
                     f"legend ({block.get('ci_method', km.ci_method)}).")  # fmt: skip
    summary = [
        ("Patients", str(block["n"])),
        ("Events / censored", f"{block['events']} / {block['censored']}"),
        ("Median, months (95% CI)", median_ci(block)),
        ("CI method of the median", str(block.get("ci_method", km.ci_method))),
        ("Event and censoring rule", rule),
    ]
    pieces += key_values(summary, size=8.0)
    rows = [[months(r["time_months"]), str(r["at_risk"]), str(r["events_cumulative"]),
             str(r["censored_cumulative"])] for r in block.get("risk_table", [])]  # fmt: skip
    columns = [Column("Months", "right"), Column("At risk", "right"), Column("Events (cumulative)", "right"),
               Column("Censored (cumulative)", "right")]  # fmt: skip
    pieces += table(columns, rows, caption=f"Number at risk — {title.lower()}", size=7.5, fill=False)
    return pieces


_CHILD_PUGH_CONTENTS = [("PFS by Child-Pugh class", "PFS by Child-Pugh class"),
                        ("OS by Child-Pugh class", "OS by Child-Pugh class")]  # fmt: skip


def _child_pugh_collected(stats: dict[str, Any]) -> bool:
    """The study records a Child-Pugh assessment (``stats --json`` ``collected``; absent: assumed, as before)."""
    return bool((stats.get("collected") or {}).get("child_pugh", True))


def _subgroup_page(title: str, key: str, inp: CohortReportInput) -> list[Piece]:
    stats = inp.stats
    groups = stats["subgroups"]["child_pugh"]
    test = (stats["subgroups"].get("logrank") or {}).get(key)
    p = None if not test else test.get("p_value")
    curves = inp.pfs_by_child_pugh if key == "pfs" else inp.os_by_child_pugh
    censors = inp.censor_months.get(f"{key}_cp", {})
    unknown = stats["subgroups"].get("child_pugh_unknown", 0)
    if not any((groups.get(cls) or {}).get("n") for cls in ("A", "B", "C")):
        why = f" ({unknown} with unknown class)" if unknown else ""
        line = f"No subgroup analysis: no patient analysed has a Child-Pugh class at baseline{why}."
        return t.empty_section(title, line, section=title, anchor=title)
    pieces = t.title(title, section=title, anchor=title)
    pieces += t.figure(lambda fig: cf.build_km_subgroups(curves, title, logrank_p=p, censor_times=censors, fig=fig),
                       KM_HEIGHT, after=fit_km_to_slot)  # fmt: skip
    rows = []
    for cls in ("A", "B", "C"):
        g = groups.get(cls) or {}
        if not g.get("n"):
            continue
        block = g[key]
        n = block.get("n", g["n"])  # the endpoint's population (pending patients are out of PFS), not the class
        rows.append([f"Child-Pugh {cls}", str(n), f"{block['events']} / {block['censored']}", median_ci(block),
                     proportion_text(g["orr"], g["n"])])  # fmt: skip
    columns = [Column("Class"), Column("n", "right"), Column("Events / censored", "right"),
               Column("Median, months (95% CI)", "right"), Column("ORR (exact 95% CI)", "right")]  # fmt: skip
    pieces += table(columns, rows, caption=f"{title}: by class", size=7.5)
    name = str(test.get("test_name", "log-rank")).split(" (")[0] if test else "log-rank"  # the test, not the code
    detail = f" (χ² = {test['statistic']:.2f}, df = {test['df']}; {name})." if test else " (fewer than two classes)."
    text = f"Log-rank test across the classes with patients: {p_value(p)}{detail}"
    if unknown:
        text += f" {unknown} patient(s) with unknown class are left out."
    pieces += t.paragraph(text, size=8.0)
    return pieces


# --- waterfall, swimmer, toxicity -------------------------------------------------------------------------


def _waterfall(inp: CohortReportInput) -> list[Piece]:
    n = inp.stats["n_enrolled"]
    rows = inp.waterfall
    title = f"Best % change of the target sum — {Source.parse(inp.stats['source']).label()} ({len(rows)} of {n})"
    reasons = Counter(inp.waterfall_excluded.values())
    if not rows:
        why = "; ".join(f"{k} ({v})" for k, v in sorted(reasons.items()))
        line = "No patient with a measured change of the target sum" + (f" ({why})." if why else ".")
        return t.empty_section("Tumour response: waterfall", line, section="Waterfall", anchor="Waterfall")
    pieces = t.title("Tumour response: waterfall", section="Waterfall", anchor="Waterfall")
    pieces += t.figure(lambda fig: cf.waterfall_figure(rows, title=title, fig=fig), 4.6)
    pieces += t.note("Each bar is one patient's best (lowest) % change of the sum of target-lesion diameters from "
                     "baseline (RECIST 1.1 §4.3.1), coloured by confirmed best overall response; dashed lines at "
                     "+20% and −30%. Lesions of the reader whose read the source uses.")  # fmt: skip
    if reasons:
        text = "; ".join(f"{k} ({v})" for k, v in sorted(reasons.items()))
        pieces += t.paragraph(f"Not shown ({sum(reasons.values())} patients) — {text}.", size=8.0)
    return pieces


def swimmer_pieces(lanes: list[cf.SwimmerLane]) -> list[Piece]:
    """The swimmer plot section: every patient (up to :data:`SWIMMER_PDF_LANES`, responders first beyond),
    :data:`SWIMMER_LANES_PER_PAGE` lanes per page so that each label keeps its 7 pt and its own line; every
    page shares the time axis of the longest lane."""
    heading = "Time on treatment and outcome: swimmer plot"
    pages = cf.swimmer_pages(lanes, SWIMMER_LANES_PER_PAGE, SWIMMER_PDF_LANES)
    if not pages:
        return t.empty_section(heading, "No patients to show.", section="Swimmer", anchor="Swimmer")
    pieces = t.title(heading, section="Swimmer", anchor="Swimmer")
    shown = sum(len(page) for page in pages)
    x_max = max(max(lane.follow_up_end, lane.treatment_end or 0.0) for page in pages for lane in page)
    first = 1
    for page in pages:
        span = f"patients {first}–{first + len(page) - 1} of {shown}" if len(pages) > 1 else ""
        title = "Time on treatment and outcome" + (f" — {span}" if span else "")

        def build(fig: Figure, page: list[cf.SwimmerLane] = page, title: str = title) -> Figure:
            return cf.build_swimmer(page, title=title, max_lanes=len(page), keep_order=True, x_max=x_max, fig=fig)

        pieces += t.figure(build, SWIMMER_FRAME_IN + SWIMMER_LANE_IN * len(page))
        first += len(page)
    order = " Patients with a confirmed response first, then the longest on treatment." if len(lanes) > shown else ""
    capped = f" {shown} of {len(lanes)} patients shown.{order}" if len(lanes) > shown else ""
    pieces += t.note("Bars: time on treatment (first to last cycle), coloured by confirmed best overall response; "
                     "grey line: follow-up to death or last contact; markers: response onset, progression, death, "
                     f"alive and progression-free at the data cut.{capped}")  # fmt: skip
    return pieces


def _toxicity(stats: dict[str, Any]) -> list[Piece]:
    n = stats["n_enrolled"]
    rows = stats.get("toxicity") or []
    if not rows:
        return t.empty_section("Adverse events", "No adverse events recorded in the analysis population.",
                               section="Adverse events", anchor="Adverse events")  # fmt: skip
    pieces = t.title("Adverse events", section="Adverse events", anchor="Adverse events")
    if not carries_grades(rows):
        return pieces + _toxicity_by_severity(rows, n)
    body = []
    for r in rows:
        g3plus = r["grade3"] + r["grade4"] + r["grade5"]
        body.append([r["term"], r["soc"], count_pct(r["any_grade"], n), str(r["grade3"]), str(r["grade4"]),
                     str(r["grade5"]), count_pct(g3plus, n), str(r["attributable_grade3plus"])])  # fmt: skip
    columns = [Column("CTCAE term", max_width=1.6), Column("System organ class", max_width=1.6),
               Column("Any grade n (%)", "right"), Column("Grade 3", "right"), Column("Grade 4", "right"),
               Column("Grade 5", "right"), Column("Grade ≥3 n (%)", "right"),
               Column("Attributable grade ≥3", "right")]  # fmt: skip
    pieces += table(columns, body, caption=f"Table 3. Patients by worst CTCAE v5.0 grade per term (n = {n})", size=7.5)
    pieces += t.note("Patients are counted once per term, at their worst grade (not events). Attributable = "
                     "possible, probable or definite relation to study treatment. Percentages of the patients "
                     "analysed.")  # fmt: skip
    return pieces


def _toxicity_by_severity(rows: list[dict[str, Any]], n: int) -> list[Piece]:
    """The toxicity table of a delivery without CTCAE grades: it says so, and counts patients by their worst
    severity (SDTM AESEV) of each term instead of printing grade columns of zeros (issue 23)."""
    pieces = t.paragraph(f"{NO_GRADE}: patients are counted by their worst severity of each term.", size=8.0)
    body = [[r["term"], r["soc"], count_pct(r["any_grade"], n), str(r.get("mild", 0)), str(r.get("moderate", 0)),
             str(r.get("severe", 0))] for r in rows]  # fmt: skip
    columns = [Column("Term", max_width=1.8), Column("System organ class", max_width=1.8),
               Column("Patients n (%)", "right"), Column("Mild", "right"), Column("Moderate", "right"),
               Column("Severe", "right")]  # fmt: skip
    pieces += table(columns, body, caption=f"Table 3. Patients by worst severity per term (n = {n})", size=7.5)
    pieces += t.note("Patients are counted once per term, at their worst severity (not events); a patient whose "
                     "events of the term carry no severity counts under Patients only. Percentages of the patients "
                     "analysed.")  # fmt: skip
    return pieces


def _lab_toxicity(stats: dict[str, Any]) -> list[Piece]:
    """Laboratory worst grades beside the reported adverse events (issue 23): their own table, labelled with their
    source, never merged with the AE counts; nothing when the study has no gradable laboratory value."""
    rows = stats.get("lab_toxicity") or []
    if not rows:
        return []
    n = stats["n_enrolled"]
    body = [[r["term"], r["soc"], str(r["n_tested"]), count_pct(r["any_grade"], n), str(r["grade1"]),
             str(r["grade2"]), str(r["grade3"]), str(r["grade4"]), count_pct(r["grade3plus"], n)]
            for r in rows]  # fmt: skip
    columns = [Column("CTCAE term (laboratory)", max_width=1.7), Column("System organ class", max_width=1.5),
               Column("Tested", "right"), Column("Any grade n (%)", "right"), Column("Grade 1", "right"),
               Column("Grade 2", "right"), Column("Grade 3", "right"), Column("Grade 4", "right"),
               Column("Grade ≥3 n (%)", "right")]  # fmt: skip
    caption = f"Table 3b. Laboratory toxicity, {LAB_SOURCE}: patients by worst post-baseline grade per term (n = {n})"
    pieces = table(columns, body, caption=caption, size=7.5)
    pieces += t.note("Graded from the laboratory values (LB), not reported adverse events: each value converted to "
                     "the unit of the CTCAE v5.0 criteria and graded against them (ALT, AST, ALP, GGT and bilirubin "
                     "on multiples of the baseline where it was above the ULN). Baseline = last value on or before "
                     "the first dose; post-baseline = after it. Tested = patients with a graded post-baseline value "
                     "of the term. Percentages of the patients analysed.")  # fmt: skip
    return pieces


# --- the document -----------------------------------------------------------------------------------------


def cohort_pieces(inp: CohortReportInput) -> tuple[list[Piece], dict[str, int]]:
    """All pieces of the cohort summary, and the anchor map that :func:`paginate` results are copied into (the
    contents table reads page numbers from it when drawn)."""
    anchors: dict[str, int] = {}
    stats = inp.stats
    has_adjudication = inp.adjudication is not None
    contents = [
        ("Baseline characteristics", "Baseline"),
        ("Best overall response by read source", "Response"),
        ("Progression-free survival", "Progression-free survival"),
        ("Overall survival", "Overall survival"),
        *([pdf_arms.CONTENTS] if inp.arms is not None else []),
        *(_CHILD_PUGH_CONTENTS if _child_pugh_collected(stats) else []),
        ("Waterfall plot", "Waterfall"),
        ("Swimmer plot", "Swimmer"),
        ("Adverse events", "Adverse events"),
        *([("Central review and adjudication", "Adjudication")] if has_adjudication else []),
        *([("Open queries", QUERIES_ANCHOR)] if inp.queries is not None else []),
        ("Methods", "Methods"),
    ]
    pieces = _title_page(inp, anchors, contents)
    pieces += t.title("Baseline characteristics", section="Baseline", anchor="Baseline")
    pieces += _baseline(inp.baseline_table)
    pieces += t.title("Best overall response", section="Response", anchor="Response")
    pieces += _responses(inp)
    cens = inp.censor_months
    pieces += _km_page("Progression-free survival", inp.pfs, stats["pfs"], cens.get("pfs", {}),
                       "event = first documented PD or death from any cause; otherwise censored at the last adequate "
                       "tumour assessment (at the origin without one); see Methods")  # fmt: skip
    pieces += _km_page("Overall survival", inp.os, stats["os"], cens.get("os", {}),
                       "event = death from any cause; otherwise censored at the last date known alive")  # fmt: skip
    if inp.arms is not None:  # two or more arms (issue 23)
        pieces += pdf_arms.arm_pieces(inp.arms, lambda build: t.figure(build, KM_HEIGHT, after=fit_km_to_slot))
    if _child_pugh_collected(stats):  # a study without a Child-Pugh assessment gets no Child-Pugh pages
        pieces += _subgroup_page("PFS by Child-Pugh class", "pfs", inp)
        pieces += _subgroup_page("OS by Child-Pugh class", "os", inp)
    pieces += _waterfall(inp)
    pieces += swimmer_pieces(inp.swimmer)
    pieces += _toxicity(stats)
    pieces += _lab_toxicity(stats)
    if inp.adjudication is not None:
        pieces += adjudication_pieces(inp.adjudication, stats)
    if inp.queries is not None:
        pieces += queries_pieces(inp.queries)
    pieces += methods_pieces(stats, has_adjudication=has_adjudication)
    return pieces, anchors


__all__ = ["cohort_pieces", "fit_km_to_slot", "headline_pairs", "swimmer_pieces"]
