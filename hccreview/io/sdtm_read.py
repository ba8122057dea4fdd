"""Reading SDTM domain files (CSV or SAS XPT) into string tables, and collecting import problems.

What this module owns:

- **Finding the domains** in a folder: one file per domain, named by the domain (``dm.csv``, ``TR.XPT``); a
  pharmaverse-style suffix (``tu_onco.csv``) is accepted when the part before ``_`` names a domain. Two files for
  one domain are an error (which one is meant is unknowable); other files are ignored with a note.
- **The file as a file** (encoding, binary content, rows of the wrong shape, a truncated end): checked by
  :mod:`hccreview.io.csv_checks`, which the CSV bundle shares; a row broken there is not read. XPT character
  values holding control characters are refused the same way.
- **Record keys**: two rows of one domain with the same key (:data:`RECORD_KEYS`: ``USUBJID`` and the domain's
  ``--SEQ``; SV's ``VISITNUM``, TS's ``TSPARMCD`` + ``TSSEQ``, a SUPP--'s ``IDVAR`` / ``IDVARVAL`` / ``QNAM``)
  are one error naming all the rows; only the first of them is read.
- **One root cause, one error**: rows that could not be read (and a domain missing a required column: every row)
  are remembered per subject (:meth:`Problems.lose`); a reference to them from another domain (a subject DM
  should list, a lesion TU should identify) is then excused rather than reported once per row.
- **Missing values**: blank cells and the string ``NA`` (R's ``write.csv``) are both missing; values are stripped
  of surrounding blanks (XPT pads character values). XPT numeric columns arrive as floats and are rendered as
  text again (``3.0`` → ``"3"``, else the shortest text giving the same float), so a CSV and an XPT delivery
  read identically.
- **Row numbers**: row 1 is the first data row (the header is row 0), as :class:`ImportProblem` expects; the
  frame's index is the row number - 1 (rows not read leave gaps).
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hccreview.io.csv_checks import BINARY, CONTROL, CsvFile, LostRow, missing_column, read_csv_file
from hccreview.io.validation import ImportProblem, Severity

#: Domains the importer reads (lower-case file stems).
KNOWN_DOMAINS: tuple[str, ...] = (
    "dm",
    "suppdm",
    "ds",
    "ts",
    "sv",
    "ex",
    "ae",
    "lb",
    "tu",
    "tr",
    "supptr",
    "rs",
)
_MISSING = ("", "NA")
#: Problems reported one by one per (severity, file, field, reason); beyond this they are counted.
PROBLEM_CAP = 50

Progress = Callable[[float, str], None]


@dataclass
class DomainTable:
    """One domain file as a frame of text columns (upper-case names; missing = NaN; index = row number - 1)."""

    domain: str
    file: str
    frame: pd.DataFrame
    encoding: str = "utf-8"

    def __len__(self) -> int:
        return len(self.frame)

    def has(self, column: str) -> bool:
        return column in self.frame.columns

    def col(self, column: str) -> pd.Series:
        """A column, or an all-missing column when the file does not have it."""
        if column in self.frame.columns:
            return self.frame[column]
        return pd.Series(np.nan, index=self.frame.index, dtype=object)

    def first(self, *columns: str) -> pd.Series:
        """Per row the first non-missing value of ``columns`` (e.g. a standard result, else the original)."""
        out = self.col(columns[0])
        for column in columns[1:]:
            out = out.where(out.notna(), self.col(column))
        return out.astype(object)

    def upper(self, column: str) -> pd.Series:
        """A column upper-cased (missing stays missing)."""
        return self.col(column).str.upper()


@dataclass
class Problems:
    """Collects errors and warnings; each kind is reported row by row up to :data:`PROBLEM_CAP` times."""

    items: list[ImportProblem] = field(default_factory=list)
    #: Domain → subjects with rows that were not read (None: any subject may have).
    lost: dict[str, set[str] | None] = field(default_factory=dict)
    _seen: Counter = field(default_factory=Counter)
    _first: dict = field(default_factory=dict)

    def lose(self, domain: str, subjects: Iterable[str] | None) -> None:
        """Remember that rows of ``domain`` were not read (an error said why), by subject; None: any subject."""
        if subjects is None:
            self.lost[domain] = None
            return
        known = self.lost.setdefault(domain, set())
        if known is not None:  # None: every subject is lost already
            known.update(subjects)

    def excused(self, domain: str, subjects: pd.Series) -> pd.Series:
        """True where the row's subject may have rows of ``domain`` that were not read (no follow-on error)."""
        if domain not in self.lost:
            return pd.Series(False, index=subjects.index)
        lost = self.lost[domain]
        return pd.Series(True, index=subjects.index) if lost is None else subjects.isin(lost)

    def add(
        self,
        severity: Severity,
        file: str,
        row: int | None,
        field_: str,
        value: object,
        reason: str,
        subject_id: str | None = None,
    ) -> None:
        key = (severity, file, field_, reason)
        self._seen[key] += 1
        if self._seen[key] <= PROBLEM_CAP:
            text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
            self.items.append(ImportProblem(file, row, field_, text, reason, severity, subject_id))
        else:
            self._first.setdefault(key, row)

    def error(
        self, file: str, row: int | None, field_: str, value: object, reason: str, subject_id: str | None = None
    ) -> None:
        self.add("error", file, row, field_, value, reason, subject_id)

    def warning(
        self, file: str, row: int | None, field_: str, value: object, reason: str, subject_id: str | None = None
    ) -> None:
        self.add("warning", file, row, field_, value, reason, subject_id)

    def rows(
        self,
        severity: Severity,
        table: DomainTable,
        mask: pd.Series,
        field_: str,
        reason: str,
        value_column: str | None = None,
    ) -> int:
        """Report every row of ``table`` where ``mask`` holds (value and subject taken from the row)."""
        hits = mask[mask.eq(True)].index
        if len(hits) == 0:
            return 0
        values = table.col(value_column or field_)
        subjects = table.col("USUBJID")
        for i in hits[: PROBLEM_CAP + 1]:
            subject = subjects.at[i]
            self.add(
                severity,
                table.file,
                int(i) + 1,
                field_,
                values.at[i],
                reason,
                None if pd.isna(subject) else str(subject),
            )
        extra = len(hits) - min(len(hits), PROBLEM_CAP + 1)
        if extra:
            key = (severity, table.file, field_, reason)
            self._seen[key] += extra
        return len(hits)

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.items)

    def finish(self) -> list[ImportProblem]:
        """All problems, with one summary line per kind that went past the cap."""
        out = list(self.items)
        for key, n in self._seen.items():
            if n > PROBLEM_CAP:
                severity, file, field_, reason = key
                out.append(
                    ImportProblem(
                        file,
                        None,
                        field_,
                        "",
                        f"{reason} — and {n - PROBLEM_CAP} more rows like this",
                        severity,
                    )
                )
        return out


