"""Every public service function, as every role, on a locked and an unlocked case: DESIGN §4b holds.

The functions are found by introspection (every public function of ``hccreview.services.*`` whose first parameter
is ``session``), so a new one cannot escape: it needs an argument recipe below, or this test fails naming it.
Each call either returns only what the policy lets that user see, or is refused with a message; a refused call
leaves the review tables byte for byte unchanged; a call that wrote is checked entry by entry against the matrix
(restated here from DESIGN §4b, independently of ``domain.access``).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import pkgutil
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import hccreview.services as services_pkg
from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.records import Role
from hccreview.services import adjudication, auth, images, queries
from hccreview.services.exchange import ExchangeError
from hccreview.services.review import Edit, StaleDataError
from hccreview.services.session import StudySession, open_study
from hccreview.services.sr_import import SRImportPlan
from hccreview.store.study_data import review_tables_digest
from hccreview.store.users import AuthError, User

PASSWORDS = {"reader1": "reader1-demo", "reader2": "reader2-demo", "adjudicator": "adjudicator-demo",
             "admin": "admin-demo", "stat": "statistician-1"}  # fmt: skip
ROLES = {"reader1": Role.READER, "adjudicator": Role.ADJUDICATOR, "admin": Role.ADMIN, "stat": Role.VIEWER}
#: Functions that are not use-cases of a signed-in user (they build or inspect the session itself).
NOT_USE_CASES = {"session.open_study", "session.create_study"}
#: Optional parameters passed all the same: they scope a call to the case under test (without one, a function such
#: as ``demo_images.generate`` would work on the whole study, which says nothing more about the policy).
SCOPING = {"subject_id"}
#: Exceptions that are a refusal with a message (the caller gave something the service rightly refuses).
REFUSALS: tuple[type[BaseException], ...] = (
    PermissionError, ValueError, LookupError, OSError, AuthError, ExchangeError, StaleDataError,
)  # fmt: skip


def _service_functions() -> list[tuple[str, Callable[..., Any]]]:
    found = []
    for info in pkgutil.iter_modules(services_pkg.__path__):
        module = importlib.import_module(f"hccreview.services.{info.name}")
        for name, obj in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(obj) or obj.__module__ != module.__name__:
                continue
            params = list(inspect.signature(obj).parameters)
            if params and params[0] == "session" and f"{info.name}.{name}" not in NOT_USE_CASES:
                found.append((f"{info.name}.{name}", obj))
    return sorted(found, key=lambda item: item[0])


FUNCTIONS = _service_functions()


@dataclasses.dataclass
class World:
    """The prepared study: a discordant case signed (locked) and one open, with rows of every evaluator."""

    path: Path
    locked: str
    unlocked: str
    ids: dict[tuple[str, str, str], int]  # (subject, table, evaluator) -> a row id
    dates: dict[str, str]  # subject -> a follow-up date of reader1's reads
    query_id: dict[str, int]  # subject -> a query opened by the adjudicator on reader2's lesion
    queue: dict[str, Any]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    from hccreview.services.demo_study import build_demo_study

    path = build_demo_study(tmp_path_factory.mktemp("policy") / "demo.db")
    with open_study(path) as session:
        auth.sign_in(session, "admin", PASSWORDS["admin"])
        auth.add_user(session, username="stat", full_name="Trial Statistician", role="viewer",
                      password=PASSWORDS["stat"])  # fmt: skip
    with open_study(path) as session:
        auth.sign_in(session, "adjudicator", PASSWORDS["adjudicator"])
        queue = {q.subject_id: q for q in adjudication.discordance_queue(session, "central")}
        locked, unlocked = sorted(queue)[:2]
        adjudication.adjudicate(session, subject_id=locked, chosen_reader="reader1", reason="reader 1 stands",
                                reason_code="measurement")  # fmt: skip
        adjudication.sign_adjudication(session, subject_id=locked, password=PASSWORDS["adjudicator"])
        conn = session.store.conn
        ids = {}
        for sid in (locked, unlocked):
            for table in ("measurements", "reads", "lesions"):
                for who in ("reader1", "reader2", "investigator"):
                    row = conn.execute(f"SELECT id FROM {table} WHERE subject_id = ? AND reader = ? ORDER BY id",
                                       [sid, who]).fetchone()  # fmt: skip
                    ids[(sid, table, who)] = int(row[0])
            for table in ("adverse_events", "cycles", "labs"):
                row = conn.execute(f"SELECT id FROM {table} WHERE subject_id = ? ORDER BY id", [sid]).fetchone()
                if row:
                    ids[(sid, table, "source")] = int(row[0])
        dates = {sid: conn.execute("SELECT max(date) FROM reads WHERE subject_id = ? AND reader = 'reader1'",
                                   [sid]).fetchone()[0] for sid in (locked, unlocked)}  # fmt: skip
        query_id = {}
        for sid in (locked, unlocked):
            queries.open_thread(session, subject_id=sid, title="reader2 T01 size", text="please re-measure",
                                target_kind="lesion", target_ref=ids[(sid, "lesions", "reader2")])  # fmt: skip
            query_id[sid] = queries.threads(session, sid)[-1].id
    return World(path, locked, unlocked, ids, dates, query_id, queue)


_SHARED: dict[tuple[Path, str], tuple[Any, Any, Any, Any]] = {}


def _shared(world: World, sid: str) -> tuple[Any, Any, Any, Any]:
    """The recipe's parts that need another session (computed once per case: they do not depend on the caller)."""
    if (world.path, sid) in _SHARED:
        return _SHARED[(world.path, sid)]
    with open_study(world.path) as adj:
        adj.signed_in = User("adjudicator", "Adjudicator", Role.ADJUDICATOR)
        thread = queries.get_thread(adj, world.query_id[sid])
    with open_study(world.path) as admin:  # the demo's image index (issue 21): a series, an image, an import plan
        admin.signed_in = User("admin", "Admin", Role.ADMIN)
        series = images.series_for(admin, sid)[0]
        instance = images.instances(admin, series.series_uid)[0]
        root = images.image_root(admin)
        assert root is not None
        empty = root / "nothing-to-import"  # inside the root (an import must be), without the drawn demo images
        empty.mkdir(parents=True, exist_ok=True)
        plan = images.preview_import(admin, empty)
    _SHARED[(world.path, sid)] = (thread, series, instance, plan)
    return _SHARED[(world.path, sid)]


