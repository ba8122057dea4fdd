"""Graded laboratory values as services (issue 23 item 3): the cohort's laboratory worst grades beside the reported
AEs in ``stats --json`` (``lab_toxicity``), the dashboard frame and the text summary, on the real ``onco`` LB; one
patient's graded labs (``case_labs``) following the access policy on the demo study, charter included."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from hccreview.domain.access import AccessDenied
from hccreview.services import auth
from hccreview.services.case_labs import case_labs
from hccreview.services.dashboard_tables import lab_toxicity_frame
from hccreview.services.session import open_study
from hccreview.services.stats import cohort_stats, format_summary
from tests.ui.case_support import DEMO_PASSWORDS

SOURCE = "laboratory (CTCAE v5.0 from LB)"


def test_onco_stats_carry_laboratory_worst_grades_beside_the_reported_aes(
    sdtm_template: Callable[[str], Path], tmp_path: Path
) -> None:
    with open_study(shutil.copyfile(sdtm_template("onco"), tmp_path / "onco.db"), user="tester") as session:
        stats = cohort_stats(session)
    d = stats.to_dict()
    assert {tuple(sorted(row)) for row in d["toxicity"]} == {  # the reported AEs' rows keep their fields
        ("any_grade", "attributable_grade3plus", "grade3", "grade4", "grade5", "mild", "moderate", "pct_any",
         "pct_grade3plus", "severe", "soc", "term", "ungraded")}  # fmt: skip
    labs = {row["term"]: row for row in d["lab_toxicity"]}
    assert {row["source"] for row in d["lab_toxicity"]} == {SOURCE}
    lymph = labs["Lymphocyte count decreased"]  # 01-701-1341 (0.47) and 01-703-1100 (0.46 GI/L): G3, <0.5 - 0.2
    assert (lymph["grade3"], lymph["grade4"], lymph["direction"], lymph["n_enrolled"]) == (2, 0, "decreased", 254)
    assert labs["Blood bilirubin increased"]["grade3"] == 1  # 01-705-1186, over its abnormal baseline
    assert labs["Hyperkalemia"]["direction"] == "increased" and labs["Hypokalemia"]["direction"] == "decreased"
    assert "Neutrophil count decreased" not in labs  # onco LB has no NEUT: no row of zeros
    frame = lab_toxicity_frame(stats)
    assert list(frame.columns[:3]) == ["Term", "Source", "System organ class"]
    assert set(frame["Source"]) == {SOURCE} and frame["Term"].tolist() == [r["term"] for r in d["lab_toxicity"]]
    text = format_summary(stats).splitlines()
    start = text.index(f"Laboratory toxicity — {SOURCE}, patients by worst post-baseline grade: term — tested / any "
                       "/ G3 / G4")  # fmt: skip
    top = d["lab_toxicity"][0]
    assert text[start + 1] == f"  {top['term']}: {top['n_tested']} / {top['any_grade']} / {top['grade3']} / 0"


def test_case_labs_follow_the_access_policy_and_the_charter(demo_copy: Path) -> None:
    with open_study(demo_copy) as session:
        subject = session.store.conn.execute("SELECT subject_id FROM labs ORDER BY id LIMIT 1").fetchone()[0]
        auth.sign_in(session, "adjudicator", DEMO_PASSWORDS["adjudicator"])
        labs = case_labs(session, subject)
        assert labs.values and {v.test for v in labs.values} >= {"NEUT", "PLAT", "HGB", "ALT"}
        assert all(v.grade is not None for v in labs.values)  # the demo's units are those of the criteria
        auth.sign_in(session, "reader1", DEMO_PASSWORDS["reader1"])
        with pytest.raises(AccessDenied, match=r"reader1 .* may not see clinical data"):
            case_labs(session, subject)
        auth.sign_in(session, "admin", DEMO_PASSWORDS["admin"])
        session.store.update_settings(readers_see_clinical_data=True, reason="charter")
        auth.sign_in(session, "reader1", DEMO_PASSWORDS["reader1"])
        assert case_labs(session, subject) == labs  # the charter lets readers see clinical data: the same values