def find_domain_files(folder: Path, problems: Problems, notes: list[str]) -> dict[str, Path]:
    """Domain name → file in ``folder`` (.csv or .xpt, any case)."""
    found: dict[str, list[Path]] = {}
    ignored: list[str] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() not in (".csv", ".xpt"):
            continue
        stem = path.stem.lower()
        domain = stem if stem in KNOWN_DOMAINS else stem.split("_")[0]
        if domain not in KNOWN_DOMAINS:
            ignored.append(path.name)
            continue
        if domain != stem:
            notes.append(f"{path.name}: read as the {domain.upper()} domain")
        found.setdefault(domain, []).append(path)
    for domain, paths in found.items():
        if len(paths) > 1:
            names = ", ".join(p.name for p in paths)
            problems.error(paths[1].name, None, "", "", f"two files for the {domain.upper()} domain ({names})")
    if ignored:
        notes.append(f"files not used (domain not read by hccreview): {', '.join(ignored)}")
    return {d: ps[0] for d, ps in found.items()}


def read_domain(path: Path, domain: str, problems: Problems, notes: list[str]) -> DomainTable | None:
    """Read one domain file (CSV or XPT) as text columns; None when nothing of it can be read (an error says why).

    Rows that cannot be read (broken rows of a CSV, control characters) are left out with an error each, and
    their subjects remembered (:meth:`Problems.lose`)."""
    if path.suffix.lower() == ".xpt":
        frame, encoding = _read_xpt(path)
        if encoding != "utf-8":
            notes.append(f"{path.name}: not valid UTF-8, read as {encoding}")
        frame.columns = [_column_name(c) for c in frame.columns]
        frame = frame.reset_index(drop=True)
        lost = _xpt_control_characters(frame, path.name, problems)
        frame = frame.drop(index=[r.row - 1 for r in lost])
    else:
        raw = path.read_bytes()
        read = read_csv_file(raw, path.name, header_key=_column_name, keep_cells=False)
        notes.extend(read.notes)
        for p in read.problems:
            problems.error(p.file, p.row, p.field, p.value, p.reason)
        if not read.readable:
            return None
        frame, encoding, lost = _csv_frame(read, raw), read.encoding, read.lost
    if lost:
        subjects = [r.cells.get("USUBJID", "").strip() for r in lost]
        problems.lose(domain, None if not all(subjects) else subjects)
    return DomainTable(domain, path.name, _normalise(frame), encoding)


