"""Work off the GUI thread through one helper (Anki's CollectionOp / QueryOp, Orange's newest-wins runner).

Two lanes:

- the **database lane**: one thread, in submission order. Every use of the open study's connection (reads and
  writes) runs here, so the connection is never used from two threads and writes are serialised;
- the **compute lane**: a thread pool for pure work on records already loaded (statistics, figures).

Results come back on the GUI thread through Qt's queued signals. A job submitted with a ``key`` supersedes earlier
jobs of the same key: their results are dropped (newest wins), and one that has not started yet is not run at all.
This is the program's one newest-wins mechanism: a panel that must show only its latest request (the case view
stepping through patients, the dashboard after a burst of edits) submits it under its key and keeps no counters of
its own; :meth:`Runner.pending` says whether the newest job of a key has yet to land. Writes go through
``ui.operations.run_write``, which runs them here and publishes their Changes. On the database lane a job without a
key (a write, or a one-off read a write asked for) goes ahead of queued keyed jobs (reloads, which a newer request
would supersede anyway): an edit never waits behind a pile of panel reloads; jobs of equal rank keep their
submission order. Worker functions are plain functions, testable without Qt; they may take a :class:`Progress` to
report progress and check cancellation.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal


@dataclass
class Progress:
    """Passed to long jobs: ``report(fraction, text)`` from the worker; ``cancelled`` set by the GUI."""

    callback: Callable[[float, str], None] | None = None
    _cancel: threading.Event = field(default_factory=threading.Event)

    def report(self, fraction: float, text: str = "") -> None:
        if self.callback is not None:
            self.callback(fraction, text)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()


class _Signals(QObject):
    finished = Signal(object)
    failed = Signal(object)
    skipped = Signal()
    progressed = Signal(float, str)


#: Database-lane priorities (QThreadPool runs higher first; equal ones in submission order).
WRITE_PRIORITY = 1
RELOAD_PRIORITY = 0


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], signals: _Signals, wanted: Callable[[], bool] | None = None) -> None:
        super().__init__()
        self.fn = fn
        self.signals = signals
        self.wanted = wanted
        self.setAutoDelete(True)

    def run(self) -> None:
        if self.wanted is not None and not self.wanted():  # superseded while queued: don't do the work
            self.signals.skipped.emit()
            return
        try:
            result = self.fn()
        except BaseException as exc:  # reported to the GUI thread, never swallowed
            # one it came with stays: where the statistics process failed (services.dashboard_process)
            if not getattr(exc, "__hccreview_traceback__", None):
                exc.__hccreview_traceback__ = traceback.format_exc()  # type: ignore[attr-defined]  # our own attribute: BaseException declares none
            self.signals.failed.emit(exc)
        else:
            self.signals.finished.emit(result)


def callback_alive(callback: Callable[..., Any]) -> bool:
    """False for a bound method of a QObject Qt has deleted (a panel rebuilt for another user): its job's result
    has nobody to go to."""
    owner = getattr(callback, "__self__", None)
    return not isinstance(owner, QObject) or shiboken6.isValid(owner)


class Runner(QObject):
    """Runs plain functions off the GUI thread; callbacks run on the GUI thread (not at all when a callback is a
    method of a QObject that has been deleted meanwhile).

    Signals:
        busy_changed(bool): True while any job runs (for a status-bar indicator).
        error(object): a job failed and had no ``on_error`` of its own (the exception).
    """

    busy_changed = Signal(bool)
    error = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_lane = QThreadPool(self)
        self.db_lane.setMaxThreadCount(1)
        self.compute_lane = QThreadPool(self)
        self.compute_lane.setMaxThreadCount(max(1, QThreadPool.globalInstance().maxThreadCount()))
        self._generation: dict[str, int] = {}  # key -> the newest job's number
        self._landed: dict[str, int] = {}  # key -> the number of its newest job that has finished
        self._running = 0
        self._keep: set[_Signals] = set()

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], object] | None = None,  # what a callback returns is not used
        on_error: Callable[[BaseException], object] | None = None,
        on_progress: Callable[[float, str], None] | None = None,
        key: str | None = None,
        lane: str = "db",
        progress: Progress | None = None,
        priority: int | None = None,
        **kwargs: Any,
    ) -> Progress:
        """Run ``fn(*args, **kwargs)`` on a lane; returns the job's :class:`Progress` (to cancel it).

        If ``progress`` is passed (or ``on_progress`` is), ``fn`` receives it as the keyword ``progress``.
        ``priority`` (database lane): default :data:`WRITE_PRIORITY` without a key, else :data:`RELOAD_PRIORITY`;
        a keyed read the user is waiting for may ask for :data:`WRITE_PRIORITY` (it still runs after the writes
        queued before it).
        """
        signals = _Signals()
        self._keep.add(signals)
        generation = None
        if key is not None:
            generation = self._generation.get(key, 0) + 1
            self._generation[key] = generation
        prog = progress or Progress()
        if on_progress is not None:
            prog.callback = signals.progressed.emit
            signals.progressed.connect(on_progress)
            kwargs["progress"] = prog
        elif progress is not None:
            kwargs["progress"] = prog

        def current() -> bool:
            return key is None or self._generation.get(key) == generation

        def land() -> bool:
            """Whether the result is wanted (the newest of its key); records that the key's newest job landed."""
            if not current():
                return False
            if key is not None and generation is not None:
                self._landed[key] = generation
            return True

        def done(result: object) -> None:
            if not shiboken6.isValid(self):  # the runner's owner (a window) was destroyed: nobody to tell
                return
            self._finish(signals)
            if land() and on_done is not None and callback_alive(on_done):
                on_done(result)

        def failed(exc: BaseException) -> None:
            if not shiboken6.isValid(self):
                return
            self._finish(signals)
            if not land():
                return
            if on_error is not None:
                if callback_alive(on_error):
                    on_error(exc)
            else:
                self.error.emit(exc)

        def skipped() -> None:
            if shiboken6.isValid(self):
                self._finish(signals)

        signals.finished.connect(done)
        signals.failed.connect(failed)
        signals.skipped.connect(skipped)
        self._running += 1
        if self._running == 1:
            self.busy_changed.emit(True)
        pool = self.db_lane if lane == "db" else self.compute_lane
        if priority is None:
            priority = WRITE_PRIORITY if key is None and lane == "db" else RELOAD_PRIORITY
        pool.start(_Job(lambda: fn(*args, **kwargs), signals, None if key is None else current), priority)
        return prog

    def pending(self, key: str) -> bool:
        """Whether the newest job submitted under ``key`` has not landed yet (queued or running): its result, or
        its error, is still to come. False for a key never used."""
        newest = self._generation.get(key)
        return newest is not None and self._landed.get(key) != newest

    def _finish(self, signals: _Signals) -> None:
        self._keep.discard(signals)
        self._running -= 1
        if self._running == 0:
            self.busy_changed.emit(False)

    def wait(self, msecs: int = 30000) -> bool:
        """Block until both lanes are idle (tests and shutdown only; never from a GUI handler)."""
        return self.db_lane.waitForDone(msecs) and self.compute_lane.waitForDone(msecs)

    @property
    def busy(self) -> bool:
        return self._running > 0


class Debouncer(QObject):
    """Calls ``fn`` once, ``delay_ms`` after the last :meth:`trigger` (cohort recompute after edits)."""

    def __init__(self, fn: Callable[[], None], delay_ms: int = 150, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(fn)

    def trigger(self) -> None:
        self._timer.start()

    @property
    def pending(self) -> bool:
        """A call is due (triggered, not yet made)."""
        return self._timer.isActive()
