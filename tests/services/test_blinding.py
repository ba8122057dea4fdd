"""Blinding is enforced in the service and the store: a blinded reader cannot obtain others' reads (issue 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hccreview.services import adjudication, reading
from hccreview.services.case import load_case
from hccreview.services.reading import BlindingError, ValidationError
from hccreview.store import access
from tests.factories_central import INV, R1, R2, central_study, open_as


@pytest.fixture
def path(study_path: Path) -> Path:
    central_study(study_path).close()
    return study_path


def test_a_reader_gets_their_own_reads_and_computed_responses(path: Path) -> None:
    with open_as(path, R1) as session:
        own = reading.get_reads(session, "C01", R1)
        assert [e.read.overall for e in own.entries] == ["PR", "PR", "PR"]
        assert [tp.overall.value for tp in own.computed] == ["PR", "PR", "PR"]
        assert reading.visible_readers(session, "C01") == [R1]
        assert [(w.subject_id, w.status) for w in reading.reader_worklist(session)] == [
            ("C01", "done"), ("C02", "done"), ("C03", "done"),
        ]  # fmt: skip


def test_a_reader_service_call_for_another_readers_reads_is_refused(path: Path) -> None:
    with open_as(path, R1) as session:
        for other in (R2, INV):
            with pytest.raises(BlindingError):
                reading.get_reads(session, "C01", other)
        with pytest.raises(PermissionError):  # BlindingError is a PermissionError
            reading.get_reads(session, "C01", R2)
        with pytest.raises(BlindingError):
            reading.reader_worklist(session, reader=R2)
        for call in (
            lambda: adjudication.discordance_queue(session),
            lambda: adjudication.discordance_queue(session, "investigator"),
            lambda: adjudication.case_comparison(session, "C01"),
            lambda: adjudication.decision_for(session, "C01"),
            lambda: adjudication.impact_preview(session, "C01"),
            lambda: adjudication.current_figures(session),
            lambda: adjudication.reader_performance(session),
        ):
            with pytest.raises(BlindingError):
                call()
        # the case view's data lose everything of the other sources
        case = load_case(session, "C01")
        assert case.readers == [R1] and set(case.reads) == {R1} and set(case.measurements) == {R1}
        assert set(case.outcomes) == {f"reader:{R1}"}


def test_the_store_refuses_as_well(path: Path) -> None:
    with open_as(path, R1) as session:
        store = session.store
        with pytest.raises(BlindingError):
            access.read_rows(store, "C01", reader=R2)
        with pytest.raises(BlindingError):
            access.adjudication_rows(store, "C01")
        assert len(access.read_rows(store, "C01", reader=R1)) == 3
        # the generic reads of the store are filtered too: no row of another evaluator, no decision
        assert {r["reader"] for t in ("lesions", "measurements", "reads") for r in store.rows(t)} == {R1}
        assert store.rows("adjudications") == [] and store.rows("adverse_events") == []
        other = session.store.conn.execute("SELECT id FROM measurements WHERE reader = ?", [R2]).fetchone()[0]
        with pytest.raises(PermissionError, match="may not see"):
            store.get("measurements", other)


def test_adjudicator_and_admin_are_not_blinded(path: Path) -> None:
    for name in ("adj", "admin"):
        with open_as(path, name) as session:
            assert len(reading.get_reads(session, "C01", R2).entries) == 3
            assert reading.visible_readers(session, "C01") == [INV, R1, R2]
            assert len(load_case(session, "C01").readers) == 3


def test_only_the_admin_unblinds_with_a_reason_and_it_is_audited(path: Path) -> None:
    for name in (R1, "adj"):
        with open_as(path, name) as session, pytest.raises(PermissionError):
            reading.unblind(session, "end of reading")
    with open_as(path, "admin") as session:
        with pytest.raises(ValidationError):
            reading.unblind(session, "  ")
        changes = reading.unblind(session, "all reads locked, database frozen")
        assert changes.study and not reading.is_blinded(session)
        entry = session.store.rows("audit_log", "table_name = 'settings' AND row_key = 'blinding'")[-1]
        assert (entry["username"], entry["reason"]) == ("admin", "all reads locked, database frozen")
    with open_as(path, R1) as session:
        assert len(reading.get_reads(session, "C01", R2).entries) == 3
        assert [q.subject_id for q in adjudication.discordance_queue(session)] == ["C01", "C03"]
        assert len(load_case(session, "C01").readers) == 3
    with open_as(path, "admin") as session:
        reading.reblind(session, "second reading round")
    with open_as(path, R1) as session, pytest.raises(BlindingError):
        reading.get_reads(session, "C01", R2)


def test_sources_a_blinded_reader_may_see(path: Path) -> None:
    sources = ["adjudicated", "investigator", "computed", f"reader:{R1}", f"reader:{R2}"]
    with open_as(path, R1) as session:
        assert reading.allowed_sources(session, sources) == [f"reader:{R1}"]
    with open_as(path, "adj") as session:
        assert reading.allowed_sources(session, sources) == sources
