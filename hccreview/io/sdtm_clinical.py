"""SDTM treatment, safety and laboratory domains → cycles, adverse events, labs, Child-Pugh inputs (EX, AE, LB, SV).

Rules:

- **EX → Cycle**, one per EX record: number = order of ``EXSTDTC`` (then ``EXSEQ``) within the subject; start =
  ``EXSTDTC`` (required); dose = ``EXDOSE`` in mg (``EXDOSU`` g / µg are converted with a warning; another unit is
  kept as given, with a warning); days dosed = ``EXSTDTC``..``EXENDTC`` inclusive; drug = ``EXTRT``; reason =
  ``EXADJ``. A partial start takes the first day of its period, a partial end the last, each with a warning.
  (The pharmaverse EX holds patch applications per visit, not treatment cycles: the mapping is still one row
  → one record, so nothing is lost.)
- **AE → AdverseEvent**: term ``AEDECOD`` (else ``AETERM``), SOC ``AEBODSYS`` (else ``AESOC``), CTCAE grade from
  ``AETOXGR`` when given (must be 1–5; anything else is an error), else none with the severity ``AESEV`` kept;
  attribution = ``AEREL`` verbatim in lower case; serious = ``AESER`` Y; action ``AEACN``; outcome ``AEOUT``;
  seq ``AESEQ``. A partial onset takes the earliest possible day, a partial resolution the latest, with a
  warning. An AE marked fatal (``AEOUT`` FATAL or ``AESDTH`` Y) gives the cause of death.
- **LB → LabResult**: ``LBTESTCD``, ``LBSTRESN`` (rows without a numeric standard result are skipped and counted
  in a note), ``LBSTRESU``, ``LBDTC`` (date part; partial → first day, warning), ``LBSTNRLO`` / ``LBSTNRHI``.
- **Child-Pugh** baseline components from BILI, ALB and INR: the row flagged ``LBBLFL`` Y, else the last value on
  or before the first dose. µmol/L bilirubin ÷ 17.1 → mg/dL, g/L albumin ÷ 10 → g/dL (one warning per test and
  unit, "unit converted"). Ascites and encephalopathy are not SDTM LB results: left empty, so the class is
  unknown unless they are entered later.
- **SV** gives visit dates only (for last known alive).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from hccreview.domain.records import AdverseEvent, ChildPughComponents, Cycle, LabResult
from hccreview.io.ae_terms import term_findings
from hccreview.io.sdtm_dates import read_dates
from hccreview.io.sdtm_read import (
    DomainTable,
    Problems,
    note_unused_columns,
    require_columns,
    require_one_of,
    subject_mask,
)

_GRADE = re.compile(r"^[1-5](?:\.0*)?$")
_DOSE_FACTORS = {"mg": 1.0, "g": 1000.0, "ug": 0.001, "µg": 0.001, "μg": 0.001, "mcg": 0.001}
#: Child-Pugh component → (LBTESTCD, its unit, {source unit (lower-case): divisor to that unit}).
_CHILD_PUGH = {
    "bilirubin_mg_dl": ("BILI", "mg/dL", {"mg/dl": 1.0, "umol/l": 17.1, "µmol/l": 17.1, "μmol/l": 17.1}),
    "albumin_g_dl": ("ALB", "g/dL", {"g/dl": 1.0, "g/l": 10.0}),
    "inr": ("INR", "ratio", {"": 1.0, "ratio": 1.0, "inr": 1.0}),
}


@dataclass
class Clinical:
    """Records of EX / AE / LB and the dates they give per subject."""

    cycles: list[Cycle] = field(default_factory=list)
    adverse_events: list[AdverseEvent] = field(default_factory=list)
    labs: list[LabResult] = field(default_factory=list)
    child_pugh: list[ChildPughComponents] = field(default_factory=list)
    first_ex: dict[str, date] = field(default_factory=dict)
    death_causes: dict[str, list[str]] = field(default_factory=dict)
    lka_dates: list[pd.DataFrame] = field(default_factory=list)
    first_dates: list[pd.DataFrame] = field(default_factory=list)


def read_ex(ex: DomainTable, subjects: set[str], out: Clinical, problems: Problems, notes: list[str]) -> None:
    """Cycles from EX."""
    note_unused_columns(
        ex,
        (
            "USUBJID",
            "EXSEQ",
            "EXTRT",
            "EXDOSE",
            "EXDOSU",
            "EXSTDTC",
            "EXENDTC",
            "EXADJ",
            "EXDOSFRM",
            "EXDOSFRQ",
            "EXROUTE",
            "VISITNUM",
            "VISIT",
            "VISITDY",
            "EXSTDY",
            "EXENDY",
        ),
        notes,
    )
    if not require_columns(ex, ("USUBJID", "EXSTDTC", "EXDOSE"), problems):
        return
    ok = subject_mask(ex, subjects, problems)
    start_dates = read_dates(ex, "EXSTDTC", problems, rule="earliest")
    end_dates = read_dates(ex, "EXENDTC", problems, rule="latest")
    start, end = start_dates.earliest, end_dates.latest
    problems.rows("error", ex, ok & ex.col("EXSTDTC").isna(), "EXSTDTC", "dose record without a start date")
    dose_text = ex.col("EXDOSE")
    dose = pd.to_numeric(dose_text, errors="coerce")
    problems.rows("error", ex, ok & dose_text.isna(), "EXDOSE", "dose missing")
    problems.rows("error", ex, ok & dose_text.notna() & dose.isna(), "EXDOSE", "dose is not a number")
    problems.rows("error", ex, ok & dose.lt(0), "EXDOSE", "negative dose")
    unit = ex.col("EXDOSU").fillna("mg").str.strip()
    factor = unit.str.lower().map(_DOSE_FACTORS)
    converted = ok & factor.notna() & factor.ne(1.0)
    problems.rows("warning", ex, converted, "EXDOSU", "unit converted to mg")
    problems.rows("warning", ex, ok & factor.isna(), "EXDOSU", "dose unit is not mass; dose kept as given")
    dose = dose * factor.fillna(1.0)
    units = sorted(unit[ok].unique())
    notes.append(f"{ex.file}: dose units (EXDOSU): {', '.join(units) or 'none given'}; doses stored in mg")
    seq = pd.to_numeric(ex.col("EXSEQ"), errors="coerce")
    frame = pd.DataFrame(
        {
            "s": ex.col("USUBJID"),
            "start": start,
            "end": end,
            "dose": dose,
            "seq": seq,
            "drug": ex.col("EXTRT").fillna(""),
            "reason": ex.col("EXADJ").fillna(""),
        }
    )
    frame = frame[ok & frame.start.notna() & frame.dose.notna() & frame.dose.ge(0)]
    frame = frame.assign(row=frame.index).sort_values(["s", "start", "seq", "row"], kind="stable")
    number: dict[str, int] = {}
    for i, s, st, en, d, _seq, drug, reason, _row in frame.itertuples(name=None):
        number[s] = number.get(s, 0) + 1
        days = None
        if en is not None:
            if en < st:
                problems.warning(
                    ex.file,
                    i + 1,
                    "EXENDTC",
                    ex.col("EXENDTC").at[i],
                    "exposure ends before it starts; days dosed left empty",
                    s,
                )
            else:
                days = (en - st).days + 1
        out.cycles.append(
            Cycle(
                subject_id=s,
                number=number[s],
                start_date=st,
                dose_mg=float(d),
                days_dosed=days,
                reason=reason,
                drug=drug,
            )
        )
        out.first_ex[s] = min(out.first_ex.get(s, st), st)
    ids = ex.col("USUBJID")
    out.first_dates.append(pd.DataFrame({"subject": ids[ok], "date": start_dates.complete()[ok]}))
    out.lka_dates.append(pd.DataFrame({"subject": ids[ok], "date": start_dates.complete()[ok]}))
    out.lka_dates.append(pd.DataFrame({"subject": ids[ok], "date": end_dates.complete()[ok]}))


def _grades(ae: DomainTable, ok: pd.Series, problems: Problems) -> pd.Series:
    if not ae.has("AETOXGR"):
        return pd.Series(None, index=ae.frame.index, dtype=object)
    text = ae.col("AETOXGR")
    valid = text.str.match(_GRADE).eq(True)
    problems.rows("error", ae, ok & text.notna() & ~valid, "AETOXGR", "CTCAE grade outside 1–5")
    return text.where(valid).map(lambda v: None if pd.isna(v) else int(float(v)))


def read_ae(ae: DomainTable, subjects: set[str], out: Clinical, problems: Problems, notes: list[str]) -> None:
    """Adverse events from AE."""
    note_unused_columns(
        ae,
        (
            "USUBJID",
            "AESEQ",
            "AETERM",
            "AEDECOD",
            "AEBODSYS",
            "AESOC",
            "AETOXGR",
            "AESEV",
            "AESER",
            "AEREL",
            "AEACN",
            "AEOUT",
            "AESTDTC",
            "AEENDTC",
            "AESDTH",
        ),
        notes,
    )
    if not require_columns(ae, ("USUBJID",), problems):
        return
    if not require_one_of(ae, "AEDECOD", "AETERM", problems):
        return
    ok = subject_mask(ae, subjects, problems)
    term = ae.first("AEDECOD", "AETERM")
    problems.rows("error", ae, ok & term.isna(), "AEDECOD", "adverse event without a term")
    grade = _grades(ae, ok, problems)
    onset = read_dates(ae, "AESTDTC", problems, rule="earliest")
    resolution = read_dates(ae, "AEENDTC", problems, rule="latest")
    seq_text = ae.col("AESEQ")
    seq = pd.to_numeric(seq_text, errors="coerce")
    bad_seq = seq_text.notna() & (seq.isna() | (seq % 1).ne(0))
    problems.rows("error", ae, ok & bad_seq, "AESEQ", "sequence number is not a whole number")
    fatal = ae.upper("AEOUT").eq("FATAL") | ae.upper("AESDTH").eq("Y")
    frame = pd.DataFrame(
        {
            "s": ae.col("USUBJID"),
            "seq": seq,
            "term": term,
            "soc": ae.first("AEBODSYS", "AESOC"),
            "grade": grade,
            "sev": ae.col("AESEV"),
            "on": onset.earliest,
            "off": resolution.latest,
            "rel": ae.col("AEREL").str.lower(),
            "ser": ae.upper("AESER").eq("Y"),
            "acn": ae.col("AEACN"),
            "out": ae.col("AEOUT"),
            "fatal": fatal,
        }
    )[ok & term.notna() & ~bad_seq]
    counter: dict[str, int] = {}
    for i, s, sq, t, soc, g, sev, on, off, rel, ser, acn, outc, fat in frame.itertuples(name=None):
        counter[s] = counter.get(s, 0) + 1
        if on is not None and off is not None and off < on:
            problems.warning(ae.file, i + 1, "AEENDTC", ae.col("AEENDTC").at[i], "AE resolves before its onset", s)
        out.adverse_events.append(
            AdverseEvent(
                subject_id=s,
                seq=counter[s] if pd.isna(sq) else int(sq),
                term=t,
                soc=_s(soc),
                grade=None if pd.isna(g) else int(g),
                severity=_s(sev),
                onset=on,
                resolution=off,
                attribution=_s(rel),
                serious=bool(ser),
                action=_s(acn),
                outcome=_s(outc),
            )
        )
        if fat:
            out.death_causes.setdefault(s, []).append(t)
    checked = [(i + 1, t, None if pd.isna(g) else int(g), s) for i, s, _q, t, _o, g, *_r in frame.itertuples(name=None)]
    field = "AEDECOD" if ae.has("AEDECOD") else "AETERM"
    for p in term_findings(ae.file, field, "AETOXGR", checked):
        problems.warning(p.file, p.row, p.field, p.value, p.reason, p.subject_id)
    ungraded = sum(1 for a in out.adverse_events if a.grade is None)
    if ungraded:
        notes.append(
            f"{ae.file}: {ungraded} adverse events have no CTCAE grade (AETOXGR "
            f"{'blank' if ae.has('AETOXGR') else 'absent'}); their severity (AESEV) is kept"
        )
    ids = ae.col("USUBJID")
    out.lka_dates.append(pd.DataFrame({"subject": ids[ok], "date": onset.complete()[ok]}))
    out.lka_dates.append(pd.DataFrame({"subject": ids[ok], "date": resolution.complete()[ok]}))


def read_lb(
    lb: DomainTable,
    subjects: set[str],
    first_dose: dict[str, date | None],
    out: Clinical,
    problems: Problems,
    notes: list[str],
) -> None:
    """Laboratory results and baseline Child-Pugh components from LB."""
    note_unused_columns(
        lb,
        (
            "USUBJID",
            "LBTESTCD",
            "LBSTRESN",
            "LBSTRESU",
            "LBDTC",
            "LBSTNRLO",
            "LBSTNRHI",
            "LBBLFL",
            "LBSEQ",
            "LBTEST",
            "LBCAT",
            "LBORRES",
            "LBORRESU",
            "LBORNRLO",
            "LBORNRHI",
            "LBSTRESC",
            "LBNRIND",
            "VISITNUM",
            "VISIT",
            "VISITDY",
            "LBDY",
        ),
        notes,
    )
    if not require_columns(lb, ("USUBJID", "LBTESTCD", "LBSTRESN"), problems):
        return
    ok = subject_mask(lb, subjects, problems)
    test = lb.col("LBTESTCD")
    problems.rows("error", lb, ok & test.isna(), "LBTESTCD", "laboratory test code missing")
    value = pd.to_numeric(lb.col("LBSTRESN"), errors="coerce")
    dates = read_dates(lb, "LBDTC", problems, rule="earliest")
    keep = ok & test.notna() & value.notna()
    skipped = int((ok & test.notna() & value.isna()).sum())
    if skipped:
        notes.append(f"{lb.file}: {skipped} results without a numeric standard value (LBSTRESN) were skipped")
    lo = pd.to_numeric(lb.col("LBSTNRLO"), errors="coerce")
    hi = pd.to_numeric(lb.col("LBSTNRHI"), errors="coerce")
    unit = lb.col("LBSTRESU").fillna("")
    frame = pd.DataFrame(
        {
            "s": lb.col("USUBJID"),
            "t": test,
            "v": value,
            "u": unit,
            "d": dates.earliest,
            "lo": lo.astype(object).where(lo.notna(), None),
            "hi": hi.astype(object).where(hi.notna(), None),
        }
    )[keep]
    out.labs = [
        LabResult(s, t, float(v), u, d, lln, uln)
        for s, t, v, u, d, lln, uln in frame.itertuples(index=False, name=None)
    ]
    out.child_pugh = _child_pugh(lb, frame, lb.upper("LBBLFL").eq("Y")[keep], first_dose, problems)
    ids = lb.col("USUBJID")
    out.lka_dates.append(pd.DataFrame({"subject": ids[ok], "date": dates.complete()[ok]}))
    out.first_dates.append(pd.DataFrame({"subject": ids[ok], "date": dates.complete()[ok]}))


def _child_pugh(
    lb: DomainTable,
    frame: pd.DataFrame,
    baseline_flag: pd.Series,
    first_dose: dict[str, date | None],
    problems: Problems,
) -> list[ChildPughComponents]:
    # subject -> {field of ChildPughComponents: value}; Any: mypy cannot tie each key to its field's type
    values: dict[str, dict[str, Any]] = {}
    for component, (code, target, units) in _CHILD_PUGH.items():
        rows = frame[frame.t.str.upper().eq(code)].assign(flag=baseline_flag)
        if rows.empty:
            continue
        flagged = rows[rows.flag]
        cut = rows.s.map(first_dose)
        before = rows[rows.d.notna() & cut.notna() & (rows.d <= cut)]
        chosen = pd.concat([before.sort_values("d", kind="stable"), flagged.sort_values("d", kind="stable")])
        chosen = chosen.groupby("s").tail(1)  # the flagged baseline when there is one, else the last pre-dose value
        divisor = chosen.u.str.strip().str.lower().map(units)
        for unit_text, group in chosen[divisor.isna()].groupby("u"):
            problems.warning(
                lb.file,
                int(group.index[0]) + 1,
                "LBSTRESU",
                unit_text,
                f"{code} unit not understood for Child-Pugh; {len(group)} baseline values not used",
            )
        for unit_text, group in chosen[divisor.notna() & divisor.ne(1.0)].groupby("u"):
            problems.warning(
                lb.file,
                int(group.index[0]) + 1,
                "LBSTRESU",
                unit_text,
                f"unit converted: {len(group)} baseline {code} values {unit_text} → {target} "
                f"(÷{units[unit_text.strip().lower()]:g}) for Child-Pugh",
            )
        for s, v, div in zip(chosen.s, chosen.v, divisor, strict=True):
            if not pd.isna(div):
                values.setdefault(s, {})[component] = round(float(v) / float(div), 4)
    return [ChildPughComponents(subject_id=s, **v) for s, v in sorted(values.items())]


def sv_dates(sv: DomainTable, subjects: set[str], out: Clinical, problems: Problems, notes: list[str]) -> None:
    """Visit dates from SV (for last known alive)."""
    note_unused_columns(sv, ("USUBJID", "SVSTDTC", "SVENDTC", "VISITNUM", "VISIT", "VISITDY"), notes)
    if not require_columns(sv, ("USUBJID",), problems):
        return
    ok = subject_mask(sv, subjects, problems)
    ids = sv.col("USUBJID")
    for column in ("SVSTDTC", "SVENDTC"):
        day = read_dates(sv, column, problems, rule="earliest", warn_partial=False).complete()
        out.lka_dates.append(pd.DataFrame({"subject": ids[ok], "date": day[ok]}))
        if column == "SVSTDTC":
            out.first_dates.append(pd.DataFrame({"subject": ids[ok], "date": day[ok]}))


def _s(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)
