"""The navigator's models and the generic DataFrame model: Qt model contracts, numeric sorting, every filter."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest
from PySide6.QtCore import QModelIndex, Qt

from hccreview.services.overview import Overview, PatientRow
from hccreview.ui.models.dataframe_model import SORT_ROLE as DF_SORT_ROLE
from hccreview.ui.models.dataframe_model import DataFrameModel, format_value
from hccreview.ui.models.navigator_filter import NavigatorFilter
from hccreview.ui.models.navigator_model import (
    RESPONDERS,
    SORT_ROLE,
    SUBJECT_ROLE,
    Column,
    NavigatorModel,
    natural_key,
)


def row(sid: str, cp: str | None, bor: str, pfs: float, **kw: object) -> PatientRow:
    values: dict[str, object] = dict(
        subject_id=sid,
        child_pugh=cp,
        extrahepatic=False,
        cycles=3,
        bor={"investigator": bor, "reader:a": kw.pop("reader_bor", bor)},
        bor_unconfirmed={"investigator": bor, "reader:a": bor},
        pfs_months=pfs,
        pfs_event=True,
        os_months=pfs + 4.0,
        os_event=False,
        review_state="not started",
        discordant=False,
        findings=0,
    )
    values.update(kw)
    return PatientRow(**values)  # type: ignore[arg-type]


ROWS = [
    row("P10", "A", "PR", 10.5, reader_bor="SD", discordant=True),
    row("P2", "B", "SD", 2.0, review_state="reviewed", findings=2),
    row("P1", "C", "PD", 33.1, extrahepatic=True, cycles=12),
    row("P3", "A", "CR", 9.0, review_state="in progress"),
    row("P4", None, "NE", 1.2, discordant=True),
]
OVERVIEW = Overview(
    title="T", criteria="RECIST 1.1", sources=["investigator", "reader:a"], default_source="investigator", rows=ROWS
)


@pytest.fixture
def models(qapp):  # type: ignore[no-untyped-def]
    model = NavigatorModel()
    model.set_overview(OVERVIEW)
    proxy = NavigatorFilter()
    proxy.setSourceModel(model)
    return model, proxy


def ids(proxy: NavigatorFilter) -> list[str]:
    return [proxy.index(i, 0).data(SUBJECT_ROLE) for i in range(proxy.rowCount())]


def test_model_contracts(qtmodeltester, models) -> None:  # type: ignore[no-untyped-def]
    model, _proxy = models
    qtmodeltester.check(model, force_py=True)
    model.sort(Column.PFS, Qt.SortOrder.DescendingOrder)  # the model keeps its rows in order (a layout change)
    qtmodeltester.check(model, force_py=True)


def test_proxy_contracts(qtmodeltester, models) -> None:  # type: ignore[no-untyped-def]
    # one tester per model: a tester watching the model too would see its layout change and the proxy's as nested
    _model, proxy = models
    qtmodeltester.check(proxy, force_py=True)
    proxy.sort(Column.PFS, Qt.SortOrder.DescendingOrder)
    proxy.set_child_pugh("A")
    qtmodeltester.check(proxy, force_py=True)


def test_display_text_and_roles(models) -> None:  # type: ignore[no-untyped-def]
    model, _ = models
    first = model.index(0, Column.PFS)
    assert first.data() == "10.5 event"
    assert model.index(0, Column.OS).data() == "14.5 censored"
    assert model.index(0, Column.DISCORDANT).data() == "⚑"
    assert model.index(0, Column.DISCORDANT).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert model.index(0, Column.BOR).data(Qt.ItemDataRole.BackgroundRole) is not None  # PR is tinted
    assert model.index(4, Column.CHILD_PUGH).data() == "—"
    assert model.index(1, Column.REVIEW).data() == "✓ reviewed"
    assert model.index(1, Column.FINDINGS).data() == "2"
    assert "progression or death" in model.index(0, Column.PFS).data(Qt.ItemDataRole.ToolTipRole)
    assert model.headerData(Column.BOR, Qt.Orientation.Horizontal) == "BOR (inv.)"
    assert model.index(0, Column.PATIENT).data(SUBJECT_ROLE) == "P10"


def test_source_switch_changes_bor(models, qtbot) -> None:  # type: ignore[no-untyped-def]
    model, _ = models
    assert model.index(0, Column.BOR).data() == "PR"
    with qtbot.waitSignal(model.dataChanged):
        model.set_source("reader:a")
    assert model.index(0, Column.BOR).data() == "SD"
    assert model.headerData(Column.BOR, Qt.Orientation.Horizontal) == "BOR (a)"


def test_sorting_is_numeric_and_natural(models) -> None:  # type: ignore[no-untyped-def]
    _, proxy = models
    proxy.sort(Column.PFS, Qt.SortOrder.AscendingOrder)
    assert ids(proxy) == ["P4", "P2", "P3", "P10", "P1"]  # 1.2 < 2.0 < 9.0 < 10.5 < 33.1 (text order would differ)
    proxy.sort(Column.PFS, Qt.SortOrder.DescendingOrder)
    assert ids(proxy) == ["P1", "P10", "P3", "P2", "P4"]
    proxy.sort(Column.PATIENT, Qt.SortOrder.AscendingOrder)
    assert ids(proxy) == ["P1", "P2", "P3", "P4", "P10"]
    proxy.sort(Column.BOR, Qt.SortOrder.AscendingOrder)  # clinical rank: CR, PR, SD, PD, NE
    assert ids(proxy) == ["P3", "P10", "P2", "P1", "P4"]
    proxy.sort(Column.CYCLES, Qt.SortOrder.DescendingOrder)
    assert ids(proxy)[0] == "P1"  # 12 cycles before 3 (text order would put "3" first)
    proxy.sort(Column.CHILD_PUGH, Qt.SortOrder.AscendingOrder)
    assert ids(proxy) == ["P3", "P10", "P2", "P1", "P4"]  # A (ties by id), B, C, unknown last
    assert natural_key("P2") < natural_key("P10")
    assert all(isinstance(proxy.index(i, Column.PFS).data(SORT_ROLE), float) for i in range(proxy.rowCount()))


def test_text_filter(models) -> None:  # type: ignore[no-untyped-def]
    _, proxy = models
    proxy.sort(Column.PATIENT, Qt.SortOrder.AscendingOrder)
    proxy.set_text("p1")
    assert ids(proxy) == ["P1", "P10"]
    proxy.set_text("  ")
    assert len(ids(proxy)) == 5


def test_child_pugh_filter(models) -> None:  # type: ignore[no-untyped-def]
    _, proxy = models
    proxy.set_child_pugh("A")
    assert sorted(ids(proxy)) == ["P10", "P3"]
    proxy.set_child_pugh("C")
    assert ids(proxy) == ["P1"]
    proxy.set_child_pugh(None)
    assert len(ids(proxy)) == 5


def test_response_filter_follows_source(models) -> None:  # type: ignore[no-untyped-def]
    model, proxy = models
    proxy.set_response("PR")
    assert ids(proxy) == ["P10"]
    proxy.set_response(RESPONDERS)
    assert sorted(ids(proxy)) == ["P10", "P3"]
    model.set_source("reader:a")  # P10 is SD for reader a
    proxy.refilter()
    assert ids(proxy) == ["P3"]


def test_review_and_discordant_filters_combine(models) -> None:  # type: ignore[no-untyped-def]
    _, proxy = models
    proxy.set_review_state("reviewed")
    assert ids(proxy) == ["P2"]
    proxy.set_review_state("not started")
    assert sorted(ids(proxy)) == ["P1", "P10", "P4"]
    proxy.set_discordant_only(True)
    assert sorted(ids(proxy)) == ["P10", "P4"]
    proxy.set_child_pugh("A")
    assert ids(proxy) == ["P10"]
    assert proxy.filter_state() == {
        "text": "",
        "arm": None,
        "child_pugh": "A",
        "response": None,
        "review": "not started",
        "discordant_only": True,
    }


def test_update_row_refreshes_one_row_and_refilters(models, qtbot) -> None:  # type: ignore[no-untyped-def]
    model, proxy = models
    proxy.set_review_state("reviewed")
    assert ids(proxy) == ["P2"]
    with qtbot.waitSignal(model.dataChanged) as blocker:
        model.update_row(dataclasses.replace(ROWS[0], review_state="reviewed"))
    top, bottom = blocker.args[0], blocker.args[1]
    assert (top.row(), bottom.row()) == (0, 0)
    assert sorted(ids(proxy)) == ["P10", "P2"]
    assert sum(r.review_state == "reviewed" for r in model.rows()) == 2
    model.update_row(row("P99", "B", "SD", 4.0, review_state="reviewed"))  # a new patient is appended
    assert model.rowCount() == 6 and "P99" in ids(proxy)


def test_update_rows_reorders_only_when_a_row_moves(models, qtbot) -> None:  # type: ignore[no-untyped-def]
    model, proxy = models
    proxy.sort(Column.PFS, Qt.SortOrder.AscendingOrder)
    assert ids(proxy) == ["P4", "P2", "P3", "P10", "P1"]
    with qtbot.assertNotEmitted(model.layoutChanged):  # the sort key (PFS) is unchanged: no re-order
        model.update_rows([dataclasses.replace(ROWS[3], review_state="reviewed")])
    assert ids(proxy) == ["P4", "P2", "P3", "P10", "P1"]
    with qtbot.waitSignal(model.layoutChanged):  # P3's PFS is now the longest: it moves to the end
        model.update_rows([dataclasses.replace(ROWS[3], pfs_months=40.0)])
    assert ids(proxy) == ["P4", "P2", "P10", "P1", "P3"]
    with qtbot.waitSignal(model.layoutChanged):  # a new patient is placed by the order
        model.update_rows([row("P0", "A", "SD", 0.5)])
    assert ids(proxy) == ["P0", "P4", "P2", "P10", "P1", "P3"]


# --------------------------------------------------------------------------- DataFrameModel


@pytest.fixture
def frame_model(qapp):  # type: ignore[no-untyped-def]
    frame = pd.DataFrame(
        {
            "term": ["Fatigue", "Rash", None],
            "n": [3, 12, 4],
            "rate": [0.075, None, 0.1],
            "flag": [True, False, True],
        }
    )
    return DataFrameModel(frame, decimals={"rate": 3}, tooltips={"n": "patients"}, headers={"n": "Patients"})


def test_dataframe_model_contract(qtmodeltester, frame_model) -> None:  # type: ignore[no-untyped-def]
    qtmodeltester.check(frame_model, force_py=True)
    frame_model.set_frame(pd.DataFrame({"a": [1.5, 2.5]}))
    qtmodeltester.check(frame_model, force_py=True)
    empty = DataFrameModel()
    qtmodeltester.check(empty, force_py=True)


def test_dataframe_model_formatting(frame_model) -> None:  # type: ignore[no-untyped-def]
    m = frame_model
    assert m.index(0, 2).data() == "0.075"
    assert m.index(1, 2).data() == "—"
    assert m.index(2, 0).data() == "—"
    assert m.index(0, 3).data() == "yes"
    assert m.index(1, 1).data() == "12"
    right = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    assert m.index(1, 1).data(Qt.ItemDataRole.TextAlignmentRole) == right
    assert m.index(0, 0).data(Qt.ItemDataRole.TextAlignmentRole) != right
    assert m.headerData(1, Qt.Orientation.Horizontal) == "Patients"
    assert m.headerData(1, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) == "patients"
    assert m.index(1, 2).data(Qt.ItemDataRole.ToolTipRole) == "missing"
    assert m.index(1, 2).data(DF_SORT_ROLE) == math.inf  # missing numbers sort last
    assert m.index(1, 1).data(DF_SORT_ROLE) == 12.0
    assert m.rowCount(m.index(0, 0)) == 0 and m.rowCount(QModelIndex()) == 3
    assert format_value(float("nan")) == "—" and format_value(2.25, 1) in ("2.2", "2.3")


def test_dataframe_model_sorts_numbers_in_a_proxy(frame_model) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QSortFilterProxyModel

    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(frame_model)
    proxy.setSortRole(DF_SORT_ROLE)
    proxy.sort(1, Qt.SortOrder.AscendingOrder)
    assert [proxy.index(i, 1).data() for i in range(3)] == ["3", "4", "12"]
