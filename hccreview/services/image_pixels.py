"""Slice pixels for the image viewer (issue 21): the door from ``ui`` to ``io.dicom_pixels`` and the decode
processes (``services.decode_process``).

The viewer's decoder threads call a :class:`SeriesLoader` (one per series) or :func:`load_slice` for each file;
neither touches study data (the index of a study's images is ``services.images``), so no session is needed
and both are safe on any thread.
"""

from __future__ import annotations

from os import PathLike

import numpy as np

from hccreview.io.dicom_pixels import PixelReadError, read_slice
from hccreview.services.decode_process import SeriesLoader


def load_slice(path: str | PathLike[str]) -> np.ndarray:
    """The rescaled values (HU for CT) of one single-frame greyscale DICOM file, int16 (rows, columns), decoded
    in the calling thread; :class:`PixelReadError` when the file cannot be shown."""
    return read_slice(path)


__all__ = ["PixelReadError", "SeriesLoader", "load_slice"]
