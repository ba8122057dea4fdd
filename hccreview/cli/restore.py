"""Sub-command ``hccreview restore STUDY.db [BACKUP] [--user NAME]``: list a study's backups, or bring one back.

Without BACKUP, lists the backups newest first. With it, verifies the backup and puts it in place — signed in on
the *current* file as one of its admins once it has accounts; the replaced file is kept aside.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hccreview.cli.auth import SignInRefused, add_user_option, check_can_sign_in, origin, refuse, signed_session
from hccreview.cli.registry import command


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study")
    p.add_argument("backup", nargs="?", default=None, help="the backup to restore; without it, list the backups")
    add_user_option(p, what="to restore a study with user accounts (an admin of the current file)")


@command(
    "restore", help="list a study's backups, or bring one back (the current file is kept aside)", arguments=_arguments
)
def _cmd_restore(args: argparse.Namespace) -> int:
    from hccreview.services.backups import RestoreRefused, backups_of, restore
    from hccreview.services.session import StoreError

    if args.backup is None:
        found = backups_of(args.study)
        if not found:
            print(f"no backups of {args.study}")
        for info in found:
            print(info.line())
        return 0
    try:
        by = None
        if not Path(args.study).exists():
            check_can_sign_in(args, args.study)
        else:
            try:
                with signed_session(args, args.study) as session:
                    by = session.signed_in
            except StoreError as exc:  # an unreadable file has no accounts to sign in with; it is moved aside
                if args.user is not None:
                    print(f"hccreview restore: cannot sign in on {args.study}: {exc}; to restore over an "
                          "unreadable study file, move it aside first", file=sys.stderr)  # fmt: skip
                    return 1
        result = restore(args.study, args.backup, by=by, origin=origin())
    except SignInRefused as exc:
        return refuse("restore", exc)
    except (RestoreRefused, StoreError, PermissionError, OSError) as exc:
        print(f"hccreview restore: {exc}", file=sys.stderr)
        return 1
    aside = f"; the replaced file was moved to {result.replaced}" if result.replaced else ""
    print(f"restored {result.study} from {result.backup} ({len(result.checks)} checks passed){aside}")
    return 0
