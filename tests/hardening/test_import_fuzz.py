"""Importer fuzzing beyond tests/io/*errors*.py: SDTM (CSV and XPT) and the CSV bundle through ``import_into``.

Generated bad input of each kind — malformed CSV (random bytes, ragged rows, stray quotes), wrong types, impossible
dates (death before enrolment, an assessment before the baseline), negative, infinite or absurd diameters,
duplicate subjects — must give a clear problem naming file, row and field: an error refusing the whole import
(``ImportRefused``, the study file byte for byte as before, same audit head, no file left behind), or, where the
domain treats it as a warning (an assessment dated before the origin), a warning finding with its location.
An AE term outside the packaged CTCAE list is imported as given, with a warning finding naming file, row and field.
Example counts are kept small (the whole module runs in well under 40 s).
"""

from __future__ import annotations

import hashlib
import os
import string
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hccreview.io.ae_terms import packaged_terms
from hccreview.io.sdtm_tumour import _STATES  # the SDTM lesion-state codes (NE, PRESENT...)
from hccreview.services.importing import ImportRefused, import_into
from hccreview.store import Store
from hccreview.store.provenance import audit_head
from hccreview.store.study_data import review_tables_digest
from tests.io.test_csv_bundle_errors import base as bundle_base
from tests.io.test_csv_bundle_errors import write as write_bundle
from tests.io.test_sdtm_errors import minimal_delivery

