"""The PDF cohort summary and case packet (issue 9): the demo study's report is rendered once per module and its
text extracted with pypdf; the figures of ``stats --json``, the provenance, page numbers, metadata, embedded
fonts, one section per discordant patient, tables split with repeated headers, and cancellation."""

from __future__ import annotations

import getpass
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pypdf = pytest.importorskip("pypdf")

from hccreview.report.pdf_layout import CONTENT_BOTTOM, Piece, paginate  # noqa: E402
from hccreview.report.pdf_table import Column, table  # noqa: E402
from hccreview.services import adjudication as adj  # noqa: E402
from hccreview.services.demo_study import build_demo_study  # noqa: E402
from hccreview.services.reporting import ReportCancelled, UnknownPatients, data_cut, render_report  # noqa: E402
from hccreview.services.session import StudySession, create_study, open_study  # noqa: E402
from hccreview.services.stats import cohort_stats  # noqa: E402
from hccreview.store.provenance import audit_head, review_digest  # noqa: E402
from hccreview.store.study_data import review_tables_digest  # noqa: E402


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@dataclass
class Rendered:
    path: Path
    pages: int
    texts: list[str]  # per page, whitespace collapsed
    reader: Any

    @property
    def text(self) -> str:
        return " ".join(self.texts)


def _read(path: Path) -> Rendered:
    reader = pypdf.PdfReader(str(path))
    texts = [_flat(p.extract_text()) for p in reader.pages]
    return Rendered(path, len(reader.pages), texts, reader)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, StudySession]]:
    path = build_demo_study(tmp_path_factory.mktemp("pdf") / "demo.db")
    with open_study(path) as session:
        yield path, session


@pytest.fixture(scope="module")
def stats(demo: tuple[Path, StudySession]) -> dict[str, Any]:
    return cohort_stats(demo[1]).to_dict()


@pytest.fixture(scope="module")
def summary(demo: tuple[Path, StudySession]) -> Rendered:
    path, session = demo
    before = review_tables_digest(session.store)
    steps: list[float] = []
    result = render_report(session, path.with_name("summary.pdf"), progress=lambda f, _t: steps.append(f))
    assert review_tables_digest(session.store) == before  # exporting writes nothing
    assert steps[0] == 0.0 and steps[-1] == 1.0 and steps == sorted(steps)
    rendered = _read(result.path)
    assert rendered.pages == result.pages and result.kind == "summary"
    return rendered


@pytest.fixture(scope="module")
def packet(demo: tuple[Path, StudySession]) -> Rendered:
    path, session = demo
    result = render_report(session, path.with_name("packet.pdf"), cases="discordant")
    assert result.kind == "packet"
    return _read(result.path)


# --- the numbers are those of stats --json ----------------------------------------------------------------


def _orr_text(block: dict[str, Any], n: int) -> str:
    lo, hi = block["ci95"]
    return f"{block['n']}/{n} = {100 * block['rate']:.1f}% (exact 95% CI {100 * lo:.1f}–{100 * hi:.1f}%)"


def _median_text(block: dict[str, Any]) -> str:
    lo, hi = block["ci95_months"]
    return f"{block['median_months']:.1f} ({lo:.1f}–{hi:.1f})"


def test_headline_figures_are_those_of_stats_json(summary: Rendered, stats: dict[str, Any]) -> None:
    n = stats["n_enrolled"]
    first = summary.texts[0]
    for key in ("orr", "dcr"):
        assert _orr_text(stats["response"][key], n) in first
    assert _orr_text(stats["response"]["orr"], n) == "4/40 = 10.0% (exact 95% CI 2.8–23.7%)"
    assert f"{_median_text(stats['pfs'])}; {stats['pfs']['events']} events" in first
    assert f"{_median_text(stats['os'])}; {stats['os']['events']} events" in first
    assert (round(stats["pfs"]["median_months"], 1), round(stats["os"]["median_months"], 1)) == (3.6, 7.6)
    assert stats["provisional_note"] in summary.text
    # the KM pages name the CI method and show the same medians in the legend and the summary
    assert summary.text.count(_median_text(stats["pfs"])) >= 2
    assert stats["pfs"]["ci_method"] in summary.text


