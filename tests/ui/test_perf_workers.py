"""Runner scheduling for a responsive window (issue 8): superseded reloads are skipped, writes go first."""

from __future__ import annotations

import threading

import pytest

from hccreview.ui.workers import Runner


@pytest.fixture
def runner(qapp):  # type: ignore[no-untyped-def]
    r = Runner()
    yield r
    r.wait(10000)


def test_a_superseded_reload_that_has_not_started_is_not_run(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    gate = threading.Event()
    ran: list[str] = []
    done: list[str] = []
    runner.run(gate.wait, 5, lane="db")  # holds the lane while the reloads queue up
    for name in ("first", "second", "third"):
        runner.run(ran.append, name, key="reload", lane="db", on_done=lambda _r, n=name: done.append(n))
    gate.set()
    qtbot.waitUntil(lambda: not runner.busy, timeout=5000)
    assert ran == ["third"] and done == ["third"]


def test_a_write_goes_ahead_of_queued_reloads(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    gate = threading.Event()
    order: list[str] = []
    runner.run(gate.wait, 5, lane="db")
    runner.run(order.append, "navigator reload", key="navigator", lane="db")
    runner.run(order.append, "queue reload", key="queue", lane="db")
    runner.run(order.append, "write 1", lane="db")
    runner.run(order.append, "write 2", lane="db")
    runner.run(order.append, "dashboard load", key="dashboard", lane="db", priority=1)
    gate.set()
    qtbot.waitUntil(lambda: not runner.busy, timeout=5000)
    assert order == ["write 1", "write 2", "dashboard load", "navigator reload", "queue reload"]
