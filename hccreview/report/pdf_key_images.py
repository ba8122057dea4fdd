"""The case packet's key images (issue 22 item 2), drawn: prior and current side by side per target lesion and
timepoint, the readers' calipers burnt in (one colour per reader, a legend on top), a scale bar and a caption.

The pixels arrive windowed and cropped (``services.packet_key_images``); this module only draws them: each panel
is an axes placed on the page in inches (no figure slot, so several panels share a page), the image embedded at
its own resolution, the caliper lines in the image's pixel coordinates. The caption is the service's (subject id,
date and visit, series, slice location, window / level): no other header text reaches the page.
"""

from __future__ import annotations

from collections.abc import Mapping

from matplotlib import patheffects
from matplotlib.axes import Axes

from hccreview.domain.images import OVERLAY_COLOURS
from hccreview.report import pdf_text as t
from hccreview.report.pdf_data import KeyImagePanel, KeyImageSection
from hccreview.report.pdf_layout import (
    CONTENT_W,
    INK,
    MARGIN_X,
    MUTED,
    PAGE_H,
    PAGE_W,
    RULE,
    Canvas,
    Piece,
    line_height,
    text_width,
    wrap,
)

__all__ = ["READER_COLOURS", "key_image_pieces", "scale_bar_mm"]

#: One colour per reader, in the section's order: the adjudicator's overlay colours on the workstation (reader 1,
#: reader 2, a third: ``domain.images.OVERLAY_COLOURS``), so the packet and the screen agree.
READER_COLOURS = OVERLAY_COLOURS
GAP = 0.2
PANEL_W = (CONTENT_W - GAP) / 2
IMAGE_H = 2.7
TITLE = 7.5
CAPTION = 6.5
#: Scale bar lengths to choose from (mm): the longest that spans at most a quarter of the image.
BAR_LENGTHS = (5, 10, 20, 50, 100)
#: Labels on the image sit on a dark box (real text, so the PDF's text layer has them; a stroke would be a path).
_LABEL_BOX = {"facecolor": "black", "edgecolor": "none", "alpha": 0.55, "pad": 1.2}


def scale_bar_mm(width_mm: float) -> int:
    """The scale bar for an image ``width_mm`` across: the longest of :data:`BAR_LENGTHS` within a quarter of it."""
    fits = [b for b in BAR_LENGTHS if b <= width_mm / 4]
    return fits[-1] if fits else BAR_LENGTHS[0]


def _image(ax: Axes, panel: KeyImagePanel, colours: Mapping[str, str]) -> None:
    pixels = panel.pixels
    assert pixels is not None
    rows, cols = pixels.shape
    ax.imshow(pixels, cmap="gray", vmin=0, vmax=255, interpolation="none", extent=(0, cols, rows, 0), aspect="auto")
    ax.set_xlim(0, cols)
    ax.set_ylim(rows, 0)
    ax.set_axis_off()
    for i, mark in enumerate(panel.calipers):
        colour = colours.get(mark.reader, READER_COLOURS[-1])
        width = max(3.0 - 1.7 * i, 1.0)  # the first reader's lines wider: two equal calipers both stay visible
        for start, end in mark.lines:
            ax.plot([start[0], end[0]], [start[1], end[1]], color=colour, linewidth=width, solid_capstyle="butt",
                    marker="o", markersize=width + 0.8)  # fmt: skip
        if mark.marker is not None:
            ax.plot([mark.marker[0]], [mark.marker[1]], marker="+", markersize=9, markeredgewidth=width, color=colour)
        if mark.lines or mark.marker is not None:
            x, y = mark.lines[0][1] if mark.lines else mark.marker  # type: ignore[misc]  # one of them is set
            ax.text(x + cols * 0.03, y + rows * 0.06 * i, mark.lesion_id, color=colour, fontsize=6.5,
                    fontweight="bold", va="center", clip_on=True, bbox=_LABEL_BOX)  # fmt: skip
    col_mm = panel.spacing[1]
    bar = scale_bar_mm(cols * col_mm)
    x0, y0 = cols * 0.05, rows * 0.94
    ax.plot([x0, x0 + bar / col_mm], [y0, y0], color="white", linewidth=2.2, solid_capstyle="butt",
            path_effects=[patheffects.withStroke(linewidth=3.6, foreground="black")])  # fmt: skip
    ax.text(x0, y0 - rows * 0.035, f"{bar} mm", color="white", fontsize=6.5, va="bottom", bbox=_LABEL_BOX)


