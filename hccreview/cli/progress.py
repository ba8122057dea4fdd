"""Progress of a long command on standard error: one line per step, for a person watching a terminal.

``import``, ``report``, ``export``, ``demo`` and ``bench`` take several seconds (a cohort report 6–8 s, the
SDTM ``onco`` delivery about 10 s); :class:`CommandProgress` is the ``progress(fraction, text)`` callback
their services already accept, printing ``hccreview report [ 40%] page 1 of 15``. It writes to standard error
only, so standard output (the summaries and ``--json`` of DESIGN §7) stays exactly what scripts read, and it is
silent with ``--quiet`` or when standard error is not a terminal (a pipe, a CI log, a test's subprocess).
Repeated steps of one kind ("page 1 of 15", "page 2 of 15") overwrite each other's line instead of scrolling.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from typing import TextIO

__all__ = ["CommandProgress", "add_quiet_option", "progress_for"]

_COUNTS = re.compile(r"\d+")


def add_quiet_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--quiet`` to a long-running sub-command."""
    parser.add_argument("--quiet", action="store_true", help="print no progress on standard error")


class CommandProgress:
    """The progress callback of one command: ``progress(fraction, text)`` (also ``report(fraction, text)``,
    the shape of the services' progress objects). Runs on the command's own thread; never raises for a
    closed or odd stream — progress must not fail a command."""

    def __init__(self, command: str, *, enabled: bool, stream: TextIO | None = None) -> None:
        self.command = command
        self.enabled = enabled
        self._stream = stream
        self._last = ""
        self._open_line = False  # the last line was written without its newline (it may be overwritten)

    @property
    def stream(self) -> TextIO:
        """Standard error as it is when written to (a test may have replaced ``sys.stderr``)."""
        return self._stream if self._stream is not None else sys.stderr

    def __call__(self, fraction: float, text: str) -> None:
        if not self.enabled or not text or text == self._last:
            return
        same_kind = bool(self._last) and _COUNTS.sub("#", text) == _COUNTS.sub("#", self._last)
        line = f"hccreview {self.command} [{100 * min(max(fraction, 0.0), 1.0):3.0f}%] {text}"
        self._last = text
        try:
            if same_kind and self._open_line:
                self.stream.write(f"\r\x1b[K{line}")
            else:
                self.stream.write(("\n" if self._open_line else "") + line)
            self._open_line = True
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False

    def report(self, fraction: float, text: str) -> None:
        """The same as calling the object (services accept either shape)."""
        self(fraction, text)

    def printer(self) -> Callable[[str], None]:
        """A ``print`` to standard output that first ends an open progress line (on a terminal both streams
        share the screen), e.g. the benchmark's result lines between its progress lines."""

        def emit(text: str) -> None:
            self.close()
            print(text, flush=True)

        return emit

    def __enter__(self) -> CommandProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the last progress line, so that what the command prints next starts on a line of its own."""
        if self.enabled and self._open_line:
            try:
                self.stream.write("\n")
                self.stream.flush()
            except (OSError, ValueError):
                pass
        self._open_line = False


def progress_for(command: str, args: argparse.Namespace) -> CommandProgress:
    """The progress of ``command``: shown on a terminal's standard error unless ``--quiet`` was given. Use it
    as a context manager around the work, so that the last line is ended before the command prints."""
    stream = sys.stderr
    try:
        tty = stream is not None and stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return CommandProgress(command, enabled=tty and not getattr(args, "quiet", False))
