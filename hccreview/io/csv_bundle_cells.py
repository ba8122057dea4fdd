"""Cells of the CSV bundle (:mod:`hccreview.io.csv_bundle`): which record each file holds, its columns, one cell.

Owns the record type of each bundle file and its columns (derived from the record fields' type hints; the
Child-Pugh columns ride on ``subjects.csv``), parsing one cell's text into a typed value (dates ISO 8601, a
partial ``YYYY-MM`` / ``YYYY`` imputed to the last day of the period where the caller allows it, DESIGN §4;
booleans yes/no/true/false/1/0; enums by value; numbers with a decimal point), formatting a value back as exact
cell text, the parsed :class:`Row` and the :class:`Collector` of one read's problems and notes.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import re
import types
import typing
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from hccreview.domain import records as r
from hccreview.domain.record_kinds import RECORD_KINDS
from hccreview.io.validation import ImportProblem

#: Record type of each bundle file's rows, subjects first (Child-Pugh components ride on ``subjects.csv``).
RECORDS: dict[str, type] = {k.table: k.record for k in RECORD_KINDS if k.own_file}

CHILD_PUGH_COLUMNS: tuple[str, ...] = ("bilirubin_mg_dl", "albumin_g_dl", "inr", "ascites", "encephalopathy")
#: Accepted instead of a Child-Pugh column: column -> (target column, divisor, unit, target unit).
ALTERNATIVE_UNIT_COLUMNS: dict[str, tuple[str, float, str, str]] = {
    "bilirubin_umol_l": ("bilirubin_mg_dl", 17.1, "µmol/L", "mg/dL"),
    "albumin_g_l": ("albumin_g_dl", 10.0, "g/L", "g/dL"),
}

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{2}))?", re.ASCII)
_TRUE, _FALSE = {"yes", "y", "true", "t", "1"}, {"no", "n", "false", "f", "0"}
REQUIRED: Any = dataclasses.MISSING


# ---------------------------------------------------------------------------------------------- columns
@dataclasses.dataclass(frozen=True)
class Column:
    """One column of a bundle file, derived from a record field's type hint."""

    name: str
    kind: Any  # str, int, float, bool, date, datetime or an Enum class
    optional: bool  # blank means None
    default: Any  # REQUIRED when the column must be present


@cache
def record_columns(cls: type) -> tuple[Column, ...]:
    """The columns of a record class, one per dataclass field in field order (blank = None when optional)."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        hint, optional = hints[f.name], False
        if typing.get_origin(hint) in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(hint) if a is not type(None)]
            optional, hint = len(args) < len(typing.get_args(hint)), args[0]
        out.append(Column(f.name, hint, optional, f.default))
    return tuple(out)


# ---------------------------------------------------------------------------------------------- cells
class BadCell(ValueError):
    """A cell that cannot be parsed; the message is the reason shown to the user."""


def _enum_key(text: str) -> str:
    return re.sub(r"[\s_-]+", "-", text.strip().lower())


def _parse_date(text: str, partial_ok: bool) -> tuple[date, date | None]:
    """``(date, first day of the period)``; the second is None unless a partial date was imputed."""
    try:
        if _FULL_DATE.fullmatch(text):
            return date.fromisoformat(text), None
        m = _PARTIAL_DATE.fullmatch(text)
        if m is None:
            raise BadCell("not an ISO 8601 date (YYYY-MM-DD)")
        if not partial_ok:
            raise BadCell(
                "partial date: a full date YYYY-MM-DD is needed here (partial dates are accepted "
                "only for measurement and read dates)"
            )
        year = int(m[1])
        if m[2] is None:
            return date(year, 12, 31), date(year, 1, 1)
        month = int(m[2])
        first = date(year, month, 1)
        return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1), first
    except (ValueError, OverflowError) as exc:
        raise exc if isinstance(exc, BadCell) else BadCell("not a valid calendar date") from exc


def parse_cell(text: str, col: Column, partial_ok: bool) -> tuple[Any, date | None]:
    """Parse a non-blank cell: ``(value, first day of the period when a partial date was imputed)``."""
    kind = col.kind
    if kind is str:
        return text, None
    if kind is bool:
        key = text.lower()
        if key in _TRUE or key in _FALSE:
            return key in _TRUE, None
        raise BadCell("not a yes/no value (use yes, no, true, false, 1 or 0)")
    if kind is int:
        if _INTEGER.fullmatch(text):
            return int(text), None
        if _NUMBER.fullmatch(text) and float(text).is_integer():
            return int(float(text)), None
        raise BadCell("not a whole number")
    if kind is float:
        if not _NUMBER.fullmatch(text):
            hint = " (use a decimal point, not a comma)" if re.fullmatch(r"[+-]?\d+,\d+", text) else ""
            raise BadCell(f"not a number{hint}")
        value = float(text)
        if not math.isfinite(value):
            raise BadCell("number out of range")
        return value, None
    if kind is date:
        return _parse_date(text, partial_ok)
    if kind is datetime:
        try:
            return datetime.fromisoformat(text), None
        except ValueError as exc:
            raise BadCell("not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS)") from exc
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        for member in kind:
            if _enum_key(str(member.value)) == _enum_key(text):
                return member, None
        if kind is r.Criteria:
            with_parse = try_or_none(r.Criteria.parse, text)
            if with_parse is not None:
                return with_parse, None
        raise BadCell(f"unknown value (allowed: {', '.join(str(m.value) for m in kind)})")
    raise TypeError(f"no cell parser for {kind!r}")  # a record field of a new type: extend parse_cell


def try_or_none(func: Any, *args: Any) -> Any:
    try:
        return func(*args)
    except ValueError:
        return None


def format_cell(value: Any) -> str:
    """A record value as cell text (exact: floats by ``repr``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot export the non-finite number {value!r}")
        return repr(value)
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------------------------- files
class Collector:
    """Problems and notes of one read, in the order found."""

    def __init__(self) -> None:
        self.problems: list[ImportProblem] = []
        self.notes: list[str] = []

    def error(
        self, file: str, row: int | None, field: str, value: Any, reason: str, subject_id: str | None = None
    ) -> None:
        self.problems.append(ImportProblem(file, row, field, _text(value), reason, "error", subject_id))

    def warn(
        self, file: str, row: int | None, field: str, value: Any, reason: str, subject_id: str | None = None
    ) -> None:
        self.problems.append(ImportProblem(file, row, field, _text(value), reason, "warning", subject_id))

    def flag(self, row: Row, field: str, reason: str, *, value: Any = None, warning: bool = False) -> None:
        """A problem with one cell of ``row`` (value: the cell's text unless given)."""
        text = row.cells.get(field, "") if value is None else value
        (self.warn if warning else self.error)(row.file, row.row, field, text, reason, row.subject_id)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else format_cell(value)


# ---------------------------------------------------------------------------------------------- rows
@dataclasses.dataclass
class Row:
    """One data row: its parsed cells (absent columns hold their defaults) and whether all were valid."""

    file: str
    row: int
    cells: dict[str, str]
    values: dict[str, Any]
    ok: bool
    floors: dict[str, date]  # imputed date field -> first day of its period

    @property
    def subject_id(self) -> str | None:
        return self.values.get("subject_id")

    def key(self, fields: Iterable[str]) -> tuple[Any, ...] | None:
        """The values of ``fields``, or None when one of them did not parse."""
        if any(f not in self.values for f in fields):
            return None
        return tuple(self.values[f] for f in fields)
