"""``hccreview demo`` and the demo's figures through ``hccreview stats --json`` (DESIGN §5, §7), as subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from scipy.stats import binomtest

HCC = [sys.executable, "-m", "hccreview"]
MONTH = 30.4375


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HCC, *args], capture_output=True, text=True, timeout=300)


def _stats(path: Path, *extra: str) -> dict:
    r = _run("stats", str(path), "--json", *extra)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "demo.db"
    r = _run("demo", str(path))
    assert r.returncode == 0, r.stderr
    assert "created demo study" in r.stdout
    return path


@pytest.mark.parametrize("source", ["investigator", "computed"])
def test_stats_json_reproduces_the_seed_trial(demo_file: Path, source: str) -> None:
    d = _stats(demo_file, "--source", source)
    assert d["source"] == source and d["study"]["criteria"] == "RECIST 1.1"
    assert d["n_enrolled"] == 40 and len(d["subjects"]) == 40
    assert d["baseline"]["child_pugh"] == {"A": 19, "B": 16, "C": 5}
    assert d["baseline"]["extrahepatic"] == 17
    assert d["response"]["bor_counts"]["PR"] == 6 and d["response"]["bor_counts"]["CR"] == 0
    orr = d["response"]["orr"]
    ci = binomtest(6, 40).proportion_ci(method="exact")
    assert orr["n"] == 6 and orr["rate"] == pytest.approx(0.15)
    assert orr["ci95"] == pytest.approx([ci.low, ci.high], abs=1e-12)
    assert round(d["pfs"]["median_months"], 1) == 3.6
    assert round(d["os"]["median_months"], 1) == 7.6
    censored = sorted(s["pfs_days"] / MONTH for s in d["subjects"] if not s["pfs_event"])
    assert censored == pytest.approx([32.0, 36.0], abs=0.1)
    tox = {row["term"]: row for row in d["toxicity"]}
    assert tox["Neutrophil count decreased"]["grade4"] == 1
    assert tox["Fatigue"]["grade3"] == 3 and tox["Fatigue"]["attributable_grade3plus"] == 3
    assert tox["Rash maculo-papular"]["grade3"] == 4 and tox["Rash maculo-papular"]["attributable_grade3plus"] == 4


def test_investigator_and_computed_agree_per_subject(demo_file: Path) -> None:
    inv, comp = _stats(demo_file, "--source", "investigator"), _stats(demo_file, "--source", "computed")
    keys = ("id", "child_pugh", "bor", "bor_unconfirmed", "pfs_days", "pfs_event", "os_days", "os_event")
    assert [{k: s[k] for k in keys} for s in inv["subjects"]] == [{k: s[k] for k in keys} for s in comp["subjects"]]


def test_default_source_leaves_the_reader_disagreements_to_adjudicate(demo_file: Path) -> None:
    d = _stats(demo_file)
    assert d["source"] == "adjudicated"
    pending = d["response"]["bor_counts"]["PENDING"]
    assert 0.15 * 40 <= pending <= 0.30 * 40
    assert d["reader_agreement"]["n_discordant"] == pending


def test_demo_file_verifies_and_is_not_overwritten(demo_file: Path) -> None:
    assert _run("verify", str(demo_file)).returncode == 0
    before = demo_file.stat().st_size
    r = _run("demo", str(demo_file), "--seed", "2")
    assert r.returncode == 1 and "already exists" in r.stderr and "Traceback" not in r.stderr
    assert demo_file.stat().st_size == before


def test_200_patients_give_plausible_figures(tmp_path: Path) -> None:
    path = tmp_path / "demo200.db"
    r = _run("demo", str(path), "--patients", "200", "--seed", "4")
    assert r.returncode == 0, r.stderr
    d = _stats(path, "--source", "investigator")
    assert d["n_enrolled"] == 200
    cp = d["baseline"]["child_pugh"]
    assert sum(cp.values()) == 200 and cp["A"] > cp["B"] > cp["C"] > 0
    assert 0.25 <= d["baseline"]["extrahepatic"] / 200 <= 0.6
    assert 0.05 <= d["response"]["orr"]["rate"] <= 0.30
    assert d["response"]["bor_counts"]["CR"] == 0
    assert 2.0 <= d["pfs"]["median_months"] <= 6.0 and 5.0 <= d["os"]["median_months"] <= 12.0
    assert d["pfs"]["median_months"] <= d["os"]["median_months"]
    assert d["pfs"]["events"] > 150 and d["os"]["events"] > 150
    terms = {row["term"] for row in d["toxicity"]}
    assert {"Neutrophil count decreased", "Fatigue", "Rash maculo-papular"} <= terms
    assert 0.10 <= d["reader_agreement"]["n_discordant"] / d["reader_agreement"]["n"] <= 0.35