#: Examples per test; ``HCCREVIEW_FUZZ_EXAMPLES=200`` fuzzes deeper on demand (the default keeps CI fast).
EXAMPLES = int(os.environ.get("HCCREVIEW_FUZZ_EXAMPLES", "12"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
XPT = settings(
    max_examples=max(EXAMPLES // 2, 1), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
Change = Callable[[pd.DataFrame], int]  # edits a domain table, returns the 1-based row it made bad


# ---------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def existing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A study with content of its own (the minimal delivery under other subject ids)."""
    root = tmp_path_factory.mktemp("fuzz-existing")
    path = root / "study.db"
    import_into(path, fmt="sdtm", source=minimal_delivery(root / "first", prefix="E"))
    return path


def _fingerprint(path: Path) -> tuple[str, str, str | None, list[str]]:
    """File bytes, table content, audit head, and the files beside it (no backup left by a refused import)."""
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with Store.open(path, migrate=False) as store:
        digest, head = review_tables_digest(store), audit_head(store)
    beside = sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(("-wal", "-shm")))
    return sha, digest, head, beside


def _refused(study: Path, fmt: str, source: Path) -> list:
    """Import ``source`` into ``study``; it must be refused and leave the study exactly as it was."""
    before = _fingerprint(study)
    with pytest.raises(ImportRefused) as refused:
        import_into(study, fmt=fmt, source=source)
    assert _fingerprint(study) == before, "a refused import changed the study file"
    problems = refused.value.problems
    assert problems and all(p.severity == "error" and p.file and p.reason for p in problems)
    assert str(refused.value).startswith("import refused")
    return problems


def _at(problems: list, file: str, row: int | None, field: str) -> list:
    return [p for p in problems if (p.file, p.row, p.field) == (file, row, field)]


def _edit(folder: Path, domain: str, change: Change, suffix: str = "csv") -> int:
    path = folder / f"{domain}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = change(frame)
    frame.to_csv(path, index=False)
    return row


def _set(row: int, **cells: str) -> Change:
    def change(frame: pd.DataFrame) -> int:
        for column, value in cells.items():
            frame.loc[row - 1, column] = value
        return row

    return change


# ---------------------------------------------------------------------------------------------- strategies
def _not_a_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        state = "".join(c for c in text.upper() if c.isalpha())  # TR result codes the importer reads as a state
        return bool(text.strip()) and text.strip().upper() not in ("NA", "NAN", "NOT DONE") and state not in _STATES
    return False


words = st.text(alphabet=string.ascii_letters + ",;/ -", min_size=1, max_size=10).filter(_not_a_number)
absurd = st.one_of(
    st.floats(min_value=1000.01, max_value=1e12).map(lambda x: f"{x:.2f}"),
    st.sampled_from(["inf", "-inf", "Infinity", "1e6"]),
)
absurd_finite = st.floats(min_value=1000.01, max_value=1e12).map(lambda x: f"{x:.2f}")
negative = st.floats(min_value=-1e6, max_value=-0.01).map(lambda x: f"{x:.2f}")
days_before = st.integers(min_value=1, max_value=3000)


# ---------------------------------------------------------------------------------------------- SDTM (CSV)
@FUZZ
@given(value=st.one_of(words, absurd, negative), row=st.sampled_from([1, 3]))
def test_sdtm_bad_diameter_is_refused_and_located(existing: Path, value: str, row: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = minimal_delivery(Path(tmp) / "in")
        _edit(folder, "tr", _set(row, TRSTRESN=value, TRSTRESC=value))
        problems = _refused(existing, "sdtm", folder)
    located = _at(problems, "tr.csv", row, "TRSTRESN")
    assert located and located[0].value == value.strip() and "diameter" in located[0].reason, [str(p) for p in problems]


@FUZZ
@given(value=words, target=st.sampled_from([("ex", "EXDOSE"), ("tr", "TRSTRESN")]))
def test_sdtm_text_in_a_number_field_is_refused(existing: Path, value: str, target: tuple[str, str]) -> None:
    domain, field = target
    with tempfile.TemporaryDirectory() as tmp:
        folder = minimal_delivery(Path(tmp) / "in")
        _edit(folder, domain, _set(1, **{field: value}))
        problems = _refused(existing, "sdtm", folder)
    assert any("not a number" in p.reason for p in _at(problems, f"{domain}.csv", 1, field)), [str(p) for p in problems]


@FUZZ
@given(before=days_before, row=st.sampled_from([1, 2]))
def test_sdtm_death_before_enrolment_is_refused(existing: Path, before: int, row: int) -> None:
    enrolled = date(2020, 1, 6) if row == 1 else date(2020, 2, 3)
    death = (enrolled - timedelta(days=before)).isoformat()
    with tempfile.TemporaryDirectory() as tmp:
        folder = minimal_delivery(Path(tmp) / "in")
        _edit(folder, "dm", _set(row, DTHDTC=death))
        problems = _refused(existing, "sdtm", folder)
    located = _at(problems, "dm.csv", row, "DTHDTC")
    assert located and located[0].reason.startswith("death before"), [str(p) for p in problems]


@FUZZ
@given(row=st.sampled_from([1, 2]), age=st.integers(18, 90).map(str))
def test_sdtm_duplicate_subject_is_refused(existing: Path, row: int, age: str) -> None:
    def duplicate(frame: pd.DataFrame) -> int:
        frame.loc[len(frame)] = {**frame.iloc[row - 1].to_dict(), "AGE": age}
        return len(frame)

    with tempfile.TemporaryDirectory() as tmp:
        folder = minimal_delivery(Path(tmp) / "in")
        new_row = _edit(folder, "dm", duplicate)
        problems = _refused(existing, "sdtm", folder)
    located = _at(problems, "dm.csv", new_row, "USUBJID")
    assert located and "twice" in located[0].reason, [str(p) for p in problems]


@FUZZ
# 3 days before the origin is the baseline scan's own date: a WEEK 6 measurement moved there would be a second,
# different measurement of the lesion on that date (refused as a duplicate, tested elsewhere), not an early one.
@given(before=st.integers(1, 400).filter(lambda b: b != 3), domain=st.sampled_from(["tr", "rs"]))
def test_sdtm_assessment_before_the_origin_is_a_located_warning(tmp_path_factory, before: int, domain: str) -> None:
    day = (date(2020, 1, 6) - timedelta(days=before)).isoformat()
    field, row = ("TRDTC", 3) if domain == "tr" else ("RSDTC", 1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = minimal_delivery(Path(tmp) / "in")
        if domain == "tr":  # both WEEK 6 measurements of the lesion pair move, as a scan would
            _edit(folder, "tr", lambda f: (f.loc.__setitem__((slice(2, 3), "TRDTC"), day), 3)[1])
        else:
            _edit(folder, "rs", _set(1, RSDTC=day))
        result = import_into(Path(tmp) / "new.db", fmt="sdtm", source=folder)
    early = [w for w in result.warnings if (w.file, w.row, w.field) == (f"{domain}.csv", row, field)]
    assert early and "before the origin" in early[0].reason and early[0].value == day, [str(w) for w in result.warnings]


garbage = st.one_of(
    st.binary(min_size=1, max_size=200),
    st.text(alphabet=string.printable + "é€\x00", min_size=1, max_size=200).map(lambda s: s.encode("utf-8")),
    st.sampled_from([
        b'USUBJID,AESEQ,AETERM\n"S-001,1,"Fatigue\n',  # a stray quote swallows the separators
        b"USUBJID;AESEQ;AETERM\nS-001;1;Fatigue\n",  # the wrong delimiter
        b"USUBJID,AESEQ\nS-001,1,extra,more\n",  # a ragged row
        b"\xef\xbb\xbf\xef\xbb\xbf",  # byte-order marks only
    ]),
)  # fmt: skip


@FUZZ
@given(content=garbage, domain=st.sampled_from(["dm", "ae", "ex", "tr", "rs"]))
def test_sdtm_malformed_file_is_refused_naming_it(existing: Path, content: bytes, domain: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = minimal_delivery(Path(tmp) / "in")
        (folder / f"{domain}.csv").write_bytes(content)
        problems = _refused(existing, "sdtm", folder)
    # a broken DM may still parse as a table of other subjects: then every other file's rows name it
    named = any(p.file == f"{domain}.csv" or (domain == "dm" and "does not exist in DM" in p.reason) for p in problems)
    assert named, [str(p) for p in problems]


# ---------------------------------------------------------------------------------------------- SDTM (XPT)
pyreadstat = pytest.importorskip("pyreadstat")


def _as_xpt(csv_folder: Path, out: Path) -> Path:
    from tests.io.test_sdtm_xpt import write_xpt_delivery

    return write_xpt_delivery(csv_folder, out)


@XPT
@given(
    case=st.one_of(
        st.tuples(st.just("tr"), st.just("TRSTRESN"), st.one_of(absurd_finite, negative, words)),  # SAS has no inf
        st.tuples(st.just("ex"), st.just("EXDOSE"), words),
        st.tuples(st.just("dm"), st.just("DTHDTC"), days_before.map(lambda d: str(date(2020, 1, 6) - timedelta(d)))),
    )
)  # fmt: skip
def test_xpt_bad_values_are_refused_naming_the_xpt_file(existing: Path, case: tuple[str, str, str]) -> None:
    domain, field, value = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = minimal_delivery(Path(tmp) / "in")
        _edit(folder, domain, _set(1, **{field: value}))
        xpt = _as_xpt(folder, Path(tmp) / "xpt")
        problems = _refused(existing, "sdtm", xpt)
    assert _at(problems, f"{domain}.xpt", 1, field), [str(p) for p in problems]


@XPT
@given(content=st.binary(min_size=0, max_size=400), domain=st.sampled_from(["dm", "ae", "tr"]))
def test_xpt_malformed_file_is_refused_naming_it(existing: Path, content: bytes, domain: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        xpt = _as_xpt(minimal_delivery(Path(tmp) / "in"), Path(tmp) / "xpt")
        (xpt / f"{domain}.xpt").write_bytes(content)
        problems = _refused(existing, "sdtm", xpt)
    assert any(p.file == f"{domain}.xpt" for p in problems), [str(p) for p in problems]


# ---------------------------------------------------------------------------------------------- CSV bundle
def _bundle(tmp: Path, change: Callable[[dict], None]) -> Path:
    files = bundle_base()
    change(files)
    return write_bundle(tmp / "bundle", files)


@FUZZ
@given(
    case=st.one_of(
        st.tuples(st.just("measurements.csv"), st.sampled_from([1, 2]), st.just("diameter_mm"),
                  st.one_of(absurd, negative, words)),
        st.tuples(st.just("subjects.csv"), st.sampled_from([1, 2]), st.just("age"), st.one_of(words, negative)),
        st.tuples(st.just("cycles.csv"), st.just(1), st.just("dose_mg"), st.one_of(words, negative)),
        st.tuples(st.just("adverse_events.csv"), st.just(1), st.just("grade"),
                  st.one_of(words, st.integers(6, 99).map(str), st.integers(-9, 0).map(str))),
    )
)  # fmt: skip
def test_bundle_bad_value_is_refused_and_located(existing: Path, case: tuple[str, int, str, str]) -> None:
    file, row, field, value = case
    with tempfile.TemporaryDirectory() as tmp:
        source = _bundle(Path(tmp), lambda files: files[file][row - 1].update({field: value}))
        problems = _refused(existing, "csv", source)
    located = _at(problems, file, row, field)
    assert located and located[0].value == value.strip(), [str(p) for p in problems]


@FUZZ
@given(before=days_before, row=st.sampled_from([1, 2]))
def test_bundle_death_before_first_dose_is_refused(existing: Path, before: int, row: int) -> None:
    first_dose = date(2014, 1, 10) if row == 1 else date(2014, 2, 1)
    death = (first_dose - timedelta(days=before)).isoformat()
    with tempfile.TemporaryDirectory() as tmp:
        source = _bundle(Path(tmp), lambda files: files["follow_up.csv"][row - 1].update(death_date=death))
        problems = _refused(existing, "csv", source)
    located = _at(problems, "follow_up.csv", row, "death_date")
    assert located and located[0].reason.startswith("death before"), [str(p) for p in problems]


@FUZZ
@given(row=st.sampled_from([1, 2]), age=st.integers(18, 90).map(str))
def test_bundle_duplicate_subject_is_refused(existing: Path, row: int, age: str) -> None:
    def duplicate(files: dict) -> None:
        files["subjects.csv"].append({**files["subjects.csv"][row - 1], "age": age})

    with tempfile.TemporaryDirectory() as tmp:
        problems = _refused(existing, "csv", _bundle(Path(tmp), duplicate))
    assert _at(problems, "subjects.csv", 3, "subject_id"), [str(p) for p in problems]


@FUZZ
@given(content=garbage, file=st.sampled_from(["subjects.csv", "measurements.csv", "adverse_events.csv"]))
def test_bundle_malformed_file_is_refused_naming_it(existing: Path, content: bytes, file: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = _bundle(Path(tmp), lambda files: None)
        (source / file).write_bytes(content)
        problems = _refused(existing, "csv", source)
    assert any(p.file == file for p in problems), [str(p) for p in problems]


@FUZZ
@given(before=st.integers(1, 300))
def test_bundle_assessment_before_the_origin_is_a_located_warning(before: int) -> None:
    day = (date(2014, 1, 10) - timedelta(days=before)).isoformat()
    # a read on a reader's baseline scan date is that baseline, not an early assessment (csv_bundle_checks)
    assume(day not in {m["date"] for m in bundle_base()["measurements.csv"] if m["subject_id"] == "HCC-001"})
    with tempfile.TemporaryDirectory() as tmp:
        source = _bundle(Path(tmp), lambda files: files["reads.csv"][0].update(date=day))
        result = import_into(Path(tmp) / "new.db", fmt="csv", source=source)
    early = [w for w in result.warnings if (w.file, w.row, w.field) == ("reads.csv", 1, "date")]
    assert early and "origin" in early[0].reason and early[0].value == day, [str(w) for w in result.warnings]


# ---------------------------------------------------------------------------------------------- regressions
@pytest.mark.parametrize("content", [b"\n", b"\r\n\r\n"])
def test_bundle_file_of_blank_lines_is_refused_not_a_crash(existing: Path, content: bytes) -> None:
    """Found by the fuzzing above: a file of blank lines raised IndexError instead of naming the file."""
    with tempfile.TemporaryDirectory() as tmp:
        source = _bundle(Path(tmp), lambda files: None)
        (source / "measurements.csv").write_bytes(content)
        problems = _refused(existing, "csv", source)
    assert [(p.file, p.row, p.reason) for p in problems] == [
        ("measurements.csv", None, "empty file: the header row is missing")
    ]


def test_sdtm_dm_without_rows_is_named(existing: Path) -> None:
    """Found by the fuzzing above: an empty DM was reported only as other files' unknown subjects."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = minimal_delivery(Path(tmp) / "in")
        (folder / "dm.csv").write_text("USUBJID,AGE\n")
        problems = _refused(existing, "sdtm", folder)
    assert _at(problems, "dm.csv", None, "USUBJID")[0].reason == "DM lists no subject: the file has no data rows"


term_text = st.text(alphabet=string.ascii_letters + string.digits + " -,'()/éü", min_size=1, max_size=40).filter(
    lambda s: s.strip() not in ("", "NA") and not s.strip().startswith("-")
)


@FUZZ
@given(term=term_text)
def test_an_ae_term_outside_the_ctcae_list_is_kept_as_given(term: str) -> None:
    """Imported verbatim, never refused or crashed on (the toxicity table counts it under its own name), and named
    in one warning per file (file, first row, field): the packaged ``ctcae_v5.csv`` holds 62 terms, so real
    MedDRA-coded deliveries get one summary finding rather than a line per row (io/ae_terms.py)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = minimal_delivery(Path(tmp) / "in")
        _edit(folder, "ae", _set(1, AEDECOD=term, AETERM=term))
        study = Path(tmp) / "new.db"
        result = import_into(study, fmt="sdtm", source=folder)
        with Store.open(study, migrate=False) as store:
            terms = [r["term"] for r in store.rows("adverse_events", order_by="id")]
    assert " ".join(term.split()) in [" ".join(t.split()) for t in terms], terms
    if packaged_terms().lookup(term) is None:
        found = [w for w in result.warnings if "CTCAE v5.0 term table" in w.reason]
        assert len(found) == 1 and (found[0].file, found[0].row, found[0].field) == ("ae.csv", 1, "AEDECOD")
        assert found[0].value == " ".join(term.split()) and repr(" ".join(term.split())) in found[0].reason
