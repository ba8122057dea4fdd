"""The action table's slots (issue 20 item 3): a slot that does not resolve stops the window from being built, so
a misspelt name can never become a menu item that does nothing; every action of the real window resolves to a
function of ``ui.window_actions`` and is connected to it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from hccreview.services import auth
from hccreview.services.session import open_study
from hccreview.ui import actions, window_actions
from hccreview.ui.actions import ACTIONS, ActionSlotError, resolve_slot
from hccreview.ui.main_window import MainWindow
from tests.ui.conftest import DEMO_PASSWORDS


def _spec(name: str) -> actions.ActionSpec:
    return next(spec for spec in ACTIONS if spec.name == name)


def test_a_misspelt_slot_stops_the_window_from_being_built(qtbot, review_study: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    misspelt = dataclasses.replace(_spec("next"), slot="next_pateint")
    monkeypatch.setattr(actions, "ACTIONS", tuple(misspelt if s.name == "next" else s for s in ACTIONS))
    with open_study(review_study) as session:
        auth.sign_in(session, "adjudicator", DEMO_PASSWORDS["adjudicator"])
        with pytest.raises(ActionSlotError) as raised:
            MainWindow(session)
    assert str(raised.value) == "action 'next': no function 'next_pateint' in hccreview.ui.window_actions"


@pytest.mark.parametrize(
    ("slot", "why"),
    [
        ("_done", "no function '_done'"),  # a private helper of the module is no action
        ("QFileDialog", "no function 'QFileDialog'"),  # a name the module imports is not one of its functions
        ("TYPE_CHECKING", "no function 'TYPE_CHECKING'"),
    ],
)
def test_only_a_function_of_window_actions_is_a_slot(slot: str, why: str) -> None:
    with pytest.raises(ActionSlotError, match=why):
        resolve_slot(dataclasses.replace(_spec("about"), slot=slot))


def test_a_slot_must_take_the_window_alone(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def needs_two(window: object, other: object) -> None: ...

    needs_two.__module__ = window_actions.__name__
    monkeypatch.setattr(window_actions, "needs_two", needs_two, raising=False)
    with pytest.raises(ActionSlotError, match=r"action 'about': needs_two\(\) must take the window alone"):
        resolve_slot(dataclasses.replace(_spec("about"), slot="needs_two"))


def test_every_action_of_the_real_window_resolves_and_calls_its_function(qtbot, make_window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Each action is wired to the function its slot names (resolved for real), called with the window; the
    functions are recorded instead of run (no dialog opens)."""
    called: list[tuple[str, object]] = []

    def recording(spec: actions.ActionSpec):  # type: ignore[no-untyped-def]
        function = resolve_slot(spec)
        return lambda window: called.append((function.__name__, window))

    monkeypatch.setattr(actions, "resolve_slot", recording)
    window = make_window()
    assert set(window.actions_by_name) == {spec.name for spec in ACTIONS}
    for spec in ACTIONS:
        action = window.actions_by_name[spec.name]
        action.setEnabled(True)
        action.trigger()
        assert called.pop() == (spec.slot, window), spec.name
    assert called == []


def test_a_triggered_action_does_what_its_function_says(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    order = window.navigator.visible_subjects()
    window.actions_by_name["next"].trigger()
    assert window.navigator.current_subject() == order[1]
    window.actions_by_name["show_dashboard"].trigger()
    assert window.tabs.currentWidget() is window.tabs.dashboard
    window.actions_by_name["show_case"].trigger()
    assert window.tabs.currentWidget() is window.case_view
