"""The case-view table models: Qt's model tester on each, content, and edit requests that write nothing."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QModelIndex, Qt

from hccreview.domain.records import AdverseEvent, Cycle
from hccreview.services.case_extra import CaseDetail
from hccreview.ui.models.case_models import (
    AdverseEventsModel,
    AuditModel,
    CyclesModel,
    EditRequest,
    FindingsModel,
    number,
)
from hccreview.ui.models.tumour_model import TumourGridModel
from hccreview.ui.views.case_audit import record_labels
from hccreview.ui.views.case_findings import finding_rows
from tests.ui.case_support import _case_template, case_study, case_user, detail_of, target_cell  # noqa: F401

D = Qt.ItemDataRole


@pytest.fixture
def detail(case_study) -> CaseDetail:  # noqa: F811
    return detail_of(case_study)


def _texts(model, row: int) -> list[str]:
    return [str(model.index(row, c).data() or "") for c in range(model.columnCount())]


def test_model_tester_passes_on_every_model_filled_and_empty(qtmodeltester, detail: CaseDetail) -> None:
    reader = detail.case.readers[0]
    filled = [
        (CyclesModel(), lambda m: m.set_rows(detail.case.cycles)),
        (AdverseEventsModel(), lambda m: m.set_rows(detail.case.adverse_events)),
        (FindingsModel(), lambda m: m.set_rows(finding_rows(detail))),
        (AuditModel(), lambda m: m.set_entries(detail.audit, record_labels(detail))),
        (TumourGridModel(), lambda m: m.set_reader(detail, reader)),
    ]
    for model, fill in filled:
        qtmodeltester.check(model)
        fill(model)
        qtmodeltester.check(model)
    empty = TumourGridModel()
    empty.set_reader(None, "")
    qtmodeltester.check(empty)
    assert empty.rowCount() == 0 and empty.columnCount() == 0


def test_cycles_model_shows_each_cycle() -> None:
    model = CyclesModel()
    model.set_rows([Cycle("P1", 1, date(2024, 1, 1), 25.0, 21), Cycle("P1", 2, date(2024, 2, 5), 20.0, None, 7,
                                                                        True, "neutropenia")])  # fmt: skip
    assert _texts(model, 0)[:4] == ["1", "2024-01-01", "25", "21"]
    assert _texts(model, 1) == ["2", "2024-02-05", "20", "", "7", "yes", "neutropenia"]
    assert "planned days" in model.index(1, 3).data(D.ToolTipRole)
    assert model.rowCount(model.index(0, 0)) == 0, "a table has no children"


def test_adverse_events_are_shown_read_only() -> None:
    """Source data (DESIGN §4b): the grade chip and the tooltips, no editable cell."""
    model = AdverseEventsModel()
    ae = AdverseEvent("P1", 1, "Fatigue", "General disorders", 3, onset=date(2024, 1, 20), attribution="possible")
    model.set_rows([(11, ae)])
    grade = model.index(0, AdverseEventsModel.GRADE)
    assert grade.data() == "G3"
    assert grade.data(D.BackgroundRole).name() == "#ef6c00"  # G3 orange chip with readable text
    assert grade.data(D.ForegroundRole).name() in ("#000000", "#ffffff")
    assert "query" in grade.data(D.ToolTipRole)
    assert not any(model.flags(model.index(0, c)) & Qt.ItemFlag.ItemIsEditable for c in range(model.columnCount()))
    assert not model.setData(grade, "4") and grade.data() == "G3"


def test_tumour_grid_rows_columns_and_figures(detail: CaseDetail) -> None:
    reader = detail.case.readers[0]
    model = TumourGridModel()
    model.set_reader(detail, reader)
    keys = [model.row_key(r) for r in range(model.rowCount())]
    assert keys[0] == "group:target"
    for key in ("sum", "pct_base", "pct_nadir", "computed"):
        assert key in keys
    figures = detail.readers[reader]
    assert model.dates[0] == figures.baseline_date
    assert model.headerData(0, Qt.Orientation.Horizontal).endswith("Baseline")
    base_sum = model.index(model.find_row("sum"), 0).data()
    assert base_sum == number(figures.baseline_sum_mm)
    for tp in detail.case.computed[reader]:
        col = model.dates.index(tp.date)
        assert model.index(model.find_row("computed"), col).data() == tp.overall.value
        assert tp.rule in model.index(model.find_row("computed"), col).data(D.ToolTipRole)
        if tp.target_sum_mm is not None:
            assert model.index(model.find_row("sum"), col).data() == number(tp.target_sum_mm)
    group = model.index(0, 0)
    assert not model.flags(group) & Qt.ItemFlag.ItemIsSelectable
    assert model.headerData(0, Qt.Orientation.Vertical, D.FontRole).bold()


def test_tumour_grid_edit_request_names_the_counted_field(detail: CaseDetail) -> None:
    reader = detail.case.readers[0]
    model = TumourGridModel()
    model.set_reader(detail, reader, editable=True)
    lesion, day, mid, old = target_cell(detail, reader)
    index = model.index(model.find_row(f"lesion:{lesion}"), model.dates.index(day))
    assert model.flags(index) & Qt.ItemFlag.ItemIsEditable
    requests: list[EditRequest] = []
    model.edit_requested.connect(requests.append)
    assert model.setData(index, "abc"), "validation is the service's job, not the model's"
    (request,) = requests
    assert (request.kind, request.key, request.label, request.when) == ("measurement", mid, lesion, day)
    assert request.field == detail.readers[reader].counted[lesion] and request.old == old
    assert not model.setData(index, number(old)), "an unchanged value is no edit"
    assert not model.setData(model.index(model.find_row("sum"), 1), "99"), "sums are not editable"
    assert not model.setData(QModelIndex(), "1")


def test_tumour_grid_offers_no_edit_when_not_editable(detail: CaseDetail) -> None:
    """Another evaluator's rows, a viewer, a locked case: no cell is editable, no tooltip offers F2."""
    reader = detail.case.readers[0]
    model = TumourGridModel()
    model.set_reader(detail, reader)  # not editable unless told
    lesion, day, _mid, _old = target_cell(detail, reader)
    index = model.index(model.find_row(f"lesion:{lesion}"), model.dates.index(day))
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            cell = model.index(row, column)
            assert not model.flags(cell) & Qt.ItemFlag.ItemIsEditable
            assert "F2" not in str(cell.data(D.ToolTipRole) or "")
    requests: list[EditRequest] = []
    model.edit_requested.connect(requests.append)
    assert not model.setData(index, "5") and not requests


