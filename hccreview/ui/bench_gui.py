"""GUI benchmark scenarios, run in a fresh process by ``hccreview bench`` (issue 10, DESIGN §2).

    python -m hccreview.ui.bench_gui cold_start|next_patient|dashboard_after_change STUDY.db [--runs K]
    python -m hccreview.ui.bench_gui image_scroll|image_first|image_memory MANIFEST.json [--runs K]

Prints one JSON object on stdout:

- ``cold_start``: ``{"painted_at": <time.time() when the first patient was painted>}`` — the parent process
  subtracts its own ``time.time()`` taken just before starting this process (so interpreter start-up counts);
- ``next_patient``: ``{"times_ms": [...], "reference_ms": [...]}`` — the first step is the warm-up;
- ``dashboard_after_change``: as ``next_patient``, plus ``"max_lateness_ms"`` (event-loop latency: the largest
  lateness of a 10 ms QTimer while the dashboard recomputed) and ``"panel_ms"`` (``last_recompute_ms``);
- ``image_scroll``, ``image_first``, ``image_memory``: the image viewer on synthetic series listed in a manifest
  (``ui.imaging.bench_scenarios``, issue 21); no study, no sign-in.

The process signs in programmatically as the demo adjudicator (``adjudicator`` / ``adjudicator-demo``: the role that
sees every panel and may decide, DESIGN §4b) instead of showing the sign-in dialog, uses a throw-away settings
folder, and runs on ``QT_QPA_PLATFORM=offscreen`` unless told otherwise.
"""

from __future__ import annotations

import time

_STARTED_AT = time.time()

import argparse  # noqa: E402  (the start time is taken first)
import inspect  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DEMO_USER = ("adjudicator", "adjudicator-demo")
IMAGE_SCENARIOS = ("image_scroll", "image_first", "image_memory")


def _wait(app: Any, done: Callable[[], bool], timeout_s: float = 120.0) -> None:
    """Process events until ``done()`` (raises TimeoutError after ``timeout_s``)."""
    from PySide6.QtCore import QEventLoop

    deadline = time.perf_counter() + timeout_s
    while not done():
        if time.perf_counter() > deadline:
            raise TimeoutError("the GUI did not finish in time")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)


def _window(study: str) -> tuple[Any, Any, Any]:
    """The application, a signed-in session and its main window (shown), with the first patient painted."""
    from PySide6.QtWidgets import QApplication

    from hccreview.services.auth import sign_in
    from hccreview.services.session import open_study
    from hccreview.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("hccreview-bench")
    app.setApplicationName("hccreview-bench")
    session = open_study(study)
    session.signed_in = sign_in(session, *DEMO_USER)
    window = MainWindow(session)
    window.resize(1400, 900)
    window.show()
    view = window.case_view
    _wait(app, lambda: view.ready and view.detail is not None)
    window.repaint()  # synchronous paint of the first patient
    app.processEvents()
    return app, session, window


def cold_start(study: str) -> dict[str, Any]:
    """Start to first patient painted (the caller measures from before this process started)."""
    app, _session, window = _window(study)
    painted_at = time.time()
    window.close()
    app.processEvents()
    return {"painted_at": painted_at, "in_process_ms": 1000.0 * (painted_at - _STARTED_AT)}


def next_patient(study: str, runs: int) -> dict[str, Any]:
    """Step to the next patient (the "J" action) ``runs`` + 1 times; time until the panels show and paint it."""
    from hccreview.services.case import load_case
    from hccreview.services.session import open_study

    app, session, window = _window(study)
    # steady state: the study overview and the other panels' first loads are done (a large study's overview
    # reads for a few seconds after the first patient is painted)
    _wait(app, lambda: window.overview is not None and not window.runner.busy)
    view = window.case_view
    action = window.actions_by_name["next"]
    times: list[float] = []
    for _ in range(runs + 1):
        before = view.subject_id
        got: list[str] = []
        view.loaded.connect(got.append)
        start = time.perf_counter()
        action.trigger()  # the action behind the J / Ctrl+Right shortcut

        def moved(got: list[str] = got, before: str | None = before) -> bool:
            return bool(got) and got[-1] != before and view.ready

        _wait(app, moved)
        window.repaint()
        times.append(1000.0 * (time.perf_counter() - start))
        view.loaded.disconnect(got.append)
    subjects = window.navigator.visible_subjects()[: runs + 1]
    window.close()  # closes its session
    app.processEvents()
    session = open_study(study)
    reference = []
    for sid in subjects:
        start = time.perf_counter()
        load_case(session, sid)
        reference.append(1000.0 * (time.perf_counter() - start))
    session.close()
    return {"times_ms": times, "reference_ms": reference}


