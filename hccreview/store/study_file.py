"""Recognising a study file READ-ONLY, before anything opens it for writing (issue 17 item 7).

A writable connection changes a file as soon as it opens it (the store switches the journal to WAL, which rewrites
the header; a 0-byte file becomes a 4 KiB database), so a file given by the user is first read with plain
``open(path, "rb")`` and a read-only SQLite connection, and refused — without writing a single byte — unless it is
a hccreview study: an SQLite database whose ``application_id`` is ours (or 0, in files written before it was set)
and that holds the study tables.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["APPLICATION_ID", "SQLITE_MAGIC", "STUDY_TABLES", "check_study_file"]

#: ``PRAGMA application_id`` of a study file: the bytes ``b"HCCR"`` (``file(1)`` and other tools can tell it apart).
APPLICATION_ID = int.from_bytes(b"HCCR", "big")  # 0x48434352
#: The first 16 bytes of every SQLite 3 database file.
SQLITE_MAGIC = b"SQLite format 3\x00"
#: Tables every study has had since schema 1: their presence is the study marker of files without our id.
STUDY_TABLES = ("settings", "audit_log")
_HEADER_SIZE = 100


def check_study_file(path: str | Path) -> int:
    """Check, READ-ONLY, that ``path`` is a hccreview study file; returns its schema version (``user_version``).

    Raises :class:`~hccreview.store.database.StoreError` naming the path when it is missing, not a regular file,
    empty, not an SQLite database, another application's database, a database without the study tables, or cut
    short. Neither the file nor its directory is written (no ``-wal``/``-shm``/``-journal`` file is created for a
    file nobody has open).
    """
    from hccreview.store.database import StoreError  # database imports this module

    path = Path(path)
    if not path.exists():
        raise StoreError(f"{path}: no such study file")
    if not path.is_file():  # a folder, a FIFO (reading it would block), a device...
        raise StoreError(f"{path}: not a hccreview study file (not a regular file)")
    try:
        with open(path, "rb") as fh:
            header = fh.read(_HEADER_SIZE)
        size = path.stat().st_size
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    if not header:
        raise StoreError(f"{path}: not a hccreview study file (empty file)")
    if not header.startswith(SQLITE_MAGIC):
        raise StoreError(f"{path}: not a hccreview study file (not an SQLite database)")
    if len(header) < _HEADER_SIZE:
        raise StoreError(f"{path}: not a hccreview study file (the SQLite header is cut short)")
    page_size = _page_size(header)
    if page_size is None:
        raise StoreError(f"{path}: not a hccreview study file (not an SQLite database: invalid page size)")
    if size % page_size:  # SQLite writes whole pages: a cut in the last page is not seen otherwise
        raise StoreError(f"{path}: the study file is truncated or damaged (not a whole number of pages)")
    app_id, tables, version = _read_marker(path, header, StoreError)
    if app_id not in (0, APPLICATION_ID):
        raise StoreError(
            f"{path}: not a hccreview study file (another application's database, "
            f"application_id 0x{app_id & 0xFFFFFFFF:08X})"
        )
    missing = [t for t in STUDY_TABLES if t not in tables]
    if missing:
        raise StoreError(f"{path}: not a hccreview study file (no study tables: {', '.join(missing)} missing)")
    return version


def _page_size(header: bytes) -> int | None:
    """The page size recorded at offset 16 of the header (1 means 65536); None when it is not a valid one."""
    value = int.from_bytes(header[16:18], "big")
    value = 65536 if value == 1 else value
    return value if 512 <= value <= 65536 and value & (value - 1) == 0 else None


def _read_marker(path: Path, header: bytes, error: type[Exception]) -> tuple[int, set[str], int]:
    """``application_id``, table names and ``user_version`` through a connection that cannot write.

    ``mode=ro`` still creates ``-wal`` and ``-shm`` files for a WAL database nobody has open (and leaves them behind),
    so such a file — WAL in its header and no ``-wal`` beside it, hence no committed data outside the main file — is
    read with ``immutable=1`` (no locks, no side files). A file with a ``-wal`` beside it may be open elsewhere with
    data not yet checkpointed: it is read with ``mode=ro``, which uses the existing WAL like any reader.
    """
    wal_header = header[18] == 2 and header[19] == 2
    immutable = wal_header and not path.with_name(path.name + "-wal").exists()
    uri = path.resolve().as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise error(f"{path}: cannot read the file ({exc})") from exc
    try:
        app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.OperationalError as exc:  # locked, unreadable...: says nothing about what the file is
        raise error(f"{path}: cannot read the file ({exc})") from exc
    except sqlite3.DatabaseError as exc:  # "file is not a database", "database disk image is malformed"
        raise error(f"{path}: not a hccreview study file ({exc})") from exc
    finally:
        conn.close()
    return app_id, tables, version
