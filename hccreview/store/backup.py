"""Online backup of a study file (SQLite backup API: consistent even while the study is open)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


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
