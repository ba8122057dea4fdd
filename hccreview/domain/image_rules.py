"""Rule checks shown beside a caliper while the reader measures (issue 21 item 3), citing their source.

RECIST 1.1 (Eisenhauer et al., Eur J Cancer 2009) §3.1.1: a measurable non-nodal lesion has a longest diameter
of at least 10 mm on CT with slices no thicker than 5 mm; with thicker slices the minimum is twice the slice
thickness. A pathological node is measurable from 15 mm short axis (10 to <15 mm: non-target only; <10 mm: not
pathological). §3.2 / §4.2: at most 5 target lesions, at most 2 per organ. The checks of the lesion *selection*
are :func:`hccreview.domain.recist.check_lesion_selection`'s; this module adds what depends on the image (the
slice thickness) and words a caliper's value as the reader sees it.
"""

from __future__ import annotations

from collections.abc import Sequence

from hccreview.domain import recist
from hccreview.domain.records import Criteria, Lesion, LesionKind, Measurement

#: RECIST 1.1 §3.1.1: slices thicker than this raise the measurable minimum to twice the slice thickness.
THIN_SLICE_MM = 5.0


def measurable_minimum_mm(slice_thickness_mm: float | None) -> float:
    """The smallest measurable longest diameter of a non-nodal lesion on slices of this thickness (RECIST 1.1
    §3.1.1): 10 mm, or twice the slice thickness when the slices are thicker than 5 mm (unknown: 10 mm)."""
    if slice_thickness_mm is not None and slice_thickness_mm > THIN_SLICE_MM:
        return max(recist.MEASURABLE_MM, 2.0 * slice_thickness_mm)
    return recist.MEASURABLE_MM


def caliper_findings(
    lesion: Lesion,
    values: dict[str, float],
    slice_thickness_mm: float | None,
    *,
    baseline: bool,
) -> list[str]:
    """What the rules say of the value a caliper just gave ``lesion`` (empty: nothing to say). ``values`` maps
    measurement fields to mm (``domain.calipers.Caliper.values``). Only a baseline target's size decides its
    measurability; at follow-up a small target is measured as it is (RECIST 1.1 §3.1.1, Appendix I)."""
    if lesion.kind is not LesionKind.TARGET or not baseline:
        return []
    lid = lesion.lesion_id
    if lesion.is_node:
        axis = values.get("short_axis_mm")
        if axis is None:
            return [f"node {lid}: measure its short axis (RECIST 1.1 §3.1.1 measures nodes by the short axis)"]
        if axis < recist.NODE_NORMAL_MM:
            return [f"node {lid}: short axis {axis:g} mm < 10 mm — not pathological (RECIST 1.1 §3.1.1)"]
        if axis < recist.NODE_MEASURABLE_MM:
            return [f"node {lid}: short axis {axis:g} mm < 15 mm — a 10–<15 mm node is non-target only "
                    "(RECIST 1.1 §3.1.1)"]  # fmt: skip
        return []
    size = values.get("diameter_mm")
    minimum = measurable_minimum_mm(slice_thickness_mm)
    if size is not None and size < minimum:
        why = (f"twice the {slice_thickness_mm:g} mm slice thickness" if minimum > recist.MEASURABLE_MM
               else "10 mm")  # fmt: skip
        return [f"target {lid}: {size:g} mm is below the measurable minimum ({why}; RECIST 1.1 §3.1.1)"]
    return []


def selection_findings(lesions: Sequence[Lesion], baseline: Sequence[Measurement], criteria: Criteria) -> list[str]:
    """The reader's baseline target selection checked as a whole (≤5 targets, ≤2 per organ, measurability:
    :func:`hccreview.domain.recist.check_lesion_selection`), as lines for the lesion list."""
    return [f.rule for f in recist.check_lesion_selection(lesions, baseline, criteria)]


__all__ = ["THIN_SLICE_MM", "caliper_findings", "measurable_minimum_mm", "selection_findings"]
