"""The record-kind registry (``domain.record_kinds``) agrees with the store, the records, the CSV bundle, data
transfers and review state — and is the only list of the kinds in the package."""

from __future__ import annotations

import ast
import dataclasses
import typing
from pathlib import Path

import pytest

from hccreview.domain import record_kinds
from hccreview.domain.access import CLINICAL_TABLES, EVALUATOR_TABLES
from hccreview.domain.contact import CONTACT_FIELDS
from hccreview.domain.record_kinds import RECORD_KINDS, kind
from hccreview.domain.records import StudyData
from hccreview.io.csv_bundle import STUDY_FILE, read_bundle
from hccreview.io.csv_bundle_cells import RECORDS
from hccreview.io.csv_bundle_write import write_bundle
from hccreview.services import transfer_diff
from hccreview.store import schema
from hccreview.store.database import Store, key_column
from hccreview.store.exchange import READER_TABLES, SHARED_TABLES
from hccreview.store.record_review import KIND_TABLES
from hccreview.store.review_state import audit_entries_for
from hccreview.store.study_data import TABLE_ATTRS, TABLE_RECORDS, load_study
from hccreview.store.transfers import DELETE_ORDER
from tests.factories import small_study

PACKAGE = Path(__file__).resolve().parents[2] / "hccreview"
TABLES = {k.table for k in RECORD_KINDS}
#: Tables of a study that hold no record kind: accounts, the audit trail and what the review workflow keeps
#: around the records (each must be named here when added, so a new record table cannot go unregistered).
WORKFLOW_TABLES = {
    "settings", "users", "signatures", "signature_supersessions", "audit_log", "findings", "review_status",
    "record_review", "reader_packages", "reader_package_audit", "snapshot_base", "transfers",
    "readjudication_flags", "queries", "query_messages", "adjudication_reason_codes",
    "image_series", "image_instances",  # the image index (issue 21): where the pixels are, not review records
    "key_images", "structured_reports",  # what a read leaves on the images (issue 22), not records of a kind
}  # fmt: skip


def _columns(store: Store, table: str) -> dict[str, int]:
    """Column name -> its position in the primary key (0: not part of it)."""
    return {row[1]: row[5] for row in store.conn.execute(f"PRAGMA table_info([{table}])")}


def test_the_kinds_are_listed_once_each_parents_first() -> None:
    assert [k.table for k in RECORD_KINDS] == [
        "subjects", "child_pugh", "cycles", "adverse_events", "labs", "lesions", "measurements", "reads",
        "adjudications", "follow_up",
    ]  # fmt: skip
    assert len(record_kinds.by_table) == len(RECORD_KINDS)
    assert kind("adverse_events").label == "adverse event" and kind("adverse_events").plural == "adverse events"
    with pytest.raises(KeyError, match="'queries' is not a record kind's table"):
        kind("queries")


def test_every_kind_is_a_table_of_a_new_study_keyed_and_ordered_by_its_columns(store: Store) -> None:
    for k in RECORD_KINDS:
        columns = _columns(store, k.table)
        assert columns, f"{k.table}: no such table in a new study"
        assert [c for c, pk in columns.items() if pk] == [k.key_column], k.table
        assert key_column(k.table) == k.key_column
        assert set(k.natural_key) <= set(columns), k.table
        assert {c.strip() for c in k.order_by.split(",")} <= set(columns), k.table
        assert k.subject_keyed == (k.key_column == "subject_id") and "subject_id" in columns


