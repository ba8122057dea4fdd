"""Time the PDF export (issue 9) — now the ``report`` scenario of ``hccreview bench`` (issue 10), which this calls.

    python tools/bench_report.py [--patients 40 1000] [--runs 3] [--cases discordant]

Same as ``hccreview bench --scenarios report --report-patients 40 1000 --runs 3`` (plus ``--cases``: time a case
packet instead of the cohort summary): a demo study per size, a warm-up, then the in-process ``render_report``
time of each run (median and range), against one bare matplotlib PDF.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Parse the old options and run the benchmark's report scenario."""
    from hccreview.services.bench import run_bench

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[40, 1000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cases", default=None, help="time a case packet instead of the cohort summary")
    args = parser.parse_args(argv)
    run_bench(args.patients, runs=args.runs, scenarios=["report"], report_sizes=args.patients, report_cases=args.cases)
    return 0


if __name__ == "__main__":
    sys.exit(main())
