"""The layer contracts of DESIGN §2 (import-linter, configured in pyproject.toml) and ruff-cleanliness."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    """The console script installed beside this interpreter (the test extra installs both tools)."""
    exe = Path(sys.executable).with_name(name)
    found = str(exe) if exe.exists() else shutil.which(name)
    assert found, f"{name} is not installed: install the test extra (pip install -e '.[test]')"
    return found


def test_import_linter_contracts_are_kept() -> None:
    result = subprocess.run([_tool("lint-imports")], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [_tool("ruff"), "check", "hccreview", "tests"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-4000:]


def test_package_init_imports_nothing_heavy() -> None:
    """``import hccreview`` must stay fast: no Qt, pandas or matplotlib at package import."""
    heavy = "('PySide6', 'pandas', 'matplotlib', 'lifelines')"
    code = f"import sys, hccreview; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"
