"""The CSV bundle: a folder of CSV files that mirror hccreview's own records, read and written.

For studies without SDTM (sites, investigator-initiated trials); the format is described for users in
``docs/csv-bundle.md``. One file per record table, columns = the record fields (snake_case):

- ``study.csv`` — ``key,value`` rows, one per :class:`~hccreview.domain.records.StudySettings` field, plus the
  bundle option ``lab_units``: ``convert`` (default: bilirubin µmol/L and albumin g/L in labs.csv become mg/dL
  and g/dL, with a warning) or ``as_given`` (written by exports: stored SI lab values come back unchanged);
- ``subjects.csv`` — one row per patient, the **baseline Child-Pugh components as columns of the same row**
  (``bilirubin_mg_dl``, ``albumin_g_dl``, ``inr``, ``ascites``, ``encephalopathy``; ``bilirubin_umol_l`` /
  ``albumin_g_l`` are accepted instead and converted): a site coordinator keeps a patient's baseline on one
  spreadsheet row. A subject has a Child-Pugh record when any component cell is filled;
- ``cycles.csv``, ``adverse_events.csv``, ``labs.csv``, ``lesions.csv``, ``measurements.csv``, ``reads.csv``,
  ``adjudications.csv``, ``follow_up.csv``.

Cells: dates ISO 8601 (``YYYY-MM-DD``; a partial ``YYYY-MM`` / ``YYYY`` only for measurement and read dates,
imputed to the last day of the period, DESIGN §4), booleans yes/no/true/false/1/0, enums by value, numbers
with a decimal point, blank = None (or the field's default). Only ``subjects.csv`` is required.

:func:`read_bundle` validates everything and collects every problem (errors refuse an import, warnings are
kept); :func:`write_bundle` exports a study so that ``read_bundle`` gives records equal to the originals.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import enum
import io
import math
import re
import types
import typing
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from hccreview.domain import child_pugh as cp_rules
from hccreview.domain import records as r
from hccreview.domain.endpoints import origin_rule
from hccreview.domain.recist import normalise_response
from hccreview.io.ae_terms import term_findings
from hccreview.io.validation import ImportProblem, ParsedImport

__all__ = [
    "ALTERNATIVE_UNIT_COLUMNS",
    "CHILD_PUGH_COLUMNS",
    "LAB_UNITS_KEY",
    "STUDY_FILE",
    "TABLE_FILES",
    "bundle_columns",
    "read_bundle",
    "write_bundle",
]

STUDY_FILE = "study.csv"
#: Record type of each bundle file's rows (Child-Pugh components ride on ``subjects.csv``).
_RECORDS: dict[str, type] = {
    "subjects": r.Subject,
    "cycles": r.Cycle,
    "adverse_events": r.AdverseEvent,
    "labs": r.LabResult,
    "lesions": r.Lesion,
    "measurements": r.Measurement,
    "reads": r.Read,
    "adjudications": r.Adjudication,
    "follow_up": r.FollowUp,
}
TABLE_FILES: dict[str, str] = {table: f"{table}.csv" for table in _RECORDS}
CHILD_PUGH_COLUMNS: tuple[str, ...] = ("bilirubin_mg_dl", "albumin_g_dl", "inr", "ascites", "encephalopathy")
#: Accepted instead of a Child-Pugh column: column -> (target column, divisor, unit, target unit).
ALTERNATIVE_UNIT_COLUMNS: dict[str, tuple[str, float, str, str]] = {
    "bilirubin_umol_l": ("bilirubin_mg_dl", 17.1, "µmol/L", "mg/dL"),
    "albumin_g_l": ("albumin_g_dl", 10.0, "g/L", "g/dL"),
}
#: Bundle option in study.csv (not a study setting): ``convert`` (default) or ``as_given`` lab units.
LAB_UNITS_KEY = "lab_units"


class _LabUnits(enum.StrEnum):
    CONVERT = "convert"  # bilirubin µmol/L -> mg/dL, albumin g/L -> g/dL, with a warning
    AS_GIVEN = "as_given"  # keep every lab value in the unit written (exports)


_STORE_TABLES = ("subjects", "child_pugh", *list(_RECORDS)[1:])

_PARTIAL_DATES = {("measurements", "date"), ("reads", "date")}  # DESIGN §4: assessment dates only
_BLANK_OK = {("labs", "unit")}  # required column whose cell may be blank
#: Natural key of each file (duplicates are errors) and the field a duplicate is reported on.
_KEYS: dict[str, tuple[str, ...]] = {
    "subjects": ("subject_id",),
    "cycles": ("subject_id", "number"),
    "adverse_events": ("subject_id", "seq"),
    "lesions": ("subject_id", "reader", "lesion_id"),
    "measurements": ("subject_id", "reader", "lesion_id", "date", "visit"),
    "reads": ("subject_id", "reader", "date", "visit"),
    "follow_up": ("subject_id",),
}
_KEY_FIELD = {
    "subjects": "subject_id",
    "cycles": "number",
    "adverse_events": "seq",
    "lesions": "lesion_id",
    "measurements": "date",
    "reads": "date",
    "follow_up": "subject_id",
}
#: (file, field) -> (lowest, highest, lowest excluded); values outside are errors.
_RANGES: dict[tuple[str, str], tuple[float, float, bool]] = {
    ("subjects", "age"): (0, 130, False),
    ("subjects", "ecog"): (0, 5, False),
    ("subjects", "afp_ng_ml"): (0, math.inf, False),
    ("subjects", "bilirubin_mg_dl"): (0, math.inf, False),
    ("subjects", "albumin_g_dl"): (0, math.inf, False),
    ("subjects", "bilirubin_umol_l"): (0, math.inf, False),
    ("subjects", "albumin_g_l"): (0, math.inf, False),
    ("subjects", "inr"): (0, math.inf, True),
    ("cycles", "number"): (0, math.inf, False),
    ("cycles", "dose_mg"): (0, math.inf, False),
    ("cycles", "days_dosed"): (0, math.inf, False),
    ("cycles", "delay_days"): (0, math.inf, False),
    ("adverse_events", "grade"): (1, 5, False),
    ("measurements", "diameter_mm"): (0, 1000, False),  # over 1000 mm: a unit error (as a review edit refuses)
    ("measurements", "short_axis_mm"): (0, 1000, False),
    ("measurements", "viable_mm"): (0, 1000, False),
}
_STANDARD_RESPONSES = {"CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE"}
_BILIRUBIN_TESTS = {"bili", "tbili", "bilirubin", "total bilirubin", "bilirubin, total"}
_ALBUMIN_TESTS = {"alb", "albumin"}
_UMOL_L = {"µmol/l", "μmol/l", "umol/l", "micromol/l"}
_BASELINE_VISIT = re.compile(r"baseline|screen|^bl$|^scr", re.IGNORECASE)

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{2}))?", re.ASCII)
_TRUE, _FALSE = {"yes", "y", "true", "t", "1"}, {"no", "n", "false", "f", "0"}
_BAD_ROW = "\x00bad-row:"
_REQUIRED: Any = dataclasses.MISSING


# ---------------------------------------------------------------------------------------------- columns
@dataclasses.dataclass(frozen=True)
class _Column:
    """One column of a bundle file, derived from a record field's type hint."""

    name: str
    kind: Any  # str, int, float, bool, date, datetime or an Enum class
    optional: bool  # blank means None
    default: Any  # _REQUIRED when the column must be present


