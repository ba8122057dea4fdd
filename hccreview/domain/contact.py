"""Last contact with each patient: the latest date at which the records show the patient was seen.

Overall survival of a patient without a recorded death is censored at the last date known alive (FDA 2018
endpoint guidance, :func:`~hccreview.domain.endpoints.overall_survival`): the latest of the follow-up record's
``last_known_alive`` and of every contact date the study holds. :data:`CONTACT_FIELDS` names those dates, record
kind by record kind; the store answers the same question in SQL for tables it does not load
(``store.stats_data``), and tests hold both answers equal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from hccreview.domain.records import StudyData

#: StudyData attribute (= store table) → the date fields of its records that count as a contact.
CONTACT_FIELDS: dict[str, tuple[str, ...]] = {
    "reads": ("date",),
    "measurements": ("date",),
    "adverse_events": ("onset", "resolution"),
    "cycles": ("start_date",),
    "labs": ("date",),
}


def last_contact(data: StudyData, tables: Iterable[str] = CONTACT_FIELDS) -> dict[str, dt.date]:
    """Latest contact date per subject over the records of ``tables`` (keys of :data:`CONTACT_FIELDS`) in
    ``data``; subjects without any dated record are absent."""
    latest: dict[str, dt.date] = {}
    for table in tables:
        fields = CONTACT_FIELDS[table]
        for record in getattr(data, table):
            sid = record.subject_id
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
