"""The dashboard's computation in a separate process, so that the window keeps responding (issue 8).

Python runs one thread at a time (the GIL). A recompute in a worker *thread* of the GUI process stalls the
GUI thread every time it re-enters Python: each Qt → Python call (a model's ``data()``, a timer slot, a paint)
waits up to the interpreter's switch interval for the worker to let go, and a table repaint makes hundreds of
them. On a 5,000-patient study that kept the event loop 370–440 ms late during a recompute. Here the reading
and the statistics run in a child process with its own interpreter; the GUI process only waits on a pipe (no
GIL held) and decodes the answer in small pieces.

- :class:`DashboardProcess`: the child (a fresh interpreter started with ``subprocess``, talking over two
  pipes with ``multiprocessing.connection`` framing, so no Qt state is inherited and no main module is
  re-imported). It
  keeps one read-only :class:`~hccreview.services.session.StudySession` per study file (the few most recent),
  whose :class:`~hccreview.store.study_data.StudyCache` re-reads only what other connections committed, and
  answers ``compute`` (headline figures, ``compute_dashboard(details=False)``) and ``complete`` (the details
  of the last result, ``complete_dashboard``). Thread-safe: one request at a time. If the child dies, the
  request in flight fails with a clear :class:`DashboardProcessError` and the next one starts a new child.
- :class:`ProcessDashboard` / :class:`LocalDashboard`: what the panel calls (:class:`DashboardBackend`); the
  local one computes in the calling thread (the database lane), for when no child process can be started.

Answers travel as a list of pickles: the result without its long per-patient lists, then those lists in
chunks, so that no single decoding step holds the GIL for more than a few milliseconds.

Newest wins across the pipe with the runner's own mechanism (``ui.workers.Runner``: a key, and a number per
submission under it, the newest number alone being wanted). Here the key is ``(study path, client)`` — one
:class:`ProcessDashboard` — and the number is the ``token`` each ``compute`` carries: the child keeps the loaded
records of the newest compute per key only (``last``) and completes a ``complete`` request only when its token
is that newest one. The token is part of the wire protocol because the records a ``complete`` needs stay in the
child (they are never sent back); the panel's own newest-wins is the runner's keys, which already drop a
superseded result in the window, so a stale ``complete`` is only refused here, never shown.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import os
import pickle
import subprocess
import sys
import threading
import time
import traceback
from collections import OrderedDict
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

from hccreview.domain.access import Access
from hccreview.domain.records import Role
from hccreview.services.dashboard import DashboardData, complete_dashboard, compute_dashboard, load_dashboard_input
from hccreview.services.session import StudySession

__all__ = [
    "DashboardBackend",
    "DashboardProcess",
    "DashboardProcessError",
    "LocalDashboard",
    "ProcessDashboard",
    "decode",
    "encode",
    "shared_process",
]

#: First argument that makes the packaged application the statistics process (``hccreview.__main__``).
CHILD_FLAG = "--hccreview-statistics-process"
#: Items per pickled chunk of a per-patient list (≈ 2–5 ms to decode).
CHUNK = 250
#: Study files the child keeps open (and cached) at once.
OPEN_STUDIES = 3
#: Fields of :class:`DashboardData` that :func:`complete_dashboard` fills in.
DETAIL_FIELDS = ("summaries", "response_table", "adjudication", "pfs_by_child_pugh", "os_by_child_pugh", "by_arm",
                 "complete")  # fmt: skip


class DashboardProcessError(RuntimeError):
    """The statistics process could not answer: it could not be started (``not_started``), or it stopped."""

    def __init__(self, message: str, *, not_started: bool = False) -> None:
        super().__init__(message)
        self.not_started = not_started


# --- transport ---------------------------------------------------------------------------------------------


def encode(dash: DashboardData) -> list[bytes]:
    """``dash`` as pickles: the head (without the per-patient lists), then the lists in :data:`CHUNK`s."""
    subjects, swimmer = list(dash.stats.subjects), list(dash.swimmer)
    head = dataclasses.replace(dash, stats=dataclasses.replace(dash.stats, subjects=[]), swimmer=[])
    parts = [pickle.dumps((len(subjects), len(swimmer), head), protocol=pickle.HIGHEST_PROTOCOL)]
    for items in (subjects, swimmer):
        parts.extend(pickle.dumps(items[i : i + CHUNK], protocol=pickle.HIGHEST_PROTOCOL)
                     for i in range(0, len(items), CHUNK))  # fmt: skip
    return parts


def decode(parts: list[bytes]) -> DashboardData:
    """The inverse of :func:`encode` (one small ``pickle.loads`` per part)."""
    n_subjects, _n_swimmer, head = pickle.loads(parts[0])
    subjects: list[Any] = []
    swimmer: list[Any] = []
    for part in parts[1:]:
        items = pickle.loads(part)
        (subjects if len(subjects) < n_subjects else swimmer).extend(items)
    stats = dataclasses.replace(head.stats, subjects=type(head.stats.subjects)(subjects))
    return dataclasses.replace(head, stats=stats, swimmer=swimmer)


# --- the child ---------------------------------------------------------------------------------------------


def _open(sessions: OrderedDict[str, StudySession], path: str) -> StudySession:
    from hccreview.store import Store

    session = sessions.pop(path, None)
    if session is None:
        session = StudySession(Store.open(path, user="system", migrate=False))
    sessions[path] = session
    while len(sessions) > OPEN_STUDIES:
        _, old = sessions.popitem(last=False)
        old.close()
    return session


def _answer(request: tuple[Any, ...], sessions: OrderedDict[str, StudySession], last: OrderedDict[Any, Any]) -> Any:
    """One request. ``last`` maps each client's key ``(path, client)`` to its newest compute: ``(token, result,
    records)`` (the module docstring: the runner's newest-wins, carried over the pipe)."""
    op, path = request[0], request[1]
    if op == "compute":
        _, _, client, token, source, fresh, (username, role), *rest = request
        arm = rest[0] if rest else None  # the arm shown (issue 23); None: the whole analysis population
        started = time.perf_counter()
        session = _open(sessions, path)
        # the window's signed-in user: this process reads through the same access policy (DESIGN §4b)
        session.store.sign_as(username, None if role is None else Role(role))
        data = load_dashboard_input(session, fresh=fresh)
        load_ms = 1000.0 * (time.perf_counter() - started)
        dash = dataclasses.replace(compute_dashboard(data, source, details=False, arm=arm), load_ms=load_ms)
        last.pop((path, client), None)
        last[(path, client)] = (token, dash, data)
        while len(last) > 2 * OPEN_STUDIES:
            last.popitem(last=False)
        return encode(dash)
    if op == "complete":
        _, _, client, token = request
        held = last.get((path, client))
        if held is None or held[0] != token:
            return None  # superseded by a newer compute
        full = complete_dashboard(held[1], held[2])
        return pickle.dumps({name: getattr(full, name) for name in DETAIL_FIELDS}, protocol=pickle.HIGHEST_PROTOCOL)
    if op == "sleep":  # a busy child, for tests of a child that dies in the middle of a request
        time.sleep(float(path))
        return None
    if op == "forget":
        forgotten = sessions.pop(path, None)
        for key in [k for k in last if k[0] == path]:
            del last[key]
        if forgotten is not None:
            forgotten.close()
        return None
    raise ValueError(f"unknown request {op!r}")


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def serve(conn: _Duplex) -> None:
    """The child's loop: answer requests until ``("stop",)`` or the parent goes away. Runs at a lower
    scheduling priority than the window where the system allows it."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(0)
    sessions: OrderedDict[str, StudySession] = OrderedDict()
    last: OrderedDict[Any, Any] = OrderedDict()
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            break
        if request[0] == "stop":
            break
        try:
            reply: tuple[str, Any] = ("ok", _answer(request, sessions, last))
        except BaseException as exc:  # reported to the parent, which raises it there
            reply = ("error", (_picklable(exc), traceback.format_exc()))
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            break
    for session in sessions.values():
        session.close()


def child_command() -> list[str]:
    """The command that starts the child: this module under the same interpreter, or, in the packaged
    (frozen) application, the application itself with :data:`CHILD_FLAG` (``hccreview.__main__`` handles it)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, CHILD_FLAG]
    return [sys.executable, "-m", __name__]