@cache
def _record_columns(cls: type) -> tuple[_Column, ...]:
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        hint, optional = hints[f.name], False
        if typing.get_origin(hint) in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(hint) if a is not type(None)]
            optional, hint = len(args) < len(typing.get_args(hint)), args[0]
        out.append(_Column(f.name, hint, optional, f.default))
    return tuple(out)


@cache
def _spec(table: str) -> dict[str, _Column]:
    """Every column a file may have (the record fields, plus Child-Pugh columns on subjects.csv)."""
    cols = {c.name: c for c in _record_columns(_RECORDS[table])}
    if table == "subjects":
        cols.update({c.name: c for c in _record_columns(r.ChildPughComponents) if c.name != "subject_id"})
        cols.update({name: _Column(name, float, True, None) for name in ALTERNATIVE_UNIT_COLUMNS})
    return cols


def bundle_columns(table: str) -> list[str]:
    """The columns ``write_bundle`` writes for ``table`` (a key of :data:`TABLE_FILES`), in order."""
    names = [c.name for c in _record_columns(_RECORDS[table])]
    return names + list(CHILD_PUGH_COLUMNS) if table == "subjects" else names


# ---------------------------------------------------------------------------------------------- cells
class _Bad(ValueError):
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
            raise _Bad("not an ISO 8601 date (YYYY-MM-DD)")
        if not partial_ok:
            raise _Bad(
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
        raise exc if isinstance(exc, _Bad) else _Bad("not a valid calendar date") from exc


def _parse_cell(text: str, col: _Column, partial_ok: bool) -> tuple[Any, date | None]:
    """Parse a non-blank cell: ``(value, first day of the period when a partial date was imputed)``."""
    kind = col.kind
    if kind is str:
        return text, None
    if kind is bool:
        key = text.lower()
        if key in _TRUE or key in _FALSE:
            return key in _TRUE, None
        raise _Bad("not a yes/no value (use yes, no, true, false, 1 or 0)")
    if kind is int:
        if _INTEGER.fullmatch(text):
            return int(text), None
        if _NUMBER.fullmatch(text) and float(text).is_integer():
            return int(float(text)), None
        raise _Bad("not a whole number")
    if kind is float:
        if not _NUMBER.fullmatch(text):
            hint = " (use a decimal point, not a comma)" if re.fullmatch(r"[+-]?\d+,\d+", text) else ""
            raise _Bad(f"not a number{hint}")
        value = float(text)
        if not math.isfinite(value):
            raise _Bad("number out of range")
        return value, None
    if kind is date:
        return _parse_date(text, partial_ok)
    if kind is datetime:
        try:
            return datetime.fromisoformat(text), None
        except ValueError as exc:
            raise _Bad("not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS)") from exc
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        for member in kind:
            if _enum_key(str(member.value)) == _enum_key(text):
                return member, None
        if kind is r.Criteria:
            with_parse = _try(r.Criteria.parse, text)
            if with_parse is not None:
                return with_parse, None
        raise _Bad(f"unknown value (allowed: {', '.join(str(m.value) for m in kind)})")
    raise TypeError(f"no cell parser for {kind!r}")  # a record field of a new type: extend _parse_cell


def _try(func: Any, *args: Any) -> Any:
    try:
        return func(*args)
    except ValueError:
        return None


def _format(value: Any) -> str:
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
class _Collector:
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

    def flag(self, row: _Row, field: str, reason: str, *, value: Any = None, warning: bool = False) -> None:
        """A problem with one cell of ``row`` (value: the cell's text unless given)."""
        text = row.cells.get(field, "") if value is None else value
        (self.warn if warning else self.error)(row.file, row.row, field, text, reason, row.subject_id)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else _format(value)


@dataclasses.dataclass
class _Sheet:
    """A decoded CSV file: normalised header and the non-blank data rows (1-based, header = row 0)."""

    name: str
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]


