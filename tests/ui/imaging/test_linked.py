"""Prior beside current: slices follow by patient position with a manual offset, both ways; the link's controls."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from hccreview.ui.imaging.linked import LinkBar, SliceLink
from hccreview.ui.imaging.pane import ViewerPane
from hccreview.ui.imaging.reading import ReadingView
from hccreview.ui.imaging.viewer import SliceViewer
from tests.ui.imaging.support import describe, loaded_volume, shown_viewer

CURRENT = [-2.5 * k for k in range(40)]  # 0 … −97.5 mm, 2.5 mm slices
PRIOR = [12.0 - 5.0 * k for k in range(20)]  # 12 … −83 mm, 5 mm slices, another table position


@pytest.fixture
def pair(qtbot) -> tuple[SliceViewer, SliceViewer]:  # type: ignore[no-untyped-def]
    current = shown_viewer(qtbot, loaded_volume(describe(n=40, locations=CURRENT)))
    prior = shown_viewer(qtbot, loaded_volume(describe(n=20, locations=PRIOR, label="Baseline")))
    return current, prior


def nearest(locations: list[float], mm: float) -> int:
    ordered = sorted(locations, reverse=True)  # the volume's order: head first
    return int(np.argmin([abs(x - mm) for x in ordered]))


def test_the_prior_follows_the_current_by_location_plus_offset(pair: tuple[SliceViewer, SliceViewer]) -> None:
    current, prior = pair
    link = SliceLink(current, prior, offset_mm=7.0)
    for index in (0, 5, 13, 39):
        current.set_slice(index)
        assert prior.index == nearest(PRIOR, CURRENT[index] + 7.0)
    QTest.keyClick(current, Qt.Key.Key_Up)  # 38: −95 mm → the prior at −88 mm or nearer: its last, −83
    assert (current.index, prior.index) == (38, 19)
    current.set_slice(10)  # −25 mm → −18 mm: the prior's −18 mm slice exactly
    assert prior.location == -18.0
    prior.set_slice(2)  # the prior scrolled (2 mm): the current follows to 2 − 7 = −5 mm
    assert current.location == -5.0 and prior.index == 2  # and the prior stays where the user put it
    assert link.linked


def test_nudging_unlinking_and_linking_again(pair: tuple[SliceViewer, SliceViewer], qtbot) -> None:  # type: ignore[no-untyped-def]
    current, prior = pair
    link = SliceLink(current, prior)
    current.set_slice(8)  # −20 mm
    assert prior.location == -18.0  # nearest to −20 among 12, 7, 2, −3, −8, −13, −18, −23 …
    with qtbot.waitSignal(link.offsetChanged) as changed:
        link.nudge(-5.0)
    assert changed.args == [-5.0] and prior.location == -23.0
    link.set_linked(False)
    current.set_slice(20)
    assert prior.location == -23.0  # unlinked: the prior stays
    prior.set_slice(0)  # the reader finds the same anatomy on the prior: 12 mm
    link.set_linked(True)  # the offset is now what the two show
    assert link.offset_mm == 12.0 - (-50.0)
    current.set_slice(21)
    assert prior.location == nearest(PRIOR, -52.5 + 62.0) * -5.0 + 12.0


def test_the_link_bar_shows_and_sets_the_offset(pair: tuple[SliceViewer, SliceViewer], qtbot) -> None:  # type: ignore[no-untyped-def]
    current, prior = pair
    link = SliceLink(current, prior, offset_mm=2.0)
    bar = LinkBar(link)
    qtbot.addWidget(bar)
    assert bar.offset.value() == 2.0 and bar.offset.singleStep() == 5.0  # the prior's slice spacing
    bar.offset.stepUp()
    assert link.offset_mm == 7.0
    link.nudge(-10.0)
    assert bar.offset.value() == -3.0
    bar.linked_box.setChecked(False)
    assert not link.linked and not bar.offset.isEnabled()


def test_a_pane_offers_timepoints_series_and_presets(qtbot) -> None:  # type: ignore[no-untyped-def]
    pane = ViewerPane()
    qtbot.addWidget(pane)
    pane.show()
    assert pane.timepoints.isHidden() and pane.series.isHidden()  # nothing to pick yet
    pane.set_timepoints([("baseline", "Baseline 2024-01-10"), ("nadir", "Nadir 2024-05-02")], "nadir")
    pane.set_series([("1.2.3", "Arterial (60 images)"), ("1.2.4", "Portal venous (60 images)")])
    assert pane.timepoints.currentText() == "Nadir 2024-05-02" and pane.series.currentText() == "Arterial (60 images)"
    chosen: list[str] = []
    pane.seriesChosen.connect(chosen.append)
    pane.series.activated.emit(1)
    assert chosen == ["1.2.4"]
    pane.viewer.set_volume(loaded_volume(describe(n=5)))
    pane.presets.activated.emit(pane.presets.findText("Bone"))
    assert pane.viewer.windowing == (1800.0, 400.0) and pane.presets.currentIndex() == 0
    pane.cine.setChecked(True)
    assert pane.viewer.cine_running
    pane.viewer.toggle_cine()
    assert not pane.cine.isChecked()


def test_the_reading_view_links_prior_and_phase_to_the_current(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = ReadingView()
    qtbot.addWidget(view)
    view.resize(1200, 500)
    view.show()
    assert view.phase.isHidden()
    view.current.viewer.set_volume(loaded_volume(describe(n=40, locations=CURRENT)))
    view.prior.viewer.set_volume(loaded_volume(describe(n=20, locations=PRIOR)))
    view.phase.viewer.set_volume(loaded_volume(describe(n=40, locations=CURRENT, label="Arterial")))
    view.set_phase_visible(True)
    view.current.viewer.set_slice(10)  # −25 mm
    assert (view.prior.viewer.location, view.phase.viewer.location) == (-23.0, -25.0)
    view.link_bar.offset.setValue(7.0)
    assert (view.prior.viewer.location, view.phase.viewer.location) == (-18.0, -25.0)  # the phase keeps 0
    view.phase.viewer.set_slice(20)  # scrolling the phase scrolls the current, and so the prior
    assert (view.current.viewer.location, view.prior.viewer.location) == (-50.0, -43.0)


def test_another_prior_series_opens_where_the_current_is(pair: tuple[SliceViewer, SliceViewer]) -> None:
    """Picking another prior series (or timepoint) never moves the current; the new prior follows it."""
    current, prior = pair
    link = SliceLink(current, prior, offset_mm=2.0)
    current.set_slice(30)  # −75 mm
    moved: list[int] = []
    current.sliceChanged.connect(moved.append)
    prior.set_volume(loaded_volume(describe(n=50, locations=[-2.0 * k for k in range(50)])))  # 0 … −98 mm
    assert moved == [] and current.index == 30
    assert prior.location == -72.0 and link.offset_mm == 2.0  # −75 + 2 = −73: −72 and −74 tie, the first wins
