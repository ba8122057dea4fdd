"""Query / comment threads: life cycle, who may do what by role, blinding, audit, listing and CSV (issue 12 item 3)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from hccreview.domain.changes import ChangeKind
from hccreview.services import queries as q
from hccreview.services.queries import BlindingError
from hccreview.services.reading import unblind
from hccreview.services.review import ValidationError
from hccreview.store.audit import verify_chain
from tests.factories_central import R1, R2, central_study, open_as


@pytest.fixture
def path(study_path: Path) -> Path:
    central_study(study_path).close()
    return study_path


def _lesion_id(session, subject: str, reader: str, lesion: str = "T01") -> int:
    """The row id (read past the access policy: a test may name a row the user must not see)."""
    sql = "SELECT id FROM lesions WHERE subject_id = ? AND reader = ? AND lesion_id = ?"
    return int(session.store.conn.execute(sql, [subject, reader, lesion]).fetchone()[0])


def _only(session, subject: str = "C01") -> q.Thread:
    (thread,) = q.threads(session, subject)
    return thread


def test_query_life_cycle_open_answer_close_reopen_with_roles(path: Path) -> None:
    with open_as(path, "adj") as adj:
        audit_before = adj.store.count("audit_log")
        changes = q.open_thread(adj, subject_id="C01", title="Week 8 liver", text="Is T01 enhancing?",
                                target_kind="visit", target_ref="WEEK 8")  # fmt: skip
        assert changes.subjects == {"C01"} and changes.kinds == {ChangeKind.QUERIES}
        thread = _only(adj)
        assert (thread.state, thread.target, thread.opened_by) == ("open", "visit WEEK 8", "adj")
        assert q.open_counts(adj) == {"C01": 1}
        assert q.allowed_actions(adj, thread) == {"close"}  # the opener does not answer their own query
        with pytest.raises(PermissionError, match="another user"):
            q.answer(adj, query_id=thread.id, text="yes")
        assert adj.store.count("audit_log") > audit_before
    with open_as(path, R1) as reader:
        thread = _only(reader)
        assert q.allowed_actions(reader, thread) == {"answer"}
        with pytest.raises(PermissionError, match="opener, an adjudicator or an admin"):
            q.close(reader, query_id=thread.id)
        with pytest.raises(ValidationError):
            q.answer(reader, query_id=thread.id, text="  ")
        q.answer(reader, query_id=thread.id, text="Yes, arterial phase shows enhancement.")
        assert _only(reader).state == "answered" and q.open_counts(reader) == {}
    with open_as(path, "adj") as adj:
        q.close(adj, query_id=thread.id, text="Thanks")
        closed = _only(adj)
        assert (closed.state, closed.closed_by) == ("closed", "adj") and closed.closed_at
        with pytest.raises(PermissionError, match="closed"):
            q.answer(adj, query_id=thread.id, text="late")
    with open_as(path, R2) as other, pytest.raises(PermissionError, match="may not re-open"):
        q.reopen(other, query_id=thread.id, reason="disagree")
    with open_as(path, "admin") as admin:
        with pytest.raises(ValidationError):
            q.reopen(admin, query_id=thread.id, reason="")
        q.reopen(admin, query_id=thread.id, reason="the site sent new images")
        final = _only(admin)
        assert final.state == "open" and final.closed_by == "" and final.closed_at is None
        assert [m.action for m in final.messages] == ["open", "answer", "close", "reopen"]
        assert [m.author for m in final.messages] == ["adj", R1, "adj", "admin"]
        assert q.allowed_actions(admin, final) == {"answer", "close"}  # an admin may answer any query
        entries = admin.store.rows("audit_log", "table_name IN ('queries', 'query_messages')", order_by="seq")
        assert {e["action"] for e in entries} == {"create", "update"}
        assert any(e["field"] == "state" and e["old_value"] == '"closed"' and e["new_value"] == '"open"'
                   for e in entries)  # fmt: skip
        assert verify_chain(admin.store.conn).ok


def test_writes_need_a_signed_in_user_and_a_valid_target(path: Path) -> None:
    with open_as(path, None) as system, pytest.raises(PermissionError, match="sign in"):
        q.open_thread(system, subject_id="C01", title="t", text="x")
    with open_as(path, "adj") as adj:
        with pytest.raises(ValidationError, match="no visit"):
            q.open_thread(adj, subject_id="C01", title="t", text="x", target_kind="visit", target_ref="WEEK 99")
        other_patient_lesion = _lesion_id(adj, "C02", R1)
        with pytest.raises(ValidationError, match="no lesion"):
            q.open_thread(adj, subject_id="C01", title="t", text="x", target_kind="lesion",
                          target_ref=other_patient_lesion)  # fmt: skip
        with pytest.raises(ValidationError):
            q.open_thread(adj, subject_id="C01", title=" ", text="x")
        with pytest.raises(KeyError):
            q.open_thread(adj, subject_id="NOPE", title="t", text="x")
        assert adj.store.count("queries") == 0 and adj.store.count("query_messages") == 0


def test_no_message_is_written_without_a_signed_in_user(path: Path) -> None:
    """Every message is written under a user's name: the unsigned system context is refused each action."""
    with open_as(path, "adj") as adj:
        q.open_thread(adj, subject_id="C01", title="Week 8 liver", text="Is T01 enhancing?")
        query_id = _only(adj).id
    with open_as(path, None) as system:
        for service, words in ((q.answer, {"text": "Yes"}), (q.close, {}), (q.reopen, {"reason": "again"}),
                               (q.reply, {"text": "Seen."})):  # fmt: skip
            with pytest.raises(PermissionError) as refused:
                service(system, query_id=query_id, **words)
            assert str(refused.value) == "sign in first: queries and comments are written under a user's name"
        assert system.store.count("query_messages") == 1