def test_stated_response_mismatch_is_red_with_the_reason(detail: CaseDetail) -> None:
    from dataclasses import replace

    reader = detail.case.readers[0]
    reads = detail.case.reads[reader]
    tps = {tp.date: tp for tp in detail.case.computed[reader]}
    rid, read = next((rid, r) for rid, r in reads if r.date in tps)
    wrong = "PD" if tps[read.date].overall.value != "PD" else "CR"
    changed = [(i, replace(r, overall=wrong) if i == rid else r) for i, r in reads]
    case = replace(detail.case, reads={**detail.case.reads, reader: changed})
    model = TumourGridModel()
    model.set_reader(replace(detail, case=case), reader)
    index = model.index(model.find_row("stated"), model.dates.index(read.date))
    assert index.data() == wrong
    assert index.data(D.BackgroundRole).name() == "#c62828"
    assert "MISMATCH" in index.data(D.ToolTipRole) and tps[read.date].overall.value in index.data(D.ToolTipRole)


def test_audit_model_newest_first_with_readable_records() -> None:
    entries = [
        {"at_utc": "2024-05-01T10:00:00.000001+00:00", "username": "ann", "action": "update",
         "table_name": "measurements", "row_key": "7", "field": "diameter_mm", "old_value": "32.0",
         "new_value": "28.5", "reason": None},
        {"at_utc": "2024-05-01T10:05:00.000001+00:00", "username": "ann", "action": "update",
         "table_name": "measurements", "row_key": "7", "field": "diameter_mm", "old_value": "28.5",
         "new_value": "32.0", "reason": "undo"},
    ]  # fmt: skip
    model = AuditModel()
    model.set_entries(entries, {("measurements", "7"): "T01 2024-03-04"})
    assert _texts(model, 0) == [
        "2024-05-01 10:05:00", "ann", "update", "measurement T01 2024-03-04", "diameter", "28.5 → 32", "undo",
    ]  # fmt: skip
    assert _texts(model, 1)[5] == "32 → 28.5"
