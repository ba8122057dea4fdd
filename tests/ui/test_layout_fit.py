"""Issue 19 item 1: every window, tab, sub-tab and dialog is usable at 1366×768 and uses the room at 1920×1080.

The main window is opened once per study (module-scoped: the demo study, and the real SDTM ``recist`` and ``onco``
deliveries imported into studies, skipped where ../shared/data is absent) and walked at both sizes: every tab of
every tab widget, found by introspection (``layout_checks.walk_tabs``), nested ones too. On each page
``layout_checks.layout_misfits`` reports every widget whose content needs more room than it is given: the window
wider or taller than the screen, a header section narrower than its title, a cell cut without a tooltip, a table
whose columns run off its viewport, a label cut short, a tab elided or hidden behind scroll buttons. The dialogs
are those the File and Help menus open (``QDialog.exec`` is intercepted: each is checked where it would wait for
the user) and every other dialog class of ``hccreview.ui.dialogs`` and the adjudication panel, built directly;
a dialog class that is neither fails the coverage test. Meeting mode is checked at both sizes.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, QSize
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QMessageBox, QWidget

from tests.conftest import SHARED_DATA
from tests.ui.conftest import DEMO_PASSWORDS
from tests.ui.layout_checks import Misfit, layout_misfits, report, walk_tabs

SIZES = {"1366x768": QSize(1366, 768), "1920x1080": QSize(1920, 1080)}
STUDIES = ("demo", "recist", "onco")


def _settle(app: QCoreApplication, window: QWidget, seconds: float = 60.0) -> None:
    """Process events until the window's runner is idle (loads after a tab switch), then once more."""
    runner = getattr(window, "runner", None)
    deadline = time.monotonic() + seconds
    while True:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        if runner is None or not runner.busy or time.monotonic() > deadline:
            break
        time.sleep(0.005)
    app.processEvents()


def _build(name: str, folder: Path, demo_template: Path) -> Path:
    if name == "demo":
        return Path(shutil.copyfile(demo_template, folder / "demo.db"))
    if not (SHARED_DATA / name).is_dir():
        pytest.skip(f"real SDTM data not present at {SHARED_DATA} (clone outside the workspace)")
    from hccreview.services.importing import import_into

    import_into(folder / f"{name}.db", fmt="sdtm", source=SHARED_DATA / name)
    return folder / f"{name}.db"


