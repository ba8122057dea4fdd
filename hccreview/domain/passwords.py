"""The password rule of the accounts, in one place: the store refuses a password that breaks it, and the account
forms (first admin, add user, reset password) say what is still missing before they let the user submit.

21 CFR Part 11 §11.300 asks for controls over identification codes and passwords; the minimum length is the one
control expressed as a rule here (the hashing is ``store.users``).
"""

from __future__ import annotations

#: The fewest characters a password may have.
MIN_LENGTH = 8


def password_problem(password: str, repeat: str | None = None) -> str | None:
    """What a new password still needs, as the forms say it ("a password of at least 8 characters", "the two
    passwords differ"); None when it is acceptable. ``repeat``: the second entry of the form, when it has one."""
    if len(password) < MIN_LENGTH:
        return f"a password of at least {MIN_LENGTH} characters"
    if repeat is not None and password != repeat:
        return "the two passwords differ"
    return None


def check_password(password: str) -> None:
    """Refuse (ValueError) a password that breaks the rule."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"password must have at least {MIN_LENGTH} characters")
