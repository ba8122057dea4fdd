"""User administration (issue 7 item 1): the admin adds a user who can then sign in, resets a password,
deactivates an account with a reason; a reader is refused. Forms answer through their monkeypatched ``ask``."""

from __future__ import annotations

import pytest

from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.records import Role
from hccreview.services import auth
from hccreview.ui.dialogs.users import NewUser, PasswordForm, UsersDialog
from hccreview.ui.operations import run_write
from hccreview.ui.views.reader_exchange import ReaderExchangePanel
from tests.ui.adjudication_support import TIMEOUT, Answers, QtParts, answers, parts  # noqa: F401


def _dialog(qtbot, parts: QtParts) -> UsersDialog:  # noqa: F811
    dialog = UsersDialog(parts.session, parts.runner, parts.bus)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.busy and bool(dialog.users), timeout=TIMEOUT)
    return dialog


def _settle(qtbot, dialog: UsersDialog) -> None:
    qtbot.waitUntil(lambda: not dialog.busy and not dialog.runner.busy, timeout=TIMEOUT)


def test_admin_adds_a_user_who_can_sign_in(qtbot, parts: QtParts, monkeypatch) -> None:  # noqa: F811
    parts.sign_in("admin")
    dialog = _dialog(qtbot, parts)
    assert [u.username for u in dialog.users] == ["adjudicator", "admin", "reader1", "reader2"]
    assert dialog.table.rowCount() == 4
    new = NewUser("reader3", "Third Reader", Role.READER, "reader3-secret")
    monkeypatch.setattr(PasswordForm, "ask_new_user", classmethod(lambda cls, parent: new))
    dialog.add_button.click()
    qtbot.waitUntil(lambda: "reader3" in [u.username for u in dialog.users], timeout=TIMEOUT)
    _settle(qtbot, dialog)
    assert dialog.selected_user() == "reader3"
    assert "Added reader3" in dialog.message.text()
    user = auth.sign_in(parts.session, "reader3", "reader3-secret")
    assert (user.username, user.full_name, user.role) == ("reader3", "Third Reader", Role.READER)


def test_an_account_write_is_published_once_and_account_lists_follow(qtbot, parts: QtParts, monkeypatch) -> None:  # noqa: F811
    parts.sign_in("admin")
    published: list[tuple[Changes, object]] = []
    parts.bus.changed.connect(lambda changes, initiator: published.append((changes, initiator)))
    exchange = ReaderExchangePanel(parts.context)
    qtbot.addWidget(exchange)
    exchange.show()
    qtbot.waitUntil(lambda: exchange.readers.rowCount() == 2, timeout=TIMEOUT)
    dialog = _dialog(qtbot, parts)
    new = NewUser("reader3", "Third Reader", Role.READER, "reader3-secret")
    monkeypatch.setattr(PasswordForm, "ask_new_user", classmethod(lambda cls, parent: new))
    dialog.add_button.click()
    qtbot.waitUntil(lambda: exchange.readers.rowCount() == 3, timeout=TIMEOUT)  # the reader exchange tab follows
    _settle(qtbot, dialog)
    accounts = Changes(kinds=frozenset({ChangeKind.USERS}))
    assert published == [(accounts, dialog)], "run_write published the account change once, as the dialog's"
    assert [exchange.readers.item(i, 0).text() for i in range(3)] == ["reader1", "reader2", "reader3"]

    # another writer's account change (here: the test's own run_write) reloads the open dialog's table
    done: list[object] = []
    run_write(parts.runner, parts.bus, auth.set_user_active, parts.session, username="reader3", active=False,
              reason="left the study", on_done=done.append)  # fmt: skip
    qtbot.waitUntil(lambda: bool(done), timeout=TIMEOUT)
    _settle(qtbot, dialog)
    shown = {dialog.table.item(i, 0).text(): dialog.table.item(i, 3).text() for i in range(dialog.table.rowCount())}
    assert shown["reader3"] == "No" and dialog.active["reader3"] is False
    assert published[-1] == (accounts, None)


