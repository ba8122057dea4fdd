"""The case packet's key images (issue 22 item 2): on a discordant patient whose two central readers drew different
calipers on the same target at the same timepoint, the packet's key-image page shows both readers' calipers burnt
into the image in their two colours, with a caption naming the subject id, the window / level and a scale bar, and
no patient name or birth date. A missing image file is named on the page; the report does not fail."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread
from pydicom import dcmread

from hccreview.demo import images as synthetic
from hccreview.domain.records import LesionKind
from hccreview.report.pdf_key_images import READER_COLOURS
from hccreview.services import adjudication, auth, demo_images, images
from hccreview.services.adjudication_comparison import case_comparison
from hccreview.services.packet_key_images import WINDOW, case_key_images
from hccreview.services.reporting import render_report
from hccreview.services.review import update_measurement
from hccreview.services.session import StudySession, open_study
from hccreview.store.database import Store
from hccreview.store.study_data import load_study


def _signed(path: Path, user: str) -> StudySession:
    session = open_study(path)
    auth.sign_in(session, user, f"{user}-demo")
    return session


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A demo study where reader1 and reader2 measured the same target of a discordant patient at a timepoint where
    they differ, reader2's long axis 14 pixels longer; returns the study, the patient and the caliper's SOP UID."""
    from hccreview.services.demo_study import build_demo_study

    path = build_demo_study(tmp_path_factory.mktemp("packet-key-images") / "demo.db", patients=12)
    with _signed(path, "adjudicator") as session:
        found = [(item.subject_id, row.date) for item in adjudication.discordance_queue(session, "central")
                 for row in case_comparison(session, item.subject_id).rows
                 if row.differs and len(set(row.dates.values())) == 1 and len(row.dates) == 2]  # fmt: skip
    sid, day = found[0]
    with Store.open(path, migrate=False) as system:
        data = load_study(system, subject_id=sid)
    plan = next(p for p in synthetic.plan_subject(data, sid) if p.phase == synthetic.PORTAL_VENOUS and p.date == day)
    truth = next(t for t in plan.lesions if t.kind is LesionKind.TARGET)
    for reader, stretch in (("reader1", 0.0), ("reader2", 14.0)):
        with _signed(path, reader) as session:
            row = session.store.rows("measurements", "subject_id = ? AND reader = ? AND lesion_id = ? AND date = ?",
                                     [sid, reader, truth.lesion_id, day.isoformat()])[0]  # fmt: skip
            caliper = synthetic.truth_caliper(plan, truth, stretch_px=stretch)
            update_measurement(session, measurement_id=int(row["id"]), values={"caliper": caliper}, reason="measured")
    return path, sid, plan.sop_uids[truth.slice_index]


def _page_with(pdf: Path, text: str) -> int:
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                                                              check=True).stdout).group(1))  # type: ignore[union-attr]  # fmt: skip
    for page in range(1, pages + 1):
        if text in _text(pdf, page):
            return page
    raise AssertionError(f"no page of {pdf.name} says {text!r}")


def _text(pdf: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip


def _on_the_image(rgb: np.ndarray, colour: str) -> int:
    """Pixels of ``colour`` with grey image pixels around them (a legend swatch sits on white paper: not counted)."""
    want = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    hit = np.all(np.abs(rgb.astype(np.int16) - want) < 40, axis=2)
    spread = rgb.max(axis=2).astype(np.int16) - rgb.min(axis=2)
    grey = (spread < 12) & (rgb.mean(axis=2) > 40) & (rgb.mean(axis=2) < 225)
    near = np.zeros_like(grey)
    for dy in range(-5, 6):
        for dx in range(-5, 6):
            near |= np.roll(np.roll(grey, dy, axis=0), dx, axis=1)
    return int((hit & near).sum())


def test_the_packet_shows_both_readers_calipers_on_the_key_images(measured, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, sid, sop = measured
    out = tmp_path / "packet.pdf"
    with _signed(path, "adjudicator") as session:
        render_report(session, out, cases=sid)
        instance = next(i for s in images.series_for(session, sid) for i in images.instances(session, s.series_uid)
                        if i.sop_instance_uid == sop)  # fmt: skip
        header = dcmread(images.resolve(session, instance))
    page = _page_with(out, "Key images")
    subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-r", "100", "-png", "-singlefile", str(out),
                    str(tmp_path / "page")], check=True)  # fmt: skip
    rgb = (imread(tmp_path / "page.png")[:, :, :3] * 255).astype(np.uint8)
    assert _on_the_image(rgb, READER_COLOURS[0]) >= 15  # reader1's caliper, burnt into the image
    assert _on_the_image(rgb, READER_COLOURS[1]) >= 15  # reader2's, in the other colour
    text = _text(out, page)
    assert "Calipers of both central readers on the same images:" in text and "reader1" in text and "reader2" in text
    assert sid in text and f"W/L {WINDOW[0]:g}/{WINDOW[1]:g}" in text
    assert re.search(r"^\s*(5|10|20|50|100) mm\s*$", text, re.MULTILINE)  # the scale bar's label
    name = str(header.get("PatientName", "")).strip()
    assert name and name not in text and "Birth" not in text and "PatientName" not in text


def test_a_missing_image_is_named_and_the_packet_still_renders(measured, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, sid, sop = measured
    study = Path(shutil.copyfile(path, tmp_path / "demo.db"))
    with _signed(study, "adjudicator") as session:
        item = next(q for q in adjudication.discordance_queue(session, "central") if q.subject_id == sid)
        instance = next(i for s in images.series_for(session, sid) for i in images.instances(session, s.series_uid)
                        if i.sop_instance_uid == sop)  # fmt: skip
        demo_images.generate(session, sid)
        file = images.resolve(session, instance)
        kept = file.read_bytes()
        file.write_bytes(b"not a DICOM file any more")  # (a demo file deleted would be drawn again)
        try:
            section = case_key_images(session, sid, item)
            panels = [p for row in section.rows for p in row.panels if p.title.startswith("Current")]
            assert [p.missing for p in panels] == [f"image not available: {instance.path}"]
            assert panels[0].pixels is None and sid in panels[0].caption
            render_report(session, tmp_path / "packet.pdf", cases=sid)
            page = _page_with(tmp_path / "packet.pdf", "Key images")
            words = " ".join(_text(tmp_path / "packet.pdf", page).split())  # the panel wraps the path
            assert f"image not available: {instance.path}" in words
        finally:
            file.write_bytes(kept)


def test_a_case_that_is_not_discordant_shows_each_reads_own_calipers(measured) -> None:  # type: ignore[no-untyped-def]
    path, sid, _sop = measured
    with _signed(path, "adjudicator") as session:
        section = case_key_images(session, sid, None)  # as in an "all" packet: no adjudication page
    assert not section.both and section.readers == ("reader1", "reader2")
    current = [p for row in section.rows for p in row.panels if p.title.startswith("Current")]
    assert [p.title for p in current] == ["Current: reader1", "Current: reader2"]  # one panel per read
    assert [[m.reader for m in p.calipers] for p in current] == [["reader1"], ["reader2"]]  # each its own caliper
