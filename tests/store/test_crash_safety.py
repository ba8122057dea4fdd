"""A process killed with SIGKILL in the middle of a batch of writes leaves a file that verifies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hccreview.domain.records import StudySettings
from hccreview.store import Store
from hccreview.store.integrity import run_checks

WRITER = r"""
import sys
from hccreview.store import Store
store = Store.open(sys.argv[1], user="writer")
i = 0
while True:
    with store.transaction():
        store.insert("subjects", {"subject_id": f"S{i:06d}", "age": i % 90})
        store.update("subjects", f"S{i:06d}", {"sex": "F"}, reason="batch")
    print(i, flush=True)  # printed only after the commit returned
    i += 1
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL exists only on POSIX")
def test_sigkill_mid_batch_keeps_every_committed_write(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    Store.create(path, StudySettings(title="Crash")).close()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    committed = -1
    deadline = time.monotonic() + 60
    while committed < 150 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        committed = int(line)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert committed >= 150, "the writer did not get going"
    with Store.open(path) as s:
        checks = run_checks(s)
        assert all(c.ok for c in checks), checks
        ids = {r["subject_id"] for r in s.rows("subjects")}
        # every write whose commit returned is there; at most the one in flight may be missing or present
        assert {f"S{i:06d}" for i in range(committed + 1)} <= ids
        assert len(ids) <= committed + 2
        assert all(r["sex"] == "F" for r in s.rows("subjects"))  # no half transaction
