"""Last contact with each patient: the latest *complete* date at which the records show the patient was seen.

Overall survival of a patient without a recorded death is censored at the last date known alive (FDA 2018
endpoint guidance, :func:`~hccreview.domain.endpoints.overall_survival`): the latest of the follow-up record's
``last_known_alive`` and of every contact date the study holds. :data:`CONTACT_FIELDS` names those dates, record
kind by record kind; the store answers the same question in SQL for tables it does not load
(``store.stats_data``), and tests hold both answers equal.

**Only complete dates count** — the importer's own rule for ``last_known_alive`` (``io.sdtm``: "the latest
*complete* date"), and the ADaM convention (CDISC ADaM IG: an imputed date carries its imputation flag,
``--DTF``, and is an analysis convenience, not an observation; the admiral ADSL vignette derives the last known
alive date ``LSTALVDT`` from ``convert_dtc_to_dt`` dates, i.e. without imputing the day of an assessment or lab
date). An assessment date imputed from a
partial date (RSDTC ``2024-04`` → 30 April, ``2024`` → 31 December, DESIGN §4) is a date the patient is *not*
known to have been alive on, so it must not move the OS censoring date:

- a read with ``date_imputed`` set is not a contact;
- a :class:`~hccreview.domain.records.Measurement` carries no imputation flag; the importers impute a partial
  TR date the same way as the read of its timepoint (the last day of the period), so a measurement dated on
  the date of an imputed read of the same subject and reader is taken as imputed too (:func:`imputed_dates`).
  A measurement on any other date is a complete date.

Adverse events, cycles and labs carry no flag either: partial AE onsets, cycle starts and lab dates are imputed
to the *first* day of their period (``io.sdtm_clinical``), a day on which the patient was certainly alive, so
they cannot censor OS after the truth; an AE resolution imputed to the last day of its period can, and needs an
imputation flag on the record (not yet stored).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from hccreview.domain.record_kinds import RECORD_KINDS
from hccreview.domain.records import StudyData

#: StudyData attribute (= store table) → the date fields of its records that count as a contact (each record
#: kind's ``contact_dates``).
CONTACT_FIELDS: dict[str, tuple[str, ...]] = {k.attr: k.contact_dates for k in RECORD_KINDS if k.contact_dates}


def imputed_dates(data: StudyData) -> set[tuple[str, str, dt.date]]:
    """(subject, reader, date) of every read whose date was imputed from a partial date: neither the read nor a
    measurement of the same subject and reader on that date is a contact (module docstring)."""
    return {(r.subject_id, r.reader, r.date) for r in data.reads if r.date_imputed}


def last_contact(data: StudyData, tables: Iterable[str] = CONTACT_FIELDS) -> dict[str, dt.date]:
    """Latest complete contact date per subject over the records of ``tables`` (keys of :data:`CONTACT_FIELDS`)
    in ``data``; imputed assessment dates do not count (module docstring); subjects without any dated record
    are absent."""
    latest: dict[str, dt.date] = {}
    tables = list(tables)
    imputed = imputed_dates(data) if {"reads", "measurements"} & set(tables) else set()
    for table in tables:
        fields = CONTACT_FIELDS[table]
        assessment = table in ("reads", "measurements")
        for record in getattr(data, table):
            sid = record.subject_id
            if assessment and (sid, record.reader, record.date) in imputed:
                continue
            for name in fields:
                day = getattr(record, name)
                if day is not None:
                    seen = latest.get(sid)
                    if seen is None or day > seen:
                        latest[sid] = day
    return latest


def merge_latest(*parts: Mapping[str, dt.date]) -> dict[str, dt.date]:
    """Per subject, the latest date of any of ``parts``."""
    out: dict[str, dt.date] = {}
    for part in parts:
        for sid, day in part.items():
            seen = out.get(sid)
            if seen is None or day > seen:
                out[sid] = day
    return out
