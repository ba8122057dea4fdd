"""SDTM ``--DTC`` values (ISO 8601 with partial dates) → dates, parsed once per distinct value.

Accepted: ``2014-07-02``, ``2014-07-02T11:45[:30][.5][Z|±hh:mm]`` (the time is dropped), and the SDTM partial
forms ``2014-07``, ``2014`` and ``2014---02`` (day known, month not: treated as year precision). Everything
else (``2014-02-1x``, ``02/07/2014``, a date without a year such as ``--07-02``, an impossible day) is
unparseable and the caller reports it with file, row and field.

A partial date has an earliest and a latest possible day; which one a field uses is the caller's rule
(assessment dates: the last day of the period, DESIGN §4; AE onset: the earliest possible day). A partial
death date is imputed against the last known alive date (:func:`impute_death_date`).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from hccreview.io.sdtm_read import DomainTable, Problems

Precision = Literal["day", "month", "year"]
_ISO = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})(?:T\d{2}(?::\d{2}(?::\d{2}(?:\.\d+)?)?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$"
)
_YEAR_DAY = re.compile(r"^(?P<y>\d{4})---\d{2}(?:T.*)?$")


@dataclass(frozen=True)
class PartialDate:
    """A possibly partial date as its earliest and latest possible day."""

    earliest: date
    latest: date
    precision: Precision

    @property
    def complete(self) -> bool:
        return self.precision == "day"


def parse_dtc(text: str) -> PartialDate:
    """Parse one ``--DTC`` value; raises ValueError with the reason when it is not an SDTM date."""
    value = text.strip()
    m = _ISO.match(value)
    if m is None:
        y = _YEAR_DAY.match(value)
        if y is None:
            raise ValueError("not an ISO 8601 date (YYYY-MM-DD, or partial YYYY-MM / YYYY)")
        year = int(y["y"])
        return PartialDate(date(year, 1, 1), date(year, 12, 31), "year")
    year = int(m["y"])
    if year < 1800:
        raise ValueError("year before 1800")
    if m["m"] is None:
        return PartialDate(date(year, 1, 1), date(year, 12, 31), "year")
    month = int(m["m"])
    if not 1 <= month <= 12:
        raise ValueError("month outside 01-12")
    if m["d"] is None:
        last = calendar.monthrange(year, month)[1]
        return PartialDate(date(year, month, 1), date(year, month, last), "month")
    try:
        day = date(year, month, int(m["d"]))
    except ValueError as exc:
        raise ValueError(f"impossible date ({exc})") from None
    return PartialDate(day, day, "day")


@dataclass
class DateColumn:
    """One ``--DTC`` column parsed: per row the earliest / latest day, whether it was partial, whether bad."""

    earliest: pd.Series  # object: date or None
    latest: pd.Series
    partial: pd.Series  # bool
    bad: pd.Series  # bool: a value is present but not a date
    reasons: dict[str, str]  # unparseable raw value → why

    def pick(self, rule: Literal["earliest", "latest"]) -> pd.Series:
        return self.earliest if rule == "earliest" else self.latest

    def complete(self) -> pd.Series:
        """The day where the value is a complete date, else None."""
        return self.earliest.where(~self.partial & self.earliest.notna(), None)


def parse_column(values: pd.Series) -> DateColumn:
    """Parse a column of ``--DTC`` text (missing = NaN); each distinct value is parsed once."""
    parsed: dict[str, PartialDate] = {}
    reasons: dict[str, str] = {}
    for raw in values.dropna().unique():
        try:
            parsed[raw] = parse_dtc(str(raw))
        except ValueError as exc:
            reasons[raw] = str(exc)
    earliest = values.map({k: v.earliest for k, v in parsed.items()})
    latest = values.map({k: v.latest for k, v in parsed.items()})
    partial = values.map({k: not v.complete for k, v in parsed.items()})
    return DateColumn(
        earliest=earliest.astype(object).where(earliest.notna(), None),
        latest=latest.astype(object).where(latest.notna(), None),
        partial=partial.eq(True),
        bad=values.isin(list(reasons)) if reasons else pd.Series(np.zeros(len(values), bool), index=values.index),
        reasons=reasons,
    )


def read_dates(
    table: DomainTable,
    column: str,
    problems: Problems,
    *,
    rule: Literal["earliest", "latest"],
    warn_partial: bool = True,
    mask: pd.Series | None = None,
) -> DateColumn:
    """Parse ``table[column]``: unparseable values are errors, imputed partial dates warnings (rows in ``mask``)."""
    raw = table.col(column)
    parsed = parse_column(raw)
    rows = mask if mask is not None else pd.Series(True, index=raw.index)
    for value, why in parsed.reasons.items():
        problems.rows("error", table, rows & raw.eq(value), column, f"unparseable date: {why}")
    if warn_partial:
        day = "first" if rule == "earliest" else "last"
        problems.rows(
            "warning", table, rows & parsed.partial, column, f"partial date imputed to the {day} day of its period"
        )
    return parsed


def impute_death_date(raw: str, last_alive: date | None) -> tuple[date, list[str]]:
    """The death date of a ``DTHDTC`` (or DS DEATH ``DSSTDTC``) value, with the warnings it deserves.

    ``last_alive`` is the subject's latest *complete* study date (the importer's last-known-alive rule: DM
    ``RFPENDTC``, SV, AE, EX, TR, RS, LB, DS; imputed dates never count).

    - A partial death date (``2024-04``, ``2024``) is imputed to the first day of its period, raised to the last
      known alive date when that falls within the period and later — the admiral convention
      (``derive_vars_dt(highest_imputation = "M", date_imputation = "first", min_dates = ...)``: "it is ensured
      that the imputed date is not before any of the specified dates ... only dates which are in the range of
      possible dates of the dtc value are considered"), as ADaM ADSL ``DTHDT`` with its imputation flag
      ``DTHDTF`` (CDISC ADaM IG). Always a warning, saying which day was taken and why.
    - A death date (complete, or partial with the whole period) before the last known alive date contradicts the
      records: a warning naming that date. The death date is kept and records after it must not count: OS has
      the death as its event; ``domain.endpoints.pfs`` takes the earlier of the first PD and the death and
      censors only at assessments before the event, so a later read is neither an event nor a censoring date;
      a response read after death (RECIST 1.1 §4.4: assessments end at death or progression) must also be left
      out of the best overall response and its confirmation, which is the response derivation's task.

    Raises ValueError (as :func:`parse_dtc`) when ``raw`` is not an SDTM date. The caller reports each returned
    reason as a finding with the file, row and field of the death date, like every other importer finding.
    """
    value = parse_dtc(raw)
    reasons: list[str] = []
    day = value.earliest
    if not value.complete:
        if last_alive is not None and value.earliest < last_alive <= value.latest:
            day = last_alive
            reasons.append(
                f"partial death date imputed to the last known alive date ({day.isoformat()}), "
                f"the first day of its period ({value.earliest.isoformat()}) being before it"
            )
        else:
            reasons.append(f"partial death date imputed to the first day of its period ({day.isoformat()})")
    if last_alive is not None and last_alive > (value.latest if not value.complete else day):
        reasons.append(
            f"death date before a later study record ({last_alive.isoformat()}); records after the death do not "
            "count for responses, PFS or OS"
        )
    return day, reasons
