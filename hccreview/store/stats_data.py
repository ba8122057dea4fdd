"""The partial study the cohort statistics read, and last-contact dates computed in SQL.

``hccreview stats`` on a study that is not loaded yet need not build every record: treatment cycles and (except
for the ``computed`` source) lesions and measurements serve the statistics only through each patient's last contact
date (``domain.contact``, OS censoring); labs are read (the laboratory worst grades beside the toxicity table
grade them, issue 23). :func:`load_stats_data` loads the other tables as
:func:`~hccreview.store.study_data.load_study` does and asks SQLite for those dates (``MAX`` per subject) instead;
:func:`contact_dates` equals ``domain.contact.last_contact`` over the loaded records (tested on the demo study and
the shared SDTM data).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace

from hccreview.domain import records as r
from hccreview.domain.contact import CONTACT_FIELDS, last_contact, merge_latest
from hccreview.domain.record_kinds import RECORD_KINDS, kind
from hccreview.store.database import Store
from hccreview.store.rows import stored_value

#: Read in addition for the ``computed`` source (responses derived from one reader's measurements).
COMPUTED_TABLES: tuple[str, ...] = ("lesions", "measurements")
#: Kinds that serve the statistics only through each patient's last contact date (module docstring).
_CONTACT_ONLY: tuple[str, ...] = ("cycles",)
#: What the cohort statistics read of every study (``domain.cohort``): every other kind — the analysis population
#: and baseline, the reads and decisions (response sources), follow-up (OS), adverse events and labs (toxicity).
STATS_TABLES: tuple[str, ...] = tuple(
    k.table for k in RECORD_KINDS if k.table not in COMPUTED_TABLES and k.table not in _CONTACT_ONLY
)


def _canonical(col: str) -> str:
    """SQL: ``col`` holds a valid ISO ``YYYY-MM-DD`` date (SQLite's ``date()`` gives it back unchanged), whose
    text order is its date order."""
    return f"(date([{col}]) IS [{col}] AND [{col}] >= '0001-01-01')"


#: Rows of a contact table that are not a contact (``domain.contact``: only complete dates count): a read whose
#: date was imputed from a partial date, and a measurement on the date of such a read of the same subject and
#: reader (``domain.contact.imputed_dates``).
_NOT_CONTACT: dict[str, str] = {
    "reads": "[date_imputed] <> 0",
    "measurements": (
        "EXISTS (SELECT 1 FROM [reads] AS i WHERE i.[date_imputed] <> 0 AND i.[subject_id] = t.[subject_id]"
        " AND i.[reader] = t.[reader] AND i.[date] = t.[date])"
    ),
}


def contact_dates(store: Store, tables: Iterable[str] = CONTACT_FIELDS) -> dict[str, dt.date]:
    """Latest contact date per subject over the rows of ``tables`` (keys of ``domain.contact.CONTACT_FIELDS``),
    equal to ``domain.contact.last_contact`` over the same tables' loaded records.

    One ``GROUP BY subject_id`` scan per table takes ``MAX`` over the values in canonical ISO form; any other
    stored value (none is written by this program) is read and converted in Python exactly as a load converts
    it, so an unparseable date raises the ValueError the full load would raise. Imputed assessment dates are left
    out as ``last_contact`` leaves them out (:data:`_NOT_CONTACT`).
    """
    parts: list[dict[str, dt.date]] = []
    for table in tables:
        fields = CONTACT_FIELDS[table]
        cls = kind(table).record
        cols = ", ".join(
            f"MAX(CASE WHEN {_canonical(f)} THEN [{f}] END), SUM([{f}] IS NOT NULL AND NOT {_canonical(f)})"
            for f in fields
        )
        latest: dict[str, dt.date] = {}
        odd: list[str] = []
        skip = _NOT_CONTACT.get(table)
        where = f"WHERE NOT ({skip})" if skip else ""
        query = f"SELECT subject_id, {cols} FROM [{table}] AS t {where} GROUP BY subject_id"
        for row in store.conn.execute(query):
            sid = row[0]
            for i, name in enumerate(fields):
                top, n_odd = row[1 + 2 * i], row[2 + 2 * i]
                if top is not None:
                    day = stored_value(cls, name, top)
                    if sid not in latest or day > latest[sid]:
                        latest[sid] = day
                if n_odd and name not in odd:
                    odd.append(name)
        parts.append(latest)
        for name in odd:
            cur = store.conn.execute(
                f"SELECT subject_id, [{name}] FROM [{table}] AS t WHERE [{name}] IS NOT NULL"
                f" AND NOT {_canonical(name)} {f'AND NOT ({skip})' if skip else ''}"
            )
            parts.append(merge_latest(*({sid: stored_value(cls, name, value)} for sid, value in cur)))
    return merge_latest(*parts)


def load_stats_data(store: Store, *, computed: bool = False) -> r.StudyData:
    """The study as the cohort statistics see it: :data:`STATS_TABLES` (plus :data:`COMPUTED_TABLES` when
    ``computed``) as records, the other tables left empty, ``last_contact`` over every contact table (the loaded
    ones from their records, the rest by :func:`contact_dates`). One read snapshot."""
    from hccreview.store.study_data import load_study

    tables = (*STATS_TABLES, *COMPUTED_TABLES) if computed else STATS_TABLES
    conn = store.conn
    snapshot = not conn.in_transaction
    if snapshot:
        conn.execute("BEGIN")  # WAL: a reader never blocks, and sees one committed state throughout
    try:
        data = load_study(store, tables)
        loaded = [t for t in CONTACT_FIELDS if t in tables]
        rest = [t for t in CONTACT_FIELDS if t not in tables]
        contact = merge_latest(last_contact(data, loaded), contact_dates(store, rest))
    finally:
        if snapshot:
            conn.execute("COMMIT")
    return replace(data, last_contact=contact)
