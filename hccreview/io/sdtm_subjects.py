"""SDTM subject-level domains → subject facts: DM, SUPPDM and DS.

Rules:

- **DM → Subject**: ``USUBJID`` → subject id (required, unique); ``SITEID``, ``SEX``, ``AGE``; ``BRTHDTC``
  → birth date; ``RFICDTC`` (informed consent) → enrolment date; ``RFXSTDTC``, else ``RFSTDTC``, → first dose
  (else, in :mod:`hccreview.io.sdtm`, the earliest ``EXSTDTC``). Partial dates here take the first day of their
  period, with a warning. HCC baseline fields (etiology, BCLC, ECOG, ...) are not SDTM DM variables: they come
  from SUPPDM when its ``QNAM`` names them (:data:`SUPPDM_FIELDS`), else stay empty. Baseline Child-Pugh
  components stated in SUPPDM (:data:`SUPPDM_CHILD_PUGH`, as hccreview's SDTM export writes them) override the
  ones derived from LB (ascites and encephalopathy have no other SDTM home here).
- **Arm** = the treatment actually received, ``ACTARM`` (the as-treated grouping of the safety set, ICH E9 §6.3:
  the subjects "who received at least one dose", by the treatment they received); ``ARM`` (randomised) only where
  the delivery has no ``ACTARM`` column. A subject whose ``ACTARMCD`` says no treatment arm (SDTMIG 3.2 DM:
  SCRNFAIL, NOTASSGN, NOTTRT) or whose ``ACTARM`` is blank gets no arm: listed, in no arm's figures. A note says
  how many subjects were treated otherwise than randomised (``ACTARM`` ≠ ``ARM``): the study file keeps one arm
  per subject, the actual one (:mod:`hccreview.domain.arms`).
- **Screen failure** when ``ARMCD`` (or ``ACTARMCD``) is SCRNFAIL or ``ARM`` is "Screen Failure", or DS has a
  SCREEN FAILURE record, or the subject was neither randomised nor dosed (no DS RANDOMIZED, no first dose, no EX
  record). Screen failures are listed but outside the analysis population (DESIGN §4).
- **DS**: ``DSDECOD`` RANDOMIZED → randomisation date (``DSSTDTC``, else ``DSDTC``; the first when repeated,
  with a warning); DEATH → death date when DM ``DTHDTC`` has none (DM wins when both are given; a disagreement is
  a warning), and its ``DSTERM``, when it says more than "DEATH", the cause of death where no AE is fatal;
  SCREEN FAILURE → screen failure. Every complete DS date except the death itself counts for last
  known alive.
- **Death**: ``DTHDTC`` (DM), else DS DEATH; ``DTHFL`` Y without any date is a warning. A death before birth is an
  error (the check against the first record is made once every domain is read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from hccreview.domain.limits import AGE_RANGE_YEARS
from hccreview.io.sdtm_dates import read_dates
from hccreview.io.sdtm_read import DomainTable, Problems, note_unused_columns, require_columns, subject_mask

#: SUPPDM qualifiers that name a Subject field (HCC baseline characteristics); others are ignored with a note.
SUPPDM_FIELDS: dict[str, str] = {
    "ECOG": "ecog",
    "ECOGBL": "ecog",
    "ECOGPS": "ecog",
    "ETIOL": "etiology",
    "ETIOLOGY": "etiology",
    "HCCETIOL": "etiology",
    "BCLC": "bclc_stage",
    "BCLCSTG": "bclc_stage",
    "PRIORSOR": "prior_sorafenib",
    "PRSORAF": "prior_sorafenib",
    "EXTRAHEP": "extrahepatic",
    "EHS": "extrahepatic",
    "EHD": "extrahepatic",
    "MVI": "macrovascular_invasion",
    "MACROVI": "macrovascular_invasion",
    "AFP": "afp_ng_ml",
    "AFPBL": "afp_ng_ml",
}
#: SUPPDM qualifiers that state a baseline Child-Pugh component (hccreview export convention, docs/sdtm-export.md).
SUPPDM_CHILD_PUGH: dict[str, str] = {
    "CPBILI": "bilirubin_mg_dl",
    "CPALB": "albumin_g_dl",
    "CPINR": "inr",
    "CPASCIT": "ascites",
    "CPENCEPH": "encephalopathy",
}
_DM_USED = (
    "USUBJID",
    "SITEID",
    "SEX",
    "AGE",
    "ARM",
    "ARMCD",
    "ACTARM",
    "ACTARMCD",
    "BRTHDTC",
    "RFICDTC",
    "RFXSTDTC",
    "RFSTDTC",
    "RFPENDTC",
    "DTHDTC",
    "DTHFL",
)
_TRUE = {"Y", "YES", "TRUE", "1"}
_FALSE = {"N", "NO", "FALSE", "0"}


@dataclass
class Death:
    """A death date and where it was read (for error messages)."""

    day: date
    file: str
    row: int
    field: str
    raw: str


@dataclass
class SubjectFacts:
    """What DM, SUPPDM and DS say about each subject (Subject keyword arguments, in DM order)."""

    fields: dict[str, dict] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # DM row of each subject
    deaths: dict[str, Death] = field(default_factory=dict)
    flagged_dead: set[str] = field(default_factory=set)
    death_terms: dict[str, str] = field(default_factory=dict)  # DS DEATH DSTERM other than "DEATH"
    randomised_study: bool = False
    lka_dates: list[pd.DataFrame] = field(default_factory=list)  # (subject, date) for last known alive
    first_dates: list[pd.DataFrame] = field(default_factory=list)  # (subject, date) of study records
    study_id: str = ""
    dm_file: str = "dm.csv"
    child_pugh: dict[str, dict[str, object]] = field(default_factory=dict)  # SUPPDM Child-Pugh components


def read_dm(dm: DomainTable, problems: Problems, notes: list[str]) -> SubjectFacts:
    """Subjects of DM (required columns: USUBJID)."""
    facts = SubjectFacts(dm_file=dm.file)
    note_unused_columns(dm, (*_DM_USED, "SUBJID", "RFENDTC", "RFXENDTC", "AGEU"), notes)
    if not require_columns(dm, ("USUBJID",), problems):
        return facts
    ids = dm.col("USUBJID")
    if ids.notna().sum() == 0:  # else every other domain's rows would only say "subject does not exist in DM"
        problems.error(dm.file, None, "USUBJID", "", "DM lists no subject: the file has no data rows")
        problems.lose(dm.domain, None)
    problems.rows("error", dm, ids.isna(), "USUBJID", "subject id (USUBJID) missing")
    problems.rows("error", dm, ids.notna() & ids.duplicated(), "USUBJID", "subject listed twice in DM")
    birth = read_dates(dm, "BRTHDTC", problems, rule="earliest").earliest
    consent = read_dates(dm, "RFICDTC", problems, rule="earliest")
    rfx = read_dates(dm, "RFXSTDTC", problems, rule="earliest")
    rfs = read_dates(dm, "RFSTDTC", problems, rule="earliest", mask=dm.col("RFXSTDTC").isna())
    first_dose = rfx.earliest.where(rfx.earliest.notna(), rfs.earliest)
    death = read_dates(dm, "DTHDTC", problems, rule="earliest", warn_partial=False)  # io.sdtm imputes and warns
    pend = read_dates(dm, "RFPENDTC", problems, rule="latest", warn_partial=False)
    age_text = dm.col("AGE")
    age = pd.to_numeric(age_text, errors="coerce")
    problems.rows("warning", dm, age_text.notna() & age.isna(), "AGE", "age is not a number; left empty")
    low, high = AGE_RANGE_YEARS  # as the CSV bundle's range
    implausible = age.notna() & ~age.between(low, high)  # also catches inf
    problems.rows("warning", dm, implausible, "AGE", f"age outside {low}–{high} years; left empty")
    age = age.where(~implausible)
    arm = _actual_arm(dm, notes)
    screen_fail = (
        dm.upper("ARMCD").eq("SCRNFAIL")
        | dm.upper("ACTARMCD").eq("SCRNFAIL")
        | dm.col("ARM").str.upper().eq("SCREEN FAILURE")
    )
    facts.study_id = str(dm.col("STUDYID").dropna().iloc[0]) if dm.col("STUDYID").notna().any() else ""
    site, sex, flagged, death_raw = dm.col("SITEID"), dm.col("SEX"), dm.upper("DTHFL").eq("Y"), dm.col("DTHDTC")
    for i in dm.frame.index[ids.notna() & ~ids.duplicated()]:
        sid = str(ids.at[i])
        facts.rows[sid] = int(i) + 1
        facts.fields[sid] = {
            "subject_id": sid,
            "site": _text(site.at[i]),
            "sex": _text(sex.at[i]),
            "age": None if pd.isna(age.at[i]) else round(float(age.at[i])),
            "arm": _text(arm.at[i]),
            "birth_date": birth.at[i],
            "enrolment_date": consent.earliest.at[i],
            "first_dose_date": first_dose.at[i],
            "screen_failure": bool(screen_fail.at[i]),
        }
        if death.earliest.at[i] is not None:
            facts.deaths[sid] = Death(death.earliest.at[i], dm.file, int(i) + 1, "DTHDTC", death_raw.at[i])
        if flagged.at[i]:
            facts.flagged_dead.add(sid)
    facts.lka_dates.append(pd.DataFrame({"subject": ids, "date": pend.complete()}))
    facts.first_dates.append(
        pd.DataFrame(
            {
                "subject": pd.concat([ids] * 3, ignore_index=True),
                "date": pd.concat([consent.complete(), rfx.complete(), rfs.complete()], ignore_index=True),
            }
        )
    )
    return facts


#: ARMCD / ACTARMCD codes that name no treatment arm (SDTMIG 3.2 §5.2 DM assumptions 4 and 5).
NO_ARM_CODES = frozenset({"SCRNFAIL", "NOTASSGN", "NOTTRT"})


def _actual_arm(dm: DomainTable, notes: list[str]) -> pd.Series:
    """Each subject's arm as treated (module docstring, **Arm**): ACTARM, else — without the column — ARM."""
    if "ACTARM" not in dm.frame.columns:
        return dm.col("ARM")
    actual = dm.col("ACTARM").where(~dm.upper("ACTARMCD").isin(NO_ARM_CODES))
    randomised = dm.col("ARM").where(~dm.upper("ARMCD").isin(NO_ARM_CODES))
    moved = actual.notna() & randomised.notna() & actual.str.strip().ne(randomised.str.strip())
    if moved.any():
        first = moved.idxmax()
        notes.append(
            f"{dm.file}: arms as treated (ACTARM); {int(moved.sum())} subject(s) received another arm than "
            f"randomised (ARM), e.g. {dm.col('USUBJID').at[first]}: randomised {randomised.at[first]}, "
            f"treated {actual.at[first]}"
        )
    untreated = actual.isna() & randomised.notna()
    if untreated.any():
        notes.append(f"{dm.file}: {int(untreated.sum())} randomised subject(s) without an actual arm (ACTARM "
                     "blank or not treated): in no arm's figures")  # fmt: skip
    return actual


