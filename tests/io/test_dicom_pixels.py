"""Slice pixels from DICOM files: every installed transfer syntax, the rescale, MONOCHROME1, refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.uid import DeflatedExplicitVRLittleEndian, JPEG2000Lossless, JPEGLosslessSV1, RLELossless

from hccreview.io.dicom_pixels import PixelReadError, read_slice
from hccreview.services.bench_images import write_ct_series
from hccreview.services.image_pixels import load_slice


@pytest.fixture
def plain(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """One uncompressed 64² CT slice and its stored values."""
    series = write_ct_series(tmp_path / "plain", slices=1, size=64)
    path = Path(series.files[0][1])
    return path, dcmread(path).pixel_array.astype(np.int32)


def test_hounsfield_units_are_stored_values_plus_the_intercept(plain: tuple[Path, np.ndarray]) -> None:
    path, stored = plain
    hu = read_slice(path)
    assert hu.dtype == np.int16 and hu.shape == (64, 64)
    assert np.array_equal(hu, stored - 1024)
    assert hu.min() < -900 and 350 < hu.max() < 500  # air outside, the vertebra at 400 HU (noise σ 8)
    assert np.array_equal(load_slice(path), hu)  # the service the viewer calls


@pytest.mark.parametrize("syntax", [RLELossless, JPEG2000Lossless, DeflatedExplicitVRLittleEndian])
def test_compressed_slices_decode_to_the_same_values(
    tmp_path: Path, plain: tuple[Path, np.ndarray], syntax: str
) -> None:
    ds = dcmread(plain[0])
    if syntax == DeflatedExplicitVRLittleEndian:
        ds.file_meta.TransferSyntaxUID = syntax
    else:
        ds.compress(syntax)
    ds.save_as(tmp_path / "c.dcm", enforce_file_format=True)
    assert dcmread(tmp_path / "c.dcm").file_meta.TransferSyntaxUID == syntax
    assert np.array_equal(read_slice(tmp_path / "c.dcm"), read_slice(plain[0]))


def test_jpeg_lossless_decodes_through_gdcm(tmp_path: Path, plain: tuple[Path, np.ndarray]) -> None:
    import gdcm  # python-gdcm, a project dependency: pydicom cannot encode JPEG lossless, GDCM can

    reader = gdcm.ImageReader()
    reader.SetFileName(str(plain[0]))
    assert reader.Read()
    change = gdcm.ImageChangeTransferSyntax()
    change.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.JPEGLosslessProcess14_1))
    change.SetInput(reader.GetImage())
    assert change.Change()
    writer = gdcm.ImageWriter()
    writer.SetFile(reader.GetFile())
    writer.SetImage(change.GetOutput())
    writer.SetFileName(str(tmp_path / "j.dcm"))
    assert writer.Write()
    assert dcmread(tmp_path / "j.dcm").file_meta.TransferSyntaxUID == JPEGLosslessSV1
    assert np.array_equal(read_slice(tmp_path / "j.dcm"), read_slice(plain[0]))


def test_a_fractional_slope_is_applied_and_rounded(tmp_path: Path, plain: tuple[Path, np.ndarray]) -> None:
    path, stored = plain
    ds = dcmread(path)
    ds.RescaleSlope, ds.RescaleIntercept = 0.5, -100.25
    ds.save_as(tmp_path / "s.dcm", enforce_file_format=True)
    assert np.array_equal(read_slice(tmp_path / "s.dcm"), np.rint(stored * 0.5 - 100.25).astype(np.int16))


def test_monochrome1_is_flipped_so_that_higher_is_brighter(tmp_path: Path, plain: tuple[Path, np.ndarray]) -> None:
    """12 bits stored, unsigned: a stored 0 (white in MONOCHROME1) becomes 4095 − 0, then rescaled."""
    path, stored = plain
    ds = dcmread(path)
    ds.PhotometricInterpretation = "MONOCHROME1"
    ds.save_as(tmp_path / "m1.dcm", enforce_file_format=True)
    assert np.array_equal(read_slice(tmp_path / "m1.dcm"), (4095 - stored) - 1024)


def test_colour_multi_frame_and_non_dicom_files_are_refused(tmp_path: Path, plain: tuple[Path, np.ndarray]) -> None:
    ds = dcmread(plain[0])
    ds.PhotometricInterpretation = "RGB"
    ds.save_as(tmp_path / "rgb.dcm", enforce_file_format=True)
    with pytest.raises(PixelReadError, match="a RGB image; only greyscale"):
        read_slice(tmp_path / "rgb.dcm")
    ds = dcmread(plain[0])
    ds.NumberOfFrames = 2
    ds.PixelData = ds.PixelData * 2
    ds.save_as(tmp_path / "mf.dcm", enforce_file_format=True)
    with pytest.raises(PixelReadError, match="a multi-frame image \\(2 frames\\)"):
        read_slice(tmp_path / "mf.dcm")
    (tmp_path / "note.txt").write_text("not an image")
    with pytest.raises(PixelReadError, match="not a readable DICOM file"):
        read_slice(tmp_path / "note.txt")
    ds = dcmread(plain[0])
    del ds.PixelData
    ds.save_as(tmp_path / "nopix.dcm", enforce_file_format=True)
    with pytest.raises(PixelReadError, match="pixels cannot be decoded"):
        read_slice(tmp_path / "nopix.dcm")
