"""SDTM record keys: two rows of one domain with the same key are one record given twice, and refused.

The key of each domain (:data:`RECORD_KEYS`) is the one SDTM gives it: ``USUBJID`` and the domain's sequence number
``--SEQ`` (unique within a subject and domain, SDTMIG §4.1.4.1 "Use of the Sequence Variable"); SV's visit
(``VISITNUM``); TS's parameter and its sequence; a SUPP--'s parent record and qualifier name. DM's key, ``USUBJID``
alone, is checked where DM is read ("subject listed twice in DM"). A key part left blank (no ``--SEQ`` given) makes
no key: only given keys can collide. Numbers compare as numbers (``3`` = ``3.0``, as an XPT and a CSV give them).

A duplicate is one error naming the file, the key and every row sharing it, reported on the second row; only the
first of the rows is read, so that nothing else reports the repeat again (a lesion identified twice, a second
measurement on one day).
"""

from __future__ import annotations

import pandas as pd

from hccreview.io.csv_checks import duplicate_groups, duplicate_key
from hccreview.io.sdtm_read import DomainTable, Problems, number_key

#: Domain → (key columns that must be given, key columns that may be blank); the last given one names the error.
RECORD_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ds": (("USUBJID", "DSSEQ"), ()),
    "ex": (("USUBJID", "EXSEQ"), ()),
    "ae": (("USUBJID", "AESEQ"), ()),
    "lb": (("USUBJID", "LBSEQ"), ()),
    "tu": (("USUBJID", "TUSEQ"), ()),
    "tr": (("USUBJID", "TRSEQ"), ()),
    "rs": (("USUBJID", "RSSEQ"), ()),
    "sv": (("USUBJID", "VISITNUM"), ()),
    "ts": (("TSPARMCD", "TSSEQ"), ()),
    "suppdm": (("USUBJID", "QNAM"), ("IDVAR", "IDVARVAL")),
    "supptr": (("USUBJID", "QNAM"), ("IDVAR", "IDVARVAL")),
}
_NUMBERS = {"DSSEQ", "EXSEQ", "AESEQ", "LBSEQ", "TUSEQ", "TRSEQ", "RSSEQ", "VISITNUM", "TSSEQ"}


def drop_duplicate_keys(table: DomainTable, problems: Problems) -> DomainTable:
    """``table`` without the second and later rows of each duplicated record key, each key reported once."""
    given, optional = RECORD_KEYS.get(table.domain, ((), ()))
    if not given or not all(table.has(c) for c in given):
        return table
    names = [c for c in (*given[:-1], *optional, given[-1]) if table.has(c)]
    parts = [number_key(table.col(c)) if c in _NUMBERS else table.col(c) for c in names]
    frame = pd.concat([p.rename(n) for p, n in zip(parts, names, strict=True)], axis=1)
    complete = frame[list(given)].notna().all(axis=1)
    if not frame[complete].fillna("").duplicated().any():  # the usual delivery: one vectorised look
        return table
    keys = [tuple(k) if ok else None for k, ok in zip(frame.fillna("").itertuples(index=False), complete, strict=True)]
    groups = duplicate_groups(keys)
    if not groups:
        return table
    drop: list[int] = []
    for group in sorted(groups, key=lambda g: g[1]):
        labels = [int(table.frame.index[i]) for i in group]
        first = table.frame.loc[labels[0], names]
        shown = [(n, str(v)) for n, v in first.items() if not pd.isna(v)]
        subject = table.col("USUBJID").at[labels[0]]
        problems.error(
            table.file,
            labels[1] + 1,
            given[-1],
            "",
            duplicate_key([n for n, _ in shown], [v for _, v in shown], [i + 1 for i in labels]),
            None if pd.isna(subject) else str(subject),
        )
        drop += labels[1:]
    return DomainTable(table.domain, table.file, table.frame.drop(index=drop), table.encoding)
