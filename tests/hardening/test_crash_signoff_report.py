"""SIGKILL in the middle of an adjudication sign-off and of a PDF report export (issue 10 hardening).

The work runs in a child process, killed with SIGKILL at a known point:

- **sign-off**: the child wraps the store so that it stops (sleeps, printing a marker) at a chosen point inside
  the sign-off transaction: while the password is checked, after the signature row is written, after the decision
  is marked signed (before the commit), or after the sign-off returned (committed). After the kill the study
  verifies (``hccreview verify``), everything committed before (the decision) is intact, and the sign-off is
  either wholly there (signature row, locked decision, audit entries, valid signature) or wholly absent (the
  study's tables and audit trail byte for byte as before);
- **report export**: ``hccreview report`` is killed while its PDF is being written (the temporary file exists).
  No PDF is left under the final name — or, when one existed before, it is the previous complete file —
  and the study is unchanged and verifies. (``services.reporting`` writes ``.<name>.<id>.part`` and renames it
  over the final name with ``os.replace``; after a SIGKILL that hidden temporary file stays behind, since no code
  runs on SIGKILL, but it never carries the final name.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hccreview.services import adjudication as adj
from hccreview.services.verify import verify_study
from hccreview.store import Store
from hccreview.store.signatures import verify_signatures
from hccreview.store.study_data import review_tables_digest
from tests.factories_central import PASSWORDS, R1, central_study, open_as

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL exists only on POSIX")

SIGNER = r"""
import sys, time
from hccreview.services import adjudication as adj
from hccreview.services.auth import sign_in
from hccreview.services.session import open_study
from hccreview.store import Store

path, point, password = sys.argv[1], sys.argv[2], sys.argv[3]
session = open_study(path)
sign_in(session, "adj", password)

def pause(where):
    if point == where:
        print("paused " + where, flush=True)
        time.sleep(120)

real_sign, real_update, real_verify = adj.sign, Store.update, None

def sign(store, **kwargs):
    pause("password")  # inside the transaction, before the password check and the signature row
    signature = real_sign(store, **kwargs)
    pause("signature")  # the signature row is written, the decision not yet locked
    return signature

def update(self, table, key, changes, **kwargs):
    old = real_update(self, table, key, changes, **kwargs)
    if table == "adjudications" and changes.get("status") == "signed":
        pause("locked")  # the decision is marked signed; the transaction is not committed yet
    return old

