"""The query life cycle in the main window (issue 12 item 3 "Must show"): open → answer → close from the case
view's Queries tab, with the open-query badges in the navigator and on the tab following every step, and the
buttons following who may do what."""

from __future__ import annotations

import pytest

from hccreview.services import auth
from hccreview.services import queries as q
from hccreview.ui.dialogs.query_dialog import NewThread, QueryDialog
from hccreview.ui.dialogs.reason import ReasonDialog
from hccreview.ui.dialogs.sign_in import SignInDialog
from hccreview.ui.models.navigator_model import Column
from tests.ui.adjudication_support import DEMO_PASSWORDS, TIMEOUT

SUBJECT = "HCC-009"


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """Monkeypatched dialogs: who signs in next, the new thread to open, the texts typed."""
    given: dict[str, list] = {"users": [], "threads": [], "texts": [], "asked": []}

    def sign_in(cls, session, *a, **k):  # type: ignore[no-untyped-def]
        name = given["users"].pop(0)
        return auth.sign_in(session, name, DEMO_PASSWORDS[name])

    def new_thread(cls, parent, subject_id, targets, *, kind="query"):  # type: ignore[no-untyped-def]
        given["asked"].append(("thread", subject_id, [t.label for t in targets]))
        return given["threads"].pop(0)

    def text(cls, parent, title, prompt):  # type: ignore[no-untyped-def]
        given["asked"].append(("text", title))
        return given["texts"].pop(0)

    monkeypatch.setattr(SignInDialog, "ask", classmethod(sign_in))
    monkeypatch.setattr(QueryDialog, "ask", classmethod(new_thread))
    monkeypatch.setattr(ReasonDialog, "ask", classmethod(text))
    return given


def _badge(window) -> str:  # type: ignore[no-untyped-def]
    model = window.navigator.model
    return str(model.index(model.row_of(SUBJECT), Column.PATIENT).data())


def _sign_in(qtbot, window, dialogs, name: str) -> None:  # type: ignore[no-untyped-def]
    window.runner.wait()
    dialogs["users"].append(name)
    window.actions_by_name["sign_in"].trigger()
    qtbot.waitUntil(lambda: window.overview is not None and not window.runner.busy, timeout=TIMEOUT)


