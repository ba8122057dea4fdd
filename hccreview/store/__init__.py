"""The study store: the only package that speaks SQL (sqlite-utils over one SQLite file per study)."""

from hccreview.store.database import Store, StoreError

__all__ = ["Store", "StoreError"]