class _Lazy:
    """A recipe value computed only when a function asks for it (``session.data()`` is costly)."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def _arguments(world: World, sid: str, username: str, tmp: Path, session: StudySession) -> dict[str, Any]:
    """How to call a service: one recipe per parameter name (aimed at what the user may NOT touch where it can)."""
    ids = world.ids
    other_measurement = ids[(sid, "measurements", "reader2")]
    stored = session.store.conn.execute("SELECT diameter_mm FROM measurements WHERE id = ?", [other_measurement])
    now = stored.fetchone()[0]  # an undo whose "new" value is what is stored: only the gate can refuse it
    thread, series, instance, plan = _shared(world, sid)
    return {
        "subject_id": sid, "subject_ids": [sid], "reason": "checked against the images",
        "edit": Edit(Changes.of(sid, kinds={ChangeKind.MEASUREMENTS}), "measurements", other_measurement,
                     {"diameter_mm": 5.0}, {"diameter_mm": now}),
        "password": PASSWORDS[username], "username": "reader2", "query_id": world.query_id[sid],
        "reader": "reader2", "out": tmp / "out.file", "path": tmp / "missing.hccr", "folder": tmp / "export",
        "text": "see the images", "title": "a question", "full_name": "New Person", "new_password": "new-password-1",
        "old_password": PASSWORDS[username], "date": world.dates[sid], "day": date.fromisoformat(world.dates[sid]),
        "read_id": ids[(sid, "reads", "reader2")], "data": _Lazy(session.data), "table": "measurements",
        "key": other_measurement, "values": {"diameter_mm": 5.0}, "chosen_reader": "reader1",
        "reason_code": "measurement", "role": "viewer", "active": False, "user": "reader2", "fmt": "csv",
        "thread": thread, "sources": ["adjudicated", "investigator", "computed", "reader:reader1", "reader:reader2"],
        "target": "PR", "non_target": "", "new_lesion": False, "cases": "all", "item": world.queue.get(sid),
        "differences": {}, "current": {}, "row": {}, "expected": {},
        "measurement_id": other_measurement, "state": "reviewed",
        "kind": "new", "organ": "liver", "lesion_id": "T01",  # services.lesions: a new lesion at a follow-up
        "series_uid": series.series_uid, "instance": instance, "plan": plan,
        "out_folder": tmp / "sr",  # services.structured_reports.export_sr
        "what": "import images",  # services.images.require_admin (the imports' own check)
        "paths_or_folder": tmp / "sr-in",  # services.sr_import: no such folder (refused); an empty plan to apply
        "sr_plan": SRImportPlan(str(world.path)),
        "sop_instance_uid": instance.sop_instance_uid, "key_id": 1,  # services.key_images (no row 1: refused)
    }  # fmt: skip


@pytest.fixture
def fresh(world: World, tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "study.db"
    shutil.copyfile(world.path, target)
    yield target


# ---------------------------------------------------------------------------------------------- oracles
def _walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, leaf) of a service's answer: dataclass fields, mappings, sequences, frames."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _walk(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield f"{path}[{k!r}]", k
            yield from _walk(v, f"{path}[{k!r}]")
    elif isinstance(value, (list, tuple, set, frozenset)):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]")
    elif isinstance(value, pd.DataFrame):
        yield from _walk(value.to_dict("records"), path)
        yield from _walk(list(value.columns), f"{path}.columns")
    else:
        yield path, value


def _hidden_from_reader(answer: Any) -> list[str]:
    """What a blinded reader without clinical data must not get: another evaluator's name, the investigator, a
    decision (DESIGN §4b)."""
    found = []
    for where, leaf in _walk(answer):
        text = str(leaf).lower() if isinstance(leaf, str) else ""
        if "reader2" in text or "investigator" in text:
            found.append(f"{where} = {leaf!r}")
        last = where.rsplit(".", 1)[-1]
        if last in ("chosen_reader", "adjudicator") and leaf:
            found.append(f"{where} = {leaf!r}")
    return found


def _entry_allowed(conn: Any, user: str, role: Role, entry: dict[str, Any]) -> bool:
    """Whether one audit entry is a write the matrix lets ``user`` make (DESIGN §4b, restated)."""
    table, action = entry["table_name"], entry["action"]
    if action in ("sign-in", "sign-out", "sign-in-refused"):
        return True
    if table in ("queries", "query_messages", "record_review", "review_status"):
        return role is not Role.VIEWER
    if table == "users":
        return role is Role.ADMIN or (entry["row_key"] == user and entry["field"] in ("password_hash", "salt", "kdf"))
    if table in ("lesions", "measurements", "reads"):
        content = json.loads(entry["new_value"] or entry["old_value"] or "null")
        owner = content.get("reader") if isinstance(content, dict) and "reader" in content else conn.execute(
            f"SELECT reader FROM {table} WHERE id = ?", [entry["row_key"]]).fetchone()[0]  # fmt: skip
        return owner == user and role in (Role.READER, Role.ADJUDICATOR)
    if table in ("key_images", "structured_reports"):  # a read's key images and DICOM documents: its reader's
        owner = json.loads(entry["new_value"] or entry["old_value"] or "{}").get("reader")
        return owner == user and role in (Role.READER, Role.ADJUDICATOR)
    if table in ("adjudications", "adjudication_reason_codes", "readjudication_flags"):
        reopen = table == "adjudications" and entry["field"] in ("status", "signed", "reopened_reason",
                                                                   "reopened_by", "reopened_at")  # fmt: skip
        return role is Role.ADJUDICATOR or (reopen and role is Role.ADMIN)
    if table == "signature_supersessions":
        return role in (Role.ADJUDICATOR, Role.ADMIN)
    if table in ("settings", "transfers", "reader_packages", "reader_package_audit", "image_series", "image_instances"):
        return role is Role.ADMIN
    return False  # source records and anything else: nobody writes them in the review tool


@pytest.mark.parametrize("state", ["locked", "unlocked"])
@pytest.mark.parametrize("username", sorted(ROLES))
def test_every_service_function_keeps_the_policy(world: World, fresh: Path, tmp_path: Path, username: str,
                                                 state: str) -> None:  # fmt: skip
    role = ROLES[username]
    sid = world.locked if state == "locked" else world.unlocked
    missing: list[str] = []
    problems: list[str] = []
    for qualified, function in FUNCTIONS:
        work = tmp_path / qualified
        work.mkdir()
        study = work / "study.db"
        shutil.copyfile(fresh, study)
        with open_study(study) as session:
            session.signed_in = User(username, username, role)  # as after sign_in (the password is tested elsewhere)
            recipe = _arguments(world, sid, username, work, session)
            kwargs: dict[str, Any] = {}
            params = list(inspect.signature(function).parameters.values())[1:]
            for p in params:
                if p.kind is p.VAR_POSITIONAL or (p.default is not p.empty and p.name not in SCOPING):
                    continue
                if p.name not in recipe:
                    missing.append(f"{qualified}({p.name})")
                    continue
                value = recipe[p.name]
                kwargs[p.name] = value.make() if isinstance(value, _Lazy) else value
            if any(m.startswith(qualified + "(") for m in missing):
                continue
            positional = [kwargs.pop(p.name) for p in params if p.kind is p.POSITIONAL_OR_KEYWORD and p.name in kwargs]
            before = review_tables_digest(session.store)
            last_seq = session.store.conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
            try:
                answer = function(session, *positional, **kwargs)
            except REFUSALS as exc:
                if not str(exc).strip():
                    problems.append(f"{qualified}: refused without a message ({type(exc).__name__})")
                wrote = [e for e in _entries_after(session, last_seq) if e["action"] != "sign-in-refused"]
                if wrote or (review_tables_digest(session.store) != before and not _only_refusals(session, last_seq)):
                    problems.append(f"{qualified}: refused ({exc}) but wrote {[_brief(e) for e in wrote][:3]}")
                continue
            except Exception as exc:
                problems.append(f"{qualified}: {type(exc).__name__}: {exc}")
                continue
            for entry in _entries_after(session, last_seq):
                if not _entry_allowed(session.store.conn, username, role, entry):
                    problems.append(f"{qualified}: {username} ({role}) wrote {_brief(entry)}")
            if role is Role.READER:
                problems += [f"{qualified} returned {leak}" for leak in _hidden_from_reader(answer)[:3]]
    assert not missing, f"no argument recipe for {missing}: add one to _arguments"
    assert not problems, "\n".join(problems)


def _entries_after(session: StudySession, seq: int) -> list[dict[str, Any]]:
    cur = session.store.conn.execute("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq", [seq])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]


def _only_refusals(session: StudySession, seq: int) -> bool:
    return all(e["action"] == "sign-in-refused" for e in _entries_after(session, seq))


def _brief(entry: dict[str, Any]) -> str:
    return f"{entry['action']} {entry['table_name']} {entry['row_key']} {entry['field'] or ''}".strip()


def test_the_enumeration_finds_the_use_cases() -> None:
    """The introspection sees the services a user calls (a broken discovery would make the test above vacuous)."""
    names = {name for name, _ in FUNCTIONS}
    assert {"review.update_measurement", "review.revert", "reading.record_read", "reading.submit_read",
            "adjudication.adjudicate", "adjudication.reopen", "case.load_case", "stats.cohort_stats",
            "reporting.render_report", "exporting.export_data", "exchange.export_snapshot",
            "queries.threads"} <= names  # fmt: skip
    assert len(names) >= 80
