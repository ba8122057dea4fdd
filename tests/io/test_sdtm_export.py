"""SDTM export (issue 12 item 5): each domain's mapping, read back by the importer record for record."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from hccreview.domain.cohort import subject_outcomes
from hccreview.domain.records import (
    Adjudication,
    AdverseEvent,
    ChildPughComponents,
    Criteria,
    Cycle,
    FollowUp,
    LabResult,
    Lesion,
    LesionKind,
    LesionStatus,
    Measurement,
    Origin,
    Read,
    ReadRole,
    StudyData,
    StudySettings,
    Subject,
)
from hccreview.io.sdtm import read_sdtm
from hccreview.io.sdtm_export import evaluator, sdtm_domains, write_sdtm
from hccreview.io.sdtm_export_adrs import ADRS_COLUMNS, derived_responses
from hccreview.io.sdtm_export_files import ADRS_FILE
from hccreview.io.sdtm_reads import reader_key

D0 = date(2024, 1, 8)
R1, R2, INV, ADJ = "radiologist-1", "reader2", "investigator", "adjudicator"


def day(k: int) -> date:
    return D0 + timedelta(days=k)


def _tumour(sid: str, reader: str, sizes: list[float]) -> tuple[list[Lesion], list[Measurement]]:
    lesions = [
        Lesion(sid, reader, "T01", LesionKind.TARGET, organ="LIVER", site="segment IV", method="CT"),
        Lesion(sid, reader, "T02", LesionKind.TARGET, organ="LYMPH NODE", is_node=True, method="CT"),
        Lesion(sid, reader, "NT01", LesionKind.NON_TARGET, organ="BONE", method="CT"),
    ]
    ms = []
    for k, size in enumerate(sizes):
        when, visit = day(-7 + 56 * k), "BASELINE" if k == 0 else f"WEEK {8 * k}"
        ms.append(Measurement(sid, reader, "T01", when, visit, diameter_mm=size, viable_mm=size / 2, method="CT"))
        ms.append(Measurement(sid, reader, "T02", when, visit, diameter_mm=22.5, short_axis_mm=16.0, method="CT"))
        state = LesionStatus.EQUIVOCAL if k == 2 else LesionStatus.PRESENT
        ms.append(Measurement(sid, reader, "NT01", when, visit, status=state, method="CT"))
    return lesions, ms


def study() -> StudyData:
    """Two subjects with every record kind, three readers, an adjudicator's own read and one decision."""
    settings = StudySettings(
        title="Export test",
        protocol="EXP-01",
        criteria=Criteria.MRECIST,
        confirmation_days=30,
        min_sd_days=50,
        accept_sd=True,
        origin=Origin.RANDOMISATION,
        assessment_interval_days=56,
        child_pugh_variant="albumin-3.0",
        discordance_pd_days=7,
        drug="lenalidomide",
    )
    subjects = (
        Subject(
            "S1",
            site="01",
            sex="F",
            age=61,
            etiology="HBV",
            bclc_stage="C",
            ecog=1,
            prior_sorafenib="intolerant",
            extrahepatic=True,
            macrovascular_invasion=False,
            afp_ng_ml=412.5,
            arm="LEN",
            birth_date=date(1960, 2, 3),
            enrolment_date=day(-20),
            randomisation_date=day(-2),
            first_dose_date=D0,
        ),
        Subject(
            "S2",
            site="02",
            sex="M",
            age=70,
            arm="LEN",
            enrolment_date=day(-15),
            randomisation_date=day(-1),
            first_dose_date=D0,
        ),
    )
    lesions, measurements = [], []
    for sid, reader, sizes in (
        ("S1", R1, [40, 30, 20]),
        ("S1", R2, [40, 38, 36]),
        ("S1", INV, [41, 31, 22]),
        ("S2", INV, [30, 36, 45]),
    ):
        les, ms = _tumour(sid, reader, [float(x) for x in sizes])
        lesions += les
        measurements += ms
    measurements += [
        Measurement("S2", INV, "T01", day(200), "WEEK 28", status=LesionStatus.NOT_ASSESSED, method="CT"),
        Measurement("S2", INV, "T02", day(200), "WEEK 28", status=LesionStatus.TOO_SMALL, method="CT"),
        Measurement("S2", INV, "NT01", day(200), "WEEK 28", status=LesionStatus.UNEQUIVOCAL_PROGRESSION, method="CT"),
    ]
    lesions.append(Lesion("S2", INV, "NEW01", LesionKind.NEW, organ="LUNG", method="CT"))
    measurements.append(
        Measurement("S2", INV, "NEW01", day(200), "WEEK 28", diameter_mm=0.0, status=LesionStatus.ABSENT, method="CT")
    )
    reads = []
    for reader, role, codes in (
        (R1, ReadRole.READER, ["PR", "PR"]),
        (R2, ReadRole.READER, ["SD", "SD"]),
        (INV, ReadRole.INVESTIGATOR, ["PR", "CHECK"]),
        (ADJ, ReadRole.ADJUDICATOR, ["SD", "PR"]),
    ):
        for k, code in enumerate(codes, start=1):
            reads.append(
                Read(
                    "S1",
                    reader,
                    role,
                    day(-7 + 56 * k),
                    f"WEEK {8 * k}",
                    overall=code,
                    target=code,
                    non_target="NON-CR/NON-PD",
                    new_lesion=False,
                )
            )
    reads.append(
        Read(
            "S2",
            INV,
            ReadRole.INVESTIGATOR,
            date(2024, 3, 31),
            "WEEK 8",
            overall="SD",
            date_imputed=True,
            accepted=True,
        )
    )
    return StudyData(
        settings=settings,
        subjects=subjects,
        child_pugh=(ChildPughComponents("S1", 1.2, 3.1, 1.15, "mild", "grade 1-2"), ChildPughComponents("S2", inr=1.9)),
        cycles=(
            Cycle("S1", 1, D0, 25.0, 21, reason="", drug="lenalidomide"),
            Cycle("S1", 2, day(28), 20.0, 21, reason="neutropenia", drug="lenalidomide"),
            Cycle("S2", 1, D0, 25.0, None, drug="lenalidomide"),
        ),
        adverse_events=(
            AdverseEvent(
                "S1",
                1,
                "Fatigue",
                "General disorders",
                3,
                onset=day(10),
                resolution=day(30),
                attribution="possible",
                serious=False,
                action="dose reduced",
                outcome="recovered",
            ),
            AdverseEvent(
                "S2",
                1,
                "Hepatic failure",
                "Hepatobiliary disorders",
                5,
                onset=day(230),
                attribution="unlikely",
                serious=True,
                outcome="FATAL",
            ),
        ),
        labs=(
            LabResult("S1", "BILI", 20.52, "umol/L", day(-3), 3.4, 20.5),
            LabResult("S1", "ALB", 31.0, "g/L", None),
            LabResult("S2", "PLAT", 88.0, "10^9/L", day(20), 150.0, 400.0),
        ),
        lesions=tuple(lesions),
        measurements=tuple(measurements),
        reads=tuple(reads),
        adjudications=(Adjudication("S1", R2, "R2 measured the node correctly", "adj", None, True),),
        follow_up=(
            FollowUp("S1", last_known_alive=day(300)),
            FollowUp("S2", death_date=day(240), death_cause="Hepatic failure"),
        ),
    )


