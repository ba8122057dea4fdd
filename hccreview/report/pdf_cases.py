"""The adjudication meeting's case packet as layout pieces (issue 9 item 2): a cover page listing the cases,
then one section per patient — baseline, timeline, lesion table with sums and % change per reader, every
read's responses side by side, spider plot, adverse events of grade ≥3 and an empty decision box.

Figures are drawn by the builders of the case view (:func:`hccreview.report.figures.build_timeline`,
:func:`~hccreview.report.figures.build_spider`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from hccreview.report import pdf_text as t
from hccreview.report.figures import build_spider, build_timeline
from hccreview.report.pdf_data import CasePacketInput, CaseSection, LesionLine, ReaderRead
from hccreview.report.pdf_format import day, mm, role_words, signed_pct
from hccreview.report.pdf_key_images import key_image_pieces
from hccreview.report.pdf_layout import Piece
from hccreview.report.pdf_methods import settings_pairs
from hccreview.report.pdf_table import Cell, Column, RowStyle, key_values, table
from hccreview.report.pdf_title import provenance_pieces, title_pieces

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STATUS_TEXT = {"present": "present", "absent": "absent", "too_small": "too small", "not_assessed": "NE",
               "unequivocal_progression": "PD", "equivocal": "equivocal"}  # fmt: skip
DIFFERS_FILL = "#fdecea"
SELECTIONS = {"discordant": "discordant patients (central readers disagree)", "all": "all patients"}


def _non_target_cell(others: list[LesionLine], d: date) -> str:
    """The non-target lesions at one date in a few words: "present", or the ones that are not."""
    states = [(les.lesion_id, STATUS_TEXT.get(les.statuses[d], les.statuses[d])) for les in others if d in les.statuses]
    if not states:
        return ""
    notable = [f"{lid} {state}" for lid, state in states if state != "present"]
    if not notable:
        return "all present" if len(states) > 1 else "present"
    return ", ".join(notable) + ("; others present" if len(notable) < len(states) else "")


def _lesion_label(les: LesionLine) -> str:
    where = ", ".join(x for x in (les.organ, les.site) if x)
    return f"{les.lesion_id} ({where}{', node' if les.is_node else ''})" if where else les.lesion_id


def _lesion_table(read: ReaderRead) -> list[Piece]:
    """Rows = assessment dates; columns = the size each target counts (mm), the sum and its % change from
    baseline and nadir, the non-target state, new lesions and the rules engine's response."""
    targets = [les for les in read.lesions if les.kind == "target"]
    others = [les for les in read.lesions if les.kind == "non-target"]
    new = [les for les in read.lesions if les.kind == "new"]
    points = {tp.date: tp for tp in read.timepoints}
    dates = sorted({d for les in read.lesions for d in (*les.sizes, *les.statuses)} | set(points))
    if not dates:
        return t.paragraph(f"{read.reader}: no measurements.", size=8.0)
    columns = [Column("Date")]
    columns += [Column(f"{les.lesion_id}\n{les.organ or 'target'}", "right") for les in targets]
    columns += [Column("Sum mm", "right"), Column("vs BL", "right"), Column("vs nadir", "right"),
                Column("Non-target", max_width=1.3), Column("New", "center"), Column("Resp.", "center")]  # fmt: skip
    rows = []
    for d in dates:
        tp = points.get(d)
        baseline = d == read.baseline_date
        row = [day(d)]
        row += [mm(les.sizes.get(d)) if d in les.sizes else "" for les in targets]
        total = read.baseline_sum_mm if baseline else (tp.target_sum_mm if tp else None)
        row += [mm(total), "BL" if baseline else signed_pct(tp.pct_from_baseline if tp else None),
                "" if baseline else signed_pct(tp.pct_from_nadir if tp else None)]  # fmt: skip
        seen = [les.lesion_id for les in new if les.statuses.get(d) in ("present", "unequivocal_progression")]
        row += [_non_target_cell(others, d), ", ".join(seen) or ("" if baseline else "none"),
                (tp.computed or "") if tp else ""]  # fmt: skip
        rows.append(row)
    styles = {i: RowStyle(fill=DIFFERS_FILL) for i, d in enumerate(dates)
              if (tp := points.get(d)) and tp.stated and tp.computed and tp.stated != tp.computed}  # fmt: skip
    caption = f"{read_name(read)}: target lesions (mm counted), sum and % change"
    pieces = table(columns, rows, caption=caption, size=7.0, header_size=6.8, styles=styles)
    described = [_lesion_label(les) for les in (*targets, *others, *new)]
    legend = ("Lesions: " + "; ".join(described) + ". Resp. = timepoint response computed by the rules engine "
              "from these measurements (shaded where the reader stated another).")  # fmt: skip
    pieces[-2].keep_with_next = True  # the last row keeps the legend under it
    pieces[-1:-1] = [Piece(0.04, keep_with_next=True), *t.note(legend)]
    return pieces


