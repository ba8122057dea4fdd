"""DICOM SR in (issue 22 item 4): reader1's read on the demo images → TID 1500 SRs → highdicom reads them → imported
as another evaluator, the study holds the same lesions, values, calipers and timepoint responses; legacy SRT codes
import too; a missing source image is named; a second apply writes nothing; only the admin imports."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import highdicom as hd
import pydicom
import pytest

from hccreview.domain import calipers, recist
from hccreview.domain.access import AccessDenied
from hccreview.domain.records import Lesion, Measurement
from hccreview.services import auth
from hccreview.services.session import StudySession, open_study
from hccreview.services.sr_import import SRImportPlan, apply_sr_import, evaluator_key, preview_sr_import
from hccreview.services.structured_reports import export_sr
from tests.services.test_structured_reports import SUBJECT, _to_legacy, measured_demo

EVALUATOR = "sr-import"
PASSWORDS = {"reader1": "reader1-demo", "adjudicator": "adjudicator-demo", "admin": "admin-demo"}


def _signed(path: Path, user: str) -> StudySession:
    session = open_study(path)
    auth.sign_in(session, user, PASSWORDS[user])
    return session


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo study measured on images by both readers, and reader1's SRs of the measured patient."""
    folder = tmp_path_factory.mktemp("sr-import")
    study = measured_demo(folder / "demo.db")
    with _signed(study, "reader1") as session:
        written = export_sr(session, folder / "out", subjects=[SUBJECT])
    assert len(written) == 3
    return study, folder / "out" / SUBJECT / "reader1"


@pytest.fixture
def study(measured: tuple[Path, Path], tmp_path: Path) -> Path:
    return Path(shutil.copyfile(measured[0], tmp_path / "demo.db"))


def _read(session: StudySession, who: str) -> tuple[dict[str, Lesion], dict[tuple[str, str], Measurement]]:
    data = session.data()
    lesions = {x.lesion_id: x for x in data.lesions if x.reader == who and x.subject_id == SUBJECT}
    ms = {
        (m.lesion_id, m.date.isoformat()): m for m in data.measurements if m.reader == who and m.subject_id == SUBJECT
    }
    return lesions, ms


def _responses(session: StudySession, who: str) -> list[tuple[object, ...]]:
    lesions, ms = _read(session, who)
    found = recist.timepoint_responses(list(lesions.values()), list(ms.values()), session.settings().criteria)
    return [(t.date, t.overall, t.target, t.non_target, t.new_lesion, t.target_sum_mm) for t in found]


def _audit_count(session: StudySession) -> int:
    return int(session.store.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0])


def test_a_read_round_trips_through_the_srs_as_another_evaluator(measured: tuple[Path, Path], study: Path) -> None:
    _, srs = measured
    files = sorted(srs.glob("*.dcm"))
    for path in files:  # any DICOM toolkit reads them: highdicom opens each as a TID 1500 report
        assert isinstance(hd.sr.srread(path).content, hd.sr.MeasurementReport)
    with _signed(study, "admin") as session:
        plan = preview_sr_import(session, srs, evaluator=EVALUATOR)
        assert [d.path for d in plan.documents] == files
        assert all(d.importable and d.matched_by == "referenced images" for d in plan.documents)
        assert [w for d in plan.documents for w in d.warnings] == []
        result = apply_sr_import(session, plan)
        assert result.documents == 3 and result.reads == 2
        mine, mine_ms = _read(session, "reader1")
        theirs, theirs_ms = _read(session, EVALUATOR)
        assert _responses(session, EVALUATOR) == _responses(session, "reader1") != []
        reads = {(r.date, r.overall, r.target, r.non_target, r.new_lesion) for r in session.data().reads
                 if r.subject_id == SUBJECT and r.reader == EVALUATOR}  # fmt: skip
        first_reads = {(r.date, r.overall, r.target, r.non_target, r.new_lesion) for r in session.data().reads
                       if r.subject_id == SUBJECT and r.reader == "reader1"}  # fmt: skip
    assert reads == first_reads
    assert {k: (x.kind, x.organ, x.is_node) for k, x in theirs.items()} == {
        k: (x.kind, x.organ, x.is_node) for k, x in mine.items()
    }
    # a lesion never measured on an image is exported with a UUID-derived tracking UID: the import keeps it
    assert all(theirs[k].tracking_uid == (x.tracking_uid or theirs[k].tracking_uid) != "" for k, x in mine.items())
    assert set(theirs_ms) == set(mine_ms)
    for key, m in mine_ms.items():
        other = theirs_ms[key]
        for name in ("diameter_mm", "short_axis_mm", "viable_mm"):
            assert getattr(other, name) == pytest.approx(getattr(m, name), abs=0.01), (key, name)
        assert other.visit == m.visit
        drawn = {c.sop_instance_uid: c for c in calipers.parse(m.caliper)}
        rebuilt = {c.sop_instance_uid: c for c in calipers.parse(other.caliper)}
        assert set(rebuilt) == set(drawn)
        for sop, c in drawn.items():
            again = rebuilt[sop]
            assert (again.series_uid, again.spacing, again.frame_of_reference_uid) == (
                c.series_uid, c.spacing, c.frame_of_reference_uid)  # fmt: skip
            assert set(again.lines) == set(c.lines)
            for name, line in c.lines.items():
                assert [*again.lines[name].start, *again.lines[name].end] == pytest.approx(
                    [*line.start, *line.end], abs=0.001)  # fmt: skip
        assert calipers.image_derived(other) == calipers.image_derived(m)


