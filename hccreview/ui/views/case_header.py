"""The case view's header: who the patient is at baseline and what the rules engine makes of the case.

Baseline (age, sex, etiology, BCLC, ECOG, AFP), Child-Pugh points and class with each component, the table
variant used, extrahepatic disease, prior sorafenib, review state; best overall response per source
(``ui.wording.best_response_text``: "PR (confirmed)", "PD", "pending"; the deciding rule as tooltip); PFS and OS in
months with event / censoring.

What the study does not collect (``domain.collected``: e.g. BCLC, AFP, Child-Pugh in a non-HCC study) is absent
from the header, not shown as missing ("BCLC —") for every patient (issue 23); a study that collects it shows
"—" where one patient lacks it.

Access (DESIGN §4b): the caller passes the read sources the user may see (``services.reading.allowed_sources``)
and whether they may see clinical data; without it the clinical lines (baseline disease, Child-Pugh, extrahepatic
disease, PFS / OS) are absent, and only the allowed sources get a best-response chip.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from hccreview.domain.cohort import PFS_PENDING_REASON, SubjectOutcome
from hccreview.domain.endpoints import EndpointResult
from hccreview.domain.records import ReadRole
from hccreview.domain.sources import Source
from hccreview.report.figures import readable_text, response_colour
from hccreview.services.case_extra import CaseDetail
from hccreview.ui.flow_layout import FlowLayout
from hccreview.ui.wording import best_response_text, rule_text, words

_CP_UNITS = {"bilirubin": ("bilirubin", "bilirubin_mg_dl", " mg/dL"), "albumin": ("albumin", "albumin_g_dl", " g/dL"),
             "inr": ("INR", "inr", ""), "ascites": ("ascites", "ascites", ""),
             "encephalopathy": ("encephalopathy", "encephalopathy", "")}  # fmt: skip
_STATE_COLOURS = {"not started": "#9e9e9e", "in progress": "#f9a825", "reviewed": "#2e7d32",
                  "changed since review": "#e65100"}  # fmt: skip


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else "yes" if value else "no"


def chip_style(colour: str) -> str:
    """Stylesheet of a colour chip label (the only fixed colours: they carry meaning)."""
    return f"QLabel {{ background: {colour}; color: {readable_text(colour)}; border-radius: 3px; padding: 1px 6px; }}"


def shown_sources(detail: CaseDetail) -> list[tuple[str, SubjectOutcome]]:
    """The outcomes per source, without "reader:NAME" when NAME is the one investigator (the same reads)."""
    case = detail.case
    investigators = {r.reader for rs in case.reads.values() for _, r in rs if r.role is ReadRole.INVESTIGATOR}
    out = []
    for source, outcome in case.outcomes.items():
        reader = Source.parse(source).reader
        if reader is not None and "investigator" in case.outcomes and investigators == {reader}:
            continue
        out.append((source, outcome))
    return out


class CaseHeader(QWidget):
    """Baseline, Child-Pugh, best response per source and PFS / OS of the shown patient.

    Filled with :meth:`set_detail` (labels are reused: no widget is rebuilt when stepping). Signals: none.
    GUI thread only.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state = QLabel()
        self.baseline = QLabel()
        self.child_pugh = QLabel()
        self.disease = QLabel()
        self.endpoints = QLabel()
        for label in (self.baseline, self.child_pugh, self.disease, self.endpoints):
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._chips: list[QLabel] = []
        # the chips wrap at the header's width (issue 19): however many sources a study has and however long
        # their names, the row asks only for its widest chip, never for the window to widen
        self._chip_flow = FlowLayout(spacing=6, line_spacing=2)
        self._best_row = QHBoxLayout()
        self._best_row.setSpacing(6)
        self._best_title = QLabel("<b>Best response</b>")
        self._best_row.addWidget(self._best_title, 0, Qt.AlignmentFlag.AlignTop)
        self._best_row.addLayout(self._chip_flow, 1)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addWidget(self.baseline, 1)
        top.addWidget(self.state, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(3)
        layout.addLayout(top)
        layout.addWidget(self.child_pugh)
        layout.addWidget(self.disease)
        layout.addLayout(self._best_row)
        layout.addWidget(self.endpoints)
        self.clear("No patient selected")

    # ------------------------------------------------------------------ filling
    def clear(self, text: str) -> None:
        """Show ``text`` instead of a patient."""
        self.title.setText(text)
        for label in (self.baseline, self.child_pugh, self.disease, self.endpoints, self.state):
            label.clear()
        self.state.setStyleSheet("")
        self._show_chips([])

    def show_loading(self, subject_id: str) -> None:
        """Mark the header as loading ``subject_id`` (the previous patient's figures stay until it lands)."""
        self.title.setText(f"{subject_id} …")

    def set_detail(self, detail: CaseDetail, *, sources: list[str] | None = None, clinical: bool = True) -> None:
        """Show ``detail``: best-response chips for ``sources`` only (None: every source of the case); the
        clinical lines only when ``clinical`` (the user may see clinical data)."""
        case = detail.case
        s = case.subject
        allowed = list(case.outcomes) if sources is None else sources
        self.title.setText(s.subject_id)
        sex = {"M": "male", "F": "female"}.get(s.sex.upper(), s.sex or "sex not given")
        site = escape(s.site) if s.site.lower().startswith("site") else f"site {escape(s.site)}" if s.site else ""
        parts = [site, f"{sex}, {s.age} y" if s.age is not None else sex]
        has = case.collected
        if clinical:
            parts += [
                (escape(s.etiology) or "etiology not given") if has.etiology else "",
                f"BCLC {escape(s.bclc_stage) or '—'}" if has.bclc else "",
                f"ECOG {s.ecog if s.ecog is not None else '—'}" if has.ecog else "",
                (f"AFP {s.afp_ng_ml:,.0f} ng/mL" if s.afp_ng_ml is not None else "AFP —") if has.afp else "",
                escape(s.arm) if s.arm else "",
            ]  # fmt: skip
        parts.append("<b>screen failure</b>" if s.screen_failure else "")
        self.baseline.setText(" · ".join(p for p in parts if p))
        self.state.setText(case.review_state)
        self.state.setStyleSheet(chip_style(_STATE_COLOURS.get(case.review_state, "#9e9e9e")))
        self.state.setToolTip("Your review state of this patient")
        show_cp = clinical and has.child_pugh
        self.child_pugh.setVisible(show_cp)
        self.child_pugh.setText(self._child_pugh_text(detail) if show_cp else "")
        if clinical:
            origin = f"{detail.origin.isoformat()} ({escape(words(detail.origin_rule))})" if detail.origin else "none"
            disease = [
                f"Extrahepatic disease: <b>{_yes_no(s.extrahepatic)}</b>" if has.extrahepatic else "",
                f"macrovascular invasion: {_yes_no(s.macrovascular_invasion)}" if has.macrovascular_invasion else "",
                f"prior sorafenib: {escape(s.prior_sorafenib) or 'not recorded'}" if has.prior_sorafenib else "",
                f"criteria: {escape(case.criteria)}",
                f"origin: {origin}",
            ]
            text = " · ".join(p for p in disease if p)
            self.disease.setText(text[:1].upper() + text[1:])
        else:
            self.disease.setText(f"Criteria: {escape(case.criteria)}")
        self._show_chips([(src, o) for src, o in shown_sources(detail) if src in allowed])
        source = detail.default_source if detail.default_source in allowed else next(iter(allowed), None)
        self.endpoints.setVisible(clinical)
        self.endpoints.setText(self._endpoint_text(detail, source) if clinical else "")
        self.endpoints.setToolTip(self._endpoint_tooltip(detail, allowed) if clinical else "")
        self._keep_height()

    def _keep_height(self) -> None:
        """Grow, never shrink: a header that changes height per patient would resize (and so re-render) the
        plots below on every step."""
        layout = self.layout()
        if layout is not None and layout.hasHeightForWidth():
            height = layout.totalHeightForWidth(self.width())
        else:
            height = self.sizeHint().height()
        if height > self.minimumHeight():
            self.setMinimumHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """A new width (the window or the splitter moved) may need fewer lines: measure again."""
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.setMinimumHeight(0)
            self._keep_height()

    def chip_texts(self) -> list[str]:
        """The best-response chips as shown, in order ("Adjudicated: PR (confirmed)", "Reader reader1: PD")."""
        return [chip.text() for chip in self._chips if not chip.isHidden()]

    # ------------------------------------------------------------------ parts
    @staticmethod
    def _child_pugh_text(detail: CaseDetail) -> str:
        case = detail.case
        cp, score = case.child_pugh, case.child_pugh_score
        if cp is None:
            return "Child-Pugh: <i>no baseline components recorded</i>"
        if score is None:
            return f"Child-Pugh: <i>cannot be scored: {escape(case.child_pugh_error or '')}</i>"
        if score.cls:
            head = f"Child-Pugh <b>{score.cls}</b> ({score.total} points)"
        else:
            head = f"Child-Pugh <b>incomplete</b> (missing {', '.join(score.missing)})"
        items = []
        for name, (title, attr, unit) in _CP_UNITS.items():
            value = getattr(cp, attr)
            shown = "—" if value is None else f"{value:g}{unit}" if isinstance(value, float) else escape(str(value))
            pts = score.points.get(name)
            items.append(f"{title} {shown}: {pts if pts is not None else '?'}")
        return f"{head} — {' · '.join(items)} <i>(table {escape(str(score.variant))})</i>"

    def _show_chips(self, outcomes: list[tuple[str, SubjectOutcome]]) -> None:
        while len(self._chips) < len(outcomes):
            chip = QLabel()
            chip.setTextFormat(Qt.TextFormat.PlainText)
            chip.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            chip.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self._chip_flow.addWidget(chip)
            self._chips.append(chip)
        for chip, (source, outcome) in zip(self._chips, outcomes, strict=False):
            best = outcome.best
            text = f"{Source.parse(source).label(short=True)}: {best_response_text(best.confirmed, best.unconfirmed)}"
            chip.setText(text)
            chip.setStyleSheet(chip_style(response_colour(best.confirmed.value)))
            chip.setToolTip(f"{Source.parse(source).label()}: {rule_text(best.rule)}\n\nSource: {outcome.source_rule}")
            chip.setAccessibleName(text)
            chip.show()
        for chip in self._chips[len(outcomes) :]:
            chip.hide()
            chip.clear()  # a hidden chip keeps nothing of a source no longer shown (another user may sign in)
            chip.setToolTip("")
            chip.setAccessibleName("")
        self._best_title.setVisible(bool(outcomes))

    @staticmethod
    def _endpoint_text(detail: CaseDetail, source: str | None) -> str:
        if source is None or source not in detail.case.outcomes:
            return "PFS / OS: <i>not analysed (no origin)</i>"
        o = detail.case.outcomes[source]

        def one(name: str, r: EndpointResult) -> str:
            status = "event" if r.event else "censored"
            end = r.end_date.isoformat() if r.end_date else "—"
            return f"<b>{name}</b> {r.months:.1f} months ({status} {end})"

        # a patient pending adjudication is outside the PFS population (domain.cohort.pfs_population): no number
        pfs = one("PFS", o.pfs) if o.in_pfs_population else f"<b>PFS</b> <i>pending — {escape(PFS_PENDING_REASON)}</i>"
        return f"{pfs} · {one('OS', o.os)} <i>— source: {escape(Source.parse(source).label())}</i>"

    @staticmethod
    def _endpoint_tooltip(detail: CaseDetail, sources: list[str]) -> str:
        lines = []
        for source, o in detail.case.outcomes.items():
            if source not in sources:
                continue
            pfs = f"PFS {o.pfs.days} days" if o.in_pfs_population else "PFS pending"
            name = Source.parse(source).label(short=True)
            lines.append(f"{name}: {pfs} — {o.pfs.rule}")
            lines.append(f"{name}: OS {o.os.days} days — {o.os.rule}")
        return "\n".join(lines)
