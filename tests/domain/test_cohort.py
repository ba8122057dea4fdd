"""Cohort statistics: the ``stats --json`` shape of DESIGN §7 and hand-checked figures."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

import numpy as np
import pytest
from lifelines import KaplanMeierFitter
from scipy.stats import binomtest

from hccreview.domain.cohort import Proportion, compute_cohort_stats
from hccreview.domain.records import (
    Adjudication,
    AdverseEvent,
    ChildPughComponents,
    FollowUp,
    Read,
    ReadRole,
    StudyData,
    StudySettings,
    Subject,
)

O = date(2022, 3, 1)  # noqa: E741
INV, R1, R2 = "INV", "READER A", "READER B"
M = 30.4375


def day(n: int) -> date:
    return O + timedelta(days=n)


def reads(sid: str, reader: str, role: ReadRole, seq: list[tuple[int, str]]) -> list[Read]:
    return [Read(sid, reader, role, day(d), overall=code) for d, code in seq]


# --- the DESIGN §7 schema, checked recursively -----------------------------------------------------------

NUM = (int, float)
OPT_NUM = (int, float, type(None))
OPT_STR = (str, type(None))
KM_BLOCK = {"events": int, "censored": int, "median_months": OPT_NUM, "ci95_months": [OPT_NUM, OPT_NUM]}
RATE = {"n": int, "rate": NUM, "ci95": [NUM, NUM]}
SCHEMA = {
    "study": {"title": str, "criteria": str, "confirmation_days": int, "min_sd_days": int},
    "source": str,
    "n_enrolled": int,
    "baseline": {"child_pugh": {"A": int, "B": int, "C": int}, "extrahepatic": int},
    "response": {
        "bor_counts": {k: int for k in ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "MISSING")},
        "orr": RATE,
        "dcr": RATE,
    },
    "pfs": KM_BLOCK,
    "os": KM_BLOCK,
    "toxicity": [
        {
            "term": str,
            "soc": str,
            "any_grade": int,
            "grade3": int,
            "grade4": int,
            "grade5": int,
            "attributable_grade3plus": int,
        }
    ],
    "subjects": [
        {
            "id": str,
            "child_pugh": OPT_STR,
            "bor": str,
            "bor_unconfirmed": str,
            "pfs_days": int,
            "pfs_event": bool,
            "os_days": int,
            "os_event": bool,
        }
    ],
}


def check(value: object, schema: object, path: str = "$") -> None:
    """Assert ``value`` matches ``schema``: dict = required keys, [x] = list of x, [a, b] = fixed pair."""
    if isinstance(schema, dict):
        assert isinstance(value, dict), f"{path}: not an object"
        for key, sub in schema.items():
            assert key in value, f"{path}: missing key {key!r}"
            check(value[key], sub, f"{path}.{key}")
    elif isinstance(schema, list) and len(schema) == 1:
        assert isinstance(value, list), f"{path}: not a list"
        for i, item in enumerate(value):
            check(item, schema[0], f"{path}[{i}]")
    elif isinstance(schema, list):
        assert isinstance(value, list) and len(value) == len(schema), f"{path}: wrong pair"
        for i, (item, sub) in enumerate(zip(value, schema, strict=True)):
            check(item, sub, f"{path}[{i}]")
    else:
        types = schema if isinstance(schema, tuple) else (schema,)
        if bool not in types:
            assert not isinstance(value, bool), f"{path}: bool where {types} expected"
        assert isinstance(value, types), f"{path}: {type(value).__name__} is not {types}"
        if isinstance(value, float):
            assert np.isfinite(value), f"{path}: non-finite"


def test_schema_checker_catches_errors() -> None:
    with pytest.raises(AssertionError):
        check({"a": 1}, {"a": str})
    with pytest.raises(AssertionError):
        check({}, {"a": int})
    with pytest.raises(AssertionError):
        check({"a": True}, {"a": int})


# --- a hand-built study of 5 analysed subjects -----------------------------------------------------------

CP_A = dict(bilirubin_mg_dl=1.0, albumin_g_dl=4.0, inr=1.0, ascites="none", encephalopathy="none")  # 5 -> A
CP_B = dict(bilirubin_mg_dl=2.5, albumin_g_dl=3.0, inr=1.0, ascites="mild", encephalopathy="none")  # 8 -> B
CP_C = dict(bilirubin_mg_dl=4.0, albumin_g_dl=2.5, inr=2.5, ascites="moderate", encephalopathy="none")  # 13


def small_study(**settings: object) -> StudyData:
    subjects = (
        Subject("P1", first_dose_date=O, extrahepatic=True),
        Subject("P2", first_dose_date=O, extrahepatic=False),
        Subject("P3", first_dose_date=O),
        Subject("P4", first_dose_date=O),
        Subject("P5", first_dose_date=O, extrahepatic=True),
        Subject("P6", first_dose_date=O, screen_failure=True, extrahepatic=True),
        Subject("P7"),  # never reached the origin
    )
    inv = ReadRole.INVESTIGATOR
    return StudyData(
        settings=StudySettings(title="Small study", **settings),  # type: ignore[arg-type]
        subjects=subjects,
        child_pugh=(
            ChildPughComponents("P1", **CP_A),
            ChildPughComponents("P2", **CP_B),
            ChildPughComponents("P3", **CP_A),
            ChildPughComponents("P4", **CP_C),
            ChildPughComponents("P6", **CP_A),
        ),
        reads=(
            *reads("P1", INV, inv, [(56, "PR"), (112, "PR"), (224, "PD")]),  # confirmed PR, PD 224
            *reads("P2", INV, inv, [(56, "SD"), (112, "PD")]),  # SD, PD 112
            *reads("P3", INV, inv, [(56, "PR"), (112, "SD"), (168, "SD")]),  # unconfirmed PR -> SD
            *reads("P5", INV, inv, [(40, "PD")]),  # PD 40
            *reads("P6", INV, inv, [(40, "PR")]),  # screen failure: not analysed
        ),
        adverse_events=(
            AdverseEvent(
                "P1",
                1,
                "Fatigue",
                "General disorders and administration site conditions",
                3,
                onset=day(20),
                attribution="possible",
            ),
            AdverseEvent("P2", 1, "Fatigue", "General disorders and administration site conditions", 1, onset=day(10)),
            AdverseEvent(
                "P3",
                1,
                "Rash maculo-papular",
                "Skin and subcutaneous tissue disorders",
                3,
                onset=day(250),
                attribution="unrelated",
            ),
            AdverseEvent(
                "P6",
                1,
                "Rash maculo-papular",
                "Skin and subcutaneous tissue disorders",
                4,
                onset=day(5),
                attribution="definite",
            ),
        ),
        follow_up=(
            FollowUp("P1", death_date=day(300)),
            FollowUp("P2", last_known_alive=day(400)),
            FollowUp("P3", last_known_alive=day(200)),
            FollowUp("P4", death_date=day(30)),
        ),
    )


@pytest.fixture(scope="module")
def small() -> dict:
    return compute_cohort_stats(small_study()).to_dict()


def test_shape_matches_design_section_7(small: dict) -> None:
    check(small, SCHEMA)
    text = json.dumps(small, allow_nan=False)
    assert json.loads(text) == small


def test_population_and_baseline(small: dict) -> None:
    assert small["source"] == "investigator"
    assert small["n_enrolled"] == 5 and small["n_screened"] == 7
    assert [s["id"] for s in small["subjects"]] == ["P1", "P2", "P3", "P4", "P5"]
    assert small["baseline"]["child_pugh"] == {"A": 2, "B": 1, "C": 1}
    assert small["baseline"]["child_pugh_unknown"] == 1
    assert small["baseline"]["extrahepatic"] == 2
    assert small["study"] == small["study"] | {
        "title": "Small study",
        "criteria": "RECIST 1.1",
        "confirmation_days": 28,
        "min_sd_days": 42,
        "origin": "first_dose",
        "child_pugh_variant": "albumin-2.8",
    }


def test_best_responses_and_rates(small: dict) -> None:
    subjects = {s["id"]: s for s in small["subjects"]}
    assert {k: s["bor"] for k, s in subjects.items()} == {
        "P1": "PR",
        "P2": "SD",
        "P3": "SD",
        "P4": "MISSING",
        "P5": "PD",
    }
    assert subjects["P3"]["bor_unconfirmed"] == "PR"
    resp = small["response"]
    assert resp["bor_counts"] == {
        "CR": 0,
        "PR": 1,
        "SD": 2,
        "NON-CR/NON-PD": 0,
        "PD": 1,
        "NE": 0,
        "MISSING": 1,
    }
    ci = binomtest(1, 5).proportion_ci(method="exact")
    assert resp["orr"]["n"] == 1 and resp["orr"]["rate"] == pytest.approx(0.2)
    assert resp["orr"]["ci95"] == pytest.approx([ci.low, ci.high])
    assert resp["dcr"]["n"] == 3 and resp["dcr"]["rate"] == pytest.approx(0.6)
    assert subjects["P1"]["dor_days"] == 224 - 56 and subjects["P1"]["dor_event"] is True


def test_endpoints_per_subject(small: dict) -> None:
    subjects = {s["id"]: s for s in small["subjects"]}
    got = {k: (s["pfs_days"], s["pfs_event"], s["os_days"], s["os_event"]) for k, s in subjects.items()}
    assert got == {
        "P1": (224, True, 300, True),
        "P2": (112, True, 400, False),
        "P3": (168, False, 250, False),  # OS: AE onset day 250 is later than last known alive day 200
        "P4": (30, True, 30, True),  # death without assessment
        "P5": (40, True, 40, False),  # OS censored at the last contact (the assessment)
    }


def test_km_blocks_match_lifelines(small: dict) -> None:
    pfs_days, pfs_ev = [224, 112, 168, 30, 40], [True, True, False, True, True]
    kmf = KaplanMeierFitter().fit(np.asarray(pfs_days) / M, pfs_ev)
    assert small["pfs"]["events"] == 4 and small["pfs"]["censored"] == 1
    assert small["pfs"]["median_months"] == pytest.approx(float(kmf.median_survival_time_))
    assert small["pfs"]["median_months"] == pytest.approx(112 / M)
    assert small["os"]["events"] == 2 and small["os"]["censored"] == 3
    # OS: S = 0.8 after the death on day 30; at day 300 two at risk -> 0.4: median = day 300
    assert small["os"]["median_months"] == pytest.approx(300 / M)
    assert "log(-log)" in small["pfs"]["ci_method"]
    assert small["pfs"]["risk_table"][0] == {
        "time_months": 0.0,
        "at_risk": 5,
        "events_cumulative": 0,
        "censored_cumulative": 0,
    }


def test_subgroups_and_logrank(small: dict) -> None:
    cp = small["subgroups"]["child_pugh"]
    assert (cp["A"]["n"], cp["B"]["n"], cp["C"]["n"]) == (2, 1, 1)
    assert cp["A"]["orr"]["n"] == 1 and cp["A"]["orr"]["rate"] == pytest.approx(0.5)
    assert cp["C"]["pfs"]["median_months"] == pytest.approx(30 / M)
    assert small["subgroups"]["logrank"]["pfs"]["df"] == 2
    assert 0.0 <= small["subgroups"]["logrank"]["pfs"]["p_value"] <= 1.0


def test_toxicity_restricted_to_analysis_population(small: dict) -> None:
    rows = {r["term"].lower(): r for r in small["toxicity"]}
    fatigue, rash = rows["fatigue"], rows["rash maculo-papular"]
    assert (fatigue["any_grade"], fatigue["grade3"], fatigue["attributable_grade3plus"]) == (2, 1, 1)
    assert (rash["any_grade"], rash["grade3"], rash["grade4"], rash["attributable_grade3plus"]) == (
        1,
        1,
        0,
        0,
    )


def test_orr_ci_six_of_forty() -> None:
    p = Proportion.exact(6, 40)
    ref = binomtest(6, 40).proportion_ci(method="exact")
    assert p.ci95 == pytest.approx((ref.low, ref.high))
    assert round(p.ci95[0], 4) == 0.0571 and round(p.ci95[1], 4) == 0.2984
    assert p.rate == 0.15
    empty = Proportion.exact(0, 0)
    assert (empty.rate, empty.ci95) == (0.0, (0.0, 1.0))


def test_empty_study_is_serialisable() -> None:
    out = compute_cohort_stats(StudyData(StudySettings(title="Empty"))).to_dict()
    check(out, SCHEMA)
    json.dumps(out, allow_nan=False)
    assert out["n_enrolled"] == 0 and out["response"]["orr"]["ci95"] == [0.0, 1.0]


# --- central review: adjudicated source, pending, agreement ----------------------------------------------


def central_study(adjudications: tuple[Adjudication, ...] = ()) -> StudyData:
    base = small_study()
    rr = ReadRole.READER
    central = (
        *reads("P1", R1, rr, [(56, "PR"), (112, "PR"), (224, "PD")]),
        *reads("P1", R2, rr, [(56, "PR"), (112, "PR"), (224, "PD")]),  # agree
        *reads("P2", R1, rr, [(56, "SD"), (112, "PD")]),
        *reads("P2", R2, rr, [(56, "PR"), (112, "PR"), (168, "PD")]),  # discordant
        *reads("P3", R1, rr, [(56, "SD"), (112, "SD")]),  # single reader
    )
    return StudyData(
        settings=base.settings,
        subjects=base.subjects,
        child_pugh=base.child_pugh,
        reads=base.reads + central,
        adverse_events=base.adverse_events,
        follow_up=base.follow_up,
        adjudications=adjudications,
    )


def test_adjudicated_default_with_pending() -> None:
    out = compute_cohort_stats(central_study()).to_dict()
    check(out, SCHEMA)
    assert out["source"] == "adjudicated"
    subjects = {s["id"]: s for s in out["subjects"]}
    assert subjects["P2"]["bor"] == "PENDING" and subjects["P2"]["source_status"] == "pending"
    counts = out["response"]["bor_counts"]
    # P1 PR; P2 pending; P3 SD; P4, P5 no central reads -> MISSING
    assert counts == {
        "CR": 0,
        "PR": 1,
        "SD": 1,
        "NON-CR/NON-PD": 0,
        "PD": 0,
        "NE": 0,
        "MISSING": 2,
        "PENDING": 1,
    }
    assert sum(counts.values()) == out["n_enrolled"] == 5
    assert out["response"]["orr"]["n"] == 1 and out["response"]["orr"]["rate"] == pytest.approx(1 / 5)
    assert out["response"]["pending"] == 1 and out["response"]["pending_subjects"] == ["P2"]
    ra = out["reader_agreement"]
    assert ra["readers"] == [R1, R2] and ra["n"] == 2 and ra["percent_agreement"] == pytest.approx(50.0)
    assert ra["discordant"] == ["P2"]
    # pairs (PR, PR), (SD, PR): p_o = .5, rows (PR 1, SD 1), cols (PR 2) -> p_e = .5 -> kappa 0
    assert ra["kappa"] == pytest.approx(0.0)
    ivc = out["investigator_vs_central"]
    assert ivc["n"] == 2 and ivc["discordant"] == []  # P1 PR/PR, P3 SD/SD (P3 central PD date none)


def test_adjudication_resolves_pending_and_changes_figures() -> None:
    decision = Adjudication("P2", chosen_reader=R2, reason="new lesion equivocal", adjudicator="adj", signed=True)
    out = compute_cohort_stats(central_study((decision,))).to_dict()
    subjects = {s["id"]: s for s in out["subjects"]}
    assert subjects["P2"]["bor"] == "PR" and subjects["P2"]["reader"] == R2
    assert subjects["P2"]["pfs_days"] == 168 and subjects["P2"]["pfs_event"] is True
    assert out["response"]["bor_counts"]["PENDING"] == 0 and out["response"]["orr"]["n"] == 2


def test_explicit_sources() -> None:
    data = central_study()
    r2 = compute_cohort_stats(data, f"reader:{R2}").to_dict()
    assert r2["source"] == f"reader:{R2}" and "PENDING" not in r2["response"]["bor_counts"]
    assert r2["response"]["bor_counts"]["PR"] == 2
    with pytest.raises(ValueError):
        compute_cohort_stats(data, "nonsense")


# --- speed -----------------------------------------------------------------------------------------------


def big_study(n: int) -> StudyData:
    rng = np.random.default_rng(7)
    codes = np.array(["PR", "SD", "SD", "NE", "PD", "CR"])
    subjects, rds, fus, cps, aes = [], [], [], [], []
    for i in range(n):
        sid = f"S{i:05d}"
        subjects.append(Subject(sid, first_dose_date=O, extrahepatic=bool(i % 2)))
        for k in range(1, 11):
            code = str(codes[rng.integers(0, len(codes))])
            for reader in (R1, R2):
                rds.append(Read(sid, reader, ReadRole.READER, day(42 * k), overall=code))
            rds.append(Read(sid, INV, ReadRole.INVESTIGATOR, day(42 * k), overall=code))
        fus.append(
            FollowUp(sid, death_date=day(int(rng.integers(30, 900))) if i % 3 else None, last_known_alive=day(500))
        )
        cps.append(ChildPughComponents(sid, **(CP_A if i % 2 else CP_B)))
        aes.append(AdverseEvent(sid, 1, "Fatigue", "", int(rng.integers(1, 5)), onset=day(10)))
    return StudyData(
        StudySettings(title="big"),
        subjects=tuple(subjects),
        reads=tuple(rds),
        follow_up=tuple(fus),
        child_pugh=tuple(cps),
        adverse_events=tuple(aes),
    )


@pytest.mark.slow
def test_five_thousand_subjects_in_a_few_seconds() -> None:
    data = big_study(5000)
    compute_cohort_stats(StudyData(StudySettings(title="warm")))  # imports
    start = time.perf_counter()
    stats = compute_cohort_stats(data)
    elapsed = time.perf_counter() - start
    out = stats.to_dict()
    assert out["n_enrolled"] == 5000 and out["source"] == "adjudicated"
    assert sum(out["response"]["bor_counts"].values()) == 5000
    json.dumps(out, allow_nan=False)
    assert elapsed < 10.0, f"{elapsed:.1f} s"


def test_plain_converts_numpy_nan_dates_enums() -> None:
    from hccreview.domain.cohort import plain
    from hccreview.domain.records import Response

    value = {"a": np.int64(3), "b": np.float64("nan"), "c": (day(1), Response.PR), "d": np.bool_(True)}
    assert plain(value) == {"a": 3, "b": None, "c": [day(1).isoformat(), "PR"], "d": True}
    assert type(plain(np.int64(3))) is int and type(plain(np.bool_(False))) is bool


def test_progress_callback() -> None:
    seen: list[tuple[int, int]] = []
    compute_cohort_stats(small_study(), progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (6, 6)  # the non-screen-failure subjects considered


def test_pending_patients_are_left_out_of_pfs_but_not_os() -> None:
    """While a patient awaits adjudication, PFS has no accepted assessment for them: out of PFS, in OS."""
    from hccreview.domain.cohort import endpoint_results

    stats = compute_cohort_stats(central_study(), "adjudicated")
    pending = [o for o in stats.subjects if o.source_status == "pending"]
    assert pending, "the study must have a pending patient for this test"
    assert stats.pfs.n == stats.n_enrolled - len(pending)
    assert stats.os.n == stats.n_enrolled
    assert len(endpoint_results(stats.subjects, "pfs")) == stats.pfs.n
