"""The cohort summary's "Open queries" section (repeated header on a long listing) and the reason-code table of
its adjudication section, read back with pypdf (issue 12 items 3-4)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pypdf = pytest.importorskip("pypdf")

from hccreview.report.pdf import write_document  # noqa: E402
from hccreview.report.pdf_layout import RunningText  # noqa: E402
from hccreview.report.pdf_queries import queries_pieces  # noqa: E402
from hccreview.services import adjudication as adj  # noqa: E402
from hccreview.services import queries as q  # noqa: E402
from hccreview.services.reporting import render_report  # noqa: E402
from tests.factories_central import R1, R2, central_study, open_as  # noqa: E402


def _pages(path: Path) -> list[str]:
    return [re.sub(r"\s+", " ", p.extract_text()) for p in pypdf.PdfReader(str(path)).pages]


def test_open_queries_section_and_reason_codes_in_the_summary(tmp_path: Path) -> None:
    path = tmp_path / "central.db"
    central_study(path).close()
    with open_as(path, "adj") as session:
        q.open_thread(session, subject_id="C03", title="PD date at week 8", text="Please confirm the scan date")
        q.open_thread(session, subject_id="C01", title="Answered one", text="Resolved later")
        q.open_thread(session, subject_id="C02", title="A comment", text="not a query", kind="comment")
        adj.adjudicate(session, subject_id="C01", chosen_reader=R1, reason="T01 re-measured", reason_code="measurement")
        adj.adjudicate(session, subject_id="C03", chosen_reader=R2, reason="scan missing", reason_code="other",
                       reason_other="week 8 images incomplete")  # fmt: skip
    with open_as(path, R1) as reader:
        answered = next(t for t in q.threads(reader, "C01"))
        q.answer(reader, query_id=answered.id, text="done")
    with open_as(path, "adj") as session:
        result = render_report(session, tmp_path / "summary.pdf")
    pages = _pages(result.path)
    text = " ".join(pages)
    assert "Open queries" in pages[0]  # in the contents
    section = next(p for p in pages if "1 open query on 1 patient" in p)
    assert "C03" in section and "PD date at week 8" in section and "adj: Please confirm the scan date" in section
    assert "Answered one" not in text and "A comment" not in text
    assert "Table 6. Decisions in force by discordance reason code" in text
    assert "Measurement variability 1" in text and "Other 1" in text and "New-lesion detection 0" in text


def test_a_long_listing_repeats_its_header_on_every_page(tmp_path: Path) -> None:
    rows = [{"query_id": i, "subject_id": f"P{i:03d}", "target": "patient", "title": f"Question {i}",
             "opened_by": "adj", "opened_at": "2024-05-01T10:00:00+00:00", "last_message_by": "adj",
             "last_message": "Please check the baseline scan date and the lesion count"}
            for i in range(1, 121)]  # fmt: skip
    out = tmp_path / "queries.pdf"
    pages = write_document(queries_pieces(rows), {}, out, running=RunningText("Title", "right", "footer"),
                           metadata={"Title": "t"})  # fmt: skip
    texts = _pages(out)
    assert pages == len(texts) >= 3
    assert "120 open queries on 120 patients" in texts[0] and "Open queries by patient Query Patient On" in texts[0]
    for text in texts[1:]:
        assert "Open queries by patient (continued) Query Patient On Title Opened Last message" in text
    assert sum(len(re.findall(r"#\d+ P\d{3}", t)) for t in texts) == 120
