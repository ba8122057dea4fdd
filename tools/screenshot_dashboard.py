"""Render the cohort dashboard on the demo study, offscreen, and save screenshots.

    python tools/screenshot_dashboard.py [--study STUDY.db] [--out docs/screenshots/dashboard.png]
                                         [--sizes 1366x768,1920x1080] [--plot pfs] [--table response]
                                         [--every-plot FOLDER] [--user none] [--arm ARM]

The first size is written to ``--out``; further sizes get their width appended (``dashboard-1920.png``).
``--every-plot FOLDER`` also saves one screenshot per plot tab (to check each by eye). Without ``--study``
the demo study is built in a temporary folder. Signed in as the demo adjudicator.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from shot_support import SHOTS, demo_study, open_signed_in, panel_context, save, scratch, size, start_qt, wait_until

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from hccreview.ui.views.dashboard_canvas import DashboardCanvas


def drawn(app: QApplication, canvas: DashboardCanvas) -> None:
    """Wait until the plot's queued paint and its render (on the render thread) are done."""
    done: list[bool] = []
    wait_until(app, lambda: not canvas.pending, "the plot")
    canvas.when_drawn(lambda: done.append(True))
    wait_until(app, lambda: bool(done), "the plot's render")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", type=Path)
    parser.add_argument("--out", type=Path, default=SHOTS / "dashboard.png")
    parser.add_argument("--sizes", default="1366x768,1920x1080")
    parser.add_argument("--plot", default="pfs", help="plot tab shown: pfs, os, pfs_cp, os_cp, waterfall, ...")
    parser.add_argument("--table", default="response", help="table tab shown: response, baseline, toxicity, ...")
    parser.add_argument("--every-plot", type=Path, default=None)
    parser.add_argument("--user", default="adjudicator", help="demo account signed in; 'none' for nobody (an "
                        "imported study without the demo accounts)")  # fmt: skip
    parser.add_argument("--arm", default=None, help="arm shown (default: Overall)")
    parser.add_argument("--split", type=float, default=0.4, help="share of the width for the tables")
    args = parser.parse_args(argv)

    folder = scratch("dashboard-shot")
    app = start_qt(folder)
    from hccreview.ui.views.dashboard import DashboardPanel

    session = open_signed_in(demo_study(args.study, folder), None if args.user == "none" else args.user)
    context = panel_context(session)
    panel = DashboardPanel(context)
    done: list[object] = []
    panel.details_updated.connect(done.append)
    panel.failed.connect(lambda message: print("failed:", message, file=sys.stderr))
    sizes = [size(text) for text in args.sizes.split(",")]
    panel.resize(*sizes[0])
    panel.show()
    wait_until(app, lambda: bool(done), "the dashboard")
    if args.arm:
        done.clear()
        panel.set_arm(args.arm)
        wait_until(app, lambda: bool(done), "the arm's figures")
    panel.table_tabs.setCurrentWidget(panel.tables[args.table])
    panel.plot_tabs.setCurrentWidget(panel.plots[args.plot])
    for i, (width, height) in enumerate(sizes):
        panel.resize(width, height)
        panel.body.setSizes([int(width * args.split), int(width * (1 - args.split))])
        app.processEvents()
        drawn(app, panel.plots[args.plot])
        out = args.out if i == 0 else args.out.with_name(f"{args.out.stem}-{width}{args.out.suffix}")
        save(panel, out, f"recompute {panel.last_recompute_ms:.0f} ms")
    if args.every_plot is not None:
        panel.resize(*sizes[0])
        for name, canvas in panel.plots.items():
            panel.plot_tabs.setCurrentWidget(canvas)
            drawn(app, canvas)
            save(panel, args.every_plot / f"dashboard-{name}.png")
    panel.close()
    context.runner.wait()
    session.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
