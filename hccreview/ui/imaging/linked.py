"""Two viewers scrolled together by patient position (issue 21): prior beside current, or two contrast phases.

:class:`SliceLink` keeps ``follower`` on the slice nearest ``leader``'s location + ``offset_mm`` (and the leader
on the one nearest the follower's − offset when the follower is scrolled): slices are matched by position along
the normal (``SeriesVolume.locations``), never by number, so series of different thickness or extent line up.
Two studies of a patient rarely share a table position, hence the manual offset: nudge it (:meth:`nudge`, the
:class:`LinkBar`'s spin box), or unlink, scroll one viewer to the same anatomy, and link again — the offset is
then what the two show.
"""

from __future__ import annotations

import statistics

from PySide6.QtCore import QObject, QSignalBlocker, Signal
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QHBoxLayout, QLabel, QWidget

from hccreview.ui.imaging.viewer import SliceViewer

MAX_OFFSET_MM = 2000.0


class SliceLink(QObject):
    """Links two :class:`SliceViewer` by location with an offset (mm: follower location − leader location).

    Give it a parent (or keep a reference): a link collected by Python stops linking. A new series in either
    viewer puts the follower at the leader's location + offset (the leader never moves for it).

    Signals (GUI thread): offsetChanged(float); linkedChanged(bool).
    """

    offsetChanged = Signal(float)
    linkedChanged = Signal(bool)

    def __init__(self, leader: SliceViewer, follower: SliceViewer, *, offset_mm: float = 0.0,
                 parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.leader, self.follower = leader, follower
        self.offset_mm = float(offset_mm)
        self.linked = True
        self._syncing = False
        leader.sliceChanged.connect(self._leader_moved)
        follower.sliceChanged.connect(self._follower_moved)
        leader.volumeChanged.connect(self.sync)
        follower.volumeChanged.connect(self.sync)
        self.sync()

    def set_offset(self, offset_mm: float) -> None:
        """A new offset; the follower moves to match the leader."""
        offset_mm = float(offset_mm)
        if offset_mm != self.offset_mm:
            self.offset_mm = offset_mm
            self.offsetChanged.emit(offset_mm)
        self.sync()

    def nudge(self, mm: float) -> None:
        """Shift the follower by ``mm`` against the leader (the offset grows by ``mm``)."""
        self.set_offset(self.offset_mm + mm)

    def set_linked(self, on: bool) -> None:
        """Link or unlink; linking takes the offset from what the two viewers show now."""
        if on == self.linked:
            return
        self.linked = on
        if on:
            a, b = self.leader.location, self.follower.location
            if a is not None and b is not None:
                self.set_offset(b - a)
        self.linkedChanged.emit(on)

    def follower_step_mm(self) -> float:
        """The follower's typical slice spacing (the nudge step), 1 mm when unknown."""
        volume = self.follower.volume
        if volume is None or volume.count < 2:
            return 1.0
        gaps = [abs(a - b) for a, b in zip(volume.locations[:-1], volume.locations[1:], strict=True)]
        return float(statistics.median(gaps)) or 1.0

    def sync(self) -> None:
        """Move the follower to the leader's location + offset."""
        location = self.leader.location
        if location is not None:
            self._move(self.follower, location + self.offset_mm)

    def _leader_moved(self, _index: int) -> None:
        self.sync()

    def _follower_moved(self, _index: int) -> None:
        location = self.follower.location
        if location is not None:
            self._move(self.leader, location - self.offset_mm)

    def _move(self, viewer: SliceViewer, location: float) -> None:
        if not self.linked or self._syncing or viewer.volume is None:
            return
        self._syncing = True
        try:
            viewer.set_slice(viewer.volume.nearest_index(location))
        finally:
            self._syncing = False


class LinkBar(QWidget):
    """The link's controls: a "Linked" box and the offset in mm (stepped by the follower's slice spacing)."""

    def __init__(self, link: SliceLink, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self.linked_box = QCheckBox("Linked")
        self.linked_box.setToolTip("Scroll both series together by patient position")
        self.linked_box.setChecked(link.linked)
        self.offset = QDoubleSpinBox()
        self.offset.setRange(-MAX_OFFSET_MM, MAX_OFFSET_MM)
        self.offset.setDecimals(1)
        self.offset.setSuffix(" mm")
        self.offset.setToolTip("Offset of the second series from the first (its location − this one's)")
        self.offset.setValue(link.offset_mm)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.linked_box)
        layout.addWidget(QLabel("Offset"))
        layout.addWidget(self.offset)
        layout.addStretch(1)
        self.linked_box.toggled.connect(link.set_linked)
        self.offset.valueChanged.connect(link.set_offset)
        link.offsetChanged.connect(self._show_offset)
        link.linkedChanged.connect(self._show_linked)
        link.follower.volumeChanged.connect(self._step)
        self._step()

    def _show_offset(self, mm: float) -> None:
        with QSignalBlocker(self.offset):
            self.offset.setValue(mm)

    def _show_linked(self, on: bool) -> None:
        with QSignalBlocker(self.linked_box):
            self.linked_box.setChecked(on)
        self.offset.setEnabled(on)

    def _step(self) -> None:
        self.offset.setSingleStep(self.link.follower_step_mm())


__all__ = ["LinkBar", "SliceLink"]
