"""Decoding JPEG 2000 (and other codecs that hold the GIL) in child processes, so the window keeps painting.

Measured here (a 512² CT slice, a thread decoding while the main thread sleeps 1 ms at a time): uncompressed and
RLE decoding leave the interpreter lock free within 2 ms, but pylibjpeg-openjpeg holds it for a whole JPEG 2000
slice (≈ 65 ms) and GDCM for ≈ 40 ms. In a decoder *thread* that freezes the GUI thread for as long, slice
after slice. :class:`SeriesLoader` (the viewer's default loader, one per series) therefore looks at the first
file's transfer syntax: a syntax in :data:`THREAD_SYNTAXES` is decoded in the calling thread; any other is sent
to a child process (:class:`DecodeProcess`, a fresh interpreter started with ``subprocess`` and two pipes, like
the statistics process: no fork of a Qt process, no re-import of a main module), whose answer the calling thread
waits for on a pipe, without the lock. The first slice of a series is always decoded in the calling thread (it
is the one on screen, and the children may still be starting); a child that cannot be started or stops leaves
the series decoding in threads (the window stutters, it does not fail). Qt-free.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import queue
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from os import PathLike

import numpy as np
from pydicom.filereader import read_file_meta_info
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    RLELossless,
)

from hccreview.io.dicom_pixels import PixelReadError, read_slice

#: First argument that makes the packaged application a decode process (``hccreview.__main__`` must hand it
#: to :func:`child_main`, as it does the statistics process's flag).
CHILD_FLAG = "--hccreview-decode-process"
#: Whether the packaged application handles :data:`CHILD_FLAG` (``hccreview.__main__`` does; were it False, a
#: frozen build would decode in threads rather than start itself — a second window — as a "decode process").
FROZEN_CHILD = True
#: Transfer syntaxes decoded in the calling thread: their decoders keep the interpreter lock only briefly.
THREAD_SYNTAXES = frozenset(
    {ImplicitVRLittleEndian, ExplicitVRLittleEndian, ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian, RLELossless}
)
#: Child processes (each decodes one slice at a time; the viewer decodes on two threads).
PROCESSES = 2


def decodes_in_thread(path: str | PathLike[str]) -> bool:
    """Whether the file's transfer syntax decodes without holding the interpreter lock for long."""
    try:
        return str(read_file_meta_info(path).get("TransferSyntaxUID", "")) in THREAD_SYNTAXES
    except Exception:  # no readable meta: let read_slice say what is wrong, in the thread
        return True


class DecodeProcessError(RuntimeError):
    """The decode process could not be started or stopped while decoding."""


# --- the child ---------------------------------------------------------------------------------------------


def serve(incoming: Connection, outgoing: Connection) -> None:
    """The child's loop: a path in, ``("ok", rows, cols)`` + the int16 bytes out, or ``("error", message)``."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(5)  # below the window: it gets the CPU first on a 2-core machine
    while True:
        try:
            path = incoming.recv()
        except (EOFError, OSError):
            break
        if path is None:
            break
        try:
            values = read_slice(path)
        except Exception as exc:  # that slice's problem, reported in its place
            outgoing.send(("error", str(exc) or type(exc).__name__))
            continue
        outgoing.send(("ok", *values.shape))
        outgoing.send_bytes(np.ascontiguousarray(values, dtype="<i2").tobytes())


def child_command() -> list[str]:
    """This module under the same interpreter, or the packaged application with :data:`CHILD_FLAG`."""
    if getattr(sys, "frozen", False):
        if not FROZEN_CHILD:
            raise DecodeProcessError("the packaged application does not start decode processes yet")
        return [sys.executable, CHILD_FLAG]
    return [sys.executable, "-m", __name__]


def child_main(argv: list[str]) -> int:
    """The child's entry point: ``argv`` = the read and write file descriptors of its two pipes."""
    read_fd, write_fd = (int(x) for x in argv[:2])
    serve(Connection(read_fd, writable=False), Connection(write_fd, readable=False))
    return 0


# --- the parent's side -------------------------------------------------------------------------------------


