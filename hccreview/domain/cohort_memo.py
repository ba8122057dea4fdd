"""Memos for the cohort derivations, so that a recompute after one edit derives only what changed.

The live dashboard recomputes the cohort figures after every edit (issue 8). The session keeps the study's
records and, after a write, re-reads only the touched subjects (``store.study_data.StudyCache``): every other
subject keeps the very same record objects. The memos here key each per-subject result on its inputs — the
records themselves — and reuse the result while every input is the same object (or, after a full reload, an
equal one). The derivations are pure functions of those inputs, so a hit returns what a fresh derivation
would; a changed, added or removed record misses and is derived again. Tests compare memoised and fresh
results (``tests/domain/test_perf_cohort.py``).

Thread-safe in the sense the GUI needs: lookups and stores are single dict operations, the values are
immutable, and two threads racing on one key both store a correct value. Each memo is bounded (cleared when
full). No Qt, no SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from hccreview.domain import recist
from hccreview.domain.recist import BestResponse
from hccreview.domain.records import Response, StudySettings

T = TypeVar("T")
_MISS = object()


def _same(a: Sequence[Any], b: Sequence[Any]) -> bool:
    """Element-wise: the same object, or equal (a reloaded record equals the one it replaces)."""
    return len(a) == len(b) and all(x is y or x == y for x, y in zip(a, b, strict=True))


class InputMemo:
    """``key`` → (inputs, value): a hit needs every input to be the same object as, or equal to, the stored one."""

    def __init__(self, limit: int = 100_000) -> None:
        self._entries: dict[Hashable, tuple[tuple[Any, ...], Any]] = {}
        self._limit = limit
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, inputs: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """The stored value for ``key`` if its inputs match ``inputs``, else ``compute()`` (stored)."""
        hit = self._entries.get(key)
        if hit is not None and _same(hit[0], inputs):
            self.hits += 1
            return hit[1]
        self.misses += 1
        value = compute()
        if len(self._entries) >= self._limit:
            self._entries.clear()
        self._entries[key] = (inputs, value)
        return value

    def clear(self) -> None:
        self._entries.clear()


class LastInputMemo:
    """A few values per name, reused while their inputs are the very same objects (whole record tuples are
    compared by identity only). Several entries, because a one-patient view's records come between two
    recomputes of the whole study's."""

    def __init__(self, size: int = 4) -> None:
        self._entries: dict[str, list[tuple[tuple[Any, ...], Any]]] = {}
        self._size = size

    def get(self, name: str, inputs: tuple[Any, ...], compute: Callable[[], T]) -> T:
        entries = self._entries.get(name, [])
        for stored, value in entries:
            if len(stored) == len(inputs) and all(
                x is y or (not isinstance(x, tuple | list) and x == y) for x, y in zip(stored, inputs, strict=True)
            ):
                return value
        value = compute()
        self._entries[name] = [*entries[-(self._size - 1) :], (inputs, value)]
        return value

    def clear(self) -> None:
        self._entries.clear()


_BOR: dict[tuple[tuple[tuple[dt.date, Response], ...], dt.date | None, StudySettings], BestResponse] = {}
_BOR_LIMIT = 200_000


def best_overall_response(
    timepoints: Sequence[tuple[dt.date, Response]], origin: dt.date | None, settings: StudySettings
) -> BestResponse:
    """:func:`recist.best_overall_response`, memoised on its (hashable) arguments."""
    key = (tuple(timepoints), origin, settings)
    try:
        return _BOR[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable argument: no memo
        return recist.best_overall_response(list(timepoints), origin, settings)
    best = recist.best_overall_response(list(timepoints), origin, settings)
    if len(_BOR) >= _BOR_LIMIT:
        _BOR.clear()
    _BOR[key] = best
    return best


#: Per-subject outcomes by (source, subject id).
OUTCOMES = InputMemo(200_000)
#: Reader agreement per subject.
AGREEMENT = InputMemo(100_000)
#: Study-wide intermediate results (last contact, Child-Pugh classes, toxicity) by name.
STUDY = LastInputMemo()


def clear_all() -> None:
    """Forget every memo (tests; never needed for correctness)."""
    OUTCOMES.clear()
    AGREEMENT.clear()
    STUDY.clear()
    _BOR.clear()
