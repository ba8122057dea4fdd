"""The case packet's key images (issue 22 item 2): what :mod:`hccreview.report.pdf_key_images` draws, as pixels.

Per timepoint where the two central readers differ (the adjudication comparison's rows with a difference; for a
case that is not discordant, each read's last timepoint) and per target lesion: the prior (each reader's baseline)
and the current key image side by side — the caliper slices of the reads (``services.key_images``). On a
discordant case both central readers' calipers are drawn on one panel per slice (the adjudicator's 2 + 1 view);
otherwise each read's own. Slices a reader marked by hand at that timepoint follow the lesions.

Each panel is decoded here (``services.image_pixels``; a demo series not drawn yet is drawn first), windowed with
the viewer's default preset (``domain.images.WINDOW_PRESETS["Abdomen"]``, what the reader saw first), cropped to
the lesion (at least :data:`FIELD_MM` across) and reduced to at most :data:`MAX_PIXELS` a side: the report layer
gets plain uint8 arrays and caliper points in their pixels, never a DICOM header. The caption names the subject
id, date and visit, series description, slice location and window only. A missing or unreadable file is a panel
that says "image not available: <path>" (relative to the image root); the report never fails on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from hccreview.domain import calipers
from hccreview.domain.images import WINDOW_PRESETS, ImageInstance, ImageSeries
from hccreview.domain.key_images import MANUAL, KeyImage
from hccreview.domain.records import LesionKind, Measurement
from hccreview.report.pdf_data import CaliperMarks, KeyImagePanel, KeyImageRow, KeyImageSection
from hccreview.services import demo_images, images
from hccreview.services.adjudication_comparison import case_comparison
from hccreview.services.adjudication_queue import QueueItem
from hccreview.services.image_pixels import PixelReadError, load_slice
from hccreview.services.key_images import key_images
from hccreview.services.session import StudySession
from hccreview.store.study_data import load_study

__all__ = ["FIELD_MM", "MAX_PIXELS", "WINDOW", "case_key_images"]

#: Window / level of every key image (width, centre HU): the viewer's default, so the packet shows what was read.
WINDOW: tuple[float, float] = WINDOW_PRESETS["Abdomen"]
#: The smallest field of view around a lesion (mm): enough liver around it to recognise where it is.
FIELD_MM = 70.0
#: The largest side of a panel's pixels: a panel is ~3 in wide on the page, 256 px is ~85 dpi there.
MAX_PIXELS = 256


@dataclass(frozen=True)
class _Visit:
    """One timepoint of the section: its label and the date each reader read it (their baseline as the prior)."""

    label: str
    current: dict[str, date]
    prior: dict[str, date]
    why: str = ""  # what the readers differ in there


def _windowed(values: np.ndarray) -> np.ndarray:
    width, centre = WINDOW
    low = centre - width / 2
    scaled = (values.astype(np.float32) - np.float32(low)) * np.float32(255.0 / width)
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _reduce(values: np.ndarray, factor: int) -> np.ndarray:
    """Block means of ``factor`` × ``factor`` pixels (the edge that does not fill a block is dropped)."""
    if factor <= 1:
        return values
    rows, cols = (values.shape[0] // factor) * factor, (values.shape[1] // factor) * factor
    blocks = values[:rows, :cols].astype(np.float32).reshape(rows // factor, factor, cols // factor, factor)
    return blocks.mean(axis=(1, 3))


def _crop_box(points: Sequence[tuple[float, float]], shape: tuple[int, int], spacing: tuple[float, float]
              ) -> tuple[int, int, int, int]:  # fmt: skip
    """(row0, row1, col0, col1) of a square field (in mm) around ``points``: twice their extent, at least
    :data:`FIELD_MM`, inside the image; the whole slice without points."""
    rows, cols = shape
    if not points:
        return 0, rows, 0, cols
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    row_mm, col_mm = spacing
    extent = max((max(xs) - min(xs)) * col_mm, (max(ys) - min(ys)) * row_mm)
    side = max(FIELD_MM, 2.2 * extent)
    half_c, half_r = min(cols, side / col_mm) / 2, min(rows, side / row_mm) / 2
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    c0 = round(min(max(cx - half_c, 0), cols - 2 * half_c))
    r0 = round(min(max(cy - half_r, 0), rows - 2 * half_r))
    return r0, min(rows, r0 + round(2 * half_r)), c0, min(cols, c0 + round(2 * half_c))


def _points(c: calipers.Caliper) -> list[tuple[float, float]]:
    out = [p for line in c.lines.values() for p in (line.start, line.end)]
    return out + ([c.marker] if c.marker is not None else [])


class _Images:
    """The patient's series and images by SOP instance UID, decoded on demand."""

    def __init__(self, session: StudySession, subject_id: str) -> None:
        self.session = session
        self.series: dict[str, ImageSeries] = {s.series_uid: s for s in images.series_for(session, subject_id)}
        self.instances: dict[str, ImageInstance] = {
            i.sop_instance_uid: i for uid in self.series for i in images.instances(session, uid)
        }

    def panel(self, title: str, subject_id: str, sop: str, drawn: Sequence[tuple[str, str, calipers.Caliper]],
              note: str = "") -> KeyImagePanel:  # fmt: skip
        """One panel: the slice ``sop`` cropped around the calipers ``drawn`` (reader, lesion, caliper)."""
        instance = self.instances.get(sop)
        series = self.series.get(instance.series_uid) if instance is not None else None
        if instance is None or series is None:
            return KeyImagePanel(title, f"{subject_id}: an image not in the study's index", None,
                                 missing=f"image not available: SOP instance {sop}")  # fmt: skip
        width, centre = WINDOW
        visit = f" ({series.visit})" if series.visit else ""
        caption = (f"{subject_id} · {series.date.isoformat()}{visit} · {series.description or series.phase or 'series'}"
                   f" · slice {instance.slice_location:.1f} mm · W/L {width:g}/{centre:g}")  # fmt: skip
        if note:
            caption += f" · “{note}”"
        try:
            values = load_slice(images.resolve(self.session, instance))
        except (PixelReadError, OSError, images.ImagesRefused):
            return KeyImagePanel(title, caption, None, missing=f"image not available: {instance.path}")
        spacing = series.spacing
        r0, r1, c0, c1 = _crop_box([p for _, _, c in drawn for p in _points(c)], values.shape, spacing)
        crop = values[r0:r1, c0:c1]
        factor = max(1, -(-max(crop.shape) // MAX_PIXELS))  # ceil
        pixels = _windowed(_reduce(crop, factor))

        def moved(p: tuple[float, float]) -> tuple[float, float]:
            return ((p[0] - c0) / factor, (p[1] - r0) / factor)

        marks = tuple(
            CaliperMarks(reader, lesion_id, tuple((moved(line.start), moved(line.end)) for line in c.lines.values()),
                         moved(c.marker) if c.marker is not None else None)
            for reader, lesion_id, c in drawn
        )  # fmt: skip
        return KeyImagePanel(title, caption, pixels, (spacing[0] * factor, spacing[1] * factor), marks)


def _calipers_of(ms: Iterable[Measurement]) -> dict[tuple[str, str, date], tuple[calipers.Caliper, ...]]:
    out = {}
    for m in ms:
        try:
            found = calipers.parse(m.caliper) if m.caliper else ()
        except calipers.CaliperError:
            continue
        if found:
            out[(m.reader, m.lesion_id, m.date)] = found
    return out


def _visits(session: StudySession, subject_id: str, item: QueueItem | None, ms: Sequence[Measurement],
            readers: Sequence[str], keys: Sequence[KeyImage]) -> list[_Visit]:  # fmt: skip
    """The discordant timepoints (each reader's date of the visit), or each reader's last follow-up with a key
    image (else their last follow-up)."""
    dates: dict[str, list[date]] = {r: sorted({m.date for m in ms if m.reader == r}) for r in readers}
    prior = {r: d[0] for r, d in dates.items() if d}
    if item is not None:
        comparison = case_comparison(session, subject_id)
        out = []
        for row in comparison.rows:
            if not row.differs:
                continue
            when = {r: d for r, d in row.dates.items() if r in readers}
            differs = ", ".join(x.replace("_", " ") for x in row.differs)
            out.append(_Visit(f"{row.visit or 'visit'} {row.date.isoformat()}", when, prior,
                              f"the readers differ: {differs}"))  # fmt: skip
        return out
    last = {}
    for r, d in dates.items():
        keyed = sorted(k.date for k in keys if k.reader == r and k.date > d[0]) if d else []
        if keyed or len(d) > 1:
            last[r] = keyed[-1] if keyed else d[-1]
    label = "last timepoint " + ", ".join(dict.fromkeys(d.isoformat() for d in last.values()))
    return [_Visit(label, last, prior)] if last else []


def _lesion_rows(pix: _Images, subject_id: str, visit: _Visit, targets: Sequence[str], readers: Sequence[str],
                 drawn: dict[tuple[str, str, date], tuple[calipers.Caliper, ...]], both: bool,
                 notes: list[str]) -> list[KeyImageRow]:  # fmt: skip
    rows, bare = [], []
    for lesion_id in targets:
        panels = []
        for title, when in (("Prior (baseline)", visit.prior), ("Current", visit.current)):
            groups: dict[tuple[str, str], list[tuple[str, str, calipers.Caliper]]] = {}
            for reader in readers:
                day = when.get(reader)
                for c in drawn.get((reader, lesion_id, day), ()) if day is not None else ():
                    groups.setdefault((c.sop_instance_uid, "" if both else reader), []).append((reader, lesion_id, c))
            for (sop, _who), on in groups.items():
                names = ", ".join(dict.fromkeys(r for r, _, _ in on))
                panels.append(pix.panel(f"{title}: {names}", subject_id, sop, on))
        if any(p.title.startswith("Current") for p in panels):
            why = f" ({visit.why})" if visit.why else ""
            rows.append(KeyImageRow(f"{lesion_id} — {visit.label}{why}", tuple(panels)))
        else:
            bare.append(lesion_id)
    if bare and rows:
        notes.append(f"{', '.join(bare)} at {visit.label}: no caliper on the images.")
    return rows


def _marked_rows(pix: _Images, subject_id: str, visit: _Visit, marked: Sequence[KeyImage]) -> list[KeyImageRow]:
    panels = tuple(pix.panel(f"Marked by {k.reader}", subject_id, k.sop_instance_uid, (), k.note)
                   for k in marked if visit.current.get(k.reader) == k.date)  # fmt: skip
    return [KeyImageRow(f"Key images marked by the readers — {visit.label}", panels)] if panels else []


def case_key_images(
    session: StudySession, subject_id: str, item: QueueItem | None, *, cancelled: Callable[[], bool] | None = None
) -> KeyImageSection:
    """The key images of ``subject_id``'s packet section (``item``: its place in the adjudication queue, None for a
    case that is not discordant). The patient's demo images are drawn first when they are not yet (``cancelled``
    is polled while drawing)."""
    found = key_images(session, subject_id)
    if not found:
        return KeyImageSection((), (), notes=(f"No key images: no read of {subject_id} has a caliper on the images "
                                              "or a marked key image.",))  # fmt: skip
    data = load_study(session.store, ("subjects", "lesions", "measurements"), subject_id=subject_id)
    both = item is not None
    readers = list(item.readers) if item is not None else sorted({k.reader for k in found})
    targets = sorted({x.lesion_id for x in data.lesions if x.kind is LesionKind.TARGET and x.reader in readers})
    visits = _visits(session, subject_id, item, data.measurements, readers, found)
    demo_images.generate(session, subject_id, cancelled=cancelled)
    pix = _Images(session, subject_id)
    drawn = _calipers_of(data.measurements)
    marked = [k for k in found if k.source == MANUAL and k.reader in readers]
    rows: list[KeyImageRow] = []
    notes: list[str] = []
    empty = []
    for visit in visits:
        shown = _lesion_rows(pix, subject_id, visit, targets, readers, drawn, both, notes)
        shown += _marked_rows(pix, subject_id, visit, marked)
        rows += shown
        if not shown:
            empty.append(visit.label)
    if empty:
        notes.append(f"No key image of {' or '.join(readers)} at {', '.join(empty)}: no caliper on the images there.")
    if not visits:
        notes.append("No timepoint to show: " + ("the central readers differ at no timepoint." if both
                                                  else "no read has a follow-up."))  # fmt: skip
    return KeyImageSection(tuple(readers), tuple(rows), both, tuple(notes))
