"""Read sources: investigator, reader:NAME, adjudicated (all four routes), computed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hccreview.domain.records import (
    Adjudication,
    Lesion,
    LesionKind,
    Measurement,
    Read,
    ReadRole,
    Response,
    StudyData,
    StudySettings,
    Subject,
)
from hccreview.domain.sources import (
    available_sources,
    default_source,
    parse_source,
    select_timepoints,
    study_index,
)

R = Response
O = date(2021, 1, 1)  # noqa: E741
INV, R1, R2 = "INVESTIGATOR", "RADIOLOGIST 1", "RADIOLOGIST 2"


def day(n: int) -> date:
    return O + timedelta(days=n)


def reads(sid: str, reader: str, role: ReadRole, seq: list[tuple[int, str]], accepted: set[int] = frozenset()):
    return [Read(sid, reader, role, day(d), overall=code, accepted=d in accepted) for d, code in seq]


def tp(seq: list[tuple[int, Response]]) -> list[tuple[date, Response]]:
    return [(day(d), r) for d, r in seq]


CONCORDANT = [(42, "PR"), (84, "PR"), (126, "PD")]
R2_DISCORDANT = [(42, "SD"), (84, "SD"), (126, "PD")]


def study(extra_reads: list[Read] = (), adjudications: tuple[Adjudication, ...] = (), **kw) -> StudyData:
    subjects = tuple(Subject(s, first_dose_date=O) for s in ("S1", "S2", "S3", "S4", "S5"))
    base = [
        *reads("S1", INV, ReadRole.INVESTIGATOR, [(42, "SD"), (84, "Check"), (126, "PD")]),
        # S1: two central readers agree
        *reads("S1", R1, ReadRole.READER, CONCORDANT),
        *reads("S1", R2, ReadRole.READER, CONCORDANT),
        # S2: discordant central readers
        *reads("S2", INV, ReadRole.INVESTIGATOR, CONCORDANT),
        *reads("S2", R1, ReadRole.READER, CONCORDANT),
        *reads("S2", R2, ReadRole.READER, R2_DISCORDANT),
        # S3: one central reader only
        *reads("S3", R2, ReadRole.READER, [(42, "SD")]),
        # S4: investigator only (no central reads); S5: nothing
        *reads("S4", INV, ReadRole.INVESTIGATOR, [(42, "PR")]),
    ]
    return StudyData(
        settings=StudySettings(title="t", **kw),
        subjects=subjects,
        reads=tuple(base) + tuple(extra_reads),
        adjudications=adjudications,
    )


def test_parse_source() -> None:
    assert parse_source("Adjudicated") == ("adjudicated", None)
    assert parse_source("reader:RADIOLOGIST 1") == ("reader", "RADIOLOGIST 1")
    for bad in ("central", "reader:", ""):
        with pytest.raises(ValueError):
            parse_source(bad)


def test_available_and_default_sources() -> None:
    data = study()
    assert default_source(data) == "adjudicated"
    assert available_sources(data) == [
        "adjudicated",
        "investigator",
        f"reader:{R1}",
        f"reader:{R2}",
    ]  # the investigator is the "investigator" source, not repeated as reader:NAME
    inv_only = StudyData(StudySettings(title="t"), reads=tuple(reads("S1", INV, ReadRole.INVESTIGATOR, [(1, "SD")])))
    assert default_source(inv_only) == "investigator"
    assert available_sources(inv_only) == ["investigator"]


def test_investigator_source_normalises_codes() -> None:
    got = select_timepoints(study(), "S1", "investigator")
    assert got.status == "ok" and got.reader == INV
    assert got.timepoints == tp([(42, R.SD), (84, R.NE), (126, R.PD)])  # "Check" counts as NE
    assert select_timepoints(study(), "S5", "investigator").status == "none"


def test_investigator_readers_pooled() -> None:
    data = study(extra_reads=reads("S4", "INV B", ReadRole.INVESTIGATOR, [(42, "SD")]))
    got = select_timepoints(data, "S4", "investigator")
    assert got.reader == "INV B+INVESTIGATOR" and sorted(got.timepoints) == tp([(42, R.PR), (42, R.SD)])


def test_reader_name_source() -> None:
    got = select_timepoints(study(), "S2", f"reader:{R2}")
    assert got.status == "ok" and got.reader == R2
    assert got.timepoints == tp([(42, R.SD), (84, R.SD), (126, R.PD)])
    # case-insensitive fallback on the name
    assert select_timepoints(study(), "S2", "reader:radiologist 2").reader == R2
    assert select_timepoints(study(), "S4", f"reader:{R2}").status == "none"


def test_adjudicated_agreeing_readers_use_first_reader() -> None:
    got = select_timepoints(study(), "S1", "adjudicated")
    assert got.status == "ok" and got.reader == R1 and "agree" in got.rule
    assert got.timepoints == tp([(42, R.PR), (84, R.PR), (126, R.PD)])


def test_adjudicated_discordant_readers_pending() -> None:
    got = select_timepoints(study(), "S2", "adjudicated")
    assert got.status == "pending" and got.timepoints == [] and got.reader is None
    assert "best overall response differs" in got.rule


def test_pd_date_tolerance_decides_agreement() -> None:
    late = [(42, "PR"), (84, "PR"), (130, "PD")]
    extra = reads("S5", R1, ReadRole.READER, CONCORDANT) + reads("S5", R2, ReadRole.READER, late)
    assert select_timepoints(study(extra), "S5", "adjudicated").status == "pending"
    tolerant = study(extra, discordance_pd_days=7)
    assert select_timepoints(tolerant, "S5", "adjudicated").status == "ok"


def test_adjudicated_single_reader_and_no_central_reads() -> None:
    data = study()
    single = select_timepoints(data, "S3", "adjudicated")
    assert single.status == "ok" and single.reader == R2 and single.timepoints == tp([(42, R.SD)])
    none = select_timepoints(data, "S4", "adjudicated")
    assert none.status == "none" and none.timepoints == []


def test_adjudication_record_chooses_reader() -> None:
    decision = Adjudication("S2", chosen_reader=R2, reason="R1 missed a new lesion", adjudicator="adj", signed=True)
    got = select_timepoints(study(adjudications=(decision,)), "S2", "adjudicated")
    assert got.status == "ok" and got.reader == R2 and "signed" in got.rule
    assert got.timepoints == tp([(42, R.SD), (84, R.SD), (126, R.PD)])


def test_latest_adjudication_wins() -> None:
    from datetime import datetime

    first = Adjudication("S2", R2, "r", "adj", decided_at=datetime(2024, 1, 1))
    later = Adjudication("S2", R1, "re-opened", "adj", decided_at=datetime(2024, 2, 1))
    got = select_timepoints(study(adjudications=(later, first)), "S2", "adjudicated")
    assert got.reader == R1


def test_accepted_flags_pick_read_per_date() -> None:
    # S5: R1 accepted on day 42, R2 accepted on day 84; day 126 both PD without flag (agree -> used)
    extra = reads("S5", R1, ReadRole.READER, [(42, "PR"), (84, "PR"), (126, "PD")], accepted={42}) + reads(
        "S5", R2, ReadRole.READER, [(42, "SD"), (84, "SD"), (126, "PD")], accepted={84}
    )
    got = select_timepoints(study(extra), "S5", "adjudicated")
    assert got.status == "ok" and "accepted" in got.rule
    assert got.timepoints == tp([(42, R.PR), (84, R.SD), (126, R.PD)])
    assert got.reader == f"{R1}+{R2}"


def test_accepted_flags_missing_on_a_discordant_date_is_pending() -> None:
    extra = reads("S5", R1, ReadRole.READER, [(42, "PR"), (84, "PR")], accepted={42}) + reads(
        "S5", R2, ReadRole.READER, [(42, "SD"), (84, "SD")]
    )
    got = select_timepoints(study(extra), "S5", "adjudicated")
    assert got.status == "pending" and day(84).isoformat() in got.rule


def test_computed_from_investigator_lesions() -> None:
    lesions = (
        Lesion("S1", INV, "T01", LesionKind.TARGET, organ="LIVER"),
        Lesion("S1", R1, "R1-T01", LesionKind.TARGET, organ="LIVER"),
    )
    meas = (
        Measurement("S1", INV, "T01", day(-7), diameter_mm=40, viable_mm=40),
        Measurement("S1", INV, "T01", day(42), diameter_mm=20, viable_mm=20),
        Measurement("S1", INV, "T01", day(84), diameter_mm=60, viable_mm=60),
        Measurement("S1", R1, "R1-T01", day(-7), diameter_mm=40),
        Measurement("S1", R1, "R1-T01", day(42), diameter_mm=40),
    )
    data = StudyData(
        StudySettings(title="t"),
        subjects=(Subject("S1", first_dose_date=O),),
        lesions=lesions,
        measurements=meas,
        reads=tuple(reads("S1", INV, ReadRole.INVESTIGATOR, [(42, "PR")])),
    )
    got = select_timepoints(data, "S1", "computed")
    assert got.status == "ok" and got.reader == INV and "investigator" in got.rule
    assert got.timepoints == tp([(42, R.PR), (84, R.PD)])
    assert "computed" in available_sources(data)
    # without investigator reads and two lesion readers: alphabetical first (INVESTIGATOR < RADIOLOGIST 1),
    # and the reader literally named investigator is preferred anyway
    bare = StudyData(StudySettings(title="t"), lesions=lesions, measurements=meas)
    assert select_timepoints(bare, "S1", "computed").reader == INV
    only_r1 = StudyData(StudySettings(title="t"), lesions=lesions[1:], measurements=meas[3:])
    got_r1 = select_timepoints(only_r1, "S1", "computed")
    assert got_r1.reader == R1 and got_r1.timepoints == tp([(42, R.SD)])
    assert select_timepoints(only_r1, "S9", "computed").status == "none"


def test_index_is_cached_per_study_object() -> None:
    data = study()
    assert study_index(data) is study_index(data)
    assert study_index(study()) is not study_index(data)


def test_latest_decision_stands_with_naive_and_aware_times() -> None:
    """A naive decision time (e.g. from a CSV without zone) is taken as UTC and sorts with aware ones."""
    from datetime import UTC, datetime

    from hccreview.domain.records import Adjudication, StudyData, StudySettings
    from hccreview.domain.sources import study_index

    data = StudyData(
        settings=StudySettings(title="t"),
        adjudications=(
            Adjudication("S1", "reader2", "later, naive", "adj", decided_at=datetime(2024, 3, 2, 12, 0)),
            Adjudication("S1", "reader1", "earlier, aware", "adj", decided_at=datetime(2024, 3, 1, tzinfo=UTC)),
        ),
    )
    assert study_index(data).adjudications["S1"].chosen_reader == "reader2"


# --- issue 18, rule defect 1: the adjudicated read is the chosen reader's, paired by visit, not by date ------
def visit_reads(sid: str, reader: str, seq: list[tuple[int, str, str]], accepted: set[int] = frozenset()):
    """Central reads ``(day, visit, overall)``; ``visit`` "" = no visit label."""
    return [
        Read(sid, reader, ReadRole.READER, day(d), visit, overall=code, accepted=d in accepted)
        for d, visit, code in seq
    ]


def test_reader_accepted_wholesale_is_used_alone_when_the_rejected_reader_read_on_other_days() -> None:
    """R1 accepted (PR on days 42 and 84), R2 rejected (PD on days 44 and 86): the adjudicator chose R1, so the
    adjudicated response is R1's reads alone — confirmed PR, PFS censored at day 84 (was: SD, PD at day 44)."""
    from hccreview.domain.cohort_subjects import subject_outcomes

    extra = visit_reads("S5", R1, [(42, "WEEK 6", "PR"), (84, "WEEK 12", "PR")], accepted={42, 84}) + visit_reads(
        "S5", R2, [(44, "WEEK 6", "PD"), (86, "WEEK 12", "PD")]
    )
    data = study(extra)
    got = select_timepoints(data, "S5", "adjudicated")
    assert got.status == "ok" and got.reader == R1 and "accepted" in got.rule
    assert got.timepoints == tp([(42, R.PR), (84, R.PR)])
    outcome = next(o for o in subject_outcomes(data, "adjudicated") if o.subject_id == "S5")
    assert outcome.bor == "PR" and outcome.best.first_pd_date is None
    assert not outcome.pfs.event and outcome.pfs.censor_date == day(84) and outcome.pfs.days == 84


