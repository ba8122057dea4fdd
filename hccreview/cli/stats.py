"""Sub-command ``hccreview stats STUDY.db [--source ...] [--json]``: the cohort statistics of the rules engine.

``--json`` prints the object of DESIGN §7 (its shape is a contract: fields are added, never renamed or dropped);
without it, the summary in words. Read-only, in the unsigned system context.
"""

from __future__ import annotations

import argparse
import sys

from hccreview.cli.registry import command


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study")
    p.add_argument("--source", default=None, help="adjudicated | investigator | computed | reader:USER")
    p.add_argument("--json", action="store_true", help="print the JSON object of DESIGN section 7")


@command("stats", help="cohort statistics computed by the rules engine", arguments=_arguments)
def _cmd_stats(args: argparse.Namespace) -> int:
    import json

    from hccreview.services.session import StoreError, open_study
    from hccreview.services.stats import cohort_stats, format_summary

    try:
        with open_study(args.study) as session:
            stats = cohort_stats(session, source=args.source)
    except (StoreError, ValueError) as exc:
        print(f"hccreview stats: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(stats.to_dict(), indent=2) if args.json else format_summary(stats))
    return 0