@pytest.fixture(scope="module", params=STUDIES)
def window(request: pytest.FixtureRequest, qapp: QApplication, _study_template: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[QWidget]:  # fmt: skip
    """The main window on one study, every panel built, at 1366×768 (the demo as its adjudicator, who sees every
    panel but the admin's; an imported study, which has no accounts yet, as the system user who sees all)."""
    from hccreview.services import auth
    from hccreview.services.session import open_study
    from hccreview.ui.main_window import MainWindow
    from hccreview.ui.settings import AppSettings

    folder = tmp_path_factory.mktemp(f"layout-{request.param}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HCCREVIEW_DATA_DIR", str(folder / "userdata"))
        study = _build(request.param, folder, _study_template)
        session = open_study(study)
        if request.param == "demo":
            from hccreview.services import demo_images

            auth.sign_in(session, "adjudicator", DEMO_PASSWORDS["adjudicator"])
            first = session.data().subjects[0].subject_id
            demo_images.generate(session, first)  # the Images tab is walked with its series and lesion list filled
        settings = AppSettings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
        win = MainWindow(session, settings=settings)
        win.resize(SIZES["1366x768"])  # before the first show: the navigator dock is sized for this width
        win.show()
        deadline = time.monotonic() + 60
        while not (win.overview is not None and win.case_view.ready) and time.monotonic() < deadline:
            qapp.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        assert win.overview is not None, "the study did not load"
        win.tabs.build_panels()
        _settle(qapp, win)
        yield win
        win.close()


def _page_misfits(app: QCoreApplication, win: QWidget, size: QSize) -> tuple[list[str], list[Misfit]]:
    win.resize(size)
    _settle(app, win)
    pages: list[str] = []
    found: list[Misfit] = []

    def visit(where: str) -> None:
        pages.append(where)
        found.extend(layout_misfits(win, size))

    walk_tabs(win, visit, lambda: _settle(app, win))
    win.tabs.setCurrentWidget(win.case_view)  # type: ignore[attr-defined]
    _settle(app, win)
    return pages, found


@pytest.mark.parametrize("size", SIZES)
def test_every_tab_fits(qapp: QApplication, window: QWidget, size: str) -> None:
    pages, found = _page_misfits(qapp, window, SIZES[size])
    assert any(p.endswith("[Tumour assessments]") for p in pages) and any("[Reader performance]" in p for p in pages)
    assert any(p.endswith("[Cohort dashboard][PFS]") or "[PFS]" in p for p in pages), "nested tabs are walked"
    assert not found, f"{len(found)} widgets need more room than they have at {size}:\n{report(found)}"


@pytest.mark.parametrize("size", SIZES)
def test_the_navigator_shows_its_columns_through_os(qapp: QApplication, window: QWidget, size: str) -> None:
    from hccreview.ui.models.navigator_model import Column

    window.resize(SIZES[size])
    window.tabs.setCurrentWidget(window.case_view)  # type: ignore[attr-defined]
    _settle(qapp, window)
    table = window.navigator.table  # type: ignore[attr-defined]
    header = table.horizontalHeader()
    assert header.offset() == 0
    right = header.sectionViewportPosition(Column.OS) + header.sectionSize(Column.OS)
    assert right <= table.viewport().width(), f"OS ends at {right} px, the list shows {table.viewport().width()}"


def test_the_tumour_grid_shows_six_timepoints_and_the_responses(qapp: QApplication, window: QWidget) -> None:
    """At 1366×768: at least six timepoints beside the lesion titles, and the timepoint response rows on screen
    whatever the number of lesions (they are pinned below the lesions)."""
    window.resize(SIZES["1366x768"])
    view = window.case_view  # type: ignore[attr-defined]
    window.tabs.setCurrentWidget(view)  # type: ignore[attr-defined]
    view.tabs.setCurrentWidget(view.tumour)
    _settle(qapp, window)
    model, grids = view.tumour.model, view.tumour.grid_views
    most, reader = _most_timepoints(window)
    window.navigator.select_subject(most)  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while not (view.ready and view.subject_id == most) and time.monotonic() < deadline:
        qapp.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    view.tumour.reader.setCurrentText(reader)
    _settle(qapp, window)
    columns = model.columnCount()
    viewport = grids.lesions.viewport().width()
    shown = sum(1 for c in range(columns) if grids.lesions.columnViewportPosition(c) + grids.lesions.columnWidth(c)
                <= viewport)  # fmt: skip
    widths = [grids.lesions.columnWidth(c) for c in range(columns)]
    assert shown >= min(6, columns), (
        f"{shown} of {columns} timepoints on screen for {most} ({reader}): {viewport} px for columns {widths}, "
        f"split {view.tumour.splitter.sizes()}"
    )
    computed = model.find_row("computed")
    rect = grids.responses.visualRect(model.index(computed, 0))
    assert grids.responses.isVisible() and rect.isValid()
    assert grids.responses.viewport().rect().contains(rect), "the timepoint response row is on screen"
    assert grids.responses.mapTo(window, rect.bottomLeft()).y() < window.height()


def _most_timepoints(window: QWidget) -> tuple[str, str]:
    """The patient and reader with the most assessment dates (and, among those, the most lesions)."""
    data = window.session.data()  # type: ignore[attr-defined]
    dates: dict[tuple[str, str], set[object]] = {}
    lesions: dict[tuple[str, str], int] = {}
    for m in data.measurements:
        dates.setdefault((m.subject_id, m.reader), set()).add(m.date)
    for x in data.lesions:
        lesions[(x.subject_id, x.reader)] = lesions.get((x.subject_id, x.reader), 0) + 1
    return max(dates, key=lambda k: (len(dates[k]), lesions.get(k, 0)))


@pytest.mark.parametrize("size", SIZES)
def test_meeting_mode_fits(qapp: QApplication, window: QWidget, size: str) -> None:
    tabs = window.tabs  # type: ignore[attr-defined]
    assert tabs.shows("adjudication"), "the window is the adjudicator's or the system user's: meeting mode is theirs"
    tabs.open_meeting()
    meeting = tabs.meeting
    try:
        meeting.showNormal()
        meeting.resize(SIZES[size])
        deadline = time.monotonic() + 60
        while not meeting.loaded and time.monotonic() < deadline:
            qapp.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        _settle(qapp, window)
        found = layout_misfits(meeting, SIZES[size])
        assert not found, f"meeting mode at {size}:\n{report(found)}"
    finally:
        tabs.close_meeting()
        _settle(qapp, window)


# ---------------------------------------------------------------------------------------------- dialogs
def _dialog_classes() -> set[type[QDialog]]:
    """Every QDialog subclass defined in ``hccreview.ui.dialogs`` and the adjudication panel's reason dialog (not
    ``FormDialog``, the prompts' shared base, which is never shown on its own)."""
    import hccreview.ui.dialogs as package
    from hccreview.ui.dialogs.form_dialog import FormDialog

    modules = [importlib.import_module(f"{package.__name__}.{m.name}") for m in pkgutil.iter_modules(package.__path__)]
    modules.append(importlib.import_module("hccreview.ui.views.adjudication_reason"))
    return {c for m in modules for _n, c in inspect.getmembers(m, inspect.isclass)
            if issubclass(c, QDialog) and c.__module__ == m.__name__ and c is not FormDialog}  # fmt: skip


def _direct_dialogs(window: QWidget) -> dict[type[QDialog], Callable[[], QDialog]]:
    """The dialogs that panels open, or menus that the adjudicator does not have (import is the admin's): built
    with sample arguments."""
    from hccreview.services.lesions import ReaderTimepoints
    from hccreview.services.queries import Target
    from hccreview.ui.dialogs.import_dialog import ImportDialog
    from hccreview.ui.dialogs.import_images import ImportImagesDialog
    from hccreview.ui.dialogs.import_reads import ImportReadsDialog
    from hccreview.ui.dialogs.lesion_dialogs import AddLesionDialog, StartTimepointDialog
    from hccreview.ui.dialogs.query_dialog import QueryDialog
    from hccreview.ui.dialogs.reason import ReasonDialog
    from hccreview.ui.dialogs.signature import SignatureDialog
    from hccreview.ui.dialogs.users import PasswordForm, UsersDialog
    from hccreview.ui.views.adjudication_reason import DecisionReasonDialog

    session, runner = window.session, window.runner  # type: ignore[attr-defined]
    prompt = "Read 2 (reader2, best overall response PD) stands for HCC-009.\nWhy did the readers differ?"
    targets = [Target("patient", "HCC-009", "Patient HCC-009"), Target("visit", "2010-04-11", "Visit WEEK 56")]
    scans = tuple(date(2009, 1, 1) + timedelta(days=56 * k) for k in range(16))
    timepoints = ReaderTimepoints("HCC-009", "reader1", scans, scans[:1], scans[1:], 3)
    return {
        ReasonDialog: lambda: ReasonDialog("Change T01 on 2010-04-11", prompt, window),
        SignatureDialog: lambda: SignatureDialog(
            "adjudicated", "Dr Adjudicator (adjudicator)", window, subject="HCC-009: reader2's read — measurement"
        ),
        DecisionReasonDialog: lambda: DecisionReasonDialog("Choose read 2 for HCC-009", prompt, window),
        QueryDialog: lambda: QueryDialog("HCC-009", targets, window),
        UsersDialog: lambda: UsersDialog(session, runner, window.bus, window),  # type: ignore[attr-defined]
        ImportDialog: lambda: ImportDialog(session, runner, window.bus, window),  # type: ignore[attr-defined]
        ImportReadsDialog: lambda: ImportReadsDialog(session, runner, window.bus, window),  # type: ignore[attr-defined]
        ImportImagesDialog: lambda: ImportImagesDialog(session, runner, window.bus, window),  # type: ignore[attr-defined]
        PasswordForm: lambda: PasswordForm("New user", window),
        AddLesionDialog: lambda: AddLesionDialog("HCC-009", timepoints, window, day=scans[5]),
        StartTimepointDialog: lambda: StartTimepointDialog("HCC-009", timepoints, window, day=scans[5]),
    }


@pytest.fixture
def no_file_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """File pickers and message boxes answer "cancel" at once (they would wait for a user)."""
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: ("", "")))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: ("", "")))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: ""))
    for name in ("question", "warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(lambda *a, **k: QMessageBox.StandardButton.Cancel))


def _check_dialog(app: QApplication, window: QWidget, dialog: QDialog, size: QSize) -> list[Misfit]:
    dialog.show()
    _settle(app, window)
    found = layout_misfits(dialog, size)
    dialog.hide()
    return found


@pytest.mark.parametrize("window", ["demo"], indirect=True)  # the dialogs do not depend on the study
@pytest.mark.parametrize("size", SIZES)
def test_every_dialog_fits(
    qapp: QApplication, window: QWidget, size: str, no_file_dialogs: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = SIZES[size]
    window.resize(screen)
    checked: dict[str, list[Misfit]] = {}

    def exec_checked(dialog: QDialog) -> int:
        checked[type(dialog).__name__] = _check_dialog(qapp, window, dialog, screen)
        return int(QDialog.DialogCode.Rejected)

    monkeypatch.setattr(QDialog, "exec", exec_checked)
    for menu in (window.file_menu, window.menuBar().actions()[-1].menu()):  # type: ignore[attr-defined]
        for action in menu.actions():
            if action.menu() is None and not action.isSeparator() and action.objectName() != "action_quit":
                action.trigger()
                _settle(qapp, window)
    for cls, make in _direct_dialogs(window).items():
        if cls.__name__ not in checked:
            dialog = make()
            checked[cls.__name__] = _check_dialog(qapp, window, dialog, screen)
            dialog.deleteLater()
    missing = {c.__name__ for c in _dialog_classes()} - set(checked)
    assert not missing, f"dialogs neither opened from a menu nor built here: {sorted(missing)}"
    found = [m for ms in checked.values() for m in ms]
    assert not found, f"{len(found)} dialog widgets need more room at {size}:\n{report(found)}"
