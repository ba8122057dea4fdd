"""Key images of a read (issue 22 item 2): the images a reader's result rests on.

Every slice a caliper of the read was drawn on is a key image of that read by itself (derived from the
measurements, never stored twice); the reader may add others (a ``key_images`` row: a finding without a caliper,
the slice that shows an equivocal new lesion). One key image per (series, instance, frame); a slice carrying
several lesions' calipers is one key image naming them all. The KOS document of a read (DICOM PS3.3 A.35.4, Key
Object Selection, title "Of Interest") lists them, and the case packet shows them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from hccreview.domain import calipers
from hccreview.domain.records import Measurement

CALIPER, MANUAL = "caliper", "manual"


@dataclass(frozen=True)
class KeyImage:
    """One key image of one read: where it is, which lesions' calipers are on it, and why it is key."""

    subject_id: str
    reader: str
    date: date
    series_uid: str
    sop_instance_uid: str
    frame: int = 1
    lesion_ids: tuple[str, ...] = ()
    source: str = CALIPER  # caliper (derived) / manual (marked by the reader; ``note`` says why)
    note: str = ""
    key_id: int | None = None  # the ``key_images`` row of a manual one (to remove it)

    @property
    def where(self) -> tuple[str, str, int]:
        return (self.series_uid, self.sop_instance_uid, self.frame)


def key_images_of_read(
    measurements: Iterable[Measurement], manual: Iterable[Mapping[str, Any]], *, subject_id: str, reader: str, day: date
) -> list[KeyImage]:
    """The key images of ``reader``'s read of ``subject_id`` at ``day``: the caliper slices of its measurements
    (lesions in id order), then the manual ``key_images`` rows of that read not already among them, in the order
    they were marked. Measurements and rows of other reads are ignored, so a caller may pass a whole case."""
    found: dict[tuple[str, str, int], KeyImage] = {}
    for m in sorted(measurements, key=lambda x: x.lesion_id):
        if m.subject_id != subject_id or m.reader != reader or m.date != day or not m.caliper:
            continue
        try:
            drawn = calipers.parse(m.caliper)
        except calipers.CaliperError:
            continue  # an unreadable caliper is reported by the rules, not made a key image
        for c in drawn:
            where = (c.series_uid, c.sop_instance_uid, 1)
            known = found.get(where)
            ids = (*known.lesion_ids, m.lesion_id) if known else (m.lesion_id,)
            found[where] = KeyImage(subject_id, reader, day, c.series_uid, c.sop_instance_uid, 1,
                                    tuple(dict.fromkeys(ids)))  # fmt: skip
    for row in sorted(manual, key=lambda r: int(r.get("id") or 0)):
        if row.get("subject_id") != subject_id or row.get("reader") != reader or str(row.get("date")) != str(day):
            continue
        where = (str(row["series_uid"]), str(row["sop_instance_uid"]), int(row.get("frame") or 1))
        if where in found:
            continue
        key_id = int(row["id"]) if row.get("id") is not None else None
        note = str(row.get("note") or "")
        found[where] = KeyImage(subject_id, reader, day, where[0], where[1], where[2], (), MANUAL, note, key_id)
    return list(found.values())


__all__ = ["CALIPER", "MANUAL", "KeyImage", "key_images_of_read"]
