"""The checks behind ``hccreview verify``."""

from __future__ import annotations

from pathlib import Path

from hccreview.store import Store
from hccreview.store.images import all_instances, has_image_tables, image_root
from hccreview.store.integrity import Check, run_checks
from hccreview.store.structured_reports import document_digests, has_documents_table

__all__ = ["Check", "document_problems", "verify_study"]


def verify_study(path: str | Path) -> list[Check]:
    """Run every integrity check on a study file without migrating it (read-only use); with registered images,
    also whether each image file is present under the image root and unaltered; with stored DICOM documents,
    whether each one's bytes still have the SHA-256 of its row and of its audit entry (each problem named)."""
    with Store.open(path, migrate=False) as store:
        checks = run_checks(store)
        if has_image_tables(store) and (files := all_instances(store)):
            from hccreview.services.images import file_problems  # pydicom loads only for a study with images

            problems = file_problems(store)
            intact = f"{len(files)} registered image file(s) present and unaltered under {image_root(store)}"
            detail = "; ".join(problems) if problems else intact
            checks.append(Check("image_files", not problems, detail))
        if has_documents_table(store) and (digests := document_digests(store)):
            problems = document_problems(store)
            intact = f"{len(digests)} stored DICOM document(s) match their rows and the audit trail"
            checks.append(Check("dicom_documents", not problems, "; ".join(problems) if problems else intact))
        return checks


def document_problems(store: Store) -> list[str]:
    """Each stored DICOM document (SR, KOS) whose bytes' SHA-256 differs from its row's or from its audit insert
    entry's, or that no audit entry records, in words."""
    out = []
    for d in document_digests(store):
        what = f"{d.kind} {d.sop_instance_uid}"
        if d.actual != d.row:
            out.append(f"{what}: the stored document's SHA-256 differs from its row's")
        if not d.audit:
            out.append(f"{what}: no audit entry records its SHA-256")
        elif d.actual != d.audit:
            out.append(f"{what}: the stored document's SHA-256 differs from the audit trail's")
    return out
