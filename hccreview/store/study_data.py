"""Rows <-> domain records for the whole study: load a :class:`StudyData`, write imported records."""

from __future__ import annotations

import contextlib
import gc
import heapq
import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from hccreview.domain import records as r
from hccreview.domain.record_kinds import RECORD_KINDS
from hccreview.store.database import Store
from hccreview.store.rows import from_row, records_from_rows, to_row

#: Record type held by each data table, in dependency order (parents first).
TABLE_RECORDS: dict[str, type] = {k.table: k.record for k in RECORD_KINDS}
#: The StudyData attribute that holds each table's records.
TABLE_ATTRS: dict[str, str] = {k.table: k.attr for k in RECORD_KINDS}
_ORDER = {k.table: k.order_by for k in RECORD_KINDS}


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while hundreds of thousands of records are built (or derived from):
    they hold no cycles, and each generation-2 pass would walk every record built so far (a large load took ~2×
    longer). Cycles made meanwhile are collected once it runs again."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _table_records(store: Store, table: str, where: str = "", params: Sequence[Any] = ()) -> list[Any]:
    rows = store.conn.execute(f"SELECT * FROM [{table}] {where} ORDER BY {_ORDER[table]}", list(params))
    names = [d[0] for d in rows.description]
    return records_from_rows(TABLE_RECORDS[table], names, rows)


def load_study(store: Store, tables: Iterable[str] | None = None, *, subject_id: str | None = None) -> r.StudyData:
    """The whole study (or the named tables, or one subject's records) as plain records, in a stable order,
    with what the store's access policy hides removed (``Access.filter``)."""
    return store.access.filter(_load_all(store, tables, subject_id=subject_id))


def _load_all(store: Store, tables: Iterable[str] | None = None, *, subject_id: str | None = None) -> r.StudyData:
    """:func:`load_study` before the access filter (the cache keeps this and filters what it hands out)."""
    wanted = set(tables) if tables is not None else set(TABLE_RECORDS)
    kwargs: dict[str, Any] = {"settings": store.settings()}
    where, params = ("WHERE subject_id = ?", [subject_id]) if subject_id is not None else ("", [])
    with gc_paused():
        for table in TABLE_RECORDS:
            if table in wanted:
                kwargs[TABLE_ATTRS[table]] = tuple(_table_records(store, table, where, params))
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
    cur = store.conn.execute(f"SELECT * FROM [{table}] WHERE subject_id = ? ORDER BY {_ORDER[table]}", [subject_id])
    names = [d[0] for d in cur.description]
    out: list[tuple[int, Any]] = []
    for values in cur:
        row = dict(zip(names, values, strict=True))
        if store.access.row_visible(table, row):
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


# --- the session's cached study ---------------------------------------------------------------------------

#: Tables whose primary key is the subject id (an audited update names the subject in ``row_key``).
_SUBJECT_KEYED = frozenset(k.table for k in RECORD_KINDS if k.subject_keyed)


