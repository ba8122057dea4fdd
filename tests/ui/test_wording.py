"""One vocabulary in the GUI, one "Mark reviewed" per case, and each role offered only what it can do.

On the demo study, signed in as each role: the case header's best-response badges say "(confirmed)" only for a
CR / PR (RECIST 1.1 §4.4) and "pending" for an undecided adjudication; read sources are named in words; the
stale-edit message says what happened and what to do; the Export data dialog shows no literal "&"; the Users
dialog says Yes / No; each case has one Mark reviewed button that marks the current tab's record kind and is
undone with Ctrl+Z; the adjudicator's Reads tab offers no blank drop-down; and no string of the main window, any
tab, shows an issue number, a snake_case identifier, a source key ("reader:…") or "PENDING" as a response.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QLabel, QWidget

from hccreview.services import adjudication, auth, record_review
from hccreview.services.review import StaleDataError
from hccreview.services.session import open_study
from hccreview.ui.commands import stale_text
from hccreview.ui.dialogs.export_dialog import ExportDataDialog
from hccreview.ui.dialogs.users import UsersDialog
from hccreview.ui.main_window import MainWindow
from hccreview.ui.models.navigator_model import Column
from hccreview.ui.plots import FigureHost
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
from tests.ui.visible_text import window_strings

VIEWER, VIEWER_PASSWORD = "stat", "statistician-1"
#: (user, the read source the header shows for them, its name on a badge)
ROLES = [("reader1", "reader:reader1", "Reader reader1"), ("adjudicator", "adjudicated", "Adjudicated"),
         ("admin", "adjudicated", "Adjudicated"), (VIEWER, "adjudicated", "Adjudicated")]  # fmt: skip
#: What no visible string of the window may contain: an internal name, or a response word used wrongly.
FORBIDDEN = {
    "an issue number": re.compile(r"\bissue \d+", re.IGNORECASE),
    "a snake_case identifier": re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"),
    "a read-source key": re.compile(r"\breader:\S"),
    "a design-document reference": re.compile(r"\bDESIGN §"),
    "PENDING as a response": re.compile(r"\bPENDING\b"),
    "a confirmation RECIST does not ask for": re.compile(r"\b(?:SD|PD|NE|NON-CR/NON-PD|MISSING) \(?confirmed"),
}
#: An "&" a label shows as is: a QLabel renders its mnemonic only with a buddy (entities of rich text excepted).
LITERAL_AMPERSAND = re.compile(r"&(?!&|amp;|lt;|gt;|nbsp;|quot;|#)\w")


@pytest.fixture
def window_as(make_window, review_study: Path):  # type: ignore[no-untyped-def]
    """A main window signed in as ``user``; the viewer (a statistician) is added by the admin first."""

    def open_as(user: str) -> MainWindow:
        if user == VIEWER:
            with open_study(review_study) as session:
                auth.sign_in(session, "admin", DEMO_PASSWORDS["admin"])
                auth.add_user(session, username=VIEWER, full_name="Trial Statistician", role="viewer",
                              password=VIEWER_PASSWORD)  # fmt: skip
            return make_window(user=VIEWER, password=VIEWER_PASSWORD)
        return make_window(user=user)

    return open_as


def _settle(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    def quiet() -> bool:
        QApplication.processEvents()
        hosts = [h for h in window.findChildren(FigureHost) if h.isVisible()]
        return not window.runner.busy and not any(h.pending for h in hosts)

    qtbot.waitUntil(quiet, timeout=TIMEOUT)


def _show(qtbot, window: MainWindow, subject: str) -> None:  # type: ignore[no-untyped-def]
    assert window.navigator.select_subject(subject), subject
    view = window.case_view
    qtbot.waitUntil(lambda: view.ready and view.detail.subject_id == subject, timeout=TIMEOUT)
    strip = view.review_status
    if strip.isVisibleTo(view):
        qtbot.waitUntil(lambda: strip.review is not None and strip.review.subject_id == subject, timeout=TIMEOUT)


def _first(window: MainWindow, source: str, confirmed: str, unconfirmed: str) -> str | None:
    """The first patient (navigator order) whose best response under ``source`` is ``confirmed`` /
    ``unconfirmed``."""
    rows = window.navigator.model.rows()
    return next((r.subject_id for r in rows if (r.bor.get(source), r.bor_unconfirmed.get(source))
                 == (confirmed, unconfirmed)), None)  # fmt: skip


# ---------------------------------------------------------------------- badges
@pytest.mark.parametrize(("user", "source", "name"), ROLES, ids=[r[0] for r in ROLES])
def test_badges_confirm_only_cr_and_pr_and_say_pending(qtbot, window_as, user: str, source: str, name: str) -> None:  # type: ignore[no-untyped-def]
    window = window_as(user)
    header = window.case_view.header
    cases = [("PR", "PR", f"{name}: PR (confirmed)"), ("PD", "PD", f"{name}: PD"),
             ("SD", "PR", f"{name}: SD · PR (unconfirmed)")]  # fmt: skip
    if source == "adjudicated":
        cases.append(("PENDING", "PENDING", "Adjudicated: pending"))
    for confirmed, unconfirmed, badge in cases:
        subject = _first(window, source, confirmed, unconfirmed)
        assert subject is not None, f"the demo study has a {confirmed} / {unconfirmed} patient under {source}"
        _show(qtbot, window, subject)
        chips = header.chip_texts()
        assert badge in chips, (subject, chips)
        if user == "reader1":
            assert chips == [badge], "a blinded reader's header shows their own reads only"
    pending = _first(window, source, "PENDING", "PENDING")
    if pending is not None:
        cell = window.navigator.model.index(window.navigator.model.row_of(pending), Column.BOR)
        assert cell.data() == "pending"
        assert "Adjudicated: pending" in cell.data(Qt.ItemDataRole.ToolTipRole)


# ---------------------------------------------------------------------- the stale-edit message
def test_stale_text_says_what_happened_and_what_to_do() -> None:
    seen_and_now = {"diameter_mm": (32.0, 28.5), "status": (None, "too_small")}
    exc = StaleDataError("measurements", 7, seen_and_now, {"subject_id": "HCC-002"}, changed_by="reader1",
                         changed_at="2025-03-04T10:05:00.123+00:00")  # fmt: skip
    assert stale_text(exc) == (
        "Not saved — this case was changed by reader1 at 2025-03-04 10:05 UTC while you were editing: diameter "
        "was 32 mm on your screen and is now 28.5 mm; status was empty on your screen and is now too small. The "
        "case is shown as it is now and nothing was overwritten; make your change again if it is still needed."
    )


def test_stale_decision_message_names_fields_in_words(qtbot, parts: QtParts, answers: Answers) -> None:  # noqa: F811
    subject = DEMO_DISCORDANT[0]
    parts.sign_in("adjudicator")
    panel = AdjudicationPanel(parts.context)
    qtbot.addWidget(panel)
    panel.resize(1366, 768)
    panel.show()
    qtbot.waitUntil(lambda: not panel.runner.busy and panel.comparison is not None
                    and panel.comparison.subject_id == subject, timeout=TIMEOUT)  # fmt: skip
    with open_study(parts.path) as elsewhere:  # the same adjudicator decides in a second app instance
        auth.sign_in(elsewhere, "adjudicator", DEMO_PASSWORDS["adjudicator"])
        adjudication.adjudicate(elsewhere, subject_id=subject, chosen_reader="reader2", reason="meeting",
                                reason_code="measurement", expected={})  # fmt: skip
    panel.case.cards[0].choose.click()  # the panel still shows no decision
    qtbot.waitUntil(lambda: "Not saved" in panel.message.text(), timeout=TIMEOUT)
    assert re.fullmatch(
        r"Not saved — this case was changed by adjudicator at \d{4}-\d\d-\d\d \d\d:\d\d UTC while you were "
        r"editing: decision maker was empty on your screen and is now adjudicator; chosen read was empty on your "
        r"screen and is now reader2; status was empty on your screen and is now open\. The case is shown as it is "
        r"now and nothing was overwritten; make your change again if it is still needed\.",
        panel.message.text(),
    ), panel.message.text()
    parts.runner.wait()


# ---------------------------------------------------------------------- dialogs
def _literal_ampersands(root: QWidget) -> list[str]:
    return [label.text() for label in root.findChildren(QLabel)
            if label.buddy() is None and LITERAL_AMPERSAND.search(label.text())]  # fmt: skip


def test_export_dialog_shows_no_literal_ampersand(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = ExportDataDialog(None, tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert _literal_ampersands(dialog) == []
    folder_label = next(label for label in dialog.findChildren(QLabel) if label.text() == "F&older")
    assert folder_label.buddy() is dialog.folder  # "&o" is Alt+O, underlined, not shown
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=TIMEOUT)
    dialog.format.setFocus()
    qtbot.keyClick(dialog.format, Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)
    assert dialog.folder.hasFocus()


def test_users_dialog_says_yes_or_no(qtbot, parts: QtParts) -> None:  # noqa: F811
    parts.sign_in("admin")
    auth.set_user_active(parts.session, username="reader2", active=False, reason="left the study")
    dialog = UsersDialog(parts.session, parts.runner, parts.bus)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.busy and bool(dialog.users), timeout=TIMEOUT)
    shown = {dialog.table.item(i, 0).text(): dialog.table.item(i, 3).text() for i in range(dialog.table.rowCount())}
    assert shown == {"adjudicator": "Yes", "admin": "Yes", "reader1": "Yes", "reader2": "No"}
    dialog.select_user("reader2")
    assert dialog.activate_button.isEnabled() and not dialog.deactivate_button.isEnabled()
    dialog.select_user("reader1")
    assert dialog.deactivate_button.isEnabled() and not dialog.activate_button.isEnabled()


# ---------------------------------------------------------------------- one Mark reviewed per case
def _mark_buttons(window: MainWindow) -> list[QAbstractButton]:
    return [b for b in window.findChildren(QAbstractButton)
            if b.isVisibleTo(window) and b.text().replace("&", "").startswith("Mark")]  # fmt: skip


def _review_menu_marks(window: MainWindow) -> list[str]:
    return [a.text() for a in window.review_menu.actions() if a.text().replace("&", "").startswith("Mark")]


def test_one_mark_reviewed_marks_the_tab_kind_and_undoes(qtbot, window_as) -> None:  # type: ignore[no-untyped-def]
    window = window_as("adjudicator")
    view, strip = window.case_view, window.case_view.review_status
    subject = window.navigator.current_subject()
    _show(qtbot, window, subject)
    assert _mark_buttons(window) == [strip.mark_button], "one Mark reviewed button per case"
    assert _review_menu_marks(window) == ["&Mark reviewed"]  # the Review menu opens the same menu
    assert next(a for a in window.review_menu.actions() if a.text() == "&Mark reviewed").menu() is strip.mark_menu
    assert strip.mark_button.text() == "Mark assessments reviewed"  # the tumour tab
    view.tabs.setCurrentWidget(view.adverse_events)
    assert strip.mark_button.text() == "Mark adverse events reviewed"
    view.tabs.setCurrentWidget(view.timeline)
    assert strip.mark_button.text() == "Mark patient reviewed"
    assert [a.text() for a in strip.mark_menu.actions() if a.isVisible() and not a.isSeparator()] == [
        "Mark baseline && follow-up reviewed", "Mark cycles reviewed", "Mark adverse events reviewed",
        "Mark assessments reviewed", "Mark patient reviewed",
    ]  # fmt: skip

    view.tabs.setCurrentWidget(view.adverse_events)
    strip.mark_button.click()
    states = strip.states
    qtbot.waitUntil(lambda: states["adverse_events"].text() == "reviewed", timeout=TIMEOUT)
    assert [states[k].text() for k in ("baseline", "cycles", "assessments")] == ["not reviewed"] * 3
    assert window.undo_action.text() == f"&Undo mark {subject} adverse events reviewed"
    assert not strip.mark_actions["adverse_events"].isEnabled()
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: states["adverse_events"].text() == "not reviewed", timeout=TIMEOUT)
    with open_study(window.session.path) as other:
        auth.sign_in(other, "adjudicator", DEMO_PASSWORDS["adjudicator"])
        assert record_review.patient_review(other, subject).kinds["adverse_events"].state == "not reviewed"


def test_a_reader_marks_assessments_and_a_viewer_gets_no_mark(qtbot, window_as) -> None:  # type: ignore[no-untyped-def]
    window = window_as("reader1")
    strip = window.case_view.review_status
    _show(qtbot, window, window.navigator.current_subject())
    assert _mark_buttons(window) == [strip.mark_button]
    assert strip.mark_button.text() == "Mark assessments reviewed"
    visible = [a.text() for a in strip.mark_menu.actions() if a.isVisible() and not a.isSeparator()]
    assert visible == ["Mark assessments reviewed", "Mark patient reviewed"], "a blinded reader reviews reads only"
    window.close()

    viewer = window_as(VIEWER)
    assert _mark_buttons(viewer) == [] and _review_menu_marks(viewer) == [], "a viewer marks nothing"


# ---------------------------------------------------------------------- the adjudicator's Reads tab
def test_adjudicator_reads_tab_explains_itself_and_has_no_blank_choice(qtbot, window_as) -> None:  # type: ignore[no-untyped-def]
    window = window_as("adjudicator")
    panel = window.tabs.read_entry
    with qtbot.waitSignal(panel.loaded, timeout=TIMEOUT):
        window.tabs.setCurrentWidget(panel)
    subject = window.navigator.current_subject()
    assert panel.header.text() == (
        f"{subject} — your reads (Dr Cleo Adjudicator, adjudicator). This is a read of your own, kept apart from "
        "the central readers' reads; to decide between their reads use the Adjudication tab. You have measured no "
        "lesions of this patient, so nothing is prefilled: choose each response yourself (“not stated” until you "
        "do)."
    )
    combos = panel.findChildren(QComboBox)
    assert panel.rows and combos
    blank = [c.objectName() for c in combos if "" in [c.currentText(), *(c.itemText(i) for i in range(c.count()))]]
    assert blank == [], "every drop-down says what it holds"
    row = panel.rows[0]
    assert (row.target.currentText(), row.non_target.currentText(), row.new_lesion.currentText()) == (
        "not stated", "not stated", "not stated")  # fmt: skip
    assert row.values()[:3] == ("", "", None)  # what is recorded: nothing stated


# ---------------------------------------------------------------------- every string of the window
def _visit(qtbot, window: MainWindow) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every tab and sub-tab once in front; the strings of the window meanwhile (and its literal "&"s)."""
    seen: list[tuple[str, str]] = []
    tabs = window.tabs
    for i in range(tabs.count()):
        tabs.setCurrentIndex(i)
        _settle(qtbot, window)
        page = tabs.currentWidget()
        for sub in [page.tabs] if hasattr(page, "tabs") else []:
            for j in range(sub.count()):
                sub.setCurrentIndex(j)
                _settle(qtbot, window)
                seen += window_strings(window)
                seen += [("label with a literal &", text) for text in _literal_ampersands(window)]
        seen += window_strings(window)
    return seen


@pytest.mark.parametrize("user", [r[0] for r in ROLES])
def test_no_internal_names_reach_the_user(qtbot, window_as, review_study: Path, user: str) -> None:  # type: ignore[no-untyped-def]
    window = window_as(user)
    subject = DEMO_DISCORDANT[0]  # a pending adjudication: the adjudication panel shows both reads
    _show(qtbot, window, subject)
    folder = str(review_study.parent)  # the study file's path (a tooltip) is the user's own folder name
    found = [(where, text.replace(folder, "…")) for where, text in _visit(qtbot, window)
             if "artist id" not in where]  # a matplotlib artist's id is not shown  # fmt: skip
    problems = sorted({f"{what}: {where}: {text!r}"[:300] for where, text in found
                       for what, pattern in FORBIDDEN.items() if pattern.search(text)})  # fmt: skip
    problems += sorted({f"a literal &: {text!r}" for where, text in found if where == "label with a literal &"})
    assert not problems, f"{user}'s window shows:\n" + "\n".join(problems[:40])
