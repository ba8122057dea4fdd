"""User administration (issue 7 item 1): an admin adds users, resets passwords and (de)activates accounts.

Admin only: :meth:`UsersDialog.ask` refuses other roles with a message and opens nothing (the signed-in
user is in memory). Every call of ``services.auth`` that reads or writes the study runs on the runner's
database lane (hashing a password is deliberately slow); the service checks the admin role again and audits
each change (without secrets). An account write goes through ``ui.operations.run_write`` like every other write,
which publishes its ``ChangeKind.USERS`` on the change bus; the table reloads on that kind, whoever wrote.
(De)activating needs a reason (``ReasonDialog.ask``). Refusals are shown inline; the dialog stays open.

The "Active" column says "Yes" or "No" as the study holds it (``auth.users``); Deactivate is offered for an
active account and Activate for an inactive one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.passwords import password_problem
from hccreview.domain.records import Role
from hccreview.services import auth
from hccreview.services.auth import AccountChange, User
from hccreview.services.session import StudySession
from hccreview.ui.bus import ChangeBus
from hccreview.ui.dialogs.form_dialog import ERROR_STYLE, FormDialog, new_password_fields
from hccreview.ui.dialogs.reason import ReasonDialog
from hccreview.ui.operations import run_write
from hccreview.ui.workers import Runner

COLUMNS = ("User id", "Name", "Role", "Active")


def error_text(exc: BaseException) -> str:
    """A refused account change as one sentence."""
    if isinstance(exc, KeyError):
        return f"No such user: {exc.args[0] if exc.args else exc}"
    if isinstance(exc, PermissionError | ValueError | auth.AuthError):
        return str(exc)
    return f"Failed: {type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class NewUser:
    """What the Add user form collected."""

    username: str
    full_name: str
    role: Role
    password: str


class PasswordForm(FormDialog):
    """A small modal form: a new user (id, full name, role, password twice) or a new password (twice).

    OK stays disabled until the form is complete and the two passwords agree (``domain.passwords``); the hint
    says what is missing. Signals: QDialog's only. GUI thread only; no database access.
    """

    def __init__(self, title: str, parent: QWidget | None = None, *, new_user: bool = True) -> None:
        super().__init__("password_form", title, parent)
        self.new_user = new_user
        self.username = QLineEdit()
        self.username.setObjectName("user_id")
        self.full_name = QLineEdit()
        self.full_name.setObjectName("user_name")
        self.role = QComboBox()
        self.role.setObjectName("user_role")
        for role in Role:
            self.role.addItem(role.value, role)
        self.password, self.repeat = new_password_fields("user")
        form = QFormLayout()
        if new_user:
            form.addRow("&User id:", self.username)
            form.addRow("&Full name:", self.full_name)
            form.addRow("R&ole:", self.role)
        form.addRow("&Password:", self.password)
        form.addRow("R&epeat password:", self.repeat)
        self.hint = QLabel()
        self.hint.setEnabled(False)
        self.lay_out(form, self.hint)
        self.watch(*(edit.textChanged for edit in (self.username, self.full_name, self.password, self.repeat)))

    def problem(self) -> str | None:
        """Why the form cannot be accepted yet (None: it can)."""
        if self.new_user and not (self.username.text().strip() and self.full_name.text().strip()):
            return "user id and full name"
        return password_problem(self.password.text(), self.repeat.text())

    def answer(self) -> NewUser | str | None:
        """The new account (or, resetting, the new password); None while :meth:`problem` says something is missing."""
        if self.problem() is not None:
            return None
        if not self.new_user:
            return self.password.text()
        return NewUser(self.username.text().strip(), self.full_name.text().strip(), self.role.currentData(),
                       self.password.text())  # fmt: skip

    def update_ok(self) -> None:
        problem = self.problem()
        self.ok_button.setEnabled(problem is None)
        self.hint.setText("" if problem is None else f"Needed: {problem}")

    @classmethod
    def ask_new_user(cls, parent: QWidget | None) -> NewUser | None:
        """Ask modally for a new account; None when cancelled (tests replace this classmethod)."""
        return cls("Add user", parent, new_user=True).run()

    @classmethod
    def ask_password(cls, parent: QWidget | None, username: str) -> str | None:
        """Ask modally for ``username``'s new password; None when cancelled (tests replace this classmethod)."""
        return cls(f"Reset the password of {username}", parent, new_user=False).run()


