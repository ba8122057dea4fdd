"""What a user reads when a delivery is broken (issue #19 item 3): one error per root cause, naming file, row, field.

Each case copies a real delivery — the pharmaverse ``recist/`` SDTM folder, or a CSV bundle written from it — to a
temporary folder, breaks one file the way real deliveries break (a key column dropped, the file cut off mid-row, a
record given twice, binary bytes in a value, a legacy single-byte encoding), imports it with ``import_into`` and
checks the exact messages, that each is given once, and that nothing was written: no new study file, and an
existing study byte for byte as it was.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from hccreview.domain import records as r
from hccreview.io.csv_bundle import read_bundle
from hccreview.io.csv_bundle_write import write_bundle
from hccreview.io.sdtm import read_sdtm
from hccreview.io.validation import ParsedImport
from hccreview.services.importing import ImportRefused, import_into
from hccreview.store import Store
from hccreview.store.study_data import review_tables_digest
from tests.io.test_sdtm_errors import minimal_delivery

BINARY = "binary content (NUL / control bytes) — not a text value"
TRUNCATED = "the file ends in the middle of this row ({}) — it looks truncated; re-export it"


# ---------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def recist(sdtm_root: Path) -> Path:
    """The real ``recist/`` SDTM delivery (skips where ../shared/data is absent)."""
    return sdtm_root / "recist"


@pytest.fixture(scope="module")
def bundle(recist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CSV bundle holding the ``recist/`` delivery's records, as ``write_bundle`` exports a study."""
    parsed = read_sdtm(recist)
    assert parsed.errors == []
    data = r.StudyData(settings=r.StudySettings(title="recist"), **{k: tuple(v) for k, v in parsed.records.items()})
    folder = tmp_path_factory.mktemp("bundle") / "recist-bundle"
    write_bundle(data, folder)
    return folder


@pytest.fixture(scope="module")
def existing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A study with content of its own: a refused import into it must leave it exactly as it was."""
    root = tmp_path_factory.mktemp("existing")
    import_into(root / "study.db", fmt="sdtm", source=minimal_delivery(root / "first", prefix="E"))
    return root / "study.db"


def copy(source: Path, tmp_path: Path) -> Path:
    """A writable copy of a delivery folder (the shared data is read-only)."""
    folder = tmp_path / "in"
    shutil.copytree(source, folder, copy_function=shutil.copyfile)
    folder.chmod(0o755)
    return folder


def _fingerprint(study: Path) -> tuple[str, str, list[str]]:
    sha = hashlib.sha256(study.read_bytes()).hexdigest()
    with Store.open(study, migrate=False) as store:
        digest = review_tables_digest(store)
    return sha, digest, sorted(p.name for p in study.parent.iterdir() if not p.name.endswith(("-wal", "-shm")))


def refused(source: Path, fmt: str, existing: Path, tmp_path: Path) -> list[str]:
    """Import ``source`` as a new study and into ``existing``: both refused, nothing written; the messages."""
    new = tmp_path / "new.db"
    with pytest.raises(ImportRefused) as first:
        import_into(new, fmt=fmt, source=source)
    assert not new.exists() and not any(tmp_path.glob("new.db*")), "a refused import left a study file behind"
    before = _fingerprint(existing)
    with pytest.raises(ImportRefused) as second:
        import_into(existing, fmt=fmt, source=source)
    assert _fingerprint(existing) == before, "a refused import changed the existing study"
    messages = [str(p) for p in first.value.problems]
    assert [str(p) for p in second.value.problems] == messages
    return messages


# ---------------------------------------------------------------------------------------------- file edits
def _records(path: Path, encoding: str = "utf-8-sig") -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.reader(handle))


def _write(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def drop_column(path: Path, column: str) -> int:
    """Remove ``column`` from a CSV file; returns its number of data rows."""
    rows = _records(path)
    at = rows[0].index(column)
    _write(path, [row[:at] + row[at + 1 :] for row in rows])
    return len(rows) - 1


def repeat_row(path: Path, row: int) -> dict[str, str]:
    """Insert a copy of data row ``row`` right after it; returns that row's cells by column."""
    rows = _records(path)
    rows.insert(row + 1, rows[row])
    _write(path, rows)
    return dict(zip(rows[0], rows[row], strict=True))