def child_main(argv: list[str]) -> int:
    """The child's entry point: ``argv`` = the read and write file descriptors of its two pipes."""
    read_fd, write_fd = (int(x) for x in argv[:2])
    serve(_Duplex(Connection(read_fd, writable=False), Connection(write_fd, readable=False)))
    return 0


class _Duplex:
    """Two one-way pipes used as one connection (``send`` / ``recv`` / ``close``)."""

    def __init__(self, incoming: Connection, outgoing: Connection) -> None:
        self.incoming, self.outgoing = incoming, outgoing

    def send(self, obj: Any) -> None:
        self.outgoing.send(obj)

    def recv(self) -> Any:
        return self.incoming.recv()

    def close(self) -> None:
        for conn in (self.incoming, self.outgoing):
            with contextlib.suppress(OSError):
                conn.close()


# --- the parent's handle -----------------------------------------------------------------------------------


class DashboardProcess:
    """A child process computing dashboards (started on first use; restarted after it stopped)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: _Duplex | None = None
        self.starts = 0  # children started (for tests)

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    def _ensure(self) -> _Duplex:
        if self._conn is not None and self._process is not None and self._process.poll() is None:
            return self._conn
        self._drop()
        to_child_r, to_child_w = os.pipe()
        to_parent_r, to_parent_w = os.pipe()
        fds = [str(to_child_r), str(to_parent_w)]
        try:
            self._process = subprocess.Popen(
                [*child_command(), *fds], pass_fds=(to_child_r, to_parent_w), stdin=subprocess.DEVNULL, close_fds=True
            )
        except OSError as exc:
            for fd in (to_child_r, to_child_w, to_parent_r, to_parent_w):
                os.close(fd)
            raise DashboardProcessError(
                f"the statistics process could not be started ({exc})", not_started=True
            ) from exc
        finally:
            with contextlib.suppress(OSError):
                os.close(to_child_r)
            with contextlib.suppress(OSError):
                os.close(to_parent_w)
        self._conn = _Duplex(Connection(to_parent_r, writable=False), Connection(to_child_w, readable=False))
        self.starts += 1
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._process is not None:
            with contextlib.suppress(Exception):
                self._process.wait(timeout=0.1)
        self._process, self._conn = None, None

    def call(self, *request: Any) -> Any:
        """Send one request and wait for its answer (raises what the child raised)."""
        with self._lock:
            conn = self._ensure()
            try:
                conn.send(request)
                status, payload = conn.recv()
            except (EOFError, OSError) as exc:
                code = self._process.poll() if self._process is not None else None
                self._drop()
                raise DashboardProcessError(
                    f"the statistics process stopped unexpectedly (exit code {code}); it restarts on the next update"
                ) from exc
        if status == "error":
            error, trace = payload  # the child's exception and its traceback there (serve)
            error.__hccreview_traceback__ = trace  # where it failed: the window's error box shows it
            raise error
        return payload

    def kill(self) -> None:
        """Stop the child at once (tests: a crashed child)."""
        with self._lock:
            if self._process is not None:
                self._process.kill()
                self._process.wait(timeout=5)

    def close(self) -> None:
        """Ask the child to stop and wait briefly for it."""
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(OSError):
                    self._conn.send(("stop",))
            if self._process is not None:
                try:
                    self._process.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    self._process.kill()
            self._drop()


_SHARED: DashboardProcess | None = None
_SHARED_LOCK = threading.Lock()


def shared_process() -> DashboardProcess:
    """The one statistics process of this program (every window and panel shares it; stopped at exit)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = DashboardProcess()
            atexit.register(_SHARED.close)
        return _SHARED


