"""Plain JSON: what every result record of the domain becomes in ``stats --json``, the exports and the
dashboard's process — numbers, strings, lists and dicts only, no NaN (issue 20: one conversion; the result
records' ``to_dict`` is :func:`plain_fields`, not a hand-written dict each)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
from collections.abc import Iterable
from typing import Any, overload


@overload
def plain(value: dict[Any, Any]) -> dict[str, object]: ...
@overload
def plain(value: list[Any] | tuple[Any, ...] | set[Any] | frozenset[Any]) -> list[object]: ...
@overload
def plain(value: object) -> object: ...
def plain(value: object) -> object:
    """Convert to plain JSON types: numpy scalars → Python, NaN/inf → None, dates → ISO, enums → value."""
    if value is None or (isinstance(value, bool | str) and not isinstance(value, enum.Enum)):
        return value
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, dict):
        return {str(plain(k)): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return plain(value.item())
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "to_dict"):
        return plain(value.to_dict())
    return str(value)


def plain_fields(record: object, names: Iterable[str] | None = None) -> dict[str, object]:
    """``record`` as a plain JSON object: the attributes ``names`` in that order (properties too), or every field
    of a dataclass in declaration order, each through :func:`plain`."""
    if names is None:
        if not dataclasses.is_dataclass(record):
            raise TypeError(f"{type(record).__name__} is no dataclass: name the attributes to convert")
        names = [f.name for f in dataclasses.fields(record)]
    return {name: plain(getattr(record, name)) for name in names}
