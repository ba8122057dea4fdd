"""``hccreview export-sr STUDY.db OUT`` (issue 22 item 3): writes the SR documents and says what it wrote."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from hccreview import cli
from tests.services.test_sr_on_submit import Submitted, submitted_demo
from tests.services.test_structured_reports import SUBJECT, measured_demo


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return measured_demo(tmp_path_factory.mktemp("sr-cli") / "demo.db")


def test_export_sr_writes_every_document_and_lists_them(study: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    out = tmp_path / "sr"
    assert cli.run(["export-sr", str(study), str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    files = sorted(out.rglob("*.dcm"))
    assert files and {f.parent.name for f in files} == {"reader1", "reader2"}
    n = len(files)  # nothing is submitted in this study: every SR is built now
    assert printed[-1] == f"{n} document(s) ({n} SR, 0 KOS; 0 stored, {n} built now): {n} new, 0 amended, 0 unchanged"
    assert sorted(line.split(" ")[1] for line in printed[:-1]) == sorted(str(f) for f in files)
    assert all(line.endswith("; built now)") for line in printed[:-1])
    assert cli.run(["export-sr", str(study), str(out)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"{n} document(s) ({n} SR, 0 KOS; 0 stored, {n} built now): 0 new, 0 amended, {n} unchanged"
    )


def test_a_blinded_reader_exports_only_their_own(study: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setenv("HCCREVIEW_PASSWORD", "reader1-demo")
    out = tmp_path / "sr"
    assert cli.run(["export-sr", str(study), str(out), "--user", "reader1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and {r["evaluator"] for r in rows} == {"reader1"} and {r["subject_id"] for r in rows} == {SUBJECT}
    assert sorted(Path(r["path"]) for r in rows) == sorted(out.rglob("*.dcm"))


def test_a_wrong_password_is_refused(study: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setenv("HCCREVIEW_PASSWORD", "wrong")
    assert cli.run(["export-sr", str(study), str(tmp_path / "sr"), "--user", "reader1"]) == 1
    assert capsys.readouterr().err.startswith("hccreview export-sr: ")
    assert not (tmp_path / "sr").exists()


@pytest.fixture(scope="module")
def submitted(tmp_path_factory: pytest.TempPathFactory) -> Submitted:
    return submitted_demo(tmp_path_factory.mktemp("sr-cli-submitted") / "demo.db")


def test_export_sr_writes_the_documents_stored_at_submission_byte_for_byte(
    submitted: Submitted, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sr"
    assert cli.run(["export-sr", str(submitted.path), str(out), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    stored = [r for r in rows if r["origin"] == "stored"]
    with sqlite3.connect(submitted.path) as conn:
        digests = {(reader, kind): sha for reader, kind, sha in
                   conn.execute("SELECT reader, kind, sha256 FROM structured_reports")}  # fmt: skip
    day = submitted.day.isoformat()
    assert sorted((r["evaluator"], r["kind"], Path(r["path"]).name) for r in stored) == [
        (reader, kind, f"{day}_{'SR' if kind == 'SR' else 'KO'}.dcm")
        for reader in ("reader1", "reader2") for kind in ("KOS", "SR")
    ]  # fmt: skip
    for r in stored:
        assert (
            hashlib.sha256(Path(r["path"]).read_bytes()).hexdigest()
            == r["sha256"]
            == digests[(r["evaluator"], r["kind"])]
        )
    built = [r for r in rows if r["origin"] == "built now"]
    assert built and all(r["kind"] == "SR" and r["date"] != day for r in built)
    assert cli.run(["export-sr", str(submitted.path), str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1] == (f"{len(rows)} document(s) ({len(rows) - 2} SR, 2 KOS; 4 stored, {len(built)} built now): "
                           f"0 new, 0 amended, {len(rows)} unchanged")  # fmt: skip
    assert sum(line.endswith("; stored)") for line in printed) == 4


def test_verify_names_a_stored_document_altered_behind_the_audit_trail(
    submitted: Submitted, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = Path(shutil.copyfile(submitted.path, tmp_path / "demo.db"))
    assert cli.run(["verify", str(path)]) == 0
    assert "ok   DICOM documents of submitted reads (SR, KOS): 4 stored DICOM document(s) match their rows and the " \
           "audit trail" in capsys.readouterr().out.splitlines()  # fmt: skip
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER structured_reports_immutable_update")
        (uid,) = conn.execute("SELECT sop_instance_uid FROM structured_reports WHERE kind = 'SR' AND reader = "
                              "'reader2'").fetchone()  # fmt: skip
        conn.execute("UPDATE structured_reports SET document = document || x'00', sha256 = ? WHERE "
                     "sop_instance_uid = ?", ["0" * 64, uid])  # fmt: skip
    assert cli.run(["verify", str(path)]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert (
        f"FAIL DICOM documents of submitted reads (SR, KOS): SR {uid}: the stored document's SHA-256 differs "
        f"from its row's; SR {uid}: the stored document's SHA-256 differs from the audit trail's"
    ) in printed
    assert printed[-1] == f"{path}: 1 check(s) failed"