def test_errors_are_shown_inline(qtbot, parts: QtParts, monkeypatch) -> None:  # noqa: F811
    parts.sign_in("admin")
    dialog = _dialog(qtbot, parts)
    dup = NewUser("reader1", "Again", Role.READER, "whatever-long")  # the id exists already
    monkeypatch.setattr(PasswordForm, "ask_new_user", classmethod(lambda cls, parent: dup))
    dialog.add_button.click()
    qtbot.waitUntil(lambda: dialog.message.text() != "" and not dialog.busy, timeout=TIMEOUT)
    assert "Added" not in dialog.message.text()
    assert dialog.isVisible()


def test_reset_password_and_deactivate(qtbot, parts: QtParts, answers: Answers, monkeypatch) -> None:  # noqa: F811
    parts.sign_in("admin")
    dialog = _dialog(qtbot, parts)
    dialog.select_user("reader2")
    monkeypatch.setattr(PasswordForm, "ask_password", classmethod(lambda cls, parent, username: "fresh-pass-2"))
    dialog.reset_button.click()
    qtbot.waitUntil(lambda: "Password of reader2 reset" in dialog.message.text(), timeout=TIMEOUT)
    _settle(qtbot, dialog)
    with pytest.raises(auth.AuthError):
        auth.sign_in(parts.session, "reader2", "reader2-demo")
    assert auth.sign_in(parts.session, "reader2", "fresh-pass-2").username == "reader2"

    parts.sign_in("admin")
    dialog.select_user("reader2")
    answers.reasons.append("left the study")
    dialog.deactivate_button.click()
    qtbot.waitUntil(lambda: dialog.active.get("reader2") is False, timeout=TIMEOUT)
    _settle(qtbot, dialog)
    assert [a[0] for a in answers.asked] == ["reason"]
    assert dialog.table.item(dialog.table.currentRow(), 3).text() == "No"
    assert not dialog.deactivate_button.isEnabled() and dialog.activate_button.isEnabled()
    with pytest.raises(auth.AuthError):
        auth.sign_in(parts.session, "reader2", "fresh-pass-2")


def test_reader_is_refused(qtbot, parts: QtParts, monkeypatch) -> None:  # noqa: F811
    parts.sign_in("reader1")
    refused: list[str] = []
    monkeypatch.setattr(UsersDialog, "refuse", classmethod(lambda cls, parent, text: refused.append(text)))
    monkeypatch.setattr(UsersDialog, "exec", lambda self: pytest.fail("the dialog must not open"))
    UsersDialog.ask(parts.session, parts.runner, parts.bus, None)
    assert refused and "reader1" in refused[0] and "admin" in refused[0]


def test_service_refuses_a_non_admin_inline(qtbot, parts: QtParts, monkeypatch) -> None:  # noqa: F811
    parts.sign_in("admin")
    dialog = _dialog(qtbot, parts)
    parts.sign_in("reader1")  # the role changed under the open dialog: the service checks again
    new = NewUser("reader4", "Fourth", Role.READER, "reader4-secret")
    monkeypatch.setattr(PasswordForm, "ask_new_user", classmethod(lambda cls, parent: new))
    dialog.add_button.click()
    qtbot.waitUntil(lambda: "admin role required" in dialog.message.text(), timeout=TIMEOUT)
    _settle(qtbot, dialog)
    assert "reader4" not in [u.username for u in dialog.users]


def test_users_action_is_in_the_file_menu(make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window(user="admin")
    action = window.actions_by_name["manage_users"]
    assert action.shortcut().toString() == "Ctrl+Shift+U"
    file_menu = window.menuBar().actions()[0].menu()
    names = [a.objectName() for a in file_menu.actions()]
    assert names.index("action_manage_users") == names.index("action_sign_in") + 1
    other = make_window(user="adjudicator")  # only the admin manages users: absent, not disabled, for the others
    assert "action_manage_users" not in [a.objectName() for a in other.menuBar().actions()[0].menu().actions()]
    assert other.tabs.tabText(3) == "Re&ads" and other.tabs.read_entry is other.tabs.widget(3)
