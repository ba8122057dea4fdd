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
kept); :func:`hccreview.io.csv_bundle_write.write_bundle` exports a study so that ``read_bundle`` gives records equal
to the originals.

This module owns the bundle's file layout (file names, the ``study.csv`` options, the columns of each file) and
reading files and rows; :mod:`~hccreview.io.csv_bundle_cells` owns columns from record fields, cell parsing and
the problem collector, :mod:`~hccreview.io.csv_bundle_checks` the row and cross-file checks.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from hccreview.domain import records as r
from hccreview.io.ae_terms import term_findings
from hccreview.io.csv_bundle_cells import (
    ALTERNATIVE_UNIT_COLUMNS,
    CHILD_PUGH_COLUMNS,
    RECORDS,
    REQUIRED,
    BadCell,
    Collector,
    Column,
    Row,
    parse_cell,
    record_columns,
)
from hccreview.io.csv_bundle_checks import check_row, cross_check
from hccreview.io.csv_checks import missing_column, read_csv_file
from hccreview.io.validation import ParsedImport

__all__ = ["LAB_UNITS_KEY", "STUDY_FILE", "TABLE_FILES", "LabUnits", "bundle_columns", "read_bundle"]

STUDY_FILE = "study.csv"
#: File name of each record table's CSV file, in reading order (``subjects`` -> ``subjects.csv``).
TABLE_FILES: dict[str, str] = {table: f"{table}.csv" for table in RECORDS}
#: Bundle option in study.csv (not a study setting): ``convert`` (default) or ``as_given`` lab units.
LAB_UNITS_KEY = "lab_units"


class LabUnits(enum.StrEnum):
    """Values of the ``lab_units`` bundle option."""

    CONVERT = "convert"  # bilirubin µmol/L -> mg/dL, albumin g/L -> g/dL, with a warning
    AS_GIVEN = "as_given"  # keep every lab value in the unit written (exports)


_STORE_TABLES = ("subjects", "child_pugh", *list(RECORDS)[1:])

_PARTIAL_DATES = {("measurements", "date"), ("reads", "date")}  # DESIGN §4: assessment dates only
_BLANK_OK = {("labs", "unit")}  # required column whose cell may be blank


# ---------------------------------------------------------------------------------------------- columns
@cache
def _spec(table: str) -> dict[str, Column]:
    """Every column a file may have (the record fields, plus Child-Pugh columns on subjects.csv)."""
    cols = {c.name: c for c in record_columns(RECORDS[table])}
    if table == "subjects":
        cols.update({c.name: c for c in record_columns(r.ChildPughComponents) if c.name != "subject_id"})
        cols.update({name: Column(name, float, True, None) for name in ALTERNATIVE_UNIT_COLUMNS})
    return cols


def bundle_columns(table: str) -> list[str]:
    """The columns ``write_bundle`` writes for ``table`` (a key of :data:`TABLE_FILES`), in order."""
    names = [c.name for c in record_columns(RECORDS[table])]
    return names + list(CHILD_PUGH_COLUMNS) if table == "subjects" else names


# ---------------------------------------------------------------------------------------------- files
@dataclasses.dataclass
class _Sheet:
    """A decoded CSV file: normalised header and the non-blank data rows (1-based, header = row 0).

    ``lost``: subject ids of rows that could not be read (broken rows, binary content; an error said why), None
    when a lost row's subject is unknown — references to them are not reported again."""

    name: str
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]
    lost: set[str] | None = dataclasses.field(default_factory=set)


def _column_key(name: Any) -> str:
    return re.sub(r"[\s-]+", "_", str(name or "").strip().lower())


def _load_sheet(path: Path, out: Collector) -> _Sheet | None:
    """Read one CSV file (:mod:`~hccreview.io.csv_checks`: encoding, binary content, row shape, a truncated
    end); None when it cannot be read at all."""
    read = read_csv_file(path.read_bytes(), path.name, header_key=_column_key, sep=None)
    out.problems += read.problems
    out.notes += read.notes
    if not read.readable:
        return None
    header = read.header
    rows = [(n, {h: v.strip() for h, v in zip(header, cells, strict=True) if h}) for n, cells in read.rows]
    subjects = [row.cells.get("subject_id", "").strip() for row in read.lost]
    lost = None if not all(subjects) else set(subjects)
    return _Sheet(path.name, header, rows, lost)


