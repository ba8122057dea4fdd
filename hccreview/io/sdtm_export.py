"""A study's records → CDISC SDTM domains (CSV, or SAS XPT v5), read back by :mod:`hccreview.io.sdtm`.

``sdtm_domains(data)`` builds one frame of text cells per domain; ``write_sdtm(data, folder)`` writes them with
the hccreview-derived responses (:mod:`sdtm_export_adrs`). Every mapping is the inverse of the importer's and is
documented variable by variable in ``docs/sdtm-export.md``; in short:

- **DM** subjects (``RFXSTDTC`` = ``RFSTDTC`` = first dose, ``RFICDTC`` enrolment, ``RFPENDTC`` last known alive,
  ``DTHDTC`` / ``DTHFL``, ``ARMCD`` SCRNFAIL for screen failures); **SUPPDM** the HCC baseline fields
  (``SUPPDM_FIELDS`` names) and the baseline Child-Pugh components (``SUPPDM_CHILD_PUGH``); **DS** RANDOMIZED;
  **TS** title, drug and every rules setting (``TS_SETTINGS``); **EX** one row per cycle; **AE**; **LB**.
- **TU** / **TR** the lesions and measurements of each evaluator (``LDIAM``; the short axis as ``LPERP`` for a
  lymph node, as the pharmaverse deliveries give it, ``SAXIS`` for any other lesion; ``VLDIAM`` viable diameter;
  ``TUMSTATE`` for every measurement; not assessed = ``TRSTAT`` NOT DONE).
- **RS** every stated read (``OVRLRESP`` + ``TRGRESP`` / ``NTRGRESP`` / ``NEWLPROG``), ``RSEVAL`` INVESTIGATOR,
  INDEPENDENT ASSESSOR or ADJUDICATOR with ``RSEVALID`` (reader "radiologist-1" → "RADIOLOGIST 1", other reader
  names verbatim); ``RSACPTFL`` "Y" on every read of the reader an adjudication chose (else the read's own
  accepted flag, e.g. from an SDTM import).
- **Dates** ISO 8601. A read imputed from a partial date goes out partial again (``YYYY-MM``); so does any other
  date after a living subject's last-known-alive date that sits on its period's boundary (such a date can
  only have come from a partial one: a complete one would have moved last known alive).
- **DS DEATH** states a cause of death that no fatal AE gives (``DSTERM``; the importer reads it back).

What the export cannot carry is returned as notes (and listed in the docs): cycle delays and reductions, a cause
of death that differs from the fatal AEs, reader names that the importer's reader key would change; adjudication
reasons, codes and signatures are not SDTM data (RS carries the choice).
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd

from hccreview.domain.records import Lesion, LesionKind, LesionStatus, ReadRole, StudyData
from hccreview.domain.sources import study_index
from hccreview.io.sdtm import TS_SETTINGS
from hccreview.io.sdtm_export_files import SdtmExport, write_frames
from hccreview.io.sdtm_reads import INVESTIGATOR, reader_key
from hccreview.io.sdtm_subjects import SUPPDM_CHILD_PUGH, SUPPDM_FIELDS

__all__ = ["SdtmExport", "evaluator", "sdtm_domains", "write_sdtm"]

Rows = list[dict[str, object]]
_KIND = {LesionKind.TARGET: "TARGET", LesionKind.NON_TARGET: "NON-TARGET", LesionKind.NEW: "NEW"}
_STATE = {
    LesionStatus.PRESENT: "PRESENT",
    LesionStatus.ABSENT: "ABSENT",
    LesionStatus.TOO_SMALL: "TOO SMALL TO MEASURE",
    LesionStatus.NOT_ASSESSED: "",
    LesionStatus.UNEQUIVOCAL_PROGRESSION: "UNEQUIVOCAL",
    LesionStatus.EQUIVOCAL: "EQUIVOCAL",
}
#: Subject field → SUPPDM QNAM (the first importer name of each field).
_SUPPDM_OUT = {field: qnam for qnam, field in reversed(list(SUPPDM_FIELDS.items()))}
_CP_OUT = {field: qnam for qnam, field in SUPPDM_CHILD_PUGH.items()}


def _num(value: object) -> str:
    """Exact text of a number (``repr`` of a float; whole floats without ".0"); None → blank."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def evaluator(reader: str, roles: set[ReadRole]) -> tuple[str, str]:
    """(``--EVAL``, ``--EVALID``) of a reader key: the inverse of :func:`sdtm_reads.reader_key`."""
    if reader == INVESTIGATOR or ReadRole.INVESTIGATOR in roles:
        return "INVESTIGATOR", ""
    m = re.fullmatch(r"radiologist-(\d+)", reader)
    evalid = f"RADIOLOGIST {m.group(1)}" if m else reader
    return ("ADJUDICATOR" if ReadRole.ADJUDICATOR in roles else "INDEPENDENT ASSESSOR"), evalid


