"""Shared fixtures: Qt on the offscreen platform, a private data folder, temporary studies, the real data."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Qt must never look for a display in tests (set before any QApplication exists).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data" / "pharmaversesdtm"


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The demo images (issue 21) go to a cache folder of the test session, never the user's: session-wide, so
    a demo study built by a module fixture (before any function fixture runs) already points there."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HCCREVIEW_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own user data and settings folders: no test sees or writes the real ones."""
    monkeypatch.setenv("HCCREVIEW_DATA_DIR", str(tmp_path_factory.mktemp("userdata")))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))


@pytest.fixture
def study_path(tmp_path: Path) -> Path:
    """Path for a new study file (not yet created)."""
    return tmp_path / "study.db"


@pytest.fixture
def store(study_path: Path) -> Iterator[object]:
    """A new, empty study store written as user 'tester'."""
    from hccreview.domain.records import StudySettings
    from hccreview.store import Store

    s = Store.create(study_path, StudySettings(title="Test study"), user="tester")
    yield s
    s.close()


@pytest.fixture(scope="session")
def sdtm_root() -> Path:
    """The real pharmaverse SDTM deliveries (../shared/data next to the repository)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real SDTM data not present at {SHARED_DATA} (clone outside the workspace)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in demo study, built once per test session: copy it (``demo_copy``), never write to it."""
    from hccreview.services.demo_study import build_demo_study

    return build_demo_study(tmp_path_factory.mktemp("demo-template") / "demo.db")


@pytest.fixture
def demo_copy(demo_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo study for one test."""
    import shutil

    return Path(shutil.copyfile(demo_template, tmp_path / "demo.db"))


@pytest.fixture(scope="session")
def sdtm_template(sdtm_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``sdtm_template("onco")``: that real delivery imported once per test session (an import takes seconds):
    copy it (``shutil.copyfile``) before writing. Skips, saying why, where the data is absent."""
    from hccreview.services.importing import import_into

    made: dict[str, Path] = {}

    def template(name: str) -> Path:
        if name not in made:
            path = tmp_path_factory.mktemp(f"sdtm-{name}") / f"{name}.db"
            import_into(path, fmt="sdtm", source=sdtm_root / name)
            made[name] = path
        return made[name]

    return template
