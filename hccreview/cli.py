"""The command line of DESIGN §7: sub-commands, JSON output, exit codes 0 / 1 / 2.

Thin: parses arguments, calls services, prints. Exit 0 on success, 1 when a check fails or input is
refused, 2 on a usage error (argparse's own convention).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hccreview import __version__
from hccreview.cli_auth import add_user_option
from hccreview.cli_progress import add_quiet_option, progress_for
from hccreview.services.session import StoreError, create_study
from hccreview.services.verify import verify_study

if TYPE_CHECKING:
    from hccreview.services.auth import User
    from hccreview.services.importing import ImportResult

Handler = Callable[[argparse.Namespace], int]


def _cmd_init(args: argparse.Namespace) -> int:
    try:
        with create_study(args.study, title=args.title, criteria=args.criteria) as session:
            s = session.settings()
    except StoreError as exc:
        print(f"hccreview init: {exc}", file=sys.stderr)
        return 1
    print(f"created {args.study}: {s.title} ({s.criteria.value})")
    return 0


#: The checks of ``verify`` in words (the store names them by their SQLite pragma or table).
_CHECK_WORDS = {
    "integrity_check": "database integrity",
    "foreign_key_check": "references between records",
    "audit_append_only": "audit trail is append-only",
    "signatures": "electronic signatures",
    "reader_packages": "merged reader packages",
    "audit_chain": "audit trail hash chain",
}


def _cmd_verify(args: argparse.Namespace) -> int:
    try:
        checks = verify_study(args.study)
    except StoreError as exc:
        print(f"hccreview verify: {exc}", file=sys.stderr)
        return 1
    for check in checks:
        print(f"{'ok  ' if check.ok else 'FAIL'} {_CHECK_WORDS.get(check.name, check.name.replace('_', ' '))}: "
              f"{check.detail}")  # fmt: skip
    failed = [c for c in checks if not c.ok]
    print(f"{args.study}: {'verified' if not failed else f'{len(failed)} check(s) failed'}")
    return 0 if not failed else 1


def _cmd_demo(args: argparse.Namespace) -> int:
    from hccreview.services.demo_study import build_demo_study

    try:
        with progress_for("demo", args) as progress:
            build_demo_study(args.study, seed=args.seed, patients=args.patients, progress=progress)
    except StoreError as exc:
        print(f"hccreview demo: {exc}", file=sys.stderr)
        return 1
    print(f"created demo study {args.study} (seed {args.seed}, {args.patients} patients)")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    """A new study is written by the unsigned command line (it has no accounts yet); into an existing study the
    import is a data transfer, written after signing in as ``--user`` (required once the study has accounts)."""
    from hccreview.cli_auth import SignInRefused, check_can_sign_in, refuse, signed_session
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


def _cmd_stats(args: argparse.Namespace) -> int:
    import json

    from hccreview.services.session import open_study
    from hccreview.services.stats import cohort_stats, format_summary

    try:
        with open_study(args.study) as session:
            stats = cohort_stats(session, source=args.source)
    except (StoreError, ValueError) as exc:
        print(f"hccreview stats: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(stats.to_dict(), indent=2) if args.json else format_summary(stats))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from hccreview.cli_auth import SignInRefused, refuse, signed_session
    from hccreview.services.adjudication import BlindingError
    from hccreview.services.reporting import render_report

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


def _cmd_bench(args: argparse.Namespace) -> int:
    from hccreview.services.bench import SCENARIOS, run_bench

    scenarios = [s.strip() for s in (args.scenarios or ",".join(SCENARIOS)).split(",") if s.strip()]
    unknown = sorted(set(scenarios) - set(SCENARIOS))
    if unknown or any(n < 1 for n in args.patients) or (args.runs is not None and args.runs < 1):
        what = (
            f"unknown scenario(s) {', '.join(unknown)} (choose from {', '.join(SCENARIOS)})"
            if unknown
            else ("--patients and --runs must be positive")
        )
        print(f"hccreview bench: {what}", file=sys.stderr)
        return 2
    try:
        with progress_for("bench", args) as progress:
            run_bench(args.patients, runs=args.runs, scenarios=scenarios, json_path=args.json,
                      report_sizes=args.report_patients, progress=progress, log=progress.printer())  # fmt: skip
    except (RuntimeError, StoreError, OSError) as exc:
        print(f"hccreview bench: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(f"wrote {args.json}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the GUI entry point to recognise commands)."""
    parser = argparse.ArgumentParser(
        prog="hccreview",
        description="Case-review workstation for oncology trials. Without a command, opens the GUI.",
    )
    parser.add_argument("--version", action="version", version=f"hccreview {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("open", help="open a study file in the GUI")
    p.add_argument("study", help="study file (.db)")

    p = sub.add_parser("init", help="create an empty study file")
    p.add_argument("study")
    p.add_argument("--title", required=True)
    p.add_argument("--criteria", choices=["recist1.1", "mrecist"], default="recist1.1")
    p.set_defaults(handler=_cmd_init)

    p = sub.add_parser("verify", help="check a study file: SQLite integrity, foreign keys, audit chain")
    p.add_argument("study")
    p.set_defaults(handler=_cmd_verify)

    p = sub.add_parser("demo", help="build the seeded demo study")
    p.add_argument("study")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--patients", type=int, default=40)
    add_quiet_option(p)
    p.set_defaults(handler=_cmd_demo)

    p = sub.add_parser("import", help="import SDTM domains or a CSV bundle into a study file (all or nothing)")
    p.add_argument("study")
    p.add_argument("--format", choices=["sdtm", "csv"], required=True)
    p.add_argument("source", help="folder of domain files (.csv or .xpt)")
    p.add_argument("--study-title", default=None)
    p.add_argument(
        "--dry-run", action="store_true", help="into an existing study: print the transfer's preview, write nothing"
    )
    add_user_option(p, what="to import into an existing study with user accounts")
    add_quiet_option(p)
    p.set_defaults(handler=_cmd_import)

    p = sub.add_parser("stats", help="cohort statistics computed by the rules engine")
    p.add_argument("study")
    p.add_argument("--source", default=None, help="adjudicated | investigator | computed | reader:USER")
    p.add_argument("--json", action="store_true", help="print the JSON object of DESIGN section 7")
    p.set_defaults(handler=_cmd_stats)

    p = sub.add_parser("report", help="export the cohort summary report or a case packet as PDF")
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
    p.set_defaults(handler=_cmd_report)

    p = sub.add_parser("bench", help="time the benchmark scenarios on generated demo studies")
    p.add_argument(
        "--patients",
        type=int,
        nargs="+",
        default=[40, 500, 5000],
        metavar="N",
        help="study sizes (default 40 500 5000)",
    )
    p.add_argument(
        "--runs",
        type=int,
        default=None,
        metavar="K",
        help="timed runs after a warm-up (default 5; 10 for dashboard_after_change, 3 for large reports)",
    )
    p.add_argument(
        "--scenarios",
        default=None,
        metavar="a,b,...",
        help="cold_start,next_patient,dashboard_after_change,stats,import_sdtm,report,peak_memory",
    )
    p.add_argument(
        "--report-patients",
        type=int,
        nargs="+",
        default=None,
        metavar="N",
        help="report scenario sizes (default 40 and 1000; 5000 only when named here)",
    )
    p.add_argument("--json", default=None, metavar="FILE", help="also write the results as JSON")
    add_quiet_option(p)
    p.set_defaults(handler=_cmd_bench)

    for register in _EXTRA_COMMANDS:
        register(sub)
    for module in _COMMAND_MODULES:  # each defines register(sub); handlers import their services lazily
        importlib.import_module(module).register(sub)
    return parser


#: Modules that add sub-commands of later issues (kept out of this file so that it stays small).
_COMMAND_MODULES: tuple[str, ...] = (
    "hccreview.cli_exchange",
    "hccreview.cli_queries",
    "hccreview.cli_transfer",
    "hccreview.cli_export",
)


#: Later sub-commands register themselves here (each a function taking the sub-parsers object).
_EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = []


def _cmd_restore(args: argparse.Namespace) -> int:
    """``hccreview restore STUDY.db [BACKUP] [--user NAME]``: list the backups newest first, or verify one and put
    it in place — signed in on the *current* file as one of its admins, once it has accounts."""
    from hccreview.cli_auth import SignInRefused, check_can_sign_in, origin, refuse, signed_session
    from hccreview.services.backups import RestoreRefused, backups_of, restore

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


def _register_restore(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("restore", help="list a study's backups, or bring one back (the current file is kept aside)")
    p.add_argument("study")
    p.add_argument("backup", nargs="?", default=None, help="the backup to restore; without it, list the backups")
    add_user_option(p, what="to restore a study with user accounts (an admin of the current file)")
    p.set_defaults(handler=_cmd_restore)


_EXTRA_COMMANDS.append(_register_restore)


def run(argv: Sequence[str]) -> int:
    """Run one command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(list(argv))
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_usage(sys.stderr)
        return 2
    return handler(args)
