"""File ▸ Import images… (issue 21 item 1) on the demo study: scan a folder in the background, preview how each
series matches (new / unmatched with its reason), confirm a PatientID, apply through ``run_write``; Cancel stops a
scan and writes nothing; the action is the admin's only (absent for a reader)."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from hccreview.domain.changes import ChangeKind, Changes
from hccreview.services import images
from hccreview.services.session import open_study
from hccreview.ui.dialogs import import_images
from hccreview.ui.dialogs.import_images import ImportImagesDialog
from hccreview.ui.workers import Progress
from tests.dicom_factory import SYNTAXES, write_series
from tests.ui.adjudication_support import TIMEOUT, QtParts, parts  # noqa: F401


def _first_assessment(parts: QtParts, subject: str) -> tuple[date, str]:  # noqa: F811
    """The first (date, visit) a measurement of ``subject`` was made at (the demo study's own assessments)."""
    return min((m.date, m.visit) for m in parts.session.data().measurements if m.subject_id == subject)


def _without_demo_images(parts: QtParts) -> None:  # noqa: F811
    """The study as a core lab's own would be before its first delivery of images: no index, no image root (the
    demo registers its synthetic series when it is built). Done as the admin, audited."""
    from hccreview.domain.images import IMAGE_ROOT_KEY
    from hccreview.store import images as index

    store = parts.session.store
    with store.transaction():
        for series in index.list_series(store):
            index.delete_series(store, series.series_uid, reason="test: a study without images")
        store.delete("settings", IMAGE_ROOT_KEY, reason="test: a study without images")


def _table(dialog: ImportImagesDialog) -> list[list[str]]:
    t = dialog.table
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def test_scan_preview_confirm_a_patient_id_and_apply(qtbot, parts: QtParts, tmp_path: Path) -> None:  # noqa: F811
    parts.sign_in("admin")
    _without_demo_images(parts)
    first, second = (s.subject_id for s in parts.session.data().subjects[:2])
    (a_date, a_visit), (b_date, b_visit) = _first_assessment(parts, first), _first_assessment(parts, second)
    folder = tmp_path / "dicom"
    write_series(folder / first / "art", subject_id=first, timepoint_id=a_visit, study_date=a_date,
                 description="ARTERIAL", syntax=SYNTAXES["j2k"])  # fmt: skip
    write_series(folder / "pid" / "pv", patient_id=second, study_date=b_date, description="Abdomen PV")
    write_series(folder / "unknown", subject_id="HCC-999", study_date=a_date)
    (folder / "readme.txt").write_text("delivery note", encoding="utf-8")
    published: list[Changes] = []
    parts.bus.changed.connect(lambda changes, initiator: published.append(changes))

    dialog = ImportImagesDialog(parts.session, parts.runner, parts.bus, folder=str(folder))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.start()
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=TIMEOUT)
    assert _table(dialog) == [
        ["new", first, str(a_date), a_visit, "CT arterial", "3",
         "Clinical Trial Subject ID; ClinicalTrialTimePointID = visit"],
        ["unmatched", f"PatientID {second}", str(b_date), "", "CT portal venous — Abdomen PV", "3",
         f"PatientID '{second}' is not mapped: confirm the mapping"],
        ["unmatched", "HCC-999", str(a_date), "", "CT", "3", "no subject 'HCC-999' in this study"],
    ]  # fmt: skip
    assert dialog.status.text() == (
        f"Preview: 1 series to register (3 images), 2 unmatched, 0 unchanged, 0 changed; {folder.resolve()} becomes "
        "the study's image root. Nothing is written until you press Apply."
    )
    assert dialog.problems.toPlainText() == "Not DICOM, ignored (1): readme.txt"
    assert dialog.apply_button.isEnabled() and not published

    box = dialog.checkboxes[second]
    assert box.text() == f"PatientID '{second}' is subject {second} (1 series)" and not box.isChecked()
    box.setChecked(True)  # re-planned from the same scan
    qtbot.waitUntil(lambda: len(dialog.plan.matched) == 2 and dialog.apply_button.isEnabled(), timeout=TIMEOUT)
    assert _table(dialog)[1] == ["new", second, str(b_date), b_visit, "CT portal venous — Abdomen PV", "3",
                                 "PatientID (confirmed); StudyDate = assessment date"]  # fmt: skip

    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT):
        dialog.apply_button.click()
    assert dialog.status.text() == (
        f"Registered 2 series (6 images) for 2 patient(s); the image root is now {folder.resolve()}."
    )
    assert published == [Changes.of(first, second, kinds={ChangeKind.IMAGES})]
    parts.runner.wait()
    with open_study(parts.path) as session:
        assert [s.visit for s in images.series_for(session, first)] == [a_visit]
        assert images.check_image_files(session) == []

    outside = tmp_path / "elsewhere"
    write_series(outside, subject_id=first, study_date=a_date)
    dialog.folder.setText(str(outside))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Refused:"), timeout=TIMEOUT)
    assert f"{outside.resolve()} is outside the study's image root {folder.resolve()}" in dialog.status.text()
    assert dialog.table.rowCount() == 0 and not dialog.apply_button.isEnabled()


