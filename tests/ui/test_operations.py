"""``ui.operations.run_write``: the one helper every GUI write goes through (Anki's ``CollectionOp``).

It runs the service off the GUI thread on the database lane, through the store's write gate, and publishes the
result's Changes once on success; a refusal of the gate (``AccessDenied``, ``CaseLocked``) publishes nothing; a
stale refusal publishes what the other writer changed. No module of ``hccreview/ui`` but the helper and the bus
publishes on the bus by hand (an AST scan), so a hand-written publish after a write cannot come back.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hccreview.domain.access import AccessDenied, CaseLocked
from hccreview.domain.changes import ChangeKind, Changes
from hccreview.services import adjudication, review
from hccreview.services.review import Edit, StaleDataError
from hccreview.services.session import StudySession
from hccreview.ui.bus import ChangeBus
from hccreview.ui.operations import changes_of, run_write
from hccreview.ui.workers import Runner
from tests.factories_central import PASSWORDS, R1, central_study, open_as

UI = Path(__file__).resolve().parents[2] / "hccreview" / "ui"
#: The only modules of hccreview/ui that may call ``publish``: the helper and the bus that defines it.
PUBLISHERS = {"operations.py", "bus.py"}
TIMEOUT = 20000


@pytest.fixture
def study(tmp_path: Path) -> Path:
    path = tmp_path / "central.db"
    central_study(path).close()
    return path


@pytest.fixture
def env(qapp: object) -> Iterator[tuple[Runner, ChangeBus, list[tuple[Changes, object]]]]:
    """``(runner, bus, published)``: every ``(changes, initiator)`` the bus carried, in order."""
    runner, bus = Runner(), ChangeBus()
    published: list[tuple[Changes, object]] = []
    bus.changed.connect(lambda changes, initiator: published.append((changes, initiator)))
    yield runner, bus, published
    runner.wait()


def _measurement(path: Path, subject: str, reader: str) -> dict[str, Any]:
    """A target measurement of ``reader`` on ``subject`` at the first scan after baseline (read unsigned)."""
    with open_as(path, None) as system:
        rows = system.store.rows("measurements", "subject_id = ? AND reader = ? AND lesion_id = 'T01'",
                                 [subject, reader])  # fmt: skip
    return sorted(rows, key=lambda r: r["date"])[1]


def _diameter(path: Path, measurement_id: int) -> float:
    with open_as(path, None) as system:
        return float(system.store.get("measurements", measurement_id)["diameter_mm"])


def _run(qtbot: Any, runner: Runner, bus: ChangeBus, service: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Run one write; returns ``{"done": result}`` or ``{"error": exc}`` once its callback has run."""
    outcome: dict[str, Any] = {}
    run_write(runner, bus, service, *args, initiator="the panel", on_done=lambda r: outcome.setdefault("done", r),
              on_error=lambda exc: outcome.setdefault("error", exc), **kwargs)  # fmt: skip
    qtbot.waitUntil(lambda: bool(outcome), timeout=TIMEOUT)
    runner.wait()
    return outcome


def test_a_write_runs_off_the_gui_thread_and_publishes_its_changes_once(qtbot, study: Path, env) -> None:  # type: ignore[no-untyped-def]
    runner, bus, published = env
    row = _measurement(study, "C01", R1)
    threads: list[int] = []
    seen_when_done: list[int] = []

    def write(session: StudySession, **kwargs: Any) -> Edit:
        threads.append(threading.get_ident())
        return review.update_measurement(session, **kwargs)

    def done(edit: Edit) -> None:
        seen_when_done.append(len(published))
        outcome["done"] = edit

    with open_as(study, R1) as session:
        outcome: dict[str, Any] = {}
        run_write(runner, bus, write, session, measurement_id=row["id"], values={"diameter_mm": 31.5},
                  reason="re-measured", initiator="the panel", on_done=done)  # fmt: skip
        qtbot.waitUntil(lambda: "done" in outcome, timeout=TIMEOUT)
        runner.wait()
    edit = outcome["done"]
    assert threads and threads[0] != threading.get_ident(), "the service ran on a worker thread"
    assert edit.changes == Changes.of("C01", kinds={ChangeKind.MEASUREMENTS})
    assert published == [(edit.changes, "the panel")], "exactly the result's Changes, once, with the initiator"
    assert seen_when_done == [1], "on_done runs after the bus has been told"
    assert _diameter(study, row["id"]) == 31.5


def test_a_signature_is_published_with_the_decision_and_signature_kinds(qtbot, study: Path, env) -> None:  # type: ignore[no-untyped-def]
    runner, bus, published = env
    with open_as(study, "adj") as session:
        adjudication.adjudicate(session, subject_id="C01", chosen_reader=R1, reason="reader 2 measured obliquely",
                                reason_code="measurement")  # fmt: skip
        outcome = _run(qtbot, runner, bus, adjudication.sign_adjudication, session, subject_id="C01",
                       password=PASSWORDS["adj"])  # fmt: skip
    signature = outcome["done"]
    assert (signature.subject_id, signature.username, signature.meaning) == ("C01", "adj", "adjudicated")
    assert published == [(Changes.of("C01", kinds={ChangeKind.ADJUDICATIONS, ChangeKind.SIGNATURES}), "the panel")]


