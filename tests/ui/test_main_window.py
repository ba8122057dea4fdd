"""The real main window on the review study (the demo, or its small stand-in): load, step, filter, sort, review.

Keyboard tests send keys to the window as a user would (the shortcut machinery decides), with the focus in
the patient table; the rest drives widgets through their methods (pytest-qt's advice for reliable tests).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from hccreview import __version__
from hccreview.ui.models.navigator_model import Column
from hccreview.ui.settings import AppSettings


def current(window) -> str | None:  # type: ignore[no-untyped-def]
    return window.navigator.current_subject()


def press(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:  # type: ignore[no-untyped-def]
    window.navigator.table.setFocus()
    qtbot.keyClick(window, key, modifier)


def row_of(window, subject_id: str):  # type: ignore[no-untyped-def]
    return window.navigator.model.patient(subject_id)


SHIFT_CONTROL = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def strip_shows(qtbot, window, subject_id: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until the case's review strip (its one Mark reviewed button) has loaded ``subject_id``."""
    strip = window.case_view.review_status
    qtbot.waitUntil(lambda: strip.review is not None and strip.review.subject_id == subject_id)


def test_opens_without_blocking_and_shows_the_study(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window(wait=False)
    # the constructor returned before the overview: the window says so instead of freezing
    assert window.overview is None
    assert window.navigator.loading.text() == "Loading…"
    assert window.progress_label.text() == "Loading…"
    qtbot.waitUntil(lambda: window.overview is not None, timeout=30000)
    n = len(window.overview.rows)
    assert n == 40  # the demo study
    assert window.windowTitle() == f"{window.overview.title} — hccreview"
    assert window.progress_label.text() == f"0 / {n} reviewed"
    assert window.user_label.text() == "User: adjudicator (adjudicator)"
    assert window.overview.title in window.study_label.text()
    assert window.navigator.visible_subjects()[0] == current(window)  # first patient selected
    assert window.navigator.table.hasFocus() or not window.isActiveWindow()


def test_step_through_all_patients_with_the_keyboard(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    order = window.navigator.visible_subjects()
    assert current(window) == order[0]
    for expected in order[1:]:
        press(qtbot, window, Qt.Key.Key_J)
        assert current(window) == expected
    press(qtbot, window, Qt.Key.Key_J)  # at the end: stays, and says so
    assert current(window) == order[-1]
    assert "Last patient" in window.statusBar().currentMessage()
    for expected in reversed(order[:-1]):
        press(qtbot, window, Qt.Key.Key_K)
        assert current(window) == expected
    press(qtbot, window, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert current(window) == order[1]
    press(qtbot, window, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert current(window) == order[0]


def test_case_view_follows_the_selection(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    order = window.navigator.visible_subjects()
    press(qtbot, window, Qt.Key.Key_J)
    qtbot.waitUntil(lambda: window.case_view.subject_id == order[1])


def test_filter_by_text_and_child_pugh_then_step(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    nav = window.navigator
    everyone = nav.visible_subjects()
    needle = everyone[1][-1]  # the last character of an id: matches some patients, not all
    nav.text_filter.setText(needle)
    shown = nav.visible_subjects()
    assert shown and all(needle.casefold() in s.casefold() for s in shown)
    assert f"{len(shown)} of {len(everyone)}" in nav.count_label.text() or len(shown) == len(everyone)
    nav.text_filter.clear()
    assert nav.visible_subjects() == everyone

    nav.cp_filter.setCurrentIndex(nav.cp_filter.findData("B"))
    shown = nav.visible_subjects()
    assert shown and all(row_of(window, s).child_pugh == "B" for s in shown)
    assert len(shown) < len(everyone)
    nav.select_subject(shown[0])
    for expected in shown[1:]:  # stepping follows the filtered view
        press(qtbot, window, Qt.Key.Key_J)
        assert current(window) == expected
    window.actions_by_name["clear_filters"].trigger()
    assert nav.visible_subjects() == everyone


def test_sort_by_pfs_and_step_in_that_order(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    nav = window.navigator
    nav.table.sortByColumn(Column.PFS, Qt.SortOrder.AscendingOrder)
    order = nav.visible_subjects()
    months = [row_of(window, s).pfs_months for s in order]
    assert months == sorted(months)
    nav.table.sortByColumn(Column.PFS, Qt.SortOrder.DescendingOrder)
    order = nav.visible_subjects()
    assert [row_of(window, s).pfs_months for s in order] == sorted(months, reverse=True)
    nav.select_subject(order[0])
    for expected in order[1:4]:
        press(qtbot, window, Qt.Key.Key_J)
        assert current(window) == expected


def test_next_discordant_and_next_unreviewed(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    order = window.navigator.visible_subjects()
    discordant = [s for s in order if row_of(window, s).discordant]
    assert discordant, "the review study must have discordant patients"
    for expected in discordant + discordant[:1]:  # in view order, wrapping around
        press(qtbot, window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
        assert current(window) == expected

    window.navigator.select_subject(order[0])
    n = len(order)
    strip_shows(qtbot, window, order[0])
    press(qtbot, window, Qt.Key.Key_Return, SHIFT_CONTROL)  # Mark reviewed ▸ patient (every record kind)
    qtbot.waitUntil(lambda: window.progress_label.text() == f"1 / {n} reviewed")
    window.navigator.select_subject(order[-1])
    press(qtbot, window, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)  # wraps, skips the reviewed one
    assert current(window) == order[1]


def test_mark_reviewed_then_undo_and_redo(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    n = len(window.overview.rows)
    first = current(window)
    assert window.progress_label.text() == f"0 / {n} reviewed"
    strip_shows(qtbot, window, first)
    press(qtbot, window, Qt.Key.Key_Return, SHIFT_CONTROL)  # Mark reviewed ▸ patient (every record kind)
    qtbot.waitUntil(lambda: window.progress_label.text() == "1 / 40 reviewed")
    assert row_of(window, first).review_state == "reviewed"
    assert window.undo_action.text() == f"&Undo mark {first} reviewed"
    marks = window.case_view.review_status.mark_actions
    qtbot.waitUntil(lambda: not marks["patient"].isEnabled())  # already reviewed

    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.progress_label.text() == "0 / 40 reviewed")
    assert row_of(window, first).review_state == "not started"
    window.redo_action.trigger()
    qtbot.waitUntil(lambda: window.progress_label.text() == f"1 / {n} reviewed")


def test_position_filters_and_layout_survive_a_restart(qtbot, make_window, review_study: Path) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    order = window.navigator.visible_subjects()
    for _ in range(3):
        press(qtbot, window, Qt.Key.Key_J)
    chosen = current(window)
    assert chosen == order[3]
    window.navigator.table.sortByColumn(Column.OS, Qt.SortOrder.DescendingOrder)
    window.navigator.cp_filter.setCurrentIndex(0)
    window.toolbar.hide()
    geometry = window.geometry()
    window.close()

    assert AppSettings().last_subject(review_study) == chosen
    again = make_window()
    assert current(again) == chosen
    assert AppSettings().window_geometry() is not None and AppSettings().window_state() is not None
    screen = again.screen().availableGeometry()
    if geometry.width() <= screen.width() and geometry.height() <= screen.height():
        assert again.size() == geometry.size()  # (offscreen's small screen clamps a larger window)
    assert again.toolbar.isHidden()  # saveState / restoreState
    again.actions_by_name["reset_layout"].trigger()
    assert not again.toolbar.isHidden()
    header = again.navigator.table.horizontalHeader()
    assert header.sortIndicatorSection() == Column.OS
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder


def test_source_menu_switches_the_best_response_shown(qtbot, make_window, review_study: Path) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    sources = window.overview.sources
    actions = window.source_group.actions()
    assert [a.data() for a in actions] == sources
    assert sum(a.isChecked() for a in actions) == 1
    other = next(s for s in sources if s != window.navigator.model.source)
    window.findChild(type(actions[0]), f"source_{other}").trigger()
    assert window.navigator.model.source == other
    assert AppSettings().source(review_study) == other


def test_about_and_import_go_through_their_ask(qtbot, make_window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from hccreview.ui.dialogs import about, import_dialog

    window = make_window()
    calls: list[tuple[str, tuple]] = []
    monkeypatch.setattr(about.AboutDialog, "ask", classmethod(lambda cls, *a: calls.append(("about", a))))
    monkeypatch.setattr(import_dialog.ImportDialog, "ask", classmethod(lambda cls, *a: calls.append(("import", a))))
    window.actions_by_name["about"].trigger()
    window.actions_by_name["import"].trigger()
    assert calls[0][0] == "about" and calls[0][1][1] == window.session.path
    assert calls[1][0] == "import" and calls[1][1][1] is window.session
    text = about.about_text(window.session.path, "T")
    assert __version__ in text and str(window.session.path) in text and "Qt" in text


def test_export_report_renders_a_pdf_off_the_gui_thread(qtbot, make_window, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from hccreview.ui.dialogs import export_dialog

    window = make_window()
    out = tmp_path / "summary.pdf"
    monkeypatch.setattr(export_dialog.ExportDialog, "choose", classmethod(lambda cls, *a: (None, out)))
    window.actions_by_name["export_report"].trigger()
    qtbot.waitUntil(lambda: "Wrote" in window.statusBar().currentMessage(), timeout=60000)
    assert out.read_bytes().startswith(b"%PDF") and str(out) in window.statusBar().currentMessage()


def test_every_action_has_a_shortcut(make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    named = [*window.actions_by_name.values(), window.undo_action, window.redo_action]
    named += [*window.source_group.actions(), window.toggle_navigator_action]
    missing = [a.text() for a in named if not a.shortcuts()]
    assert not missing
    keys = [a.shortcut().toString() for a in named]
    assert len(keys) == len(set(keys)), "two actions share a shortcut"


def test_open_recent_replaces_the_window(qtbot, review_study: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from hccreview.services import auth
    from hccreview.services.session import open_study
    from hccreview.ui.app import StudyLauncher
    from hccreview.ui.dialogs.sign_in import SignInDialog

    signed: list[str] = []

    def ask(cls, session, *a, **k):  # type: ignore[no-untyped-def]
        signed.append(str(session.path))
        return auth.sign_in(session, "admin", "admin-demo")

    monkeypatch.setattr(SignInDialog, "ask", classmethod(ask))

    other = tmp_path / "other.db"
    shutil.copyfile(review_study, other)
    settings = AppSettings()
    launcher = StudyLauncher(settings)
    first = launcher.show_session(open_study(review_study))
    qtbot.addWidget(first)
    qtbot.waitUntil(lambda: first.overview is not None)
    assert settings.recent_files()[0] == review_study.resolve()
    first.recent_menu.aboutToShow.emit()  # the menu lists the study
    assert any(review_study.name in a.text() for a in first.recent_menu.actions())

    first.open_requested.emit(str(other))
    qtbot.waitUntil(lambda: launcher.windows and launcher.windows[0] is not first, timeout=30000)
    second = launcher.windows[0]
    qtbot.addWidget(second)
    assert second.session.path == other and not first.isVisible()
    assert [Path(s).name for s in signed] == [review_study.name, "other.db"]  # each study opens with a sign-in
    assert second.session.signed_in is not None and second.session.signed_in.username == "admin"
    assert [p.name for p in settings.recent_files()[:2]] == ["other.db", review_study.name]
    assert settings.last_study == other.resolve()
    qtbot.waitUntil(lambda: second.overview is not None)
    second.close()
    launcher.runner.wait()