def test_evaluator_is_the_inverse_of_the_importers_reader_key() -> None:
    assert evaluator(INV, {ReadRole.INVESTIGATOR}) == ("INVESTIGATOR", "")
    assert evaluator(R1, {ReadRole.READER}) == ("INDEPENDENT ASSESSOR", "RADIOLOGIST 1")
    assert evaluator("reader2", {ReadRole.READER}) == ("INDEPENDENT ASSESSOR", "reader2")
    assert evaluator(ADJ, {ReadRole.ADJUDICATOR}) == ("ADJUDICATOR", ADJ)
    for reader in (INV, R1, "reader2", ADJ):
        assert reader_key(*evaluator(reader, set())) == reader


def test_domains_carry_evaluators_adjudicated_choice_and_measurements() -> None:
    frames, _notes = sdtm_domains(study())
    rs = frames["rs"]
    over = rs[rs.RSTESTCD.eq("OVRLRESP") & rs.USUBJID.eq("S1")]
    assert sorted(set(zip(over.RSEVAL, over.RSEVALID, strict=True))) == [
        ("ADJUDICATOR", ADJ),
        ("INDEPENDENT ASSESSOR", "RADIOLOGIST 1"),
        ("INDEPENDENT ASSESSOR", R2),
        ("INVESTIGATOR", ""),
    ]
    assert set(over[over.RSACPTFL.eq("Y")].RSEVALID) == {R2}  # the adjudicated choice, on every read of R2
    assert len(over[over.RSACPTFL.eq("Y")]) == 2 and set(rs.RSCAT) == {"mRECIST"}
    s2 = rs[rs.USUBJID.eq("S2")]
    assert list(s2.RSDTC) == ["2024-03"] and list(s2.RSACPTFL) == ["Y"]  # imputed date goes out partial
    tr = frames["tr"]
    t01 = tr[tr.USUBJID.eq("S1") & tr.TREVALID.eq("RADIOLOGIST 1") & tr.TRLNKID.eq("T01")]
    assert sorted(set(t01.TRTESTCD)) == ["LDIAM", "TUMSTATE", "VLDIAM"]
    assert list(t01[t01.TRTESTCD.eq("VLDIAM")].TRSTRESN) == ["20", "15", "10"]
    gone = tr[tr.USUBJID.eq("S2") & tr.TRLNKID.eq("T01") & tr.TRTESTCD.eq("TUMSTATE") & tr.VISIT.eq("WEEK 28")]
    assert list(gone.TRSTAT) == ["NOT DONE"] and list(gone.TRSTRESC) == [""]
    ts = dict(zip(frames["ts"].TSPARMCD, frames["ts"].TSVAL, strict=True))
    assert ts["TITLE"] == "Export test" and ts["HCCRIT"] == "mRECIST" and ts["HCACCSD"] == "Y"
    supp = frames["suppdm"]
    assert set(supp[supp.USUBJID.eq("S1")].QNAM) >= {"ETIOL", "EXTRAHEP", "AFP", "CPBILI", "CPASCIT", "CPENCEPH"}