def dashboard_after_change(study: str, runs: int) -> dict[str, Any]:
    """Adjudicate a discordant patient (alternating reads) with the dashboard visible; time until ``updated``."""
    from PySide6.QtCore import QTimer

    from hccreview.domain.cohort import compute_cohort_stats
    from hccreview.services.adjudication import adjudicate, discordance_queue
    from hccreview.services.session import open_study
    from hccreview.ui.operations import run_write

    app, session, window = _window(study)
    dash = window.tabs.dashboard
    window.actions_by_name["show_dashboard"].trigger()

    def complete() -> bool:
        """The newest result is shown with its details (the panel replaces ``data`` by the completed one)."""
        return dash.data is not None and dash.data.complete and not dash.busy

    _wait(app, complete)  # the first result, its details included: nothing of the first load is still queued
    queue = discordance_queue(session)
    if not queue:
        raise SystemExit("no discordant patient in this study")
    item = queue[0]
    # the discordance reason code (issue 12) where this version of the service asks for one
    code: dict[str, Any] = (
        {"reason_code": "measurement"} if "reason_code" in inspect.signature(adjudicate).parameters else {}
    )
    times: list[float] = []
    panel: list[float] = []
    lateness: list[float] = []
    ticks: list[float] = []

    def tick() -> None:
        now = time.perf_counter()
        if ticks:
            lateness.append(max(0.0, 1000.0 * (now - ticks[-1]) - 10.0))
        ticks.append(now)

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    for i in range(runs + 1):
        got: list[object] = []
        dash.updated.connect(got.append)
        reader = item.readers[i % 2]
        ticks.clear()
        timer.start()
        start = time.perf_counter()
        run_write(window.runner, window.bus, adjudicate, session, subject_id=item.subject_id, chosen_reader=reader,
                  reason=f"bench run {i}", **code)  # fmt: skip

        def arrived(got: list[object] = got) -> bool:
            return bool(got)

        _wait(app, arrived)
        times.append(1000.0 * (time.perf_counter() - start))
        timer.stop()
        panel.append(dash.last_recompute_ms or 0.0)
        dash.updated.disconnect(got.append)
        _wait(app, complete)  # this change's details pass ends before the next change
    window.close()  # closes its session
    app.processEvents()
    session = open_study(study)
    data = session.data()
    reference = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        compute_cohort_stats(data, None)
        reference.append(1000.0 * (time.perf_counter() - start))
    session.close()
    return {"times_ms": times, "reference_ms": reference, "panel_ms": panel,
            "max_lateness_ms": max(lateness, default=0.0)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run one scenario and print its JSON (exit 0), or exit 1 with the error on stderr."""
    parser = argparse.ArgumentParser(prog="python -m hccreview.ui.bench_gui")
    parser.add_argument("scenario", choices=["cold_start", "next_patient", "dashboard_after_change", *IMAGE_SCENARIOS])
    parser.add_argument("study", help="the study file (the image scenarios: the series manifest)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    if "XDG_CONFIG_HOME" not in os.environ:  # keep the user's settings (last study, layout) untouched
        os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="hccreview-bench-")
    if args.scenario in IMAGE_SCENARIOS:
        from hccreview.ui.imaging import bench_scenarios as images

        if args.scenario == "image_scroll":
            result = images.image_scroll(args.study, args.runs)
        elif args.scenario == "image_first":
            result = images.image_first(args.study, args.runs)
        else:
            result = images.image_memory(args.study)
    elif args.scenario == "cold_start":
        result = cold_start(args.study)
    elif args.scenario == "next_patient":
        result = next_patient(args.study, args.runs)
    else:
        result = dashboard_after_change(args.study, args.runs)
    print(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)  # skip interpreter tear-down (worker threads, Qt objects): the figures are out


if __name__ == "__main__":
    sys.exit(main())
