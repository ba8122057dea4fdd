"""The open study: store handle, settings and the signed-in user; what a worker receives."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hccreview.domain.records import Criteria, StudyData, StudySettings
from hccreview.store import Store, StoreError
from hccreview.store.study_data import load_study

__all__ = ["StoreError", "StudySession", "create_study", "open_study"]


@dataclass
class StudySession:
    """An open study file on behalf of one user. Close it when done (or use ``with``)."""

    store: Store

    @property
    def path(self) -> Path:
        return self.store.path

    @property
    def user(self) -> str:
        return self.store.user

    def settings(self) -> StudySettings:
        return self.store.settings()

    def data(self) -> StudyData:
        """All records of the study (a fresh read: the store is the source of truth)."""
        return load_study(self.store)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> StudySession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_study(path: str | Path, *, user: str = "system") -> StudySession:
    """Open a study file (migrating an older schema after a backup copy)."""
    return StudySession(Store.open(path, user=user))


def create_study(
    path: str | Path,
    *,
    title: str,
    criteria: Criteria | str = Criteria.RECIST11,
    user: str = "system",
    **settings: object,
) -> StudySession:
    """Create a new, empty study file."""
    crit = criteria if isinstance(criteria, Criteria) else Criteria.parse(criteria)
    return StudySession(Store.create(path, StudySettings(title=title, criteria=crit, **settings), user=user))
