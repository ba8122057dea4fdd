"""The statistics process (no Qt): its dashboards equal the ones computed in this program, after writes too;
errors in the child are raised here; a superseded result is not completed; the transport round-trips."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from hccreview.services.dashboard import DashboardData, complete_dashboard, compute_dashboard
from hccreview.services.dashboard_process import (
    CHILD_FLAG,
    CHUNK,
    DashboardProcess,
    DashboardProcessError,
    LocalDashboard,
    ProcessDashboard,
    decode,
    encode,
)
from hccreview.services.demo_study import build_demo_study
from hccreview.services.review import update_measurement
from hccreview.services.session import open_study
from tests.factories import source_transfer


@pytest.fixture(scope="module")
def _demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_study(tmp_path_factory.mktemp("demo") / "demo.db", patients=2 * CHUNK + 17)


@pytest.fixture
def demo(_demo: Path, tmp_path: Path) -> Path:
    target = tmp_path / "demo.db"
    shutil.copyfile(_demo, target)
    return target


@pytest.fixture(scope="module")
def process() -> Iterator[DashboardProcess]:
    proc = DashboardProcess()
    yield proc
    proc.close()


def _same(a: DashboardData, b: DashboardData) -> None:
    """Every field equal (frames by value, the statistics by their JSON form)."""
    assert a.stats.to_dict() == b.stats.to_dict()
    assert [o.subject_id for o in a.stats.subjects] == [o.subject_id for o in b.stats.subjects]
    for f in dataclasses.fields(DashboardData):
        if f.name in ("stats", "compute_ms", "load_ms"):
            continue
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y)
        else:
            assert x == y, f.name


def test_the_transport_round_trips_in_small_pieces(demo: Path) -> None:
    with open_study(demo) as session:
        dash = compute_dashboard(session.data(), None)
    parts = encode(dash)
    n = len(dash.stats.subjects)
    assert n > 2 * CHUNK
    assert len(parts) == 1 + 2 * -(-n // CHUNK)  # the head, then subjects and swimmer lanes in chunks
    _same(decode(parts), dash)


def test_the_process_computes_what_this_program_computes_also_after_a_write(demo: Path, process) -> None:  # type: ignore[no-untyped-def]
    backend = ProcessDashboard(demo, process)
    with open_study(demo, user="tester") as session:
        local = LocalDashboard(session)
        for source in (None, "investigator", "reader:reader1"):
            _same(backend.compute(source), local.compute(source))
        first = backend.compute(None)
        full = backend.complete(first)
        assert full is not None and full.complete
        _same(full, complete_dashboard(local.compute(None), session.data()))
        # a write through another connection (this session) reaches the child's cache: a baseline target
        # diameter doubled moves that patient's waterfall bar down (best % change from the baseline sum)
        before = backend.compute("investigator")
        sid, pct, _ = before.waterfall[0]
        reader = before.waterfall_readers[sid]
        target = session.store.rows("lesions", f"subject_id = '{sid}' AND reader = '{reader}' AND kind = 'target'")[0]
        rows = session.store.rows(
            "measurements", f"subject_id = '{sid}' AND reader = '{reader}' AND lesion_id = '{target['lesion_id']}'"
        )
        baseline = min(rows, key=lambda row: row["date"])
        doubled = {"diameter_mm": 2 * float(baseline["diameter_mm"])}
        with source_transfer(session.store):  # the investigator's measurement: as a data transfer changes it
            update_measurement(session, measurement_id=int(baseline["id"]), values=doubled, reason="re-measured")
        after = backend.compute("investigator")
        assert dict((s, p) for s, p, _ in after.waterfall)[sid] < pct  # a larger baseline: a deeper fall
        with open_study(demo) as fresh:
            _same(after, compute_dashboard(fresh.data(), "investigator", details=False))


def test_a_superseded_result_is_not_completed(demo: Path, process) -> None:  # type: ignore[no-untyped-def]
    backend = ProcessDashboard(demo, process)
    old = backend.compute(None)
    new = backend.compute("investigator")
    assert backend.complete(old) is None
    full = backend.complete(new)
    assert full is not None and full.complete and full.source == "investigator"


def test_an_error_in_the_child_is_raised_here_and_the_child_keeps_serving(demo: Path, process) -> None:  # type: ignore[no-untyped-def]
    backend = ProcessDashboard(demo, process)
    with pytest.raises(ValueError, match="unknown source 'bogus'"):
        backend.compute("bogus")
    assert backend.compute(None).stats.n_enrolled > 0


def test_a_child_that_dies_gives_a_clear_error_and_the_next_request_restarts_it(demo: Path) -> None:
    proc = DashboardProcess()
    try:
        backend = ProcessDashboard(demo, proc)
        backend.compute(None)
        first = proc.pid
        proc.kill()
        assert proc.pid is None
        again = backend.compute(None)  # a dead child found before a request: started again
        assert proc.starts == 2 and proc.pid not in (None, first) and again.stats.n_enrolled > 0
    finally:
        proc.close()
    assert proc.pid is None


def test_a_child_that_cannot_start_is_reported_as_such(demo: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from hccreview.services import dashboard_process

    monkeypatch.setattr(dashboard_process, "child_command", lambda: ["/nonexistent/hccreview-python"])
    with pytest.raises(DashboardProcessError, match="could not be started") as caught:
        ProcessDashboard(demo, DashboardProcess()).compute(None)
    assert caught.value.not_started


def test_the_program_started_with_the_child_flag_is_the_statistics_process(demo: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """What the packaged application does (it starts itself with ``CHILD_FLAG``), here through ``-m hccreview``."""
    import sys

    from hccreview.services import dashboard_process

    monkeypatch.setattr(dashboard_process, "child_command", lambda: [sys.executable, "-m", "hccreview", CHILD_FLAG])
    proc = DashboardProcess()
    try:
        with open_study(demo) as session:
            expected = LocalDashboard(session).compute(None)
        _same(ProcessDashboard(demo, proc).compute(None), expected)
    finally:
        proc.close()


def test_the_child_exits_when_the_window_process_dies(demo: Path) -> None:
    """A window that crashes (no clean-up) leaves no statistics process running: the child sees its pipe close."""
    import subprocess
    import sys
    import time

    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc to read a process's state")
    script = (
        "import os, sys\n"
        "from hccreview.services.dashboard_process import ProcessDashboard, shared_process\n"
        "ProcessDashboard(sys.argv[1]).compute(None)\n"
        "print(shared_process().pid, flush=True)\n"
        "os._exit(0)\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(demo)], capture_output=True, text=True, timeout=120)
    pid = int(out.stdout.strip())

    def running() -> bool:
        try:
            state = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            return False
        return "\nState:\tZ" not in state  # a zombie has exited (its new parent reaps it)

    deadline = time.monotonic() + 10
    while running() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running()
