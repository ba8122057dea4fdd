"""Checks of the CSV bundle's parsed rows (:mod:`hccreview.io.csv_bundle`): each row, then across rows and files.

Owns :func:`check_row` (ranges; the alternative-unit and Child-Pugh text columns of ``subjects.csv``; resolution
before onset; lab unit conversion, bilirubin µmol/L ÷ 17.1 -> mg/dL and albumin g/L ÷ 10 -> g/dL; non-standard
response codes) and :func:`cross_check` (duplicate natural keys, one error naming every row of the key; references
to subjects and lesions; adjudications choosing a reader without a read; impossible death dates; assessments before
the origin, DESIGN §4). An error marks the row invalid, a warning keeps it. A reference to a row the bundle lost
(its file missing, unreadable, without a required column, or the row itself broken) is no second error: the
referring row is left out silently behind the root cause.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from datetime import date
from typing import Any

from hccreview.domain import child_pugh as cp_rules
from hccreview.domain import records as r
from hccreview.domain.endpoints import origin_rule
from hccreview.domain.limits import AGE_RANGE_YEARS, CTCAE_GRADE_RANGE, MAX_DIAMETER_MM
from hccreview.domain.recist import normalise_response
from hccreview.domain.record_kinds import RECORD_KINDS
from hccreview.io.csv_bundle_cells import (
    ALTERNATIVE_UNIT_COLUMNS,
    RECORDS,
    Collector,
    Row,
    format_cell,
    record_columns,
    try_or_none,
)
from hccreview.io.csv_checks import duplicate_groups, duplicate_key

#: Natural key of each file (duplicates are errors) and the field a duplicate is reported on.
#: Each file's duplicate key and the field a duplicate is reported on (``RecordKind.bundle_key``).
_KEYS: dict[str, tuple[str, ...]] = {k.table: k.bundle_key for k in RECORD_KINDS if k.bundle_key}
_KEY_FIELD = {k.table: k.bundle_key_field for k in RECORD_KINDS if k.bundle_key}
#: (file, field) -> (lowest, highest, lowest excluded); values outside are errors.
_RANGES: dict[tuple[str, str], tuple[float, float, bool]] = {
    ("subjects", "age"): (*AGE_RANGE_YEARS, False),
    ("subjects", "ecog"): (0, 5, False),
    ("subjects", "afp_ng_ml"): (0, math.inf, False),
    ("subjects", "bilirubin_mg_dl"): (0, math.inf, False),
    ("subjects", "albumin_g_dl"): (0, math.inf, False),
    ("subjects", "bilirubin_umol_l"): (0, math.inf, False),
    ("subjects", "albumin_g_l"): (0, math.inf, False),
    ("subjects", "inr"): (0, math.inf, True),
    ("cycles", "number"): (0, math.inf, False),
    ("cycles", "dose_mg"): (0, math.inf, False),
    ("cycles", "days_dosed"): (0, math.inf, False),
    ("cycles", "delay_days"): (0, math.inf, False),
    ("adverse_events", "grade"): (*CTCAE_GRADE_RANGE, False),
    ("measurements", "diameter_mm"): (0, MAX_DIAMETER_MM, False),  # larger: a unit error (a review edit refuses it)
    ("measurements", "short_axis_mm"): (0, MAX_DIAMETER_MM, False),
    ("measurements", "viable_mm"): (0, MAX_DIAMETER_MM, False),
}
_STANDARD_RESPONSES = {"CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE"}
_BILIRUBIN_TESTS = {"bili", "tbili", "bilirubin", "total bilirubin", "bilirubin, total"}
_ALBUMIN_TESTS = {"alb", "albumin"}
_UMOL_L = {"µmol/l", "μmol/l", "umol/l", "micromol/l"}
_BASELINE_VISIT = re.compile(r"baseline|screen|^bl$|^scr", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------- rows
def check_row(table: str, row: Row, out: Collector, convert_labs: bool) -> bool:
    """Ranges, Child-Pugh text, unit conversions, response codes; False when an error was found."""
    ok = True
    v = row.values

    def error(field: str, reason: str) -> None:
        nonlocal ok
        ok = False
        out.flag(row, field, reason)

    for (t, field), (lo, hi, lo_open) in _RANGES.items():
        x = v.get(field) if t == table else None
        if x is not None and (x < lo or x > hi or (lo_open and x == lo)):
            error(field, f"must be {'>' if lo_open else '>='} {lo:g}" + (f" and <= {hi:g}" if hi < math.inf else ""))
    if table == "subjects":
        for column, (target, divisor, unit, to_unit) in ALTERNATIVE_UNIT_COLUMNS.items():
            if v.get(column) is None:
                continue
            if v.get(target) is not None:
                error(column, f"give either {target} or {column}, not both")
            else:
                v[target] = _convert(v[column], divisor)
                reason = f"converted {unit} to {to_unit} (÷{divisor:g}): {target} = {v[target]!r}"
                out.flag(row, column, reason, warning=True)
        for field, points in (("ascites", cp_rules.ascites_points), ("encephalopathy", cp_rules.encephalopathy_points)):
            if v.get(field) is not None and try_or_none(points, v[field]) is None:
                error(field, "unknown Child-Pugh value (see docs/csv-bundle.md for the accepted spellings)")
    elif table == "adverse_events":
        if v.get("onset") and v.get("resolution") and v["resolution"] < v["onset"]:
            error("resolution", f"resolution before onset ({v['onset']})")
    elif table == "labs" and convert_labs:
        _convert_lab_units(row, out)
    elif table == "reads":
        if "date" in row.floors:
            v["date_imputed"] = True
        for field in ("overall", "target", "non_target"):
            code = v.get(field, "")
            if code.upper() in _STANDARD_RESPONSES or (code == "" and field != "overall"):
                continue
            response = normalise_response(code)
            reason = (
                f"non-standard spelling of {response.value}; counts as {response.value}"
                if response not in (r.Response.NE, r.Response.MISSING, r.Response.PENDING)
                else "no response stated; counts as NE"
                if code == ""
                else "non-standard response code, kept verbatim; counts as NE"
            )
            out.flag(row, field, reason, value=code, warning=True)
    return ok


def _convert(value: float, divisor: float) -> float:
    """Unit conversion rounded to 10 significant digits (34.2 µmol/L -> exactly 2.0 mg/dL)."""
    return float(f"{value / divisor:.10g}")


def _convert_lab_units(row: Row, out: Collector) -> None:
    """Bilirubin µmol/L -> mg/dL (÷17.1) and albumin g/L -> g/dL (÷10), with a warning."""
    v = row.values
    test, unit = str(v.get("test", "")).strip().lower(), str(v.get("unit", "")).replace(" ", "").lower()
    if test in _BILIRUBIN_TESTS and unit in _UMOL_L:
        divisor, to_unit = 17.1, "mg/dL"
    elif test in _ALBUMIN_TESTS and unit == "g/l":
        divisor, to_unit = 10.0, "g/dL"
    else:
        return
    for field in ("value", "lln", "uln"):
        if v.get(field) is not None:
            v[field] = _convert(v[field], divisor)
    v["unit"] = to_unit
    reason = f"{v['test']} converted to {to_unit} (÷{divisor:g}): value {v.get('value')!r}"
    out.flag(row, "unit", reason, warning=True)


# ---------------------------------------------------------------------------------------------- whole bundle
def cross_check(
    rows: dict[str, list[Row] | None],
    settings: dict[str, object],
    out: Collector,
    lost: dict[str, set[str] | None] | None = None,
) -> None:
    """Checks across rows and files: duplicate keys, references, impossible dates, origin.

    ``lost``: per file, the subjects of rows that could not be read (None: any subject); a file that is missing,
    unreadable or lacks a required column has lost every row. A reference to such a row is no error of its own
    (the one that lost the row is the root cause): the referring row is left out without another error."""
    lost = dict(lost or {})
    usable = {t: rs for t, rs in rows.items() if rs is not None}
    for table in ("subjects", "lesions"):
        if table not in usable:
            lost[table] = None
    for table, fields in _KEYS.items():
        _duplicate_keys(usable.get(table, []), fields, _KEY_FIELD[table], out)
    subject_ids = {row.subject_id for row in usable.get("subjects", ()) if row.subject_id}
    for table in list(RECORDS)[1:]:
        for row in usable.get(table, ()):
            if row.subject_id is not None and row.subject_id not in subject_ids:
                if not _excused(lost, "subjects", row.subject_id):
                    out.flag(row, "subject_id", f"no subject {row.subject_id!r} in subjects.csv")
                row.ok = False
    if "subjects" not in usable:
        return  # missing or unreadable (already an error): nothing else can be checked against it
    _check_lesions(rows, subject_ids, out, lost)
    _check_adjudications(rows, out)
    _check_dates(usable, settings, out)


def _duplicate_keys(rows: list[Row], fields: tuple[str, ...], field: str, out: Collector) -> None:
    """Rows sharing a natural key: one error on the second row naming the key and every row; none is kept but the
    first (which then stands for the key in every other check)."""
    for group in duplicate_groups(row.key(fields) for row in rows):
        first, second = rows[group[0]], rows[group[1]]
        values = [format_cell(first.values[f]) for f in fields]
        out.flag(second, field, duplicate_key(fields, values, [rows[i].row for i in group]), value="")
        for i in group[1:]:
            rows[i].ok = False


def _excused(lost: dict[str, set[str] | None], table: str, subject_id: str | None) -> bool:
    """True when ``subject_id`` may have rows of ``table`` that were not read."""
    if table not in lost:
        return False
    subjects = lost[table]
    return subjects is None or subject_id in subjects


def _check_lesions(
    rows: dict[str, list[Row] | None], subject_ids: set[str], out: Collector, lost: dict[str, set[str] | None]
) -> None:
    """Every measurement must be of a lesion in lesions.csv (same subject, reader and lesion id)."""
    measurements = rows.get("measurements") or []
    lesion_key = ("subject_id", "reader", "lesion_id")
    if measurements and "lesions" not in rows:
        out.error(measurements[0].file, None, "lesion_id", "", "measurements need lesions.csv, which is missing")
    known = {row.key(lesion_key) for row in rows.get("lesions") or ()}
    for row in measurements:
        key = row.key(lesion_key)
        if key is not None and key[0] in subject_ids and key not in known:
            if not _excused(lost, "lesions", key[0]):
                reason = f"no lesion {key[2]!r} of reader {key[1]!r} for subject {key[0]!r} in lesions.csv"
                out.flag(row, "lesion_id", reason)
            row.ok = False


#: ``adjudications.status``: an unsigned decision, a signed one, a signed one whose signature was re-opened.
DECISION_STATUSES = ("open", "signed", "reopened")


def _check_adjudications(rows: dict[str, list[Row] | None], out: Collector) -> None:
    """A decision's status is one of :data:`DECISION_STATUSES` and agrees with ``signed`` (errors); warn when an
    adjudication chooses a reader with no read of that subject."""
    for row in rows.get("adjudications") or ():
        status, signed = row.values.get("status"), bool(row.values.get("signed"))
        if status in (None, "") or (status == "open" and signed):
            continue  # blank (or the default "open"): the status follows `signed`
        if status not in DECISION_STATUSES:
            out.flag(row, "status", f"{status!r} is not one of {', '.join(DECISION_STATUSES)}")
        elif (status == "signed") != signed:
            out.flag(row, "status", f"status {status!r} contradicts signed = {'yes' if signed else 'no'}")
    if rows.get("reads", []) is None:
        return
    readers: dict[str, set[str]] = defaultdict(set)
    for row in rows.get("reads") or ():
        if row.subject_id and row.values.get("reader"):
            readers[row.subject_id].add(row.values["reader"])
    for row in rows.get("adjudications") or ():
        chosen = row.values.get("chosen_reader")
        if row.subject_id and chosen and chosen not in readers[row.subject_id]:
            reason = f"no read by {chosen!r} for subject {row.subject_id!r} in reads.csv"
            out.flag(row, "chosen_reader", reason, warning=True)


def _check_dates(usable: dict[str, list[Row]], settings: dict[str, object], out: Collector) -> None:
    """Death before birth, the first record or enrolment (errors); assessments before the origin (warnings)."""
    subjects = {row.subject_id: row for row in usable["subjects"] if row.subject_id}
    first: dict[str, tuple[date, str]] = {}

    def see(subject_id: str | None, when: Any, label: str) -> None:
        if subject_id and isinstance(when, date) and (subject_id not in first or when < first[subject_id][0]):
            first[subject_id] = (when, label)

    for row in subjects.values():
        for field in ("enrolment_date", "randomisation_date", "first_dose_date"):
            see(row.subject_id, row.values.get(field), f"{row.file} {field}")
    for table, field in (
        ("cycles", "start_date"),
        ("adverse_events", "onset"),
        ("labs", "date"),
        ("measurements", "date"),
        ("reads", "date"),
    ):
        for row in usable.get(table, ()):
            see(row.subject_id, row.floors.get(field, row.values.get(field)), f"{row.file} row {row.row} {field}")
    for row in usable.get("follow_up", ()):
        death = row.values.get("death_date")
        subject = subjects.get(row.subject_id) if row.subject_id is not None else None
        if death is None:
            continue
        birth = subject.values.get("birth_date") if subject else None
        earliest = first.get(row.subject_id or "")
        if birth is not None and death < birth:
            out.flag(row, "death_date", f"death before birth ({birth})")
            row.ok = False
        elif earliest is not None and death < earliest[0]:
            out.flag(row, "death_date", f"death before the subject's first record ({earliest[1]} {earliest[0]})")
            row.ok = False
        elif (enrolled := _enrolment(subject)) and death < enrolled[1]:  # screening scans may predate enrolment
            out.flag(row, "death_date", f"death before enrolment ({enrolled[0]} {enrolled[1]})")
            row.ok = False
        alive = row.values.get("last_known_alive")
        if alive is not None and alive > death:
            out.flag(row, "last_known_alive", f"after the death date ({death})", warning=True)
    _check_origin(usable, subjects, settings, out)


def _enrolment(subject: Row | None) -> tuple[str, date] | None:
    """The earliest of the subject's enrolment, randomisation and first dose dates (field, date), or None."""
    fields = ("enrolment_date", "randomisation_date", "first_dose_date")
    found = [(f, subject.values[f]) for f in fields if subject and isinstance(subject.values.get(f), date)]
    return min(found, key=lambda p: p[1]) if found else None


