"""Text pieces for the PDF layout engine: headings, paragraphs, bullet lists, notes, callouts, figure slots.

Each function returns a list of :class:`~hccreview.report.pdf_layout.Piece` objects; long paragraphs are cut
into pieces of a few lines so that they can continue on the next page.
"""

from __future__ import annotations

from collections.abc import Callable

from matplotlib.figure import Figure

from hccreview.report.pdf_layout import (
    ACCENT,
    CONTENT_W,
    INK,
    MARGIN_X,
    MUTED,
    Canvas,
    FigureSlot,
    Piece,
    line_height,
    spacer,
    text_width,
    wrap,
)

BODY = 9.0
SMALL = 7.5
SECTION_GAP = 0.3  # inches above a section title that does not start a page


def title(
    text: str, *, size: float = 15.0, section: str | None = None, anchor: str | None = None, new_page: bool = True
) -> list[Piece]:
    """A section title with a coloured rule under it; it starts a new page unless ``new_page`` is False (a
    section with nothing to show, :func:`empty_section`, follows the previous one on its page)."""
    lines = wrap(text, CONTENT_W, size, True)
    height = line_height(size) * len(lines) + 0.16

    def draw(c: Canvas, y: float) -> None:
        c.lines(MARGIN_X, y, lines, size=size, bold=True, colour=ACCENT)
        c.rule(MARGIN_X, y + height - 0.08, MARGIN_X + CONTENT_W, y + height - 0.08, colour=ACCENT, width=1.0)

    piece = Piece(height + 0.1, draw, keep_with_next=True, new_page=new_page, section=section, anchor=anchor)
    return [piece] if new_page else [spacer(SECTION_GAP), piece]


def empty_section(text: str, line: str, *, section: str | None = None, anchor: str | None = None) -> list[Piece]:
    """A section with nothing to show: its title and one line saying why, on the page of what precedes it
    (not a page of its own)."""
    pieces = title(text, section=section, anchor=anchor, new_page=False) + paragraph(line, size=8.5)
    for piece in pieces:
        piece.compact = True
    return [*pieces, spacer(SECTION_GAP)]  # the next section may follow on this page


def heading(text: str, *, size: float = 11.0, space_before: float = 0.14) -> list[Piece]:
    """A sub-heading kept with what follows."""
    lines = wrap(text, CONTENT_W, size, True)
    height = line_height(size) * len(lines)

    def draw(c: Canvas, y: float) -> None:
        c.lines(MARGIN_X, y + space_before, lines, size=size, bold=True, colour=INK)

    return [Piece(space_before + height + 0.05, draw, keep_with_next=True)]


def paragraph(
    text: str,
    *,
    size: float = BODY,
    colour: str = INK,
    bold: bool = False,
    italic: bool = False,
    indent: float = 0.0,
    after: float = 0.06,
    chunk: int = 4,
) -> list[Piece]:
    """Wrapped text in pieces of ``chunk`` lines (a paragraph may continue on the next page)."""
    lines = wrap(text, CONTENT_W - indent, size, bold)
    lh = line_height(size)
    out: list[Piece] = []
    for start in range(0, len(lines), chunk):
        part = lines[start : start + chunk]
        last = start + chunk >= len(lines)

        def draw(c: Canvas, y: float, part: list[str] = part) -> None:
            c.lines(MARGIN_X + indent, y, part, size=size, colour=colour, bold=bold, italic=italic)

        out.append(Piece(lh * len(part) + (after if last else 0.0), draw))
    return out


def bullets(items: list[str], *, size: float = BODY, after: float = 0.04) -> list[Piece]:
    """A bullet list; each item wraps under its own text."""
    out: list[Piece] = []
    indent = 0.18
    lh = line_height(size)
    for item in items:
        lines = wrap(item, CONTENT_W - indent, size)

        def draw(c: Canvas, y: float, lines: list[str] = lines) -> None:
            c.text(MARGIN_X + 0.04, y + size * 0.98 / 72.0, "•", size=size)
            c.lines(MARGIN_X + indent, y, lines, size=size)

        out.append(Piece(lh * len(lines) + after, draw))
    return out


