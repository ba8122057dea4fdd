"""Reading delimited text files safely, shared by the SDTM importer and the CSV bundle importer.

Both importers read a folder of CSV files that people (or SAS, R, a spreadsheet) wrote; what goes wrong with a file
as a *file* is the same for both, so it is found and worded here once:

- **Encoding**: UTF-8 (a BOM is dropped); else Windows-1252, as SAS exports and spreadsheets often are, named in
  one note per file; else Latin-1, which only happens when bytes are no text at all, and those then show up as
  control characters (below). UTF-16 (its BOM) is refused with advice.
- **Binary content**: NUL and other control characters (anything below U+0020 but tab, CR and LF; DEL; the C1
  controls U+0080–U+009F) are no text value: an error naming file, row and field. A header row holding them
  means the file is no text file at all: one error, nothing read.
- **Row shape**: a row with another number of fields than the header is an error; when it is the **last** row
  and it is short or ends inside a quoted value, the file was cut off: one error saying it looks truncated.
- **Rows not read**: a row with any of these errors is left out (:attr:`CsvFile.lost`), so no other check
  reports on it again; its cells known to be whole are kept, so that an importer can tell which subject the lost
  row belonged to and excuse that subject's references (one root cause, one error).
- **Root-cause wording** shared by both importers: a missing required column with the rows it leaves unread
  (:func:`missing_column`), a duplicate record key with all its rows (:func:`duplicate_key`,
  :func:`duplicate_groups`).

Row numbers: row 1 is the first data row (the header is row 0), counting blank rows, as
:class:`~hccreview.io.validation.ImportProblem` expects. Blank rows (every cell empty) are skipped.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hccreview.io.validation import ImportProblem

#: Characters no text value holds: C0 controls but tab / LF / CR, DEL, C1 controls (undecodable bytes land here).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
BINARY = "binary content (NUL / control bytes) — not a text value"
WINDOWS_1252 = "Windows-1252"


def missing_column(column: str, rows: int, *, alternative: str = "") -> str:
    """The reason for a missing required column: the one root cause, with the rows it leaves unread."""
    other = f" (or {alternative})" if alternative else ""
    return f"required column {column}{other} is missing (affects {rows} {'row' if rows == 1 else 'rows'})"


def duplicate_key(names: Sequence[str], values: Sequence[object], rows: Sequence[int]) -> str:
    """The reason for rows sharing one record key, e.g. "duplicate key USUBJID=S-1, AESEQ=3 (rows 14 and 15)"."""
    key = ", ".join(f"{n}={v}" for n, v in zip(names, values, strict=True))
    return f"duplicate key {key} (rows {row_list(rows)})"


def duplicate_groups(keys: Iterable[Hashable | None]) -> list[list[int]]:
    """Positions (0-based) of the items sharing a key, one list per key seen more than once (None: no key)."""
    seen: dict[Hashable, list[int]] = {}
    for i, key in enumerate(keys):
        if key is not None:
            seen.setdefault(key, []).append(i)
    return [group for group in seen.values() if len(group) > 1]


def row_list(items: Sequence[object], most: int = 5) -> str:
    """Items as words: "1, 2 and 3"; beyond ``most`` of them "1, 2, 3, 4, 5 and 7 more"."""
    words = [str(x) for x in items]
    if len(words) > most:
        return f"{', '.join(words[:most])} and {len(words) - most} more"
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


@dataclass(frozen=True)
class LostRow:
    """A data row left out because the file is broken there; ``cells`` are the ones known to be whole."""

    row: int
    cells: dict[str, str]


@dataclass
class CsvFile:
    """One decoded and checked CSV file. ``readable`` False: nothing could be read (a problem says why)."""

    name: str
    encoding: str = "utf-8"
    text: str = ""
    sep: str = ","
    header: list[str] = field(default_factory=list)  # as given by ``header_key``
    header_record: int = 0  # position of the header among the file's records (blank ones before it count)
    records: int = 0  # records the csv module found, header and blank rows included
    numbers: list[int] = field(default_factory=list)  # row numbers of the rows read whole
    cells: list[list[str]] = field(default_factory=list)  # their cells (when asked for: ``keep_cells``)
    lost: list[LostRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    readable: bool = True

    @property
    def rows(self) -> list[tuple[int, list[str]]]:
        """(row number, cells) of each row read whole (``keep_cells``)."""
        return list(zip(self.numbers, self.cells, strict=True))

    def error(self, row: int | None, field_: str, reason: str) -> None:
        self.problems.append(ImportProblem(self.name, row, field_, "", reason, "error"))


def decode(raw: bytes, out: CsvFile) -> str | None:
    """The text of ``raw`` (module docstring); None, with an error in ``out``, when it is UTF-16."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        out.error(None, "", "UTF-16 text: save the file as 'CSV UTF-8'")
        out.readable = False
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:  # bytes no single-byte text encoding defines: they become C1 controls below
        out.encoding = "Latin-1"
        return raw.decode("latin-1")
    out.encoding = WINDOWS_1252
    out.notes.append(f"{out.name}: not valid UTF-8, read as {WINDOWS_1252}")
    return text


