"""The command-line contract of DESIGN §7 for the foundation commands: --version, init, verify, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hccreview import __version__

HCC = [sys.executable, "-m", "hccreview"]


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HCC, *args], capture_output=True, text=True, env=env, timeout=120)


def test_version() -> None:
    r = _run("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"hccreview {__version__}"


def test_init_then_verify(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    r = _run("init", str(path), "--title", "Trial X", "--criteria", "mrecist")
    assert r.returncode == 0, r.stderr
    assert "Trial X (mRECIST)" in r.stdout
    v = _run("verify", str(path))
    assert v.returncode == 0 and "verified" in v.stdout


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    assert _run("init", str(path), "--title", "A").returncode == 0
    r = _run("init", str(path), "--title", "B")
    assert r.returncode == 1 and "already exists" in r.stderr


def test_usage_errors_exit_2() -> None:
    assert _run("frobnicate").returncode == 2
    assert _run("init", "x.db").returncode == 2  # --title missing
    assert _run("open").returncode == 2


def test_missing_and_corrupt_files_give_a_message_not_a_traceback(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("not a database at all" * 50)
    for path in (tmp_path / "absent.db", junk):
        r = _run("verify", str(path))
        assert r.returncode == 1
        assert "Traceback" not in r.stderr and str(path) in r.stderr
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    g = _run("open", str(junk), env=env)
    assert g.returncode == 1 and "not a hccreview study file" in g.stderr and "Traceback" not in g.stderr


def test_gui_starts_on_the_demo_study_created_on_first_run(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HCCREVIEW_DATA_DIR": str(tmp_path / "data"),
        "HCCREVIEW_QUIT_AFTER_MS": "300",
    }
    r = subprocess.run(HCC, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "data" / "demo-study.db").exists()
    assert _run("verify", str(tmp_path / "data" / "demo-study.db")).returncode == 0