def test_per_visit_flags_pair_reads_by_nearest_date_when_visits_are_missing() -> None:
    """Flags per timepoint, no visit labels, the readers' dates 2 days apart (within the 7-day assessment
    window): R1's accepted day-42 PR and R2's day-44 PD are one visit (R1's read stands); days 84/86 agree."""
    extra = visit_reads("S5", R1, [(42, "", "PR"), (84, "", "PR")], accepted={42}) + visit_reads(
        "S5", R2, [(44, "", "PD"), (86, "", "PR")]
    )
    got = select_timepoints(study(extra), "S5", "adjudicated")
    assert got.status == "ok" and got.reader == R1
    assert got.timepoints == tp([(42, R.PR), (84, R.PR)])
    # outside the window (1 day) the day-44 read is a visit of its own, read by R2 alone
    narrow = select_timepoints(study(extra, assessment_window_days=1), "S5", "adjudicated")
    assert narrow.timepoints == tp([(42, R.PR), (44, R.PD), (84, R.PR), (86, R.PR)])
    # a visit whose unflagged reads disagree stays pending, named by both dates
    disagree = visit_reads("S5", R1, [(42, "", "PR"), (84, "", "PR")], accepted={42}) + visit_reads(
        "S5", R2, [(44, "", "PD"), (86, "", "PD")]
    )
    pending = select_timepoints(study(disagree), "S5", "adjudicated")
    assert pending.status == "pending" and f"{day(84).isoformat()}/{day(86).isoformat()}" in pending.rule


