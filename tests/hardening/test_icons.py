"""The macOS icon (issue 10 packaging): ``resources/icons/hccreview.icns`` holds every size 16–1024 px rendered from
the SVG, ``packaging/make_icons.py`` writes it, and the PyInstaller spec uses it for the macOS build."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

Image = pytest.importorskip("PIL.Image")

REPO = Path(__file__).resolve().parents[2]
ICNS = REPO / "resources" / "icons" / "hccreview.icns"
#: (size, scale) pairs of an .icns from 16 to 512@2x (= 1024 px), as Pillow reads them.
EXPECTED = {(16, 2), (32, 2), (128, 1), (128, 2), (256, 1), (256, 2), (512, 1), (512, 2)}


def _sizes(path: Path) -> set[tuple[int, int]]:
    with Image.open(path) as image:
        assert image.format == "ICNS"
        return {(w, scale) for w, _h, scale in image.info["sizes"]}


def _opaque_share(path: Path, size: int, scale: int) -> float:
    with Image.open(path) as image:
        image.size = (size, size)  # Pillow's way of choosing one of the icns images
        image.load(scale=scale)
        assert image.size == (size * scale, size * scale)
        alpha = image.convert("RGBA").getchannel("A")
        return 1 - alpha.histogram()[0] / (alpha.width * alpha.height)  # share of pixels not fully transparent


def test_the_committed_icns_holds_every_size_up_to_1024_px() -> None:
    assert _sizes(ICNS) == EXPECTED
    assert 0.3 < _opaque_share(ICNS, 512, 2) < 1.0, "the 1024 px image shows the drawn icon"
    assert 0.3 < _opaque_share(ICNS, 16, 2) < 1.0


def test_make_icons_writes_the_icns(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_icons", REPO / "packaging" / "make_icons.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    target = tmp_path / "out.icns"
    assert module.write_icns(REPO / "resources" / "icons" / "hccreview.svg", target)
    assert _sizes(target) == EXPECTED


def test_the_spec_uses_the_icns_for_the_macos_app() -> None:
    spec = (REPO / "packaging" / "hccreview.spec").read_text(encoding="utf-8")
    assert '"hccreview.icns"' in spec and "BUNDLE(" in spec and 'name="hccreview.app"' in spec
    assert "hccreview.icns" in (REPO / "packaging" / "README.md").read_text(encoding="utf-8")
