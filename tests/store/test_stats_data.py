"""The statistics' partial load (store.stats_data): last-contact dates in SQL equal those of the loaded records,
and the cohort figures from the partial study equal those from the whole study — demo study and real SDTM data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from hccreview.domain import cohort_memo
from hccreview.domain.cohort import compute_cohort_stats
from hccreview.domain.contact import CONTACT_FIELDS, last_contact
from hccreview.domain.records import LabResult, Subject
from hccreview.domain.sources import available_sources
from hccreview.services.demo_study import build_demo_study
from hccreview.services.importing import import_into
from hccreview.services.session import open_study
from hccreview.store import Store
from hccreview.store.stats_data import COMPUTED_TABLES, STATS_TABLES, contact_dates, load_stats_data
from hccreview.store.study_data import TABLE_ATTRS, load_study, write_records


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_study(tmp_path_factory.mktemp("stats-demo") / "demo.db")


@pytest.fixture(scope="module")
def sdtm_db(sdtm_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stats-sdtm") / "onco.db"
    with pytest.MonkeyPatch.context() as mp:  # the import's backup folder stays private
        mp.setenv("HCCREVIEW_DATA_DIR", str(tmp_path_factory.mktemp("stats-userdata")))
        import_into(path, fmt="sdtm", source=sdtm_root / "onco")
    return path


@pytest.fixture(params=["demo", "sdtm"])
def study(request: pytest.FixtureRequest) -> Iterator[Store]:
    path = request.getfixturevalue(f"{request.param}_db")
    with open_study(path) as session:
        yield session.store


def test_contact_dates_in_sql_equal_those_of_the_records(study: Store) -> None:
    data = load_study(study)
    assert data.labs and data.measurements and data.cycles  # every contact table has rows to compare
    for table in CONTACT_FIELDS:
        expected = last_contact(data, [table])
        assert expected and contact_dates(study, [table]) == expected, table
    assert contact_dates(study) == last_contact(data)


def test_statistics_of_the_partial_load_equal_those_of_the_whole_study(study: Store) -> None:
    full = load_study(study)
    sources = available_sources(full)
    assert {"adjudicated", "investigator", "computed"} <= set(sources)
    for source in sources:
        partial = load_stats_data(study, computed=source == "computed")
        assert partial.cycles == () and partial.labs == full.labs  # labs are graded (lab_toxicity, issue 23)
        assert partial.last_contact == last_contact(full)
        for table in (*STATS_TABLES, *COMPUTED_TABLES):
            kept = getattr(partial, TABLE_ATTRS[table])
            assert kept == (getattr(full, TABLE_ATTRS[table]) if table in STATS_TABLES or source == "computed" else ())
        cohort_memo.clear_all()  # each derivation from scratch, none served from the other's memo
        from_partial = compute_cohort_stats(partial, source).to_dict()
        cohort_memo.clear_all()
        assert from_partial == compute_cohort_stats(full, source).to_dict(), source


def _store_with_labs(store: Store, *dates: str | None) -> None:
    write_records(store, {"subjects": [Subject("S1")], "labs": [LabResult("S1", "ALT", 30.0, "U/L", date(2020, 1, 2))]},
                  note="setup")  # fmt: skip
    for day in dates:  # stored as given, bypassing the program's own writing (which always writes YYYY-MM-DD)
        store.conn.execute("INSERT INTO labs (subject_id, test, value, unit, date) VALUES ('S1', 'ALT', 1, 'U/L', ?)",
                           [day])  # fmt: skip


def test_a_date_stored_in_another_iso_form_counts_as_a_load_reads_it(store: Store) -> None:
    _store_with_labs(store, "20300105", None, "2021-06-01")  # basic ISO form, read as 5 Jan 2030 by the load
    assert last_contact(load_study(store)) == {"S1": date(2030, 1, 5)}
    assert contact_dates(store) == {"S1": date(2030, 1, 5)}


def test_an_impossible_stored_date_fails_as_the_whole_load_fails(store: Store) -> None:
    _store_with_labs(store, "2020-02-30")
    with pytest.raises(ValueError):
        load_study(store)
    with pytest.raises(ValueError):
        contact_dates(store)