def _find_files(folder: Path, out: Collector) -> dict[str, Path | None]:
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
def _parse_sheet(sheet: _Sheet, table: str, out: Collector, *, convert_labs: bool = True) -> list[Row] | None:
    """Parse every row of a file; None when a required column is missing (rows not read)."""
    spec = _spec(table)
    missing = [c.name for c in spec.values() if c.default is REQUIRED and c.name not in sheet.header]
    for name in missing:
        out.error(sheet.name, None, name, "", missing_column(name, len(sheet.rows)))
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
                elif col.default is not REQUIRED:
                    values[name] = col.default
                elif (table, name) in _BLANK_OK:
                    values[name] = ""
                else:
                    out.error(sheet.name, number, name, "", "value required", subject)
                    ok = False
                continue
            try:
                values[name], floor = parse_cell(text, col, (table, name) in _PARTIAL_DATES)
            except BadCell as exc:
                out.error(sheet.name, number, name, text, str(exc), subject)
                ok = False
                continue
            if floor is not None:
                floors[name] = floor
        row = Row(sheet.name, number, cells, values, ok, floors)
        for name in floors:
            out.flag(row, name, f"partial date imputed to the last day of the period ({values[name]})", warning=True)
        row.ok = check_row(table, row, out, convert_labs) and ok
        rows.append(row)
    return rows


def _read_settings(sheet: _Sheet, out: Collector) -> tuple[dict[str, object], bool]:
    """``study.csv``: one ``key,value`` row per setting; a blank value leaves the default.

    Returns the settings and the bundle option ``lab_units`` (True = convert, the default; ``as_given`` = keep
    lab values in the unit written, which ``write_bundle`` uses so that stored SI values come back unchanged).
    """
    spec = {c.name: c for c in record_columns(r.StudySettings)}
    spec[LAB_UNITS_KEY] = Column(LAB_UNITS_KEY, LabUnits, False, LabUnits.CONVERT)
    missing = [name for name in ("key", "value") if name not in sheet.header]
    for name in missing:
        out.error(sheet.name, None, name, "", missing_column(name, len(sheet.rows)))
    others = [h or "(unnamed)" for h in sheet.header if h not in ("key", "value")]
    if others:
        out.notes.append(f"{sheet.name}: column(s) {', '.join(others)} not part of the bundle; ignored")
    settings: dict[str, object] = {}
    seen: dict[str, int] = {}
    unknown: list[str] = []
    for number, cells in [] if missing else sheet.rows:
        key, text = _column_key(cells["key"]), cells["value"]
        if not key:
            out.error(sheet.name, number, "key", "", "setting name missing")
        elif key not in spec:
            unknown.append(f"{cells['key']!r} (row {number})")
        elif key in seen:
            out.error(sheet.name, number, key, cells["key"], f"setting given twice (first on row {seen[key]})")
        elif text:
            seen[key] = number
            try:
                value, _ = parse_cell(text, spec[key], False)
            except BadCell as exc:
                out.error(sheet.name, number, key, text, str(exc))
                continue
            if isinstance(value, int) and not isinstance(value, bool) and value < 0:
                out.error(sheet.name, number, key, text, "must be >= 0")
                continue
            settings[key] = value
        else:
            seen[key] = number
    if unknown:
        out.notes.append(f"{sheet.name}: unknown settings ignored: {', '.join(unknown)}")
    return settings, settings.pop(LAB_UNITS_KEY, LabUnits.CONVERT) is LabUnits.CONVERT


# ---------------------------------------------------------------------------------------------- whole bundle
def _records(rows: dict[str, list[Row] | None]) -> dict[str, list[object]]:
    """Records of every valid row, per store table (Child-Pugh split off ``subjects.csv``)."""
    records: dict[str, list[object]] = {table: [] for table in _STORE_TABLES}
    for table, table_rows in rows.items():
        names = [c.name for c in record_columns(RECORDS[table])]
        for row in table_rows or ():
            if not row.ok:
                continue
            records[table].append(RECORDS[table](**{n: row.values[n] for n in names}))
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
    out = Collector()
    rows: dict[str, list[Row] | None] = {}
    lost: dict[str, set[str] | None] = {}
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
            if sheet.lost != set():
                lost[table] = sheet.lost
    cross_check(rows, settings, out, lost)
    aes = [(r.row, r.values["term"], r.values.get("grade"), r.subject_id) for r in rows.get("adverse_events") or []
           if r.ok and r.values.get("term")]  # fmt: skip
    if aes:
        out.problems += term_findings(TABLE_FILES["adverse_events"], "term", "grade", aes)
    order = {name: i for i, name in enumerate([STUDY_FILE, *TABLE_FILES.values()])}
    problems = sorted(out.problems, key=lambda p: (order.get(p.file.lower(), -1), -1 if p.row is None else p.row))
    return ParsedImport(_records(rows), problems, settings, list(dict.fromkeys(out.notes)), counts)
