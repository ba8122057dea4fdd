"""Backups of a study file: the automatic one before an import, listing them, and restoring one.

No SQL here: :mod:`hccreview.store.backup` copies files and databases, :mod:`hccreview.store.integrity` checks them.
``restore`` verifies the chosen backup with the same checks as ``hccreview verify`` before it touches the study,
and never deletes the current file (it is moved aside to ``STUDY.db.replaced-<time>``). Once the current study has
user accounts only its admins may restore it (DESIGN §4b: restoring backups is an admin's), and the restored file's
audit trail records who restored it, from which backup (21 CFR Part 11 §11.10(e)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hccreview.domain.access import Access, AccessDenied, Capability
from hccreview.store import Store, StoreError
from hccreview.store.access import user_count
from hccreview.store.backup import list_backups, log_restore, replace_with, snapshot
from hccreview.store.integrity import Check, run_checks
from hccreview.store.users import User

__all__ = ["BackupInfo", "RestoreRefused", "RestoreResult", "backup_before", "backups_of", "restore"]


class RestoreRefused(Exception):
    """The backup cannot be restored (missing, not a study file, or failing a check); nothing was changed."""


@dataclass(frozen=True)
class BackupInfo:
    """One backup file: where it is, when it was written (UTC), how large it is."""

    path: Path
    modified: datetime
    size: int

    def line(self) -> str:
        """One line for a person: time, size, path."""
        return f"{self.modified:%Y-%m-%d %H:%M:%S} UTC  {self.size / 1024:8.0f} KiB  {self.path}"


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did: the backup brought back, where the replaced file went, the checks it passed."""

    study: Path
    backup: Path
    replaced: Path | None
    checks: list[Check]


def backup_before(store: Store, *, why: str) -> Path:
    """Take an online backup of the open ``store`` into its ``STUDY.db.backups/`` folder; returns the file."""
    return snapshot(store.conn, store.path, why=why)


def backups_of(study: str | Path) -> list[BackupInfo]:
    """The backups of ``study`` (before-import copies and migration copies), newest first."""
    out = []
    for p in list_backups(study):
        st = p.stat()
        out.append(BackupInfo(p, datetime.fromtimestamp(st.st_mtime, UTC), st.st_size))
    return out


def restore(
    study: str | Path, backup: str | Path, *, by: User | None = None, origin: str | None = None
) -> RestoreResult:
    """Verify ``backup`` and put it in place of ``study`` (the current file is moved aside, not deleted).

    ``by`` is the user signed in on the current study (None: nobody); ``origin`` where from (e.g. "command line on
    HOST"), both for the restore's audit entry in the restored file. Raises :class:`RestoreRefused` (nothing
    changed) when the backup is missing, is not a study file, or fails an integrity check, and
    :class:`~hccreview.domain.access.AccessDenied` when the current study has accounts and ``by`` is not an admin.
    """
    study, backup = Path(study), Path(backup)
    if not backup.is_file():
        raise RestoreRefused(f"{backup}: no such backup file")
    if study.exists() and study.resolve() == backup.resolve():
        raise RestoreRefused(f"{backup}: that is the study file itself")
    try:
        with Store.open(backup, migrate=False) as store:
            checks = run_checks(store)
    except StoreError as exc:
        raise RestoreRefused(f"cannot restore: {exc}") from exc
    failed = [c for c in checks if not c.ok]
    if failed:
        detail = "; ".join(f"{c.name}: {c.detail}" for c in failed)
        raise RestoreRefused(f"{backup}: fails verification ({detail}); nothing was changed")
    _check_may_restore(study, by)
    replaced = replace_with(study, backup)
    username = by.username if by is not None else "system"
    with Store.open(study, user=username) as restored:
        detail = f"restored from backup {backup.name}" + (f", {origin}" if origin else "")
        log_restore(restored, username=username, backup=backup, replaced=replaced, detail=detail)
    return RestoreResult(study=study, backup=backup, replaced=replaced, checks=checks)


def _check_may_restore(study: Path, by: User | None) -> None:
    """Refuse unless ``by`` is an admin of the current study, once it has accounts.

    A missing or unreadable study file has no accounts anyone could sign in with: the file system's permissions
    decide who may replace it (it is moved aside, never deleted).
    """
    try:
        with Store.open(study, migrate=False) as current:
            accounts = user_count(current)
    except StoreError:
        return
    if not accounts:
        return
    if by is None:
        raise AccessDenied(
            f"{study.name} has user accounts: an admin must sign in to restore it (command line: --user)"
        )
    Access(by.username, by.role).require(Capability.ADMINISTER)
