"""Meeting mode (issue 7 item 5): the open discordant cases one by one, full screen, in large type, keyboard driven.

A room with a projector works through the cases: both reads side by side (target sums and stated responses
per date, each read's best overall response and first progression), and the **impact preview** — the cohort
figures now and if read 1 or read 2 stands: ORR (n, %, exact CI), DCR, median PFS / OS (95% CI), the
Child-Pugh subgroups, and the patient's own outcome — computed before the decision by
``services.adjudication.impact_preview`` on the same records, so once a choice is recorded the figures
"now" equal the preview of that choice; the window checks this after every decision and says so.

Keys: Right / N next case, Left / P previous, 1 / 2 choose read 1 / 2 (the discordance code and the reason
are given live in a :class:`DecisionReasonDialog`), I toggles the reads table and the case on the images (both
readers' calipers, the per-lesion differences in large type: :class:`AdjudicationImages`, issue 22), Esc leaves.
Decisions are :class:`AdjudicateCommand` s on the window's undo stack
(Ctrl+Z in the main window undoes them before sign-off); signing is done afterwards in the adjudication panel.
Every service call runs on the runner's database lane; callbacks run on the GUI thread and only draw.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QFont, QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.records import Role
from hccreview.services.adjudication import QueueItem, seen_decision
from hccreview.services.adjudication_ui import BLINDED_MESSAGE, MeetingCase, can_decide, load_meeting_case
from hccreview.services.adjudication_ui import meeting_subjects as load_meeting_subjects
from hccreview.ui.adjudication_commands import AdjudicateCommand
from hccreview.ui.adjudication_style import STATUS_COLOURS, chip_style, day_text, response_css
from hccreview.ui.commands import drop_failed
from hccreview.ui.models.meeting_models import NEW_MARK, ImpactModel, ReadsSummaryModel
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.views.adjudication import refusal_text
from hccreview.ui.views.adjudication_case import case_head, reads_table
from hccreview.ui.views.adjudication_images import AdjudicationImages
from hccreview.ui.views.adjudication_reason import DecisionReasonDialog

BASE_PT = 20.0  # large type for a projector (issue 7 item 5)
TITLE_PT = 30.0
CHOICE_KEYS = {Qt.Key.Key_1: 1, Qt.Key.Key_2: 2, Qt.Key.Key_3: 3}
KEY_HINT = "→ / N next · ← / P previous · 1 / 2 choose read · I images · Esc leave"
VIEW_KEY_HINT = "→ / N next · ← / P previous · I images · Esc leave"  # who may not decide is not offered a choice


def _table(model: Any, font: QFont) -> QTableView:
    view = reads_table(model, font=font, row_padding=4, resize=QHeaderView.ResizeMode.Stretch)
    model.base_font = font
    view.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the window takes every key
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    return view


def _fit_first_column(view: QTableView) -> None:
    """The label / date column as wide as its text; the value columns share the rest."""
    header = view.horizontalHeader()
    if header.count():
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)


class MeetingModeWindow(QWidget):
    """The meeting's presentation window (a top-level window; :meth:`start` shows it full screen).

    Signals (GUI thread):
        case_shown(str): this subject's reads and figures are on screen (after a step or a reload).
        decided(str, str): a decision for subject (first) choosing reader (second) was written.
        left(): the meeting was left (Esc or the window closed).
        status_message(str): a short message (also shown in the window's footer).

    ``checks`` records, per decision, whether the figures "now" equal the preview shown before it.
    Runner callbacks run on the GUI thread and only fill models; no database access here.
    """

    case_shown = Signal(str)
    decided = Signal(str, str)
    left = Signal()
    status_message = Signal(str)

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("meeting_mode")
        self.session, self.bus, self.runner, self.undo_stack = context
        self.setWindowTitle(f"Meeting mode — {self.session.path.stem} — hccreview")
        self.items: list[QueueItem] = []
        self.position = -1
        self.case: MeetingCase | None = None
        self.expected: tuple[str, str, dict[str, Any]] | None = None  # (subject, reader, preview) awaited
        self.checks: list[tuple[str, str, bool]] = []
        self.context = context
        self.images: AdjudicationImages | None = None  # built on the first I (never for a blinded reader)
        self.loaded = False
        self._closed = False
        font = self.font()
        font.setPointSizeF(BASE_PT)
        self.setFont(font)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        title_font = QFont(font)
        title_font.setPointSizeF(TITLE_PT)
        title_font.setBold(True)

        self.title = QLabel("Meeting mode")
        self.title.setObjectName("meeting_title")
        self.title.setFont(title_font)
        self.position_label = QLabel()
        self.status = QLabel()
        head, self.reasons = case_head(self.title, self.position_label, self.status)
        self.bor_labels = [QLabel(), QLabel()]
        self.reads = ReadsSummaryModel(self)
        self.impact = ImpactModel(self)
        self.reads_table = _table(self.reads, font)
        self.impact_table = _table(self.impact, font)
        self.reads_table.setObjectName("meeting_reads")
        self.impact_table.setObjectName("meeting_impact")
        left = QVBoxLayout()
        for label in self.bor_labels:
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setWordWrap(True)
            left.addWidget(label)
        left.addWidget(self.reads_table, 1)
        self.legend = QLabel(f"Sum of targets (mm), stated response; {NEW_MARK} new lesion")
        self.legend.setWordWrap(True)
        self.legend.setEnabled(False)
        left.addWidget(self.legend)
        body = QHBoxLayout()
        body.addLayout(left, 5)
        body.addWidget(self.impact_table, 8)
        reads_page = QWidget()
        reads_page.setLayout(body)
        self.pages = QStackedWidget()  # the reads and the figures, or the case on the images (key I)
        self.pages.addWidget(reads_page)
        self.hint = QLabel(KEY_HINT if can_decide(self.session) else VIEW_KEY_HINT)
        self.hint.setEnabled(False)
        self.message = QLabel()
        self.message.setObjectName("meeting_message")
        self.message.setWordWrap(True)
        foot = QHBoxLayout()
        foot.addWidget(self.message, 1)
        foot.addWidget(self.hint)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addLayout(head)
        layout.addWidget(self.pages, 1)
        layout.addLayout(foot)
        self.bus.changed.connect(self._on_changed)

    # ------------------------------------------------------------------ start / leave
    def start(self, *, full_screen: bool = True) -> None:
        """Show the window (full screen for the projector) and load the open discordant cases."""
        self.showFullScreen() if full_screen else self.show()
        self.activateWindow()
        self.setFocus()
        if self.session.role is Role.READER:
            self.title.setText("Meeting mode")
            self._say(BLINDED_MESSAGE)
            return
        self._say("Loading the open discordant cases…")
        self.runner.run(load_meeting_subjects, self.session, key="meeting-list", lane="db",
                        on_done=self._subjects_arrived, on_error=self._failed)  # fmt: skip

    def _subjects_arrived(self, items: list[QueueItem]) -> None:
        if self._closed:
            return
        self.items = items
        if not items:
            self.title.setText("Meeting mode")
            self._say("No open discordant cases: nothing to adjudicate.")
            self.loaded = True
            return
        self.go(0)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closed:
            self._closed = True
            self.bus.changed.disconnect(self._on_changed)
            self.left.emit()
        super().closeEvent(event)

    # ------------------------------------------------------------------ keys
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Right, Qt.Key.Key_N, Qt.Key.Key_PageDown, Qt.Key.Key_Space):
            self.step(+1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_P, Qt.Key.Key_PageUp):
            self.step(-1)
        elif key in CHOICE_KEYS:
            self.choose(CHOICE_KEYS[Qt.Key(key)])
        elif key == Qt.Key.Key_I:
            self.toggle_images()
        elif key == Qt.Key.Key_Escape:
            self.close()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    # ------------------------------------------------------------------ images
    @property
    def showing_images(self) -> bool:
        return self.images is not None and self.pages.currentWidget() is self.images

    def toggle_images(self) -> None:
        """Between the reads table (with the figures) and the shown case on the images (key I)."""
        if self.showing_images:
            self.pages.setCurrentIndex(0)
            return
        if self.session.role is Role.READER or self.subject_id is None:
            return  # a blinded reader has no meeting, and before the first case there is nothing to show
        if self.images is None:
            self.images = AdjudicationImages(self.context, self)
            self.images.set_large_type(self.font())
            self.images.release_keys()  # 1 / 2 / arrows stay the meeting's keys
            self.images.status_message.connect(self._say)
            self.pages.addWidget(self.images)
        self.images.set_subject(self.subject_id)
        self.pages.setCurrentWidget(self.images)
        self.setFocus()

    # ------------------------------------------------------------------ stepping
    @property
    def subject_id(self) -> str | None:
        return self.items[self.position].subject_id if 0 <= self.position < len(self.items) else None

    def step(self, delta: int) -> None:
        target = self.position + delta
        if not self.items:
            return
        if not 0 <= target < len(self.items):
            self._say("Last case of the meeting." if delta > 0 else "First case of the meeting.")
            return
        self.go(target)

    def go(self, position: int) -> None:
        """Show case ``position`` of the meeting (0-based)."""
        self.position = position
        self.loaded = False
        sid = self.items[position].subject_id
        self.title.setText(sid)
        self.position_label.setText(f"case {position + 1} of {len(self.items)}")
        if self.images is not None:
            self.images.set_subject(sid)  # the images follow the case (loaded when shown)
        self._load(sid)

    def _load(self, subject_id: str) -> None:
        self.runner.run(load_meeting_case, self.session, subject_id, key="meeting-case", lane="db",
                        on_done=self._case_arrived, on_error=self._failed)  # fmt: skip

    def _case_arrived(self, case: MeetingCase) -> None:
        if self._closed or case.subject_id != self.subject_id:
            return
        self.case = case
        comparison = case.comparison
        self.reads.set_comparison(comparison)
        self.impact.set_figures(case.now, case.previews, [c for c in comparison.choices if c in case.previews])
        for table in (self.reads_table, self.impact_table):
            _fit_first_column(table)
        decision = comparison.decision
        status = comparison.status_label
        self.status.setText(status if decision is None else f"{status}: {decision.chosen_reader}")
        self.status.setStyleSheet(chip_style(STATUS_COLOURS.get(comparison.status, "#757575"), size_pt=BASE_PT * 0.8))
        reasons = "; ".join(comparison.discordance.reasons) if comparison.discordance else ""
        self.reasons.setText(reasons)
        for n, label in enumerate(self.bor_labels):
            reader = comparison.choices[n] if n < len(comparison.choices) else None
            side = comparison.sides.get(reader) if reader else None
            if side is None:
                label.clear()
                continue
            bor = str(side.bor.confirmed)
            label.setText(f"Read {n + 1} · {reader} <span style='{response_css(bor)}'>&nbsp;{bor}&nbsp;</span> "
                          f"PD {day_text(side.bor.first_pd_date)}")  # fmt: skip
            label.setToolTip(side.bor.rule)
        self.message.clear()
        self._check_expected()
        self.loaded = True
        self.case_shown.emit(case.subject_id)

    def _check_expected(self) -> None:
        if self.expected is None or self.case is None or self.expected[0] != self.case.subject_id:
            return
        subject, reader, preview = self.expected
        decision = self.case.comparison.decision
        if decision is None or decision.chosen_reader != reader:
            return  # the decision is not written yet (a reload raced it): wait for the next one
        self.expected = None
        same = self.case.now == preview
        self.checks.append((subject, reader, same))
        if same:
            self._say(f"{subject}: {reader}'s read stands. The figures now equal its preview.")
        else:
            self._say(f"{subject}: {reader}'s read stands — the figures differ from the preview; please report.")

    # ------------------------------------------------------------------ deciding
    def choose(self, number: int) -> AdjudicateCommand | None:
        """Choose read ``number`` for the shown case: ask the reason, push the decision."""
        case = self.case
        if case is None or not self.loaded or case.subject_id != self.subject_id:
            return None
        comparison = case.comparison
        if not 1 <= number <= len(comparison.choices):
            return None
        if not can_decide(self.session):
            self._say("Sign in as an adjudicator to decide.")
            return None
        if comparison.locked:
            self._say(f"{case.subject_id} is signed and locked.")
            return None
        reader = comparison.choices[number - 1]
        bor = comparison.sides[reader].bor.confirmed
        prompt = (f"Read {number} ({reader}, {bor}) stands for {case.subject_id}. The meeting's discordance code "
                  "and reason (recorded in the audit trail):")  # fmt: skip
        answer = DecisionReasonDialog.ask(self, f"Read {number} stands for {case.subject_id}", prompt)
        if answer is None:
            return None
        self.expected = (case.subject_id, reader, case.previews[reader])
        command = AdjudicateCommand(
            self.session, self.runner, self.bus, subject_id=case.subject_id, chosen_reader=reader,
            reason=answer.reason, reason_code=answer.code, reason_other=answer.other,
            label=f"read {number} ({reader}, {bor}) in the meeting", initiator=self,
            expected=seen_decision(comparison.decision),
        )  # fmt: skip
        subject = case.subject_id
        command.on_done = lambda _edit: self.decided.emit(subject, reader)
        command.on_error = lambda exc, cmd=command: self._refused(cmd, exc)
        self.undo_stack.push(command)
        return command

    def _refused(self, command: AdjudicateCommand, exc: BaseException) -> None:
        drop_failed(self.undo_stack, command)
        self.expected = None
        self._say(refusal_text(exc))

    def _on_changed(self, changes: Changes, _initiator: object) -> None:
        """ChangeBus handler (GUI thread): reload the shown case when a write touched it."""
        sid = self.subject_id
        if sid is not None and (changes.study or sid in changes.subjects or ChangeKind.ADJUDICATIONS in changes.kinds):
            self.loaded = False
            self._load(sid)

    def _failed(self, exc: BaseException) -> None:
        self._say(refusal_text(exc))

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.status_message.emit(text)
