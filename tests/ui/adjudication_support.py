"""Fixtures of the adjudication GUI tests: the demo study signed in as a demo user, the Qt runner / bus / undo
stack, and the dialogs answered through their monkeypatched ``ask`` classmethods.

Import into a test module (``from tests.ui.adjudication_support import ...  # noqa: F401``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtGui import QUndoStack

from hccreview.services import auth
from hccreview.services.session import StudySession, open_study
from hccreview.ui.bus import ChangeBus
from hccreview.ui.dialogs.reason import ReasonDialog
from hccreview.ui.dialogs.signature import SignatureDialog
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.views.adjudication_reason import DecisionReason, DecisionReasonDialog
from hccreview.ui.workers import Runner

#: The demo accounts (docs/demo-study.md).
DEMO_PASSWORDS = {"reader1": "reader1-demo", "reader2": "reader2-demo", "adjudicator": "adjudicator-demo",
                  "admin": "admin-demo"}  # fmt: skip
#: The demo study's discordant patients (reader1 vs reader2; seed 1, 40 patients).
DEMO_DISCORDANT = ["HCC-009", "HCC-010", "HCC-012", "HCC-017", "HCC-018", "HCC-032", "HCC-033", "HCC-035", "HCC-039"]
TIMEOUT = 30000


@dataclass
class QtParts:
    """What a panel needs besides the session: the window's runner, change bus and undo stack."""

    session: StudySession
    runner: Runner
    bus: ChangeBus
    stack: QUndoStack
    path: Path

    @property
    def context(self) -> PanelContext:
        """What a panel is given (the window's one :class:`PanelContext`)."""
        return PanelContext(self.session, self.bus, self.runner, self.stack)

    def sign_in(self, username: str) -> None:
        """Sign ``username`` in (waits for the database lane first: one thread uses the connection at a time)."""
        self.runner.wait()
        auth.sign_in(self.session, username, DEMO_PASSWORDS[username])


@pytest.fixture
def parts(qapp, review_study: Path) -> Iterator[QtParts]:  # type: ignore[no-untyped-def]
    session = open_study(review_study)
    runner, bus, stack = Runner(), ChangeBus(), QUndoStack()
    yield QtParts(session, runner, bus, stack, review_study)
    runner.wait()
    stack.clear()
    session.close()


@dataclass
class Answers:
    """What the monkeypatched dialogs answer next, and what they were asked."""

    reasons: list[str | None] = field(default_factory=list)
    passwords: list[str | None] = field(default_factory=list)
    codes: list[tuple[str, str]] = field(default_factory=list)  # decision reason codes: (code, other text)
    asked: list[tuple[str, ...]] = field(default_factory=list)


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Answers:
    """Replace ReasonDialog.ask, DecisionReasonDialog.ask and SignatureDialog.ask: each call pops the next answer
    (a reason / password; a decision takes its reason from ``reasons`` and its code from ``codes``, default
    "measurement")."""
    given = Answers()

    def reason(cls, parent, title, prompt):  # type: ignore[no-untyped-def]
        given.asked.append(("reason", title, prompt))
        return given.reasons.pop(0) if given.reasons else f"reason for {title}"

    def password(cls, parent, meaning, signer, subject=""):  # type: ignore[no-untyped-def]
        given.asked.append(("signature", meaning, signer, subject))
        return given.passwords.pop(0)

    def decision(cls, parent, title, prompt):  # type: ignore[no-untyped-def]
        given.asked.append(("decision", title, prompt))
        text = given.reasons.pop(0) if given.reasons else f"reason for {title}"
        code, other = given.codes.pop(0) if given.codes else ("measurement", "")
        return None if text is None else DecisionReason(code, other, text)

    monkeypatch.setattr(ReasonDialog, "ask", classmethod(reason))
    monkeypatch.setattr(DecisionReasonDialog, "ask", classmethod(decision))
    monkeypatch.setattr(SignatureDialog, "ask", classmethod(password))
    return given
