"""Issue 17 item 7: never touch a file that is not a study.

``stats``, ``verify``, ``open`` (the service and the GUI command), ``import`` into an existing file and ``restore``
of a backup check the file READ-ONLY first and refuse anything that is not a hccreview study — an empty file, a
text file, another application's SQLite database, a truncated study — with a message naming the file and exit
status 1, leaving its bytes, its modification time and its folder (no ``-wal``/``-shm``/``-journal`` file, no
backup) exactly as they were. A study carries ``PRAGMA application_id`` = :data:`APPLICATION_ID`; an older study
without it (0) still opens.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from hccreview.cli import run
from hccreview.domain.records import StudySettings
from hccreview.services.session import create_study, open_study
from hccreview.store import Store, StoreError, schema
from hccreview.store.study_file import APPLICATION_ID, SQLITE_MAGIC, check_study_file

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "templates" / "example"
OLD_TIME_NS = 1_600_000_000 * 10**9  # 2020-09-13: any write would move the modification time to now
OTHER_APP_ID = 0x12345678


def _study_bytes(folder: Path) -> bytes:
    """The bytes of a closed, freshly created study (WAL in its header, fully checkpointed)."""
    path = folder / "source-study.db"
    create_study(path, title="Trial T").close()
    data = path.read_bytes()
    path.unlink()
    return data


def _other_app(path: Path, *, journal: str = "DELETE", app_id: int | None = OTHER_APP_ID) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode = {journal}")
    if app_id is not None:
        conn.execute(f"PRAGMA application_id = {app_id}")
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('buy milk')")
    conn.commit()
    conn.close()


def _make_empty(path: Path) -> None:
    path.write_bytes(b"")


def _make_text(path: Path) -> None:
    path.write_text("Minutes of the adjudication meeting\n" * 200, encoding="utf-8")


def _make_other_app(path: Path) -> None:
    _other_app(path)


def _make_other_app_without_id(path: Path) -> None:
    _other_app(path, app_id=None)


def _make_other_app_wal(path: Path) -> None:
    _other_app(path, journal="WAL")


def _make_truncated_in_a_page(path: Path) -> None:
    data = _study_bytes(path.parent)
    path.write_bytes(data[: len(data) // 2 + 100])


def _make_truncated_at_a_page(path: Path) -> None:
    data = _study_bytes(path.parent)
    path.write_bytes(data[: (len(data) // 4096 // 2) * 4096])


#: kind -> (how to make the file, what the refusal says besides the path)
KINDS: dict[str, tuple[Callable[[Path], None], str]] = {
    "empty": (_make_empty, "not a hccreview study file (empty file)"),
    "text": (_make_text, "not a hccreview study file (not an SQLite database)"),
    "other-app": (_make_other_app, f"another application's database, application_id 0x{OTHER_APP_ID:08X}"),
    "other-app-no-id": (_make_other_app_without_id, "not a hccreview study file (no study tables"),
    "other-app-wal": (_make_other_app_wal, "another application's database"),
    "truncated-in-a-page": (_make_truncated_in_a_page, "truncated or damaged"),
    "truncated-at-a-page": (_make_truncated_at_a_page, "not a hccreview study file"),
}


def _state(path: Path) -> tuple[bytes, int, list[str]]:
    """What must not change: the file's bytes, its modification time and the names in its folder."""
    return path.read_bytes(), path.stat().st_mtime_ns, sorted(p.name for p in path.parent.iterdir())


