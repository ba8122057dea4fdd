"""One definition of the adjudication counts (issue 18 item 1), and visits paired by visit in the comparison.

The queue, the status bar's line, the dashboard's progress line and ``stats --json`` count through
``domain.adjudication_status``: checked equal at each step of a case's life (open → decided → signed →
re-opened), and the case's status chip says the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hccreview import cli
from hccreview.domain.adjudication_status import AdjudicationCounts, case_status, status_label
from hccreview.services import adjudication as adj
from hccreview.services.dashboard import compute_dashboard, load_dashboard_input
from tests.factories_central import PASSWORDS, R1, R2, central_study, day, open_as


def _everywhere(path: Path, capsys: pytest.CaptureFixture[str]) -> list[dict]:
    """The counts as the queue, the dashboard and ``stats --json`` give them, and the pending patients."""
    with open_as(path, "adj") as session:
        queue = adj.queue_counts(adj.discordance_queue(session)).to_dict()
        dash = compute_dashboard(load_dashboard_input(session))
        assert dash.adjudication is not None
        board = dash.adjudication.counts.to_dict()
        pending = dash.stats.to_dict()["pfs"].get("excluded_pending")
    assert cli.run(["stats", str(path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)["adjudication"]["counts"]
    return [queue, board, printed, {"pending": pending}]


def test_counts_agree_through_decide_sign_and_reopen(study_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    central_study(study_path).close()
    steps = []

    def record() -> AdjudicationCounts:
        queue, board, printed, pending = _everywhere(study_path, capsys)
        assert queue == board == printed
        counts = AdjudicationCounts.from_dict(queue)
        assert counts.discordant == counts.open + counts.adjudicated + counts.imported
        steps.append((counts.open, counts.unsigned, counts.signed, counts.reopened, pending["pending"]))
        return counts

    record()
    with open_as(study_path, "adj") as session:
        adj.adjudicate(session, subject_id="C01", chosen_reader=R1, reason="clear PR", reason_code="measurement")
    decided = record()
    with open_as(study_path, "adj") as session:
        adj.sign_adjudication(session, subject_id="C01", password=PASSWORDS["adj"])
        comparison = adj.case_comparison(session, "C01")
        assert (comparison.status, comparison.status_label) == ("signed", "signed")
    record()
    with open_as(study_path, "admin") as session:
        adj.reopen(session, subject_id="C01", reason="new evidence")
    with open_as(study_path, "adj") as session:
        comparison = adj.case_comparison(session, "C01")
        # the re-opened decision stands (the figures use it) until a new one: adjudicated, not signed
        assert (comparison.status, comparison.status_label) == ("adjudicated", "re-opened")
        item = next(i for i in adj.discordance_queue(session) if i.subject_id == "C01")
        assert item.status_label == "re-opened" and item.chosen_reader == R1
    reopened = record()
    # (open, unsigned, signed, re-opened, patients pending out of PFS)
    assert steps == [(2, 0, 0, 0, 2), (1, 1, 0, 0, 1), (1, 0, 1, 0, 1), (1, 1, 0, 1, 1)]
    assert decided.text == "2 discordant · 1 open · 1 adjudicated (0 signed)"
    assert reopened.text == "2 discordant · 1 open · 1 adjudicated (0 signed, 1 re-opened)"


def test_status_words() -> None:
    assert case_status(decided=False, signed=False, imported=True) == "imported"
    assert case_status(decided=True, signed=False, imported=True) == "adjudicated"  # a decision here comes first
    assert case_status(decided=True, signed=True, imported=False) == "signed"
    assert case_status(decided=False, signed=False, imported=False) == "open"
    assert status_label("imported") == "imported decision"
    assert status_label("signed", reopened=True) == "signed"
    counts = AdjudicationCounts.of([("imported", False), ("imported", False), ("open", False)])
    assert counts.text == "3 discordant · 1 open · 0 adjudicated (0 signed) · 2 imported decisions"
    assert AdjudicationCounts.from_dict(counts.to_dict()) == counts


def test_comparison_pairs_the_readers_by_visit_not_by_date(study_path: Path) -> None:
    """reader2 read every scan two days after reader1 (same visits): one row per visit with both reads, each
    reader's own date kept; the lesion table pairs the same way (rule defect 1's reader-performance path)."""
    central_study(study_path, reader2_offset_days=2).close()
    with open_as(study_path, "adj") as session:
        comparison = adj.case_comparison(session, "C01")
    visits = comparison.rows
    assert [row.visit for row in visits] == ["WEEK 8", "WEEK 16", "WEEK 24"]
    for k, row in enumerate(visits, start=1):
        assert row.dates == {R1: day(k), R2: day(k).fromordinal(day(k).toordinal() + 2)}
        assert "missing" not in row.differs
    assert visits[0].sides[R1].stated_overall == "PR" and visits[0].sides[R2].stated_overall == "SD"
    assert "stated_overall" in visits[0].differs


def test_lesion_comparison_table_pairs_by_visit(study_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The adjudicator's lesion table: one row per visit, both readers' sizes in each cell (not two half-empty
    rows two days apart)."""
    from hccreview.ui.models.adjudication_models import LesionComparisonModel

    central_study(study_path, reader2_offset_days=2).close()
    with open_as(study_path, "adj") as session:
        comparison = adj.case_comparison(session, "C01")
    model = LesionComparisonModel()
    model.set_comparison(comparison)
    assert model.rowCount() == 4  # baseline and three visits
    rows = [[model.index(r, c).data() for c in range(1, model.columnCount())] for r in range(4)]
    assert rows[:2] == [["40.0 │ 40.0", "30.0 │ 30.0"], ["25.0 │ 32.0", "18.0 │ 24.0"]]
    assert "reader2: read on 2024-03-06" in model.index(1, 0).data(3)  # ToolTipRole


def test_one_stale_check_serves_rows_decisions_and_reads() -> None:
    """``services.review.stale_differences`` is the one comparison of what a caller saw with what is stored:
    numbers within rounding, blank text equal to NULL, a field missing on one side None there."""
    from hccreview.services.review import stale_differences

    assert (
        stale_differences({"diameter_mm": 12.0, "comment": ""}, {"diameter_mm": 12.0000000001, "comment": None}) == {}
    )
    assert stale_differences({"chosen_reader": "reader1"}, {"chosen_reader": "reader2", "status": "open"}) == {
        "chosen_reader": ("reader1", "reader2"),
        "status": (None, "open"),
    }
    assert stale_differences({}, {}) == {} and stale_differences({"overall": "PR"}, {}) == {"overall": ("PR", None)}
