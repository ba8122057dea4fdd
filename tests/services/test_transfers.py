"""Data transfers into an existing study (issue 12 items 1-2): preview, apply, review status, re-adjudication.

The real recist delivery is imported, patients are marked reviewed, an adjudication is signed, then a changed
copy (one measurement altered, one AE added, one subject's assessment removed) arrives as transfer 2.

Accounts (DESIGN §4b): ``importer`` (admin: imports the deliveries and manages users), ``rev`` (admin, the data
manager who marks records reviewed) and ``adj`` (adjudicator). Source records change only through a transfer.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from hccreview.domain.access import AccessDenied
from hccreview.services import adjudication as adj
from hccreview.services import record_review
from hccreview.services.auth import sign_in
from hccreview.services.importing import import_into
from hccreview.services.session import open_study
from hccreview.services.transfers import TransferStale, apply_transfer, list_transfers, preview_transfer
from hccreview.services.verify import verify_study
from hccreview.store import Store
from hccreview.store.review_state import review_states
from hccreview.store.study_data import load_study, review_tables_digest
from hccreview.store.users import User, authenticate, create_user
from tests.factories import signed_as, source_transfer

ALTERED, ADDED_AE, REMOVED = "01-701-1015", "01-701-1015", "01-701-1028"
PASSWORD = "adjudicator-secret"
IMPORTER_PASSWORD, REV_PASSWORD = "importer-secret", "reviewer-secret"


def importer(path: Path) -> User:
    """The admin who imports deliveries into the study (signed in with a password)."""
    with Store.open(path) as store:
        return authenticate(store, "importer", IMPORTER_PASSWORD)


def changed_copy(sdtm_root: Path, dst: Path) -> Path:
    """A copy of recist/ with one measurement altered, one AE added and one assessment removed (radiologist 2,
    2013-08-30, of 01-701-1028: its 4 tumour measurements and its overall response)."""
    shutil.copytree(sdtm_root / "recist", dst)
    tr = pd.read_csv(dst / "tr.csv", dtype=str, keep_default_na=False)
    rs = pd.read_csv(dst / "rs.csv", dtype=str, keep_default_na=False)
    ae = pd.read_csv(dst / "ae.csv", dtype=str, keep_default_na=False)
    assert (tr.loc[0, "USUBJID"], tr.loc[0, "TRTESTCD"], tr.loc[0, "TRSTRESN"]) == (ALTERED, "LDIAM", "21")
    tr.loc[0, ["TRORRES", "TRSTRESC", "TRSTRESN"]] = "25"
    tr = tr[~((tr.USUBJID == REMOVED) & (tr.TREVALID == "RADIOLOGIST 2") & (tr.TRDTC == "2013-08-30"))]
    rs = rs[~((rs.USUBJID == REMOVED) & (rs.RSEVALID == "RADIOLOGIST 2") & (rs.RSDTC == "2013-08-30"))]
    mine = ae[ae.USUBJID == ADDED_AE]
    extra = mine.iloc[[-1]].copy()
    extra["AESEQ"] = str(int(mine.AESEQ.astype(int).max()) + 1)
    extra[["AETERM", "AEDECOD"]] = "NAUSEA"
    pd.concat([ae, extra]).to_csv(dst / "ae.csv", index=False)
    tr.to_csv(dst / "tr.csv", index=False)
    rs.to_csv(dst / "rs.csv", index=False)
    return dst


def build_study(sdtm_root: Path, path: Path) -> Path:
    """recist/ imported (transfer 1), three patients reviewed, 01-701-1028 adjudicated and signed."""
    import_into(path, fmt="sdtm", source=sdtm_root / "recist", user="importer")
    with Store.open(path, user="importer") as store:  # the study's first account (no accounts yet: allowed)
        create_user(store, username="importer", full_name="Data Importer", role="admin", password=IMPORTER_PASSWORD)
        with signed_as(store, "importer"):  # every later account is the admin's to create
            create_user(store, username="adj", full_name="Dr Adj", role="adjudicator", password=PASSWORD)
            create_user(store, username="rev", full_name="Data Manager", role="admin", password=REV_PASSWORD)
    with open_study(path, user="rev") as session:
        sign_in(session, "rev", REV_PASSWORD)
        for sid in ("01-701-1015", "01-701-1028", "01-701-1034"):
            record_review.mark_reviewed(session, subject_id=sid)
    with open_study(path) as session:
        sign_in(session, "adj", PASSWORD)
        adj.adjudicate(
            session, subject_id=REMOVED, chosen_reader="radiologist-2", reason="PD at week 6", reason_code="pd_timing"
        )
        adj.sign_adjudication(session, subject_id=REMOVED, password=PASSWORD)
    return path


@pytest.fixture
def study(sdtm_root: Path, tmp_path: Path) -> Path:
    return build_study(sdtm_root, tmp_path / "study.db")


def test_preview_lists_exactly_the_changes_and_writes_nothing(study: Path, sdtm_root: Path, tmp_path: Path) -> None:
    source = changed_copy(sdtm_root, tmp_path / "v2")
    admin = importer(study)
    before = study.read_bytes()
    preview = preview_transfer(study, fmt="sdtm", source=source, user=admin)
    assert study.read_bytes() == before
    summary = sorted((c.subject_id, c.kind, c.status, c.label) for c in preview.diff.changes)
    removed = [(REMOVED, "measurements", "removed", f"radiologist-2 T0{i} 2013-08-30") for i in (2, 3, 4, 5)]
    assert summary == [
        (ALTERED, "adverse_events", "new", "#4 NAUSEA"),
        (ALTERED, "measurements", "changed", "radiologist-1 T01 2014-01-02"),
        *removed,
        (REMOVED, "reads", "removed", "radiologist-2 2013-08-30"),
    ]
    changed = next(c for c in preview.diff.changes if c.status == "changed")
    assert changed.value_changes() == [("diameter_mm", 21.0, 25.0)]
    counts = preview.diff.counts()
    assert counts["measurements"] == {"new": 0, "changed": 1, "removed": 4}
    assert counts["adverse_events"] == {"new": 1, "changed": 0, "removed": 0}
    assert counts["reads"] == {"new": 0, "changed": 0, "removed": 1}
    assert sum(sum(c.values()) for k, c in counts.items() if k not in ("measurements", "adverse_events", "reads")) == 0
    assert preview.diff.new_subjects == [] and preview.diff.absent_subjects == []
    assert (
        set(preview.readjudication) == {REMOVED}
        and "removed reads (source) radiologist-2" in preview.readjudication[REMOVED]
    )
    assert {f["name"] for f in preview.files} == {p.name for p in source.iterdir()}
    assert all(len(f["sha256"]) == 64 for f in preview.files)


def test_apply_marks_changed_since_review_and_needs_readjudication(
    study: Path, sdtm_root: Path, tmp_path: Path
) -> None:
    source = changed_copy(sdtm_root, tmp_path / "v2")
    with Store.open(study, user="rev") as store:  # review states are per user: rev's marks
        assert {s: review_states(store)[s] for s in (ALTERED, REMOVED)} == {ALTERED: "reviewed", REMOVED: "reviewed"}
        measurements_before = store.count("measurements")
    result = import_into(study, fmt="sdtm", source=source, user=importer(study))
    assert result.transfer_id == 2 and not result.created and result.backup is not None
    assert set(result.readjudication) == {REMOVED}
    with open_study(study, user="rev") as session:
        store = session.store
        assert store.count("measurements") == measurements_before - 4
        states = review_states(store)
        assert states[ALTERED] == "changed since review" and states[REMOVED] == "changed since review"
        assert states["01-701-1034"] == "reviewed"  # untouched by the transfer
        review = record_review.patient_review(session, ALTERED)
        assert review.changed_kinds == ["adverse_events", "assessments"]
        assert review.kinds["cycles"].state == "reviewed" and review.kinds["cycles"].reviewed_by == "rev"
        lines = review.kinds["assessments"].changes
        assert len(lines) == 1 and "diameter_mm 21.0 → 25.0" in lines[0] and "transfer 2" in lines[0]
        assert "new adverse_events" in review.kinds["adverse_events"].changes[0]
        flagged = record_review.patient_review(session, REMOVED).readjudication
        assert len(flagged) == 1 and "transfer 2" in flagged[0] and "radiologist-2 2013-08-30" in flagged[0]
        sign_in(session, "adj", PASSWORD)
        queue = {q.subject_id: q for q in adj.discordance_queue(session)}
        assert queue["01-701-1133"].needs_readjudication == ""
        assert REMOVED not in queue  # without radiologist 2's week-6 PD the two reads now agree (both SD)
        decision = adj.decision_for(session, REMOVED)
        assert decision is not None and decision.locked  # the signed decision itself is untouched
        audit = store.rows("audit_log", "table_name = 'transfers'")
        assert [a["action"] for a in audit] == ["create", "create"]
        deletes = store.rows("audit_log", "action = 'delete' AND table_name IN ('measurements', 'reads')")
        assert len(deletes) == 5 and all(d["reason"].startswith("transfer 2") for d in deletes)
    transfers = list_transfers_of(study)
    assert [t["id"] for t in transfers] == [1, 2] and transfers[0]["created_study"]
    assert transfers[1]["counts"]["measurements"] == {"new": 0, "changed": 1, "removed": 4}
    assert transfers[1]["username"] == "importer" and len(transfers[1]["files"]) == 7
    assert all(check.ok for check in verify_study(study))


def list_transfers_of(path: Path) -> list[dict]:
    with Store.open(path) as store:
        return list_transfers(store)


def test_readjudication_clears_when_signed_again(study: Path, sdtm_root: Path, tmp_path: Path) -> None:
    import_into(study, fmt="sdtm", source=changed_copy(sdtm_root, tmp_path / "v2"), user=importer(study))
    with Store.open(study, user="importer") as store, signed_as(store, "importer"):
        create_user(store, username="boss", full_name="Admin", role="admin", password="admin-secret-1")
    with open_study(study) as session:
        sign_in(session, "boss", "admin-secret-1")
        adj.reopen(session, subject_id=REMOVED, reason="evidence changed by transfer 2")
    with open_study(study) as session:
        sign_in(session, "adj", PASSWORD)
        adj.adjudicate(
            session, subject_id=REMOVED, chosen_reader="radiologist-1", reason="read withdrawn", reason_code="pd_timing"
        )
        assert record_review.patient_review(session, REMOVED).readjudication  # still open until signed
        adj.sign_adjudication(session, subject_id=REMOVED, password=PASSWORD)
        assert record_review.patient_review(session, REMOVED).readjudication == []
        assert {q.subject_id: q.needs_readjudication for q in adj.discordance_queue(session)}.get(REMOVED, "") == ""


def test_review_data_is_never_touched(study: Path, sdtm_root: Path, tmp_path: Path) -> None:
    with open_study(study) as session:
        sign_in(session, "adj", PASSWORD)
        n_adjudications = session.store.count("adjudications")
    with Store.open(study) as store, signed_as(store, "importer"):  # radiologist 1 now reads in hccreview too
        create_user(store, username="radiologist-1", full_name="Radiologist 1", role="reader", password="reader-secret")
    with Store.open(study) as store, signed_as(store, "radiologist-1"):  # their read, on a date the source also has
        store.insert("reads", {"subject_id": ALTERED, "reader": "radiologist-1", "role": "reader",
                               "date": "2014-01-23", "overall": "PR", "entered_by": "radiologist-1"})  # fmt: skip
    admin = importer(study)
    preview = preview_transfer(study, fmt="sdtm", source=changed_copy(sdtm_root, tmp_path / "v2"), user=admin)
    assert any("radiologist-1 2014-01-23 not applied" in n for n in preview.diff.skipped)
    assert all(c.old is None or not c.old.get("entered_by") for c in preview.diff.changes)
    apply_transfer(preview, user=admin)
    with Store.open(study) as store:
        mine = store.rows("reads", "entered_by = 'radiologist-1'")
        assert [(r["overall"], r["date"]) for r in mine] == [("PR", "2014-01-23")]
        source = store.rows("reads", "subject_id = ? AND reader = 'radiologist-1' AND date = '2014-01-23' "
                                     "AND entered_by = ''", [ALTERED])  # fmt: skip
        assert [r["overall"] for r in source] == ["SD"]  # still delivered: not removed "from the source"
        assert store.count("adjudications") == n_adjudications


def test_a_study_changed_after_the_preview_is_not_written(study: Path, sdtm_root: Path, tmp_path: Path) -> None:
    preview = preview_transfer(study, fmt="sdtm", source=changed_copy(sdtm_root, tmp_path / "v2"), user=importer(study))
    with Store.open(study) as store, source_transfer(store, admin="importer"):  # a source correction meanwhile
        row = store.rows("measurements", "subject_id = ?", [ALTERED])[0]
        store.update("measurements", row["id"], {"diameter_mm": 30.0}, reason="correction")
    with Store.open(study) as store:
        before = store.count("audit_log")
    with pytest.raises(TransferStale):
        apply_transfer(preview, user=importer(study))
    with Store.open(study) as store:
        assert store.count("audit_log") == before and len(list_transfers(store)) == 1


def test_an_edit_makes_a_reviewed_kind_changed_and_undo_restores(study: Path) -> None:
    with open_study(study, user="rev") as session:
        sign_in(session, "rev", REV_PASSWORD)
        store = session.store
        row = store.rows("cycles", "subject_id = ?", ["01-701-1034"])[0]
        before = review_tables_digest(store)
        with pytest.raises(AccessDenied, match="source records are read-only"):  # not by a reviewer (DESIGN §4b)
            store.update("cycles", row["id"], {"dose_mg": 0.0}, reason="site correction")
        assert review_tables_digest(store) == before
        with source_transfer(store, admin="importer"):  # the site's correction arrives in a data transfer
            store.update("cycles", row["id"], {"dose_mg": 0.0}, reason="site correction")
        review = record_review.patient_review(session, "01-701-1034")
        assert review.state == "changed since review" and review.changed_kinds == ["cycles"]
        assert "dose_mg" in review.kinds["cycles"].changes[0] and "site correction" in review.kinds["cycles"].changes[0]
        edit = record_review.mark_reviewed(session, subject_id="01-701-1034", kinds=["cycles"])
        assert record_review.patient_review(session, "01-701-1034").state == "reviewed"
        record_review.undo_mark(session, edit)
        assert record_review.patient_review(session, "01-701-1034").changed_kinds == ["cycles"]
        edit = record_review.mark_reviewed(session, subject_id="01-701-1097", kinds=["cycles"])
        assert review_states(store)["01-701-1097"] == "in progress"
        assert record_review.patient_review(session, "01-701-1097").kinds["adverse_events"].state == "not reviewed"
        record_review.undo_mark(session, edit)
        assert "01-701-1097" not in review_states(store) or review_states(store)["01-701-1097"] == "not started"
        audited = store.rows("audit_log", "table_name = 'record_review'")
        assert {a["action"] for a in audited} == {"create", "update", "delete"}


def test_dry_run_and_an_identical_delivery(study: Path, sdtm_root: Path, tmp_path: Path) -> None:
    admin = importer(study)
    before = study.read_bytes()
    dry = import_into(study, fmt="sdtm", source=changed_copy(sdtm_root, tmp_path / "v2"), dry_run=True, user=admin)
    assert dry.dry_run and dry.transfer_id is None and study.read_bytes() == before
    assert "nothing was written" in dry.summary() and "01-701-1028" in dry.summary()
    same = import_into(study, fmt="sdtm", source=sdtm_root / "recist", user=admin)
    assert same.preview.diff.empty and same.transfer_id == 2
    with Store.open(study, user="rev") as store:
        assert review_states(store)["01-701-1015"] == "reviewed"
        assert len(load_study(store).measurements) == 273


def test_a_signed_case_that_stays_discordant_shows_in_the_queue(study: Path, sdtm_root: Path, tmp_path: Path) -> None:
    """01-701-1133 (readers disagree on progression) is signed; a transfer corrects one of radiologist 2's
    baseline diameters (19.57 → 19.9 mm): the case stays in the queue, flagged "needs re-adjudication"."""
    sid = "01-701-1133"
    with open_study(study) as session:
        sign_in(session, "adj", PASSWORD)
        adj.adjudicate(session, subject_id=sid, chosen_reader="radiologist-1", reason="PD", reason_code="pd_timing")
        adj.sign_adjudication(session, subject_id=sid, password=PASSWORD)
    source = tmp_path / "v3"
    shutil.copytree(sdtm_root / "recist", source)
    tr = pd.read_csv(source / "tr.csv", dtype=str, keep_default_na=False)
    row = tr.index[tr.USUBJID.eq(sid) & (tr.TREVALID == "RADIOLOGIST 2") & (tr.TRSTRESN == "19.57")][0]
    tr.loc[row, ["TRORRES", "TRSTRESC", "TRSTRESN"]] = "19.9"
    tr.to_csv(source / "tr.csv", index=False)
    result = import_into(study, fmt="sdtm", source=source, user=importer(study))
    assert [(c.subject_id, c.kind, c.status) for c in result.preview.diff.changes] == [(sid, "measurements", "changed")]
    with open_study(study) as session:
        sign_in(session, "adj", PASSWORD)
        item = next(q for q in adj.discordance_queue(session) if q.subject_id == sid)
        assert item.status == "signed" and item.needs_readjudication.startswith("transfer 2")
        assert "diameter_mm 19.57 → 19.9" in item.needs_readjudication