# --- what the panel calls ----------------------------------------------------------------------------------


class DashboardBackend(Protocol):
    """Computes the dashboard of one study. ``lane``: the runner lane :meth:`compute` and :meth:`complete`
    must run on ("db" when they use the session's connection). ``arm`` (given only when an arm is chosen): the
    figures of that arm's patients (``compute_dashboard``)."""

    lane: str

    def compute(self, source: str | None, *, fresh: bool = False, arm: str | None = None) -> DashboardData: ...

    def complete(self, dash: DashboardData) -> DashboardData | None: ...


class ProcessDashboard:
    """The dashboard computed in :func:`shared_process` from the study file at ``path``.

    ``_tokens`` numbers this client's computes — the generation of its newest-wins key on the child's side (module
    docstring); :meth:`complete` names the newest one, and the child completes nothing older."""

    lane = "compute"

    def __init__(
        self, path: str | Path, process: DashboardProcess | None = None, *, access: Access | None = None
    ) -> None:
        self.path = str(Path(path).resolve())
        #: whose figures: the window's signed-in user (the child applies the same access policy)
        self.access = access or Access.system()
        self.process = process or shared_process()
        self._lock = threading.Lock()
        self._tokens = 0
        self._last: tuple[DashboardData, int] | None = None

    def compute(self, source: str | None, *, fresh: bool = False, arm: str | None = None) -> DashboardData:
        with self._lock:
            self._tokens += 1
            token = self._tokens
        who = (self.access.username, None if self.access.role is None else str(self.access.role))
        dash = decode(self.process.call("compute", self.path, id(self), token, source, fresh, who, arm))
        with self._lock:
            if token == self._tokens:  # only the newest result can be completed
                self._last = (dash, token)
        return dash

    def complete(self, dash: DashboardData) -> DashboardData | None:
        """``dash`` with its details, or None when a newer compute has replaced it."""
        with self._lock:
            if self._last is None or self._last[0] is not dash:
                return None
            token = self._last[1]
        blob = self.process.call("complete", self.path, id(self), token)
        if blob is None:
            return None
        return dataclasses.replace(dash, **pickle.loads(blob))


class LocalDashboard:
    """The dashboard computed in the calling thread from the session (database lane): the fallback."""

    lane = "db"

    def __init__(self, session: StudySession) -> None:
        self.session = session
        self._last: tuple[DashboardData, Any] | None = None

    def compute(self, source: str | None, *, fresh: bool = False, arm: str | None = None) -> DashboardData:
        started = time.perf_counter()
        data = load_dashboard_input(self.session, fresh=fresh)
        load_ms = 1000.0 * (time.perf_counter() - started)
        dash = dataclasses.replace(compute_dashboard(data, source, details=False, arm=arm), load_ms=load_ms)
        self._last = (dash, data)
        return dash

    def complete(self, dash: DashboardData) -> DashboardData | None:
        if self._last is None or self._last[0] is not dash:
            return None
        return complete_dashboard(dash, self._last[1])


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