def _column_name(name: object) -> str:
    return str(name).strip().upper()


def _csv_frame(read: CsvFile, raw: bytes) -> pd.DataFrame:
    """The rows read whole as a frame of text (missing = NaN), the first column of each name, index = row - 1.

    pandas parses the text (fast, and it shares one string object per distinct value, which keeps the frame
    small and every later look-up quick); the rows :func:`read_csv_file` found whole are taken from it. Should
    pandas see the records otherwise (a malformed file), the frame is built from the csv module's cells."""
    header = read.header
    keep = [i for i, name in enumerate(header) if name and header.index(name) == i]
    columns = [header[i] for i in keep]
    index = pd.Index([n - 1 for n in read.numbers], dtype="int64")
    try:
        parsed = pd.read_csv(io.StringIO(read.text), sep=read.sep, header=None, dtype=str, keep_default_na=False,
                             na_values=list(_MISSING), skip_blank_lines=False, low_memory=False)  # fmt: skip
    except (ValueError, csv.Error):  # pandas' ParserError is a ValueError
        parsed = None
    if parsed is not None and len(parsed) == read.records and parsed.shape[1] == len(header):
        frame = parsed.iloc[[read.header_record + n for n in read.numbers], keep]
        frame.columns, frame.index = columns, index
        return frame
    cells = np.empty((len(read.numbers), len(header)), dtype=object)
    if read.numbers:
        cells[:] = read_csv_file(raw, read.name, header_key=_column_name).cells
        cells[(cells == _MISSING[0]) | (cells == _MISSING[1])] = np.nan
    return pd.DataFrame(cells[:, keep], columns=columns, index=index)


def _xpt_control_characters(frame: pd.DataFrame, name: str, problems: Problems) -> list[LostRow]:
    """Rows of an XPT frame whose character values hold control characters: an error per value, rows not read."""
    bad_rows: dict[int, dict[str, str]] = {}
    for column in frame.columns:
        s = frame[column]
        if pd.api.types.is_numeric_dtype(s):
            continue
        bad = [v for v in s.dropna().unique() if isinstance(v, str) and CONTROL.search(v)]
        for i in s.index[s.isin(bad)]:
            problems.error(name, int(i) + 1, column, "", BINARY)
            bad_rows.setdefault(int(i), {})
    for i in bad_rows:
        usubjid = frame.at[i, "USUBJID"] if "USUBJID" in frame.columns else None
        if isinstance(usubjid, str) and not CONTROL.search(usubjid):
            bad_rows[i]["USUBJID"] = usubjid
    return [LostRow(i + 1, cells) for i, cells in sorted(bad_rows.items())]


def _read_xpt(path: Path) -> tuple[pd.DataFrame, str]:
    import pyreadstat

    try:
        frame, _meta = pyreadstat.read_xport(str(path), encoding="UTF-8")
        return frame, "utf-8"
    except UnicodeDecodeError:
        frame, _meta = pyreadstat.read_xport(str(path), encoding="WINDOWS-1252")
        return frame, "Windows-1252"