def read_name(read: ReaderRead) -> str:
    """Whose read, in words: "Investigator", "reader1 (central reader)"."""
    role = role_words(read.role) if read.role else "read"
    if read.reader.lower() == role.lower():
        return role.capitalize()
    return f"{read.reader} ({role})"


def _side_by_side(case: CaseSection) -> list[Piece]:
    reads = case.reads
    by_reader = {r.reader: {tp.date: tp for tp in r.timepoints} for r in reads}
    dates = sorted({d for pts in by_reader.values() for d in pts})
    columns = [Column("Date"), Column("Visit", max_width=0.8)] + [Column(r.reader, "center") for r in reads]
    rows, styles = [], {}
    for i, d in enumerate(dates):
        cells, stated = [], set()
        visit = ""
        for r in reads:
            tp = by_reader[r.reader].get(d)
            if tp is None:
                cells.append("—")
                continue
            visit = visit or tp.visit
            text = tp.stated or "—"
            if tp.computed and tp.computed != tp.stated:
                text += f" (calc. {tp.computed})"
            cells.append(text)
            stated.add(tp.stated or tp.computed)
        rows.append([day(d), visit, *cells])
        if len(stated) > 1:
            styles[i] = RowStyle(fill=DIFFERS_FILL)
    bor_row = ["Best overall response", "confirmed", *[r.bor_stated or "—" for r in reads]]
    styles[len(rows)] = RowStyle(bold=True, rule_above=True)
    rows.append(bor_row)
    calc_row = ["BOR from measurements", "rules engine", *[r.bor_computed or "—" for r in reads]]
    rows.append(calc_row)
    pieces = table(columns, rows, caption="Timepoint responses of every read, side by side", size=7.5, styles=styles)
    pieces += t.note("Stated response of each read; \"calc.\" = the rules engine's response from that reader's "
                     "measurements where it differs. Shaded rows: the reads disagree.")  # fmt: skip
    rules = [f"{r.reader}: {r.bor_stated_rule}" for r in reads if r.bor_stated_rule]
    if rules:
        pieces += t.heading("How each best overall response was decided", size=9.0, space_before=0.04)
        pieces += t.bullets(rules, size=7.5, after=0.02)
    return pieces


def _adverse_events(case: CaseSection) -> list[Piece]:
    severe = [ae for ae in case.adverse_events if (ae.grade or 0) >= 3]
    pieces = t.heading("Adverse events of grade ≥3")
    if not severe:
        return pieces + t.paragraph("No adverse event of grade 3 or higher recorded.", size=8.0)
    rows = [[ae.term, str(ae.grade), day(ae.onset), day(ae.resolution), ae.attribution or "—",
             "yes" if ae.serious else "no", ae.action or "—", ae.outcome or "—"] for ae in severe]  # fmt: skip
    columns = [Column("CTCAE term", max_width=1.8), Column("Grade", "center"), Column("Onset"), Column("Resolved"),
               Column("Attribution"), Column("Serious", "center"), Column("Action"), Column("Outcome")]  # fmt: skip
    return pieces + table(columns, rows, size=7.5)


