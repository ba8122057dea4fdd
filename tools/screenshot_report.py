"""Render the demo study's cohort summary and case packet and save PNGs of their first pages (for review and docs).

    python tools/screenshot_report.py [--study STUDY.db] [--out docs/screenshots] [--pages 4] [--packet-pages 3]
                                      [--dpi 100]

Writes ``report-page-1.png`` … and ``packet-page-1.png`` … (the packet holds the discordant cases). Needs
``pdftoppm`` (poppler-utils). Without ``--study`` the demo study is built in a temporary folder.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from shot_support import SHOTS, demo_study, scratch


def _pngs(pdf: Path, out: Path, prefix: str, pages: int, dpi: int) -> list[Path]:
    stem = out / f".{prefix}"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-f", "1", "-l", str(pages), "-png", str(pdf), str(stem)], check=True)
    written = []
    for i, page in enumerate(sorted(out.glob(f".{prefix}-*.png")), start=1):
        target = out / f"{prefix}-page-{i}.png"
        page.replace(target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=SHOTS)
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--packet-pages", type=int, default=3)
    parser.add_argument("--dpi", type=int, default=100)
    args = parser.parse_args(argv)
    if shutil.which("pdftoppm") is None:
        print("pdftoppm not found: install poppler-utils", file=sys.stderr)
        return 1
    from hccreview.services.reporting import render_report
    from hccreview.services.session import open_study

    args.out.mkdir(parents=True, exist_ok=True)
    folder = scratch("report-shot")
    with open_study(demo_study(args.study, folder)) as session:
        summary = render_report(session, folder / "summary.pdf")
        packet = render_report(session, folder / "packet.pdf", cases="discordant")
    for path in _pngs(summary.path, args.out, "report", args.pages, args.dpi):
        print(path)
    for path in _pngs(packet.path, args.out, "packet", args.packet_pages, args.dpi):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
