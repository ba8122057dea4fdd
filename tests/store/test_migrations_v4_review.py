"""Schema v3 -> v4, the transfers part (issue 12): review states are kept, a reviewed patient's kinds are
marked reviewed as of the migration, and the new tables start empty."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hccreview.store import Store, audit, schema
from hccreview.store.record_review import REVIEW_KINDS, kind_states
from hccreview.store.review_state import review_states
from hccreview.store.transfers import list_transfers, open_flags


def _make_v3_file(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    for step in schema.MIGRATIONS[:3]:
        for statement in step:
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 3")
    conn.execute("INSERT INTO settings VALUES ('title', '\"V3 study\"')")
    for sid in ("S0", "S1", "S2"):
        conn.execute("INSERT INTO subjects (subject_id) VALUES (?)", [sid])
        audit.append(conn, username="old", action="create", table_name="subjects", row_key=sid, new_value={"x": 1})
    conn.execute("INSERT INTO review_status VALUES ('S0', 'reviewed', 'rev', '2024-04-03T00:00:00+00:00')")
    conn.execute("INSERT INTO review_status VALUES ('S1', 'in progress', 'rev', '2024-04-04T00:00:00+00:00')")
    conn.execute("COMMIT")
    conn.close()


def test_v3_review_states_survive_and_reviewed_patients_get_kind_marks(tmp_path: Path) -> None:
    path = tmp_path / "v3.db"
    _make_v3_file(path)
    with Store.open(path, user="admin") as store:
        assert store.schema_version == schema.SCHEMA_VERSION
        assert review_states(store) == {} and kind_states(store) == {}  # marks are per user (v5): rev's, not admin's
        assert review_states(store, user="rev") == {"S0": "reviewed", "S1": "in progress"}
        kinds = kind_states(store, user="rev")
        assert set(kinds) == {"S0"} and [k.state for k in kinds["S0"].values()] == ["reviewed"] * len(REVIEW_KINDS)
        assert {k.reviewed_by for k in kinds["S0"].values()} == {"rev"}
        assert list_transfers(store) == [] and open_flags(store) == []
        store.update("subjects", "S0", {"site": "02"}, reason="site correction")  # a later change shows
        assert review_states(store, user="rev")["S0"] == "changed since review"
        assert "site" in kind_states(store, user="rev")["S0"]["baseline"].changes[0]