def test_response_table_has_every_source_with_exact_cis(summary: Rendered, stats: dict[str, Any]) -> None:
    page = next(t for t in summary.texts if "Table 2. Best overall response" in t)
    for label in ("Adjudicated (central review)", "Investigator", "Computed from measurements", "Reader reader1",
                  "Reader reader2"):  # fmt: skip
        assert label in page
    lo, hi = stats["response"]["orr"]["ci95"]
    assert f"ORR exact 95% CI {100 * lo:.1f}–{100 * hi:.1f}%" in page
    assert "ORR (CR + PR) 4 (10.0%) 6 (15.0%)" in page  # adjudicated, then the investigator's 6 confirmed PRs


def test_toxicity_counts_are_those_of_stats_json(summary: Rendered, stats: dict[str, Any]) -> None:
    rows = {r["term"]: r for r in stats["toxicity"]}
    assert rows["Fatigue"]["grade3"] == 3 and rows["Rash maculo-papular"]["grade3"] == 4
    assert rows["Neutrophil count decreased"]["grade4"] == 1
    n = stats["n_enrolled"]
    for term in ("Fatigue", "Rash maculo-papular", "Neutrophil count decreased"):
        r = rows[term]
        g3plus = r["grade3"] + r["grade4"] + r["grade5"]
        line = (f"{term} {r['soc']} {r['any_grade']} ({100 * r['any_grade'] / n:.1f}%) {r['grade3']} {r['grade4']} "
                f"{r['grade5']} {g3plus} ({100 * g3plus / n:.1f}%) {r['attributable_grade3plus']}")  # fmt: skip
        assert line in summary.text, line


def test_survival_subgroups_and_adjudication_summary(summary: Rendered, stats: dict[str, Any]) -> None:
    p = stats["subgroups"]["logrank"]["pfs"]["p_value"]
    assert f"PFS by Child-Pugh class — log-rank p = {p:.3f}" in summary.text
    for row in stats["pfs"]["risk_table"][:3]:
        assert str(row["at_risk"]) in summary.text
    agreement = stats["reader_agreement"]
    assert f"{agreement['n_agree']}/{agreement['n']} ({agreement['percent_agreement']:.1f}%)" in summary.text
    assert f"{agreement['kappa']:.2f}" in summary.text
    assert "9 (23.1%) of the patients read twice (discordance rate)" in summary.text
    assert "No adjudication decision has been recorded yet." in summary.text
    methods = summary.texts[-1] + summary.texts[-2]
    for phrase in ("Clopper–Pearson", "log(-log)", "at least 28 days", "at least 42 days", "CR followed by a PR",
                   "albumin > 3.5 / 2.8–3.5 / < 2.8 g/dL"):  # fmt: skip
        assert phrase in methods, phrase


def test_title_page_provenance_and_page_numbers(summary: Rendered, demo: tuple[Path, StudySession]) -> None:
    _, session = demo
    first = summary.texts[0]
    digest, head = review_digest(session.store), audit_head(session.store)
    assert head is not None and len(digest) == 64
    assert digest in first and head in first
    assert f"Data cut (latest date in the data) {data_cut(session.data()).isoformat()}" in first
    assert "Lenalidomide after sorafenib in advanced HCC" in first and "DEMO-LEN-HCC" in first
    for i, text in enumerate(summary.texts, start=1):
        assert f"Page {i} of {summary.pages}" in text
        assert "Lenalidomide after sorafenib in advanced HCC (simulated demo)" in text  # running header
        assert "Data cut 2011-10-03" in text


def test_metadata_and_embedded_fonts(summary: Rendered, demo: tuple[Path, StudySession]) -> None:
    meta = summary.reader.metadata
    assert meta.title == "Lenalidomide after sorafenib in advanced HCC (simulated demo) — Cohort summary report"
    # nobody signed in: it says so and names the machine, never the OS account
    assert meta.author == f"hccreview command line (nobody signed in) on {socket.gethostname()}"
    assert meta.author != getpass.getuser()
    assert meta.creation_date is not None and meta.subject.startswith("Cohort summary")
    assert review_digest(demo[1].store) in meta["/Keywords"]
    fonts = {}
    for page in summary.reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            fonts[font["/BaseFont"]] = font
    assert fonts
    for name, font in fonts.items():
        assert font["/Subtype"] != "/Type3", name
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, name


# --- the case packet ----------------------------------------------------------------------------------------


