"""``hccreview export STUDY.db --format sdtm|csv OUT`` as a subprocess: files, exit codes, the round trip."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HCC = [sys.executable, "-m", "hccreview"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HCC, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    r = _run("demo", str(path))
    assert r.returncode == 0, r.stderr
    return path


def test_sdtm_export_then_import_gives_the_same_stats_json(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "sdtm"
    r = _run("export", str(demo), "--format", "sdtm", str(out))
    assert r.returncode == 0, r.stderr
    assert f"wrote SDTM domains to {out}" in r.stdout and "rs.csv 1290" in r.stdout
    assert "note: cycle delays and dose-reduction flags are not exported" in r.stdout
    names = sorted(p.name for p in out.iterdir())
    domains = ["ae", "dm", "ds", "ex", "lb", "rs", "suppdm", "tr", "ts", "tu"]
    assert names == sorted(["adrs_hccreview.csv", *(f"{d}.csv" for d in domains)])
    back = tmp_path / "back.db"
    r = _run("import", str(back), "--format", "sdtm", str(out))
    assert r.returncode == 0, r.stderr
    assert "no warnings" in r.stdout
    for source in ([], ["--source", "computed"]):  # every source: tests/services/test_export_roundtrip.py
        a, b = _run("stats", str(demo), "--json", *source), _run("stats", str(back), "--json", *source)
        assert a.returncode == b.returncode == 0
        assert json.loads(a.stdout) == json.loads(b.stdout), source


def test_xpt_and_csv_bundle(demo: Path, tmp_path: Path) -> None:
    r = _run("export", str(demo), "--format", "sdtm", "--xpt", str(tmp_path / "xpt"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "xpt" / "tr.xpt").is_file() and "tr.xpt 3966" in r.stdout
    r = _run("export", str(demo), "--format", "csv", str(tmp_path / "bundle"))
    assert r.returncode == 0, r.stderr
    assert "wrote CSV bundle" in r.stdout and "subjects.csv 40" in r.stdout
    r = _run("import", str(tmp_path / "b.db"), "--format", "csv", str(tmp_path / "bundle"))
    assert r.returncode == 0, r.stderr
    assert "subjects 40" in r.stdout and "reads 336" in r.stdout


def test_refusals_and_usage_errors(demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from hccreview.cli import run  # in-process: the same handlers, without an interpreter start per call

    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "ae_other.csv").write_text("USUBJID\n")
    assert run(["export", str(demo), "--format", "sdtm", str(busy)]) == 1
    assert "already holds other SDTM files (ae_other.csv)" in capsys.readouterr().err
    assert sorted(p.name for p in busy.iterdir()) == ["ae_other.csv"]
    assert run(["export", str(tmp_path / "missing.db"), "--format", "sdtm", str(tmp_path / "o")]) == 1
    assert capsys.readouterr().err.startswith("hccreview export:")
    with pytest.raises(SystemExit) as usage:
        run(["export", str(demo), "--format", "pdf", str(tmp_path / "o")])
    assert usage.value.code == 2
    assert run(["export", str(demo), "--format", "csv", "--xpt", str(tmp_path / "o")]) == 2
    assert "--xpt applies to --format sdtm only" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
