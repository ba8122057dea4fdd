"""A small page-layout engine for A4 PDF documents drawn as matplotlib figures (Qt-free, no pyplot).

A document is a list of :class:`Piece` objects — atomic, measured slices of content (a heading, a few lines of
a paragraph, one table row, a figure slot). :func:`paginate` flows them onto A4 portrait pages (top to bottom,
``keep_with_next`` chains kept together, a ``repeat`` piece — a table's header — redrawn at the top of a
continuation page, at most one figure slot per page; a section that starts a new page shares it with
``compact`` pieces, the one line of an empty section that did not fit on the page before); :func:`render` then
draws each page as a :class:`~matplotlib.figure.Figure` with the running header and "Page n of N" footer and
hands it to a sink (``PdfPages.savefig``). Pagination happens before any figure exists, so the page count is
known when the first page is drawn, and each page's figure is built once.

Coordinates are inches from the top-left corner of the page; drawing uses ``fig.dpi_scale_trans``. Text is
measured with matplotlib's own font metrics (:func:`text_width`), so wrapping matches what is drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypedDict, Unpack, cast

from matplotlib.artist import Artist
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.layout_engine import ConstrainedLayoutEngine, TightLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.textpath import text_to_path
from matplotlib.transforms import Bbox, TransformedBbox

PAGE_W, PAGE_H = 8.27, 11.69  # A4 portrait, inches
MARGIN_X = 0.75
CONTENT_TOP = 0.95
CONTENT_BOTTOM = PAGE_H - 0.85
CONTENT_W = PAGE_W - 2 * MARGIN_X
LINE_FACTOR = 1.28  # line height / font size

INK = "#1a1a1a"
MUTED = "#5f6368"
RULE = "#9aa0a6"
ACCENT = "#1f4e79"
HEADER_FILL = "#e8edf3"
STRIPE_FILL = "#f6f8fa"

DrawFn = Callable[["Canvas", float], None]  # (canvas, y_top in inches) -> None


# --- measuring --------------------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _font(size: float, bold: bool, italic: bool = False) -> FontProperties:
    return FontProperties(size=size, weight="bold" if bold else "normal", style="italic" if italic else "normal")


@lru_cache(maxsize=4096)
def _advance(char: str, bold: bool) -> float:
    """Advance width of one character at 1 pt, in inches (measured once at 100 pt)."""
    width, _, _ = text_to_path.get_text_width_height_descent(char, _font(100.0, bold), ismath=False)
    return width / 100.0 / 72.0


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width of one line of ``text`` in inches at ``size`` points: the sum of the characters' advances from
    matplotlib's font metrics (kerning ignored, so never narrower than drawn — wrapping stays safe)."""
    return sum(_advance(ch, bold) for ch in text) * size


def line_height(size: float) -> float:
    """Height of one line of text at ``size`` points, in inches."""
    return size * LINE_FACTOR / 72.0


def _break_word(word: str, width: float, size: float, bold: bool) -> list[str]:
    parts, current = [], ""
    for ch in word:
        if current and text_width(current + ch, size, bold) > width + 1e-6:
            parts.append(current)
            current = ch
        else:
            current += ch
    return [*parts, current] if current else parts


def wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """Greedy word wrap to ``width`` inches; explicit newlines break lines; over-long words are split."""
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        current = ""
        for word in paragraph.split(" "):
            candidate = f"{current} {word}" if current else word
            if text_width(candidate, size, bold) <= width + 1e-6:
                current = candidate
                continue
            if current:
                lines.append(current)
            pieces = _break_word(word, width, size, bold) if text_width(word, size, bold) > width + 1e-6 else [word]
            lines.extend(pieces[:-1])
            current = pieces[-1] if pieces else ""
        lines.append(current)
    return lines


def longest_word(text: str, size: float, bold: bool = False) -> float:
    """Width of the widest unbreakable word of ``text`` (a column's natural minimum)."""
    return max((text_width(w, size, bold) for w in str(text).replace("\n", " ").split(" ")), default=0.0)


# --- drawing ----------------------------------------------------------------------------------------------


NO_LIGATURES = ("-liga",)


class _Shaping:
    """What a renderer asks of the text it draws besides the string: OpenType features and language. Standard
    ligatures are off: a ligature glyph ("fi") would make matplotlib embed a second subset of the font."""

    @staticmethod
    def get_fontfeatures() -> tuple[str, ...]:
        return NO_LIGATURES

    @staticmethod
    def get_language() -> None:
        return None


_SHAPING = _Shaping()