def test_comment_has_no_state_and_takes_replies(path: Path) -> None:
    with open_as(path, R1) as reader:
        q.open_thread(reader, subject_id="C02", title="Note", text="Check the ascites at week 16", kind="comment")
        thread = _only(reader, "C02")
        assert thread.state is None and q.allowed_actions(reader, thread) == {"reply"}
        assert q.open_counts(reader) == {}  # a comment is not an open query
        with pytest.raises(PermissionError, match="no state"):
            q.close(reader, query_id=thread.id)
    with open_as(path, "admin") as admin:
        q.reply(admin, query_id=thread.id, text="Seen.")
        assert [m.text for m in _only(admin, "C02").messages] == ["Check the ascites at week 16", "Seen."]


def test_blinded_reader_never_sees_another_readers_threads(path: Path) -> None:
    with open_as(path, "adj") as adj:
        r2_lesion = _lesion_id(adj, "C01", R2)
        q.open_thread(adj, subject_id="C01", title="R2 T01 size", text="reader2 measured 32 mm", target_kind="lesion",
                      target_ref=r2_lesion)  # fmt: skip
        q.open_thread(adj, subject_id="C01", title="Patient level", text="Any prior TACE?")
        hidden_id = next(t.id for t in q.threads(adj, "C01") if t.title == "R2 T01 size")
    with open_as(path, R2) as r2:
        assert {t.title for t in q.threads(r2, "C01")} == {"R2 T01 size", "Patient level"}
        shared = next(t for t in q.threads(r2, "C01") if t.title == "Patient level")
        q.answer(r2, query_id=shared.id, text="My sum at week 8 is 56 mm")
        q.open_thread(r2, subject_id="C01", title="R2 own", text="mine")
    with open_as(path, R1) as r1:
        visible = q.threads(r1, "C01")
        assert [t.title for t in visible] == ["Patient level"]  # not reader2's lesion, not reader2's own thread
        (answer_msg,) = [m for m in visible[0].messages if m.action == "answer"]
        assert answer_msg.hidden and answer_msg.text == "" and "56 mm" not in repr(visible)
        assert q.open_counts(r1) == {}  # the shared query is answered; reader2's are hidden
        with pytest.raises(BlindingError):
            q.answer(r1, query_id=hidden_id, text="peek")
        with pytest.raises(PermissionError, match="may not see"):  # the store does not even show the lesion
            q.open_thread(r1, subject_id="C01", title="t", text="x", target_kind="lesion",
                          target_ref=_lesion_id(r1, "C01", R2))  # fmt: skip
        assert [r.title for r in q.listing(r1, state="all")] == ["Patient level"]
        assert all("56 mm" not in r.last_message for r in q.listing(r1, state="all"))
    with open_as(path, "admin") as admin:
        unblind(admin, "database lock")
    with open_as(path, R1) as r1:
        assert len(q.threads(r1, "C01")) == 3


def test_listing_and_csv(path: Path, tmp_path: Path) -> None:
    with open_as(path, "adj") as adj:
        q.open_thread(adj, subject_id="C03", title="PD date", text="Week 8 or week 16?")
        q.open_thread(adj, subject_id="C01", title="Baseline", text="Confirm baseline date")
        q.open_thread(adj, subject_id="C02", title="Comment", text="fyi", kind="comment")
    with open_as(path, R1) as r1:
        first = next(t for t in q.threads(r1) if t.subject_id == "C01")
        q.answer(r1, query_id=first.id, text="Baseline is 2024-01-01")
    with open_as(path, None) as system:
        assert [(r.subject_id, r.state) for r in q.listing(system)] == [("C03", "open")]
        every = q.listing(system, state="all")
        assert [(r.subject_id, r.state, r.messages) for r in every] == [("C01", "answered", 2), ("C03", "open", 1)]
        with pytest.raises(ValueError):
            q.listing(system, state="pending")
        out = q.write_csv(every, tmp_path / "queries.csv")
    with out.open(encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0]) == list(q.CSV_COLUMNS)
    assert [(r["subject_id"], r["state"], r["last_message"], r["last_message_by"]) for r in table] == [
        ("C01", "answered", "Baseline is 2024-01-01", R1),
        ("C03", "open", "Week 8 or week 16?", "adj"),
    ]
