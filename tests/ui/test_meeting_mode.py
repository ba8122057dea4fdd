"""Meeting mode driven by the keyboard through every discordant demo case (issue 7 "Must show").

For each case the impact preview is read off the screen before the decision; the room then chooses read 1 or
read 2 (alternately) with a live reason, and the figures shown as "now" must equal what the preview showed
for that choice — as numbers (``cohort_figures`` dicts) and as the text on screen.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from hccreview.services import adjudication
from hccreview.services.adjudication_ui import BLINDED_MESSAGE
from hccreview.services.stats import cohort_stats
from hccreview.ui.views.meeting_mode import BASE_PT, MeetingModeWindow
from tests.ui.adjudication_support import DEMO_DISCORDANT, TIMEOUT, Answers, QtParts, answers, parts  # noqa: F401

NOW = 1  # the impact table's "Now" column


def _window(qtbot, parts: QtParts) -> MeetingModeWindow:  # noqa: F811
    window = MeetingModeWindow(parts.context)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.start(full_screen=False)  # full screen on a projector; a plain window in the tests
    return window


def _shows(qtbot, window: MeetingModeWindow, subject: str) -> None:
    qtbot.waitUntil(lambda: window.loaded and window.case is not None and window.case.subject_id == subject,
                    timeout=TIMEOUT)  # fmt: skip


def test_keyboard_walk_through_all_discordant_cases_preview_equals_result(
    qtbot,
    parts: QtParts,  # noqa: F811
    answers: Answers,  # noqa: F811
) -> None:
    parts.sign_in("adjudicator")
    window = _window(qtbot, parts)
    _shows(qtbot, window, DEMO_DISCORDANT[0])
    assert [item.subject_id for item in window.items] == DEMO_DISCORDANT
    assert window.font().pointSizeF() >= 20 and window.impact_table.font().pointSizeF() >= BASE_PT
    assert window.title.font().pointSizeF() >= 20 and window.reads_table.font().pointSizeF() >= 20

    for n, subject in enumerate(DEMO_DISCORDANT):
        _shows(qtbot, window, subject)
        case = window.case
        number = 1 + n % 2  # read 1, read 2, read 1, ...
        reader = case.comparison.choices[number - 1]
        preview = case.previews[reader]  # the numbers behind the preview column
        shown = window.impact.column_texts(NOW + number)  # what the room sees before deciding
        assert window.impact.headerData(NOW + number, Qt.Orientation.Horizontal) == f"If read {number}"
        answers.reasons.append(f"meeting: read {number} stands for {subject}")
        qtbot.keyClick(window, Qt.Key.Key_1 if number == 1 else Qt.Key.Key_2)
        qtbot.waitUntil(
            lambda s=subject, r=reader: window.loaded and window.case.subject_id == s
            and window.case.comparison.decision is not None and window.case.comparison.decision.chosen_reader == r,
            timeout=TIMEOUT,
        )  # fmt: skip
        assert window.case.now == preview, f"{subject}: the figures now differ from the preview of {reader}"
        assert window.impact.column_texts(NOW) == shown, f"{subject}: the 'now' column differs from the preview"
        assert window.checks[-1] == (subject, reader, True)
        assert "equal its preview" in window.message.text()
        if n + 1 < len(DEMO_DISCORDANT):
            qtbot.keyClick(window, Qt.Key.Key_Right if n % 2 == 0 else Qt.Key.Key_N)

    assert parts.stack.count() == len(DEMO_DISCORDANT)  # every decision is undoable before sign-off
    assert [c[2] for c in window.checks] == [True] * len(DEMO_DISCORDANT)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert "Last case" in window.message.text()
    qtbot.keyClick(window, Qt.Key.Key_Left)
    _shows(qtbot, window, DEMO_DISCORDANT[-2])
    qtbot.keyClick(window, Qt.Key.Key_P)
    _shows(qtbot, window, DEMO_DISCORDANT[-3])

    parts.runner.wait()
    stats = cohort_stats(parts.session, source="adjudicated").to_dict()
    assert stats["response"]["bor_counts"]["PENDING"] == 0
    queue = adjudication.discordance_queue(parts.session)
    chosen = {q.subject_id: q.chosen_reader for q in queue}
    assert chosen == {s: ("reader1" if n % 2 == 0 else "reader2") for n, s in enumerate(DEMO_DISCORDANT)}
    with qtbot.waitSignal(window.left, timeout=TIMEOUT):
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.isVisible()


def test_a_cancelled_reason_decides_nothing(qtbot, parts: QtParts, answers: Answers) -> None:  # noqa: F811
    parts.sign_in("adjudicator")
    window = _window(qtbot, parts)
    _shows(qtbot, window, DEMO_DISCORDANT[0])
    answers.reasons.append(None)
    qtbot.keyClick(window, Qt.Key.Key_2)
    assert window.expected is None and parts.stack.count() == 0 and not parts.runner.busy
    assert window.case.comparison.decision is None


def test_a_blinded_reader_gets_the_notice_only(qtbot, parts: QtParts, monkeypatch) -> None:  # noqa: F811
    parts.sign_in("reader1")
    calls: list[str] = []
    for name in ("discordance_queue", "case_comparison", "current_figures", "impact_preview"):
        monkeypatch.setattr(adjudication, name, lambda *a, _n=name, **k: calls.append(_n))
    window = _window(qtbot, parts)
    assert window.message.text() == BLINDED_MESSAGE
    qtbot.keyClick(window, Qt.Key.Key_1)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    parts.runner.wait()
    assert calls == [] and window.case is None
