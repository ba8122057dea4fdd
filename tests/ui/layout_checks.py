"""Does every widget get the room it needs? A reusable checker for the layout tests (issue 19 item 1).

:func:`layout_misfits` walks the *visible* widgets under a root (what the user sees on the current tabs) and
reports every one whose content needs more room than it is given, as :class:`Misfit` rows that name the widget by
its object path (object names, else class names, with the tab title of each tab page on the way) and its text:

- a window whose ``minimumSizeHint`` (or ``minimumSize``) is wider or taller than the screen it must fit;
- an item view's header section narrower than its header text (``QFontMetrics.horizontalAdvance`` of the longest
  line plus the style's header margins, plus the sort arrow on the sorted section), and a vertical header narrower
  than a row's title when that row has no tooltip;
- a table cell whose text is wider than its column while the cell has no tooltip to read it in full;
- a label without word wrap whose ``sizeHint`` is wider than the label, unless it elides deliberately (an
  ``elides`` attribute, e.g. ``hccreview.ui.elided.ElidedLabel``) and carries a tooltip;
- a tab whose title is elided (its tab is narrower than the title plus the style's tab padding), and a tab bar
  too narrow for its tabs (the last ones hide behind the scroll buttons);
- a table whose columns run past its viewport, unless it scrolls its columns by design (``scrolls_columns``).

Only what is on screen is checked: a page of a tab widget is checked when its tab is in front; callers walk the
tabs (:func:`walk_tabs`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from PySide6.QtCore import QAbstractItemModel, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QStyle,
    QTabBar,
    QTableView,
    QTabWidget,
    QWidget,
)

DISPLAY = Qt.ItemDataRole.DisplayRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole
FONT = Qt.ItemDataRole.FontRole
#: Rows of a table whose cells are measured (the sizing code measures no more either).
CELL_ROWS = 200
TOLERANCE = 1  # px: rounding between the font metrics and the style's own measure


@dataclass(frozen=True)
class Misfit:
    """One widget whose content needs more room than it has."""

    path: str
    what: str  # "window" | "header" | "row header" | "cell" | "columns (last)" | "label" | "tab" ...
    text: str
    needed: int
    given: int

    def __str__(self) -> str:
        return f"{self.path}: {self.what} {self.text!r} needs {self.needed} px, has {self.given}"


def object_path(widget: QWidget) -> str:
    """``main_window/review_tabs[Case]/tumour_grid`` — object names (else class names) from the top, each tab
    page with its tab title; unnamed plain containers are left out."""
    parts: list[str] = []
    current: QWidget | None = widget
    while current is not None:
        parent = current.parentWidget()
        name = current.objectName()
        tab = ""
        if isinstance(parent, QStackedWidget) and isinstance(parent.parentWidget(), QTabWidget):
            tabs = parent.parentWidget()
            index = tabs.indexOf(current)  # type: ignore[union-attr]
            tab = f"[{tabs.tabText(index).replace('&', '')}]" if index >= 0 else ""  # type: ignore[union-attr]
        plain = type(current) in (QWidget, QStackedWidget) or type(current).__name__ in ("QWidget", "QStackedWidget")
        if name and not name.startswith("qt_"):
            parts.append(name + tab)
        elif tab or not plain or parent is None:
            parts.append(type(current).__name__ + tab)
        current = parent
    return "/".join(reversed(parts))


def _lines(value: object) -> list[str]:
    return [line for line in str(value).split("\n")] if value not in (None, "") else []


def _advance(font: QFont, lines: Iterable[str]) -> int:
    metrics = QFontMetrics(font)
    return max((metrics.horizontalAdvance(line) for line in lines), default=0)


def window_misfits(window: QWidget, screen: QSize) -> list[Misfit]:
    """The window cannot shrink to ``screen``: its minimum size hint (or minimum size) is larger."""
    out = []
    hint, minimum = window.minimumSizeHint(), window.minimumSize()
    for what, needed, given in (
        ("width", max(hint.width(), minimum.width()), screen.width()),
        ("height", max(hint.height(), minimum.height()), screen.height()),
    ):
        if needed > given:
            out.append(Misfit(object_path(window), "window", f"minimum {what}", needed, given))
    return out


def _header_font(header: QHeaderView, model: QAbstractItemModel, section: int) -> QFont:
    font = model.headerData(section, header.orientation(), FONT)
    return font if isinstance(font, QFont) else header.font()


def header_misfits(view: QAbstractItemView) -> list[Misfit]:
    """Header sections narrower than their titles (horizontal), a row header narrower than a row's title."""
    model = view.model()
    if model is None or (not isinstance(view, QTableView) and not hasattr(view, "header")):
        return []
    header = view.horizontalHeader() if isinstance(view, QTableView) else view.header()  # type: ignore[attr-defined]
    out: list[Misfit] = []
    style = header.style()
    margin = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
    arrow = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize, None, header)
    if header.isVisible():
        for section in range(header.count()):
            given = header.sectionSize(section)
            if header.isSectionHidden(section) or given <= 0:
                continue
            lines = _lines(model.headerData(section, Qt.Orientation.Horizontal, DISPLAY))
            if not lines:
                continue
            needed = _advance(_header_font(header, model, section), lines) + 2 * margin
            if header.isSortIndicatorShown() and header.sortIndicatorSection() == section:
                needed += arrow + margin
            if needed > given + TOLERANCE:
                out.append(Misfit(object_path(view), "header", " ".join(lines), needed, given))
    rows = view.verticalHeader() if isinstance(view, QTableView) else None
    if rows is not None and rows.isVisible():
        given = rows.width()
        for row in range(min(model.rowCount(), CELL_ROWS)):
            if rows.isSectionHidden(row) or model.headerData(row, Qt.Orientation.Vertical, TOOLTIP):
                continue
            lines = _lines(model.headerData(row, Qt.Orientation.Vertical, DISPLAY))
            needed = _advance(_header_font(rows, model, row), lines) + 2 * margin
            if lines and needed > given + TOLERANCE:
                out.append(Misfit(object_path(view), "row header", " ".join(lines), needed, given))
    return out


