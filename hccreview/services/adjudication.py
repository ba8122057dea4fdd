"""Adjudication of discordant central reads: queue, side-by-side comparison, decision, e-signature, re-opening.

DESIGN §4 "Adjudication" (two blinded readers plus an adjudicator; FDA *Clinical Trial Imaging Endpoint
Process Standards*, 2018) and "Audit trail" (21 CFR Part 11 §11.10(e), §11.50, §11.70, §11.200):

- **Queue** (:func:`discordance_queue`): a patient is discordant when the two central readers' confirmed
  best overall responses differ, or their first-PD dates differ by more than ``discordance_pd_days``
  (``domain.discordance.compare_reads``); the ``"investigator"`` view compares the investigator's best
  response with the adjudicated central one (reported, not adjudicated).
- **Decision** (:func:`adjudicate`): adjudicator or admin only, a reason is mandatory; the chosen read is
  what the cohort figures use (``domain.sources``). An unsigned decision may be changed or undone
  (:func:`undo_adjudication`); each change is audited with old and new values.
- **Sign-off** (:func:`sign_adjudication`): the deciding adjudicator re-enters the password; the signature
  (name, UTC time, meaning "adjudicated", record hash) locks the case: decision and reads are refused
  with :class:`LockedError`.
- **Re-opening** (:func:`reopen`): admin only, with a reason, audited; the signed decision and its
  signature stay in their tables and in the trail; the decision stands until a new one is recorded
  (a new row, so the signed row is never altered).

Impact preview and reader performance live in :mod:`hccreview.services.adjudication_figures` and are
re-exported here. A blinded reader-role user is refused everything in this module (:class:`BlindingError`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from hccreview.domain import cohort_memo, reason_codes, recist
from hccreview.domain.changes import Changes
from hccreview.domain.discordance import DiscordanceResult, compare_reads
from hccreview.domain.endpoints import origin_date
from hccreview.domain.recist import BestResponse
from hccreview.domain.records import LesionKind, ReadRole, Role, StudyData
from hccreview.domain.sources import (
    ADJUDICATED,
    INVESTIGATOR,
    reader_timepoints,
    select_timepoints,
    study_index,
    subject_central_readers,
)
from hccreview.services.adjudication_figures import (
    cohort_figures,
    current_figures,
    impact_preview,
    reader_performance,
)
from hccreview.services.reading import LockedError, invert_edit
from hccreview.services.review import Edit, StaleDataError, ValidationError, stale_error
from hccreview.services.session import StudySession
from hccreview.store import access
from hccreview.store import queries as coded
from hccreview.store.access import BlindingError
from hccreview.store.audit import utc_now
from hccreview.store.signatures import get_signature, sign
from hccreview.store.study_data import load_study
from hccreview.store.transfers import clear_flags, open_flags

__all__ = [
    "AdjudicationEdit",
    "BlindingError",
    "Comparison",
    "Decision",
    "LockedError",
    "QueueItem",
    "ValidationError",
    "adjudicate",
    "case_comparison",
    "cohort_figures",
    "current_figures",
    "decision_for",
    "discordance_queue",
    "impact_preview",
    "next_in_queue",
    "queue_counts",
    "reader_performance",
    "reason_code_counts",
    "reopen",
    "seen_decision",
    "sign_adjudication",
    "undo_adjudication",
]

QUEUE_KINDS = ("central", "investigator")
SIGNATURE_MEANING = "adjudicated"
ACCEPTED_FLAGS = "source adjudication (accepted reads, SDTM RSACPTFL)"


# ---------------------------------------------------------------------------------------------- access
def _viewer(session: StudySession) -> tuple[str | None, Role | None]:
    user = session.signed_in
    return (user.username, user.role) if user is not None else (None, None)


def _check_visible(session: StudySession) -> None:
    viewer, role = _viewer(session)
    access.check_adjudication_visible(session.store, viewer=viewer, role=role)


def _adjudicator(session: StudySession) -> Any:
    user = session.signed_in
    if user is None:
        raise PermissionError("sign in first")
    if user.role not in (Role.ADJUDICATOR, Role.ADMIN):
        raise PermissionError(f"{user.username} ({user.role}) may not adjudicate: adjudicator or admin role required")
    return user


# ---------------------------------------------------------------------------------------------- decisions
@dataclass(frozen=True)
class Decision:
    """One adjudication row: the choice, its reason and who made it, its lifecycle and signature."""

    id: int
    subject_id: str
    chosen_reader: str
    reason: str
    adjudicator: str
    decided_at: str | None
    status: str  # "open" | "signed" | "reopened"
    signature: dict[str, Any] | None = None
    reopened_reason: str = ""
    reopened_by: str = ""
    reopened_at: str | None = None
    reason_code: str | None = None  # domain.reason_codes (None: recorded before reason codes existed)
    reason_other: str = ""  # the free text of the code "other" (or a note)

    @property
    def reason_label(self) -> str:
        """The reason code's label, with the free text of "other"."""
        text = reason_codes.label(self.reason_code)
        return f"{text}: {self.reason_other}" if self.reason_other else text

    @property
    def locked(self) -> bool:
        """A signed decision (not re-opened) locks the case."""
        return self.status == "signed"