def test_a_second_apply_writes_nothing_and_a_new_preview_plans_nothing(
    measured: tuple[Path, Path], study: Path
) -> None:
    _, srs = measured
    with _signed(study, "admin") as session:
        plan = preview_sr_import(session, srs, evaluator=EVALUATOR)
        assert apply_sr_import(session, plan).changes.empty is False
        before = _audit_count(session)
        again = apply_sr_import(session, plan)
        fresh = preview_sr_import(session, srs, evaluator=EVALUATOR)
        assert apply_sr_import(session, fresh).changes.empty
        assert _audit_count(session) == before
    assert again.changes.empty and again.summary() == (
        "SR import: nothing to write (the study already holds what the SRs say; nothing was written)"
    )
    assert fresh.writes == [] and len(fresh.rows) > 0


def test_the_observer_is_the_default_evaluator_and_its_own_read_is_found_unchanged(
    measured: tuple[Path, Path], study: Path
) -> None:
    _, srs = measured
    with _signed(study, "admin") as session:
        plan = preview_sr_import(session, srs)
    assert {d.evaluator for d in plan.documents} == {"reader1"}
    # only the tracking UID the export derived for the lesion never measured on an image is new to the study
    assert [r.describe().split(":")[0] for r in plan.writes] == ["update lesion NT01"]
    assert set(plan.writes[0].values) == {"tracking_uid"}
    assert evaluator_key("Doe^Jane") == "Doe-Jane" and evaluator_key("reader1") == "reader1"


def test_an_sr_with_the_legacy_srt_codes_imports_the_same(
    measured: tuple[Path, Path], study: Path, tmp_path: Path
) -> None:
    _, srs = measured
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    for path in sorted(srs.glob("*.dcm")):
        ds = pydicom.dcmread(path)
        assert _to_legacy(ds) >= 2
        ds.save_as(legacy / path.name)
    with _signed(study, "admin") as session:
        modern = preview_sr_import(session, srs, evaluator="modern")
        old = preview_sr_import(session, legacy, evaluator="legacy")
        apply_sr_import(session, old)
        apply_sr_import(session, modern)
        assert _responses(session, "legacy") == _responses(session, "modern") == _responses(session, "reader1")
        _, legacy_ms = _read(session, "legacy")
        _, reader_ms = _read(session, "reader1")

    def lesions(plan: SRImportPlan) -> list[object]:
        return [(x.lesion_id, x.kind, x.values, x.calipers) for d in plan.documents for x in d.lesions]

    assert lesions(old) == lesions(modern)
    assert {k: (m.diameter_mm, m.short_axis_mm, m.caliper) for k, m in legacy_ms.items()} == {
        k: (m.diameter_mm, m.short_axis_mm, m.caliper) for k, m in reader_ms.items()
    }


def _groups(items: pydicom.Sequence) -> list[pydicom.Dataset]:
    """The measurement groups (containers holding a Tracking Identifier, DCM 112039) below ``items``."""
    found = []
    for item in items:
        children = item.get("ContentSequence", [])
        if any(c.ConceptNameCodeSequence[0].CodeValue == "112039" for c in children):
            found.append(item)
        else:
            found += _groups(children)
    return found


def _bogus_source(path: Path, out: Path, uid: str) -> str:
    """Point the first line (long axis) of ``path`` at an image the study does not hold; returns its lesion."""
    ds = pydicom.dcmread(path)
    for group in _groups(ds.ContentSequence):
        lesion = next(str(x.TextValue) for x in group.ContentSequence if x.ConceptNameCodeSequence[0].CodeValue
                      == "112039")  # fmt: skip
        for item in group.ContentSequence:
            if item.ValueType == "NUM" and "ContentSequence" in item:
                image = item.ContentSequence[0].ContentSequence[0].ReferencedSOPSequence[0]
                image.ReferencedSOPInstanceUID = uid
                ds.save_as(out)
                return lesion
    raise AssertionError("no measurement with a line")


