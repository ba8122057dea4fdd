"""PDF documents of a study: the cohort summary report and the adjudication meeting's case packet.

Rendered with matplotlib's :class:`~matplotlib.backends.backend_pdf.PdfPages`: vector figures drawn by the
same builders as the GUI, TrueType fonts embedded (``pdf.fonttype = 42``, set only while a document is
written), A4 portrait pages laid out by :mod:`hccreview.report.pdf_layout` with a running header (study
title, data cut, generation time) and "Page n of N" on every page, and document metadata (title, author,
subject, keywords with the data digest, creation date). Qt-free and store-free: the services layer gathers
the inputs (:mod:`hccreview.report.pdf_data`) and chooses the file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matplotlib import rc_context
from matplotlib.backends.backend_pdf import PdfPages

from hccreview.report.pdf_cases import packet_pieces
from hccreview.report.pdf_cohort import cohort_pieces
from hccreview.report.pdf_data import CasePacketInput, CohortReportInput, Provenance
from hccreview.report.pdf_format import day
from hccreview.report.pdf_layout import Piece, RunningText, paginate, render

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = ["PDF_RC", "document_metadata", "render_case_packet", "render_cohort_summary", "write_document"]

#: rcParams in force while a document is written: embedded TrueType (Type 42) fonts, compressed streams.
#: ``ps.fonttype`` too: matplotlib 3.11's PDF writer sizes its font subsets from it (256 glyphs for Type 3),
#: which would embed every font twice (ASCII, then "–", "≥", "κ", ...) and cost a font subsetting pass each.
PDF_RC: dict[RcKeyType, Any] = {
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "pdf.compression": 6,
    "font.family": "DejaVu Sans",
}

PageCallback = Callable[[int, int], None]


def document_metadata(prov: Provenance, *, kind: str, subject: str) -> dict[str, Any]:
    """The PDF Info dictionary: Title, Author, Subject, Keywords, Creator and CreationDate."""
    keywords = [kind, prov.study_title, f"protocol {prov.protocol}" if prov.protocol else "",
                f"data cut {day(prov.data_cut)}", f"sha256 {prov.review_digest}",
                f"audit head {prov.audit_head or 'none'}"]  # fmt: skip
    return {
        "Title": f"{prov.study_title} — {kind}",
        "Author": prov.author,
        "Subject": subject,
        "Keywords": "; ".join(k for k in keywords if k),
        "Creator": f"hccreview {prov.program_version}",
        "CreationDate": prov.generated_at,
    }


def _running(prov: Provenance, kind: str) -> RunningText:
    right = f"Data cut {day(prov.data_cut)} · generated {prov.generated_at:%Y-%m-%d}"
    return RunningText(prov.study_title, right, f"hccreview {prov.program_version} · {kind}")


def write_document(
    pieces: list[Piece],
    anchors: dict[str, int],
    out: str | Path,
    *,
    running: RunningText,
    metadata: dict[str, Any],
    on_page: PageCallback | None = None,
) -> int:
    """Paginate ``pieces``, copy the page numbers into ``anchors`` (read by contents tables when drawn) and
    write the pages to ``out``. Returns the page count."""
    layout = paginate(pieces)
    anchors.update(layout.anchors)
    with rc_context(PDF_RC), PdfPages(out, metadata=metadata) as pdf:
        return render(layout, running, pdf.savefig, on_page=on_page)


def render_cohort_summary(inp: CohortReportInput, out: str | Path, *, on_page: PageCallback | None = None) -> int:
    """Write the cohort summary report to ``out``; returns the page count."""
    kind = "Cohort summary report"
    pieces, anchors = cohort_pieces(inp)
    subject = (f"Cohort summary ({inp.stats['source']} source): baseline, best overall response, PFS, OS, "
               f"toxicity and central review; data cut {day(inp.provenance.data_cut)}")  # fmt: skip
    metadata = document_metadata(inp.provenance, kind=kind, subject=subject)
    return write_document(pieces, anchors, out, running=_running(inp.provenance, kind), metadata=metadata,
                          on_page=on_page)  # fmt: skip


def render_case_packet(inp: CasePacketInput, out: str | Path, *, on_page: PageCallback | None = None) -> int:
    """Write the case packet to ``out``; returns the page count."""
    kind = "Case packet"
    pieces, anchors = packet_pieces(inp)
    subject = f"Adjudication meeting case packet: {len(inp.cases)} case(s), selection {inp.selection}"
    metadata = document_metadata(inp.provenance, kind=kind, subject=subject)
    return write_document(pieces, anchors, out, running=_running(inp.provenance, kind), metadata=metadata,
                          on_page=on_page)  # fmt: skip
