"""``stats`` by arm on the real pharmaverse ``onco`` delivery (issue 23): ``by_arm`` and ``comparisons`` equal an
independent computation — arms from DM itself, exact CIs with scipy, KM medians, log-rank and Cox with lifelines,
Newcombe's interval by hand."""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test
from scipy.stats import binomtest, norm

from hccreview.cli import run

MONTH = 30.4375


@pytest.fixture(scope="module")
def onco_db(sdtm_template: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(shutil.copyfile(sdtm_template("onco"), tmp_path_factory.mktemp("arms") / "onco.db"))


@pytest.fixture(scope="module")
def stats(onco_db: Path) -> dict[str, Any]:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert run(["stats", str(onco_db), "--json"]) == 0
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def dm_arms(sdtm_root: Path) -> dict[str, set[str]]:
    """The treated subjects of each actual arm, read from DM directly (not through the importer)."""
    dm = pd.read_csv(sdtm_root / "onco" / "dm.csv", dtype=str)
    treated = dm[dm["ACTARMCD"].str.upper() != "SCRNFAIL"]
    return {arm: set(group["USUBJID"]) for arm, group in treated.groupby("ACTARM")}


def _endpoint(subjects: list[dict[str, Any]], which: str) -> tuple[list[float], list[bool]]:
    rows = [s for s in subjects if which == "os" or s["pfs_status"] == "analysed"]
    return [s[f"{which}_days"] / MONTH for s in rows], [bool(s[f"{which}_event"]) for s in rows]


def _median(durations: list[float], events: list[bool]) -> float | None:
    value = KaplanMeierFitter().fit(durations, events).median_survival_time_
    return None if math.isinf(value) else float(value)


def _wilson(k: int, n: int) -> tuple[float, float]:
    z = norm.ppf(0.975)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _newcombe(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    (l1, u1), (l2, u2), p1, p2 = _wilson(k1, n1), _wilson(k2, n2), k1 / n1, k2 / n2
    return (p1 - p2) - math.hypot(p1 - l1, u2 - p2), (p1 - p2) + math.hypot(u1 - p1, p2 - l2)


def test_arms_are_dm_actarm_of_the_treated_reference_placebo(stats: dict[str, Any], dm_arms: dict[str, set[str]]):
    arms = stats["arms"]
    assert arms["names"] == ["Placebo", "Xanomeline High Dose", "Xanomeline Low Dose"]
    assert arms["reference"] == "Placebo"
    assert "as treated" in arms["grouping"] and "ACTARM" in arms["grouping"]
    assert arms["unassigned"] == [] and arms["screen_failures"] == stats["n_screened"] - stats["n_enrolled"] == 52
    for name in arms["names"]:
        assert set(stats["by_arm"][name]["subject_ids"]) == dm_arms[name]
        assert stats["by_arm"][name]["n_enrolled"] == len(dm_arms[name]) == arms["n"][name]
    # the overall fields keep their meaning: the whole analysis population
    assert stats["n_enrolled"] == sum(len(ids) for ids in dm_arms.values()) == 254


def test_by_arm_figures_equal_an_independent_computation(stats: dict[str, Any], dm_arms: dict[str, set[str]]):
    subjects = {s["id"]: s for s in stats["subjects"]}
    for name, ids in dm_arms.items():
        arm = stats["by_arm"][name]
        mine = [subjects[i] for i in sorted(ids)]
        k = sum(s["bor"] in ("CR", "PR") for s in mine)
        ci = binomtest(k, len(mine)).proportion_ci(method="exact")
        orr = arm["response"]["orr"]
        assert (orr["n"], orr["denominator"]) == (k, len(mine))
        assert orr["ci95"] == [pytest.approx(ci.low, abs=1e-12), pytest.approx(ci.high, abs=1e-12)]
        dcr = sum(s["bor"] in ("CR", "PR", "SD", "NON-CR/NON-PD") for s in mine)
        assert arm["response"]["dcr"]["n"] == dcr
        for which in ("pfs", "os"):
            durations, events = _endpoint(mine, which)
            assert (arm[which]["events"], arm[which]["censored"]) == (sum(events), len(events) - sum(events))
            expected = _median(durations, events)
            assert arm[which]["median_months"] == (None if expected is None else pytest.approx(expected, abs=1e-9))


def test_comparisons_equal_lifelines_logrank_cox_and_newcombe(stats: dict[str, Any], dm_arms: dict[str, set[str]]):
    subjects = {s["id"]: s for s in stats["subjects"]}
    ref = [subjects[i] for i in sorted(dm_arms["Placebo"])]
    rows = {(c["arm"], c["endpoint"]): c for c in stats["comparisons"]}
    assert set(rows) == {(a, e) for a in ("Xanomeline High Dose", "Xanomeline Low Dose") for e in ("pfs", "os")}
    for (name, which), row in rows.items():
        assert row["reference"] == "Placebo"
        mine = [subjects[i] for i in sorted(dm_arms[name])]
        (t1, e1), (t0, e0) = _endpoint(mine, which), _endpoint(ref, which)
        assert row["logrank_p"] == pytest.approx(logrank_test(t1, t0, e1, e0).p_value, rel=1e-8)
        if sum(e1) and sum(e0):
            frame = pd.DataFrame({"t": t1 + t0, "e": e1 + e0, "x": [1] * len(t1) + [0] * len(t0)})
            cox = CoxPHFitter().fit(frame, "t", "e").summary.loc["x"]
            assert row["hr"] == pytest.approx(cox["exp(coef)"], rel=1e-6)
            assert row["hr_ci"] == [pytest.approx(cox["exp(coef) lower 95%"], rel=1e-6),
                                    pytest.approx(cox["exp(coef) upper 95%"], rel=1e-6)]  # fmt: skip
        else:  # OS: Xanomeline High Dose has no death
            assert row["hr"] is None and row["hr_note"] == "not estimable: an arm has no event"
        k1, k0 = (sum(s["bor"] in ("CR", "PR") for s in group) for group in (mine, ref))
        assert row["orr_difference"] == pytest.approx(k1 / len(mine) - k0 / len(ref))
        low, high = _newcombe(k1, len(mine), k0, len(ref))
        assert row["orr_difference_ci"] == [pytest.approx(low, abs=1e-9), pytest.approx(high, abs=1e-9)]
    assert rows[("Xanomeline High Dose", "os")]["hr"] is None  # the case above is reached on this delivery


def test_text_summary_prints_the_arms_block(onco_db: Path, stats: dict[str, Any], capsys: pytest.CaptureFixture[str]):
    assert run(["stats", str(onco_db)]) == 0
    text = capsys.readouterr().out
    assert "By arm (as treated" in text
    placebo = stats["by_arm"]["Placebo"]
    orr = placebo["response"]["orr"]
    assert f"  Placebo: n 86; ORR {orr['n']}/86 = {100 * orr['rate']:.1f}%" in text
    pfs = next(c for c in stats["comparisons"] if c["arm"] == "Xanomeline Low Dose" and c["endpoint"] == "pfs")
    assert "  Xanomeline Low Dose vs Placebo:" in text
    lo, hi = pfs["hr_ci"]
    assert f"    PFS: hazard ratio {pfs['hr']:.2f} (95% CI {lo:.2f}–{hi:.2f}); log-rank p" in text
    assert "    OS: hazard ratio not estimable (an arm has no event)" in text
