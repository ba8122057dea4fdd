"""``hccreview report`` (DESIGN §7) as subprocesses: the cohort summary and the case packet of the demo study, the
figures of ``hccreview stats --json`` in the PDF text, provenance, exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pypdf = pytest.importorskip("pypdf")

HCC = [sys.executable, "-m", "hccreview"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HCC, *args], capture_output=True, text=True, timeout=300)


def _text(path: Path) -> tuple[list[str], pypdf.PdfReader]:
    reader = pypdf.PdfReader(str(path))
    return [re.sub(r"\s+", " ", p.extract_text()) for p in reader.pages], reader


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hccreview.services.demo_study import build_demo_study

    return build_demo_study(tmp_path_factory.mktemp("cli-report") / "demo.db")


@pytest.fixture(scope="module")
def stats(demo_file: Path) -> dict:
    r = _run("stats", str(demo_file), "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_report_prints_the_stats_json_figures(demo_file: Path, stats: dict, tmp_path: Path) -> None:
    out = tmp_path / "summary.pdf"
    r = _run("report", str(demo_file), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"wrote {out}: cohort summary, ") and out.is_file()
    pages, reader = _text(out)
    text = " ".join(pages)
    n = stats["n_enrolled"]
    orr = stats["response"]["orr"]
    lo, hi = orr["ci95"]
    ci = f"(exact 95% CI {100 * lo:.1f}–{100 * hi:.1f}%)"
    assert f"ORR (confirmed CR + PR) {orr['n']}/{n} = {100 * orr['rate']:.1f}% {ci}" in text
    for key in ("pfs", "os"):
        block = stats[key]
        a, b = block["ci95_months"]
        assert f"{block['median_months']:.1f} ({a:.1f}–{b:.1f}); {block['events']} events" in text
    tox = {row["term"]: row for row in stats["toxicity"]}
    assert re.search(rf"Fatigue .*? 19 \(47\.5%\) {tox['Fatigue']['grade3']} 0 0 3 \(7\.5%\) 3", text)
    assert re.search(r"Rash maculo-papular .*? 4 0 0 4 \(10\.0%\) 4", text)
    assert re.search(r"Neutrophil count decreased Investigations \d+ \(\d+\.\d%\) 1 1 0 2 \(5\.0%\) 2", text)
    assert re.search(r"SHA-256 of the review data [0-9a-f]{64}", pages[0])
    assert re.search(r"Audit chain head \(entry \d+\) [0-9a-f]{64}", pages[0])
    assert all(f"Page {i} of {len(pages)}" in p for i, p in enumerate(pages, start=1))
    assert reader.metadata.title.endswith("— Cohort summary report")


def test_packet_of_discordant_cases(demo_file: Path, stats: dict, tmp_path: Path) -> None:
    out = tmp_path / "packet.pdf"
    r = _run("report", str(demo_file), "--out", str(out), "--cases", "discordant")
    assert r.returncode == 0, r.stderr
    assert "case packet (9 cases)" in r.stdout
    pages, _ = _text(out)
    titles = [m for p in pages for m in re.findall(r"Case \d+ of 9: (HCC-\d+)", p)]
    assert titles == stats["response"]["pending_subjects"]  # the 9 discordant patients await adjudication
    assert len(titles) == len(set(titles)) == 9


def test_usage_and_refusals(demo_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.pdf"
    r = _run("report", str(demo_file))
    assert r.returncode == 2 and "--out" in r.stderr
    r = _run("report", str(demo_file), "--out", str(out), "--cases", "HCC-001,NOPE-1")
    assert r.returncode == 1 and "no patient 'NOPE-1' in this study" in r.stderr
    assert "Traceback" not in r.stderr and not out.exists()
    r = _run("report", str(tmp_path / "missing.db"), "--out", str(out))
    assert r.returncode == 1 and "no such study file" in r.stderr and "Traceback" not in r.stderr
    r = _run("report", str(demo_file), "--out", str(tmp_path / "no-such-dir" / "x.pdf"))
    assert r.returncode == 1 and "cannot write" in r.stderr and "Traceback" not in r.stderr
