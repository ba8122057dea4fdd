"""A read's key images (issue 22 item 2): mark or unmark a slice, and list the key images of a case.

Every slice a caliper of a read was drawn on is a key image of that read by itself (``domain.key_images``: derived
from the measurements, never stored twice); the reader marks others (the slice showing an equivocal new lesion, a
finding without a caliper) with :func:`add_key_image`, a ``key_images`` row of their own read at one timepoint.
The write gate refuses another reader's read, a submitted one and a locked case; the services say so first, in
the gate's words. Each write returns an :class:`~hccreview.services.review.Edit` (its ``changes`` go on the change
bus) that ``services.review.revert`` undoes: an undone mark deletes the row, an undone unmark inserts it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hccreview.domain.access import AccessDenied, Capability
from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.key_images import KeyImage, key_images_of_read
from hccreview.domain.records import Measurement
from hccreview.services.lesions import own_reader, scan_day
from hccreview.services.review import Edit, ValidationError
from hccreview.services.session import StudySession
from hccreview.store import images as image_index
from hccreview.store import key_images as rows
from hccreview.store import write_gate
from hccreview.store.study_data import load_study

__all__ = ["ReadKeyImages", "add_key_image", "key_images", "read_key_images", "remove_key_image"]


@dataclass(frozen=True)
class ReadKeyImages:
    """One evaluator's key images of a patient as the Images tab shows them, and the dates their reader has
    submitted (read-only: nothing is marked or unmarked there)."""

    subject_id: str
    reader: str
    images: tuple[KeyImage, ...]
    submitted: frozenset[date]

    def at(self, day: date | None) -> list[KeyImage]:
        """The key images of the read at ``day``."""
        return [k for k in self.images if k.date == day]


def _changes(subject_id: str) -> Changes:
    """What a key image touches: the patient's read on the images (the case view and Images tab reload on it)."""
    return Changes.of(subject_id, kinds={ChangeKind.LESIONS})


def _refuse_early(session: StudySession, op: str, subject_id: str, reader: str, day: date) -> None:
    """Refuse, in the write gate's words, what it would refuse: a locked case, a submitted read."""
    conn = session.store.conn
    what = f"{op} key images of {subject_id}"
    if write_gate.is_locked(conn, subject_id):
        raise write_gate.locked_refusal(session.access, what, subject_id)
    if write_gate.is_submitted(conn, subject_id, reader, day.isoformat()):
        raise write_gate.submitted_refusal(what, reader)


def _check_slice(session: StudySession, subject_id: str, series_uid: str, sop_instance_uid: str) -> None:
    """The slice is a registered image of one of the patient's series (a key image points at a real image)."""
    series = image_index.get_series(session.store, series_uid)
    if series is None or series.subject_id != subject_id:
        raise ValidationError("series_uid", series_uid, f"not a registered series of {subject_id}")
    if not any(i.sop_instance_uid == sop_instance_uid for i in image_index.instances_of(session.store, series_uid)):
        raise ValidationError("sop_instance_uid", sop_instance_uid, "not an image of that series")


def add_key_image(
    session: StudySession, subject_id: str, day: date | str, series_uid: str, sop_instance_uid: str, *, note: str = ""
) -> Edit:
    """Mark the slice as a key image of the signed-in reader's read of ``subject_id`` at ``day`` (``note``: why).
    A slice already marked, or carrying a caliper of that read, is a key image already: ValidationError says so
    and nothing is written. Refused on another reader's read, a submitted read or a locked case."""
    reader = own_reader(session)
    when = scan_day(day, "day")
    _check_slice(session, subject_id, series_uid, sop_instance_uid)
    _refuse_early(session, "insert", subject_id, reader, when)
    if any(k.sop_instance_uid == sop_instance_uid for k in _of_read(session, subject_id, reader, when)):
        raise ValidationError("sop_instance_uid", sop_instance_uid, f"already a key image of your read of {subject_id} "
                              f"on {when.isoformat()}")  # fmt: skip
    key, row = rows.insert(session.store, subject_id=subject_id, reader=reader, day=when, series_uid=series_uid,
                           sop_instance_uid=sop_instance_uid, note=note.strip())  # fmt: skip
    return Edit(_changes(subject_id), rows.TABLE, key, {}, row)


def remove_key_image(session: StudySession, key_id: int, *, reason: str) -> Edit:
    """Unmark a key image the signed-in reader marked (a caliper slice stays one while its caliper does: remove
    the caliper instead). The row is kept whole in the audit trail with ``reason``."""
    reader = own_reader(session)
    try:
        row = rows.get(session.store, int(key_id))
    except KeyError:
        raise ValidationError("key_id", key_id, "no such key image") from None
    if row["reader"] != reader:
        raise ValidationError("key_id", key_id, "not a key image of your read")
    _refuse_early(session, "delete", str(row["subject_id"]), reader, date.fromisoformat(str(row["date"])))
    old = rows.delete(session.store, int(key_id), reason=(reason or "").strip() or "key image unmarked by its reader")
    return Edit(_changes(str(row["subject_id"])), rows.TABLE, int(key_id), old, {})


def _measurements(session: StudySession, subject_id: str) -> tuple[Measurement, ...]:
    """The patient's measurements the signed-in user may see (a blinded reader: their own)."""
    data = load_study(session.store, ("subjects", "measurements"), subject_id=subject_id)
    if not data.subjects:
        raise KeyError(f"no patient {subject_id!r} in this study")
    return data.measurements


def _of_read(session: StudySession, subject_id: str, reader: str, day: date) -> list[KeyImage]:
    marked = rows.rows_of(session.store, subject_id, reader)
    return key_images_of_read(_measurements(session, subject_id), marked, subject_id=subject_id, reader=reader,
                              day=day)  # fmt: skip


def key_images(session: StudySession, subject_id: str, reader: str | None = None) -> list[KeyImage]:
    """The key images of every read of ``subject_id`` the signed-in user may see (or of ``reader``'s only), read
    by read (reader, then date): each read's caliper slices, then the slices its reader marked."""
    ms = _measurements(session, subject_id)
    marked = rows.rows_of(session.store, subject_id, reader)
    reads = {(m.reader, m.date) for m in ms if m.caliper} | {
        (str(r["reader"]), date.fromisoformat(str(r["date"]))) for r in marked
    }
    return [k for who, day in sorted(reads) if reader is None or who == reader
            for k in key_images_of_read(ms, marked, subject_id=subject_id, reader=who, day=day)]  # fmt: skip


def read_key_images(session: StudySession, subject_id: str, reader: str) -> ReadKeyImages:
    """``reader``'s key images of ``subject_id`` (as far as the signed-in user may see that read: a blinded reader
    sees only their own: another reader's is refused) and the dates of that read already submitted."""
    access = session.access
    if reader != access.username and not access.may(Capability.SEE_OTHER_READS):
        raise AccessDenied(f"{access.who} may see only their own key images (the study's blinding)")
    found = key_images(session, subject_id, reader)
    done = session.store.rows("reads", "subject_id = ? AND reader = ? AND submitted_at IS NOT NULL",
                              [subject_id, reader])  # fmt: skip
    return ReadKeyImages(subject_id, reader, tuple(found), frozenset(date.fromisoformat(str(r["date"])) for r in done))
