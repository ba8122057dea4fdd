"""Schema migrations: from an empty file and from the previous version, keeping every row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hccreview.domain.records import StudySettings
from hccreview.store import Store, audit, schema
from hccreview.store.database import _connect


def test_new_file_reaches_the_current_version(study_path: Path) -> None:
    with Store.create(study_path, StudySettings(title="T")) as s:
        assert s.schema_version == schema.SCHEMA_VERSION
        assert {"subjects", "audit_log", "findings", "review_status", "users", "signatures"} <= set(s.db.table_names())


def test_empty_sqlite_file_migrates_from_version_zero(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    s = Store(_connect(path), path)
    s._migrate(backup=False)
    assert s.schema_version == schema.SCHEMA_VERSION
    assert s.count("audit_log") == 0
    s.close()


def _make_v1_file(path: Path) -> None:
    """A study file as the previous schema version wrote it, with data and audit entries."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN")
    for statement in schema.MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO settings VALUES ('title', '\"Old study\"')")
    for i in range(25):
        conn.execute("INSERT INTO subjects (subject_id, age) VALUES (?, ?)", [f"S{i:02d}", 40 + i])
        audit.append(
            conn,
            username="old",
            action="create",
            table_name="subjects",
            row_key=f"S{i:02d}",
            new_value={"subject_id": f"S{i:02d}"},
        )
    conn.execute("COMMIT")
    conn.close()


def test_previous_version_migrates_keeping_every_row_after_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _make_v1_file(path)
    with Store.open(path, user="admin") as s:
        assert s.schema_version == schema.SCHEMA_VERSION
        assert [r["subject_id"] for r in s.rows("subjects", order_by="subject_id")] == [f"S{i:02d}" for i in range(25)]
        assert s.rows("subjects", "subject_id = 'S07'")[0]["age"] == 47
        assert s.count("findings") == 0  # the new tables exist
        entries = s.rows("audit_log", order_by="seq")
        # one "migrate" entry per step taken (v1 -> current)
        assert len(entries) == 25 + schema.SCHEMA_VERSION - 1 and entries[-1]["action"] == "migrate"
        assert audit.verify_chain(s.conn).ok
        assert s.settings().title == "Old study"
    backup = tmp_path / "old.db.v1.bak"
    assert backup.exists()
    with sqlite3.connect(backup) as b:
        assert b.execute("PRAGMA user_version").fetchone()[0] == 1
        assert b.execute("SELECT count(*) FROM subjects").fetchone()[0] == 25
