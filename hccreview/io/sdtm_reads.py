"""SDTM RS → stated reads; the read-source key of an evaluator (shared by TU, TR and RS).

Rules (checked against the pharmaverse ``recist/`` and ``onco/`` deliveries, see their README):

- **Reader key**: ``TUEVAL`` / ``TREVAL`` / ``RSEVAL`` = INVESTIGATOR (or no evaluator at all) → ``"investigator"``
  (role INVESTIGATOR); otherwise the evaluator id (``--EVALID``, else ``--EVAL``) lower-cased with blanks and
  punctuation as hyphens: "RADIOLOGIST 1" → ``"radiologist-1"`` (role READER; role ADJUDICATOR when ``RSEVAL``
  is ADJUDICATOR: the adjudicator's own read, as hccreview's SDTM export writes it).
- **RS → Read**, one per ``OVRLRESP`` row: ``TRGRESP`` / ``NTRGRESP`` / ``NEWLPROG`` rows of the same subject,
  reader, date and visit give target / non-target / new lesion (Y or UNEQUIVOCAL → yes, N → no, EQUIVOCAL →
  unknown: an equivocal new lesion is not progression until confirmed, RECIST 1.1 §4.3.4). Responses are kept
  verbatim; a code other than CR, PR, SD, NON-CR/NON-PD, PD, NE (e.g. "CHECK") is a warning ("counts as NE").
  ``RSSTAT`` NOT DONE with no result → NE. ``RSACPTFL`` Y → accepted. Partial ``RSDTC`` → last day of the period,
  ``date_imputed``, warning. A component row with no overall row is ignored with a warning.
- A read dated before the subject's origin is a warning unless its visit is a baseline or screening visit.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from datetime import date

import pandas as pd

from hccreview.domain.records import Read, ReadRole
from hccreview.io.csv_checks import row_list
from hccreview.io.sdtm_dates import parse_column
from hccreview.io.sdtm_read import (
    DomainTable,
    Problems,
    note_unused_columns,
    require_columns,
    require_one_of,
    subject_mask,
)

INVESTIGATOR = "investigator"
STANDARD_RESPONSES = frozenset({"CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE"})
_NEW_LESION = {"Y": True, "YES": True, "UNEQUIVOCAL": True, "N": False, "NO": False, "EQUIVOCAL": None}
BASELINE_VISIT = re.compile(r"BASELINE|SCREEN", re.IGNORECASE)
_RS_USED = ("USUBJID", "RSTESTCD", "RSSTRESC", "RSORRES", "RSSTAT", "RSEVAL", "RSEVALID", "RSACPTFL", "RSDTC", "VISIT")


def reader_key(evaluator: str, evaluator_id: str) -> str:
    """The read-source key of an evaluator (module docstring)."""
    ev, eid = evaluator.strip().upper(), evaluator_id.strip()
    if ev == "INVESTIGATOR" or not (ev or eid):
        return INVESTIGATOR
    return re.sub(r"[^a-z0-9]+", "-", (eid or ev).lower()).strip("-") or INVESTIGATOR


def readers(table: DomainTable, prefix: str) -> pd.Series:
    """The reader key of every row of a TU / TR / RS table (``prefix`` "TU", "TR" or "RS")."""
    ev = table.col(f"{prefix}EVAL").fillna("")
    eid = table.col(f"{prefix}EVALID").fillna("")
    joined = ev + "\x1f" + eid
    mapping = {j: reader_key(*j.split("\x1f")) for j in joined.unique()}
    return joined.map(mapping)


def norm(text: object) -> str:
    """Letters only, upper case: "Non-Target" → "NONTARGET" (for matching coded values)."""
    return re.sub(r"[^A-Z]", "", str(text).upper())


def read_rs(
    rs: DomainTable, subjects: set[str], origins: Mapping[str, date | None], problems: Problems, notes: list[str]
) -> tuple[list[Read], pd.DataFrame]:
    """Reads from RS (module docstring), and the (subject, date) pairs of complete response dates."""
    note_unused_columns(rs, (*_RS_USED, "RSSEQ", "RSLNKGRP", "RSTEST", "RSCAT", "RSREASND", "VISITNUM", "RSDY"), notes)
    empty = pd.DataFrame({"subject": [], "date": []})
    if not require_columns(rs, ("USUBJID", "RSTESTCD", "RSDTC"), problems):
        return [], empty
    if not require_one_of(rs, "RSSTRESC", "RSORRES", problems):
        return [], empty
    ok = subject_mask(rs, subjects, problems)
    test = rs.upper("RSTESTCD")
    wanted = test.isin(["OVRLRESP", "TRGRESP", "NTRGRESP", "NEWLPROG"])
    other = Counter(test[~wanted & test.notna()])
    if other:
        notes.append(
            f"{rs.file}: responses not used (by RSTESTCD): " + ", ".join(f"{k} {v}" for k, v in sorted(other.items()))
        )
    dtc = rs.col("RSDTC")
    dates = parse_column(dtc)
    problems.rows("error", rs, wanted & dtc.isna(), "RSDTC", "response without a date")
    for raw, why in dates.reasons.items():
        problems.rows("error", rs, wanted & dtc.eq(raw), "RSDTC", f"unparseable date: {why}")
    result = rs.first("RSSTRESC", "RSORRES")
    not_done = rs.upper("RSSTAT").eq("NOT DONE")
    result = result.mask(result.isna() & not_done, "NE")
    frame = pd.DataFrame(
        {
            "subject": rs.col("USUBJID"),
            "reader": readers(rs, "RS"),
            "test": test,
            "result": result,
            "raw": dtc,
            "day": dates.latest,
            "partial": dates.partial,
            "visit": rs.col("VISIT").fillna(""),
            "accepted": rs.upper("RSACPTFL").eq("Y"),
            "evaluator": rs.upper("RSEVAL").fillna(""),
        }
    )[ok & wanted & dates.latest.notna()]
    reads: dict[tuple, dict] = {}
    repeated: list[int] = []
    for i, s, r, _t, res, raw, day, partial, visit, acc, ev in frame[frame.test == "OVRLRESP"].itertuples(name=None):
        key = (s, r, raw, visit)
        overall = "" if pd.isna(res) else str(res)
        if key in reads:
            if reads[key]["overall"] != overall:
                problems.error(
                    rs.file,
                    i + 1,
                    "RSSTRESC",
                    overall,
                    f"a second, different overall response by {r} on {raw} ({visit})",
                    s,
                )
            else:
                repeated.append(i + 1)
            continue
        _check_code(rs, i, "RSSTRESC", overall, problems, s, overall=True)
        if partial:
            problems.warning(
                rs.file,
                i + 1,
                "RSDTC",
                raw,
                f"partial date imputed to the last day of its period ({day.isoformat()})",
                s,
            )
        origin = origins.get(s)
        if origin is not None and day < origin and not BASELINE_VISIT.search(visit):
            problems.warning(
                rs.file,
                i + 1,
                "RSDTC",
                raw,
                f"assessment dated before the origin ({origin.isoformat()}), visit {visit or '?'}",
                s,
            )
        role = ReadRole.INVESTIGATOR if r == INVESTIGATOR else ReadRole.READER
        if role is ReadRole.READER and ev == "ADJUDICATOR":  # the adjudicator's own read (RSEVAL ADJUDICATOR)
            role = ReadRole.ADJUDICATOR
        reads[key] = {
            "subject_id": s,
            "reader": r,
            "role": role,
            "date": day,
            "visit": visit,
            "overall": overall,
            "date_imputed": bool(partial),
            "accepted": bool(acc),
        }
    for i, s, r, t, res, raw, _day, _p, visit, _acc, _ev in frame[frame.test != "OVRLRESP"].itertuples(name=None):
        target = reads.get((s, r, raw, visit))
        if target is None:
            problems.warning(
                rs.file,
                i + 1,
                "RSTESTCD",
                t,
                "component response without an overall response (OVRLRESP) row; ignored",
                s,
            )
            continue
        text = "" if pd.isna(res) else str(res)
        if t == "NEWLPROG":
            flag = _NEW_LESION.get(text.upper().strip())
            if text and text.upper().strip() not in _NEW_LESION:
                problems.warning(
                    rs.file, i + 1, "RSSTRESC", text, "new-lesion value not Y/N/(UN)EQUIVOCAL; left unknown", s
                )
            target["new_lesion"] = flag
        else:
            _check_code(rs, i, "RSSTRESC", text, problems, s, overall=False)
            target["target" if t == "TRGRESP" else "non_target"] = text
    if repeated:  # one note per file, not a line per row
        notes.append(
            f"{rs.file}: {len(repeated)} overall responses repeating another exactly were kept once "
            f"(rows {row_list(repeated)})"
        )
    out = [Read(**v) for v in reads.values()]
    dated = frame.loc[~frame.partial, ["subject", "day"]].rename(columns={"day": "date"})
    return out, dated


def _check_code(
    rs: DomainTable, i: int, field_: str, code: str, problems: Problems, subject: str, *, overall: bool
) -> None:
    if not code:
        if overall:
            problems.warning(rs.file, i + 1, field_, "", "overall response missing, counts as NE", subject)
        return
    if code.strip().upper() not in STANDARD_RESPONSES:
        problems.warning(rs.file, i + 1, field_, code, "non-standard response code, counts as NE", subject)