def _decision(store: Any, row: dict[str, Any], codes: dict[int, tuple[str, str]] | None = None) -> Decision:
    status = row.get("status") or "open"
    if status == "open" and row.get("signed"):
        status = "signed"  # marked signed by an import that predates the lifecycle columns
    signature = get_signature(store, row["signature_id"]) if row.get("signature_id") else None
    code = coded.reason_code(store, int(row["id"])) if codes is None else codes.get(int(row["id"]))
    return Decision(
        int(row["id"]), row["subject_id"], row["chosen_reader"], row["reason"], row["adjudicator"],
        row.get("decided_at"), status, signature, row.get("reopened_reason") or "", row.get("reopened_by") or "",
        row.get("reopened_at"), code[0] if code else None, code[1] if code else "",
    )  # fmt: skip


def _history(session: StudySession, subject_id: str) -> list[Decision]:
    return [_decision(session.store, r) for r in access.adjudication_rows(session.store, subject_id)]


def decision_for(session: StudySession, subject_id: str) -> Decision | None:
    """The decision in force for ``subject_id`` (the latest), or None."""
    _check_visible(session)
    history = _history(session, subject_id)
    return history[-1] if history else None


def _decisions(session: StudySession) -> dict[str, Decision]:
    out: dict[str, Decision] = {}
    codes = coded.reason_codes(session.store)
    for row in access.adjudication_rows(session.store):
        out[row["subject_id"]] = _decision(session.store, row, codes)  # rows are oldest first: the latest wins
    return out


# ---------------------------------------------------------------------------------------------- queue
@dataclass(frozen=True)
class QueueItem:
    """One discordant patient. ``readers`` are the two compared sources (central: reader A and B;
    investigator view: investigator and the adjudicated central read). ``status``: "open" (no decision),
    "adjudicated" (decided, unsigned — or settled by the source's accepted-read flags), "signed"."""

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


def _status(decision: Decision | None, accepted: bool) -> tuple[str, str | None, str | None, bool]:
    if decision is None:
        return ("adjudicated", None, ACCEPTED_FLAGS, False) if accepted else ("open", None, None, False)
    status = "signed" if decision.locked else "adjudicated"
    return status, decision.chosen_reader, decision.adjudicator, decision.status == "reopened"


def _item(result: DiscordanceResult, readers: tuple[str, str], decision: Decision | None, accepted: bool) -> QueueItem:
    status, chosen, by, reopened = _status(decision, accepted)
    return QueueItem(
        result.subject_id, readers, result.bor_a, result.bor_b, result.pd_date_a, result.pd_date_b,
        list(result.reasons), status, chosen, by, reopened,
    )  # fmt: skip


def _reader_bor(data: StudyData, subject_id: str, reader: str, origin: date | None, index: Any) -> BestResponse:
    timepoints = reader_timepoints(data, subject_id, reader, index=index)
    return cohort_memo.best_overall_response(timepoints, origin, data.settings)  # memoised: the queue reloads often


def queue_from_data(data: StudyData, decisions: dict[str, Decision], kind: str = "central") -> list[QueueItem]:
    """Pure: the discordant patients of ``data`` (see :func:`discordance_queue`)."""
    if kind not in QUEUE_KINDS:
        raise ValueError(f"unknown queue {kind!r} (use central or investigator)")
    settings, index = data.settings, study_index(data)
    items = []
    for subject in data.subjects:
        if subject.screen_failure:
            continue
        sid = subject.subject_id
        origin = origin_date(subject, settings)
        accepted = any(r.accepted and r.role is ReadRole.READER for r in index.reads.get(sid, []))
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
            items.append(_item(result, readers, decisions.get(sid), accepted))
    return items