def _column_key(name: Any) -> str:
    return re.sub(r"[\s-]+", "_", str(name or "").strip().lower())


def _decode(raw: bytes, name: str, out: _Collector) -> str | None:
    """UTF-8 (BOM or not); else Windows-1252 with a note; None (and an error) when neither."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        out.error(name, None, "", "", "UTF-16 text: save the file as 'CSV UTF-8'")
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        out.error(name, None, "", "", "encoding is neither UTF-8 nor Windows-1252")
        return None
    out.notes.append(f"{name}: not UTF-8; read as Windows-1252")
    return text


def _load_sheet(path: Path, out: _Collector) -> _Sheet | None:
    """Read one CSV file (pandas, every cell as text); None when it cannot be read at all."""
    text = _decode(path.read_bytes(), path.name, out)
    if text is None:
        return None
    first = text.split("\n", 1)[0]
    sep = ","
    if "," not in first and (";" in first or "\t" in first):
        sep = ";" if ";" in first else "\t"
        out.notes.append(f"{path.name}: columns separated by {'semicolons' if sep == ';' else 'tabs'}")
    bad: list[list[str]] = []

    def on_bad_line(line: list[str]) -> list[str]:
        bad.append(line)
        return [f"{_BAD_ROW}{len(bad) - 1}"]

    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            engine="python",
            on_bad_lines=on_bad_line,
        )
    except pd.errors.EmptyDataError:
        out.error(path.name, None, "", "", "empty file: the header row is missing")
        return None
    except (pd.errors.ParserError, csv.Error) as exc:
        out.error(path.name, None, "", "", f"not a readable CSV file ({exc})")
        return None
    table = frame.to_numpy(dtype=object).tolist()
    if not table:  # only blank lines: pandas gives no row at all
        out.error(path.name, None, "", "", "empty file: the header row is missing")
        return None
    header = [_column_key(h) for h in table[0]]
    for name in {h for h in header if h and header.count(h) > 1}:
        out.error(path.name, None, name, "", "column appears more than once")
    rows = []
    for number, values in enumerate(table[1:], start=1):
        first_cell = values[0] if isinstance(values[0], str) else ""
        if first_cell.startswith(_BAD_ROW):
            cells = bad[int(first_cell.removeprefix(_BAD_ROW))]
            out.error(path.name, number, "", "", f"row has {len(cells)} cells, the header {len(header)}")
            continue
        row = {h: ("" if v is None else str(v).strip()) for h, v in zip(header, values, strict=True) if h}
        if any(row.values()):
            rows.append((number, row))
    return _Sheet(path.name, header, rows)


def _find_files(folder: Path, out: _Collector) -> dict[str, Path | None]:
    """Bundle files by canonical name (matched case-insensitively; None: ambiguous); notes on anything else."""
    known = {STUDY_FILE, *TABLE_FILES.values()}
    found: dict[str, Path | None] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        name = path.name.lower()
        if name in known and name in found:
            out.error(path.name, None, "", "", f"two files named {name} (letter case aside); neither is read")
            found[name] = None
        elif name in known:
            found[name] = path
        elif name == "child_pugh.csv":
            columns = ", ".join(CHILD_PUGH_COLUMNS)
            out.error(path.name, None, "", "", f"Child-Pugh components belong in subjects.csv ({columns}); not read")
        else:
            out.notes.append(f"{path.name}: not a bundle file; ignored")
    return found


# ---------------------------------------------------------------------------------------------- rows
@dataclasses.dataclass
class _Row:
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


def _parse_sheet(sheet: _Sheet, table: str, out: _Collector, *, convert_labs: bool = True) -> list[_Row] | None:
    """Parse every row of a file; None when a required column is missing (rows not read)."""
    spec = _spec(table)
    missing = [c.name for c in spec.values() if c.default is _REQUIRED and c.name not in sheet.header]
    for name in missing:
        out.error(sheet.name, None, name, "", "required column missing")
    unknown = [h or "(unnamed)" for h in dict.fromkeys(sheet.header) if h not in spec]
    if unknown:
        out.notes.append(f"{sheet.name}: column(s) {', '.join(unknown)} not part of the bundle; ignored")
    if missing:
        return None
    rows = []
    for number, cells in sheet.rows:
        values: dict[str, Any] = {}
        floors: dict[str, date] = {}
        ok = True
        subject = cells.get("subject_id") or None
        for name, col in spec.items():
            text = cells.get(name, "")
            if text == "":
                if col.optional:
                    values[name] = None
                elif col.default is not _REQUIRED:
                    values[name] = col.default
                elif (table, name) in _BLANK_OK:
                    values[name] = ""
                else:
                    out.error(sheet.name, number, name, "", "value required", subject)
                    ok = False
                continue
            try:
                values[name], floor = _parse_cell(text, col, (table, name) in _PARTIAL_DATES)
            except _Bad as exc:
                out.error(sheet.name, number, name, text, str(exc), subject)
                ok = False
                continue
            if floor is not None:
                floors[name] = floor
        row = _Row(sheet.name, number, cells, values, ok, floors)
        for name in floors:
            out.flag(row, name, f"partial date imputed to the last day of the period ({values[name]})", warning=True)
        row.ok = _check_row(table, row, out, convert_labs) and ok
        rows.append(row)
    return rows


def _check_row(table: str, row: _Row, out: _Collector, convert_labs: bool) -> bool:
    """Ranges, Child-Pugh text, unit conversions, response codes; False when an error was found."""
    ok = True
    v = row.values

    def error(field: str, reason: str) -> None:
        nonlocal ok
        ok = False
        out.flag(row, field, reason)

    for (t, field), (lo, hi, lo_open) in _RANGES.items():
        x = v.get(field) if t == table else None
        if x is not None and (x < lo or x > hi or (lo_open and x == lo)):
            error(field, f"must be {'>' if lo_open else '>='} {lo:g}" + (f" and <= {hi:g}" if hi < math.inf else ""))
    if table == "subjects":
        for column, (target, divisor, unit, to_unit) in ALTERNATIVE_UNIT_COLUMNS.items():
            if v.get(column) is None:
                continue
            if v.get(target) is not None:
                error(column, f"give either {target} or {column}, not both")
            else:
                v[target] = _convert(v[column], divisor)
                reason = f"converted {unit} to {to_unit} (÷{divisor:g}): {target} = {v[target]!r}"
                out.flag(row, column, reason, warning=True)
        for field, points in (("ascites", cp_rules.ascites_points), ("encephalopathy", cp_rules.encephalopathy_points)):
            if v.get(field) is not None and _try(points, v[field]) is None:
                error(field, "unknown Child-Pugh value (see docs/csv-bundle.md for the accepted spellings)")
    elif table == "adverse_events":
        if v.get("onset") and v.get("resolution") and v["resolution"] < v["onset"]:
            error("resolution", f"resolution before onset ({v['onset']})")
    elif table == "labs" and convert_labs:
        _convert_lab_units(row, out)
    elif table == "reads":
        if "date" in row.floors:
            v["date_imputed"] = True
        for field in ("overall", "target", "non_target"):
            code = v.get(field, "")
            if code.upper() in _STANDARD_RESPONSES or (code == "" and field != "overall"):
                continue
            response = normalise_response(code)
            reason = (
                f"non-standard spelling of {response.value}; counts as {response.value}"
                if response not in (r.Response.NE, r.Response.MISSING, r.Response.PENDING)
                else "no response stated; counts as NE"
                if code == ""
                else "non-standard response code, kept verbatim; counts as NE"
            )
            out.flag(row, field, reason, value=code, warning=True)
    return ok


def _convert(value: float, divisor: float) -> float:
    """Unit conversion rounded to 10 significant digits (34.2 µmol/L -> exactly 2.0 mg/dL)."""
    return float(f"{value / divisor:.10g}")


def _convert_lab_units(row: _Row, out: _Collector) -> None:
    """Bilirubin µmol/L -> mg/dL (÷17.1) and albumin g/L -> g/dL (÷10), with a warning."""
    v = row.values
    test, unit = str(v.get("test", "")).strip().lower(), str(v.get("unit", "")).replace(" ", "").lower()
    if test in _BILIRUBIN_TESTS and unit in _UMOL_L:
        divisor, to_unit = 17.1, "mg/dL"
    elif test in _ALBUMIN_TESTS and unit == "g/l":
        divisor, to_unit = 10.0, "g/dL"
    else:
        return
    for field in ("value", "lln", "uln"):
        if v.get(field) is not None:
            v[field] = _convert(v[field], divisor)
    v["unit"] = to_unit
    reason = f"{v['test']} converted to {to_unit} (÷{divisor:g}): value {v.get('value')!r}"
    out.flag(row, "unit", reason, warning=True)


def _read_settings(sheet: _Sheet, out: _Collector) -> tuple[dict[str, object], bool]:
    """``study.csv``: one ``key,value`` row per setting; a blank value leaves the default.

    Returns the settings and the bundle option ``lab_units`` (True = convert, the default; ``as_given`` = keep
    lab values in the unit written, which ``write_bundle`` uses so that stored SI values come back unchanged).
    """
    spec = {c.name: c for c in _record_columns(r.StudySettings)}
    spec[LAB_UNITS_KEY] = _Column(LAB_UNITS_KEY, _LabUnits, False, _LabUnits.CONVERT)
    missing = [name for name in ("key", "value") if name not in sheet.header]
    for name in missing:
        out.error(sheet.name, None, name, "", "required column missing")
    others = [h or "(unnamed)" for h in sheet.header if h not in ("key", "value")]
    if others:
        out.notes.append(f"{sheet.name}: column(s) {', '.join(others)} not part of the bundle; ignored")
    settings: dict[str, object] = {}
    seen: dict[str, int] = {}
    for number, cells in [] if missing else sheet.rows:
        key, text = _column_key(cells["key"]), cells["value"]
        if not key:
            out.error(sheet.name, number, "key", "", "setting name missing")
        elif key not in spec:
            out.notes.append(f"{sheet.name} row {number}: unknown setting {cells['key']!r} ignored")
        elif key in seen:
            out.error(sheet.name, number, key, cells["key"], f"setting given twice (first on row {seen[key]})")
        elif text:
            seen[key] = number
            try:
                value, _ = _parse_cell(text, spec[key], False)
            except _Bad as exc:
                out.error(sheet.name, number, key, text, str(exc))
                continue
            if isinstance(value, int) and not isinstance(value, bool) and value < 0:
                out.error(sheet.name, number, key, text, "must be >= 0")
                continue
            settings[key] = value
        else:
            seen[key] = number
    return settings, settings.pop(LAB_UNITS_KEY, _LabUnits.CONVERT) is _LabUnits.CONVERT


# ---------------------------------------------------------------------------------------------- whole bundle
def _cross_check(rows: dict[str, list[_Row] | None], settings: dict[str, object], out: _Collector) -> None:
    """Checks across rows and files: duplicate keys, references, impossible dates, origin."""
    usable = {t: rs for t, rs in rows.items() if rs is not None}
    for table, fields in _KEYS.items():
        first: dict[tuple[Any, ...], int] = {}
        for row in usable.get(table, ()):
            key = row.key(fields)
            if key is None:
                continue
            if key in first:
                out.flag(row, _KEY_FIELD[table], f"duplicate of row {first[key]} (same {', '.join(fields)})")
                row.ok = False
            else:
                first[key] = row.row
    if "subjects" not in usable:
        return  # missing or unreadable (already an error): references cannot be checked
    subject_ids = {row.subject_id for row in usable["subjects"] if row.subject_id}
    for table in list(_RECORDS)[1:]:
        for row in usable.get(table, ()):
            if row.subject_id is not None and row.subject_id not in subject_ids:
                out.flag(row, "subject_id", f"no subject {row.subject_id!r} in subjects.csv")
                row.ok = False
    _check_lesions(rows, subject_ids, out)
    _check_adjudications(rows, out)
    _check_dates(usable, settings, out)


def _check_lesions(rows: dict[str, list[_Row] | None], subject_ids: set[str], out: _Collector) -> None:
    """Every measurement must be of a lesion in lesions.csv (same subject, reader and lesion id)."""
    measurements = rows.get("measurements") or []
    lesion_key = ("subject_id", "reader", "lesion_id")
    if measurements and "lesions" not in rows:
        out.error(measurements[0].file, None, "lesion_id", "", "measurements need lesions.csv, which is missing")
        return
    if not measurements or rows["lesions"] is None:
        return
    known = {row.key(lesion_key) for row in rows["lesions"] or ()}
    for row in measurements:
        key = row.key(lesion_key)
        if key is not None and key[0] in subject_ids and key not in known:
            out.flag(
                row, "lesion_id", f"no lesion {key[2]!r} of reader {key[1]!r} for subject {key[0]!r} in lesions.csv"
            )
            row.ok = False


def _check_adjudications(rows: dict[str, list[_Row] | None], out: _Collector) -> None:
    """Warn when an adjudication chooses a reader with no read of that subject."""
    if rows.get("reads", []) is None:
        return
    readers: dict[str, set[str]] = defaultdict(set)
    for row in rows.get("reads") or ():
        if row.subject_id and row.values.get("reader"):
            readers[row.subject_id].add(row.values["reader"])
    for row in rows.get("adjudications") or ():
        chosen = row.values.get("chosen_reader")
        if row.subject_id and chosen and chosen not in readers[row.subject_id]:
            reason = f"no read by {chosen!r} for subject {row.subject_id!r} in reads.csv"
            out.flag(row, "chosen_reader", reason, warning=True)


def _check_dates(usable: dict[str, list[_Row]], settings: dict[str, object], out: _Collector) -> None:
    """Death before birth, the first record or enrolment (errors); assessments before the origin (warnings)."""
    subjects = {row.subject_id: row for row in usable["subjects"] if row.subject_id}
    first: dict[str, tuple[date, str]] = {}

    def see(subject_id: str | None, when: Any, label: str) -> None:
        if subject_id and isinstance(when, date) and (subject_id not in first or when < first[subject_id][0]):
            first[subject_id] = (when, label)

    for row in subjects.values():
        for field in ("enrolment_date", "randomisation_date", "first_dose_date"):
            see(row.subject_id, row.values.get(field), f"{row.file} {field}")
    for table, field in (
        ("cycles", "start_date"),
        ("adverse_events", "onset"),
        ("labs", "date"),
        ("measurements", "date"),
        ("reads", "date"),
    ):
        for row in usable.get(table, ()):
            see(row.subject_id, row.floors.get(field, row.values.get(field)), f"{row.file} row {row.row} {field}")
    for row in usable.get("follow_up", ()):
        death, subject = row.values.get("death_date"), subjects.get(row.subject_id)
        if death is None:
            continue
        birth = subject.values.get("birth_date") if subject else None
        earliest = first.get(row.subject_id or "")
        if birth is not None and death < birth:
            out.flag(row, "death_date", f"death before birth ({birth})")
            row.ok = False
        elif earliest is not None and death < earliest[0]:
            out.flag(row, "death_date", f"death before the subject's first record ({earliest[1]} {earliest[0]})")
            row.ok = False
        elif (enrolled := _enrolment(subject)) and death < enrolled[1]:  # screening scans may predate enrolment
            out.flag(row, "death_date", f"death before enrolment ({enrolled[0]} {enrolled[1]})")
            row.ok = False
        alive = row.values.get("last_known_alive")
        if alive is not None and alive > death:
            out.flag(row, "last_known_alive", f"after the death date ({death})", warning=True)
    _check_origin(usable, subjects, settings, out)


def _enrolment(subject: _Row | None) -> tuple[str, date] | None:
    """The earliest of the subject's enrolment, randomisation and first dose dates (field, date), or None."""
    fields = ("enrolment_date", "randomisation_date", "first_dose_date")
    found = [(f, subject.values[f]) for f in fields if subject and isinstance(subject.values.get(f), date)]
    return min(found, key=lambda p: p[1]) if found else None


