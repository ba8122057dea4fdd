"""The checks behind ``hccreview verify``."""

from __future__ import annotations

from pathlib import Path

from hccreview.store import Store
from hccreview.store.images import all_instances, has_image_tables, image_root
from hccreview.store.integrity import Check, run_checks

__all__ = ["Check", "verify_study"]


def verify_study(path: str | Path) -> list[Check]:
    """Run every integrity check on a study file without migrating it (read-only use); with registered images,
    also whether each image file is present under the image root and unaltered (each problem named)."""
    with Store.open(path, migrate=False) as store:
        checks = run_checks(store)
        if has_image_tables(store) and (files := all_instances(store)):
            from hccreview.services.images import file_problems  # pydicom loads only for a study with images

            problems = file_problems(store)
            intact = f"{len(files)} registered image file(s) present and unaltered under {image_root(store)}"
            detail = "; ".join(problems) if problems else intact
            checks.append(Check("image_files", not problems, detail))
        return checks
