"""Online backup of a study file (SQLite backup API: consistent even while the study is open), and restore.

Backups taken before an import live in a ``STUDY.db.backups/`` folder next to the study, named
``STUDY-YYYYmmddTHHMMSSZ-<why>.db``. A restore never deletes the current file: it is moved aside to
``STUDY.db.replaced-<time>`` first.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from hccreview.store import audit

if TYPE_CHECKING:
    from hccreview.store.database import Store

_SIDE_FILES = ("-wal", "-shm", "-journal")

__all__ = ["backup_copy", "backup_dir", "list_backups", "log_restore", "replace_with", "snapshot", "timestamp"]


def backup_copy(conn: sqlite3.Connection, dest: str | Path) -> Path:
    """Copy the open database behind ``conn`` to ``dest``; an existing ``dest`` gets a numbered name."""
    dest = Path(dest)
    candidate = dest
    n = 1
    while candidate.exists():
        candidate = dest.with_name(f"{dest.name}.{n}")
        n += 1
    target = sqlite3.connect(str(candidate))
    try:
        conn.backup(target)
    finally:
        target.close()
    return candidate


def timestamp(now: datetime | None = None) -> str:
    """UTC time as ``YYYYmmddTHHMMSSZ`` (sortable, safe in file names)."""
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def backup_dir(study: str | Path) -> Path:
    """The folder holding the automatic backups of ``study``: ``STUDY.db.backups`` next to it."""
    study = Path(study)
    return study.with_name(f"{study.name}.backups")


def snapshot(conn: sqlite3.Connection, study: str | Path, *, why: str) -> Path:
    """Back up the open study behind ``conn`` into :func:`backup_dir` as ``STUDY-<time>-<why>.db``."""
    study = Path(study)
    folder = backup_dir(study)
    folder.mkdir(parents=True, exist_ok=True)
    return backup_copy(conn, folder / f"{study.stem}-{timestamp()}-{why}.db")


def list_backups(study: str | Path) -> list[Path]:
    """The backups of ``study``: the ``.db`` files of its backup folder and the migration copies, newest first."""
    study = Path(study)
    folder = backup_dir(study)
    found = list(folder.glob("*.db*")) if folder.is_dir() else []
    found += study.parent.glob(f"{study.name}.v*.bak*")
    return sorted(
        (p for p in found if p.is_file() and not p.name.endswith(_SIDE_FILES)),
        key=lambda p: (p.stat().st_mtime, p.name),
        reverse=True,
    )


def replace_with(study: str | Path, backup: str | Path) -> Path | None:
    """Move ``study`` aside to ``STUDY.db.replaced-<time>`` (never deleted) and copy ``backup`` in its place.

    The copy is written next to the study under a temporary name and renamed into place, so a crash leaves either
    the old file moved aside and no half-copied study, or the restored one. Returns where the old file went
    (None when there was no study file). WAL / journal side files of the old file are moved along with it.
    """
    study, backup = Path(study), Path(backup)
    tmp = study.with_name(f"{study.name}.restoring")
    shutil.copyfile(backup, tmp)
    aside = None
    if study.exists():
        aside = study.with_name(f"{study.name}.replaced-{timestamp()}")
        n = 1
        while aside.exists():
            aside = aside.with_name(f"{study.name}.replaced-{timestamp()}.{n}")
            n += 1
        study.rename(aside)
        for suffix in _SIDE_FILES:
            side = study.with_name(study.name + suffix)
            if side.exists():
                side.rename(aside.with_name(aside.name + suffix))
    tmp.replace(study)
    return aside


def log_restore(store: Store, *, username: str, backup: Path, replaced: Path | None, detail: str | None) -> None:
    """Append to the restored study's own trail who restored it, from which backup, and where the replaced file
    went: the backup's trail ends before the restore, so without this entry nothing in the file would say so."""
    with store.transaction():
        audit.append(
            store.conn,
            username=username,
            action="restore",
            table_name="study",
            row_key=backup.name,
            new_value={"backup": str(backup), "replaced": str(replaced) if replaced is not None else None},
            reason=detail,
        )
