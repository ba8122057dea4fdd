"""The window follows the access policy (issue 17, DESIGN §4b): what each role sees, and what no path lets them do.

- The blinding scan ("Must show"): signed in as ``reader1``, every tab and sub-tab of the main window is visited for
  several discordant patients and every string of the window is collected (``visible_text``); none names reader2,
  the investigator or the adjudication, and no model cell holds the investigator's or reader2's measured values
  of that patient. Again with the charter setting ``readers_see_clinical_data`` on: the clinical tabs appear, the
  other readers still do not.
- The scenario: reader1 has no row of reader2 or of the investigator to edit; an edit of reader2's measurement
  pushed through the case view anyway is refused with the reason and writes nothing. A signature in a second window
  locks the case: Ctrl+Z of reader1's earlier edit is refused with the reason, nothing written, the edit still
  offered for undo.
- A viewer (statistician) sees the adjudication and the cohort dashboard and can change nothing: F2 opens no editor.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLineEdit

from hccreview.services import adjudication, auth
from hccreview.services.case_extra import load_case_detail
from hccreview.services.session import StudySession, open_study
from hccreview.store.study_data import review_tables_digest
from hccreview.ui.main_window import MainWindow
from hccreview.ui.models.case_models import EditRequest, number
from hccreview.ui.models.navigator_model import Column
from hccreview.ui.plots import FigureHost
from tests.ui.adjudication_support import DEMO_PASSWORDS, Answers, answers  # noqa: F401
from tests.ui.visible_text import model_cells, numbers_in, window_strings

TIMEOUT = 30000
#: Traces of what a blinded reader must never see (case-insensitive): the other reader, the investigator, the
#: adjudication (adjudication, adjudicated, adjudicator...). No exception was needed.
FORBIDDEN = ("reader2", "investigator", "adjudicat")
SCANNED = 3  # discordant patients visited per scan (each visit walks every tab)


@dataclass(frozen=True)
class Facts:
    """What an adjudicator sees of the demo study, to look for in reader1's window."""

    discordant: list[str]
    #: per patient: the investigator's and reader2's measured values as the grid formats them ("87.7"), those
    #: reader1 did not measure themselves
    others_values: dict[str, set[str]]
    #: per patient: reader2's measurement ids and the investigator's (an edit reader1 may not make)
    foreign_ids: dict[str, dict[str, int]]