def test_read_back_gives_the_same_records_and_settings(tmp_path: Path) -> None:
    data = study()
    out = write_sdtm(data, tmp_path / "sdtm", derived=derived_responses(data))
    parsed = read_sdtm(tmp_path / "sdtm")
    assert parsed.errors == []
    # the imputed read date, the non-standard "CHECK", the SI bilirubin converted for Child-Pugh
    assert {p.field for p in parsed.warnings} == {"RSDTC", "RSSTRESC", "LBSTRESU"}
    assert any(ADRS_FILE in n and "not used" in n for n in parsed.notes)  # the derived dataset is ignored
    assert out.notes == ()  # nothing this study holds is lost
    settings = {k: v for k, v in parsed.settings.items() if k != "title"}
    for name, value in settings.items():
        assert str(getattr(data.settings, name)) == str(value), name
    assert parsed.settings["title"] == "Export test" and parsed.settings["assessment_interval_days"] == 56
    chosen = {r for r in data.reads if r.subject_id == "S1" and r.reader == R2}
    expected = {
        "subjects": set(data.subjects),
        "child_pugh": set(data.child_pugh),
        "cycles": set(data.cycles),
        "adverse_events": set(data.adverse_events),
        "labs": set(data.labs),
        "lesions": set(data.lesions),
        "measurements": set(data.measurements),
        "reads": {dataclasses.replace(r, accepted=r in chosen or (r.subject_id == "S2")) for r in data.reads},
        "follow_up": set(data.follow_up),
    }
    for table, records in expected.items():
        assert set(parsed.records[table]) == records, table


def test_dates_after_last_known_alive_go_out_partial(tmp_path: Path) -> None:
    data = study()
    late = Measurement("S1", R1, "T01", date(2024, 11, 30), "WEEK 46", diameter_mm=19.0, viable_mm=9.0, method="CT")
    data = dataclasses.replace(data, measurements=(*data.measurements, late))
    frames, _ = sdtm_domains(data)
    tr = frames["tr"]
    assert set(tr[tr.VISIT.eq("WEEK 46")].TRDTC) == {"2024-11"}  # after LKA (2024-11-03), on a month end
    write_sdtm(data, tmp_path / "sdtm")
    parsed = read_sdtm(tmp_path / "sdtm")
    assert {f.last_known_alive for f in parsed.records["follow_up"] if f.subject_id == "S1"} == {day(300)}
    assert late in parsed.records["measurements"]


def test_what_sdtm_cannot_carry_is_reported() -> None:
    data = study()
    data = dataclasses.replace(
        data,
        cycles=(Cycle("S1", 1, D0, 25.0, 21, delay_days=7, reduced=True),),
        follow_up=(FollowUp("S2", death_date=day(240), death_cause="disease progression"),),
        lesions=(*data.lesions, Lesion("S2", "Dr_Smith", "T01", LesionKind.TARGET, organ="LIVER")),
    )
    _, notes = sdtm_domains(data)
    text = "\n".join(notes)
    assert "cycle delays and dose-reduction flags are not exported" in text
    assert "S2: the cause of death is read back from the fatal AEs" in text  # S2's fatal AE names another cause
    assert "reader 'Dr_Smith' is read back as 'dr-smith'" in text
    assert "the adjudicator's own read" not in text  # S1's decision chose a central reader


