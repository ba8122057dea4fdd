"""SDTM import of the pharmaverse ``onco/`` delivery: 254 treated subjects, 56,000 tumour measurements."""

from __future__ import annotations

import time
from collections import Counter
from datetime import date

import pandas as pd
import pytest

from hccreview.domain.recist import timepoint_responses
from hccreview.domain.records import LesionKind, LesionStatus, Response
from hccreview.io.sdtm import read_sdtm

CHECK_SUBJECT = "01-711-1143"


def test_every_record_arrives(onco_parsed, pharmaverse, raw_domain) -> None:
    folder = pharmaverse / "onco"
    parsed = onco_parsed
    assert parsed.errors == []
    n = {k: len(v) for k, v in parsed.records.items()}
    dm, tu, tr, rs, lb = (raw_domain(folder, d) for d in ("dm", "tu", "tr", "rs", "lb"))
    assert n["subjects"] == n["follow_up"] == len(dm) == 306
    assert n["lesions"] == len(tu) == 7734
    # LDIAM (targets; a node's LPERP joins its LDIAM as the short axis) + TUMSTATE (non-target and new lesions);
    # DIAMETER, SUMDIAM and the LPERP of non-nodal lesions are not used (noted)
    assert n["measurements"] == int(tr.TRTESTCD.isin(["LDIAM", "TUMSTATE"]).sum()) == 26724
    assert n["reads"] == int((rs.RSTESTCD == "OVRLRESP").sum()) == 1899
    assert n["adverse_events"] == len(raw_domain(folder, "ae")) == 1191
    assert n["cycles"] == len(raw_domain(folder, "ex")) == 591
    assert n["labs"] == int(pd.to_numeric(lb.LBSTRESN, errors="coerce").notna().sum()) == 58700
    assert {r.subject_id for r in parsed.records["reads"]} == set(rs.USUBJID) and len(set(rs.USUBJID)) == 205
    assert parsed.counts["tr.csv"] == 55995 and parsed.counts["lb.csv"] == 59580
    notes = " | ".join(parsed.notes)
    assert "SUMDIAM 2661" in notes and "13305 DIAMETER rows not used" in notes and "LPERP 13305" not in notes
    assert "11325 LPERP measurements of non-nodal lesions not used" in notes
    assert "880 results without a numeric standard value" in notes


def test_lesion_kinds_readers_and_states(onco_parsed, pharmaverse, raw_domain) -> None:
    lesions = onco_parsed.records["lesions"]
    assert Counter(x.kind for x in lesions) == {
        LesionKind.TARGET: 3810,
        LesionKind.NON_TARGET: 3810,
        LesionKind.NEW: 114,
    }
    assert Counter(x.reader for x in lesions) == {"investigator": 2578, "radiologist-1": 2578, "radiologist-2": 2578}
    assert all(x.lesion_id.startswith(("R1-", "R2-")) == (x.reader != "investigator") for x in lesions)
    statuses = Counter(m.status for m in onco_parsed.records["measurements"])
    tr = raw_domain(pharmaverse / "onco", "tr")
    states = Counter(tr.loc[tr.TRTESTCD == "TUMSTATE", "TRSTRESC"].dropna())
    not_done = int((tr.TRTESTCD.isin(["LDIAM", "TUMSTATE"]) & tr.TRSTAT.eq("NOT DONE")).sum())
    assert statuses[LesionStatus.UNEQUIVOCAL_PROGRESSION] == states["UNEQUIVOCAL"]
    assert statuses[LesionStatus.EQUIVOCAL] == states["EQUIVOCAL"]
    assert statuses[LesionStatus.NOT_ASSESSED] == not_done == 556
    ldiam_zero = int((tr.TRTESTCD.eq("LDIAM") & pd.to_numeric(tr.TRSTRESN, errors="coerce").eq(0)).sum())
    assert statuses[LesionStatus.ABSENT] == states["ABSENT"] + ldiam_zero


def test_check_rows_are_warnings_on_their_subject(onco_parsed) -> None:
    check = [r for r in onco_parsed.records["reads"] if r.overall == "CHECK"]
    assert len(check) == 3 and {r.subject_id for r in check} == {CHECK_SUBJECT}
    assert {r.reader for r in check} == {"investigator", "radiologist-1", "radiologist-2"}
    warned = [w for w in onco_parsed.warnings if w.value == "CHECK"]
    assert len(warned) == 3
    for w in warned:
        assert (w.file, w.field, w.subject_id) == ("rs.csv", "RSSTRESC", CHECK_SUBJECT)
        assert "non-standard response code, counts as NE" in w.reason and w.row is not None


def test_reads_carry_component_responses(onco_parsed) -> None:
    reads = onco_parsed.records["reads"]
    assert sum(bool(r.target) for r in reads) == 1899
    assert sum(bool(r.non_target) for r in reads) == 1896
    # NEWLPROG: UNEQUIVOCAL -> new lesion, EQUIVOCAL -> unknown (not progression until confirmed)
    assert Counter(r.new_lesion for r in reads) == {None: 1899 - 33, True: 33}
    assert sum(r.accepted for r in reads) == 633
    assert Counter(r.non_target for r in reads)["NE"] == 242  # RSSTAT NOT DONE rows keep NE


def test_windows_1252_ts_reads_correctly(onco_parsed) -> None:
    assert onco_parsed.settings["title"] == (
        "Safety and Efficacy of the Xanomeline Transdermal Therapeutic System (TTS) in Patients with Mild to "
        "Moderate Alzheimer\u2019s Disease."
    )
    assert onco_parsed.settings["drug"] == "Xanomeline"
    assert "ts.csv: not valid UTF-8, read as Windows-1252" in onco_parsed.notes