class Label(Artist):
    """One line of text drawn straight through the renderer at a baseline point given in inches from the
    bottom-left corner of the page. Unlike :class:`~matplotlib.text.Text` it needs no layout pass (alignment
    uses :func:`text_width`), which halves the cost of a text-heavy page; the PDF gets the same text
    operators (extractable, embedded font)."""

    def __init__(self, x: float, y: float, text: str, prop: FontProperties, colour: str, ha: str, bold: bool) -> None:
        super().__init__()
        self.set_zorder(3)  # above fills and rules, as matplotlib's Text
        shift = {"left": 0.0, "center": 0.5, "right": 1.0}[ha] * text_width(text, prop.get_size_in_points(), bold)
        self._xy = (x - shift, y)
        self._text = text
        self._prop = prop
        self._colour = colour

    def get_text(self) -> str:
        return self._text

    def draw(self, renderer: RendererBase) -> None:
        if not self.get_visible():
            return
        fig = cast(Figure, self.get_figure(root=True))  # drawn only as an artist of its page's figure
        x, y = fig.dpi_scale_trans.transform(self._xy)
        if renderer.flipy():
            y = renderer.get_canvas_width_height()[1] - y
        gc = renderer.new_gc()
        gc.set_foreground(self._colour)
        # _SHAPING stands in for a Text: the renderer asks mtext only for its font features and language
        renderer.draw_text(gc, x, y, self._text, self._prop, 0.0, ismath=False, mtext=_SHAPING)  # type: ignore[arg-type]  # a stand-in for Text
        gc.restore()
        self.stale = False


class TextStyle(TypedDict, total=False):
    """The style options of :meth:`Canvas.text` that :meth:`Canvas.lines` passes on."""

    bold: bool
    colour: str
    ha: str
    italic: bool


class Canvas:
    """Drawing on one page figure in inches from the top-left corner."""

    def __init__(self, fig: Figure) -> None:
        self.fig = fig
        self._trans = fig.dpi_scale_trans

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = 9.0,
        bold: bool = False,
        colour: str = INK,
        ha: str = "left",
        italic: bool = False,
    ) -> None:
        """One line of text with its baseline at ``y``."""
        if not text:
            return
        prop = _font(size, bold, italic)
        self.fig.add_artist(Label(x, PAGE_H - y, text, prop, colour, ha, bold))

    def lines(
        self, x: float, y_top: float, lines: Sequence[str], *, size: float = 9.0, **kw: Unpack[TextStyle]
    ) -> float:
        """Lines of text from ``y_top`` down; returns the height used."""
        lh = line_height(size)
        for i, line in enumerate(lines):
            self.text(x, y_top + i * lh + size * 0.98 / 72.0, line, size=size, **kw)
        return lh * len(lines)

    def rule(self, x0: float, y0: float, x1: float, y1: float, *, colour: str = RULE, width: float = 0.6) -> None:
        """A straight line."""
        self.fig.add_artist(Line2D([x0, x1], [PAGE_H - y0, PAGE_H - y1], transform=self._trans, color=colour,
                                   linewidth=width))  # fmt: skip

    def box(
        self, x: float, y_top: float, w: float, h: float, *, fill: str | None = None, edge: str | None = None,
        width: float = 0.6,
    ) -> None:  # fmt: skip
        """A rectangle from its top-left corner."""
        self.fig.add_artist(Rectangle((x, PAGE_H - y_top - h), w, h, transform=self._trans,
                                      facecolor=fill or "none", edgecolor=edge or "none", linewidth=width))  # fmt: skip


# --- pieces and pages -------------------------------------------------------------------------------------


@dataclass
class FigureSlot:
    """A figure drawn by a shared builder into the page figure (which the builder clears first), confined by
    the constrained-layout ``rect`` to the slot's area. ``after`` adjusts the built figure to the slot's size."""

    build: Callable[[Figure], object]
    after: Callable[[Figure, float], None] | None = None


@dataclass
class Piece:
    """An atomic slice of content, ``height`` inches tall, drawn by ``draw(canvas, y_top)``."""

    height: float
    draw: DrawFn | None = None
    keep_with_next: bool = False
    repeat: Piece | None = None  # drawn first on a page this piece has to continue on (a table header)
    figure: FigureSlot | None = None
    new_page: bool = False
    section: str | None = None  # the running section name from this piece on (footer)
    anchor: str | None = None  # recorded with the page number the piece lands on
    compact: bool = False  # part of a section with nothing to show: the next section may share its page


@dataclass
class Page:
    """The pieces placed on one page, with their y positions."""

    placed: list[tuple[Piece, float]] = field(default_factory=list)
    section: str = ""

    @property
    def empty(self) -> bool:
        return not self.placed

    @property
    def only_compact(self) -> bool:
        """Only compact pieces (empty sections' one-liners) so far: a new section need not start a new page."""
        return all(p.compact for p, _ in self.placed)

    @property
    def has_figure(self) -> bool:
        return any(p.figure is not None for p, _ in self.placed)


@dataclass
class Layout:
    """Paginated pages and the page number (1-based) of every anchored piece."""

    pages: list[Page]
    anchors: dict[str, int]


def spacer(height: float) -> Piece:
    """Vertical space (dropped at the top of a page)."""
    return Piece(height)


def page_break() -> Piece:
    """Start a new page (unless the current one is empty)."""
    return Piece(0.0, new_page=True)


