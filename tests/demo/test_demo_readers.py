"""The demo's three read sources: each states RECIST 1.1 on its own measurements; the central readers
disagree on a realistic share of patients, and every disagreement is one ``compare_reads`` detects."""

from __future__ import annotations

from collections import defaultdict

import pytest

from hccreview.demo.design import DEMO_USERS
from hccreview.demo.reads import DISCORDANCE_KINDS
from hccreview.demo.simulate import SimulatedStudy, simulate_study
from hccreview.domain import recist
from hccreview.domain.cohort import compute_cohort_stats
from hccreview.domain.discordance import compare_reads
from hccreview.domain.records import ReadRole, Role, StudyData


@pytest.fixture(scope="module", params=[40, 200], ids=["40-patients", "200-patients"])
def study(request: pytest.FixtureRequest) -> SimulatedStudy:
    return simulate_study(seed=1, patients=request.param)


def _data(study: SimulatedStudy) -> StudyData:
    return StudyData(settings=study.settings, **study.records)


def _by(records: tuple, *keys: str) -> dict[tuple, list]:
    out: dict[tuple, list] = defaultdict(list)
    for x in records:
        out[tuple(getattr(x, k) for k in keys)].append(x)
    return out


def _bors(study: SimulatedStudy, reader: str) -> dict[str, recist.BestResponse]:
    reads = _by(study.records["reads"], "subject_id", "reader")
    origin = {s.subject_id: s.first_dose_date for s in study.records["subjects"]}
    return {
        sid: recist.best_overall_response(
            [(r.date, r.overall) for r in reads.get((sid, reader), [])], origin[sid], study.settings
        )
        for sid in origin
    }


def test_every_source_states_recist_on_its_own_measurements(study: SimulatedStudy) -> None:
    lesions = _by(study.records["lesions"], "subject_id", "reader")
    measurements = _by(study.records["measurements"], "subject_id", "reader")
    reads = _by(study.records["reads"], "subject_id", "reader")
    assert {reader for _, reader in lesions} == {"investigator", "reader1", "reader2"}
    for key, own in lesions.items():
        computed = [
            (tp.date, str(tp.overall), str(tp.target or ""), str(tp.non_target or ""), tp.new_lesion)
            for tp in recist.timepoint_responses(own, measurements[key])
        ]
        stated = [
            (r.date, r.overall, r.target, r.non_target, r.new_lesion) for r in sorted(reads[key], key=lambda r: r.date)
        ]
        assert stated == computed, key


def test_roles_and_reader_names_are_the_demo_users(study: SimulatedStudy) -> None:
    reader_users = {u.username for u in DEMO_USERS if u.role is Role.READER}
    roles = {(r.reader, r.role) for r in study.records["reads"]}
    assert roles == {("investigator", ReadRole.INVESTIGATOR)} | {(u, ReadRole.READER) for u in reader_users}


def test_readers_measure_independently(study: SimulatedStudy) -> None:
    """The central readers' diameters are their own, not copies of the investigator's."""
    values = defaultdict(dict)
    for m in study.records["measurements"]:
        if m.diameter_mm is not None:
            values[m.reader][(m.subject_id, m.lesion_id, m.date)] = m.diameter_mm
    common = values["investigator"].keys() & values["reader1"].keys() & values["reader2"].keys()
    differs = sum(values["investigator"][k] != values["reader1"][k] for k in common)
    assert differs > 0.8 * len(common)


def test_central_readers_disagree_on_15_to_30_percent(study: SimulatedStudy) -> None:
    n = len(study.records["subjects"])
    a, b = _bors(study, "reader1"), _bors(study, "reader2")
    discordant = sorted(
        sid for sid in a if compare_reads(sid, a[sid], b[sid], study.settings.discordance_pd_days).discordant
    )
    assert 0.15 * n <= len(discordant) <= 0.30 * n
    assert discordant == sorted(study.discordances)  # exactly the disagreements the simulator made
    agreement = compute_cohort_stats(_data(study), "investigator").to_dict()["reader_agreement"]
    assert agreement["n_discordant"] == len(discordant) and sorted(agreement["discordant"]) == discordant


def test_disagreements_are_of_every_kind_and_otherwise_readers_follow_the_investigator(study: SimulatedStudy) -> None:
    assert set(study.discordances.values()) == set(DISCORDANCE_KINDS)
    reads = _by(study.records["reads"], "subject_id", "reader")
    for s in study.records["subjects"]:
        sid = s.subject_id
        if sid in study.discordances:
            continue
        inv = [r.overall for r in sorted(reads.get((sid, "investigator"), []), key=lambda r: r.date)]
        for reader in ("reader1", "reader2"):
            assert [r.overall for r in sorted(reads.get((sid, reader), []), key=lambda r: r.date)] == inv


def test_kinds_change_what_they_say(study: SimulatedStudy) -> None:
    """Each kind of disagreement shows in the reads the way its name says."""
    inv, r1, r2 = (_bors(study, r) for r in ("investigator", "reader1", "reader2"))
    for sid, kind in study.discordances.items():
        other = (
            r1[sid]
            if r1[sid].confirmed != inv[sid].confirmed or r1[sid].first_pd_date != inv[sid].first_pd_date
            else r2[sid]
        )
        if kind == "early-pd":
            assert other.first_pd_date is not None and other.first_pd_date < inv[sid].first_pd_date
        elif kind in ("late-pd", "missed-new-lesion"):
            assert inv[sid].first_pd_date is not None and other.first_pd_date is None
        elif kind == "pr-missed":
            assert str(inv[sid].confirmed) == "PR" and str(other.confirmed) != "PR"
        elif kind == "pr-called":
            assert str(inv[sid].confirmed) != "PR" and str(other.confirmed) == "PR"
