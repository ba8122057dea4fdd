"""Time-to-event endpoints per subject: origin, PFS, OS and duration of response.

Rules (DESIGN §4 "Endpoints") follow the FDA guidance *Clinical Trial Endpoints for the Approval of Cancer
Drugs and Biologics* (December 2018) and the common SAP conventions (the censoring table of the FDA
guidance's appendix, as used by most sponsors' SAPs):

- **Origin** (day 0) is the randomisation, enrolment or first-dose date as set per study
  (:class:`~hccreview.domain.records.Origin`). When the chosen date is missing, the first available of
  randomisation → first dose → enrolment is used instead, and :func:`origin_rule` says so.
- **Analysis population**: subjects who are not screen failures and have an origin date.
- **PFS**: event = first documented PD on/after the origin, or death from any cause, whichever comes first.
  No event → censored at the last adequate tumour assessment (a timepoint after the origin whose response is
  neither NE nor MISSING/PENDING); no adequate post-baseline assessment → censored at the origin (day 0).
  Where the study defines its assessment schedule (``assessment_interval_days``), an event that follows
  ``missed_assessments_for_censoring`` (default 2) or more missed scheduled assessments — a gap from the last
  adequate assessment (or the origin) to the event longer than ``n × interval + window`` days — is censored at
  the last adequate assessment before it. Without a schedule that rule does not exist and a death always
  counts as an event.
- **OS**: event = death from any cause; else censored at the last date known alive (the latest of the
  follow-up record's last-known-alive date and every other contact date supplied).
- **Duration of response**: from the first CR/PR of a confirmed response to PD or death, censored as PFS.

Days count from the origin (origin = day 0). Months = days / 30.4375 (365.25 / 12).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from hccreview.domain.recist import normalise_response
from hccreview.domain.records import FollowUp, Origin, Response, StudySettings, Subject

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hccreview.domain.recist import BestResponse

MONTH_DAYS = 30.4375
"""Days per month (365.25 / 12), the conversion of DESIGN §4."""

#: Responses that make a tumour assessment *not* adequate for PFS censoring.
NOT_ADEQUATE: frozenset[Response] = frozenset({Response.NE, Response.MISSING, Response.PENDING})

_FALLBACK_ORDER: tuple[Origin, ...] = (Origin.RANDOMISATION, Origin.FIRST_DOSE, Origin.ENROLMENT)


def days_to_months(days: float) -> float:
    """Convert days to months with the 30.4375-day month (365.25 / 12)."""
    return float(days) / MONTH_DAYS


def _origin_candidate(subject: Subject, which: Origin) -> date | None:
    if which is Origin.RANDOMISATION:
        return subject.randomisation_date
    if which is Origin.FIRST_DOSE:
        return subject.first_dose_date
    return subject.enrolment_date


def origin_rule(subject: Subject, settings: StudySettings) -> tuple[date | None, str]:
    """Return ``(origin date, which date was used)``.

    The study's ``settings.origin`` is used when the subject has that date; otherwise the first available of
    randomisation → first dose → enrolment (documented fallback, e.g. a non-randomised SDTM study whose DS has
    no RANDOMIZED record). ``(None, "no origin date")`` when the subject never reached any origin.
    """
    chosen = _origin_candidate(subject, settings.origin)
    if chosen is not None:
        return chosen, str(settings.origin)
    for which in _FALLBACK_ORDER:
        value = _origin_candidate(subject, which)
        if value is not None:
            return value, f"{which} (fallback: no {settings.origin} date)"
    return None, "no origin date"


def origin_date(subject: Subject, settings: StudySettings) -> date | None:
    """The subject's analysis origin (day 0); see :func:`origin_rule` for the fallback order."""
    return origin_rule(subject, settings)[0]


def in_analysis_population(subject: Subject, settings: StudySettings) -> bool:
    """True when the subject reached the origin: not a screen failure and with an origin date."""
    return not subject.screen_failure and origin_date(subject, settings) is not None


def analysis_population(subjects: Iterable[Subject], settings: StudySettings) -> list[Subject]:
    """The subjects analysed (DESIGN §4: screen failures are listed but not analysed), input order kept."""
    return [s for s in subjects if in_analysis_population(s, settings)]


