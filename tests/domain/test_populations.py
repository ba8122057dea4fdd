"""One PFS / DoR analysis population everywhere (issue 18 items 1–2).

Patients pending adjudication are out of PFS and DoR — overall curve, Child-Pugh subgroups, risk tables, censor
marks, ``stats --json`` — and their PFS is shown as pending with the reason, never a number or a rule derived
from no reads. OS keeps every analysed patient.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from hccreview.domain.cohort import (
    CHILD_PUGH_CLASSES,
    PFS_PENDING_REASON,
    PFS_PENDING_RULE,
    CohortStats,
    child_pugh_curves,
    compute_cohort_stats,
    endpoint_censor_months,
    endpoint_curve,
    endpoint_population,
    endpoint_results,
    pfs_population,
    subject_outcomes,
)
from hccreview.domain.records import (
    Adjudication,
    ChildPughComponents,
    FollowUp,
    Read,
    ReadRole,
    StudyData,
    StudySettings,
    Subject,
)
from hccreview.report import cohort_km

O = date(2020, 1, 6)  # noqa: E741
R1, R2 = "READER A", "READER B"
M = 30.4375
CP_A = {"bilirubin_mg_dl": 1.0, "albumin_g_dl": 4.0, "inr": 1.0, "ascites": "none", "encephalopathy": "none"}


def day(n: int) -> date:
    return O + timedelta(days=n)


def reads(sid: str, reader: str, seq: list[tuple[int, str]]) -> list[Read]:
    return [Read(sid, reader, ReadRole.READER, day(d), overall=code) for d, code in seq]


def pending_study(*, adjudicated: bool = False) -> StudyData:
    """A hand-made HCC-009: eight scans after baseline read by two discordant central readers, a death long
    after the last scan, a schedule (so the missed-assessment rule exists), no adjudication yet; plus two
    decided patients (one censored, one with an event) so the curve has both kinds."""
    scans = [56 * k for k in range(1, 9)]  # 8 post-baseline scans, every 8 weeks
    subjects = (Subject("P9", first_dose_date=O), Subject("P1", first_dose_date=O), Subject("P2", first_dose_date=O))
    central = (
        *reads("P9", R1, [(d, "SD") for d in scans]),
        *reads("P9", R2, [(d, "PR") for d in scans[:2]] + [(d, "SD") for d in scans[2:]]),  # discordant BOR
        *reads("P1", R1, [(56, "SD"), (112, "SD")]),
        *reads("P1", R2, [(56, "SD"), (112, "SD")]),
        *reads("P2", R1, [(56, "SD"), (112, "PD")]),
        *reads("P2", R2, [(56, "SD"), (112, "PD")]),
    )
    decisions = (Adjudication("P9", chosen_reader=R1, reason="PR not confirmed", adjudicator="adj", signed=True),)
    return StudyData(
        settings=StudySettings(title="Pending", assessment_interval_days=56),
        subjects=subjects,
        child_pugh=tuple(ChildPughComponents(s.subject_id, **CP_A) for s in subjects),  # type: ignore[arg-type]
        reads=central,
        follow_up=(FollowUp("P9", death_date=day(scans[-1] + 637)), FollowUp("P1", last_known_alive=day(200))),
        adjudications=decisions if adjudicated else (),
    )


# --- the hand-made pending case ---------------------------------------------------------------------------


def test_pending_patient_has_no_pfs_figure_and_the_rule_that_applied() -> None:
    stats = compute_cohort_stats(pending_study(), "adjudicated")
    p9 = next(o for o in stats.subjects if o.subject_id == "P9")
    assert p9.bor == "PENDING" and p9.pfs_status == "pending" and not p9.in_pfs_population
    assert p9.pfs.rule == PFS_PENDING_RULE and "missed" not in p9.pfs.rule and "censored" not in p9.pfs.rule
    assert p9.pfs.end_date is None and p9.dor is None
    assert p9.os.event and p9.os.rule == "event: death"  # OS does not depend on the reads
    row = next(s for s in stats.to_dict()["subjects"] if s["id"] == "P9")
    # the DESIGN §7 shape is kept (int / bool); pfs_status says they are placeholders, not figures
    assert (row["pfs_days"], row["pfs_event"], row["pfs_date"]) == (0, False, None)
    assert row["pfs_status"] == "pending" and row["pfs_pending_reason"] == PFS_PENDING_REASON
    assert all(s["pfs_status"] == "analysed" and s["pfs_pending_reason"] is None
               for s in stats.to_dict()["subjects"] if s["id"] != "P9")  # fmt: skip


def test_once_adjudicated_the_rule_is_the_one_of_its_eight_scans() -> None:
    stats = compute_cohort_stats(pending_study(adjudicated=True), "adjudicated")
    p9 = next(o for o in stats.subjects if o.subject_id == "P9")
    assert p9.in_pfs_population and p9.bor == "SD"
    # death 637 d after the last of 8 scans: censored at that last adequate scan (not at the origin)
    assert p9.pfs.rule.startswith("censored at last adequate assessment: death after >= 2 missed")
    assert p9.pfs.days == 448 and not p9.pfs.event
    assert stats.pfs.n == 3 and stats.pending == []


def test_pending_patient_is_out_of_every_pfs_figure_and_in_os() -> None:
    stats = compute_cohort_stats(pending_study(), "adjudicated")
    assert [o.subject_id for o in pfs_population(stats.subjects)] == ["P1", "P2"]
    assert len(endpoint_population(stats.subjects, "os")) == 3
    assert (stats.pfs.n, stats.pfs.events, stats.pfs.censored) == (2, 1, 1)
    assert stats.os.n == 3
    # the curve's own censor marks: P1 at day 112 only, nothing at month 0
    assert stats.pfs.censor_months == pytest.approx((112 / M,))
    assert endpoint_censor_months(stats.subjects, "pfs") == {"PFS": pytest.approx([112 / M])}
    assert stats.pfs.risk_table[0].at_risk == 2 and stats.pfs.risk_table[0].censored_cumulative == 0
    d = stats.to_dict()
    assert d["pfs"]["events"] + d["pfs"]["censored"] == d["pfs"]["n"] == d["n_enrolled"] - d["pending"]
    assert d["pfs"]["excluded_pending"] == 1 and d["os"]["excluded_pending"] == 0
    a = d["subgroups"]["child_pugh"]["A"]
    assert a["n"] == 3 and a["pending"] == 1 and a["pfs"]["n"] == 2 and a["os"]["n"] == 3
    with pytest.raises(ValueError):
        endpoint_population(stats.subjects, "ttp")


def test_single_patient_view_agrees() -> None:
    """The case view derives one patient through ``subject_outcomes``: the same pending placeholder."""
    data = pending_study()
    (p9,) = [o for o in subject_outcomes(data, "adjudicated") if o.subject_id == "P9"]
    assert p9.pfs_status == "pending" and p9.pfs.rule == PFS_PENDING_RULE


def test_case_header_shows_pending_with_the_reason_never_a_number() -> None:
    from types import SimpleNamespace

    from hccreview.ui.views.case_header import CaseHeader

    outcomes = {o.subject_id: o for o in subject_outcomes(pending_study(), "adjudicated")}
    detail = SimpleNamespace(case=SimpleNamespace(outcomes={"adjudicated": outcomes["P9"]}))
    text = CaseHeader._endpoint_text(detail, "adjudicated")  # type: ignore[arg-type]
    assert "PFS</b> <i>pending — awaiting adjudication" in text and "0.0 months" not in text.split("·")[0]
    assert "OS</b>" in text and "event" in text.split("·")[1]
    tip = CaseHeader._endpoint_tooltip(detail, ["adjudicated"])  # type: ignore[arg-type]
    assert tip.splitlines()[0] == f"Adjudicated: PFS pending — {PFS_PENDING_RULE}"
    detail.case.outcomes["adjudicated"] = outcomes["P1"]
    assert "PFS</b> 3.7 months (censored 2020-04-27)" in CaseHeader._endpoint_text(detail, "adjudicated")  # type: ignore[arg-type]


# --- the demo study: counts equal across overall, subgroups, risk table, marks and stats --json -------------


@pytest.fixture(scope="module")
def demo_stats(tmp_path_factory: pytest.TempPathFactory) -> CohortStats:
    from hccreview.services.demo_study import build_demo_study
    from hccreview.store import Store
    from hccreview.store.study_data import load_study

    path: Path = build_demo_study(tmp_path_factory.mktemp("demo") / "demo.db")
    with Store.open(path) as store:
        data = load_study(store)
    return compute_cohort_stats(data, "adjudicated")


def test_demo_population_counts_agree_everywhere(demo_stats: CohortStats) -> None:
    s = demo_stats
    assert s.pending, "the demo study has patients pending adjudication"
    population = pfs_population(s.subjects)
    n = len(population)
    assert n == s.n_enrolled - len(s.pending) == s.pfs.n == s.pfs.events + s.pfs.censored
    # the risk table at 0 and its final cumulative counts
    first = s.pfs.risk_table[0]
    assert first.time_months == 0.0 and first.at_risk == n
    # the subgroup curves (as the dashboard and PDF draw them) and the stats summary add up to the same n
    pfs_cp, os_cp = child_pugh_curves(s.subjects)
    unknown = sum(o.child_pugh not in CHILD_PUGH_CLASSES for o in population)
    assert sum(km.n for km in pfs_cp.values()) + unknown == n
    assert sum(km.n for km in os_cp.values()) + s.subgroups["child_pugh_unknown"] == s.n_enrolled
    d = s.to_dict()
    for cls, block in d["subgroups"]["child_pugh"].items():
        pfs = block["pfs"]
        assert pfs["events"] + pfs["censored"] == pfs["n"] == block["n"] - block["pending"]
        if block["n"]:
            km = pfs_cp[cls]
            assert (km.n, km.events, km.censored) == (pfs["n"], pfs["events"], pfs["censored"])
            assert km.risk_table[0].at_risk == km.n
    # stats --json: events + censored add up to the population; subjects[] flags the pending ones
    assert d["pfs"]["events"] + d["pfs"]["censored"] == n
    flagged = [x["id"] for x in d["subjects"] if x["pfs_status"] == "pending"]
    assert flagged == s.pending and all(x["bor"] == "PENDING" for x in d["subjects"] if x["id"] in flagged)
    assert sum(x["pfs_event"] for x in d["subjects"] if x["pfs_status"] == "analysed") == d["pfs"]["events"]
    # DoR only from the same population
    assert {r for r in endpoint_results(s.subjects, "dor")} <= {o.dor for o in population}


def test_demo_no_pending_rule_text_derived_from_no_reads(demo_stats: CohortStats) -> None:
    """HCC-009 has 8 scans after baseline: while pending, its rule says pending, not "missed assessments"."""
    for o in demo_stats.subjects:
        if o.pfs_status == "pending":
            assert o.pfs.rule == PFS_PENDING_RULE
        else:
            assert "pending" not in o.pfs.rule
    hcc009 = next(o for o in demo_stats.subjects if o.subject_id == "HCC-009")
    assert hcc009.pfs_status == "pending" and "missed" not in hcc009.pfs.rule


def test_demo_no_censor_mark_from_a_pending_patient(demo_stats: CohortStats) -> None:
    """Every + on the PFS curves is a censored subject of the curve: as many as it counts, none at 0 unless a
    decided patient is censored there."""
    s = demo_stats
    marks = endpoint_censor_months(s.subjects, "pfs")["PFS"]
    assert sorted(marks) == list(s.pfs.censor_months) and len(marks) == s.pfs.censored
    at_zero = sum(o.pfs.days == 0 and not o.pfs.event for o in pfs_population(s.subjects))
    assert sum(m == 0 for m in marks) == at_zero == s.pfs.risk_table[0].censored_cumulative
    fig = cohort_km.build_km([s.pfs], "PFS", censor_times={"PFS": [0.0] * 9 + marks})  # a stale caller's list
    (drawn,) = [ln for ax in fig.axes for ln in ax.lines if ln.get_gid() == "km-censor:PFS"]
    assert sorted(drawn.get_xdata()) == list(s.pfs.censor_months)
    pfs_cp, _ = child_pugh_curves(s.subjects)
    fig = cohort_km.build_km_subgroups(pfs_cp, "PFS by Child-Pugh class")
    for cls, km in pfs_cp.items():
        (drawn,) = [ln for ax in fig.axes for ln in ax.lines if ln.get_gid() == f"km-censor:Child-Pugh {cls}"]
        assert len(drawn.get_xdata()) == km.censored
        assert sorted(drawn.get_xdata()) == sorted(endpoint_censor_months(s.subjects, "pfs", by_child_pugh=True)
                                                   .get(cls, []))  # fmt: skip


def test_endpoint_curve_is_the_stats_fit(demo_stats: CohortStats) -> None:
    s = demo_stats
    assert endpoint_curve(s.subjects, "pfs", "PFS") == s.pfs
    assert endpoint_curve(s.subjects, "os", "OS") == s.os
    assert endpoint_curve(s.subjects, "dor", "DoR") == s.dor