def discordance_queue(
    session: StudySession, kind: str = "central", *, data: StudyData | None = None
) -> list[QueueItem]:
    """The discordant patients in subject order: ``"central"`` (reader vs reader) or ``"investigator"``
    (investigator vs adjudicated central review; status there is the central decision's). ``data``: the
    study's records when the caller has just loaded them (else they are read)."""
    _check_visible(session)
    items = queue_from_data(session.data() if data is None else data, _decisions(session), kind)
    flags = {f["subject_id"]: f["reason"] for f in open_flags(session.store)}  # issue 12: needs re-adjudication
    return [replace(i, needs_readjudication=flags[i.subject_id]) if i.subject_id in flags else i for i in items]


def queue_counts(items: list[QueueItem]) -> dict[str, int]:
    """``{"total", "open", "adjudicated", "signed"}`` for the status bar."""
    counts = {"total": len(items), "open": 0, "adjudicated": 0, "signed": 0}
    for item in items:
        counts[item.status] += 1
    return counts


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


# ---------------------------------------------------------------------------------------------- comparison
@dataclass(frozen=True)
class LesionRow:
    """One lesion of one reader: its size counted in the target sum (targets) or diameter per date, and its
    status per date."""

    lesion_id: str
    kind: str
    organ: str
    is_node: bool
    sizes: dict[date, float | None]
    statuses: dict[date, str]


@dataclass(frozen=True)
class ReaderTimepoint:
    """What one reader stated and what the rules engine computes at one date."""

    date: date
    visit: str
    stated_overall: str | None
    target: str | None
    non_target: str | None
    new_lesion: bool | None
    computed_overall: str | None
    target_sum_mm: float | None
    pct_from_baseline: float | None
    pct_from_nadir: float | None
    override_reason: str = ""


@dataclass(frozen=True)
class ReaderSide:
    """One read of the case: lesions, timepoints and best overall response."""

    reader: str
    role: str
    bor: BestResponse
    lesions: list[LesionRow]
    timepoints: dict[date, ReaderTimepoint]
    baseline_date: date | None
    baseline_sum_mm: float | None


@dataclass(frozen=True)
class ComparisonRow:
    """One date, each reader's timepoint (None where a reader has none) and the fields that differ."""

    date: date
    visit: str
    sides: dict[str, ReaderTimepoint | None]
    differs: list[str]


@dataclass(frozen=True)
class Comparison:
    """Both reads of a discordant case side by side (issue 7 item 4), the decision and its history."""

    subject_id: str
    readers: tuple[str, ...]
    sides: dict[str, ReaderSide]
    rows: list[ComparisonRow]
    discordance: DiscordanceResult | None
    choices: list[str]
    decision: Decision | None
    history: list[Decision] = field(default_factory=list)
    investigator_bor: str | None = None

    @property
    def locked(self) -> bool:
        return self.decision is not None and self.decision.locked


_COMPARED = ("stated_overall", "computed_overall", "target", "non_target", "new_lesion")


