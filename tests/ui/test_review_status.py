"""Review status in the GUI (issue 12 items 1-2): navigator counts, filter and stepping by review status, the
transfer preview in the import dialog, the case view's per-kind status with undoable marking.

The study is the real recist delivery with three patients reviewed and 01-701-1028's adjudication signed
(``study`` of tests/services/test_transfers.py), then the changed copy arrives as a transfer.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack

from hccreview.services import review
from hccreview.services.auth import sign_in
from hccreview.services.importing import import_into
from hccreview.services.navigation import load_navigator_overview
from hccreview.services.session import open_study
from tests.services.test_transfers import (
    ALTERED,
    IMPORTER_PASSWORD,
    REMOVED,
    REV_PASSWORD,
    build_study,
    changed_copy,
    importer,
)

UNTOUCHED = "01-701-1034"  # reviewed, not touched by the transfer


@pytest.fixture
def study(sdtm_root: Path, tmp_path: Path) -> Path:
    return build_study(sdtm_root, tmp_path / "study.db")


def _transferred(study: Path, sdtm_root: Path, tmp_path: Path) -> Path:
    """The changed delivery imported by the study's admin (a data transfer is an import: DESIGN §4b)."""
    import_into(study, fmt="sdtm", source=changed_copy(sdtm_root, tmp_path / "v2"), user=importer(study))
    return study


def _as_rev(study: Path):  # type: ignore[no-untyped-def]
    """A session signed in as rev, whose review marks the study holds (review marks are per user)."""
    session = open_study(study, user="rev")
    sign_in(session, "rev", REV_PASSWORD)
    return session


