"""Sub-command ``hccreview queries STUDY.db [--state open|answered|closed|all] [--csv FILE]`` (issue 12 item 3).

Lists the study's queries (comments are not queries and are not listed) as a table on standard output, or
writes them as CSV. Read-only; runs in the unsigned system context (not blinded, like ``stats``). Exit 0 on
success, 1 when the study cannot be read or the file cannot be written, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import sys

from hccreview.cli.registry import command


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study", help="study file (.db)")
    p.add_argument("--state", choices=("open", "answered", "closed", "all"), default="open",
                   help="which queries to list (default: open)")  # fmt: skip
    p.add_argument("--csv", metavar="FILE", help="write the listing as CSV to FILE instead of printing it")


@command("queries", help="list the study's queries (open by default), or write them as CSV", arguments=_arguments)
def _cmd_queries(args: argparse.Namespace) -> int:
    from hccreview.services.queries import listing, write_csv
    from hccreview.services.session import StoreError, open_study

    try:
        with open_study(args.study) as session:
            rows = listing(session, state=args.state)
    except StoreError as exc:
        print(f"hccreview queries: {exc}", file=sys.stderr)
        return 1
    if args.csv:
        try:
            path = write_csv(rows, args.csv)
        except OSError as exc:
            print(f"hccreview queries: cannot write {args.csv}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        state = "" if args.state == "all" else f"{args.state} "
        print(f"wrote {path}: {len(rows)} {state}quer{'y' if len(rows) == 1 else 'ies'}")
        return 0
    if not rows:
        print(f"no {args.state} queries" if args.state != "all" else "no queries")
        return 0
    for row in rows:
        last = f" — last: {row.last_message_by}: {row.last_message}" if row.last_message else ""
        print(f"#{row.query_id} {row.subject_id} [{row.state}] {row.target}: {row.title} "
              f"(opened by {row.opened_by} {row.opened_at[:10]}; {row.messages} message(s)){last}")  # fmt: skip
    print(f"{len(rows)} quer{'y' if len(rows) == 1 else 'ies'}")
    return 0
