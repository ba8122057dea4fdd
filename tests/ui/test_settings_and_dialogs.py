"""Settings (typed access, recent files, versions), the start-up choice of study, and the import dialog for real."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from hccreview.ui.settings import MAX_RECENT, SETTINGS_VERSION, AppSettings, study_key


def test_recent_files_are_deduplicated_newest_first_and_capped(tmp_path: Path) -> None:
    settings = AppSettings()
    paths = [tmp_path / f"s{i}.db" for i in range(MAX_RECENT + 3)]
    for p in paths:
        settings.add_recent(p)
    settings.add_recent(paths[-3])  # reopened: moves to the front, no duplicate
    recent = settings.recent_files()
    assert len(recent) == MAX_RECENT
    assert recent[0] == paths[-3].resolve()
    assert len(set(recent)) == len(recent)
    settings.remove_recent(paths[-3])
    assert paths[-3].resolve() not in settings.recent_files()
    settings.clear_recent()
    assert settings.recent_files() == []


def test_values_per_study_and_types(tmp_path: Path) -> None:
    settings = AppSettings()
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    settings.set_last_subject(a, "P07")
    settings.set_source(a, "investigator")
    assert settings.last_subject(a) == "P07" and settings.last_subject(b) is None
    assert settings.source(a) == "investigator" and settings.source(b) is None
    assert study_key(a) == study_key(tmp_path / "." / "a.db")  # one key per file, however it is spelled
    settings.last_study = a
    assert AppSettings().last_study == a.resolve()  # another instance reads the same store
    settings.set_panel_state("navigator", {"text": "P1", "child_pugh": "B"})
    assert settings.panel_state("navigator") == {"text": "P1", "child_pugh": "B"}
    assert settings.window_geometry() is None


def test_settings_version_and_damaged_values() -> None:
    raw = QSettings()
    raw.setValue("meta/version", 99)  # written by a newer program: start clean
    raw.setValue("study/recent", "{not json")
    settings = AppSettings()
    assert settings.version == SETTINGS_VERSION
    assert settings.recent_files() == []
    raw.setValue("panels/navigator", "[1, 2]")  # the wrong shape reads as empty
    assert settings.panel_state("navigator") == {}


def test_start_up_study_choice(tmp_path: Path, review_study: Path) -> None:
    from hccreview.ui.app import study_to_open

    settings = AppSettings()
    assert study_to_open(str(review_study), settings) == review_study  # asked for
    settings.last_study = review_study
    assert study_to_open(None, settings) == review_study.resolve()  # the last one, still there
    settings.last_study = tmp_path / "gone.db"
    demo = study_to_open(None, settings)  # the last one is gone: the demo study (built on first run)
    assert demo.name == "demo-study.db" and demo.is_file()


def test_import_dialog_imports_a_bundle_and_the_window_follows(qtbot, tmp_path: Path, review_study: Path) -> None:  # type: ignore[no-untyped-def]
    from hccreview.services.exporting import export_bundle
    from hccreview.services.session import create_study, open_study
    from hccreview.ui.dialogs.import_dialog import ImportDialog
    from hccreview.ui.main_window import MainWindow

    with open_study(review_study) as session:
        n = len(session.data().subjects)
        export_bundle(session, tmp_path / "bundle")
    create_study(tmp_path / "empty.db", title="Empty").close()
    window = MainWindow(open_study(tmp_path / "empty.db"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.overview is not None)
    assert window.progress_label.text() == "0 / 0 reviewed"

    dialog = ImportDialog(window.session, window.runner, window.bus, window)
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("csv"))
    dialog.folder.setText(str(tmp_path / "bundle"))
    assert dialog.start()  # into the open study: a data transfer, previewed first (issue 12)
    qtbot.waitUntil(lambda: dialog.preview_value is not None, timeout=60000)
    assert dialog.import_button.text() == "&Apply transfer" and f"{n} patient(s) new" in dialog.preview.summary.text()
    with qtbot.waitSignal(dialog.imported, timeout=60000):
        assert dialog.start()
    assert "imported into" in dialog.report.toPlainText()
    assert dialog.progress.value() == 100
    qtbot.waitUntil(lambda: window.progress_label.text() == f"0 / {n} reviewed", timeout=30000)
    assert len(window.navigator.visible_subjects()) <= n
    window.close()


def test_import_dialog_reports_a_refused_import(qtbot, tmp_path: Path, review_study: Path) -> None:  # type: ignore[no-untyped-def]
    from hccreview.services.session import open_study
    from hccreview.ui.bus import ChangeBus
    from hccreview.ui.dialogs.import_dialog import ImportDialog
    from hccreview.ui.workers import Runner

    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "subjects.csv").write_text("subject_id,age\nX1,not a number\n", encoding="utf-8")
    runner, bus = Runner(), ChangeBus()
    with open_study(review_study) as session:
        dialog = ImportDialog(session, runner, bus)
        qtbot.addWidget(dialog)
        dialog.format.setCurrentIndex(dialog.format.findData("csv"))
        dialog.folder.setText(str(tmp_path / "nowhere"))
        assert not dialog.start()  # not a folder: nothing runs
        assert "Not a folder" in dialog.status.text()
        dialog.folder.setText(str(tmp_path / "bad"))
        published: list[object] = []
        bus.changed.connect(lambda *args: published.append(args))
        assert dialog.start()
        qtbot.waitUntil(lambda: not dialog.close_button.isHidden(), timeout=60000)
        assert not published  # nothing written, nothing published
        text = dialog.report.toPlainText()
        assert "nothing was written" in text
        assert dialog.result_value is None
        runner.wait()


def test_import_into_a_new_study_file_then_the_window_asks_to_open_it(
    qtbot, tmp_path: Path, review_study: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from hccreview.services.exporting import export_bundle
    from hccreview.services.session import open_study
    from hccreview.ui.dialogs.import_dialog import ImportDialog
    from hccreview.ui.main_window import MainWindow

    window = MainWindow(open_study(review_study))
    qtbot.addWidget(window)
    export_bundle(window.session, tmp_path / "bundle")  # direct service call: the window is still loading
    dialog = ImportDialog(window.session, window.runner, window.bus, window)
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("csv"))
    dialog.folder.setText(str(tmp_path / "bundle"))
    dialog.target.setCurrentIndex(dialog.target.findData("new"))
    assert dialog.title.isEnabled()
    dialog.new_path.setText(str(review_study))
    assert not dialog.start()  # an existing file is never overwritten
    dialog.new_path.setText(str(tmp_path / "copy.db"))
    dialog.title.setText("Copy of the study")
    with qtbot.waitSignal(dialog.imported, timeout=60000) as done:
        assert dialog.start()
    result = done.args[0]
    assert result.created and Path(result.study) == tmp_path / "copy.db"
    with open_study(tmp_path / "copy.db") as copy:
        assert copy.settings().title == "Copy of the study"

    monkeypatch.setattr(ImportDialog, "ask", classmethod(lambda cls, *a: result))
    with qtbot.waitSignal(window.open_requested) as opened:
        window.actions_by_name["import"].trigger()
    assert opened.args == [str(tmp_path / "copy.db")]
    window.close()
