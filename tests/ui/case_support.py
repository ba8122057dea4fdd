"""Fixtures of the case-view tests: the demo study (or, while the demo simulator is a placeholder without
patients, the small study of ``tests/factories.py``), a Qt runner / bus / undo stack, and a loaded CaseView.

The study is opened signed in as ``case_user`` (default ``reader1``: a reader edits only their own measurements
and reads, DESIGN §4b; parametrize ``case_user`` to view the case as another demo user). ``ReasonDialog.ask`` is
answered by :class:`Reasons` (a change to a recorded value asks why): no modal dialog ever blocks a test.

Import the fixtures into a test module (``from tests.ui.case_support import ...  # noqa: F401``), with
``_case_template`` (session-scoped: the study is built once, each test edits its own copy).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from hccreview.services import auth
from hccreview.services.case_extra import CaseDetail, load_case_detail
from hccreview.services.demo_study import build_demo_study
from hccreview.services.session import StudySession, open_study
from hccreview.services.stats import cohort_stats

#: The demo accounts (docs/demo-study.md).
DEMO_PASSWORDS = {"reader1": "reader1-demo", "reader2": "reader2-demo", "adjudicator": "adjudicator-demo",
                  "admin": "admin-demo"}  # fmt: skip
#: The reader whose rows the case tests edit (the user the case view opens on by default).
EDITING_READER = "reader1"


@dataclass
class CaseStudy:
    """An open study and the patient the tests edit: one with a partial response and target measurements."""

    session: StudySession
    subject: str
    subjects: list[str]
    origin: str  # "demo" or "factory"


def sign_in(session: StudySession, username: str) -> None:
    """Sign a demo user in on ``session`` (every read and write then follows their access)."""
    auth.sign_in(session, username, DEMO_PASSWORDS[username])


def _pick_subject(session: StudySession, subjects: list[str], reader: str | None) -> str:
    """The first patient with a confirmed PR (default source) whose ``reader`` (default: the first reader of the
    case) measured targets after baseline, else the first such patient."""
    responders = {o.subject_id for o in cohort_stats(session).subjects if o.bor == "PR"}
    fallback = None
    for sid in sorted(subjects, key=lambda s: s not in responders):
        detail = load_case_detail(session, sid)
        first = reader or (detail.case.readers[0] if detail.case.readers else "")
        if any(tp.target_sum_mm is not None for tp in detail.case.computed.get(first, [])):
            if sid in responders:
                return sid
            fallback = fallback or sid
    assert fallback, "the study has no patient with measured target lesions"
    return fallback


@pytest.fixture(scope="session")
def _case_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[str], str]:
    """Build the study once per test run: ``(file, subject, subjects, origin)``; each test gets a copy."""
    folder = tmp_path_factory.mktemp("case_template")
    path, origin = build_demo_study(folder / "demo.db"), "demo"
    with open_study(path) as session:
        empty = not session.data().subjects
    if empty:  # the demo simulator has not landed yet
        from tests.factories import small_study

        small_study(folder / "small.db").close()
        path, origin = folder / "small.db", "factory"
    with open_study(path) as session:  # the system context reads everything (and writes nothing)
        subjects = [s.subject_id for s in session.data().subjects]
        subject = _pick_subject(session, subjects, EDITING_READER if origin == "demo" else None)
    return path, subject, subjects, origin


@pytest.fixture
def case_user() -> str:
    """The demo user the case tests sign in as (parametrize to change it)."""
    return EDITING_READER


@pytest.fixture
def case_study(_case_template: tuple[Path, str, list[str], str], tmp_path: Path, case_user: str) -> Iterator[CaseStudy]:
    template, subject, subjects, origin = _case_template
    path = tmp_path / template.name
    shutil.copyfile(template, path)
    session = open_study(path, user="tester")
    if origin == "demo":
        sign_in(session, case_user)
    yield CaseStudy(session, subject, list(subjects), origin)
    session.close()


@dataclass
class Reasons:
    """What the monkeypatched ``ReasonDialog.ask`` answers next (a reason, None = cancel) and what it was asked."""

    answers: list[str | None]
    asked: list[tuple[str, str]]


@pytest.fixture
def reasons(monkeypatch: pytest.MonkeyPatch) -> Reasons:
    """Answer every reason prompt: the next of ``answers``, else "re-measured (test)"."""
    from hccreview.ui.dialogs.reason import ReasonDialog

    given = Reasons([], [])

    def ask(cls, parent, title, prompt):  # type: ignore[no-untyped-def]
        given.asked.append((title, prompt))
        return given.answers.pop(0) if given.answers else "re-measured (test)"

    monkeypatch.setattr(ReasonDialog, "ask", classmethod(ask))
    return given


@pytest.fixture
def qt_env(qtbot: object) -> Iterator[tuple[object, object, object]]:
    """``(runner, bus, undo_stack)``; the runner's lanes are drained at teardown."""
    from PySide6.QtGui import QUndoStack

    from hccreview.ui.bus import ChangeBus
    from hccreview.ui.workers import Runner

    runner, bus, stack = Runner(), ChangeBus(), QUndoStack()
    yield runner, bus, stack
    runner.wait()


@pytest.fixture
def case_view(qtbot: object, case_study: CaseStudy, qt_env: tuple[object, object, object], reasons: Reasons) -> object:
    """A shown CaseView with ``case_study.subject`` loaded (tumour tab); reason prompts answered by ``reasons``."""
    from hccreview.ui.panel_context import PanelContext
    from hccreview.ui.views.case_view import CaseView

    runner, bus, stack = qt_env
    view = CaseView(PanelContext(case_study.session, bus, runner, stack))
    qtbot.addWidget(view)  # type: ignore[attr-defined]
    view.resize(1000, 680)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=20000):  # type: ignore[attr-defined]
        view.show_subject(case_study.subject)
    return view


def detail_of(case_study: CaseStudy, subject: str | None = None) -> CaseDetail:
    return load_case_detail(case_study.session, subject or case_study.subject)


def target_cell(detail: CaseDetail, reader: str) -> tuple[str, date, int, float]:
    """A target lesion measured at the last post-baseline date: ``(lesion id, date, measurement id, value)``."""
    figures = detail.readers[reader]
    targets = {x.lesion_id for x in detail.case.lesions[reader] if x.kind.value == "target"}
    last = max(tp.date for tp in detail.case.computed[reader] if tp.target_sum_mm is not None)
    for mid, m in sorted(detail.case.measurements[reader], key=lambda p: p[1].lesion_id):
        value = getattr(m, figures.counted[m.lesion_id])
        if m.lesion_id in targets and m.date == last and value is not None:
            return m.lesion_id, m.date, mid, float(value)
    raise AssertionError("no measured target lesion at the last timepoint")