def _number_text(x: float) -> str | float:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return np.nan
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))  # shortest text that round-trips: IEEE → IBM transport floats → IEEE is exact


def _numbers_as_text(s: pd.Series) -> pd.Series:
    """A float column as text: whole numbers without ".0", others by :func:`_number_text` (once per value)."""
    x = s.to_numpy(dtype=float)
    out = np.full(len(x), np.nan, dtype=object)
    finite = np.isfinite(x)
    whole = finite & (np.floor(np.where(finite, x, 0.0)) == x) & (np.abs(np.where(finite, x, 0.0)) < 1e15)
    out[whole] = x[whole].astype(np.int64).astype(str)
    frac = finite & ~whole
    if frac.any():
        values = x[frac]
        text = {v: _number_text(v) for v in pd.unique(values)}
        out[frac] = [text[v] for v in values]
    return pd.Series(out, index=s.index, dtype=object)


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as text with missing = NaN; surrounding blanks stripped."""
    out = {}
    for name in frame.columns:
        s = frame[name]
        if pd.api.types.is_numeric_dtype(s):
            s = _numbers_as_text(s)
        else:
            s = s.astype(object)
            fixes = {}
            for v in s.dropna().unique():  # distinct values only: cheap on long files
                text = v if isinstance(v, str) else str(v)
                clean = text.strip()
                if clean != v or clean in _MISSING:
                    fixes[v] = np.nan if clean in _MISSING else clean
            if fixes:
                s = s.where(~s.isin(list(fixes)), s.map(fixes))
        out[name] = s
    return pd.DataFrame(out, index=frame.index)


def require_columns(table: DomainTable, columns: Iterable[str], problems: Problems) -> bool:
    """Report each missing required column once (row None), with the rows it leaves unread; True when all are there.

    A missing column leaves every row of the domain unread: references to it from other domains are excused."""
    ok = True
    for column in columns:
        if not table.has(column):
            problems.error(table.file, None, column, "", missing_column(column, len(table)))
            ok = False
    if not ok:
        problems.lose(table.domain, None)
    return ok


def require_one_of(table: DomainTable, column: str, alternative: str, problems: Problems) -> bool:
    """As :func:`require_columns` for a column that ``alternative`` may stand in for (TUSTRESC or TUORRES)."""
    if table.has(column) or table.has(alternative):
        return True
    problems.error(table.file, None, column, "", missing_column(column, len(table), alternative=alternative))
    problems.lose(table.domain, None)
    return False


def note_unused_columns(table: DomainTable, used: Iterable[str], notes: list[str]) -> None:
    """A note naming the columns of ``table`` the importer does not read."""
    used_set = set(used) | {"STUDYID", "DOMAIN"}
    unused = [c for c in table.frame.columns if c not in used_set]
    if unused:
        notes.append(f"{table.file}: columns not used: {', '.join(unused)}")


def subject_mask(table: DomainTable, subjects: set[str], problems: Problems) -> pd.Series:
    """True where the row's USUBJID is a subject of DM; reports missing and unknown subjects as errors.

    An unknown subject whose DM row may be among those not read (:meth:`Problems.lose`) is left out without an
    error of its own: the DM problem is the root cause."""
    usubjid = table.col("USUBJID")
    problems.rows("error", table, usubjid.isna(), "USUBJID", "subject id (USUBJID) missing")
    unknown = usubjid.notna() & ~usubjid.isin(subjects)
    problems.rows("error", table, unknown & ~problems.excused("dm", usubjid), "USUBJID", "subject does not exist in DM")
    return usubjid.notna() & ~unknown


def map_distinct(values: pd.Series, func: Callable[[str], object]) -> pd.Series:
    """``func`` applied to each distinct non-missing value once, mapped back (missing → NaN)."""
    return values.map({v: func(v) for v in values.dropna().unique()})


def number_key(values: pd.Series) -> pd.Series:
    """A join key that treats ``"1"``, ``"1.0"`` and ``1`` alike (numbers canonicalised, other text kept)."""

    def canon(v: str) -> str | float:
        try:
            return _number_text(float(v))
        except ValueError:
            return v

    return map_distinct(values, canon)