def _timeline(case: CaseSection) -> list[Piece]:
    origin = case.origin
    if origin is None:
        return t.paragraph("No timeline: no origin, cycle or assessment date.", size=8.0)

    def build(fig: Figure) -> Figure:
        return build_timeline(origin=origin, cycles=case.cycles, adverse_events=case.adverse_events,
                              assessments=case.assessments, progression=case.progression, death=case.death,
                              last_contact=case.last_contact, planned_days=case.planned_days,
                              title=f"{case.subject_id}: course from the origin", fig=fig)  # fmt: skip

    pieces = t.figure(build, 3.5)
    pieces += t.note(f"Weeks from the origin {day(origin)}; tumour assessments: {case.assessments_caption}.")
    return pieces


def _baseline(case: CaseSection) -> list[Piece]:
    pairs = case.baseline
    half = (len(pairs) + 1) // 2
    left, right = pairs[:half], pairs[half:]
    rows = []
    for i in range(half):
        a = left[i]
        b = right[i] if i < len(right) else ("", "")
        rows.append([a[0], a[1], b[0], b[1]])
    columns = [
        Column("", max_width=1.3),
        Column("", max_width=2.1),
        Column("", max_width=1.3),
        Column("", max_width=2.1),
    ]
    return table(columns, rows, header=False, zebra=True, size=7.8, caption="Baseline")


def case_pieces(case: CaseSection, number: int, total: int) -> list[Piece]:
    """One patient's section (starts on a new page)."""
    sid = case.subject_id
    pieces = t.title(f"Case {number} of {total}: {sid}", section=f"Case {sid}", anchor=f"case:{sid}")
    pieces += t.paragraph(case.summary, size=9.5, bold=True, after=0.02)
    pieces += t.paragraph(f"Status: {case.status}", size=8.5, after=0.1)
    pieces += _baseline(case)
    pieces += _timeline(case)
    for read in case.reads:
        pieces += _lesion_table(read)
    pieces += _side_by_side(case)
    spider = case.spider
    if spider:
        pieces += t.heading("Target sum over time")
        pieces += t.figure(lambda fig: build_spider(spider, title=f"{sid}: target sum, % change from baseline",
                                                    fig=fig), 3.1)  # fmt: skip
    if case.key_images is not None:
        pieces += key_image_pieces(case.key_images)
    pieces += _adverse_events(case)
    pieces += t.decision_box(case.choices, subject_id=sid)
    return pieces


def packet_pieces(inp: CasePacketInput) -> tuple[list[Piece], dict[str, int]]:
    """The whole packet: cover page with the list of cases (and their pages), then one section per case."""
    anchors: dict[str, int] = {}
    prov = inp.provenance
    pieces = title_pieces("ADJUDICATION MEETING — CASE PACKET", prov, inp.criteria, after=0.14)
    selection = SELECTIONS.get(inp.selection, f"selected patients ({inp.selection})")
    pieces += t.callout(f"{len(inp.cases)} case(s): {selection}. This packet shows every read of each case "
                        "unblinded — for the adjudication meeting only.", fill="#e8edf3", edge="#1f4e79")  # fmt: skip
    pieces += provenance_pieces(prov)
    pieces += key_values(settings_pairs(inp.settings), size=8.0)
    rows: list[list[Cell]] = [[case.subject_id, case.summary, case.status, _page(anchors, f"case:{case.subject_id}")]
                              for case in inp.cases]  # fmt: skip
    columns = [Column("Patient"), Column("In the packet because"), Column("Status", max_width=1.8),
               Column("Page", "right")]  # fmt: skip
    pieces += table(columns, rows, caption="Cases", size=7.8)
    for i, case in enumerate(inp.cases, start=1):
        pieces += case_pieces(case, i, len(inp.cases))
    return pieces, anchors


def _page(anchors: dict[str, int], key: str) -> Callable[[], str]:
    return lambda: str(anchors.get(key, ""))


__all__ = ["case_pieces", "packet_pieces", "read_name"]
