"""Reading SDTM domain files (CSV or SAS XPT) into string tables, and collecting import problems.

What this module owns:

- **Finding the domains** in a folder: one file per domain, named by the domain (``dm.csv``, ``TR.XPT``); a
  pharmaverse-style suffix (``tu_onco.csv``) is accepted when the part before ``_`` names a domain. Two files for
  one domain are an error (which one is meant is unknowable); other files are ignored with a note.
- **Encoding**: every file is decoded as UTF-8 (a BOM is dropped) and, when that fails, as Windows-1252 (SAS
  exports often are), with a note naming the file.
- **Missing values**: blank cells and the string ``NA`` (R's ``write.csv``) are both missing; values are stripped
  of surrounding blanks (XPT pads character values). XPT numeric columns arrive as floats and are rendered as
  text again (``3.0`` → ``"3"``, else the shortest text giving the same float), so a CSV and an XPT delivery
  read identically.
- **Row numbers**: row 1 is the first data row (the header is row 0), as :class:`ImportProblem` expects.
"""

from __future__ import annotations

import io
import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

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
    """One domain file as a frame of text columns (upper-case names; missing = NaN; index 0..n-1)."""

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
    _seen: Counter = field(default_factory=Counter)
    _first: dict = field(default_factory=dict)

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


def read_domain(path: Path, domain: str, notes: list[str]) -> DomainTable:
    """Read one domain file (CSV or XPT) as text columns."""
    if path.suffix.lower() == ".xpt":
        frame, encoding = _read_xpt(path)
    else:
        frame, encoding = _read_csv(path)
    if encoding != "utf-8":
        notes.append(f"{path.name}: not valid UTF-8, read as {encoding}")
    frame.columns = [str(c).strip().upper() for c in frame.columns]
    frame = frame.reset_index(drop=True)
    return DomainTable(domain, path.name, _normalise(frame), encoding)


def _decode(raw: bytes) -> tuple[str, str]:
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "Latin-1"


def _read_csv(path: Path) -> tuple[pd.DataFrame, str]:
    text, encoding = _decode(path.read_bytes())
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=list(_MISSING), low_memory=False)
    return frame, encoding


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
    """Report each missing required column (row None); True when all are there."""
    ok = True
    for column in columns:
        if not table.has(column):
            problems.error(table.file, None, column, "", f"required column {column} is missing")
            ok = False
    return ok


def note_unused_columns(table: DomainTable, used: Iterable[str], notes: list[str]) -> None:
    """A note naming the columns of ``table`` the importer does not read."""
    used_set = set(used) | {"STUDYID", "DOMAIN"}
    unused = [c for c in table.frame.columns if c not in used_set]
    if unused:
        notes.append(f"{table.file}: columns not used: {', '.join(unused)}")


def subject_mask(table: DomainTable, subjects: set[str], problems: Problems) -> pd.Series:
    """True where the row's USUBJID is a subject of DM; reports missing and unknown subjects as errors."""
    usubjid = table.col("USUBJID")
    problems.rows("error", table, usubjid.isna(), "USUBJID", "subject id (USUBJID) missing")
    unknown = usubjid.notna() & ~usubjid.isin(subjects)
    problems.rows("error", table, unknown, "USUBJID", "subject does not exist in DM")
    return usubjid.notna() & ~unknown


def map_distinct(values: pd.Series, func: Callable[[str], object]) -> pd.Series:
    """``func`` applied to each distinct non-missing value once, mapped back (missing → NaN)."""
    return values.map({v: func(v) for v in values.dropna().unique()})


def number_key(values: pd.Series) -> pd.Series:
    """A join key that treats ``"1"``, ``"1.0"`` and ``1`` alike (numbers canonicalised, other text kept)."""

    def canon(v: str) -> str:
        try:
            return _number_text(float(v))
        except ValueError:
            return v

    return map_distinct(values, canon)
