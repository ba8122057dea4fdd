"""The shipped CTCAE v5.0 term table (resources/ctcae_v5.csv) against the grading code."""

from __future__ import annotations

import csv
import importlib.resources

import pytest

from hccreview.domain.ctcae import MEDDRA_SOCS, SYNONYMS, TermTable
from hccreview.domain.ctcae_labs import LAB_TEST_TERMS

COLUMNS = ["term", "soc", "meddra_code", "grade1", "grade2", "grade3", "grade4", "grade5"]


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    resource = importlib.resources.files("hccreview.resources").joinpath("ctcae_v5.csv")
    with resource.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == COLUMNS
        return list(reader)


@pytest.fixture(scope="module")
def table(rows) -> TermTable:
    return TermTable.from_rows(rows)


def test_every_row_has_a_known_soc(rows):
    unknown = [(r["term"], r["soc"]) for r in rows if r["soc"] not in MEDDRA_SOCS]
    assert unknown == []


def test_every_row_is_complete(rows):
    for r in rows:
        assert all(r[c] is not None for c in COLUMNS), r["term"]
        grades = [r[f"grade{g}"] for g in range(1, 6)]
        assert all(g.strip() for g in grades), r["term"]  # defined text or CTCAE's "-"
        assert any(g != "-" for g in grades), r["term"]


def test_meddra_codes_blank_or_eight_digits(rows):
    bad = [(r["term"], r["meddra_code"]) for r in rows if r["meddra_code"] and not r["meddra_code"].isdigit()]
    assert bad == []
    assert all(len(r["meddra_code"]) == 8 for r in rows if r["meddra_code"])
    codes = [r["meddra_code"] for r in rows if r["meddra_code"]]
    assert len(codes) == len(set(codes))


def test_table_loads_without_duplicates(rows, table):
    assert len(table) == len(rows)


def test_every_graded_lab_test_maps_to_a_table_term(table):
    missing = [t for terms in LAB_TEST_TERMS.values() for t in terms if t not in table]
    assert missing == []


@pytest.mark.parametrize(
    ("term", "soc"),
    [
        ("Anemia", "Blood and lymphatic system disorders"),
        ("Neutrophil count decreased", "Investigations"),
        ("Blood bilirubin increased", "Investigations"),
        ("Hypoalbuminemia", "Metabolism and nutrition disorders"),
        ("Fatigue", "General disorders and administration site conditions"),
        ("Rash maculo-papular", "Skin and subcutaneous tissue disorders"),
        ("Encephalopathy", "Nervous system disorders"),
        ("Upper gastrointestinal hemorrhage", "Gastrointestinal disorders"),
        ("Lung infection", "Infections and infestations"),
    ],
)
def test_soc_of_key_terms(table, term, soc):
    assert table.soc_of(term) == soc


REQUIRED_TERMS = [
    "Fatigue", "Rash maculo-papular", "Pruritus", "Diarrhea", "Nausea", "Vomiting", "Constipation",
    "Anorexia", "Abdominal pain", "Fever", "Peripheral sensory neuropathy", "Thromboembolic event",
    "Dyspnea", "Cough", "Edema limbs", "Ascites", "Encephalopathy", "Upper gastrointestinal hemorrhage",
    "Hypertension", "Insomnia", "Dizziness", "Headache", "Myalgia", "Arthralgia", "Back pain", "Dysgeusia",
    "Mucositis oral", "Alopecia", "Lung infection", "Urinary tract infection", "Sepsis",
    "Febrile neutropenia", "Hypothyroidism", "Palmar-plantar erythrodysesthesia syndrome", "Weight loss",
    "Dehydration", "Neutrophil count decreased", "Platelet count decreased", "White blood cell decreased",
    "Lymphocyte count decreased", "Anemia", "Blood bilirubin increased",
    "Alanine aminotransferase increased", "Aspartate aminotransferase increased",
    "Alkaline phosphatase increased", "Creatinine increased", "Hypoalbuminemia", "INR increased",
    "Hyponatremia", "Hyperkalemia", "Hypokalemia",
]  # fmt: skip


def test_required_terms_present(rows):
    names = {r["term"] for r in rows}  # exact spelling, not through synonyms
    assert [t for t in REQUIRED_TERMS if t not in names] == []


def test_every_synonym_resolves_to_a_table_term(table):
    assert sorted({target for target in SYNONYMS.values() if target not in table}) == []
