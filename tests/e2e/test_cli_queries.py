"""``hccreview queries`` (listing, CSV) and the reason-code counts of ``stats --json`` as subprocesses."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from hccreview.services import adjudication as adj
from hccreview.services import queries as q
from tests.factories_central import R1, R2, central_study, open_as

HCC = [sys.executable, "-m", "hccreview"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HCC, *args], capture_output=True, text=True, timeout=120)


def test_queries_listing_csv_and_stats_reason_codes(tmp_path: Path) -> None:
    path = tmp_path / "study.db"
    central_study(path).close()
    with open_as(path, "adj") as session:
        q.open_thread(session, subject_id="C03", title="PD date", text="Week 8 or week 16?")
        q.open_thread(session, subject_id="C01", title="Baseline", text="Confirm the baseline scan date")
        adj.adjudicate(session, subject_id="C01", chosen_reader=R1, reason="T01 re-measured",
                       reason_code="measurement")  # fmt: skip
        adj.adjudicate(session, subject_id="C03", chosen_reader=R2, reason="week 8 NE", reason_code="pd_timing")
    with open_as(path, R1) as reader:
        baseline = next(t for t in q.threads(reader, "C01"))
        q.answer(reader, query_id=baseline.id, text="2024-01-01")

    listed = _run("queries", str(path))
    assert listed.returncode == 0, listed.stderr
    assert "C03 [open] patient: PD date" in listed.stdout and "Baseline" not in listed.stdout
    assert listed.stdout.strip().endswith("1 query")

    out = tmp_path / "all.csv"
    written = _run("queries", str(path), "--state", "all", "--csv", str(out))
    assert written.returncode == 0 and ": 2 queries" in written.stdout
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["subject_id"], r["state"], r["last_message"]) for r in rows] == [
        ("C01", "answered", "2024-01-01"),
        ("C03", "open", "Week 8 or week 16?"),
    ]

    assert _run("queries", str(path), "--state", "pending").returncode == 2
    assert _run("queries", str(tmp_path / "missing.db")).returncode == 1

    stats = _run("stats", str(path), "--json")
    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    codes = data["adjudication"]["reason_codes"]
    assert codes["measurement"] == 1 and codes["pd_timing"] == 1 and codes["not_recorded"] == 0
    assert {"study", "source", "n_enrolled", "response", "pfs", "os", "subjects"} <= set(data)
    text = _run("stats", str(path))
    assert "Decisions by discordance reason code: measurement 1, pd_timing 1" in text.stdout
