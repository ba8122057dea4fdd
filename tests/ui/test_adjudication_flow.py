"""The whole adjudication flow on the demo study, as issue 7 asks to see it (GUI side).

reader1 signs in and records a read; reader2 cannot see it (the service refuses) and the panel shows the
blinding notice without any refused call; the adjudicator sees the 9 discordant demo cases, chooses read 1
with a reason, signs with a wrong password (refused, nothing locked) and then the right one (locked: the
choose buttons disabled, the undo history cleared); the cohort figures change as the impact preview said;
the audit trail holds every step; ``verify`` passes. Dialogs answer through their monkeypatched ``ask``;
waiting is on signals and conditions, never on sleeps.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt

from hccreview.services import adjudication, reading
from hccreview.services.adjudication import BlindingError
from hccreview.services.adjudication_ui import BLINDED_MESSAGE
from hccreview.services.case import audit_trail
from hccreview.services.stats import cohort_stats
from hccreview.services.verify import verify_study
from hccreview.ui.models.adjudication_models import DIFF_ROLE, QueueModel
from hccreview.ui.views.adjudication import AdjudicationPanel
from tests.ui.adjudication_support import DEMO_DISCORDANT, TIMEOUT, Answers, QtParts, answers, parts  # noqa: F401


def _panel(qtbot, parts: QtParts) -> AdjudicationPanel:  # noqa: F811
    panel = AdjudicationPanel(parts.context)
    qtbot.addWidget(panel)
    panel.resize(1366, 768)
    panel.show()
    return panel


def _settled(qtbot, panel: AdjudicationPanel, subject: str | None = None) -> None:
    """Wait until the runner is idle and the panel shows ``subject`` (or any case)."""
    qtbot.waitUntil(lambda: not panel.runner.busy and panel.comparison is not None
                    and (subject is None or panel.comparison.subject_id == subject), timeout=TIMEOUT)  # fmt: skip


def _record_post_progression_read(parts: QtParts) -> tuple[str, object]:  # noqa: F811
    """reader1 records a read after their own first progression of a concordant patient: audited, and the
    queue and figures are unchanged (RECIST 1.1: assessments after PD do not count)."""
    session = parts.session
    for item in reading.reader_worklist(session):
        if item.subject_id in DEMO_DISCORDANT or not item.read_dates:
            continue
        reads = reading.get_reads(session, item.subject_id, "reader1")
        pd = [e.read.date for e in reads.entries if e.read.overall == "PD"]
        if pd:
            day = max(e.read.date for e in reads.entries) + timedelta(days=56)
            edit = reading.record_read(session, item.subject_id, day, "FOLLOW-UP", target="PD",
                                       non_target="NON-CR/NON-PD", new_lesion=False)  # fmt: skip
            return item.subject_id, edit
    raise AssertionError("no concordant progressing patient in the demo study")


def test_reader_read_blinding_adjudication_signature_lock_figures_audit_verify(
    qtbot,
    parts: QtParts,  # noqa: F811
    answers: Answers,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session = parts.session
    # 1. reader1 signs in and records a read (audited under reader1)
    parts.sign_in("reader1")
    read_subject, edit = _record_post_progression_read(parts)
    assert edit.new_values["overall"] == "PD" and edit.new_values["entered_by"] == "reader1"
    assert reading.get_reads(session, read_subject, "reader1").entries  # their own reads: visible

    # 2. reader2 cannot see it: the service refuses; the panel shows the notice and makes no refused call
    parts.sign_in("reader2")
    with pytest.raises(BlindingError):
        reading.get_reads(session, read_subject, "reader1")
    calls: list[str] = []
    for name in ("discordance_queue", "case_comparison", "current_figures", "impact_preview", "reader_performance"):
        real = getattr(adjudication, name)
        monkeypatch.setattr(adjudication, name, lambda *a, _n=name, _f=real, **k: (calls.append(_n), _f(*a, **k))[1])
    panel = _panel(qtbot, parts)
    with qtbot.waitSignal(panel.updated, timeout=TIMEOUT):
        pass
    assert panel.blinded and panel.banner.isVisible() and panel.banner.text() == BLINDED_MESSAGE
    assert not panel.splitter.isVisible() and panel.queue.model.rowCount() == 0
    panel.tabs.setCurrentIndex(panel.TAB_PERFORMANCE)
    parts.runner.wait()
    qtbot.waitUntil(lambda: not parts.runner.busy, timeout=TIMEOUT)
    assert calls == [], f"refused calls were made for a blinded reader: {calls}"
    panel.tabs.setCurrentIndex(panel.TAB_CASE)

    # 3. the adjudicator sees the 9 discordant demo cases
    parts.sign_in("adjudicator")
    counts: list[dict] = []
    panel.counts_changed.connect(counts.append)
    with qtbot.waitSignal(panel.updated, timeout=TIMEOUT):
        panel.reload()
    _settled(qtbot, panel)
    assert not panel.blinded and panel.splitter.isVisible()
    model = panel.queue.model
    assert [model.item(r).subject_id for r in range(model.rowCount())] == DEMO_DISCORDANT
    assert counts[-1] == {
        "discordant": 9,
        "open": 9,
        "adjudicated": 0,
        "signed": 0,
        "unsigned": 0,
        "reopened": 0,
        "imported": 0,
    }
    assert panel.queue.counts.text() == "9 discordant · 9 open · 0 adjudicated (0 signed)"
    subject = DEMO_DISCORDANT[0]
    _settled(qtbot, panel, subject)
    comparison = panel.comparison
    assert comparison.readers == ("reader1", "reader2")
    assert any(panel.case.timepoints.index(r, c).data(DIFF_ROLE) for r in range(panel.case.timepoints.rowCount())
               for c in range(panel.case.timepoints.columnCount())), "differences are highlighted"  # fmt: skip
    card1, card2 = panel.case.cards
    assert card1.choose.isEnabled() and card2.choose.isEnabled() and not panel.case.sign_button.isEnabled()
    before = cohort_stats(session, source="adjudicated")
    preview = adjudication.impact_preview(session, subject)["reader1"]
    bor1 = str(comparison.sides["reader1"].bor.confirmed)

    # 4. choose read 1 with a reason (an undoable command)
    answers.reasons.append("Read 1's measurements of T01 follow the baseline axis; no confirmed PR.")
    with qtbot.waitSignal(parts.bus.changed, timeout=TIMEOUT):
        card1.choose.click()
    _settled(qtbot, panel, subject)
    qtbot.waitUntil(lambda: panel.comparison.decision is not None, timeout=TIMEOUT)
    assert panel.comparison.decision.chosen_reader == "reader1" and parts.stack.count() == 1
    assert answers.asked[-1][0] == "decision" and "read 1" in answers.asked[-1][1].lower()
    assert panel.case.sign_button.isEnabled()
    qtbot.waitUntil(lambda: counts[-1]["adjudicated"] == 1, timeout=TIMEOUT)
    assert model.item(model.row_of(subject)).status == "adjudicated"

    # 5. sign with a wrong password: refused, nothing signed, not locked
    answers.passwords.append("not-my-password")
    panel.case.sign_button.click()
    qtbot.waitUntil(lambda: "Wrong password" in panel.message.text(), timeout=TIMEOUT)
    parts.runner.wait()
    assert not panel.comparison.locked and card1.choose.isEnabled() and parts.stack.count() == 1
    assert adjudication.decision_for(session, subject).status == "open"
    assert answers.asked[-1][:2] == ("signature", "adjudicated") and "Dr Cleo Adjudicator" in answers.asked[-1][2]

    # 6. the right password: signed, locked, undo history cleared
    answers.passwords.append("adjudicator-demo")
    with qtbot.waitSignal(parts.bus.changed, timeout=TIMEOUT):
        panel.case.sign_button.click()
    qtbot.waitUntil(lambda: panel.comparison is not None and panel.comparison.locked, timeout=TIMEOUT)
    _settled(qtbot, panel, subject)
    assert not card1.choose.isEnabled() and not card2.choose.isEnabled()
    assert not panel.case.sign_button.isEnabled() and panel.case.lock.isVisible()
    assert parts.stack.count() == 0 and "Undo history cleared" in panel.message.text()
    assert "E-signature" in panel.case.decision.text() and "Dr Cleo Adjudicator" in panel.case.decision.text()
    qtbot.waitUntil(lambda: counts[-1]["signed"] == 1, timeout=TIMEOUT)
    assert counts[-1]["adjudicated"] == 1  # a signed decision is an adjudicated one (domain.adjudication_status)
    row = model.row_of(subject)
    assert model.item(row).status == "signed"
    assert model.index(row, QueueModel.STATUS).data(Qt.ItemDataRole.DecorationRole) is not None  # the lock
    assert panel.choose(1) is None  # a locked case refuses a new choice
    assert "locked" in panel.message.text()

    # 7. the cohort figures change accordingly (and as the impact preview said)
    after = cohort_stats(session, source="adjudicated")
    b, a = before.to_dict()["response"]["bor_counts"], after.to_dict()["response"]["bor_counts"]
    assert a["PENDING"] == b["PENDING"] - 1 and a[bor1] == b[bor1] + 1
    assert next(s for s in after.to_dict()["subjects"] if s["id"] == subject)["bor"] == bor1
    assert adjudication.current_figures(session, subject) == preview

    # 8. the audit trail holds every step, under the signed-in user's id
    trail = audit_trail(session, subject)
    decision = [e for e in trail if e["table_name"] == "adjudications"]
    assert decision[0]["action"] == "create" and decision[0]["username"] == "adjudicator"
    assert decision[0]["reason"].startswith("Read 1's measurements")
    assert any(e["field"] == "status" and e["new_value"] == '"signed"' and "e-signature" in e["reason"]
               for e in decision)  # fmt: skip
    read_entries = [e for e in audit_trail(session, read_subject) if e["table_name"] == "reads"]
    assert read_entries[-1]["action"] == "create" and read_entries[-1]["username"] == "reader1"
    access = session.store.rows("audit_log", "table_name = 'users'", order_by="seq")
    assert [(e["username"], e["action"]) for e in access if e["action"].startswith("sign-in")][-3:] == [
        ("reader1", "sign-in"), ("reader2", "sign-in"), ("adjudicator", "sign-in")]  # fmt: skip

    panel.close()
    parts.runner.wait()
    session.close()
    # 9. verify passes afterwards
    assert all(check.ok for check in verify_study(parts.path)), [c for c in verify_study(parts.path) if not c.ok]


def test_a_decision_undoes_and_redoes_before_sign_off(qtbot, parts: QtParts, answers: Answers) -> None:  # noqa: F811
    parts.sign_in("adjudicator")
    panel = _panel(qtbot, parts)
    _settled(qtbot, panel, DEMO_DISCORDANT[0])
    subject = DEMO_DISCORDANT[0]
    with qtbot.waitSignal(parts.bus.changed, timeout=TIMEOUT):
        command = panel.choose(2)
    assert command is not None and "read 2" in command.text()
    qtbot.waitUntil(lambda: panel.comparison.decision is not None, timeout=TIMEOUT)
    assert panel.comparison.decision.chosen_reader == "reader2"
    with qtbot.waitSignal(parts.bus.changed, timeout=TIMEOUT):
        parts.stack.undo()
    qtbot.waitUntil(lambda: not parts.runner.busy and panel.comparison.decision is None, timeout=TIMEOUT)
    assert adjudication.decision_for(parts.session, subject) is None
    with qtbot.waitSignal(parts.bus.changed, timeout=TIMEOUT):
        parts.stack.redo()
    qtbot.waitUntil(lambda: not parts.runner.busy and panel.comparison.decision is not None, timeout=TIMEOUT)
    assert adjudication.decision_for(parts.session, subject).chosen_reader == "reader2"
    actions = [e["action"] for e in audit_trail(parts.session, subject) if e["table_name"] == "adjudications"]
    assert actions[-3:] == ["create", "delete", "create"]  # each step audited


def test_a_cancelled_reason_decides_nothing_and_an_admin_reopens(
    qtbot,
    parts: QtParts,  # noqa: F811
    answers: Answers,  # noqa: F811
) -> None:
    parts.sign_in("adjudicator")
    subject = DEMO_DISCORDANT[1]
    adjudication.adjudicate(
        parts.session, subject_id=subject, chosen_reader="reader1", reason="clear PD", reason_code="pd_timing"
    )
    adjudication.sign_adjudication(parts.session, subject_id=subject, password="adjudicator-demo")
    parts.sign_in("admin")
    panel = _panel(qtbot, parts)
    _settled(qtbot, panel)
    panel.show_subject(subject)
    _settled(qtbot, panel, subject)
    assert panel.comparison.locked and panel.case.reopen_button.isVisible() and panel.case.reopen_button.isEnabled()
    answers.reasons.append(None)  # Cancel
    panel.reopen()
    assert panel.comparison.locked and not parts.runner.busy
    answers.reasons.append("The reader's T01 was re-measured at the consensus meeting")
    with qtbot.waitSignal(parts.bus.changed, timeout=TIMEOUT):
        panel.case.reopen_button.click()
    qtbot.waitUntil(lambda: not parts.runner.busy and not panel.comparison.locked, timeout=TIMEOUT)
    assert panel.comparison.decision.status == "reopened" and "Re-opened" in panel.case.decision.text()
    assert not panel.case.cards[0].choose.isVisible(), "an admin re-opens; deciding again is the adjudicator's"
    assert not panel.case.sign_button.isVisible()
    answers.reasons.append(None)
    assert panel.choose(2) is None and parts.stack.count() == 0


def test_queue_toggle_performance_tab_and_models(qtbot, qtmodeltester, parts: QtParts) -> None:  # noqa: F811
    parts.sign_in("adjudicator")
    panel = _panel(qtbot, parts)
    _settled(qtbot, panel)
    for model in (panel.queue.model, panel.case.timepoints, panel.case.lesions):
        qtmodeltester.check(model)
    with qtbot.waitSignal(panel.updated, timeout=TIMEOUT):
        panel.queue.kind_buttons["investigator"].click()
    assert panel.kind == "investigator"
    qtbot.waitUntil(lambda: not parts.runner.busy, timeout=TIMEOUT)
    assert panel.queue.model.rowCount() == len(adjudication.discordance_queue(parts.session, "investigator"))
    with qtbot.waitSignal(panel.updated, timeout=TIMEOUT):
        panel.queue.set_kind("central")
    panel.tabs.setCurrentIndex(panel.TAB_PERFORMANCE)
    qtbot.waitUntil(lambda: panel.performance is not None, timeout=TIMEOUT)
    text = panel.performance_view.label.text()
    assert "κ (95% CI)" in text and "EDR" in text and "reader1 vs reader2" in text
    pair = panel.performance["reader_pairs"][0]
    assert f"{pair['percent_agreement']:.1f}%" in text and f"{pair['kappa']:.2f}" in text
    activated: list[str] = []
    panel.subject_activated.connect(activated.append)
    index = panel.queue.model.index(2, 0)
    panel.queue.table.activated.emit(index)
    assert activated == [DEMO_DISCORDANT[2]]
    assert panel.next_case() == DEMO_DISCORDANT[1]
    _settled(qtbot, panel, DEMO_DISCORDANT[1])
    state = panel.save_state()
    panel.restore_state(state)
    assert panel.save_state()["kind"] == "central"


def test_a_refused_decision_leaves_nothing_on_the_undo_stack(qtbot, parts: QtParts) -> None:  # noqa: F811
    from hccreview.services.reading import LockedError
    from hccreview.ui.adjudication_commands import AdjudicateCommand
    from hccreview.ui.commands import drop_failed

    parts.sign_in("adjudicator")
    subject = DEMO_DISCORDANT[2]
    adjudication.adjudicate(
        parts.session, subject_id=subject, chosen_reader="reader2", reason="agreed", reason_code="measurement"
    )
    adjudication.sign_adjudication(parts.session, subject_id=subject, password="adjudicator-demo")
    errors: list[BaseException] = []
    command = AdjudicateCommand(parts.session, parts.runner, parts.bus, subject_id=subject, chosen_reader="reader1",
                                reason="change of mind", reason_code="measurement",
                                on_error=errors.append)  # fmt: skip
    parts.stack.push(command)
    qtbot.waitUntil(lambda: bool(errors), timeout=TIMEOUT)
    assert isinstance(errors[0], LockedError) and command.isObsolete()
    assert drop_failed(parts.stack, command) and parts.stack.count() == 0
    assert adjudication.decision_for(parts.session, subject).chosen_reader == "reader2"
