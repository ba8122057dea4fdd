"""The store's audit trail: every write audited with old and new value; append-only; hash chain."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hccreview.store import Store, StoreError, audit
from hccreview.store.integrity import run_checks


def test_insert_update_delete_are_audited_with_old_and_new_values(store: Store) -> None:
    store.insert("subjects", {"subject_id": "S1", "age": 61})
    store.update("subjects", "S1", {"age": 62, "sex": "M"}, reason="source document correction")
    store.delete("subjects", "S1", reason="duplicate entry")
    rows = store.rows("audit_log", "table_name = 'subjects'", order_by="seq")
    assert [r["action"] for r in rows] == ["create", "update", "update", "delete"]
    created, age, sex, deleted = rows
    assert json.loads(created["new_value"]) == {"subject_id": "S1", "age": 61}
    assert (age["field"], json.loads(age["old_value"]), json.loads(age["new_value"])) == ("age", 61, 62)
    assert age["reason"] == "source document correction"
    assert (sex["field"], sex["old_value"], json.loads(sex["new_value"])) == ("sex", json.dumps(""), "M")
    assert json.loads(deleted["old_value"])["age"] == 62
    assert all(r["username"] == "tester" for r in rows)
    assert all(r["at_utc"].endswith("+00:00") for r in rows)


def test_unchanged_update_writes_no_entry(store: Store) -> None:
    store.insert("subjects", {"subject_id": "S1", "age": 61})
    before = store.count("audit_log")
    assert store.update("subjects", "S1", {"age": 61}) == {}
    assert store.count("audit_log") == before


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET username = 'mallory'", "DELETE FROM audit_log"])
def test_sqlite_itself_refuses_changes_to_the_audit_table(store: Store, statement: str) -> None:
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute(statement)
    assert audit.verify_chain(store.conn).ok


def test_failed_write_leaves_neither_change_nor_audit_entry(store: Store) -> None:
    before = store.count("audit_log")
    with pytest.raises(sqlite3.IntegrityError), store.transaction():
        store.insert("subjects", {"subject_id": "S1"})
        store.insert("subjects", {"subject_id": "S1"})  # duplicate key
    assert store.count("subjects") == 0
    assert store.count("audit_log") == before


def test_chain_detects_an_altered_entry_naming_it(store: Store) -> None:
    store.insert("subjects", {"subject_id": "S1", "age": 61})
    store.update("subjects", "S1", {"age": 62})
    target = store.rows("audit_log", "table_name = 'subjects' AND action = 'update'")[0]["seq"]
    store.conn.execute("DROP TRIGGER audit_log_no_update")
    store.conn.execute("UPDATE audit_log SET new_value = '99' WHERE seq = ?", [target])
    check = audit.verify_chain(store.conn)
    assert check.first_bad_seq == target


def test_chain_detects_a_removed_tail(store: Store) -> None:
    store.insert("subjects", {"subject_id": "S1"})
    last = store.count("audit_log")
    store.conn.execute("DROP TRIGGER audit_log_no_delete")
    store.conn.execute("DELETE FROM audit_log WHERE seq = ?", [last])
    check = audit.verify_chain(store.conn)
    assert check.first_bad_seq == last
    names = {c.name: c.ok for c in run_checks(store)}
    assert names["audit_chain"] is False and names["audit_append_only"] is False


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        store.insert("cycles", {"subject_id": "nobody", "number": 1, "start_date": "2020-01-01", "dose_mg": 25})


def test_wal_and_foreign_keys_on(store: Store) -> None:
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_missing_and_corrupt_files_get_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no such study file"):
        Store.open(tmp_path / "absent.db")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a hccreview study file"):
        Store.open(junk)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(StoreError, match="no study tables"):
        Store.open(other)


def test_cli_verify_passes_clean_and_names_the_tampered_entry(tmp_path: Path) -> None:
    """Tamper with the sqlite3 command line as an attacker would: drop the triggers, then alter a row."""
    path = tmp_path / "s.db"
    run = [sys.executable, "-m", "hccreview"]
    assert subprocess.run([*run, "init", str(path), "--title", "T"], capture_output=True).returncode == 0
    with Store.open(path, user="tester") as s:
        s.insert("subjects", {"subject_id": "S1", "age": 50})
        s.update("subjects", "S1", {"age": 51}, reason="typo")
        seq = s.rows("audit_log", "field = 'age'")[0]["seq"]
    ok = subprocess.run([*run, "verify", str(path)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "chain intact" in ok.stdout
    script = f"DROP TRIGGER audit_log_no_update; UPDATE audit_log SET old_value = '49' WHERE seq = {seq};"
    _sqlite3_cli(path, script)
    bad = subprocess.run([*run, "verify", str(path)], capture_output=True, text=True)
    assert bad.returncode == 1
    assert f"first bad entry: seq {seq}" in bad.stdout


def _sqlite3_cli(path: Path, script: str) -> None:
    """Run SQL through the sqlite3 command-line shell when installed, else Python's own sqlite3 CLI."""
    import shutil

    exe = shutil.which("sqlite3")
    if exe:
        subprocess.run([exe, str(path), script], check=True, capture_output=True)
    else:  # any SQLite client will do for an attacker; Python 3.11 has no sqlite3 shell module
        code = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()"
        subprocess.run([sys.executable, "-c", code, str(path), script], check=True, capture_output=True)