adj.sign, Store.update = sign, update
print("signing", flush=True)
adj.sign_adjudication(session, subject_id="C01", password=password)
print("signed", flush=True)
pause("committed")
"""


def _verified(path: Path) -> bool:
    """``hccreview verify`` on the file (a fresh process, as a user would run it) exits 0."""
    done = subprocess.run([sys.executable, "-m", "hccreview", "verify", str(path)], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return all(c.ok for c in verify_study(path))


def _kill_at(args: list[str], marker: str) -> None:
    """Run a child; SIGKILL it when it prints ``marker`` (it must still be running then)."""
    proc = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        if line.strip() == marker:
            break
    running = proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert lines and lines[-1] == marker, f"the child never reached {marker!r}: {lines} {proc.stderr.read()[-2000:]}"
    assert running and proc.returncode == -signal.SIGKILL


@pytest.fixture
def decided(study_path: Path) -> Path:
    """The central study with C01 decided (committed, unsigned) by the adjudicator."""
    central_study(study_path).close()
    with open_as(study_path, "adj") as session:
        adj.adjudicate(session, subject_id="C01", chosen_reader=R1, reason="PR confirmed", reason_code="measurement")
    return study_path


def _state(path: Path) -> tuple[list[dict[str, object]], int, list[tuple[object, ...]]]:
    """(the study's record tables, the signature count, the audit trail without sign-in entries)."""
    with Store.open(path, migrate=False) as store:
        tables = [store.rows(t, order_by="rowid") for t in ("adjudications", "signatures", "reads", "measurements")]
        trail = [tuple(e.values()) for e in store.rows("audit_log", order_by="seq") if e["action"] != "sign-in"]
        return tables, store.count("signatures"), trail


@pytest.mark.parametrize("point", ["password", "signature", "locked"])
def test_sigkill_inside_the_sign_off_leaves_it_wholly_absent(decided: Path, point: str) -> None:
    before = _state(decided)
    _kill_at(["-c", SIGNER, str(decided), point, PASSWORDS["adj"]], f"paused {point}")
    assert _verified(decided)
    assert _state(decided) == before, "nothing of the sign-off may remain"
    with open_as(decided, "adj") as session:
        decision = adj.decision_for(session, "C01")
        assert (decision.chosen_reader, decision.status, decision.signature) == (R1, "open", None)
        # the interrupted sign-off can simply be done again
        adj.sign_adjudication(session, subject_id="C01", password=PASSWORDS["adj"])
        assert adj.decision_for(session, "C01").locked


def test_sigkill_after_the_sign_off_committed_keeps_it_wholly(decided: Path) -> None:
    _tables, signatures, entries = _state(decided)
    _kill_at(["-c", SIGNER, str(decided), "committed", PASSWORDS["adj"]], "paused committed")
    assert _verified(decided)
    _after, signatures_after, entries_after = _state(decided)
    assert signatures_after == signatures + 1 and entries_after[: len(entries)] == entries
    assert {e[4] for e in entries_after[len(entries) :]} == {"signatures", "adjudications"}  # table_name
    with open_as(decided, "adj") as session:
        decision = adj.decision_for(session, "C01")
        assert decision.locked and decision.chosen_reader == R1 and decision.signature is not None
        assert decision.signature["username"] == "adj" and verify_signatures(session.store) == []


# ---------------------------------------------------------------------------------------------- report export
def _digest(path: Path) -> str:
    with Store.open(path, migrate=False) as store:
        return review_tables_digest(store)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hccreview.services.demo_study import build_demo_study

    return build_demo_study(tmp_path_factory.mktemp("crash-report") / "demo.db")


def _kill_report(study: Path, out: Path, grace: float) -> None:
    """Start ``hccreview report``; SIGKILL it ``grace`` s after its temporary PDF appears (still running)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "hccreview", "report", str(study), "--out", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    parts: list[Path] = []
    while time.monotonic() < deadline and proc.poll() is None and not parts:
        parts = [p for p in out.parent.glob(f".{out.name}.*.part") if p.stat().st_size > 0]
        time.sleep(0.01)
    time.sleep(grace)
    running = proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert parts, f"the report never started writing its PDF: {proc.stderr.read()[-2000:] if proc.stderr else ''}"
    assert running, "the export finished before the kill; it proves nothing"


@pytest.mark.parametrize("grace", [0.0, 0.4])
def test_sigkill_during_report_export_leaves_no_half_written_pdf(demo_file: Path, tmp_path: Path, grace: float) -> None:
    study = tmp_path / "study.db"
    study.write_bytes(demo_file.read_bytes())
    before = _digest(study)
    out = tmp_path / "summary.pdf"
    _kill_report(study, out, grace)
    assert not out.exists(), "a half-written PDF is under the final name"
    assert _digest(study) == before and _verified(study)


def test_sigkill_during_report_export_keeps_the_previous_pdf(demo_file: Path, tmp_path: Path) -> None:
    study = tmp_path / "study.db"
    study.write_bytes(demo_file.read_bytes())
    out = tmp_path / "summary.pdf"
    done = subprocess.run([sys.executable, "-m", "hccreview", "report", str(study), "--out", str(out)],
                          capture_output=True, text=True, timeout=180)  # fmt: skip
    assert done.returncode == 0, done.stderr
    previous = out.read_bytes()
    assert previous.startswith(b"%PDF") and previous.rstrip().endswith(b"%%EOF")
    _kill_report(study, out, 0.2)
    assert out.read_bytes() == previous, "the previous complete report must survive an interrupted export"
