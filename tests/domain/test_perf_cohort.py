"""Memoised cohort derivations (domain.cohort_memo) equal fresh ones, after edits of every kind."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hccreview.domain import cohort_memo
from hccreview.domain.cohort import compute_cohort_stats
from hccreview.domain.records import Adjudication, StudyData
from hccreview.domain.sources import available_sources
from hccreview.services.demo_study import build_demo_study
from hccreview.services.review import update_measurement, update_read
from hccreview.services.session import StudySession, open_study
from hccreview.store.rows import from_row, records_from_rows, to_row
from hccreview.store.study_data import TABLE_RECORDS, load_study
from tests.factories import signed_as, source_transfer


@pytest.fixture(scope="module")
def _demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_study(tmp_path_factory.mktemp("memo") / "demo.db")


@pytest.fixture
def session(_demo: Path, tmp_path: Path) -> Iterator[StudySession]:
    shutil.copyfile(_demo, tmp_path / "demo.db")
    with open_study(tmp_path / "demo.db", user="tester") as s:
        yield s


def _fresh(data: StudyData, source: str) -> dict[str, object]:
    cohort_memo.clear_all()
    return compute_cohort_stats(data, source).to_dict()


def _ids(session: StudySession, table: str, subject_id: str) -> list[int]:
    sql = f"SELECT id FROM [{table}] WHERE subject_id = ? ORDER BY id"
    return [int(r[0]) for r in session.store.conn.execute(sql, [subject_id])]


def test_recompute_after_edits_equals_a_fresh_computation(session: StudySession) -> None:
    data = session.data()
    sources = available_sources(data)
    assert {"adjudicated", "investigator", "computed"} <= set(sources)
    for src in sources:
        compute_cohort_stats(data, src)  # fill the memos
    subjects = [s.subject_id for s in data.subjects]
    store = session.store
    with source_transfer(store):  # the investigator's records and the clinical data are source records
        update_measurement(session, measurement_id=_ids(session, "measurements", subjects[4])[1],
                           values={"diameter_mm": 3.0}, reason="re-measured")  # fmt: skip
        update_read(session, read_id=_ids(session, "reads", subjects[6])[0], values={"overall": "PD"},
                    reason="re-read")  # fmt: skip
        store.update("adverse_events", _ids(session, "adverse_events", subjects[8])[0], {"grade": 4},
                     reason="re-graded")  # fmt: skip
        store.update("follow_up", subjects[10], {"death_date": None, "last_known_alive": "2012-05-01"},
                     reason="alive")  # fmt: skip
    pending = compute_cohort_stats(data, "adjudicated").pending[0]
    with signed_as(store, "adjudicator"):
        store.insert("adjudications", to_row(Adjudication(pending, "reader2", "reader 2 stands", "adjudicator")))
    after = session.data()
    assert after is not data
    memoised = {src: compute_cohort_stats(after, src).to_dict() for src in sources}
    assert cohort_memo.OUTCOMES.hits > 0  # the untouched subjects were reused
    for src in sources:
        assert memoised[src] == _fresh(load_study(session.store), src), src


def test_a_settings_change_derives_everything_again(session: StudySession) -> None:
    data = session.data()
    before = compute_cohort_stats(data).to_dict()
    changed = dataclasses.replace(data, settings=dataclasses.replace(data.settings, confirmation_days=90))
    after = compute_cohort_stats(changed).to_dict()
    assert after == _fresh(changed, "adjudicated")
    assert after["study"]["confirmation_days"] == 90 and before["study"]["confirmation_days"] == 28


def test_fast_record_building_equals_the_dataclass_constructor(session: StudySession) -> None:
    for table, cls in TABLE_RECORDS.items():
        cur = session.store.conn.execute(f"SELECT * FROM [{table}] ORDER BY rowid")
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
        fast = records_from_rows(cls, names, rows)
        slow = [from_row(cls, dict(zip(names, row, strict=True))) for row in rows]
        assert fast == slow, table
        assert [dataclasses.astuple(x) for x in fast] == [dataclasses.astuple(x) for x in slow]
