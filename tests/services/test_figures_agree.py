"""Figures that agree everywhere (issue 18 item 5): every figure shown in more than one place, read from each.

Studies: the demo (9 patients pending adjudication), the demo after one signature, after that signature is
re-opened, the real SDTM ``recist`` and ``onco`` deliveries, and a random study (the simulator with another seed
and size). Places: ``stats --json`` (the CLI), the dashboard (``services.dashboard``: its statistics, progress
line, response table and Child-Pugh table), the adjudication queue and its counts line, each patient's case
(``services.case``: best response and PFS as the case header shows them) and the PDF's text. The window's own
labels (status bar, dashboard header, queue line, case header) are compared in ``tests/ui/test_figures_agree_gui.py``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from hccreview import cli
from hccreview.domain.adjudication_status import AdjudicationCounts
from hccreview.services import adjudication as adj
from hccreview.services import auth
from hccreview.services.dashboard import compute_dashboard, load_dashboard_input
from hccreview.services.demo_study import build_demo_study
from hccreview.services.importing import import_into
from hccreview.services.session import open_study

DEMO = {"reader1": "reader1-demo", "reader2": "reader2-demo", "adjudicator": "adjudicator-demo", "admin": "admin-demo"}
STUDIES = ("demo", "demo_signed", "demo_reopened", "random", "recist", "onco")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo variants and the random study (the real deliveries are imported on demand)."""
    root = tmp_path_factory.mktemp("agree")
    demo = build_demo_study(root / "demo.db")
    signed, reopened = root / "signed.db", root / "reopened.db"
    shutil.copyfile(demo, signed)
    with open_study(signed) as session:
        auth.sign_in(session, "adjudicator", DEMO["adjudicator"])
        first = adj.discordance_queue(session)[0]
        adj.adjudicate(session, subject_id=first.subject_id, chosen_reader=first.readers[0], reason="agree with read 1",
                       reason_code="measurement")  # fmt: skip
        adj.sign_adjudication(session, subject_id=first.subject_id, password=DEMO["adjudicator"])
    shutil.copyfile(signed, reopened)
    with open_study(reopened) as session:
        auth.sign_in(session, "admin", DEMO["admin"])
        adj.reopen(session, subject_id=first.subject_id, reason="second look at the meeting")
    random = build_demo_study(root / "random.db", seed=20261207, patients=73)
    return {"demo": demo, "demo_signed": signed, "demo_reopened": reopened, "random": random}


