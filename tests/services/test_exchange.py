"""Offline reader exchange (issue 11): snapshots, reader packages, merge — end to end and every conflict kind."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hccreview.domain.access import AccessDenied
from hccreview.io import reader_package
from hccreview.io.reader_package import PackageError
from hccreview.services import adjudication, auth, reading, review
from hccreview.services.demo_study import build_demo_study
from hccreview.services.exchange import ExchangeError, export_reads, export_snapshot
from hccreview.services.exchange_merge import MergeRefused, merge_reads, plan_merge
from hccreview.services.exchange_status import reader_progress
from hccreview.services.session import StudySession, open_study
from hccreview.services.verify import verify_study
from hccreview.store import access
from hccreview.store import exchange as xstore
from hccreview.store.study_data import review_tables_digest
from tests.factories import signed_as

PASSWORDS = {
    "reader1": "reader1-demo", "reader2": "reader2-demo", "adjudicator": "adjudicator-demo", "admin": "admin-demo",
}  # fmt: skip
PENDING = ("HCC-001", "HCC-002", "HCC-003")  # patients whose central reads are taken out: to be read offline


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exchange") / "template.db"
    build_demo_study(path)
    return path


@pytest.fixture
def study(tmp_path: Path, demo_template: Path) -> Path:
    path = tmp_path / "study.db"
    shutil.copy(demo_template, path)
    return path


def _subjects(path: Path) -> list[str]:
    with open_study(path) as s:
        return [r["subject_id"] for r in s.store.rows("subjects", order_by="subject_id")]


@contextmanager
def _signed_in(path: Path, user: str) -> Iterator[StudySession]:
    """A session on ``path`` signed in as ``user`` (a study with accounts: every write names a person)."""
    with open_study(path) as s:
        auth.sign_in(s, user, PASSWORDS[user])
        yield s


def _take_out_reads(path: Path, subjects: tuple[str, ...]) -> dict[str, list[dict]]:
    """Remove the central reads of ``subjects`` (audited): those patients are waiting to be read.

    Each reader removes their own reads (the write gate lets nobody else change a reader's rows)."""
    removed: dict[str, list[dict]] = {}
    with open_study(path) as s:
        for row in s.store.rows("reads", "role = 'reader'", order_by="id"):
            if row["subject_id"] in subjects:
                removed.setdefault(row["reader"], []).append(row)
                with signed_as(s.store, row["reader"]):
                    s.store.delete("reads", row["id"], reason="test setup: not yet read")
    return removed


def _read_as(path: Path, user: str, rows: list[dict], *, change: str | None = None) -> None:
    """``user`` records ``rows`` through the reading service (``change``: the first row stated as that)."""
    with open_study(path) as s:
        auth.sign_in(s, user, PASSWORDS[user])
        for i, row in enumerate(rows):
            overall = change if (change and i == 0) else row["overall"]
            reading.record_read(
                s, row["subject_id"], row["date"], row["visit"], overall=overall, target=row["target"],
                non_target=row["non_target"], new_lesion=None if row["new_lesion"] is None else bool(row["new_lesion"]),
                override_reason="read on the images",
            )  # fmt: skip


def _snapshot(study: Path, reader: str, out: Path) -> Path:
    with open_study(study) as s:
        auth.sign_in(s, "admin", PASSWORDS["admin"])  # cutting a snapshot is the admin's (DESIGN §4b)
        export_snapshot(s, reader=reader, out=out)
    return out


def _package(snapshot: Path, reader: str, out: Path) -> Path:
    with open_study(snapshot) as s:
        export_reads(s, user=reader, out=out)
    return out


def _queue(path: Path) -> list[tuple]:
    with open_study(path) as s:
        items = adjudication.discordance_queue(s)
    return [
        (i.subject_id, i.readers, i.bor_a, i.bor_b, i.pd_date_a, i.pd_date_b, tuple(i.reasons), i.status) for i in items
    ]


# ---------------------------------------------------------------------------------------------- snapshot
def test_snapshot_holds_only_what_the_reader_may_see(study: Path, tmp_path: Path) -> None:
    with open_study(study) as s:  # an adjudication in the study must not travel
        auth.sign_in(s, "adjudicator", PASSWORDS["adjudicator"])
        adjudication.adjudicate(
            s,
            subject_id="HCC-004",
            chosen_reader="reader1",
            reason="better lesion choice",
            reason_code="target_selection",
        )
        identity = xstore.study_uuid(s.store)
    snap = _snapshot(study, "reader1", tmp_path / "r1.db")
    with open_study(snap) as s:
        assert {r["reader"] for r in s.store.rows("reads")} == {"reader1"}
        assert {r["reader"] for r in s.store.rows("lesions")} | {r["reader"] for r in s.store.rows("measurements")} == {
            "reader1"
        }
        assert s.store.count("adjudications") == 0 and s.store.count("signatures") == 0
        assert [u["username"] for u in s.store.rows("users")] == ["reader1"]
        assert access.is_blinded(s.store)
        info = xstore.snapshot_info(s.store)
        assert info is not None and info["reader"] == "reader1" and xstore.study_uuid(s.store) == identity
        assert all(r["accepted"] == 0 for r in s.store.rows("reads"))
    raw = snap.read_bytes()  # nothing of the other reader, the investigator's reads or the decision, anywhere
    # (a role "reader" followed by a date "2009-..." or a password hash "2f..." is not the other reader's name)
    assert re.search(rb"reader2(?![0-9a-f])", raw) is None
    with open_study(snap) as s:  # and no value of any table names the other reader
        tables = [r[0] for r in s.store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in s.store.conn.execute(f"SELECT * FROM [{table}]"):
                assert not any("reader2" in str(v) for v in row), (table, row)
    assert b"better lesion choice" not in raw and b"target_selection" not in raw
    assert all(c.ok for c in verify_study(snap))
    with open_study(study) as s:  # the offline worklist lists the same scans to read (dates travel, not results)
        in_study = {i.subject_id: i.timepoints for i in reading.reader_worklist(s, reader="reader1")}
    with open_study(snap) as s:
        auth.sign_in(s, "reader1", PASSWORDS["reader1"])
        assert {i.subject_id: i.timepoints for i in reading.reader_worklist(s)} == in_study


def test_snapshot_refusals(study: Path, tmp_path: Path) -> None:
    with open_study(study) as s:
        auth.sign_in(s, "admin", PASSWORDS["admin"])
        with pytest.raises(ExchangeError, match="not an active reader"):
            export_snapshot(s, reader="adjudicator", out=tmp_path / "x.db")
        with pytest.raises(ExchangeError, match="no user"):
            export_snapshot(s, reader="nobody", out=tmp_path / "x.db")
    for name in ("reader2", "adjudicator"):  # only the admin cuts snapshots (study management, DESIGN §4b)
        with open_study(study) as s:
            auth.sign_in(s, name, PASSWORDS[name])
            with pytest.raises(PermissionError, match="may not manage"):
                export_snapshot(s, reader="reader1", out=tmp_path / "x.db")
    assert not (tmp_path / "x.db").exists()
    snap = _snapshot(study, "reader1", tmp_path / "r1.db")
    with open_study(snap) as s, pytest.raises(ExchangeError, match="is a reader snapshot"):
        export_snapshot(s, reader="reader1", out=tmp_path / "again.db")
    with open_study(study) as s, pytest.raises(ExchangeError, match="not a reader snapshot"):
        export_reads(s, user="reader1", out=tmp_path / "p.hccr")
    with open_study(snap) as s, pytest.raises(ExchangeError, match="reader1's snapshot"):
        export_reads(s, user="reader2", out=tmp_path / "p.hccr")


# ---------------------------------------------------------------------------------------------- end to end
def test_two_readers_offline_then_merged_equals_reads_entered_directly(study: Path, tmp_path: Path) -> None:
    removed = _take_out_reads(study, PENDING)
    direct = tmp_path / "direct.db"
    shutil.copy(study, direct)
    snaps = {r: _snapshot(study, r, tmp_path / f"{r}.db") for r in ("reader1", "reader2")}
    changed = {"reader1": None, "reader2": "PD"}  # reader 2 calls the first timepoint differently
    for reader, snap in snaps.items():
        _read_as(snap, reader, removed[reader], change=changed[reader])
        _read_as(direct, reader, removed[reader], change=changed[reader])
    packages = {r: _package(snaps[r], r, tmp_path / f"{r}.hccr") for r in snaps}

    with _signed_in(study, "adjudicator") as s:  # merging a package is an import: admin only (DESIGN §4b)
        before = review_tables_digest(s.store)
        with pytest.raises(AccessDenied, match="adjudicator"):
            merge_reads(s, packages["reader1"])
        assert review_tables_digest(s.store) == before
    with _signed_in(study, "admin") as s:
        preview = plan_merge(s, packages["reader1"])
        assert preview.ok and len(preview.writes) == len(removed["reader1"])
        assert {c.op for c in preview.writes} == {"insert"} and {c.subject_id for c in preview.writes} == set(PENDING)
        results = [merge_reads(s, packages[r]) for r in ("reader1", "reader2")]
    assert all(r.package_id is not None and r.backup is not None for r in results)
    assert results[1].changes.subjects == frozenset(PENDING)

    assert _queue(study) == _queue(direct)
    assert any(item[0] in PENDING for item in _queue(study))  # the changed call made a discordance
    with open_study(study) as s, open_study(direct) as d:
        for reader in ("reader1", "reader2"):
            keep = ("subject_id", "reader", "role", "date", "overall", "target", "non_target", "new_lesion",
                    "entered_by", "computed_overall", "override_reason")  # fmt: skip
            mine = [
                {k: r[k] for k in keep}
                for r in s.store.rows("reads", "reader = ?", [reader], order_by="subject_id, date")
            ]
            theirs = [
                {k: r[k] for k in keep}
                for r in d.store.rows("reads", "reader = ?", [reader], order_by="subject_id, date")
            ]
            assert mine == theirs
        progress = {p.reader: p for p in reader_progress(s)}
        assert [p["file_name"] for p in progress["reader1"].packages] == ["reader1.hccr"]
        assert progress["reader2"].packages[0]["counts"]["reads"] == len(removed["reader2"])
        assert set(PENDING) <= set(progress["reader1"].completed)
        audit = s.store.rows("audit_log", "table_name = 'reads' AND reason LIKE 'merged from reader1%'")
        assert len(audit) == len(removed["reader1"]) and {a["username"] for a in audit} == {"admin"}
        assert (
            len(xstore.package_audit(s.store, results[0].package_id))
            == reader_package.read(packages["reader1"]).manifest["counts"]["audit_entries"]
        )
    assert all(c.ok for c in verify_study(study))


def test_corrections_of_earlier_reads_and_measurements_merge(study: Path, tmp_path: Path) -> None:
    snap = _snapshot(study, "reader1", tmp_path / "r1.db")
    with open_study(snap) as s:
        auth.sign_in(s, "reader1", PASSWORDS["reader1"])
        m = s.store.rows("measurements", "reader = 'reader1' AND diameter_mm IS NOT NULL", order_by="id")[0]
        review.update_measurement(
            s, measurement_id=m["id"], values={"diameter_mm": m["diameter_mm"] + 3.0}, reason="remeasured"
        )
    pkg = _package(snap, "reader1", tmp_path / "r1.hccr")
    with _signed_in(study, "admin") as s:
        result = merge_reads(s, pkg)
        assert [(c.table, c.op) for c in result.plan.writes] == [("measurements", "update")]
        key = {k: m[k] for k in ("subject_id", "reader", "lesion_id", "date")}
        assert xstore.find_by_key(s.store, "measurements", key)[0]["diameter_mm"] == pytest.approx(m["diameter_mm"] + 3)


# ---------------------------------------------------------------------------------------------- refusals
def _refused(study: Path, pkg: Path, kind: str) -> MergeRefused:
    with _signed_in(study, "admin") as s:  # (signing in is audited: the digest is taken after it)
        before = review_tables_digest(s.store)
        with pytest.raises(MergeRefused) as info:
            merge_reads(s, pkg)
        assert review_tables_digest(s.store) == before  # byte for byte: review tables, settings and audit trail
    assert kind in {c.kind for c in info.value.plan.conflicts}, info.value
    return info.value


def _one_read_changed(study: Path, tmp_path: Path, subject: str = "HCC-005") -> tuple[Path, dict]:
    snap = _snapshot(study, "reader1", tmp_path / "r1.db")
    with open_study(snap) as s:
        row = s.store.rows("reads", "subject_id = ? AND reader = 'reader1'", [subject], order_by="date")[0]
    _read_as(snap, "reader1", [row], change="NE" if row["overall"] != "NE" else "SD")
    return _package(snap, "reader1", tmp_path / "r1.hccr"), row


def test_conflict_same_timepoint_changed_at_the_site(study: Path, tmp_path: Path) -> None:
    pkg, row = _one_read_changed(study, tmp_path)
    with _signed_in(study, "reader1") as s:  # meanwhile reader 1 corrected the read at the adjudication site
        review.update_read(s, read_id=row["id"], values={"overall": "PD"}, reason="corrected on site")
    err = _refused(study, pkg, "row-conflict")
    assert "HCC-005" in str(err) and "overall=PD" in str(err)


def test_conflict_new_read_where_the_study_has_another(study: Path, tmp_path: Path) -> None:
    removed = _take_out_reads(study, ("HCC-006",))["reader1"][:1]
    snap = _snapshot(study, "reader1", tmp_path / "r1.db")
    _read_as(snap, "reader1", removed)
    _read_as(study, "reader1", removed, change="PD" if removed[0]["overall"] != "PD" else "SD")
    pkg = _package(snap, "reader1", tmp_path / "r1.hccr")
    assert "already holds other values" in str(_refused(study, pkg, "row-conflict"))


def test_conflict_read_on_a_locked_case(study: Path, tmp_path: Path) -> None:
    pkg, _row = _one_read_changed(study, tmp_path)
    with open_study(study) as s:
        auth.sign_in(s, "adjudicator", PASSWORDS["adjudicator"])
        adjudication.adjudicate(
            s,
            subject_id="HCC-005",
            chosen_reader="reader2",
            reason="agree with reader 2",
            reason_code="measurement",
        )
        adjudication.sign_adjudication(s, subject_id="HCC-005", password=PASSWORDS["adjudicator"])
    assert "locked" in str(_refused(study, pkg, "locked-case"))


def test_conflict_package_from_another_study(study: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    build_demo_study(other)  # same demo content, another study (its own UUID)
    pkg, _row = _one_read_changed(other, tmp_path)
    assert "not this study" in str(_refused(study, pkg, "wrong-study"))


def test_conflict_unknown_or_inactive_reader(study: Path, tmp_path: Path) -> None:
    pkg, _row = _one_read_changed(study, tmp_path)
    with _signed_in(study, "admin") as s:
        access.set_active(s.store, "reader1", False, reason="left the study")
    _refused(study, pkg, "unknown-user")


def test_package_merged_twice_is_a_no_op(study: Path, tmp_path: Path) -> None:
    pkg, _row = _one_read_changed(study, tmp_path)
    with _signed_in(study, "admin") as s:
        first = merge_reads(s, pkg)
    assert not first.already_merged and len(first.plan.writes) == 1
    with _signed_in(study, "admin") as s:
        before = review_tables_digest(s.store)
        again = merge_reads(s, pkg)
        assert review_tables_digest(s.store) == before
    assert again.already_merged and again.package_id is None and again.changes.empty


@pytest.mark.parametrize("where", [0, 0.25, 0.5, 0.75, -3])
def test_a_flipped_byte_is_refused(study: Path, tmp_path: Path, where: float) -> None:
    pkg, _row = _one_read_changed(study, tmp_path)
    data = bytearray(pkg.read_bytes())
    i = int(len(data) * where) if where >= 0 else len(data) + int(where)
    data[i] ^= 0x01
    pkg.write_bytes(bytes(data))
    with _signed_in(study, "admin") as s:
        before = review_tables_digest(s.store)
        with pytest.raises(PackageError, match=r"r1\.hccr"):
            merge_reads(s, pkg)
        assert review_tables_digest(s.store) == before


def test_a_rewritten_audit_trail_is_refused_even_with_a_fresh_hash(study: Path, tmp_path: Path) -> None:
    pkg, _row = _one_read_changed(study, tmp_path)
    original = reader_package.read(pkg)
    audit = [dict(e) for e in original.content["audit"]]
    audit[-1]["username"] = "reader2"  # someone else's edit passed off as reader 1's
    forged = tmp_path / "forged.hccr"
    reader_package.write(forged, original.manifest, {**original.content, "audit": audit})
    assert "hash chain" in str(_refused(study, forged, "audit-chain"))


def test_a_row_without_its_audit_entry_is_refused(study: Path, tmp_path: Path) -> None:
    pkg, _row = _one_read_changed(study, tmp_path)
    original = reader_package.read(pkg)
    smuggled = dataclasses.replace(original)
    reads = [dict(r) for r in smuggled.content["reads"]]
    reads.append({**reads[0], "snapshot_row": 999_999, "op": "new", "base": None,
                  "row": {**reads[0]["row"], "date": "2030-01-01", "id": 999_999}})  # fmt: skip
    forged = tmp_path / "smuggled.hccr"
    reader_package.write(forged, original.manifest, {**original.content, "reads": reads})
    assert "no audit entry" in str(_refused(study, forged, "audit-chain"))


def test_a_package_with_signatures_is_refused_not_dropped(study: Path, tmp_path: Path) -> None:
    pkg, _row = _one_read_changed(study, tmp_path)
    original = reader_package.read(pkg)
    signature = {"id": 1, "username": "reader1", "meaning": "read complete", "record_table": "reads", "record_id": "1"}
    forged = tmp_path / "signed.hccr"
    reader_package.write(forged, original.manifest, {**original.content, "signatures": [signature]})
    assert "signature" in str(_refused(study, forged, "malformed"))


def test_roles_and_targets(study: Path, tmp_path: Path) -> None:
    pkg, _row = _one_read_changed(study, tmp_path)
    with open_study(study) as s:
        auth.sign_in(s, "reader2", PASSWORDS["reader2"])
        with pytest.raises(PermissionError):
            merge_reads(s, pkg)
        with pytest.raises(PermissionError):
            reader_progress(s)
    with _signed_in(study, "adjudicator") as s:  # merging is an import: the admin's (DESIGN §4b)
        before = review_tables_digest(s.store)
        with pytest.raises(PermissionError):
            merge_reads(s, pkg)
        assert review_tables_digest(s.store) == before
    snap = tmp_path / "r1.db"  # the snapshot the package came from cannot take packages
    with open_study(snap) as s:
        plan = plan_merge(s, pkg)
        assert not plan.ok and "reader snapshot" in str(MergeRefused(plan))
        auth.sign_in(s, "reader1", PASSWORDS["reader1"])  # its only account, a reader: no merge at all
        before = review_tables_digest(s.store)
        with pytest.raises(PermissionError):
            merge_reads(s, pkg)
        assert review_tables_digest(s.store) == before
