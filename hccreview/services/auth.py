"""Sign-in, the signed-in user and account administration (issue 7 item 1; 21 CFR Part 11 §11.10(d), (g), §11.300).

On opening a study the user signs in with user id and password; from then on every write of the session is
audited under that id (``session.store.user``). Roles: reader, adjudicator, admin. Only an admin adds users,
resets passwords and (de)activates accounts; a study without any account lets its first admin be created.
Sign-ins, sign-outs and refused attempts are audited. The demo study's documented accounts are offered by
:func:`demo_users_hint` on the demo only.

Every account write returns an :class:`AccountChange` carrying ``Changes(kinds={ChangeKind.USERS})``, like every
other write service, so the GUI runs it through ``ui.operations.run_write`` and a users list follows it.
Sign-in and sign-out write audit entries only, no account row: they return the user (or nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.records import Role
from hccreview.services.session import StudySession
from hccreview.store import access
from hccreview.store.users import AuthError, User, authenticate, create_user, list_users

__all__ = [
    "AccountChange",
    "AuthError",
    "User",
    "add_user",
    "change_password",
    "create_first_admin",
    "current_user",
    "demo_users_hint",
    "needs_first_admin",
    "require_role",
    "reset_password",
    "set_user_active",
    "sign_in",
    "sign_out",
    "users",
]


def _accounts() -> Changes:
    return Changes(kinds=frozenset({ChangeKind.USERS}))


@dataclass(frozen=True)
class AccountChange:
    """The result of an account write: the account it created (None for the writes that change an existing one)
    and what it touched, for ``ui.operations.run_write`` (always the accounts, never a patient)."""

    user: User | None = None
    changes: Changes = field(default_factory=_accounts)


def sign_in(session: StudySession, username: str, password: str, *, origin: str | None = None) -> User:
    """Check the password and make ``username`` the session's user; :class:`AuthError` otherwise (audited).

    ``origin`` (e.g. "command line on HOST") is appended to the audit entry's detail, so the trail says where
    a sign-in, or a refused attempt, came from (21 CFR Part 11 §11.300(d)).
    """
    try:
        user = authenticate(session.store, username, password)
    except AuthError:
        refused = _with_origin("wrong credentials", origin)
        access.log_access(session.store, username=username, action="sign-in-refused", detail=refused)
        raise
    session.signed_in = user  # the store now reads and writes through this user's access policy
    detail = _with_origin(str(user.role), origin)
    access.log_access(session.store, username=user.username, action="sign-in", detail=detail)
    return user


def _with_origin(detail: str, origin: str | None) -> str:
    """The audit detail with where the sign-in came from, e.g. "reader, command line on HOST"."""
    return f"{detail}, {origin}" if origin else detail


def sign_out(session: StudySession) -> None:
    """End the signed-in session; later writes are audited as "system" until someone signs in."""
    if session.signed_in is not None:
        access.log_access(session.store, username=session.signed_in.username, action="sign-out")
    session.signed_in = None


def current_user(session: StudySession) -> User | None:
    """The signed-in user, or None."""
    return session.signed_in


def require_role(session: StudySession, *roles: Role) -> User:
    """The signed-in user if their role is one of ``roles``; PermissionError otherwise."""
    user = session.signed_in
    if user is None:
        raise PermissionError("sign in first")
    if roles and user.role not in roles:
        allowed = " or ".join(str(r) for r in roles)
        raise PermissionError(f"{user.username} ({user.role}) may not do this: {allowed} role required")
    return user


def users(session: StudySession) -> list[User]:
    """All accounts (no secrets)."""
    return list_users(session.store)


def add_user(session: StudySession, *, username: str, full_name: str, role: Role | str, password: str) -> AccountChange:
    """Add an account (admin only; audited without the password); the result's ``user`` is the new account."""
    require_role(session, Role.ADMIN)
    user = create_user(session.store, username=username.strip(), full_name=full_name, role=role, password=password)
    return AccountChange(user)


def reset_password(session: StudySession, *, username: str, new_password: str) -> AccountChange:
    """Set another user's password (admin only; audited without the secret)."""
    admin = require_role(session, Role.ADMIN)
    access.set_password(session.store, username, new_password, reason=f"password reset by {admin.username}")
    return AccountChange()


def change_password(session: StudySession, *, old_password: str, new_password: str) -> AccountChange:
    """The signed-in user changes their own password (the old one re-entered)."""
    user = require_role(session)
    authenticate(session.store, user.username, old_password)
    access.set_password(session.store, user.username, new_password, reason="password changed by its owner")
    return AccountChange()


def set_user_active(session: StudySession, *, username: str, active: bool, reason: str) -> AccountChange:
    """(De)activate an account (admin only; an inactive user cannot sign in or sign)."""
    require_role(session, Role.ADMIN)
    if not reason.strip():
        raise ValueError("a reason is required")
    access.set_active(session.store, username, active, reason=reason)
    return AccountChange()


def needs_first_admin(session: StudySession) -> bool:
    """True for a study without any account: the sign-in dialog must offer to create the first admin."""
    return access.user_count(session.store) == 0


def create_first_admin(session: StudySession, *, username: str, full_name: str, password: str) -> AccountChange:
    """Create the first admin of an account-less study and sign them in (refused once any account exists); the
    result's ``user`` is the signed-in admin."""
    if not needs_first_admin(session):
        raise PermissionError("this study already has users: an admin must add new ones")
    create_user(session.store, username=username.strip(), full_name=full_name, role=Role.ADMIN, password=password)
    return AccountChange(sign_in(session, username.strip(), password))


def demo_users_hint(session: StudySession) -> list[tuple[str, str]] | None:
    """``[(username, password), ...]`` of the demo accounts (docs/demo-study.md) — only on the demo study,
    and only for demo accounts present and active in it; None on any other study.

    The demo study is recognised by its ``demo`` flag (``store.access.mark_demo``) or, for files written
    before the flag, by having been created by the demo simulator (the first audit entry's user).
    """
    try:
        from hccreview.demo.design import DEMO_USERS
        from hccreview.demo.simulate import SIMULATOR_USER
    except ImportError:  # pragma: no cover - the demo package is part of the product
        return None
    if session.signed_in is not None:  # for the sign-in dialog only: a signed-in reader learns no other account
        return None
    if not (access.is_demo(session.store) or access.first_writer(session.store) == SIMULATOR_USER):
        return None
    present = {u.username for u in list_users(session.store)}
    active = access.active_usernames(session.store)
    return [(u.username, u.password) for u in DEMO_USERS if u.username in present & active]
