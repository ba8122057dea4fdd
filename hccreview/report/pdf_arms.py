"""The cohort summary's comparison of arms (issue 23): with two or more arms, one section with the comparison table
the dashboard shows (per endpoint the median per arm, the Cox hazard ratio and log-rank p against the reference; ORR
per arm and its difference) and the PFS and OS curves per arm with the log-rank p across the arms on each plot.

Every number comes from :class:`~hccreview.report.pdf_data.ArmComparisonInput`, built from ``stats --json``
``by_arm`` / ``comparisons`` (``services.reporting.cohort_input``); the curves are drawn by the dashboard's builder.
"""

from __future__ import annotations

from collections.abc import Callable

from matplotlib.figure import Figure

from hccreview.report import cohort_figures as cf
from hccreview.report import pdf_text as t
from hccreview.report.pdf_data import ArmComparisonInput
from hccreview.report.pdf_layout import Piece
from hccreview.report.pdf_table import Column, RowStyle, table

TITLE = "Comparison of arms"
ANCHOR = "Arms"
#: (section title, anchor) of the contents table.
CONTENTS = (TITLE, ANCHOR)
FigureSlot = Callable[[Callable[[Figure], object]], list[Piece]]


def arm_pieces(arms: ArmComparisonInput, figure: FigureSlot) -> list[Piece]:
    """The section: title, what is compared and how, the table, then PFS and OS by arm (``figure`` makes a KM
    slot the size of the report's other KM figures)."""
    pieces = t.title(TITLE, section=ANCHOR, anchor=ANCHOR)
    others = [r[1] for r in arms.rows if r[0] == arms.rows[0][0] and r[1] != arms.reference]
    unassigned = (f" {arms.unassigned} analysed patient(s) without an arm count in the overall figures only."
                  if arms.unassigned else "")  # fmt: skip
    pieces += t.paragraph(
        f"Each arm against the reference arm, {arms.reference}: {', '.join(others)}. Arms {arms.grouping}.{unassigned}",
        size=8.5,
    )
    columns = [Column("Endpoint"), Column("Arm", max_width=1.9), Column("n", "right"),
               Column("Estimate (95% CI)", "right"), Column("vs reference (95% CI)", "right", max_width=1.9),
               Column("Log-rank p", "right")]  # fmt: skip
    styles = {i: RowStyle(rule_above=True) for i in range(1, len(arms.rows)) if arms.rows[i][0] != arms.rows[i - 1][0]}
    pieces += table(columns, arms.rows, caption="Arms compared with the reference", size=7.5, styles=styles)
    pieces += t.note(
        "Medians: Kaplan–Meier, 95% CI log(-log). HR: Cox proportional hazards on the arm indicator alone (lifelines "
        "CoxPHFitter, Efron ties), 95% Wald CI; not estimable when an arm has no event or the fit has no finite "
        "estimate. Log-rank p: the arm against the reference (two-sample test). ORR: exact (Clopper–Pearson) 95% CI; "
        "difference from the reference in percentage points with Newcombe's hybrid score 95% CI (statsmodels). The "
        "p value on each plot is the log-rank test across all arms."
    )
    for key, title in (("pfs", "Progression-free survival by arm"), ("os", "Overall survival by arm")):
        curves = arms.pfs if key == "pfs" else arms.os
        p, censors = arms.logrank_p.get(key), arms.censors.get(key, {})

        def build(fig: Figure, curves=curves, title=title, p=p, censors=censors) -> object:
            return cf.build_km(curves, title, show_ci=False, logrank_p=p, censor_times=censors, fig=fig)

        pieces += t.heading(title)
        pieces += figure(build)
    return pieces


__all__ = ["ANCHOR", "CONTENTS", "TITLE", "arm_pieces"]
