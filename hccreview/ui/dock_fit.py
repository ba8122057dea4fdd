"""How much of the main window the patient navigator takes (issue 19: every tab usable at 1366×768).

- On the first show without a saved layout, and again when the navigator has sized its columns to the study,
  the dock gets the width of all its columns when that is at most :data:`DOCK_SHARE` of the window, else the
  width of its columns up to OS (the review columns come first: patient, flag, BOR, review, PFS, OS), so that
  no number there is cut by the dock's edge.
- The study-wide panels (Adjudication, with its own queue of patients, and the Cohort dashboard) need the
  window's width more than the patient list: while one of them is in front the dock gives way (is hidden) and
  comes back with the Case or Reads tab. The user may show it again there (Ctrl+1) until the next tab change.
  A window closed meanwhile saves the dock as shown (it gives way again when that tab opens first next time).
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QObject, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabWidget

from hccreview.ui.models.navigator_model import Column
from hccreview.ui.views.navigator import NavigatorPanel

#: The most of the window's width the navigator takes when it is sized for its columns.
DOCK_SHARE = 0.45
#: The tabs (object names of their panels) before which the navigator gives way.
STUDY_WIDE = frozenset({"adjudication_panel", "dashboard_panel"})


class DockFit(QObject):
    """Sizes the navigator dock to its columns and hides it while a study-wide tab is in front. Signals: none.
    GUI thread only."""

    def __init__(self, window: QMainWindow, dock: QDockWidget, navigator: NavigatorPanel, tabs: QTabWidget) -> None:
        super().__init__(window)
        self.window, self.dock, self.navigator, self.tabs = window, dock, navigator, tabs
        self.auto = True  # no saved layout: size the dock for its columns (set False when one is restored)
        self._loaded = False
        self._gave_way = False
        tabs.currentChanged.connect(self._tab_changed)

    def shown(self) -> None:
        """The window is shown for the first time."""
        if self.auto:
            self.fit()

    def columns_sized(self) -> None:
        """The navigator has sized its columns to the study (its first overview): fit the dock to them once."""
        if self.auto and not self._loaded:
            self._loaded = True
            self.fit()

    def give_back(self) -> None:
        """Before the layout is saved: the dock as the user left it, not hidden by a study-wide tab."""
        if self._gave_way:
            self._gave_way = False
            self.dock.show()

    def needed_width(self) -> int:
        """The dock width that shows every column, or (when that is more than :data:`DOCK_SHARE` of the window)
        the columns up to OS."""
        table = self.navigator.table
        header = table.horizontalHeader()
        chrome = table.verticalScrollBar().sizeHint().width() + 2 * table.frameWidth()
        layout = self.navigator.layout()
        margins = layout.contentsMargins() if layout is not None else QMargins()
        chrome += margins.left() + margins.right() + 4  # the dock's own frame
        widths = [
            (header.logicalIndex(v), header.sectionSize(header.logicalIndex(v)))
            for v in range(header.count())
            if not header.isSectionHidden(header.logicalIndex(v))
        ]
        everything = sum(w for _c, w in widths) + chrome
        if everything <= self.window.width() * DOCK_SHARE:
            return everything
        through_os, total = 0, 0
        for column, width in widths:
            total += width
            if column == Column.OS:
                through_os = total
                break
        return (through_os or total) + chrome

    def fit(self) -> None:
        """Size the dock for its columns."""
        width = max(self.navigator.minimumSizeHint().width(), self.needed_width())
        self.window.resizeDocks([self.dock], [width], Qt.Orientation.Horizontal)

    def _tab_changed(self, _index: int) -> None:
        front = self.tabs.currentWidget()
        study_wide = front is not None and front.objectName() in STUDY_WIDE
        if study_wide and self.dock.isVisible() and not self.dock.isFloating():
            self._gave_way = True
            self.dock.hide()
        elif not study_wide and self._gave_way:
            self._gave_way = False
            self.dock.show()