def test_every_table_of_the_schema_is_a_kind_or_a_named_workflow_table(store: Store) -> None:
    names = {row[0] for row in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    names -= {"sqlite_sequence"}
    assert names - WORKFLOW_TABLES == TABLES
    assert tuple(k.table for k in RECORD_KINDS) == schema.DATA_TABLES


def test_each_kind_is_a_study_data_attribute_of_its_record_class_whose_fields_are_table_columns(store: Store) -> None:
    hints = typing.get_type_hints(StudyData)
    for k in RECORD_KINDS:
        assert hints[k.attr] == tuple[k.record, ...], k.table
        fields = {f.name for f in dataclasses.fields(k.record)}
        assert fields <= set(_columns(store, k.table)), (k.table, fields - set(_columns(store, k.table)))
        assert set(k.contact_dates) <= fields
    assert {k.table: k.record for k in RECORD_KINDS} == TABLE_RECORDS
    assert {k.table: k.attr for k in RECORD_KINDS} == TABLE_ATTRS
    assert list(TABLE_RECORDS) == [k.table for k in RECORD_KINDS]  # the load and write order


def test_a_loaded_study_holds_each_kind_under_its_attribute(tmp_path: Path) -> None:
    store = small_study(tmp_path / "s.db")
    data = load_study(store)
    for k in RECORD_KINDS:
        records = getattr(data, k.attr)
        assert len(records) == store.count(k.table), k.table
        assert all(type(x) is k.record for x in records)


def test_the_csv_bundle_has_a_file_per_kind_with_its_own_file_and_carries_every_kind(tmp_path: Path) -> None:
    store = small_study(tmp_path / "s.db")
    data = load_study(store)
    written = write_bundle(data, tmp_path / "bundle")
    assert {k.table: k.record for k in RECORD_KINDS if k.own_file} == RECORDS
    assert [p.name for p in written] == [STUDY_FILE, *(f"{k.table}.csv" for k in RECORD_KINDS if k.own_file)]
    parsed = read_bundle(tmp_path / "bundle")
    held = {k.table for k in RECORD_KINDS if getattr(data, k.attr)}
    assert "child_pugh" in held  # rides on subjects.csv and comes back
    assert {t for t, rows in parsed.records.items() if rows} == held
    for t in held:
        assert list(parsed.records[t]) == list(getattr(data, kind(t).attr)), t


def test_a_transfer_compares_the_source_kinds_by_their_natural_keys_under_their_labels() -> None:
    assert tuple(k.table for k in RECORD_KINDS if k.source) == transfer_diff.KINDS
    assert "adjudications" not in transfer_diff.KINDS  # review data: never in a delivery
    assert {k.table: k.natural_key for k in RECORD_KINDS if k.source} == transfer_diff.NATURAL_KEYS
    assert transfer_diff.KIND_LABELS == {
        "subjects": "subject / baseline", "child_pugh": "Child-Pugh", "cycles": "cycles",
        "adverse_events": "adverse events", "labs": "labs", "lesions": "lesions", "measurements": "measurements",
        "reads": "reads (source)", "follow_up": "follow-up",
    }  # fmt: skip
    assert set(DELETE_ORDER) == set(transfer_diff.KINDS) - {"subjects"}
    assert DELETE_ORDER.index("measurements") < DELETE_ORDER.index("lesions")  # children first


#: A free-text column of each kind's table, edited to see the edit in the patient's audit view.
_EDITABLE = {
    "subjects": "site", "child_pugh": "ascites", "cycles": "reason", "adverse_events": "action", "labs": "unit",
    "lesions": "organ", "measurements": "method", "reads": "visit", "adjudications": "reason",
    "follow_up": "death_cause",
}  # fmt: skip


def test_review_state_covers_every_source_kind_and_the_audit_view_every_kind(tmp_path: Path) -> None:
    covered = [t for tables in KIND_TABLES.values() for t in tables]
    assert sorted(covered) == sorted(k.table for k in RECORD_KINDS if k.source)
    store = small_study(tmp_path / "s.db")
    with store.transaction():
        store.insert("labs", {"subject_id": "P01", "test": "ALB", "value": 3.9, "unit": "g/dL"})
        store.insert("adjudications", {"subject_id": "P01", "chosen_reader": "investigator", "reason": "closer",
                                       "adjudicator": "adj"})  # fmt: skip
        for k in RECORD_KINDS:
            row = store.rows(k.table, "subject_id = 'P01'")[0]
            field = _EDITABLE[k.table]
            store.update(k.table, row[k.key_column], {field: f"{row[field]} (edited)"}, reason="test")
    entries = audit_entries_for(store, "P01")
    assert {e["table_name"] for e in entries if e["action"] == "update"} == TABLES
    assert all(e["row_key"] != "P02" for e in entries)


def test_the_access_policy_and_the_reader_exchange_take_their_tables_from_the_kinds() -> None:
    assert frozenset({"cycles", "adverse_events", "labs", "follow_up", "child_pugh"}) == CLINICAL_TABLES
    assert frozenset({"lesions", "measurements", "reads"}) == EVALUATOR_TABLES
    assert {t: kind(t).natural_key for t in ("lesions", "measurements", "reads")} == READER_TABLES
    assert SHARED_TABLES == ("subjects", "child_pugh", "cycles", "adverse_events", "labs", "follow_up")
    assert set(CONTACT_FIELDS) == {"reads", "measurements", "adverse_events", "cycles", "labs"}


def _kind_lists(tree: ast.AST) -> list[tuple[int, str, list[str]]]:
    """(line, assigned name, kind tables) of every literal list / tuple / set / dict naming 5 or more kinds' tables.

    A dict whose values are built where it stands (calls, comprehensions) holds records keyed by table — data
    made there, not a description of the kinds — and is not counted."""
    names: dict[int, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for sub in ast.walk(node.value) if node.value is not None else ():
                names.setdefault(id(sub), ", ".join(ast.unparse(t) for t in targets))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            elements = node.elts
        elif isinstance(node, ast.Dict):
            built = (ast.Call, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
            if any(isinstance(v, built) for v in node.values):
                continue
            elements = [k for k in node.keys if k is not None]
        else:
            continue
        hits = sorted({e.value for e in elements if isinstance(e, ast.Constant) and e.value in TABLES})
        if len(hits) >= 5:
            found.append((node.lineno, names.get(id(node), "?"), hits))
    return found


#: Copies left in modules other helpers own at the moment (hccreview/ui; the CSV bundle checks being rewritten):
#: (file, assigned name) -> what replaces it. Remove an entry once its module derives from the registry.
_NOT_YET_DERIVED: dict[tuple[str, str], str] = {}


def test_no_module_but_the_registry_lists_the_kinds() -> None:
    copies = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        if rel == "hccreview/domain/record_kinds.py":
            continue
        for line, name, hits in _kind_lists(ast.parse(path.read_text(encoding="utf-8"))):
            if (rel, name) not in _NOT_YET_DERIVED:
                copies.append(f"{rel}:{line} {name} = {hits}")
    assert copies == [], "derive these from hccreview.domain.record_kinds.RECORD_KINDS:\n" + "\n".join(copies)


def test_the_scan_finds_a_new_copy_and_leaves_records_keyed_by_table_alone() -> None:
    copy = "LABELS = {'subjects': 'x', 'cycles': 'x', 'labs': 'x', 'lesions': 'x', 'reads': 'x'}"
    assert _kind_lists(ast.parse(copy)) == [(1, "LABELS", ["cycles", "labs", "lesions", "reads", "subjects"])]
    listed = "ORDER = ('reads', 'labs', 'measurements', 'cycles', 'follow_up', 'queries')"
    assert [n for _, n, _ in _kind_lists(ast.parse(listed))] == ["ORDER"]
    built = "records = {'subjects': list(a), 'cycles': list(b), 'labs': c, 'lesions': d, 'reads': e}"
    assert _kind_lists(ast.parse(built)) == []
    assert _kind_lists(ast.parse("FEW = ('subjects', 'cycles', 'labs', 'lesions')")) == []
