"""The adjudication screens' worker functions (services.adjudication_ui): blinding checked before any refused
call, the queue view with the central counts, the meeting's cases, and "preview = figures after the choice"."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hccreview.services import adjudication, adjudication_ui
from hccreview.services.adjudication import BlindingError
from tests.factories_central import R1, R2, central_study, open_as


@pytest.fixture
def path(study_path: Path) -> Path:
    central_study(study_path).close()
    return study_path


def test_a_blinded_reader_gets_a_marked_empty_view_and_no_refused_call(path: Path, monkeypatch) -> None:
    def refused(*_a: object, **_k: object) -> None:
        raise AssertionError("a call the service would refuse was made")

    with open_as(path, R1) as session:
        with pytest.raises(BlindingError):  # what the guard avoids
            adjudication.discordance_queue(session)
        for name in ("discordance_queue", "case_comparison", "current_figures", "impact_preview", "reader_performance"):
            monkeypatch.setattr(adjudication, name, refused)
        view = adjudication_ui.load_queue(session)
        assert view.blinded and view.items == [] and view.counts == {}
        assert adjudication_ui.load_performance(session) is None
        assert adjudication_ui.meeting_subjects(session) == []
        assert adjudication_ui.blinded_for(session)
        assert not adjudication_ui.can_decide(session) and not adjudication_ui.can_reopen(session)


def test_queue_view_counts_the_central_queue_whatever_is_shown(path: Path) -> None:
    with open_as(path, "adj") as session:
        central = adjudication_ui.load_queue(session, "central")
        assert not central.blinded
        assert [q.subject_id for q in central.items] == ["C01", "C03"]
        assert central.counts == {
            "discordant": 2,
            "open": 2,
            "adjudicated": 0,
            "signed": 0,
            "unsigned": 0,
            "reopened": 0,
            "imported": 0,
        }
        investigator = adjudication_ui.load_queue(session, "investigator")
        assert [q.subject_id for q in investigator.items] == ["C02"]
        assert investigator.counts == central.counts
        assert adjudication_ui.can_decide(session) and adjudication_ui.can_reopen(session)  # DESIGN §4b
        perf = adjudication_ui.load_performance(session)
        assert perf is not None and perf["readers"] == [R1, R2]


def test_meeting_case_preview_equals_the_figures_after_each_choice(path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    shutil.copyfile(path, copy)
    with open_as(copy, "adj") as session:
        items = adjudication_ui.meeting_subjects(session)
        assert [i.subject_id for i in items] == ["C01", "C03"]
        for n, item in enumerate(items):
            case = adjudication_ui.load_meeting_case(session, item.subject_id)
            assert set(case.previews) == set(case.comparison.choices) == {R1, R2}
            assert case.now["subject"]["id"] == item.subject_id
            reader = case.comparison.choices[n % 2]
            adjudication.adjudicate(
                session, subject_id=item.subject_id, chosen_reader=reader, reason="meeting", reason_code="measurement"
            )
            after = adjudication_ui.load_meeting_case(session, item.subject_id)
            assert after.now == case.previews[reader]
        assert adjudication_ui.meeting_subjects(session) == []  # nothing open any more