class _Dates:
    """``--DTC`` text; a date after a living subject's last known alive goes out partial (module docstring)."""

    def __init__(self, data: StudyData) -> None:
        self.lka = {f.subject_id: f.last_known_alive for f in data.follow_up if f.death_date is None}

    def __call__(self, subject_id: str, day: date | None, rule: str = "earliest") -> str:
        if day is None:
            return ""
        lka = self.lka.get(subject_id)
        if lka is not None and day > lka:
            edge = 1 if rule == "earliest" else calendar.monthrange(day.year, day.month)[1]
            if day.day == edge:
                return day.strftime("%Y-%m")
        return day.isoformat()


def _seq(rows: Rows, prefix: str) -> Rows:
    counter: dict[object, int] = defaultdict(int)
    for row in rows:
        counter[row["USUBJID"]] += 1
        row[f"{prefix}SEQ"] = counter[row["USUBJID"]]
    return rows


def _frame(rows: Rows, domain: str, columns: tuple[str, ...], study_id: str) -> pd.DataFrame:
    """Rows as text cells in ``columns`` order, STUDYID and DOMAIN filled."""
    full = ("STUDYID", "DOMAIN", *columns)
    cells = [[study_id, domain.upper(), *(_num(row.get(c)) for c in columns)] for row in rows]
    return pd.DataFrame(cells, columns=list(full), dtype=object)


def _subjects(data: StudyData, dtc: _Dates, notes: list[str]) -> dict[str, Rows]:
    follow = {f.subject_id: f for f in data.follow_up}
    dated = {c.subject_id for c in data.cycles} | {r.subject_id for r in data.reads}
    dated |= {m.subject_id for m in data.measurements}
    fatal_terms: dict[str, list[str]] = defaultdict(list)
    for ae in data.adverse_events:
        if ae.outcome.upper() == "FATAL":
            fatal_terms[ae.subject_id].append(ae.term)
    fatal = {sid: "; ".join(dict.fromkeys(terms)) for sid, terms in fatal_terms.items()}
    dm: Rows = []
    supp: Rows = []
    ds: Rows = []
    for s in data.subjects:
        fu = follow.get(s.subject_id)
        death = fu.death_date if fu else None
        flagged = death is not None or (
            fu is not None and fu.last_known_alive is None and s.subject_id in dated
        )  # a death flagged without a date keeps last known alive empty
        dm.append({
            "USUBJID": s.subject_id, "SUBJID": s.subject_id, "RFSTDTC": dtc(s.subject_id, s.first_dose_date),
            "RFXSTDTC": dtc(s.subject_id, s.first_dose_date), "RFICDTC": dtc(s.subject_id, s.enrolment_date),
            "RFPENDTC": dtc(s.subject_id, fu.last_known_alive if fu else None), "DTHDTC": dtc(s.subject_id, death),
            "DTHFL": "Y" if flagged else "", "SITEID": s.site, "BRTHDTC": dtc(s.subject_id, s.birth_date),
            "AGE": s.age, "AGEU": "YEARS" if s.age is not None else "", "SEX": s.sex,
            "ARMCD": "SCRNFAIL" if s.screen_failure else "", "ARM": s.arm,
        })  # fmt: skip
        for field_, qnam in _SUPPDM_OUT.items():
            value = getattr(s, field_)
            if value not in (None, ""):
                supp.append({"USUBJID": s.subject_id, "QNAM": qnam, "QLABEL": field_, "QVAL": value})
        if s.randomisation_date is not None:
            ds.append({"USUBJID": s.subject_id, "DSTERM": "RANDOMIZED", "DSDECOD": "RANDOMIZED",
                       "DSCAT": "PROTOCOL MILESTONE", "DSSTDTC": dtc(s.subject_id, s.randomisation_date)})  # fmt: skip
        cause = fu.death_cause if fu is not None and death is not None else ""
        if cause and cause != fatal.get(s.subject_id):
            if s.subject_id in fatal or cause.upper() == "DEATH":
                notes.append(f"{s.subject_id}: the cause of death is read back from the fatal AEs")
            else:  # the stated cause, where no AE is fatal
                ds.append({"USUBJID": s.subject_id, "DSTERM": cause, "DSDECOD": "DEATH", "DSCAT": "DISPOSITION EVENT",
                           "DSSTDTC": dtc(s.subject_id, death)})  # fmt: skip
    for cp in data.child_pugh:
        for field_, qnam in _CP_OUT.items():
            value = getattr(cp, field_)
            if value not in (None, ""):
                supp.append({"USUBJID": cp.subject_id, "QNAM": qnam, "QLABEL": f"baseline Child-Pugh {field_}",
                             "QVAL": value})  # fmt: skip
    for row in supp:
        row.update({"RDOMAIN": "DM", "IDVAR": "", "IDVARVAL": "", "QORIG": "CRF"})
    return {"dm": dm, "suppdm": _seq(supp, "Q"), "ds": _seq(ds, "DS")}


