"""The simulator is pure given its seed: same seed, same records (whatever the hash seed); new seed, new study."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hccreview.demo.simulate import SimulatedStudy, simulate_study, write_demo_study
from hccreview.store import Store, StoreError
from hccreview.store.study_data import TABLE_RECORDS
from hccreview.store.users import authenticate, list_users


def _digest(study: SimulatedStudy) -> str:
    h = hashlib.sha256(repr(study.settings).encode())
    for table, items in study.records.items():
        h.update(table.encode())
        for x in items:
            h.update(repr(x).encode())
    return h.hexdigest()


def _file_digest(path: Path) -> str:
    """SHA-256 over the settings and every data table (not the audit trail or users: they carry timestamps; not
    the study's UUID: two files built from one seed are still two studies)."""
    h = hashlib.sha256()
    with Store.open(path) as store:
        for table in ["settings", *TABLE_RECORDS]:
            where = "WHERE key != 'study_uuid'" if table == "settings" else ""
            for row in store.conn.execute(f"SELECT * FROM [{table}] {where} ORDER BY rowid"):
                h.update(repr(row).encode())
    return h.hexdigest()


def test_same_seed_same_records_other_seed_other_records() -> None:
    a, b, c = simulate_study(seed=7), simulate_study(seed=7), simulate_study(seed=8)
    assert a.records == b.records and a.settings == b.settings
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(c)
    assert a.records["measurements"] != c.records["measurements"]
    assert set(a.records) == set(TABLE_RECORDS) - {"adjudications"}


def test_same_seed_same_file(tmp_path: Path) -> None:
    one = write_demo_study(tmp_path / "one.db", seed=5, patients=30)
    two = write_demo_study(tmp_path / "two.db", seed=5, patients=30)
    other = write_demo_study(tmp_path / "three.db", seed=6, patients=30)
    assert _file_digest(one) == _file_digest(two) != _file_digest(other)
    uuids = set()
    for path in (one, two, other):
        with Store.open(path) as store:
            uuids.add(store.rows("settings", "key = 'study_uuid'")[0]["value"])
    assert len(uuids) == 3


def test_independent_of_the_python_hash_seed() -> None:
    code = (
        "import hashlib; from hccreview.demo.simulate import simulate_study; "
        "s = simulate_study(seed=3, patients=60); "
        "print(hashlib.sha256(repr(sorted((k, v) for k, v in s.records.items())).encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        ).stdout.strip()
        for hash_seed in ("0", "1", "12345")
    }  # fmt: skip
    assert len(digests) == 1


@pytest.mark.parametrize("patients", [1, 2, 5, 13, 41])
def test_any_cohort_size_builds(patients: int) -> None:
    study = simulate_study(seed=2, patients=patients)
    assert len(study.records["subjects"]) == patients
    assert len({s.subject_id for s in study.records["subjects"]}) == patients


def test_patients_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        simulate_study(patients=0)


def test_existing_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "taken.db"
    path.write_bytes(b"precious")
    with pytest.raises(StoreError, match="already exists"):
        write_demo_study(path, seed=1, patients=5)
    assert path.read_bytes() == b"precious"


def test_demo_users_sign_in_with_the_documented_passwords(tmp_path: Path) -> None:
    path = write_demo_study(tmp_path / "u.db", seed=1, patients=3)
    doc = (Path(__file__).resolve().parents[2] / "docs" / "demo-study.md").read_text(encoding="utf-8")
    with Store.open(path) as store:
        users = {u.username: u.role.value for u in list_users(store)}
        assert users == {"reader1": "reader", "reader2": "reader", "adjudicator": "adjudicator", "admin": "admin"}
        for username in users:
            password = f"{username}-demo"
            assert f"`{password}`" in doc
            assert authenticate(store, username, password).username == username
