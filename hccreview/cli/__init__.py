"""The command line of DESIGN §7: sub-commands, JSON output, exit codes 0 / 1 / 2.

Thin: parses arguments, calls services, prints. Exit 0 on success, 1 when a check fails or input is
refused, 2 on a usage error (argparse's own convention). Each sub-command is a handler decorated with
``@command`` (:mod:`hccreview.cli.registry`) in one of the modules of :data:`COMMAND_MODULES`; ``auth`` and
``progress`` are the helpers they share (``--user`` sign-in, ``--quiet`` progress on standard error).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hccreview import __version__
from hccreview.cli import (
    bench,
    exchange,
    export,
    images,
    importing,
    queries,
    report,
    restore,
    sr,
    stats,
    study,
    transfers,
)
from hccreview.cli.registry import registered

__all__ = ["COMMAND_MODULES", "build_parser", "run"]

#: The modules that register commands, in the order ``hccreview --help`` lists them (each module's own
#: commands in the order they are written).
COMMAND_MODULES = (study, importing, stats, report, bench, restore, exchange, queries, transfers, export, images, sr)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every registered command (also used by tests to read the help texts)."""
    parser = argparse.ArgumentParser(
        prog="hccreview",
        description="Case-review workstation for oncology trials. Without a command, opens the GUI.",
    )
    parser.add_argument("--version", action="version", version=f"hccreview {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands = registered()
    modules = [m.__name__ for m in COMMAND_MODULES]
    unlisted = sorted({c.handler.__module__ for c in commands} - set(modules))
    if unlisted:  # a command that --help would not list in its place: list its module above
        raise RuntimeError(f"command modules missing from COMMAND_MODULES: {', '.join(unlisted)}")
    for module in modules:
        for cmd in commands:
            if cmd.handler.__module__ == module:
                cmd.add_to(sub)
    return parser


def run(argv: Sequence[str]) -> int:
    """Run one command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(list(argv))
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_usage(sys.stderr)
        return 2
    return handler(args)
