"""Discordance queue, decisions with reason and role, e-signature lock, re-opening, audit (issue 7; DESIGN §4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.cohort import compute_cohort_stats
from hccreview.services import adjudication as adj
from hccreview.services.adjudication import LockedError, ValidationError
from hccreview.services.auth import AuthError
from hccreview.services.verify import verify_study
from hccreview.store.review_state import audit_entries_for
from hccreview.store.signatures import signature_valid, signatures_for, verify_signatures
from tests.factories_central import PASSWORDS, R1, R2, central_study, open_as


@pytest.fixture
def path(study_path: Path) -> Path:
    central_study(study_path).close()
    return study_path


def _stats(session):
    return compute_cohort_stats(session.data(), "adjudicated")


def test_queue_finds_bor_and_progression_date_discordance(path: Path) -> None:
    with open_as(path, "adj") as session:
        queue = adj.discordance_queue(session)
        assert [(q.subject_id, q.readers, q.bor_a, q.bor_b, q.status) for q in queue] == [
            ("C01", (R1, R2), "PR", "SD", "open"),
            ("C03", (R1, R2), "PD", "PD", "open"),
        ]
        assert "best overall response differs" in queue[0].reasons[0]
        assert queue[1].reasons == ["progression dates differ by 56 d (> 0 d)"]
        assert adj.queue_counts(queue).to_dict() == {
            "discordant": 2,
            "open": 2,
            "adjudicated": 0,
            "signed": 0,
            "unsigned": 0,
            "reopened": 0,
            "imported": 0,
        }
        assert adj.next_in_queue(queue, None) == "C01" and adj.next_in_queue(queue, "C01") == "C03"
        assert adj.next_in_queue(queue, "C03") is None and adj.next_in_queue(queue, "C03", forward=False) == "C01"
        inv = adj.discordance_queue(session, "investigator")
        assert [(q.subject_id, q.readers[0], q.bor_a, q.bor_b) for q in inv] == [("C02", "investigator", "PD", "SD")]
        with pytest.raises(ValueError):
            adj.discordance_queue(session, "everyone")


def test_tolerance_setting_changes_the_queue(path: Path) -> None:
    with open_as(path, "admin") as session:
        session.store.update_settings(discordance_pd_days=60, reason="protocol: 60 days")
        assert [q.subject_id for q in adj.discordance_queue(session)] == ["C01"]


def test_comparison_shows_both_reads_side_by_side(path: Path) -> None:
    with open_as(path, "adj") as session:
        c = adj.case_comparison(session, "C01")
        assert c.readers == (R1, R2) and c.choices == [R1, R2] and c.decision is None and not c.locked
        assert str(c.sides[R1].bor.confirmed) == "PR" and str(c.sides[R2].bor.confirmed) == "SD"
        assert c.sides[R1].baseline_sum_mm == c.sides[R2].baseline_sum_mm == 70.0
        first = c.rows[0]
        assert (first.sides[R1].target_sum_mm, first.sides[R2].target_sum_mm) == (43.0, 56.0)
        assert {"stated_overall", "computed_overall", "target_sum_mm"} <= set(first.differs)
        assert c.discordance is not None and c.discordance.discordant and c.investigator_bor == "PR"
        lesion = next(row for row in c.sides[R2].lesions if row.lesion_id == "T01")
        assert list(lesion.sizes.values()) == [40.0, 32.0, 31.0, 30.0]
        c3 = adj.case_comparison(session, "C03")
        week8 = c3.rows[0]
        assert week8.sides[R2].computed_overall == "NE" and week8.sides[R1].computed_overall == "PD"
        assert c3.rows[1].differs == ["missing"]  # reader1 stopped reading at their PD


def test_adjudication_requires_the_role_and_a_reason(path: Path) -> None:
    for name in (None, R1):
        with open_as(path, name) as session, pytest.raises(PermissionError):
            adj.adjudicate(session, subject_id="C01", chosen_reader=R1, reason="clear", reason_code="measurement")
    with open_as(path, "adj") as session:
        before = session.store.count("audit_log")
        for reason in ("", "   ", None):
            with pytest.raises(ValidationError):
                adj.adjudicate(session, subject_id="C01", chosen_reader=R1, reason=reason, reason_code="measurement")  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            adj.adjudicate(
                session, subject_id="C01", chosen_reader="investigator", reason="site read", reason_code="measurement"
            )
        assert session.store.count("audit_log") == before and session.store.count("adjudications") == 0


def test_full_flow_decide_sign_lock_reopen_and_figures(path: Path) -> None:
    with open_as(path, "adj") as session:
        before = _stats(session)
        assert (before.orr.n, before.pending, before.to_dict()["provisional"]) == (0, ["C01", "C03"], True)
        edit = adj.adjudicate(
            session, subject_id="C01", chosen_reader=R2, reason="shrinkage below 30 %", reason_code="measurement"
        )
        assert edit.old_values == {} and adj.decision_for(session, "C01").chosen_reader == R2
        assert _stats(session).orr.n == 0
        change = adj.adjudicate(
            session,
            subject_id="C01",
            chosen_reader=R1,
            reason="reader 2 measured T01 obliquely",
            reason_code="measurement",
        )
        assert change.old_values["chosen_reader"] == R2 and session.store.count("adjudications") == 1
        after = _stats(session)
        assert after.orr.n == 1 and after.pending == ["C03"] and after.bor_counts["PR"] == 1
        assert after.to_dict()["pending"] == 1
        assert [q.status for q in adj.discordance_queue(session)] == ["adjudicated", "open"]
        # undo (before sign-off) writes the old values back
        adj.undo_adjudication(session, change)
        assert adj.decision_for(session, "C01").chosen_reader == R2
        redo = adj.adjudicate(
            session,
            subject_id="C01",
            chosen_reader=R1,
            reason="reader 2 measured T01 obliquely",
            reason_code="measurement",
        )

        # e-signature: a wrong password refuses and writes nothing
        n_audit = session.store.count("audit_log")
        with pytest.raises(AuthError):
            adj.sign_adjudication(session, subject_id="C01", password="wrong password")
        assert session.store.count("audit_log") == n_audit and session.store.count("signatures") == 0
        assert not adj.decision_for(session, "C01").locked
        signature = adj.sign_adjudication(session, subject_id="C01", password=PASSWORDS["adj"])
        assert (signature.username, signature.full_name, signature.meaning) == ("adj", "Dr Adj", "adjudicated")
        assert signature.signed_at.endswith("+00:00") and signature.subject_id == "C01"
        assert signature.changes == Changes.of("C01", kinds={ChangeKind.ADJUDICATIONS, ChangeKind.SIGNATURES})
        decision = adj.decision_for(session, "C01")
        assert decision.locked and decision.signature["id"] == signature.id
        assert [q.status for q in adj.discordance_queue(session)] == ["signed", "open"]

        # a signed case is locked
        with pytest.raises(LockedError):
            adj.adjudicate(
                session, subject_id="C01", chosen_reader=R2, reason="second thoughts", reason_code="measurement"
            )
        with pytest.raises(LockedError):
            adj.undo_adjudication(session, redo)
        with pytest.raises(LockedError):
            adj.sign_adjudication(session, subject_id="C01", password=PASSWORDS["adj"])
        assert _stats(session).orr.n == 1
    with open_as(path, R1) as session, pytest.raises(PermissionError):  # a reader cannot re-open (DESIGN §4b)
        adj.reopen(session, subject_id="C01", reason="readers cannot re-open")

    # re-opening: admin only, with a reason; the signed decision and its signature stay
    with open_as(path, "admin") as session:
        with pytest.raises(ValidationError):
            adj.reopen(session, subject_id="C01", reason=" ")
        with pytest.raises(ValidationError):
            adj.reopen(session, subject_id="C03", reason="nothing signed there")
        adj.reopen(session, subject_id="C01", reason="sponsor query 17: recheck T01")
        decision = adj.decision_for(session, "C01")
        assert decision.status == "reopened" and decision.reopened_by == "admin" and not decision.locked
        assert _stats(session).orr.n == 1  # the decision stands until a new one is recorded
        old_sig = signatures_for(session.store, "adjudications", decision.id)
        assert len(old_sig) == 1 and signature_valid(session.store, old_sig[0])

    with open_as(path, "adj") as session:
        adj.adjudicate(
            session, subject_id="C01", chosen_reader=R2, reason="recheck: T01 shrinkage 22 %", reason_code="measurement"
        )
        history = adj.case_comparison(session, "C01").history
        assert [(d.chosen_reader, d.status) for d in history] == [(R1, "reopened"), (R2, "open")]
        assert _stats(session).orr.n == 0
        adj.sign_adjudication(session, subject_id="C01", password=PASSWORDS["adj"])
        assert adj.decision_for(session, "C01").locked
        assert verify_signatures(session.store) == []

        # the audit trail holds every step
        trail = audit_entries_for(session.store, "C01")
        reasons = [e["reason"] for e in trail]
        for text in ("shrinkage below 30 %", "undo", "sponsor query 17: recheck T01", "recheck: T01 shrinkage 22 %"):
            assert text in reasons
        status_changes = [(e["old_value"], e["new_value"]) for e in trail if e["field"] == "status"]
        assert status_changes == [('"open"', '"signed"'), ('"signed"', '"reopened"'), ('"open"', '"signed"')]
        actions = [e["action"] for e in session.store.rows("audit_log", order_by="seq")]
        assert actions.count("sign") == 2
    assert all(check.ok for check in verify_study(path))


def test_only_the_deciding_adjudicator_signs(path: Path) -> None:
    with open_as(path, "adj") as session:
        adj.adjudicate(
            session, subject_id="C03", chosen_reader=R2, reason="week 8 growth within error", reason_code="pd_timing"
        )
    with open_as(path, "admin") as session, pytest.raises(PermissionError):
        adj.sign_adjudication(session, subject_id="C03", password=PASSWORDS["admin"])
    with open_as(path, "adj") as session:
        with pytest.raises(ValidationError):
            adj.sign_adjudication(session, subject_id="C01", password=PASSWORDS["adj"])  # nothing decided
        adj.sign_adjudication(session, subject_id="C03", password=PASSWORDS["adj"])


def test_reader_performance(path: Path) -> None:
    with open_as(path, "adj") as session:
        adj.adjudicate(session, subject_id="C01", chosen_reader=R1, reason="true PR", reason_code="measurement")
        adj.adjudicate(
            session, subject_id="C03", chosen_reader=R2, reason="week 8 growth equivocal", reason_code="pd_timing"
        )
        perf = adj.reader_performance(session)
    assert perf["readers"] == [R1, R2] and perf["n_pending"] == 0 and perf["n_resolved"] == 3
    r1, r2 = perf["per_reader"][R1], perf["per_reader"][R2]
    assert (r1["adjudicated_cases"], r1["chosen"], r1["chosen_percent"]) == (2, 1, 50.0)
    # agreement with the final BOR: reader1 PR/SD/PD vs final PR/SD/PD; reader2 SD/SD/PD
    assert r1["vs_adjudicated"]["percent_agreement"] == 100.0 and r1["vs_adjudicated"]["kappa"] == pytest.approx(1.0)
    assert r2["vs_adjudicated"]["n_agree"] == 2
    assert (r1["patients_read"], r1["pending"], r1["vs_adjudicated"]["n"]) == (3, 0, 3)
    pair = perf["reader_pairs"][0]
    assert pair["readers"] == [R1, R2] and pair["n"] == 3 and pair["discordant"] == ["C01", "C03"]
    assert pair["kappa"] == pytest.approx(0.5)
    inv = perf["investigator_vs_central"]
    # C01 no PD in either (d); C02 investigator PD week 8 vs central week 16 (a2); C03 both week 16 (a1)
    assert inv["discrepancy"]["counts"] == {"a1": 1, "a2": 1, "a3": 0, "b": 0, "c": 0, "d": 1}
    assert inv["discrepancy"]["edr"] == pytest.approx(0.5) and inv["discrepancy"]["ldr"] == 0.0


def test_reader_agreement_shows_its_denominators_while_cases_are_pending(path: Path) -> None:
    """Issue 18 item 3: agreement with the adjudicated result is over the resolved patients only; the patients each
    reader read and those pending are given beside it, so a "100 %" over the agreed cases is never implied."""
    with open_as(path, "adj") as session:
        perf = adj.reader_performance(session)
    for name in (R1, R2):
        block = perf["per_reader"][name]
        assert (block["patients_read"], block["pending"], block["vs_adjudicated"]["n"]) == (3, 2, 1)


def test_real_sdtm_reads_use_the_accepted_flags(sdtm_root: Path, tmp_path: Path) -> None:
    """pharmaverse ``recist/``: RSACPTFL = Y marks the adjudicated read; nothing is pending (issue 7 item 6)."""
    from hccreview.domain import recist
    from hccreview.services.importing import import_into
    from hccreview.services.session import open_study

    study = tmp_path / "recist.db"
    import_into(study, fmt="sdtm", source=sdtm_root / "recist")
    with open_study(study) as session:
        data = session.data()
        stats = compute_cohort_stats(data, "adjudicated")
        out = stats.to_dict()
        assert out["provisional"] is False and out["pending"] == 0 and out["provisional_note"] is None
        central = {r.subject_id for r in data.reads if r.role.value == "reader"}
        assert len(central) == 8
        for outcome in stats.subjects:
            if outcome.subject_id not in central:
                continue
            assert outcome.source_rule.startswith("accepted reads")
            accepted = [(r.date, r.overall) for r in data.reads if r.subject_id == outcome.subject_id and r.accepted]
            expected = recist.best_overall_response(accepted, outcome.origin, data.settings)
            assert outcome.bor == str(expected.confirmed)
        # discordant reads settled by the source's flags show as adjudicated in the queue
        queue = adj.queue_from_data(data, "central")
        assert queue and all(q.status == "imported" and q.decided_by == adj.ACCEPTED_FLAGS for q in queue)
        # an adjudicator's decision takes precedence over the flags, and the figures say so
        from hccreview.services.auth import add_user, sign_in
        from hccreview.store.users import create_user

        create_user(session.store, username="boss", full_name="Admin", role="admin", password="boss-password")
        sign_in(session, "boss", "boss-password")
        add_user(session, username="adj", full_name="Adj", role="adjudicator", password="adj-password")
        sign_in(session, "adj", "adj-password")
        q = queue[0]
        other = next(r for r in q.readers)
        adj.adjudicate(
            session,
            subject_id=q.subject_id,
            chosen_reader=other,
            reason="re-read at the meeting",
            reason_code="measurement",
        )
        outcome = {o.subject_id: o for o in compute_cohort_stats(session.data(), "adjudicated").subjects}[q.subject_id]
        assert outcome.reader == other and outcome.source_rule.startswith("adjudicated (unsigned)")


def test_the_whole_flow_on_the_demo_study(tmp_path: Path) -> None:
    """Demo study (DESIGN §5): reader reads blinded, adjudicator works through every discordant case with the
    impact preview, signs; the figures become what the preview showed; verify passes."""
    from hccreview.demo.design import DEMO_USERS
    from hccreview.services import auth, reading
    from hccreview.services.demo_study import build_demo_study
    from hccreview.services.session import open_study

    path = build_demo_study(tmp_path / "demo.db")
    passwords = {u.username: u.password for u in DEMO_USERS}
    with open_study(path) as session:
        assert auth.demo_users_hint(session) == [(u.username, u.password) for u in DEMO_USERS]
        auth.sign_in(session, "reader1", passwords["reader1"])
        queue_ids = {q.subject_id for q in adj.queue_from_data(session.data(), "central")}
        item = next(w for w in reading.reader_worklist(session) if w.subject_id not in queue_ids and w.read_dates)
        last = item.read_dates[-1]
        with pytest.raises(PermissionError, match="needs a reason"):  # changing a recorded read needs a reason
            reading.record_read(session, item.subject_id, last, overall=None, target="", non_target="")
        reading.record_read(session, item.subject_id, last, overall=None, target="", non_target="",
                            change_reason="components re-read")  # fmt: skip
        with pytest.raises(reading.BlindingError):
            reading.get_reads(session, item.subject_id, "reader2")
    with open_study(path) as session:
        auth.sign_in(session, "reader2", passwords["reader2"])
        with pytest.raises(reading.BlindingError):
            reading.get_reads(session, item.subject_id, "reader1")
        with pytest.raises(reading.BlindingError):
            adj.discordance_queue(session)

    with open_study(path) as session:
        auth.sign_in(session, "adjudicator", passwords["adjudicator"])
        queue = adj.discordance_queue(session)
        assert len(queue) >= 5 and adj.queue_counts(queue).open == len(queue)
        subject = adj.next_in_queue(queue, None, status="open")
        while subject is not None:
            item = next(q for q in queue if q.subject_id == subject)
            preview = adj.impact_preview(session, subject)
            choice = item.readers[0]
            adj.adjudicate(
                session,
                subject_id=subject,
                chosen_reader=choice,
                reason=f"meeting: {choice} agreed",
                reason_code="measurement",
            )
            with pytest.raises(AuthError):
                adj.sign_adjudication(session, subject_id=subject, password="not it")
            adj.sign_adjudication(session, subject_id=subject, password=passwords["adjudicator"])
            assert adj.current_figures(session, subject) == preview[choice]
            with pytest.raises(LockedError):
                adj.adjudicate(
                    session,
                    subject_id=subject,
                    chosen_reader=item.readers[1],
                    reason="late change",
                    reason_code="measurement",
                )
            subject = adj.next_in_queue(queue, subject, status="open")
        final = adj.discordance_queue(session)
        assert adj.queue_counts(final).signed == len(queue)
        figures = adj.current_figures(session)
        assert figures["pending"] == 0 and not figures["provisional"]
        assert (
            len(signatures_for(session.store, "adjudications", adj.decision_for(session, queue[0].subject_id).id)) == 1
        )
        assert verify_signatures(session.store) == []
    assert all(check.ok for check in verify_study(path))


def test_a_signed_then_reopened_decision_is_never_altered_by_undo(path: Path) -> None:
    with open_as(path, "adj") as session:
        first = adj.adjudicate(session, subject_id="C01", chosen_reader=R2, reason="first", reason_code="measurement")
        change = adj.adjudicate(session, subject_id="C01", chosen_reader=R1, reason="second", reason_code="measurement")
        adj.sign_adjudication(session, subject_id="C01", password=PASSWORDS["adj"])
    with open_as(path, "admin") as session:
        adj.reopen(session, subject_id="C01", reason="query")
    with open_as(path, "adj") as session:
        for edit in (change, first):
            with pytest.raises(LockedError):
                adj.undo_adjudication(session, edit)
        assert verify_signatures(session.store) == []