def _study(name: str, built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    if name in built:
        return built[name]
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip(f"real SDTM data not present at {SHARED_DATA} (clone outside the workspace)")
    path = tmp_path_factory.mktemp(name) / f"{name}.db"
    import_into(path, fmt="sdtm", source=SHARED_DATA / name, user="importer")
    built[name] = path
    return path


def _stats_json(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    assert cli.run(["stats", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _pct(n: int, d: int) -> str:
    return f"{n} ({100.0 * n / d:.1f}%)"


@pytest.mark.parametrize("name", STUDIES)
def test_every_place_gives_the_same_figures(
    name: str, built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _study(name, built, tmp_path_factory)
    printed = _stats_json(path, capsys)
    with open_study(path) as session:
        dash = compute_dashboard(load_dashboard_input(session))
        board = dash.stats.to_dict()
        central = bool(adj.discordance_queue(session)) or dash.adjudication is not None
        queue = adj.discordance_queue(session) if dash.adjudication is not None else []

    # 1. the statistics: stats --json and the dashboard are one computation (the adjudication block aside, which
    #    the dashboard shows as its progress line)
    block = printed.pop("adjudication", {})
    # the arms (issue 23): stats --json adds them after the overall figures; the dashboard shows them in its Arms
    # table and per-arm curves (dash.by_arm, with two or more arms), which must give the same figures
    arms = {key: printed.pop(key) for key in ("arms", "by_arm", "comparisons")}
    assert board == printed
    if dash.by_arm is not None:
        assert list(dash.by_arm.names) == arms["arms"]["names"] and len(dash.by_arm.names) >= 2
        for key in ("pfs", "os"):
            shown = {a: (km.n, km.events, km.median_months) for a, km in dash.by_arm.curves(key).items()}
            assert shown == {a: (b[key]["n"], b[key]["events"], b[key]["median_months"])
                             for a, b in arms["by_arm"].items()}  # fmt: skip
    else:
        assert len(arms["arms"]["names"]) < 2 and arms["comparisons"] == []

    # 2. who is in each analysis: pending patients are out of PFS and DoR and in nothing else
    n, pfs, os_, pending = printed["n_enrolled"], printed["pfs"], printed["os"], printed["pfs"]["excluded_pending"]
    subjects = printed["subjects"]
    assert len(subjects) == n and os_["n"] == n
    pending_ids = {s["id"] for s in subjects if s["pfs_status"] == "pending"}
    assert len(pending_ids) == pending == sum(s["bor"] == "PENDING" for s in subjects)
    assert pfs["n"] == n - pending == pfs["events"] + pfs["censored"]
    assert pfs["events"] == sum(bool(s["pfs_event"]) for s in subjects if s["id"] not in pending_ids)
    assert all(s["pfs_months"] is None and s["pfs_date"] is None for s in subjects if s["id"] in pending_ids)
    risk0 = pfs["risk_table"][0] if pfs.get("risk_table") else None
    if risk0 is not None:  # month 0: only analysed patients censored on day 0 are marks there (none excluded)
        at_zero = sum(s["pfs_days"] == 0 and not s["pfs_event"] for s in subjects if s["id"] not in pending_ids)
        assert risk0["at_risk"] == pfs["n"] and risk0["censored_cumulative"] == at_zero

    # 3. subgroups add up to the whole, per endpoint, with the same population rule
    groups = printed["subgroups"]["child_pugh"]
    classified = [s for s in subjects if s["child_pugh"] in groups]
    for cls, g in groups.items():
        members = [s for s in classified if s["child_pugh"] == cls]
        assert g["n"] == len(members) and g["os"]["n"] == len(members)
        assert g["pfs"]["n"] == sum(s["id"] not in pending_ids for s in members)
        assert g["pfs"]["events"] + g["pfs"]["censored"] == g["pfs"]["n"]
        assert g.get("pending", 0) == sum(s["id"] in pending_ids for s in members)
    assert printed["baseline"]["child_pugh"] == {cls: g["n"] for cls, g in groups.items() if g["n"]} or all(
        printed["baseline"]["child_pugh"].get(cls, 0) == g["n"] for cls, g in groups.items()
    )

    # 4. the response table of the dashboard says the ORR / DCR of stats --json
    orr, dcr = printed["response"]["orr"], printed["response"]["dcr"]
    table = dash.response_table.set_index(dash.response_table.columns[0])
    assert table.loc["ORR (CR + PR)", dash.source] == _pct(orr["n"], n)
    assert table.loc["DCR (CR + PR + SD + NON-CR/NON-PD)", dash.source] == _pct(dcr["n"], n)
    assert orr["n"] == sum(s["bor"] in ("CR", "PR") for s in subjects)

    # 5. the adjudication counts: the queue's, the dashboard's progress line and stats --json are one count
    if dash.adjudication is None:
        assert "counts" not in block and not central
        return
    counts = adj.queue_counts(queue)
    assert block["counts"] == counts.to_dict() == dash.adjudication.counts.to_dict()
    assert counts.text in dash.adjudication.text
    assert counts.discordant == len(queue) == counts.open + counts.adjudicated + counts.imported
    assert counts.open == sum(item.status == "open" for item in queue)
    # an open case is a pending patient, and a pending patient is an open case (no pending outside the queue)
    open_ids = {item.subject_id for item in queue if item.status == "open"}
    assert open_ids == pending_ids
    assert dash.adjudication.pending in (None, pending)
    agreement = printed.get("reader_agreement") or {}
    if agreement:
        assert agreement.get("n_discordant") == counts.discordant


@pytest.mark.parametrize("name", ["demo", "demo_reopened", "recist"])
def test_each_case_says_what_the_cohort_says(
    name: str, built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """Per patient, the case (what the case header shows) gives the best response and PFS of ``stats --json``,
    and a pending patient's PFS is pending, never a number."""
    from hccreview.services.case import load_case

    path = _study(name, built, tmp_path_factory)
    stats = _stats_json(path, capsys)
    printed = {s["id"]: s for s in stats["subjects"]}
    with open_study(path) as session:
        for sid, expected in list(printed.items())[:60]:
            outcome = load_case(session, sid).outcomes.get(stats["source"])
            if outcome is None:  # the source has nothing for this patient: no chip in the case header
                assert expected["source_status"] == "none" and expected["bor"] == "MISSING", sid
                continue
            assert outcome.bor == expected["bor"], sid
            if expected["pfs_status"] == "pending":
                assert not outcome.in_pfs_population
            else:
                assert outcome.pfs.days == expected["pfs_days"] and outcome.pfs.event == expected["pfs_event"], sid
                assert outcome.pfs.rule == expected["pfs_rule"], sid


@pytest.mark.parametrize("name", ["demo", "demo_signed", "demo_reopened"])
def test_the_pdf_says_the_same(
    name: str, built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """The cohort PDF's text carries the figures of ``stats --json`` and the one adjudication counts line."""
    path = _study(name, built, tmp_path_factory)
    printed = _stats_json(path, capsys)
    out = tmp_path_factory.mktemp(f"pdf-{name}") / "report.pdf"
    assert cli.run(["report", str(path), "--out", str(out), "--quiet"]) == 0
    extracted = "\n".join(page.extract_text() or "" for page in PdfReader(str(out)).pages)  # pypdf: a test extra
    text = " ".join(extracted.split())
    n, orr = printed["n_enrolled"], printed["response"]["orr"]
    assert _pct(orr["n"], n) in text
    counts = AdjudicationCounts.from_dict(printed["adjudication"]["counts"])
    assert counts.text in text
    median = printed["pfs"]["median_months"]
    assert f"{median:.1f}" in text
    assert f"{printed['pfs']['excluded_pending']} " in text
