"""Command-line writes are attributed to a person (issue 17 item 8), as subprocesses on the demo study.

``--user NAME`` with the password in ``HCCREVIEW_PASSWORD`` (stdin is never a terminal here, so there is no
prompt): the audit trail names the user, and the sign-in entry the command line and the host. Without
``--user`` on a study with accounts: exit 2, the file untouched. A refused sign-in: exit 1, only the refused
attempt audited. The PDF's author is the signed-in user's full name, never the operating-system account.
"""

from __future__ import annotations

import csv
import getpass
import hashlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hccreview.cli.auth import PASSWORD_ENV

HCC = [sys.executable, "-m", "hccreview"]
HOST = socket.gethostname()


def _cli(*args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``hccreview``; ``password`` goes into the environment (stdin is not a terminal: no prompt)."""
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    if password is not None:
        env[PASSWORD_ENV] = password
    return subprocess.run([*HCC, *args], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=300)


def _audit(path: Path, after: int = 0) -> list[dict[str, object]]:
    """The audit entries after sequence number ``after`` (read with plain sqlite3: the test's own eyes)."""
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    try:
        rows = con.execute("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq", [after]).fetchall()
    finally:
        con.close()
    return [dict(r) for r in rows]


def _last_seq(path: Path) -> int:
    entries = _audit(path)
    return int(entries[-1]["seq"]) if entries else 0


def _data_digest(path: Path) -> str:
    """SHA-256 over every table but the audit trail, which a refused sign-in attempt rightly extends (and with it
    SQLite's own ``sqlite_sequence``, where the trail's autoincrement counter lives)."""
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        h = hashlib.sha256()
        for table in tables:
            if table == "audit_log" or table.startswith("sqlite_"):
                continue
            h.update(table.encode())
            for row in con.execute(f"SELECT * FROM [{table}] ORDER BY rowid"):
                h.update(repr(row).encode("utf-8"))
    finally:
        con.close()
    return h.hexdigest()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hccreview.services.demo_study import build_demo_study

    return build_demo_study(tmp_path_factory.mktemp("cli-user") / "demo.db")


@pytest.fixture(scope="module")
def delivery(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's own CSV bundle with one value changed: a transfer that updates one patient."""
    out = tmp_path_factory.mktemp("cli-user-bundle") / "bundle"
    r = _cli("export", str(demo), "--format", "csv", str(out))
    assert r.returncode == 0, r.stderr
    path = out / "subjects.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["age"] = str(int(rows[0]["age"]) + 1)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out


@pytest.fixture
def study(demo: Path, tmp_path: Path) -> Path:
    """A private copy of the demo study (it has the accounts of docs/demo-study.md)."""
    copy = tmp_path / "study.db"
    shutil.copyfile(demo, copy)
    return copy


def test_import_signed_in_as_admin_names_admin_and_the_host(study: Path, delivery: Path) -> None:
    before = _last_seq(study)
    r = _cli("import", str(study), "--format", "csv", str(delivery), "--user", "admin", password="admin-demo")
    assert r.returncode == 0, r.stderr
    assert "as transfer" in r.stdout and "1 changed" in r.stdout
    entries = _audit(study, before)
    assert entries, "the import wrote no audit entries"
    assert {e["username"] for e in entries} == {"admin"}
    sign_in = entries[0]
    assert sign_in["action"] == "sign-in"
    assert sign_in["reason"] == f"admin, command line on {HOST}"
    assert any(e["action"] == "update" and e["table_name"] == "subjects" for e in entries)
    assert any(e["table_name"] == "transfers" for e in entries)
    assert entries[-1]["action"] == "sign-out"


def test_import_without_user_is_a_usage_error_and_writes_nothing(study: Path, delivery: Path) -> None:
    before = study.read_bytes()
    r = _cli("import", str(study), "--format", "csv", str(delivery), password="admin-demo")
    assert r.returncode == 2
    assert "--user" in r.stderr and "Traceback" not in r.stderr
    assert study.read_bytes() == before


@pytest.mark.parametrize(("user", "password"), [("admin", "wrong-password"), ("nobody", "admin-demo")])
def test_refused_sign_in_exits_1_and_changes_no_data(study: Path, delivery: Path, user: str, password: str) -> None:
    digest, before = _data_digest(study), _last_seq(study)
    r = _cli("import", str(study), "--format", "csv", str(delivery), "--user", user, password=password)
    assert r.returncode == 1
    assert "refused" in r.stderr and "Traceback" not in r.stderr
    assert _data_digest(study) == digest
    entries = _audit(study, before)  # the refused attempt is audited (21 CFR Part 11 §11.300(d)), nothing else
    assert [(e["username"], e["action"], e["reason"]) for e in entries] == [
        (user, "sign-in-refused", f"wrong credentials, command line on {HOST}")
    ]


def test_inactive_user_is_refused(study: Path, delivery: Path) -> None:
    from hccreview.services import auth
    from hccreview.services.session import open_study

    with open_study(study) as session:
        auth.sign_in(session, "admin", "admin-demo")
        auth.set_user_active(session, username="adjudicator", active=False, reason="left the study")
        auth.sign_out(session)
    digest = _data_digest(study)
    r = _cli("report", str(study), "--out", str(study.with_suffix(".pdf")), "--user", "adjudicator",
             password="adjudicator-demo")  # fmt: skip
    assert r.returncode == 1 and "refused" in r.stderr
    assert _data_digest(study) == digest and not study.with_suffix(".pdf").exists()


def test_no_password_without_a_terminal_is_a_usage_error(study: Path, delivery: Path) -> None:
    before = study.read_bytes()
    r = _cli("import", str(study), "--format", "csv", str(delivery), "--user", "admin")
    assert r.returncode == 2 and PASSWORD_ENV in r.stderr
    assert study.read_bytes() == before


def test_a_role_the_write_is_not_for_is_refused_with_exit_1(study: Path, tmp_path: Path) -> None:
    r = _cli("export-snapshot", str(study), "--for", "reader:reader2", "--out", str(tmp_path / "snap.db"),
             "--user", "reader1", password="reader1-demo")  # fmt: skip
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert not (tmp_path / "snap.db").exists()


def test_user_on_a_study_without_accounts_is_a_usage_error(tmp_path: Path, delivery: Path) -> None:
    new = tmp_path / "new.db"
    r = _cli("import", str(new), "--format", "csv", str(delivery), "--user", "admin", password="admin-demo")
    assert r.returncode == 2 and not new.exists()
    assert _cli("init", str(new), "--title", "T").returncode == 0
    r = _cli("import", str(new), "--format", "csv", str(delivery), "--user", "admin", password="admin-demo")
    assert r.returncode == 2 and "no user accounts" in r.stderr
    r = _cli("import", str(new), "--format", "csv", str(delivery))  # no accounts yet: the unsigned command line
    assert r.returncode == 0, r.stderr


def test_restore_needs_an_admin_of_the_current_file_and_is_audited(study: Path) -> None:
    from hccreview.services.backups import backup_before
    from hccreview.services.session import open_study

    with open_study(study) as session:
        backup = backup_before(session.store, why="test")
    before = study.read_bytes()
    r = _cli("restore", str(study), str(backup), password="admin-demo")
    assert r.returncode == 2 and "--user" in r.stderr
    assert study.read_bytes() == before
    r = _cli("restore", str(study), str(backup), "--user", "reader1", password="reader1-demo")
    assert r.returncode == 1 and "reader1" in r.stderr and "Traceback" not in r.stderr
    assert not list(study.parent.glob("study.db.replaced-*"))

    r = _cli("restore", str(study), str(backup), "--user", "admin", password="admin-demo")
    assert r.returncode == 0, r.stderr
    replaced = list(study.parent.glob("study.db.replaced-*"))
    assert len(replaced) == 1
    last = _audit(study)[-1]
    assert (last["username"], last["action"], last["row_key"]) == ("admin", "restore", backup.name)
    assert f"command line on {HOST}" in str(last["reason"])
    moved = _audit(replaced[0])  # the file that was replaced: the admin signed in (and out) on it first
    assert [(e["username"], e["action"]) for e in moved[-2:]] == [("admin", "sign-in"), ("admin", "sign-out")]
    assert _cli("verify", str(study)).returncode == 0


def test_report_author_is_the_signed_in_full_name_never_the_os_account(study: Path, tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    signed, unsigned = tmp_path / "signed.pdf", tmp_path / "unsigned.pdf"
    r = _cli("report", str(study), "--out", str(signed), "--user", "adjudicator", password="adjudicator-demo")
    assert r.returncode == 0, r.stderr
    assert pypdf.PdfReader(str(signed)).metadata.author == "Dr Cleo Adjudicator"
    r = _cli("report", str(study), "--out", str(unsigned))
    assert r.returncode == 0, r.stderr
    author = pypdf.PdfReader(str(unsigned)).metadata.author
    assert author == f"hccreview command line (nobody signed in) on {HOST}"
    assert author != getpass.getuser()
