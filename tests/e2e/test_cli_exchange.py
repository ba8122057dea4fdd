"""The exchange commands as a script runs them (issue 11): export-snapshot, export-reads, import-reads, readers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hccreview.services import auth, reading
from hccreview.services.session import open_study


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``hccreview``; writes sign in as the demo admin (``--user admin``, the password in the environment)."""
    env = {**os.environ, "HCCREVIEW_PASSWORD": "admin-demo"}
    return subprocess.run([sys.executable, "-m", "hccreview", *args], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=300)  # fmt: skip


def test_snapshot_package_merge_and_refusals_from_the_command_line(tmp_path: Path) -> None:
    study, snap, pkg = tmp_path / "study.db", tmp_path / "r2.db", tmp_path / "r2.hccr"
    assert _cli("demo", str(study)).returncode == 0
    unsigned = _cli("export-snapshot", str(study), "--for", "reader:reader2", "--out", str(snap))
    assert unsigned.returncode == 2 and "--user" in unsigned.stderr and not snap.exists()
    out = _cli("export-snapshot", str(study), "--for", "reader:reader2", "--out", str(snap), "--user", "admin")
    assert out.returncode == 0, out.stderr
    assert "content sha256" in out.stdout and "reads 112" in out.stdout
    assert _cli("export-snapshot", str(study), "--for", "reader2", "--out", str(tmp_path / "x.db")).returncode == 2

    with open_study(snap) as s:  # reader 2 corrects one read offline
        auth.sign_in(s, "reader2", "reader2-demo")
        row = s.store.rows("reads", "subject_id = 'HCC-007'", order_by="date")[-1]
        reading.record_read(s, "HCC-007", row["date"], row["visit"], overall="NE", target="NE",
                            non_target=row["non_target"], override_reason="scan incomplete")  # fmt: skip
    out = _cli("export-reads", str(snap), "--user", "reader2", "--out", str(pkg))
    assert out.returncode == 0, out.stderr
    assert "reads 1" in out.stdout and "sha256 " in out.stdout

    dry = _cli("import-reads", str(study), str(pkg), "--dry-run")
    assert dry.returncode == 0 and "would write 1 row(s)" in dry.stdout and "HCC-007: reads" in dry.stdout
    assert _cli("import-reads", str(study), str(pkg)).returncode == 2  # a write: --user required
    merged = _cli("import-reads", str(study), str(pkg), "--user", "admin")
    assert merged.returncode == 0 and "merged 1 row(s)" in merged.stdout, merged.stderr
    again = _cli("import-reads", str(study), str(pkg), "--user", "admin")
    assert again.returncode == 0 and "already merged" in again.stdout

    readers = json.loads(_cli("readers", str(study), "--json").stdout)
    assert [r["reader"] for r in readers] == ["reader1", "reader2"]
    assert readers[1]["packages"][0]["counts"]["reads"] == 1 and readers[0]["packages"] == []

    damaged = tmp_path / "damaged.hccr"
    data = bytearray(pkg.read_bytes())
    data[100] ^= 0x04
    damaged.write_bytes(bytes(data))
    refused = _cli("import-reads", str(study), str(damaged), "--user", "admin")
    assert refused.returncode == 1 and "damaged.hccr" in refused.stderr
    verify = _cli("verify", str(study))
    assert verify.returncode == 0, verify.stdout