def _check_origin(
    usable: dict[str, list[_Row]], subjects: dict[str, _Row], settings: dict[str, object], out: _Collector
) -> None:
    """Warn about assessments before the origin (DESIGN §4) that are not the baseline.

    Baseline = a visit named baseline / screening, or the first measurement date of a reader for the subject.
    """
    study = r.StudySettings(**{"title": "", **settings})  # type: ignore[arg-type]
    subject_fields = {c.name for c in _record_columns(r.Subject)}
    origins: dict[str, tuple[date | None, str]] = {}
    for sid, row in subjects.items():
        record = r.Subject(**{k: v for k, v in row.values.items() if k in subject_fields})
        origins[sid] = origin_rule(record, study)
    baseline: dict[str, set[date]] = defaultdict(set)
    earliest: dict[tuple[str, str], date] = {}
    for row in usable.get("measurements", ()):
        key, when = row.key(("subject_id", "reader")), row.values.get("date")
        if key is not None and when is not None:
            earliest[key] = min(earliest.get(key, when), when)
    for (sid, _reader), when in earliest.items():
        baseline[sid].add(when)
    for table in ("measurements", "reads"):
        for row in usable.get(table, ()):
            when, (origin, which) = row.values.get("date"), origins.get(row.subject_id or "", (None, ""))
            if when is None or origin is None or when >= origin or when in baseline[row.subject_id or ""]:
                continue
            if _BASELINE_VISIT.search(row.values.get("visit") or ""):
                continue
            reason = f"assessment before the origin ({which} {origin}) and not the baseline"
            out.flag(row, "date", reason, warning=True)


