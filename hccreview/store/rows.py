"""Conversion between domain records (frozen dataclasses) and SQLite rows.

Dates are stored as ISO 8601 text, booleans as 0/1, enums by value. The conversion is driven by the
dataclass type hints, so a new record field needs only a column of the same name.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from datetime import date, datetime
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


def to_row(record: Any) -> dict[str, Any]:
    """A record as a row dict of SQLite-storable values."""
    row: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        row[f.name] = _to_sql(value)
    return row


def _to_sql(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


@cache
def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _base_type(hint: Any) -> Any:
    """``date | None`` -> ``date``; other hints unchanged."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


def from_row(cls: type[T], row: dict[str, Any]) -> T:
    """Build a record of type ``cls`` from a row; columns the record does not know are ignored."""
    kwargs: dict[str, Any] = {}
    for name, hint in _field_types(cls).items():
        if name not in row:
            continue
        value = row[name]
        if value is not None:
            base = _base_type(hint)
            if base is datetime:
                value = datetime.fromisoformat(value)
            elif base is date:
                value = date.fromisoformat(value)
            elif base is bool:
                value = bool(value)
            elif isinstance(base, type) and issubclass(base, enum.Enum):
                value = base(value)
            elif base is float:
                value = float(value)
        kwargs[name] = value
    return cls(**kwargs)
