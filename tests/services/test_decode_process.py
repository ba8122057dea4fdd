"""JPEG 2000 slices decode in child processes (their codec holds the GIL); plain and RLE ones in the thread."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import pytest
from pydicom.uid import JPEG2000Lossless, RLELossless

from hccreview.io.dicom_pixels import PixelReadError, read_slice
from hccreview.services import decode_process
from hccreview.services.bench_images import SyntheticSeries, write_ct_series
from hccreview.services.decode_process import DecodePool, SeriesLoader, decodes_in_thread


@pytest.fixture(scope="module")
def j2k(tmp_path_factory: pytest.TempPathFactory) -> SyntheticSeries:
    return write_ct_series(tmp_path_factory.mktemp("j2k"), slices=4, size=64, transfer_syntax=JPEG2000Lossless)


def test_the_transfer_syntax_decides_where_a_series_decodes(tmp_path: Path, j2k: SyntheticSeries) -> None:
    plain = write_ct_series(tmp_path / "plain", slices=1, size=32)
    rle = write_ct_series(tmp_path / "rle", slices=1, size=32, transfer_syntax=RLELossless)
    assert decodes_in_thread(plain.files[0][1]) and decodes_in_thread(rle.files[0][1])
    assert not decodes_in_thread(j2k.files[0][1])
    (tmp_path / "junk.dcm").write_bytes(b"not dicom")
    assert decodes_in_thread(tmp_path / "junk.dcm")  # read_slice, in the thread, says what is wrong


def test_a_jpeg2000_series_goes_to_a_child_after_its_first_slice(tmp_path: Path, j2k: SyntheticSeries) -> None:
    pool = DecodePool(processes=1)
    try:
        loader = SeriesLoader(pool)
        paths = [f[1] for f in j2k.files]
        assert np.array_equal(loader(paths[0]), read_slice(paths[0]))
        assert pool.pids() == [None]  # the slice on screen did not wait for a child to start
        rest = [loader(p) for p in paths[1:]]
        assert loader.uses_processes and pool.pids()[0] is not None and pool.pids()[0] != os.getpid()
        for path, values in zip(paths[1:], rest, strict=True):
            assert values.dtype == np.int16 and np.array_equal(values, read_slice(path))
        (tmp_path / "junk.dcm").write_bytes(b"not dicom")
        with pytest.raises(PixelReadError, match="not a readable DICOM file"):
            loader(str(tmp_path / "junk.dcm"))  # reported by the child, as the thread would
        assert np.array_equal(loader(paths[1]), rest[0])  # the child goes on after a bad file
    finally:
        pool.close()
    assert pool.pids() == [None]


def test_a_child_that_died_is_started_again(j2k: SyntheticSeries) -> None:
    pool = DecodePool(processes=1)
    try:
        loader = SeriesLoader(pool)
        paths = [f[1] for f in j2k.files]
        loader(paths[0])
        loader(paths[1])
        [pid] = pool.pids()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        assert np.array_equal(loader(paths[2]), read_slice(paths[2]))
        assert pool.pids()[0] not in (None, pid) and loader.fallback == ""
    finally:
        pool.close()


def test_without_a_child_the_series_decodes_in_threads(j2k: SyntheticSeries, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decode_process, "child_command", lambda: ["/nonexistent/hccreview-python"])
    pool = DecodePool(processes=1)
    loader = SeriesLoader(pool)
    paths = [f[1] for f in j2k.files]
    loader(paths[0])
    assert np.array_equal(loader(paths[1]), read_slice(paths[1]))
    assert loader.fallback.startswith("the decode process could not be started") and not loader.uses_processes
    assert np.array_equal(loader(paths[2]), read_slice(paths[2]))


def test_a_packaged_build_decodes_in_threads_until_it_can_start_children(
    j2k: SyntheticSeries, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A frozen application would start itself (a second window) unless ``__main__`` handles the child's flag."""
    monkeypatch.setattr(decode_process.sys, "frozen", True, raising=False)
    assert decode_process.child_command() == [decode_process.sys.executable, decode_process.CHILD_FLAG]
    import hccreview.__main__ as entry  # the packaged application hands the flag to the decode child

    assert decode_process.CHILD_FLAG in Path(entry.__file__).read_text(encoding="utf-8")
    monkeypatch.setattr(decode_process, "FROZEN_CHILD", False)  # a build whose entry point did not handle it
    loader = SeriesLoader(DecodePool(processes=1))
    paths = [f[1] for f in j2k.files]
    loader(paths[0])
    assert np.array_equal(loader(paths[1]), read_slice(paths[1]))
    assert loader.fallback == "the packaged application does not start decode processes yet"
