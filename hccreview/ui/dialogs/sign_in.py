"""Sign-in on opening a study (issue 7 item 1): user id + password, or the creation of the first admin.

Everything a user does afterwards is audited under their id (``services.auth``). The demo study's accounts
(docs/demo-study.md) are listed only when ``auth.demo_users_hint`` returns them — on the demo study, never on
a real one; clicking one fills the fields. A study without any account (``auth.needs_first_admin``) offers
to create its first admin instead. A wrong password shows a message and the dialog stays open; the refused
attempt is audited by the service.

Every call of ``services.auth`` (they read the study file, and checking a password is deliberately slow)
runs on a runner's database lane: the window's runner when one exists, else a private one. Creating the first
admin writes an account, so it goes through ``ui.operations.run_write`` (the window's bus when one exists, else a
private one nobody listens to: no panel is open yet); a sign-in writes audit entries only.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from hccreview.domain.passwords import password_problem
from hccreview.services import auth
from hccreview.services.auth import AccountChange, AuthError, User
from hccreview.services.session import StudySession
from hccreview.ui.bus import ChangeBus
from hccreview.ui.dialogs.form_dialog import ERROR_STYLE, new_password_fields
from hccreview.ui.operations import run_write
from hccreview.ui.workers import Runner


@dataclass(frozen=True)
class SignInInfo:
    """What the dialog needs before it can be filled in."""

    first_admin: bool
    demo_users: list[tuple[str, str]] | None


def sign_in_info(session: StudySession) -> SignInInfo:
    """Worker function (database lane): does the study need its first admin, and is it the demo."""
    return SignInInfo(auth.needs_first_admin(session), auth.demo_users_hint(session))


def refusal_text(exc: BaseException) -> str:
    """A refused sign-in or account creation as one sentence."""
    if isinstance(exc, AuthError):
        return "Unknown user or wrong password. Try again."
    if isinstance(exc, PermissionError | ValueError):
        return str(exc)
    return f"Sign-in failed: {type(exc).__name__}: {exc}"


class SignInDialog(QDialog):
    """The sign-in box of one study.

    Pages: "loading" while :func:`sign_in_info` runs, then "sign in" (user id, password, demo accounts when
    the study is the demo) or "first admin" (user id, full name, password twice). ``user`` holds the signed-in
    :class:`User` once accepted. Signals: QDialog's only. Runner callbacks run on the GUI thread and only
    update widgets.
    """

    PAGE_LOADING, PAGE_SIGN_IN, PAGE_FIRST_ADMIN = range(3)

    def __init__(
        self,
        session: StudySession,
        parent: QWidget | None = None,
        *,
        runner: Runner | None = None,
        bus: ChangeBus | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sign_in_dialog")
        self.setWindowTitle(f"Sign in — {session.path.name}")
        self.setModal(True)
        self.session = session
        self.runner = runner if runner is not None else Runner(self)
        self.bus = bus if bus is not None else ChangeBus(self)
        self.user: User | None = None
        self.info: SignInInfo | None = None
        self._busy = False
        self._closed = False  # late runner callbacks are ignored once the dialog is done

        self.pages = QStackedWidget()
        self.pages.addWidget(QLabel("Loading the study's accounts…"))
        self.pages.addWidget(self._build_sign_in())
        self.pages.addWidget(self._build_first_admin())
        self.message = QLabel()
        self.message.setObjectName("sign_in_message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        header = QLabel(f"<b>{session.path.name}</b>")
        header.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(header)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)
        for edit in (self.username, self.password, self.admin_id, self.admin_name, self.admin_password,
                     self.admin_repeat):  # fmt: skip
            edit.textChanged.connect(self._update)
        self._update()
        self.runner.run(sign_in_info, session, lane="db", on_done=self._info_arrived, on_error=self._failed)

    # ------------------------------------------------------------------ pages
    def _build_sign_in(self) -> QWidget:
        page = QWidget()
        self.username = QLineEdit()
        self.username.setObjectName("sign_in_user")
        self.username.setPlaceholderText("user id")
        self.password = QLineEdit()
        self.password.setObjectName("sign_in_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow("&User id:", self.username)
        form.addRow("&Password:", self.password)
        self.demo_label = QLabel("Demo study accounts (docs/demo-study.md) — click one to fill in:")
        self.demo_label.setWordWrap(True)
        self.demo_users = QListWidget()
        self.demo_users.setObjectName("sign_in_demo_users")
        self.demo_users.setMaximumHeight(110)
        self.demo_users.itemClicked.connect(self._demo_chosen)
        self.demo_users.itemActivated.connect(self._demo_activated)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.demo_label)
        layout.addWidget(self.demo_users)
        self.demo_label.hide()
        self.demo_users.hide()
        return page

    def _build_first_admin(self) -> QWidget:
        page = QWidget()
        intro = QLabel("This study has no accounts yet. Create its first administrator, who can then add readers "
                       "and adjudicators.")  # fmt: skip
        intro.setWordWrap(True)
        self.admin_id = QLineEdit()
        self.admin_id.setObjectName("first_admin_user")
        self.admin_name = QLineEdit()
        self.admin_name.setObjectName("first_admin_name")
        self.admin_password, self.admin_repeat = new_password_fields("first_admin")
        form = QFormLayout()
        form.addRow("&User id:", self.admin_id)
        form.addRow("&Full name:", self.admin_name)
        form.addRow("&Password:", self.admin_password)
        form.addRow("&Repeat password:", self.admin_repeat)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(intro)
        layout.addLayout(form)
        return page

    @property
    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    @property
    def loaded(self) -> bool:
        return self.info is not None

    def _info_arrived(self, info: SignInInfo) -> None:
        if self._closed:
            return
        self.info = info
        if info.first_admin:
            self.pages.setCurrentIndex(self.PAGE_FIRST_ADMIN)
            self.ok_button.setText("Create admin and sign in")
            self.admin_id.setFocus()
        else:
            self.pages.setCurrentIndex(self.PAGE_SIGN_IN)
            self.ok_button.setText("Sign in")
            for username, password in info.demo_users or []:
                item = QListWidgetItem(f"{username}    password: {password}")
                item.setData(Qt.ItemDataRole.UserRole, (username, password))
                self.demo_users.addItem(item)
            self.demo_label.setVisible(bool(info.demo_users))
            self.demo_users.setVisible(bool(info.demo_users))
            self.username.setFocus()
        self._update()

    def _demo_chosen(self, item: QListWidgetItem) -> None:
        username, password = item.data(Qt.ItemDataRole.UserRole)
        self.username.setText(username)
        self.password.setText(password)

    def _demo_activated(self, item: QListWidgetItem) -> None:
        self._demo_chosen(item)
        self.submit()

    # ------------------------------------------------------------------ submitting
    def _form_problem(self) -> str | None:
        """Why the current page cannot be submitted yet (None: it can)."""
        if self.info is None:
            return "loading"
        if not self.info.first_admin:
            return None if self.username.text().strip() and self.password.text() else "user id and password"
        if not (self.admin_id.text().strip() and self.admin_name.text().strip()):
            return "user id and full name"
        return password_problem(self.admin_password.text(), self.admin_repeat.text())

    def _update(self) -> None:
        problem = self._form_problem()
        self.ok_button.setEnabled(problem is None and not self._busy)
        self.ok_button.setToolTip("" if problem is None else f"Needed: {problem}")

    def submit(self) -> None:
        """Check the credentials (or create the first admin) on the database lane; accept on success."""
        if self._busy or self._form_problem() is not None or self.info is None:
            return
        self._set_busy(True)
        if self.info.first_admin:
            run_write(
                self.runner, self.bus, auth.create_first_admin, self.session, username=self.admin_id.text().strip(),
                full_name=self.admin_name.text().strip(), password=self.admin_password.text(), initiator=self,
                on_done=self._admin_created, on_error=self._failed,
            )  # fmt: skip
        else:
            self.runner.run(
                auth.sign_in, self.session, self.username.text().strip(), self.password.text(),
                lane="db", on_done=self._signed_in, on_error=self._failed,
            )  # fmt: skip

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.pages.setEnabled(not busy)
        if busy:
            self.message.hide()
        self._update()

    def _admin_created(self, change: AccountChange) -> None:
        if change.user is not None:  # always: the first admin is signed in
            self._signed_in(change.user)

    def _signed_in(self, user: User) -> None:
        if self._closed:
            return
        self._set_busy(False)
        self.user = user
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        if self._closed:
            return
        self._set_busy(False)
        self.message.setText(refusal_text(exc))
        self.message.show()
        target = self.admin_password if self.info is not None and self.info.first_admin else self.password
        if isinstance(exc, AuthError):
            target.clear()
        target.setFocus()

    def done(self, result: int) -> None:
        if self._busy and result == QDialog.DialogCode.Accepted:
            return
        self._closed = True
        super().done(result)

    @classmethod
    def ask(
        cls,
        session: StudySession,
        parent: QWidget | None = None,
        *,
        runner: Runner | None = None,
        bus: ChangeBus | None = None,
    ) -> User | None:
        """Ask modally; the signed-in user, or None when cancelled (tests replace this classmethod).

        Pass the window's ``runner`` and ``bus`` when a window is open on the study (its database lane is the
        only one that may use the study's connection then, and its panels follow its bus).
        """
        dialog = cls(session, parent, runner=runner, bus=bus)
        try:
            return dialog.user if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            if runner is None:
                dialog.runner.wait()  # the private lane's last job (a late refusal) ends before the dialog goes
            dialog.deleteLater()