def _side(
    data: StudyData, sid: str, reader: str, origin: date | None, extra: dict[tuple[str, date], Any]
) -> ReaderSide:
    criteria = data.settings.criteria
    lesions = [x for x in data.lesions if x.subject_id == sid and x.reader == reader]
    ms = [m for m in data.measurements if m.subject_id == sid and m.reader == reader]
    reads = [r for r in data.reads if r.subject_id == sid and r.reader == reader]
    by_key = {(m.lesion_id, m.date): m for m in ms}
    dates = sorted({m.date for m in ms})
    rows = []
    for les in lesions:
        ms_l = {d: by_key.get((les.lesion_id, d)) for d in dates}
        sizes = {
            d: recist.lesion_size_mm(les, m, criteria) if les.kind is LesionKind.TARGET
            else (None if m is None else m.diameter_mm)
            for d, m in ms_l.items()
        }  # fmt: skip
        statuses = {d: m.status.value for d, m in ms_l.items() if m is not None}
        rows.append(LesionRow(les.lesion_id, les.kind.value, les.organ, les.is_node, sizes, statuses))
    base = dates[0] if dates else None
    base_sizes = [r.sizes.get(base) for r in rows if r.kind == LesionKind.TARGET.value] if base else []
    base_sum = round(sum(base_sizes), 1) if base_sizes and all(s is not None for s in base_sizes) else None  # type: ignore[misc]
    computed = {tp.date: tp for tp in recist.timepoint_responses(lesions, ms, criteria)} if lesions else {}
    stated = {r.date: r for r in reads}
    points = {}
    for day in sorted(set(computed) | set(stated)):
        tp, rd = computed.get(day), stated.get(day)
        points[day] = ReaderTimepoint(
            day, (rd.visit if rd else "") or (tp.visit if tp else ""),
            rd.overall or None if rd else None, (rd.target or None) if rd else None,
            (rd.non_target or None) if rd else None, rd.new_lesion if rd else None,
            tp.overall.value if tp else None, tp.target_sum_mm if tp else None,
            tp.pct_from_baseline if tp else None, tp.pct_from_nadir if tp else None,
            extra.get((reader, day), ""),
        )  # fmt: skip
    bor = recist.best_overall_response(reader_timepoints(data, sid, reader), origin, data.settings)
    role = reads[0].role.value if reads else ""
    return ReaderSide(reader, role, bor, rows, points, base, base_sum)


def _differs(a: ReaderTimepoint | None, b: ReaderTimepoint | None) -> list[str]:
    if a is None or b is None:
        return ["missing"]
    out = [f for f in _COMPARED if getattr(a, f) != getattr(b, f)]
    if (a.target_sum_mm is None) != (b.target_sum_mm is None) or (
        a.target_sum_mm is not None and b.target_sum_mm is not None and abs(a.target_sum_mm - b.target_sum_mm) > 0.05
    ):
        out.append("target_sum_mm")
    return out


def case_comparison(session: StudySession, subject_id: str) -> Comparison:
    """Both central reads of ``subject_id`` side by side per timepoint (lesion sizes, sums, stated and
    computed responses, BOR per reader), differences flagged, with the decision in force and its history.
    An adjudicator's own read, when there is one, is a third side and a third choice."""
    _check_visible(session)
    data = load_study(session.store, subject_id=subject_id)
    if not data.subjects:
        raise KeyError(f"no patient {subject_id!r} in this study")
    subject = data.subjects[0]
    origin = origin_date(subject, data.settings)
    central = subject_central_readers(data, subject_id)
    own = sorted({r.reader for r in data.reads if r.role is ReadRole.ADJUDICATOR})
    choices = central + [r for r in own if r not in central]
    extra = {(r["reader"], date.fromisoformat(r["date"])): r.get("override_reason") or ""
             for r in access.subject_read_rows(session.store, subject_id)}  # fmt: skip
    sides = {name: _side(data, subject_id, name, origin, extra) for name in choices}
    readers = tuple(central[:2])
    discordance = (
        compare_reads(subject_id, sides[readers[0]].bor, sides[readers[1]].bor, data.settings.discordance_pd_days)
        if len(readers) == 2
        else None
    )
    days = sorted({d for s in sides.values() for d in s.timepoints})
    rows = []
    for day in days:
        per = {name: sides[name].timepoints.get(day) for name in choices}
        differs = _differs(per[readers[0]], per[readers[1]]) if len(readers) == 2 else []
        visit = next((p.visit for p in per.values() if p is not None and p.visit), "")
        rows.append(ComparisonRow(day, visit, per, differs))
    inv = select_timepoints(data, subject_id, INVESTIGATOR)
    inv_bor = (
        str(recist.best_overall_response(inv.timepoints, origin, data.settings).confirmed)
        if inv.status == "ok"
        else None
    )
    history = _history(session, subject_id)
    return Comparison(subject_id, readers, sides, rows, discordance, choices, history[-1] if history else None,
                      history, inv_bor)  # fmt: skip


# ---------------------------------------------------------------------------------------------- decide / sign
def _choices(session: StudySession, subject_id: str) -> list[str]:
    roles = (ReadRole.READER.value, ReadRole.ADJUDICATOR.value)
    return sorted({r["reader"] for r in access.subject_read_rows(session.store, subject_id) if r["role"] in roles})


