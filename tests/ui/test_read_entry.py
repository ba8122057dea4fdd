"""The reader's read entry panel (issue 7 item 2) on the demo study.

reader1 signs in: the rows are prefilled with the computed responses; a read that agrees is recorded without
a reason, audited, and undone; an override asks a reason and is recorded with it; a cancelled reason saves
nothing; reader2 sees only their own reads. Dialogs answer through their monkeypatched ``ask``; waiting is on
signals and conditions, never on sleeps.
"""

from __future__ import annotations

from datetime import date, timedelta

from hccreview.services import reading
from hccreview.services.case import audit_trail
from hccreview.ui.views.read_entry import ReadEntryData, ReadEntryPanel
from tests.ui.adjudication_support import TIMEOUT, Answers, QtParts, answers, parts  # noqa: F401

SUBJECT = "HCC-002"  # reader1 measured and read every timepoint (PR, PR, PR, PR, PD)


def _panel(qtbot, parts: QtParts, subject: str = SUBJECT) -> ReadEntryPanel:  # noqa: F811
    panel = ReadEntryPanel(parts.context)
    qtbot.addWidget(panel)
    panel.resize(1200, 600)
    panel.show()
    with qtbot.waitSignal(panel.loaded, timeout=TIMEOUT):
        panel.show_subject(subject)
    return panel


def _idle(qtbot, panel: ReadEntryPanel) -> None:
    qtbot.waitUntil(lambda: not panel.runner.busy and not panel.busy, timeout=TIMEOUT)


def _row(panel: ReadEntryPanel, day: date) -> int:
    return next(i for i, w in enumerate(panel.rows) if w.data.day == day)


def _new_timepoint(parts: QtParts, subject: str) -> date:  # noqa: F811
    """reader1 measures a new scan of ``subject`` (their lesions as at their last scan, 8 weeks on): a timepoint
    reader1 has not read yet. (A blinded reader's store shows only their own measurements and reads.)"""
    parts.sign_in("reader1")
    store = parts.session.store
    rows = store.rows("measurements", "subject_id = ? AND reader = ?", [subject, "reader1"], order_by="date")
    last = rows[-1]["date"]
    day = date.fromisoformat(last) + timedelta(days=56)
    for row in [r for r in rows if r["date"] == last]:
        store.insert("measurements", {**{k: v for k, v in row.items() if k != "id"}, "date": day.isoformat(),
                                      "visit": "FOLLOW-UP"}, reason=None)  # fmt: skip
    return day


def test_rows_are_prefilled_with_the_computed_responses(qtbot, parts: QtParts) -> None:  # noqa: F811
    parts.sign_in("reader1")
    panel = _panel(qtbot, parts)
    data = panel.data
    assert isinstance(data, ReadEntryData) and data.reader == "reader1" and not data.notice
    parts.runner.wait()
    own = reading.get_reads(parts.session, SUBJECT, "reader1")
    computed = {tp.date: tp for tp in own.computed}
    assert [w.data.day for w in panel.rows] == sorted(computed)
    for widgets in panel.rows:
        tp = computed[widgets.data.day]
        expected, _rule = reading.computed_response(
            parts.session, SUBJECT, "reader1", tp.date, target=tp.target.value, non_target=tp.non_target.value,
            new_lesion=tp.new_lesion,
        )  # fmt: skip
        assert widgets.overall.currentText() == expected.value == widgets.computed.text()
        assert widgets.target.currentText() == tp.target.value
        assert widgets.non_target.currentText() == tp.non_target.value
        assert widgets.new_lesion.currentData() is tp.new_lesion
    assert [w.overall.currentText() for w in panel.rows] == ["PR", "PR", "PR", "PR", "PD"]


def _read_new_date(parts: QtParts, subject: str, reader: str) -> date:  # noqa: F811
    """``reader`` reads a new date of ``subject`` (8 weeks after their last read): SD from the stated components."""
    parts.sign_in(reader)
    last = max(e.read.date for e in reading.get_reads(parts.session, subject, reader).entries)
    day = last + timedelta(days=56)
    reading.record_read(parts.session, subject, day, "FOLLOW-UP", target="SD", non_target="NON-CR/NON-PD",
                        new_lesion=False)  # fmt: skip
    return day


