"""The impact preview equals the figures the cohort gets once the choice is made (issue 7 item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hccreview.domain.cohort import compute_cohort_stats
from hccreview.services import adjudication as adj
from tests.factories_central import R1, R2, central_study, open_as


@pytest.fixture
def path(study_path: Path) -> Path:
    central_study(study_path).close()
    return study_path


def _actual(session, subject_id: str) -> dict:
    return adj.cohort_figures(compute_cohort_stats(session.data(), "adjudicated"), subject_id)


@pytest.mark.parametrize("subject_id", ["C01", "C03"])
def test_preview_of_each_choice_equals_the_figures_after_that_choice(path: Path, subject_id: str) -> None:
    with open_as(path, "adj") as session:
        n_audit = session.store.count("audit_log")
        preview = adj.impact_preview(session, subject_id)
        assert set(preview) == {R1, R2}
        assert session.store.count("audit_log") == n_audit  # a preview writes nothing
        assert adj.current_figures(session, subject_id)["subject"]["bor"] == "PENDING"
        for reader in (R1, R2):
            edit = adj.adjudicate(
                session,
                subject_id=subject_id,
                chosen_reader=reader,
                reason=f"choose {reader}",
                reason_code="measurement",
            )
            assert preview[reader] == _actual(session, subject_id)
            adj.undo_adjudication(session, edit)


def test_preview_shows_how_the_figures_would_differ(path: Path) -> None:
    with open_as(path, "adj") as session:
        c01 = adj.impact_preview(session, "C01")
        assert (c01[R1]["orr"]["n"], c01[R2]["orr"]["n"]) == (1, 0)
        assert c01[R1]["child_pugh"]["A"]["orr"]["n"] == 1 and c01[R2]["child_pugh"]["A"]["orr"]["n"] == 0
        assert c01[R1]["pending"] == c01[R2]["pending"] == 1 and c01[R1]["provisional"]
        assert (c01[R1]["subject"]["bor"], c01[R2]["subject"]["bor"]) == ("PR", "SD")
        c03 = adj.impact_preview(session, "C03")
        # reader1's earlier progression shortens C03's PFS (week 8 vs week 16)
        assert c03[R1]["subject"]["pfs_days"] < c03[R2]["subject"]["pfs_days"]
        assert c03[R1]["pfs"]["events"] == c03[R2]["pfs"]["events"]


def test_preview_of_a_decided_case_replaces_the_decision_in_force(path: Path) -> None:
    with open_as(path, "adj") as session:
        adj.adjudicate(session, subject_id="C01", chosen_reader=R1, reason="first look", reason_code="measurement")
        adj.adjudicate(session, subject_id="C03", chosen_reader=R2, reason="first look", reason_code="measurement")
        preview = adj.impact_preview(session, "C01")
        assert preview[R1] == adj.current_figures(session, "C01")
        assert preview[R2]["orr"]["n"] == 0 and preview[R2]["pending"] == 0
