"""The cohort summary's central-review section: discordance, decisions by reason, reader agreement (percent,
Cohen's kappa), investigator-vs-central progression discrepancy and the list of discordant cases (DESIGN §4
"Adjudication")."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from hccreview.report import pdf_text as t
from hccreview.report.pdf_data import AdjudicationSummary
from hccreview.report.pdf_format import agree_text, count_pct, day, kappa_text, pct, percent
from hccreview.report.pdf_layout import Piece
from hccreview.report.pdf_table import Column, key_values, table


def _agreement_rows(perf: dict[str, Any]) -> list[list[str]]:
    rows = []
    for pair in perf.get("reader_pairs") or []:
        names = " vs ".join(pair.get("readers") or [])
        rows.append(
            [f"{names} (central readers)", agree_text(pair), kappa_text(pair), str(pair.get("n_discordant", "—"))]
        )
    for name, block in (perf.get("per_reader") or {}).items():
        vs = block.get("vs_adjudicated") or {}
        pending = block.get("pending", 0)
        agree = agree_text(vs) + (f"; {pending} of {block.get('patients_read')} pending" if pending else "")
        rows.append([f"{name} vs adjudicated result", agree, kappa_text(vs), "—"])
    inv = perf.get("investigator_vs_central")
    if inv:
        rows.append(["Investigator vs adjudicated central review", agree_text(inv.get("agreement")),
                     kappa_text(inv.get("agreement")), "—"])  # fmt: skip
    return rows


def _decision_rows(decisions: list[dict[str, Any]]) -> list[list[str]]:
    by_reason: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for d in decisions:
        by_reason[str(d.get("reason") or "—").strip()].append(d)
    rows = []
    for reason, items in sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        chosen = Counter(str(d.get("chosen_reader")) for d in items)
        rows.append([reason, str(len(items)), ", ".join(f"{k} {v}" for k, v in sorted(chosen.items())),
                     str(sum(bool(d.get("signed")) for d in items))])  # fmt: skip
    return rows


def _discrepancy(inv: dict[str, Any] | None) -> list[Piece]:
    if not inv or not inv.get("discrepancy"):
        return []
    d = inv["discrepancy"]
    counts = d.get("counts") or {}
    cells = d.get("cells") or {}
    pieces = t.heading("Investigator vs central review: timing of progression")
    rows = [[key, cells.get(key, ""), str(counts.get(key, 0))] for key in ("a1", "a2", "a3", "b", "c", "d")]
    pieces += table([Column("Cell"), Column("Meaning"), Column("Patients", "right")], rows, size=7.5, fill=False)
    pieces += t.paragraph(
        f"Early discrepancy rate (EDR) {pct(d.get('edr'))} = {d.get('edr_formula', '')}; late discrepancy rate "
        f"(LDR) {pct(d.get('ldr'))} = {d.get('ldr_formula', '')}; tolerance {d.get('tolerance_days', 0)} days "
        f"({d.get('reference', 'Amit et al. 2011')}).",
        size=8.0,
    )
    return pieces


def _queue_rows(queue: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for q in queue:
        a, b = q["readers"]
        status = q["status"] + (f" ({q['chosen_reader']})" if q.get("chosen_reader") else "")
        rows.append([q["subject_id"], f"{a}: {q['bor_a']}\n{b}: {q['bor_b']}",
                     f"{day(q['pd_date_a'])}\n{day(q['pd_date_b'])}", "; ".join(q["reasons"]), status])  # fmt: skip
    return rows


def adjudication_pieces(adj: AdjudicationSummary, stats: dict[str, Any]) -> list[Piece]:
    """The "Central review and adjudication" section."""
    perf = adj.performance or {}
    agreement = stats.get("reader_agreement") or {}
    pairs = int(agreement.get("n") or adj.central_cases)
    pieces = t.title("Central review and adjudication", section="Adjudication", anchor="Adjudication")
    pending = "—" if adj.pending is None else str(adj.pending)
    pieces += key_values([
        ("Patients with central review", f"{adj.central_cases} ({pairs} read by two central readers)"),
        ("Discordant cases",
         f"{count_pct(adj.counts.discordant, pairs)} of the patients read twice (discordance rate)"),
        ("Awaiting adjudication", pending),
        ("Adjudication", adj.counts.text),
    ])  # fmt: skip
    columns = [Column("Comparison"), Column("Agreement", "right"), Column("Cohen's κ (95% CI)", "right"),
               Column("Discordant", "right")]  # fmt: skip
    pieces += table(columns, _agreement_rows(perf), caption="Table 4. Agreement of confirmed best overall response",
                    size=7.5)  # fmt: skip
    pieces += t.note("Agreement on the confirmed best overall response category; κ = Cohen's kappa with its Wald "
                     "95% CI. Discordant = best response or date of first progression differs (adjudication "
                     "rule, Methods).")  # fmt: skip
    per_reader = perf.get("per_reader") or {}
    if per_reader:
        rows = [[name, str(b.get("adjudicated_cases", 0)), str(b.get("chosen", 0)),
                 percent(b.get("chosen_percent"))]
                for name, b in per_reader.items()]  # fmt: skip
        pieces += table([Column("Central reader"), Column("Adjudicated cases", "right"), Column("Read chosen", "right"),
                         Column("Chosen %", "right")], rows, caption="Table 5. Whose read the adjudicator chose",
                        size=7.5, fill=False)  # fmt: skip
    pieces += t.heading("Adjudication decisions by reason")
    decisions = _decision_rows(adj.decisions)
    if decisions:
        pieces += table([Column("Reason given", max_width=3.6), Column("Decisions", "right"), Column("Read chosen"),
                         Column("Signed", "right")], decisions, size=7.5)  # fmt: skip
    else:
        pieces += t.paragraph("No adjudication decision has been recorded yet.", size=8.5)
    if adj.reason_codes:
        caption = "Table 6. Decisions in force by discordance reason code"
        pieces += table([Column("Discordance reason code"), Column("Decisions", "right")],
                        [[label, str(n)] for label, n in adj.reason_codes], caption=caption, size=7.5,
                        fill=False)  # fmt: skip
        pieces += t.note("Reason codes: categories of disagreement between the blinded central readers; 'other' "
                         "carries the adjudicator's free text. A decision recorded before codes existed is 'not "
                         "recorded'.")  # fmt: skip
    pieces += _discrepancy(perf.get("investigator_vs_central"))
    pieces += t.heading("Discordant cases")
    if adj.queue:
        columns = [Column("Patient"), Column("Best overall response"), Column("First PD"),
                   Column("Why discordant", max_width=2.4), Column("Status")]  # fmt: skip
        pieces += table(columns, _queue_rows(adj.queue), size=7.5)
    else:
        pieces += t.paragraph("No discordant case.", size=8.5)
    return pieces


__all__ = ["adjudication_pieces"]
