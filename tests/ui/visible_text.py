"""Every string a window shows, for the blinding scans of ``test_access_gui`` (issue 17 "Must show").

:func:`window_strings` walks a window's widget tree — visible or not: a hidden widget still holds what it was
given, so "absent" is checked, not only "not shown" — and returns ``(where, text)`` pairs: the window title, the
status bar, every widget's text, tooltip, status tip and accessible name, tab titles and tooltips, combo-box
items, line edits and text boxes, every cell (display and tooltip roles) and header (both orientations) of every
item model, the actions of the menu bar, the menus, the toolbar and every widget (text, tooltip, status tip), and
the texts, labels and ids of the artists of every matplotlib canvas (legends included). :func:`model_cells` is
the item-model part alone (the measured values are looked for there).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.text import Text
from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPlainTextEdit,
    QTabWidget,
    QTextEdit,
    QWidget,
)

ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)
Found = tuple[str, str]


def _name(widget: QWidget) -> str:
    return f"{type(widget).__name__}({widget.objectName() or '-'})"


def _cells(model: QAbstractItemModel, parent: QModelIndex, where: str) -> Iterator[Found]:
    for row in range(model.rowCount(parent)):
        for column in range(model.columnCount(parent)):
            index = model.index(row, column, parent)
            for role in ROLES:
                value = index.data(role)
                if value not in (None, ""):
                    yield f"{where} cell {row},{column}", str(value)
            if column == 0 and model.rowCount(index) > 0:  # a tree: its children too
                yield from _cells(model, index, where)


def model_cells(model: QAbstractItemModel, where: str = "model") -> Iterator[Found]:
    """Every cell of ``model`` (recursively) and every header section, display and tooltip roles."""
    yield from _cells(model, QModelIndex(), where)
    for orientation, count in ((Qt.Orientation.Horizontal, model.columnCount()),
                               (Qt.Orientation.Vertical, model.rowCount())):  # fmt: skip
        for section in range(count):
            for role in ROLES:
                value = model.headerData(section, orientation, role)
                if value not in (None, ""):
                    yield f"{where} header {orientation.name} {section}", str(value)


def _actions(actions: list[QAction], where: str, seen: set[int]) -> Iterator[Found]:
    for action in actions:
        if id(action) in seen:
            continue
        seen.add(id(action))
        for text in (action.text(), action.toolTip(), action.statusTip()):
            if text:
                yield f"{where} action {action.objectName() or action.text()}", text
        if action.menu() is not None:
            yield from _actions(action.menu().actions(), f"{where} > {action.text()}", seen)


def _figure(canvas: FigureCanvasBase, where: str) -> Iterator[Found]:
    figure = canvas.figure
    for text in figure.findobj(Text):
        if text.get_text():
            yield f"{where} figure text", text.get_text()
    for axes in figure.axes:
        for artist in [*axes.get_lines(), *axes.collections, *axes.patches]:
            label = str(artist.get_label() or "")
            if label and not label.startswith("_"):
                yield f"{where} artist label", label
            if artist.get_gid():
                yield f"{where} artist id", str(artist.get_gid())


def widget_strings(widget: QWidget, seen_actions: set[int]) -> Iterator[Found]:
    """What one widget shows or says (not its children)."""
    where = _name(widget)
    for text in (widget.windowTitle() if widget.isWindow() else "", widget.toolTip(), widget.statusTip(),
                 widget.whatsThis(), widget.accessibleName()):  # fmt: skip
        if text:
            yield where, text
    if isinstance(widget, QLabel):
        yield where, widget.text()
    if isinstance(widget, QAbstractButton):
        yield where, widget.text()
    if isinstance(widget, QGroupBox | QDockWidget):
        yield where, widget.title() if isinstance(widget, QGroupBox) else widget.windowTitle()
    if isinstance(widget, QTabWidget):
        for i in range(widget.count()):
            yield f"{where} tab {i}", widget.tabText(i)
            yield f"{where} tab {i} tooltip", widget.tabToolTip(i)
    if isinstance(widget, QComboBox):
        for i in range(widget.count()):
            yield f"{where} item {i}", widget.itemText(i)
    if isinstance(widget, QLineEdit):
        yield where, widget.text()
        yield f"{where} placeholder", widget.placeholderText()
    if isinstance(widget, QPlainTextEdit | QTextEdit):
        yield where, widget.toPlainText()
    if isinstance(widget, QAbstractItemView) and not isinstance(widget, QHeaderView) and widget.model() is not None:
        yield from model_cells(widget.model(), where)
    if isinstance(widget, FigureCanvasBase):
        yield from _figure(widget, where)
    if not isinstance(widget, QMenu):  # a menu's actions are walked from the action that opens it
        yield from _actions(widget.actions(), where, seen_actions)


def window_strings(window: QMainWindow) -> list[Found]:
    """Every string of ``window`` and its widget tree (see the module docstring); empty strings left out."""
    found: list[Found] = [("window title", window.windowTitle()), ("status bar", window.statusBar().currentMessage())]
    seen: set[int] = set()
    found += _actions(window.menuBar().actions(), "menu bar", seen)
    for widget in [window, *window.findChildren(QWidget)]:
        found += widget_strings(widget, seen)
    return [(where, text) for where, text in found if text]


def numbers_in(text: str) -> set[str]:
    """The decimal numbers written in ``text`` ("T01 87.7 mm, +12.5 %" → {"87.7", "12.5"})."""
    return set(re.findall(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])", text))