def set_cell(path: Path, row: int, column: str, value: str) -> None:
    rows = _records(path)
    rows[row][rows[0].index(column)] = value
    _write(path, rows)


def cut_in_row(path: Path, row: int, after: Callable[[bytes], int]) -> None:
    """Truncate the file inside data row ``row`` (one record a line), ``after(line)`` bytes into that line."""
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    start = len(b"\n".join(lines[:row])) + 1
    path.write_bytes(raw[: start + after(lines[row])])


# ---------------------------------------------------------------------------------------------- SDTM
@pytest.mark.parametrize(("domain", "column"), [("tu", "TULNKID"), ("dm", "USUBJID"), ("rs", "RSTESTCD")])
def test_a_missing_key_column_is_one_error(
    recist: Path, existing: Path, tmp_path: Path, domain: str, column: str
) -> None:  # fmt: skip
    """TU without TULNKID used to give 52 errors (every TR row "a lesion that does not exist"); DM without
    USUBJID one per row of every other domain."""
    folder = copy(recist, tmp_path)
    n = drop_column(folder / f"{domain}.csv", column)
    messages = refused(folder, "sdtm", existing, tmp_path)
    assert messages == [f"{domain}.csv, field {column}: required column {column} is missing (affects {n} rows)"]


@pytest.mark.parametrize(
    ("after", "shape"),
    [
        (lambda line: line.index(b',2,"WEEK 3"') + 2, "13 of 19 fields"),  # cut after VISITNUM
        (lambda line: line.index(b'"2014-01-22"') + len(b'"2014-01'), "18 of 19 fields, inside a quoted value"),
    ],
    ids=["mid-row", "inside-quotes"],
)
def test_a_truncated_file_is_named_as_truncated(
    recist: Path, existing: Path, tmp_path: Path, after: Callable[[bytes], int], shape: str
) -> None:  # fmt: skip
    """Was "tr.csv row 272, field TRDTC: measurement without a date"."""
    folder = copy(recist, tmp_path)
    cut_in_row(folder / "tr.csv", 272, after)
    assert refused(folder, "sdtm", existing, tmp_path) == [f"tr.csv row 272: {TRUNCATED.format(shape)}"]


def test_a_truncated_dm_does_not_make_the_subjects_records_orphans(
    recist: Path, existing: Path, tmp_path: Path
) -> None:  # fmt: skip
    """The last DM row, cut after its USUBJID, is lost: its subject's AE / EX / DS rows are not reported as well."""
    folder = copy(recist, tmp_path)
    rows = _records(folder / "dm.csv")
    subject = dict(zip(rows[0], rows[-1], strict=True))["USUBJID"]
    assert all(subject in (folder / f"{d}.csv").read_text() for d in ("ae", "ex", "ds")), "precondition"
    last = len(rows) - 1
    cut_in_row(folder / "dm.csv", last, lambda line: line.index(subject.encode()) + len(subject) + 5)
    expected = f"dm.csv row {last}: {TRUNCATED.format('4 of 28 fields, inside a quoted value')}"
    assert refused(folder, "sdtm", existing, tmp_path) == [expected]


@pytest.mark.parametrize(
    ("domain", "row"), [("ae", 14), ("tr", 272), ("rs", 40), ("tu", 10), ("ex", 5), ("ds", 5)]
)  # fmt: skip
def test_a_repeated_record_key_is_refused(
    recist: Path, existing: Path, tmp_path: Path, domain: str, row: int
) -> None:  # fmt: skip
    folder = copy(recist, tmp_path)
    cells = repeat_row(folder / f"{domain}.csv", row)
    seq = f"{domain.upper()}SEQ"
    key = f"USUBJID={cells['USUBJID']}, {seq}={cells[seq]}"
    expected = f"{domain}.csv row {row + 1}, field {seq}: duplicate key {key} (rows {row} and {row + 1})"
    assert refused(folder, "sdtm", existing, tmp_path) == [expected]


