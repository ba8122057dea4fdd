"""``hccreview import-images`` (preview, ``--apply``, ``--json``, ``--map``), ``hccreview image-root`` and the image
files in ``hccreview verify`` (issue 21 item 1), run in-process through ``hccreview.cli.run``."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pydicom
import pytest

from hccreview import cli
from hccreview.services.session import open_study
from tests.dicom_factory import SYNTAXES, SeriesFiles, write_series
from tests.factories_central import PASSWORDS, central_study, day


@pytest.fixture
def study(tmp_path: Path) -> Path:
    path = tmp_path / "central.db"
    central_study(path).close()
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """C01 at baseline (RLE) and week 8 (JPEG 2000), a PatientID-only series of 'P7', an unknown subject."""
    root = tmp_path / "images"
    write_series(root / "a", subject_id="C01", timepoint_id="BASELINE", study_date=day(0), syntax=SYNTAXES["rle"])
    write_series(root / "b", subject_id="C01", study_date=day(1), description="PV", syntax=SYNTAXES["j2k"])
    write_series(root / "c", patient_id="P7", study_date=day(2))
    write_series(root / "d", subject_id="C09", study_date=date(2024, 2, 2))
    return root


def _run(capsys: pytest.CaptureFixture[str], *args: str | Path, user: str | None = None) -> tuple[int, str, str]:
    extra = ["--user", user] if user else []
    code = cli.run([*map(str, args), *extra])
    out = capsys.readouterr()
    return code, out.out, out.err


def _registered(study: Path) -> int:
    with open_study(study) as session:
        return len(session.store.rows("image_series"))


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HCCREVIEW_PASSWORD", PASSWORDS["admin"])


def test_preview_then_apply_then_a_second_apply_changes_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, study: Path, folder: Path
) -> None:
    code, out, _ = _run(capsys, "import-images", study, folder)
    assert code == 0 and _registered(study) == 0
    lines = out.splitlines()
    assert "matched, to register (2 series, 6 images):" in lines
    week8 = '  C01 2024-03-04 WEEK 8: CT portal venous "PV" (3 images) — by Clinical Trial Subject ID; StudyDate = '
    assert week8 + "assessment date" in lines
    assert any(line.endswith("PatientID 'P7' is no subject of this study and is not mapped: map it to a subject")
               for line in lines)  # fmt: skip
    assert any(line.endswith(": no subject 'C09' in this study") for line in lines)
    assert lines[-1] == "preview only: nothing was written; run again with --apply to register the matched series"

    code, _, err = _run(capsys, "import-images", study, folder, "--apply")
    assert code == 2 and "has user accounts: --user NAME is required to change it" in err
    monkeypatch.setenv("HCCREVIEW_PASSWORD", PASSWORDS["reader1"])
    code, _, err = _run(capsys, "import-images", study, folder, "--apply", user="reader1")
    assert code == 1 and err == (
        "hccreview import-images: reader1 (reader) may not import images: registering images is an import, which "
        "is the admin's (the study's access policy); nothing was written\n"
    )
    assert _registered(study) == 0
    monkeypatch.setenv("HCCREVIEW_PASSWORD", PASSWORDS["admin"])
    code, out, _ = _run(capsys, "import-images", study, folder, "--apply", user="admin")
    assert code == 0 and out.splitlines()[-1] == (
        f"registered 2 series (6 images) for 1 patient(s); the image root is now {folder.resolve()}"
    )
    code, out, _ = _run(capsys, "import-images", study, folder, "--apply", user="admin")
    assert code == 0 and "unchanged, already registered (2):" in out.splitlines()
    assert out.splitlines()[-1] == "nothing to register: the study already holds these series (nothing was written)"
    assert _registered(study) == 2


def test_json_with_a_mapping_file_and_confirmed_patient_ids(
    capsys: pytest.CaptureFixture[str], study: Path, folder: Path, tmp_path: Path
) -> None:
    mapping = tmp_path / "map.csv"
    mapping.write_text("PatientID,subject_id\nP7,C03\n", encoding="utf-8")
    code, out, _ = _run(capsys, "import-images", study, folder, "--map", mapping, "--json")
    assert code == 0
    plan = json.loads(out)
    assert plan["applied"] is None and plan["root_is_new"] and plan["image_root"] == str(folder.resolve())
    assert sorted((m["subject_id"], m["date"], m["visit"], m["matched_by"]) for m in plan["matched"]) == [
        ("C01", "2024-01-01", "BASELINE", "Clinical Trial Subject ID"),
        ("C01", "2024-03-04", "WEEK 8", "Clinical Trial Subject ID"),
        ("C03", "2024-04-29", "WEEK 16", "mapping"),
    ]
    assert [(u["clinical_trial_subject_id"], u["reason"]) for u in plan["unmatched"]] == [
        ("C09", "no subject 'C09' in this study")
    ]
    assert plan["problems"] == [] and plan["files"] == 12 and plan["images"] == 12

    code, out, _ = _run(capsys, "import-images", study, folder, "--map", mapping, "--json", "--apply", user="admin")
    applied = json.loads(out)["applied"]
    assert code == 0 and applied == {"series": 3, "images": 9, "replaced": 0, "image_root": str(folder.resolve()),
                                     "root_set": True, "subjects": ["C01", "C03"]}  # fmt: skip

    mapping.write_text("PatientID,subject\nP7,C03\n", encoding="utf-8")
    code, _, err = _run(capsys, "import-images", study, folder, "--map", mapping)
    assert code == 1 and err.startswith("hccreview import-images: --map: map.csv line 1: expected the columns")


def test_verify_names_each_missing_or_altered_image_file(
    capsys: pytest.CaptureFixture[str], study: Path, folder: Path
) -> None:
    assert _run(capsys, "import-images", study, folder, "--apply", user="admin")[0] == 0
    code, out, _ = _run(capsys, "verify", study)
    assert code == 0
    assert f"ok   image files: 6 registered image file(s) present and unaltered under {folder.resolve()}" in out
    (folder / "a" / "IMG0002.dcm").unlink()
    with (folder / "b" / "IMG0003.dcm").open("ab") as fh:
        fh.write(b"\x00\x00")
    code, out, _ = _run(capsys, "verify", study)
    assert code == 1
    assert (f"FAIL image files: a/IMG0002.dcm: missing (not under the image root {folder.resolve()}); "
            "b/IMG0003.dcm: altered (its SHA-256 differs from the one registered)") in out.splitlines()  # fmt: skip
    assert out.splitlines()[-1] == f"{study}: 1 check(s) failed"


def test_image_root_shows_the_index_and_re_points_a_moved_root(
    capsys: pytest.CaptureFixture[str], study: Path, folder: Path, tmp_path: Path
) -> None:
    code, out, _ = _run(capsys, "image-root", study)
    assert code == 0 and out.splitlines() == [
        "image root: (none: no image registered yet)", "0 series (0 images) registered for 0 patient(s)"
    ]  # fmt: skip
    assert _run(capsys, "import-images", study, folder, "--apply", user="admin")[0] == 0
    moved = tmp_path / "share" / "images"
    shutil.move(folder, moved)
    code, _, err = _run(capsys, "image-root", study, moved, user="admin")
    assert code == 2 and err == "hccreview image-root: NEW_ROOT needs --reason R (the change is audited)\n"
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = _run(capsys, "image-root", study, empty, "--reason", "moved", user="admin")
    assert code == 1 and f"none of the 6 registered image files is under {empty.resolve()}" in err
    code, out, _ = _run(capsys, "image-root", study, moved, "--reason", "moved to the share", user="admin")
    assert code == 0 and out == (f"image root {folder.resolve()} → {moved.resolve()}: 6 registered file(s) found\n")
    code, out, _ = _run(capsys, "image-root", study)
    assert out.splitlines() == [f"image root: {moved.resolve()}", "2 series (6 images) registered for 1 patient(s)"]
    assert _run(capsys, "verify", study)[0] == 0


def write_sr(
    path: Path,
    series: SeriesFiles,
    *,
    when: date,
    visit: str,
    baseline: bool,
    length_px: float,
    subject_id: str = "C01",
) -> str:
    """A TID 1500 SR by an outside reader ('Doe^Jane') measuring the liver lesion T01 on the series' middle slice."""
    from hccreview.domain.calipers import Caliper, Line
    from hccreview.io import dicom_sr

    header = pydicom.dcmread(series.files[1], stop_before_pixels=True)
    spacing = (float(header.PixelSpacing[0]), float(header.PixelSpacing[1]))
    caliper = Caliper(series.sop_uids[1], series.series_uid, spacing,
                      lines={"long": Line((4.0, 6.0), (4.0 + length_px, 6.0))})  # fmt: skip
    lesion = dicom_sr.ReportLesion("T01", "2.25.424242", "target", organ="liver", values=caliper.values(),
                                   calipers=(caliper,))  # fmt: skip
    request = dicom_sr.ReportRequest(subject_id=subject_id, observer="Doe^Jane", date=when, visit=visit, mrecist=False,
                                     baseline=baseline, lesions=(lesion,),
                                     evidence={series.sop_uids[1]: header})  # fmt: skip
    return str(dicom_sr.write_measurement_report(request, path).SOPInstanceUID)


