"""Tables for the PDF layout engine: measured column widths, wrapped cells, one piece per row, and the header
repeated (with "continued") on every page a long table runs onto.

Column widths: every column gets at least its longest word; when the table fits, headers are kept on one
line where possible and spare width is shared in proportion to the content; when it does not, the columns
with the most wrappable text give way first. Numbers are right-aligned by the caller's :class:`Column`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from hccreview.report.pdf_layout import (
    ACCENT,
    CONTENT_W,
    HEADER_FILL,
    INK,
    MARGIN_X,
    MUTED,
    STRIPE_FILL,
    Canvas,
    Piece,
    line_height,
    longest_word,
    text_width,
    wrap,
)

PAD_X = 0.05
PAD_Y = 0.03
Cell = str | Callable[[], str]  # a callable is resolved when the page is drawn (e.g. a page number)
_PLACEHOLDER = "999"


@dataclass(frozen=True)
class Column:
    """One column: title, alignment ("left", "right", "center") and optional width limits in inches."""

    title: str
    align: str = "left"
    max_width: float | None = None
    min_width: float | None = None


@dataclass(frozen=True)
class RowStyle:
    """How one body row is drawn: bold text, a fill colour, a rule above it, a text colour."""

    bold: bool = False
    fill: str | None = None
    rule_above: bool = False
    colour: str = INK


def _text(cell: Cell) -> str:
    return _PLACEHOLDER if callable(cell) else str(cell)


def _natural(texts: Sequence[str], size: float, bold: bool = False) -> float:
    return max((text_width(line, size, bold) for t in texts for line in t.split("\n")), default=0.0)


def column_widths(
    columns: Sequence[Column], rows: Sequence[Sequence[Cell]], *, size: float, header_size: float,
    width: float = CONTENT_W, fill: bool = True,
) -> list[float]:  # fmt: skip
    """Column widths in inches (see the module docstring)."""
    n = len(columns)
    cells = [[_text(row[i]) for row in rows] for i in range(n)]
    pad = 2 * PAD_X
    body = [_natural(cells[i], size) + pad for i in range(n)]
    head_full = [_natural([c.title], header_size, True) + pad for c in columns]
    head_min = [longest_word(c.title, header_size, True) + pad for c in columns]
    word_min = [max((longest_word(t, size) for t in cells[i]), default=0.0) + pad for i in range(n)]
    natural, minimum = [], []
    for i, col in enumerate(columns):
        nat = max(body[i], head_min[i])
        low = max(word_min[i], head_min[i])
        if col.max_width is not None:
            nat = min(nat, max(col.max_width, low))
        if col.min_width is not None:
            nat, low = max(nat, col.min_width), max(low, col.min_width)
        natural.append(nat)
        minimum.append(min(low, nat))
    total = sum(natural)
    if total <= width:
        desired = [max(natural[i], head_full[i]) if columns[i].max_width is None else natural[i] for i in range(n)]
        widths = list(natural)
        spare = width - total
        wants = [d - w for d, w in zip(desired, widths, strict=True)]
        if sum(wants) > 0:
            share = min(1.0, spare / sum(wants))
            widths = [w + share * k for w, k in zip(widths, wants, strict=True)]
        if fill:
            spare = width - sum(widths)
            base = sum(widths)
            widths = [w + spare * w / base for w in widths]
        return widths
    shrink = [natural[i] - minimum[i] for i in range(n)]
    excess = total - width
    if sum(shrink) >= excess:
        return [natural[i] - shrink[i] * excess / sum(shrink) for i in range(n)]
    scale = width / sum(minimum)
    return [m * scale for m in minimum]


def _draw_cells(
    c: Canvas, y: float, x0: float, widths: Sequence[float], wrapped: Sequence[list[str]], columns: Sequence[Column],
    *, size: float, bold: bool, colour: str,
) -> None:  # fmt: skip
    x = x0
    for w, lines, col in zip(widths, wrapped, columns, strict=True):
        if col.align == "right":
            tx, ha = x + w - PAD_X, "right"
        elif col.align == "center":
            tx, ha = x + w / 2, "center"
        else:
            tx, ha = x + PAD_X, "left"
        c.lines(tx, y + PAD_Y, lines, size=size, bold=bold, colour=colour, ha=ha)
        x += w


def table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    *,
    caption: str | None = None,
    size: float = 8.0,
    header_size: float | None = None,
    styles: Mapping[int, RowStyle] | None = None,
    zebra: bool = True,
    header: bool = True,
    fill: bool = True,
    width: float = CONTENT_W,
) -> list[Piece]:
    """A table as pieces: caption and header kept with the first row; one piece per row; on a new page the
    header is drawn again under "<caption> (continued)"."""
    hsize = header_size or size
    widths = column_widths(columns, rows, size=size, header_size=hsize, width=width, fill=fill)
    x0 = MARGIN_X
    total_w = sum(widths)
    lh, hlh = line_height(size), line_height(hsize)
    pieces: list[Piece] = []
    head_wrapped = [wrap(c.title, w - 2 * PAD_X, hsize, True) for c, w in zip(columns, widths, strict=True)]
    head_h = max(len(x) for x in head_wrapped) * hlh + 2 * PAD_Y

    def draw_header(c: Canvas, y: float) -> None:
        c.box(x0, y, total_w, head_h, fill=HEADER_FILL)
        _draw_cells(c, y, x0, widths, head_wrapped, columns, size=hsize, bold=True, colour=INK)
        c.rule(x0, y + head_h, x0 + total_w, y + head_h, colour=ACCENT, width=0.8)

    cap_lines = wrap(caption, CONTENT_W, 9.0, True) if caption else []
    cap_h = len(cap_lines) * line_height(9.0) + 0.04 if caption else 0.0
    if caption:

        def draw_caption(c: Canvas, y: float) -> None:
            c.lines(x0, y, cap_lines, size=9.0, bold=True, colour=INK)

        pieces.append(Piece(cap_h, draw_caption, keep_with_next=True))
    repeat = None
    if header:
        pieces.append(Piece(head_h, draw_header, keep_with_next=True))
        cont = f"{caption} (continued)" if caption else "(continued)"
        cont_lines = wrap(cont, CONTENT_W, 8.0, True)
        cont_h = len(cont_lines) * line_height(8.0) + 0.04

        def draw_repeat(c: Canvas, y: float) -> None:
            c.lines(x0, y, cont_lines, size=8.0, bold=True, colour=MUTED)
            draw_header(c, y + cont_h)

        repeat = Piece(cont_h + head_h, draw_repeat)
    for r, row in enumerate(rows):
        style = (styles or {}).get(r, RowStyle())
        texts = [_text(cell) for cell in row]
        wrapped = [wrap(t, w - 2 * PAD_X, size, style.bold) for t, w in zip(texts, widths, strict=True)]
        height = max(len(x) for x in wrapped) * lh + 2 * PAD_Y
        last = r == len(rows) - 1
        fill_colour = style.fill or (STRIPE_FILL if zebra and r % 2 == 1 else None)

        def draw_row(c: Canvas, y: float, row: Sequence[Cell] = row, wrapped: list[list[str]] = wrapped,
                     height: float = height, style: RowStyle = style, last: bool = last,
                     fill_colour: str | None = fill_colour) -> None:  # fmt: skip
            if fill_colour:
                c.box(x0, y, total_w, height, fill=fill_colour)
            if style.rule_above:
                c.rule(x0, y, x0 + total_w, y, colour=MUTED, width=0.5)
            lines = wrapped
            if any(callable(cell) for cell in row):
                lines = [[cell()] if callable(cell) else part for cell, part in zip(row, wrapped, strict=True)]
            _draw_cells(c, y, x0, widths, lines, columns, size=size, bold=style.bold, colour=style.colour)
            if last:
                c.rule(x0, y + height, x0 + total_w, y + height, colour=ACCENT, width=0.8)

        pieces.append(Piece(height, draw_row, repeat=repeat))
    pieces.append(Piece(0.12))
    return pieces


def key_values(pairs: Sequence[tuple[str, str]], *, size: float = 8.5, label_width: float = 2.25) -> list[Piece]:
    """A two-column label / value list without a header (labels bold)."""
    pieces: list[Piece] = []
    lh = line_height(size)
    value_w = CONTENT_W - label_width
    for label, value in pairs:
        left = wrap(label, label_width - 0.1, size, True)
        right = wrap(value, value_w, size)
        height = max(len(left), len(right)) * lh + 0.03

        def draw(c: Canvas, y: float, left: list[str] = left, right: list[str] = right) -> None:
            c.lines(MARGIN_X, y, left, size=size, bold=True, colour=MUTED)
            c.lines(MARGIN_X + label_width, y, right, size=size)

        pieces.append(Piece(height, draw))
    pieces.append(Piece(0.08))
    return pieces


__all__ = ["Column", "RowStyle", "column_widths", "key_values", "table"]
