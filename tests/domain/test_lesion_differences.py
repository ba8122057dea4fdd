"""Both readers' lesions at one visit, paired, with the drivers of the discordance (issue 22 item 1).

Hand-made edge cases: reads on different days of one visit, a node's short axis (the CR threshold of RECIST 1.1
§4.3.1), a lesion only one reader has, missing values, a new lesion seen by one reader, non-target progression by
one reader, a different target choice, and the order (drivers first, then target, non-target, new, then id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from hccreview.domain.lesion_differences import ReaderVisit, lesion_differences, nadir_before

BASE, V1, V1_LATE = date(2024, 1, 10), date(2024, 3, 6), date(2024, 3, 9)


@dataclass(frozen=True)
class Track:
    lesion_id: str
    kind: str
    organ: str = "liver"
    is_node: bool = False
    sizes: dict[date, float | None] = field(default_factory=dict)
    statuses: dict[date, str] = field(default_factory=dict)


def target(lesion_id: str, **sizes_by_day: float | None) -> Track:
    days = {"base": BASE, "v1": V1, "late": V1_LATE}
    sizes = {days[k]: v for k, v in sizes_by_day.items()}
    return Track(lesion_id, "target", sizes=sizes, statuses={d: "present" for d in sizes})


def visit(reader: str, day: date | None, *tracks: Track, base: float | None = None) -> ReaderVisit:
    return ReaderVisit(reader, day, tracks, base, base)


def test_reads_on_different_days_of_one_visit_are_paired_at_each_readers_date() -> None:
    a = visit("reader1", V1, target("T01", base=50.0, v1=40.0), base=50.0)
    b = visit("reader2", V1_LATE, target("T01", base=50.0, late=44.0), base=50.0)
    [row] = lesion_differences(a, b)
    assert (row.value_a, row.value_b, row.diff_mm, row.diff_pct) == (40.0, 44.0, 4.0, 10.0)
    assert (row.day_a, row.day_b) == (V1, V1_LATE) and row.drives == ""  # SD both ways (−20 %, −12 %)


def test_a_target_difference_that_flips_the_target_response_drives() -> None:
    a = visit("reader1", V1, target("T01", base=50.0, v1=34.0), target("T02", base=20.0, v1=14.0), base=70.0)
    b = visit("reader2", V1, target("T01", base=50.0, v1=40.0), target("T02", base=20.0, v1=14.0), base=70.0)
    rows = lesion_differences(a, b)
    assert [r.lesion_id for r in rows] == ["T01", "T02"]
    assert rows[0].drives == "flips reader1's target response PR → SD (§4.3.1)"  # 48 mm (−31 %) vs 54 mm (−23 %)
    assert rows[1].drives == "" and rows[1].diff_mm == 0.0


def test_a_node_short_axis_across_10_mm_flips_a_complete_response() -> None:
    node = {"organ": "lymph node", "is_node": True}
    a = visit("reader1", V1, Track("T01", "target", **node, sizes={V1: 9.0}, statuses={V1: "present"}), base=18.0)
    b = visit("reader2", V1, Track("T01", "target", **node, sizes={V1: 11.0}, statuses={V1: "present"}), base=18.0)
    [row] = lesion_differences(a, b)
    assert row.label == "T01 (node)" and (row.value_a, row.value_b) == (9.0, 11.0)
    assert row.drives == "flips reader1's target response CR → PR (§4.3.1)"  # a node <10 mm short axis is normal


def test_a_target_only_one_reader_chose_and_a_target_in_two_organs_drive() -> None:
    a = visit("reader1", V1, target("T01", v1=30.0), target("T02", v1=12.0), base=50.0)
    lung = Track("T02", "target", organ="lung", sizes={V1: 12.0}, statuses={V1: "present"})
    b = visit("reader2", V1, target("T01", v1=30.0), lung, target("T03", v1=15.0), base=50.0)
    rows = {r.lesion_id: r for r in lesion_differences(a, b)}
    assert rows["T03"].drives == "target chosen by reader2 only (§4.2)"
    assert not rows["T03"].in_a and rows["T03"].value_a is None and rows["T03"].diff_mm is None
    assert rows["T02"].drives == "different targets: liver (reader1) vs lung (reader2) (§4.2)"
    assert rows["T02"].organ == "liver / lung"
    assert [r.lesion_id for r in lesion_differences(a, b)] == ["T02", "T03", "T01"]  # drivers first


def test_a_new_lesion_seen_by_one_reader_and_non_target_progression_by_one_drive() -> None:
    nt_a = Track("NT01", "non-target", sizes={V1: None}, statuses={V1: "unequivocal_progression"})
    nt_b = Track("NT01", "non-target", sizes={V1: None}, statuses={V1: "present"})
    new_b = Track("N01", "new", sizes={V1: 12.0}, statuses={V1: "present"})
    equivocal_a = Track("N02", "new", sizes={V1: 6.0}, statuses={V1: "equivocal"})
    a = visit("reader1", V1, target("T01", v1=30.0), nt_a, equivocal_a, base=40.0)
    b = visit("reader2", V1, target("T01", v1=30.0), nt_b, new_b, base=40.0)
    rows = lesion_differences(a, b)
    assert [(r.lesion_id, r.drives) for r in rows] == [
        ("NT01", "non-target unequivocal progression by reader1 only (§4.3.2)"),
        ("N01", "new lesion seen by reader2 only (§4.3.4)"),
        ("T01", ""),
        ("N02", ""),  # an equivocal new lesion is not progression (§4.3.4): it does not drive
    ]
    assert rows[0].status_a == "unequivocal_progression" and rows[0].value_a is None and rows[0].diff_mm is None
    assert rows[1].status_a == "" and rows[1].in_a is False


def test_missing_values_give_no_difference_and_no_flip() -> None:
    a = visit("reader1", V1, target("T01", v1=None), base=40.0)
    b = visit("reader2", V1, target("T01", v1=30.0), base=40.0)
    [row] = lesion_differences(a, b)
    assert (row.value_a, row.value_b, row.diff_mm, row.diff_pct, row.drives) == (None, 30.0, None, None, "")
    zero = lesion_differences(visit("reader1", V1, target("T01", v1=0.0), base=40.0), b)[0]
    assert zero.diff_mm == 30.0 and zero.diff_pct is None  # no percentage of nothing
    gone = lesion_differences(visit("reader1", None, target("T01", v1=20.0)), b)[0]
    assert gone.value_a is None and gone.status_a == ""  # reader 1 has no timepoint at this visit


def test_new_lesions_neither_reader_has_at_the_visit_are_left_out_and_baseline_flips_nothing() -> None:
    later = Track("N01", "new", sizes={V1_LATE: 10.0}, statuses={V1_LATE: "present"})
    a = visit("reader1", BASE, target("T01", base=30.0), later, base=30.0)
    b = visit("reader2", BASE, target("T01", base=45.0), base=45.0)
    rows = lesion_differences(a, b, baseline=True)
    assert [(r.lesion_id, r.drives, r.diff_mm) for r in rows] == [("T01", "", 15.0)]


def test_nadir_before_a_visit() -> None:
    sums = {date(2024, 2, 1): 40.0, date(2024, 3, 1): 35.0, date(2024, 4, 1): 30.0}
    assert nadir_before(50.0, sums, date(2024, 3, 15)) == 35.0
    assert nadir_before(30.0, sums, date(2024, 2, 1)) == 30.0
    assert nadir_before(None, sums, date(2024, 4, 1)) is None


def test_under_mrecist_a_new_lesion_under_10_mm_does_not_drive() -> None:
    small = Track("N01", "new", sizes={V1: 8.0}, statuses={V1: "present"})
    a = visit("reader1", V1, target("T01", v1=30.0), base=40.0)
    b = visit("reader2", V1, target("T01", v1=30.0), small, base=40.0)
    mrecist = {r.lesion_id: r.drives for r in lesion_differences(a, b, "mrecist")}
    assert mrecist == {"T01": "", "N01": ""}  # under 10 mm: equivocal under mRECIST (Lencioni & Llovet 2010)
    rows = lesion_differences(a, b)  # RECIST 1.1 sets no size for a new lesion
    assert [(r.lesion_id, r.drives) for r in rows] == [("N01", "new lesion seen by reader2 only (§4.3.4)"), ("T01", "")]
