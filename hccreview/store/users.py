"""Users, roles and password checks; passwords are kept only as salted ``hashlib.scrypt`` hashes."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from hccreview.domain.passwords import check_password
from hccreview.domain.records import Role
from hccreview.store.audit import utc_now
from hccreview.store.database import Store

#: scrypt cost parameters (RFC 7914); stored with each hash so they can be raised later.
_KDF = {"name": "scrypt", "n": 2**14, "r": 8, "p": 1, "dklen": 32}


class AuthError(Exception):
    """Unknown user, inactive user or wrong password (deliberately not saying which)."""


@dataclass(frozen=True)
class User:
    """A user of the workstation; ``active`` False for a deactivated account (it cannot sign in or sign)."""

    username: str
    full_name: str
    role: Role
    active: bool = True


def _hash(password: str, salt: bytes, kdf: dict) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=kdf["n"],
        r=kdf["r"],
        p=kdf["p"],
        dklen=kdf["dklen"],
        maxmem=256 * 1024 * 1024,
    )


def password_columns(password: str) -> dict[str, str]:
    """A new salted hash of ``password`` as the ``users`` columns that keep it (hash, salt, cost parameters):
    what creating an account and changing a password both write."""
    salt = secrets.token_bytes(16)
    return {"password_hash": _hash(password, salt, _KDF).hex(), "salt": salt.hex(), "kdf": json.dumps(_KDF)}


def create_user(store: Store, *, username: str, full_name: str, role: Role | str, password: str) -> User:
    """Add a user (audited, without the secret)."""
    role = Role(role)
    if not username.strip():
        raise ValueError("username must not be empty")
    check_password(password)
    if store.conn.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        raise ValueError(f"a user {username!r} already exists (users are never deleted; choose another name)")
    store.insert(
        "users",
        {
            "username": username,
            "full_name": full_name,
            "role": role.value,
            **password_columns(password),
            "created_at": utc_now(),
            "active": 1,
        },
    )
    return User(username, full_name, role)


def authenticate(store: Store, username: str, password: str) -> User:
    """The user if the password is right; :class:`AuthError` otherwise (constant-time comparison)."""
    cur = store.conn.execute("SELECT * FROM users WHERE username = ?", [username])  # any account may sign in
    rows = [dict(zip([d[0] for d in cur.description], r, strict=True)) for r in cur]
    if not rows or not rows[0]["active"]:
        _hash(password, b"0" * 16, _KDF)  # same cost whether or not the user exists
        raise AuthError("unknown user or wrong password")
    row = rows[0]
    computed = _hash(password, bytes.fromhex(row["salt"]), json.loads(row["kdf"]))
    if not hmac.compare_digest(computed, bytes.fromhex(row["password_hash"])):
        raise AuthError("unknown user or wrong password")
    return User(row["username"], row["full_name"], Role(row["role"]))


def list_users(store: Store) -> list[User]:
    """All users, without secrets."""
    return [User(r["username"], r["full_name"], Role(r["role"]), bool(r["active"]))
            for r in store.rows("users", order_by="username")]  # fmt: skip