class DecodeProcess:
    """One child decoding slices, one at a time (started on first use; callers serialise through a pool)."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._send: Connection | None = None
        self._recv: Connection | None = None

    def _ensure(self) -> tuple[Connection, Connection]:
        alive = self._process is not None and self._process.poll() is None
        if alive and self._send is not None and self._recv is not None:
            return self._send, self._recv
        self.close()
        command = child_command()
        to_child_r, to_child_w = os.pipe()
        to_parent_r, to_parent_w = os.pipe()
        try:
            self._process = subprocess.Popen([*command, str(to_child_r), str(to_parent_w)],
                                             pass_fds=(to_child_r, to_parent_w), stdin=subprocess.DEVNULL,
                                             close_fds=True)  # fmt: skip
        except OSError as exc:
            for fd in (to_child_w, to_parent_r):
                os.close(fd)
            raise DecodeProcessError(f"the decode process could not be started ({exc})") from exc
        finally:
            os.close(to_child_r)
            os.close(to_parent_w)
        self._send = Connection(to_child_w, readable=False)
        self._recv = Connection(to_parent_r, writable=False)
        return self._send, self._recv

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs (None before the first slice)."""
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    def decode(self, path: str | PathLike[str]) -> np.ndarray:
        """The slice at ``path`` (:class:`PixelReadError` as the child reported it)."""
        send, recv = self._ensure()
        try:
            send.send(str(path))
            reply = recv.recv()
            if reply[0] == "error":
                raise PixelReadError(reply[1])
            rows, cols = reply[1:]
            return np.frombuffer(recv.recv_bytes(), dtype="<i2").reshape(rows, cols)
        except (EOFError, OSError) as exc:
            self.close()
            raise DecodeProcessError(f"the decode process stopped unexpectedly ({exc})") from exc

    def close(self) -> None:
        if self._send is not None:
            with contextlib.suppress(OSError):
                self._send.send(None)
                self._send.close()
        if self._recv is not None:
            with contextlib.suppress(OSError):
                self._recv.close()
        if self._process is not None:
            try:
                self._process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process, self._send, self._recv = None, None, None


class DecodePool:
    """:data:`PROCESSES` children; :meth:`decode` borrows an idle one (any thread)."""

    def __init__(self, processes: int = PROCESSES) -> None:
        self._all = [DecodeProcess() for _ in range(processes)]
        self._idle: queue.SimpleQueue[DecodeProcess] = queue.SimpleQueue()
        for child in self._all:
            self._idle.put(child)

    def decode(self, path: str | PathLike[str]) -> np.ndarray:
        child = self._idle.get()
        try:
            return child.decode(path)
        finally:
            self._idle.put(child)

    def pids(self) -> list[int | None]:
        """The children's process ids (None: not started, or stopped)."""
        return [child.pid for child in self._all]

    def close(self) -> None:
        for child in self._all:
            child.close()


_SHARED: DecodePool | None = None
_SHARED_LOCK = threading.Lock()


def shared_pool() -> DecodePool:
    """The program's decode processes (shared by every series; stopped at exit)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = DecodePool()
            atexit.register(_SHARED.close)
        return _SHARED


class SeriesLoader:
    """The viewer's loader for one series: ``loader(path) -> int16 slice``, in this thread or a child process
    as the first file's transfer syntax decides (see the module's docstring). Any thread."""

    def __init__(self, pool: DecodePool | None = None) -> None:
        self._pool = pool
        self._in_thread: bool | None = None  # decided by the first file
        self.fallback = ""  # why the children are not used, when they could not be

    @property
    def uses_processes(self) -> bool:
        return self._in_thread is False and not self.fallback

    def __call__(self, path: str) -> np.ndarray:
        if self._in_thread is None:
            self._in_thread = decodes_in_thread(path)
            return read_slice(path)  # the slice on screen: no wait for a child to start
        if self._in_thread or self.fallback:
            return read_slice(path)
        try:
            return (self._pool or shared_pool()).decode(path)
        except DecodeProcessError as exc:
            self.fallback = str(exc)
            return read_slice(path)


__all__ = [
    "CHILD_FLAG",
    "THREAD_SYNTAXES",
    "DecodePool",
    "DecodeProcess",
    "DecodeProcessError",
    "SeriesLoader",
    "child_main",
    "decodes_in_thread",
    "shared_pool",
]

if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
