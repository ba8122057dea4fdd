"""Schema v3 -> v4, queries part (issue 12 items 3-4): signed decisions still verify, the new tables work."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from hccreview.domain.records import Role
from hccreview.store import Store, audit, schema
from hccreview.store.signatures import LIFECYCLE_COLUMNS, signatures_for, verify_signatures

_ADJUDICATIONS = [
    (1, "S0", "r1", "clearer margins", "adj", "2024-04-01T10:00:00+00:00"),
    (2, "S1", "r2", "new lesion", "adj", "2024-04-02T10:00:00+00:00"),
]


def _make_v3_file(path: Path) -> None:
    """A study file as schema version 3 wrote it, with two decisions, the first e-signed."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN")
    for step in schema.MIGRATIONS[:3]:
        for statement in step:
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 3")
    conn.execute("INSERT INTO settings VALUES ('title', '\"V3 study\"')")
    conn.execute("INSERT INTO users VALUES ('adj', 'Dr Adj', 'adjudicator', 'x', 'y', '{}', '2024-01-01', 1)")
    for sid in ("S0", "S1"):
        conn.execute("INSERT INTO subjects (subject_id) VALUES (?)", [sid])
    for row in _ADJUDICATIONS:
        conn.execute("INSERT INTO adjudications (id, subject_id, chosen_reader, reason, adjudicator, decided_at) "
                     "VALUES (?, ?, ?, ?, ?, ?)", row)  # fmt: skip
    cursor = conn.execute("SELECT * FROM adjudications WHERE id = 1")
    signed = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
    content = {k: v for k, v in signed.items() if k not in LIFECYCLE_COLUMNS["adjudications"]}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                                       default=str).encode("utf-8")).hexdigest()  # fmt: skip
    conn.execute("INSERT INTO signatures VALUES (1, 'adj', 'Dr Adj', '2024-04-01T11:00:00+00:00', 'adjudicated', "
                 "'adjudications', '1', ?)", [digest])  # fmt: skip
    conn.execute("UPDATE adjudications SET status = 'signed', signed = 1, signature_id = 1 WHERE id = 1")
    audit.append(conn, username="adj", action="sign", table_name="signatures", row_key="1", new_value={"id": 1})
    conn.execute("COMMIT")
    conn.close()


def test_v3_file_migrates_with_signed_decisions_still_verifying(tmp_path: Path) -> None:
    path = tmp_path / "v3.db"
    _make_v3_file(path)
    with Store.open(path, user="admin") as s:
        s.sign_as("adj", Role.ADJUDICATOR)  # decisions and their codes are the adjudicator's to write
        assert s.schema_version == schema.SCHEMA_VERSION >= 4
        assert verify_signatures(s) == []  # the decision's signed content did not change
        assert len(signatures_for(s, "adjudications", 1)) == 1
        assert {r["id"]: r["status"] for r in s.rows("adjudications")} == {1: "signed", 2: "open"}
        assert s.count("queries") == s.count("query_messages") == s.count("adjudication_reason_codes") == 0
        # the unsigned decision takes a code; the signed one's code cannot be added behind the service's back
        s.insert("adjudication_reason_codes", {"adjudication_id": 2, "code": "new_lesion", "recorded_by": "admin",
                                               "recorded_at": "2024-05-01T00:00:00+00:00"})  # fmt: skip
        with pytest.raises(sqlite3.IntegrityError, match="locked"):
            s.insert("adjudication_reason_codes", {"adjudication_id": 1, "code": "other", "recorded_by": "admin",
                                                   "recorded_at": "2024-05-01T00:00:00+00:00"})  # fmt: skip
        assert verify_signatures(s) == [] and audit.verify_chain(s.conn).ok
        assert s.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert (tmp_path / "v3.db.v3.bak").exists()