def test_a_write_the_gate_refuses_publishes_nothing(qtbot, study: Path, env) -> None:  # type: ignore[no-untyped-def]
    runner, bus, published = env
    row = _measurement(study, "C01", R1)
    with open_as(study, "adj") as session:  # an adjudicator sees reader1's measurement but may not change it
        outcome = _run(qtbot, runner, bus, review.update_measurement, session, measurement_id=row["id"],
                       values={"diameter_mm": 12.0}, reason="not mine to change")  # fmt: skip
    assert type(outcome["error"]) is AccessDenied
    assert "may not change" in str(outcome["error"]) and "only their own" in str(outcome["error"])
    assert published == [] and _diameter(study, row["id"]) == row["diameter_mm"]


def test_a_write_to_a_locked_case_publishes_nothing(qtbot, study: Path, env) -> None:  # type: ignore[no-untyped-def]
    runner, bus, published = env
    row = _measurement(study, "C01", R1)
    with open_as(study, "adj") as session:  # the case is decided and signed outside this window
        adjudication.adjudicate(session, subject_id="C01", chosen_reader=R1, reason="reader 2 measured obliquely",
                                reason_code="measurement")  # fmt: skip
        adjudication.sign_adjudication(session, subject_id="C01", password=PASSWORDS["adj"])
    with open_as(study, R1) as session:
        outcome = _run(qtbot, runner, bus, review.update_measurement, session, measurement_id=row["id"],
                       values={"diameter_mm": 12.0}, reason="after the signature")  # fmt: skip
    assert type(outcome["error"]) is CaseLocked
    assert str(outcome["error"]).endswith("the review of C01 is closed (locked); nothing was written")
    assert published == [] and _diameter(study, row["id"]) == row["diameter_mm"]


def test_a_stale_refusal_publishes_what_the_other_writer_changed(qtbot, study: Path, env) -> None:  # type: ignore[no-untyped-def]
    runner, bus, published = env
    row = _measurement(study, "C01", R1)
    with open_as(study, R1) as other:  # another app instance of the same reader changes the value first
        review.update_measurement(other, measurement_id=row["id"], values={"diameter_mm": 33.0}, reason="elsewhere")
    with open_as(study, R1) as session:
        outcome = _run(qtbot, runner, bus, review.update_measurement, session, measurement_id=row["id"],
                       values={"diameter_mm": 12.0}, reason="here",
                       expected={"diameter_mm": row["diameter_mm"]})  # fmt: skip
    assert isinstance(outcome["error"], StaleDataError)
    assert published == [(Changes.of("C01", kinds={ChangeKind.MEASUREMENTS}), None)], "not this panel's write"
    assert _diameter(study, row["id"]) == 33.0


def test_a_write_without_on_error_reports_on_the_runner(qtbot, study: Path, env) -> None:  # type: ignore[no-untyped-def]
    runner, bus, published = env
    row = _measurement(study, "C01", R1)
    with open_as(study, "adj") as session, qtbot.waitSignal(runner.error, timeout=TIMEOUT) as reported:
        run_write(runner, bus, review.update_measurement, session, measurement_id=row["id"],
                  values={"diameter_mm": 12.0}, reason="not mine")  # fmt: skip
    assert type(reported.args[0]) is AccessDenied and published == []


def test_what_a_result_carries() -> None:
    changes = Changes.of("C01", kinds={ChangeKind.QUERIES})
    edit = Edit(Changes.of("C02", kinds={ChangeKind.READS}), "reads", 1, {}, {"overall": "PR"})
    assert changes_of(changes) is changes  # the query services return their Changes themselves
    assert changes_of(edit) == edit.changes
    assert changes_of(None) is None  # an undo whose redo failed wrote nothing
    with pytest.raises(TypeError, match="a write returned dict, which carries no Changes"):
        changes_of({"id": 1})


def _publish_calls(source: str) -> list[int]:
    """Lines of every ``<anything>.publish(...)`` call in ``source``."""
    calls = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    return [n.lineno for n in calls if n.func.attr == "publish"]


def test_only_the_write_helper_publishes_on_the_bus() -> None:
    modules = sorted(UI.rglob("*.py"))
    assert len(modules) > 40 and {p.name for p in modules} >= PUBLISHERS
    hand_written = [f"{p.relative_to(UI.parent.parent).as_posix()}:{line}" for p in modules
                    if p.relative_to(UI).as_posix() not in PUBLISHERS
                    for line in _publish_calls(p.read_text(encoding="utf-8"))]  # fmt: skip
    assert hand_written == [], "publish a write's Changes through ui.operations.run_write, not by hand"
    assert _publish_calls((UI / "operations.py").read_text(encoding="utf-8")), "the helper publishes"


def test_the_scan_finds_a_hand_written_publish() -> None:
    source = "def _signed(self, sig):\n    self.status.setText('x')\n    self.bus.publish(sig.changes, self)\n"
    assert _publish_calls(source) == [3]
    assert _publish_calls("self.bus.changed.emit(changes, None)\npublish = 1\n") == []
