"""The case side of the adjudication panel: both reads of one discordant patient side by side, and the decision.

Top: the patient, the queue status (a lock when signed), why the case is discordant, the investigator's best
response for reference. Then one card per read (reader, confirmed best overall response, first PD date, the
deciding rule as tooltip) with its "Choose read N" button; the timepoint table (sums, stated and computed
responses, differences highlighted) over the lesion table ("read 1 │ read 2" per lesion and date); at the
bottom the decision in force — choice, reason, adjudicator, signature (name, UTC time, meaning) — with
"Sign…" and "Re-open…". The widget only shows and asks: the panel runs every service call.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QAbstractItemModel, Qt, Signal
from PySide6.QtGui import QFont, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hccreview.services.adjudication import Comparison, Decision, ReaderSide
from hccreview.ui.adjudication_style import (
    DIFF_BACKGROUND,
    STATUS_COLOURS,
    chip_style,
    day_text,
    lock_pixmap,
    response_chip,
    utc_text,
)
from hccreview.ui.models.adjudication_models import LesionComparisonModel, TimepointComparisonModel
from hccreview.ui.wording import confirmation_note


def reads_table(
    model: QAbstractItemModel, *, font: QFont | None = None, row_padding: int = 8,
    resize: QHeaderView.ResizeMode = QHeaderView.ResizeMode.ResizeToContents,
) -> QTableView:  # fmt: skip
    """A table of the two reads side by side, as the adjudication panel and meeting mode show them: read-only,
    nothing to select (the choice is a button), rows as tall as ``font`` (the view's own by default) plus
    ``row_padding`` pixels, columns sized by ``resize``."""
    view = QTableView()
    view.setModel(model)
    if font is not None:
        view.setFont(font)
        view.horizontalHeader().setFont(font)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + row_padding)
    view.horizontalHeader().setSectionResizeMode(resize)
    return view


def _table(model: QAbstractItemModel, name: str) -> QTableView:
    view = reads_table(model)
    view.setObjectName(name)
    view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    return view


def decision_text(decision: Decision | None, comparison: Comparison, *, can_decide: bool = True) -> str:
    """The decision in force as rich text (also what the tests read); what to do next only to who may decide
    (an admin or a viewer is told who does it instead)."""
    if decision is None and comparison.imported:
        todo = "Choose a read to record one here." if can_decide else "An adjudicator may record one here."
        return ("<b>Imported decision:</b> the delivery's accepted-read flags (SDTM RSACPTFL) settle this case; "
                f"no decision was recorded in this study. {todo}")  # fmt: skip
    if decision is None:
        todo = "Choose the read that stands; a reason is required." if can_decide else "An adjudicator decides it."
        return f"<b>No decision yet.</b> {todo}"
    number = comparison.choices.index(decision.chosen_reader) + 1 if decision.chosen_reader in comparison.choices else 0
    side = comparison.sides.get(decision.chosen_reader)
    bor = f" — BOR {side.bor.confirmed}" if side is not None else ""
    chosen = f"read {number} · {escape(decision.chosen_reader)}{bor}" if number else escape(decision.chosen_reader)
    who = f"by {escape(decision.adjudicator)}, {utc_text(decision.decided_at)}"
    reason = f"<br>Discordance code: {escape(decision.reason_label)}<br>Reason: <i>{escape(decision.reason)}</i>"
    if decision.status == "reopened":
        return (f"<b>Re-opened</b> by {escape(decision.reopened_by)}, {utc_text(decision.reopened_at)}: "
                f"<i>{escape(decision.reopened_reason)}</i><br>Previous signed decision: {chosen} {who}."
                "<br><b>It stands, unsigned, until a new decision is recorded.</b>")  # fmt: skip
    if decision.locked:
        sig = decision.signature or {}
        signer = escape(str(sig.get("full_name") or sig.get("username") or decision.adjudicator))
        return (f"<b>Signed:</b> {chosen} {who}{reason}<br><b>E-signature:</b> {signer}, "
                f"{utc_text(sig.get('signed_at'))}, meaning “{escape(str(sig.get('meaning', '')))}”. "
                "The case is locked.")  # fmt: skip
    todo = "Sign to lock it; until then Undo reverts it." if can_decide else "Its adjudicator signs it to lock it."
    return f"<b>Decision (not signed):</b> {chosen} {who}{reason}<br>{todo}"


SIGN_TIP = "Sign the decision with your password (meaning “adjudicated”); locks the case"
REOPEN_TIP = "Re-open the signed decision: a reason is required (audited); the case then awaits a new decision"


def sign_tip(decision: Decision | None, username: str | None) -> str:
    """The Sign button's tooltip: what it does, or why it is disabled now."""
    if decision is None or decision.status == "reopened":
        return "Nothing to sign yet: choose a read first"
    if decision.locked:
        return "Signed already: the case is locked"
    if decision.adjudicator != username:
        return f"Only {decision.adjudicator}, who recorded the decision, can sign it"
    return SIGN_TIP


def case_head(title: QLabel, marker: QLabel, status: QLabel) -> tuple[QHBoxLayout, QLabel]:
    """The head row of a discordant case — the adjudication panel's and meeting mode's: the patient, a marker
    beside it (the lock; the position in the meeting), the status, then the discordance reasons (returned, to be
    filled) wrapping in the rest of the row."""
    reasons = QLabel()
    reasons.setWordWrap(True)
    reasons.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    head = QHBoxLayout()
    for widget in (title, marker, status):
        head.addWidget(widget)
    head.addWidget(reasons, 1)
    return head, reasons


class ReadCard(QGroupBox):
    """One read: reader, best overall response chip, first PD date, and its "Choose read N" button.
    Signals: none (the panel connects the button). GUI thread only."""

    def __init__(self, number: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.number = number
        self.reader: str | None = None
        self.bor = QLabel()
        self.bor.setObjectName(f"read{number}_bor")
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.choose = QPushButton(f"Choose read &{number}")
        self.choose.setObjectName(f"choose_read{number}")
        row = QHBoxLayout()
        row.addWidget(self.bor)
        row.addWidget(self.detail, 1)
        row.addWidget(self.choose)
        self.setLayout(row)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)

    def set_side(self, side: ReaderSide | None, *, chosen: bool) -> None:
        self.reader = side.reader if side is not None else None
        if side is None:
            self.setTitle(f"Read {self.number}")
            self.bor.clear()
            self.detail.setText("no read")
            return
        self.setTitle(f"Read {self.number} · {side.reader}{' · chosen' if chosen else ''}")
        confirmed = str(side.bor.confirmed)
        self.bor.setText(confirmed)
        self.bor.setStyleSheet(response_chip(confirmed, size_pt=self.font().pointSizeF() * 1.25))
        note = confirmation_note(side.bor.confirmed, side.bor.unconfirmed)  # nothing for a PD (RECIST 1.1 §4.4)
        parts = [note] if note else []
        parts.append(f"first PD {day_text(side.bor.first_pd_date)}")
        if side.baseline_sum_mm is not None:
            parts.append(f"baseline sum {side.baseline_sum_mm:.1f} mm")
        self.detail.setText(" · ".join(parts))
        self.setToolTip(side.bor.rule)
        self.setStyleSheet("QGroupBox { font-weight: bold; }" if chosen else "")


class CaseComparisonView(QWidget):
    """Both reads of the shown case, side by side, and the decision bar.

    Signals (GUI thread):
        choose_requested(str): "Choose read N" was pressed; the reader name.
        sign_requested(): "Sign…" was pressed.
        reopen_requested(): "Re-open…" was pressed.
    """

    choose_requested = Signal(str)
    sign_requested = Signal()
    reopen_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.comparison: Comparison | None = None
        self.title = QLabel("No case selected")
        self.title.setObjectName("case_title")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.title.setFont(font)
        self.lock = QLabel()
        self.lock.setObjectName("case_lock")
        self.lock.setPixmap(lock_pixmap(22))
        self.lock.setToolTip("Signed: the case is locked")
        self.lock.hide()
        self.status = QLabel()
        self.status.setObjectName("case_status")
        head, self.reasons = case_head(self.title, self.lock, self.status)
        self.cards = [ReadCard(1), ReadCard(2)]
        cards = QHBoxLayout()
        for card in self.cards:
            cards.addWidget(card, 1)
            card.choose.clicked.connect(lambda _=False, c=card: self._choose(c))
        self.timepoints = TimepointComparisonModel(self)
        self.lesions = LesionComparisonModel(self)
        self.timepoint_table = _table(self.timepoints, "adjudication_timepoints")
        self.lesion_table = _table(self.lesions, "adjudication_lesions")
        self.lesion_table.setProperty("scrolls_columns", True)  # one column per lesion: as many as the reads have
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        captions = ("Timepoints — target sum, stated and computed responses per read",
                    "Lesion sizes (mm) — read 1 │ read 2")  # fmt: skip
        for caption, table in zip(captions, (self.timepoint_table, self.lesion_table), strict=True):
            box = QWidget()
            inner = QVBoxLayout(box)
            inner.setContentsMargins(0, 0, 0, 0)
            inner.setSpacing(1)
            inner.addWidget(QLabel(caption))
            inner.addWidget(table, 1)
            self.splitter.addWidget(box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        legend = QLabel("  differs between the reads  ")
        legend.setStyleSheet(f"QLabel {{ background: {DIFF_BACKGROUND.name(DIFF_BACKGROUND.NameFormat.HexArgb)}; }}")
        self.decision = QLabel()
        self.decision.setObjectName("decision_text")
        self.decision.setWordWrap(True)
        self.decision.setTextFormat(Qt.TextFormat.RichText)
        self.decision.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.decision.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.sign_button = QPushButton("&Sign…")
        self.sign_button.setObjectName("sign_decision")
        self.sign_button.setToolTip(SIGN_TIP)
        self.reopen_button = QPushButton("Re-&open…")
        self.reopen_button.setObjectName("reopen_decision")
        self.reopen_button.setToolTip(REOPEN_TIP)
        self.sign_button.clicked.connect(self.sign_requested)
        self.reopen_button.clicked.connect(self.reopen_requested)
        bar = QHBoxLayout()
        bar.addWidget(self.decision, 1)
        bar.addWidget(self.sign_button)
        bar.addWidget(self.reopen_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(head)
        layout.addLayout(cards)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(legend, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(bar)
        self.set_comparison(None)

    def _fit_split(self) -> None:
        """Give the timepoint table the height of its rows (at most two thirds), the lesion table the rest."""
        total = sum(self.splitter.sizes())
        if total <= 0:
            return
        table = self.timepoint_table
        rows = max(1, self.timepoints.rowCount())
        scroll = table.horizontalScrollBar().sizeHint().height()
        wanted = table.horizontalHeader().sizeHint().height() + rows * table.verticalHeader().defaultSectionSize()
        wanted += 2 * table.frameWidth() + scroll + self.fontMetrics().height() + 6  # the caption above it
        top = min(wanted, int(total * 2 / 3))
        self.splitter.setSizes([top, total - top])

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_split()

    def _choose(self, card: ReadCard) -> None:
        if card.reader is not None:
            self.choose_requested.emit(card.reader)

    @property
    def locked(self) -> bool:
        return self.comparison is not None and self.comparison.locked

    def set_comparison(
        self,
        comparison: Comparison | None,
        *,
        can_decide: bool = False,
        can_reopen: bool = False,
        username: str | None = None,
        busy: bool = False,
    ) -> None:
        """Show ``comparison`` (None: nothing) and enable what the signed-in user may do with it."""
        self.comparison = comparison
        self.timepoints.set_comparison(comparison)
        self.lesions.set_comparison(comparison)
        for table in (self.timepoint_table, self.lesion_table):
            table.resizeColumnsToContents()
        self._fit_split()
        decision = comparison.decision if comparison is not None else None
        chosen = decision.chosen_reader if decision is not None else None  # a re-opened decision stands
        for n, card in enumerate(self.cards):
            side = None
            if comparison is not None and n < len(comparison.choices):
                side = comparison.sides.get(comparison.choices[n])
            card.set_side(side, chosen=side is not None and side.reader == chosen)
            card.choose.setEnabled(side is not None and can_decide and not self.locked and not busy)
            card.choose.setVisible(can_decide)  # absent for who may not decide (a viewer, an admin: DESIGN §4b)
            card.choose.setToolTip("Signed: re-open the decision first" if self.locked else
                                   f"Read {n + 1} stands: record it as the decision (a reason is asked)")  # fmt: skip
        self.sign_button.setVisible(can_decide)
        if comparison is None:
            self.title.setText("No case selected")
            for label in (self.status, self.reasons, self.decision):
                label.clear()
            self.status.setStyleSheet("")
            self.lock.hide()
            self.sign_button.setEnabled(False)
            self.reopen_button.setVisible(False)
            return
        self.title.setText(comparison.subject_id)
        self.lock.setVisible(self.locked)
        self.status.setText(comparison.status_label)
        self.status.setStyleSheet(chip_style(STATUS_COLOURS.get(comparison.status, "#757575")))
        reasons = "; ".join(comparison.discordance.reasons) if comparison.discordance is not None else ""
        investigator = f" · investigator BOR {comparison.investigator_bor}" if comparison.investigator_bor else ""
        self.reasons.setText(f"{reasons}{investigator}")
        self.decision.setText(decision_text(decision, comparison, can_decide=can_decide))
        may_sign = (
            can_decide and decision is not None and decision.status == "open" and decision.adjudicator == username
        )
        self.sign_button.setEnabled(bool(may_sign) and not busy)
        self.sign_button.setToolTip(sign_tip(decision, username))  # a disabled button says why
        self.reopen_button.setVisible(can_reopen)
        self.reopen_button.setEnabled(can_reopen and self.locked and not busy)
        self.reopen_button.setToolTip(REOPEN_TIP if self.locked else "Only a signed decision is re-opened: this "
                                      "case has none")  # fmt: skip
