"""Sign-in, roles and account administration (issue 7 item 1; 21 CFR Part 11 §11.10(d), §11.300)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.records import Role, StudySettings
from hccreview.services import auth, queries
from hccreview.services.auth import AuthError
from hccreview.services.session import open_study
from hccreview.store import Store, access
from hccreview.store.users import create_user
from hccreview.store.write_gate import BUILD
from tests.factories import signed_as
from tests.factories_central import PASSWORDS, central_study, open_as

#: What every account write touches: the accounts, no patient.
ACCOUNTS = Changes(kinds=frozenset({ChangeKind.USERS}))


@pytest.fixture
def path(study_path: Path) -> Path:
    central_study(study_path).close()
    return study_path


def _entries(session, action: str) -> list[dict]:
    return [e for e in session.store.rows("audit_log", order_by="seq") if e["action"] == action]


def test_sign_in_sets_the_user_every_write_is_audited_under(path: Path) -> None:
    with open_study(path) as session:
        assert auth.current_user(session) is None and session.role is None
        user = auth.sign_in(session, "reader1", PASSWORDS["reader1"])
        assert (user.username, user.role) == ("reader1", Role.READER)
        assert auth.current_user(session) == user and session.role is Role.READER
        assert session.user == "reader1" and session.store.user == "reader1"
        assert _entries(session, "sign-in")[-1]["username"] == "reader1"
        queries.open_thread(session, subject_id="C01", title="Check T01", text="is T01 the same lesion?")
        assert session.store.rows("audit_log", order_by="seq")[-1]["username"] == "reader1"
        auth.sign_out(session)
        assert session.signed_in is None and session.user == "system"
        assert _entries(session, "sign-out")[-1]["username"] == "reader1"


def test_wrong_password_is_refused_and_the_attempt_audited(path: Path) -> None:
    with open_study(path) as session:
        with pytest.raises(AuthError):
            auth.sign_in(session, "reader1", "not-the-password")
        with pytest.raises(AuthError):
            auth.sign_in(session, "nobody", "whatever-password")
        assert session.signed_in is None and session.user == "system"
        refused = _entries(session, "sign-in-refused")
        assert [e["username"] for e in refused] == ["reader1", "nobody"]
        assert all("not-the-password" not in str(e) for e in session.store.rows("audit_log"))


def test_only_an_admin_adds_users_and_resets_passwords(path: Path) -> None:
    for name in (None, "reader1", "adj"):
        with open_as(path, name) as session, pytest.raises(PermissionError):
            auth.add_user(session, username="r3", full_name="Dr Three", role="reader", password="reader3-secret")
        with open_as(path, name) as session, pytest.raises(PermissionError):
            auth.reset_password(session, username="reader1", new_password="new-password-1")
    with open_as(path, "admin") as session:
        added = auth.add_user(session, username="r3", full_name="Dr Three", role=Role.READER, password="reader3-secret")
        assert added.user is not None and added.user.role is Role.READER
        assert "r3" in {u.username for u in auth.users(session)}
        reset = auth.reset_password(session, username="reader1", new_password="new-password-1")
        assert added.changes == reset.changes == ACCOUNTS and reset.user is None
        with pytest.raises(ValueError):
            auth.reset_password(session, username="reader1", new_password="short")
        trail = " ".join(str(e) for e in session.store.rows("audit_log", "table_name = 'users'"))
        assert "new-password-1" not in trail and "reader3-secret" not in trail
    with open_study(path) as session:
        auth.sign_in(session, "r3", "reader3-secret")
        with pytest.raises(AuthError):
            auth.sign_in(session, "reader1", PASSWORDS["reader1"])
        auth.sign_in(session, "reader1", "new-password-1")


def test_own_password_change_and_deactivation(path: Path) -> None:
    with open_as(path, "reader2") as session:
        with pytest.raises(AuthError):
            auth.change_password(session, old_password="wrong", new_password="brand-new-pass")
        changed = auth.change_password(session, old_password=PASSWORDS["reader2"], new_password="brand-new-pass")
        assert changed == auth.AccountChange(None, ACCOUNTS)
    with open_as(path, "admin") as session:
        with pytest.raises(ValueError):
            auth.set_user_active(session, username="reader2", active=False, reason=" ")
        deactivated = auth.set_user_active(session, username="reader2", active=False, reason="left the study")
        assert deactivated == auth.AccountChange(None, ACCOUNTS)
    with open_study(path) as session, pytest.raises(AuthError):
        auth.sign_in(session, "reader2", "brand-new-pass")


def test_first_admin_of_a_study_without_accounts(study_path: Path) -> None:
    Store.create(study_path, StudySettings(title="Imported")).close()
    with open_study(study_path) as session:
        assert auth.needs_first_admin(session)
        created = auth.create_first_admin(session, username="boss", full_name="Study Admin", password="boss-password")
        admin = created.user
        assert admin is not None and admin.role is Role.ADMIN and session.signed_in == admin
        assert created.changes == ACCOUNTS
        assert not auth.needs_first_admin(session)
        with pytest.raises(PermissionError):
            auth.create_first_admin(session, username="other", full_name="X", password="other-password")


def test_demo_users_are_offered_on_the_demo_study_only(path: Path, tmp_path: Path) -> None:
    from hccreview.demo.design import DEMO_USERS

    with open_study(path) as session:
        assert auth.demo_users_hint(session) is None
    demo = tmp_path / "demo-like.db"
    store = Store.create(demo, StudySettings(title="Demo"))
    with store.scope(BUILD):
        for u in DEMO_USERS:
            create_user(store, username=u.username, full_name=u.full_name, role=u.role, password=u.password)
    with open_study(demo) as session:
        assert auth.demo_users_hint(session) is None
    with signed_as(store, "admin"):
        access.mark_demo(store)
        access.mark_demo(store)  # idempotent
    store.close()
    with open_study(demo) as session:
        hint = auth.demo_users_hint(session)
        assert hint == [(u.username, u.password) for u in DEMO_USERS]
        for username, password in hint:
            auth.sign_in(session, username, password)