def test_subjects_deaths_and_follow_up(onco_parsed, pharmaverse, raw_domain) -> None:
    subjects = onco_parsed.records["subjects"]
    assert sum(s.screen_failure for s in subjects) == 52
    assert sum(s.randomisation_date is not None for s in subjects) == 254
    assert onco_parsed.settings["origin"] == "randomisation"
    dm = raw_domain(pharmaverse / "onco", "dm")
    deaths = {f.subject_id: f for f in onco_parsed.records["follow_up"] if f.death_date}
    expected = dict(zip(dm.loc[dm.DTHDTC.notna(), "USUBJID"], dm.loc[dm.DTHDTC.notna(), "DTHDTC"], strict=True))
    assert {k: v.death_date.isoformat() for k, v in deaths.items()} == expected
    assert all(f.last_known_alive is None and f.death_cause for f in deaths.values())
    alive = [f for f in onco_parsed.records["follow_up"] if not f.death_date]
    assert all(f.last_known_alive is not None for f in alive)
    # SUPPDM holds population flags only: none is an hccreview subject field
    assert any("COMPLT16" in n and "ignored" in n for n in onco_parsed.notes)


def test_child_pugh_components_converted_with_warning(onco_parsed) -> None:
    cp = {c.subject_id: c for c in onco_parsed.records["child_pugh"]}
    assert len(cp) == 254
    assert all(c.inr is None and c.ascites is None and c.encephalopathy is None for c in cp.values())
    first = cp["01-701-1015"]  # LBBLFL baseline: BILI 10.26 umol/L, ALB 38 g/L
    assert (first.bilirubin_mg_dl, first.albumin_g_dl) == (0.6, 3.8)
    converted = [w for w in onco_parsed.warnings if w.reason.startswith("unit converted")]
    assert {w.value for w in converted} == {"umol/L", "g/L"} and all(w.file == "lb.csv" for w in converted)


def test_first_record_partial_baseline_date(onco_parsed) -> None:
    base = [
        m
        for m in onco_parsed.records["measurements"]
        if m.subject_id == "01-701-1015" and m.reader == "investigator" and m.visit == "BASELINE"
    ]
    assert base and {m.date for m in base} == {date(2014, 1, 2)}  # one baseline assessment
    warned = [w for w in onco_parsed.warnings if w.file == "tr.csv"]
    assert [(w.row, w.field, w.value) for w in warned] == [(1, "TRDTC", "2014-01")]
    assert "the date of the other measurements of this visit (2014-01-02)" in warned[0].reason


def test_reading_is_fast(pharmaverse) -> None:
    started = time.perf_counter()
    read_sdtm(pharmaverse / "onco")
    assert time.perf_counter() - started < 15  # ~1.5 s on a laptop; generous for CI machines


def test_node_short_axis_from_lperp(onco_parsed, pharmaverse, raw_domain) -> None:
    """RECIST 1.1 §4.3.1: a node counts its short axis, TR LPERP (longest perpendicular) for TULOC LYMPH NODE."""
    tr, tu = (raw_domain(pharmaverse / "onco", d) for d in ("tr", "tu"))
    nodes = tu.loc[tu.TULOC.eq("LYMPH NODE"), ["USUBJID", "TULNKID"]].drop_duplicates()
    lperp = tr[tr.TRTESTCD.eq("LPERP")].merge(nodes, left_on=["USUBJID", "TRLNKID"], right_on=["USUBJID", "TULNKID"])
    given = int(pd.to_numeric(lperp.TRSTRESN, errors="coerce").notna().sum())
    lesions = {(x.subject_id, x.reader, x.lesion_id): x for x in onco_parsed.records["lesions"]}
    ms = onco_parsed.records["measurements"]
    with_axis = [m for m in ms if m.short_axis_mm is not None]
    assert len(with_axis) == given == 1962
    assert all(lesions[(m.subject_id, m.reader, m.lesion_id)].is_node for m in with_axis)
    assert all(m.short_axis_mm <= m.diameter_mm for m in with_axis)
    assert sum(m.short_axis_mm != m.diameter_mm for m in with_axis) > 1000  # not the long axis again


def test_node_short_axes_turn_a_pr_into_pd(onco_parsed) -> None:
    """01-717-1357, investigator, 2013-09-03: summed by short axis the targets are 48.9 mm, +21.0 % and +8.5 mm
    over the 40.4 mm nadir: target PD (RECIST 1.1 §4.3.1); by the node's long axis it was 49.4 mm, +19.0 %."""
    sid, reader = "01-717-1357", "investigator"
    lesions = [x for x in onco_parsed.records["lesions"] if (x.subject_id, x.reader) == (sid, reader)]
    ms = [m for m in onco_parsed.records["measurements"] if (m.subject_id, m.reader) == (sid, reader)]
    assert [x.lesion_id for x in lesions if x.is_node] == ["T03"]
    tp = {t.date: t for t in timepoint_responses(lesions, ms)}
    nadir, day = tp[date(2013, 7, 24)], tp[date(2013, 9, 3)]
    assert nadir.target_sum_mm == pytest.approx(40.4)
    assert day.target_sum_mm == pytest.approx(48.9) and day.pct_from_nadir == pytest.approx(21.04, abs=0.01)
    assert day.target is Response.PD and day.overall is Response.PD
