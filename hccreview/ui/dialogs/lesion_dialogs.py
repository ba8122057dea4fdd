"""The reader's own lesion list prompts (issue 21 item 3): a new lesion (kind, organ, site, node, scan date) and the
follow-up scan to start from the baseline lesions.

The forms only collect the user's input; the caller passes it to ``services.lesions`` on the runner's database
lane, which checks it again (RECIST 1.1 §4.2: targets and non-targets at baseline; §4.3.4: new lesions after it).
So the dates offered follow the kind: the baseline for a target or non-target, the later scans for a new lesion.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QLabel, QLineEdit, QWidget

from hccreview.services.lesions import ReaderTimepoints
from hccreview.ui.dialogs.form_dialog import FormDialog
from hccreview.ui.wording import LESION_KIND_NAMES

#: Organs offered (the field is free text: any other organ may be typed).
ORGANS = ("liver", "lung", "lymph node", "bone", "adrenal", "peritoneum", "pleura", "portal vein", "spleen", "other")


@dataclass(frozen=True)
class NewLesion:
    """What the user asked for (``services.lesions.add_lesion``'s arguments)."""

    kind: str
    organ: str
    site: str
    is_node: bool
    date: date


@dataclass(frozen=True)
class TimepointStart:
    """The follow-up scan to start (``services.lesions.start_timepoint``'s arguments)."""

    date: date
    visit: str


def _date_text(day: date, baseline: date | None) -> str:
    return f"{day.isoformat()} (baseline)" if day == baseline else day.isoformat()


class AddLesionDialog(FormDialog):
    """Kind, organ, site, lymph node, scan date. Signals: QDialog's only. GUI thread only; no database access."""

    def __init__(self, subject_id: str, timepoints: ReaderTimepoints, parent: QWidget | None = None, *,
                 day: date | None = None) -> None:  # fmt: skip
        super().__init__("add_lesion_dialog", f"Add a lesion of yours on {subject_id}", parent)
        self.timepoints, self._wanted_day = timepoints, day
        self.kind = QComboBox()
        self.kind.setObjectName("lesion_kind")
        for value, name in LESION_KIND_NAMES.items():
            self.kind.addItem(name, value)
        self.organ = QComboBox()
        self.organ.setObjectName("lesion_organ")
        self.organ.setEditable(True)
        self.organ.addItems(ORGANS)
        self.organ.setCurrentText("")
        self.organ.setPlaceholderText("Organ (required)")
        self.site = QLineEdit()
        self.site.setObjectName("lesion_site")
        self.site.setPlaceholderText("e.g. segment VII")
        self.node = QCheckBox("Lymph node (measured by its short axis)")
        self.node.setObjectName("lesion_node")
        self.day = QComboBox()
        self.day.setObjectName("lesion_date")
        self.note = QLabel()
        self.note.setObjectName("lesion_note")
        self.note.setWordWrap(True)
        self.note.setEnabled(False)
        form = QFormLayout()
        form.addRow("&Kind", self.kind)
        form.addRow("&Organ", self.organ)
        form.addRow("&Site", self.site)
        form.addRow("", self.node)
        form.addRow("Scan &date", self.day)
        self.lay_out(form, self.note)
        if day is not None and timepoints.baseline is not None and day > timepoints.baseline:
            self.kind.setCurrentIndex(self.kind.findData("new"))  # asked on a follow-up column
        self.kind.currentIndexChanged.connect(self._fill_dates)
        self._fill_dates()
        self.watch(self.kind.currentIndexChanged, self.organ.currentTextChanged, self.day.currentIndexChanged)
        self.organ.setFocus()

    def _fill_dates(self) -> None:
        """The dates the chosen kind may be recorded at: the baseline, or the later scans (RECIST 1.1 §4.2)."""
        tp, new = self.timepoints, self.kind.currentData() == "new"
        days = list(tp.follow_ups) if new else ([tp.baseline] if tp.baseline else [])
        self.day.clear()
        for day in days:
            self.day.addItem(_date_text(day, tp.baseline), day)
        if self._wanted_day in days:
            self.day.setCurrentIndex(days.index(self._wanted_day))
        if not days:
            self.note.setText("No scan of this patient is known yet." if not new else "No follow-up scan yet.")
        elif new:
            self.note.setText("A new lesion is recorded at the follow-up scan where it is first seen (RECIST 1.1).")
        else:
            self.note.setText("Target and non-target lesions are chosen at baseline; each follow-up starts from them.")

    def answer(self) -> NewLesion | None:
        """The lesion asked for, or None while the organ is blank or no date can be chosen."""
        organ, day = self.organ.currentText().strip(), self.day.currentData()
        if not organ or not isinstance(day, date):
            return None
        return NewLesion(str(self.kind.currentData()), organ, self.site.text().strip(), self.node.isChecked(), day)

    @classmethod
    def ask(cls, parent: QWidget | None, subject_id: str, timepoints: ReaderTimepoints, *,
            day: date | None = None) -> NewLesion | None:  # fmt: skip
        """Ask modally; the new lesion, or None when cancelled (tests replace this classmethod)."""
        return cls(subject_id, timepoints, parent, day=day).run()


class StartTimepointDialog(FormDialog):
    """The follow-up scan to start from the baseline lesions, and its visit name. Signals: QDialog's only. GUI
    thread only; no database access."""

    def __init__(self, subject_id: str, timepoints: ReaderTimepoints, parent: QWidget | None = None, *,
                 day: date | None = None) -> None:  # fmt: skip
        super().__init__("start_timepoint_dialog", f"Start a follow-up of {subject_id}", parent)
        self.day = QComboBox()
        self.day.setObjectName("timepoint_date")
        for one in timepoints.startable:
            self.day.addItem(one.isoformat(), one)
        if day in timepoints.startable:
            self.day.setCurrentIndex(timepoints.startable.index(day))
        self.visit = QLineEdit()
        self.visit.setObjectName("timepoint_visit")
        self.visit.setPlaceholderText("e.g. WEEK 8 (optional)")
        note = QLabel(f"Your {timepoints.baseline_lesions} baseline lesion(s) and the new lesions you saw before get a "
                      "row at this scan, values empty: measure each, or set its status.")  # fmt: skip
        note.setWordWrap(True)
        note.setEnabled(False)
        form = QFormLayout()
        form.addRow("Scan &date", self.day)
        form.addRow("&Visit", self.visit)
        self.lay_out(form, note)
        self.watch(self.day.currentIndexChanged)
        self.day.setFocus()

    def answer(self) -> TimepointStart | None:
        """The scan to start, or None when there is none to start."""
        day = self.day.currentData()
        return TimepointStart(day, self.visit.text().strip()) if isinstance(day, date) else None

    @classmethod
    def ask(cls, parent: QWidget | None, subject_id: str, timepoints: ReaderTimepoints, *,
            day: date | None = None) -> TimepointStart | None:  # fmt: skip
        """Ask modally; the scan to start, or None when cancelled (tests replace this classmethod)."""
        return cls(subject_id, timepoints, parent, day=day).run()
