"""AE terms and grades against the packaged CTCAE v5.0 table (io/ae_terms.py), alone and through both importers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from hccreview.io.ae_terms import EXAMPLES, packaged_terms, term_findings
from hccreview.io.csv_bundle import read_bundle

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "templates" / "example"


def test_grades_the_term_does_not_define_are_flagged_per_row() -> None:
    fatigue = packaged_terms().lookup("fatigue")
    assert fatigue is not None and sorted(fatigue.grades) == [1, 2, 3]  # CTCAE v5.0: Fatigue has no grade 4 or 5
    found = term_findings("ae.csv", "AEDECOD", "AETOXGR", [(1, "Fatigue", 3, "S1"), (2, "FATIGUE", 4, "S2"),
                                                           (3, "Fatigue", None, "S3")])  # fmt: skip
    assert [(p.file, p.row, p.field, p.value, p.severity, p.subject_id) for p in found] == [
        ("ae.csv", 2, "AETOXGR", "4", "warning", "S2")
    ]
    assert "no grade 4 for Fatigue (only 1, 2, 3)" in found[0].reason


def test_unknown_terms_make_one_finding_per_file_with_their_rows() -> None:
    rows = [(i, f"Term {i % 7}", None, "S1") for i in range(1, 30)] + [(40, "Fatigue", 2, "S1")]
    found = term_findings("adverse_events.csv", "term", "grade", rows)
    assert len(found) == 1
    p = found[0]
    assert (p.file, p.row, p.field, p.value) == ("adverse_events.csv", 1, "term", "Term 1")
    assert "7 distinct terms in 29 rows" in p.reason and f"({len(packaged_terms())} terms packaged)" in p.reason
    assert p.reason.count("(row ") == EXAMPLES and "'Term 2' (row 2)" in p.reason


def test_the_bundle_importer_reports_both(tmp_path: Path) -> None:
    folder = tmp_path / "bundle"
    shutil.copytree(EXAMPLE, folder)
    ae = pd.read_csv(folder / "adverse_events.csv", dtype=str, keep_default_na=False)
    ae.loc[1, "grade"] = "5"  # Fatigue, grade 5: not a CTCAE v5.0 grade of Fatigue
    ae.loc[0, "term"] = "Injection site itching"
    ae.to_csv(folder / "adverse_events.csv", index=False)
    parsed = read_bundle(folder)
    assert not parsed.errors
    mine = [p for p in parsed.warnings if "CTCAE" in p.reason]
    assert {(p.row, p.field) for p in mine} == {(2, "grade"), (1, "term")}
    assert all(p.file == "adverse_events.csv" for p in mine)


def test_the_real_delivery_gets_one_summary_not_a_line_per_row(sdtm_root: Path, tmp_path: Path) -> None:
    from hccreview.services.importing import import_into

    result = import_into(tmp_path / "s.db", fmt="sdtm", source=sdtm_root / "recist")
    mine = [w for w in result.warnings if "CTCAE v5.0 term table" in w.reason]
    assert len(mine) == 1 and (mine[0].file, mine[0].field) == ("ae.csv", "AEDECOD")
    ae = pd.read_csv(sdtm_root / "recist" / "ae.csv", dtype=str, keep_default_na=False)
    unknown = {t for t in ae["AEDECOD"] if packaged_terms().lookup(t) is None}
    assert f"{len(unknown)} distinct terms" in mine[0].reason
