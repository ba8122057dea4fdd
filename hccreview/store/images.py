"""Rows of the study's image index (issue 21): ``image_series``, ``image_instances`` and the image root setting.

The index holds UIDs, paths relative to the image root, geometry and hashes — never pixels. Writes go through
:class:`~hccreview.store.database.Store` and its write gate (registering images is the admin's, or the system
context building a new study): a registration is two bulk inserts in one transaction (one audit entry per table
naming the row count and the digest of what was written), a replaced series is deleted row by row (each row kept
in the audit trail) with the reason, and the image root is a ``settings`` row changed with a reason. Reads go
through :meth:`Store.rows`, so the access policy applies (every role sees the index: scan dates are needed to
read, DESIGN §4b).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from hccreview.domain.images import IMAGE_ROOT_KEY, ImageInstance, ImageSeries
from hccreview.store.database import Store
from hccreview.store.rows import from_row, to_row

__all__ = [
    "all_instances",
    "delete_series",
    "get_series",
    "has_image_tables",
    "image_root",
    "instances_of",
    "list_series",
    "register",
    "set_image_root",
]

SERIES = "image_series"
INSTANCES = "image_instances"


def has_image_tables(store: Store) -> bool:
    """Whether the study file has the image index (schema 6 or later; ``verify`` opens files unmigrated)."""
    found = store.conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)", [SERIES, INSTANCES]
    ).fetchone()[0]
    return int(found) == 2


def register(
    store: Store, series: Sequence[ImageSeries], instances: Sequence[ImageInstance], *, note: str
) -> tuple[int, int]:
    """Insert ``series`` and their ``instances`` in one transaction (audited as one entry per table naming
    ``note``); returns (series, instances) written. The write gate refuses it for anyone but the admin."""
    with store.transaction():
        n_series = store.bulk_insert(SERIES, [to_row(s) for s in series], note=note)
        n_instances = store.bulk_insert(INSTANCES, [to_row(i) for i in instances], note=note)
    return n_series, n_instances


def list_series(store: Store, subject_id: str | None = None) -> list[ImageSeries]:
    """Registered series (one subject's, or all), ordered by subject, date, phase and description."""
    if subject_id is None:
        rows = store.rows(SERIES, order_by="subject_id, date, phase, description, series_uid")
    else:
        rows = store.rows(SERIES, "subject_id = ?", [subject_id], order_by="date, phase, description, series_uid")
    return [from_row(ImageSeries, r) for r in rows]


def get_series(store: Store, series_uid: str) -> ImageSeries | None:
    """One registered series, or None."""
    rows = store.rows(SERIES, "series_uid = ?", [series_uid])
    return from_row(ImageSeries, rows[0]) if rows else None


def instances_of(store: Store, series_uid: str) -> list[ImageInstance]:
    """The images of a series along the slice normal (then by instance number)."""
    rows = store.rows(INSTANCES, "series_uid = ?", [series_uid], order_by="slice_location, instance_number, path")
    return [from_row(ImageInstance, r) for r in rows]


def all_instances(store: Store) -> list[ImageInstance]:
    """Every registered image by path (the file check walks them all and names them in this order)."""
    rows = store.rows(INSTANCES, order_by="path, sop_instance_uid")
    return [from_row(ImageInstance, r) for r in rows]


def delete_series(store: Store, series_uid: str, *, reason: str) -> int:
    """Remove a series and its images from the index (each row kept in the audit trail with ``reason``); returns
    the images removed. Only a confirmed re-import of changed files calls this."""
    with store.transaction():
        keys = [r[0] for r in store.conn.execute(
            f"SELECT sop_instance_uid FROM {INSTANCES} WHERE series_uid = ? ORDER BY rowid", [series_uid]
        )]  # fmt: skip
        for key in keys:
            store.delete(INSTANCES, key, reason=reason)
        store.delete(SERIES, series_uid, reason=reason)
    return len(keys)


def image_root(store: Store) -> str:
    """The image root folder of the study ("" when none is set yet)."""
    rows = store.rows("settings", "key = ?", [IMAGE_ROOT_KEY])
    return str(json.loads(rows[0]["value"]) or "") if rows else ""


def set_image_root(store: Store, path: str, *, reason: str) -> None:
    """Set the image root (an absolute folder), audited with ``reason``."""
    value = json.dumps(path)
    with store.transaction():
        if store.rows("settings", "key = ?", [IMAGE_ROOT_KEY]):
            store.update("settings", IMAGE_ROOT_KEY, {"value": value}, reason=reason)
        else:
            store.insert("settings", {"key": IMAGE_ROOT_KEY, "value": value}, reason=reason)
