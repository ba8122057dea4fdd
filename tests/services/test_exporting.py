"""Exporting a study as a CSV bundle: what the store holds comes back unchanged through the bundle."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from hccreview.domain import records as r
from hccreview.io.csv_bundle import read_bundle
from hccreview.services.exporting import export_bundle
from hccreview.services.session import create_study, open_study
from hccreview.store.study_data import TABLE_ATTRS, write_records


def _records() -> dict[str, list[object]]:
    s1, s2 = "HCC-001", "HCC-002"
    return {
        "subjects": [
            r.Subject(
                s1,
                site="Genève",
                sex="M",
                age=70,
                ecog=1,
                extrahepatic=True,
                afp_ng_ml=1234.5678,
                birth_date=date(1944, 4, 4),
                first_dose_date=date(2014, 1, 10),
            ),
            r.Subject(s2, screen_failure=True),
        ],
        "child_pugh": [r.ChildPughComponents(s1, 2.0, 2.8, 1.7, "mild", "none")],
        "cycles": [r.Cycle(s1, 1, date(2014, 1, 10), 25.0, 21), r.Cycle(s1, 2, date(2014, 2, 14), 20.0, None, 7, True)],
        "adverse_events": [r.AdverseEvent(s1, 1, "Fatigue", "General disorders", 3, onset=date(2014, 1, 30))],
        "labs": [r.LabResult(s1, "NEUT", 0.45, "10^9/L", date(2014, 1, 30), 1.8, 7.5)],
        "lesions": [
            r.Lesion(s1, "investigator", "T01", r.LesionKind.TARGET, "liver"),
            r.Lesion(s1, "reader-1", "T01", r.LesionKind.TARGET, "liver"),
        ],
        "measurements": [
            r.Measurement(s1, "investigator", "T01", date(2014, 1, 5), "Baseline", 41.3, viable_mm=30.1),
            r.Measurement(s1, "investigator", "T01", date(2014, 3, 5), "Week 8", 28.9, viable_mm=10.0),
            r.Measurement(s1, "reader-1", "T01", date(2014, 1, 5), "Baseline", 40.0),
        ],
        "reads": [
            r.Read(s1, "investigator", r.ReadRole.INVESTIGATOR, date(2014, 3, 5), "Week 8", "PR", "PR", "", False),
            r.Read(s1, "reader-1", r.ReadRole.READER, date(2014, 3, 31), "Week 8", "SD", date_imputed=True),
        ],
        "adjudications": [
            r.Adjudication(s1, "reader-1", "margins", "adj", datetime(2014, 5, 1, 12, 0, tzinfo=UTC), signed=True)
        ],
        "follow_up": [r.FollowUp(s1, date(2014, 9, 9), "progression", date(2014, 9, 9)), r.FollowUp(s2)],
    }


def test_export_bundle_round_trip(tmp_path: Path) -> None:
    with create_study(tmp_path / "study.db", title="Export test", criteria="mrecist") as session:
        write_records(session.store, _records(), note="test data")
        paths = export_bundle(session, tmp_path / "bundle")
        data = session.data()
    assert {p.name for p in paths} == {"study.csv", *(f"{t}.csv" for t in TABLE_ATTRS if t != "child_pugh")}
    parsed = read_bundle(tmp_path / "bundle")
    assert parsed.errors == []
    assert parsed.records == {table: list(getattr(data, attr)) for table, attr in TABLE_ATTRS.items()}
    assert r.StudySettings(**parsed.settings) == data.settings  # type: ignore[arg-type]


def test_export_then_import_into_a_new_study(tmp_path: Path) -> None:
    """The whole path: store -> export -> ``import_into`` -> store gives the same records and settings."""
    from hccreview.services import importing  # type: ignore[attr-defined]

    with create_study(tmp_path / "a.db", title="Export → import", criteria="mrecist", min_sd_days=35) as session:
        write_records(session.store, _records(), note="test data")
        export_bundle(session, tmp_path / "bundle")
        original = session.data()
    result = importing.import_into(tmp_path / "b.db", fmt="csv", source=tmp_path / "bundle")
    assert result.warnings == []
    with open_study(tmp_path / "b.db") as session:
        copy = session.data()
    assert copy.settings == original.settings
    for attr in TABLE_ATTRS.values():
        assert getattr(copy, attr) == getattr(original, attr), attr


@pytest.mark.parametrize("delivery", ["recist", pytest.param("onco", marks=pytest.mark.slow)])
def test_sdtm_study_round_trips_through_the_bundle(tmp_path: Path, sdtm_root: Path, delivery: str) -> None:
    """A study imported from a real pharmaverse delivery (recist: three readers; onco: 254 patients, labs in SI
    units) survives export -> import unchanged, and no lab value is converted on the way back."""
    from hccreview.services import importing  # type: ignore[attr-defined]

    importing.import_into(tmp_path / "a.db", fmt="sdtm", source=sdtm_root / delivery)
    with open_study(tmp_path / "a.db") as session:
        original = session.data()
        export_bundle(session, tmp_path / "bundle")
    result = importing.import_into(tmp_path / "b.db", fmt="csv", source=tmp_path / "bundle")
    assert not [w for w in result.warnings if "converted" in w.reason] and result.notes == []
    with open_study(tmp_path / "b.db") as session:
        copy = session.data()
    assert original.subjects and original.measurements and original.reads
    assert copy.settings == original.settings
    for attr in TABLE_ATTRS.values():
        assert getattr(copy, attr) == getattr(original, attr), attr


def test_demo_round_trip(tmp_path: Path) -> None:
    """Demo study -> bundle -> a new study through the importer: the same records (order aside).

    Needs the demo simulator and ``services.importing`` (written concurrently by other engineers).
    """
    from hccreview.services import demo_study, importing  # type: ignore[attr-defined]

    demo = demo_study.build_demo_study(tmp_path / "demo.db")
    with open_study(demo) as session:
        original = session.data()
        export_bundle(session, tmp_path / "bundle")
    importing.import_into(tmp_path / "copy.db", fmt="csv", source=tmp_path / "bundle")
    with open_study(tmp_path / "copy.db") as session:
        copy = session.data()
    assert original.subjects, "the demo study has no subjects"
    for attr in TABLE_ATTRS.values():
        assert sorted(map(repr, getattr(copy, attr))) == sorted(map(repr, getattr(original, attr))), attr
