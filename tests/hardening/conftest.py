"""Hardening tests: Qt settings in a temporary folder (as tests/ui does), so no test touches the real settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def private_settings(tmp_path: Path) -> Iterator[Path]:
    """QSettings in INI format under tmp_path (requested by the GUI tests of this folder)."""
    from PySide6.QtCore import QCoreApplication, QSettings

    folder = tmp_path / "settings"
    folder.mkdir(exist_ok=True)
    QCoreApplication.setOrganizationName("hccreview-tests")
    QCoreApplication.setApplicationName("hccreview-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield folder