def test_packet_has_one_section_per_discordant_patient(packet: Rendered, demo: tuple[Path, StudySession]) -> None:
    queue = [q.subject_id for q in adj.discordance_queue(demo[1])]
    assert len(queue) == 9
    found = re.findall(r"Case (\d+) of 9: (HCC-\d+)", packet.text)
    assert [sid for _, sid in found] == queue and [int(k) for k, _ in found] == list(range(1, 10))
    starts = [i for i, t in enumerate(packet.texts) if re.search(r"Case \d+ of 9: HCC-\d+", t)]
    assert len(starts) == 9 and len(set(starts)) == 9  # each section starts on its own page
    for i, sid in zip(starts, queue, strict=True):
        assert f"Case {sid}" in packet.texts[i]  # the running section name in the footer
    # the cover lists each case with the page its section starts on
    cover = packet.texts[0]
    for i, sid in zip(starts, queue, strict=True):
        assert re.search(rf"{sid} Discordant: .*? open: no decision recorded {i + 1}\b", cover), sid
    for i, text in enumerate(packet.texts, start=1):
        assert f"Page {i} of {packet.pages}" in text


def test_packet_section_contents(packet: Rendered) -> None:
    first = packet.texts[1]
    assert "Discordant: best overall response differs (SD vs PR)" in first
    assert "Baseline" in first and "Child-Pugh C (12 points; albumin cut-off 2.8 g/dL)" in first
    assert "Origin 2009-01-03 (first dose)" in first
    section = " ".join(packet.texts[1:4])
    for read in ("Investigator", "reader1 (central reader)", "reader2 (central reader)"):
        assert f"{read}: target lesions (mm counted), sum and % change" in section, read
    assert "Timepoint responses of every read, side by side" in section
    assert "Best overall response confirmed PR SD PR" in section
    assert "2009-04-20 WEEK 16 PR SD PR" in section
    assert "Adverse events of grade ≥3" in section
    assert "Adjudication decision — HCC-009" in section and "Read 1 (reader1)" in section
    assert "Reason:" in section and "Signature:" in section


def test_packet_of_named_patients_and_unknown_ids(demo: tuple[Path, StudySession], tmp_path: Path) -> None:
    _, session = demo
    result = render_report(session, tmp_path / "two.pdf", cases="HCC-001, HCC-009")
    assert result.cases == ["HCC-001", "HCC-009"]
    text = _read(result.path).text
    assert "Case 1 of 2: HCC-001" in text and "Central readers agree: reader1 PR, reader2 PR" in text
    with pytest.raises(UnknownPatients, match="HCC-999"):
        render_report(session, tmp_path / "bad.pdf", cases="HCC-001,HCC-999")
    assert not (tmp_path / "bad.pdf").exists()


# --- cancellation, empty studies, decisions ---------------------------------------------------------------


def test_cancel_leaves_no_file(demo: tuple[Path, StudySession], tmp_path: Path) -> None:
    _, session = demo
    out = tmp_path / "cancelled.pdf"
    with pytest.raises(ReportCancelled):
        render_report(session, out, cancel=lambda: True)
    assert list(tmp_path.iterdir()) == []
    out.write_text("an older report")
    calls = {"n": 0}

    def cancel_during_pages() -> bool:
        calls["n"] += 1
        return calls["n"] > 12  # past the data gathering, while pages are drawn

    with pytest.raises(ReportCancelled, match="page"):
        render_report(session, out, cancel=cancel_during_pages)
    assert out.read_text() == "an older report"
    assert [p.name for p in tmp_path.iterdir()] == ["cancelled.pdf"]


def test_threading_event_cancels(demo: tuple[Path, StudySession], tmp_path: Path) -> None:
    import threading

    event = threading.Event()
    event.set()
    with pytest.raises(ReportCancelled):
        render_report(demo[1], tmp_path / "x.pdf", cases="all", cancel=event)
    assert not (tmp_path / "x.pdf").exists()


def test_empty_study_renders(tmp_path: Path) -> None:
    with create_study(tmp_path / "empty.db", title="Empty study") as session:
        result = render_report(session, tmp_path / "empty.pdf")
        with pytest.raises(ValueError, match="no discordant patients"):
            render_report(session, tmp_path / "none.pdf", cases="discordant")
    text = _read(result.path).text
    assert "Empty study" in text and "0/0 = 0.0%" in text and "No patients to analyse" in text


