"""The hccreview-derived responses as one ADaM-like dataset, ``adrs_hccreview.csv`` (docs/sdtm-export.md).

Not SDTM: SDTM holds what was collected (the stated reads are in RS); this file holds what hccreview's rules
engine derives from it, for every read source the study can answer (``domain.sources.available_sources``:
adjudicated, investigator, computed, reader:NAME). Per analysed subject and source:

- ``PARAMCD`` OVR — one row per timepoint response the source gives (for ``computed``, RECIST 1.1 / mRECIST
  Table 1 applied to the reader's measurements; otherwise the stated overall responses; PENDING subjects none);
- ``PARAMCD`` BOR — the confirmed best overall response (RECIST 1.1 §4.4, the study's confirmation settings),
  with the response, confirmation and first-PD dates and the rule that decided it;
- ``PARAMCD`` UBOR — the best overall response without confirmation.

``ADY`` counts days from the origin (the day of origin is day 0, DESIGN §7). The file name does not name an SDTM
domain, so the importer lists it among the files it does not use.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from hccreview.domain.cohort import subject_outcomes
from hccreview.domain.records import StudyData
from hccreview.domain.sources import available_sources, select_timepoints, study_index

__all__ = ["ADRS_COLUMNS", "derived_responses"]

ADRS_COLUMNS: tuple[str, ...] = (
    "STUDYID", "USUBJID", "SOURCE", "SRCSTAT", "SRCREAD", "SRCRULE", "CRIT", "ORIGDT", "PARAMCD", "PARAM",
    "AVALC", "ADT", "ADY", "CNFDT", "PDDT", "RULE",
)  # fmt: skip
_PARAM = {
    "OVR": "Timepoint overall response",
    "BOR": "Best overall response (confirmed)",
    "UBOR": "Best overall response (unconfirmed)",
}


def _iso(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def derived_responses(data: StudyData) -> pd.DataFrame:
    """Timepoint and best overall responses of every analysed subject under every source (module docstring)."""
    index = study_index(data)
    crit = str(data.settings.criteria)
    rows: list[list[object]] = []
    for source in available_sources(data):
        for o in subject_outcomes(data, source):
            head = [data.settings.protocol, o.subject_id, source, o.source_status, o.reader or "", o.source_rule, crit,
                    _iso(o.origin)]  # fmt: skip
            if o.source_status == "ok":
                for day, response in select_timepoints(data, o.subject_id, source, index=index).timepoints:
                    rows.append([*head, "OVR", _PARAM["OVR"], str(response), _iso(day), (day - o.origin).days,
                                 "", "", ""])  # fmt: skip
            best = o.best
            when = best.response_date
            ady = "" if when is None else (when - o.origin).days
            confirmed = [_iso(when), ady, _iso(best.confirmation_date), _iso(best.first_pd_date), best.rule]
            rows.append([*head, "BOR", _PARAM["BOR"], o.bor, *confirmed])
            rows.append([*head, "UBOR", _PARAM["UBOR"], o.bor_unconfirmed, "", "", "", _iso(best.first_pd_date),
                         ""])  # fmt: skip
    return pd.DataFrame(rows, columns=list(ADRS_COLUMNS), dtype=object)
