"""Sub-commands of the offline reader exchange (issue 11): export-snapshot, export-reads, import-reads, readers.

``export-snapshot`` writes a new study file whose trail names its maker, and ``import-reads`` writes the study:
both sign in as ``--user`` (required once the study has accounts; :mod:`hccreview.cli.auth`). ``export-reads``
(its ``--user`` names whose reads, on the reader's snapshot) and ``readers`` only read.
"""

from __future__ import annotations

import argparse
import json
import sys

from hccreview.cli.auth import SignInRefused, add_user_option, refuse, signed_session
from hccreview.cli.registry import command


def _fail(name: str, exc: BaseException) -> int:
    print(f"hccreview {name}: {exc}", file=sys.stderr)
    return 1


def _export_snapshot_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study")
    p.add_argument("--for", dest="for_", required=True, metavar="reader:USER")
    p.add_argument("--out", required=True, metavar="FILE")
    add_user_option(p, what="once the study has user accounts (an admin or adjudicator)")


@command(
    "export-snapshot",
    help="write a blinded study file for one reader's offline workstation",
    arguments=_export_snapshot_arguments,
)
def _cmd_export_snapshot(args: argparse.Namespace) -> int:
    from hccreview.services.exchange import ExchangeError, export_snapshot
    from hccreview.services.session import StoreError

    kind, _, reader = args.for_.partition(":")
    if kind != "reader" or not reader:
        print("hccreview export-snapshot: --for takes reader:USER", file=sys.stderr)
        return 2
    try:
        with signed_session(args, args.study) as session:
            result = export_snapshot(session, reader=reader, out=args.out)
    except SignInRefused as exc:
        return refuse("export-snapshot", exc)
    except (ExchangeError, StoreError, PermissionError) as exc:
        return _fail("export-snapshot", exc)
    rows = ", ".join(f"{t} {n}" for t, n in result.counts.items())
    print(f"wrote snapshot {result.path} for {reader}: study {result.study_uuid}, snapshot {result.snapshot_id}")
    print(f"content sha256 {result.content_sha256} ({rows})")
    return 0


def _export_reads_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study", help="the reader's snapshot")
    p.add_argument("--user", required=True)
    p.add_argument("--out", required=True, metavar="FILE.hccr")


@command(
    "export-reads",
    help="write a reader's changes since the snapshot as a package (.hccr)",
    arguments=_export_reads_arguments,
)
def _cmd_export_reads(args: argparse.Namespace) -> int:
    from hccreview.services.exchange import ExchangeError, export_reads
    from hccreview.services.session import StoreError, open_study

    try:
        with open_study(args.study) as session:
            result = export_reads(session, user=args.user, out=args.out)
    except (ExchangeError, StoreError, PermissionError) as exc:
        return _fail("export-reads", exc)
    counts = result.manifest["counts"]
    print(f"wrote {result.path}: {args.user}'s changes since snapshot {result.manifest['snapshot_id']}")
    print("  " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(f"sha256 {result.sha256}")
    return 0


def _import_reads_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study")
    p.add_argument("package", metavar="FILE.hccr")
    p.add_argument("--dry-run", action="store_true", help="verify and show what would change; write nothing")
    add_user_option(p, what="to merge into a study with user accounts (an admin or adjudicator)")


@command(
    "import-reads",
    help="verify a reader package and merge it into the study, all or nothing",
    arguments=_import_reads_arguments,
)
def _cmd_import_reads(args: argparse.Namespace) -> int:
    from hccreview.services.exchange_merge import MergeRefused, PackageError, merge_reads, plan_merge
    from hccreview.services.session import StoreError

    try:
        with signed_session(args, args.study, writes=not args.dry_run) as session:
            if args.dry_run:
                plan = plan_merge(session, args.package)
                if plan.conflicts:
                    raise MergeRefused(plan)
                result = None
            else:
                result = merge_reads(session, args.package)
                plan = result.plan
    except SignInRefused as exc:
        return refuse("import-reads", exc)
    except MergeRefused as exc:
        print(f"hccreview import-reads: {exc}", file=sys.stderr)
        return 1
    except (PackageError, StoreError, PermissionError, ValueError) as exc:
        return _fail("import-reads", exc)
    m = plan.manifest
    if plan.already_merged is not None:
        done = plan.already_merged
        print(f"{args.package}: already merged on {done['merged_at']} by {done['merged_by']}; nothing to do")
        return 0
    print(f"package of {m['user']} (snapshot {m['snapshot_id']}, exported {m['exported_at']})")
    print(f"sha256 {plan.package.sha256}")
    for change in plan.writes:
        print(f"  {change.subject_id}: {change.describe()}")
    unchanged = len(plan.changes) - len(plan.writes)
    verb = "would write" if result is None else "merged"
    print(f"{verb} {len(plan.writes)} row(s); {unchanged} already in the study")
    return 0


def _readers_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study")
    p.add_argument("--json", action="store_true")


@command("readers", help="per reader: merged packages and completed patients", arguments=_readers_arguments)
def _cmd_readers(args: argparse.Namespace) -> int:
    from hccreview.services.exchange_status import reader_progress
    from hccreview.services.session import StoreError, open_study

    try:
        with open_study(args.study) as session:
            progress = reader_progress(session)
    except (StoreError, PermissionError) as exc:
        return _fail("readers", exc)
    if args.json:
        print(json.dumps([p.to_dict() for p in progress], indent=2))
        return 0
    for p in progress:
        print(f"{p.reader}: {len(p.completed)}/{p.patients} patients completed, {len(p.in_progress)} in progress")
        for pkg in p.packages:
            print(f"  merged {pkg['file_name']} on {pkg['merged_at']} by {pkg['merged_by']}: {pkg['counts']}")
    return 0
