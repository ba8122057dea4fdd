"""Key images of a read (issue 22 item 2): caliper slices by themselves, manual ones added, one per slice."""

from __future__ import annotations

from datetime import date

from hccreview.domain import calipers
from hccreview.domain.calipers import Caliper, Line
from hccreview.domain.key_images import CALIPER, MANUAL, key_images_of_read
from hccreview.domain.records import Measurement

DAY = date(2026, 3, 2)


def _caliper(sop: str) -> str:
    return calipers.dump([Caliper(sop, "1.2.3", (0.7, 0.7), lines={"long": Line((10.0, 10.0), (40.0, 10.0))})])


def _m(lesion: str, sop: str, *, reader: str = "reader1", day: date = DAY) -> Measurement:
    return Measurement("S1", reader, lesion, day, diameter_mm=21.0, caliper=_caliper(sop) if sop else "")


def test_caliper_slices_are_key_images_one_per_slice_naming_their_lesions() -> None:
    ms = [_m("T02", "1.9.1"), _m("T01", "1.9.1"), _m("T03", "1.9.2"), _m("NT1", ""),
          _m("T01", "1.9.7", reader="reader2"), _m("T01", "1.9.8", day=date(2026, 1, 5))]  # fmt: skip
    found = key_images_of_read(ms, [], subject_id="S1", reader="reader1", day=DAY)
    assert [(k.sop_instance_uid, k.lesion_ids, k.source) for k in found] == [
        ("1.9.1", ("T01", "T02"), CALIPER), ("1.9.2", ("T03",), CALIPER)]  # fmt: skip


def test_manual_key_images_follow_and_a_caliper_slice_is_not_listed_twice() -> None:
    manual = [
        {"id": 5, "subject_id": "S1", "reader": "reader1", "date": DAY.isoformat(), "series_uid": "1.2.3",
         "sop_instance_uid": "1.9.4", "frame": 1, "note": "equivocal new lesion"},
        {"id": 3, "subject_id": "S1", "reader": "reader1", "date": DAY.isoformat(), "series_uid": "1.2.3",
         "sop_instance_uid": "1.9.1", "frame": 1, "note": "already a caliper slice"},
        {"id": 4, "subject_id": "S1", "reader": "reader2", "date": DAY.isoformat(), "series_uid": "1.2.3",
         "sop_instance_uid": "1.9.5", "frame": 1, "note": "another reader's"},
    ]  # fmt: skip
    found = key_images_of_read([_m("T01", "1.9.1")], manual, subject_id="S1", reader="reader1", day=DAY)
    assert [(k.sop_instance_uid, k.source, k.note, k.key_id) for k in found] == [
        ("1.9.1", CALIPER, "", None), ("1.9.4", MANUAL, "equivocal new lesion", 5)]  # fmt: skip