def _ts(data: StudyData) -> Rows:
    s = data.settings
    rows: Rows = [{"TSPARMCD": "TITLE", "TSPARM": "Trial Title", "TSVAL": s.title}]
    if s.drug:
        rows.append({"TSPARMCD": "TRT", "TSPARM": "Investigational Therapy or Treatment", "TSVAL": s.drug})
    if s.dose_frequency:  # SDTM TS DOSFRQ: read back by the import when EX has no EXDOSFRQ
        rows.append({"TSPARMCD": "DOSFRQ", "TSPARM": "Dosing Frequency", "TSVAL": s.dose_frequency})
    for code, name in TS_SETTINGS.items():
        value = getattr(s, name)
        if value is not None:
            rows.append({"TSPARMCD": code, "TSPARM": f"hccreview setting {name}", "TSVAL": _num(value)})
    for i, row in enumerate(rows, start=1):
        row["TSSEQ"] = i
    return rows


def _clinical(data: StudyData, dtc: _Dates, notes: list[str]) -> dict[str, Rows]:
    ex: Rows = []
    for c in data.cycles:
        end = None if c.days_dosed is None else date.fromordinal(c.start_date.toordinal() + c.days_dosed - 1)
        ex.append({"USUBJID": c.subject_id, "EXSEQ": c.number, "EXTRT": c.drug, "EXDOSE": c.dose_mg, "EXDOSU": "mg",
                   "EXSTDTC": dtc(c.subject_id, c.start_date), "EXENDTC": dtc(c.subject_id, end, "latest"),
                   "EXADJ": c.reason})  # fmt: skip
        if c.delay_days or c.reduced:
            notes.append("cycle delays and dose-reduction flags are not exported (EX has no such variables)")
    ae: Rows = [
        {"USUBJID": a.subject_id, "AESEQ": a.seq, "AETERM": a.term, "AEDECOD": a.term, "AEBODSYS": a.soc,
         "AETOXGR": a.grade, "AESEV": a.severity, "AESER": "Y" if a.serious else "N", "AEREL": a.attribution,
         "AEACN": a.action, "AEOUT": a.outcome, "AESTDTC": dtc(a.subject_id, a.onset),
         "AEENDTC": dtc(a.subject_id, a.resolution, "latest")}
        for a in data.adverse_events
    ]  # fmt: skip
    lb: Rows = [
        {"USUBJID": x.subject_id, "LBTESTCD": x.test, "LBTEST": x.test, "LBORRES": _num(x.value),
         "LBORRESU": x.unit, "LBSTRESC": _num(x.value), "LBSTRESN": x.value, "LBSTRESU": x.unit,
         "LBSTNRLO": x.lln, "LBSTNRHI": x.uln, "LBDTC": dtc(x.subject_id, x.date)}
        for x in data.labs
    ]  # fmt: skip
    return {"ex": ex, "ae": ae, "lb": _seq(lb, "LB")}