def test_agreeing_read_needs_no_reason_is_audited_and_undone(qtbot, parts: QtParts, answers: Answers) -> None:  # noqa: F811
    day = _new_timepoint(parts, "HCC-001")
    parts.sign_in("reader1")
    panel = _panel(qtbot, parts, "HCC-001")
    i = _row(panel, day)
    widgets = panel.rows[i]
    assert widgets.data.recorded == ""  # not read yet
    computed = widgets.computed.text()
    assert computed and panel.rows[i].overall.currentText() == computed  # prefilled from reader1's measurements
    audit_before = len(audit_trail(parts.session, "HCC-001"))
    with qtbot.waitSignal(parts.bus.changed, timeout=TIMEOUT):
        panel.record(i)
    _idle(qtbot, panel)
    assert answers.asked == []  # no reason asked
    entry = next(e for e in reading.get_reads(parts.session, "HCC-001", "reader1").entries if e.read.date == day)
    assert (entry.read.overall, entry.computed_overall, entry.override_reason, entry.entered_by) == (
        computed, computed, "", "reader1")  # fmt: skip
    trail = audit_trail(parts.session, "HCC-001")
    assert len(trail) > audit_before and any(str(r.get("username")) == "reader1" for r in trail[audit_before:])
    qtbot.waitUntil(lambda: panel.rows[_row(panel, day)].data.recorded == computed, timeout=TIMEOUT)
    assert panel.message.text() == ""

    with qtbot.waitSignal(parts.bus.changed, timeout=TIMEOUT):
        parts.stack.undo()
    _idle(qtbot, panel)
    assert all(e.read.date != day for e in reading.get_reads(parts.session, "HCC-001", "reader1").entries)
    assert len(audit_trail(parts.session, "HCC-001")) > len(trail)  # the undo is audited too


def test_override_asks_a_reason_and_records_it(qtbot, parts: QtParts, answers: Answers) -> None:  # noqa: F811
    parts.sign_in("reader1")
    panel = _panel(qtbot, parts)
    widgets = panel.rows[0]
    assert widgets.computed.text() == "PR"
    widgets.overall.setCurrentText("SD")
    answers.reasons += ["sum change is measurement noise", "second look at the scan"]
    with qtbot.waitSignal(parts.bus.changed, timeout=TIMEOUT):
        panel.record(0)
    _idle(qtbot, panel)
    # the override of the computed response, then the change of the read reader1 had recorded (DESIGN §4b)
    assert [a[0] for a in answers.asked] == ["reason", "reason"]
    assert answers.asked[1][1] == "Reason for the change" and "PR" in answers.asked[1][2]
    first = widgets.data.day
    entry = next(e for e in reading.get_reads(parts.session, SUBJECT, "reader1").entries if e.read.date == first)
    assert (entry.read.overall, entry.computed_overall) == ("SD", "PR")
    assert entry.override_reason == "sum change is measurement noise"
    reasons = [str(r.get("reason") or "") for r in audit_trail(parts.session, SUBJECT)]
    assert any("measurement noise" in r and "second look" in r for r in reasons), reasons


def test_cancelled_reason_saves_nothing(qtbot, parts: QtParts, answers: Answers) -> None:  # noqa: F811
    parts.sign_in("reader1")
    panel = _panel(qtbot, parts)
    before = reading.get_reads(parts.session, SUBJECT, "reader1").entries
    audit_before = len(audit_trail(parts.session, SUBJECT))
    panel.rows[0].overall.setCurrentText("CR")
    answers.reasons.append(None)  # the reader cancels the reason dialog
    panel.record(0)
    qtbot.waitUntil(lambda: answers.asked != [] and not panel.busy, timeout=TIMEOUT)
    _idle(qtbot, panel)
    assert "reason" in panel.message.text()
    assert parts.stack.count() == 0
    assert reading.get_reads(parts.session, SUBJECT, "reader1").entries == before
    assert len(audit_trail(parts.session, SUBJECT)) == audit_before