def cell_misfits(view: QTableView) -> list[Misfit]:
    """Cells whose text is wider than their column and that carry no tooltip to read it in full."""
    model = view.model()
    if model is None:
        return []
    style = view.style()
    pad = 2 * (style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1)
    out: list[Misfit] = []
    header = view.horizontalHeader()
    for column in range(model.columnCount()):
        given = header.sectionSize(column)
        if header.isSectionHidden(column) or given <= 0:
            continue
        for row in range(min(model.rowCount(), CELL_ROWS)):
            if view.isRowHidden(row) or view.columnSpan(row, column) > 1:
                continue
            index = model.index(row, column)
            lines = _lines(index.data(DISPLAY))
            if not lines or index.data(TOOLTIP):
                continue
            font = index.data(FONT)
            needed = _advance(font if isinstance(font, QFont) else view.font(), lines) + pad
            if index.data(Qt.ItemDataRole.DecorationRole) is not None:
                needed += view.iconSize().width() if view.iconSize().isValid() else 16
            if needed > given + TOLERANCE:
                out.append(Misfit(object_path(view), "cell", " ".join(lines), needed, given))
                break  # one cell per column says it
    return out


def column_misfits(view: QTableView) -> list[Misfit]:
    """A table whose columns run past its viewport (a horizontal scroll bar hides some), unless the view says
    it scrolls its columns by design (the ``scrolls_columns`` property: a grid with a frozen first column)."""
    header = view.horizontalHeader()
    if view.property("scrolls_columns") or not header.isVisible() or header.count() == 0:
        return []
    needed, given = header.length(), view.viewport().width()
    if needed <= given + TOLERANCE:
        return []
    last = header.logicalIndex(header.count() - 1)
    text = str(view.model().headerData(last, Qt.Orientation.Horizontal, DISPLAY) or "").replace("\n", " ")
    return [Misfit(object_path(view), "columns (last)", text, needed, given)]


def label_misfits(label: QLabel) -> list[Misfit]:
    """A one-line label cut short (an eliding label with a tooltip is fine: the tooltip has the text), or a
    wrapped label cut at the bottom (given fewer lines than its text needs at its width)."""
    text = label.text()
    if not text or (label.pixmap() is not None and not label.pixmap().isNull()):
        return []
    if label.wordWrap():
        needed, given = label.heightForWidth(label.width()), label.height()
        if needed > given + TOLERANCE:
            return [Misfit(object_path(label), "wrapped label (height)", text, needed, given)]
        return []
    needed, given = label.sizeHint().width(), label.width()
    if needed <= given + TOLERANCE:
        return []
    if getattr(label, "elides", False) and label.toolTip():
        return []
    shown = label.toolTip() if getattr(label, "elides", False) else text
    return [Misfit(object_path(label), "label", shown, needed, given)]


