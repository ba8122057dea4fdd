"""The same SDTM delivery as SAS transport (XPT v5) files gives the same study as the CSV files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hccreview.io.sdtm import read_sdtm
from hccreview.services.importing import import_into
from hccreview.store import Store
from hccreview.store.study_data import TABLE_ATTRS, load_study

pyreadstat = pytest.importorskip("pyreadstat")


def _frame_as_sas_would_store_it(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "cp1252"
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=["NA", ""], encoding=encoding)
    for column in df.columns:
        present = df[column].notna()
        number = pd.to_numeric(df[column], errors="coerce")
        if present.any() and number[present].notna().all():
            df[column] = number.astype(float)  # a numeric SAS variable: floats, missing = .
        else:
            df[column] = df[column].fillna("")  # a character variable: missing = blank
    return df


def write_xpt_delivery(src: Path, dst: Path) -> Path:
    """Every ``*.csv`` domain of ``src`` as ``<domain>.xpt`` (SAS transport v5) in ``dst``."""
    dst.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.glob("*.csv")):
        frame = _frame_as_sas_would_store_it(path)
        pyreadstat.write_xport(
            frame, str(dst / f"{path.stem}.xpt"), table_name=path.stem.upper()[:8], file_format_version=5
        )
    return dst


def _study_tuples(path: Path) -> dict[str, tuple]:
    with Store.open(path) as store:
        data = load_study(store)
    return {"settings": data.settings, **{attr: getattr(data, attr) for attr in TABLE_ATTRS.values()}}


def test_recist_from_xpt_gives_the_same_study(pharmaverse: Path, tmp_path: Path) -> None:
    xpt = write_xpt_delivery(pharmaverse / "recist", tmp_path / "xpt")
    assert sorted(p.suffix for p in xpt.iterdir()) == [".xpt"] * 7
    from_csv = import_into(tmp_path / "csv.db", fmt="sdtm", source=pharmaverse / "recist")
    from_xpt = import_into(tmp_path / "xpt.db", fmt="sdtm", source=xpt)
    assert from_csv.counts == from_xpt.counts
    assert [(w.row, w.field, w.value, w.reason) for w in from_csv.warnings] == [
        (w.row, w.field, w.value, w.reason) for w in from_xpt.warnings
    ]
    a, b = _study_tuples(tmp_path / "csv.db"), _study_tuples(tmp_path / "xpt.db")
    for table in a:
        assert a[table] == b[table], table
    assert len(a["measurements"]) == 273 and len(a["reads"]) == 66


@pytest.mark.slow
def test_onco_from_xpt_gives_the_same_records(pharmaverse: Path, tmp_path: Path, onco_parsed) -> None:
    xpt = write_xpt_delivery(pharmaverse / "onco", tmp_path / "xpt")
    parsed = read_sdtm(xpt)
    assert parsed.errors == []
    for table, records in onco_parsed.records.items():
        assert parsed.records[table] == records, table
    assert parsed.settings == onco_parsed.settings
    assert {k.replace(".xpt", ".csv"): v for k, v in parsed.counts.items()} == onco_parsed.counts


def test_windows_1252_xpt(tmp_path: Path) -> None:
    """A SAS export in Windows-1252 (not valid UTF-8) is decoded as such, with a note."""
    folder = tmp_path / "cp1252"
    folder.mkdir()
    dm = pd.DataFrame(
        {"STUDYID": ["S1"], "USUBJID": ["S1-001"], "AGE": [61.0], "ARM": ["Drug"], "RFSTDTC": ["2020-01-06"]}
    )
    pyreadstat.write_xport(dm, str(folder / "dm.xpt"), table_name="DM", file_format_version=5)
    ts = pd.DataFrame({"STUDYID": ["S1"], "TSPARMCD": ["TITLE"], "TSVAL": ["Patients with Alzheimer#s Disease"]})
    pyreadstat.write_xport(ts, str(folder / "ts.xpt"), table_name="TS", file_format_version=5)
    raw = (folder / "ts.xpt").read_bytes()
    (folder / "ts.xpt").write_bytes(raw.replace(b"Alzheimer#s", b"Alzheimer\x92s"))  # cp1252 right quote
    parsed = read_sdtm(folder)
    assert parsed.errors == []
    assert parsed.settings["title"] == "Patients with Alzheimer\u2019s Disease"
    assert "ts.xpt: not valid UTF-8, read as Windows-1252" in parsed.notes
    subject = parsed.records["subjects"][0]
    assert (subject.subject_id, subject.age, subject.arm) == ("S1-001", 61, "Drug")


def test_csv_and_xpt_for_one_domain_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "both"
    folder.mkdir()
    pd.DataFrame({"USUBJID": ["A"]}).to_csv(folder / "dm.csv", index=False)
    pyreadstat.write_xport(pd.DataFrame({"USUBJID": ["A"]}), str(folder / "DM.XPT"), table_name="DM")
    parsed = read_sdtm(folder)
    assert [(p.file, p.row) for p in parsed.errors] == [("dm.csv", None)]
    assert "two files for the DM domain" in parsed.errors[0].reason