class UsersDialog(QDialog):
    """The study's accounts: a table (id, name, role, active) and Add user / Reset password / (De)activate.

    Signals: QDialog's only. Every ``services.auth`` call runs on ``runner``'s database lane, the writes through
    ``run_write`` with ``bus``; the callbacks (GUI thread) show the outcome or the refusal inline, and the table
    reloads when the bus says the accounts changed.
    """

    def __init__(self, session: StudySession, runner: Runner, bus: ChangeBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("users_dialog")
        self.setWindowTitle(f"Users — {session.path.name}")
        self.session, self.runner, self.bus = session, runner, bus
        self.users: list[User] = []
        self.active: dict[str, bool] = {}  # each account's state as last loaded (or just set)
        self._pending = 0
        self._closed = False
        self.last_done = ""
        self._select_after: str | None = None

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("users_table")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.add_button = QPushButton("&Add user…")
        self.reset_button = QPushButton("&Reset password…")
        self.deactivate_button = QPushButton("&Deactivate…")
        self.activate_button = QPushButton("A&ctivate…")
        for name, button in (("add_user", self.add_button), ("reset_password", self.reset_button),
                             ("deactivate", self.deactivate_button), ("activate", self.activate_button)):  # fmt: skip
            button.setObjectName(name)
        self.add_button.clicked.connect(self.add_user)
        self.reset_button.clicked.connect(self.reset_password)
        self.deactivate_button.clicked.connect(lambda: self.set_active(False))
        self.activate_button.clicked.connect(lambda: self.set_active(True))
        self.message = QLabel()
        self.message.setObjectName("users_message")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.reset_button, self.deactivate_button, self.activate_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(close)
        self.resize(560, 360)
        self.table.itemSelectionChanged.connect(self._update)
        self.bus.changed.connect(self._on_changed)
        self._update()
        self.reload()

    # ------------------------------------------------------------------ loading
    def reload(self) -> None:
        """Load the accounts (database lane)."""
        self._run(auth.users, self.session, on_done=self._users_arrived, quiet=True)

    def _on_changed(self, changes: Changes, _initiator: object) -> None:
        """ChangeBus handler (GUI thread): an account write (this dialog's or another's) reloads the table."""
        if ChangeKind.USERS in changes.kinds and not self._closed:
            self.reload()

    def _users_arrived(self, users: list[User]) -> None:
        current = self._select_after or self.selected_user()
        self._select_after = None
        self.users = list(users)
        self.active = {user.username: user.active for user in self.users}
        self.table.setRowCount(len(self.users))
        for i, user in enumerate(self.users):
            cells = (user.username, user.full_name, user.role.value, "Yes" if user.active else "No")
            for col, text in enumerate(cells):
                self.table.setItem(i, col, QTableWidgetItem(text))
            if user.username == current:
                self.table.selectRow(i)
        self.table.resizeColumnsToContents()  # names and roles whole (issue 19); the last column stretches
        self._update()

    @property
    def busy(self) -> bool:
        """True while an account change or a load runs."""
        return self._pending > 0

    def selected_user(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        item = self.table.item(rows[0].row(), 0) if rows else None
        return item.text() if item is not None else None

    def select_user(self, username: str) -> None:
        for i, user in enumerate(self.users):
            if user.username == username:
                self.table.selectRow(i)

    def _update(self) -> None:
        chosen = self.selected_user()
        idle = self._pending == 0
        self.add_button.setEnabled(idle)
        active = self.active.get(chosen or "")
        self.reset_button.setEnabled(idle and chosen is not None)
        self.deactivate_button.setEnabled(idle and chosen is not None and active is not False)
        self.activate_button.setEnabled(idle and chosen is not None and active is not True)

    # ------------------------------------------------------------------ actions
    def add_user(self) -> None:
        new = PasswordForm.ask_new_user(self)
        if new is None:
            return

        def done(change: AccountChange) -> None:
            if change.user is not None:  # always: add_user returns the new account
                self._done(f"Added {change.user.username} ({change.user.role.value})", change.user.username)

        self._run(auth.add_user, self.session, username=new.username, full_name=new.full_name, role=new.role,
                  password=new.password, on_done=done, write=True)  # fmt: skip

    def reset_password(self) -> None:
        username = self.selected_user()
        if username is None:
            return
        password = PasswordForm.ask_password(self, username)
        if password is None:
            return
        self._run(auth.reset_password, self.session, username=username, new_password=password,
                  on_done=lambda _r: self._done(f"Password of {username} reset", username), write=True)  # fmt: skip

    def set_active(self, active: bool) -> None:
        username = self.selected_user()
        if username is None:
            return
        verb = "Activate" if active else "Deactivate"
        reason = ReasonDialog.ask(self, f"{verb} {username}", f"Why {verb.lower()} the account {username}?")
        if reason is None:
            return

        def done(_result: object) -> None:
            self.active[username] = active
            self._done(f"{username} {'activated' if active else 'deactivated'}", username)

        self._run(auth.set_user_active, self.session, username=username, active=active, reason=reason, on_done=done,
                  write=True)  # fmt: skip

    # ------------------------------------------------------------------ plumbing
    def _run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None],
        quiet: bool = False,
        write: bool = False,
        **kwargs: Any,
    ) -> None:
        """Run ``fn`` on the database lane; ``quiet`` keeps the last message (a reload after a change); ``write``:
        an account write, run through ``run_write`` (which publishes its Changes, so the table reloads)."""
        self._pending += 1
        if not quiet:
            self._hide_message()
        self._update()

        def finished(result: object) -> None:
            self._pending -= 1
            if not self._closed:
                on_done(result)
                self._update()

        if write:
            run_write(self.runner, self.bus, fn, *args, initiator=self, on_done=finished, on_error=self._failed,
                      **kwargs)  # fmt: skip
        else:
            self.runner.run(fn, *args, lane="db", on_done=finished, on_error=self._failed, **kwargs)

    def _done(self, text: str, username: str) -> None:
        """A write succeeded: say so; the reload its Changes started selects ``username``."""
        self.message.setStyleSheet("")
        self.message.setText(text)
        self.message.show()
        self.last_done = text
        self._select_after = username

    def _failed(self, exc: BaseException) -> None:
        self._pending -= 1
        if self._closed:
            return
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setText(error_text(exc))
        self.message.show()
        self._update()

    def _hide_message(self) -> None:
        self.message.clear()
        self.message.hide()

    def done(self, result: int) -> None:
        self._closed = True
        super().done(result)

    @classmethod
    def ask(cls, session: StudySession, runner: Runner, bus: ChangeBus, parent: QWidget | None = None) -> None:
        """Open the dialog modally for the signed-in admin; refuse anyone else with a message (no dialog).

        The role is the session's signed-in user (in memory, no database access); every service call the
        dialog makes checks it again.
        """
        user = auth.current_user(session)
        if user is None or user.role is not Role.ADMIN:
            who = "Nobody is signed in" if user is None else f"{user.username} is signed in as {user.role.value}"
            cls.refuse(parent, f"{who}: only an admin adds users, resets passwords and (de)activates accounts.")
            return
        dialog = cls(session, runner, bus, parent)
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()

    @classmethod
    def refuse(cls, parent: QWidget | None, text: str) -> None:
        """Tell a non-admin they may not manage users (tests replace this classmethod)."""
        QMessageBox.warning(parent, "Users", text)