def read_csv_file(
    raw: bytes, name: str, *, header_key: Callable[[str], str], sep: str | None = ",", keep_cells: bool = True
) -> CsvFile:  # fmt: skip
    """Decode and parse one CSV file, checking encoding, binary content and row shape (module docstring).

    ``header_key`` normalises a column name (a name given twice is an error; the first column of that name is
    the one read). ``sep`` None: a comma, else a semicolon or a tab when the header row holds no comma (a note).
    ``keep_cells`` False keeps only the row numbers (a caller that parses ``text`` faster itself: the SDTM reader).
    """
    out = CsvFile(name)
    text = decode(raw, out)
    if text is None:
        return out
    out.text = text
    if sep is None:
        first = text.split("\n", 1)[0]
        sep = ","
        if "," not in first and (";" in first or "\t" in first):
            sep = ";" if ";" in first else "\t"
            out.notes.append(f"{name}: columns separated by {'semicolons' if sep == ';' else 'tabs'}")
    out.sep = sep
    records = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header = None
    for cells in records:
        if _blank(cells):
            out.header_record += 1
            continue
        header = cells
        break
    if header is None:
        out.error(None, "", "empty file: the header row is missing")
        out.readable = False
        return out
    if CONTROL.search("".join(header)):
        out.error(0, "", "binary content in the header row (NUL / control bytes): this is not a text CSV file")
        out.readable = False
        return out
    out.header = [header_key(h) for h in header]
    for column in dict.fromkeys(h for h in out.header if h and out.header.count(h) > 1):
        out.error(None, column, "column appears more than once")
    _read_rows(records, out, binary=CONTROL.search(text) is not None, keep_cells=keep_cells)
    out.records += out.header_record + 1
    return out


def _blank(cells: list[str]) -> bool:
    return not any(map(str.strip, cells))  # stops at the first cell with text: cheap on long files


def _read_rows(records: Any, out: CsvFile, *, binary: bool, keep_cells: bool) -> None:
    """Data rows of the csv ``records`` reader into ``out.numbers`` (and ``out.cells``); broken ones into
    ``out.lost``, with one error each."""
    width = len(out.header)
    numbers, kept = out.numbers, out.cells
    number, line = 0, records.line_num
    last: tuple[int, list[str], int] | None = None  # the last non-blank row: (number, cells, its first line)
    for cells in records:
        number += 1
        first_line, line = line + 1, records.line_num
        if len(cells) == width and not binary and cells[0]:  # the usual row, quickly
            numbers.append(number)
            if keep_cells:
                kept.append(cells)
            last = (number, cells, first_line)
            continue
        if _blank(cells):
            continue
        last = (number, cells, first_line)
        if binary and (bad := [h for h, c in zip(out.header, cells, strict=False) if CONTROL.search(c)]):
            for column in dict.fromkeys(bad):
                out.error(number, column, BINARY)
            out.lost.append(LostRow(number, _whole(out.header, cells, len(cells)) if len(cells) == width else {}))
        elif len(cells) != width:
            out.lost.append(LostRow(number, {}))
            out.error(number, "", f"row has {len(cells)} fields, the header {width}")
        else:
            numbers.append(number)
            if keep_cells:
                kept.append(cells)
    out.records = number
    if last is not None:
        number, cells, first_line = last
        _check_end(out, number, cells, _last_lines(out.text, line - first_line + 1), width)


def _last_lines(text: str, count: int) -> str:
    """The last ``count`` lines of ``text``, split as the csv module's source splits them (LF, CRLF or CR)."""
    size = 4096
    while True:
        lines = io.StringIO(text[-size:], newline="").readlines()
        if len(lines) > count or size >= len(text):  # the first line of a chunk may be cut: never among them
            return "".join(lines[-count:])
        size *= 4


def _check_end(out: CsvFile, number: int, cells: list[str], tail: str, width: int) -> None:
    """The last row: cut off when it is short or ends inside a quoted value (replacing its other errors)."""
    open_quote = tail.count('"') % 2 == 1
    if len(cells) >= width and not open_quote:
        return
    if out.numbers and out.numbers[-1] == number:
        out.numbers.pop()
        if out.cells:
            out.cells.pop()
    out.problems = [p for p in out.problems if p.row != number]
    out.lost = [x for x in out.lost if x.row != number]
    out.lost.append(LostRow(number, _whole(out.header, cells, len(cells) - 1)))
    inside = ", inside a quoted value" if open_quote else ""
    out.error(
        number,
        "",
        f"the file ends in the middle of this row ({len(cells)} of {width} fields{inside}) — "
        "it looks truncated; re-export it",
    )


def _whole(header: list[str], cells: list[str], count: int) -> dict[str, str]:
    """The first ``count`` cells that hold no control character, by column (first column of a name wins)."""
    whole: dict[str, str] = {}
    for column, cell in zip(header, cells[: max(count, 0)], strict=False):
        if column and column not in whole and not CONTROL.search(cell):
            whole[column] = cell
    return whole
