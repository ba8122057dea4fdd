"""The one way a sub-command joins the command line: ``@command(name, help=..., arguments=...)`` on its handler.

The decorator puts the name, its help, the function that adds its arguments and its handler into one
registry; :func:`hccreview.cli.build_parser` makes the sub-parsers from it, module by module in the order of
``hccreview.cli.COMMAND_MODULES`` (the order of ``hccreview --help``). A name registered twice raises at import,
so two modules cannot silently claim one command. Handlers take the parsed arguments and return the exit status
(0 success, 1 refused input or a failed check, 2 a usage error); they import the services they call inside the
handler, so that pandas and matplotlib load only for a command that needs them, not for ``hccreview --help``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Arguments", "Command", "Handler", "command", "registered"]

Handler = Callable[[argparse.Namespace], int]
Arguments = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class Command:
    """One sub-command: its name and help as ``hccreview --help`` lists them, its arguments, its handler."""

    name: str
    help: str
    arguments: Arguments | None
    handler: Handler

    def add_to(self, sub: argparse._SubParsersAction) -> None:
        """Add this command's sub-parser, its arguments and its handler to ``sub``."""
        parser = sub.add_parser(self.name, help=self.help)
        if self.arguments is not None:
            self.arguments(parser)
        parser.set_defaults(handler=self.handler)


_REGISTRY: dict[str, Command] = {}  # insertion order is the order of ``hccreview --help``


def command(name: str, *, help: str, arguments: Arguments | None = None) -> Callable[[Handler], Handler]:
    """Register the decorated handler as ``hccreview NAME``; ``arguments(parser)`` adds its options."""

    def register(handler: Handler) -> Handler:
        if name in _REGISTRY:
            raise ValueError(f"hccreview {name} is registered twice ({_REGISTRY[name].handler.__module__})")
        _REGISTRY[name] = Command(name, help, arguments, handler)
        return handler

    return register


def registered() -> tuple[Command, ...]:
    """The registered commands in registration order."""
    return tuple(_REGISTRY.values())