def adjudicate(
    session: StudySession,
    *,
    subject_id: str,
    chosen_reader: str,
    reason: str,
    reason_code: str | None,
    reason_other: str = "",
    expected: dict[str, Any] | None = None,
) -> Edit:
    """Record which read stands for ``subject_id`` and why (adjudicator / admin; audited; undoable until
    signed). A first decision — or one after a re-opening — is a new row; an unsigned decision is changed
    in place (old values in the trail and in the returned :class:`Edit`).

    ``expected``: the decision in force as the caller showed it (:func:`seen_decision`; ``{}``: none shown).
    When another user or app instance decided, changed or signed meanwhile, :class:`StaleDataError` (or
    :class:`LockedError` for a signature) and nothing is written.

    ``reason_code``: the discordance reason (``domain.reason_codes``; required, ``other`` with
    ``reason_other`` text), stored beside the decision in the same transaction (:class:`AdjudicationEdit`)."""
    user = _adjudicator(session)
    text = (reason or "").strip()
    if not text:
        raise ValidationError("reason", reason, "the adjudicator must give a reason (DESIGN §4)")
    try:
        code = reason_codes.validate(reason_code, reason_other)
    except reason_codes.ReasonCodeError as exc:
        raise ValidationError(exc.field, reason_code, exc.message) from None
    choices = _choices(session, subject_id)
    if chosen_reader not in choices:
        raise ValidationError("chosen_reader", chosen_reader, f"not a read of {subject_id}: choose one of {choices}")
    store = session.store
    values = {"chosen_reader": chosen_reader, "reason": text, "adjudicator": user.username, "decided_at": utc_now()}
    changes = Changes.of(subject_id, kinds={"adjudications"})
    with store.transaction():
        history = _history(session, subject_id)
        current = history[-1] if history else None
        if current is not None and current.locked:
            raise LockedError(f"{subject_id}: the decision is signed; an admin must re-open it first")
        _check_seen(session, subject_id, current, expected)
        if current is None or current.status == "reopened":
            row = {"subject_id": subject_id, **values, "signed": 0, "status": "open"}
            key = int(store.insert("adjudications", row, reason=text))
            coded.set_reason_code(store, key, code, reason=text)
            return AdjudicationEdit(changes, "adjudications", key, {}, row, None, code)
        old = store.update("adjudications", current.id, values, reason=text)
        before = coded.reason_code(store, current.id)
        coded.set_reason_code(store, current.id, code, reason=text)
    return AdjudicationEdit(changes, "adjudications", current.id, old, {k: values[k] for k in old}, before, code)


@dataclass(frozen=True)
class AdjudicationEdit(Edit):
    """A decision's edit with its reason code before and after (``(code, other_text)`` or None), so that
    undo / redo restore the code with the decision (the code lives in its own table, keyed by decision id)."""

    code_before: tuple[str, str] | None = None
    code_after: tuple[str, str] | None = None


def _check_seen(session: StudySession, subject_id: str, current: Decision | None, expected: Any) -> None:
    """:class:`StaleDataError` when the decision in force is not the one the caller showed (``expected``)."""
    now = seen_decision(current)
    if expected is None or now == expected:
        return
    fields = sorted(set(expected) | set(now))
    differences = {f: (expected.get(f), now.get(f)) for f in fields if expected.get(f) != now.get(f)}
    if current is None:
        raise StaleDataError("adjudications", subject_id, differences, {"subject_id": subject_id})
    raise stale_error(session, "adjudications", current.id, differences, {"subject_id": subject_id, **now})


def seen_decision(decision: Decision | None) -> dict[str, Any]:
    """What a view shows of the decision in force, for ``adjudicate(expected=...)``: ``{}`` when none."""
    if decision is None:
        return {}
    return {"id": decision.id, "chosen_reader": decision.chosen_reader, "adjudicator": decision.adjudicator,
            "status": decision.status}  # fmt: skip


