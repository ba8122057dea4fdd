"""CDISC SDTM import: a folder of domain files (CSV or SAS XPT) → records of every table, with problems.

``read_sdtm(folder)`` reads DM (required), SUPPDM, DS, TS, SV, EX, AE, LB, TU, TR, SUPPTR and RS, writes
nothing, and returns a :class:`ParsedImport`: records per store table, errors (the import must be refused) and
warnings (kept with the study as findings), suggested study settings and notes. The mapping of each domain is
documented in the module that reads it: :mod:`sdtm_subjects` (DM, SUPPDM, DS), :mod:`sdtm_clinical` (EX, AE,
LB, SV, Child-Pugh), :mod:`sdtm_tumour` (TU, TR, SUPPTR), :mod:`sdtm_reads` (RS, reader keys); file reading
and encodings in :mod:`sdtm_read`, ISO 8601 partial dates in :mod:`sdtm_dates`. Decided here:

- **Follow-up**, one record per subject: death date (DM ``DTHDTC``, else DS DEATH); cause = the term of an AE
  marked fatal, else the DS DEATH ``DSTERM`` when it names one; last known alive (subjects without a death only)
  = the latest *complete* date of the subject in DM ``RFPENDTC``, SV, AE (onset / resolution), EX (start / end),
  TR, RS, LB and DS. A death before the
  subject's first study record (DM reference dates, DS, SV, EX, TR, RS, LB — AE onsets may predate the study)
  is an error, as is a death before birth.
- **First dose** falls back to the earliest ``EXSTDTC`` when DM gives neither ``RFXSTDTC`` nor ``RFSTDTC``.
- **Settings** suggested: title = TS ``TITLE``, else ``STUDYID``, else the folder name; protocol = ``STUDYID``;
  drug = TS ``TRT``; dose frequency = the commonest EX ``EXDOSFRQ``, else TS ``DOSFRQ``; origin = randomisation
  when DS has RANDOMIZED records, else first dose; criteria mRECIST when RS ``RSCAT`` says so, else RECIST 1.1;
  confirmation 28 days, minimum SD 42 days (DESIGN §4). TS
  parameters of :data:`TS_SETTINGS` (written by hccreview's SDTM export) override these suggestions.
- **Child-Pugh**: the LB-derived baseline components (:mod:`sdtm_clinical`), overridden component by component
  by SUPPDM Child-Pugh qualifiers where given (:mod:`sdtm_subjects`).

Errors refuse the whole import: a missing required column or DM file, a file cut off mid-row, a row of the
wrong shape or holding binary content, a record key given twice (:mod:`sdtm_keys`), an unparseable date, a
negative, infinite or implausible (over 1000 mm) diameter, a grade outside 1–5, a death before birth, before
enrolment (the earlier of randomisation and first dose) or before the first record, and any row (measurement, read,
AE, ...) of a subject that DM does not list or of a lesion that TU does not identify — unless that DM or TU row is
one the delivery lost (a missing column, a broken row): the first error is then the one root cause, and rows
depending on it are left out without errors of their own. The first :data:`~hccreview.io.sdtm_read.PROBLEM_CAP`
problems of each kind are listed row by row, the rest counted. Notes are listed once each.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd

from hccreview.domain.records import ChildPughComponents, Criteria, FollowUp, Origin, Subject
from hccreview.io.sdtm_clinical import Clinical, read_ae, read_ex, read_lb, sv_dates
from hccreview.io.sdtm_dates import impute_death_date
from hccreview.io.sdtm_keys import drop_duplicate_keys
from hccreview.io.sdtm_read import DomainTable, Problems, Progress, find_domain_files, read_domain
from hccreview.io.sdtm_subjects import SubjectFacts, apply_suppdm, check_births, read_dm, read_ds
from hccreview.io.sdtm_tumour import TumourRecords, read_tumour
from hccreview.io.validation import ParsedImport

__all__ = ["TS_SETTINGS", "read_sdtm"]

#: TS parameter code → study setting (hccreview's SDTM export writes them; docs/sdtm-export.md). Read back here.
TS_SETTINGS: dict[str, str] = {
    "HCCRIT": "criteria",
    "HCCONFD": "confirmation_days",
    "HCMINSD": "min_sd_days",
    "HCMAXNE": "max_nr_ne",
    "HCACCSD": "accept_sd",
    "HCORIGIN": "origin",
    "HCASMINT": "assessment_interval_days",
    "HCMISSED": "missed_assessments_for_censoring",
    "HCWINDOW": "assessment_window_days",
    "HCCPVAR": "child_pugh_variant",
    "HCPDDAYS": "discordance_pd_days",
}
_TS_FLAGS = {"Y": True, "N": False}


def _silent(_fraction: float, _message: str) -> None:
    """Default progress callback."""


def read_sdtm(folder: Path, *, progress: Progress | None = None) -> ParsedImport:
    """Read an SDTM delivery (module docstring). ``progress(fraction, message)`` is called between steps."""
    folder = Path(folder)
    report = progress or _silent
    problems = Problems()
    notes: list[str] = []
    counts: dict[str, int] = {}
    if not folder.is_dir():
        problems.error(str(folder), None, "", "", "not a folder of SDTM domain files")
        return ParsedImport({}, problems.finish(), {}, notes, counts)
    files = find_domain_files(folder, problems, notes)
    tables: dict[str, DomainTable] = {}
    for k, (domain, path) in enumerate(files.items()):
        report(0.5 * k / max(len(files), 1), f"reading {path.name}")
        try:
            table = read_domain(path, domain, problems, notes)
        except Exception as exc:  # any unreadable file becomes an import problem, not a crash
            problems.error(path.name, None, "", "", f"cannot read the file ({type(exc).__name__}: {exc})")
            problems.lose(domain, None)
        else:
            if table is None:
                problems.lose(domain, None)
                continue
            counts[path.name] = len(table)
            tables[domain] = drop_duplicate_keys(table, problems)
    if "dm" not in tables:
        if "dm" not in files:
            problems.error("dm.csv", None, "", "", "no DM domain file (dm.csv or dm.xpt): subjects are required")
        return ParsedImport({}, problems.finish(), {}, list(dict.fromkeys(notes)), counts)

    report(0.55, "subjects (DM, SUPPDM, DS)")
    facts = read_dm(tables["dm"], problems, notes)
    subjects = set(facts.fields)
    if "suppdm" in tables:
        apply_suppdm(tables["suppdm"], facts, problems, notes)
    ds_screen_failures = read_ds(tables["ds"], facts, problems, notes) if "ds" in tables else set()

    report(0.6, "treatment, adverse events, laboratory (EX, AE, LB, SV)")
    clinical = Clinical()
    if "ex" in tables:
        read_ex(tables["ex"], subjects, clinical, problems, notes)
    _complete_subjects(facts, clinical, ds_screen_failures, notes)
    if "ae" in tables:
        read_ae(tables["ae"], subjects, clinical, problems, notes)
    if "lb" in tables:
        first_dose = {s: f.get("first_dose_date") for s, f in facts.fields.items()}
        read_lb(tables["lb"], subjects, first_dose, clinical, problems, notes)
    if "sv" in tables:
        sv_dates(tables["sv"], subjects, clinical, problems, notes)

    report(0.75, "tumour assessments (TU, TR, RS)")
    origin = Origin.RANDOMISATION if facts.randomised_study else Origin.FIRST_DOSE
    origins = {
        s: (f.get("randomisation_date") if origin is Origin.RANDOMISATION else None) or f.get("first_dose_date")
        for s, f in facts.fields.items()
    }
    tumour = read_tumour(tables, subjects, origins, problems, notes)

    report(0.9, "follow-up and checks")
    check_births(facts, problems)
    follow_up = _follow_up(facts, clinical, tumour, problems)
    records: dict[str, list[object]] = {
        "subjects": [Subject(**f) for f in facts.fields.values()],
        "child_pugh": list(_child_pugh(clinical.child_pugh, facts.child_pugh)),
        "cycles": list(clinical.cycles),
        "adverse_events": list(clinical.adverse_events),
        "labs": list(clinical.labs),
        "lesions": list(tumour.lesions),
        "measurements": list(tumour.measurements),
        "reads": list(tumour.reads),
        "follow_up": list(follow_up),
    }
    settings = _settings(tables, facts, origin, folder, notes)
    report(1.0, "read")
    return ParsedImport(records, problems.finish(), settings, list(dict.fromkeys(notes)), counts)


def _complete_subjects(facts: SubjectFacts, clinical: Clinical, ds_screen_failures: set[str], notes: list[str]) -> None:
    """First dose from EX where DM has none; the screen-failure rule of :mod:`sdtm_subjects`."""
    from_ex = 0
    for sid, f in facts.fields.items():
        if f.get("first_dose_date") is None and sid in clinical.first_ex:
            f["first_dose_date"] = clinical.first_ex[sid]
            from_ex += 1
        never_started = f.get("randomisation_date") is None and f.get("first_dose_date") is None
        f["screen_failure"] = bool(f["screen_failure"] or sid in ds_screen_failures or never_started)
    if from_ex:
        notes.append(f"first dose taken from the earliest EXSTDTC for {from_ex} subjects without RFXSTDTC/RFSTDTC")


def _per_subject(frames: list[pd.DataFrame], how: str) -> dict[str, date]:
    parts = [f.dropna() for f in frames if len(f)]
    if not parts:
        return {}
    both = pd.concat(parts, ignore_index=True)
    both = both[both["date"].map(lambda d: d is not None)]
    if both.empty:
        return {}
    return both.groupby("subject")["date"].agg(how).to_dict()


def _enrolment(fields: dict[str, object]) -> tuple[str, date] | None:
    """The earliest of randomisation and first dose (a patient cannot die before either), or None."""
    found = [(w, d) for w, d in (("randomisation", fields.get("randomisation_date")),
                                 ("first dose", fields.get("first_dose_date"))) if isinstance(d, date)]  # fmt: skip
    return min(found, key=lambda p: p[1]) if found else None


def _follow_up(facts: SubjectFacts, clinical: Clinical, tumour: TumourRecords, problems: Problems) -> list[FollowUp]:
    first = _per_subject([*facts.first_dates, *clinical.first_dates, *tumour.dates], "min")
    last = _per_subject([*facts.lka_dates, *clinical.lka_dates, *tumour.dates], "max")
    out = []
    for sid in facts.fields:
        death = facts.deaths.get(sid)
        if death is not None and isinstance(death.raw, str):  # partial → last known alive floor; later records
            day, reasons = impute_death_date(death.raw, last.get(sid))
            death = replace(death, day=day)
            for reason in reasons:
                problems.warning(death.file, death.row, death.field, death.raw, reason, sid)
        if death is not None and sid in first and death.day < first[sid]:
            problems.error(
                death.file,
                death.row,
                death.field,
                death.raw,
                f"death before the subject's first record ({first[sid].isoformat()})",
                sid,
            )
        elif death is not None and (enrolled := _enrolment(facts.fields[sid])) and death.day < enrolled[1]:
            problems.error(death.file, death.row, death.field, death.raw,
                           f"death before enrolment ({enrolled[0]} {enrolled[1].isoformat()})", sid)  # fmt: skip
        if death is None and sid in facts.flagged_dead:
            problems.warning(
                facts.dm_file, facts.rows.get(sid), "DTHFL", "Y", "death flagged (DTHFL) without a date", sid
            )
        causes = list(dict.fromkeys(clinical.death_causes.get(sid, []))) or [facts.death_terms.get(sid, "")]
        out.append(
            FollowUp(
                subject_id=sid,
                death_date=None if death is None else death.day,
                death_cause="; ".join(causes) if death is not None else "",
                last_known_alive=None if death is not None or sid in facts.flagged_dead else last.get(sid),
            )
        )
    return out


def _dose_frequency(tables: dict[str, DomainTable]) -> str:
    """The planned regimen's dosing frequency: the commonest EX ``EXDOSFRQ`` ("QD"), else the code before any
    comment of TS ``DOSFRQ`` ("QD; 12 to 14 hours transdermal application" -> "QD"), else ""."""
    ex = tables.get("ex")
    if ex is not None and ex.has("EXDOSFRQ"):
        given = ex.col("EXDOSFRQ").dropna().astype(str).str.strip()
        given = given[given.ne("")]
        if len(given):
            return str(given.value_counts().index[0])
    ts = tables.get("ts")
    if ts is not None and ts.has("TSPARMCD") and ts.has("TSVAL"):
        values = ts.col("TSVAL")[ts.upper("TSPARMCD").eq("DOSFRQ")].dropna()
        if len(values):
            return str(values.iloc[0]).split(";")[0].strip()
    return ""


def _settings(
    tables: dict[str, DomainTable], facts: SubjectFacts, origin: Origin, folder: Path, notes: list[str]
) -> dict[str, object]:
    title, drug = "", ""
    ts = tables.get("ts")
    if ts is not None and ts.has("TSPARMCD") and ts.has("TSVAL"):
        code = ts.upper("TSPARMCD")
        titles = ts.col("TSVAL")[code.eq("TITLE")].dropna()
        drugs = ts.col("TSVAL")[code.eq("TRT")].dropna()
        title = str(titles.iloc[0]) if len(titles) else ""
        drug = str(drugs.iloc[0]) if len(drugs) else ""
    criteria = Criteria.RECIST11
    rs = tables.get("rs")
    if rs is not None and rs.upper("RSCAT").str.contains("MRECIST", regex=False).eq(True).any():
        criteria = Criteria.MRECIST
    settings: dict[str, object] = {
        "title": title or facts.study_id or folder.name,
        "protocol": facts.study_id,
        "origin": origin.value,
        "criteria": criteria.value,
        "confirmation_days": 28,
        "min_sd_days": 42,
    }
    if drug:
        settings["drug"] = drug
    frequency = _dose_frequency(tables)
    if frequency:
        settings["dose_frequency"] = frequency
    if ts is not None and ts.has("TSPARMCD") and ts.has("TSVAL"):
        for code, value in zip(ts.upper("TSPARMCD"), ts.col("TSVAL"), strict=True):
            name = TS_SETTINGS.get(str(code))
            if name is None or pd.isna(value):
                continue
            text = str(value).strip()
            if name == "accept_sd":
                parsed: object = _TS_FLAGS.get(text.upper())
            elif name in ("criteria", "origin", "child_pugh_variant"):
                parsed = text
            else:
                parsed = int(text) if text.lstrip("-").isdigit() else None
            if parsed is None:
                notes.append(f"{ts.file}: TS {code} value {text!r} not understood; setting left at its default")
            else:
                settings[name] = parsed
    return settings


def _child_pugh(from_lb: list[ChildPughComponents], stated: dict[str, dict[str, object]]) -> list[ChildPughComponents]:
    """LB-derived Child-Pugh components, overridden by the SUPPDM-stated ones (module docstring)."""
    if not stated:
        return list(from_lb)
    merged = {c.subject_id: dict(vars(c)) for c in from_lb}
    for sid, values in stated.items():
        merged.setdefault(sid, {"subject_id": sid}).update(values)
    return [ChildPughComponents(**merged[sid]) for sid in sorted(merged)]
