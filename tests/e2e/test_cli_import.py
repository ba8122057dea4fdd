"""``hccreview import STUDY.db --format sdtm SOURCE``: exit 0 on success, 1 (problems on stderr, nothing written)."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

HCC = [sys.executable, "-m", "hccreview"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HCC, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def data(sdtm_root: Path) -> Path:
    """The real deliveries (``sdtm_root`` of tests/conftest.py skips, saying why, where they are absent)."""
    return sdtm_root


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_import_recist_then_the_same_delivery_as_a_transfer(data: Path, tmp_path: Path) -> None:
    study = tmp_path / "r.db"
    r = _run("import", str(study), "--format", "sdtm", str(data / "recist"))
    assert r.returncode == 0, r.stderr
    assert "subjects 306" in r.stdout and "measurements 273" in r.stdout and "reads 66" in r.stdout
    assert "warning(s)" in r.stdout and "as transfer 1" in r.stdout
    assert _run("verify", str(study)).returncode == 0
    before = _sha(study)
    dry = _run("import", str(study), "--format", "sdtm", str(data / "recist"), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run" in dry.stdout and "no changes: the study already holds this data" in dry.stdout
    assert _sha(study) == before
    again = _run("import", str(study), "--format", "sdtm", str(data / "recist"))
    assert again.returncode == 0, again.stderr
    assert "as transfer 2" in again.stdout and "0 new, 0 changed, 0 removed" in again.stdout
    assert _run("verify", str(study)).returncode == 0


def test_malformed_input_is_refused_naming_file_row_and_field(data: Path, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for path in (data / "recist").glob("*.csv"):
        (src / path.name).write_bytes(path.read_bytes())
    tr = pd.read_csv(src / "tr.csv", dtype=str, keep_default_na=False)
    tr.loc[9, ["TRSTRESN", "TRORRES", "TRSTRESC"]] = "-7.5"
    tr.loc[11, "TRDTC"] = "2014-02-3x"
    tr.to_csv(src / "tr.csv", index=False)
    ae = pd.read_csv(src / "ae.csv", dtype=str, keep_default_na=False)
    ae["AETOXGR"] = "2"
    ae.loc[0, "AETOXGR"] = "6"
    ae.to_csv(src / "ae.csv", index=False)
    study = tmp_path / "new.db"
    r = _run("import", str(study), "--format", "sdtm", str(src))
    assert r.returncode == 1, r.stdout
    assert "error: tr.csv row 10, field TRSTRESN (value '-7.5'): negative diameter" in r.stderr
    assert re.search(r"error: tr\.csv row 12, field TRDTC \(value '2014-02-3x'\): unparseable date", r.stderr)
    assert "error: ae.csv row 1, field AETOXGR (value '6'): CTCAE grade outside 1–5" in r.stderr
    assert "refused (3 error(s)); nothing was written" in r.stderr
    assert not study.exists()


def test_study_title_option(data: Path, tmp_path: Path) -> None:
    study = tmp_path / "t.db"
    r = _run("import", str(study), "--format", "sdtm", str(data / "recist"), "--study-title", "Central review")
    assert r.returncode == 0, r.stderr
    from hccreview.store import Store

    with Store.open(study) as store:
        assert store.settings().title == "Central review"


def test_usage_errors(tmp_path: Path) -> None:
    assert _run("import", str(tmp_path / "x.db"), str(tmp_path)).returncode == 2  # --format is required
    assert _run("import", str(tmp_path / "x.db"), "--format", "sas", str(tmp_path)).returncode == 2
    r = _run("import", str(tmp_path / "x.db"), "--format", "sdtm", str(tmp_path / "nowhere"))
    assert r.returncode == 1 and "not a folder" in r.stderr and not (tmp_path / "x.db").exists()


@pytest.mark.slow
def test_import_onco(data: Path, tmp_path: Path) -> None:
    study = tmp_path / "o.db"
    r = _run("import", str(study), "--format", "sdtm", str(data / "onco"))
    assert r.returncode == 0, r.stderr
    assert "measurements 26724" in r.stdout and "labs 58700" in r.stdout and "lesions 7734" in r.stdout
