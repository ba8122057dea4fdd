"""E-signatures: re-authentication, name / time / meaning, record link, one transaction (21 CFR Part 11)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import pytest

from hccreview.domain.records import Role, Subject
from hccreview.store import Store, audit
from hccreview.store.signatures import (
    canonical_json,
    record_hash,
    sign,
    signature_valid,
    signatures_for,
    verify_signatures,
)
from hccreview.store.study_data import write_records
from hccreview.store.users import AuthError, create_user

PASSWORD = "adjudicator-secret"


@pytest.fixture
def decision(store: Store) -> int:
    """A user and one adjudication row to sign; returns the row id."""
    write_records(store, {"subjects": [Subject("S1")]}, note="test")
    create_user(store, username="adj", full_name="Dr Cleo Adjudicator", role="adjudicator", password=PASSWORD)
    store.sign_as("adj", Role.ADJUDICATOR)  # decisions are the adjudicator's to write (write gate)
    return int(
        store.insert(
            "adjudications",
            {"subject_id": "S1", "chosen_reader": "r1", "reason": "new lesion missed", "adjudicator": "adj"},
        )
    )


def test_signature_records_name_utc_time_meaning_and_the_record_hash(store: Store, decision: int) -> None:
    before = store.count("audit_log")
    sig = sign(store, username="adj", password=PASSWORD, meaning="adjudicated", record_table="adjudications",
               record_id=decision)  # fmt: skip
    assert (sig["username"], sig["full_name"], sig["meaning"]) == ("adj", "Dr Cleo Adjudicator", "adjudicated")
    assert datetime.fromisoformat(sig["signed_at"]).utcoffset().total_seconds() == 0
    content = canonical_json(store, "adjudications", decision)
    assert (
        sig["record_hash"]
        == hashlib.sha256(content.encode()).hexdigest()
        == record_hash(store, "adjudications", decision)
    )
    assert json.loads(content)["reason"] == "new lesion missed" and "status" not in json.loads(content)
    assert signatures_for(store, "adjudications", decision) == [sig]
    entries = store.rows("audit_log", "seq > ?", [before], order_by="seq")
    assert [(e["action"], e["username"], e["table_name"], e["reason"]) for e in entries] == [
        ("sign", "adj", "signatures", "adjudicated")
    ]
    assert audit.verify_chain(store.conn).ok


def test_wrong_password_is_refused_and_nothing_is_written(store: Store, decision: int) -> None:
    before = (store.count("signatures"), store.count("audit_log"))
    with pytest.raises(AuthError):
        sign(store, username="adj", password="guess", meaning="adjudicated", record_table="adjudications",
             record_id=decision)  # fmt: skip
    with pytest.raises(AuthError):
        sign(store, username="nobody", password=PASSWORD, meaning="adjudicated", record_table="adjudications",
             record_id=decision)  # fmt: skip
    assert (store.count("signatures"), store.count("audit_log")) == before


def test_missing_meaning_or_record_writes_nothing(store: Store, decision: int) -> None:
    before = (store.count("signatures"), store.count("audit_log"))
    with pytest.raises(ValueError, match="meaning"):
        sign(store, username="adj", password=PASSWORD, meaning=" ", record_table="adjudications", record_id=decision)
    with pytest.raises(KeyError):
        sign(store, username="adj", password=PASSWORD, meaning="adjudicated", record_table="adjudications",
             record_id=999)  # fmt: skip
    assert (store.count("signatures"), store.count("audit_log")) == before


def test_a_changed_record_no_longer_matches_its_signature(store: Store, decision: int) -> None:
    sig = sign(store, username="adj", password=PASSWORD, meaning="adjudicated", record_table="adjudications",
               record_id=decision)  # fmt: skip
    store.update("adjudications", decision, {"status": "signed", "signed": 1, "signature_id": sig["id"]})
    assert signature_valid(store, sig) and verify_signatures(store) == []  # lifecycle columns are not content
    store.update("adjudications", decision, {"chosen_reader": "r2"}, reason="tampering")
    assert not signature_valid(store, sig)
    assert "changed" in verify_signatures(store)[0]
