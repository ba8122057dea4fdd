"""What of the window the signed-in user gets: tabs, case-view panels, navigator columns and read sources.

The access policy itself is ``domain.access`` (DESIGN §4b), applied by the store to every read and write. The
window only follows it: every panel, tab, column and action that shows data of a kind names here (or in the
action table of :mod:`~hccreview.ui.actions`) the :class:`~hccreview.domain.access.Capability` it needs, and is
*absent* — not empty, not disabled — when ``session.access.may(...)`` says no. No widget decides on its own.

A blinded reader's navigator offers only the read sources ``services.reading.allowed_sources`` allows: the store
filters the reader's records, but a source derived from their own reads under another name ("adjudicated",
"computed") would still say so, so :func:`visible_overview` keeps only the allowed ones. Qt-free; no function
here reads the database.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from hccreview.domain.access import Access, Capability
from hccreview.services.overview import Overview, PatientRow
from hccreview.services.reading import allowed_sources
from hccreview.services.session import StudySession

#: The main window's tabs after the case view (``ReviewTabs``): the capability each needs.
TAB_NEEDS: dict[str, Capability] = {
    "adjudication": Capability.SEE_ADJUDICATION,  # discordance queue, decisions, reader agreement
    "dashboard": Capability.SEE_COHORT,  # derived from everybody's reads
    "read_entry": Capability.READ,  # the user's own reads: readers and adjudicators record them
}

#: The case view's tabs that show more than the user's own reading (``CaseView``): the capability each needs.
CASE_TAB_NEEDS: dict[str, Capability] = {
    "timeline": Capability.SEE_CLINICAL,  # cycles, adverse events, progression and death on one chart
    "adverse_events": Capability.SEE_CLINICAL,
    "labs": Capability.SEE_CLINICAL,  # laboratory values graded by CTCAE v5.0 (issue 23)
    "cycles": Capability.SEE_CLINICAL,
    "findings": Capability.SEE_OTHER_READS,  # import findings name the investigator's records and values
}

#: Record kinds of the case view's review-status strip that are clinical data (the strip itself needs
#: ``MARK_REVIEWED``: the marks are the user's own).
REVIEW_KIND_NEEDS: dict[str, Capability] = {
    "baseline": Capability.SEE_CLINICAL,  # baseline disease and follow-up
    "cycles": Capability.SEE_CLINICAL,
    "adverse_events": Capability.SEE_CLINICAL,
}

#: Navigator columns (``navigator_model.Column`` names) that show derived or clinical data.
COLUMN_NEEDS: dict[str, Capability] = {
    "CHILD_PUGH": Capability.SEE_CLINICAL,
    "EXTRAHEPATIC": Capability.SEE_CLINICAL,
    "CYCLES": Capability.SEE_CLINICAL,
    "PFS": Capability.SEE_CLINICAL,
    "OS": Capability.SEE_CLINICAL,
    "DISCORDANT": Capability.SEE_ADJUDICATION,  # discordance is derived from another reader's reads
    "FINDINGS": Capability.SEE_OTHER_READS,  # import findings name the investigator's records (as the tab)
}


#: Controls that change something, by panel: the capability each needs. Without it the control is absent (a
#: viewer gets no query buttons, an admin no Choose read / Sign); a control the user may use but not now (no
#: query selected, a decision not yet signed) is disabled by its panel, with a tooltip that says why.
ACTION_NEEDS: dict[str, Capability] = {
    "write_queries": Capability.WRITE_QUERIES,  # New query / New comment / Answer / Close / Re-open / Reply
    "record_reads": Capability.READ,  # Record / Submit in the Reads tab, F2 in the tumour grid
    "decide": Capability.DECIDE,  # Choose read N / Sign
    "reopen": Capability.REOPEN,  # Re-open a signed decision
    "mark_reviewed": Capability.MARK_REVIEWED,  # the case's Mark … reviewed button and menu
}


def may_do(access: Access, action: str) -> bool:
    """Whether the signed-in user gets the controls of ``action`` (a key of :data:`ACTION_NEEDS`)."""
    return access.may(ACTION_NEEDS[action])


def allows(access: Access, needs: Capability | Iterable[Capability] | None) -> bool:
    """Whether ``access`` holds every capability of ``needs`` (None: nothing needed)."""
    if needs is None:
        return True
    if isinstance(needs, Capability):
        return access.may(needs)
    return all(access.may(need) for need in needs)


def may_edit_reads(access: Access) -> bool:
    """Whether the user records lesions, measurements and reads of their own (F2 in the grid, read entry)."""
    return access.may(Capability.READ) and access.username is not None


def own_evaluator(access: Access) -> str | None:
    """The evaluator name (``reader`` column) of the user's own rows, when they may edit any (else None)."""
    return access.username if may_edit_reads(access) else None


def visible_rows(rows: Sequence[PatientRow], sources: Sequence[str]) -> list[PatientRow]:
    """``rows`` with best responses of ``sources`` only (the same row objects when nothing is dropped)."""
    wanted = set(sources)
    out = []
    for row in rows:
        if set(row.bor) <= wanted and set(row.bor_unconfirmed) <= wanted:
            out.append(row)
            continue
        out.append(dataclasses.replace(
            row, bor={k: v for k, v in row.bor.items() if k in wanted},
            bor_unconfirmed={k: v for k, v in row.bor_unconfirmed.items() if k in wanted},
        ))  # fmt: skip
    return out


def visible_overview(session: StudySession, overview: Overview) -> Overview:
    """``overview`` with only the sources ``services.reading.allowed_sources`` lets the signed-in user see (its
    default moves to the first of them). Reads no database: safe on the GUI thread."""
    sources = allowed_sources(session, overview.sources)
    if sources == list(overview.sources):
        return overview
    default = overview.default_source if overview.default_source in sources else (sources[0] if sources else "")
    return dataclasses.replace(overview, sources=sources, default_source=default,
                               rows=visible_rows(overview.rows, sources))  # fmt: skip
