"""Discordance reason codes in the GUI (issue 12 item 4): the decision dialog requires a code (and text for
"other"); the adjudication panel and meeting mode store it with the decision; it is shown with the decision and
in the signature prompt; the dashboard's Reasons table and the reader-performance view count it."""

from __future__ import annotations

from PySide6.QtCore import Qt

from hccreview.services import adjudication
from hccreview.ui.views.adjudication import AdjudicationPanel
from hccreview.ui.views.adjudication_reason import DecisionReason, DecisionReasonDialog
from hccreview.ui.views.dashboard_reasons import DiscordanceReasons
from hccreview.ui.views.meeting_mode import MeetingModeWindow
from tests.ui.adjudication_support import DEMO_DISCORDANT, TIMEOUT, Answers, QtParts, answers, parts  # noqa: F401


def test_dialog_requires_a_code_a_reason_and_text_for_other(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = DecisionReasonDialog("Choose read 1", "Why?")
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled() and "Choose a discordance reason code" in dialog.hint.text()
    dialog.reason.setPlainText("T01 measured along the wrong axis")
    assert not dialog.ok_button.isEnabled()  # still no code
    dialog.code.setCurrentIndex(dialog.code.findData("other"))
    assert not dialog.ok_button.isEnabled() and "free-text" in dialog.hint.text()
    dialog.other.setText("reader fatigue")
    assert dialog.ok_button.isEnabled()
    assert dialog.answer() == DecisionReason("other", "reader fatigue", "T01 measured along the wrong axis")
    dialog.code.setCurrentIndex(dialog.code.findData("measurement"))
    dialog.other.clear()
    assert dialog.answer() == DecisionReason("measurement", "", "T01 measured along the wrong axis")
    labels = [dialog.code.itemText(i) for i in range(1, dialog.code.count())]
    assert labels == ["New-lesion detection", "Target-lesion selection", "Measurement variability",
                      "Non-target assessment", "Image quality / not evaluable", "Timing of progression",
                      "Other"]  # fmt: skip


def test_panel_stores_the_code_shows_it_and_signs_it(qtbot, parts: QtParts, answers: Answers) -> None:  # noqa: F811
    parts.sign_in("adjudicator")
    panel = AdjudicationPanel(parts.context)
    qtbot.addWidget(panel)
    panel.show()
    subject = DEMO_DISCORDANT[0]
    qtbot.waitUntil(lambda: not parts.runner.busy and panel.comparison is not None, timeout=TIMEOUT)
    panel.show_subject(subject)
    qtbot.waitUntil(lambda: not parts.runner.busy and panel.comparison.subject_id == subject, timeout=TIMEOUT)
    answers.reasons.append(None)  # cancelled: nothing is written
    assert panel.choose(1) is None and parts.stack.count() == 0
    answers.reasons.append("Reader 2 missed the arterial phase")
    answers.codes.append(("image_quality", "arterial phase incomplete"))
    with qtbot.waitSignal(parts.bus.changed, timeout=TIMEOUT):
        panel.choose(2)
    qtbot.waitUntil(lambda: panel.comparison.decision is not None and not parts.runner.busy, timeout=TIMEOUT)
    decision = adjudication.decision_for(parts.session, subject)
    assert (decision.reason_code, decision.reason_other) == ("image_quality", "arterial phase incomplete")
    assert "Discordance code: Image quality / not evaluable: arterial phase incomplete" in panel.case.decision.text()
    panel.tabs.setCurrentIndex(panel.TAB_PERFORMANCE)  # the reader-performance view counts the codes too
    view = panel.performance_view.label
    qtbot.waitUntil(lambda: "Decisions by discordance reason code" in view.text(), timeout=TIMEOUT)
    assert "Image quality / not evaluable</td><td style='padding: 2px 8px;'>1</td>" in view.text()
    assert panel.performance["reason_codes"]["image_quality"] == 1
    answers.passwords.append("adjudicator-demo")
    panel.sign()
    qtbot.waitUntil(lambda: not parts.runner.busy and panel.comparison.locked, timeout=TIMEOUT)
    assert answers.asked[-1][0] == "signature" and "Image quality / not evaluable" in answers.asked[-1][3]


def test_meeting_mode_asks_and_stores_the_code(qtbot, parts: QtParts, answers: Answers) -> None:  # noqa: F811
    parts.sign_in("adjudicator")
    window = MeetingModeWindow(parts.context)
    qtbot.addWidget(window)
    window.start(full_screen=False)
    subject = DEMO_DISCORDANT[0]
    qtbot.waitUntil(lambda: window.loaded and window.case is not None and window.case.subject_id == subject,
                    timeout=TIMEOUT)  # fmt: skip
    answers.reasons.append("the room agreed: new liver lesion at week 16")
    answers.codes.append(("new_lesion", ""))
    qtbot.keyClick(window, Qt.Key.Key_1)
    qtbot.waitUntil(lambda: window.loaded and window.case.comparison.decision is not None, timeout=TIMEOUT)
    assert answers.asked[-1][0] == "decision"
    assert adjudication.decision_for(parts.session, subject).reason_code == "new_lesion"


def test_dashboard_reasons_table_counts_and_follows_changes(qtbot, parts: QtParts) -> None:  # noqa: F811
    parts.sign_in("adjudicator")
    widget = DiscordanceReasons(parts.context)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: widget.counts is not None, timeout=TIMEOUT)
    assert "0 decisions in force" in widget.summary.text()
    parts.runner.wait()
    edit = adjudication.adjudicate(parts.session, subject_id=DEMO_DISCORDANT[1], chosen_reader="reader1",
                                   reason="both saw PD; dates differ", reason_code="pd_timing")  # fmt: skip
    parts.bus.publish(edit.changes)
    qtbot.waitUntil(lambda: widget.counts is not None and widget.counts["pd_timing"] == 1, timeout=TIMEOUT)
    model = widget.model
    rows = {model.index(r, 0).data(): model.index(r, 1).data() for r in range(model.rowCount())}
    assert rows["Timing of progression"] == "1" and rows["New-lesion detection"] == "0"
    assert "1 decision in force" in widget.summary.text()
    parts.sign_in("reader1")  # blinded: the reasons are not shown
    widget.reload()
    qtbot.waitUntil(lambda: widget.counts is None, timeout=TIMEOUT)
    assert "blinded" in widget.summary.text() and model.rowCount() == 0
