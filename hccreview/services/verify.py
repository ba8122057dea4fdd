"""The checks behind ``hccreview verify``."""

from __future__ import annotations

from pathlib import Path

from hccreview.store import Store
from hccreview.store.integrity import Check, run_checks

__all__ = ["Check", "verify_study"]


def verify_study(path: str | Path) -> list[Check]:
    """Run every integrity check on a study file without migrating it (read-only use)."""
    with Store.open(path, migrate=False) as store:
        return run_checks(store)
