"""The head of every document's first page — kicker, study title, protocol and criteria — and the provenance
block (which data, which program, who, the SHA-256 of the review data and the audit chain head; 21 CFR Part 11
§11.10(e)): the cohort summary and the case packet print the same lines in the same order."""

from __future__ import annotations

from hccreview.report import pdf_text as t
from hccreview.report.pdf_data import Provenance
from hccreview.report.pdf_format import day, utc_stamp
from hccreview.report.pdf_layout import Piece
from hccreview.report.pdf_table import key_values

KICKER_COLOUR = "#1f4e79"


def title_pieces(kicker: str, prov: Provenance, criteria: str, *, after: float) -> list[Piece]:
    """The document kind in small capitals, the study title, then "Protocol … · criteria" (``after``: the space
    below it, in inches)."""
    pieces = t.paragraph(kicker, size=10, bold=True, colour=KICKER_COLOUR, after=0.04)
    pieces += t.paragraph(prov.study_title, size=18, bold=True, after=0.04)
    pieces += t.paragraph(f"Protocol {prov.protocol or '—'} · {criteria}", size=11, after=after)
    return pieces


def provenance_pieces(prov: Provenance) -> list[Piece]:
    """Data cut, generation time (UTC), program, author, study file, review-data digest and audit chain head."""
    return key_values([
        ("Data cut (latest date in the data)", day(prov.data_cut)),
        ("Generated", utc_stamp(prov.generated_at)),
        ("Program", f"hccreview {prov.program_version}"),
        ("Author", prov.author),
        ("Study file", prov.file_name),
        ("SHA-256 of the review data", prov.review_digest),
        (f"Audit chain head (entry {prov.audit_entries})", prov.audit_head or "— (empty audit trail)"),
    ], size=8.0)  # fmt: skip
