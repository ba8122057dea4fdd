"""Study-agnostic screens (issue 23 item 2, pytest-qt): the real SDTM ``onco`` study (three arms, placebo, not
an HCC study) shows no HCC field, no Child-Pugh tab and the regimen from EX; the demo's case view is unchanged;
``stats`` prints no Child-Pugh line and a toxicity table without CTCAE grades says so."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack

from hccreview.services.dashboard_process import LocalDashboard
from hccreview.services.session import StudySession, open_study
from hccreview.services.stats import cohort_stats, format_summary
from hccreview.ui.bus import ChangeBus
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.views.case_view import CaseView
from hccreview.ui.views.dashboard import DashboardPanel
from hccreview.ui.workers import Runner

#: A placebo patient of the onco delivery: three EX records of PLACEBO 0 mg QD (EXDOSFRQ), none of an HCC field.
PLACEBO = "01-701-1015"
#: A high-dose patient: XANOMELINE 54 mg, then 81 mg QD.
HIGH_DOSE = "01-701-1028"
HCC_WORDS = ("BCLC", "ECOG", "AFP", "Child-Pugh", "Extrahepatic", "macrovascular", "sorafenib", "etiology")


@pytest.fixture
def onco(sdtm_template: Callable[[str], Path], tmp_path: Path) -> Iterator[StudySession]:
    session = open_study(shutil.copyfile(sdtm_template("onco"), tmp_path / "onco.db"), user="tester")
    yield session
    session.close()


def _case_view(qtbot, session: StudySession) -> tuple[CaseView, Runner]:  # type: ignore[no-untyped-def]
    runner = Runner()
    view = CaseView(PanelContext(session, ChangeBus(), runner, QUndoStack()))
    qtbot.addWidget(view)
    view.resize(1366, 768)
    view.show()
    return view, runner


def _show(qtbot, view: CaseView, subject: str) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(view.loaded, timeout=20000):
        view.show_subject(subject)


def test_the_onco_case_view_shows_no_hcc_field_and_the_regimen_from_ex(qtbot, onco: StudySession) -> None:  # type: ignore[no-untyped-def]
    view, runner = _case_view(qtbot, onco)
    _show(qtbot, view, PLACEBO)
    header = view.header
    shown = " ".join(label.text() for label in (header.baseline, header.child_pugh, header.disease))
    assert header.baseline.text().endswith("Placebo")  # the arm stays
    assert not [word for word in HCC_WORDS if word.casefold() in shown.casefold()], shown
    assert header.child_pugh.isHidden() and header.disease.text().startswith("Criteria: RECIST 1.1 · origin: ")
    cycles = view.panels["cycles"]
    assert cycles.model.rowCount() == 3
    assert cycles.summary.text() == "<b>3</b> cycles received · 0 mg planned: no dose intensity · 0 delays (0 days)"
    assert cycles.schedule.text() == (
        "Planned: Placebo 0 mg QD (arm Placebo: the dose its patients' treatment records give on the most days). "
        "Dose intensity: delivered over planned dose per unit time (Hryniuk & Bush 1984)."
    )
    assert "25 mg" not in cycles.schedule.text() and "28-day" not in cycles.schedule.text()
    aes = view.panels["adverse_events"].model
    rows = [[aes.data(aes.index(r, c)) for c in range(3)] for r in range(aes.rowCount())]
    assert ["Application site pruritus", "General disorders and administration site conditions", "mild"] in rows
    assert ["Diarrhoea", "Gastrointestinal disorders", "mild"] in rows  # as delivered, in MedDRA case
    _show(qtbot, view, HIGH_DOSE)
    assert cycles.schedule.text().startswith("Planned: Xanomeline 81 mg QD (arm Xanomeline High Dose")
    assert "No cycle received" not in cycles.summary.text()
    runner.wait()


def test_the_demo_case_view_is_unchanged(qtbot, demo_copy: Path) -> None:  # type: ignore[no-untyped-def]
    with open_study(demo_copy, user="tester") as session:
        view, runner = _case_view(qtbot, session)
        _show(qtbot, view, "HCC-002")
        header, cycles = view.header, view.panels["cycles"]
        # the texts as they were before issue 23 (every demo patient's header and cycles lines compared)
        assert (
            header.baseline.text() == "Site 01 · male, 44 y · HBV · BCLC B · ECOG 0 · AFP 54 ng/mL · lenalidomide 25 mg"
        )
        assert header.child_pugh.text() == (
            "Child-Pugh <b>A</b> (5 points) — bilirubin 0.9 mg/dL: 1 · albumin 4.3 g/dL: 1 · INR 0.97: 1 · "
            "ascites none: 1 · encephalopathy none: 1 <i>(table albumin-2.8)</i>"
        )
        assert header.disease.text() == (
            "Extrahepatic disease: <b>no</b> · macrovascular invasion: no · prior sorafenib: progressed · "
            "criteria: RECIST 1.1 · origin: 2008-09-23 (first dose)"
        )
        assert cycles.schedule.text() == (
            "Planned: 25 mg on days 1–21 of every 28-day cycle. Dose intensity: delivered over planned dose per "
            "unit time (Hryniuk & Bush 1984)."
        )
        assert cycles.summary.text() == (
            "<b>10</b> cycles received · total 5,250 mg of 5,250 mg planned (100 %) · relative dose intensity "
            "<b>100 %</b> · 0 reductions · 0 delays (0 days) · current dose 25 mg"
        )
        runner.wait()


def test_the_onco_dashboard_has_no_child_pugh_tab_and_counts_severity(qtbot, onco: StudySession) -> None:  # type: ignore[no-untyped-def]
    runner = Runner()
    panel = DashboardPanel(PanelContext(onco, ChangeBus(), runner, QUndoStack()), backend=LocalDashboard(onco))
    qtbot.addWidget(panel)
    panel.resize(1366, 768)
    with qtbot.waitSignal(panel.updated, timeout=30000):
        panel.show()
    tabs = panel.plot_tabs
    shown = [tabs.tabText(i) for i in range(tabs.count()) if tabs.isTabVisible(i)]
    assert shown and not [t for t in shown if "Child-Pugh" in t], shown
    toxicity = panel.tables["toxicity"].model()
    headers = [str(toxicity.headerData(c, Qt.Orientation.Horizontal)) for c in range(toxicity.columnCount())]
    assert "Worst severity severe" in headers and not [h for h in headers if h.startswith("Grade")]
    assert panel.tables["toxicity"].toolTip().startswith("The data carry no CTCAE grade (severity: mild / moderate")
    baseline = panel.data.baseline_table if panel.data else None
    assert baseline is not None and not {"BCLC stage", "Child-Pugh class", "ECOG"} & set(baseline["Characteristic"])
    runner.wait()
    panel.close()
    runner.wait()


def test_onco_stats_text_has_no_child_pugh_line_and_no_grade_zeros(onco: StudySession) -> None:
    stats = cohort_stats(onco)
    full = format_summary(stats)
    text, labs = full.split("\nLaboratory toxicity — ")  # the LB grades (issue 23 item 3) are real, labelled grades
    assert labs.startswith("laboratory (CTCAE v5.0 from LB), patients by worst post-baseline grade")
    assert "Child-Pugh" not in full and "G3" not in text
    assert "The data carry no CTCAE grade (severity: mild / moderate / severe)." in text
    assert "Toxicity (patients by worst severity): term — any / mild / moderate / severe" in text
    assert "PRURITUS" not in text and "  Pruritus: " in text  # one case convention
    d = stats.to_dict()
    assert d["baseline"]["child_pugh"] == {"A": 0, "B": 0, "C": 0}  # DESIGN §7 keeps the field and its type
    assert d["collected"]["child_pugh"] is False and d["collected"]["arms"] == [
        "Placebo", "Xanomeline High Dose", "Xanomeline Low Dose"]  # fmt: skip
    assert d["subgroups"]["available"] == ["arm", "sex", "age_group"]


def test_the_onco_cohort_pdf_has_no_child_pugh_and_counts_severity(onco: StudySession, tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    from hccreview.services.reporting import render_report

    render_report(onco, tmp_path / "onco.pdf")
    text = " ".join(re.sub(r"\s+", " ", page.extract_text()) for page in pypdf.PdfReader(tmp_path / "onco.pdf").pages)
    labs = re.compile(r"Table 3b\. Laboratory toxicity, laboratory \(CTCAE v5\.0 from LB\).*?Percentages of the "
                      r"patients analysed\.")  # the LB grades (issue 23 item 3): real grades, labelled  # fmt: skip
    assert labs.search(text)
    assert "Child-Pugh" not in text and "BCLC" not in text and "Grade 3" not in labs.sub("", text)
    assert "The data carry no CTCAE grade (severity: mild / moderate / severe): patients are counted" in text
    assert "Table 3. Patients by worst severity per term (n = 254)" in text
    assert "Application site pruritus General disorders and administration site conditions 50 (19.7%) 28 21 1" in text


def test_held_cycles_are_named_not_denied_above_their_table() -> None:
    from datetime import date

    from hccreview.domain.dosing import dose_summary
    from hccreview.domain.records import Cycle
    from hccreview.ui.views.case_cycles import dose_summary_text

    held = [Cycle("S1", 1, date(2024, 1, 1), 0.0, 0), Cycle("S1", 2, date(2024, 1, 29), 0.0, 0)]
    text = dose_summary_text(dose_summary(held))
    assert text == "None of the 2 cycles recorded was received (each held: 0 mg or no day dosed)."
    assert dose_summary_text(dose_summary([])) == "No cycle received."  # and an empty table says so
