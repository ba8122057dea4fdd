"""Sub-command ``hccreview bench [--patients N ...] [--json FILE]``: time the benchmark scenarios.

The scenarios run on generated demo studies (``services.bench``); result lines go to standard output, progress
to standard error. Exit 2 for an unknown scenario or a non-positive size, 1 when a scenario fails.
"""

from __future__ import annotations

import argparse
import sys

from hccreview.cli.progress import add_quiet_option, progress_for
from hccreview.cli.registry import command


def _arguments(p: argparse.ArgumentParser) -> None:
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
        help="cold_start,next_patient,dashboard_after_change,stats,import_sdtm,report,peak_memory,"
        "image_scroll,image_first,image_memory",
    )
    p.add_argument(
        "--report-patients",
        type=int,
        nargs="+",
        default=None,
        metavar="N",
        help="report scenario sizes (default 40 and 1000; 5000 only when named here)",
    )
    p.add_argument(
        "--cases",
        default=None,
        metavar="discordant|all|ID,ID...",
        help="time the report scenario on this case packet instead of the cohort summary",
    )
    p.add_argument("--json", default=None, metavar="FILE", help="also write the results as JSON")
    add_quiet_option(p)


@command("bench", help="time the benchmark scenarios on generated demo studies", arguments=_arguments)
def _cmd_bench(args: argparse.Namespace) -> int:
    from hccreview.services.bench import SCENARIOS, run_bench
    from hccreview.services.session import StoreError

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
                      report_sizes=args.report_patients, report_cases=args.cases, progress=progress,
                      log=progress.printer())  # fmt: skip
    except (RuntimeError, StoreError, OSError) as exc:
        print(f"hccreview bench: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(f"wrote {args.json}")
    return 0