def _panel_height(panel: KeyImagePanel) -> float:
    return line_height(TITLE) + IMAGE_H + 0.04 + line_height(CAPTION) * len(wrap(panel.caption, PANEL_W, CAPTION))


def _draw_panel(c: Canvas, x: float, y: float, panel: KeyImagePanel, colours: Mapping[str, str]) -> None:
    c.text(x, y + TITLE / 72.0, panel.title, size=TITLE, bold=True, colour=INK)
    top = y + line_height(TITLE)
    if panel.pixels is None:
        c.box(x, top, PANEL_W, IMAGE_H, fill="#f1f3f4", edge=RULE)
        c.lines(x + 0.1, top + IMAGE_H / 2 - 0.1, wrap(panel.missing, PANEL_W - 0.2, TITLE), size=TITLE, colour=MUTED)
    else:
        rows, cols = panel.pixels.shape
        width_mm, height_mm = cols * panel.spacing[1], rows * panel.spacing[0]
        scale = min(PANEL_W / width_mm, IMAGE_H / height_mm)
        w, h = width_mm * scale, height_mm * scale
        ax = c.fig.add_axes((x / PAGE_W, (PAGE_H - top - h) / PAGE_H, w / PAGE_W, h / PAGE_H))
        _image(ax, panel, colours)
    c.lines(x, top + IMAGE_H + 0.04, wrap(panel.caption, PANEL_W, CAPTION), size=CAPTION, colour=MUTED)


def _pair(panels: tuple[KeyImagePanel, ...], colours: Mapping[str, str]) -> Piece:
    def draw(c: Canvas, y: float) -> None:
        for i, panel in enumerate(panels):
            _draw_panel(c, MARGIN_X + i * (PANEL_W + GAP), y, panel, colours)

    return Piece(max(_panel_height(p) for p in panels) + 0.12, draw)


def _legend(section: KeyImageSection, colours: Mapping[str, str]) -> Piece:
    lead = "Calipers of both central readers on the same images:" if section.both else "Each read's own calipers:"
    height = line_height(8.0) + 0.06

    def draw(c: Canvas, y: float) -> None:
        base = y + 8.0 / 72.0
        c.text(MARGIN_X, base, lead, size=8.0, colour=INK)
        x = MARGIN_X + text_width(lead, 8.0) + 0.15
        for reader in section.readers:
            c.rule(x, base - 0.035, x + 0.3, base - 0.035, colour=colours[reader], width=3.0)
            c.text(x + 0.36, base, reader, size=8.0, bold=True, colour=INK)
            x += 0.36 + text_width(reader, 8.0, True) + 0.25

    return Piece(height, draw, keep_with_next=True)


def key_image_pieces(section: KeyImageSection) -> list[Piece]:
    """The "Key images" part of one case's section: heading, legend, one row of panels per lesion and timepoint
    (prior, current; more slices wrap onto the next row), then what has no key image."""
    colours = {r: READER_COLOURS[i % len(READER_COLOURS)] for i, r in enumerate(section.readers)}
    pieces = t.heading("Key images")
    if section.rows:
        pieces.append(_legend(section, colours))
    for row in section.rows:
        head = t.paragraph(row.heading, size=8.5, bold=True, after=0.03)
        head[-1].keep_with_next = True
        pieces += head
        for i in range(0, len(row.panels), 2):
            pieces.append(_pair(row.panels[i : i + 2], colours))
    for note in section.notes:
        pieces += t.note(note)
    if section.rows:
        pieces += t.note("Window / level and slice location as in each caption; scale bar in millimetres. Subject id "
                         "only: no other patient data from the image headers is shown.")  # fmt: skip
    return pieces