def test_cancel_stops_the_scan_and_writes_nothing(qtbot, parts: QtParts, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    parts.sign_in("admin")
    _without_demo_images(parts)
    folder = tmp_path / "dicom"
    write_series(folder, subject_id="HCC-001", study_date=date(2024, 1, 1))

    def slow_scan(path: Path, *, progress: Progress) -> object:
        while not progress.cancelled:  # a long scan: runs until the user cancels it
            time.sleep(0.01)
        return images.scan_folder(path, cancelled=lambda: progress.cancelled)

    monkeypatch.setattr(import_images, "scan_job", slow_scan)
    dialog = ImportImagesDialog(parts.session, parts.runner, parts.bus, folder=str(folder))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start()
    qtbot.waitUntil(lambda: dialog.scanning, timeout=TIMEOUT)
    assert not dialog.scan_button.isEnabled()
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: dialog.status.text() == "Scan cancelled; nothing was written.", timeout=TIMEOUT)
    assert dialog.isVisible() and dialog.scan_button.isEnabled() and dialog.plan is None
    parts.runner.wait()
    with open_study(parts.path) as session:
        assert session.store.rows("image_series") == [] and images.image_root(session) is None


def test_the_menu_offers_import_images_to_the_admin_only(qtbot, make_window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    asked: list[object] = []
    monkeypatch.setattr(ImportImagesDialog, "ask", classmethod(lambda cls, *args: asked.append(args)))
    reader = make_window(user="reader1")
    names = {a.objectName() for top in reader.menuBar().actions() for a in top.menu().actions()}
    assert "action_import" not in names and "action_import_images" not in names, "absent for a reader, not disabled"
    admin = make_window(user="admin")
    action = admin.actions_by_name["import_images"]
    file_menu = admin.menuBar().actions()[0].menu()
    assert action in file_menu.actions() and action.text() == "Import ima&ges…"
    assert action.shortcut().toString() == "Ctrl+Alt+I"
    action.trigger()
    assert len(asked) == 1 and asked[0][1] is admin.session


def test_srs_beside_the_images_are_previewed_as_a_named_evaluator(qtbot, parts: QtParts, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from tests.e2e.test_import_images_cli import write_sr

    parts.sign_in("admin")
    _without_demo_images(parts)
    first = parts.session.data().subjects[0].subject_id
    when, visit = _first_assessment(parts, first)
    folder = tmp_path / "dicom"
    series = write_series(folder / "ct", subject_id=first, timepoint_id=visit, study_date=when)
    write_sr(folder / "sr" / "read.dcm", series, when=when, visit=visit, baseline=True, length_px=25,
             subject_id=first)  # fmt: skip
    dialog = ImportImagesDialog(parts.session, parts.runner, parts.bus, folder=str(folder))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.start()
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=TIMEOUT)
    assert dialog.reports.isVisible() and dialog.evaluator.placeholderText() == "each document's observer"
    text = dialog.report_text.toPlainText().splitlines()
    assert text[1] == (f"  read.dcm: {first} {when} {visit} as Doe-Jane (observer Doe Jane, matched by referenced "
                       "images) — 1 lesion(s)")  # fmt: skip

    dialog.evaluator.setText("outside")
    dialog.evaluator.editingFinished.emit()  # re-planned as the evaluator typed
    qtbot.waitUntil(lambda: dialog.sr_plan is not None and dialog.sr_plan.documents[0].evaluator == "outside",
                    timeout=TIMEOUT)  # fmt: skip
    qtbot.waitUntil(dialog.apply_button.isEnabled, timeout=TIMEOUT)
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT):
        dialog.apply_button.click()
    assert dialog.status.text().endswith("SR import: 1 document(s): 1 lesion(s), 1 measurement(s), 0 read(s) written.")
    parts.runner.wait()
    with open_study(parts.path) as session:
        (lesion,) = session.store.rows("lesions", "reader = 'outside'")
        (measured,) = session.store.rows("measurements", "reader = 'outside'")
    assert (lesion["subject_id"], lesion["lesion_id"], lesion["kind"]) == (first, "T01", "target")
    assert (measured["date"], measured["diameter_mm"]) == (when.isoformat(), 20.0)
