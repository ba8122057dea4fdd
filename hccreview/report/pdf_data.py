"""What the PDF renderers are given: plain data gathered by ``services.reporting`` (no store, no services here).

The cohort summary takes the ``stats --json`` dictionary (the one source of truth for every number it
prints), the dashboard's display frames and figure inputs, and the adjudication summary; a case packet takes
one :class:`CaseSection` per patient. Both carry :class:`Provenance`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from hccreview.domain.adjudication_status import AdjudicationCounts
from hccreview.domain.records import AdverseEvent, Cycle
from hccreview.domain.survival import KMResult
from hccreview.report.cohort_figures import SwimmerLane


@dataclass(frozen=True)
class Provenance:
    """Which data a document shows and who made it when (title page, running header, PDF metadata)."""

    study_title: str
    protocol: str
    data_cut: date | None  # the latest assessment / contact date in the data
    generated_at: datetime  # UTC
    program_version: str
    review_digest: str  # SHA-256 of the review data and audit trail
    audit_head: str | None  # entry_hash of the newest audit entry
    audit_entries: int
    file_name: str
    author: str


@dataclass(frozen=True)
class AdjudicationSummary:
    """Central review at a glance: counts, the discordant cases, decisions and reader performance.

    ``queue``: one dict per discordant patient (``subject_id``, ``readers``, ``bor_a``, ``bor_b``,
    ``pd_date_a``, ``pd_date_b``, ``reasons``, ``status``, ``chosen_reader``); ``decisions``: one dict per
    decision in force (``subject_id``, ``chosen_reader``, ``reason``, ``adjudicator``, ``signed``);
    ``performance``: ``services.adjudication.reader_performance``.
    """

    central_cases: int
    pending: int | None
    queue: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
    performance: dict[str, Any]
    reason_codes: list[tuple[str, int]] = field(default_factory=list)  # (label, decisions) by discordance code
    counts: AdjudicationCounts = field(default_factory=AdjudicationCounts)  # the one count (every screen's)


@dataclass(frozen=True)
class ArmComparisonInput:
    """The comparison of a study's arms (two or more; issue 23): the table the dashboard shows
    (``services.dashboard_arms.comparison_rows``), PFS / OS curves per arm, the log-rank p across the arms per
    endpoint, censor marks per arm; every figure from ``stats --json`` ``by_arm`` / ``comparisons``."""

    reference: str
    grouping: str
    columns: list[str]
    rows: list[list[str]]
    pfs: dict[str, KMResult]
    os: dict[str, KMResult]
    logrank_p: dict[str, float | None]
    censors: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    unassigned: int = 0


@dataclass(frozen=True)
class CohortReportInput:
    """Everything the cohort summary shows. ``stats`` is ``compute_cohort_stats(...).to_dict()``."""

    provenance: Provenance
    stats: dict[str, Any]
    sources: list[str]
    response_table: pd.DataFrame  # services.dashboard_tables.response_table (one column per source)
    baseline_table: pd.DataFrame  # services.dashboard_tables.baseline_table
    pfs: KMResult
    os: KMResult
    pfs_by_child_pugh: dict[str, KMResult]
    os_by_child_pugh: dict[str, KMResult]
    censor_months: dict[str, dict[str, list[float]]]  # "pfs" / "os" / "pfs_cp" / "os_cp" -> label -> months
    waterfall: list[tuple[str, float, str]]
    waterfall_excluded: dict[str, str]
    swimmer: list[SwimmerLane]
    adjudication: AdjudicationSummary | None = None
    queries: list[dict[str, Any]] | None = None  # open queries (services.queries.ListingRow.as_dict); None: omitted
    arms: ArmComparisonInput | None = None  # with two or more arms: the comparison page (issue 23)


@dataclass(frozen=True)
class LesionLine:
    """One lesion of one reader: size counted per assessment date (targets) and status per date."""

    lesion_id: str
    kind: str  # "target" | "non-target" | "new"
    organ: str
    site: str
    is_node: bool
    sizes: dict[date, float | None]
    statuses: dict[date, str]


@dataclass(frozen=True)
class TimepointLine:
    """One assessment of one reader: sums, computed responses and the reader's stated response."""

    date: date
    visit: str
    target_sum_mm: float | None
    pct_from_baseline: float | None
    pct_from_nadir: float | None
    target: str | None
    non_target: str | None
    new_lesion: bool | None
    computed: str | None
    stated: str | None