class StudyCache:
    """The loaded :class:`StudyData` of one store, kept equal to the file by patching instead of re-reading.

    The store stays the source of truth: every :meth:`data` call first asks SQLite whether anything was
    committed since the last load — ``PRAGMA data_version`` (changes by *other* connections, e.g. a second
    app instance on a shared file) and ``total_changes`` (this connection's writes). If so, the audit trail
    says what: every write of review data appends audit entries in its own transaction (``Store.insert`` /
    ``update`` / ``delete`` / ``bulk_insert``), so the entries after the last one seen name the table and,
    through the row, the subject. Only those subjects' rows of those tables are re-read and spliced in, in the
    store's own order, so the result equals a fresh :func:`load_study` (tested). A batch import, a migration,
    a rewritten trail (e.g. a restored backup: the last entry seen is gone or differs) or a row count that
    does not match the patched records makes it read everything again. Inside an open write transaction
    nothing is cached (a rollback would leave the cache ahead of the file).

    Thread-safe (one lock); the records are immutable, so the same object may be shared by several threads.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._data: r.StudyData | None = None
        self._marker: tuple[int, int] | None = None
        self._seq = 0
        self._hash: str | None = None
        self._partial: tuple[tuple[int, int], bool, r.StudyData] | None = None  # (marker, computed, data)
        self.loads = 0  # full loads (for tests and the benchmark)
        self.patches = 0  # incremental updates

    def clear(self) -> None:
        """Forget the cached records (the next :meth:`data` reads everything)."""
        with self._lock:
            self._data, self._marker, self._partial = None, None, None

    def _current_marker(self) -> tuple[int, int]:
        version = int(self.store.conn.execute("PRAGMA data_version").fetchone()[0])
        return version, int(self.store.conn.total_changes)

    def _audit_head(self) -> tuple[int, str | None]:
        row = self.store.conn.execute("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        return (int(row[0]), str(row[1])) if row else (0, None)

    def data(self) -> r.StudyData:
        """The study's records as they stand in the file now."""
        conn = self.store.conn
        if conn.in_transaction:  # uncommitted writes may be rolled back: never cache them
            return load_study(self.store)
        return self.store.access.filter(self._raw_data())

    def _raw_data(self) -> r.StudyData:
        conn = self.store.conn
        with self._lock:
            marker = self._current_marker()
            if self._data is not None and marker == self._marker:
                return self._data
            conn.execute("BEGIN")  # one snapshot for the trail and the rows (WAL: readers never block)
            try:
                data = self._refresh()
            finally:
                conn.execute("COMMIT")
            self._data, self._marker = data, marker  # taken before the snapshot: a later commit is seen next time
            return data

    def stats_data(self, *, computed: bool = False) -> r.StudyData:
        """What the cohort statistics read: the whole cached study when it is loaded (the GUI's), else the partial
        load of ``store.stats_data.load_stats_data`` (with lesions and measurements when ``computed``), kept
        until the next commit. Much lighter than :meth:`data` for ``hccreview stats`` in a new process."""
        return self.store.access.filter(self._raw_stats_data(computed=computed))

    def _raw_stats_data(self, *, computed: bool) -> r.StudyData:
        from hccreview.store.stats_data import load_stats_data

        if self._data is not None:
            return self._raw_data()
        if self.store.conn.in_transaction:  # uncommitted writes may be rolled back: never cache them
            return load_stats_data(self.store, computed=computed)
        with self._lock:
            marker = self._current_marker()
            kept = self._partial
            if kept is not None and kept[0] == marker and (kept[1] or not computed):
                return kept[2]
            data = load_stats_data(self.store, computed=computed)
            gc.freeze()  # as after a full load (see _full)
            self._partial = (marker, computed, data)  # taken before the snapshot: a later commit is seen next time
            return data

    def _full(self) -> r.StudyData:
        self._seq, self._hash = self._audit_head()
        self._partial = None  # the whole study serves the statistics from now on
        self.loads += 1
        data = _load_all(self.store)
        # The records live as long as the session and hold no reference cycles: move them out of the cyclic
        # collector's generations, so that a later full collection (which holds the GIL while it walks every
        # tracked object) does not stall the window for hundreds of ms. Reference counting still frees them.
        gc.freeze()
        return data

    def _refresh(self) -> r.StudyData:
        base = self._data
        if base is None or self._seq == 0:
            return self._full()
        row = self.store.conn.execute("SELECT entry_hash FROM audit_log WHERE seq = ?", [self._seq]).fetchone()
        if row is None or row[0] != self._hash:  # the trail was replaced (restore) or cut
            return self._full()
        touched = self._touched()
        if touched is None:
            return self._full()
        whole, subjects = touched
        replaced: dict[str, Any] = {}
        with gc_paused():
            for table in whole:
                replaced[TABLE_ATTRS[table]] = tuple(_table_records(self.store, table))
            for table, ids in subjects.items():
                if table in whole or not ids:
                    continue
                marks = ", ".join("?" * len(ids))
                fresh = _table_records(self.store, table, f"WHERE subject_id IN ({marks})", sorted(ids))
                old = getattr(base, TABLE_ATTRS[table])
                kept = (x for x in old if x.subject_id not in ids)
                replaced[TABLE_ATTRS[table]] = tuple(heapq.merge(kept, fresh, key=lambda x: x.subject_id))
        data = r.StudyData(**{**{f: getattr(base, f) for f in TABLE_ATTRS.values()}, **replaced,
                              "settings": self.store.settings()})  # fmt: skip
        if not self._counts_match(data):
            return self._full()
        self.patches += 1
        return data

    def _counts_match(self, data: r.StudyData) -> bool:
        """A safety net against writes that bypassed the audit trail: every table's row count (~30 ms at
        5,000 patients) must equal the patched records'."""
        return all(len(getattr(data, attr)) == self.store.count(table) for table, attr in TABLE_ATTRS.items())

    def _touched(self) -> tuple[set[str], dict[str, set[str]]] | None:
        """From the audit entries after the last one seen: (tables to re-read whole, subjects per table);
        None when everything must be re-read. Advances the last entry seen."""
        cur = self.store.conn.execute(
            "SELECT seq, action, table_name, row_key, field, old_value, new_value, entry_hash FROM audit_log "
            "WHERE seq > ? ORDER BY seq",
            [self._seq],
        )
        whole: set[str] = set()
        subjects: dict[str, set[str]] = {}
        for seq, action, table, row_key, field, old_value, new_value, entry_hash in cur:
            self._seq, self._hash = int(seq), str(entry_hash)
            if action == "migrate" or (table == "subjects" and (action == "delete" or field == "subject_id")):
                return None  # a schema step, or a subject removed / renamed (rows of other tables follow it)
            if table not in TABLE_RECORDS or table in whole:
                continue
            sid = self._subject_of(action, table, row_key, field, old_value, new_value)
            if sid is None:
                whole.add(table)
            else:
                subjects.setdefault(table, set()).update(sid)
        return whole, subjects

    def _subject_of(
        self, action: str, table: str, row_key: str, field: str | None, old_value: str | None, new_value: str | None
    ) -> set[str] | None:
        """The subject ids one audit entry touched (None: unknown, re-read the table)."""
        if action == "create" or action == "delete":
            try:
                row = json.loads((new_value if action == "create" else old_value) or "null")
            except ValueError:
                return None
            sid = row.get("subject_id") if isinstance(row, dict) else None
            return {str(sid)} if sid is not None else None
        if action != "update" or field == "subject_id":
            return None
        if table in _SUBJECT_KEYED:
            return {row_key}
        found = self.store.conn.execute(f"SELECT subject_id FROM [{table}] WHERE id = ?", [row_key]).fetchone()
        return {str(found[0])} if found is not None and found[0] is not None else None