def tab_misfits(bar: QTabBar) -> list[Misfit]:
    """Tabs whose titles are elided (narrower than title + the style's padding + icon)."""
    out = []
    space = bar.style().pixelMetric(QStyle.PixelMetric.PM_TabBarTabHSpace, None, bar)
    metrics = QFontMetrics(bar.font())
    for index in range(bar.count()):
        if not bar.isTabVisible(index):
            continue
        text = bar.tabText(index)
        needed = metrics.size(Qt.TextFlag.TextShowMnemonic, text).width() + space
        if not bar.tabIcon(index).isNull():
            needed += bar.iconSize().width() + 4
        given = bar.tabRect(index).width()
        if needed > given + TOLERANCE:
            out.append(Misfit(object_path(bar), "tab", text.replace("&", ""), needed, given))
    shown = [i for i in range(bar.count()) if bar.isTabVisible(i)]
    if shown and bar.isVisible():
        last = shown[-1]
        needed, given = sum(bar.tabRect(i).width() for i in shown), bar.width()
        if needed > given + TOLERANCE:  # the last tabs hide behind the scroll buttons ("Agree", "Swi")
            out.append(Misfit(object_path(bar), "tabs (behind scroll buttons)", bar.tabText(last).replace("&", ""),
                              needed, given))  # fmt: skip
    return out


def visible_widgets(root: QWidget) -> Iterator[QWidget]:
    """``root`` and every widget under it that is on screen now."""
    if root.isVisible():
        yield root
    for widget in root.findChildren(QWidget):
        if widget.isVisible() and widget.window() is root.window():
            yield widget


def layout_misfits(root: QWidget, screen: QSize | None = None) -> list[Misfit]:
    """Every misfit under ``root`` (on screen now); with ``screen``, the window's own fit too."""
    QApplication.processEvents()
    out: list[Misfit] = window_misfits(root.window(), screen) if screen is not None else []
    for widget in visible_widgets(root):
        if isinstance(widget, QAbstractItemView):
            out += header_misfits(widget)
            if isinstance(widget, QTableView):
                out += cell_misfits(widget)
                out += column_misfits(widget)
        elif isinstance(widget, QLabel):
            out += label_misfits(widget)
        elif isinstance(widget, QTabBar):
            out += tab_misfits(widget)
    return out


def walk_tabs(root: QWidget, visit: Callable[[str], None], settle: Callable[[], None]) -> int:
    """Bring every page of every tab widget under ``root`` to the front in turn, nested ones too, and call
    ``visit(where)`` with each (``settle()`` after each switch: the caller waits for loads). Returns the number
    of pages visited. Tab widgets are found by introspection, so a new tab or sub-tab is walked without a change
    here."""
    count = 0

    def tab_widgets_on(page: QWidget, owner: QTabWidget | None) -> list[QTabWidget]:
        found = []
        for tabs in page.findChildren(QTabWidget):
            up = tabs.parentWidget()
            while up is not None and not isinstance(up, QTabWidget):
                up = up.parentWidget()
            if up is owner and tabs.window() is root.window():
                found.append(tabs)
        return found

    def walk(tabs: QTabWidget, where: str) -> None:
        nonlocal count
        for index in range(tabs.count()):
            if not tabs.isTabVisible(index) or not tabs.isTabEnabled(index):
                continue
            tabs.setCurrentIndex(index)
            settle()
            page = tabs.widget(index)
            here = f"{where}[{tabs.tabText(index).replace('&', '')}]"
            count += 1
            visit(here)
            for inner in tab_widgets_on(page, tabs):
                walk(inner, here)

    for tabs in tab_widgets_on(root, None):
        walk(tabs, tabs.objectName() or type(tabs).__name__)
    return count


def report(misfits: Iterable[Misfit]) -> str:
    """One line per distinct misfit (the same widget seen from several tabs is listed once)."""
    seen: dict[tuple[str, str, str], Misfit] = {}
    for misfit in misfits:
        seen.setdefault((misfit.path, misfit.what, misfit.text), misfit)
    return "\n".join(str(m) for m in seen.values())
