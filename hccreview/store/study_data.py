"""Rows <-> domain records for the whole study: load a :class:`StudyData`, write imported records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hccreview.domain import records as r
from hccreview.store.database import Store
from hccreview.store.rows import from_row, records_from_rows, to_row

#: Record type held by each data table, in dependency order (parents first).
TABLE_RECORDS: dict[str, type] = {
    "subjects": r.Subject,
    "child_pugh": r.ChildPughComponents,
    "cycles": r.Cycle,
    "adverse_events": r.AdverseEvent,
    "labs": r.LabResult,
    "lesions": r.Lesion,
    "measurements": r.Measurement,
    "reads": r.Read,
    "adjudications": r.Adjudication,
    "follow_up": r.FollowUp,
}

#: The StudyData attribute that holds each table's records.
TABLE_ATTRS: dict[str, str] = {
    "subjects": "subjects",
    "child_pugh": "child_pugh",
    "cycles": "cycles",
    "adverse_events": "adverse_events",
    "labs": "labs",
    "lesions": "lesions",
    "measurements": "measurements",
    "reads": "reads",
    "adjudications": "adjudications",
    "follow_up": "follow_up",
}

_ORDER = {
    "subjects": "subject_id",
    "child_pugh": "subject_id",
    "follow_up": "subject_id",
    "cycles": "subject_id, number, id",
    "adverse_events": "subject_id, seq, id",
    "labs": "subject_id, date, id",
    "lesions": "subject_id, reader, lesion_id",
    "measurements": "subject_id, reader, date, lesion_id, id",
    "reads": "subject_id, reader, date, id",
    "adjudications": "subject_id, id",
}


def load_study(
    store: Store, tables: Iterable[str] | None = None, *, subject_id: str | None = None
) -> r.StudyData:
    """The whole study (or the named tables, or one subject's records) as plain records, in a stable order."""
    wanted = set(tables) if tables is not None else set(TABLE_RECORDS)
    kwargs: dict[str, Any] = {"settings": store.settings()}
    where, params = ("WHERE subject_id = ?", [subject_id]) if subject_id is not None else ("", [])
    for table, cls in TABLE_RECORDS.items():
        if table in wanted:
            rows = store.conn.execute(f"SELECT * FROM [{table}] {where} ORDER BY {_ORDER[table]}", params)
            names = [d[0] for d in rows.description]
            kwargs[TABLE_ATTRS[table]] = tuple(records_from_rows(cls, names, rows))
    return r.StudyData(**kwargs)


def write_records(store: Store, records: Mapping[str, Sequence[Any]], *, note: str) -> dict[str, int]:
    """Bulk-insert records per table in ONE transaction (parents first); returns rows written per table."""
    written: dict[str, int] = {}
    with store.transaction():
        for table in TABLE_RECORDS:
            items = records.get(table) or ()
            if items:
                written[table] = store.bulk_insert(table, [to_row(x) for x in items], note=note)
    return written


def rows_with_ids(store: Store, table: str, subject_id: str) -> list[tuple[int, Any]]:
    """One subject's rows of an id-keyed table as ``(id, record)`` pairs (ids let the UI edit a row)."""
    cls = TABLE_RECORDS[table]
    cur = store.conn.execute(
        f"SELECT * FROM [{table}] WHERE subject_id = ? ORDER BY {_ORDER[table]}", [subject_id]
    )
    names = [d[0] for d in cur.description]
    out = []
    for values in cur:
        row = dict(zip(names, values, strict=True))
        out.append((int(row["id"]), from_row(cls, row)))
    return out


def review_tables_digest(store: Store) -> str:
    """SHA-256 over the content of every data table and the audit trail (for 'unchanged' checks)."""
    import hashlib

    h = hashlib.sha256()
    for table in [*TABLE_RECORDS, "settings", "audit_log"]:
        for row in store.conn.execute(f"SELECT * FROM [{table}] ORDER BY rowid"):
            h.update(repr(row).encode("utf-8"))
    return h.hexdigest()
