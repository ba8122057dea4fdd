"""SDTM tumour domains → lesions and measurements (TU, TR, SUPPTR); RS is read by :mod:`sdtm_reads`.

Rules (checked against the pharmaverse ``recist/`` and ``onco/`` deliveries, see their README):

- **Reader key** and lesion ids: see :mod:`hccreview.io.sdtm_reads` (``reader_key``); lesion ids
  (``TULNKID``) are kept verbatim per reader (``onco/`` radiologists' ids carry an R1- / R2- prefix).
- **TU → Lesion**: kind from ``TUSTRESC`` (else ``TUORRES``): TARGET / NON-TARGET / NEW, anything else is an error;
  organ = ``TULOC``; lymph node when the organ mentions LYMPH NODE; method ``TUMETHOD``; side ``TULAT`` /
  ``TUDIR`` → site. ``SUPPTR`` ``TRLOC`` fills the organ only when ``TULOC`` is empty and every TR row of the
  lesion gives the same TRLOC (in ``onco/`` it is given on target rows only, and disagrees with ``TULOC`` or
  changes between visits for most lesions, so it is otherwise ignored, with a note).
- **TR → Measurement**, one per (subject, reader, lesion, date): ``LDIAM`` → diameter (``DIAMETER`` only when a
  lesion has no LDIAM that day); short axis (RECIST 1.1 §4.3.1 sums a node by its short axis) from ``SAXIS``
  (short axis, any lesion; hccreview's earlier exports) or, for a lymph-node lesion, ``LPERP`` (longest
  perpendicular: a node's short axis, as both pharmaverse deliveries give it and admiralonco's ADTR sums it for
  nodes); ``SAXIS`` wins when both are given. ``LPERP`` of a non-nodal lesion is not a RECIST 1.1 measurement and
  is ignored with a note. A node with no short axis keeps it empty: the rules engine then counts its LDIAM and
  says so (``recist.node_long_axis_fallback``). ``VLDIAM`` (hccreview's export: longest diameter of the viable,
  enhancing tumour, mRECIST) → viable diameter; ``TUMSTATE`` PRESENT / ABSENT / UNEQUIVOCAL / EQUIVOCAL → status
  (present / absent / unequivocal progression / equivocal); a diameter of 0 mm → absent; ``TRSTAT`` NOT DONE → not
  assessed. ``SUMDIAM`` (the reader's own sum, kept only as a note: the rules engine recomputes sums) and other
  tests are ignored with a note. Rows repeated exactly (``recist/`` repeats two subjects' non-target rows) are kept
  once, with a note; a repeated row with another value is an error. TR rows without TRLNKID are allowed only for
  ignored tests (SUMDIAM is per assessment, not per lesion). Dates: a partial ``TRDTC`` takes the complete date of
  the same subject, reader and visit when exactly one falls within its period (``onco/`` dates the investigator's
  baseline targets of one subject "2014-01" and the non-targets "2014-01-02": one assessment), else the last day
  of its period (DESIGN §4); one warning per subject, reader and value. Centimetres are converted to
  mm with a warning; another unit, a negative or non-numeric diameter (a negative LPERP or SUMDIAM too), an
  unknown lesion or subject, a missing or unparseable date are errors.
- A measurement date before the subject's origin is a warning unless its visit is a baseline or screening visit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from hccreview.domain.limits import IMPLAUSIBLE_DIAMETER, MAX_DIAMETER_MM
from hccreview.domain.records import Lesion, LesionKind, LesionStatus, Measurement, Read
from hccreview.io.sdtm_dates import parse_column
from hccreview.io.sdtm_read import (
    DomainTable,
    Problems,
    map_distinct,
    note_unused_columns,
    number_key,
    require_columns,
    require_one_of,
    subject_mask,
)
from hccreview.io.sdtm_reads import BASELINE_VISIT, norm, read_rs, readers

_KINDS = {
    "TARGET": LesionKind.TARGET,
    "NONTARGET": LesionKind.NON_TARGET,
    "NEW": LesionKind.NEW,
    "NEWLESION": LesionKind.NEW,
}
_STATES = {
    "PRESENT": LesionStatus.PRESENT,
    "ABSENT": LesionStatus.ABSENT,
    "NOTPRESENT": LesionStatus.ABSENT,
    "UNEQUIVOCAL": LesionStatus.UNEQUIVOCAL_PROGRESSION,
    "UNEQUIVOCALPROGRESSION": LesionStatus.UNEQUIVOCAL_PROGRESSION,
    "EQUIVOCAL": LesionStatus.EQUIVOCAL,
    "TOOSMALLTOMEASURE": LesionStatus.TOO_SMALL,
    "TOOSMALL": LesionStatus.TOO_SMALL,
    "NOTEVALUABLE": LesionStatus.NOT_ASSESSED,
    "NOTASSESSED": LesionStatus.NOT_ASSESSED,
    "NE": LesionStatus.NOT_ASSESSED,
}
_SHORT_AXIS = ("SAXIS", "LPERP")  # short axis: SAXIS (any lesion) first, LPERP (lymph nodes only)
_MEASURED = ("LDIAM", *_SHORT_AXIS, "DIAMETER", "VLDIAM")
_USED_TESTS = frozenset({*_MEASURED, "TUMSTATE"})
_OTHER_LENGTHS = ("SUMDIAM",)
_TU_USED = ("USUBJID", "TULNKID", "TUSTRESC", "TUORRES", "TULOC", "TULAT", "TUDIR", "TUMETHOD", "TUEVAL", "TUEVALID")
_TR_USED = (
    "USUBJID",
    "TRLNKID",
    "TRTESTCD",
    "TRSTRESN",
    "TRSTRESC",
    "TRORRES",
    "TRSTRESU",
    "TRORRESU",
    "TRSTAT",
    "TRMETHOD",
    "TREVAL",
    "TREVALID",
    "TRDTC",
    "VISIT",
    "TRSEQ",
)

LesionKey = tuple[str, str, str]


@dataclass
class TumourRecords:
    """What the tumour domains gave, plus (subject, date) pairs of complete assessment dates."""

    lesions: list[Lesion] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    reads: list[Read] = field(default_factory=list)
    dates: list[pd.DataFrame] = field(default_factory=list)


def read_tumour(
    tables: Mapping[str, DomainTable],
    subjects: set[str],
    origins: Mapping[str, date | None],
    problems: Problems,
    notes: list[str],
) -> TumourRecords:
    """Lesions (TU), measurements (TR + SUPPTR) and reads (RS) of the delivery."""
    out = TumourRecords()
    tu, tr, rs = tables.get("tu"), tables.get("tr"), tables.get("rs")
    if tr is not None and tu is None:
        problems.error(tr.file, None, "", "", "TR measurements need the TU domain (lesion identification)")
        problems.lose("tu", None)  # the one root cause: no row then reports its lesion missing
    tr_rows = _tr_rows(tr, subjects, problems, notes) if tr is not None else None
    if tu is not None:
        locations = _trloc(tables.get("supptr"), tr, tr_rows, subjects, problems, notes)
        out.lesions = _lesions(tu, subjects, locations, problems, notes)
    if tr_rows is not None and tr is not None:
        lesions = {(x.subject_id, x.reader, x.lesion_id): x for x in out.lesions}
        out.measurements = _measurements(tr, tr_rows, lesions, origins, problems, notes)
        out.dates.append(
            tr_rows.loc[tr_rows.complete.notna(), ["subject", "complete"]].rename(columns={"complete": "date"})
        )
    if rs is not None:
        out.reads, rs_dates = read_rs(rs, subjects, origins, problems, notes)
        out.dates.append(rs_dates)
    return out


# ------------------------------------------------------------------------------------------------ TU
def _lesions(
    tu: DomainTable, subjects: set[str], locations: Mapping[LesionKey, str], problems: Problems, notes: list[str]
) -> list[Lesion]:
    note_unused_columns(
        tu, (*_TU_USED, "TUSEQ", "TUTESTCD", "TUTEST", "VISIT", "VISITNUM", "TUDTC", "TUDY", "TUACPTFL"), notes
    )
    if not require_columns(tu, ("USUBJID", "TULNKID"), problems) or not require_one_of(
        tu, "TUSTRESC", "TUORRES", problems
    ):
        return []
    ok = subject_mask(tu, subjects, problems)
    lnk = tu.col("TULNKID")
    problems.rows("error", tu, lnk.isna(), "TULNKID", "lesion id (TULNKID) missing")
    kind_text = tu.first("TUSTRESC", "TUORRES")
    kinds = map_distinct(kind_text, lambda v: _KINDS.get(norm(v)))
    field_ = "TUSTRESC" if tu.has("TUSTRESC") else "TUORRES"
    problems.rows(
        "error", tu, kinds.isna(), field_, "lesion kind is not TARGET, NON-TARGET or NEW", value_column=field_
    )
    reader = readers(tu, "TU")
    site = tu.col("TULAT").fillna("").str.cat(tu.col("TUDIR").fillna(""), sep=" ").str.strip()
    frame = pd.DataFrame(
        {
            "subject": tu.col("USUBJID"),
            "reader": reader,
            "lnk": lnk,
            "kind": kinds,
            "organ": tu.col("TULOC"),
            "site": site,
            "method": tu.col("TUMETHOD").fillna(""),
            "ok": ok & lnk.notna() & kinds.notna(),
        }
    )
    lesions: dict[LesionKey, Lesion] = {}
    filled = 0
    for i, s, r, lid, kind, organ, site_, method, good in frame.itertuples(name=None):
        if not good:
            continue
        key = (s, r, lid)
        if pd.isna(organ):
            organ = locations.get(key, "")
            filled += bool(organ)
        lesion = Lesion(
            subject_id=s,
            reader=r,
            lesion_id=lid,
            kind=kind,
            organ=organ,
            site=site_,
            is_node="LYMPH NODE" in organ.upper() or organ.upper() == "NODE",
            method=method,
        )
        if key in lesions:
            if lesions[key] != lesion:
                problems.error(
                    tu.file, i + 1, "TULNKID", lid, "lesion identified twice by one reader with different details", s
                )
            else:
                problems.warning(tu.file, i + 1, "TULNKID", lid, "lesion identified twice; kept once", s)
            continue
        lesions[key] = lesion
    if filled:
        notes.append(f"{tu.file}: {filled} lesions without TULOC took their organ from SUPPTR TRLOC")
    return list(lesions.values())


# ------------------------------------------------------------------------------------------------ TR
def _tr_rows(tr: DomainTable, subjects: set[str], problems: Problems, notes: list[str]) -> pd.DataFrame | None:
    """TR rows as a frame of parsed keys (every row; ``used`` marks rows that give a measurement)."""
    note_unused_columns(
        tr, (*_TR_USED, "TRGRPID", "TRLNKGRP", "TRTEST", "TRREASND", "TRACPTFL", "VISITNUM", "TRDY"), notes
    )
    if not require_columns(tr, ("USUBJID", "TRLNKID", "TRTESTCD", "TRDTC"), problems):
        return None
    test = tr.upper("TRTESTCD")
    problems.rows("error", tr, test.isna(), "TRTESTCD", "test code (TRTESTCD) missing")
    ignored = Counter(test[~test.isin(_USED_TESTS) & test.notna()])
    if ignored:
        detail = ", ".join(f"{k} {v}" for k, v in sorted(ignored.items()))
        notes.append(
            f"{tr.file}: rows not used as RECIST measurements (by TRTESTCD): {detail}"
            + ("; SUMDIAM is the reader's own sum, recomputed from the lesions" if "SUMDIAM" in ignored else "")
        )
    ok = subject_mask(tr, subjects, problems)
    used = test.isin(_USED_TESTS)
    lnk = tr.col("TRLNKID")
    problems.rows("error", tr, used & lnk.isna(), "TRLNKID", "measurement without a lesion link (TRLNKID)")
    dtc = tr.col("TRDTC")
    dates = parse_column(dtc)
    problems.rows("error", tr, used & dtc.isna(), "TRDTC", "measurement without a date")
    for raw, why in dates.reasons.items():
        problems.rows("error", tr, used & dtc.eq(raw), "TRDTC", f"unparseable date: {why}")
    frame = pd.DataFrame(
        {
            "subject": tr.col("USUBJID"),
            "reader": readers(tr, "TR"),
            "lnk": lnk,
            "test": test,
            "date": dates.latest,
            "raw_date": dtc,
            "partial": dates.partial,
            "how": "",
            "complete": dates.complete(),
            "known": ok,
            "used": used & ok & lnk.notna() & dates.latest.notna(),
        }
    )
    _align_partial_dates(frame, dates.earliest, tr.col("VISIT").fillna(""))
    return frame


def _align_partial_dates(frame: pd.DataFrame, earliest: pd.Series, visit: pd.Series) -> None:
    """Impute partial TRDTC (module docstring): the visit's one complete date in the period, else the period's end."""
    partial = frame.index[frame.partial & frame.date.notna()]
    if len(partial) == 0:
        return
    frame.loc[partial, "how"] = "the last day of its period"
    dated = frame.complete.notna()
    same_visit: dict[tuple, set[date]] = {}
    for key, day in zip(
        zip(frame.subject[dated], frame.reader[dated], visit[dated], strict=True), frame.complete[dated], strict=True
    ):
        same_visit.setdefault(key, set()).add(day)
    for i in partial:
        key = (frame.at[i, "subject"], frame.at[i, "reader"], visit.at[i])
        inside = [d for d in same_visit.get(key, ()) if earliest.at[i] <= d <= frame.at[i, "date"]]
        if len(inside) == 1:
            frame.at[i, "date"] = inside[0]
            frame.at[i, "how"] = "the date of the other measurements of this visit"


def _trloc(
    supptr: DomainTable | None,
    tr: DomainTable | None,
    tr_rows: pd.DataFrame | None,
    subjects: set[str],
    problems: Problems,
    notes: list[str],
) -> dict[LesionKey, str]:
    """Lesion → TRLOC where every TR row of the lesion carries the same one (SUPPTR by TRSEQ or TRLNKID)."""
    if supptr is None:
        return {}
    if not require_columns(supptr, ("USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QVAL"), problems):
        return {}
    ok = subject_mask(supptr, subjects, problems)
    qnam = supptr.upper("QNAM")
    other = Counter(qnam[qnam.ne("TRLOC") & qnam.notna()])
    if other:
        notes.append(f"{supptr.file}: qualifiers not used: {', '.join(sorted(other))}")
    loc = supptr.frame[ok & qnam.eq("TRLOC")]
    if loc.empty or tr is None or tr_rows is None:
        return {}
    idvar = loc["IDVAR"].str.upper()
    per_lesion: dict[LesionKey, set[str]] = {}
    by_seq = loc[idvar.eq("TRSEQ")]
    if len(by_seq):
        rows = pd.DataFrame(
            {
                "USUBJID": tr.col("USUBJID"),
                "IDVARVAL": tr.col("TRSEQ"),
                "subject": tr_rows.subject,
                "reader": tr_rows.reader,
                "lnk": tr_rows.lnk,
            }
        )
        left = by_seq[["USUBJID", "IDVARVAL", "QVAL"]].assign(IDVARVAL=number_key(by_seq["IDVARVAL"]))
        merged = left.merge(rows.assign(IDVARVAL=number_key(rows["IDVARVAL"])), on=["USUBJID", "IDVARVAL"])
        for s, r, lid, q in merged[["subject", "reader", "lnk", "QVAL"]].dropna().itertuples(index=False):
            per_lesion.setdefault((s, r, lid), set()).add(q)
    by_lnk = loc[idvar.eq("TRLNKID")]
    if len(by_lnk):
        keys = tr_rows.loc[tr_rows.lnk.notna(), ["subject", "reader", "lnk"]].drop_duplicates()
        for s, r, lid in keys.itertuples(index=False):
            for q in by_lnk.loc[by_lnk.USUBJID.eq(s) & by_lnk.IDVARVAL.eq(lid), "QVAL"]:
                per_lesion.setdefault((s, r, lid), set()).add(q)
    unique = {k: next(iter(v)) for k, v in per_lesion.items() if len(v) == 1}
    varying = len(per_lesion) - len(unique)
    notes.append(
        f"{supptr.file}: TRLOC given for {len(per_lesion)} lesions ({varying} with more than one "
        "location across visits); used only where TULOC is empty and TRLOC is unique"
    )
    return unique


def _number(tr: DomainTable, mask: pd.Series, problems: Problems) -> pd.Series:
    """Diameters in mm for the rows of ``mask`` (TRSTRESN, else TRORRES); errors for bad values / units."""
    text = tr.first("TRSTRESN", "TRORRES")
    field_ = "TRSTRESN"
    values = pd.to_numeric(text.where(mask), errors="coerce")
    problems.rows(
        "error",
        tr,
        mask & text.notna() & values.isna() & ~_state_words(tr),
        field_,
        "diameter is not a number",
        value_column=field_,
    )
    problems.rows("error", tr, mask & values.lt(0), field_, "negative diameter", value_column=field_)
    infinite = mask & values.isin([float("inf"), float("-inf")])
    problems.rows("error", tr, infinite, field_, "diameter is not a finite number", value_column=field_)
    values = values.where(~infinite)
    unit = tr.first("TRSTRESU", "TRORRESU").str.lower()
    cm = mask & values.notna() & unit.eq("cm")
    if cm.any():
        problems.rows("warning", tr, cm, "TRSTRESU", "unit converted: cm → mm (×10)")
        values = values.where(~cm, values * 10.0)
    absurd = mask & values.gt(MAX_DIAMETER_MM)
    problems.rows("error", tr, absurd, field_, IMPLAUSIBLE_DIAMETER, value_column=field_)
    bad_unit = mask & values.notna() & unit.notna() & ~unit.isin(["mm", "cm"])
    problems.rows("error", tr, bad_unit, "TRSTRESU", "diameter unit is neither mm nor cm")
    return values.where(values.ge(0))


def _state_words(tr: DomainTable) -> pd.Series:
    text = tr.first("TRSTRESC", "TRORRES")
    return map_distinct(text, lambda v: norm(v) in _STATES).eq(True)


def _measurements(
    tr: DomainTable,
    rows: pd.DataFrame,
    lesions: Mapping[LesionKey, Lesion],
    origins: Mapping[str, date | None],
    problems: Problems,
    notes: list[str],
) -> list[Measurement]:
    used = rows.used
    exists = pd.Series([k in lesions for k in zip(rows.subject, rows.reader, rows.lnk, strict=True)], index=rows.index)
    unknown = used & ~exists & ~problems.excused("tu", rows.subject)  # else its TU row was not read: not reported
    problems.rows(
        "error", tr, unknown, "TRLNKID", "measurement of a lesion that does not exist", value_column="TRLNKID"
    )
    used = used & exists
    measured = used & rows.test.isin(_MEASURED)
    values = _number(tr, measured, problems)
    other_lengths = rows.known & rows.test.isin(_OTHER_LENGTHS)  # not used, but a negative length is still wrong
    other = pd.to_numeric(tr.first("TRSTRESN", "TRORRES").where(other_lengths), errors="coerce")
    problems.rows("error", tr, other_lengths & other.lt(0), "TRSTRESN", "negative diameter")
    state_text = tr.first("TRSTRESC", "TRORRES")
    not_done = tr.upper("TRSTAT").eq("NOT DONE")
    frame = pd.DataFrame(
        {
            "subject": rows.subject,
            "reader": rows.reader,
            "lnk": rows.lnk,
            "date": rows.date,
            "test": rows.test,
            "value": values,
            "state": state_text,
            "not_done": not_done,
            "visit": tr.col("VISIT").fillna(""),
            "method": tr.col("TRMETHOD").fillna(""),
            "raw_date": rows.raw_date,
            "how": rows.how,
        }
    )[used]
    acc: dict[tuple[str, str, str, date], dict] = {}
    exact_dups = 0
    imputed_seen: set[tuple[str, str, str]] = set()
    for i, s, r, lid, day, test, value, state, nd, visit, method, raw, how in frame.itertuples(name=None):
        key = (s, r, lid, day)
        entry = acc.setdefault(key, {"visit": visit, "method": method})
        reading = (value, state, nd) if test != "TUMSTATE" else (None, state, nd)
        if test in entry:
            if _same(entry[test][0], reading):
                exact_dups += 1
            else:
                problems.error(
                    tr.file,
                    i + 1,
                    "TRSTRESC" if test == "TUMSTATE" else "TRSTRESN",
                    state if test == "TUMSTATE" else value,
                    f"a second, different {test} for lesion {lid} on {day.isoformat()}",
                    s,
                )
            continue
        entry[test] = (reading, i)
        if how and (s, r, raw) not in imputed_seen:
            imputed_seen.add((s, r, raw))
            problems.warning(
                tr.file,
                i + 1,
                "TRDTC",
                raw,
                f"partial date imputed to {how} ({day.isoformat()})",
                s,
            )
    if exact_dups:
        notes.append(f"{tr.file}: {exact_dups} rows repeating another row exactly were kept once")
    out: list[Measurement] = []
    fallback = non_nodal_lperp = 0
    early: set[tuple[str, str, date]] = set()
    for (s, r, lid, day), entry in acc.items():
        lesion = lesions[(s, r, lid)]
        if "LPERP" in entry and not lesion.is_node:
            non_nodal_lperp += 1
            del entry["LPERP"]
            if not any(k in entry for k in (*_MEASURED, "TUMSTATE")):
                continue  # an LPERP alone: nothing RECIST 1.1 measures
        diameter, status = None, None
        source = "LDIAM" if "LDIAM" in entry else ("DIAMETER" if "DIAMETER" in entry else None)
        fallback += source == "DIAMETER"
        if source is not None:
            (value, state, nd), i = entry[source]
            diameter, status = _diameter_status(tr, i, value, state, nd, problems, s)
        axis = next((entry[t][0][0] for t in _SHORT_AXIS if t in entry and not pd.isna(entry[t][0][0])), None)
        axis = None if axis is None else float(axis)
        viable = entry["VLDIAM"][0][0] if "VLDIAM" in entry else None
        viable = None if viable is None or pd.isna(viable) else float(viable)
        if "TUMSTATE" in entry:
            (_v, state, nd), i = entry["TUMSTATE"]
            status = _state(tr, i, state, nd, problems, s)
        if status is None:  # only a short axis given
            status = LesionStatus.PRESENT if axis is not None else LesionStatus.NOT_ASSESSED
        out.append(
            Measurement(
                subject_id=s,
                reader=r,
                lesion_id=lid,
                date=day,
                visit=entry["visit"],
                diameter_mm=diameter,
                short_axis_mm=axis,
                viable_mm=viable,
                status=status,
                method=entry["method"] or lesion.method,
            )
        )
        origin = origins.get(s)
        early_visit = origin is not None and day < origin and not BASELINE_VISIT.search(entry["visit"])
        if early_visit and origin is not None and (s, r, day) not in early:  # (origin is set when early_visit is)
            early.add((s, r, day))
            problems.warning(
                tr.file,
                _first_row(entry),
                "TRDTC",
                day.isoformat(),
                f"assessment dated before the origin ({origin.isoformat()}), visit {entry['visit'] or '?'}",
                s,
            )
    if non_nodal_lperp:
        notes.append(
            f"{tr.file}: {non_nodal_lperp} LPERP measurements of non-nodal lesions not used "
            "(RECIST 1.1 sums their longest diameter; LPERP is a node's short axis)"
        )
    if fallback:
        notes.append(f"{tr.file}: {fallback} measurements took DIAMETER because the lesion had no LDIAM that day")
    unused_diameter = sum(1 for e in acc.values() if "DIAMETER" in e and "LDIAM" in e)
    if unused_diameter:
        notes.append(f"{tr.file}: {unused_diameter} DIAMETER rows not used (the lesion has LDIAM that day)")
    return out


def _first_row(entry: dict) -> int:
    return min(v[1] for k, v in entry.items() if k not in ("visit", "method")) + 1


def _same(a: tuple, b: tuple) -> bool:
    return all((pd.isna(x) and pd.isna(y)) or x == y for x, y in zip(a, b, strict=True))


def _diameter_status(
    tr: DomainTable, i: int, value: float, state: object, not_done: bool, problems: Problems, subject: str
) -> tuple[float | None, LesionStatus]:
    if not pd.isna(value):
        return float(value), (LesionStatus.ABSENT if value == 0 else LesionStatus.PRESENT)
    if not pd.isna(state) and norm(state) in _STATES:
        return None, _STATES[norm(state)]
    if not not_done:
        problems.warning(
            tr.file,
            i + 1,
            "TRSTRESN",
            "",
            "diameter missing without TRSTAT NOT DONE; lesion taken as not assessed",
            subject,
        )
    return None, LesionStatus.NOT_ASSESSED


def _state(tr: DomainTable, i: int, state: object, not_done: bool, problems: Problems, subject: str) -> LesionStatus:
    if pd.isna(state):
        if not not_done:
            problems.warning(
                tr.file,
                i + 1,
                "TRSTRESC",
                "",
                "lesion state missing without TRSTAT NOT DONE; taken as not assessed",
                subject,
            )
        return LesionStatus.NOT_ASSESSED
    status = _STATES.get(norm(state))
    if status is None:
        problems.warning(tr.file, i + 1, "TRSTRESC", state, "unknown lesion state; taken as not assessed", subject)
        return LesionStatus.NOT_ASSESSED
    return status
