"""Users and passwords: scrypt hashes only, wrong passwords refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from hccreview.domain.records import Role
from hccreview.store import Store
from hccreview.store.users import AuthError, authenticate, create_user, list_users

PASSWORD = "correct horse battery"


def test_right_password_signs_in_wrong_one_is_refused(store: Store) -> None:
    create_user(store, username="rdr1", full_name="Dr Reader One", role="reader", password=PASSWORD)
    user = authenticate(store, "rdr1", PASSWORD)
    assert (user.username, user.role) == ("rdr1", Role.READER)
    with pytest.raises(AuthError):
        authenticate(store, "rdr1", PASSWORD + "!")
    with pytest.raises(AuthError):
        authenticate(store, "nobody", PASSWORD)
    assert [u.username for u in list_users(store)] == ["rdr1"]


def test_no_password_in_clear_anywhere_in_the_file(store: Store, study_path: Path) -> None:
    create_user(store, username="adj", full_name="Dr Adjudicator", role="adjudicator", password=PASSWORD)
    store.close()
    raw = study_path.read_bytes()
    for suffix in ("-wal", "-shm"):
        extra = study_path.with_name(study_path.name + suffix)
        if extra.exists():
            raw += extra.read_bytes()
    assert PASSWORD.encode() not in raw
    with Store.open(study_path) as s:
        row = s.rows("users")[0]
        assert row["kdf"].startswith('{"name": "scrypt"')
        assert len(bytes.fromhex(row["salt"])) == 16
        audit_text = " ".join(str(r) for r in s.rows("audit_log", "table_name = 'users'"))
        assert row["password_hash"] not in audit_text and row["salt"] not in audit_text


def test_short_passwords_and_unknown_roles_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="8 characters"):
        create_user(store, username="x", full_name="X", role="reader", password="short")
    with pytest.raises(ValueError):
        create_user(store, username="x", full_name="X", role="emperor", password=PASSWORD)