def test_second_reader_sees_only_own_reads(qtbot, parts: QtParts, answers: Answers) -> None:  # noqa: F811
    day = _read_new_date(parts, "HCC-001", "reader2")  # reader2 has read it (SD)
    parts.sign_in("reader1")
    reading.record_read(parts.session, "HCC-001", day, "FOLLOW-UP", overall="PD", target="PD",
                        non_target="NON-CR/NON-PD", new_lesion=True)  # fmt: skip
    parts.sign_in("reader2")
    panel = _panel(qtbot, parts, "HCC-001")
    assert panel.data is not None and panel.data.reader == "reader2"
    widgets = panel.rows[_row(panel, day)]
    assert widgets.data.recorded == "SD"  # reader2's own read, not reader1's PD
    own = reading.get_reads(parts.session, "HCC-001", "reader2").entries
    assert [w.data.recorded for w in panel.rows if w.data.recorded] == [e.read.overall for e in own]


def test_locked_or_refused_read_is_shown_inline(qtbot, parts: QtParts, answers: Answers, monkeypatch) -> None:  # noqa: F811
    parts.sign_in("reader1")
    panel = _panel(qtbot, parts)

    def refuse(*_a, **_k):  # type: ignore[no-untyped-def]
        raise reading.LockedError(f"{SUBJECT}: the adjudication is signed; reads are locked")

    monkeypatch.setattr(reading, "record_read", refuse)
    panel.record(0)
    qtbot.waitUntil(lambda: "locked" in panel.message.text(), timeout=TIMEOUT)
    _idle(qtbot, panel)
    assert parts.stack.count() == 0  # the failed command was dropped


def test_admin_gets_a_notice_instead_of_rows(qtbot, parts: QtParts) -> None:  # noqa: F811
    parts.sign_in("admin")
    panel = _panel(qtbot, parts)
    assert panel.data is not None and panel.data.notice and panel.rows == []


def test_reads_tab_follows_the_window_selection(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    from hccreview.services import auth

    window = make_window()
    window.runner.wait()
    auth.sign_in(window.session, "reader1", "reader1-demo")
    panel = window.tabs.read_entry
    with qtbot.waitSignal(panel.loaded, timeout=TIMEOUT):
        window.tabs.setCurrentWidget(panel)  # a hidden tab loads when shown
    assert panel.data is not None and panel.data.reader == "reader1"
    assert panel.data.subject_id == window.navigator.current_subject()
    with qtbot.waitSignal(panel.loaded, timeout=TIMEOUT):
        window.actions_by_name["next"].trigger()
    assert panel.data.subject_id == window.navigator.current_subject() == panel.subject_id
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=TIMEOUT)


def test_users_action_opens_the_users_dialog(qtbot, make_window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from hccreview.ui.dialogs.users import UsersDialog

    window = make_window(user="admin")
    calls: list[tuple] = []
    monkeypatch.setattr(UsersDialog, "ask", classmethod(lambda cls, *a: calls.append(a)))
    window.actions_by_name["manage_users"].trigger()
    assert calls == [(window.session, window.runner, window.bus, window)]


def test_submitting_a_read_asks_the_password_and_makes_it_final(qtbot, parts: QtParts, answers: Answers) -> None:  # noqa: F811
    parts.sign_in("reader1")
    panel = _panel(qtbot, parts)
    first = panel.rows[0]
    assert first.data.recorded and not first.data.submitted
    assert first.submit.isVisibleTo(panel) and first.button.isVisibleTo(panel)
    answers.passwords += ["wrong-password", None, "reader1-demo"]
    panel.submit(0)  # a wrong password: refused, nothing written
    _idle(qtbot, panel)
    assert panel.message.isVisibleTo(panel) and "password" in panel.message.text().lower()
    assert not reading.get_reads(parts.session, SUBJECT, "reader1").entries[0].submitted_at
    panel.submit(0)  # cancelled: nothing asked of the database
    assert not panel.busy
    with qtbot.waitSignal(panel.loaded, timeout=TIMEOUT):
        panel.submit(0)
    _idle(qtbot, panel)
    entry = reading.get_reads(parts.session, SUBJECT, "reader1").entries[0]
    assert entry.submitted_at
    row = panel.rows[0]
    assert row.data.submitted and not row.button.isVisibleTo(panel) and not row.submit.isVisibleTo(panel)
    assert not row.overall.isEnabled() and "submitted" in panel.table.item(0, 7).text()
    assert [a[0] for a in answers.asked].count("signature") == 3
    trail = [e for e in audit_trail(parts.session, SUBJECT) if e["field"] == "submitted_at"]
    assert trail and trail[-1]["username"] == "reader1" and "password re-entered" in trail[-1]["reason"]
