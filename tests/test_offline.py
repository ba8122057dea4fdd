"""The program makes no network connection: representative work with the socket layer blocked.

Every way Python code opens a connection or resolves a name (``socket.socket.connect`` / ``connect_ex``,
``socket.create_connection``, ``socket.getaddrinfo``, ``socket.gethostbyname``) is replaced by a guard that records
the attempt and raises. The work then runs in this process: build the demo study, import the example CSV bundle,
cohort statistics, the PDF report, and the GUI main window (offscreen). The guard itself is tested, so a broken
guard cannot make the offline tests pass vacuously. (Qt's own C++ networking is not seen by this guard; the app does
not import QtNetwork — asserted below.)
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "resources" / "templates" / "example"


class NetworkBlocked(OSError):
    """Raised by the guard instead of connecting."""


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Block the socket layer for one test; yields the list of attempted connections / look-ups."""
    seen: list[str] = []

    def guard(name: str):  # type: ignore[no-untyped-def]
        def blocked(*args: object, **kwargs: object) -> object:
            seen.append(f"{name}{args[1:] if name.startswith('socket.socket') else args}")
            raise NetworkBlocked(f"network blocked in tests: {name}")

        return blocked

    monkeypatch.setattr(socket.socket, "connect", guard("socket.socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", guard("socket.socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", guard("socket.create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", guard("socket.getaddrinfo"))
    monkeypatch.setattr(socket, "gethostbyname", guard("socket.gethostbyname"))
    yield seen


def test_the_guard_records_and_refuses_a_connection(attempts: list[str]) -> None:
    import urllib.request

    with pytest.raises(OSError):
        urllib.request.urlopen("http://127.0.0.1:9/", timeout=1)
    s = socket.socket()
    try:
        with pytest.raises(NetworkBlocked):
            s.connect(("127.0.0.1", 9))
    finally:
        s.close()
    assert len(attempts) >= 2


def test_demo_import_stats_and_report_make_no_connection(attempts: list[str], tmp_path: Path) -> None:
    from hccreview.services.demo_study import build_demo_study
    from hccreview.services.importing import import_into
    from hccreview.services.reporting import render_report
    from hccreview.services.session import open_study
    from hccreview.services.stats import cohort_stats
    from hccreview.services.verify import verify_study

    demo = build_demo_study(tmp_path / "demo.db")
    result = import_into(tmp_path / "bundle.db", fmt="csv", source=EXAMPLE)
    assert result.counts["subjects"] == 3
    with open_study(demo) as session:
        stats = cohort_stats(session)
        assert stats.to_dict()["n_enrolled"] == 40
        report = render_report(session, tmp_path / "report.pdf")
    assert report.pages >= 1 and (tmp_path / "report.pdf").stat().st_size > 1000
    assert all(c.ok for c in verify_study(demo))
    assert attempts == []


def test_cli_commands_make_no_connection(attempts: list[str], tmp_path: Path) -> None:
    from hccreview.cli import run

    study = tmp_path / "cli.db"
    assert run(["demo", str(study), "--patients", "12"]) == 0
    assert run(["stats", str(study), "--json"]) == 0
    assert run(["verify", str(study)]) == 0
    assert run(["report", str(study), "--out", str(tmp_path / "r.pdf")]) == 0
    assert attempts == []


def test_gui_main_window_makes_no_connection(attempts: list[str], tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QCoreApplication, QSettings

    from hccreview.services.demo_study import build_demo_study
    from hccreview.services.session import open_study
    from hccreview.ui.main_window import MainWindow

    QCoreApplication.setOrganizationName("hccreview-tests")
    QCoreApplication.setApplicationName("hccreview-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    study = build_demo_study(tmp_path / "demo.db", patients=12)
    window = MainWindow(open_study(study, user="tester"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.overview is not None and window.navigator.current_subject() is not None)
    window.close()
    assert attempts == []
    assert "PySide6.QtNetwork" not in sys.modules