def _tumour(data: StudyData, dtc: _Dates, notes: list[str]) -> dict[str, Rows]:
    roles: dict[str, set[ReadRole]] = defaultdict(set)
    for r in data.reads:
        roles[r.reader].add(r.role)
    ev: Callable[[str], tuple[str, str]] = lambda reader: evaluator(reader, roles.get(reader, set()))  # noqa: E731
    for reader in sorted({r.reader for r in data.reads} | {les.reader for les in data.lesions}):
        back = reader_key(*ev(reader))
        if back != reader:
            notes.append(f"reader {reader!r} is read back as {back!r} (the importer's reader key)")
    lesions: dict[tuple[str, str, str], Lesion] = {}
    tu: Rows = []
    for les in data.lesions:
        lesions[(les.subject_id, les.reader, les.lesion_id)] = les
        e, eid = ev(les.reader)
        tu.append(
            {
                "USUBJID": les.subject_id,
                "TULNKID": les.lesion_id,
                "TUTESTCD": "TUMIDENT",
                "TUTEST": "Tumor Identification",
                "TUORRES": _KIND[les.kind],
                "TUSTRESC": _KIND[les.kind],
                "TULOC": les.organ,
                "TULAT": les.site,
                "TUMETHOD": les.method,
                "TUEVAL": e,
                "TUEVALID": eid,
            }
        )
        organ = les.organ.upper()
        if les.is_node != ("LYMPH NODE" in organ or organ == "NODE"):
            notes.append(f"{les.subject_id} lesion {les.lesion_id}: the lymph-node flag follows TULOC on import")
    tr: Rows = []
    for m in data.measurements:
        lesion = lesions.get((m.subject_id, m.reader, m.lesion_id))
        if lesion is None:
            notes.append(f"{m.subject_id}: measurement of unknown lesion {m.lesion_id} ({m.reader}) not exported")
            continue
        e, eid = ev(m.reader)
        base = {
            "USUBJID": m.subject_id,
            "TRGRPID": _KIND[lesion.kind],
            "TRLNKID": m.lesion_id,
            "TRMETHOD": m.method,
            "TREVAL": e,
            "TREVALID": eid,
            "VISIT": m.visit,
            "TRDTC": dtc(m.subject_id, m.date, "latest"),
        }
        short = ("LPERP", "Longest Perpendicular") if lesion.is_node else ("SAXIS", "Short Axis")  # RECIST 1.1 §4.3.1
        for code, label, value in (
            ("LDIAM", "Longest Diameter", m.diameter_mm),
            (*short, m.short_axis_mm),
            ("VLDIAM", "Longest Diameter of Viable Tumor", m.viable_mm),
        ):
            if value is not None:
                tr.append({**base, "TRTESTCD": code, "TRTEST": label, "TRORRES": value, "TRORRESU": "mm",
                           "TRSTRESC": value, "TRSTRESN": value, "TRSTRESU": "mm"})  # fmt: skip
        state = _STATE[m.status]
        tr.append({**base, "TRTESTCD": "TUMSTATE", "TRTEST": "Tumor State", "TRORRES": state, "TRSTRESC": state,
                   "TRSTAT": "" if state else "NOT DONE"})  # fmt: skip
    return {"tu": _seq(tu, "TU"), "tr": _seq(tr, "TR"), "rs": _seq(_reads(data, ev, notes), "RS")}


def _rsdtc(day: date, imputed: bool) -> str:
    month_end = day.day == calendar.monthrange(day.year, day.month)[1]
    return day.strftime("%Y-%m") if imputed and month_end else day.isoformat()


