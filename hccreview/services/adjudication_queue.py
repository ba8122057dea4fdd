"""The adjudication queue: the discordant patients and stepping through them (DESIGN §4 "Adjudication").

A patient is discordant when the two central readers' confirmed best overall responses differ, or their
first-PD dates differ by more than ``discordance_pd_days`` (``domain.discordance.compare_reads``); the
``"investigator"`` view compares the investigator's best response with the adjudicated central one (reported,
not adjudicated). Each :class:`QueueItem` carries its decision status and, after a data transfer changed its
evidence, why it needs re-adjudication. Re-exported by :mod:`hccreview.services.adjudication`. No Qt.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from hccreview.domain import cohort_memo, recist
from hccreview.domain.adjudication_status import AdjudicationCounts, case_status, settled_by_flags, status_label
from hccreview.domain.discordance import DiscordanceResult, compare_reads
from hccreview.domain.endpoints import origin_date
from hccreview.domain.recist import BestResponse
from hccreview.domain.records import Adjudication, StudyData
from hccreview.domain.sources import (
    ADJUDICATED,
    INVESTIGATOR,
    reader_timepoints,
    select_timepoints,
    study_index,
    subject_central_readers,
)
from hccreview.services.adjudication_decisions import check_visible
from hccreview.services.session import StudySession
from hccreview.store.transfers import open_flags

QUEUE_KINDS = ("central", "investigator")
ACCEPTED_FLAGS = "delivery's accepted-read flags (SDTM RSACPTFL)"


@dataclass(frozen=True)
class QueueItem:
    """One discordant patient. ``readers`` are the two compared sources (central: reader A and B;
    investigator view: investigator and the adjudicated central read). ``status``: one of
    ``domain.adjudication_status.STATUSES`` — "open", "adjudicated" (a decision stands, unsigned; ``reopened``
    when its signature was re-opened), "signed", "imported" (settled by the delivery's accepted-read flags)."""

    subject_id: str
    readers: tuple[str, str]
    bor_a: str
    bor_b: str
    pd_date_a: date | None
    pd_date_b: date | None
    reasons: list[str]
    status: str
    chosen_reader: str | None = None
    decided_by: str | None = None
    reopened: bool = False
    needs_readjudication: str = ""  # a data transfer changed the evidence of the signed decision: the reason

    @property
    def status_label(self) -> str:
        """The status in the user's words (``adjudication_status.status_label``)."""
        return status_label(self.status, reopened=self.reopened)


def _item(
    result: DiscordanceResult, readers: tuple[str, str], decision: Adjudication | None, imported: bool
) -> QueueItem:
    status = case_status(decided=decision is not None, signed=bool(decision and decision.signed), imported=imported)
    chosen = decision.chosen_reader if decision is not None else None
    by = decision.adjudicator if decision is not None else ACCEPTED_FLAGS if imported else None
    return QueueItem(
        result.subject_id, readers, result.bor_a, result.bor_b, result.pd_date_a, result.pd_date_b,
        list(result.reasons), status, chosen, by, bool(decision and decision.reopened),
    )  # fmt: skip


def _reader_bor(data: StudyData, subject_id: str, reader: str, origin: date | None, index: Any) -> BestResponse:
    timepoints = reader_timepoints(data, subject_id, reader, index=index)
    return cohort_memo.best_overall_response(timepoints, origin, data.settings)  # memoised: the queue reloads often


def queue_from_data(data: StudyData, kind: str = "central") -> list[QueueItem]:
    """Pure: the discordant patients of ``data`` (see :func:`discordance_queue`), each with its status from
    the decisions in ``data`` (``domain.adjudication_status``)."""
    if kind not in QUEUE_KINDS:
        raise ValueError(f"unknown queue {kind!r} (use central or investigator)")
    settings, index = data.settings, study_index(data)
    items = []
    for subject in data.subjects:
        if subject.screen_failure:
            continue
        sid = subject.subject_id
        origin = origin_date(subject, settings)
        if kind == "central":
            names = subject_central_readers(data, sid, index=index)
            if len(names) < 2:
                continue
            a, b = names[0], names[1]
            result = compare_reads(sid, _reader_bor(data, sid, a, origin, index),
                                   _reader_bor(data, sid, b, origin, index), settings.discordance_pd_days)  # fmt: skip
            readers = (a, b)
        else:
            inv = select_timepoints(data, sid, INVESTIGATOR, index=index)
            central = select_timepoints(data, sid, ADJUDICATED, index=index)
            if inv.status != "ok" or central.status != "ok":
                continue
            bor_i = recist.best_overall_response(inv.timepoints, origin, settings)
            bor_c = recist.best_overall_response(central.timepoints, origin, settings)
            result = compare_reads(sid, bor_i, bor_c, settings.discordance_pd_days)
            readers = (inv.reader or INVESTIGATOR, central.reader or "central")
        if result.discordant:
            items.append(_item(result, readers, index.adjudications.get(sid), settled_by_flags(data, sid, index=index)))
    return items


def discordance_queue(
    session: StudySession, kind: str = "central", *, data: StudyData | None = None
) -> list[QueueItem]:
    """The discordant patients in subject order: ``"central"`` (reader vs reader) or ``"investigator"``
    (investigator vs adjudicated central review; status there is the central decision's). ``data``: the
    study's records when the caller has just loaded them (else they are read)."""
    check_visible(session)
    items = queue_from_data(session.data() if data is None else data, kind)
    flags = {f["subject_id"]: f["reason"] for f in open_flags(session.store)}  # issue 12: needs re-adjudication
    return [replace(i, needs_readjudication=flags[i.subject_id]) if i.subject_id in flags else i for i in items]


def queue_counts(items: list[QueueItem]) -> AdjudicationCounts:
    """The counts of the central queue, counted once (``domain.adjudication_status``)."""
    return AdjudicationCounts.of((item.status, item.reopened) for item in items)


def next_in_queue(
    items: list[QueueItem], current: str | None, *, forward: bool = True, status: str | None = None
) -> str | None:
    """The subject after (or before) ``current`` in the queue, optionally only with ``status``; None at the
    end ("next discordant" stepping and meeting mode)."""
    ids = [i.subject_id for i in items if status is None or i.status == status]
    order = [i.subject_id for i in items]
    if current not in order:
        return (ids[0] if forward else ids[-1]) if ids else None
    pos = order.index(current)
    later = [s for s in ids if (order.index(s) > pos if forward else order.index(s) < pos)]
    if not later:
        return None
    return later[0] if forward else later[-1]
