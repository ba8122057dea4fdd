"""The import use case: validate everything, write all of it in one transaction or nothing at all."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from hccreview.domain.records import Criteria, Origin
from hccreview.services import importing
from hccreview.services.importing import ImportCancelled, ImportRefused, ImportResult, import_into
from hccreview.services.verify import verify_study
from hccreview.store import Store
from hccreview.store.study_data import load_study, review_tables_digest

#: The 8 subjects of recist/ with tumour assessments.
ASSESSED = [
    "01-701-1015",
    "01-701-1028",
    "01-701-1034",
    "01-701-1097",
    "01-701-1115",
    "01-701-1118",
    "01-701-1130",
    "01-701-1133",
]


@pytest.fixture(scope="module")
def data(sdtm_root: Path) -> Path:
    """The real deliveries (``sdtm_root`` of tests/conftest.py skips, saying why, where they are absent)."""
    return sdtm_root


def subset(src: Path, dst: Path, subjects: list[str]) -> Path:
    """The delivery ``src`` restricted to ``subjects`` (every domain filtered by USUBJID)."""
    dst.mkdir(parents=True)
    for path in sorted(src.glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "USUBJID" in frame.columns:
            frame = frame[frame.USUBJID.isin(subjects)]
        frame.to_csv(dst / path.name, index=False)
    return dst


def fingerprint(path: Path) -> tuple[str, str]:
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with Store.open(path, migrate=False) as store:
        return sha, review_tables_digest(store)


@pytest.fixture(scope="module")
def recist_study(data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ImportResult]:
    path = tmp_path_factory.mktemp("recist") / "recist.db"
    return path, import_into(path, fmt="sdtm", source=data / "recist", user="importer")


def test_new_study_from_recist(recist_study: tuple[Path, ImportResult]) -> None:
    path, result = recist_study
    assert result.created and result.study == str(path)
    assert result.counts == {
        "subjects": 306,
        "cycles": 591,
        "adverse_events": 1191,
        "lesions": 75,
        "measurements": 273,
        "reads": 66,
        "follow_up": 306,
        "findings": 34,  # 32 partial dates and the like, one summary of the AE terms outside the CTCAE table, and
        # 01-710-1083's death (DTHDTC 2013-08-02) before records dated 2013-08-03 (issue 18: a later record warns)
    }
    assert len(result.warnings) == 34 and result.seconds > 0
    assert any("01-710-1083" in (w.subject_id or "") and w.field == "DTHDTC" for w in result.warnings)
    assert sum("CTCAE v5.0 term table" in w.reason for w in result.warnings) == 1
    with Store.open(path) as store:
        data = load_study(store)
        findings = store.rows("findings", order_by="id")
    assert data.settings.title == "CDISCPILOT01" and data.settings.protocol == "CDISCPILOT01"
    assert data.settings.origin is Origin.RANDOMISATION and data.settings.criteria is Criteria.RECIST11
    assert (len(data.subjects), len(data.measurements), len(data.reads)) == (306, 273, 66)
    assert {r.reader for r in data.reads} == {"investigator", "radiologist-1", "radiologist-2"}
    assert len(findings) == 34 and {f["kind"] for f in findings} == {"import-warning"}
    first = findings[0]
    assert (first["file"], first["row"], first["field"], first["value"]) == ("ae.csv", 43, "AESTDTC", "2003")
    assert datetime.fromisoformat(first["created_at"]).utcoffset().total_seconds() == 0
    imputed = [f for f in findings if f["file"] == "rs.csv"]
    assert {f["subject_id"] for f in imputed} == {"01-701-1015"} and len(imputed) == 3


def test_import_is_audited_and_verifies(recist_study: tuple[Path, ImportResult]) -> None:
    path, _ = recist_study
    assert all(check.ok for check in verify_study(path))
    with Store.open(path) as store:
        audit = store.rows("audit_log", "action = ?", ["import"])
    assert {a["table_name"] for a in audit} == {
        "subjects",
        "cycles",
        "adverse_events",
        "lesions",
        "measurements",
        "reads",
        "follow_up",
        "findings",
    }
    assert {a["username"] for a in audit} == {"importer"}


def test_summary(recist_study: tuple[Path, ImportResult]) -> None:
    text = recist_study[1].summary()
    assert "created" in text and "subjects 306" in text and "measurements 273" in text
    assert "34 warning(s)" in text and "ae.csv row 43, field AESTDTC" in text and " s" in text.splitlines()[0]


def test_title_and_criteria_given(data: Path, tmp_path: Path) -> None:
    src = subset(data / "recist", tmp_path / "in", ASSESSED[:2])
    import_into(tmp_path / "s.db", fmt="sdtm", source=src, study_title="HCC-07 central review", criteria="mrecist")
    with Store.open(tmp_path / "s.db") as store:
        settings = store.settings()
    assert settings.title == "HCC-07 central review" and settings.criteria is Criteria.MRECIST


def test_into_an_existing_study_then_the_same_delivery_again(data: Path, tmp_path: Path) -> None:
    """Into an existing study an import is a data transfer (issue 12): new patients are added, a delivery the
    study already holds changes nothing (no more "subject already in study"), a faulty one is still refused."""
    path = tmp_path / "s.db"
    import_into(path, fmt="sdtm", source=subset(data / "recist", tmp_path / "a", ASSESSED[:4]))
    second = import_into(
        path, fmt="sdtm", source=subset(data / "recist", tmp_path / "b", ASSESSED[4:]), study_title="ignored"
    )
    assert not second.created and second.counts["subjects"] == 4 and second.transfer_id == 2
    assert second.preview.diff.new_subjects == sorted(ASSESSED[4:])
    assert second.preview.diff.absent_subjects == sorted(ASSESSED[:4])  # kept as they are, never removed
    assert "the study exists: its title is left unchanged" in second.notes
    with Store.open(path) as store:
        data_now = load_study(store)
    assert [s.subject_id for s in data_now.subjects] == sorted(ASSESSED)
    assert len(data_now.reads) == 66 and len(data_now.lesions) == 75
    again = import_into(path, fmt="sdtm", source=tmp_path / "b")
    assert again.preview.diff.empty and again.transfer_id == 3 and again.counts.get("subjects", 0) == 0
    with Store.open(path) as store:
        assert load_study(store) == data_now
    before = fingerprint(path)
    with pytest.raises(ImportRefused) as refused:
        import_into(path, fmt="sdtm", source=_broken_copy(data, tmp_path / "broken"))
    assert [(p.file, p.field, p.reason) for p in refused.value.problems] == [
        ("tr.csv", "TRSTRESN", "negative diameter")
    ]
    assert fingerprint(path) == before


def _broken_copy(data: Path, dst: Path) -> Path:
    src = subset(data / "recist", dst, ASSESSED[:2])
    tr = pd.read_csv(src / "tr.csv", dtype=str, keep_default_na=False)
    row = tr.index[tr.TRTESTCD == "LDIAM"][1]
    tr.loc[row, ["TRSTRESN", "TRORRES", "TRSTRESC"]] = "-4"
    tr.to_csv(src / "tr.csv", index=False)
    return src


def test_refused_import_leaves_no_new_file(data: Path, tmp_path: Path) -> None:
    study = tmp_path / "new.db"
    with pytest.raises(ImportRefused) as refused:
        import_into(study, fmt="sdtm", source=_broken_copy(data, tmp_path / "in"))
    assert [(p.file, p.field, p.reason) for p in refused.value.problems] == [
        ("tr.csv", "TRSTRESN", "negative diameter")
    ]
    assert refused.value.problems[0].row is not None
    assert not study.exists() and list(tmp_path.glob("new.db*")) == []


def _cancel_when_writing() -> tuple:
    state = {"writing": False}

    def progress(_fraction: float, message: str) -> None:
        state["writing"] = state["writing"] or message == "writing"

    return progress, (lambda: state["writing"])


def test_cancel_before_and_during_the_write(data: Path, tmp_path: Path) -> None:
    src = subset(data / "recist", tmp_path / "in", ASSESSED[:2])
    with pytest.raises(ImportCancelled):
        import_into(tmp_path / "a.db", fmt="sdtm", source=src, cancel=lambda: True)
    assert not (tmp_path / "a.db").exists()
    progress, cancel = _cancel_when_writing()
    with pytest.raises(ImportCancelled):
        import_into(tmp_path / "b.db", fmt="sdtm", source=src, progress=progress, cancel=cancel)
    assert list(tmp_path.glob("b.db*")) == []
    existing = tmp_path / "c.db"
    import_into(existing, fmt="sdtm", source=subset(data / "recist", tmp_path / "other", ASSESSED[2:3]))
    before = fingerprint(existing)
    progress, cancel = _cancel_when_writing()
    with pytest.raises(ImportCancelled):
        import_into(existing, fmt="sdtm", source=src, progress=progress, cancel=cancel)
    assert fingerprint(existing) == before


def test_a_failure_inside_the_write_rolls_everything_back(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing = tmp_path / "s.db"
    import_into(existing, fmt="sdtm", source=subset(data / "recist", tmp_path / "a", ASSESSED[:1]))
    before = fingerprint(existing)
    real = importing.write_records

    def write_then_fail(store, records, *, note):
        real(store, records, note=note)
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, "write_records", write_then_fail)
    src = subset(data / "recist", tmp_path / "b", ASSESSED[1:3])
    with pytest.raises(RuntimeError, match="disk full"):
        import_into(existing, fmt="sdtm", source=src)
    assert fingerprint(existing) == before
    with pytest.raises(RuntimeError, match="disk full"):
        import_into(tmp_path / "new.db", fmt="sdtm", source=src)
    assert list(tmp_path.glob("new.db*")) == []


def test_progress_is_reported_in_order(data: Path, tmp_path: Path) -> None:
    seen: list[tuple[float, str]] = []
    src = subset(data / "recist", tmp_path / "in", ASSESSED[:1])
    import_into(tmp_path / "s.db", fmt="sdtm", source=src, progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert any("tr.csv" in m for _, m in seen)


def test_references_are_checked_whatever_the_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hccreview.domain.records import Lesion, LesionKind, Measurement, Subject
    from hccreview.io.validation import ParsedImport

    day = datetime(2020, 1, 1).date()
    records = {
        "subjects": [Subject("A"), Subject("A")],
        "lesions": [Lesion("A", "investigator", "T01", LesionKind.TARGET)],
        "measurements": [Measurement("A", "investigator", "T02", day, diameter_mm=10.0)],
        "adverse_events": [],
        "follow_up": [],
    }
    parsed = ParsedImport(records, [], {"title": "Bundle"}, [], {})
    monkeypatch.setattr(importing, "read_delivery", lambda fmt, source, progress: parsed)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "subjects.csv").write_text("subject_id\nA\nA\n")
    with pytest.raises(ImportRefused) as refused:
        import_into(tmp_path / "s.db", fmt="csv", source=tmp_path / "in")
    assert [(p.file, p.row, p.field, p.reason) for p in refused.value.problems] == [
        ("subjects.csv", 2, "subject_id", "subject listed twice"),
        ("measurements", 1, "lesion_id", "measurement of a lesion that does not exist"),
    ]
    assert not (tmp_path / "s.db").exists()


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown import format"):
        import_into(tmp_path / "s.db", fmt="sas", source=tmp_path)
    with pytest.raises(ImportRefused) as refused:
        import_into(tmp_path / "s.db", fmt="sdtm", source=tmp_path / "missing")
    assert "not a folder" in refused.value.problems[0].reason
    assert not (tmp_path / "s.db").exists()


@pytest.mark.slow
def test_onco_import(data: Path, tmp_path: Path) -> None:
    path = tmp_path / "onco.db"
    result = import_into(path, fmt="sdtm", source=data / "onco")
    assert result.counts["measurements"] == 26724 and result.counts["labs"] == 58700
    assert result.counts["reads"] == 1899 and result.counts["child_pugh"] == 254
    with Store.open(path) as store:
        check = store.rows("findings", "subject_id = ? AND value = ?", ["01-711-1143", "CHECK"])
        title = store.settings().title
    assert len(check) == 3 and all(f["kind"] == "import-warning" and f["file"] == "rs.csv" for f in check)
    assert "Alzheimer\u2019s" in title
    assert result.seconds < 60
