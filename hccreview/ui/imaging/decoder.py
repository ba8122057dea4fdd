"""Decode a series in the background, the slice on screen first (issue 21: the GUI never waits on a decode).

:class:`DecodeSchedule` (no Qt, thread-safe) hands out slice indices: the focus (the slice the user looks at)
first, then outward, one step ahead in the direction the user last scrolled, then one behind, and so on. A new
focus re-orders what is left at once. :class:`SliceDecoder` runs it on the program's decode threads: each job
takes one index, decodes that file with a plain function — by default a ``services.image_pixels.SeriesLoader``,
which sends JPEG 2000 slices to child processes (their codec holds the interpreter lock); any
``load(path) -> ndarray`` in tests — writes it into the :class:`~hccreview.ui.imaging.volume.SeriesVolume` and
announces it. Jobs are one slice each, so several open series share the threads fairly.

Why not ``ui.workers.Runner``: its compute lane is the statistics' (a series of JPEG 2000 slices decodes for
seconds), and a decode wants re-ordering on every scroll rather than newest-wins. The shape is the same:
plain worker functions, a ``QRunnable`` per job, results back on the GUI thread through queued signals.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal

from hccreview.services.image_pixels import SeriesLoader
from hccreview.ui.imaging.volume import SeriesVolume

Loader = Callable[[str], np.ndarray]
_POOL: QThreadPool | None = None


def decode_pool() -> QThreadPool:
    """The program's decode threads: two (the GUI thread and the statistics process need the rest of a 2-core
    machine; most decoding is in C and releases the interpreter lock)."""
    global _POOL
    if _POOL is None or not shiboken6.isValid(_POOL):  # (re)made after Qt destroyed it at shutdown
        _POOL = QThreadPool()
        _POOL.setMaxThreadCount(max(1, min(2, QThread.idealThreadCount())))
    return _POOL


class DecodeSchedule:
    """Which slice to decode next: the focus, then outward alternating, ahead of the scroll direction first."""

    def __init__(self, count: int, focus: int = 0) -> None:
        self._count = count
        self._pending = set(range(count))
        self._focus = min(max(focus, 0), count - 1)
        self._direction = 1
        self._distance = 0  # every index nearer the focus than this is taken
        self._lock = threading.Lock()

    def focus(self, index: int) -> None:
        """Decode ``index`` next (when still pending), then its neighbours outward."""
        index = min(max(index, 0), self._count - 1)
        with self._lock:
            if index != self._focus:
                self._direction = 1 if index > self._focus else -1
            self._focus = index
            self._distance = 0

    def take(self) -> int | None:
        """The next index to decode (removed from the schedule), or None when none is left."""
        with self._lock:
            while self._distance < self._count:
                d = self._distance
                ahead, behind = self._focus + self._direction * d, self._focus - self._direction * d
                for i in (ahead, behind) if d else (ahead,):
                    if i in self._pending:
                        self._pending.remove(i)
                        return i
                self._distance += 1
            return None

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._pending)


def decode_next(schedule: DecodeSchedule, volume: SeriesVolume, load: Loader) -> tuple[int, str] | None:
    """Decode one slice into ``volume`` (any thread): (index, "") when decoded, (index, why) when it failed, None
    when nothing is left."""
    index = schedule.take()
    if index is None:
        return None
    try:
        volume.store(index, load(volume.sources[index].path))
    except Exception as exc:  # a bad file is that slice's problem, shown in its place; the series goes on
        message = str(exc) or type(exc).__name__
        volume.errors[index] = message
        return index, message
    return index, ""


class _Signals(QObject):
    decoded = Signal(int)
    failed = Signal(int, str)
    ended = Signal()


class _Job(QRunnable):
    """Decodes one slice; asks its decoder for the next job when done."""

    def __init__(self, decoder: SliceDecoder) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self.decoder = decoder

    def run(self) -> None:
        self.decoder.run_one()


class SliceDecoder(QObject):
    """Fills a :class:`SeriesVolume` off the GUI thread.

    Signals (emitted from decode threads, delivered queued on the GUI thread):
        sliceReady(int): slice ``index`` is in the volume;
        sliceFailed(int, str): slice ``index`` could not be decoded (why; also in ``volume.errors``);
        finished(): no slice is left to decode (decoded or failed) — not emitted after :meth:`cancel`.
    """

    sliceReady = Signal(int)
    sliceFailed = Signal(int, str)
    finished = Signal()

    def __init__(self, volume: SeriesVolume, load: Loader | None = None, *, parallel: int = 2,
                 parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.volume = volume
        self.schedule = DecodeSchedule(volume.count, focus=volume.count // 2)
        self._load: Loader = load or SeriesLoader()
        self._parallel = max(1, parallel)
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._started = False
        self._ended = False
        self._signals = _Signals()  # no parent: alive as long as the jobs that emit on it
        self._signals.decoded.connect(self.sliceReady)
        self._signals.failed.connect(self.sliceFailed)
        self._signals.ended.connect(self.finished)

    def prioritise(self, index: int) -> None:
        """Decode slice ``index`` next, then outward from it; starts decoding on the first call (GUI thread).

        While the slice on screen is not decoded, it is decoded alone (a second thread would slow it down,
        both competing for the interpreter); its neighbours follow in parallel."""
        if self._cancelled.is_set():
            return
        self.schedule.focus(index)
        self._started = True
        if self.schedule.remaining == 0:
            return
        waiting = not self.volume.is_loaded(index)
        with self._lock:
            starts = max(0, (1 if waiting else self._parallel) - self._in_flight)
            self._in_flight += starts
        for _ in range(starts):
            decode_pool().start(_Job(self), 1 if waiting else 0)

    def run_one(self) -> None:
        """One job's work (a decode thread): one slice, then as many jobs as ``parallel`` allows, or the end."""
        got = None if self._cancelled.is_set() else decode_next(self.schedule, self.volume, self._load)
        if got is not None:
            index, why = got
            if why:
                self._signals.failed.emit(index, why)
            else:
                self._signals.decoded.emit(index)
        with self._lock:  # this job ends and its successors start in one step: never zero in flight between
            self._in_flight -= 1
            starts = 0
            if got is not None and not self._cancelled.is_set():
                starts = max(0, self._parallel - self._in_flight)
                self._in_flight += starts
            if self._in_flight == 0:
                self._idle.notify_all()
            ended = self._in_flight == 0 and got is None and not self._ended and not self._cancelled.is_set()
            self._ended = self._ended or ended
        for _ in range(starts):
            decode_pool().start(_Job(self))
        if ended:
            self._signals.ended.emit()

    def cancel(self) -> None:
        """Decode nothing more (a slice being decoded finishes); call when the series is closed."""
        self._cancelled.set()

    def wait(self, timeout_s: float = 30.0) -> bool:
        """Block until no job of this decoder runs or is queued (tests and shutdown; never in a GUI handler)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout_s)

    @property
    def started(self) -> bool:
        return self._started

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    @property
    def done(self) -> bool:
        """Every slice decoded or failed."""
        return self.schedule.remaining == 0 and self._in_flight == 0


__all__ = ["DecodeSchedule", "SliceDecoder", "decode_next", "decode_pool"]