@dataclass(frozen=True)
class EndpointResult:
    """One subject's time-to-event value.

    ``days`` counts from the origin (day 0). Exactly one of ``event_date`` (``event`` True) and
    ``censor_date`` (``event`` False) is set. ``rule`` names the censoring rule that decided it.
    """

    days: int
    event: bool
    event_date: date | None
    censor_date: date | None
    rule: str

    @property
    def months(self) -> float:
        """``days`` in months (days / 30.4375)."""
        return days_to_months(self.days)

    @property
    def end_date(self) -> date | None:
        """The event or censoring date."""
        return self.event_date if self.event else self.censor_date

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (dates as ISO strings)."""
        end = self.end_date
        return {
            "days": self.days,
            "months": round(self.months, 4),
            "event": self.event,
            "date": end.isoformat() if end else None,
            "rule": self.rule,
        }


def before_death(
    timepoints: Sequence[tuple[date, Response]], death: date | None
) -> tuple[list[tuple[date, Response]], list[date]]:
    """The timepoints on or before the death date, and the dates of those after it (left out).

    A tumour assessment dated after the patient's death cannot be a valid assessment (a date error in the
    source); it is not evidence of response or progression, so it does not enter the best overall response
    (RECIST 1.1 §4.4: the best response recorded from the start of treatment until progression or the end of
    the study) nor PFS (whose event is then the death itself). The importer warns about such a record (file,
    row, field); the rule text of the analysis names the dates left out."""
    if death is None:
        return list(timepoints), []
    kept = [(day, resp) for day, resp in timepoints if day <= death]
    return kept, [day for day, _ in timepoints if day > death]


def _days(origin: date, when: date) -> int:
    return max(0, (when - origin).days)


def _event(origin: date, when: date, rule: str) -> EndpointResult:
    return EndpointResult(_days(origin, when), True, when, None, rule)


def _censor(origin: date, when: date, rule: str) -> EndpointResult:
    return EndpointResult(_days(origin, when), False, None, when, rule)


def _as_response(value: Response | str | None) -> Response:
    return normalise_response(value)


def pfs(
    origin: date,
    timepoints: Sequence[tuple[date, Response | str]],
    follow_up: FollowUp | None,
    settings: StudySettings,
) -> EndpointResult:
    """Progression-free survival of one subject (FDA 2018 guidance; SAP censoring conventions).

    ``timepoints`` are the subject's timepoint responses from the chosen read source (any order; several on
    one date allowed). Responses are the RECIST codes; a string outside them counts as NE.

    Rules, in order:

    1. event candidates: the first PD dated on/after ``origin`` and the death date; the earlier one stands;
    2. if the study has a schedule (``settings.assessment_interval_days``) and the gap from the last adequate
       assessment before the event (or the origin) to the event exceeds
       ``missed_assessments_for_censoring × interval + assessment_window_days`` → censored at that last
       adequate assessment (at the origin, day 0, if there is none);
    3. no event → censored at the last adequate assessment after the origin (responses NE / MISSING /
       PENDING are not adequate), or at the origin (day 0) when there is none.
    """
    ordered = sorted(((d, _as_response(r)) for d, r in timepoints), key=lambda t: t[0])
    first_pd = next((d for d, r in ordered if r is Response.PD and d >= origin), None)
    death = follow_up.death_date if follow_up is not None else None

    event_date: date | None = None
    event_kind = ""
    if first_pd is not None and (death is None or first_pd <= death):
        event_date, event_kind = first_pd, "progression"
    elif death is not None:
        event_date, event_kind = death, "death"

    def last_adequate(before: date | None) -> date | None:
        last = None
        for d, r in ordered:
            if d <= origin or r in NOT_ADEQUATE:
                continue
            if before is not None and d >= before:
                break
            last = d
        return last

    if event_date is not None:
        interval = settings.assessment_interval_days
        if interval:
            n_missed = settings.missed_assessments_for_censoring
            previous = last_adequate(event_date)
            reference = previous if previous is not None else origin
            allowed = n_missed * interval + settings.assessment_window_days
            if (event_date - reference).days > allowed:
                where = "last adequate assessment" if previous is not None else "origin (no adequate assessment)"
                return _censor(
                    origin,
                    reference,
                    f"censored at {where}: {event_kind} after >= {n_missed} missed assessments "
                    f"(gap {(event_date - reference).days} d > {allowed} d)",
                )
        return _event(origin, event_date, f"event: {event_kind}")

    last = last_adequate(None)
    if last is None:
        return _censor(origin, origin, "censored at origin: no adequate post-baseline assessment")
    return _censor(origin, last, "censored at last adequate assessment")


def overall_survival(
    origin: date, follow_up: FollowUp | None, last_dates: Sequence[date | None] = ()
) -> EndpointResult:
    """Overall survival (FDA 2018 guidance): death from any cause is the event; otherwise censored at the last
    date known alive = the latest of ``follow_up.last_known_alive`` and ``last_dates`` (other contact dates:
    assessments, AE onsets/resolutions, cycles, labs). Never before the origin (day 0 at the earliest)."""
    if follow_up is not None and follow_up.death_date is not None:
        return _event(origin, follow_up.death_date, "event: death")
    candidates = [d for d in last_dates if d is not None]
    if follow_up is not None and follow_up.last_known_alive is not None:
        candidates.append(follow_up.last_known_alive)
    last = max(candidates, default=None)
    if last is None or last <= origin:
        return _censor(origin, origin, "censored at origin: no contact after origin")
    return _censor(origin, last, "censored at last known alive")


def duration_of_response(best: BestResponse, pfs_result: EndpointResult) -> EndpointResult | None:
    """Duration of response: from the first CR/PR of a confirmed response (``best.response_date``) to PD or
    death, censored as PFS (the same event/censoring decision as ``pfs_result``). None when the confirmed best
    response is not CR/PR or carries no response date."""
    confirmed = _as_response(best.confirmed)
    if confirmed not in (Response.CR, Response.PR) or best.response_date is None:
        return None
    start = best.response_date
    end = pfs_result.end_date
    if end is None:  # pragma: no cover - EndpointResult always has one
        return None
    rule = f"DoR from first {confirmed} ({start.isoformat()}): {pfs_result.rule}"
    if pfs_result.event:
        return _event(start, end, rule)
    return _censor(start, end, rule)