def test_query_life_cycle_in_the_case_view_with_badges(qtbot, make_window, dialogs) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    _sign_in(qtbot, window, dialogs, "adjudicator")
    window.navigator.select_subject(SUBJECT)
    view = window.case_view
    panel = view.queries
    view.tabs.setCurrentWidget(view.queries)
    qtbot.waitUntil(lambda: panel.view is not None and panel.view.subject_id == SUBJECT, timeout=TIMEOUT)
    assert panel.tree.topLevelItemCount() == 0 and view.tabs.tabText(view.tab_index("queries")) == "&Queries"
    assert _badge(window) == SUBJECT and panel.buttons["new_query"].isEnabled()
    assert not panel.buttons["answer"].isEnabled()

    # open: the adjudicator asks a question on the patient
    dialogs["threads"].append(NewThread("query", "patient", "", "Prior TACE?", "Was TACE given before week 8?"))
    panel.buttons["new_query"].click()
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1, timeout=TIMEOUT)
    assert dialogs["asked"][0][1] == SUBJECT and dialogs["asked"][0][2][0] == f"patient {SUBJECT}"
    assert any(label.startswith("lesion ") for label in dialogs["asked"][0][2])  # records can be targeted
    qtbot.waitUntil(lambda: view.tabs.tabText(view.tab_index("queries")) == "&Queries (1 open)", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: _badge(window) == f"{SUBJECT}  ✉1", timeout=TIMEOUT)
    assert "1 open query" in panel.summary.text()
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    assert panel.tree.topLevelItem(0).text(1) == "● open" and "Was TACE given" in panel.messages.toPlainText()
    assert panel.buttons["close"].isEnabled() and not panel.buttons["answer"].isEnabled()  # not one's own

    # answer: reader1 (another user)
    _sign_in(qtbot, window, dialogs, "reader1")
    window.navigator.select_subject(SUBJECT)
    qtbot.waitUntil(lambda: panel.view is not None and panel.view.allowed and not window.runner.busy, timeout=TIMEOUT)
    panel.select_thread(panel.view.threads[0].id)
    assert panel.buttons["answer"].isEnabled() and not panel.buttons["close"].isEnabled()
    dialogs["texts"].append("Yes, one session of TACE in 2023.")
    panel.buttons["answer"].click()
    qtbot.waitUntil(lambda: panel.view.threads and panel.view.threads[0].state == "answered", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: view.tabs.tabText(view.tab_index("queries")) == "&Queries", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: _badge(window) == SUBJECT, timeout=TIMEOUT)
    assert "0 open queries" in panel.summary.text()

    # close: the adjudicator
    _sign_in(qtbot, window, dialogs, "adjudicator")
    window.navigator.select_subject(SUBJECT)
    qtbot.waitUntil(lambda: panel.view is not None and panel.view.allowed and not window.runner.busy, timeout=TIMEOUT)
    panel.select_thread(panel.view.threads[0].id)
    assert panel.buttons["close"].isEnabled() and not panel.buttons["reopen"].isEnabled()
    dialogs["texts"].append("Thanks, noted.")
    panel.buttons["close"].click()
    qtbot.waitUntil(lambda: panel.view.threads[0].state == "closed", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: panel.tree.topLevelItem(0).text(1) == "○ closed", timeout=TIMEOUT)
    panel.select_thread(panel.view.threads[0].id)
    assert panel.buttons["reopen"].isEnabled() and not panel.buttons["close"].isEnabled()
    text = panel.messages.toPlainText()
    assert "Yes, one session of TACE" in text and "Thanks, noted." in text and "reader1 (reader) — answer" in text
    window.runner.wait()
    assert [t.state for t in q.threads(window.session, SUBJECT)] == ["closed"]


def test_refusal_is_shown_and_cancel_writes_nothing(qtbot, make_window, dialogs) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    _sign_in(qtbot, window, dialogs, "reader2")
    window.navigator.select_subject(SUBJECT)
    panel = window.case_view.queries
    qtbot.waitUntil(lambda: panel.view is not None and panel.view.subject_id == SUBJECT, timeout=TIMEOUT)
    dialogs["threads"].append(None)  # cancelled
    panel.buttons["new_comment"].click()
    qtbot.waitUntil(lambda: len(dialogs["asked"]) == 1, timeout=TIMEOUT)
    window.runner.wait()
    assert window.session.store.count("queries") == 0
    dialogs["threads"].append(NewThread("comment", "visit", "NO SUCH VISIT", "t", "x"))
    panel.buttons["new_comment"].click()
    qtbot.waitUntil(lambda: "Not saved" in panel.summary.text(), timeout=TIMEOUT)
    assert "no visit" in panel.summary.text() and window.session.store.count("queries") == 0


def test_query_dialog_needs_a_title_and_a_message(qtbot) -> None:  # type: ignore[no-untyped-def]
    targets = [q.Target("patient", "", f"patient {SUBJECT}"), q.Target("visit", "WEEK 8", "visit WEEK 8")]
    dialog = QueryDialog(SUBJECT, targets, kind="comment")
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled() and dialog.kind.currentData() == "comment"
    dialog.title.setText("Week 8")
    assert not dialog.ok_button.isEnabled()
    dialog.text.setPlainText("  ")
    assert not dialog.ok_button.isEnabled()
    dialog.text.setPlainText("Which phase was read?")
    dialog.target.setCurrentIndex(1)
    assert dialog.ok_button.isEnabled()
    assert dialog.answer() == NewThread("comment", "visit", "WEEK 8", "Week 8", "Which phase was read?")
