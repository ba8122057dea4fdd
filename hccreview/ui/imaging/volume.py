"""One series in memory (issue 21): what the viewer shows and the decoder fills.

:class:`SeriesDescription` says where a series' slices are and how they lie (built by the caller — e.g. from the
study's :class:`~hccreview.domain.images.ImageSeries` / :class:`~hccreview.domain.images.ImageInstance` records with
:meth:`SeriesDescription.from_records` — so this package knows nothing of the study store).
:class:`SeriesVolume` holds the pixels: one int16 array (slices, rows, columns) allocated once (the pages are
committed as slices are written, so an undecoded series costs nearly nothing) and a mask of the slices decoded.

Slices are ordered by ``slice_location`` (mm along the slice normal, ``domain.images``), highest first: for an
axial series in the usual orientation that is head first, the order scanners number them in. The decoder
threads write a slice's pixels, then set its mask entry; the GUI thread reads the mask before the pixels, so it
never shows a half-written slice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hccreview.domain.images import ImageInstance, ImageSeries


@dataclass(frozen=True)
class SliceSource:
    """One slice file of a series: its SOP Instance UID, absolute path and position along the normal (mm)."""

    sop_instance_uid: str
    path: str
    slice_location: float


@dataclass(frozen=True)
class SeriesDescription:
    """Everything the viewer needs to know of a series before any pixel is read."""

    series_uid: str
    rows: int
    columns: int
    spacing: tuple[float, float]  # (row spacing, column spacing) in mm, DICOM's Pixel Spacing order
    slices: tuple[SliceSource, ...]
    frame_of_reference_uid: str = ""
    label: str = ""  # shown in the viewer's corner (phase, description)
    acquisition_plane: bool = True  # calipers may be drawn (an original acquisition-plane series)

    @classmethod
    def from_records(
        cls, series: ImageSeries, instances: Iterable[ImageInstance], root: str | Path
    ) -> SeriesDescription:
        """The description of a registered series whose instances' paths are relative to the image ``root``."""
        base = Path(root)
        slices = tuple(
            SliceSource(i.sop_instance_uid, str(base.joinpath(*i.path.split("/"))), float(i.slice_location))
            for i in instances
            if i.series_uid == series.series_uid
        )
        return cls(
            series_uid=series.series_uid,
            rows=series.rows,
            columns=series.columns,
            spacing=series.spacing,
            slices=slices,
            frame_of_reference_uid=series.frame_of_reference_uid,
            label=series.phase or series.description or series.modality,
            acquisition_plane=series.acquisition_plane,
        )


class SeriesVolume:
    """The pixels of one series (int16, rows × columns per slice) and which slices are decoded.

    Written by the decoder's threads (:meth:`store`, one slice each, never the same slice twice at once), read by
    the GUI thread; no Qt here.
    """

    def __init__(self, description: SeriesDescription) -> None:
        if not description.slices:
            raise ValueError(f"series {description.series_uid} has no slices")
        self.description = description
        ordered = sorted(description.slices, key=lambda s: -s.slice_location)
        self.sources: tuple[SliceSource, ...] = tuple(ordered)
        self.locations = np.array([s.slice_location for s in ordered], dtype=np.float64)
        self.pixels = np.zeros((len(ordered), description.rows, description.columns), dtype=np.int16)
        self.loaded = np.zeros(len(ordered), dtype=bool)
        self.errors: dict[int, str] = {}  # slice index -> why it could not be decoded
        self._index_of_sop = {s.sop_instance_uid: i for i, s in enumerate(ordered)}

    # ------------------------------------------------------------------ geometry
    @property
    def count(self) -> int:
        return len(self.sources)

    @property
    def series_uid(self) -> str:
        return self.description.series_uid

    @property
    def spacing(self) -> tuple[float, float]:
        return self.description.spacing

    @property
    def acquisition_plane(self) -> bool:
        return self.description.acquisition_plane

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of every slice."""
        return (self.description.rows, self.description.columns)

    def location(self, index: int) -> float:
        return float(self.locations[index])

    def sop_uid(self, index: int) -> str:
        return self.sources[index].sop_instance_uid

    def index_of_sop(self, sop_instance_uid: str) -> int | None:
        return self._index_of_sop.get(sop_instance_uid)

    def nearest_index(self, location_mm: float) -> int:
        """The slice whose location is nearest ``location_mm`` (the first of two equally near)."""
        return int(np.argmin(np.abs(self.locations - location_mm)))

    # ------------------------------------------------------------------ pixels
    def is_loaded(self, index: int) -> bool:
        return bool(self.loaded[index])

    @property
    def loaded_count(self) -> int:
        return int(self.loaded.sum())

    def store(self, index: int, values: np.ndarray) -> None:
        """Put a decoded slice in place (any thread); a slice of the wrong shape is an error of that slice."""
        if values.shape != self.shape:
            raise ValueError(f"slice {index} is {values.shape[1]}×{values.shape[0]}, the series is "
                             f"{self.shape[1]}×{self.shape[0]}")  # fmt: skip
        self.pixels[index] = values
        self.loaded[index] = True  # after the pixels: a reader that sees True sees the whole slice

    def slice(self, index: int) -> np.ndarray:
        """The pixels of slice ``index`` (a view, not a copy; zeros until decoded)."""
        return self.pixels[index]

    @property
    def nbytes(self) -> int:
        return int(self.pixels.nbytes)


__all__ = ["SeriesDescription", "SeriesVolume", "SliceSource"]
