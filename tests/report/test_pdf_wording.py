"""The PDF read by someone who knows the rules but not the program (issue 19 item 3): Methods cite RECIST 1.1 in
words, never code, options or issue trackers; internal names stay out; an empty section is one line on a page
shared with other content; every number is printed the same way; the KM time axis has ticks every 3 or 6
months across the whole follow-up and its legend sits off the curves; swimmer labels keep 7 pt at any cohort
size."""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

pypdf = pytest.importorskip("pypdf")

from hccreview.domain.survival import kaplan_meier  # noqa: E402
from hccreview.report import cohort_figures as cf  # noqa: E402
from hccreview.report import pdf_format as fmt  # noqa: E402
from hccreview.report.pdf_cohort import (  # noqa: E402
    SWIMMER_LANES_PER_PAGE,
    SWIMMER_PDF_LANES,
    cohort_pieces,
    swimmer_pieces,
)
from hccreview.report.pdf_layout import RunningText, paginate, render  # noqa: E402
from hccreview.services.demo_study import build_demo_study  # noqa: E402
from hccreview.services.reporting import cohort_input, render_report  # noqa: E402
from hccreview.services.session import StudySession, open_study  # noqa: E402

M = 30.4375
#: Words of program code, options and issue trackers that a reader of the report cannot use.
CODE_WORDS = ("admiralonco", "accept_sd", "max_nr_ne", "lifelines multivariate", "KaplanMeierFitter", "scipy",
              "hccreview.domain", "first_dose", "albumin-2.8", "reader:", "FALSE")  # fmt: skip
ISSUE = re.compile(r"\bissues?\b|#\d+", re.IGNORECASE)  # an issue tracker ("tissue disorders" is a SOC)


def _no_code(text: str) -> None:
    for word in CODE_WORDS:
        assert word.lower() not in text.lower(), word
    assert not ISSUE.search(text), ISSUE.search(text)


def _texts(path: Path) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text()) for page in pypdf.PdfReader(str(path)).pages]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudySession]:
    path = build_demo_study(tmp_path_factory.mktemp("wording") / "demo.db")
    with open_study(path) as session:
        yield session