def apply_suppdm(supp: DomainTable, facts: SubjectFacts, problems: Problems, notes: list[str]) -> None:
    """SUPPDM qualifiers that name Subject fields (:data:`SUPPDM_FIELDS`); the rest are noted and ignored."""
    if not require_columns(supp, ("USUBJID", "QNAM", "QVAL"), problems):
        return
    ok = subject_mask(supp, set(facts.fields), problems)
    qnam = supp.upper("QNAM")
    ignored: dict[str, int] = {}
    for i in supp.frame.index[ok]:
        name, value, sid = qnam.at[i], supp.col("QVAL").at[i], str(supp.col("USUBJID").at[i])
        component = SUPPDM_CHILD_PUGH.get(str(name))
        if component is not None:
            if not pd.isna(value):
                _child_pugh_value(supp, i, facts, sid, str(name), component, str(value), problems)
            continue
        target = SUPPDM_FIELDS.get(str(name))
        if target is None:
            ignored[str(name)] = ignored.get(str(name), 0) + 1
            continue
        if pd.isna(value):
            continue
        converted = _convert(target, str(value))
        if converted is None:
            problems.warning(supp.file, int(i) + 1, "QVAL", value, f"{name} value not understood; left empty", sid)
            continue
        facts.fields[sid][target] = converted
    if ignored:
        detail = ", ".join(f"{k} {v}" for k, v in sorted(ignored.items()))
        notes.append(f"{supp.file}: qualifiers that are not hccreview subject fields were ignored: {detail}")


