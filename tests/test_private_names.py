"""No module reaches into another module's private names (issue 20 item 4).

A leading underscore says "only this module uses it": a function another module needs is made public (one name)
or moved to the module it belongs to. Checked by reading every module of the package (``ast``): an import of a
``_name`` from an hccreview module, and ``imported._name`` on anything imported from one, are refused.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "hccreview"


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_uses(source: str) -> list[str]:
    """Every use in ``source`` of a private name of an hccreview module, as "line: what"."""
    tree = ast.parse(source)
    imported: set[str] = set()  # names bound by importing from hccreview
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hccreview"):
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"{node.lineno}: from {node.module} import {alias.name}")
                imported.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("hccreview"):
                    imported.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):  # hccreview.services.importing._read
                base = base.value
            if isinstance(base, ast.Name) and base.id in imported:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return sorted(found)


def test_the_check_sees_both_ways_in() -> None:
    """The check itself: a private import, a private attribute of an imported module, and of a dotted import."""
    source = (
        "from hccreview.services.importing import _read, import_into\n"
        "from hccreview.services import importing\n"
        "import hccreview.store.rows\n"
        "importing._finding_rows([])\n"
        "hccreview.store.rows._base_type(int)\n"
        "import_into.__name__\n"
        "self._own = 1\n"
    )
    assert private_uses(source) == [
        "1: from hccreview.services.importing import _read",
        "4: importing._finding_rows",
        "5: hccreview.store.rows._base_type",
    ]


def test_no_module_uses_a_private_name_of_another_module() -> None:
    offences = {
        str(path.relative_to(PACKAGE.parent)): found
        for path in sorted(PACKAGE.rglob("*.py"))
        if (found := private_uses(path.read_text(encoding="utf-8")))
    }
    assert offences == {}, "make the name public (one name) or move it to its module: " + repr(offences)
