"""Render the cohort dashboard on the demo study, offscreen, and save screenshots.

    python tools/screenshot_dashboard.py [--study STUDY.db] [--out docs/screenshots/dashboard.png]
                                         [--sizes 1366x768,1920x1080] [--plot pfs] [--table response]
                                         [--every-plot FOLDER]

The first size is written to ``--out``; further sizes get their width appended (``dashboard-1920.png``).
``--every-plot FOLDER`` also saves one screenshot per plot tab (to check each by eye). Without ``--study``
the demo study is built in a temporary folder (``services.demo_study``; the simulator directly while that
service is a placeholder; the small test study as a last resort).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _study(path: Path | None, folder: Path) -> Path:
    if path is not None:
        return path
    from hccreview.services.demo_study import build_demo_study
    from hccreview.services.session import open_study

    demo = build_demo_study(folder / "demo.db")
    with open_study(demo) as session:
        if session.data().subjects:
            return demo
    try:
        from hccreview.demo.simulate import write_demo_study

        return write_demo_study(folder / "demo-sim.db")
    except ImportError:
        sys.path.insert(0, str(REPO))
        from tests.factories import small_study

        small_study(folder / "small.db").close()
        return folder / "small.db"


def _wait(app: object, condition: object, timeout_s: float = 60.0) -> None:
    import time

    from PySide6.QtCore import QEventLoop

    end = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < end:  # type: ignore[operator]
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)  # type: ignore[attr-defined]
    if not condition():  # type: ignore[operator]
        raise SystemExit("the dashboard did not finish drawing in time")


def _drawn(app: object, canvas: object) -> None:
    """Wait until the plot's queued paint and its render (on the render thread) are done."""
    done: list[bool] = []
    for _ in range(3):
        app.processEvents()  # type: ignore[attr-defined]
    canvas.when_drawn(lambda: done.append(True))  # type: ignore[attr-defined]
    _wait(app, lambda: bool(done))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", type=Path)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots" / "dashboard.png")
    parser.add_argument("--sizes", default="1366x768,1920x1080")
    parser.add_argument("--plot", default="pfs", help="plot tab shown: pfs, os, pfs_cp, os_cp, waterfall, ...")
    parser.add_argument("--table", default="response", help="table tab shown: response, baseline, toxicity, ...")
    parser.add_argument("--every-plot", type=Path, default=None)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtWidgets import QApplication

    from hccreview.services.session import open_study
    from hccreview.ui.bus import ChangeBus
    from hccreview.ui.views.dashboard import DashboardPanel
    from hccreview.ui.workers import Runner

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as folder:
        session = open_study(_study(args.study, Path(folder)))
        runner, bus = Runner(), ChangeBus()
        panel = DashboardPanel(session, bus, runner)
        done: list[object] = []
        panel.details_updated.connect(done.append)
        panel.failed.connect(lambda message: print("failed:", message, file=sys.stderr))
        sizes = [tuple(int(x) for x in size.split("x")) for size in args.sizes.split(",")]
        panel.resize(*sizes[0])
        panel.show()
        _wait(app, lambda: bool(done))
        panel.table_tabs.setCurrentWidget(panel.tables[args.table])
        panel.plot_tabs.setCurrentWidget(panel.plots[args.plot])
        for i, (width, height) in enumerate(sizes):
            panel.resize(width, height)
            panel.body.setSizes([int(width * 0.4), int(width * 0.6)])
            app.processEvents()
            _wait(app, lambda: not panel.plots[args.plot].pending)
            _drawn(app, panel.plots[args.plot])
            out = args.out if i == 0 else args.out.with_name(f"{args.out.stem}-{width}{args.out.suffix}")
            out.parent.mkdir(parents=True, exist_ok=True)
            panel.grab().save(str(out))
            print(f"wrote {out} ({width}x{height}); recompute {panel.last_recompute_ms:.0f} ms")
        if args.every_plot is not None:
            args.every_plot.mkdir(parents=True, exist_ok=True)
            panel.resize(*sizes[0])
            for name, canvas in panel.plots.items():
                panel.plot_tabs.setCurrentWidget(canvas)
                _drawn(app, canvas)
                path = args.every_plot / f"dashboard-{name}.png"
                panel.grab().save(str(path))
                print(f"wrote {path}")
        panel.close()
        runner.wait()
        session.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
