"""One viewer with its pickers (issue 21): which timepoint, which series, which window, cine.

The pane offers choices the caller gives (keys and labels: e.g. "baseline" / "Baseline 2024-01-10", a series
UID / "Arterial (60 images)") and says which one the user picked; the caller loads the series and gives the
viewer its volume. It knows nothing of the study. A reading layout puts a prior pane beside a current one
(``linked.SliceLink`` between their viewers), and, for mRECIST, two current panes with the two contrast phases.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QToolButton, QVBoxLayout, QWidget

from hccreview.domain.images import WINDOW_PRESETS
from hccreview.ui.flow_layout import FlowLayout
from hccreview.ui.imaging.viewer import SliceViewer

Choices = Sequence[tuple[str, str]]  # (key, label)


def _fill(combo: QComboBox, choices: Choices, current: str | None) -> None:
    with QSignalBlocker(combo):
        combo.clear()
        for key, label in choices:
            combo.addItem(label, key)
        index = combo.findData(current) if current is not None else -1
        combo.setCurrentIndex(index if index >= 0 else (0 if choices else -1))
    combo.setVisible(len(choices) > 0)


class ViewerPane(QWidget):
    """A :class:`SliceViewer` under a row of pickers.

    Signals (GUI thread): timepointChosen(str), seriesChosen(str) — the key the user picked.
    """

    timepointChosen = Signal(str)
    seriesChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.viewer = SliceViewer(self)
        self.timepoints = QComboBox()
        self.timepoints.setToolTip("Timepoint (baseline, nadir, previous ...)")
        self.series = QComboBox()
        self.series.setToolTip("Series of this timepoint")
        self.presets = QComboBox()
        self.presets.setToolTip("Window preset (keys 1–4); right-drag on the image to adjust")
        self.presets.addItem("Window…", None)
        for name in WINDOW_PRESETS:
            self.presets.addItem(name, name)
        self.cine = QToolButton()
        self.cine.setText("Cine")
        self.cine.setCheckable(True)
        self.cine.setToolTip("Play the slices in a loop (Space)")
        self.fps = QDoubleSpinBox()
        self.fps.setRange(1.0, 30.0)
        self.fps.setDecimals(0)
        self.fps.setSuffix(" fps")
        self.fps.setValue(self.viewer.cine_fps)
        for combo, letters in ((self.timepoints, 9), (self.series, 7), (self.presets, 5)):
            # a pane is a third of a 1366-pixel screen at worst: the pickers shrink to fit, their text elided
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(letters)
        self.fps.setToolTip("Cine speed")
        bar = FlowLayout()  # the pickers wrap onto a second line rather than widen a narrow pane
        bar.setContentsMargins(0, 0, 0, 0)
        for widget in (self.timepoints, self.series, self.presets, self.cine, self.fps):
            bar.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(bar)
        layout.addWidget(self.viewer, 1)
        self.timepoints.activated.connect(lambda i: self.timepointChosen.emit(str(self.timepoints.itemData(i))))
        self.series.activated.connect(lambda i: self.seriesChosen.emit(str(self.series.itemData(i))))
        self.presets.activated.connect(self._preset)
        self.cine.toggled.connect(self.viewer.set_cine)
        self.viewer.cineChanged.connect(self._show_cine)
        self.fps.valueChanged.connect(self.viewer.set_cine_fps)
        self.set_timepoints([])
        self.set_series([])

    def set_timepoints(self, choices: Choices, current: str | None = None) -> None:
        """The timepoints the user may pick (hidden when none); no signal."""
        _fill(self.timepoints, choices, current)

    def set_series(self, choices: Choices, current: str | None = None) -> None:
        """The series of the chosen timepoint (hidden when none); no signal."""
        _fill(self.series, choices, current)

    def _preset(self, index: int) -> None:
        name = self.presets.itemData(index)
        if name:
            self.viewer.apply_preset(str(name))
        with QSignalBlocker(self.presets):
            self.presets.setCurrentIndex(0)

    def _show_cine(self, on: bool) -> None:
        with QSignalBlocker(self.cine):
            self.cine.setChecked(on)


__all__ = ["ViewerPane"]
