"""Schema v2 -> v3 (adjudication workflow): every row kept, new columns defaulted, signed decisions locked."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hccreview.domain.records import Read, ReadRole
from hccreview.store import Store, audit, schema
from hccreview.store.study_data import load_study


def _make_v2_file(path: Path) -> None:
    """A study file as schema version 2 wrote it: subjects, reads, two adjudications, audit entries."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN")
    for step in schema.MIGRATIONS[:2]:
        for statement in step:
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO settings VALUES ('title', '\"V2 study\"')")
    for i in range(3):
        conn.execute("INSERT INTO subjects (subject_id) VALUES (?)", [f"S{i}"])
        for k, reader in enumerate(("r1", "r2", "investigator")):
            role = "investigator" if reader == "investigator" else "reader"
            conn.execute(
                "INSERT INTO reads (id, subject_id, reader, role, date, visit, overall, accepted) "
                "VALUES (?, ?, ?, ?, '2024-03-01', 'WEEK 8', ?, ?)",
                [100 + 10 * i + k, f"S{i}", reader, role, "PR" if k == 0 else "SD", int(k == 1)],
            )
        audit.append(conn, username="old", action="create", table_name="subjects", row_key=f"S{i}",
                     new_value={"subject_id": f"S{i}"})  # fmt: skip
    conn.execute(
        "INSERT INTO adjudications (id, subject_id, chosen_reader, reason, adjudicator, decided_at, signed) "
        "VALUES (1, 'S0', 'r1', 'clearer margins', 'adj', '2024-04-01T10:00:00+00:00', 1), "
        "(2, 'S1', 'r2', 'new lesion', 'adj', '2024-04-02T10:00:00+00:00', 0)"
    )
    conn.execute("INSERT INTO review_status VALUES ('S2', 'reviewed', 'old', '2024-04-03T00:00:00+00:00')")
    conn.execute("COMMIT")
    conn.close()


def test_v2_file_migrates_to_v3_keeping_every_row(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    _make_v2_file(path)
    with sqlite3.connect(path) as raw:
        before_reads = raw.execute("SELECT * FROM reads ORDER BY id").fetchall()
    with Store.open(path, user="admin") as s:
        assert s.schema_version == schema.SCHEMA_VERSION >= 3
        reads = s.rows("reads", order_by="id")
        assert [tuple(r.values())[:12] for r in reads] == before_reads  # same ids, same values
        assert {(r["entered_by"], r["computed_overall"], r["override_reason"]) for r in reads} == {("", "", "")}
        adjudications = {r["id"]: r for r in s.rows("adjudications")}
        assert adjudications[1]["status"] == "signed" and adjudications[2]["status"] == "open"
        assert adjudications[1]["signature_id"] is None and adjudications[2]["reopened_reason"] == ""
        assert s.rows("review_status")[0]["state"] == "reviewed"
        assert s.count("subjects") == 3 and s.settings().title == "V2 study"
        data = load_study(s)
        assert len(data.reads) == 9 and len(data.adjudications) == 2
        # the adjudicator's own read is now a valid role
        s.insert("reads", {"subject_id": "S1", "reader": "adj", "role": ReadRole.ADJUDICATOR.value,
                           "date": "2024-03-01", "overall": "PR"})  # fmt: skip
        assert any(isinstance(r, Read) and r.role is ReadRole.ADJUDICATOR for r in load_study(s).reads)
        migrate = [e for e in s.rows("audit_log", order_by="seq") if e["action"] == "migrate"]
        assert [e["new_value"] for e in migrate] == [str(v) for v in range(3, schema.SCHEMA_VERSION + 1)]
        assert audit.verify_chain(s.conn).ok
        assert s.conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert {r[1] for r in s.conn.execute("PRAGMA index_list(reads)")} >= {"reads_subject"}
    assert (tmp_path / "v2.db.v2.bak").exists()
