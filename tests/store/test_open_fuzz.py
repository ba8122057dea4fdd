"""Fuzzing the study-file opener: whatever the bytes, ``Store.open`` raises ``StoreError`` naming the file.

Truncated copies of a real study file (any cut point), random bytes, a valid SQLite header followed by garbage,
an empty file and the SQLite file of another program are each refused with :class:`StoreError` (never another
exception type, never a hang), and ``hccreview verify`` on a few of them exits 1 with a message and no traceback.
"""

from __future__ import annotations

import itertools
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hccreview.store import Store, StoreError

SQLITE_MAGIC = b"SQLite format 3\x00"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_counter = itertools.count()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def real_bytes(workdir: Path) -> bytes:
    """The bytes of a real, closed study file (the demo with a few patients)."""
    from hccreview.services.demo_study import build_demo_study

    path = build_demo_study(workdir / "real.db", patients=4)
    data = path.read_bytes()
    assert len(data) > 8 * 4096
    return data


def _write(workdir: Path, data: bytes) -> Path:
    path = workdir / f"case-{next(_counter)}.db"
    path.write_bytes(data)
    return path


def assert_refused(path: Path) -> None:
    """``Store.open`` raises StoreError (and only that), quickly, with the path in the message."""
    started = time.monotonic()
    with pytest.raises(StoreError) as info:
        Store.open(path, migrate=False).close()
    assert str(path) in str(info.value)
    assert time.monotonic() - started < 10
    with pytest.raises(StoreError):  # the migrating open of the GUI and the import refuses it just the same
        Store.open(path).close()


def test_the_real_file_opens(real_bytes: bytes, workdir: Path) -> None:
    """The control: the untouched bytes are a good study (so the refusals below are about the damage)."""
    with Store.open(_write(workdir, real_bytes), migrate=False) as store:
        assert store.count("subjects") == 4


@FUZZ
@given(data=st.data())
def test_truncated_copies_are_refused(real_bytes: bytes, workdir: Path, data: st.DataObject) -> None:
    cut = data.draw(st.integers(min_value=0, max_value=len(real_bytes) - 1), label="cut")
    assert_refused(_write(workdir, real_bytes[:cut]))


@pytest.mark.parametrize("cut_from_end", [1, 100, 4095, 4096, 4097, 3 * 4096])
def test_truncations_near_the_end_are_refused(real_bytes: bytes, workdir: Path, cut_from_end: int) -> None:
    assert_refused(_write(workdir, real_bytes[:-cut_from_end]))


@FUZZ
@given(blob=st.binary(max_size=20_000))
def test_random_bytes_are_refused(workdir: Path, blob: bytes) -> None:
    assert_refused(_write(workdir, blob))


@FUZZ
@given(garbage=st.binary(min_size=0, max_size=16_384), keep=st.sampled_from([16, 100]))
def test_valid_header_then_garbage_is_refused(real_bytes: bytes, workdir: Path, garbage: bytes, keep: int) -> None:
    """The magic string alone, or the real file's whole 100-byte header, followed by random bytes."""
    assert real_bytes.startswith(SQLITE_MAGIC)
    assert_refused(_write(workdir, real_bytes[:keep] + garbage))


def test_empty_file_is_refused(workdir: Path) -> None:
    assert_refused(_write(workdir, b""))


def test_sqlite_file_of_another_program_is_refused(workdir: Path) -> None:
    path = workdir / "places.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
    conn.execute("INSERT INTO moz_places (url) VALUES ('https://example.org')")
    conn.commit()
    conn.close()
    assert_refused(path)


def test_cli_verify_refuses_damaged_files_with_exit_1_and_no_traceback(real_bytes: bytes, workdir: Path) -> None:
    cases = [
        real_bytes[: len(real_bytes) // 2],
        real_bytes[:-1],
        b"\x00\xff" * 3000,
        SQLITE_MAGIC + b"garbage" * 1000,
        b"",
    ]
    for data in cases:
        path = _write(workdir, data)
        r = subprocess.run(
            [sys.executable, "-m", "hccreview", "verify", str(path)], capture_output=True, text=True, timeout=60
        )
        assert r.returncode == 1, (len(data), r.stdout, r.stderr)
        assert str(path) in r.stderr and "Traceback" not in r.stderr
