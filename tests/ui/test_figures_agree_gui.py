"""Figures that agree on screen (issue 18 item 5): the window's labels read and compared with ``stats --json``.

On the demo (9 patients pending) and after one decision is signed: the status bar's adjudication line, the
adjudication queue's counts line and the dashboard's review line say the same counts (the one definition,
``domain.adjudication_status``); the dashboard's summary gives the ORR and PFS of ``stats --json``; the case
header of a pending patient says PFS pending (no number), and of an analysed patient the PFS of ``stats --json``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from hccreview import cli
from hccreview.domain.adjudication_status import AdjudicationCounts
from hccreview.services import adjudication as adj
from hccreview.services import auth
from hccreview.services.session import open_study
from tests.ui.conftest import DEMO_PASSWORDS

TIMEOUT = 30000


def _stats(path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    assert cli.run(["stats", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _sign_one(path: Path) -> str:
    with open_study(path) as session:
        auth.sign_in(session, "adjudicator", DEMO_PASSWORDS["adjudicator"])
        first = adj.discordance_queue(session)[0]
        adj.adjudicate(session, subject_id=first.subject_id, chosen_reader=first.readers[0], reason="read 1 stands",
                       reason_code="measurement")  # fmt: skip
        adj.sign_adjudication(session, subject_id=first.subject_id, password=DEMO_PASSWORDS["adjudicator"])
        return first.subject_id


@pytest.mark.parametrize("signed", [False, True], ids=["pending", "after-signature"])
def test_the_window_says_what_stats_json_says(
    qtbot, review_study: Path, make_window: Callable[..., object], capsys: pytest.CaptureFixture[str], signed: bool
) -> None:  # type: ignore[no-untyped-def]
    if signed:
        _sign_one(review_study)
    printed = _stats(review_study, capsys)
    counts = AdjudicationCounts.from_dict(printed["adjudication"]["counts"])
    assert counts.signed == int(signed) and counts.open == printed["pfs"]["excluded_pending"]

    window = make_window(review_study)
    tabs = window.tabs  # type: ignore[attr-defined]
    panel = tabs.adjudication
    qtbot.waitUntil(lambda: tabs.adjudication_label.text() == counts.text, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: panel.queue.counts.text() == counts.text, timeout=TIMEOUT)

    dashboard = tabs.dashboard
    tabs.setCurrentWidget(dashboard)
    qtbot.waitUntil(lambda: dashboard.data is not None and counts.text in dashboard.review_label.text(),
                    timeout=TIMEOUT)  # fmt: skip
    assert f"{printed['pfs']['excluded_pending']} pending" in dashboard.review_label.text()
    summary = dashboard.summary_label.text()
    orr, n = printed["response"]["orr"], printed["n_enrolled"]
    assert f"ORR <b>{100 * orr['rate']:.1f}%</b> ({orr['n']}/{n};" in summary
    assert f"Median PFS <b>{printed['pfs']['median_months']:.1f}</b> mo" in summary

    # the case header: a pending patient's PFS is pending, an analysed one's is stats --json's
    subjects = {s["id"]: s for s in printed["subjects"]}
    pending = next(sid for sid, s in subjects.items() if s["pfs_status"] == "pending")
    analysed = next(sid for sid, s in subjects.items() if s["pfs_status"] == "analysed" and s["pfs_event"])
    case = window.case_view  # type: ignore[attr-defined]
    tabs.setCurrentWidget(case)
    for sid in (pending, analysed):
        case.show_subject(sid)
        qtbot.waitUntil(lambda sid=sid: case.detail is not None and case.detail.case.subject.subject_id == sid,
                        timeout=TIMEOUT)  # fmt: skip
        text = re.sub(r"<[^>]+>", "", case.header.endpoints.text())
        if sid == pending:
            assert "PFS pending" in text and "PFS 0" not in text
        else:
            assert f"PFS {subjects[sid]['pfs_months']:.1f}" in text, text
