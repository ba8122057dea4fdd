"""The Runner: work off the GUI thread, callbacks on it, newest-wins, errors, progress, cancellation, order."""

from __future__ import annotations

import threading

import pytest
import shiboken6
from PySide6.QtCore import QThread

from hccreview.ui.workers import Debouncer, Progress, Runner


@pytest.fixture
def runner(qapp):  # type: ignore[no-untyped-def]
    r = Runner()
    yield r
    r.wait(10000)


def test_runs_on_another_thread_and_calls_back_on_the_gui_thread(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    gui = threading.get_ident()
    seen: dict[str, object] = {}

    def work(x: int) -> int:
        seen["worker"] = threading.get_ident()
        return x * 2

    def done(result: int) -> None:
        seen["callback"] = threading.get_ident()
        seen["qt_main"] = QThread.currentThread() is qtbot_app_thread()
        seen["result"] = result

    def qtbot_app_thread() -> QThread:
        from PySide6.QtWidgets import QApplication

        return QApplication.instance().thread()

    for lane in ("db", "compute"):
        seen.clear()
        runner.run(work, 21, on_done=done, lane=lane)
        qtbot.waitUntil(lambda: "result" in seen)
        assert seen["worker"] != gui
        assert seen["callback"] == gui
        assert seen["qt_main"] is True
        assert seen["result"] == 42


def test_newest_wins_drops_superseded_results(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    release = threading.Event()
    results: list[str] = []

    def slow(name: str) -> str:
        release.wait(10)
        return name

    runner.run(slow, "old", key="stats", on_done=results.append)
    runner.run(slow, "new", key="stats", on_done=results.append)
    runner.run(slow, "other key", key="overview", on_done=results.append)
    release.set()
    qtbot.waitUntil(lambda: "new" in results and "other key" in results)
    assert runner.wait(10000)
    qtbot.waitUntil(lambda: not runner.busy)
    assert "old" not in results


def test_pending_says_whether_the_newest_job_of_a_key_is_still_to_land(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    release = threading.Event()
    seen: list[tuple[str, bool]] = []

    def slow(name: str) -> str:
        release.wait(10)
        return name

    assert not runner.pending("case")  # never used
    runner.run(slow, "old", key="case", on_done=lambda r: seen.append((r, runner.pending("case"))))
    runner.run(slow, "new", key="case", on_done=lambda r: seen.append((r, runner.pending("case"))))
    assert runner.pending("case") and not runner.pending("other")
    release.set()
    qtbot.waitUntil(lambda: bool(seen))
    runner.wait(10000)
    qtbot.waitUntil(lambda: not runner.busy)
    assert seen == [("new", False)], "the superseded result is dropped; the newest has landed when it is delivered"
    runner.run(lambda: 1 / 0, key="case", on_error=lambda _exc: seen.append(("error", runner.pending("case"))))
    qtbot.waitUntil(lambda: len(seen) == 2)
    assert seen[1] == ("error", False) and not runner.pending("case")


def test_a_method_of_a_deleted_qobject_is_not_called_back(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QObject

    class Panel(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.got: list[object] = []

        def arrived(self, result: object) -> None:
            self.got.append(result)

    release = threading.Event()
    gone, kept = Panel(), Panel()
    runner.run(lambda: release.wait(10) and "late", on_done=gone.arrived)
    runner.run(lambda: release.wait(10) and "late", on_done=kept.arrived)
    shiboken6.delete(gone)  # a panel rebuilt for another user while its load ran
    release.set()
    qtbot.waitUntil(lambda: kept.got == ["late"])
    runner.wait(10000)
    qtbot.waitUntil(lambda: not runner.busy)
    assert not shiboken6.isValid(gone) and gone.got == [], "nobody to call back: the result is dropped"


def test_errors_reach_on_error_or_the_error_signal(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    def boom() -> None:
        raise ValueError("bad input")

    errors: list[BaseException] = []
    runner.run(boom, on_error=errors.append, on_done=lambda _r: pytest.fail("on_done after an error"))
    qtbot.waitUntil(lambda: bool(errors))
    assert isinstance(errors[0], ValueError) and "bad input" in str(errors[0])
    assert "Traceback" in errors[0].__hccreview_traceback__  # type: ignore[attr-defined]

    with qtbot.waitSignal(runner.error, timeout=5000) as blocker:
        runner.run(boom)
    assert isinstance(blocker.args[0], ValueError)


def test_a_failure_in_the_statistics_process_keeps_the_traceback_from_there(qtbot, runner, review_study) -> None:  # type: ignore[no-untyped-def]
    """The error box's details (``MainWindow.show_error``) show where the statistics process failed, not only
    this process waiting for its answer: the job keeps the traceback the exception came with."""
    from hccreview.services.dashboard_process import DashboardProcess, ProcessDashboard

    process = DashboardProcess()
    errors: list[BaseException] = []
    try:
        runner.run(ProcessDashboard(review_study, process).compute, "bogus", lane="compute", on_error=errors.append)
        qtbot.waitUntil(lambda: bool(errors), timeout=30000)
    finally:
        process.close()
    assert isinstance(errors[0], ValueError) and str(errors[0]).startswith("unknown source 'bogus'")
    detail = errors[0].__hccreview_traceback__  # type: ignore[attr-defined]
    assert "in _answer" in detail and "sources.py" in detail, detail  # the child's frames, down to the raise


def test_progress_is_reported_on_the_gui_thread(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    gui = threading.get_ident()
    reports: list[tuple[float, str, bool]] = []

    def job(n: int, *, progress: Progress) -> int:
        for i in range(n):
            progress.report((i + 1) / n, f"step {i + 1}")
        return n

    done: list[int] = []
    runner.run(
        job,
        4,
        on_progress=lambda f, t: reports.append((f, t, threading.get_ident() == gui)),
        on_done=done.append,
    )
    qtbot.waitUntil(lambda: done == [4])
    qtbot.waitUntil(lambda: len(reports) == 4)
    assert [r[0] for r in reports] == [0.25, 0.5, 0.75, 1.0]
    assert reports[-1][1] == "step 4"
    assert all(r[2] for r in reports)


def test_cancellation_is_seen_by_the_worker(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    started = threading.Event()

    def job(*, progress: Progress) -> str:
        started.set()
        for _ in range(1000):
            if progress.cancelled:
                return "cancelled"
            threading.Event().wait(0.01)
        return "finished"

    results: list[str] = []
    job_progress = runner.run(job, progress=Progress(), on_done=results.append)
    assert started.wait(5)
    job_progress.cancel()
    qtbot.waitUntil(lambda: results == ["cancelled"])


def test_db_lane_is_serial_and_ordered(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    order: list[int] = []
    threads: set[int] = set()
    lock = threading.Lock()
    active = [0]
    overlap = [False]

    def job(i: int) -> int:
        with lock:
            active[0] += 1
            overlap[0] |= active[0] > 1
        threads.add(threading.get_ident())
        threading.Event().wait(0.005)
        order.append(i)
        with lock:
            active[0] -= 1
        return i

    delivered: list[int] = []
    for i in range(8):
        runner.run(job, i, lane="db", on_done=delivered.append)
    qtbot.waitUntil(lambda: len(delivered) == 8)
    assert order == list(range(8)) and delivered == list(range(8))
    assert not overlap[0]


def test_busy_changed_brackets_the_work(qtbot, runner) -> None:  # type: ignore[no-untyped-def]
    states: list[bool] = []
    runner.busy_changed.connect(states.append)
    with qtbot.waitSignal(runner.busy_changed, check_params_cb=lambda b: b is False, timeout=5000):
        runner.run(lambda: 1)
        runner.run(lambda: 2)
    assert states == [True, False]


def test_debouncer_fires_once_after_the_last_trigger(qtbot, qapp) -> None:  # type: ignore[no-untyped-def]
    calls: list[int] = []
    debouncer = Debouncer(lambda: calls.append(1), delay_ms=30)
    for _ in range(5):
        debouncer.trigger()
    assert debouncer.pending
    qtbot.waitUntil(lambda: calls == [1])
    assert not debouncer.pending  # single-shot and idle: no second call can come
