"""Case-packet data for the PDF: which patients (``--cases discordant|all|ID,...``) and, per patient, the plain
:class:`~hccreview.report.pdf_data.CaseSection` the renderer draws.

Everything is derived from the case view's own service (:func:`hccreview.services.case_extra.load_case_detail`:
lesions, measurements, computed and stated responses, best responses, spider points) and the adjudication
queue (:func:`hccreview.services.adjudication.discordance_queue`), so a packet shows what the workstation shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from hccreview.domain import recist
from hccreview.domain.adjudication_status import IMPORTED, case_status, status_label
from hccreview.domain.records import Criteria, LesionKind, ReadRole, StudyData
from hccreview.report.pdf_data import CaseSection, LesionLine, ReaderRead, TimepointLine
from hccreview.report.pdf_format import child_pugh_variant_words, decimal, origin_words, pct
from hccreview.services.adjudication import QueueItem, decision_for
from hccreview.services.case_extra import CaseDetail, load_case_detail
from hccreview.services.case_timeline import timeline_assessments, timeline_origin
from hccreview.services.packet_key_images import case_key_images
from hccreview.services.session import StudySession

__all__ = ["UnknownPatients", "case_section", "select_cases"]


class UnknownPatients(ValueError):
    """``--cases`` named patients the study does not have."""

    def __init__(self, missing: Sequence[str]) -> None:
        self.missing = list(missing)
        super().__init__(f"no patient {', '.join(repr(m) for m in self.missing)} in this study")


def select_cases(data: StudyData, cases: str, queue: list[QueueItem]) -> list[str]:
    """The subject ids of a packet: ``"discordant"`` (the central queue, in its order), ``"all"`` (every
    patient except screen failures, in study order) or a comma-separated list of ids (in the order given;
    unknown ids raise :class:`UnknownPatients`, an empty list ``ValueError``)."""
    spec = cases.strip()
    if spec.lower() == "discordant":
        return [item.subject_id for item in queue]
    if spec.lower() == "all":
        return [s.subject_id for s in data.subjects if not s.screen_failure]
    wanted = [part.strip() for part in spec.split(",") if part.strip()]
    if not wanted:
        raise ValueError("--cases needs discordant, all or patient ids separated by commas")
    known = {s.subject_id for s in data.subjects}
    missing = [sid for sid in wanted if sid not in known]
    if missing:
        raise UnknownPatients(missing)
    return list(dict.fromkeys(wanted))


def _yes_no(value: bool | None) -> str:
    return "not recorded" if value is None else "yes" if value else "no"


def _baseline(detail: CaseDetail) -> list[tuple[str, str]]:
    case = detail.case
    s = case.subject
    score = case.child_pugh_score
    if score is not None and score.cls:
        cp = f"{score.cls} ({score.total} points; {child_pugh_variant_words(str(score.variant))})"
    else:
        cp = case.child_pugh_error or "not recorded"
    dose = case.dose
    fu = case.follow_up
    if fu is not None and fu.death_date is not None:
        outcome = f"died {fu.death_date.isoformat()}" + (f" ({fu.death_cause})" if fu.death_cause else "")
    elif fu is not None and fu.last_known_alive is not None:
        outcome = f"alive {fu.last_known_alive.isoformat()}"
    else:
        outcome = "not recorded"
    rdi = pct(dose.relative_dose_intensity)
    has = case.collected  # a field the study does not collect is left out, not "—" (issue 23)
    collected_rows = [
        ("Etiology", s.etiology or "—", has.etiology),
        ("BCLC stage / ECOG", f"{s.bclc_stage or '—'} / {s.ecog if s.ecog is not None else '—'}", has.bclc or has.ecog),
        ("Child-Pugh", cp, has.child_pugh),
        ("Extrahepatic disease", _yes_no(s.extrahepatic), has.extrahepatic),
        ("Macrovascular invasion", _yes_no(s.macrovascular_invasion), has.macrovascular_invasion),
        ("AFP", "—" if s.afp_ng_ml is None else f"{decimal(s.afp_ng_ml)} ng/mL", has.afp),
        ("Prior sorafenib", s.prior_sorafenib or "—", has.prior_sorafenib),
    ]
    return [
        ("Site", s.site or "—"),
        ("Age / sex", f"{s.age if s.age is not None else '—'} / {s.sex or '—'}"),
        *[(name, value) for name, value, shown in collected_rows if shown],
        ("Origin", f"{detail.origin.isoformat() if detail.origin else '—'} ({origin_words(detail.origin_rule)})"),
        ("Treatment", f"{dose.cycles_received} cycles; {dose.reductions} reductions, {dose.delays} delays; "
                      f"relative dose intensity {rdi}"),
        ("Survival follow-up", outcome),
    ]  # fmt: skip


def _reader_read(detail: CaseDetail, reader: str) -> ReaderRead:
    case = detail.case
    criteria = Criteria(case.criteria)
    lesions = case.lesions.get(reader, [])
    ms = [m for _, m in case.measurements.get(reader, [])]
    by_key = {(m.lesion_id, m.date): m for m in ms}
    dates = sorted({m.date for m in ms})
    lines = []
    for les in lesions:
        sizes: dict[date, float | None] = {}
        statuses: dict[date, str] = {}
        for d in dates:
            m = by_key.get((les.lesion_id, d))
            if m is None:
                continue
            target = les.kind is LesionKind.TARGET
            sizes[d] = recist.lesion_size_mm(les, m, criteria) if target else m.diameter_mm
            statuses[d] = m.status.value
        lines.append(LesionLine(les.lesion_id, les.kind.value, les.organ, les.site, les.is_node, sizes, statuses))
    computed = {tp.date: tp for tp in case.computed.get(reader, [])}
    reads = [r for _, r in case.reads.get(reader, [])]
    stated = {r.date: r for r in reads}
    points = []
    for d in sorted(set(computed) | set(stated)):
        tp, rd = computed.get(d), stated.get(d)
        points.append(TimepointLine(
            d, (rd.visit if rd else "") or (tp.visit if tp else ""),
            tp.target_sum_mm if tp else None, tp.pct_from_baseline if tp else None, tp.pct_from_nadir if tp else None,
            str(tp.target) if tp and tp.target else None, str(tp.non_target) if tp and tp.non_target else None,
            tp.new_lesion if tp else (rd.new_lesion if rd else None),
            tp.overall.value if tp else None, recist.normalise_response(rd.overall).value if rd else None,
        ))  # fmt: skip
    figures = detail.readers.get(reader)
    role = reads[0].role.value if reads else ""
    outcome = case.outcomes.get(
        "investigator" if reads and reads[0].role is ReadRole.INVESTIGATOR else f"reader:{reader}"
    )
    best = outcome.best if outcome is not None and reads else None
    return ReaderRead(
        reader=reader,
        role=role,
        baseline_date=figures.baseline_date if figures else (dates[0] if dates else None),
        baseline_sum_mm=figures.baseline_sum_mm if figures else None,
        lesions=lines,
        timepoints=points,
        bor_stated=best.confirmed.value if best else None,
        bor_stated_rule=best.rule if best else "",
        bor_computed=figures.best_computed.confirmed.value if figures and figures.best_computed else None,
        visits={m.date: m.visit for m in ms if m.visit},
    )


def _status(item: QueueItem | None, session: StudySession, subject_id: str) -> str:
    decision = decision_for(session, subject_id)
    if decision is not None:
        status = case_status(decided=True, signed=decision.locked, imported=False)
        state = status_label(status, reopened=decision.status == "reopened")
        text = f"{state}: {decision.chosen_reader} chosen by {decision.adjudicator} — “{decision.reason}”"
        if decision.status == "reopened":
            text += f"; re-opened by {decision.reopened_by}, it stands until a new decision is recorded"
        return text
    if item is None:
        return "not in the adjudication queue"
    if item.status == IMPORTED:
        return f"{status_label(IMPORTED)}: settled by the {item.decided_by}"
    return f"{status_label(item.status)}: no decision recorded"


def _summary(item: QueueItem | None, reads: list[ReaderRead]) -> str:
    if item is not None:
        return "Discordant: " + "; ".join(item.reasons)
    central = [r for r in reads if r.role == ReadRole.READER.value]
    if not central:
        return "No central review: " + ", ".join(f"{r.reader} {r.bor_stated or '—'}" for r in reads)
    return "Central readers agree: " + ", ".join(f"{r.reader} {r.bor_stated or '—'}" for r in central)


def case_section(
    session: StudySession, subject_id: str, item: QueueItem | None, *, cancelled: Callable[[], bool] | None = None
) -> CaseSection:
    """One patient's packet section (reads the store once through ``load_case_detail``), with its key images
    (``services.packet_key_images``: ``cancelled`` is polled while a demo patient's images are drawn)."""
    detail = load_case_detail(session, subject_id)
    case = detail.case
    reads = [_reader_read(detail, reader) for reader in case.readers]
    points, caption = timeline_assessments(detail)
    fu = case.follow_up
    death = fu.death_date if fu else None
    central = [r.reader for r in reads if r.role in (ReadRole.READER.value, ReadRole.ADJUDICATOR.value)]
    choices = list(item.readers) if item is not None else central
    return CaseSection(
        subject_id=subject_id,
        summary=_summary(item, reads),
        status=_status(item, session, subject_id),
        baseline=_baseline(detail),
        origin=timeline_origin(detail),
        cycles=list(case.cycles),
        adverse_events=[ae for _, ae in case.adverse_events],
        assessments=points,
        assessments_caption=caption,
        progression=detail.progression,
        death=death,
        last_contact=None if death else (fu.last_known_alive if fu else None),
        planned_days=case.dose.planned_days,
        reads=reads,
        choices=choices + [c for c in central if c not in choices],
        spider={name: fig.spider for name, fig in detail.readers.items() if fig.spider},
        key_images=case_key_images(session, subject_id, item, cancelled=cancelled),
    )
