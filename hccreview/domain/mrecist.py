"""mRECIST for hepatocellular carcinoma on the RECIST 1.1 machinery.

Source: Lencioni R, Llovet JM, "Modified RECIST (mRECIST) assessment for hepatocellular carcinoma",
Semin Liver Dis 2010;30:52–60.

Design: mRECIST is RECIST 1.1 with different numbers, so this module holds only those numbers
(:data:`MRECIST_RULES`, a :class:`~hccreview.domain.recist.CriteriaRules`) and thin named entry points.
All arithmetic lives in :mod:`hccreview.domain.recist`; ``recist.timepoint_responses(...,
criteria=Criteria.MRECIST)`` and :func:`timepoint_responses_mrecist` are the same computation. What changes:

- target sums use the longest diameter of the **viable** (arterially enhancing) part of each intrahepatic
  non-nodal target (``Measurement.viable_mm``); nodes keep their short axis; an extrahepatic lesion without a
  viable diameter is measured as in RECIST 1.1;
- CR = no intratumoural arterial enhancement in any target (viable 0 mm / absent; nodes <10 mm);
- PD = sum ≥20 % over the nadir, with **no** 5 mm absolute rule;
- a new lesion is PD only when ≥10 mm (with the typical vascular pattern, the reader's call); smaller ones are
  equivocal and recorded as such in the rule text;
- a porta-hepatis node is malignant from 20 mm short axis; a target needs intratumoural enhancement.

Reader judgements the paper also sets — malignant portal-vein thrombosis is a non-measurable non-target
lesion, an effusion or ascites alone is not PD without cytology — arrive here as lesion kinds and statuses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from hccreview.domain.recist import (
    CriteriaRules,
    SelectionFinding,
    TargetAssessment,
    TimepointResult,
    check_lesion_selection,
    target_response,
    timepoint_responses,
)
from hccreview.domain.records import Criteria, Lesion, Measurement

MRECIST_RULES = CriteriaRules(
    criteria=Criteria.MRECIST,
    viable_targets=True,
    pd_min_increase_mm=0.0,
    new_lesion_min_mm=10.0,
    porta_hepatis_node_min_mm=20.0,
    source="mRECIST",
)


def timepoint_responses_mrecist(
    lesions: Sequence[Lesion], measurements: Sequence[Measurement], baseline_date: date | None = None
) -> list[TimepointResult]:
    """mRECIST timepoint responses of one subject and one reader (Lencioni & Llovet 2010, Table 2)."""
    return timepoint_responses(lesions, measurements, Criteria.MRECIST, baseline_date)


def target_response_mrecist(
    sizes: Sequence[tuple[str, float | None, bool]], baseline_sum: float | None, nadir_sum: float | None
) -> TargetAssessment:
    """mRECIST target response from viable diameters (Lencioni & Llovet 2010: PD ≥20 %, no 5 mm rule)."""
    return target_response(sizes, baseline_sum, nadir_sum, MRECIST_RULES)


def check_lesion_selection_mrecist(
    lesions: Sequence[Lesion], baseline: Sequence[Measurement]
) -> list[SelectionFinding]:
    """mRECIST baseline selection: RECIST 1.1 limits, arterial enhancement, 20 mm porta-hepatis node."""
    return check_lesion_selection(lesions, baseline, MRECIST_RULES)