def test_a_measurement_whose_source_image_is_absent_is_named(measured: tuple[Path, Path], study: Path,
                                                             tmp_path: Path) -> None:  # fmt: skip
    _, srs = measured
    first = sorted(srs.glob("*.dcm"))[0]
    lesion = _bogus_source(first, tmp_path / "changed.dcm", "1.2.3.4.5.6.7")
    with _signed(study, "admin") as session:
        plan = preview_sr_import(session, tmp_path / "changed.dcm", evaluator=EVALUATOR)
        apply_sr_import(session, plan)
        _, ms = _read(session, EVALUATOR)
    (doc,) = plan.documents
    assert doc.importable
    assert doc.warnings == (
        f"lesion {lesion} long axis: source image 1.2.3.4.5.6.7 is not in the study's image index; its value is "
        "imported without its line",
    )
    assert any(line == f"    warning: {doc.warnings[0]}" for line in plan.lines())
    m = next(m for (lid, _), m in ms.items() if lid == lesion)
    derived = calipers.image_derived(m)
    assert (derived["diameter_mm"], derived["short_axis_mm"]) == (False, True)


@pytest.mark.parametrize("user", ["reader1", "adjudicator"])
def test_only_the_admin_imports_and_a_refusal_writes_nothing(measured: tuple[Path, Path], study: Path,
                                                             user: str) -> None:  # fmt: skip
    _, srs = measured
    with _signed(study, "admin") as session:
        plan = preview_sr_import(session, srs, evaluator=EVALUATOR)
    with _signed(study, user) as session:
        before = _audit_count(session)
        with pytest.raises(AccessDenied) as refused:
            apply_sr_import(session, plan)
        with pytest.raises(AccessDenied):
            preview_sr_import(session, srs, evaluator=EVALUATOR)
        assert _audit_count(session) == before
    role = "reader" if user == "reader1" else "adjudicator"
    assert str(refused.value) == (
        f"{user} ({role}) may not import DICOM SR documents: an SR import writes an evaluator's lesions and reads, "
        "which is the admin's (the study's access policy); nothing was written"
    )


def test_a_locked_case_or_a_submitted_read_is_not_imported(measured: tuple[Path, Path], study: Path) -> None:
    from hccreview.services import reading

    _, srs = measured
    with _signed(study, "reader1") as session:
        day = max(r.date for r in session.data().reads if r.subject_id == SUBJECT and r.reader == "reader1")
        reading.submit_read(session, SUBJECT, day, password="reader1-demo")
    with _signed(study, "admin") as session:
        plan = preview_sr_import(session, srs)
    blocked = [d for d in plan.documents if d.problems]
    assert [(d.date, d.problems) for d in blocked] == [
        (day, (f"reader1 has submitted the read of {SUBJECT} at {day}: it is final",))
    ]


@pytest.mark.skipif(shutil.which("dciodvfy") is None, reason="dciodvfy (dicom3tools) is not installed")
def test_dciodvfy_finds_no_error_in_the_srs_imported(measured: tuple[Path, Path]) -> None:
    _, srs = measured
    for path in sorted(srs.glob("*.dcm")):
        run = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, check=False)
        assert [line for line in (run.stdout + run.stderr).splitlines() if line.startswith("Error")] == []


def test_a_lesion_status_round_trips(study: Path, tmp_path: Path) -> None:
    """A non-target called unequivocal progression (RECIST 1.1 §4.3.2) comes back as such: hccreview writes the
    status in its SR (a private *Lesion status* evaluation), so the imported read's response is the same PD."""
    from hccreview.services import review

    with _signed(study, "reader1") as session:
        data = session.data()
        kinds = {x.lesion_id: x.kind.value for x in data.lesions if x.reader == "reader1" and x.subject_id == SUBJECT}
        rows = session.store.conn.execute(
            "SELECT id, lesion_id, date FROM measurements WHERE subject_id = ? AND reader = 'reader1' "
            "ORDER BY date DESC, lesion_id", [SUBJECT]).fetchall()  # fmt: skip
        last = rows[0][2]
        mid = next(r[0] for r in rows if r[2] == last and kinds[r[1]] == "non-target")
        review.update_measurement(
            session, measurement_id=mid, values={"status": "unequivocal_progression"}, reason="clear progression"
        )
        export_sr(session, tmp_path / "out", subjects=[SUBJECT])
    with _signed(study, "admin") as session:
        apply_sr_import(session, preview_sr_import(session, tmp_path / "out" / SUBJECT / "reader1",
                                                   evaluator=EVALUATOR))  # fmt: skip
        _, mine = _read(session, "reader1")
        _, theirs = _read(session, EVALUATOR)
        assert {k: m.status for k, m in theirs.items()} == {k: m.status for k, m in mine.items()}
        assert [m.status.value for m in theirs.values()].count("unequivocal_progression") == 1
        responses = _responses(session, EVALUATOR)
        assert responses == _responses(session, "reader1") and responses[-1][1].value == "PD"
