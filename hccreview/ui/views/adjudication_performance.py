"""Reader performance (issue 7 item 7; DESIGN §4): how the readers agree with each other, with the adjudicated
result, and investigator versus central review.

Shows ``services.adjudication.reader_performance`` output as it is (the service computed every figure):
percent agreement and Cohen's kappa with its 95% CI between the two central readers; per reader, agreement
of their confirmed best overall response with the adjudicated one and how often their read was chosen;
investigator versus central review, agreement and the early / late discrepancy rates of progression
(EDR / LDR, Amit et al., Eur J Cancer 2011;47:1772–1778) with the cell counts they come from.
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from hccreview.domain import reason_codes
from hccreview.ui.adjudication_style import DASH

_CELL = "padding: 2px 8px;"


def _pct(value: float | None) -> str:
    return DASH if value is None else f"{value:.1f}%"


def _kappa(block: dict[str, Any]) -> str:
    kappa = block.get("kappa")
    if kappa is None:
        return DASH
    lo, hi = block.get("kappa_ci95") or (None, None)
    ci = f" ({lo:.2f}–{hi:.2f})" if lo is not None and hi is not None else ""
    return f"{kappa:.2f}{ci}"


def _rate(value: float | None) -> str:
    return DASH if value is None else f"{100 * value:.1f}%"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th style='{_CELL} text-align:left'>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td style='{_CELL}'>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table cellspacing='0' border='0'><tr>{head}</tr>{body}</table>"


def performance_html(perf: dict[str, Any] | None) -> str:
    """The reader-performance box as rich text (also what the tests read)."""
    if perf is None:
        return "<p>Reader performance is not shown while the study is blinded.</p>"
    parts = [f"<p><b>{perf['n_analysed']}</b> patients analysed · <b>{perf['n_resolved']}</b> with a central "
             f"result · <b>{perf['n_pending']}</b> pending adjudication</p>"]  # fmt: skip
    pairs = perf.get("reader_pairs") or []
    parts.append("<h4>Reader vs reader (confirmed best overall response)</h4>")
    if pairs:
        parts.append(_table(
            ["Readers", "n", "Agreement", "Cohen's κ (95% CI)", "Discordant"],
            [[" vs ".join(p["readers"]), str(p["n"]), _pct(p.get("percent_agreement")), _kappa(p),
              str(p.get("n_discordant", DASH))] for p in pairs],
        ))  # fmt: skip
    else:
        parts.append("<p>No patient was read by two central readers.</p>")
    per_reader = perf.get("per_reader") or {}
    parts.append("<h4>Each reader vs the adjudicated result</h4>")
    if per_reader:
        rows = []
        for name, block in per_reader.items():
            vs = block["vs_adjudicated"]
            chosen = f"{block['chosen']}/{block['adjudicated_cases']}"
            if block.get("chosen_percent") is not None:
                chosen += f" ({block['chosen_percent']:.0f}%)"
            read, pending = block.get("patients_read", vs["n"]), block.get("pending", 0)
            rows.append([name, f"{vs['n']} of {read}", str(pending), _pct(vs.get("percent_agreement")), _kappa(vs),
                         chosen])  # fmt: skip
        parts.append(_table(["Reader", "n (resolved of read)", "Pending", "Agreement", "Cohen's κ (95% CI)",
                             "Read chosen"], rows))  # fmt: skip
        parts.append(
            "<p>Agreement with the adjudicated result is over the resolved patients only; patients "
            "pending adjudication are counted apart.</p>"
        )
    codes = perf.get("reason_codes")
    if codes is not None:  # issue 12 item 4: why the readers differed, by the adjudicator's code
        parts.append("<h4>Decisions by discordance reason code</h4>")
        parts.append(
            _table(["Reason code", "Decisions"], [[label, str(n)] for label, n in reason_codes.count_rows(codes)])
        )
    inv = perf.get("investigator_vs_central")
    parts.append("<h4>Investigator vs central review</h4>")
    if inv is None:
        parts.append("<p>No investigator reads and central reads to compare.</p>")
    else:
        agreement, disc = inv["agreement"], inv["discrepancy"]
        counts = disc.get("counts", {})
        parts.append(_table(
            ["n", "BOR agreement", "Cohen's κ", "EDR", "LDR"],
            [[str(agreement["n"]), _pct(agreement.get("percent_agreement")), _kappa(agreement),
              _rate(disc.get("edr")), _rate(disc.get("ldr"))]],
        ))  # fmt: skip
        cells = disc.get("cells", {})
        legend = " · ".join(f"{k} {counts.get(k, 0)} ({escape(v)})" for k, v in cells.items())
        parts.append(
            f"<p style='color:gray'>EDR = {escape(disc.get('edr_formula', ''))}; LDR = "
            f"{escape(disc.get('ldr_formula', ''))}; {legend}. Tolerance {disc.get('tolerance_days', 0)} d. "
            f"{escape(disc.get('reference', ''))}.</p>"
        )
    return "".join(parts)


class ReaderPerformanceView(QWidget):
    """A scrollable rich-text box over :func:`performance_html`. Signals: none. GUI thread only; it is
    filled by the adjudication panel with data loaded on the database lane."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel("Loading…")
        self.label.setObjectName("reader_performance")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(scroll)
        self.performance: dict[str, Any] | None = None

    def set_performance(self, perf: dict[str, Any] | None) -> None:
        self.performance = perf
        self.label.setText(performance_html(perf))

    def set_loading(self) -> None:
        if self.performance is None:
            self.label.setText("Loading…")
