"""Sign-in dialog (demo accounts on the demo only, wrong password stays open, first admin), the e-signature
prompt and the reason prompt (OK disabled while empty)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog

from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.records import Role
from hccreview.services.session import create_study, open_study
from hccreview.ui.dialogs.reason import ReasonDialog
from hccreview.ui.dialogs.sign_in import SignInDialog
from hccreview.ui.dialogs.signature import SignatureDialog
from hccreview.ui.workers import Runner
from tests.factories_central import PASSWORDS, central_study

TIMEOUT = 20000


def _dialog(qtbot, path: Path) -> SignInDialog:
    session = open_study(path)
    runner = Runner()
    dialog = SignInDialog(session, runner=runner)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitUntil(lambda: dialog.loaded, timeout=TIMEOUT)
    return dialog


def _close(dialog: SignInDialog) -> None:
    dialog.runner.wait()
    dialog.session.close()


def test_demo_lists_its_accounts_wrong_password_stays_open_right_one_signs_in(qtbot, review_study: Path) -> None:
    dialog = _dialog(qtbot, review_study)
    assert dialog.pages.currentIndex() == dialog.PAGE_SIGN_IN
    assert dialog.demo_users.isVisible() and dialog.demo_users.count() == 4
    assert [dialog.demo_users.item(i).text().split()[0] for i in range(4)] == [
        "reader1", "reader2", "adjudicator", "admin"]  # fmt: skip
    assert not dialog.ok_button.isEnabled()  # nothing typed yet
    dialog.username.setText("adjudicator")
    dialog.password.setText("wrong-password")
    assert dialog.ok_button.isEnabled()
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=TIMEOUT)
    assert "wrong password" in dialog.message.text().lower()
    assert dialog.isVisible() and dialog.user is None and dialog.session.signed_in is None
    assert dialog.password.text() == ""  # cleared for another try
    dialog._demo_chosen(dialog.demo_users.item(2))  # a click on "adjudicator" fills both fields
    assert (dialog.username.text(), dialog.password.text()) == ("adjudicator", "adjudicator-demo")
    with qtbot.waitSignal(dialog.accepted, timeout=TIMEOUT):
        dialog.ok_button.click()
    assert dialog.user is not None and dialog.user.role is Role.ADJUDICATOR
    assert dialog.session.signed_in == dialog.user and dialog.session.user == "adjudicator"
    _close(dialog)


def test_a_real_study_lists_no_accounts(qtbot, study_path: Path) -> None:
    central_study(study_path).close()
    dialog = _dialog(qtbot, study_path)
    assert dialog.pages.currentIndex() == dialog.PAGE_SIGN_IN
    assert not dialog.demo_users.isVisible() and dialog.demo_users.count() == 0
    dialog.username.setText("adj")
    dialog.password.setText(PASSWORDS["adj"])
    with qtbot.waitSignal(dialog.accepted, timeout=TIMEOUT):
        dialog.submit()
    assert dialog.user.username == "adj"
    _close(dialog)


def test_a_study_without_accounts_creates_its_first_admin(qtbot, study_path: Path) -> None:
    create_study(study_path, title="New study").close()
    dialog = _dialog(qtbot, study_path)
    assert dialog.pages.currentIndex() == dialog.PAGE_FIRST_ADMIN
    dialog.admin_id.setText("pi")
    dialog.admin_name.setText("Dr Pat Investigator")
    dialog.admin_password.setText("long-enough-1")
    dialog.admin_repeat.setText("long-enough-2")
    assert not dialog.ok_button.isEnabled() and "differ" in dialog.ok_button.toolTip()
    dialog.admin_repeat.setText("long-enough-1")
    assert dialog.ok_button.isEnabled()
    published: list[tuple[Changes, object]] = []
    dialog.bus.changed.connect(lambda changes, initiator: published.append((changes, initiator)))
    with qtbot.waitSignal(dialog.accepted, timeout=TIMEOUT):
        dialog.ok_button.click()
    assert dialog.user.username == "pi" and dialog.user.role is Role.ADMIN
    assert published == [(Changes(kinds=frozenset({ChangeKind.USERS})), dialog)], "an account write, run_write's"
    _close(dialog)


def test_ask_returns_none_when_cancelled(qtbot, review_study: Path) -> None:
    session = open_study(review_study)

    def cancel() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QDialog):
            dialog.reject()
        else:
            QTimer.singleShot(20, cancel)

    QTimer.singleShot(0, cancel)
    assert SignInDialog.ask(session) is None
    assert session.signed_in is None
    session.close()


def test_reason_dialog_requires_a_reason(qtbot) -> None:
    dialog = ReasonDialog("Choose read 1", "Why?")
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled()
    dialog.editor.setPlainText("   \n  ")
    assert not dialog.ok_button.isEnabled()
    dialog.accept()  # Ctrl+Enter on blanks: refused
    assert dialog.result() != QDialog.DialogCode.Accepted
    dialog.editor.setPlainText("  Clear progression on the week 16 scan \n")
    assert dialog.ok_button.isEnabled() and dialog.reason == "Clear progression on the week 16 scan"
    QTimer.singleShot(0, lambda: QApplication.activeModalWidget().reject())
    assert ReasonDialog.ask(None, "t", "p") is None


def test_signature_dialog_shows_signer_and_meaning(qtbot) -> None:
    dialog = SignatureDialog("adjudicated", "Dr Cleo Adjudicator (adjudicator)", subject="HCC-009")
    qtbot.addWidget(dialog)
    assert dialog.signer_label.text() == "Dr Cleo Adjudicator (adjudicator)"
    assert "adjudicated" in dialog.meaning_label.text()
    assert not dialog.ok_button.isEnabled()
    dialog.password.setText("secret")
    assert dialog.ok_button.isEnabled()
    dialog.show_refused("Wrong password")
    assert dialog.password.text() == "" and not dialog.ok_button.isEnabled() and not dialog.message.isHidden()

    def type_and_sign() -> None:
        modal = QApplication.activeModalWidget()
        modal.password.setText("adjudicator-demo")
        modal.accept()

    QTimer.singleShot(0, type_and_sign)
    assert SignatureDialog.ask(None, "adjudicated", "Dr Cleo Adjudicator") == "adjudicator-demo"