@pytest.mark.parametrize("garbage", [b"P\x00R", b"P\x07\x1bR", b"P\x81\x8dR"], ids=["nul", "controls", "undefined"])
def test_binary_content_in_a_field_is_refused(
    recist: Path, existing: Path, tmp_path: Path, garbage: bytes
) -> None:  # fmt: skip
    """Bytes no text encoding defines (0x81, 0x8D) used to earn only the note "read as Latin-1"."""
    folder = copy(recist, tmp_path)
    path = folder / "rs.csv"
    lines = path.read_bytes().split(b"\n")
    assert lines[40].count(b'"PR","PR"') == 1  # RSORRES, RSSTRESC of row 40
    lines[40] = lines[40].replace(b'"PR","PR"', b'"' + garbage + b'","PR"')
    path.write_bytes(b"\n".join(lines))
    assert refused(folder, "sdtm", existing, tmp_path) == [f"rs.csv row 40, field RSORRES: {BINARY}"]
    assert not any("Latin-1" in note for note in read_sdtm(folder).notes)


def test_binary_content_in_an_xpt_value_is_refused(recist: Path, existing: Path, tmp_path: Path) -> None:
    """A SAS transport file holds character values, not text lines: a control character in one is refused alike."""
    from tests.io.test_sdtm_xpt import write_xpt_delivery

    folder = copy(recist, tmp_path)
    set_cell(folder / "rs.csv", 40, "RSORRES", "P\x07R")
    xpt = write_xpt_delivery(folder, tmp_path / "xpt")
    assert refused(xpt, "sdtm", existing, tmp_path) == [f"rs.xpt row 40, field RSORRES: {BINARY}"]


def test_a_windows_1252_file_imports_with_its_encoding_named_once(recist: Path, tmp_path: Path) -> None:
    folder = copy(recist, tmp_path)
    path = folder / "ae.csv"
    text = path.read_text(encoding="utf-8")
    assert text.count("HIATUS HERNIA") == 4  # AETERM and AEDECOD of two events
    path.write_bytes(text.replace("HIATUS HERNIA", "HIATUS HERNIA – ÖSOPHAGUS").encode("cp1252"))
    study = tmp_path / "new.db"
    result = import_into(study, fmt="sdtm", source=folder)
    assert [n for n in result.notes if "UTF-8" in n] == ["ae.csv: not valid UTF-8, read as Windows-1252"]
    assert len(result.notes) == len(set(result.notes))
    with Store.open(study, migrate=False) as store:
        terms = {row["term"] for row in store.rows("adverse_events")}
    assert "HIATUS HERNIA – ÖSOPHAGUS" in terms


def test_repeated_responses_are_one_note_per_file(recist: Path, tmp_path: Path) -> None:
    """Overall responses repeated exactly (other RSSEQ, same content) are kept once, said in one note, not a line
    per row."""
    folder = copy(recist, tmp_path)
    rows = _records(folder / "rs.csv")
    seq = rows[0].index("RSSEQ")
    top = max(int(row[seq]) for row in rows[1:])
    copies = [[*rows[40][:seq], str(top + k), *rows[40][seq + 1 :]] for k in (1, 2)]
    _write(folder / "rs.csv", rows + copies)
    parsed = read_sdtm(folder)
    assert parsed.errors == []
    n = len(rows) - 1
    repeats = [note for note in parsed.notes if note.startswith("rs.csv:") and "repeating" in note]
    assert repeats == [
        f"rs.csv: 2 overall responses repeating another exactly were kept once (rows {n + 1} and {n + 2})"
    ]


def test_the_onco_delivery_names_its_legacy_encoding_once(onco_parsed: ParsedImport) -> None:
    """``onco/ts.csv`` is Windows-1252, as SAS exports often are: one note for it, and no note line twice."""
    assert [n for n in onco_parsed.notes if "Windows-1252" in n] == ["ts.csv: not valid UTF-8, read as Windows-1252"]
    assert len(onco_parsed.notes) == len(set(onco_parsed.notes))


