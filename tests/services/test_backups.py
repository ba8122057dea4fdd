"""Automatic backup before an import into an existing study, listing backups, and restoring one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hccreview.services.backups import RestoreRefused, backups_of, restore
from hccreview.services.importing import ImportRefused, import_into
from hccreview.services.session import create_study, open_study
from hccreview.services.verify import verify_study

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "templates" / "example"


def _subjects(path: Path) -> int:
    with open_study(path) as session:
        return session.store.count("subjects")


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    """An empty study, then the example CSV bundle imported into it (so one before-import backup exists)."""
    study = tmp_path / "s.db"
    create_study(study, title="Backups").close()
    import_into(study, fmt="csv", source=EXAMPLE)
    return study


def test_import_into_existing_study_takes_a_backup_of_the_previous_state(imported: Path) -> None:
    found = backups_of(imported)
    assert len(found) == 1
    b = found[0].path
    assert b.parent == imported.with_name("s.db.backups")
    assert b.name.startswith("s-") and b.name.endswith("-before-import.db")
    assert _subjects(b) == 0  # the study as it was: empty
    assert _subjects(imported) == 3
    assert all(c.ok for c in verify_study(b))


def test_new_study_import_takes_no_backup(tmp_path: Path) -> None:
    study = tmp_path / "new.db"
    result = import_into(study, fmt="csv", source=EXAMPLE)
    assert result.backup is None
    assert backups_of(study) == []


def test_refused_import_takes_no_backup(imported: Path) -> None:
    with pytest.raises(ImportRefused):  # not a folder of domain files
        import_into(imported, fmt="csv", source=imported.parent / "missing")
    assert len(backups_of(imported)) == 1


def test_backups_are_listed_newest_first(imported: Path, tmp_path: Path) -> None:
    older = backups_of(imported)[0].path
    os.utime(older, (1_000_000_000, 1_000_000_000))
    newer = imported.with_name("s.db.backups") / "s-29990101T000000Z-before-import.db"
    newer.write_bytes(older.read_bytes())
    assert [b.path for b in backups_of(imported)] == [newer, older]


def test_restore_brings_the_backup_back_and_keeps_the_replaced_file(imported: Path) -> None:
    backup = backups_of(imported)[0].path
    result = restore(imported, backup)
    assert _subjects(imported) == 0
    assert result.replaced is not None and result.replaced.name.startswith("s.db.replaced-")
    assert _subjects(result.replaced) == 3  # never deleted
    assert all(c.ok for c in result.checks)
    assert all(c.ok for c in verify_study(imported))


def test_restore_refuses_a_backup_that_is_not_a_study(imported: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    before = imported.read_bytes()
    with pytest.raises(RestoreRefused, match=r"junk\.db"):
        restore(imported, junk)
    assert imported.read_bytes() == before
    assert not list(imported.parent.glob("s.db.replaced-*"))


def test_restore_refuses_a_backup_failing_verification(imported: Path) -> None:
    import sqlite3

    backup = backups_of(imported)[0].path
    conn = sqlite3.connect(backup)
    conn.execute("DROP TRIGGER audit_log_no_update")  # a check of verify now fails
    conn.commit()
    conn.close()
    with pytest.raises(RestoreRefused, match="audit_append_only"):
        restore(imported, backup)
    assert _subjects(imported) == 3


def test_restore_refuses_a_missing_backup(imported: Path, tmp_path: Path) -> None:
    with pytest.raises(RestoreRefused, match="no such backup"):
        restore(imported, tmp_path / "nope.db")
