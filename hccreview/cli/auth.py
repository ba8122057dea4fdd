"""Signing in on the command line (issue 17 item 8): a command-line write names a person and the machine.

Every command that writes to a study file takes ``--user NAME``; the password comes from the environment
variable ``HCCREVIEW_PASSWORD`` or, when standard input is a terminal, from a prompt (never from an argument,
which other users of the machine could read in the process list). :func:`signed_session` opens the study and
signs in before any write, so the audit trail names the user instead of ``system``; the sign-in entry says it
came from the command line and on which host (21 CFR Part 11 §11.10(e), §11.300(d)).

A study without accounts (just made by ``init``, ``import`` or ``demo``) is still written by the unsigned
command line; once a study has accounts, a write without ``--user`` is a usage error (exit 2). A refused
sign-in — unknown user, inactive account, wrong password — is refused input (exit 1); the refused attempt
itself is audited, nothing else is written. Whether the user's *role* may make the write is decided below the
command line (the store's write gate raises a ``PermissionError``, which the commands print with exit 1).
"""

from __future__ import annotations

import argparse
import getpass
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hccreview.services import auth
from hccreview.services.session import StudySession, open_study

__all__ = [
    "PASSWORD_ENV",
    "SignInRefused",
    "add_user_option",
    "check_can_sign_in",
    "origin",
    "refuse",
    "signed_session",
]

#: The environment variable a script sets to give the password of ``--user`` without a prompt.
PASSWORD_ENV = "HCCREVIEW_PASSWORD"


class SignInRefused(Exception):
    """The command cannot sign in as asked; ``code`` is the exit status (2 usage, 1 refused input)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def add_user_option(
    parser: argparse.ArgumentParser, *, what: str | None = "to change a study with user accounts"
) -> None:
    """Add ``--user NAME`` to a sub-command, required ``what`` (None: optional; the password is never an argument,
    see the module docstring)."""
    need = f"required {what}" if what else "optional: names the PDF's author"
    parser.add_argument(
        "--user", default=None, metavar="NAME", help=f"sign in as NAME (password: ${PASSWORD_ENV} or a prompt); {need}"
    )


def origin() -> str:
    """Where a command-line sign-in comes from, for its audit entry and a PDF's author: this host."""
    return f"command line on {socket.gethostname()}"


def refuse(command: str, exc: SignInRefused) -> int:
    """Print the refusal on stderr; returns its exit status."""
    print(f"hccreview {command}: {exc}", file=sys.stderr)
    return exc.code


def _password(user: str) -> str:
    """The password of ``user``: from the environment, else a prompt on a terminal, else a usage error."""
    value = os.environ.get(PASSWORD_ENV)
    if value is not None:
        return value
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(f"password of {user}: ")
    raise SignInRefused(f"no password for --user {user}: set {PASSWORD_ENV} or run on a terminal", 2)


def check_can_sign_in(args: argparse.Namespace, path: str | Path) -> None:
    """Refuse ``--user`` on a study file that does not exist yet: nobody can sign in on it (usage error)."""
    if getattr(args, "user", None) and not Path(path).exists():
        raise SignInRefused(f"{path} does not exist yet, so it has no user accounts: run without --user", 2)


@contextmanager
def signed_session(args: argparse.Namespace, path: str | Path, *, writes: bool = True) -> Iterator[StudySession]:
    """The open study, signed in as ``args.user`` when given (signed out and closed afterwards).

    ``writes``: the command will change the study, so a study with accounts needs ``--user`` (a read-only
    command signs in only when asked, e.g. for the PDF's author). Raises :class:`SignInRefused` before anything
    but the refused attempt's audit entry is written; ``StoreError`` when the study cannot be opened.
    """
    user = getattr(args, "user", None)
    check_can_sign_in(args, path)
    session = open_study(path)
    try:
        has_accounts = not auth.needs_first_admin(session)
        if user is None:
            if writes and has_accounts:
                raise SignInRefused(
                    f"{path} has user accounts: --user NAME is required to change it (the audit trail names who)", 2
                )
        elif not has_accounts:
            raise SignInRefused(f"{path} has no user accounts yet, so nobody can sign in: run without --user", 2)
        else:
            password = _password(user)
            try:
                auth.sign_in(session, user, password, origin=origin())
            except auth.AuthError:
                raise SignInRefused(
                    f"sign-in as {user} refused (unknown user, inactive account or wrong password); "
                    "no data was changed",
                    1,
                ) from None
        yield session
    finally:
        try:
            if session.signed_in is not None:
                auth.sign_out(session)
        finally:
            session.close()
