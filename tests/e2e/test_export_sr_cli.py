"""``hccreview export-sr STUDY.db OUT`` (issue 22 item 3): writes the SR documents and says what it wrote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hccreview import cli
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
    assert printed[-1] == f"{len(files)} SR document(s): {len(files)} new, 0 amended, 0 unchanged"
    assert sorted(line.split(" ")[1] for line in printed[:-1]) == sorted(str(f) for f in files)
    assert cli.run(["export-sr", str(study), str(out)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"{len(files)} SR document(s): 0 new, 0 amended, {len(files)} unchanged"
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