def test_decisions_by_reason_and_signed_in_author(tmp_path: Path) -> None:
    from tests.factories_central import R1, central_study, open_as

    path = tmp_path / "central.db"
    central_study(path).close()
    with open_as(path, "adj") as session:
        adj.adjudicate(
            session,
            subject_id="C01",
            chosen_reader=R1,
            reason="reader 2 missed the new liver lesion",
            reason_code="new_lesion",
        )
        result = render_report(session, tmp_path / "central.pdf")
        packet = render_report(session, tmp_path / "central-packet.pdf", cases="discordant")
    rendered = _read(result.path)
    assert rendered.reader.metadata.author == "Dr Adj"  # the signed-in user's full name
    assert "reader 2 missed the new liver lesion 1 reader1 1 0" in rendered.text
    assert "adjudicated, not signed: reader1 chosen by adj" in _read(packet.path).text


def test_blinded_reader_is_refused(tmp_path: Path) -> None:
    from hccreview.domain.access import AccessDenied
    from tests.factories_central import central_study, open_as

    path = tmp_path / "central.db"
    central_study(path).close()
    for cases in (None, "all", "C01"):  # the cohort summary and the case packets (they show every read)
        with open_as(path, "reader1") as session, pytest.raises(AccessDenied, match="reader1"):
            render_report(session, tmp_path / "r.pdf", cases=cases)
        assert not (tmp_path / "r.pdf").exists()


# --- the layout helpers -----------------------------------------------------------------------------------


def test_long_table_splits_with_repeated_header(tmp_path: Path) -> None:
    from hccreview.report.pdf import write_document
    from hccreview.report.pdf_layout import RunningText

    rows = [[f"row {i:03d}", f"{i * 1.5:.1f}", "a longer text cell that wraps " * (1 + i % 3)] for i in range(150)]
    pieces = table([Column("Name"), Column("Value", "right"), Column("Notes", max_width=3.0)], rows,
                   caption="Table 9. A long table")  # fmt: skip
    layout = paginate(pieces)
    assert len(layout.pages) > 3
    for page in layout.pages:
        assert all(y + piece.height <= CONTENT_BOTTOM + 1e-9 for piece, y in page.placed)
    for page in layout.pages[1:]:
        assert page.placed[0][0] is pieces[2].repeat  # "continued" caption + header first
    out = tmp_path / "table.pdf"
    pages = write_document(pieces, {}, out, running=RunningText("Title", "right", "footer"),
                           metadata={"Title": "t"})  # fmt: skip
    texts = _read(out).texts
    assert pages == len(layout.pages) == len(texts)
    assert "Table 9. A long table Name Value Notes row 000" in texts[0]
    for text in texts[1:]:
        assert "Table 9. A long table (continued) Name Value Notes row" in text
    assert sum(t.count("row ") for t in texts) == 150


def test_keep_with_next_and_one_figure_per_page() -> None:
    def block(h: float, **kw: Any) -> Piece:
        return Piece(h, lambda c, y: None, **kw)

    layout = paginate([block(9.5), block(0.3, keep_with_next=True), block(0.5)])
    assert [len(p.placed) for p in layout.pages] == [1, 2]  # the heading moved with its content
    from hccreview.report.pdf_layout import FigureSlot

    fig = FigureSlot(lambda f: None)
    layout = paginate([Piece(1.0, figure=fig), Piece(1.0, figure=fig)])
    assert len(layout.pages) == 2


def test_report_package_is_qt_and_store_free() -> None:
    code = ("import sys, hccreview.report.pdf; "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'hccreview.store', 'hccreview.services'))]; "
            "print(bad)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_progress_object_of_the_gui_worker_cancels(demo: tuple[Path, StudySession], tmp_path: Path) -> None:
    class Progress:  # the shape of ui.workers.Progress: report(fraction, text) and a cancelled flag
        def __init__(self) -> None:
            self.seen: list[tuple[float, str]] = []
            self.cancelled = False

        def report(self, fraction: float, text: str = "") -> None:
            self.seen.append((fraction, text))
            self.cancelled = fraction >= 0.5

    progress = Progress()
    with pytest.raises(ReportCancelled):
        render_report(demo[1], tmp_path / "p.pdf", progress=progress, cancel=progress)
    assert any(text.startswith("page ") for _, text in progress.seen)
    assert list(tmp_path.iterdir()) == []