def test_import_images_picks_up_the_srs_beside_the_images(
    capsys: pytest.CaptureFixture[str], study: Path, tmp_path: Path
) -> None:
    root = tmp_path / "delivery"
    base = write_series(root / "a", subject_id="C01", timepoint_id="BASELINE", study_date=day(0))
    week8 = write_series(root / "b", subject_id="C01", study_date=day(1))
    first = write_sr(root / "sr" / "baseline.dcm", base, when=day(0), visit="BASELINE", baseline=True, length_px=25)
    second = write_sr(root / "sr" / "week8.dcm", week8, when=day(1), visit="WEEK 8", baseline=False, length_px=15)

    code, out, _ = _run(capsys, "import-images", study, root)
    lines = out.splitlines()
    assert code == 0 and "DICOM SR documents, imported after the images (2): sr/baseline.dcm, sr/week8.dcm" in lines
    assert "  baseline.dcm: C01 2024-01-01 BASELINE as Doe-Jane (observer Doe Jane, matched by referenced images) " \
           "— 1 lesion(s)" in lines  # fmt: skip
    assert "    T01 target (baseline category) liver: long axis 20 mm" in lines
    assert "    T01 target (the study's lesion) liver: long axis 12 mm" in lines
    assert "  C01 Doe-Jane 2024-03-04 WEEK 8: PR (target PR, non-target -, no new lesion)" in lines
    assert lines[-1] == ("preview only: nothing was written; run again with --apply to register the matched series "
                         "and import the SRs")  # fmt: skip

    code, out, err = _run(capsys, "import-images", study, root, "--apply", "--sr-evaluator", "outside", user="admin")
    assert code == 0, err
    assert out.splitlines()[-2:] == [
        f"registered 2 series (6 images) for 1 patient(s); the image root is now {root.resolve()}",
        "SR import: 2 document(s): 1 lesion(s), 2 measurement(s), 1 read(s) written",
    ]
    with open_study(study) as session:
        store = session.store
        (lesion,) = store.rows("lesions", "reader = 'outside'")
        sizes = [
            (r["date"], r["diameter_mm"]) for r in store.rows("measurements", "reader = 'outside'", order_by="date")
        ]
        (read,) = store.rows("reads", "reader = 'outside'")
        audit = store.conn.execute("SELECT reason FROM audit_log WHERE table_name IN ('lesions', 'measurements')")
        notes = {row[0] for row in audit.fetchall()}
    assert (lesion["lesion_id"], lesion["kind"], lesion["organ"], lesion["tracking_uid"]) == (
        "T01", "target", "liver", "2.25.424242")  # fmt: skip
    assert sizes == [("2024-01-01", 20.0), ("2024-03-04", 12.0)]
    assert (read["date"], read["role"], read["overall"], read["entered_by"]) == ("2024-03-04", "reader", "PR", "admin")
    assert notes >= {f"DICOM SR import as outside: SR {first} (baseline.dcm)",
                     f"DICOM SR import as outside: SR {second} (week8.dcm)"}  # fmt: skip

    code, out, _ = _run(capsys, "import-images", study, root, "--apply", "--sr-evaluator", "outside", user="admin")
    assert code == 0 and out.splitlines()[-1] == (
        "SR import: nothing to write (the study already holds what the SRs say; nothing was written)"
    )
