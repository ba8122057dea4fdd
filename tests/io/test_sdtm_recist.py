"""SDTM import of the pharmaverse ``recist/`` delivery: 8 assessed subjects, each read by three evaluators."""

from __future__ import annotations

from collections import Counter
from datetime import date

from hccreview.domain.records import LesionKind, LesionStatus, ReadRole
from hccreview.io.sdtm_reads import reader_key

READERS = {"investigator", "radiologist-1", "radiologist-2"}


def test_no_errors_and_every_record_arrives(recist_parsed, pharmaverse, raw_domain) -> None:
    folder = pharmaverse / "recist"
    parsed = recist_parsed
    assert parsed.errors == []
    records = {k: len(v) for k, v in parsed.records.items()}
    dm, tu, tr, rs = (raw_domain(folder, d) for d in ("dm", "tu", "tr", "rs"))
    assert records["subjects"] == len(dm) == 306
    assert records["follow_up"] == len(dm)
    assert records["lesions"] == len(tu) == 75
    assert records["reads"] == int((rs.RSTESTCD == "OVRLRESP").sum()) == 66
    assert records["adverse_events"] == len(raw_domain(folder, "ae"))
    assert records["cycles"] == len(raw_domain(folder, "ex"))
    # measurements: LDIAM (targets; a node's LPERP joins its LDIAM as the short axis) + TUMSTATE (non-targets);
    # LPERP of a non-nodal lesion is not RECIST 1.1 and exact repeats are kept once (hccreview.io.sdtm_tumour)
    kept = tr[tr.TRTESTCD.isin(["LDIAM", "TUMSTATE"])]
    repeats = kept.drop(columns="TRSEQ").duplicated().sum()
    assert repeats == 39
    assert records["measurements"] == len(kept) - repeats == 273
    assert parsed.counts == {f"{d}.csv": len(raw_domain(folder, d)) for d in ("ae", "dm", "ds", "ex", "rs", "tr", "tu")}
    assert any("189 LPERP measurements of non-nodal lesions not used" in n for n in parsed.notes)
    assert not any("LPERP 234" in n for n in parsed.notes)  # LPERP is no longer "not used" as a whole
    assert any("39 rows repeating another row exactly" in n for n in parsed.notes)


def test_each_radiologist_is_a_read_source(recist_parsed) -> None:
    reads = recist_parsed.records["reads"]
    assert {r.reader for r in reads} == READERS
    assert {r.reader for r in recist_parsed.records["lesions"]} == READERS
    assert {m.reader for m in recist_parsed.records["measurements"]} == READERS
    assert Counter(r.reader for r in reads) == {k: 22 for k in READERS}
    for r in reads:
        assert r.role is (ReadRole.INVESTIGATOR if r.reader == "investigator" else ReadRole.READER)
    # RSACPTFL "Y" marks the accepted independent read: one per visit, never the investigator's
    accepted = [r for r in reads if r.accepted]
    assert len(accepted) == 22 and all(r.role is ReadRole.READER for r in accepted)


def test_reader_keys() -> None:
    assert reader_key("INVESTIGATOR", "") == "investigator"
    assert reader_key("", "") == "investigator"
    assert reader_key("INDEPENDENT ASSESSOR", "RADIOLOGIST 1") == "radiologist-1"
    assert reader_key("INDEPENDENT ASSESSOR", "") == "independent-assessor"
    assert reader_key("Independent assessor", "Dr. J. Smith") == "dr-j-smith"


def test_stated_responses_kept_verbatim(recist_parsed, pharmaverse, raw_domain) -> None:
    rs = raw_domain(pharmaverse / "recist", "rs")
    stated = Counter(rs.loc[rs.RSTESTCD == "OVRLRESP", "RSSTRESC"])
    assert Counter(r.overall for r in recist_parsed.records["reads"]) == stated


def test_partial_assessment_date_imputed_to_month_end_with_warning(recist_parsed) -> None:
    week6 = [r for r in recist_parsed.records["reads"] if r.subject_id == "01-701-1015" and r.visit == "WEEK 6"]
    assert len(week6) == 3
    assert all(r.date == date(2014, 2, 28) and r.date_imputed for r in week6)
    assert sum(r.date_imputed for r in recist_parsed.records["reads"]) == 3
    warned = [w for w in recist_parsed.warnings if w.file == "rs.csv" and w.field == "RSDTC"]
    assert [(w.row, w.value, w.subject_id) for w in warned] == [
        (4, "2014-02", "01-701-1015"),
        (5, "2014-02", "01-701-1015"),
        (6, "2014-02", "01-701-1015"),
    ]
    assert all("imputed" in w.reason for w in warned)
    # the matching TR measurements are imputed the same way, so reads and measurements share the date
    tr_days = {
        m.date for m in recist_parsed.records["measurements"] if m.visit == "WEEK 6" and m.subject_id == "01-701-1015"
    }
    assert tr_days == {date(2014, 2, 28)}
    assert any(w.file == "tr.csv" and w.field == "TRDTC" for w in recist_parsed.warnings)