def _child_pugh_value(
    supp: DomainTable, i: int, facts: SubjectFacts, sid: str, name: str, component: str, value: str, problems: Problems
) -> None:
    text = value.strip()
    if component in ("ascites", "encephalopathy"):
        facts.child_pugh.setdefault(sid, {})[component] = text
        return
    try:
        facts.child_pugh.setdefault(sid, {})[component] = float(text)
    except ValueError:
        problems.warning(supp.file, int(i) + 1, "QVAL", value, f"{name} is not a number; left empty", sid)


def _convert(target: str, value: str) -> object:
    text = value.strip()
    if target == "ecog":
        return int(text) if text in {"0", "1", "2", "3", "4", "5"} else None
    if target == "afp_ng_ml":
        try:
            return float(text)
        except ValueError:
            return None
    if target in ("extrahepatic", "macrovascular_invasion"):
        up = text.upper()
        return True if up in _TRUE else (False if up in _FALSE else None)
    if target == "prior_sorafenib":
        return text.lower()
    return text


def read_ds(ds: DomainTable, facts: SubjectFacts, problems: Problems, notes: list[str]) -> set[str]:
    """Randomisation, death and screen failure from DS; returns the subjects DS calls screen failures."""
    note_unused_columns(
        ds,
        ("USUBJID", "DSDECOD", "DSSTDTC", "DSDTC", "DSTERM", "DSSEQ", "DSCAT", "DSSPID", "VISITNUM", "VISIT", "DSSTDY"),
        notes,
    )
    if not require_columns(ds, ("USUBJID", "DSDECOD"), problems):
        return set()
    ok = subject_mask(ds, set(facts.fields), problems)
    column = "DSSTDTC" if ds.has("DSSTDTC") else "DSDTC"
    dates = read_dates(ds, column, problems, rule="earliest")
    decod = ds.upper("DSDECOD")
    ids = ds.col("USUBJID")
    facts.randomised_study = bool((decod == "RANDOMIZED").any())
    screen_failures: set[str] = set()
    for i in ds.frame.index[ok & decod.isin(["RANDOMIZED", "DEATH", "SCREEN FAILURE"])]:
        sid, what, day = str(ids.at[i]), decod.at[i], dates.earliest.at[i]
        term = ds.col("DSTERM").at[i]
        if what == "DEATH" and not pd.isna(term) and str(term).strip().upper() != "DEATH":
            facts.death_terms[sid] = str(term).strip()  # a stated cause (hccreview's export writes it here)
        if what == "SCREEN FAILURE":
            screen_failures.add(sid)
        elif day is None:
            problems.warning(ds.file, int(i) + 1, column, "", f"{what.lower()} record without a date", sid)
        elif what == "RANDOMIZED":
            current = facts.fields[sid].get("randomisation_date")
            if current is not None:
                problems.warning(
                    ds.file, int(i) + 1, column, ds.col(column).at[i], "randomised twice; the first date is used", sid
                )
                day = min(day, current)
            facts.fields[sid]["randomisation_date"] = day
        else:
            dm_death = facts.deaths.get(sid)
            if dm_death is None:
                facts.deaths[sid] = Death(day, ds.file, int(i) + 1, column, ds.col(column).at[i])
            elif dm_death.day != day and dm_death.file != ds.file:
                problems.warning(
                    ds.file,
                    int(i) + 1,
                    column,
                    ds.col(column).at[i],
                    f"DS death date differs from DM DTHDTC ({dm_death.day.isoformat()}); DM is used",
                    sid,
                )
    alive = ok & decod.ne("DEATH")
    complete = dates.complete()
    facts.lka_dates.append(pd.DataFrame({"subject": ids[alive], "date": complete[alive]}))
    facts.first_dates.append(pd.DataFrame({"subject": ids[alive], "date": complete[alive]}))
    return screen_failures


def check_births(facts: SubjectFacts, problems: Problems) -> None:
    """A death before birth is an error."""
    for sid, death in facts.deaths.items():
        birth = facts.fields[sid].get("birth_date")
        if birth is not None and death.day < birth:
            problems.error(
                death.file, death.row, death.field, death.raw, f"death before birth ({birth.isoformat()})", sid
            )


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)
