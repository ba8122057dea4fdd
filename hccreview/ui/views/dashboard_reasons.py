"""The cohort dashboard's "Reasons" table: adjudication decisions in force by discordance reason code (issue 12
item 4; the codes and their sources are ``domain.reason_codes``).

Loads ``services.adjudication.reason_code_counts`` on the runner's database lane when shown and after every
write that touches adjudications; a blinded reader sees a sentence instead (the service refuses them).
"""

from __future__ import annotations

import pandas as pd
from PySide6.QtWidgets import QLabel, QMenu, QVBoxLayout, QWidget

from hccreview.domain import reason_codes
from hccreview.domain.changes import ChangeKind, Changes
from hccreview.services import adjudication
from hccreview.services.session import StudySession
from hccreview.ui.models.dataframe_model import DataFrameModel
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.views.dashboard_tables import StatsTable

_KINDS = frozenset({ChangeKind.ADJUDICATIONS, ChangeKind.SIGNATURES, ChangeKind.BLINDING})


def load_reason_counts(session: StudySession) -> dict[str, int] | None:
    """Worker function (database lane): the counts, or None when the user may not see adjudications."""
    try:
        return adjudication.reason_code_counts(session)
    except adjudication.BlindingError:
        return None


def reasons_frame(counts: dict[str, int]) -> pd.DataFrame:
    """One row per code (display order; "not recorded" only when some decision has none) and a total."""
    rows = reason_codes.count_rows(counts)
    total = sum(n for _, n in rows)
    return pd.DataFrame(
        [(label, n, f"{100 * n / total:.0f}%" if total else "—") for label, n in rows],
        columns=["Discordance reason code", "Decisions", "Share"],
    )


class DiscordanceReasons(QWidget):
    """A small table of decisions by reason code. Signals: none. Runner callbacks run on the GUI thread."""

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dashboard_reasons")
        self.session, self.bus, self.runner = context.session, context.bus, context.runner
        self.model = DataFrameModel(parent=self)
        self.table = StatsTable("reasons", "Discordance reasons", self.model, parent=self)
        self.summary = QLabel("Loading…", wordWrap=True)
        self.summary.setObjectName("dashboard_reasons_summary")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        self.counts: dict[str, int] | None = None
        self.bus.changed.connect(self._on_changed)
        self.reload()

    def add_export_actions(self, menu: QMenu) -> None:
        """The dashboard's Export menu on this tab: copy / save the table as CSV."""
        self.table.add_export_actions(menu)

    def reload(self) -> None:
        self.runner.run(load_reason_counts, self.session, key="dashboard_reasons", lane="db", on_done=self._fill)

    def _on_changed(self, changes: Changes, _initiator: object) -> None:
        if changes.study or changes.kinds & _KINDS:
            self.reload()

    def _fill(self, counts: dict[str, int] | None) -> None:
        self.counts = counts
        if counts is None:
            self.model.set_frame(pd.DataFrame(columns=["Discordance reason code", "Decisions", "Share"]))
            self.summary.setText("Adjudication reasons are not shown while the study is blinded.")
            return
        frame = reasons_frame(counts)
        self.table.set_frame(frame)
        total = int(frame["Decisions"].sum())
        self.summary.setText(f"{total} decision{'s' if total != 1 else ''} in force, by why the central readers "
                             "differed (the adjudicator's discordance reason code).")  # fmt: skip
