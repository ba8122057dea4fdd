"""Render the application icon: ``resources/icons/hccreview.svg`` → PNG 16–256 px, a Windows ``.ico`` and a macOS
``.icns``.

Run from the repository root: ``python packaging/make_icons.py``. Uses PySide6's QSvgRenderer (QtSvg ships with
PySide6-Essentials) on the offscreen platform, so no display is needed. The ``.ico`` (all sizes in one file) and the
``.icns`` (16–1024 px, the Retina sizes rendered from the SVG into a temporary folder, not kept as PNGs) are written
with Pillow (a dependency of matplotlib) when it is installed; otherwise the script says so and skips them. No
``iconutil`` (a Mac) is needed.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SIZES = (16, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)  # the sizes an .icns holds (Pillow's ICNS writer: 16–1024 px)


def render_pngs(svg: Path, out_dir: Path, sizes: tuple[int, ...] = SIZES) -> list[Path]:
    """Render ``svg`` to ``out_dir/hccreview-<N>.png`` for each size; returns the files written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG")
    written = []
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        target = out_dir / f"hccreview-{size}.png"
        if not image.save(str(target), "PNG"):
            raise SystemExit(f"cannot write {target}")
        written.append(target)
    return written


def write_ico(pngs: list[Path], target: Path) -> bool:
    """Write a multi-size Windows icon from the PNGs with Pillow; False when Pillow is not installed."""
    try:
        from PIL import Image
    except ImportError:
        return False
    largest = Image.open(max(pngs, key=lambda p: p.stat().st_size))
    largest.save(target, format="ICO", sizes=[(s, s) for s in SIZES])
    return True


def write_icns(svg: Path, target: Path) -> bool:
    """Write a macOS icon with every ``ICNS_SIZES`` size rendered from ``svg``; False when Pillow is missing."""
    try:
        from PIL import Image
    except ImportError:
        return False
    with tempfile.TemporaryDirectory() as tmp:
        pngs = render_pngs(svg, Path(tmp), ICNS_SIZES)
        images = [Image.open(p) for p in pngs]
        images[-1].save(target, format="ICNS", append_images=images[:-1])
        for image in images:
            image.close()
    return True


def main() -> int:
    """Render every size, the .ico and the .icns; print what was written."""
    pngs = render_pngs(ICONS / "hccreview.svg", ICONS)
    for p in pngs:
        print(f"wrote {p}")
    ico = ICONS / "hccreview.ico"
    if write_ico(pngs, ico):
        print(f"wrote {ico}")
    else:
        print("Pillow is not installed: hccreview.ico not written (pip install pillow, then run again)")
    icns = ICONS / "hccreview.icns"
    if write_icns(ICONS / "hccreview.svg", icns):
        print(f"wrote {icns}")
    else:
        print("Pillow is not installed: hccreview.icns not written (pip install pillow, then run again)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
