"""What a reader's own lesion list needs to know past the row filter: the patient's scan dates, and who recorded
a row (``services.lesions``).

Both read the raw connection, as ``review_state.scan_dates`` does: a blinded reader with no rows of their own must
still learn when the patient was scanned (DESIGN §4b: "scan dates" are what every reader sees), and whether a
lesion of theirs was recorded by them in hccreview or came with the study's data. Dates and a user name leave
these functions; no value, response or other evaluator's name does.
"""

from __future__ import annotations

from datetime import date

from hccreview.store.database import Store


def subject_scan_dates(store: Store, subject_id: str) -> list[date]:
    """Every date the patient was scanned, the baseline included, in order: the dates of any evaluator's
    measurements and reads and of registered image series (dates only)."""
    rows = store.conn.execute(
        """SELECT date FROM measurements WHERE subject_id = :sid
           UNION SELECT date FROM reads WHERE subject_id = :sid
           UNION SELECT date FROM image_series WHERE subject_id = :sid""",
        {"sid": subject_id},
    )
    return sorted({date.fromisoformat(str(day)[:10]) for (day,) in rows if day})


def recorded_by(store: Store, table: str, key: int) -> str | None:
    """Who created the row ``key`` of ``table`` one row at a time (its audit trail's newest "create" entry), or
    None when it came in a batch (an import or the demo build writes one entry per batch, not per row)."""
    found = store.conn.execute(
        "SELECT username FROM audit_log WHERE table_name = ? AND row_key = ? AND action = 'create' "
        "ORDER BY seq DESC LIMIT 1",
        [table, str(key)],
    ).fetchone()
    return None if found is None else str(found[0])
