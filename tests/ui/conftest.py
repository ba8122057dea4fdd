"""GUI test fixtures: settings in a temporary folder, the demo study as the review study, windows.

Settings: every test gets QSettings in INI format under its own tmp_path, so no test reads or writes the real
user settings. Study: the built-in demo study (built once per session, copied for each test).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings


def build_review_study(path: Path) -> Path:
    """The built-in demo study (40 patients, investigator + two central readers, discordant cases)."""
    from hccreview.services.demo_study import build_demo_study

    return build_demo_study(path)


@pytest.fixture(scope="session")
def _study_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_review_study(tmp_path_factory.mktemp("template") / "demo.db")


@pytest.fixture
def review_study(_study_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the review study for one test (built once per session)."""
    import shutil

    target = tmp_path / "demo.db"
    shutil.copyfile(_study_template, target)
    return target


@pytest.fixture(autouse=True)
def private_settings(tmp_path: Path, qapp: QCoreApplication) -> Iterator[Path]:
    """QSettings in INI format under tmp_path: tests never touch the real settings."""
    folder = tmp_path / "settings"
    folder.mkdir(exist_ok=True)
    QCoreApplication.setOrganizationName("hccreview-tests")
    QCoreApplication.setApplicationName("hccreview-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield folder


#: The demo accounts (docs/demo-study.md).
DEMO_PASSWORDS = {"reader1": "reader1-demo", "reader2": "reader2-demo", "adjudicator": "adjudicator-demo",
                  "admin": "admin-demo"}  # fmt: skip


@pytest.fixture
def make_window(qtbot, review_study: Path) -> Iterator[Callable[..., object]]:  # type: ignore[no-untyped-def]
    """Open a MainWindow on the review study (or ``path``), shown and with its overview loaded.

    The window is built for a signed-in user, as the application does (``user``, default the demo adjudicator:
    every panel but the admin's; None: the unsigned system context, which sees everything and writes nothing in
    a study with accounts). ``password`` for an account that is not a demo one.
    """
    from hccreview.services import auth
    from hccreview.services.session import open_study
    from hccreview.ui.main_window import MainWindow

    windows: list[MainWindow] = []

    def make(
        path: Path | None = None, *, wait: bool = True, user: str | None = "adjudicator", password: str | None = None
    ) -> MainWindow:
        session = open_study(path or review_study, user="tester")
        if user is not None:
            auth.sign_in(session, user, password or DEMO_PASSWORDS[user])
        window = MainWindow(session)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        if wait:
            qtbot.waitUntil(lambda: window.overview is not None and window.navigator.current_subject() is not None)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
