"""One way to add a command (issue 20 item 3): every sub-command is an ``@command`` handler of a module listed in
``hccreview.cli.COMMAND_MODULES``, and ``hccreview --help`` lists them in the order of DESIGN §7 and the later
commands after it."""

from __future__ import annotations

import argparse
import importlib
import pkgutil

import pytest

import hccreview.cli as cli
from hccreview.cli import registry


def _listed(parser: argparse.ArgumentParser) -> list[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


def test_every_module_that_registers_a_command_is_listed() -> None:
    """A command module left out of COMMAND_MODULES would be a command --help never shows (or shows out of place)."""
    for info in pkgutil.iter_modules(cli.__path__, prefix="hccreview.cli."):
        importlib.import_module(info.name)
    listed = {m.__name__ for m in cli.COMMAND_MODULES}
    assert {c.handler.__module__ for c in registry.registered()} == listed
    assert sorted(_listed(cli.build_parser())) == sorted(c.name for c in registry.registered())


def test_help_lists_the_commands_in_their_order() -> None:
    assert _listed(cli.build_parser()) == [
        "open", "init", "verify", "demo", "import", "stats", "report", "bench", "restore",
        "export-snapshot", "export-reads", "import-reads", "readers", "queries", "transfers", "export",
        "import-images", "image-root", "export-sr",
    ]  # fmt: skip


def test_every_command_has_a_handler() -> None:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert all(callable(p.get_default("handler")) for p in sub.choices.values())


def test_a_name_registered_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="hccreview stats is registered twice"):
        registry.command("stats", help="a second stats")(lambda args: 0)
    assert next(c for c in registry.registered() if c.name == "stats").help == (
        "cohort statistics computed by the rules engine"
    )


def test_open_through_the_command_line_module_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """The GUI starts from the entry point; ``cli.run`` (which may not import ui) says so instead of opening it."""
    assert cli.run(["open", "study.db"]) == 2
    assert capsys.readouterr().err == "usage: hccreview open STUDY.db (the GUI starts from the hccreview program)\n"


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run([]) == 2
    assert capsys.readouterr().err.startswith("usage: hccreview [-h] [--version] COMMAND ...")
