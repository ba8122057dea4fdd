"""Study-agnostic domain facts (issue 23 item 2): what a study collects, AE terms in one case convention, the
toxicity table by severity, and the planned regimen taken from the treatment records."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hccreview.domain.collected import Collected, collected
from hccreview.domain.ctcae import canonical_term, meddra_case, toxicity_table
from hccreview.domain.dosing import Regimen, dose_summary, planned_regimens
from hccreview.domain.records import AdverseEvent, ChildPughComponents, Cycle, StudySettings, Subject

D0 = date(2024, 1, 1)


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("PRURITUS", "Pruritus"),
        ("APPLICATION SITE PRURITUS", "Application site pruritus"),
        ("Diarrhea", "Diarrhea"),
        ("Diarrhoea", "Diarrhoea"),
        ("diarrhoea", "Diarrhoea"),
        ("ALT INCREASED", "ALT increased"),
        ("ELECTROCARDIOGRAM QT PROLONGED", "Electrocardiogram QT prolonged"),
        ("CD4 LYMPHOCYTES DECREASED", "CD4 lymphocytes decreased"),
        ("ATRIOVENTRICULAR BLOCK  SECOND DEGREE", "Atrioventricular block second degree"),
        ("Blood pressure increased", "Blood pressure increased"),
    ],
)
def test_terms_in_meddra_case(given: str, shown: str) -> None:
    assert meddra_case(given) == shown


def test_terms_group_on_the_normalized_term_and_show_it() -> None:
    aes = [AdverseEvent("01", 1, "PRURITUS", severity="MILD"), AdverseEvent("02", 1, "Pruritus", severity="SEVERE"),
           AdverseEvent("03", 1, "pruritus", severity="MODERATE"), AdverseEvent("03", 2, "DIARRHOEA")]  # fmt: skip
    rows = toxicity_table(aes, 3)
    assert [(r.term, r.any_grade) for r in rows] == [("Pruritus", 3), ("Diarrhea", 1)]  # CTCAE's name of DIARRHOEA
    assert (rows[0].mild, rows[0].moderate, rows[0].severe, rows[0].ungraded) == (1, 1, 1, 3)
    assert canonical_term("neutropenia") == "Neutrophil count decreased"  # the CTCAE synonym still wins


def _subject(sid: str, **kw: object) -> Subject:
    return Subject(sid, **kw)  # type: ignore[arg-type]  # keyword fields of a test subject


def test_a_non_hcc_study_collects_no_hcc_field() -> None:
    people = [_subject("1", sex="F", age=70, arm="Placebo"), _subject("2", sex="M", age=50, arm="Drug"),
              _subject("3", arm="Screen Failure", screen_failure=True)]  # fmt: skip
    labs_only = [ChildPughComponents("1", bilirubin_mg_dl=0.6, albumin_g_dl=3.8)]  # routine labs, no assessment
    c = collected(people, labs_only, [AdverseEvent("1", 1, "PRURITUS", severity="MILD")])
    assert not (c.child_pugh or c.bclc or c.afp or c.ecog or c.macrovascular_invasion or c.prior_sorafenib)
    assert not c.ctcae_grade and c.severity
    assert c.arms == ("Drug", "Placebo")
    assert c.subgroups() == ("arm", "sex", "age_group")


def test_an_hcc_study_collects_child_pugh_and_its_subgroups() -> None:
    people = [_subject("1", sex="M", age=60, ecog=1, bclc_stage="C", extrahepatic=False, afp_ng_ml=12.0)]
    cp = [ChildPughComponents("1", 1.0, 4.0, 1.1, "none", "none")]
    c = collected(people, cp, [AdverseEvent("1", 1, "Fatigue", grade=3)])
    assert c.child_pugh and c.bclc and c.afp and c.ecog and c.macrovascular_invasion is False and c.ctcae_grade
    assert c.subgroups() == ("child_pugh", "sex", "age_group", "ecog", "extrahepatic")  # one arm: no arm split
    assert Collected.everything().to_dict()["child_pugh"] is True


def _cycle(sid: str, n: int, day: int, dose: float, days: int | None, drug: str) -> Cycle:
    return Cycle(sid, n, D0 + timedelta(days=day), dose, days, drug=drug)


def test_regimen_per_arm_from_the_treatment_records() -> None:
    people = [_subject("P1", arm="Placebo"), _subject("X1", arm="Xanomeline High Dose"),
              _subject("X2", arm="Xanomeline High Dose"), _subject("L1", arm="Xanomeline Low Dose")]  # fmt: skip
    cycles = [
        _cycle("P1", 1, 0, 0.0, 15, "PLACEBO"), _cycle("P1", 2, 15, 0.0, 150, "PLACEBO"),
        _cycle("X1", 1, 0, 54.0, 14, "XANOMELINE"), _cycle("X1", 2, 14, 81.0, 150, "XANOMELINE"),
        _cycle("X2", 1, 0, 54.0, 15, "XANOMELINE"), _cycle("L1", 1, 0, 54.0, 30, "XANOMELINE"),
    ]  # fmt: skip
    settings = StudySettings(title="t", drug="Xanomeline", dose_frequency="QD")
    regimens = planned_regimens(people, cycles, settings)
    assert regimens["Placebo"].text() == "Placebo 0 mg QD"
    assert regimens["Xanomeline Low Dose"].text() == "Xanomeline 54 mg QD"
    assert regimens["Xanomeline High Dose"].text() == "Xanomeline 81 mg QD"  # titrated up: most days at 81 mg
    placebo = dose_summary(cycles[:2], regimen=regimens["Placebo"])
    assert placebo.cycles_received == 2  # a placebo exposure is received, though its dose is 0 mg
    assert placebo.relative_dose_intensity is None  # no intensity of a 0 mg plan
    high = dose_summary(cycles[2:4], regimen=regimens["Xanomeline High Dose"])
    assert high.total_dose_mg == 54 * 14 + 81 * 150 and high.planned_total_mg == 81 * 164
    assert high.relative_dose_intensity == pytest.approx((54 * 14 + 81 * 150) / 164 / 81, abs=1e-4)
    assert high.current_dose_level is None  # no lenalidomide ladder for another drug


def test_a_cyclic_schedule_is_read_from_the_cycles() -> None:
    people = [_subject(f"S{i}", arm="lenalidomide 25 mg") for i in range(3)]
    cycles = [_cycle(f"S{i}", n + 1, 28 * n, 25.0, 21, "lenalidomide") for i in range(3) for n in range(3)]
    (regimen,) = planned_regimens(people, cycles, StudySettings(title="t", drug="lenalidomide")).values()
    assert regimen == Regimen("lenalidomide", 25.0, days=21, cycle_days=28)
    assert regimen.text() == "25 mg on days 1–21 of every 28-day cycle"
    s = dose_summary([c for c in cycles if c.subject_id == "S0"], regimen=regimen)
    assert (s.cycles_received, s.relative_dose_intensity, s.current_dose_level) == (3, 1.0, 0)