def _check_origin(
    usable: dict[str, list[Row]], subjects: dict[str, Row], settings: dict[str, object], out: Collector
) -> None:
    """Warn about assessments before the origin (DESIGN §4) that are not the baseline.

    Baseline = a visit named baseline / screening, or the first measurement date of a reader for the subject.
    """
    # each value has its field's type (study.csv is read field by field), which dict[str, object] cannot say
    study = r.StudySettings(**{"title": "", **settings})  # type: ignore[arg-type]  # typed per field, not per dict
    subject_fields = {c.name for c in record_columns(r.Subject)}
    origins: dict[str, tuple[date | None, str]] = {}
    for sid, row in subjects.items():
        record = r.Subject(**{k: v for k, v in row.values.items() if k in subject_fields})
        origins[sid] = origin_rule(record, study)
    baseline: dict[str, set[date]] = defaultdict(set)
    earliest: dict[tuple[str, str], date] = {}
    for row in usable.get("measurements", ()):
        key, when = row.key(("subject_id", "reader")), row.values.get("date")
        if key is not None and when is not None:
            earliest[key] = min(earliest.get(key, when), when)
    for (sid, _reader), when in earliest.items():
        baseline[sid].add(when)
    for table in ("measurements", "reads"):
        for row in usable.get(table, ()):
            when, (origin, which) = row.values.get("date"), origins.get(row.subject_id or "", (None, ""))
            if when is None or origin is None or when >= origin or when in baseline[row.subject_id or ""]:
                continue
            if _BASELINE_VISIT.search(row.values.get("visit") or ""):
                continue
            reason = f"assessment before the origin ({which} {origin}) and not the baseline"
            out.flag(row, "date", reason, warning=True)
