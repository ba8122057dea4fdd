"""RECIST 1.1 response arithmetic: target sums, timepoint responses, lesion selection, best overall response.

Source: Eisenhauer EA et al., "New response evaluation criteria in solid tumours: revised RECIST guideline
(version 1.1)", Eur J Cancer 2009;45:228–247 (cited below as "RECIST 1.1 §x" / "Table n"). Best response with
confirmation follows RECIST 1.1 §4.4 / Table 3 with the defaults of pharmaverse admiralonco
``derive_param_confirmed_bor`` (``max_nr_ne = 1``, ``accept_sd = FALSE``).

The mRECIST variant (Lencioni & Llovet, Semin Liver Dis 2010;30:52–60) runs on the same machinery: every
criteria-specific number lives in a :class:`CriteriaRules` value, and ``criteria=Criteria.MRECIST`` selects
``hccreview.domain.mrecist.MRECIST_RULES`` (see that module).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date

from hccreview.domain.records import (
    Criteria,
    Lesion,
    LesionKind,
    LesionStatus,
    Measurement,
    Response,
    StudySettings,
)

R = Response
MEASURABLE_MM = 10.0  # RECIST 1.1 §3.1.1: non-nodal longest diameter
NODE_MEASURABLE_MM = 15.0  # §3.1.1: pathological node, short axis
NODE_NORMAL_MM = 10.0  # §3.1.1 / §4.3.1: a node <10 mm short axis is normal (CR-compatible)
TOO_SMALL_MM = 5.0  # Appendix I: "too small to measure" counts 5 mm
MAX_TARGETS, MAX_PER_ORGAN = 5, 2  # §3.2 / §4.2
PR_PCT, PD_PCT = -30.0, 20.0  # §4.3.1
_NOT_MEASURED = (LesionStatus.NOT_ASSESSED, LesionStatus.ABSENT, LesionStatus.TOO_SMALL)
_NDIGITS = 9  # rounding so that exact boundaries (30 %, 20 %, 5.0 mm) are not lost to float error


@dataclass(frozen=True)
class CriteriaRules:
    """The numbers and switches that distinguish RECIST 1.1 from mRECIST; the machinery is shared."""

    criteria: Criteria
    viable_targets: bool  # measure the viable (arterially enhancing) diameter of non-nodal targets
    pd_min_increase_mm: float  # absolute increase PD also needs (RECIST 1.1 §4.3.1: 5 mm; mRECIST: none)
    new_lesion_min_mm: float | None  # a new lesion smaller than this is equivocal, not PD (mRECIST: 10 mm)
    porta_hepatis_node_min_mm: float | None  # porta-hepatis node malignant from this short axis (mRECIST)
    source: str


RECIST11_RULES = CriteriaRules(Criteria.RECIST11, False, 5.0, None, None, "RECIST 1.1")


def rules_for(criteria: Criteria | CriteriaRules) -> CriteriaRules:
    """Return the rule set of ``criteria`` (mRECIST's lives in ``mrecist``, imported lazily: no cycle)."""
    if isinstance(criteria, CriteriaRules):
        return criteria
    if Criteria(criteria) is Criteria.MRECIST:
        from hccreview.domain.mrecist import MRECIST_RULES

        return MRECIST_RULES
    return RECIST11_RULES


_ALIASES = {
    "CR": R.CR, "COMPLETERESPONSE": R.CR, "PR": R.PR, "PARTIALRESPONSE": R.PR,
    "SD": R.SD, "STABLEDISEASE": R.SD, "NONCR/NONPD": R.NON_CR_NON_PD, "NONCRNONPD": R.NON_CR_NON_PD,
    "PD": R.PD, "PROGRESSIVEDISEASE": R.PD, "NE": R.NE, "MISSING": R.MISSING, "PENDING": R.PENDING,
}  # fmt: skip


def normalise_response(code: str | Response | None) -> Response:
    """Map a stated response code to :class:`Response` (case, space, hyphen and underscore insensitive).

    ``None``, blanks and every non-standard code ("CHECK", "NOT EVALUABLE", "UNK") become NE (DESIGN §7).
    """
    if isinstance(code, Response):
        return code
    if code is None:
        return R.NE
    key = "".join(str(code).upper().split()).replace("-", "").replace("_", "")
    return _ALIASES.get(key, R.NE)


def _label(resp: Response | None) -> str:
    return "none" if resp is None else ("Non-CR/Non-PD" if resp is R.NON_CR_NON_PD else resp.value)


@dataclass(frozen=True)
class TargetAssessment:
    """Target-lesion response at one timepoint with the figures behind it."""

    response: Response
    sum_mm: float | None
    pct_from_baseline: float | None
    pct_from_nadir: float | None
    rule: str


def _pct(value: float, ref: float | None) -> float | None:
    return None if ref is None or ref <= 0 else round((value - ref) / ref * 100.0, _NDIGITS)


def _is_pd(total: float, nadir: float, rules: CriteriaRules) -> bool:
    """RECIST 1.1 §4.3.1: ≥20 % over the nadir and ≥5 mm absolute (mRECIST: no absolute rule)."""
    increase = round(total - nadir, _NDIGITS)
    pct = _pct(total, nadir)
    grew = increase > 0 if pct is None else pct >= PD_PCT
    return grew and increase >= rules.pd_min_increase_mm


def target_response(
    sizes: Sequence[tuple[str, float | None, bool]],
    baseline_sum: float | None,
    nadir_sum: float | None,
    criteria: Criteria | CriteriaRules = Criteria.RECIST11,
) -> TargetAssessment:
    """Target response (RECIST 1.1 §4.3.1) from ``(lesion_id, size_mm or None if not assessed, is_node)``.

    CR: every non-nodal target 0 mm and every node <10 mm short axis. PD: sum ≥20 % over ``nadir_sum`` and
    ≥ ``pd_min_increase_mm`` more (5 mm; none under mRECIST). PR: sum ≥30 % below ``baseline_sum``. Else SD.
    A target not assessed makes it NE unless the assessed ones alone already show PD (§4.3.1 / Appendix I).
    """
    rules = rules_for(criteria)
    missing = [lid for lid, size, _ in sizes if size is None]
    total = round(float(sum(size for _, size, _ in sizes if size is not None)), _NDIGITS)
    if baseline_sum is None or nadir_sum is None:
        return TargetAssessment(R.NE, None, None, None, "target NE: no baseline target sum")
    pct_b, pct_n = _pct(total, baseline_sum), _pct(total, nadir_sum)
    if missing:
        if _is_pd(total, nadir_sum, rules):
            why = f"assessed targets alone sum {total:.1f} mm vs nadir {nadir_sum:.1f} mm"
            rule = f"target PD: {why} although {', '.join(missing)} not assessed"
            return TargetAssessment(R.PD, None, None, pct_n, rule)
        return TargetAssessment(R.NE, None, None, None, f"target NE: {', '.join(missing)} not assessed")
    if all((size or 0) < NODE_NORMAL_MM if node else not size for _, size, node in sizes):
        rule = "target CR: every non-nodal target gone and every target node <10 mm short axis"
        return TargetAssessment(R.CR, total, pct_b, pct_n, rule)
    if _is_pd(total, nadir_sum, rules):
        abs_rule = f" and ≥{rules.pd_min_increase_mm:g} mm" if rules.pd_min_increase_mm else ""
        rule = f"target PD: sum {total:.1f} mm ≥20 %{abs_rule} over nadir {nadir_sum:.1f} mm"
        return TargetAssessment(R.PD, total, pct_b, pct_n, rule)
    if pct_b is not None and pct_b <= PR_PCT:
        rule = f"target PR: sum {total:.1f} mm is {pct_b:.1f} % from baseline {baseline_sum:.1f} mm (≤ -30 %)"
        return TargetAssessment(R.PR, total, pct_b, pct_n, rule)
    rule = f"target SD: sum {total:.1f} mm, baseline {baseline_sum:.1f} mm, nadir {nadir_sum:.1f} mm"
    return TargetAssessment(R.SD, total, pct_b, pct_n, rule)


def non_target_response(items: Sequence[tuple[LesionStatus | None, bool, float | None]]) -> Response | None:
    """Non-target response (RECIST 1.1 §4.3.2) from ``(status or None, is_node, short_axis_mm)`` items.

    PD on unequivocal progression; NE when any lesion is not assessed; CR when every lesion is gone (nodes:
    <10 mm short axis); Non-CR/Non-PD otherwise. ``None`` when the subject has no non-target lesion.
    """
    if not items:
        return None
    statuses = [status for status, _, _ in items]
    if LesionStatus.UNEQUIVOCAL_PROGRESSION in statuses:
        return R.PD
    if None in statuses or LesionStatus.NOT_ASSESSED in statuses:
        return R.NE

    def gone(status: LesionStatus | None, node: bool, axis: float | None) -> bool:
        if status is LesionStatus.ABSENT:
            return True
        if not node or status is LesionStatus.EQUIVOCAL:
            return False
        return status is LesionStatus.TOO_SMALL or (axis is not None and axis < NODE_NORMAL_MM)

    return R.CR if all(gone(*item) for item in items) else R.NON_CR_NON_PD


def overall_timepoint_response(
    target: Response | str | None, non_target: Response | str | None, new_lesion: bool
) -> tuple[Response, str]:
    """Overall timepoint response: RECIST 1.1 Table 1 (target disease) and Table 2 (non-target disease only).

    ``None`` means "no such disease"; no non-target lesions behave as non-target CR in Table 1. A stated code
    (e.g. a read's "CR") is read by :func:`normalise_response`.
    """
    tgt = None if target is None else normalise_response(target)
    ntg = None if non_target is None else normalise_response(non_target)
    if ntg not in (None, R.CR, R.PD, R.NE):
        ntg = R.NON_CR_NON_PD  # any other stated non-target code is neither CR nor PD
    new = "new lesion" if new_lesion else "no new"
    if tgt is None:
        if ntg is None:
            out = R.PD if new_lesion else R.NE
            return out, f"no target or non-target disease + {new} -> {out.value}"
        out = R.PD if new_lesion or ntg is R.PD else ntg
        return out, f"Table 2: non-target {_label(ntg)} + {new} -> {out.value}"
    if tgt not in (R.CR, R.PR, R.SD, R.PD):
        tgt = R.NE
    if new_lesion or tgt is R.PD or ntg is R.PD:
        out = R.PD
    elif tgt is R.CR:
        out = R.CR if ntg in (None, R.CR) else R.PR
    else:
        out = tgt  # PR / SD / NE with any non-PD non-target (Table 1)
    return out, f"Table 1: target {_label(tgt)} + non-target {_label(ntg)} + {new} -> {out.value}"


@dataclass(frozen=True)
class TimepointResult:
    """Responses at one post-baseline assessment date for one subject and one reader."""

    date: date
    visit: str
    target: Response | None
    non_target: Response | None
    new_lesion: bool
    overall: Response
    target_sum_mm: float | None
    pct_from_baseline: float | None
    pct_from_nadir: float | None
    rule: str

    def to_dict(self) -> dict:
        """Plain JSON-ready dict (ISO date, response strings)."""
        out = asdict(self)
        out["date"] = self.date.isoformat()
        for key in ("target", "non_target", "overall"):
            out[key] = None if out[key] is None else str(out[key])
        return out


_LIVER_ORGANS = re.compile(r"^(LIVER|HEPATIC|HEPAR|HEPATIC (LOBE|SEGMENT)\b.*|LIVER\b.*)$")


def _is_liver(lesion: Lesion) -> bool:
    """Whether a lesion is intrahepatic: judged by its organ (a blank organ counts as liver, the HCC default).

    Words like "perihepatic" or "hepatoduodenal" in a site do not make a peritoneal or nodal lesion hepatic.
    """
    organ = " ".join(lesion.organ.upper().split())
    return not organ or bool(_LIVER_ORGANS.match(organ))


def lesion_size_mm(lesion: Lesion, m: Measurement | None, criteria: Criteria | CriteriaRules) -> float | None:
    """Size a target contributes to the sum; ``None`` = not assessed (RECIST 1.1 §4.3.1, Appendix I).

    Gone = 0 mm, too small = 5 mm; nodes count their short axis (RECIST 1.1 §4.3.1: "the short axis is
    measured and contributes to the sum"), or their longest diameter when no short axis was recorded (see
    :func:`node_long_axis_fallback`; the selection check and the timepoint rule say so). mRECIST measures the
    viable part of non-nodal targets (``viable_mm``); an extrahepatic lesion without a viable diameter keeps its
    RECIST diameter (Lencioni & Llovet 2010: non-hepatic lesions are measured per RECIST).
    """
    if m is None or m.status is LesionStatus.NOT_ASSESSED:
        return None
    if m.status is LesionStatus.ABSENT:
        return 0.0
    if m.status is LesionStatus.TOO_SMALL:
        return TOO_SMALL_MM
    if lesion.is_node:
        return m.short_axis_mm if m.short_axis_mm is not None else m.diameter_mm
    if rules_for(criteria).viable_targets and (m.viable_mm is not None or _is_liver(lesion)):
        return m.viable_mm
    return m.diameter_mm


def node_long_axis_fallback(lesion: Lesion, m: Measurement | None) -> bool:
    """Whether a node measurement counts its longest diameter because it has no short axis.

    RECIST 1.1 §4.3.1 measures a pathological node by its short axis. A delivery that gives a node only one
    diameter is counted by it (the long axis is never smaller than the short one, so a node that is normal or
    not measurable by its long axis is so by its short axis too); the finding says which value counted.
    """
    if m is None or not lesion.is_node or m.status in _NOT_MEASURED:
        return False
    return m.short_axis_mm is None and m.diameter_mm is not None


def _new_lesion(news: Iterable[Measurement], rules: CriteriaRules) -> tuple[bool, str]:
    """RECIST 1.1 §4.3.4 (new lesion ⇒ PD); mRECIST needs ≥10 mm, smaller ones are equivocal."""
    found, equivocal = [], []
    for m in news:
        if m.status in (LesionStatus.ABSENT, LesionStatus.NOT_ASSESSED):
            continue
        if m.status is LesionStatus.EQUIVOCAL:
            equivocal.append(m.lesion_id)
            continue
        size = TOO_SMALL_MM if m.status is LesionStatus.TOO_SMALL else (m.diameter_mm or m.viable_mm)
        if rules.new_lesion_min_mm is not None and size is not None and size < rules.new_lesion_min_mm:
            equivocal.append(f"{m.lesion_id} ({size:g} mm < {rules.new_lesion_min_mm:g} mm)")
        else:
            found.append(m.lesion_id)
    note = f"new lesion {', '.join(sorted(found))}" if found else ""
    if equivocal:
        note += ("; " if note else "") + f"equivocal new lesion {', '.join(sorted(equivocal))}, not PD"
    return bool(found), note


def timepoint_responses(
    lesions: Sequence[Lesion],
    measurements: Sequence[Measurement],
    criteria: Criteria | CriteriaRules = Criteria.RECIST11,
    baseline_date: date | None = None,
) -> list[TimepointResult]:
    """Timepoint responses of ONE subject as read by ONE reader, in date order (RECIST 1.1 §4.3, Tables 1–2).

    Baseline = the measurements on ``baseline_date`` (default: the earliest date); every later date is a
    timepoint. The nadir is the smallest evaluable target sum so far, baseline included.
    """
    rules = rules_for(criteria)
    by_id = {lesion.lesion_id: lesion for lesion in lesions}
    targets = [x for x in lesions if x.kind is LesionKind.TARGET]
    non_targets = [x for x in lesions if x.kind is LesionKind.NON_TARGET]
    by_date: dict[date, dict[str, Measurement]] = {}
    for m in sorted(measurements, key=lambda m: (m.date, m.lesion_id, m.status.value)):
        if m.lesion_id in by_id:
            by_date.setdefault(m.date, {}).setdefault(m.lesion_id, m)
    if not by_date:
        return []
    base_day = baseline_date or min(by_date)
    base = by_date.get(base_day, {})
    base_sizes = [lesion_size_mm(t, base.get(t.lesion_id), rules) for t in targets]
    known = [s for s in base_sizes if s is not None]
    baseline_sum = round(float(sum(known)), _NDIGITS) if known else None
    nadir = baseline_sum
    results = []
    for day in sorted(d for d in by_date if d > base_day):
        now = by_date[day]
        tgt = None
        if targets:
            sizes = [(t.lesion_id, lesion_size_mm(t, now.get(t.lesion_id), rules), t.is_node) for t in targets]
            tgt = target_response(sizes, baseline_sum, nadir, rules)
        nt_items = [
            (now[n.lesion_id].status if n.lesion_id in now else None, n.is_node, _axis(now.get(n.lesion_id)))
            for n in non_targets
        ]
        long_axis = sorted(
            x.lesion_id for x in (*targets, *non_targets) if node_long_axis_fallback(x, now.get(x.lesion_id))
        )
        ntg = non_target_response(nt_items)
        news = [m for lid, m in now.items() if by_id[lid].kind is LesionKind.NEW]
        is_new, new_note = _new_lesion(news, rules)
        overall, rule = overall_timepoint_response(None if tgt is None else tgt.response, ntg, is_new)
        notes = [rule] + ([tgt.rule] if tgt else []) + ([new_note] if new_note else [])
        if long_axis:
            notes.append(f"node {', '.join(long_axis)}: no short axis, longest diameter counted (§4.3.1)")
        results.append(
            TimepointResult(
                date=day,
                visit=next((m.visit for m in now.values() if m.visit), ""),
                target=None if tgt is None else tgt.response,
                non_target=ntg,
                new_lesion=is_new,
                overall=overall,
                target_sum_mm=None if tgt is None else tgt.sum_mm,
                pct_from_baseline=None if tgt is None else tgt.pct_from_baseline,
                pct_from_nadir=None if tgt is None else tgt.pct_from_nadir,
                rule="; ".join(notes) + f" [{rules.source}]",
            )
        )
        if tgt is not None and tgt.sum_mm is not None and nadir is not None:
            nadir = min(nadir, tgt.sum_mm)
    return results


def _axis(m: Measurement | None) -> float | None:
    """A non-target node's short axis, else its longest diameter (see :func:`node_long_axis_fallback`)."""
    if m is None:
        return None
    return m.short_axis_mm if m.short_axis_mm is not None else m.diameter_mm


@dataclass(frozen=True)
class SelectionFinding:
    """A baseline lesion-selection problem (RECIST 1.1 §3, §4.2); a warning, never an exception."""

    lesion_id: str | None
    rule: str
    severity: str = "warning"


def check_lesion_selection(
    lesions: Sequence[Lesion],
    baseline: Sequence[Measurement],
    criteria: Criteria | CriteriaRules = Criteria.RECIST11,
) -> list[SelectionFinding]:
    """Check target / non-target choice at baseline (RECIST 1.1 §3.1.1, §3.2, §4.2; mRECIST rules).

    At most 5 targets and 2 per organ (all lymph nodes count as one organ); measurable: non-nodal longest
    diameter ≥10 mm, nodal short axis ≥15 mm (10–<15 mm: non-target only; <10 mm: not pathological).
    mRECIST additionally wants a viable (arterially enhancing) part in each intrahepatic target and counts a
    porta-hepatis node as malignant only from 20 mm short axis (Lencioni & Llovet 2010).
    """
    rules = rules_for(criteria)
    first: dict[str, Measurement] = {}
    for m in sorted(baseline, key=lambda m: (m.date, m.lesion_id)):
        first.setdefault(m.lesion_id, m)
    targets = sorted((x for x in lesions if x.kind is LesionKind.TARGET), key=lambda x: x.lesion_id)
    out: list[SelectionFinding] = []
    if len(targets) > MAX_TARGETS:
        out.append(SelectionFinding(None, f"more than {MAX_TARGETS} target lesions ({len(targets)})"))
    organs: dict[str, list[str]] = {}
    for t in targets:
        organ = "LYMPH NODES" if t.is_node else t.organ.strip().upper()
        if organ:
            organs.setdefault(organ, []).append(t.lesion_id)
    for organ, ids in sorted(organs.items()):
        if len(ids) > MAX_PER_ORGAN:
            rule = f"more than {MAX_PER_ORGAN} target lesions in organ {organ} ({', '.join(ids)})"
            out.append(SelectionFinding(None, rule))
    for lesion in sorted(lesions, key=lambda x: x.lesion_id):
        if lesion.kind is not LesionKind.NEW:
            problems = _lesion_problems(lesion, first.get(lesion.lesion_id), rules)
            out.extend(SelectionFinding(lesion.lesion_id, rule) for rule in problems)
    return out


def _lesion_problems(lesion: Lesion, m: Measurement | None, rules: CriteriaRules) -> list[str]:
    """Baseline measurability of one lesion (RECIST 1.1 §3.1.1; mRECIST enhancement, porta hepatis)."""
    lid, is_target = lesion.lesion_id, lesion.kind is LesionKind.TARGET
    kind = "target" if is_target else "non-target"
    if m is None or m.status is LesionStatus.NOT_ASSESSED:
        return [f"target lesion {lid} has no baseline measurement"] if is_target else []
    if lesion.is_node:
        text = f"{lesion.organ} {lesion.site}".upper()
        porta = rules.porta_hepatis_node_min_mm if ("PORTA" in text or "HILUM" in text) else None
        axis, what, found = m.short_axis_mm, "short axis", []
        if node_long_axis_fallback(lesion, m):
            axis, what = m.diameter_mm, "longest diameter (no short axis)"
            found.append(
                f"{kind} node {lid} has no baseline short axis: its longest diameter {axis:g} mm counts instead "
                "(RECIST 1.1 §4.3.1 measures nodes by the short axis)"
            )
        if axis is None:
            return [f"target node {lid} has no baseline short axis"] if is_target else []
        if axis < NODE_NORMAL_MM:
            found.append(f"{kind} node {lid} {what} {axis:g} mm < 10 mm: not pathological")
        elif porta is not None and axis < porta:
            found.append(f"porta-hepatis node {lid} {what} {axis:g} mm < {porta:g} mm: not malignant (mRECIST)")
        elif is_target and axis < NODE_MEASURABLE_MM:
            found.append(f"target node {lid} {what} {axis:g} mm < 15 mm: a 10–<15 mm node is non-target only")
        return found
    size = m.diameter_mm if m.diameter_mm is not None else m.viable_mm
    if not is_target:
        return []
    if m.status in (LesionStatus.ABSENT, LesionStatus.TOO_SMALL) or size is None:
        return [f"target lesion {lid} not measurable at baseline ({m.status.value})"]
    found = [f"target lesion {lid} below measurability ({size:g} mm < 10 mm)"] if size < MEASURABLE_MM else []
    if rules.viable_targets and _is_liver(lesion) and not (m.viable_mm or 0) > 0:
        found.append(f"target lesion {lid} shows no intratumoural arterial enhancement (mRECIST)")
    return found


# --- best overall response (RECIST 1.1 §4.4, Table 3) ---------------------------------------------------

_SAME_DAY_WORST_FIRST = (R.PD, R.NON_CR_NON_PD, R.SD, R.PR, R.CR, R.NE)  # DESIGN §4


@dataclass(frozen=True)
class BestResponse:
    """Best overall response of one subject, with and without confirmation, and why."""

    confirmed: Response
    unconfirmed: Response
    rule: str
    response_date: date | None
    confirmation_date: date | None
    first_pd_date: date | None
    decisive_dates: tuple[date, ...]

    def to_dict(self) -> dict:
        """Plain JSON-ready dict (ISO dates, response strings)."""
        iso = lambda d: None if d is None else d.isoformat()  # noqa: E731
        return {
            "confirmed": str(self.confirmed), "unconfirmed": str(self.unconfirmed), "rule": self.rule,
            "response_date": iso(self.response_date), "confirmation_date": iso(self.confirmation_date),
            "first_pd_date": iso(self.first_pd_date), "decisive_dates": [iso(d) for d in self.decisive_dates],
        }  # fmt: skip


def _collapse(timepoints: Iterable[tuple[date, Response | str]]) -> list[tuple[date, Response]]:
    """One response per date, the worse one when a date repeats; MISSING/PENDING/unknown count as NE."""
    by_date: dict[date, Response] = {}
    for day, code in timepoints:
        resp = normalise_response(code)
        resp = resp if resp in _SAME_DAY_WORST_FIRST else R.NE
        old = by_date.get(day)
        if old is None or _SAME_DAY_WORST_FIRST.index(resp) < _SAME_DAY_WORST_FIRST.index(old):
            by_date[day] = resp
    return sorted(by_date.items())


def _confirmation(
    seq: list[tuple[date, Response]], i: int, level: Response, settings: StudySettings, cr_pr_ok: bool
) -> int | None:
    """Index of the assessment confirming ``seq[i]`` as ``level`` (CR or PR), or None (admiralonco rules).

    The confirmatory assessment is the first CR (for PR: CR or PR) ≥ ``confirmation_days`` later. In between:
    CR only CR/NE; PR also SD (at most one, and only with ``accept_sd``); at most ``max_nr_ne`` NE; and for
    PR no PR after a CR (a CR followed by PR is the RECIST Table 3 footnote a trap) unless ``cr_pr_ok``.
    """
    start = seq[i][0]
    wanted = {R.CR} if level is R.CR else {R.CR, R.PR}
    later = [k for k in range(i + 1, len(seq)) if (seq[k][0] - start).days >= settings.confirmation_days]
    j = next((k for k in later if seq[k][1] in wanted), None)
    if j is None:
        return None
    joined = [resp for _, resp in seq[i + 1 : j + 1]]
    allowed = {R.CR, R.NE} if level is R.CR else {R.CR, R.PR, R.SD, R.NE}
    if any(resp not in allowed for resp in joined) or joined.count(R.NE) > settings.max_nr_ne:
        return None
    if level is R.PR:
        if joined.count(R.SD) > (1 if settings.accept_sd else 0):
            return None
        if not cr_pr_ok and R.CR in joined and R.PR in joined[joined.index(R.CR) :]:
            return None
    return j


def best_overall_response(
    timepoints: Sequence[tuple[date, Response | str]],
    origin: date | None,
    settings: StudySettings,
    *,
    cr_then_pr_confirms_pr: bool = False,
) -> BestResponse:
    """Best overall response with and without confirmation (RECIST 1.1 §4.4, Table 3; admiralonco defaults).

    Only assessments on/after ``origin`` (all if None) and up to the first PD count; a date given twice counts
    once as the worse response. Confirmed CR / PR need a confirmation (see ``_confirmation``); PR then CR
    confirms PR. Otherwise SD (CR, PR or SD) or NON-CR/NON-PD at ≥ ``min_sd_days`` after the origin (the
    first assessment when origin is None), else PD if any, else NE; MISSING without assessments. By default a
    PR after a CR breaks the confirmation (admiralonco; Table 3 footnote a); ``cr_then_pr_confirms_pr`` lets a
    CR followed by a PR confirm PR instead, dated at the CR. ``response_date`` / ``confirmation_date`` are the
    first confirmed response (CR or PR: where a duration of response starts) and its confirmatory assessment.
    """
    seq = [(d, r) for d, r in _collapse(timepoints) if origin is None or d >= origin]
    if not seq:
        return BestResponse(R.MISSING, R.MISSING, "MISSING: no assessment on/after the origin", None, None, None, ())
    pd_at = next((i for i, (_, r) in enumerate(seq) if r is R.PD), None)
    seq = seq if pd_at is None else seq[: pd_at + 1]
    first_pd = None if pd_at is None else seq[-1][0]
    t0 = origin or seq[0][0]
    long_enough = [(d, r) for d, r in seq if (d - t0).days >= settings.min_sd_days]
    sd_like = next(((d, r) for d, r in long_enough if r in (R.CR, R.PR, R.SD)), None)
    non_like = next(((d, r) for d, r in long_enough if r is R.NON_CR_NON_PD), None)
    window = f"≥{settings.min_sd_days} days after the origin {t0.isoformat()}"

    def first(resp: Response) -> date | None:
        return next((d for d, r in seq if r is resp), None)

    unconfirmed = next((r for r in (R.CR, R.PR) if first(r)), None)
    if unconfirmed is None:
        unconfirmed = R.SD if sd_like else R.NON_CR_NON_PD if non_like else R.PD if first_pd else R.NE

    pairs: dict[Response, list[tuple[date, date]]] = {R.CR: [], R.PR: []}
    for i, (day, resp) in enumerate(seq):
        for level in (R.CR, R.PR):
            starts = (R.CR, R.PR) if level is R.PR and cr_then_pr_confirms_pr else (level,)
            j = _confirmation(seq, i, level, settings, cr_then_pr_confirms_pr) if resp in starts else None
            if j is not None:
                pairs[level].append((day, seq[j][0]))
    trap = ""
    cr_day = first(R.CR)
    if cr_day and any(r is R.PR and d > cr_day for d, r in seq):
        how = "confirms PR (study setting)" if cr_then_pr_confirms_pr else "breaks confirmation (admiralonco)"
        trap = f" Note: a PR follows the CR of {cr_day.isoformat()}; CR then PR {how}; Table 3 footnote a."
    days, at = settings.confirmation_days, dict(seq)
    for level in (R.CR, R.PR):
        if pairs[level]:
            d1, d2 = pairs[level][0]
            first_pair = min(pairs[R.CR] + pairs[R.PR])
            sd_text = "at most one SD" if level is R.PR and settings.accept_sd else "no SD"
            rule = (
                f"Confirmed {level.value}: {at[d1].value} on {d1.isoformat()} confirmed on {d2.isoformat()} "
                f"(≥{days} days later; ≤{settings.max_nr_ne} NE, {sd_text}, no PD between; RECIST 1.1 §4.4)."
            )
            decisive = tuple(sorted({d1, d2, *first_pair}))
            return BestResponse(level, unconfirmed, rule + trap, *first_pair, first_pd, decisive)
    unconf = f" ({unconfirmed.value} not confirmed ≥{days} days later)" if unconfirmed in (R.CR, R.PR) else ""
    hit = sd_like or non_like
    if hit:
        day, resp = hit
        best = R.SD if sd_like else R.NON_CR_NON_PD
        rule = f"{best.value}{unconf}: {resp.value} on {day.isoformat()} is {window} (minimum SD duration)."
        return BestResponse(best, unconfirmed, rule + trap, None, None, first_pd, (day,))
    if first_pd:
        rule = f"PD{unconf}: no assessment {window} before PD on {first_pd.isoformat()}."
        return BestResponse(R.PD, unconfirmed, rule + trap, None, None, first_pd, (first_pd,))
    rule = f"NE{unconf}: no confirmed response, no SD {window} and no PD."
    return BestResponse(R.NE, unconfirmed, rule + trap, None, None, None, tuple(d for d, _ in seq))
