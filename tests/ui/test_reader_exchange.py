"""Reader exchange in the GUI (issue 11): Import reads… previews and merges a package; a refused package writes
nothing and shows each problem; the adjudication site's Reader exchange tab lists merged packages and progress.

Merging a package is an import (DESIGN §4b): the admin does it; the File menu offers each exchange action only to
the role that may use it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialogButtonBox

from hccreview.services import auth, reading
from hccreview.services.exchange import export_reads, export_snapshot
from hccreview.services.session import open_study
from hccreview.store.study_data import review_tables_digest
from hccreview.ui.dialogs.import_reads import ImportReadsDialog
from hccreview.ui.views.reader_exchange import ReaderExchangePanel
from tests.ui.adjudication_support import DEMO_PASSWORDS, TIMEOUT, QtParts, parts  # noqa: F401


def _package(study: Path, tmp_path: Path, *, subject: str = "HCC-005") -> tuple[Path, dict]:
    """reader1 corrects their first read of ``subject`` on an offline snapshot, then exports the package."""
    snap, pkg = tmp_path / "reader1.db", tmp_path / "reader1.hccr"
    with open_study(study) as s:
        auth.sign_in(s, "admin", DEMO_PASSWORDS["admin"])  # cutting a snapshot is the admin's (DESIGN §4b)
        export_snapshot(s, reader="reader1", out=snap)
    with open_study(snap) as s:
        auth.sign_in(s, "reader1", DEMO_PASSWORDS["reader1"])
        row = s.store.rows("reads", "subject_id = ?", [subject], order_by="date")[0]
        stated = "NE" if row["overall"] != "NE" else "SD"
        reading.record_read(s, subject, row["date"], row["visit"], overall=stated, target=row["target"],
                            non_target=row["non_target"], override_reason="images re-read",
                            new_lesion=None if row["new_lesion"] is None else bool(row["new_lesion"]))  # fmt: skip
        export_reads(s, user="reader1", out=pkg)
    return pkg, {**row, "stated": stated}


def test_preview_then_merge_updates_the_study_and_the_exchange_tab(qtbot, parts: QtParts, tmp_path: Path) -> None:  # noqa: F811
    pkg, row = _package(parts.path, tmp_path)
    parts.sign_in("admin")
    panel = ReaderExchangePanel(parts.context)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.readers.rowCount() == 2, timeout=TIMEOUT)
    assert panel.packages.rowCount() == 0
    assert panel.readers.item(0, 0).text() == "reader1" and panel.readers.item(0, 5).text() == "0"

    dialog = ImportReadsDialog(parts.session, parts.runner, parts.bus, path=str(pkg))
    qtbot.addWidget(dialog)
    dialog.check()
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=TIMEOUT)
    assert "Reader: " in dialog.manifest.text() and "(reader1)" in dialog.manifest.text()
    assert dialog.table.rowCount() == 1
    cells = [dialog.table.item(0, c).text() for c in range(dialog.table.columnCount())]
    assert cells[:2] == ["HCC-005", "reads"] and cells[3] == "update"
    assert (cells[4], cells[5]) == (f"overall {row['overall']}", f"overall {row['stated']}")
    assert cells[6] == "images re-read"
    assert dialog.merge_button.isEnabled() and "1 row(s) to write" in dialog.status.text()

    with qtbot.waitSignal(dialog.merged, timeout=TIMEOUT):
        dialog.merge()
    assert "Merged 1 row(s) from reader1's package" in dialog.status.text()
    with open_study(parts.path) as s:
        assert s.store.get("reads", row["id"])["overall"] == row["stated"]
    qtbot.waitUntil(lambda: panel.packages.rowCount() == 1, timeout=TIMEOUT)  # the bus told the exchange tab
    assert panel.packages.item(0, 0).text() == "reader1" and panel.packages.item(0, 1).text() == "reader1.hccr"
    assert panel.packages.item(0, 6).text() == "1" and panel.readers.item(0, 5).text() == "1"
    assert "reader1 completed" in panel.completed.text()


def test_a_refused_package_shows_each_problem_and_writes_nothing(qtbot, parts: QtParts, tmp_path: Path) -> None:  # noqa: F811
    pkg, row = _package(parts.path, tmp_path)
    parts.sign_in("reader1")  # reader1 also corrected the read on site: the package no longer fits
    from hccreview.services import review

    review.update_read(parts.session, read_id=row["id"], values={"overall": "PD"}, reason="corrected on site")
    parts.sign_in("admin")
    before = review_tables_digest(parts.session.store)
    dialog = ImportReadsDialog(parts.session, parts.runner, parts.bus, path=str(pkg))
    qtbot.addWidget(dialog)
    dialog.check()
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=TIMEOUT)
    assert not dialog.merge_button.isEnabled() and dialog.status.text().startswith("Refused: 1 problem")
    assert "HCC-005" in dialog.problems.toPlainText() and "overall=PD" in dialog.problems.toPlainText()

    data = bytearray(pkg.read_bytes())  # a damaged file: refused before any check
    data[len(data) // 2] ^= 0x20
    pkg.write_bytes(bytes(data))
    dialog.plan = None
    dialog.check()
    qtbot.waitUntil(lambda: "Refused" in dialog.status.text() and dialog.plan is None, timeout=TIMEOUT)
    assert "reader1.hccr" in dialog.problems.toPlainText()
    parts.runner.wait()
    assert review_tables_digest(parts.session.store) == before
    assert dialog.buttons.standardButton(dialog.merge_button) == QDialogButtonBox.StandardButton.NoButton


def test_file_menu_has_the_exchange_actions(make_window) -> None:  # type: ignore[no-untyped-def]
    def file_menu(window) -> set[str]:  # type: ignore[no-untyped-def]
        return {a.text() for a in window.menuBar().actions()[0].menu().actions()}

    window = make_window(user="admin")  # merges packages (an import) and writes reader snapshots
    assert {"Import &reads…", "Export s&napshot for a reader…"} <= file_menu(window)
    assert "Export &my reads…" not in file_menu(window), "an admin records no reads"
    assert window.actions_by_name["import_reads"].shortcut().toString() == "Ctrl+Shift+I"
    tabs = window.tabs.adjudication.tabs
    assert [tabs.tabText(i) for i in range(tabs.count())][-1] == "Reader e&xchange"
    reader = make_window(user="reader1")  # on a snapshot: exports their own reads, nothing else
    assert "Export &my reads…" in file_menu(reader)
    assert not {"Import &reads…", "Export s&napshot for a reader…"} & file_menu(reader)
