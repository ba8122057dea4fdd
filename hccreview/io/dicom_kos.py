"""DICOM Key Object Selection out (issue 22 item 3): the key images of one read as a KOS document.

One document per reader × subject × timepoint, written when the reader submits the read (beside its TID 1500
SR, :mod:`hccreview.io.dicom_sr`): DICOM PS3.3 A.35.4, TID 2010 with the title *Of Interest* (DCM 113000, CID
7010: images the reader selected as relevant to their read), the reader as Person Observer, a Key Object
Description naming the read, and one reference per key image (IMAGE for an image whose matrix is known, as
highdicom decides) plus the read's SR when it belongs to the same study. highdicom writes one study per KOS:
key images of another study than the first one's are left out and returned to the caller, who names them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import highdicom as hd
import pydicom
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes

from hccreview.io.dicom_sr import MANUFACTURER, SRError, person_name

__all__ = ["KeyObjects", "build_key_object_selection", "referenced_objects"]

#: Document title (CID 7010): the images the reader selected as of interest for their read.
TITLE = codes.DCM.OfInterest


@dataclass(frozen=True)
class KeyObjects:
    """A built KOS and the key images it could not reference (another study than the document's)."""

    document: hd.ko.KeyObjectSelectionDocument
    left_out: tuple[str, ...] = ()


def build_key_object_selection(
    images: Sequence[Dataset],
    *,
    observer: str,
    observer_name: str = "",
    description: str,
    report: Dataset | None = None,
    series_number: int = 9101,
) -> KeyObjects:
    """The KOS of a read's key images (``images``: their headers, in the order the reader sees them; the study is
    the first one's); ``report``: the read's SR, referenced too when it belongs to that study."""
    if not images:
        raise SRError("a Key Object Selection needs at least one key image")
    study = str(images[0].StudyInstanceUID)
    kept = [ds for ds in images if str(ds.StudyInstanceUID) == study]
    left_out = tuple(str(ds.SOPInstanceUID) for ds in images if str(ds.StudyInstanceUID) != study)
    referenced = [*kept, *([report] if report is not None and str(report.StudyInstanceUID) == study else [])]
    observer_context = hd.sr.ObserverContext(
        observer_type=codes.DCM.Person,
        observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(
            name=person_name(observer_name or observer), login_name=observer
        ),
    )
    content = hd.ko.KeyObjectSelection(
        document_title=TITLE,
        referenced_objects=referenced,
        observer_person_context=observer_context,
        description=description[:1024],
    )
    document = hd.ko.KeyObjectSelectionDocument(
        evidence=referenced,
        content=content,
        series_instance_uid=hd.UID(),
        series_number=series_number,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer=MANUFACTURER,
        series_description=f"Key images {observer}"[:64],
    )
    return KeyObjects(document, left_out)


def referenced_objects(path: Path) -> int:
    """How many objects (images, documents) a written KOS references."""
    ds = pydicom.dcmread(path)
    return sum(item.ValueType in ("IMAGE", "COMPOSITE") for item in ds.get("ContentSequence", []))
