"""Reader-versus-reader discordance and agreement statistics.

Blinded independent central review with two readers and an adjudicator (DESIGN §4 "Adjudication"; FDA
guidance *Clinical Trial Imaging Endpoint Process Standards*, 2018): a case is **discordant** when the two
reads' confirmed best overall responses differ, or their dates of first progression differ by more than a
study tolerance (``StudySettings.discordance_pd_days``, default 0 days). One read with progression and the
other without counts as differing dates.

Agreement across subjects is reported as percent agreement and Cohen's kappa (Cohen, Educ Psychol Meas
1960;20:37–46), κ = (p_o − p_e) / (1 − p_e) on the square contingency table of the two readers' categories,
computed with ``statsmodels.stats.inter_rater.cohens_kappa``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, SupportsFloat

import numpy as np

from hccreview.domain.plain_json import plain_fields
from hccreview.domain.records import Response

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hccreview.domain.recist import BestResponse


def _code(value: Response | str | None) -> str:
    if value is None:
        return str(Response.MISSING)
    return str(value)


@dataclass(frozen=True)
class DiscordanceResult:
    """Comparison of two reads of one subject. ``reasons`` is empty when the reads agree."""

    subject_id: str
    discordant: bool
    reasons: list[str]
    bor_a: str
    bor_b: str
    pd_date_a: date | None
    pd_date_b: date | None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "subject_id": self.subject_id,
            "discordant": self.discordant,
            "reasons": list(self.reasons),
            "bor_a": self.bor_a,
            "bor_b": self.bor_b,
            "pd_date_a": self.pd_date_a.isoformat() if self.pd_date_a else None,
            "pd_date_b": self.pd_date_b.isoformat() if self.pd_date_b else None,
        }


def compare_reads(
    subject_id: str, bor_a: BestResponse, bor_b: BestResponse, pd_tolerance_days: int = 0
) -> DiscordanceResult:
    """Compare two reads' best overall responses (DESIGN §4 adjudication trigger).

    Discordant when the confirmed BOR differs, or when the first-PD dates differ by more than
    ``pd_tolerance_days`` (PD in one read and none in the other always differs).
    """
    a, b = _code(bor_a.confirmed), _code(bor_b.confirmed)
    reasons: list[str] = []
    if a != b:
        reasons.append(f"best overall response differs ({a} vs {b})")
    pd_a, pd_b = bor_a.first_pd_date, bor_b.first_pd_date
    if (pd_a is None) != (pd_b is None):
        reasons.append("progression in one read only")
    elif pd_a is not None and pd_b is not None and abs((pd_a - pd_b).days) > pd_tolerance_days:
        reasons.append(f"progression dates differ by {abs((pd_a - pd_b).days)} d (> {pd_tolerance_days} d)")
    return DiscordanceResult(subject_id, bool(reasons), reasons, a, b, pd_a, pd_b)


@dataclass(frozen=True)
class AgreementResult:
    """Agreement of two raters over ``n`` paired categorical ratings.

    ``percent_agreement`` is in percent (0–100); ``kappa`` is Cohen's unweighted kappa, None when undefined
    (n = 0, or chance agreement p_e = 1, i.e. both raters used one and the same category throughout).
    ``kappa_se`` / ``kappa_ci95``: statsmodels' asymptotic standard error and Wald interval, clipped to
    [-1, 1].
    ``table[i][j]`` counts rater A = ``categories[i]`` and rater B = ``categories[j]``.
    """

    n: int
    n_agree: int
    percent_agreement: float | None
    kappa: float | None
    kappa_se: float | None = None
    kappa_ci95: tuple[float | None, float | None] = (None, None)
    categories: list[str] = field(default_factory=list)
    table: list[list[int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return plain_fields(self)


def _finite(value: SupportsFloat) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


_ORDER = [str(r) for r in Response]


def _sort_key(category: str) -> tuple[int, str]:
    return (_ORDER.index(category) if category in _ORDER else len(_ORDER), category)


def contingency_table(pairs: Sequence[tuple[str, str]]) -> tuple[list[str], np.ndarray]:
    """Categories (response order first, then alphabetical) and the square count table of ``pairs``."""
    categories = sorted({str(x) for pair in pairs for x in pair}, key=_sort_key)
    position = {c: i for i, c in enumerate(categories)}
    table = np.zeros((len(categories), len(categories)), dtype=np.int64)
    for a, b in pairs:
        table[position[str(a)], position[str(b)]] += 1
    return categories, table


def agreement(pairs: Sequence[tuple[str, str]]) -> AgreementResult:
    """Percent agreement and Cohen's kappa of paired ratings ``(rater A, rater B)``."""
    n = len(pairs)
    if n == 0:
        return AgreementResult(0, 0, None, None)
    categories, table = contingency_table(pairs)
    n_agree = int(np.trace(table))
    percent = 100.0 * n_agree / n
    kappa = se = None
    ci: tuple[float | None, float | None] = (None, None)
    p_e = float(table.sum(axis=1) @ table.sum(axis=0)) / (n * n)
    if p_e < 1.0:
        from statsmodels.stats.inter_rater import cohens_kappa

        res = cohens_kappa(table.astype(float))
        kappa = _finite(res.kappa)
        se = _finite(res.std_kappa)
        low, upp = _finite(res.kappa_low), _finite(res.kappa_upp)
        ci = (None if low is None else max(-1.0, low), None if upp is None else min(1.0, upp))
    return AgreementResult(n, n_agree, percent, kappa, se, ci, categories, table.tolist())


def summarise(results: Sequence[DiscordanceResult]) -> dict[str, object] | None:
    """Agreement (:func:`agreement` on the confirmed BOR pairs) of many subjects' comparisons, plus the
    discordant subject ids; None when there is nothing to compare."""
    if not results:
        return None
    out = agreement([(r.bor_a, r.bor_b) for r in results]).to_dict()
    discordant = [r.subject_id for r in results if r.discordant]
    out.update(discordant=discordant, n_discordant=len(discordant))
    return out