def _reads(data: StudyData, ev: Callable[[str], tuple[str, str]], notes: list[str]) -> Rows:
    chosen = {sid: adj.chosen_reader for sid, adj in study_index(data).adjudications.items()}
    dates: dict[tuple[str, str], set[date]] = defaultdict(set)  # (subject, reader) → read dates
    central: dict[str, set[date]] = defaultdict(set)  # subject → dates of central reads
    roles: dict[tuple[str, str], set[ReadRole]] = defaultdict(set)
    for r in data.reads:
        dates[(r.subject_id, r.reader)].add(r.date)
        roles[(r.subject_id, r.reader)].add(r.role)
        if r.role is ReadRole.READER:
            central[r.subject_id].add(r.date)
    for sid, reader in sorted(chosen.items()):
        if central[sid] - dates[(sid, reader)]:
            notes.append(f"{sid}: a central read dated where the chosen reader {reader} has none counts on import")
        if ReadRole.ADJUDICATOR in roles[(sid, reader)]:
            notes.append(f"{sid}: the adjudicator's own read is flagged RSACPTFL, which the importer does not use")
    crit = str(data.settings.criteria)
    rs: Rows = []
    for r in data.reads:
        e, eid = ev(r.reader)
        accepted = r.reader == chosen[r.subject_id] if r.subject_id in chosen else r.accepted
        base = {
            "USUBJID": r.subject_id,
            "RSCAT": crit,
            "RSEVAL": e,
            "RSEVALID": eid,
            "RSACPTFL": "Y" if accepted else "",
            "VISIT": r.visit,
            "RSDTC": _rsdtc(r.date, r.date_imputed),
        }
        new = {True: "Y", False: "N", None: ""}[r.new_lesion]
        for code, label, value in (("OVRLRESP", "Overall Response", r.overall), ("TRGRESP", "Target Response",
                                   r.target), ("NTRGRESP", "Non-target Response", r.non_target),
                                   ("NEWLPROG", "New Lesion Progression", new)):  # fmt: skip
            if code == "OVRLRESP" or value:
                rs.append({**base, "RSTESTCD": code, "RSTEST": label, "RSORRES": value, "RSSTRESC": value})
    return rs


_COLUMNS: dict[str, tuple[str, ...]] = {
    "dm": ("USUBJID", "SUBJID", "RFSTDTC", "RFXSTDTC", "RFICDTC", "RFPENDTC", "DTHDTC", "DTHFL", "SITEID",
           "BRTHDTC", "AGE", "AGEU", "SEX", "ARMCD", "ARM"),
    "suppdm": ("RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG"),
    "ds": ("USUBJID", "DSSEQ", "DSTERM", "DSDECOD", "DSCAT", "DSSTDTC"),
    "ts": ("TSSEQ", "TSPARMCD", "TSPARM", "TSVAL"),
    "ex": ("USUBJID", "EXSEQ", "EXTRT", "EXDOSE", "EXDOSU", "EXSTDTC", "EXENDTC", "EXADJ"),
    "ae": ("USUBJID", "AESEQ", "AETERM", "AEDECOD", "AEBODSYS", "AETOXGR", "AESEV", "AESER", "AEREL", "AEACN",
           "AEOUT", "AESTDTC", "AEENDTC"),
    "lb": ("USUBJID", "LBSEQ", "LBTESTCD", "LBTEST", "LBORRES", "LBORRESU", "LBSTRESC", "LBSTRESN", "LBSTRESU",
           "LBSTNRLO", "LBSTNRHI", "LBDTC"),
    "tu": ("USUBJID", "TUSEQ", "TULNKID", "TUTESTCD", "TUTEST", "TUORRES", "TUSTRESC", "TULOC", "TULAT",
           "TUMETHOD", "TUEVAL", "TUEVALID"),
    "tr": ("USUBJID", "TRSEQ", "TRGRPID", "TRLNKID", "TRTESTCD", "TRTEST", "TRORRES", "TRORRESU", "TRSTRESC",
           "TRSTRESN", "TRSTRESU", "TRSTAT", "TRMETHOD", "TREVAL", "TREVALID", "VISIT", "TRDTC"),
    "rs": ("USUBJID", "RSSEQ", "RSTESTCD", "RSTEST", "RSCAT", "RSORRES", "RSSTRESC", "RSEVAL", "RSEVALID",
           "RSACPTFL", "VISIT", "RSDTC"),
}  # fmt: skip


def sdtm_domains(data: StudyData) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Every domain as a frame of text cells (blank = missing), and the notes on what does not round-trip."""
    dtc = _Dates(data)
    notes: list[str] = []
    rows = {**_subjects(data, dtc, notes), "ts": _ts(data), **_clinical(data, dtc, notes)}
    rows.update(_tumour(data, dtc, notes))
    study_id = data.settings.protocol
    frames = {d: _frame(rows[d], d, cols, study_id) for d, cols in _COLUMNS.items() if rows[d] or d in ("dm", "ts")}
    return frames, list(dict.fromkeys(notes))


def write_sdtm(data: StudyData, folder: Path, *, xpt: bool = False, derived: pd.DataFrame | None = None) -> SdtmExport:
    """Write the domains (and ``derived``, the hccreview responses) into ``folder``; see :mod:`sdtm_export_files`."""
    frames, notes = sdtm_domains(data)
    return write_frames(frames, Path(folder), xpt=xpt, derived=derived, notes=notes)