# ---------------------------------------------------------------------------------------------- CSV bundle
@pytest.mark.parametrize(("file", "column"), [("lesions.csv", "lesion_id"), ("subjects.csv", "subject_id")])
def test_bundle_missing_required_column_is_one_error(
    bundle: Path, existing: Path, tmp_path: Path, file: str, column: str
) -> None:  # fmt: skip
    """Without the column no row of the file is read; measurements of those lesions, records of those subjects
    are not reported again (the import service used to add one error per record)."""
    folder = copy(bundle, tmp_path)
    n = drop_column(folder / file, column)
    messages = refused(folder, "csv", existing, tmp_path)
    assert messages == [f"{file}, field {column}: required column {column} is missing (affects {n} rows)"]


def test_bundle_truncated_file_is_named_as_truncated(bundle: Path, existing: Path, tmp_path: Path) -> None:
    folder = copy(bundle, tmp_path)
    path = folder / "measurements.csv"
    width = len(_records(path)[0])
    cut_in_row(path, 100, lambda line: line.index(b",2014-") + 5)  # in the middle of the date (4th column)
    assert refused(folder, "csv", existing, tmp_path) == [
        f"measurements.csv row 100: {TRUNCATED.format(f'4 of {width} fields')}"
    ]


def test_bundle_truncated_subjects_do_not_orphan_their_records(bundle: Path, existing: Path, tmp_path: Path) -> None:
    folder = copy(bundle, tmp_path)
    path = folder / "subjects.csv"
    rows = _records(path)
    subject, width, last = rows[-1][0], len(rows[0]), len(rows) - 1
    assert subject in (folder / "adverse_events.csv").read_text(encoding="utf-8-sig"), "precondition"
    cut_in_row(path, last, lambda line: len(subject) + 3)  # subject_id, then 2 characters of the site
    assert refused(folder, "csv", existing, tmp_path) == [
        f"subjects.csv row {last}: {TRUNCATED.format(f'2 of {width} fields')}"
    ]


def test_bundle_repeated_record_key_is_refused(bundle: Path, existing: Path, tmp_path: Path) -> None:
    folder = copy(bundle, tmp_path)
    cells = repeat_row(folder / "adverse_events.csv", 14)
    key = f"subject_id={cells['subject_id']}, seq={cells['seq']}"
    assert refused(folder, "csv", existing, tmp_path) == [
        f"adverse_events.csv row 15, field seq: duplicate key {key} (rows 14 and 15)"
    ]


def test_bundle_binary_content_in_a_field_is_refused(bundle: Path, existing: Path, tmp_path: Path) -> None:
    folder = copy(bundle, tmp_path)
    set_cell(folder / "reads.csv", 40, "overall", "P\x00R")
    assert refused(folder, "csv", existing, tmp_path) == [f"reads.csv row 40, field overall: {BINARY}"]


def test_bundle_windows_1252_file_imports_with_its_encoding_named_once(bundle: Path, tmp_path: Path) -> None:
    folder = copy(bundle, tmp_path)
    rows = _records(folder / "subjects.csv")
    rows[1][rows[0].index("site")] = "Zürich – Süd"
    _write(folder / "subjects.csv", rows, encoding="cp1252")
    study = tmp_path / "new.db"
    result = import_into(study, fmt="csv", source=folder)
    assert [n for n in result.notes if "UTF-8" in n] == ["subjects.csv: not valid UTF-8, read as Windows-1252"]
    assert len(result.notes) == len(set(result.notes))
    with Store.open(study, migrate=False) as store:
        sites = {row["subject_id"]: row["site"] for row in store.rows("subjects")}
    assert sites[rows[1][0]] == "Zürich – Süd"


def test_bundle_rows_keep_their_numbers_around_a_broken_row(bundle: Path, tmp_path: Path) -> None:
    """A row of the wrong shape is one error and is not read; the rows after it keep their numbers."""
    folder = copy(bundle, tmp_path)
    rows = _records(folder / "cycles.csv")
    rows[3] = rows[3] + ["extra"]
    rows[5][rows[0].index("dose_mg")] = "lots"
    _write(folder / "cycles.csv", rows)
    parsed = read_bundle(folder)
    assert [str(p) for p in parsed.errors] == [
        f"cycles.csv row 3: row has {len(rows[0]) + 1} fields, the header {len(rows[0])}",
        "cycles.csv row 5, field dose_mg (value 'lots'): not a number",
    ]
    assert parsed.counts["cycles.csv"] == len(rows) - 2