@pytest.fixture(params=sorted(KINDS))
def not_a_study(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    """A file that is not a study, alone in its folder, dated in the past; and what its refusal says."""
    make, expected = KINDS[request.param]
    folder = tmp_path / "files"
    folder.mkdir()
    path = folder / "data.db"
    make(path)
    os.utime(path, ns=(OLD_TIME_NS, OLD_TIME_NS))
    assert sorted(p.name for p in folder.iterdir()) == ["data.db"]
    return path, expected


def _assert_untouched(path: Path, before: tuple[bytes, int, list[str]]) -> None:
    after = _state(path)
    assert after[0] == before[0], "the file's bytes changed"
    assert after[1] == before[1], "the file's modification time changed"
    assert after[2] == before[2], f"files appeared or vanished beside it: {after[2]}"


@pytest.mark.parametrize(
    "command",
    [
        ["stats"],
        ["stats", "--json"],
        ["verify"],
        ["import", "--format", "csv", str(EXAMPLE)],
        ["import", "--format", "csv", str(EXAMPLE), "--dry-run"],
    ],
    ids=["stats", "stats-json", "verify", "import", "import-dry-run"],
)
def test_cli_refuses_without_touching_the_file(
    not_a_study: tuple[Path, str], command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path, expected = not_a_study
    before = _state(path)
    status = run([command[0], str(path), *command[1:]])
    err = capsys.readouterr().err
    assert status == 1, err
    assert err.startswith(f"hccreview {command[0]}: {path}: ") and expected in err
    _assert_untouched(path, before)


def test_open_study_refuses_without_touching_the_file(not_a_study: tuple[Path, str]) -> None:
    path, expected = not_a_study
    before = _state(path)
    for attempt in (lambda: open_study(path), lambda: Store.open(path, migrate=False)):
        with pytest.raises(StoreError) as info:
            attempt().close()
        assert str(path) in str(info.value) and expected in str(info.value)
    _assert_untouched(path, before)


def test_gui_open_refuses_without_touching_the_file(not_a_study: tuple[Path, str]) -> None:
    """``hccreview open FILE``: exit 1 before any window, the message on stderr, no traceback."""
    path, expected = not_a_study
    before = _state(path)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run(
        [sys.executable, "-m", "hccreview", "open", str(path)], capture_output=True, text=True, env=env, timeout=120
    )
    assert r.returncode == 1, r.stderr
    assert str(path) in r.stderr and expected in r.stderr and "Traceback" not in r.stderr
    _assert_untouched(path, before)


def test_restore_refuses_a_backup_that_is_not_a_study(
    not_a_study: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, expected = not_a_study
    study = tmp_path / "study.db"
    create_study(study, title="Trial T").close()
    before, study_before = _state(path), study.read_bytes()
    assert run(["restore", str(study), str(path)]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and expected in err
    _assert_untouched(path, before)
    assert study.read_bytes() == study_before


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a regular file"):
        check_study_file(tmp_path)


def test_a_missing_file_is_refused_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    with pytest.raises(StoreError, match="no such study file"):
        Store.open(path)
    assert not path.exists()


def test_a_new_study_has_our_application_id(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    create_study(path, title="Trial T").close()
    assert APPLICATION_ID == 0x48434352
    header = path.read_bytes()[:100]
    assert header.startswith(SQLITE_MAGIC) and int.from_bytes(header[68:72], "big") == APPLICATION_ID
    assert check_study_file(path) == schema.SCHEMA_VERSION
    with open_study(path) as session:
        assert session.settings().title == "Trial T"


def test_an_older_study_without_application_id_still_opens(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "old.db"
    create_study(path, title="Old trial").close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 0")
    conn.close()
    assert int.from_bytes(path.read_bytes()[68:72], "big") == 0
    assert check_study_file(path) == schema.SCHEMA_VERSION
    with open_study(path) as session:
        assert session.settings().title == "Old trial"
    assert run(["verify", str(path)]) == 0, capsys.readouterr().err
    assert run(["stats", str(path)]) == 0, capsys.readouterr().err


def test_checking_a_closed_study_writes_nothing_beside_it(tmp_path: Path) -> None:
    """A WAL study nobody has open is read without creating ``-wal``/``-shm`` files (``immutable``)."""
    folder = tmp_path / "s"
    folder.mkdir()
    path = folder / "study.db"
    create_study(path, title="Trial T").close()
    os.utime(path, ns=(OLD_TIME_NS, OLD_TIME_NS))
    before = _state(path)
    assert check_study_file(path) == schema.SCHEMA_VERSION
    _assert_untouched(path, before)


def test_a_study_open_elsewhere_is_recognised_through_its_wal(tmp_path: Path) -> None:
    """Data not yet checkpointed into the main file (a study open in another window) is read from the WAL."""
    path = tmp_path / "busy.db"
    first = Store.create(path, StudySettings(title="Busy trial"))
    try:
        assert path.with_name("busy.db-wal").exists()
        assert check_study_file(path) == schema.SCHEMA_VERSION
        with Store.open(path, migrate=False) as second:
            assert second.settings().title == "Busy trial"
    finally:
        first.close()
