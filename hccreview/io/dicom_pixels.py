"""The pixels of one DICOM image, as the numbers the reader windows (issue 21): Qt-free, one slice at a time.

:func:`read_slice` decodes a single-frame greyscale image (any transfer syntax pydicom 3 can decode here:
uncompressed, deflated, RLE and JPEG 2000 through pylibjpeg's MIT plugins, JPEG / JPEG-LS through GDCM) and
applies the Modality LUT's linear rescale (PS3.3 C.11.1: output = stored × RescaleSlope + RescaleIntercept), so
a CT slice comes back in Hounsfield units. The result is ``int16``: the viewer keeps a whole series as one
int16 array (IMAGING.md: a 300-slice 512² series is 157 MB) and windows it with a 65,536-entry lookup table, so
a value is rounded to the nearest unit and clipped to int16's range (HU fit: −1024 … +3071 for CT).

MONOCHROME1 (PS3.3 C.7.6.3.1.2: the minimum value is displayed white, as on some CR / DX images) is flipped
within the range the stored values can take, so that a higher value is always brighter, as the viewer's lookup
table assumes. Colour images and multi-frame objects are refused with :class:`PixelReadError`: measurements are
made on single-frame greyscale acquisition slices (CT / MR).
"""

from __future__ import annotations

from os import PathLike

import numpy as np
from pydicom import dcmread
from pydicom.errors import InvalidDicomError

INT16_MIN, INT16_MAX = -32768, 32767


class PixelReadError(ValueError):
    """A file whose pixels cannot be shown as one greyscale slice (unreadable, colour, multi-frame ...)."""


def read_slice(path: str | PathLike[str]) -> np.ndarray:
    """The rescaled values of the single-frame greyscale image at ``path``, shape (rows, columns), int16."""
    try:
        ds = dcmread(path)
    except (OSError, InvalidDicomError) as exc:
        raise PixelReadError(f"{path}: not a readable DICOM file ({exc})") from exc
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip().upper()
    if photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise PixelReadError(f"{path}: a {photometric} image; only greyscale (MONOCHROME1/2) slices are shown")
    if int(ds.get("NumberOfFrames", 1) or 1) > 1:
        raise PixelReadError(f"{path}: a multi-frame image ({ds.NumberOfFrames} frames); one slice per file only")
    try:
        stored = ds.pixel_array
    except (ValueError, RuntimeError, NotImplementedError, AttributeError) as exc:  # no pixels / no decoder
        raise PixelReadError(f"{path}: pixels cannot be decoded ({exc})") from exc
    slope = float(ds.get("RescaleSlope", 1) or 1)
    intercept = float(ds.get("RescaleIntercept", 0) or 0)
    if photometric == "MONOCHROME1":
        stored = _flip_monochrome1(stored, ds)
    return _rescaled_int16(stored, slope, intercept)


def _flip_monochrome1(stored: np.ndarray, ds: object) -> np.ndarray:
    """Stored values mirrored within the range BitsStored and PixelRepresentation allow (white ↔ black)."""
    bits = int(getattr(ds, "BitsStored", 16))
    signed = int(getattr(ds, "PixelRepresentation", 0)) == 1
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return (low + high) - stored.astype(np.int64)


def _rescaled_int16(stored: np.ndarray, slope: float, intercept: float) -> np.ndarray:
    """``stored × slope + intercept`` rounded and clipped to int16 (integer arithmetic when the rescale allows)."""
    if slope == 1.0 and intercept.is_integer():
        values = stored.astype(np.int32) + int(intercept)
    else:
        values = np.rint(stored.astype(np.float32) * np.float32(slope) + np.float32(intercept))
    return np.clip(values, INT16_MIN, INT16_MAX).astype(np.int16)


__all__ = ["PixelReadError", "read_slice"]