def undo_adjudication(session: StudySession, edit: Edit, *, reason: str = "undo") -> Edit:
    """Undo (or redo, given the returned inverse) an unsigned decision; :class:`LockedError` once signed."""
    _adjudicator(session)
    if edit.table != "adjudications":
        raise ValueError("not an adjudication edit")
    subject_id = next(iter(edit.changes.subjects))
    with session.store.transaction():
        history = _history(session, subject_id)
        if any(d.locked for d in history[-1:]):
            raise LockedError(f"{subject_id}: the decision is signed; undo works before sign-off only")
        target = next((d for d in history if d.id == edit.key), None)
        if target is not None and (target.signature is not None or target.status != "open"):
            # a decision that was ever signed is never altered or removed (§11.70): record a new one instead
            raise LockedError(f"{subject_id}: decision {target.id} was signed; record a new decision instead")
        if not isinstance(edit, AdjudicationEdit):
            return invert_edit(session, edit, reason=reason)
        store = session.store
        if not edit.old_values and edit.new_values:  # undoing an insert: the code row goes first (foreign key)
            coded.set_reason_code(store, int(edit.key), None, reason=reason)
        inverse = invert_edit(session, edit, reason=reason)
        if edit.old_values:  # an update written back, or a deleted decision inserted again (new id)
            coded.set_reason_code(store, int(inverse.key), edit.code_before, reason=reason)
        return AdjudicationEdit(inverse.changes, inverse.table, inverse.key, inverse.old_values, inverse.new_values,
                                edit.code_after, edit.code_before)  # fmt: skip


def sign_adjudication(
    session: StudySession, *, subject_id: str, password: str, expected: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Sign the decision in force with the password (meaning "adjudicated"); locks the case.

    ``expected``: the decision the signer saw (:func:`seen_decision`); a decision changed meanwhile in
    another app instance is not signed (:class:`StaleDataError`, nothing written): one signs what one saw.

    Only the adjudicator who recorded the decision signs it. A wrong password raises ``AuthError`` and
    writes nothing. Returns the signature row (id, username, full_name, signed_at UTC, meaning, record_*).
    """
    user = _adjudicator(session)
    store = session.store
    with store.transaction():
        history = _history(session, subject_id)
        current = history[-1] if history else None
        if current is None or current.status == "reopened":
            raise ValidationError("subject_id", subject_id, "no decision to sign: adjudicate first")
        if current.locked:
            raise LockedError(f"{subject_id}: the decision is already signed")
        if current.adjudicator != user.username:
            raise PermissionError(f"the decision was recorded by {current.adjudicator}: only they can sign it")
        _check_seen(session, subject_id, current, expected)
        signature = sign(store, username=user.username, password=password, meaning=SIGNATURE_MEANING,
                         record_table="adjudications", record_id=current.id)  # fmt: skip
        store.update("adjudications", current.id, {"status": "signed", "signed": 1, "signature_id": signature["id"]},
                     reason=f"e-signature {signature['id']}: {SIGNATURE_MEANING}")  # fmt: skip
        clear_flags(store, subject_id, reason=f"re-adjudicated: decision {current.id} signed")
    return {**signature, "subject_id": subject_id}


def reopen(session: StudySession, *, subject_id: str, reason: str) -> Edit:
    """Re-open a signed decision (admin only; reason required; audited). The signed row and its signature
    stay; the decision stands until the adjudicator records a new one."""
    user = session.signed_in
    if user is None or user.role is not Role.ADMIN:
        who = "nobody signed in" if user is None else f"{user.username} ({user.role})"
        raise PermissionError(f"{who} may not re-open a signed decision: admin role required")
    text = (reason or "").strip()
    if not text:
        raise ValidationError("reason", reason, "re-opening a signed decision needs a reason")
    store = session.store
    with store.transaction():
        history = _history(session, subject_id)
        current = history[-1] if history else None
        if current is None or not current.locked:
            raise ValidationError("subject_id", subject_id, "no signed decision to re-open")
        values = {"status": "reopened", "signed": 0, "reopened_reason": text, "reopened_by": user.username,
                  "reopened_at": utc_now()}  # fmt: skip
        old = store.update("adjudications", current.id, values, reason=text)
    return Edit(Changes.of(subject_id, kinds={"adjudications"}), "adjudications", current.id, old,
                {k: values[k] for k in old})  # fmt: skip


def reason_code_counts(session: StudySession) -> dict[str, int]:
    """Decisions in force by discordance reason code (``domain.reason_codes.count_codes``: every code, zeros
    included, plus ``not_recorded`` for decisions made before codes existed or imported without one). A
    re-opened decision awaiting its replacement is not counted. Refused for a blinded reader."""
    _check_visible(session)
    return reason_codes.count_codes(d.reason_code for d in _decisions(session).values() if d.status != "reopened")
