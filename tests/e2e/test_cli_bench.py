"""``hccreview bench`` (issue 10): a quick run writes the documented JSON with positive figures (no timed asserts)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HCC = [sys.executable, "-m", "hccreview"]
RESULT_KEYS = {"scenario", "patients", "runs", "median_ms", "min_ms", "max_ms", "reference_median_ms", "ratio",
               "target_ms", "met"}  # fmt: skip


def test_quick_bench_writes_the_documented_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    args = ["bench", "--patients", "40", "--runs", "2", "--scenarios", "stats,next_patient", "--json", str(out)]
    r = subprocess.run([*HCC, *args], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    assert {"cpu_count", "python", "platform"} <= set(doc["machine"])
    assert doc["machine"]["cpu_count"] >= 1
    by_name = {res["scenario"]: res for res in doc["results"]}
    assert set(by_name) == {"stats", "next_patient"}
    for res in doc["results"]:
        assert set(res) >= RESULT_KEYS
        assert res["patients"] == 40 and res["runs"] == 2
        assert 0 < res["min_ms"] <= res["median_ms"] <= res["max_ms"]
        assert res["reference_median_ms"] > 0 and res["ratio"] > 0
        assert res["met"] in (True, False, None)
        assert res["scenario"] in r.stdout
    assert by_name["next_patient"]["target_ms"] == 50.0
    assert isinstance(by_name["next_patient"]["met"], bool)


def test_bench_refuses_an_unknown_scenario() -> None:
    r = subprocess.run([*HCC, "bench", "--scenarios", "nope"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "unknown scenario" in r.stderr


def test_bench_times_a_case_packet_with_cases(tmp_path: Path) -> None:
    """``--cases`` times the report scenario on the meeting's case packet instead of the cohort summary."""
    out = tmp_path / "bench.json"
    args = ["bench", "--patients", "40", "--report-patients", "40", "--runs", "1", "--scenarios", "report",
            "--cases", "discordant", "--json", str(out), "--quiet"]  # fmt: skip
    r = subprocess.run([*HCC, *args], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    (result,) = json.loads(out.read_text())["results"]
    assert result["scenario"] == "report" and result["note"].startswith("case packet discordant, ")
