"""Opening, creating and writing one study file (SQLite through sqlite-utils).

The only module that opens connections. Every write happens inside :meth:`Store.transaction`
(``BEGIN IMMEDIATE``: one writer at a time) and every change of review data appends audit entries
in the same transaction, so a failed write leaves neither the change nor its audit entry behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import json
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from hccreview.domain.access import Access, AccessDenied
from hccreview.domain.record_kinds import RECORD_KINDS
from hccreview.domain.records import Role, StudySettings
from hccreview.store import audit, schema, write_gate
from hccreview.store.backup import backup_copy
from hccreview.store.rows import from_row, sql_value
from hccreview.store.study_file import APPLICATION_ID, check_study_file


def _import_without_pandas(name: str) -> ModuleType:
    """Import sqlite-utils without letting it import pandas (issue 10: ~0.3–0.5 s of the GUI's cold start).

    sqlite-utils imports pandas only to add ``pandas.Timestamp`` to the column types it guesses when it creates a
    table from values; the store creates its tables from SQL (``schema``) and writes plain Python values
    (``rows.sql_value``), so nothing here needs it. Where pandas is already imported this changes nothing.
    """
    if "pandas" in sys.modules:
        return importlib.import_module(name)
    # meanwhile `import pandas` raises ImportError: None is the import system's "blocked" marker
    sys.modules["pandas"] = None  # type: ignore[assignment]  # typeshed types sys.modules' values ModuleType only
    try:
        return importlib.import_module(name)
    finally:
        if "pandas" in sys.modules and sys.modules["pandas"] is None:
            del sys.modules["pandas"]


if TYPE_CHECKING:
    import sqlite_utils
else:
    sqlite_utils = _import_without_pandas("sqlite_utils")

#: Primary key column of each table that is not keyed by an integer ``id``: the subject-keyed record kinds' and
#: the other tables'.
_KEYS = {
    **{k.table: k.key_column for k in RECORD_KINDS if k.key_column != "id"},
    "review_status": "subject_id",
    "users": "username",
    "settings": "key",
    "structured_reports": "sop_instance_uid",
}
#: Columns never written to the audit trail (secrets).
_SECRET_COLUMNS = {"password_hash", "salt"}
#: Columns the trail names by the row's SHA-256 column instead of copying them (a DICOM document's bytes).
_DOCUMENT_COLUMNS = {"document"}


class StoreError(Exception):
    """A study file cannot be opened or written; the message is meant for the user."""


def key_column(table: str) -> str:
    """The primary-key column of ``table``."""
    return _KEYS.get(table, "id")


class Store:
    """An open study file and the user on whose behalf it is written.

    Not thread-safe by itself: the UI serialises writes through one worker lane; readers may open
    their own ``Store`` on the same file (WAL lets them read while one writer writes).
    """

    def __init__(self, db: sqlite_utils.Database, path: Path, user: str = "system") -> None:
        self.db = db
        self.path = path
        self.user = user
        #: The policy every read and write of this store goes through (DESIGN §4b); set at sign-in.
        self.access: Access = Access.system()
        self._scope: write_gate.Scope | None = None

    # ------------------------------------------------------------------ open / create
    @classmethod
    def create(cls, path: str | Path, settings: StudySettings, *, user: str = "system") -> Store:
        """Create a new study file at ``path`` (which must not exist) with ``settings``."""
        path = Path(path)
        if path.exists():
            raise StoreError(f"{path}: a file already exists there; choose another name")
        path.parent.mkdir(parents=True, exist_ok=True)
        store = cls(_connect(path), path, user)
        store._migrate(backup=False)
        store.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")  # marks the file as ours (study_file)
        with store.transaction():
            for key, value in _settings_items(settings):
                store.insert("settings", {"key": key, "value": value})
        return store

    @classmethod
    def open(cls, path: str | Path, *, user: str = "system", migrate: bool = True) -> Store:
        """Open an existing study file; an older schema is migrated after a backup copy is made.

        The file is checked READ-ONLY first (:func:`~hccreview.store.study_file.check_study_file`): a writable
        connection would switch another application's database to WAL, or turn an empty file into a database,
        before it could be refused.
        """
        path = Path(path)
        version = check_study_file(path)
        if version > schema.SCHEMA_VERSION:
            raise StoreError(
                f"{path}: written by a newer hccreview (schema {version} > {schema.SCHEMA_VERSION}); upgrade"
            )
        store = cls(_connect(path), path, user)
        if migrate and store.schema_version < schema.SCHEMA_VERSION:
            store._migrate(backup=True)
        return store

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with contextlib.suppress(sqlite3.ProgrammingError):
            self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self, *, backup: bool) -> Path | None:
        """Apply the missing migration steps, each in its own transaction; returns the backup path."""
        version = self.schema_version
        copy = None
        if backup and version < schema.SCHEMA_VERSION:
            copy = backup_copy(self.conn, self.path.with_name(f"{self.path.name}.v{version}.bak"))
        for step in range(version, schema.SCHEMA_VERSION):
            self.conn.execute("PRAGMA foreign_keys = OFF")  # a table rebuild drops a referenced table (SQLite §7)
            try:
                self._migration_step(step, backup=backup)
            finally:
                self.conn.execute("PRAGMA foreign_keys = ON")
        return copy

    def _migration_step(self, step: int, *, backup: bool) -> None:
        """Apply migration ``step`` -> ``step + 1`` in one transaction (foreign keys checked before commit)."""
        with self.transaction():
            for statement in schema.MIGRATIONS[step]:
                self.conn.execute(statement)
            self.conn.execute(f"PRAGMA user_version = {step + 1}")
            if backup:  # an existing file was migrated: record it
                audit.append(
                    self.conn,
                    username=self.user,
                    action="migrate",
                    table_name="schema",
                    row_key=str(step + 1),
                    old_value=step,
                    new_value=step + 1,
                )
            broken = self.conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise StoreError(f"{self.path}: migration to schema {step + 1} broke references: {broken[:5]}")

    # ------------------------------------------------------------------ transactions
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        """One atomic unit of work: everything inside commits together or not at all (nests as savepoints)."""
        if self.conn.in_transaction:
            with self.db.atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    # ------------------------------------------------------------------ the access policy
    def sign_as(self, username: str | None, role: Role | None) -> Access:
        """Make every later read and write of this store go through ``username``'s access (``None``: the
        unsigned system context); the study's blinding and charter settings are read now."""
        self.user = username or "system"
        self.access = Access.system() if role is None else self._access_for(username, role)
        return self.access

    def access_for(self, username: str | None, role: Role) -> Access:
        """The access policy of ``username`` with ``role`` in this study (its blinding and charter settings)."""
        return self._access_for(username, role)

    def _access_for(self, username: str | None, role: Role) -> Access:
        values = {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM settings")}
        return Access(username, role, blinded=values.get("blinding") != "unblinded",
                      readers_see_clinical_data=bool(values.get("readers_see_clinical_data")))  # fmt: skip

    def _settings_changed(self) -> None:
        role = self.access.role
        if role is not None:  # i.e. not ``access.is_system``, written so that the checker narrows the role
            self.access = self._access_for(self.access.username, role)

    # ------------------------------------------------------------------ the write gate
    @contextlib.contextmanager
    def scope(self, kind: str, *, reader: str | None = None) -> Iterator[Store]:
        """Widen the write gate for one operation: building a new study (``write_gate.BUILD``), a data transfer
        (``write_gate.TRANSFER``) or the merge of ``reader``'s package (``write_gate.MERGE``); refused
        (AccessDenied) when the user may not run it."""
        wanted = write_gate.Scope(kind, reader)
        write_gate.enter(self.conn, self.access, wanted)
        previous, self._scope = self._scope, wanted
        try:
            yield self
        finally:
            self._scope = previous

    def _gate(
        self, op: str, table: str, old: dict[str, Any] | None, new: dict[str, Any] | None, reason: str | None
    ) -> None:
        write_gate.check(self.conn, self.access, self._scope, op, table, old=old, new=new, reason=reason)

    def _raw_get(self, table: str, key: Any) -> dict[str, Any]:
        try:
            return dict(self.db.table(table).get(key))
        except sqlite_utils.db.NotFoundError as exc:
            raise KeyError(f"{table}: no row {key!r}") from exc

    # ------------------------------------------------------------------ audited writes
    def insert(self, table: str, row: dict[str, Any], *, reason: str | None = None) -> Any:
        """Insert one row and audit it; returns its primary key (refused by the write gate: nothing written)."""
        row = {k: sql_value(v) for k, v in row.items()}
        with self.transaction():
            self._gate("insert", table, None, row, reason)
            self.db.table(table).insert(row)
            key_col = key_column(table)
            key = row.get(key_col) if key_col in row else self.conn.execute("SELECT last_insert_rowid()").fetchone()[0]
            audit.append(
                self.conn,
                username=self.user,
                action="create",
                table_name=table,
                row_key=str(key),
                new_value=_public(row),
                reason=reason,
            )
        if table == "settings":
            self._settings_changed()
        return key

    def update(self, table: str, key: Any, changes: dict[str, Any], *, reason: str | None = None) -> dict[str, Any]:
        """Change fields of one row, auditing each changed field with its old and new value.

        Returns the old values of the fields that changed (the inverse change, for undo).
        """
        changes = {k: sql_value(v) for k, v in changes.items()}
        with self.transaction():
            old = self._raw_get(table, key)
            changed = {k: v for k, v in changes.items() if old.get(k) != v}
            if changed:
                self._gate("update", table, old, changed, reason)
            if changed:
                self.db.table(table).update(key, changed)
            for field, new in changed.items():
                audit.append(
                    self.conn,
                    username=self.user,
                    action="update",
                    table_name=table,
                    row_key=str(key),
                    field=field,
                    old_value=None if field in _SECRET_COLUMNS else old.get(field),
                    new_value=None if field in _SECRET_COLUMNS else new,
                    reason=reason,
                )
        if table == "settings" and changed:
            self._settings_changed()
        return {k: old.get(k) for k in changed}

    def delete(self, table: str, key: Any, *, reason: str | None = None) -> dict[str, Any]:
        """Delete one row, keeping its full content in the audit trail; returns the deleted row."""
        with self.transaction():
            old = self._raw_get(table, key)
            self._gate("delete", table, old, None, reason)
            self.db.table(table).delete(key)
            audit.append(
                self.conn,
                username=self.user,
                action="delete",
                table_name=table,
                row_key=str(key),
                old_value=_public(old),
                reason=reason,
            )
        return old

    def bulk_insert(self, table: str, rows: Sequence[dict[str, Any]], *, note: str, batch_size: int = 5000) -> int:
        """Insert many source rows (an import) with ONE audit entry naming their count and SHA-256 digest.

        Row-level entries are kept for interactive edits; an import is audited as a batch whose digest
        identifies exactly what was written. Rows go in with ``executemany`` (the hot path of an import).
        """
        if not rows:
            return 0
        columns = list(dict.fromkeys(k for r in rows for k in r))
        values = [[sql_value(r.get(c)) for c in columns] for r in rows]
        digest = hashlib.sha256()
        digest.update(json.dumps(columns).encode("utf-8"))
        for chunk_start in range(0, len(values), batch_size):
            chunk = values[chunk_start : chunk_start + batch_size]
            digest.update(json.dumps(chunk, default=str, ensure_ascii=False).encode("utf-8"))
        sql = f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in columns)}) VALUES ({', '.join('?' * len(columns))})"
        with self.transaction():
            self._gate("insert", table, None, rows[0], note)
            self.conn.executemany(sql, values)
            audit.append(
                self.conn,
                username=self.user,
                action="import",
                table_name=table,
                row_key=f"{len(values)} rows",
                new_value={"rows": len(values), "sha256": digest.hexdigest(), "note": note},
            )
        return len(values)

    # ------------------------------------------------------------------ reads
    def get(self, table: str, key: Any) -> dict[str, Any]:
        """One row by primary key (KeyError naming table and key when absent; AccessDenied when the signed-in
        user's access policy hides it)."""
        row = self._raw_get(table, key)
        if not self.access.row_visible(table, row):
            raise AccessDenied(f"{self.access.who} may not see {table} {key!r} (the study's access policy)")
        return self.access.scrub_subject_row(row) if table == "subjects" else row

    def rows(
        self,
        table: str,
        where: str | None = None,
        params: Sequence[Any] | dict | None = None,
        order_by: str | None = None,
    ) -> list[dict[str, Any]]:
        """Rows of a table as dicts: only those the signed-in user's access policy shows."""
        access = self.access
        if not access.sees_table(table):
            return []
        rows = self.db[table].rows_where(where, params or [], order_by=order_by)
        if access.sees_everything:
            return list(rows)
        if table == "subjects":
            return [access.scrub_subject_row(r) for r in rows]
        return [r for r in rows if access.row_visible(table, r)]

    def records(
        self,
        table: str,
        cls: type,
        where: str | None = None,
        params: Sequence[Any] | None = None,
        order_by: str | None = None,
    ) -> list[Any]:
        """Rows of a table as domain records of type ``cls``."""
        return [from_row(cls, r) for r in self.rows(table, where, params, order_by=order_by or key_column(table))]

    def count(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0])

    # ------------------------------------------------------------------ settings
    def settings(self) -> StudySettings:
        """The study settings as a record."""
        values = {r["key"]: json.loads(r["value"]) for r in self.rows("settings")}
        names = {f.name for f in dataclasses.fields(StudySettings)}
        return from_row(StudySettings, {k: v for k, v in values.items() if k in names})

    def update_settings(self, *, reason: str | None = None, **changes: Any) -> StudySettings:
        """Change study settings (audited per field)."""
        names = {f.name for f in dataclasses.fields(StudySettings)}
        unknown = set(changes) - names
        if unknown:
            raise ValueError(f"unknown study settings: {', '.join(sorted(unknown))}")
        with self.transaction():
            current = {r["key"] for r in self.rows("settings")}
            for key, value in changes.items():
                encoded = json.dumps(sql_value(value))
                if key in current:
                    self.update("settings", key, {"value": encoded}, reason=reason)
                else:
                    self.insert("settings", {"key": key, "value": encoded}, reason=reason)
        return self.settings()


def _settings_items(settings: StudySettings) -> Iterable[tuple[str, str]]:
    for f in dataclasses.fields(settings):
        yield f.name, json.dumps(sql_value(getattr(settings, f.name)))


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in _SECRET_COLUMNS and k not in _DOCUMENT_COLUMNS}


def _connect(path: Path) -> sqlite_utils.Database:
    """Open ``path`` with explicit transactions, foreign keys on and the WAL journal."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    db = sqlite_utils.Database(conn, execute_plugins=False)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous = FULL")  # a committed review decision survives power loss
        if mode != "wal":
            raise StoreError(f"{path}: cannot switch the journal to WAL (mode {mode})")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{path}: not a hccreview study file ({exc})") from exc
    return db
