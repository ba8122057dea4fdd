"""The image benchmark's scenarios on a tiny series: what they report (no timed asserts: ``hccreview bench`` times)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hccreview.services.bench import percentile, target_ms
from hccreview.services.bench_images import read_manifest, write_ct_series, write_manifest
from hccreview.ui.imaging import bench_scenarios


@pytest.fixture
def manifest(tmp_path: Path) -> str:
    series = [write_ct_series(tmp_path / f"s{k}", slices=5, size=64, seed=k) for k in (1, 2)]
    write_manifest(tmp_path / "series.json", series)
    assert read_manifest(tmp_path / "series.json") == series
    return str(tmp_path / "series.json")


def test_image_scroll_reports_every_frame_with_six_calipers(manifest: str, qapp) -> None:  # type: ignore[no-untyped-def]
    got = bench_scenarios.image_scroll(manifest, runs=2)
    assert got["slices"] == 5 and got["overlays_per_slice"] == 6
    assert len(got["frame_ms"]) == len(got["smooth_frame_ms"]) == 2 * 4  # two passes of four steps
    assert all(t > 0 for t in got["frame_ms"] + got["smooth_frame_ms"])


def test_image_first_and_image_memory(manifest: str, qapp) -> None:  # type: ignore[no-untyped-def]
    first = bench_scenarios.image_first(manifest, runs=2)
    assert len(first["times_ms"]) == len(first["reference_ms"]) == 3 and min(first["times_ms"]) > 0
    memory = bench_scenarios.image_memory(manifest)
    assert memory["volume_bytes"] == 2 * 5 * 64 * 64 * 2
    assert 0 < memory["baseline_kib"] <= memory["peak_kib"]


def test_the_targets_and_the_percentile() -> None:
    assert (target_ms("image_scroll", 0), target_ms("image_first", 0), target_ms("image_memory", 0)) == (16, 300, 400)
    assert percentile([float(x) for x in range(1, 101)], 0.95) == 95.0
    assert percentile([3.0], 0.95) == 3.0