def note(text: str) -> list[Piece]:
    """A small grey note (table footnotes, figure captions)."""
    return paragraph(text, size=SMALL, colour=MUTED, after=0.08)


def callout(text: str, *, fill: str = "#fff4e5", edge: str = "#ef6c00", size: float = BODY) -> list[Piece]:
    """A boxed, highlighted statement (e.g. "figures provisional")."""
    pad = 0.08
    lines = wrap(text, CONTENT_W - 2 * pad - 0.06, size, True)
    height = line_height(size) * len(lines) + 2 * pad

    def draw(c: Canvas, y: float) -> None:
        c.box(MARGIN_X, y, CONTENT_W, height, fill=fill, edge=edge, width=0.8)
        c.lines(MARGIN_X + pad + 0.03, y + pad, lines, size=size, bold=True, colour=INK)

    return [Piece(height + 0.1, draw)]


def figure(
    build: Callable[[Figure], object], height: float, *, after: Callable[[Figure, float], None] | None = None
) -> list[Piece]:
    """A figure slot ``height`` inches tall across the content width (see :class:`FigureSlot`)."""
    return [Piece(height, figure=FigureSlot(build, after)), Piece(0.08)]


def muted_line(text: str, *, size: float = SMALL) -> list[Piece]:
    """One short grey line without spacing after."""
    return paragraph(text, size=size, colour=MUTED, after=0.0)


def decision_box(choices: list[str], *, subject_id: str) -> list[Piece]:
    """The empty meeting decision form: choice (read 1 / read 2 / other), reason lines, signature and date."""
    height = 2.75

    def draw(c: Canvas, y: float) -> None:
        x0, w = MARGIN_X, CONTENT_W
        c.box(x0, y, w, height, edge=ACCENT, width=1.0)
        c.box(x0, y, w, 0.3, fill="#e8edf3", edge=ACCENT, width=1.0)
        c.text(x0 + 0.1, y + 0.2, f"Adjudication decision — {subject_id}", size=10, bold=True, colour=ACCENT)
        c.text(x0 + w - 0.1, y + 0.2, "to be completed at the meeting", size=SMALL, colour=MUTED, ha="right")
        c.text(x0 + 0.1, y + 0.56, "Read that stands:", size=BODY, bold=True)
        x = x0 + 1.45
        labels = [f"Read {i + 1} ({name})" for i, name in enumerate(choices[:2])] or ["Read 1", "Read 2"]
        for label in [*labels, "Other:"]:
            c.box(x, y + 0.45, 0.13, 0.13, edge=INK, width=0.8)
            c.text(x + 0.2, y + 0.56, label, size=BODY)
            x += 0.5 + text_width(label, BODY)
        c.rule(x - 0.1, y + 0.58, x0 + w - 0.15, y + 0.58, colour=INK)
        c.text(x0 + 0.1, y + 0.9, "Reason:", size=BODY, bold=True)
        for k in range(4):
            yy = y + 0.92 + 0.3 * k
            c.rule(x0 + 0.75, yy, x0 + w - 0.15, yy, colour=INK, width=0.5)
        base = y + 2.35
        for label, start, end in (("Adjudicator:", 0.1, 2.7), ("Signature:", 2.9, 5.15), ("Date:", 5.35, w - 0.15)):
            c.text(x0 + start, base, label, size=BODY, bold=True)
            left = x0 + start + text_width(label, BODY, True) + 0.08
            c.rule(left, base + 0.02, x0 + end, base + 0.02, colour=INK, width=0.5)
        c.text(x0 + 0.1, base + 0.26, "Record the decision in hccreview (Adjudication panel) and sign it "
               "electronically; this sheet is the meeting's working copy.", size=SMALL - 0.5, colour=MUTED)  # fmt: skip

    return [Piece(0.12), Piece(height + 0.05, draw)]


__all__ = [
    "BODY",
    "MUTED",
    "SMALL",
    "bullets",
    "callout",
    "decision_box",
    "empty_section",
    "figure",
    "heading",
    "muted_line",
    "note",
    "paragraph",
    "title",
]
