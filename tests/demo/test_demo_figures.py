"""The default demo study reproduces the seed trial's figures through the rules engine (DESIGN §5).

Every figure is derived from the records written to the study file: nothing here reads a stored conclusion.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import pytest
from scipy.stats import binomtest

from hccreview.domain.child_pugh import child_pugh_score
from hccreview.domain.cohort import compute_cohort_stats
from hccreview.domain.ctcae import is_attributable
from hccreview.domain.ctcae_labs import LAB_TEST_TERMS, grade_lab
from hccreview.domain.records import ChildPughVariant, StudyData
from hccreview.services.demo_study import build_demo_study
from hccreview.store import Store
from hccreview.store.study_data import load_study

MONTH = 30.4375


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> StudyData:
    """The default demo study, built into a file and loaded back from it."""
    path = build_demo_study(tmp_path_factory.mktemp("demo") / "demo.db")
    with Store.open(path) as store:
        return load_study(store)


@pytest.fixture(scope="module")
def stats(demo: StudyData) -> dict[str, dict]:
    return {src: compute_cohort_stats(demo, src).to_dict() for src in ("investigator", "computed")}


@pytest.mark.parametrize("source", ["investigator", "computed"])
def test_baseline_and_response(stats: dict[str, dict], source: str) -> None:
    d = stats[source]
    assert d["n_enrolled"] == 40
    assert d["baseline"]["child_pugh"] == {"A": 19, "B": 16, "C": 5}
    assert d["baseline"]["extrahepatic"] == 17
    bor = d["response"]["bor_counts"]
    assert bor["PR"] == 6 and bor["CR"] == 0
    orr = d["response"]["orr"]
    assert orr["n"] == 6 and orr["rate"] == pytest.approx(0.15)
    ci = binomtest(6, 40).proportion_ci(method="exact")
    assert orr["ci95"] == pytest.approx([ci.low, ci.high], abs=1e-12)


@pytest.mark.parametrize("source", ["investigator", "computed"])
def test_medians_and_long_term_progression_free(stats: dict[str, dict], source: str) -> None:
    d = stats[source]
    assert round(d["pfs"]["median_months"], 1) == 3.6
    assert round(d["os"]["median_months"], 1) == 7.6
    censored = sorted(s["pfs_days"] / MONTH for s in d["subjects"] if not s["pfs_event"])
    assert len(censored) == 2  # everyone else progressed or died
    assert censored == pytest.approx([32.0, 36.0], abs=0.1)
    assert not any("missed" in s["pfs_rule"] for s in d["subjects"])  # the missed-assessment rule never bites


def _crossings(days: list[int], events: list[bool]) -> tuple[int, int]:
    """Exact Kaplan–Meier: (min t with S(t) <= 1/2, min t with S(t) < 1/2)."""
    surv, at_risk, lo, hi = Fraction(1), len(days), None, None
    for t in sorted(set(days)):
        d = sum(1 for x, e in zip(days, events, strict=True) if x == t and e)
        surv *= Fraction(at_risk - d, at_risk)
        at_risk -= sum(1 for x in days if x == t)
        lo = t if lo is None and surv <= Fraction(1, 2) else lo
        hi = t if hi is None and surv < Fraction(1, 2) else hi
    assert lo is not None and hi is not None
    return lo, hi


def test_medians_do_not_depend_on_the_median_convention(stats: dict[str, dict]) -> None:
    """Both ends of a KM plateau at exactly 1/2 (if any) give the same rounded median."""
    subjects = stats["investigator"]["subjects"]
    for key, target in (("pfs", 3.6), ("os", 7.6)):
        lo, hi = _crossings([s[f"{key}_days"] for s in subjects], [s[f"{key}_event"] for s in subjects])
        assert round(lo / MONTH, 1) == target and round(hi / MONTH, 1) == target


def test_investigator_states_the_computed_responses(stats: dict[str, dict]) -> None:
    keys = ("id", "bor", "bor_unconfirmed", "pfs_days", "pfs_event", "os_days", "os_event")
    inv = [{k: s[k] for k in keys} for s in stats["investigator"]["subjects"]]
    comp = [{k: s[k] for k in keys} for s in stats["computed"]["subjects"]]
    assert inv == comp


def test_toxicity(stats: dict[str, dict]) -> None:
    rows = {r["term"]: r for r in stats["investigator"]["toxicity"]}
    neut, fatigue, rash = rows["Neutrophil count decreased"], rows["Fatigue"], rows["Rash maculo-papular"]
    assert neut["grade4"] == 1 and neut["pct_any"] is not None
    assert 100.0 * neut["grade4"] / 40 == 2.5
    assert (fatigue["grade3"], fatigue["grade4"], fatigue["attributable_grade3plus"]) == (3, 0, 3)
    assert (rash["grade3"], rash["grade4"], rash["attributable_grade3plus"]) == (4, 0, 4)
    assert sum(r["grade4"] for r in rows.values()) == 1  # the one grade 4 event of the trial


def test_child_pugh_components_score_to_the_classes_under_both_variants(demo: StudyData) -> None:
    for variant in ChildPughVariant:
        classes = [child_pugh_score(c, variant).cls for c in demo.child_pugh]
        assert (classes.count("A"), classes.count("B"), classes.count("C")) == (19, 16, 5)


def test_screening_labs_are_the_child_pugh_components(demo: StudyData) -> None:
    first = {s.subject_id: s.first_dose_date for s in demo.subjects}
    screening = {(x.subject_id, x.test): x.value for x in demo.labs if x.date < first[x.subject_id]}
    for c in demo.child_pugh:
        assert screening[(c.subject_id, "BILI")] == c.bilirubin_mg_dl
        assert screening[(c.subject_id, "ALB")] == c.albumin_g_dl


def test_laboratory_adverse_events_match_the_lab_values(demo: StudyData) -> None:
    """A lab AE exists exactly when a post-baseline value grades worse than screening; its grade is the worst."""
    first = {s.subject_id: s.first_dose_date for s in demo.subjects}
    worst_ae: dict[tuple[str, str], int] = {}
    for ae in demo.adverse_events:
        key = (ae.subject_id, ae.term)
        worst_ae[key] = max(worst_ae.get(key, 0), ae.grade or 0)
    labs = defaultdict(list)
    for lab in demo.labs:
        labs[(lab.subject_id, lab.test)].append(lab)
    assert {test for _, test in labs} == {"NEUT", "PLAT", "HGB", "BILI", "ALB", "ALT", "AST"}
    for (sid, test), values in labs.items():
        screening = [x for x in values if x.date < first[sid]]
        assert len(screening) == 1
        b = screening[0]
        g0 = grade_lab(test, b.value, lln=b.lln, uln=b.uln, baseline=b.value).grade
        post = [grade_lab(test, x.value, lln=x.lln, uln=x.uln, baseline=b.value).grade for x in values if x is not b]
        worst = max(post, default=0)
        assert worst_ae.get((sid, LAB_TEST_TERMS[test][0]), 0) == (worst if worst > g0 else 0), (sid, test)


def test_grade_4_neutropenia_has_its_nadir_in_the_labs(demo: StudyData) -> None:
    g4 = [ae for ae in demo.adverse_events if ae.term == "Neutrophil count decreased" and ae.grade == 4]
    assert len(g4) == 1 and is_attributable(g4[0].attribution)
    nadir = min((x for x in demo.labs if x.subject_id == g4[0].subject_id and x.test == "NEUT"), key=lambda x: x.value)
    assert (nadir.unit, nadir.lln, nadir.uln) == ("10^9/L", 2.0, 7.5)
    assert grade_lab("NEUT", nadir.value, lln=nadir.lln, uln=nadir.uln).grade == 4


def test_dose_reductions_follow_attributable_grade_3_events(demo: StudyData) -> None:
    levels = (25.0, 20.0, 15.0, 10.0)
    by_subject = defaultdict(list)
    for c in demo.cycles:
        by_subject[c.subject_id].append(c)
    reductions = 0
    for sid, cycles in by_subject.items():
        cycles.sort(key=lambda c: c.number)
        assert [c.number for c in cycles] == list(range(1, len(cycles) + 1))
        assert cycles[0].dose_mg == 25.0 and all(c.dose_mg in levels for c in cycles)
        assert all(b.start_date > a.start_date for a, b in itertools.pairwise(cycles))
        for prev, cyc in itertools.pairwise(cycles):
            assert (cyc.start_date - prev.start_date).days == 28 + cyc.delay_days
            assert cyc.reduced == (cyc.dose_mg < prev.dose_mg)
            if cyc.reduced:
                reductions += 1
                assert levels.index(cyc.dose_mg) == levels.index(prev.dose_mg) + 1
                cause = [
                    ae for ae in demo.adverse_events
                    if ae.subject_id == sid and ae.term in cyc.reason and (ae.grade or 0) >= 3
                    and is_attributable(ae.attribution) and ae.onset is not None and ae.onset < cyc.start_date
                ]  # fmt: skip
                assert cause, (sid, cyc)
    assert reductions >= 8  # 3 fatigue, 4 rash, 1 neutropenia at least


def test_nothing_is_dated_after_death_or_last_contact(demo: StudyData) -> None:
    limit = {f.subject_id: f.death_date or f.last_known_alive for f in demo.follow_up}
    first = {s.subject_id: s.first_dose_date for s in demo.subjects}
    for table in (demo.cycles, demo.labs, demo.measurements, demo.reads):
        for x in table:
            day = getattr(x, "start_date", None) or x.date
            assert day <= limit[x.subject_id]
    for ae in demo.adverse_events:
        assert first[ae.subject_id] <= ae.onset <= limit[ae.subject_id]
        assert ae.resolution is None or ae.resolution <= limit[ae.subject_id]


def test_extrahepatic_patients_have_extrahepatic_lesions(demo: StudyData) -> None:
    organs = defaultdict(set)
    for lesion in demo.lesions:
        if lesion.reader == "investigator" and lesion.kind != "new":
            organs[lesion.subject_id].add(lesion.organ)
    for s in demo.subjects:
        assert (organs[s.subject_id] - {"liver"} != set()) == s.extrahepatic, s.subject_id


def test_terms_are_ctcae_v5(demo: StudyData) -> None:
    import csv
    import importlib.resources

    with (importlib.resources.files("hccreview.resources") / "ctcae_v5.csv").open(encoding="utf-8") as fh:
        socs = {row["term"]: row["soc"] for row in csv.DictReader(fh)}
    for ae in demo.adverse_events:
        assert socs[ae.term] == ae.soc
        assert ae.attribution in ("unrelated", "unlikely", "possible", "probable", "definite")
        assert ae.grade is not None and 1 <= ae.grade <= 5


def test_month_arithmetic_of_the_calibration_targets() -> None:
    """The day windows the calibration aims at are exactly the days that round to the published months."""
    from hccreview.demo.course import day_window

    assert day_window(3.6) == (109, 111) and day_window(7.6) == (230, 232)
    assert all(round(d / MONTH, 1) == 3.6 for d in range(109, 112))
    assert round(108 / MONTH, 1) != 3.6 and round(112 / MONTH, 1) != 3.6
    assert math.isclose(36.0 * MONTH, 1095.75)


def test_written_file_is_verified(tmp_path: Path) -> None:
    from hccreview.services.verify import verify_study

    path = build_demo_study(tmp_path / "v.db", seed=3, patients=12)
    assert all(check.ok for check in verify_study(path))
