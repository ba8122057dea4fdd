"""The layer contracts of DESIGN §2 (import-linter, configured in pyproject.toml), ruff- and mypy-cleanliness."""

from __future__ import annotations

import os
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


def _lint_a_copy(tmp_path: Path, added: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """lint-imports, with the repository's contracts, over a copy of ``hccreview`` with ``added`` modules
    (path inside the package -> source) written into it; the copy is found first on PYTHONPATH."""
    copy = tmp_path / "copy"
    shutil.copytree(REPO / "hccreview", copy / "hccreview", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "pyproject.toml", copy / "pyproject.toml")
    for name, source in added.items():
        (copy / "hccreview" / name).write_text(source, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(copy)}
    return subprocess.run(
        [_tool("lint-imports"), "--no-cache"], cwd=copy, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_contracts_pass_on_an_unmodified_copy(tmp_path: Path) -> None:
    """The baseline of the next two tests: the copy itself breaks nothing."""
    result = _lint_a_copy(tmp_path, {})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " 0 broken." in result.stdout


def test_a_module_written_tomorrow_is_inside_the_contracts(tmp_path: Path) -> None:
    """Default-deny: a new command importing Qt and a new domain rule importing SQL are caught without being
    listed anywhere (the cli_*.py modules once sat outside every contract, and Qt imports in them passed)."""
    result = _lint_a_copy(
        tmp_path,
        {
            "cli/newcmd.py": '"""A command written tomorrow."""\n\nimport PySide6.QtWidgets\n',
            "domain/new_rule.py": '"""A rule written tomorrow."""\n\nimport sqlite3\n',
        },
    )
    out = result.stdout
    assert result.returncode == 1, out[-3000:]
    assert "Qt only in ui BROKEN" in out and "- hccreview.cli.newcmd -> PySide6 (l.3)" in out
    assert "cli calls services only: no ui, no Qt, no store BROKEN" in out
    assert "SQL only in store BROKEN" in out and "- hccreview.domain.new_rule -> sqlite3 (l.3)" in out
    assert "domain is pure Python: no Qt, no SQL, no plotting BROKEN" in out
    assert "Layers (DESIGN section 2): imports point downwards only KEPT" in out


def test_an_existing_command_module_may_not_reach_the_gui_or_sql(tmp_path: Path) -> None:
    """The change that once passed: PySide6, ``ui.main_window`` and ``sqlite3`` imported by the export command."""
    export = (REPO / "hccreview" / "cli" / "export.py").read_text(encoding="utf-8")
    added = "import sqlite3\n\nimport PySide6.QtWidgets\n\nimport hccreview.ui.main_window\n"
    result = _lint_a_copy(tmp_path, {"cli/export.py": export + added})
    out = result.stdout
    assert result.returncode == 1, out[-3000:]
    assert "Layers (DESIGN section 2): imports point downwards only BROKEN" in out
    assert "hccreview.cli.export -> hccreview.ui.main_window" in out
    assert "hccreview.cli.export -> PySide6" in out and "hccreview.cli.export -> sqlite3" in out


def test_a_new_top_level_module_must_be_given_a_layer(tmp_path: Path) -> None:
    """The layers contract is exhaustive: a package or module added beside ``ui``, ``services`` … has no layer
    until DESIGN section 2 and pyproject.toml give it one, and the contract says so."""
    result = _lint_a_copy(tmp_path, {"plugins.py": '"""Written tomorrow."""\n'})
    out = result.stdout
    assert result.returncode == 1, out[-3000:]
    assert "The following modules are not listed as layers:" in out and "- hccreview.plugins" in out


def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [_tool("ruff"), "check", "hccreview", "tests", "tools"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-4000:]


def test_ruff_format_is_kept() -> None:
    """The code is laid out by the formatter (``ruff format``), so a diff shows changes, not layout; a
    ``# fmt: skip`` keeps a hand-aligned table or call where alignment carries meaning."""
    result = subprocess.run(
        [_tool("ruff"), "format", "--check", "hccreview", "tests", "tools"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-1000:]


def test_mypy_is_clean() -> None:
    """mypy checks what the hints promise over the whole package ([tool.mypy] in pyproject.toml names it). Its
    cache (.mypy_cache in the repository) makes a run after a small change take seconds (about 20 s cold)."""
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


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
    dist_of = {"PySide6": "pyside6-essentials", "sqlite_utils": "sqlite-utils", "shiboken6": "pyside6-essentials",
               "gdcm": "python-gdcm"}  # fmt: skip
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
