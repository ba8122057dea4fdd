"""Records built by a study load (store.rows.records_from_rows): equal text values share one string object, and
that sharing never changes a value."""

from __future__ import annotations

import pickle
from datetime import date
from pathlib import Path

from hccreview.domain.records import LabResult, Measurement, Read, ReadRole, Subject
from hccreview.services.demo_study import build_demo_study
from hccreview.services.session import open_study
from hccreview.store import Store
from hccreview.store.rows import _base_type, _field_types, from_row
from hccreview.store.study_data import TABLE_RECORDS, load_study, write_records


def test_every_text_field_is_kept_in_a_text_column(store: Store) -> None:
    # TEXT affinity turns a stored number into text, so sharing equal values cannot merge 1 with 1.0 or True
    for table, cls in TABLE_RECORDS.items():
        declared = {row[1]: str(row[2]).upper() for row in store.conn.execute(f"PRAGMA table_info([{table}])")}
        for name, hint in _field_types(cls).items():
            if _base_type(hint) is str:
                assert declared[name] == "TEXT", (table, name)


def test_numbers_stored_in_a_text_column_come_back_as_distinct_text(store: Store) -> None:
    store.conn.execute("INSERT INTO subjects (subject_id, site) VALUES ('S1', 1), ('S2', 1.0), ('S3', '1')")
    sites = [s.site for s in load_study(store).subjects]
    assert sites == ["1", "1.0", "1"]
    assert sites[0] is sites[2]


def test_equal_text_values_of_a_load_share_one_object(tmp_path: Path) -> None:
    path = build_demo_study(tmp_path / "demo.db")
    with open_study(path) as session:
        data = load_study(session.store)
    for records, field in ((data.measurements, "subject_id"), (data.measurements, "reader"), (data.labs, "test"),
                           (data.labs, "unit"), (data.reads, "visit")):  # fmt: skip
        values = [getattr(x, field) for x in records]
        assert len({id(v) for v in values}) == len(set(values)) < len(values), field


def test_loaded_records_equal_those_built_one_row_at_a_time_and_survive_pickling(store: Store) -> None:
    write_records(store, {
        "subjects": [Subject("S1", site="Lyon", first_dose_date=date(2020, 1, 1))],
        "labs": [LabResult("S1", "ALT", 30.0, "U/L", date(2020, 1, 2), uln=40.0)],
        "reads": [Read("S1", "r1", ReadRole.READER, date(2020, 3, 1), overall="PR", new_lesion=False)],
    }, note="t")  # fmt: skip
    data = load_study(store)
    for table in ("subjects", "labs", "reads"):
        cur = store.conn.execute(f"SELECT * FROM [{table}] ORDER BY rowid")
        names = [d[0] for d in cur.description]
        single = [from_row(TABLE_RECORDS[table], dict(zip(names, row, strict=True))) for row in cur]
        loaded = list(getattr(data, table))
        assert loaded == single and pickle.loads(pickle.dumps(loaded)) == loaded, table
    assert not hasattr(data.labs[0], "__dict__")  # slots records
    assert isinstance(data.reads[0].role, ReadRole) and data.reads[0].new_lesion is False
    assert Measurement.__slots__  # the high-volume kinds have slots
