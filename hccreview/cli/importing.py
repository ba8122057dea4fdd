"""Sub-command ``hccreview import STUDY.db --format sdtm|csv SOURCE``: a data transfer, all or nothing.

A new study is written by the unsigned command line (it has no accounts yet); into an existing study the import
is a data transfer, written after signing in as ``--user`` (required once the study has accounts). A refused
import prints each problem (file, row, field) on standard error, writes nothing and exits 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hccreview.cli.auth import SignInRefused, add_user_option, check_can_sign_in, refuse, signed_session
from hccreview.cli.progress import add_quiet_option, progress_for
from hccreview.cli.registry import command
from hccreview.services.session import StoreError

if TYPE_CHECKING:
    from hccreview.services.auth import User
    from hccreview.services.importing import ImportResult


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study")
    p.add_argument("--format", choices=["sdtm", "csv"], required=True)
    p.add_argument("source", help="folder of domain files (.csv or .xpt)")
    p.add_argument("--study-title", default=None)
    p.add_argument(
        "--dry-run", action="store_true", help="into an existing study: print the transfer's preview, write nothing"
    )
    add_user_option(p, what="to import into an existing study with user accounts")
    add_quiet_option(p)


@command("import", help="import SDTM domains or a CSV bundle into a study file (all or nothing)", arguments=_arguments)
def _cmd_import(args: argparse.Namespace) -> int:
    from hccreview.services.importing import ImportRefused, import_into

    progress = progress_for("import", args)

    def run(user: str | User) -> ImportResult:  # the signed-in User: the write gate applies their role
        with progress:
            return import_into(args.study, fmt=args.format, source=args.source, study_title=args.study_title,
                               dry_run=args.dry_run, user=user, progress=progress)  # fmt: skip

    try:
        check_can_sign_in(args, args.study)
        if not Path(args.study).exists() or (args.dry_run and args.user is None):  # writes nothing of the study
            result = run("system")
        else:
            with signed_session(args, args.study, writes=not args.dry_run) as session:
                result = run(session.signed_in or session.user)
    except SignInRefused as exc:
        return refuse("import", exc)
    except ImportRefused as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"hccreview import: refused ({len(exc.problems)} error(s)); nothing was written", file=sys.stderr)
        return 1
    except (StoreError, PermissionError) as exc:
        print(f"hccreview import: {exc}", file=sys.stderr)
        return 1
    print(result.summary())
    return 0