def test_decisions_sdtm_cannot_express_exactly_are_reported() -> None:
    data = study()
    own = dataclasses.replace(data, adjudications=(Adjudication("S1", ADJ, "my own read", "adj"),))
    _, notes = sdtm_domains(own)
    assert "S1: the adjudicator's own read is flagged RSACPTFL, which the importer does not use" in notes
    late = Read("S1", R1, ReadRole.READER, day(200), "WEEK 28", overall="PD")  # a date R2 did not read
    gap = dataclasses.replace(data, reads=(*data.reads, late))
    _, notes = sdtm_domains(gap)
    assert notes == [f"S1: a central read dated where the chosen reader {R2} has none counts on import"]


def test_a_stated_cause_of_death_travels_in_ds(tmp_path: Path) -> None:
    data = study()
    calm = tuple(dataclasses.replace(ae, outcome="recovered") for ae in data.adverse_events)
    follow = (data.follow_up[0], FollowUp("S2", death_date=day(240), death_cause="disease progression"))
    data = dataclasses.replace(data, adverse_events=calm, follow_up=follow)
    frames, notes = sdtm_domains(data)
    ds = frames["ds"]
    assert list(ds[ds.DSDECOD.eq("DEATH")].DSTERM) == ["disease progression"] and notes == []
    write_sdtm(data, tmp_path / "sdtm")
    assert set(read_sdtm(tmp_path / "sdtm").records["follow_up"]) == set(follow)


def test_a_folder_with_another_delivery_is_refused_before_writing(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "sv.csv").write_text("STUDYID,USUBJID\n")
    with pytest.raises(ValueError, match=r"already holds other SDTM files \(sv.csv\)"):
        write_sdtm(study(), folder)
    assert sorted(p.name for p in folder.iterdir()) == ["sv.csv"]
    write_sdtm(study(), tmp_path / "again")  # an earlier export of the same names is simply replaced
    write_sdtm(study(), tmp_path / "again")
    with pytest.raises(ValueError, match=r"dm\.csv"):  # but XPT beside CSV would give the importer two DM files
        write_sdtm(study(), tmp_path / "again", xpt=True)


def test_xpt_export_reads_back_like_csv(tmp_path: Path) -> None:
    data = study()
    write_sdtm(data, tmp_path / "xpt", xpt=True)
    write_sdtm(data, tmp_path / "csv")
    assert (tmp_path / "xpt" / "dm.xpt").is_file() and not (tmp_path / "xpt" / "dm.csv").exists()
    a, b = read_sdtm(tmp_path / "xpt"), read_sdtm(tmp_path / "csv")
    assert a.errors == [] and a.settings == b.settings
    for table in b.records:
        assert set(a.records[table]) == set(b.records[table]), table


def test_derived_dataset_holds_every_sources_timepoints_and_best_response() -> None:
    data = study()
    adrs = derived_responses(data)
    assert tuple(adrs.columns) == ADRS_COLUMNS
    assert set(adrs.SOURCE) == {
        "adjudicated",
        "investigator",
        "computed",
        f"reader:{R1}",
        f"reader:{R2}",
        f"reader:{ADJ}",
    }
    for source in set(adrs.SOURCE):
        rows = adrs[adrs.SOURCE.eq(source)]
        for o in subject_outcomes(data, source):
            mine = rows[rows.USUBJID.eq(o.subject_id)]
            assert list(mine[mine.PARAMCD.eq("BOR")].AVALC) == [o.bor]
            assert list(mine[mine.PARAMCD.eq("UBOR")].AVALC) == [o.bor_unconfirmed]
    adj = adrs[adrs.SOURCE.eq("adjudicated") & adrs.USUBJID.eq("S1")]
    assert set(adj.SRCREAD) == {R2} and adj.SRCRULE.iloc[0].startswith("adjudicated (signed)")
    ovr = adj[adj.PARAMCD.eq("OVR")]
    assert list(ovr.AVALC) == ["SD", "SD"] and list(ovr.ADY) == [51, 107]  # origin: randomisation, day -2
    computed = adrs[adrs.SOURCE.eq("computed") & adrs.USUBJID.eq("S2") & adrs.PARAMCD.eq("OVR")]
    assert list(computed.AVALC)[-1] == "PD"  # non-target unequivocal progression at week 28
    assert isinstance(adrs, pd.DataFrame) and adrs.ADY.map(lambda v: v == "" or isinstance(v, int)).all()