def test_lesions_and_measurements(recist_parsed) -> None:
    lesions = recist_parsed.records["lesions"]
    assert Counter(x.kind for x in lesions) == {LesionKind.TARGET: 60, LesionKind.NON_TARGET: 15}
    nodes = [x for x in lesions if x.is_node]
    assert nodes and all(x.organ == "LYMPH NODE" for x in nodes)
    by_key = {(x.subject_id, x.reader, x.lesion_id): x for x in lesions}
    for m in recist_parsed.records["measurements"]:
        lesion = by_key[(m.subject_id, m.reader, m.lesion_id)]
        if lesion.kind is LesionKind.TARGET:
            assert m.diameter_mm is not None and m.diameter_mm >= 0
            # nodes: LPERP (longest perpendicular) is the short axis RECIST 1.1 §4.3.1 sums; others have none
            assert (m.short_axis_mm is not None) == lesion.is_node
            if lesion.is_node:
                assert m.short_axis_mm <= m.diameter_mm
            assert m.status is (LesionStatus.ABSENT if m.diameter_mm == 0 else LesionStatus.PRESENT)
        else:
            assert m.diameter_mm is None and m.status in (LesionStatus.PRESENT, LesionStatus.ABSENT)
    one = [
        m
        for m in recist_parsed.records["measurements"]
        if (m.subject_id, m.reader, m.lesion_id, m.date) == ("01-701-1015", "radiologist-1", "T01", date(2014, 1, 2))
    ]
    assert len(one) == 1 and one[0].diameter_mm == 21.0 and one[0].visit == "SCREENING"
    node = [
        m
        for m in recist_parsed.records["measurements"]
        if (m.subject_id, m.reader, m.lesion_id, m.date) == ("01-701-1015", "radiologist-1", "T02", date(2014, 1, 2))
    ]  # TR: LDIAM 33.6128, LPERP 32.32 (TULOC LYMPH NODE)
    assert [(m.diameter_mm, m.short_axis_mm) for m in node] == [(33.6128, 32.32)]
    keys = [(m.subject_id, m.reader, m.lesion_id, m.date) for m in recist_parsed.records["measurements"]]
    assert len(keys) == len(set(keys))  # one measurement per lesion and date


def test_subjects_and_settings(recist_parsed) -> None:
    subjects = recist_parsed.records["subjects"]
    assert sum(s.screen_failure for s in subjects) == 52
    first = next(s for s in subjects if s.subject_id == "01-701-1015")
    assert (first.site, first.sex, first.age, first.arm) == ("701", "F", 63, "Placebo")
    assert first.birth_date == date(1950, 12, 26)
    assert first.randomisation_date == first.first_dose_date == date(2014, 1, 2)
    assert first.etiology == "" and first.ecog is None  # HCC fields absent from this delivery
    s = recist_parsed.settings
    assert s["title"] == "CDISCPILOT01" and s["origin"] == "randomisation" and s["criteria"] == "RECIST 1.1"
    assert (s["confirmation_days"], s["min_sd_days"]) == (28, 42)
    follow = {f.subject_id: f for f in recist_parsed.records["follow_up"]}
    # last known alive: the latest complete date (here DM RFPENDTC 2014-07-02T11:45)
    assert follow["01-701-1015"].last_known_alive == date(2014, 7, 2) and follow["01-701-1015"].death_date is None


def test_adverse_events_without_ctcae_grade(recist_parsed) -> None:
    aes = recist_parsed.records["adverse_events"]
    assert all(a.grade is None for a in aes) and {a.severity for a in aes} == {"MILD", "MODERATE", "SEVERE"}
    assert {a.attribution for a in aes} <= {"probable", "possible", "none", "remote", ""}
    partial = [w for w in recist_parsed.warnings if w.file == "ae.csv" and w.field == "AESTDTC"]
    assert len(partial) == 26
    row = partial[0].row
    ae = [a for a in aes if a.subject_id == partial[0].subject_id and a.onset == date(int(partial[0].value[:4]), 1, 1)]
    assert ae, f"AE of row {row} keeps the earliest possible onset"
    assert any("no CTCAE grade" in n for n in recist_parsed.notes)


def test_node_short_axes_go_out_as_lperp_and_come_back(recist_parsed, tmp_path) -> None:
    """SDTM export (docs/sdtm-export.md): a node's short axis is TR LPERP (RECIST 1.1 §4.3.1), read back equal."""
    from hccreview.domain.records import StudyData, StudySettings
    from hccreview.io.sdtm import read_sdtm
    from hccreview.io.sdtm_export import sdtm_domains, write_sdtm

    rec = recist_parsed.records
    data = StudyData(
        settings=StudySettings(title="t", protocol="P"),
        subjects=tuple(rec["subjects"]),
        lesions=tuple(rec["lesions"]),
        measurements=tuple(rec["measurements"]),
    )
    frames, _notes = sdtm_domains(data)
    tr = frames["tr"]
    axes = [m for m in rec["measurements"] if m.short_axis_mm is not None]
    assert int(tr.TRTESTCD.eq("LPERP").sum()) == len(axes) == 45 and not tr.TRTESTCD.eq("SAXIS").any()
    write_sdtm(data, tmp_path)
    back = read_sdtm(tmp_path)
    key = lambda m: (m.subject_id, m.reader, m.lesion_id, m.date)  # noqa: E731
    assert sorted((key(m), m.short_axis_mm) for m in back.records["measurements"] if m.short_axis_mm is not None) == (
        sorted((key(m), m.short_axis_mm) for m in axes)
    )