def paginate(pieces: Iterable[Piece]) -> Layout:
    """Flow ``pieces`` onto pages (see the module docstring)."""
    items = list(pieces)
    pages = [Page()]
    anchors: dict[str, int] = {}
    y = CONTENT_TOP
    section = ""

    def new_page() -> None:
        nonlocal y
        pages.append(Page(section=section))
        y = CONTENT_TOP

    for i, piece in enumerate(items):
        if piece.section is not None:
            section = piece.section
        if piece.new_page and not pages[-1].empty and not pages[-1].only_compact:
            new_page()
        if not pages[-1].placed:
            pages[-1].section = section
        if piece.draw is None and piece.figure is None:  # spacer
            if not pages[-1].empty:
                y += piece.height
            continue
        need = piece.height
        j = i
        while items[j].keep_with_next and j + 1 < len(items):
            j += 1
            need += items[j].height
        full = y + need > CONTENT_BOTTOM + 1e-9
        if not pages[-1].empty and (full or (piece.figure is not None and pages[-1].has_figure)):
            new_page()
            if piece.repeat is not None:
                pages[-1].placed.append((piece.repeat, y))
                y += piece.repeat.height
        pages[-1].placed.append((piece, y))
        if piece.anchor is not None:
            anchors[piece.anchor] = len(pages)
        y += piece.height
    if len(pages) > 1 and pages[-1].empty:
        pages.pop()
    return Layout(pages, anchors)


@dataclass(frozen=True)
class RunningText:
    """The running header (left: study title; right: data cut / generated) and footer (left: document)."""

    header_left: str
    header_right: str
    footer_left: str


def _draw_running(canvas: Canvas, running: RunningText, page: int, total: int, section: str) -> None:
    size = 7.5
    top = 0.55
    left = running.header_left
    room = CONTENT_W - text_width(running.header_right, size) - 0.3
    if text_width(left, size, True) > room:
        left = wrap(left, room - text_width("…", size, True), size, True)[0].rstrip() + "…"
    canvas.text(MARGIN_X, top, left, size=size, bold=True, colour=ACCENT)
    canvas.text(PAGE_W - MARGIN_X, top, running.header_right, size=size, colour=MUTED, ha="right")
    canvas.rule(MARGIN_X, top + 0.1, PAGE_W - MARGIN_X, top + 0.1, colour=ACCENT, width=0.8)
    bottom = PAGE_H - 0.45
    canvas.rule(MARGIN_X, bottom - 0.17, PAGE_W - MARGIN_X, bottom - 0.17)
    canvas.text(MARGIN_X, bottom, running.footer_left, size=size, colour=MUTED)
    if section:
        canvas.text(PAGE_W / 2, bottom, section, size=size, colour=MUTED, ha="center")
    canvas.text(PAGE_W - MARGIN_X, bottom, f"Page {page} of {total}", size=size, colour=INK, ha="right")


def _place_figure(fig: Figure, slot: FigureSlot, y: float, height: float) -> None:
    """Build the slot's figure into the page and confine it to the slot: the constrained-layout ``rect``, and
    for figure legends placed "outside" (which matplotlib anchors to the whole figure while reserving their
    room inside the rect) the slot's box as their anchor."""
    slot.build(fig)
    rect = (MARGIN_X / PAGE_W, (PAGE_H - y - height) / PAGE_H, CONTENT_W / PAGE_W, height / PAGE_H)
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine | TightLayoutEngine):  # the engines that take a rect
        engine.set(rect=rect)
    for text in fig.findobj(Text):
        if hasattr(text, "set_fontfeatures"):  # matplotlib >= 3.11
            text.set_fontfeatures(NO_LIGATURES)
    box = TransformedBbox(Bbox.from_bounds(*rect), fig.transFigure)
    for legend in fig.legends:
        if getattr(legend, "_outside_loc", None) and getattr(legend, "_bbox_to_anchor", None) is None:
            # still "unanchored" for the layout engine, which then keeps reserving the legend's margin
            legend.get_bbox_to_anchor = lambda: box  # type: ignore[method-assign]  # on this legend only, on purpose
    if slot.after is not None:
        slot.after(fig, height)


def render(
    layout: Layout,
    running: RunningText,
    sink: Callable[[Figure], None],
    *,
    on_page: Callable[[int, int], None] | None = None,
) -> int:
    """Draw every page and pass it to ``sink``; ``on_page(done, total)`` runs before each page (it may raise
    to cancel). Returns the number of pages."""
    total = len(layout.pages)
    for number, page in enumerate(layout.pages, start=1):
        if on_page is not None:
            on_page(number - 1, total)
        fig = Figure(figsize=(PAGE_W, PAGE_H))
        for piece, y in page.placed:
            if piece.figure is not None:
                _place_figure(fig, piece.figure, y, piece.height)
        canvas = Canvas(fig)
        for piece, y in page.placed:
            if piece.draw is not None:
                piece.draw(canvas, y)
        _draw_running(canvas, running, number, total, page.section)
        sink(fig)
    return total