def test_navigator_counts_filters_and_steps_by_review_status(
    qtbot, study: Path, sdtm_root: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from hccreview.ui.views.navigator import NavigatorPanel

    _transferred(study, sdtm_root, tmp_path)
    with _as_rev(study) as session:  # review states are per user: rev marked the three patients
        overview = load_navigator_overview(session)
    panel = NavigatorPanel()
    qtbot.addWidget(panel)
    panel.set_overview(overview)
    total = len(overview.rows)
    assert panel.review_counts.text() == f"{total - 3} not started · 1 reviewed · 2 changed"
    changed = panel.review_filter.findData("changed since review")
    assert panel.review_filter.itemText(changed) == "changed since review (2)"
    panel.review_filter.setCurrentIndex(changed)
    assert panel.visible_subjects() == [ALTERED, REMOVED]
    assert panel.count_label.text() == f"2 of {total} patients"
    review_cell = panel.proxy.index(0, 8)
    assert review_cell.data() == "⚠ changed" and "changed since review" in review_cell.data(Qt.ItemDataRole.ToolTipRole)
    panel.review_filter.setCurrentIndex(panel.review_filter.findData("reviewed"))
    assert panel.visible_subjects() == [UNTOUCHED]
    panel.clear_filters()
    panel.select_subject(UNTOUCHED)
    assert panel.next_changed() == ALTERED  # wraps around from the end of the view
    assert panel.next_changed() == REMOVED
    assert panel.next_changed() == ALTERED
    order = panel.visible_subjects()
    panel.select_subject(order[order.index(UNTOUCHED) - 1])
    assert panel.next_unreviewed() == order[order.index(UNTOUCHED) + 1]  # the reviewed patient is skipped
    panel.select_subject(order[order.index(REMOVED) - 1])
    assert panel.next_unreviewed() == REMOVED  # changed since review counts as not reviewed


def test_next_changed_shortcut_and_mark_reviewed_clears_it(qtbot, study: Path, sdtm_root: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from hccreview.ui.main_window import MainWindow

    window = MainWindow(_as_rev(_transferred(study, sdtm_root, tmp_path)))  # rev's review marks
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: window.overview is not None and window.navigator.current_subject() is not None)
    try:
        _step_and_mark(qtbot, window)
    finally:
        window.close()


def _step_and_mark(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.navigator.select_subject(UNTOUCHED)
    window.navigator.table.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.navigator.current_subject() == ALTERED
    marks = window.case_view.review_status.mark_actions
    qtbot.waitUntil(lambda: marks["patient"].isEnabled(), timeout=30000)  # the case's strip has loaded ALTERED
    marks["patient"].trigger()  # the case's one Mark reviewed menu: the whole patient
    qtbot.waitUntil(lambda: window.navigator.model.patient(ALTERED).review_state == "reviewed", timeout=30000)
    assert "1 changed" in window.navigator.review_counts.text()
    window.undo_stack.undo()  # the marks come back as they were: changed since review again
    qtbot.waitUntil(
        lambda: window.navigator.model.patient(ALTERED).review_state == "changed since review", timeout=30000
    )


def test_import_dialog_previews_a_transfer_and_applies_on_confirm(
    qtbot, study: Path, sdtm_root: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from hccreview.ui.bus import ChangeBus
    from hccreview.ui.dialogs.import_dialog import ImportDialog
    from hccreview.ui.workers import Runner

    source = changed_copy(sdtm_root, tmp_path / "v2")
    runner, bus = Runner(), ChangeBus()
    published: list[object] = []
    bus.changed.connect(lambda changes, _initiator: published.append(changes))
    with open_study(study, user="importer") as session:
        sign_in(session, "importer", IMPORTER_PASSWORD)  # the study's admin applies transfers
        dialog = ImportDialog(session, runner, bus)
        qtbot.addWidget(dialog)
        dialog.folder.setText(str(source))
        before = hashlib.sha256(study.read_bytes()).hexdigest()
        assert dialog.start()
        qtbot.waitUntil(lambda: dialog.preview_value is not None, timeout=60000)
        assert hashlib.sha256(study.read_bytes()).hexdigest() == before and not published  # nothing written yet
        rows = dialog.preview.rows()
        assert rows[0] == (ALTERED, "1 new, 1 changed", "")
        assert ("    radiologist-1 T01 2014-01-02", "changed", "diameter: 21.0 → 25.0") in rows
        assert ("    #4 NAUSEA", "new", "") in rows
        assert ("  measurements", "4 removed", "") in rows and ("    radiologist-2 2013-08-30", "removed", "") in rows
        summary = dialog.preview.summary.text()
        assert "1 new, 1 changed, 5 removed record(s) in 2 patient(s)" in summary
        assert f"{REMOVED} will need re-adjudication" in summary
        assert dialog.import_button.text() == "&Apply transfer"
        with qtbot.waitSignal(dialog.imported, timeout=60000) as done:
            assert dialog.start()
        assert done.args[0].transfer_id == 2 and "as transfer 2" in dialog.report.toPlainText()
        assert published and published[-1].subjects == frozenset({ALTERED, REMOVED})
        runner.wait()


def test_case_view_strip_marks_a_kind_reviewed_undoably(qtbot, study: Path, sdtm_root: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from hccreview.ui.bus import ChangeBus
    from hccreview.ui.panel_context import PanelContext
    from hccreview.ui.views.case_review_status import CaseReviewStatus
    from hccreview.ui.workers import Runner

    _transferred(study, sdtm_root, tmp_path)
    runner, bus, stack = Runner(), ChangeBus(), QUndoStack()
    with _as_rev(study) as session:
        strip = CaseReviewStatus(PanelContext(session, bus, runner, stack))
        qtbot.addWidget(strip)
        strip.show_subject(ALTERED)
        ae = strip.states["adverse_events"]
        qtbot.waitUntil(lambda: ae.text() == "changed since review (1)", timeout=30000)
        assert strip.states["cycles"].text() == "reviewed" and "reviewed by rev" in strip.states["cycles"].toolTip()
        assert strip.states["assessments"].text() == "changed since review (1)"
        assert "NAUSEA" in strip.changes.text() and "diameter 21.0 → 25.0" in strip.changes.text()
        marks = strip.mark_actions  # the strip's one button marks the current tab's kind; its menu offers each
        assert not marks["cycles"].isEnabled() and marks["adverse_events"].isEnabled()
        strip.set_current_tab("adverse_events")
        assert strip.mark_button.text() == "Mark adverse events reviewed"
        strip.mark_button.click()
        qtbot.waitUntil(lambda: ae.text() == "reviewed", timeout=30000)
        assert stack.command(0).inverse is review.revert  # the one inverse of every edit
        assert strip.states["assessments"].text() == "changed since review (1)"
        stack.undo()
        qtbot.waitUntil(lambda: ae.text() == "changed since review (1)", timeout=30000)
        strip.show_subject(REMOVED)
        qtbot.waitUntil(lambda: strip.banner.isVisibleTo(strip), timeout=30000)
        assert strip.banner.text().startswith("Needs re-adjudication: transfer 2")
        runner.wait()


def test_queue_model_shows_needs_readjudication(qtbot) -> None:  # type: ignore[no-untyped-def]
    from hccreview.services.adjudication import QueueItem
    from hccreview.ui.models.adjudication_models import QueueModel

    reason = "transfer 2 (v2): changed measurements radiologist-2 T01 2012-10-28: diameter_mm 19.57 → 19.9"
    flagged = QueueItem("P1", ("r1", "r2"), "SD", "PD", None, None, ["differs"], "signed", "r1", "adj", False, reason)
    plain = QueueItem("P2", ("r1", "r2"), "SD", "PD", None, None, ["differs"], "open")
    model = QueueModel()
    model.set_rows([flagged, plain])
    status = model.index(0, QueueModel.STATUS)
    assert status.data() == "signed ⚠ needs re-adjudication\n→ r1"
    assert f"needs re-adjudication: {reason}" in model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(1, QueueModel.STATUS).data() == "open"
