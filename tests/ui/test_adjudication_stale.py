"""The adjudication panel on a stale view (issue 10): a second app instance decides or changes the decision while
the panel still shows the old state. The panel's decision and its sign-off pass what it showed; both are refused
with a message naming what changed and who changed it, the panel reloads, and nothing is overwritten or signed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from hccreview.services import adjudication, auth
from hccreview.services.session import StudySession, open_study
from hccreview.ui.views.adjudication import AdjudicationPanel
from tests.ui.adjudication_support import (  # noqa: F401
    DEMO_DISCORDANT,
    DEMO_PASSWORDS,
    TIMEOUT,
    Answers,
    QtParts,
    answers,
    parts,
)

SUBJECT = DEMO_DISCORDANT[0]


@pytest.fixture
def other(parts: QtParts) -> Iterator[Callable[[str], StudySession]]:  # noqa: F811
    """A second "app instance" on the same study file, signed in as the given user."""
    opened: list[StudySession] = []

    def sign_in(username: str) -> StudySession:
        session = open_study(parts.path)
        auth.sign_in(session, username, DEMO_PASSWORDS[username])
        opened.append(session)
        return session

    yield sign_in
    for session in opened:
        session.close()


def _panel(qtbot, parts: QtParts) -> AdjudicationPanel:  # noqa: F811
    parts.sign_in("adjudicator")
    panel = AdjudicationPanel(parts.context)
    qtbot.addWidget(panel)
    panel.resize(1366, 768)
    panel.show()
    qtbot.waitUntil(lambda: not panel.runner.busy and panel.comparison is not None
                    and panel.comparison.subject_id == SUBJECT, timeout=TIMEOUT)  # fmt: skip
    return panel


def _trail(session: StudySession) -> list[tuple[str, str]]:
    rows = session.store.rows("audit_log", "table_name IN ('adjudications', 'signatures')", order_by="seq")
    return [(r["username"], r["table_name"]) for r in rows]


def test_choosing_on_a_stale_view_is_refused_and_reloaded(qtbot, parts: QtParts, answers: Answers, other) -> None:  # noqa: F811
    panel = _panel(qtbot, parts)
    assert panel.comparison.decision is None
    elsewhere = other("adjudicator")  # the adjudicator decides in a second app instance (only they may decide)
    adjudication.adjudicate(elsewhere, subject_id=SUBJECT, chosen_reader="reader2", reason="meeting",
                            reason_code="measurement", expected={})  # fmt: skip
    before = _trail(elsewhere)

    panel.case.cards[0].choose.click()  # the panel still shows no decision: read 1 must not replace that one
    qtbot.waitUntil(lambda: "Not saved" in panel.message.text(), timeout=TIMEOUT)
    text = panel.message.text()
    assert "chosen read was empty on your screen and is now reader2" in text and "by adjudicator" in text, text
    qtbot.waitUntil(lambda: panel.comparison is not None and panel.comparison.decision is not None, timeout=TIMEOUT)
    assert panel.comparison.decision.chosen_reader == "reader2" and parts.stack.count() == 0
    parts.runner.wait()
    decision = adjudication.decision_for(elsewhere, SUBJECT)
    assert (decision.chosen_reader, decision.adjudicator) == ("reader2", "adjudicator")
    assert _trail(elsewhere) == before


def test_signing_a_decision_changed_elsewhere_is_refused(qtbot, parts: QtParts, answers: Answers, other) -> None:  # noqa: F811
    panel = _panel(qtbot, parts)
    panel.case.cards[0].choose.click()
    qtbot.waitUntil(lambda: panel.comparison.decision is not None, timeout=TIMEOUT)
    assert panel.comparison.decision.chosen_reader == "reader1"
    same_user_elsewhere = other("adjudicator")
    seen = adjudication.seen_decision(adjudication.decision_for(same_user_elsewhere, SUBJECT))
    adjudication.adjudicate(same_user_elsewhere, subject_id=SUBJECT, chosen_reader="reader2", reason="second look",
                            reason_code="measurement", expected=seen)  # fmt: skip

    answers.passwords.append(DEMO_PASSWORDS["adjudicator"])
    panel.case.sign_button.click()  # the panel shows read 1: signing must not put a signature on read 2
    qtbot.waitUntil(lambda: "Not saved" in panel.message.text(), timeout=TIMEOUT)
    assert "chosen read was reader1 on your screen and is now reader2" in panel.message.text()
    qtbot.waitUntil(lambda: panel.comparison.decision.chosen_reader == "reader2", timeout=TIMEOUT)
    parts.runner.wait()
    assert not adjudication.decision_for(same_user_elsewhere, SUBJECT).locked
    assert same_user_elsewhere.store.count("signatures") == 0