@dataclass(frozen=True)
class ReaderRead:
    """One read of the case (investigator or a central reader)."""

    reader: str
    role: str
    baseline_date: date | None
    baseline_sum_mm: float | None
    lesions: list[LesionLine]
    timepoints: list[TimepointLine]
    bor_stated: str | None
    bor_stated_rule: str
    bor_computed: str | None
    visits: dict[date, str] = field(default_factory=dict)


Point = tuple[float, float]


@dataclass(frozen=True)
class CaliperMarks:
    """One reader's caliper of one lesion on a key image, in the pixel coordinates (column, row) of the panel's
    ``pixels`` (the corner of the top-left pixel is (0, 0), as DICOM SR coordinates and ``domain.calipers``)."""

    reader: str
    lesion_id: str
    lines: tuple[tuple[Point, Point], ...]  # long, short, viable axes
    marker: Point | None = None


@dataclass(frozen=True)
class KeyImagePanel:
    """One key image ready to draw (issue 22 item 2): greyscale pixels already windowed and cropped around the
    lesion (uint8, rows × columns), the calipers on them, the millimetres one pixel spans (row, column) for the
    scale bar, and the caption. ``missing`` says why there are no pixels ("image not available: <path>")."""

    title: str  # "Prior (baseline)", "Current"
    caption: str  # subject id, date and visit, series, slice location, window / level: nothing else of the header
    pixels: np.ndarray | None
    spacing: tuple[float, float] = (1.0, 1.0)  # mm per pixel of ``pixels``: (row, column)
    calipers: tuple[CaliperMarks, ...] = ()
    missing: str = ""


@dataclass(frozen=True)
class KeyImageRow:
    """One target lesion (or the key images a reader marked) at one timepoint: prior and current side by side."""

    heading: str
    panels: tuple[KeyImagePanel, ...]


@dataclass(frozen=True)
class KeyImageSection:
    """A case's key images: per discordant timepoint (else the last) and target lesion. ``readers``: whose
    calipers are drawn, in colour order (the legend); ``both``: both central readers on the same panels (an
    adjudication page), else each read's own; ``notes``: what has no key image and why."""

    readers: tuple[str, ...]
    rows: tuple[KeyImageRow, ...]
    both: bool = False
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseSection:
    """One patient of a case packet (DESIGN §4 adjudication; issue 9 item 2)."""

    subject_id: str
    summary: str  # why the case is in the packet, e.g. "best overall response differs (SD vs PR)"
    status: str  # queue status / decision in force
    baseline: list[tuple[str, str]]
    origin: date | None
    cycles: list[Cycle]
    adverse_events: list[AdverseEvent]
    assessments: list[tuple[date, str]]  # the timeline's markers (date, response code)
    assessments_caption: str
    progression: date | None
    death: date | None
    last_contact: date | None
    planned_days: int
    reads: list[ReaderRead]
    choices: list[str]  # the reads the decision box offers (the two central readers first)
    spider: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    key_images: KeyImageSection | None = None  # None: not gathered (the section is left out)


@dataclass(frozen=True)
class CasePacketInput:
    """A case packet: the selection (``"discordant"``, ``"all"`` or ids), the cases, and study settings."""

    provenance: Provenance
    selection: str
    criteria: str
    settings: dict[str, Any]
    cases: list[CaseSection]


__all__ = [
    "AdjudicationSummary",
    "CaliperMarks",
    "CasePacketInput",
    "CaseSection",
    "CohortReportInput",
    "KeyImagePanel",
    "KeyImageRow",
    "KeyImageSection",
    "LesionLine",
    "Provenance",
    "ReaderRead",
    "TimepointLine",
]
