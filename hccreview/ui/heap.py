"""Keep Python's cyclic garbage collector from freezing the window (issue 8: event-loop latency).

A full (generation 2) collection walks every tracked object of the process while holding the interpreter
lock. With a 5,000-patient study loaded (about a million record objects) that is ~250 ms, and it starts on
whatever thread happens to allocate — during a dashboard update, every few updates. The study's records and
the statistics shown are long-lived and free of reference cycles, so after such a load :func:`settle` moves
everything alive into the collector's permanent generation (``gc.freeze``): later collections only walk
what was allocated since. Frozen objects are still freed by reference counting when they are dropped; only
garbage caught in a reference cycle at that moment would never be reclaimed, so the young generations (where
fresh cyclic garbage, e.g. a redrawn figure's old artists, lives) are collected first — cheap, they are small.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect the young generations, then freeze the objects alive out of the collector's walks (the freeze
    is constant time: the collector's lists are spliced, not walked; ``gc.get_freeze_count()`` would walk them)."""
    gc.collect(1)
    gc.freeze()
