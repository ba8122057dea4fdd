"""The study navigator panel: a filter bar over a sortable table of patients, and stepping in the view's order.

Stepping (:meth:`NavigatorPanel.step`, :meth:`NavigatorPanel.next_matching`) always follows what the user sees:
the filtered, sorted rows of the proxy, not the study's storage order. The panel saves and restores its own
state (header layout and sort, filters) through :class:`~hccreview.ui.settings.AppSettings`. Columns and filters
of data the signed-in user may not see (``ui.visibility.COLUMN_NEEDS``) are absent: :meth:`apply_access`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hccreview.domain.access import Access, Capability
from hccreview.services.overview import Overview, PatientRow
from hccreview.services.review import REVIEW_STATES
from hccreview.ui.models.navigator_filter import NavigatorFilter
from hccreview.ui.models.navigator_model import (
    CHANGED_STATE,
    RESPONDERS,
    RESPONSE_ORDER,
    REVIEW_COUNT_LABELS,
    SUBJECT_ROLE,
    Column,
    NavigatorModel,
)
from hccreview.ui.settings import AppSettings
from hccreview.ui.visibility import COLUMN_NEEDS
from hccreview.ui.wording import response_text

PANEL = "navigator"
#: Default left-to-right order of the columns: what a reviewer scans first is visible in a narrow panel.
DEFAULT_ORDER = (
    Column.PATIENT, Column.DISCORDANT, Column.BOR, Column.REVIEW, Column.PFS, Column.OS,
    Column.CHILD_PUGH, Column.EXTRAHEPATIC, Column.CYCLES, Column.BOR_UNCONFIRMED, Column.FINDINGS,
)  # fmt: skip


class NavigatorPanel(QWidget):
    """Filter bar + patient table.

    Signals:
        subject_selected(str): the current patient changed (by click, keyboard or a method here); emitted on
            the GUI thread; handlers must not block (the case view loads through the runner).

    Shows "Loading…" until :meth:`show_pending` or :meth:`set_overview` is first called; with pending rows
    (patient ids and review states only, before the overview is derived) selection and stepping already work,
    and the derived columns show "…" until :meth:`set_overview`. GUI thread only.
    """

    subject_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = NavigatorModel(self)
        self.proxy = NavigatorFilter(self)
        self.proxy.setSourceModel(self.model)
        self._current: str | None = None
        self._complete = False  # an overview (not only pending rows) is shown

        self.text_filter = QLineEdit(placeholderText="Filter by patient id (Ctrl+F)", clearButtonEnabled=True)
        self.text_filter.setObjectName("navigator_text_filter")
        classes = [("All CP", None), ("CP A", "A"), ("CP B", "B"), ("CP C", "C")]
        self.cp_filter = _combo("Child-Pugh class at baseline", classes)
        self.arm_filter = _combo("Treatment arm (as treated)", [("All arms", None)])  # issue 23: two or more arms
        self.arm_filter.setObjectName("navigator_arm_filter")
        self.arm_filter.hide()
        self._clinical = True  # the user may see clinical data (the arm among it)
        self._wanted_arm: str | None = None  # a restored arm filter, applied once the arms are known
        responses = [("All BOR", None), ("CR or PR", RESPONDERS)] + [(response_text(r), r) for r in RESPONSE_ORDER]
        self.response_filter = _combo("Best overall response under the shown source", responses)
        self.review_filter = _combo("Review state", [("All states", None)] + [(s, s) for s in REVIEW_STATES])
        self.discordant_only = QCheckBox("Discordant only")
        self.discordant_only.setToolTip("Only patients whose central readers disagree")
        self.count_label = QLabel()
        self.count_label.setObjectName("navigator_count")
        self.review_counts = QLabel()
        self.review_counts.setObjectName("navigator_review_counts")
        self.review_counts.setToolTip("Patients per review state (all patients, whatever the filters)")

        self.table = QTableView()
        self.table.setObjectName("navigator_table")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(Column.PATIENT, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)
        # a list in a dock: its later columns scroll; the dock is sized to show them up to OS (ui.dock_fit)
        self.table.setProperty("scrolls_columns", True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionsMovable(True)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setResizeContentsPrecision(100)  # column widths from 100 rows, not 1,000 (5,000 patients: ~0.8 s)
        for visual, column in enumerate(DEFAULT_ORDER):  # the review columns first; the user may drag them
            header.moveSection(header.visualIndex(column), visual)
        self.table.selectionModel().currentRowChanged.connect(self._current_row_changed)

        self.loading = QLabel("Loading…", alignment=Qt.AlignmentFlag.AlignCenter)
        self.loading.setObjectName("navigator_loading")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.loading)
        self.stack.addWidget(self.table)

        row1 = QHBoxLayout()
        row1.addWidget(self.text_filter, 1)
        row1.addWidget(self.arm_filter)  # beside the search (which shrinks), not widening the row of filters
        row1.addWidget(self.discordant_only)
        row2 = QHBoxLayout()
        for widget in (self.cp_filter, self.response_filter, self.review_filter):
            row2.addWidget(widget)
        row2.addStretch(1)
        row2.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row1)
        layout.addLayout(row2)
        layout.addWidget(self.review_counts)
        layout.addWidget(self.stack, 1)

        self.text_filter.textChanged.connect(self.proxy.set_text)
        self.cp_filter.currentIndexChanged.connect(lambda: self.proxy.set_child_pugh(self.cp_filter.currentData()))
        self.arm_filter.currentIndexChanged.connect(lambda: self.proxy.set_arm(self.arm_filter.currentData()))
        self.response_filter.currentIndexChanged.connect(
            lambda: self.proxy.set_response(self.response_filter.currentData())
        )
        self.review_filter.currentIndexChanged.connect(
            lambda: self.proxy.set_review_state(self.review_filter.currentData())
        )
        self.discordant_only.toggled.connect(self.proxy.set_discordant_only)
        for signal in (
            self.proxy.rowsInserted,
            self.proxy.rowsRemoved,
            self.proxy.modelReset,
            self.proxy.layoutChanged,
        ):
            signal.connect(self._update_count)
        self.model.dataChanged.connect(self._update_review_counts)
        self.model.modelReset.connect(self._update_review_counts)
        self.model.rowsInserted.connect(self._update_review_counts)
        self._update_count()
        self._update_review_counts()

    # ------------------------------------------------------------------ access (DESIGN §4b)
    def apply_access(self, access: Access) -> None:
        """Hide the columns (and their filters) whose data ``access`` may not see; show the others again (a
        layout saved by another user may have hidden them). Call after :meth:`restore_state` and on sign-in."""
        withheld = frozenset(c for c in Column if c.name in COLUMN_NEEDS and not access.may(COLUMN_NEEDS[c.name]))
        self.model.set_withheld(withheld)
        for column in Column:
            if column.name in COLUMN_NEEDS:
                self.table.setColumnHidden(column, column in withheld)
        self.discordant_only.setVisible(Column.DISCORDANT not in withheld)
        if Column.DISCORDANT in withheld:
            self.discordant_only.setChecked(False)
        self.cp_filter.setVisible(access.may(Capability.SEE_CLINICAL))
        if not access.may(Capability.SEE_CLINICAL):
            self.cp_filter.setCurrentIndex(0)
        self._clinical = access.may(Capability.SEE_CLINICAL)
        self._show_arm_filter()
        self.select_subject(self._current)

    # ------------------------------------------------------------------ data in
    def set_overview(self, overview: Overview, source: str | None = None, *, prefer: str | None = None) -> None:
        """Show a freshly loaded overview and select a patient: the current one if it is still there, else
        ``prefer`` (e.g. the one remembered from the last run), else the first in view order."""
        first_load = self.stack.currentWidget() is self.loading
        wanted = self._current or prefer
        self.model.set_overview(overview, source)
        self._fill_arms(overview.arms)
        self.stack.setCurrentWidget(self.table)
        if not self._complete and not (overview.rows and overview.rows[0].pending):
            self._complete = True
            self.table.resizeColumnsToContents()
        if not self.select_subject(wanted):
            self.select_first()
        if first_load:  # after the selection, or the view's focus-in would pick the first row itself
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)  # keyboard-first: J / K work at once
        self._update_count()

    def _fill_arms(self, arms: tuple[str, ...]) -> None:
        """The arm filter's items: All arms, then each arm (reference first); shown with two or more arms only.
        The chosen arm stays chosen while it exists (else: all arms)."""
        combo = self.arm_filter
        wanted = [None, *arms]
        if [combo.itemData(i) for i in range(combo.count())] != wanted:
            keep = self._wanted_arm or combo.currentData()
            with QSignalBlocker(combo):
                combo.clear()
                for arm in wanted:
                    combo.addItem(arm or "All arms", arm)
                combo.setCurrentIndex(max(0, combo.findData(keep)) if keep else 0)
            self.proxy.set_arm(combo.currentData())
        if len(arms) >= 2:
            self._wanted_arm = None
        self._show_arm_filter()

    def _show_arm_filter(self) -> None:
        several = self.arm_filter.count() > 2 and self._clinical
        self.arm_filter.setVisible(several)
        if not several and self.arm_filter.currentIndex() != 0:
            self.arm_filter.setCurrentIndex(0)

    def show_pending(self, rows: Sequence[PatientRow], *, prefer: str | None = None) -> None:
        """Show the patients before their overview is derived (``navigation.first_rows``) and select one, as
        :meth:`set_overview` does; ignored once an overview is shown."""
        if self._complete:
            return
        self.set_overview(Overview("", "", [], "", list(rows)), prefer=prefer)

    @property
    def complete(self) -> bool:
        """An overview is shown (every column derived), not only pending rows."""
        return self._complete

    def update_rows(self, rows: Sequence[PatientRow]) -> None:
        """Refresh the rows of patients a write touched (the selection stays where it is)."""
        self.model.update_rows(rows)

    def set_source(self, source: str) -> None:
        """Show the best responses of ``source`` (the response filter follows)."""
        self.model.set_source(source)
        self.proxy.refilter()

    @property
    def loaded(self) -> bool:
        return self.stack.currentWidget() is self.table

    # ------------------------------------------------------------------ selection and stepping
    def current_subject(self) -> str | None:
        return self._current

    def current_row(self) -> PatientRow | None:
        return self.model.patient(self._current) if self._current else None

    def visible_subjects(self) -> list[str]:
        """Patient ids in the view's order (filtered and sorted)."""
        return [self.proxy.index(i, 0).data(SUBJECT_ROLE) for i in range(self.proxy.rowCount())]

    def select_subject(self, subject_id: str | None) -> bool:
        """Make ``subject_id`` the current patient; False when it is unknown or hidden by the filters."""
        if subject_id is None:
            return False
        source_row = self.model.row_of(subject_id)
        if source_row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(source_row, 0))
        if not index.isValid():
            return False
        self._set_current_index(index)
        return True

    def select_first(self) -> str | None:
        """Select the first patient in view order (None if the view is empty)."""
        if self.proxy.rowCount() == 0:
            return None
        self._set_current_index(self.proxy.index(0, 0))
        return self._current

    def step(self, delta: int) -> str | None:
        """Move ``delta`` rows in view order (no wrap-around); returns the new patient, None at either end."""
        n = self.proxy.rowCount()
        if n == 0:
            return None
        row = self._current_proxy_row()
        target = (0 if delta > 0 else n - 1) if row is None else row + delta
        if not 0 <= target < n:
            return None
        self._set_current_index(self.proxy.index(target, 0))
        return self._current

    def next_matching(self, predicate: Callable[[PatientRow], bool]) -> str | None:
        """Select the next patient after the current one (view order, wrapping) for which ``predicate`` holds."""
        n = self.proxy.rowCount()
        row = self._current_proxy_row()
        start = -1 if row is None else row
        for offset in range(1, n + 1):
            candidate = (start + offset) % n
            if row is not None and candidate == row:
                break
            source = self.proxy.mapToSource(self.proxy.index(candidate, 0))
            if predicate(self.model.row_at(source.row())):
                self._set_current_index(self.proxy.index(candidate, 0))
                return self._current
        return None

    def next_changed(self) -> str | None:
        """Select the next patient changed since review (view order, wrapping); None when there is none."""
        return self.next_matching(lambda row: row.review_state == CHANGED_STATE)

    def next_unreviewed(self) -> str | None:
        """Select the next patient not reviewed — never reviewed, in progress or changed since review."""
        return self.next_matching(lambda row: row.review_state != "reviewed")

    def focus_filter(self) -> None:
        self.text_filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.text_filter.selectAll()

    def _current_proxy_row(self) -> int | None:
        if self._current is None:
            return None
        source_row = self.model.row_of(self._current)
        if source_row is None:
            return None
        index = self.proxy.mapFromSource(self.model.index(source_row, 0))
        return index.row() if index.isValid() else None

    def _set_current_index(self, index: QModelIndex) -> None:
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index)

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return  # a reset or an empty view: keep the case view on its patient
        subject_id = current.data(SUBJECT_ROLE)
        if subject_id and subject_id != self._current:
            self._current = subject_id
            self.subject_selected.emit(subject_id)

    def _update_review_counts(self, *_args: object) -> None:
        """The per-state counts line and the review filter's item texts ("changed since review (2)")."""
        counts = self.model.review_counts()
        shown = [f"{n} {REVIEW_COUNT_LABELS.get(state, state)}" for state, n in counts.items() if n]
        self.review_counts.setText(" · ".join(shown) if shown else "")
        for i in range(1, self.review_filter.count()):
            state = self.review_filter.itemData(i)
            self.review_filter.setItemText(i, f"{state} ({counts.get(state, 0)})")

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count_label.setText(f"{shown} of {total} patients" if shown != total else f"{total} patients")

    # ------------------------------------------------------------------ state
    def save_state(self, settings: AppSettings) -> None:
        settings.set_header_state(PANEL, self.table.horizontalHeader().saveState())
        settings.set_panel_state(PANEL, self.proxy.filter_state() | {"text": self.text_filter.text()})

    def restore_state(self, settings: AppSettings) -> None:
        header = settings.header_state(PANEL)
        if header is not None:
            self.table.horizontalHeader().restoreState(header)
        state = settings.panel_state(PANEL)
        self.text_filter.setText(str(state.get("text") or ""))
        self._wanted_arm = state.get("arm") if isinstance(state.get("arm"), str) else None
        if self._wanted_arm and self.arm_filter.findData(self._wanted_arm) > 0:
            self.arm_filter.setCurrentIndex(self.arm_filter.findData(self._wanted_arm))
        for combo, key in (
            (self.cp_filter, "child_pugh"),
            (self.response_filter, "response"),
            (self.review_filter, "review"),
        ):
            i = combo.findData(state.get(key))
            combo.setCurrentIndex(max(i, 0))
        self.discordant_only.setChecked(bool(state.get("discordant_only")))

    def clear_filters(self) -> None:
        with QSignalBlocker(self.text_filter):
            self.text_filter.clear()
        self.proxy.set_text("")
        self._wanted_arm = None
        for combo in (self.arm_filter, self.cp_filter, self.response_filter, self.review_filter):
            combo.setCurrentIndex(0)
        self.discordant_only.setChecked(False)


def _combo(tip: str, items: Sequence[tuple[str, str | None]]) -> QComboBox:
    combo = QComboBox()
    combo.setToolTip(tip)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(8)  # may shrink with a narrow panel; the popup still shows the full text
    for text, data in items:
        combo.addItem(text, data)
    return combo
