"""File ▸ Export data… (issue 12 item 5): the dialog, the export off the GUI thread, the reader's refusal."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hccreview.services.exporting import BlindingError
from hccreview.ui.dialogs.export_dialog import ExportDataDialog


def test_dialog_offers_the_formats_and_a_folder(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = ExportDataDialog(None, tmp_path)
    qtbot.addWidget(dialog)
    labels = [dialog.format.itemText(i) for i in range(dialog.format.count())]
    assert labels == [
        "CDISC SDTM domains (CSV) + derived responses",
        "CDISC SDTM domains (SAS XPT v5) + derived responses",
        "CSV bundle (hccreview templates)",
    ]
    assert dialog.windowTitle() == "Export data" and dialog.folder.text() == str(tmp_path / "export")
    assert dialog.choice() == ("sdtm", False, tmp_path / "export")
    dialog.format.setCurrentIndex(1)
    dialog.folder.setText(str(tmp_path / "xpt"))
    assert dialog.choice() == ("sdtm", True, tmp_path / "xpt")
    dialog.format.setCurrentIndex(2)
    assert dialog.choice() == ("csv", False, tmp_path / "xpt")
    dialog.folder.setText("  ")
    assert dialog.choice() is None


def test_export_data_writes_sdtm_off_the_gui_thread(qtbot, make_window, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    file_menu = window.menuBar().actions()[0].menu()
    assert "Export &data…" in [a.text() for a in file_menu.actions()]
    action = window.actions_by_name["export_data"]
    assert action.shortcut().toString() == "Ctrl+Shift+E" and "SDTM" in action.toolTip()
    out = tmp_path / "sdtm"
    monkeypatch.setattr(ExportDataDialog, "choose", classmethod(lambda cls, *a: ("sdtm", False, out)))
    action.trigger()
    assert not window.statusBar().currentMessage().startswith("Exported")  # the GUI thread did not wait
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Exported"), timeout=60000)
    message = window.statusBar().currentMessage()
    assert f"Exported SDTM domains to {out}: 11 files" in message
    assert ". Notes: HCC-016: the cause of death is read back from the fatal AEs" in message  # what SDTM cannot carry
    assert "cycle delays and dose-reduction flags are not exported" in message
    rs = pd.read_csv(out / "rs.csv", dtype=str, keep_default_na=False)
    assert set(rs.RSEVAL) == {"INVESTIGATOR", "INDEPENDENT ASSESSOR"} and len(rs[rs.RSTESTCD == "OVRLRESP"]) == 336
    assert window.last_error is None


def test_a_signed_in_reader_is_refused(qtbot, review_study: Path, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from hccreview.services.auth import sign_in
    from hccreview.services.session import open_study
    from hccreview.ui.main_window import MainWindow

    session = open_study(review_study)
    sign_in(session, "reader1", "reader1-demo")
    window = MainWindow(session)
    qtbot.addWidget(window)
    out = tmp_path / "bundle"
    monkeypatch.setattr(ExportDataDialog, "choose", classmethod(lambda cls, *a: ("csv", False, out)))
    window.actions_by_name["export_data"].trigger()
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=30000)
    assert isinstance(window.last_error, BlindingError)
    assert "reader1 (reader) may not export" in window.statusBar().currentMessage()
    assert not out.exists()
    window.close()


def test_cancelling_the_dialog_starts_nothing(qtbot, make_window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    monkeypatch.setattr(ExportDataDialog, "choose", classmethod(lambda cls, *a: None))
    assert ExportDataDialog.ask(window, window.session, window.runner, on_done=print, on_error=print) is None
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=30000)  # the window's own loads finish; no export
    assert not (window.session.path.parent / "export").exists() and window.last_error is None
