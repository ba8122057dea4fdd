"""Every write the GUI makes runs through :func:`run_write` (Anki's ``CollectionOp``): one helper that takes the
service call off the GUI thread and announces what it changed.

``run_write(runner, bus, service, *args, initiator=..., on_done=..., on_error=..., **kwargs)`` runs
``service(*args, **kwargs)`` on the runner's database lane — the one thread that uses the study's connection, so
writes are serialised, and every service writes through the store's write gate (``store.write_gate``), which
this helper does not go around. Back on the GUI thread it publishes the result's
:class:`~hccreview.domain.changes.Changes` on the :class:`~hccreview.ui.bus.ChangeBus` with ``initiator``, then
calls ``on_done(result)``. No panel publishes after a write itself (``tests/ui/test_operations.py`` checks that
only this module and the bus call ``publish``).

A write's result carries its Changes: it is a :class:`Changes` itself (``services.queries``) or has a
``changes`` attribute (an ``Edit``, a ``Signature``, an import or merge result); ``None`` means the worker had
nothing to write (an undo of a redo that failed) and nothing is published. A refused write (``AccessDenied``,
``CaseLocked``, ``ValidationError``...) wrote nothing and publishes nothing; only a :class:`StaleDataError`
publishes — the Changes of the *other* writer it found (initiator None), so every panel shows what is stored now.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hccreview.domain.changes import Changes
from hccreview.services.review import StaleDataError
from hccreview.ui.bus import ChangeBus
from hccreview.ui.workers import Progress, Runner, callback_alive


def changes_of(result: object) -> Changes | None:
    """The Changes a write's result carries (None: the worker wrote nothing). TypeError for a result that
    carries none: a write service must say what it changed."""
    if result is None or isinstance(result, Changes):
        return result
    changes = getattr(result, "changes", None)
    if not isinstance(changes, Changes):
        raise TypeError(f"a write returned {type(result).__name__}, which carries no Changes")
    return changes


def run_write(
    runner: Runner,
    bus: ChangeBus,
    service: Callable[..., Any],
    *args: Any,
    initiator: object | None = None,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    on_progress: Callable[[float, str], None] | None = None,
    **kwargs: Any,
) -> Progress:
    """Run the write ``service(*args, **kwargs)`` on the database lane; publish its Changes, then ``on_done``.

    Callbacks run on the GUI thread: ``on_done(result)`` after the bus has been told; ``on_error(exc)`` when the
    service refused or failed (a stale refusal's Changes published first); without ``on_error`` the runner's
    ``error`` signal reports it. ``on_progress`` as in :meth:`Runner.run` (``service`` then receives a
    ``progress`` keyword). Returns the job's :class:`Progress` (to cancel a long write).
    """

    def done(result: object) -> None:
        changes = changes_of(result)
        if changes is not None:
            bus.publish(changes, initiator)
        if on_done is not None and callback_alive(on_done):  # the write stands even if the panel is gone
            on_done(result)

    def failed(exc: BaseException) -> None:
        if isinstance(exc, StaleDataError):  # written meanwhile by another user or app instance
            bus.publish(exc.changes, None)
        if on_error is not None:
            if callback_alive(on_error):
                on_error(exc)
        else:
            runner.error.emit(exc)

    return runner.run(service, *args, lane="db", on_done=done, on_error=failed, on_progress=on_progress, **kwargs)