def _records(rows: dict[str, list[_Row] | None]) -> dict[str, list[object]]:
    """Records of every valid row, per store table (Child-Pugh split off ``subjects.csv``)."""
    records: dict[str, list[object]] = {table: [] for table in _STORE_TABLES}
    for table, table_rows in rows.items():
        names = [c.name for c in _record_columns(_RECORDS[table])]
        for row in table_rows or ():
            if not row.ok:
                continue
            records[table].append(_RECORDS[table](**{n: row.values[n] for n in names}))
            if table == "subjects" and any(row.values.get(c) is not None for c in CHILD_PUGH_COLUMNS):
                components = {c: row.values[c] for c in CHILD_PUGH_COLUMNS}
                records["child_pugh"].append(r.ChildPughComponents(row.values["subject_id"], **components))
    return records


def read_bundle(folder: Path) -> ParsedImport:
    """Read and validate a CSV bundle, collecting every problem (nothing is written anywhere).

    ``records`` are built from the valid rows only; the caller refuses the import when ``errors`` is not
    empty. ``settings`` holds the values given in ``study.csv`` (typed: enums, ints...).
    """
    folder = Path(folder)
    out = _Collector()
    rows: dict[str, list[_Row] | None] = {}
    counts: dict[str, int] = {}
    settings: dict[str, object] = {}
    convert_labs = True
    if not folder.is_dir():
        out.error(str(folder), None, "", "", "not a folder")
        return ParsedImport(_records(rows), out.problems, settings, out.notes, counts)
    found = _find_files(folder, out)
    if (path := found.get(STUDY_FILE)) is not None and (sheet := _load_sheet(path, out)) is not None:
        settings, convert_labs = _read_settings(sheet, out)
        counts[sheet.name] = len(sheet.rows)
    for table, name in TABLE_FILES.items():
        if name not in found:
            if table == "subjects":
                out.error(name, None, "", "", "required file missing")
            continue
        path = found[name]
        sheet = None if path is None else _load_sheet(path, out)
        rows[table] = None if sheet is None else _parse_sheet(sheet, table, out, convert_labs=convert_labs)
        if sheet is not None:
            counts[sheet.name] = len(sheet.rows)
    _cross_check(rows, settings, out)
    aes = [(r.row, r.values["term"], r.values.get("grade"), r.subject_id) for r in rows.get("adverse_events") or []
           if r.ok and r.values.get("term")]  # fmt: skip
    if aes:
        out.problems += term_findings(TABLE_FILES["adverse_events"], "term", "grade", aes)
    order = {name: i for i, name in enumerate([STUDY_FILE, *TABLE_FILES.values()])}
    problems = sorted(out.problems, key=lambda p: (order.get(p.file.lower(), -1), -1 if p.row is None else p.row))
    return ParsedImport(_records(rows), problems, settings, out.notes, counts)


