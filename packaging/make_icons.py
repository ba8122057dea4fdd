"""Render the application icon: ``resources/icons/hccreview.svg`` → PNG 16–256 px and a Windows ``.ico``.

Run from the repository root: ``python packaging/make_icons.py``. Uses PySide6's QSvgRenderer (QtSvg ships with
PySide6-Essentials) on the offscreen platform, so no display is needed. The ``.ico`` (all sizes in one file) is
written with Pillow when it is installed; otherwise the script says so and skips it. For macOS, build an ``.icns``
from the PNGs with ``iconutil`` (on a Mac) — not done here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SIZES = (16, 32, 48, 64, 128, 256)


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


def main() -> int:
    """Render every size and the .ico; print what was written."""
    pngs = render_pngs(ICONS / "hccreview.svg", ICONS)
    for p in pngs:
        print(f"wrote {p}")
    ico = ICONS / "hccreview.ico"
    if write_ico(pngs, ico):
        print(f"wrote {ico}")
    else:
        print("Pillow is not installed: hccreview.ico not written (pip install pillow, then run again)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
