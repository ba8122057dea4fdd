"""The cohort summary's "Open queries" section: one row per open query, the header repeated on every page the
table runs onto (``pdf_table.table``). Input: ``services.queries.ListingRow.as_dict()`` rows."""

from __future__ import annotations

from typing import Any

from hccreview.report import pdf_text as t
from hccreview.report.pdf_layout import Piece
from hccreview.report.pdf_table import Column, table

ANCHOR = "Open queries"


def _row(q: dict[str, Any]) -> list[str]:
    last = f"{q.get('last_message_by', '')}: {q.get('last_message', '')}" if q.get("last_message") else "—"
    return [f"#{q['query_id']}", str(q["subject_id"]), str(q.get("target") or "patient"), str(q.get("title") or ""),
            f"{q.get('opened_by', '')}\n{str(q.get('opened_at') or '')[:10]}", last]  # fmt: skip


def queries_pieces(rows: list[dict[str, Any]]) -> list[Piece]:
    """The "Open queries" section (one line, on the page before, when there is none)."""
    if not rows:
        return t.empty_section("Open queries", "No open query.", section="Queries", anchor=ANCHOR)
    pieces = t.title("Open queries", section="Queries", anchor=ANCHOR)
    patients = len({r["subject_id"] for r in rows})
    pieces += t.paragraph(f"{len(rows)} open quer{'y' if len(rows) == 1 else 'ies'} on {patients} "
                          f"patient{'' if patients == 1 else 's'}, by patient.", size=8.5)  # fmt: skip
    columns = [Column("Query"), Column("Patient"), Column("On", max_width=1.3), Column("Title", max_width=1.8),
               Column("Opened"), Column("Last message", max_width=2.4)]  # fmt: skip
    pieces += table(columns, [_row(r) for r in rows], caption="Open queries by patient", size=7.5)
    pieces += t.note(
        "Queries answered or closed are not listed (the workstation's query listing shows every state). "
        "Threads are audited; the listing exports the same rows as CSV."
    )
    return pieces


__all__ = ["ANCHOR", "queries_pieces"]
