"""The open study: store handle, settings and the signed-in user; what a worker receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hccreview.domain.access import Access
from hccreview.domain.records import Criteria, Role, StudyData, StudySettings
from hccreview.store import Store, StoreError
from hccreview.store.study_data import StudyCache
from hccreview.store.users import User

__all__ = ["StoreError", "StudySession", "create_study", "open_study"]


@dataclass
class StudySession:
    """An open study file on behalf of one user. Close it when done (or use ``with``).

    ``signed_in`` is the user who signed in with a password (``services.auth.sign_in``); None is the
    unsigned system context of the command line and scripts. ``user`` is the name writes are audited under.
    """

    store: Store
    _signed_in: User | None = field(default=None, repr=False)
    _cache: StudyCache | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def signed_in(self) -> User | None:
        """The user who signed in (None: the unsigned system context)."""
        return self._signed_in

    @signed_in.setter
    def signed_in(self, user: User | None) -> None:
        """Every read and write of the store goes through this user's access from now on (DESIGN §4b)."""
        self._signed_in = user
        self.store.sign_as(user.username if user else None, user.role if user else None)

    @property
    def access(self) -> Access:
        """The signed-in user's access policy (``domain.access``), applied by the store to every read and write."""
        return self.store.access

    @property
    def path(self) -> Path:
        return self.store.path

    @property
    def user(self) -> str:
        return self.store.user

    @property
    def role(self) -> Role | None:
        """The signed-in user's role (None when nobody signed in)."""
        return self.signed_in.role if self.signed_in is not None else None

    def settings(self) -> StudySettings:
        return self.store.settings()

    def data(self) -> StudyData:
        """All records of the study as they stand in the file now (the store is the source of truth).

        Served from a :class:`~hccreview.store.study_data.StudyCache`: the first call reads everything; later
        calls cost one ``PRAGMA`` when nothing changed, and re-read only the subjects that writes (through
        this session or any other connection to the file) touched since. The records are immutable and may be
        shared between threads.
        """
        return self.cache.data()

    @property
    def cache(self) -> StudyCache:
        """The study cache behind :meth:`data` (created on first use)."""
        if self._cache is None or self._cache.store is not self.store:
            self._cache = StudyCache(self.store)
        return self._cache

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
    **settings: Any,
) -> StudySession:
    """Create a new, empty study file (``settings``: further StudySettings fields, each of its own type)."""
    crit = criteria if isinstance(criteria, Criteria) else Criteria.parse(criteria)
    return StudySession(Store.create(path, StudySettings(title=title, criteria=crit, **settings), user=user))
