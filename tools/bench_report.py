"""Time the PDF export (issue 9): the cohort summary of the 40-patient demo and of a larger demo, median of runs.

    python tools/bench_report.py [--patients 40 1000] [--runs 3] [--cases discordant]

For each size a demo study is built once in a temporary folder; each run is a fresh ``hccreview report``
process (wall time, start-up included) and reports the in-process ``render_report`` time it prints.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[40, 1000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cases", default=None, help="time a case packet instead of the cohort summary")
    args = parser.parse_args(argv)
    from hccreview.services.demo_study import build_demo_study

    with tempfile.TemporaryDirectory() as tmp:
        for n in args.patients:
            study = build_demo_study(Path(tmp) / f"demo{n}.db", patients=n)
            walls, inner, pages = [], [], 0
            for _ in range(args.runs):
                cmd = [sys.executable, "-m", "hccreview", "report", str(study), "--out", str(Path(tmp) / "r.pdf")]
                cmd += ["--cases", args.cases] if args.cases else []
                start = time.perf_counter()
                done = subprocess.run(cmd, capture_output=True, text=True, check=True)
                walls.append(time.perf_counter() - start)
                found = re.search(r"(\d+) pages in ([\d.]+) s", done.stdout)
                if found:
                    pages, seconds = int(found.group(1)), float(found.group(2))
                    inner.append(seconds)
            runs = ", ".join(f"{w:.2f}" for w in walls)
            print(f"{n:>5} patients, {pages} pages: command {statistics.median(walls):.2f} s, render_report "
                  f"{statistics.median(inner):.2f} s (median of {args.runs}; command runs {runs})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