@pytest.fixture(scope="module")
def summary(demo: StudySession, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return _texts(render_report(demo, tmp_path_factory.mktemp("summary") / "summary.pdf").path)


@pytest.fixture(scope="module")
def packet(demo: StudySession, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    out = tmp_path_factory.mktemp("packet") / "packet.pdf"
    return _texts(render_report(demo, out, cases="HCC-009,HCC-001").path)


def test_methods_cite_recist_in_words_not_code(summary: list[str]) -> None:
    _no_code(" ".join(summary))
    methods = " ".join(summary[next(i for i, t in enumerate(summary) if "Methods Tumour response" in t) :])
    for sentence in (
        "Response criteria: RECIST 1.1 (Eisenhauer et al., Eur J Cancer 2009;45:228–247).",
        "Target response (§4.3.1): PR = sum ≥30% below the baseline sum; PD = sum ≥20% and ≥5 mm above the "
        "smallest sum so far (baseline included);",
        "Best overall response with confirmation (RECIST 1.1 §4.4, Table 3, and §4.6): a CR or PR counts only when "
        "the same or a better response is seen again at least 28 days later, with at most 1 NE and no SD between "
        "the response and its confirmation.",
        "A CR followed by a PR (RECIST 1.1 Table 3, footnote a) confirms neither: a CR is confirmed only by a later "
        "CR, and a PR is not confirmed across the CR.",
        "SD (and NON-CR/NON-PD) needs the minimum duration: an assessment at least 42 days after the origin;",
        "Origin: the date of first dose; day of origin = day 0;",
    ):
        assert sentence in methods, sentence
    assert "Confirmation of CR / PR the same or a better response ≥28 days later, with at most 1 NE and no SD " \
           "between" in summary[0]  # fmt: skip


def test_sources_and_origins_are_named_in_words(summary: list[str], packet: list[str]) -> None:
    # the GUI's and the command line's names of the sources (domain.sources.Source.label)
    assert "Read source Adjudicated (central review) Patients analysed" in summary[0]
    response = next(t for t in summary if "Table 2. Best overall response" in t)
    assert "Figures of Adjudicated (central review), the source of every other table" in response
    assert "BOR differs from Adjudicated" in response
    assert "Last row: patients whose best response differs from Adjudicated (central review)." in response
    text = " ".join(packet)
    _no_code(text)
    assert "Origin 2009-01-03 (first dose)" in text and "(12 points; albumin cut-off 2.8 g/dL)" in text
    assert "Investigator: target lesions" in text and "reader1 (central reader): target lesions" in text


def test_an_empty_query_section_is_one_line_on_a_shared_page(demo: StudySession, summary: list[str]) -> None:
    inp = cohort_input(demo, demo.data())
    assert inp.queries == []  # the demo has no open query
    with_section = paginate(cohort_pieces(inp)[0])
    without = paginate(cohort_pieces(dataclasses.replace(inp, queries=None))[0])
    assert len(with_section.pages) == len(without.pages)  # the empty section costs no page
    page = with_section.anchors["Open queries"]
    assert page == with_section.anchors["Methods"] - 1 and page > with_section.anchors["Adjudication"]
    text = summary[page - 1]
    before, _, after = text.partition("Open queries No open query.")
    assert after and "best overall response differs" in before  # the adjudication's case list on the same page
    assert len(summary) == len(with_section.pages)


def test_number_formatter_gives_one_decimal_everywhere() -> None:
    assert fmt.decimal(12) == fmt.mm(12) == "12.0" and fmt.mm(12.345) == "12.3" and fmt.mm(None) == "—"
    assert fmt.months(3) == "3.0" and fmt.months(None) == "NR"
    assert fmt.pct(0.1) == "10.0%" and fmt.percent(94) == "94.0%" and fmt.count_pct(6, 40) == "6 (15.0%)"
    assert fmt.signed_pct(-24.44) == "−24.4%" and fmt.signed_pct(7) == "+7.0%"
    assert fmt.ci_pct((0.028, 0.237)) == "2.8–23.7%"
    assert fmt.median_ci({"median_months": 3.6, "ci95_months": [1.9, 4]}) == "3.6 (1.9–4.0)"
    assert cf.median_text(kaplan_meier([30, 60, 90], [True, True, True])) == "2.0 (1.0–3.0)"
    assert fmt.origin_words("randomisation (fallback: no first_dose date)") == "randomisation (fallback: no " \
                                                                               "first dose date)"  # fmt: skip


def test_risk_table_months_have_one_decimal(summary: list[str]) -> None:
    page = next(t for t in summary if "Number at risk — progression-free survival" in t)
    rows = page.split("Censored (cumulative)")[1]
    assert re.match(r" 0\.0 31 0 0 3\.0 17 14 0 6\.0 5 ", rows), rows[:60]


def test_month_ticks_every_3_or_6_months_across_the_follow_up() -> None:
    assert cf.month_ticks(40.0) == [6.0 * i for i in range(8)]  # 0 … 42
    assert cf.month_ticks(5.9) == [0.0, 3.0, 6.0]  # the onco delivery's PFS: three columns, not two
    assert cf.month_ticks(20.0) == [3.0 * i for i in range(8)]  # 0 … 21
    assert cf.month_ticks(36.0) == [3.0 * i for i in range(13)]
    assert cf.month_ticks(0.0) == [0.0, 3.0]
    for follow_up in (0.5, 3.0, 5.9, 12.2, 36.1, 40.0, 77.0, 150.0):
        ticks = cf.month_ticks(follow_up)
        step = ticks[1] - ticks[0]
        assert ticks[0] == 0.0 and step in (3.0, 6.0, 12.0, 24.0)
        assert all(b - a == step for a, b in itertools.pairwise(ticks))
        assert ticks[-2] < follow_up <= ticks[-1] or follow_up == 0.0, follow_up
        assert len(ticks) <= cf.MAX_RISK_COLUMNS


def _km_fig(days: list[int], events: list[bool]) -> tuple[Figure, Any]:
    fig = cf.build_km([kaplan_meier(days, events, label="OS")], "Overall survival", figsize=(6.8, 4.7))
    FigureCanvasAgg(fig).draw()
    return fig, next(ax for ax in fig.axes if ax.get_gid() == "km-plot")


def test_km_axis_spans_the_follow_up_and_the_legend_sits_off_the_curves() -> None:
    days = [30 * k for k in range(1, 41)]  # follow-up to 39.4 months, 3 deaths: the curve stays near 1
    fig, ax = _km_fig(days, [k in (5, 17, 30) for k in range(40)])
    ticks = list(ax.get_xticks())
    assert ticks == [6.0 * i for i in range(8)] and ax.get_xlim()[1] >= ticks[-1] >= max(days) / M
    renderer = fig.canvas.get_renderer()
    plot = ax.get_window_extent(renderer)
    legend = ax.get_legend().get_window_extent(renderer)
    title = ax.title.get_window_extent(renderer)
    assert legend.y0 >= plot.y1 - 0.5  # above the plotting area: it cannot cover a curve
    assert title.y0 >= legend.y1 - 0.5  # and the title above the legend
    assert legend.y1 <= fig.bbox.y1 and title.y1 <= fig.bbox.y1


def _lanes(n: int) -> list[cf.SwimmerLane]:
    return [cf.SwimmerLane(f"01-701-{i:04d}", "PR" if i % 9 == 0 else "PD", 0.0, 1.0 + i % 7, 3.0 + i % 11,
                           progression=2.0 if i % 9 else None, death=3.0 + i % 11 if i % 4 == 0 else None)
            for i in range(n)]  # fmt: skip


@pytest.mark.parametrize("patients", [50, 500])
def test_swimmer_labels_keep_their_size_at_any_cohort_size(patients: int) -> None:
    lanes = _lanes(patients)
    layout = paginate(swimmer_pieces(lanes))
    figures: list[Figure] = []

    def keep(fig: Figure) -> None:
        FigureCanvasAgg(fig).draw()  # lays the page out as the PDF does
        figures.append(fig)

    render(layout, RunningText("t", "r", "f"), keep)
    labels: list[str] = []
    for fig in figures:
        ax = next(a for a in fig.axes if a.get_gid() == "swimmer")
        ticks = ax.get_yticklabels()
        assert all(t.get_fontsize() >= cf.SWIMMER_LABEL_PT >= 7.0 for t in ticks)
        pitch = ax.get_window_extent().height * 72 / fig.dpi / len(ticks)  # points per lane
        assert pitch >= 1.3 * cf.SWIMMER_LABEL_PT  # each label has a line of its own
        labels += [t.get_text() for t in ticks]
    shown = min(patients, SWIMMER_PDF_LANES)
    assert len(labels) == len(set(labels)) == shown
    assert len(figures) == -(-shown // SWIMMER_LANES_PER_PAGE)
    if patients > shown:  # responders first beyond the cap, as the dashboard
        assert set(labels) >= {lane.subject_id for lane in lanes if lane.bor == "PR"}
    dashboard = cf.build_swimmer(lanes)  # the dashboard's figure: a capped selection, the same label size
    assert all(t.get_fontsize() >= 7.0 for t in dashboard.axes[0].get_yticklabels())
