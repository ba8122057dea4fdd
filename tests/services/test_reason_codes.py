"""Discordance reason codes: required with each decision, stored beside it, audited, undone with it, frozen
once signed, counted in ``stats --json`` (issue 12 item 4)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hccreview.domain import reason_codes
from hccreview.services import adjudication as adj
from hccreview.services.adjudication import LockedError, ValidationError
from hccreview.services.stats import cohort_stats
from hccreview.store.signatures import verify_signatures
from tests.factories_central import PASSWORDS, R1, R2, central_study, open_as


@pytest.fixture
def path(study_path: Path) -> Path:
    central_study(study_path).close()
    return study_path


def test_the_documented_list() -> None:
    assert reason_codes.codes() == ("new_lesion", "target_selection", "measurement", "non_target", "image_quality",
                                    "pd_timing", "other")  # fmt: skip
    assert reason_codes.label("pd_timing") == "Timing of progression" and reason_codes.label(None) == "not recorded"
    assert reason_codes.validate(" other ", " reader left early ") == ("other", "reader left early")
    for code, text in ((None, ""), ("", ""), ("nonsense", ""), ("other", "   ")):
        with pytest.raises(reason_codes.ReasonCodeError):
            reason_codes.validate(code, text)
    counts = reason_codes.count_codes(["measurement", "measurement", None, "other"])
    assert counts["measurement"] == 2 and counts["other"] == 1 and counts["not_recorded"] == 1
    assert counts["new_lesion"] == 0 and list(counts)[:7] == list(reason_codes.codes())


def test_code_required_and_other_needs_text(path: Path) -> None:
    with open_as(path, "adj") as session:
        before = session.store.count("audit_log")
        for code, other in ((None, ""), ("", ""), ("bogus", ""), ("other", "")):
            with pytest.raises(ValidationError) as info:
                adj.adjudicate(session, subject_id="C01", chosen_reader=R1, reason="clear",
                               reason_code=code, reason_other=other)  # fmt: skip
            assert info.value.field in ("reason_code", "reason_other")
        assert session.store.count("adjudications") == 0 and session.store.count("audit_log") == before
        adj.adjudicate(session, subject_id="C01", chosen_reader=R1, reason="clear", reason_code="other",
                       reason_other="protocol deviation at week 8")  # fmt: skip
        decision = adj.decision_for(session, "C01")
        assert (decision.reason_code, decision.reason_other) == ("other", "protocol deviation at week 8")
        assert decision.reason_label == "Other: protocol deviation at week 8"


def test_code_is_stored_beside_the_decision_audited_and_undone_with_it(path: Path) -> None:
    with open_as(path, "adj") as session:
        store = session.store
        first = adj.adjudicate(session, subject_id="C01", chosen_reader=R2, reason="first", reason_code="measurement")
        assert store.rows("adjudication_reason_codes")[0]["adjudication_id"] == first.key
        assert "reason_code" not in store.get("adjudications", first.key)  # not a column of the signed table
        change = adj.adjudicate(session, subject_id="C01", chosen_reader=R1, reason="new liver lesion at week 16",
                                reason_code="new_lesion")  # fmt: skip
        assert (change.code_before, change.code_after) == (("measurement", ""), ("new_lesion", ""))
        trail = store.rows("audit_log", "table_name = 'adjudication_reason_codes'", order_by="seq")
        assert trail[0]["action"] == "create" and '"measurement"' in trail[0]["new_value"]
        updates = {e["field"]: (e["old_value"], e["new_value"]) for e in trail if e["action"] == "update"}
        assert updates["code"] == ('"measurement"', '"new_lesion"') and "recorded_at" in updates
        assert trail[-1]["reason"] == "new liver lesion at week 16"
        undone = adj.undo_adjudication(session, change)
        assert adj.decision_for(session, "C01").reason_code == "measurement"
        redone = adj.undo_adjudication(session, undone)  # redo
        assert adj.decision_for(session, "C01").reason_code == "new_lesion"
        adj.undo_adjudication(session, redone)  # undo the change again, then the first decision: row and code gone
        adj.undo_adjudication(session, first)
        assert store.count("adjudications") == 0 and store.count("adjudication_reason_codes") == 0
        deleted = store.rows("audit_log", "table_name = 'adjudication_reason_codes' AND action = 'delete'")
        assert len(deleted) == 1 and deleted[0]["reason"] == "undo"


def test_redo_of_an_undone_first_decision_restores_its_code(path: Path) -> None:
    with open_as(path, "adj") as session:
        first = adj.adjudicate(session, subject_id="C03", chosen_reader=R2, reason="week 8 NE", reason_code="pd_timing")
        undone = adj.undo_adjudication(session, first)
        assert session.store.count("adjudication_reason_codes") == 0
        again = adj.undo_adjudication(session, undone)
        assert again.code_after == ("pd_timing", "") and adj.decision_for(session, "C03").reason_code == "pd_timing"


def test_signed_code_is_locked_and_signatures_still_verify(path: Path) -> None:
    with open_as(path, "adj") as session:
        adj.adjudicate(session, subject_id="C01", chosen_reader=R1, reason="true PR", reason_code="measurement")
        adj.sign_adjudication(session, subject_id="C01", password=PASSWORDS["adj"])
        decision = adj.decision_for(session, "C01")
        with pytest.raises(LockedError):
            adj.adjudicate(session, subject_id="C01", chosen_reader=R2, reason="change", reason_code="non_target")
        with pytest.raises(sqlite3.IntegrityError, match="locked"):  # the schema refuses it even behind the service
            session.store.update("adjudication_reason_codes", decision.id, {"code": "other"}, reason="tamper")
        assert verify_signatures(session.store) == []
        assert adj.decision_for(session, "C01").reason_code == "measurement"


def test_counts_in_stats_json_and_blinding(path: Path) -> None:
    with open_as(path, None) as system:  # no decision yet: no reason codes (only the queue's counts)
        assert cohort_stats(system).to_dict()["adjudication"] == {
            "counts": {"discordant": 2, "open": 2, "adjudicated": 0, "signed": 0, "unsigned": 0, "reopened": 0,
                       "imported": 0}
        }  # fmt: skip
    with open_as(path, "adj") as session:
        adj.adjudicate(session, subject_id="C01", chosen_reader=R1, reason="true PR", reason_code="measurement")
        adj.adjudicate(session, subject_id="C03", chosen_reader=R2, reason="NE at week 8", reason_code="pd_timing")
        session.store.insert("adjudications", {"subject_id": "C02", "chosen_reader": R1, "reason": "imported",
                                               "adjudicator": "old", "signed": 0})  # fmt: skip
    with open_as(path, None) as system:
        out = cohort_stats(system).to_dict()
        codes = out["adjudication"]["reason_codes"]
        assert codes["measurement"] == 1 and codes["pd_timing"] == 1 and codes["not_recorded"] == 1
        assert sum(codes.values()) == 3 and "subjects" in out and "response" in out  # nothing renamed
    with open_as(path, R1) as reader:  # a blinded reader learns nothing of the decisions
        with pytest.raises(PermissionError, match="cohort"):  # the cohort figures derive from others' reads
            cohort_stats(reader)
        with pytest.raises(adj.BlindingError):
            adj.reason_code_counts(reader)
