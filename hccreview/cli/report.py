"""Sub-command ``hccreview report STUDY.db --out FILE.pdf [--cases ...]``: the cohort summary or a case packet.

Read-only; ``--user`` signs in only to name the PDF's author (and to apply that user's blinding).
"""

from __future__ import annotations

import argparse
import sys

from hccreview.cli.auth import SignInRefused, add_user_option, refuse, signed_session
from hccreview.cli.progress import add_quiet_option, progress_for
from hccreview.cli.registry import command


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study")
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="the PDF to write (replaced if it exists)")
    p.add_argument(
        "--cases",
        default=None,
        metavar="discordant|all|ID,ID...",
        help="write the adjudication meeting's case packet of these patients instead of the cohort summary",
    )
    add_user_option(p, what=None)
    add_quiet_option(p)


@command("report", help="export the cohort summary report or a case packet as PDF", arguments=_arguments)
def _cmd_report(args: argparse.Namespace) -> int:
    from hccreview.services.adjudication import BlindingError
    from hccreview.services.reporting import render_report
    from hccreview.services.session import StoreError

    if args.cases is not None and not args.cases.strip():
        print("hccreview report: --cases needs discordant, all or patient ids (ID,ID,...)", file=sys.stderr)
        return 2
    try:
        with signed_session(args, args.study, writes=False) as session, progress_for("report", args) as progress:
            result = render_report(session, args.out, cases=args.cases, progress=progress)  # --user: the author
    except SignInRefused as exc:
        return refuse("report", exc)
    except (StoreError, BlindingError, PermissionError, ValueError) as exc:  # UnknownPatients is a ValueError
        print(f"hccreview report: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"hccreview report: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    what = "cohort summary" if result.kind == "summary" else f"case packet ({len(result.cases)} cases)"
    print(f"wrote {result.path}: {what}, {result.pages} pages in {result.seconds:.1f} s")
    return 0
