"""SIGKILL in the middle of an import of the real onco delivery: the study is left as it was, and verifies.

The importer runs in a child process that reports its progress on stdout; the test waits for the write phase
("writing": validation is over, the transaction is running) and kills the child with SIGKILL after a delay, while it
is still running (a child that finished first fails the test: it would prove nothing). Then:

- an existing study verifies (``verify_study`` all ok) and holds exactly its previous content
  (``review_tables_digest`` unchanged: data tables, settings and audit trail);
- a new study file either does not exist or verifies and holds no imported record (nothing half-written).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hccreview.services.importing import import_into
from hccreview.services.session import create_study
from hccreview.services.verify import verify_study
from hccreview.store import Store
from hccreview.store.study_data import TABLE_RECORDS, review_tables_digest

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL exists only on POSIX")

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "templates" / "example"
IMPORTER = r"""
import sys
from hccreview.services.importing import import_into
import_into(sys.argv[1], fmt="sdtm", source=sys.argv[2], progress=lambda f, m: print(m, flush=True))
print("imported", flush=True)
"""


def _import_and_kill(study: Path, source: Path, delay: float) -> None:
    """Run the import in a child; SIGKILL it ``delay`` seconds into the write phase (it must still be running)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", IMPORTER, str(study), str(source)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    seen = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line.strip())
        if line.strip() == "writing":
            break
    assert seen and seen[-1] == "writing", f"the import never reached its write phase: {seen[-5:]}"
    time.sleep(delay)
    still_running = proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    rest = proc.stdout.read()
    assert still_running and "imported" not in rest, "the import finished before the kill; lower the delay"
    assert proc.returncode == -signal.SIGKILL


def _counts(path: Path) -> dict[str, int]:
    with Store.open(path, migrate=False) as store:
        return {t: store.count(t) for t in TABLE_RECORDS}


@pytest.mark.parametrize("delay", [0.05, 0.3, 0.6])
def test_sigkill_during_import_into_existing_study_leaves_it_as_it_was(
    sdtm_root: Path, tmp_path: Path, delay: float
) -> None:
    study = tmp_path / "existing.db"
    create_study(study, title="Existing").close()
    import_into(study, fmt="csv", source=EXAMPLE)  # some content of its own (3 patients)
    with Store.open(study, migrate=False) as store:
        before = review_tables_digest(store)
    counts_before = _counts(study)

    _import_and_kill(study, sdtm_root / "onco", delay)

    checks = verify_study(study)
    assert all(c.ok for c in checks), checks
    with Store.open(study, migrate=False) as store:
        assert review_tables_digest(store) == before
    assert _counts(study) == counts_before


@pytest.mark.parametrize("delay", [0.05, 0.3, 0.6])
def test_sigkill_during_import_into_new_study_leaves_nothing_half_written(
    sdtm_root: Path, tmp_path: Path, delay: float
) -> None:
    study = tmp_path / "new.db"

    _import_and_kill(study, sdtm_root / "onco", delay)

    if study.exists():
        checks = verify_study(study)
        assert all(c.ok for c in checks), checks
        assert set(_counts(study).values()) == {0}, _counts(study)
