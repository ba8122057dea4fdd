"""``cohort_stats(session)`` on a study not loaded yet reads only what the statistics use (StudyCache.stats_data):
the same figures as from the whole study, kept until the next commit, never ahead of the file."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from hccreview.domain import cohort_memo
from hccreview.domain.records import LabResult
from hccreview.services.demo_study import build_demo_study
from hccreview.services.session import StudySession, open_study
from hccreview.services.stats import cohort_stats, cohort_stats_from_data
from hccreview.store.rows import to_row
from hccreview.store.stats_data import load_stats_data
from hccreview.store.study_data import load_study
from tests.factories import source_transfer


@pytest.fixture(scope="module")
def _demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_study(tmp_path_factory.mktemp("stats-partial") / "demo.db")


@pytest.fixture
def session(_demo: Path, tmp_path: Path) -> Iterator[StudySession]:
    target = tmp_path / "demo.db"
    shutil.copyfile(_demo, target)
    with open_study(target, user="tester") as s:
        yield s


def _lab(sid: str, day: date) -> dict[str, object]:
    return to_row(LabResult(sid, "ALT", 40.0, "U/L", day))


@pytest.mark.parametrize("source", [None, "investigator", "computed", "reader:reader1"])
def test_a_fresh_session_gives_the_figures_of_the_whole_study(session: StudySession, source: str | None) -> None:
    cohort_memo.clear_all()
    fresh = cohort_stats(session, source=source).to_dict()
    assert session.cache.loads == 0  # the whole study was not read
    cohort_memo.clear_all()
    fresh.pop("adjudication", None)  # the adjudication counts of cohort_stats (the queue's), not a cohort figure
    assert fresh == cohort_stats_from_data(load_study(session.store), source=source).to_dict()
    session.data()  # as the GUI: the whole study loaded, which the statistics then use
    again = cohort_stats(session, source=source).to_dict()
    again.pop("adjudication", None)
    assert again == fresh


def test_the_partial_study_is_kept_until_a_commit(session: StudySession) -> None:
    cache = session.cache
    first = cache.stats_data()
    assert first.cycles == () and first.measurements == () and first.labs and first.last_contact
    assert cache.stats_data() is first
    with_meas = cache.stats_data(computed=True)
    assert with_meas is not first and with_meas.measurements and cache.stats_data() is with_meas
    sid = first.subjects[0].subject_id
    later = date(2031, 1, 1)
    with source_transfer(session.store):  # labs are source records: they change through a data transfer
        session.store.insert("labs", _lab(sid, later), reason="late lab")
    after = cache.stats_data()
    assert after is not with_meas and after.last_contact is not None and after.last_contact[sid] == later
    assert after == load_stats_data(session.store)
    assert cache.stats_data() is after
    whole = session.data()
    assert cache.stats_data() is whole and cache.loads == 1


def test_inside_a_write_transaction_the_partial_study_is_not_cached(session: StudySession) -> None:
    before = session.cache.stats_data()
    sid = before.subjects[1].subject_id
    with pytest.raises(RuntimeError), source_transfer(session.store), session.store.transaction():
        session.store.insert("labs", _lab(sid, date(2032, 2, 2)), reason="rolled back")
        inside = session.cache.stats_data()
        assert inside.last_contact is not None and inside.last_contact[sid] == date(2032, 2, 2)
        raise RuntimeError("roll back")
    assert session.cache.stats_data() == load_stats_data(session.store) == before