def write_bundle(data: r.StudyData, folder: Path) -> list[Path]:
    """Write every record kind of ``data`` as a bundle into ``folder`` (created; bundle files replaced).

    UTF-8 with a BOM (so that spreadsheet programs detect it), floats by ``repr`` (exact), None as a blank
    cell, dates ISO 8601; ``study.csv`` says ``lab_units,as_given``. Returns the paths written, ``study.csv``
    first. Raises ValueError for what a bundle cannot hold (two Child-Pugh records of one subject, one of an
    unknown subject, a non-finite number).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    child_pugh: dict[str, r.ChildPughComponents] = {}
    for components in data.child_pugh:
        if components.subject_id in child_pugh:
            raise ValueError(f"two Child-Pugh records for subject {components.subject_id!r}")
        child_pugh[components.subject_id] = components
    orphans = sorted(set(child_pugh) - {s.subject_id for s in data.subjects})
    if orphans:
        raise ValueError(f"Child-Pugh records of subjects not in the study: {', '.join(orphans)}")
    settings = [[f.name, _format(getattr(data.settings, f.name))] for f in dataclasses.fields(r.StudySettings)]
    settings.append([LAB_UNITS_KEY, _LabUnits.AS_GIVEN.value])  # stored lab values come back as they are
    paths = [_write_csv(folder / STUDY_FILE, ["key", "value"], settings)]
    for table, name in TABLE_FILES.items():
        fields = [c.name for c in _record_columns(_RECORDS[table])]
        lines = []
        for record in getattr(data, table):
            cells = [_format(getattr(record, f)) for f in fields]
            if table == "subjects":
                cp = child_pugh.get(record.subject_id)
                cells += [_format(getattr(cp, c)) if cp else "" for c in CHILD_PUGH_COLUMNS]
            lines.append(cells)
        paths.append(_write_csv(folder / name, bundle_columns(table), lines))
    return paths


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path