def test_timepoint_groups_pair_by_visit_before_date() -> None:
    from hccreview.domain.sources import pair_reads, timepoint_groups

    a = visit_reads("S1", R1, [(42, "WEEK 6", "PR"), (84, "WEEK 12", "PR"), (90, "", "PR")])
    b = visit_reads("S1", R2, [(55, "week  6", "SD"), (86, "WEEK 13", "SD"), (91, "", "SD")])
    pairs = pair_reads(a, b, window_days=7)
    as_days = [([(r.date - O).days for r in x], [(r.date - O).days for r in y]) for x, y in pairs]
    # WEEK 6 pairs by its label though 13 days apart; WEEK 12 and WEEK 13 never pair (different labels);
    # the unlabelled day-90 and day-91 reads pair by date
    assert as_days == [([42], [55]), ([84], []), ([], [86]), ([90], [91])]
    # one reader's two reads on one date are one timepoint of that reader
    twice = visit_reads("S1", R1, [(42, "", "PR"), (42, "", "SD")])
    assert [len(g) for g in timepoint_groups(twice + b[:1], 7)] == [2, 1]


# --- issue 18, rule defect 4: an assessment dated after death is left out of the response and PFS ------------
def test_reads_after_death_do_not_count_toward_best_response_or_pfs() -> None:
    """Investigator PR on days 42 and 84 and a "PR" dated day 130, after death on day 100: the post-death read is
    a date error, not evidence — BOR stays PR (confirmed by days 42/84), PFS is the death on day 100, and the
    rule names the date left out (RECIST 1.1 §4.4; the importer warns about the record)."""
    from hccreview.domain.cohort_subjects import subject_outcomes
    from hccreview.domain.endpoints import before_death
    from hccreview.domain.records import FollowUp

    seq = [(42, "PR"), (84, "PR"), (130, "PD")]
    data = StudyData(
        settings=StudySettings("T"),
        subjects=(Subject("S1", first_dose_date=O),),
        reads=tuple(reads("S1", INV, ReadRole.INVESTIGATOR, seq)),
        follow_up=(FollowUp("S1", death_date=day(100)),),
    )
    outcome = subject_outcomes(data, "investigator")[0]
    assert outcome.bor == "PR" and outcome.best.first_pd_date is None
    assert outcome.pfs.event and outcome.pfs.days == 100 and "death" in outcome.pfs.rule
    assert f"after death left out: {day(130).isoformat()}" in outcome.source_rule
    # without the death the day-130 PD is the progression
    alive = subject_outcomes(StudyData(data.settings, subjects=data.subjects, reads=data.reads), "investigator")[0]
    assert alive.best.first_pd_date == day(130) and alive.pfs.days == 130
    # the pure rule: on the death day an assessment still counts; None keeps everything
    points = tp([(42, R.PR), (100, R.SD), (101, R.PD)])
    assert before_death(points, day(100)) == (points[:2], [day(101)])
    assert before_death(points, None) == (points, [])
