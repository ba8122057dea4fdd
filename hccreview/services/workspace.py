"""Where the workstation keeps its files: the user's data folder (platformdirs) and the demo study."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "hccreview"


def data_dir() -> Path:
    """The user's data folder for hccreview (``HCCREVIEW_DATA_DIR`` overrides it, e.g. in tests)."""
    override = os.environ.get("HCCREVIEW_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def demo_study_path() -> Path:
    """The built-in demo study's file (created on first run)."""
    return data_dir() / "demo-study.db"


def ensure_demo_study() -> Path:
    """The demo study's path, building it on first run."""
    path = demo_study_path()
    if not path.exists():
        from hccreview.services.demo_study import build_demo_study

        build_demo_study(path)
    return path
