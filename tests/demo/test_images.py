"""The demo study's synthetic CT (issue 21 item 4): each patient's lesions at each assessment, drawn so that
measuring the images gives the investigator's diameters back, in valid CT Image Storage files.

Measured here as a reader would, without the truth's outline: on the lesion's centre slice, threshold between
the lesion and its surroundings, keep the connected region under the lesion, and take its longest Feret diameter
and its extent perpendicular to it (pixel centres, + half a pixel). Unit tests use 256² images (1.5625 mm pixels).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import platformdirs
import pydicom
import pytest
from pydicom.uid import UID, ExplicitVRLittleEndian, JPEG2000Lossless, RLELossless
from scipy import ndimage
from scipy.spatial import ConvexHull

from hccreview.demo import image_phantom, images
from hccreview.demo.simulate import simulate_study
from hccreview.domain.records import (
    Lesion,
    LesionKind,
    LesionStatus,
    Measurement,
    Read,
    ReadRole,
    StudyData,
    StudySettings,
    Subject,
)

SIZE = 256
REPO_ROOT = Path(__file__).resolve().parents[2]
#: HU band of a lesion against its surroundings, per organ (portal-venous phase): the lesion lies inside it,
#: the organ around it outside (liver 110 against washout 80 and necrosis 20; fat −100 against nodes 55...).
BANDS = {"liver": (-40.0, 95.0), "lung": (-400.0, 600.0), "bone": (-30.0, 230.0)}
SOFT_TISSUE_IN_FAT = (-30.0, 120.0)


# ---------------------------------------------------------------- a reader's measurement (test-only)


def _segment(hu: np.ndarray, seed: tuple[float, float], reach: int, band: tuple[float, float], smooth: bool):
    """The connected region within ``band`` under ``seed`` (column, row in DICOM image coordinates), holes filled,
    in a window of ``reach`` pixels around it; a 3×3 median first where the contrast is low (liver in the
    portal-venous phase: 30 HU against noise of 8)."""
    col, row = int(seed[0]), int(seed[1])
    r0, c0 = max(0, row - reach), max(0, col - reach)
    window = hu[r0 : row + reach + 1, c0 : col + reach + 1].astype(float)
    if smooth:
        window = ndimage.median_filter(window, size=3)
    labels, _ = ndimage.label((window > band[0]) & (window < band[1]))
    label = labels[row - r0, col - c0]
    assert label, f"no lesion under {seed}"
    return ndimage.binary_fill_holes(labels == label)


def _feret(mask: np.ndarray, spacing: float) -> tuple[float, float]:
    """Longest Feret diameter and the extent perpendicular to it, in mm."""
    rows, cols = np.nonzero(mask)
    points = np.column_stack((cols, rows)).astype(float)
    hull = points[ConvexHull(points).vertices]
    d = np.linalg.norm(hull[:, None] - hull[None], axis=2)
    i, j = np.unravel_index(np.argmax(d), d.shape)
    axis = (hull[j] - hull[i]) / d[i, j]
    across = points @ np.array([-axis[1], axis[0]])
    return (d[i, j] + 0.5) * spacing, (across.max() - across.min() + 0.5) * spacing


def _measure(volume_hu: np.ndarray, truth: images.LesionTruth, spacing: float) -> tuple[float, float]:
    """Long and short axis of a lesion on its centre slice of a portal-venous series (mm)."""
    band = BANDS.get(truth.organ, SOFT_TISSUE_IN_FAT)
    reach = int(truth.long_axis_mm / 2 / spacing) + 6
    mask = _segment(volume_hu[truth.slice_index], truth.centre_px, reach, band, smooth=truth.organ == "liver")
    return _feret(mask, spacing)


def _measure_viable(volume_hu: np.ndarray, truth: images.LesionTruth, spacing: float) -> float:
    """Longest diameter of the arterially enhancing part (liver 60, viable HCC 130, necrosis 20 HU)."""
    assert truth.viable_axis_px is not None
    (a, b), (c, d) = truth.viable_axis_px
    reach = int(truth.long_axis_mm / 2 / spacing) + 6
    mask = _segment(volume_hu[truth.slice_index], ((a + c) / 2, (b + d) / 2), reach, (95.0, 250.0), smooth=False)
    return _feret(mask, spacing)[0]


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def data() -> StudyData:
    study = simulate_study(seed=1, patients=40)
    return StudyData(settings=study.settings, **study.records)


def _investigator(data: StudyData) -> dict[str, list[Lesion]]:
    out: dict[str, list[Lesion]] = defaultdict(list)
    inv = {r.reader for r in data.reads if r.role is ReadRole.INVESTIGATOR}
    for lesion in data.lesions:
        if lesion.reader in inv:
            out[lesion.subject_id].append(lesion)
    return out


def _first(data: StudyData, wanted: Callable[[list[Lesion]], bool]) -> str:
    by_subject = _investigator(data)
    return next(sid for sid in sorted(by_subject) if wanted(by_subject[sid]))


def _with_node_and_new(lesions: list[Lesion]) -> bool:
    """Liver targets, a target node and a new lesion at progression."""
    kinds = {(x.kind, x.organ, x.is_node) for x in lesions}
    return (
        (LesionKind.TARGET, "liver", False) in kinds
        and any(k is LesionKind.TARGET and node for k, _, node in kinds)
        and any(k is LesionKind.NEW for k, _, _ in kinds)
    )


def _with_lung_and_bone(lesions: list[Lesion]) -> bool:
    organs = {(x.kind, x.organ) for x in lesions}
    return (LesionKind.TARGET, "lung") in organs and any(organ == "bone" for _, organ in organs)


@pytest.fixture(scope="module", params=[_with_node_and_new, _with_lung_and_bone], ids=["node-new", "lung-bone"])
def subject(request: pytest.FixtureRequest, data: StudyData) -> str:
    return _first(data, request.param)


@pytest.fixture(scope="module")
def plans(data: StudyData, subject: str) -> list[images.SeriesPlan]:
    return images.plan_subject(data, subject, size=SIZE)


@pytest.fixture(scope="module")
def volumes(plans: list[images.SeriesPlan]) -> dict[str, np.ndarray]:
    """Per series UID, the series in HU."""
    return {p.series_uid: images.render_series(p).astype(np.int32) - 1024 for p in plans}


def _records(data: StudyData, subject: str, reader: str = "investigator") -> dict[tuple[str, date], Measurement]:
    return {(m.lesion_id, m.date): m for m in data.measurements if m.subject_id == subject and m.reader == reader}


# ---------------------------------------------------------------- planning


def test_every_assessment_has_one_study_with_an_arterial_and_a_portal_venous_series(
    data: StudyData, subject: str, plans: list[images.SeriesPlan]
) -> None:
    dates = sorted({d for _, d in _records(data, subject)})
    assert [(p.date, p.phase) for p in plans] == [(d, ph) for d in dates for ph in ("arterial", "portal venous")]
    for d in dates:
        pair = [p for p in plans if p.date == d]
        assert pair[0].study_uid == pair[1].study_uid
        assert pair[0].frame_of_reference_uid == pair[1].frame_of_reference_uid
        assert pair[0].series_uid != pair[1].series_uid
        assert [p.description for p in pair] == ["Arterial phase", "Portal venous phase"]
        assert [p.folder.split("/")[1].split("_")[-1] for p in pair] == ["arterial", "portal-venous"]
    assert len({p.study_uid for p in plans}) == len(dates)
    assert {p.spacing_mm for p in plans} == {1.5625}
    assert all(p.z_positions == plans[0].z_positions and len(p.z_positions) <= 40 for p in plans)
    assert all(np.allclose(np.diff(p.z_positions), -2.5) for p in plans)


def test_uids_are_deterministic_valid_and_distinct(data: StudyData, subject: str, plans) -> None:
    def uids(series: list[images.SeriesPlan]) -> list[str]:
        return [u for p in series for u in (p.study_uid, p.series_uid, p.frame_of_reference_uid, *p.sop_uids)]

    again = images.plan_subject(data, subject, size=SIZE)
    assert uids(again) == uids(plans)
    assert again == plans
    every = uids(plans)
    distinct = {p.series_uid for p in plans} | {u for p in plans for u in p.sop_uids}
    assert len(distinct) == len(plans) + sum(len(p.sop_uids) for p in plans)
    assert all(len(u) <= 64 and re.fullmatch(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*", u) for u in every)
    other = next(sid for sid in sorted(_investigator(data)) if sid != subject)
    assert not set(uids(images.plan_subject(data, other, size=SIZE))) & set(every)
    assert not set(uids(images.plan_subject(data, subject, size=SIZE, seed=7))) & set(every)
    assert not set(uids(images.plan_subject(data, subject, size=512))) & set(every)


def test_lesions_keep_their_place_do_not_overlap_and_lie_in_their_organ(data: StudyData) -> None:
    tissue = image_phantom.tissue_map(SIZE)
    organ_tissue = {"liver": "LIVER", "lung": "LUNG", "bone": "BONE"}
    for sid in sorted(_investigator(data)):
        plans = images.plan_subject(data, sid, size=SIZE)
        assert len(plans[0].z_positions) <= 40, sid
        centres: dict[str, tuple[float, float, float]] = {}
        for plan in plans:
            for lesion in plan.lesions:
                assert centres.setdefault(lesion.lesion_id, lesion.centre_mm) == lesion.centre_mm, (sid, lesion)
                if lesion.in_organ:
                    col, row = (int(v) for v in lesion.centre_px)
                    expected = organ_tissue.get(lesion.organ, "FAT")
                    assert image_phantom.Tissue(tissue[row, col]).name == expected, (sid, lesion.lesion_id)
            for a, b in ((a, b) for i, a in enumerate(plan.lesions) for b in plan.lesions[i + 1 :]):
                apart_in_z = abs(a.centre_mm[2] - b.centre_mm[2]) * 2 >= a.depth_mm + b.depth_mm
                gap = np.hypot(a.centre_mm[0] - b.centre_mm[0], a.centre_mm[1] - b.centre_mm[1])
                assert apart_in_z or gap >= (a.long_axis_mm + b.long_axis_mm) / 2, (sid, a.lesion_id, b.lesion_id)


# ---------------------------------------------------------------- measuring the images


def test_measuring_the_targets_gives_the_investigators_diameters(
    data: StudyData, subject: str, plans: list[images.SeriesPlan], volumes: dict[str, np.ndarray]
) -> None:
    records = _records(data, subject)
    tolerance = 2 * plans[0].spacing_mm
    measured = 0
    for plan in (p for p in plans if p.phase == "portal venous"):
        for truth in (t for t in plan.lesions if t.kind is LesionKind.TARGET):
            record = records[truth.lesion_id, plan.date]
            long, short = _measure(volumes[plan.series_uid], truth, plan.spacing_mm)
            assert record.diameter_mm is not None
            assert abs(long - record.diameter_mm) <= tolerance, (plan.visit, truth.lesion_id, long, record)
            if truth.is_node:  # RECIST measures a node by its short axis
                assert record.short_axis_mm is not None
                assert abs(short - record.short_axis_mm) <= tolerance, (plan.visit, truth.lesion_id, short, record)
            measured += 1
    assert measured >= 2 * len({p.date for p in plans})


def test_viable_diameter_is_the_enhancing_part_on_the_arterial_phase(
    data: StudyData, subject: str, plans: list[images.SeriesPlan], volumes: dict[str, np.ndarray]
) -> None:
    records = _records(data, subject)
    checked = 0
    for plan in (p for p in plans if p.phase == "arterial"):
        for truth in (t for t in plan.lesions if t.kind is LesionKind.TARGET and t.viable_axis_px is not None):
            record = records[truth.lesion_id, plan.date]
            assert record.viable_mm is not None and record.diameter_mm is not None
            assert record.viable_mm < record.diameter_mm  # mRECIST differs from RECIST on these images
            viable = _measure_viable(volumes[plan.series_uid], truth, plan.spacing_mm)
            assert abs(viable - record.viable_mm) <= 2 * plan.spacing_mm, (plan.visit, truth.lesion_id, viable)
            checked += 1
    assert checked >= 1


def test_a_new_lesion_is_on_the_images_from_its_first_date_only(data: StudyData) -> None:
    subject = _first(data, _with_node_and_new)
    pv = [p for p in images.plan_subject(data, subject, size=SIZE) if p.phase == "portal venous"]
    new_ids = {x.lesion_id for x in _investigator(data)[subject] if x.kind is LesionKind.NEW}
    records = _records(data, subject)
    first = min(d for (lid, d) in records if lid in new_ids)
    assert [bool(new_ids & {t.lesion_id for t in p.lesions}) for p in pv] == [p.date >= first for p in pv]
    assert pv[0].date < first
    truth = next(t for t in pv[-1].lesions if t.lesion_id in new_ids)
    band = BANDS.get(truth.organ, SOFT_TISSUE_IN_FAT)
    col, row = (int(v) for v in truth.centre_px)
    for plan in pv:
        volume = images.render_series(plan).astype(np.int32) - 1024
        centre = float(np.median(volume[truth.slice_index, row - 1 : row + 2, col - 1 : col + 2]))
        assert (band[0] < centre < band[1]) == (plan.date >= first), (plan.visit, centre)  # lesion, or its organ
    long, _ = _measure(volume, truth, pv[-1].spacing_mm)
    record = records[truth.lesion_id, pv[-1].date]
    assert record.diameter_mm is not None and abs(long - record.diameter_mm) <= 2 * pv[-1].spacing_mm


def test_another_evaluator_gets_their_own_diameters(data: StudyData, subject: str) -> None:
    plan = images.plan_subject(data, subject, size=SIZE, evaluator="reader1")[-1]
    records = _records(data, subject, "reader1")
    for truth in (t for t in plan.lesions if t.kind is LesionKind.TARGET):
        record = records[truth.lesion_id, plan.date]
        assert truth.long_axis_mm == record.diameter_mm
        assert truth.short_axis_mm == (record.short_axis_mm if truth.is_node else truth.short_axis_mm)


def test_status_only_lesions_are_drawn_small_and_absent_ones_not_at_all() -> None:
    day = date(2024, 1, 8)
    later = day + timedelta(days=56)
    lesions = (
        Lesion("P01", "inv", "T01", LesionKind.TARGET, "LIVER"),
        Lesion("P01", "inv", "NT01", LesionKind.NON_TARGET, "bone"),
        Lesion("P01", "inv", "NT02", LesionKind.NON_TARGET, "liver"),
    )
    meas = (
        Measurement("P01", "inv", "T01", day, "BASELINE", diameter_mm=40.0, viable_mm=30.0),
        Measurement("P01", "inv", "T01", later, "WEEK 8", diameter_mm=44.0, viable_mm=36.0),
        Measurement("P01", "inv", "NT01", day, "BASELINE"),
        Measurement("P01", "inv", "NT01", later, "WEEK 8", status=LesionStatus.UNEQUIVOCAL_PROGRESSION),
        Measurement("P01", "inv", "NT02", day, "BASELINE", diameter_mm=15.0),
        Measurement("P01", "inv", "NT02", later, "WEEK 8", status=LesionStatus.ABSENT),
    )
    reads = (Read("P01", "inv", ReadRole.INVESTIGATOR, day, "BASELINE", "NE"),)
    data = StudyData(
        StudySettings(title="Tiny"),
        subjects=(Subject("P01", site="07"),),
        lesions=lesions,
        measurements=meas,
        reads=reads,
    )
    baseline, week8 = (images.plan_subject(data, "P01", size=SIZE)[k] for k in (1, 3))
    drawn = {t.lesion_id: t for t in baseline.lesions}
    assert (drawn["NT01"].long_axis_mm, drawn["NT01"].sized_from) == (12.0, "status")
    assert (drawn["T01"].long_axis_mm, drawn["T01"].viable_mm, drawn["T01"].sized_from) == (40.0, 30.0, "measurement")
    assert 0.6 * 40.0 <= drawn["T01"].short_axis_mm <= 0.85 * 40.0
    assert {t.lesion_id for t in week8.lesions} == {"T01", "NT01"}
    assert next(t for t in week8.lesions if t.lesion_id == "NT01").long_axis_mm == 20.0
    assert week8.visit == "WEEK 8" and week8.folder == "P01/WEEK-8_portal-venous"


def test_air_stays_air_and_the_body_is_noisy(plans: list[images.SeriesPlan], volumes) -> None:
    volume = volumes[plans[0].series_uid]
    assert (volume[:, :8, :8] == -1000).all()  # no noise outside the body: the files compress
    row = int(-128.0 / plans[0].spacing_mm + SIZE / 2)  # subcutaneous fat in front of the abdomen
    fat = volume[:, row, SIZE // 2 - 3 : SIZE // 2 + 3]
    assert abs(float(fat.mean()) + 100) < 3 and 6 < float(fat.std()) < 10


# ---------------------------------------------------------------- files


@pytest.fixture(scope="module")
def smallest(data: StudyData) -> images.SeriesPlan:
    sid = _first(data, _with_node_and_new)
    return images.plan_subject(data, sid, size=SIZE)[0]


def test_every_transfer_syntax_reads_back_losslessly(smallest: images.SeriesPlan, tmp_path: Path) -> None:
    syntaxes = images.transfer_syntaxes()
    assert {ExplicitVRLittleEndian, RLELossless, JPEG2000Lossless} <= set(syntaxes)
    expected = images.render_series(smallest)
    for syntax in syntaxes:
        paths = images.write_series(smallest, tmp_path / syntax, transfer_syntax=syntax)
        assert [p.name for p in paths[:2]] == ["IM00001.dcm", "IM00002.dcm"]
        for k in (0, len(paths) // 2, len(paths) - 1):
            ds = pydicom.dcmread(paths[k])
            assert ds.file_meta.TransferSyntaxUID == syntax
            assert np.array_equal(ds.pixel_array, expected[k]), (syntax, k)
    with pytest.raises(ValueError, match="cannot write"):
        images.write_series(smallest, tmp_path / "x", transfer_syntax=UID("1.2.840.10008.1.2.4.50"))


def test_headers_carry_the_subject_visit_and_trial_but_nothing_identifying(
    data: StudyData, smallest: images.SeriesPlan, tmp_path: Path
) -> None:
    paths = images.write_series(smallest, tmp_path)
    first, last = pydicom.dcmread(paths[0]), pydicom.dcmread(paths[-1])
    sid = smallest.subject_id
    site = next(s.site for s in data.subjects if s.subject_id == sid)
    assert first.SOPClassUID == pydicom.uid.CTImageStorage and first.Modality == "CT"
    assert (first.PatientID, first.PatientName.family_name, first.ClinicalTrialSubjectID) == (sid, sid, sid)
    assert first.PatientBirthDate == "" and first.PatientSex == ""
    assert first.StudyDate == smallest.date.strftime("%Y%m%d") and first.AccessionNumber == ""
    assert first.ClinicalTrialTimePointID == smallest.visit
    assert (first.ClinicalTrialProtocolID, first.ClinicalTrialSiteID) == (data.settings.protocol, site)
    assert first.SeriesDescription == "Arterial phase"
    assert list(first.ImageType) == ["ORIGINAL", "PRIMARY", "AXIAL"]
    assert (first.RescaleIntercept, first.RescaleSlope) == (-1024, 1)
    assert [float(v) for v in first.PixelSpacing] == [1.5625, 1.5625] and float(first.SliceThickness) == 2.5
    assert float(first.ImagePositionPatient[2]) - float(last.ImagePositionPatient[2]) == 2.5 * (len(paths) - 1)
    assert "Laterality" not in first  # absent, not empty: dciodvfy flags an empty one
    assert first.StudyInstanceUID == smallest.study_uid and last.SOPInstanceUID == smallest.sop_uids[-1]


def test_dciodvfy_finds_nothing_wrong_with_the_ct(smallest: images.SeriesPlan, tmp_path: Path) -> None:
    if shutil.which("dciodvfy") is None:
        pytest.skip("dciodvfy (dicom3tools) not installed")
    for syntax in (ExplicitVRLittleEndian, RLELossless):
        path = images.write_series(smallest, tmp_path / syntax, transfer_syntax=syntax)[0]
        run = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, timeout=60)
        lines = (run.stdout + run.stderr).splitlines()
        assert [line for line in lines if line.startswith(("Error", "Warning"))] == [], lines
        assert "CTImage" in lines


# ---------------------------------------------------------------- generation


def test_generation_reports_progress_and_a_cancel_leaves_no_partial_series(data: StudyData, tmp_path: Path) -> None:
    sid = _first(data, _with_node_and_new)
    plans = images.plan_subject(data, sid, size=SIZE)
    seen: list[tuple[int, int, str]] = []
    polls = 0

    def cancel() -> bool:  # polled before every slice and after every series: stops in the second series
        nonlocal polls
        polls += 1
        return polls > len(plans[0].sop_uids) + 5

    with pytest.raises(images.ImagesCancelled):
        images.generate_subject(data, sid, tmp_path, size=SIZE, progress=lambda *a: seen.append(a), cancelled=cancel)
    assert [s[:2] for s in seen] == [(0, len(plans)), (1, len(plans))]
    folders = list((tmp_path / sid).iterdir())
    assert [p.name for p in folders] == ["BASELINE_arterial"]  # no partial second series
    assert len(list(folders[0].glob("*.dcm"))) == len(plans[0].sop_uids)

    seen.clear()
    kept = folders[0] / "IM00001.dcm"
    before = kept.stat().st_mtime_ns
    assert images.generate_subject(data, sid, tmp_path, size=SIZE, progress=lambda *a: seen.append(a)) == plans
    assert [s[0] for s in seen] == list(range(len(plans) + 1)) and {s[1] for s in seen} == {len(plans)}
    assert seen[1][2] == f"{sid} BASELINE portal venous"
    assert sorted(p.name for p in (tmp_path / sid).iterdir()) == sorted(p.folder.split("/")[1] for p in plans)
    assert kept.stat().st_mtime_ns == before  # the series finished before the cancel was kept, not rewritten


def test_the_cache_lives_in_the_users_cache_folder_and_follows_the_records(
    data: StudyData, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(images.CACHE_ENV, raising=False)
    key = images.fingerprint(data)
    root = images.default_root(key)
    assert root == Path(platformdirs.user_cache_dir("hccreview", appauthor=False)) / "demo-images" / key
    assert REPO_ROOT not in root.parents
    monkeypatch.setenv(images.CACHE_ENV, str(tmp_path))
    assert images.default_root(key) == tmp_path / "demo-images" / key
    assert images.fingerprint(data) == key
    drawn = {(s.subject_id, images.default_evaluator(data, s.subject_id)) for s in data.subjects}
    at = next(i for i, m in enumerate(data.measurements) if (m.subject_id, m.reader) in drawn)
    other = next(i for i, m in enumerate(data.measurements) if (m.subject_id, m.reader) not in drawn)

    def with_size(index: int) -> StudyData:
        ms = list(data.measurements)
        ms[index] = dataclasses.replace(ms[index], diameter_mm=99.9)
        return dataclasses.replace(data, measurements=tuple(ms))

    assert images.fingerprint(with_size(at)) != key  # the drawn evaluator's records changed: new images
    assert images.fingerprint(with_size(other)) == key  # a reader measuring never changes the images
    assert images.fingerprint(data, size=SIZE) != key
