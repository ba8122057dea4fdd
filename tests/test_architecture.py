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
    result = subprocess.run([_tool("ruff"), "check", "hccreview", "tests"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:]


def test_package_init_imports_nothing_heavy() -> None:
    """``import hccreview`` must stay fast: no Qt, pandas or matplotlib at package import."""
    heavy = "('PySide6', 'pandas', 'matplotlib', 'lifelines')"
    code = f"import sys, hccreview; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_every_third_party_import_of_the_package_is_a_declared_dependency() -> None:
    """A fresh install gets what the code imports (CI once caught statsmodels missing)."""
    import ast
    import tomllib

    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {
        d.split(";")[0].split("[")[0].replace(">", " ").replace("=", " ").replace("!", " ").split()[0].lower()
        for d in declared
    }
    dist_of = {"PySide6": "pyside6-essentials", "sqlite_utils": "sqlite-utils", "shiboken6": "pyside6-essentials"}
    stdlib = set(sys.stdlib_module_names)
    missing = set()
    for path in (REPO / "hccreview").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            mods = []
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                mods = [node.module]
            for mod in mods:
                top = mod.split(".")[0]
                if top in stdlib or top in ("hccreview", "__future__"):
                    continue
                if dist_of.get(top, top).lower().replace("_", "-") not in names:
                    missing.add(f"{top} ({path.relative_to(REPO)})")
    assert not missing, f"imported but not declared in pyproject dependencies: {sorted(missing)}"
