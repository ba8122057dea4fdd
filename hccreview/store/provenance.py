"""Provenance of a study file for exported documents: which data a report shows.

- :func:`review_digest`: the SHA-256 of every data table, the settings and the audit trail
  (:func:`hccreview.store.study_data.review_tables_digest`); any change of review data changes it.
- :func:`audit_head`: the ``entry_hash`` of the last audit entry — the head of the hash chain
  (:mod:`hccreview.store.audit`), so a reader can match a printed report to an exact point of the trail.
"""

from __future__ import annotations

from dataclasses import dataclass

from hccreview.store.database import Store
from hccreview.store.study_data import review_tables_digest

__all__ = ["StudyProvenance", "audit_head", "audit_length", "review_digest", "study_provenance"]


def audit_head(store: Store) -> str | None:
    """The hash of the newest audit entry (None for an empty trail)."""
    row = store.conn.execute("SELECT entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return None if row is None else str(row[0])


def audit_length(store: Store) -> int:
    """How many entries the audit trail holds."""
    return int(store.conn.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0])


def review_digest(store: Store) -> str:
    """SHA-256 (hex) of the study's review data and audit trail."""
    return review_tables_digest(store)


@dataclass(frozen=True)
class StudyProvenance:
    """What identifies the data behind a document: digest, audit-chain head and length, file name."""

    review_digest: str
    audit_head: str | None
    audit_entries: int
    file_name: str


def study_provenance(store: Store) -> StudyProvenance:
    """Digest, audit head and trail length read in one go (one consistent snapshot inside a read transaction)."""
    conn = store.conn
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        return StudyProvenance(review_digest(store), audit_head(store), audit_length(store), store.path.name)
    finally:
        if own:
            conn.execute("COMMIT")