def _floats(value: object, depth: int = 0) -> Iterator[float]:
    """Every float inside a record tree (dataclasses, mappings, sequences)."""
    if isinstance(value, float):
        yield value
    elif depth > 12 or isinstance(value, str | bytes | int):
        return
    elif is_dataclass(value):
        for f in fields(value):
            yield from _floats(getattr(value, f.name), depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _floats(item, depth + 1)
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _floats(item, depth + 1)


@pytest.fixture(scope="module")
def facts(tmp_path_factory: pytest.TempPathFactory, _study_template: Path) -> Facts:
    """Read once per module, as the adjudicator, on a copy of the demo study."""
    path = tmp_path_factory.mktemp("facts") / "demo.db"
    shutil.copyfile(_study_template, path)
    with open_study(path) as session:
        auth.sign_in(session, "adjudicator", DEMO_PASSWORDS["adjudicator"])
        discordant = [item.subject_id for item in adjudication.discordance_queue(session)]
        values: dict[str, set[str]] = {}
        ids: dict[str, dict[str, int]] = {}
        for sid in discordant[:SCANNED]:
            case = load_case_detail(session, sid).case
            shown = {r: {number(v) for _, m in ms for v in (m.diameter_mm, m.short_axis_mm, m.viable_mm)
                         if v is not None} for r, ms in case.measurements.items()}  # fmt: skip
            others = shown.get("investigator", set()) | shown.get("reader2", set())
            values[sid] = {v for v in others if "." in v and float(v) >= 10}  # distinctive: "87.7", not "5"
            ids[sid] = {r: next(mid for mid, m in case.measurements[r] if m.diameter_mm is not None)
                        for r in ("reader2", "investigator")}  # fmt: skip
        auth.sign_in(session, "reader1", DEMO_PASSWORDS["reader1"])
        for sid, found in values.items():  # a value reader1 also has (a diameter, a sum) proves nothing
            found -= {number(x) for x in _floats(load_case_detail(session, sid))}
    assert len(discordant) >= SCANNED and all(values.values()), "the demo study has discordant measured cases"
    return Facts(discordant, values, ids)


@pytest.fixture
def session_as(review_study: Path) -> Iterator[object]:
    """Open another session on the test's study, signed in as a demo user (closed at teardown)."""
    opened: list[StudySession] = []

    def sign_in(username: str, password: str | None = None) -> StudySession:
        session = open_study(review_study)
        auth.sign_in(session, username, password or DEMO_PASSWORDS[username])
        opened.append(session)
        return session

    yield sign_in
    for session in opened:
        session.close()


# ---------------------------------------------------------------------- driving the window
def _settle(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Wait until no job runs and no visible chart waits to be drawn."""

    def quiet() -> bool:
        QApplication.processEvents()
        hosts = [h for h in window.findChildren(FigureHost) if h.isVisible()]
        return not window.runner.busy and not any(h.pending for h in hosts)

    qtbot.waitUntil(quiet, timeout=TIMEOUT)


def _show(qtbot, window: MainWindow, subject: str) -> None:  # type: ignore[no-untyped-def]
    assert window.navigator.select_subject(subject), f"{subject} is in the navigator"
    view = window.case_view
    qtbot.waitUntil(lambda: view.ready and view.detail is not None and view.detail.subject_id == subject,
                    timeout=TIMEOUT)  # fmt: skip
    _settle(qtbot, window)


def _visit_everything(qtbot, window: MainWindow) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every tab and sub-tab in front once (each panel loads and draws what it shows); the strings seen meanwhile."""
    seen: list[tuple[str, str]] = []
    tabs = window.tabs
    for i in range(tabs.count()):
        tabs.setCurrentIndex(i)
        _settle(qtbot, window)
        page = tabs.currentWidget()
        inner = [page.tabs] if hasattr(page, "tabs") else []  # the case view's and the adjudication panel's tabs
        for sub in inner:
            for j in range(sub.count()):
                sub.setCurrentIndex(j)
                _settle(qtbot, window)
                seen += window_strings(window)
        seen += window_strings(window)
    for action in window.source_group.actions():  # View ▸ Best response source: each the user is offered
        action.trigger()
        _settle(qtbot, window)
        seen += window_strings(window)
    tabs.setCurrentWidget(window.case_view)
    return seen


def _assert_blind(found: list[tuple[str, str]]) -> None:
    leaks = [(where, text) for where, text in found if any(word in text.lower() for word in FORBIDDEN)]
    assert not leaks, "reader1's window shows another evaluator or the adjudication:\n" + "\n".join(
        f"  {where}: {text!r}" for where, text in sorted(set(leaks))[:40]
    )


def _assert_no_values(window: MainWindow, subject: str, values: set[str]) -> None:
    """No cell of the central area, nor the patient's navigator row, holds one of ``values`` (the navigator's
    other rows are other patients: their figures may equal these by chance)."""
    cells = [(where, text) for view in window.tabs.findChildren(QAbstractItemView) if view.model() is not None
             for where, text in model_cells(view.model(), type(view).__name__)]  # fmt: skip
    nav = window.navigator.model
    row = nav.row_of(subject)
    assert row is not None
    for column in range(nav.columnCount()):
        for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            cells.append((f"navigator {subject} column {column}", str(nav.index(row, column).data(role) or "")))
    hits = [(where, text) for where, text in cells if numbers_in(text) & values]
    assert not hits, f"measured values of another evaluator ({sorted(values)}) in reader1's window: {hits[:10]}"


def _tab_titles(widget) -> list[str]:  # type: ignore[no-untyped-def]
    return [widget.tabText(i).replace("&", "") for i in range(widget.count())]


def _menu_names(window: MainWindow) -> set[str]:
    names: set[str] = set()
    for top in window.menuBar().actions():
        names |= {a.objectName() for a in top.menu().actions()}
    return names


# ---------------------------------------------------------------------- the blinding scan
def test_reader1_sees_no_trace_of_reader2_the_investigator_or_the_adjudication(qtbot, make_window, facts) -> None:  # type: ignore[no-untyped-def]
    window = make_window(user="reader1")
    assert _tab_titles(window.tabs) == ["Case", "Reads"], "no Adjudication, no Cohort dashboard tab"
    case_tabs = [t.split(" (")[0] for t in _tab_titles(window.case_view.tabs)]
    assert case_tabs == ["Tumour assessments", "Images", "Audit", "Queries"], "no timeline, AE, cycles, findings"
    absent = {"action_meeting_mode", "action_export_report", "action_export_data", "action_import_reads",
              "action_import", "action_manage_users", "action_show_adjudication", "action_show_dashboard",
              "action_sign_decision", "action_next_open_case", "action_next_discordant"}  # fmt: skip
    assert not absent & _menu_names(window), "absent, not disabled"
    assert [a.data() for a in window.source_group.actions()] == ["reader:reader1"]
    nav = window.navigator
    for column in (Column.DISCORDANT, Column.PFS, Column.OS, Column.CHILD_PUGH, Column.CYCLES):
        assert nav.table.isColumnHidden(column) and column in nav.model.withheld
    assert not nav.discordant_only.isVisibleTo(nav)

    for subject in facts.discordant[:SCANNED]:
        _show(qtbot, window, subject)
        assert [window.case_view.tumour.reader.itemText(i) for i in range(window.case_view.tumour.reader.count())] == [
            "reader1"
        ]  # the Reader box offers only the user's own reads
        spider = window.case_view.tumour.spider.figure
        readers = {str(line.get_gid()) for line in spider.axes[0].lines if str(line.get_gid()).startswith("reader:")}
        assert readers == {"reader:reader1"}, "the spider plot draws only the user's own line"
        found = _visit_everything(qtbot, window)
        _assert_blind(found)
        _assert_no_values(window, subject, facts.others_values[subject])


def test_the_scan_finds_what_the_adjudicator_sees(qtbot, make_window, facts) -> None:  # type: ignore[no-untyped-def]
    """The control: the same scan of the adjudicator's window finds each trace the reader's must not show."""
    window = make_window(user="adjudicator")
    subject = facts.discordant[0]
    _show(qtbot, window, subject)
    window.tabs.build_panels()
    found = _visit_everything(qtbot, window)
    text = "\n".join(t for _w, t in found).lower()
    assert all(word in text for word in FORBIDDEN)
    assert any(where.endswith("figure text") and "reader2" in t for where, t in found), "legends are read"
    shown = set().union(*(numbers_in(t) for view in window.tabs.findChildren(QAbstractItemView)
                          if view.model() is not None for _w, t in model_cells(view.model())))  # fmt: skip
    assert facts.others_values[subject] & shown


def test_with_clinical_data_allowed_the_clinical_tabs_appear_and_the_blinding_holds(  # type: ignore[no-untyped-def]
    qtbot, make_window, session_as, facts
) -> None:
    admin = session_as("admin")
    admin.store.update_settings(readers_see_clinical_data=True, reason="charter")  # the charter relaxes it
    window = make_window(user="reader1")
    titles = {t.split(" (")[0] for t in _tab_titles(window.case_view.tabs)}
    assert {"Timeline", "Adverse events", "Cycles"} <= titles and "Findings" not in titles
    assert _tab_titles(window.tabs) == ["Case", "Reads"]
    for subject in facts.discordant[:2]:
        _show(qtbot, window, subject)
        _assert_blind(_visit_everything(qtbot, window))
        detail = window.case_view.detail
        assert detail is not None
        # the patient's own lab values and ranges (the Labs tab: clinical data the charter opens) may equal a
        # diameter by chance ("13.5"); they are not another evaluator's measurements
        labs = {f"{x:.4g}" for lab in detail.case.labs for x in (lab.value, lab.lln, lab.uln) if x is not None}
        _assert_no_values(window, subject, facts.others_values[subject] - labs)


def test_signing_in_as_another_user_rebuilds_what_the_window_offers(  # type: ignore[no-untyped-def]
    qtbot, make_window, monkeypatch, facts
) -> None:
    """File ▸ Sign in as… on an open window: tabs, menus, navigator columns and case tabs follow the new user."""
    from hccreview.ui.dialogs.sign_in import SignInDialog

    who: list[str] = []
    monkeypatch.setattr(SignInDialog, "ask", classmethod(
        lambda cls, session, *a, **k: auth.sign_in(session, who[-1], DEMO_PASSWORDS[who[-1]])))  # fmt: skip
    window = make_window(user="adjudicator")
    subject = facts.discordant[0]
    _show(qtbot, window, subject)
    window.tabs.build_panels()
    _settle(qtbot, window)
    assert _tab_titles(window.tabs) == ["Case", "Adjudication", "Cohort dashboard", "Reads"]
    _visit_everything(qtbot, window)  # every panel filled and drawn as the adjudicator

    who.append("reader1")
    window.runner.wait()
    window.actions_by_name["sign_in"].trigger()
    qtbot.waitUntil(lambda: window.case_view.ready and window.overview is not None
                    and window.overview.sources == ["reader:reader1"], timeout=TIMEOUT)  # fmt: skip
    _settle(qtbot, window)
    assert _tab_titles(window.tabs) == ["Case", "Reads"] and window.user_label.text() == "User: reader1 (reader)"
    assert "action_show_adjudication" not in _menu_names(window)
    assert window.navigator.table.isColumnHidden(Column.DISCORDANT)
    assert [t.split(" (")[0] for t in _tab_titles(window.case_view.tabs)] == ["Tumour assessments", "Images",
                                                                              "Audit", "Queries"]  # fmt: skip
    assert window.case_view.tumour.reader.count() == 1
    _assert_blind(_visit_everything(qtbot, window))

    who.append("adjudicator")
    window.runner.wait()
    window.actions_by_name["sign_in"].trigger()
    qtbot.waitUntil(lambda: window.tabs.panels_built and window.overview is not None
                    and len(window.overview.sources) > 1, timeout=TIMEOUT)  # fmt: skip
    _settle(qtbot, window)
    assert _tab_titles(window.tabs) == ["Case", "Adjudication", "Cohort dashboard", "Reads"]
    assert not window.navigator.table.isColumnHidden(Column.DISCORDANT)
    assert "Timeline" in _tab_titles(window.case_view.tabs)
    qtbot.waitUntil(lambda: window.case_view.tumour.reader.count() > 1, timeout=TIMEOUT)


# ---------------------------------------------------------------------- the scenario
def test_no_path_lets_reader1_change_another_evaluators_diameter(  # type: ignore[no-untyped-def]
    qtbot,
    make_window,
    session_as,
    review_study: Path,
    facts,
    answers: Answers,  # noqa: F811
) -> None:
    subject = facts.discordant[0]
    adjudicator = session_as("adjudicator")
    adjudication.adjudicate(adjudicator, subject_id=subject, chosen_reader="reader1", reason="consensus",
                            reason_code="measurement")  # fmt: skip
    adjudication.sign_adjudication(adjudicator, subject_id=subject, password=DEMO_PASSWORDS["adjudicator"])
    window = make_window(user="reader1")
    _show(qtbot, window, subject)
    view = window.case_view
    model = view.tumour.model
    assert [view.tumour.reader.itemText(i) for i in range(view.tumour.reader.count())] == ["reader1"]
    assert model.rowCount() > 0  # reader1's own rows only: no row of reader2 or the investigator to press F2 on
    with open_study(review_study) as other:
        before = review_tables_digest(other.store)
    for owner in ("reader2", "investigator"):
        request = EditRequest("measurement", facts.foreign_ids[subject][owner], "diameter_mm", "5.0", 87.7, "T01",
                              view.detail.case.measurements["reader1"][0][1].date, subject, "present")  # fmt: skip
        with qtbot.waitSignal(view.edit_failed, timeout=TIMEOUT) as refused:
            view.request_edit(request)  # what F2 would do, had the UI any such row
        message = refused.args[0]  # the store does not even show reader1 that row, let alone change it
        assert message.startswith("Not saved — reader1 (reader) may not") and "measurements" in message, message
        assert view.message.isVisible() and view.message.text() == message
        assert window.undo_stack.count() == 0, "a refused edit leaves nothing to undo"
    window.runner.wait()
    with open_study(review_study) as other:
        assert review_tables_digest(other.store) == before, "nothing written"


def test_ctrl_z_after_a_signature_in_another_window_is_refused(  # type: ignore[no-untyped-def]
    qtbot,
    make_window,
    review_study: Path,
    facts,
    answers: Answers,  # noqa: F811
) -> None:
    subject = facts.discordant[1]
    reader = make_window(user="reader1")
    _show(qtbot, reader, subject)
    view, model = reader.case_view, reader.case_view.tumour.model
    key = next(model.row_key(r) for r in range(model.rowCount()) if model.row_key(r).startswith("lesion:T"))
    row, column = model.find_row(key), len(model.dates) - 1
    old = model.index(row, column).data(Qt.ItemDataRole.EditRole)
    new = str(round(float(old) + 11.3, 1))
    with qtbot.waitSignal(reader.bus.changed, timeout=TIMEOUT):
        assert model.setData(model.index(row, column), new)
    qtbot.waitUntil(lambda: model.index(row, column).data(Qt.ItemDataRole.EditRole) == new, timeout=TIMEOUT)
    assert reader.undo_stack.canUndo() and answers.asked[-1][0] == "reason", "the change of a value asked why"

    second = make_window(user="adjudicator")  # a second window on the same file
    _show(qtbot, second, subject)
    second.actions_by_name["show_adjudication"].trigger()
    panel = second.tabs.adjudication
    panel.show_subject(subject)
    qtbot.waitUntil(lambda: panel.comparison is not None and panel.comparison.subject_id == subject, timeout=TIMEOUT)
    with qtbot.waitSignal(second.bus.changed, timeout=TIMEOUT):
        panel.choose_reader("reader2")
    qtbot.waitUntil(lambda: panel.comparison.decision is not None, timeout=TIMEOUT)
    answers.passwords.append(DEMO_PASSWORDS["adjudicator"])
    panel.sign()
    qtbot.waitUntil(lambda: panel.comparison is not None and panel.comparison.locked, timeout=TIMEOUT)
    second.runner.wait()

    with open_study(review_study) as other:
        before = review_tables_digest(other.store)
    reader.activateWindow()
    qtbot.waitUntil(reader.isActiveWindow, timeout=TIMEOUT)
    # Ctrl+Z goes to the active window
    with qtbot.waitSignal(view.edit_failed, timeout=TIMEOUT) as refused:
        qtbot.keyClick(reader, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "locked" in refused.args[0] and subject in refused.args[0], refused.args[0]
    assert view.message.text() == refused.args[0]
    reader.runner.wait()
    with open_study(review_study) as other:
        assert review_tables_digest(other.store) == before, "the undo wrote nothing"
    assert reader.undo_stack.canUndo() and not reader.undo_stack.canRedo(), "the edit stands, and says so"
    assert model.index(row, column).data(Qt.ItemDataRole.EditRole) == new


# ---------------------------------------------------------------------- the viewer
def test_a_viewer_sees_everything_and_can_change_nothing(qtbot, make_window, session_as) -> None:  # type: ignore[no-untyped-def]
    admin = session_as("admin")
    auth.add_user(admin, username="stat", full_name="Trial Statistician", role="viewer", password="stat-demo-1")
    window = make_window(user="stat", password="stat-demo-1")
    assert _tab_titles(window.tabs) == ["Case", "Adjudication", "Cohort dashboard"], "no Reads tab: records none"
    names = _menu_names(window)
    assert {"action_show_adjudication", "action_show_dashboard", "action_export_report"} <= names
    assert not {"action_mark_reviewed", "action_sign_decision", "action_import", "action_manage_users"} & names
    view = window.case_view
    assert view.tumour.reader.count() > 1 and not view.review_status.isVisibleTo(view)
    model = view.tumour.model
    assert not any(model.flags(model.index(r, c)) & Qt.ItemFlag.ItemIsEditable
                   for r in range(model.rowCount()) for c in range(model.columnCount()))  # fmt: skip
    key = next(model.row_key(r) for r in range(model.rowCount()) if model.row_key(r).startswith("lesion:"))
    grid = view.tumour.grid
    window.tabs.setCurrentWidget(view)
    view.tabs.setCurrentWidget(view.tumour)
    grid.setCurrentIndex(model.index(model.find_row(key), 0))
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_F2)
    assert grid.state() != QAbstractItemView.State.EditingState
    assert not isinstance(QApplication.focusWidget(), QLineEdit), "F2 offers no editor"
    panel = window.tabs.adjudication
    qtbot.waitUntil(lambda: panel.comparison is not None, timeout=TIMEOUT)
    assert not panel.case.sign_button.isVisibleTo(panel) and not panel.case.cards[0].choose.isVisibleTo(panel)
