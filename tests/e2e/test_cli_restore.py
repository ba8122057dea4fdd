"""``hccreview restore STUDY.db [BACKUP]``: list backups (exit 0), restore one (0), refuse a bad one (1), usage (2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HCC = [sys.executable, "-m", "hccreview"]
EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "templates" / "example"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HCC, *args], capture_output=True, text=True, timeout=120)


def test_restore_lists_then_restores_the_before_import_backup(tmp_path: Path) -> None:
    study = tmp_path / "s.db"
    assert _run("init", str(study), "--title", "T").returncode == 0
    r = _run("restore", str(study))
    assert r.returncode == 0 and "no backups" in r.stdout
    imp = _run("import", str(study), "--format", "csv", str(EXAMPLE))
    assert imp.returncode == 0, imp.stderr
    assert "backup of the study as it was before" in imp.stdout
    listed = _run("restore", str(study))
    assert listed.returncode == 0
    lines = [ln for ln in listed.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].endswith("-before-import.db")
    backup = lines[0].split()[-1]

    done = _run("restore", str(study), backup)
    assert done.returncode == 0, done.stderr
    assert "restored" in done.stdout and "replaced-" in done.stdout
    assert len(list(tmp_path.glob("s.db.replaced-*"))) == 1
    assert _run("verify", str(study)).returncode == 0
    stats = _run("stats", str(study), "--json")
    assert stats.returncode == 0 and '"n_enrolled": 0' in stats.stdout


def test_restore_refuses_garbage_with_exit_1_and_no_traceback(tmp_path: Path) -> None:
    study = tmp_path / "s.db"
    assert _run("init", str(study), "--title", "T").returncode == 0
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00garbage" * 500)
    before = study.read_bytes()
    r = _run("restore", str(study), str(junk))
    assert r.returncode == 1
    assert "junk.db" in r.stderr and "Traceback" not in r.stderr
    assert study.read_bytes() == before


def test_restore_usage_error_exits_2(tmp_path: Path) -> None:
    assert _run("restore").returncode == 2
