"""The case's Images tab (issue 21): read on the images — prior beside current, calipers that are the grid's values.

The tab shows one evaluator's reading of the patient: the reader's own (editable until submitted or locked), or,
for those who may see other reads, the one picked in the tumour panel (read-only). Left to right: the prior
(baseline, nadir or previous), the current timepoint, and for mRECIST the current timepoint's other contrast
phase; on the right the lesion list of the current timepoint with each value, whether it was measured on the
image, and a thumbnail of its caliper. Picking a lesion and *Measure* draws a caliper on the current image; the
caliper becomes a :class:`~hccreview.ui.commands.MeasureOnImageCommand` (the one edit core: gate, lock, reason,
undo). *Jump to lesion* opens prior and current at that lesion's caliper slices.

Loading: the series index loads on the runner's database lane; demo images not drawn yet are drawn on the
compute lane with progress (``services.demo_images``); pixels decode on the decode threads, the slice on screen
first (``ui.imaging.decoder``). The GUI thread never waits.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from hccreview.domain import calipers, image_rules
from hccreview.domain.calipers import Caliper
from hccreview.domain.images import OVERLAY_COLOURS, OWN_COLOUR, VIEW_COLOUR
from hccreview.domain.key_images import CALIPER, KeyImage
from hccreview.domain.records import Criteria, LesionKind, Measurement
from hccreview.services import demo_images, key_images
from hccreview.services.case_extra import CaseDetail
from hccreview.services.case_images import PRIOR_KINDS, CaseImages, load_case_images, prior_date, target_sums
from hccreview.services.review import Edit
from hccreview.ui.commands import ReviewEditCommand, drop_failed
from hccreview.ui.flow_layout import FlowLayout
from hccreview.ui.imaging.decoder import SliceDecoder
from hccreview.ui.imaging.pane import ViewerPane
from hccreview.ui.imaging.reading import ReadingView
from hccreview.ui.imaging.volume import SeriesDescription, SeriesVolume
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.views.image_lesions import LesionRow, LesionTable
from hccreview.ui.workers import Progress

#: Series kept decoded at once (each about 30 MB for a demo series; the current, prior and phase panes).
KEPT_SERIES = 4
PRIOR_LABELS = {"baseline": "Prior: baseline", "nadir": "Prior: nadir", "previous": "Prior: previous"}


class CaseImagesTab(QWidget):
    """The Images tab of the case view.

    Signals (GUI thread): ``caliper_drawn(measurement_id, caliper)`` after a caliper is drawn or moved (the case
    view turns it into an undoable edit); ``status_message(str)``.
    """

    caliper_drawn = Signal(int, object)
    status_message = Signal(str)

    def __init__(self, context: PanelContext, parent: QWidget | None = None, *, compare: bool = False) -> None:
        """``compare``: the adjudicator's view of two reads (issue 22) — no evaluator of its own, only the overlays,
        no lesion list and no Measure buttons (the caller shows the per-lesion differences)."""
        super().__init__(parent)
        self.context = context
        self.compare = compare
        self.session, self.runner = context.session, context.runner
        self.images: CaseImages | None = None
        self.detail: CaseDetail | None = None
        self.evaluator: str | None = None
        self.editable = False
        self.current: date | None = None
        self._subject: str | None = None
        self._volumes: OrderedDict[str, tuple[SeriesVolume, SliceDecoder]] = OrderedDict()
        self._drawing: Progress | None = None  # the demo-image job's while it runs
        self._key = f"case-images-{id(self)}"
        self._stale = False  # set_detail arrived while hidden
        self._notes: list[str] = []  # the rules' findings on the caliper just drawn
        self._overlay_boxes: list[QCheckBox] = []
        self._overlay_wanted: dict[str, bool] = {}
        self._wanted_day: tuple[str | None, date] | None = None  # show_timepoint before the images were loaded
        self._pending_caliper: tuple[str | None, Caliper] | None = None  # show_caliper before the images loaded

        self.reading = ReadingView()
        self.prior_kind = QComboBox()
        for kind in PRIOR_KINDS:
            self.prior_kind.addItem(PRIOR_LABELS[kind], kind)
        self.prior_kind.setToolTip("Which earlier timepoint to show beside the current one")
        self.phases = QCheckBox("Both phases")
        self.phases.setToolTip("Show the current timepoint's other contrast phase beside it (mRECIST: arterial)")
        self.state = QLabel()
        self.state.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        self.cancel = QPushButton("Cancel")
        self.cancel.hide()
        self.overlay_label = QLabel("Also show:")
        self.overlay_label.hide()
        self.overlay_bar = QHBoxLayout()
        top = QHBoxLayout()
        top.setContentsMargins(4, 2, 4, 2)
        for w in (self.prior_kind, self.phases, self.overlay_label):
            top.addWidget(w)
        top.addLayout(self.overlay_bar)
        top.addStretch(1)
        top.addWidget(self.progress)
        top.addWidget(self.cancel)

        self.lesions = LesionTable()
        self.measure = QPushButton("&Measure")
        self.measure.setToolTip("Draw the selected lesion's caliper on the current image (Esc cancels)")
        self.viable = QPushButton("Viable (mRECIST)")
        self.viable.setToolTip("Draw the viable (arterially enhancing) diameter on the arterial phase")
        self.jump = QPushButton("&Jump to lesion")
        self.jump.setToolTip("Open prior and current at the slice of the selected lesion's caliper")
        self.rules = QLabel()
        self.rules.setWordWrap(True)
        self.side = side = QWidget()
        side.setMinimumWidth(400)  # lesion (thumbnail and id), kind, value, measured: each whole at 1366 px
        self.lesions.setMinimumWidth(390)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(2, 0, 2, 0)
        side_layout.addWidget(QLabel("Lesions at the current timepoint"))
        side_layout.addWidget(self.lesions, 1)
        self.key_image = QPushButton("&Key image")  # issue 22 item 2: mark / unmark the slice shown (K)
        self.key_image.setCheckable(True)
        self.key_image.clicked.connect(lambda _on: self.toggle_key_image())
        self.key_count = QLabel()
        self._key_read: key_images.ReadKeyImages | None = None  # the shown read's key images, once loaded
        self._key_loaded_for: tuple[CaseDetail | None, str | None] = (None, None)  # the detail they came with
        QShortcut(QKeySequence("K"), self, self._key_shortcut, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.reading.current.viewer.sliceChanged.connect(lambda _i: self._show_key_state())
        buttons = FlowLayout()
        for b in (self.measure, self.viable, self.jump, self.key_image):
            buttons.addWidget(b)
        side_layout.addLayout(buttons)
        side_layout.addWidget(self.key_count)
        side_layout.addWidget(self.rules)

        self.split = QSplitter()
        self.split.addWidget(self.reading)
        self.split.addWidget(side)
        self.split.setStretchFactor(0, 4)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([960, 400])
        side.setVisible(not compare)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.state)  # a line of its own (shown only with something to say): it wraps, never squeezed
        layout.addWidget(self.split, 1)

        self.prior_kind.activated.connect(lambda _i: self._show_prior())
        self.phases.toggled.connect(self._phases_toggled)
        self.cancel.clicked.connect(self._cancel_drawing)
        self.measure.clicked.connect(lambda: self.start_measuring("long"))
        self.viable.clicked.connect(lambda: self.start_measuring("viable"))
        self.jump.clicked.connect(self.jump_to_selected)
        self.lesions.itemSelectionChanged.connect(self._update_buttons)
        self.lesions.activated_row.connect(lambda _row: self.jump_to_selected())
        panes = (self.reading.prior, self.reading.current, self.reading.phase)
        for pane in panes:
            pane.viewer.caliperFinished.connect(self._caliper_done)
            pane.viewer.caliperEdited.connect(self._caliper_done)
            pane.viewer.measureRefused.connect(self.status_message)
            pane.viewer.sliceChanged.connect(lambda _i: self._refresh_thumbnails())
        self.reading.current.timepointChosen.connect(self._current_chosen)
        self.reading.prior.timepointChosen.connect(self._prior_chosen)
        for pane in panes:
            pane.seriesChosen.connect(lambda uid, p=pane: self._load_series(p, uid))
        self._set_state("No patient selected.")
        self._update_buttons()

    # ------------------------------------------------------------------ what to show
    def set_detail(
        self, detail: CaseDetail | None, *, evaluator: str | None, editable: bool, others: Sequence[str] = ()
    ) -> None:
        """Show ``detail``'s patient read by ``evaluator`` (editable: their own, unlocked). ``others``: evaluators
        whose calipers may be laid over the same images, read-only, one colour each (the adjudicator's 2 + 1 view:
        only for a user who may see other reads — DESIGN §4b; a reader gets none). The series index loads when the
        subject changes; the calipers and lesion list follow every reload of the case."""
        self.detail, self.evaluator, self.editable = detail, evaluator, editable
        self._set_overlays([o for o in others if o != evaluator])
        if self.isVisible():
            self._follow()
        else:
            self._stale = True  # loaded when the tab is shown: stepping through patients draws no images

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            self._follow()

    def refresh(self) -> None:
        """Draw the stored calipers again (a caliper the user drew but that was not saved goes)."""
        self._refresh_calipers()

    def _follow(self) -> None:
        self._stale = False
        detail = self.detail
        subject = detail.subject_id if detail is not None else None
        if subject != self._subject:
            self._subject = subject
            self._close_series()
            self.images, self.current = None, None
            self._fill_timepoints()
            if subject is not None:
                self._set_state(f"{subject}: loading the images…")
                self.runner.run(load_case_images, self.session, subject, key=self._key, lane="db",
                                on_done=self._images_loaded, on_error=self._failed)  # fmt: skip
            else:
                self._set_state("No patient selected.")
        self._refresh_calipers()

    def _images_loaded(self, found: CaseImages) -> None:
        if found.subject_id != self._subject:
            return
        self.images = found
        if found.undrawn and self._drawing is None:
            self._draw_demo_images(found.subject_id, len(found.undrawn))
            return
        if not found.timepoints:
            self._set_state(f"{found.subject_id}: no images registered (File ▸ Import images…).")
        else:
            self._set_state("")
        wanted = self._wanted_day
        if wanted is not None and wanted[0] == found.subject_id and found.timepoints:
            self.current = self._nearest(wanted[1], [t.date for t in found.timepoints])
        elif self.current is None and found.timepoints:
            self.current = self._default_current(found)
        criteria = self.detail.case.criteria if self.detail is not None else ""
        self.lesions.show_viable = criteria == str(Criteria.MRECIST)
        if criteria == str(Criteria.MRECIST) and not self.phases.isChecked():
            self.phases.setChecked(True)
        self._fill_timepoints()
        pending, self._pending_caliper = self._pending_caliper, None
        if pending is not None and pending[0] == found.subject_id:
            self.show_caliper(pending[1])

    @staticmethod
    def _nearest(day: date, dates: Sequence[date]) -> date:
        """``day`` if it has images, else the nearest timepoint with images (two readers and the scan may date one
        visit on different days)."""
        return min(dates, key=lambda d: (abs((d - day).days), d))

    def show_timepoint(self, day: date) -> None:
        """Make ``day`` (or the nearest timepoint with images) the current timepoint: now, or once the shown
        patient's images are loaded."""
        self._wanted_day = (self._shown_subject(), day)
        dates = self._dates()
        if self._images_ready() and dates:
            self.current = self._nearest(day, dates)
            self._notes = []
            self._fill_timepoints()

    def show_caliper(self, caliper: Caliper) -> bool:
        """Open the current pane at ``caliper``'s slice: its timepoint, its series, its image (the prior follows
        by patient position). Deferred until the images are loaded; False when the slice is not among them."""
        if not self._images_ready() or self.images is None:
            self._pending_caliper = (self._shown_subject(), caliper)
            return False
        tp = next((t for t in self.images.timepoints
                   if any(s.series_uid == caliper.series_uid for s in t.series)), None)  # fmt: skip
        if tp is None:
            return False
        if tp.date != self.current:
            self.current = tp.date
            self._wanted_day = (self._subject, tp.date)
            self._fill_timepoints()
        pane = self.reading.current
        if pane.series.currentData() != caliper.series_uid:
            pane.set_series([(s.series_uid, s.label) for s in tp.series], caliper.series_uid)
            self._load_series(pane, caliper.series_uid)
        return pane.viewer.show_slice_of(caliper.sop_instance_uid)

    def _shown_subject(self) -> str | None:
        return self.detail.subject_id if self.detail is not None else None

    def _images_ready(self) -> bool:
        """The images on hand are the shown patient's (not a previous one's while the tab was hidden)."""
        return (self.images is not None and not self._stale and self.images.subject_id == self._subject
                and self._subject == self._shown_subject())  # fmt: skip

    def overlay_colour(self, name: str) -> str | None:
        """The colour ``name``'s calipers are laid over in (None: not an overlay here)."""
        names = [b.text() for b in self._overlay_boxes]
        return OVERLAY_COLOURS[names.index(name) % len(OVERLAY_COLOURS)] if name in names else None

    def overlay_box(self, name: str) -> QCheckBox | None:
        """The checkbox that shows or hides ``name``'s calipers."""
        return next((b for b in self._overlay_boxes if b.text() == name), None)

    def _default_current(self, found: CaseImages) -> date:
        """The latest timepoint the evaluator has rows at (the one to read), else the latest with images."""
        own = {m.date for _, m in self._measurements()}
        dates = [t.date for t in found.timepoints]
        with_rows = [d for d in dates if d in own]
        return (with_rows or dates)[-1]

    def _draw_demo_images(self, subject_id: str, count: int) -> None:
        self._set_state(f"{subject_id}: drawing the demo images ({count} series, generated once into the cache)…")
        self.progress.setRange(0, count)
        self.progress.setValue(0)
        self.progress.show()
        self.cancel.show()

        def job(progress: Progress) -> int:
            def tell(done: int, total: int, text: str) -> None:
                progress.report(done / max(total, 1), text)

            return demo_images.generate(self.session, subject_id, progress=tell, cancelled=lambda: progress.cancelled)

        def done(_drawn: int) -> None:
            self._drawing = None
            self.progress.hide()
            self.cancel.hide()
            if subject_id == self._subject:
                self.runner.run(load_case_images, self.session, subject_id, key=self._key, lane="db",
                                on_done=self._images_loaded, on_error=self._failed)  # fmt: skip

        def failed(exc: BaseException) -> None:
            self._drawing = None
            self.progress.hide()
            self.cancel.hide()
            if isinstance(exc, demo_images.DemoImagesCancelled):
                self._set_state(
                    f"{subject_id}: drawing the demo images was cancelled; open the patient again to resume."
                )
            else:
                self._set_state(f"{subject_id}: the demo images could not be drawn ({exc}).")

        self._drawing = self.runner.run(
            job, lane="compute", on_done=done, on_error=failed,
            on_progress=lambda fraction, _text: self.progress.setValue(round(fraction * count)),
        )  # fmt: skip

    def _cancel_drawing(self) -> None:
        if self._drawing is not None:
            self._drawing.cancel()

    def _failed(self, exc: BaseException) -> None:
        self._set_state(f"The images could not be loaded: {exc}")

    def _set_state(self, text: str) -> None:
        self.state.setText(text)
        self.state.setVisible(bool(text))

    # ------------------------------------------------------------------ timepoints and series
    def _dates(self) -> list[date]:
        return [t.date for t in self.images.timepoints] if self.images is not None else []

    def _choices(self) -> list[tuple[str, str]]:
        return [(t.date.isoformat(), t.label) for t in self.images.timepoints] if self.images is not None else []

    def _fill_timepoints(self) -> None:
        choices = self._choices()
        current = self.current.isoformat() if self.current else None
        self.reading.current.set_timepoints(choices, current)
        self._show_current()
        self._show_prior()

    def prior(self) -> date | None:
        """The prior timepoint shown (per the prior picker), None at the first timepoint."""
        if self.current is None:
            return None
        kind = str(self.prior_kind.currentData())
        sums = target_sums(self._lesions_of_evaluator(), [m for _, m in self._measurements()],
                           self.detail.case.criteria if self.detail else str(Criteria.RECIST11))  # fmt: skip
        return prior_date(kind, self.current, self._dates(), sums)

    def _current_chosen(self, key: str) -> None:
        self.current = date.fromisoformat(key)
        self._notes = []
        self._show_current()
        self._show_prior()

    def _prior_chosen(self, key: str) -> None:
        self._show_series(self.reading.prior, date.fromisoformat(key))

    def _show_current(self) -> None:
        self._show_series(self.reading.current, self.current, prefer="portal venous")
        self._phases_toggled(self.phases.isChecked())
        self._refresh_lesions()

    def _show_prior(self) -> None:
        prior = self.prior()
        earlier = [(k, label) for k, label in self._choices() if self.current and date.fromisoformat(k) < self.current]
        self.reading.prior.set_timepoints(earlier, prior.isoformat() if prior else None)
        self._show_series(self.reading.prior, prior, prefer="portal venous")

    def _phases_toggled(self, on: bool) -> None:
        other = None
        if on and self.images is not None and self.current is not None:
            tp = self.images.timepoint(self.current)
            shown = self.reading.current.series.currentData()
            other = next((s for s in (tp.series if tp else ()) if s.series_uid != shown), None)
        self.reading.set_phase_visible(other is not None)
        if other is not None:
            self._show_series(self.reading.phase, self.current, series_uid=other.series_uid)

    def _show_series(self, pane: ViewerPane, day: date | None, *, prefer: str = "", series_uid: str = "") -> None:
        tp = self.images.timepoint(day) if (self.images is not None and day is not None) else None
        if tp is None:
            pane.set_series([])
            pane.viewer.set_volume(None)
            pane.viewer.show_calipers([])
            return
        choices = [(s.series_uid, s.label) for s in tp.series]
        chosen = series_uid or next((s.series_uid for s in tp.series if s.phase == prefer), tp.series[0].series_uid)
        pane.set_series(choices, chosen)
        self._load_series(pane, chosen)

    def _load_series(self, pane: ViewerPane, series_uid: str) -> None:
        if self.images is None:
            return
        series = self.images.series(series_uid)
        if series is None:
            return
        kept = self._volumes.get(series_uid)
        if kept is None:
            description = SeriesDescription.from_records(series, self.images.instances.get(series_uid, ()),
                                                         self.images.root or "")  # fmt: skip
            volume = SeriesVolume(description)
            decoder = SliceDecoder(volume, parent=self)
            kept = (volume, decoder)
            self._volumes[series_uid] = kept
            self._evict()
        else:
            self._volumes.move_to_end(series_uid)
        if pane.viewer.volume is not kept[0]:
            pane.viewer.set_volume(kept[0], kept[1])
        self._refresh_calipers()

    def _evict(self) -> None:
        shown = {p.viewer.volume for p in (self.reading.prior, self.reading.current, self.reading.phase)}
        while len(self._volumes) > KEPT_SERIES:
            uid, (volume, decoder) = next(iter(self._volumes.items()))
            if volume in shown:
                self._volumes.move_to_end(uid)
                if all(v in shown for v, _ in self._volumes.values()):
                    return
                continue
            decoder.cancel()
            del self._volumes[uid]

    def _close_series(self) -> None:
        for pane in (self.reading.prior, self.reading.current, self.reading.phase):
            pane.viewer.cancel_caliper()
            pane.viewer.set_volume(None)
            pane.viewer.show_calipers([])
        for _volume, decoder in self._volumes.values():
            decoder.cancel()
        self._volumes.clear()

    def closeEvent(self, event: Any) -> None:
        self._close_series()
        super().closeEvent(event)

    # ------------------------------------------------------------------ lesions and calipers
    def _lesions_of_evaluator(self) -> list[Any]:
        if self.detail is None or self.evaluator is None:
            return []
        return list(self.detail.case.lesions.get(self.evaluator, []))

    def _measurements(self) -> list[tuple[int, Measurement]]:
        if self.detail is None or self.evaluator is None:
            return []
        return list(self.detail.case.measurements.get(self.evaluator, []))

    def _rows_at(self, day: date | None) -> dict[str, tuple[int, Measurement]]:
        return {m.lesion_id: (mid, m) for mid, m in self._measurements() if m.date == day}

    def _refresh_lesions(self) -> None:
        rows = self._rows_at(self.current)
        out = []
        for lesion in sorted(self._lesions_of_evaluator(), key=lambda x: (x.kind is not LesionKind.TARGET,
                                                                            x.lesion_id)):  # fmt: skip
            found = rows.get(lesion.lesion_id)
            if found is not None:
                out.append(LesionRow(lesion, found[0], found[1]))
        self.lesions.set_rows(out)
        self._refresh_thumbnails()
        self._update_buttons()
        self._show_selection()

    def _show_selection(self) -> None:
        """The evaluator's target selection as the rules judge it (≤5 targets, ≤2 per organ, measurable at
        baseline: RECIST 1.1 §3.1.1, §4.2), under the list; a caliper's own findings replace it until the next
        timepoint is shown."""
        found = self.detail.case.selection_findings.get(self.evaluator or "", []) if self.detail else []
        lines = [*self._notes, *(f.rule for f in found if f.rule not in self._notes)]
        self.rules.setText("\n".join(lines))
        self.rules.setStyleSheet("color: #b35900;" if lines else "")

    def _set_overlays(self, others: list[str]) -> None:
        """One checkbox per other evaluator, in its colour (kept checked or not across patients)."""
        if [b.text() for b in self._overlay_boxes] == others:
            return
        for box in self._overlay_boxes:
            box.setParent(None)
            box.deleteLater()
        self._overlay_boxes = []
        for i, name in enumerate(others):
            box = QCheckBox(name)
            colour = OVERLAY_COLOURS[i % len(OVERLAY_COLOURS)]
            # on a dark chip: the overlay colours are made to stand out on CT greys, not on a light window
            box.setStyleSheet(f"QCheckBox {{ color: {colour}; font-weight: bold; background: #262626; "
                              "padding: 1px 6px; border-radius: 3px; }")  # fmt: skip
            box.setToolTip(f"Show {name}'s calipers on the same images (read-only, {colour})")
            box.setChecked(self._overlay_wanted.get(name, True))
            box.toggled.connect(lambda on, n=name: self._overlay_toggled(n, on))
            self.overlay_bar.addWidget(box)
            self._overlay_boxes.append(box)
        self.overlay_label.setVisible(bool(others))

    def _overlay_toggled(self, name: str, on: bool) -> None:
        self._overlay_wanted[name] = on
        self._refresh_calipers()

    def _caliper_entries(self, reader: str, colour: str, editable: bool, suffix: str = "") -> list[tuple[Any, ...]]:
        if self.detail is None:
            return []
        out: list[tuple[Any, ...]] = []
        for mid, m in self.detail.case.measurements.get(reader, []):
            try:
                found = calipers.parse(m.caliper)
            except calipers.CaliperError:
                continue
            tag = str(mid) if editable else f"{reader}:{mid}"
            out.extend((tag, c, colour, editable, m.lesion_id + suffix) for c in found)
        return out

    def _refresh_calipers(self) -> None:
        colour = OWN_COLOUR if self.editable else VIEW_COLOUR
        shown = self._caliper_entries(self.evaluator, colour, self.editable) if self.evaluator else []
        for i, box in enumerate(self._overlay_boxes):
            if box.isChecked():
                shown += self._caliper_entries(box.text(), OVERLAY_COLOURS[i % len(OVERLAY_COLOURS)], False,
                                               f" ({box.text()})")  # fmt: skip
        for pane in (self.reading.prior, self.reading.current, self.reading.phase):
            pane.viewer.show_calipers(shown)
        if self.images is not None:
            self._refresh_lesions()

    def _refresh_thumbnails(self) -> None:
        self.lesions.refresh_thumbnails([v for v, _ in self._volumes.values()])

    def _update_buttons(self) -> None:
        row = self.lesions.selected()
        can = self.editable and row is not None and self.reading.current.viewer.volume is not None
        self.measure.setEnabled(can)
        liver = row is not None and row.lesion.organ.strip().lower() == "liver" and not row.lesion.is_node
        self.viable.setEnabled(can and liver)
        self.jump.setEnabled(row is not None and bool(row.measurement.caliper))
        why = "" if self.editable else "Read-only: these are not your measurements, or the case is locked."
        self.measure.setToolTip(why or "Draw the selected lesion's caliper on the current image (Esc cancels)")
        self._follow_key_images()

    def start_measuring(self, line: str) -> bool:
        """Draw the selected lesion's caliper: bidirectional for a target (long and short axes), the viable
        diameter as a line on the arterial phase, a marker for a non-target or a new lesion."""
        row = self.lesions.selected()
        if row is None or not self.editable:
            return False
        pane = self.reading.current
        if line == "viable":
            if self.reading.phase.isVisible() and "arterial" in self.reading.phase.series.currentText().lower():
                pane = self.reading.phase
            return pane.viewer.start_caliper("line", str(row.measurement_id), line_name="viable",
                                             colour=OWN_COLOUR, label=row.lesion.lesion_id)  # fmt: skip
        kind = "bidirectional" if row.lesion.kind is LesionKind.TARGET else "marker"
        if row.lesion.kind is LesionKind.NEW and row.measurement.diameter_mm is not None:
            kind = "line"
        started = pane.viewer.start_caliper(kind, str(row.measurement_id), colour=OWN_COLOUR,
                                            label=row.lesion.lesion_id)  # fmt: skip
        if started:
            lid = row.lesion.lesion_id
            how = "drag the long axis, then the short axis" if kind == "bidirectional" else "drag across it"
            self.status_message.emit(f"Measuring {lid}: {how} (Esc cancels)" if kind != "marker"
                                     else f"Marking {lid}: click it (Esc cancels)")  # fmt: skip
        return started

    def _caliper_done(self, tag: str, caliper: Caliper) -> None:
        try:
            measurement_id = int(tag)
        except ValueError:
            return
        self._show_rules(measurement_id, caliper)
        self.caliper_drawn.emit(measurement_id, caliper)

    def _show_rules(self, measurement_id: int, caliper: Caliper) -> None:
        """The rule checks of the value just measured (RECIST 1.1 §3.1.1), beside the list."""
        found = next(((m, x) for mid, m in self._measurements() if mid == measurement_id
                      for x in self._lesions_of_evaluator() if x.lesion_id == m.lesion_id), None)  # fmt: skip
        if found is None or self.images is None:
            return
        m, lesion = found
        series = self.images.series(caliper.series_uid)
        dates = sorted({x.date for _, x in self._measurements()})
        self._notes = image_rules.caliper_findings(lesion, caliper.values(), series.slice_thickness if series else None,
                                                   baseline=bool(dates) and m.date == dates[0])  # fmt: skip
        self._show_selection()

    def jump_to_selected(self) -> None:
        """Open current and prior at the slices of the selected lesion's calipers (each timepoint's own)."""
        row = self.lesions.selected()
        if row is None or self.images is None:
            return
        prior = self.prior()
        for pane, day in ((self.reading.current, self.current), (self.reading.prior, prior)):
            found = self._rows_at(day).get(row.lesion.lesion_id)
            stored = calipers.parse(found[1].caliper) if found else ()
            if not stored:
                continue
            target = stored[0]
            tp = self.images.timepoint(day) if day is not None else None
            if tp is not None and pane.series.currentData() != target.series_uid:
                pane.set_series([(s.series_uid, s.label) for s in tp.series], target.series_uid)
                self._load_series(pane, target.series_uid)
            pane.viewer.show_slice_of(target.sop_instance_uid)

    # ------------------------------------------------------------------ key images (issue 22 item 2)
    def _follow_key_images(self) -> None:
        """Load the shown read's key images again when the case was reloaded (a write landed, another patient or
        another read is shown); the button and the count follow the slice on screen."""
        detail, evaluator = self.detail, self.evaluator
        if self._key_loaded_for[0] is detail and self._key_loaded_for[1] == evaluator:
            self._show_key_state()
            return
        self._key_loaded_for = (detail, evaluator)
        self._key_read = None
        self._show_key_state()
        if detail is None or evaluator is None:
            return
        self.runner.run(key_images.read_key_images, self.session, detail.subject_id, evaluator,
                        key=f"{self._key}-keys", lane="db", on_done=self._key_images_loaded,
                        on_error=self._key_images_failed)  # fmt: skip

    def _key_images_failed(self, exc: BaseException) -> None:
        self.key_count.setText(f"Key images could not be read: {exc}")

    def _key_images_loaded(self, found: key_images.ReadKeyImages) -> None:
        shown = self.detail.subject_id if self.detail is not None else None
        if found.subject_id == shown and found.reader == self.evaluator:
            self._key_read = found
            self._show_key_state()

    def _shown_slice(self) -> tuple[str, str] | None:
        """(series, SOP instance) of the slice in the current pane, None when none is shown."""
        viewer = self.reading.current.viewer
        volume = viewer.volume
        if volume is None or not 0 <= viewer.index < volume.count:
            return None
        return volume.series_uid, volume.sop_uid(viewer.index)

    def key_image_here(self) -> KeyImage | None:
        """The key image of the shown read at the current timepoint on the slice on screen (None: not one)."""
        where = self._shown_slice()
        found = self._key_read.at(self.current) if self._key_read is not None else []
        return next((k for k in found if where is not None and k.sop_instance_uid == where[1]), None)

    def _key_refusal(self, here: KeyImage | None) -> str:
        """Why the Key image button cannot be used now ("" when it can)."""
        if not self.editable or self.evaluator is None:
            return "Read-only: this is not your read, or the case is locked."
        if self._key_read is None:
            return "Loading your key images…"
        if self.current is None or self._shown_slice() is None:
            return "No image is shown in the current pane."
        if self.current in self._key_read.submitted:
            return f"You have submitted your read of {self.current.isoformat()}: it is read-only."
        if here is not None and here.source == CALIPER:
            return (f"Your caliper of {', '.join(here.lesion_ids)} is on this slice: it is a key image while the "
                    "caliper stays.")  # fmt: skip
        return ""

    def _show_key_state(self) -> None:
        here = self.key_image_here()
        why = self._key_refusal(here)
        self.key_image.setEnabled(not why)
        blocked = self.key_image.blockSignals(True)
        self.key_image.setChecked(here is not None)
        self.key_image.blockSignals(blocked)
        day = self.current.isoformat() if self.current else ""
        tip = "Unmark the slice shown as a key image" if here is not None else "Mark the slice shown as a key image"
        self.key_image.setToolTip(why or f"{tip} of your read of {day} (K)")
        n = len(self._key_read.at(self.current)) if self._key_read is not None else 0
        self.key_count.setText(f"{n} key image{'' if n == 1 else 's'} at {day}" if self._key_read and day else "")

    def _key_shortcut(self) -> None:
        if self.key_image.isEnabled() and self.key_image.isVisible():
            self.toggle_key_image()

    def toggle_key_image(self) -> ReviewEditCommand | None:
        """Mark the slice shown as a key image of the evaluator's read at the current timepoint, or unmark it: one
        undoable edit (Ctrl+Z) through the write gate. None when the button is disabled (its tooltip says why)."""
        here = self.key_image_here()
        where, day, detail = self._shown_slice(), self.current, self.detail
        if self._key_refusal(here) or where is None or day is None or detail is None:
            self._show_key_state()
            return None
        sid = detail.subject_id
        service: Callable[..., Edit]
        if here is None:
            service = key_images.add_key_image
            kwargs: dict[str, Any] = {"subject_id": sid, "day": day, "series_uid": where[0],
                                      "sop_instance_uid": where[1]}  # fmt: skip
            text = f"Mark key image of {sid} on {day.isoformat()}"
        else:
            service = key_images.remove_key_image
            kwargs = {"key_id": here.key_id, "reason": "unmarked by its reader in the Images tab"}
            text = f"Unmark key image of {sid} on {day.isoformat()}"
        command = ReviewEditCommand(self.session, self.runner, self.context.bus, service=service, kwargs=kwargs,
                                    text=text, initiator=self)  # fmt: skip
        command.on_error = lambda exc, cmd=command: self._key_refused(cmd, exc)
        command.on_done = lambda _edit, t=text: self.status_message.emit(f"Saved: {t} (Ctrl+Z undoes)")
        self.context.undo_stack.push(command)
        return command

    def _key_refused(self, command: ReviewEditCommand, exc: BaseException) -> None:
        drop_failed(self.context.undo_stack, command)
        self.status_message.emit(f"Not saved: {exc}")
        self._show_key_state()


__all__ = ["OVERLAY_COLOURS", "OWN_COLOUR", "VIEW_COLOUR", "CaseImagesTab"]
