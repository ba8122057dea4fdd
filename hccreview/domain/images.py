"""The study's index of its DICOM images (issue 21): what a series and an instance are to hccreview.

The study stores this index, never the pixels: the files stay under an *image root* folder (the ``settings``
key ``image_root``) and each instance keeps its path relative to it, so a moved root is re-pointed once. A
series is matched to one subject and one assessment (date and visit) when it is registered
(``io.dicom_index`` reads the headers, ``services.images`` previews and applies the match); the viewer orders
a series' slices by ``slice_location``, the position along the slice normal (DICOM PS3.3 C.7.6.2.1.1:
Image Position (Patient) projected on the cross product of the Image Orientation (Patient) vectors).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: ``settings`` key of the image root folder (an absolute path on this workstation).
IMAGE_ROOT_KEY = "image_root"
#: Window / level presets (width, centre) in HU, as radiology workstations name them.
WINDOW_PRESETS: dict[str, tuple[float, float]] = {
    "Liver": (150.0, 90.0),
    "Abdomen": (400.0, 50.0),
    "Lung": (1500.0, -600.0),
    "Bone": (1800.0, 400.0),
}


@dataclass(frozen=True)
class ImageSeries:
    """One registered series, matched to a subject's assessment."""

    series_uid: str
    study_uid: str
    subject_id: str
    date: dt.date
    modality: str
    rows: int
    columns: int
    row_spacing: float
    column_spacing: float
    instances: int
    registered_at: dt.datetime
    visit: str = ""
    study_date: dt.date | None = None
    timepoint_id: str = ""
    description: str = ""
    phase: str = ""
    frame_of_reference_uid: str = ""
    slice_thickness: float | None = None
    orientation: str = ""  # Image Orientation (Patient), six numbers separated by backslashes
    acquisition_plane: bool = True  # measured on (an original axial / acquisition-plane series)
    source: str = "import"  # "import" (a folder was registered) or "demo" (generated on first use)
    registered_by: str = ""

    @property
    def spacing(self) -> tuple[float, float]:
        """(row spacing, column spacing) in mm, DICOM's Pixel Spacing order."""
        return (self.row_spacing, self.column_spacing)

    @property
    def label(self) -> str:
        """How the series is named in the picker: its phase or description, and its size."""
        name = self.phase or self.description or self.modality
        return f"{name} ({self.instances} images)"


@dataclass(frozen=True)
class ImageInstance:
    """One image file of a registered series."""

    sop_instance_uid: str
    series_uid: str
    path: str  # relative to the image root, "/"-separated
    slice_location: float  # mm along the slice normal
    instance_number: int | None = None
    position: str = ""  # Image Position (Patient), three numbers separated by backslashes
    transfer_syntax: str = ""
    sha256: str = ""  # empty: a demo image generated on first use (regenerated, not hashed)
    size: int = 0


__all__ = ["IMAGE_ROOT_KEY", "WINDOW_PRESETS", "ImageInstance", "ImageSeries"]

#: Caliper colours, one definition for the screen and the PDF: the evaluator's own (editable), a read-only view of
#: one read, and the reads laid over it in order (the adjudicator's reader 1, reader 2, a third): bright on a grey
#: image and apart from each other.
OWN_COLOUR, VIEW_COLOUR = "#ffd400", "#33c7ff"
OVERLAY_COLOURS = ("#ff4fd8", "#7dff6b", "#ff8a3d")
