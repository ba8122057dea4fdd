"""The demo study's images (issue 21 item 4): registered when the study is built, drawn on first view into the
user's cache folder, matching their index, never counted missing before they are drawn."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest

from hccreview.services import auth, demo_images, images
from hccreview.services.session import open_study
from hccreview.services.verify import verify_study


@pytest.fixture(scope="module")
def _demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A 6-patient demo whose image root is this module's own cache (other modules draw the same demo's images
    into the session's cache: here nothing is drawn before the tests draw it)."""
    from hccreview.services.demo_study import build_demo_study

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HCCREVIEW_CACHE_DIR", str(tmp_path_factory.mktemp("demoimages-cache")))
        yield build_demo_study(tmp_path_factory.mktemp("demoimages") / "demo.db", patients=6)


@pytest.fixture
def demo(_demo: Path, tmp_path: Path) -> Path:
    return Path(shutil.copyfile(_demo, tmp_path / "demo.db"))


def test_the_demo_registers_a_ct_series_per_assessment_and_phase_under_the_cache(demo: Path, tmp_path: Path) -> None:
    with open_study(demo) as session:
        root = images.image_root(session)
        assert root is not None and "demo-images" in root.parts
        subjects = {s.subject_id for s in session.data().subjects}
        assert all(images.series_for(session, sid) for sid in subjects)
        for sid in subjects:
            dates = {m.date for m in session.data().measurements if m.subject_id == sid and m.reader == "investigator"}
            assert {s.date for s in images.series_for(session, sid)} == dates
        # nothing drawn yet, and that is not a problem for verify
        assert demo_images.missing_series(session) and images.check_image_files(session) == []
    assert all(c.ok for c in verify_study(demo))


def test_a_reader_opening_a_patient_draws_its_series_and_they_match_the_index(demo: Path) -> None:
    with open_study(demo) as session:
        auth.sign_in(session, "reader1", "reader1-demo")
        sid = sorted({s.subject_id for s in session.data().subjects})[0]
        seen: list[tuple[int, int]] = []
        drawn = demo_images.generate(session, sid, progress=lambda done, total, text: seen.append((done, total)))
        series = images.series_for(session, sid)
        assert drawn == len(series) and seen[-1] == (len(series), len(series))
        assert demo_images.missing_series(session, sid) == []
        for s in series:
            for inst in images.instances(session, s.series_uid)[:3]:
                ds = pydicom.dcmread(images.resolve(session, inst), stop_before_pixels=True)
                assert ds.SOPInstanceUID == inst.sop_instance_uid and ds.SeriesInstanceUID == s.series_uid
                assert ds.ClinicalTrialSubjectID == sid and ds.StudyDate == s.date.strftime("%Y%m%d")
                assert float(ds.ImagePositionPatient[2]) == pytest.approx(inst.slice_location)
                assert [float(v) for v in ds.PixelSpacing] == [s.row_spacing, s.column_spacing]
        assert demo_images.generate(session, sid) == 0  # drawn once
    assert all(c.ok for c in verify_study(demo))


def test_a_cancel_keeps_only_whole_series(demo: Path) -> None:
    with open_study(demo) as session:
        sid = sorted({s.subject_id for s in session.data().subjects})[1]
        calls = iter(range(10_000))
        with pytest.raises(demo_images.DemoImagesCancelled):
            demo_images.generate(session, sid, cancelled=lambda: next(calls) > 30)
        root = images.image_root(session)
        assert root is not None
        left = demo_images.missing_series(session, sid)
        assert left  # stopped part-way
        for s in images.series_for(session, sid):
            files = [(root / i.path).is_file() for i in images.instances(session, s.series_uid)]
            assert all(files) or not any(files), s.series_uid  # whole or absent
        assert not list(root.rglob(".partial-*"))


def test_demo_images_on_the_command_line(tmp_path: Path) -> None:
    study = tmp_path / "d.db"
    run = subprocess.run([sys.executable, "-m", "hccreview", "demo", str(study), "--patients", "2", "--images",
                          "--quiet"], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "drew" in run.stdout and "series under" in run.stdout
    with open_study(study) as session:
        assert demo_images.missing_series(session) == []
