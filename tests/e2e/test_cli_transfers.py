"""``hccreview import`` into an existing study (a transfer: preview, ``--dry-run``) and ``hccreview transfers``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.services.test_transfers import changed_copy

HCC = [sys.executable, "-m", "hccreview"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HCC, *args], capture_output=True, text=True, timeout=300)


def test_transfer_preview_dry_run_and_listing(sdtm_root: Path, tmp_path: Path) -> None:
    study = tmp_path / "s.db"
    assert _run("import", str(study), "--format", "sdtm", str(sdtm_root / "recist")).returncode == 0
    source = changed_copy(sdtm_root, tmp_path / "v2")
    before = study.read_bytes()
    dry = _run("import", str(study), "--format", "sdtm", str(source), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert study.read_bytes() == before
    out = dry.stdout
    assert "1 new, 1 changed, 5 removed record(s)" in out
    assert "changed measurements radiologist-1 T01 2014-01-02: diameter_mm 21.0 → 25.0" in out
    assert "new adverse events #4 NAUSEA" in out and "removed reads (source) radiologist-2 2013-08-30" in out
    applied = _run("import", str(study), "--format", "sdtm", str(source))
    assert applied.returncode == 0 and "as transfer 2" in applied.stdout
    listing = _run("transfers", str(study))
    assert listing.returncode == 0
    assert "transfer 1 (created the study)" in listing.stdout and "2 transfer(s)" in listing.stdout
    assert "measurements: 0 new, 1 changed, 4 removed" in listing.stdout
    data = json.loads(_run("transfers", str(study), "--json").stdout)
    assert [t["id"] for t in data] == [1, 2] and data[1]["counts"]["adverse_events"]["new"] == 1
    assert {f["name"] for f in data[1]["files"]} == {p.name for p in source.iterdir()}
    assert _run("transfers", str(tmp_path / "none.db")).returncode == 1
