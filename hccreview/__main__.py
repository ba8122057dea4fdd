"""Entry point: ``hccreview`` (GUI) and ``hccreview <command>`` (command line)."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch: no arguments or ``open`` start the GUI (imported lazily); anything else is the CLI."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--hccreview-statistics-process"]:  # dashboard_process.CHILD_FLAG: the packaged app as the
        # dashboard's statistics process (tests/services/test_dashboard_process.py checks the two agree)
        from hccreview.services.dashboard_process import child_main

        return child_main(args[1:])
    if args[:1] == ["--hccreview-decode-process"]:  # decode_process.CHILD_FLAG: the packaged app decoding images
        from hccreview.services.decode_process import child_main as decode_child_main

        return decode_child_main(args[1:])
    if not args or args[0] == "open":
        usage = "usage: hccreview open STUDY.db — open a study in the reviewer workstation"
        if args[1:2] in (["-h"], ["--help"]):
            print(usage)
            return 0
        if args and (len(args) != 2 or args[1].startswith("-")):  # never a GUI on a file named "--x"
            print(usage, file=sys.stderr)
            return 2
        from hccreview.ui.app import run_gui

        return run_gui(args[1] if args else None)
    from hccreview.cli import run

    try:
        return run(args)
    except BrokenPipeError:  # output piped into e.g. `head`: not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
