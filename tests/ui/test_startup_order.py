"""Start-up order (issue 10): the first patient is shown before the study overview is derived, stepping works
meanwhile, and the navigator ends up complete; the other panels are built after the first patient."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt

from hccreview.services.navigation import load_navigator_overview
from hccreview.services.session import open_study
from hccreview.ui import main_window
from hccreview.ui.models.navigator_model import PENDING_MARK, Column

TIMEOUT = 20000


@pytest.fixture
def held_overview(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The overview's derivation (compute lane) waits until the returned event is set."""
    release = threading.Event()
    real = main_window.overview_from

    def held(*args: object) -> object:
        release.wait(30)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(main_window, "overview_from", held)
    yield release
    release.set()  # never leave a worker waiting


def cell(window, subject_id: str, column: Column) -> str:  # type: ignore[no-untyped-def]
    model = window.navigator.model
    return model.index(model.row_of(subject_id), column).data()


def test_first_patient_before_overview_then_complete(qtbot, make_window, held_overview, review_study) -> None:  # type: ignore[no-untyped-def]
    window = make_window(wait=False)
    nav, view = window.navigator, window.case_view
    qtbot.waitUntil(lambda: view.ready and view.detail is not None, timeout=TIMEOUT)
    first = nav.visible_subjects()[0]
    assert window.overview is None and not nav.complete  # the overview is still held back
    assert view.subject_id == first and view.header.isVisible()
    assert first in view.header.title.text()
    with open_study(review_study) as session:
        expected = load_navigator_overview(session)
    n = len(expected.rows)
    assert nav.count_label.text() == f"{n} patients"
    assert cell(window, first, Column.PATIENT) == first
    assert cell(window, first, Column.PFS) == PENDING_MARK and cell(window, first, Column.BOR) == PENDING_MARK
    reviewed = sum(r.review_state == "reviewed" for r in expected.rows)
    assert window.progress_label.text() == f"{reviewed} / {n} reviewed"  # review states are known already

    # J while the overview is loading: the next patient in view order is loaded and shown
    second = nav.visible_subjects()[1]
    with qtbot.waitSignal(view.loaded, timeout=TIMEOUT, check_params_cb=lambda sid: sid == second):
        window.actions_by_name["next"].trigger()
    assert view.ready and view.subject_id == second and window.overview is None

    held_overview.set()
    qtbot.waitUntil(lambda: window.overview is not None, timeout=TIMEOUT)
    assert nav.complete and nav.current_subject() == second  # the selection survived the overview
    rows = {r.subject_id: r for r in nav.model.rows()}
    assert not any(r.pending for r in rows.values())
    assert rows == {r.subject_id: r for r in expected.rows}
    got = expected.rows[0]
    assert (
        cell(window, got.subject_id, Column.PFS) == f"{got.pfs_months:.1f} {'event' if got.pfs_event else 'censored'}"
    )
    discordant = sum(r.discordant for r in expected.rows)
    nav.discordant_only.setChecked(True)  # filters on derived columns work once complete
    assert nav.proxy.rowCount() == discordant > 0
    nav.discordant_only.setChecked(False)
    assert nav.count_label.text() == f"{n} patients"


def test_remembered_patient_first_and_panels_after(qtbot, make_window, held_overview, review_study) -> None:  # type: ignore[no-untyped-def]
    from hccreview.ui.settings import AppSettings

    with open_study(review_study) as session:
        subjects = [r.subject_id for r in load_navigator_overview(session).rows]
    remembered = subjects[5]
    AppSettings().set_last_subject(review_study, remembered)
    window = make_window(wait=False)
    tabs = window.tabs
    assert not tabs.panels_built  # nothing but the case view is built with the window
    qtbot.waitUntil(lambda: window.case_view.ready, timeout=TIMEOUT)
    assert window.case_view.subject_id == remembered and window.navigator.current_subject() == remembered
    # the other panels follow the first patient, while the overview is still held back
    qtbot.waitUntil(lambda: tabs.panels_built, timeout=TIMEOUT)
    assert window.overview is None
    assert tabs.widget(1) is tabs.adjudication and tabs.tabText(1) == "A&djudication"
    assert tabs.widget(3) is tabs.read_entry
    qtbot.waitUntil(lambda: "open" in window.adjudication_label.text(), timeout=TIMEOUT)  # the queue's counts
    held_overview.set()
    qtbot.waitUntil(lambda: window.overview is not None, timeout=TIMEOUT)
    assert window.navigator.current_subject() == remembered


def test_a_tab_not_built_yet_builds_when_shown(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window(wait=False)
    window.actions_by_name["show_dashboard"].trigger()
    tabs = window.tabs
    assert tabs.currentWidget() is tabs.dashboard  # built on demand, in front
    assert tabs.dashboard.objectName() != "dashboard_placeholder"
    qtbot.waitUntil(lambda: window.overview is not None, timeout=TIMEOUT)
    tabs.setCurrentIndex(0)
    assert tabs.currentWidget() is window.case_view
    assert window.navigator.table.horizontalHeader().sortIndicatorSection() == Column.PATIENT
    assert window.navigator.table.horizontalHeader().sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
