"""Exporting a study's data: the CSV bundle (docs/csv-bundle.md) or CDISC SDTM domains (docs/sdtm-export.md).

Both are re-importable: a CSV bundle gives back the same records, an SDTM export the same cohort statistics
for every read source (``hccreview stats --json``), with the exceptions listed in docs/sdtm-export.md.

Blinding: an export holds every reader's reads and the adjudication, so it is an admin / adjudicator action —
a signed-in reader is refused (:class:`~hccreview.store.access.BlindingError`); the unsigned system context
of the command line may export. A fresh read of the store (``session.data()``) shows every committed change.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hccreview.domain.access import Capability
from hccreview.io.csv_bundle_write import write_bundle
from hccreview.services.session import StudySession
from hccreview.store.access import BlindingError

__all__ = ["FORMATS", "BlindingError", "ExportCancelled", "ExportResult", "export_bundle", "export_data"]

FORMATS = ("sdtm", "csv")
Progress = Callable[[float, str], None]


class ExportCancelled(Exception):
    """The user cancelled the export before any file was written."""


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: format, folder, files, rows per file, notes on what the format cannot carry."""

    fmt: str
    folder: Path
    files: tuple[Path, ...]
    rows: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    seconds: float = 0.0

    def summary(self) -> str:
        """A few lines for a person: what was written where, and what the format leaves out."""
        what = "SDTM domains" if self.fmt == "sdtm" else "CSV bundle"
        lines = [f"wrote {what} to {self.folder}: {len(self.files)} files in {self.seconds:.1f} s"]
        if self.rows:
            lines.append("  " + ", ".join(f"{name} {n}" for name, n in self.rows.items()))
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _check_role(session: StudySession) -> None:
    """The export holds every reader's reads and the adjudication: the access policy's SEE_COHORT (DESIGN §4b)."""
    if not session.access.may(Capability.SEE_COHORT):
        raise BlindingError(
            f"{session.access.who} may not export the study: it holds every reader's reads and the "
            "adjudication (blinding); an adjudicator, admin or viewer exports"
        )


def _step(progress: Any, cancel: Any, fraction: float, text: str) -> None:
    flag = getattr(cancel, "cancelled", cancel)
    if flag is not None and (flag() if callable(flag) else flag):
        raise ExportCancelled("export cancelled")
    report = getattr(progress, "report", progress)
    if report is not None:
        report(fraction, text)


def export_data(
    session: StudySession,
    folder: str | Path,
    *,
    fmt: str,
    xpt: bool = False,
    progress: Progress | Any = None,
    cancel: Callable[[], bool] | Any = None,
) -> ExportResult:
    """Write the open study into ``folder`` as ``fmt`` ("sdtm" or "csv"); ``xpt`` writes SDTM as SAS XPT v5.

    ``progress(fraction, message)`` (or an object with ``report``) is called between steps; ``cancel`` (a
    callable, or an object with ``cancelled``) is polled before the files are written. Raises BlindingError
    for a signed-in reader, ValueError for an unknown format or a folder holding another SDTM delivery.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (use {' or '.join(FORMATS)})")
    _check_role(session)
    started = time.perf_counter()
    target = Path(folder)
    _step(progress, cancel, 0.0, "reading the study")
    data = session.data()
    if fmt == "csv":
        _step(progress, cancel, 0.5, "writing the CSV bundle")
        files = write_bundle(data, target)
        rows = {p.name: _csv_rows(p) for p in files}
        result = ExportResult(fmt, target, tuple(files), rows, (), time.perf_counter() - started)
    else:
        from hccreview.io.sdtm_export import write_sdtm
        from hccreview.io.sdtm_export_adrs import derived_responses

        _step(progress, cancel, 0.3, "deriving responses for every read source")
        derived = derived_responses(data)
        _step(progress, cancel, 0.6, "writing SDTM domains")
        written = write_sdtm(data, target, xpt=xpt, derived=derived)
        result = ExportResult(fmt, target, written.files, written.rows, written.notes, time.perf_counter() - started)
    if progress is not None:
        _step(progress, None, 1.0, "exported")
    return result


def _csv_rows(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return max(sum(1 for _ in csv.reader(fh)) - 1, 0)


def export_bundle(session: StudySession, folder: str | Path) -> list[Path]:
    """Write the open study as a CSV bundle into ``folder`` (created if needed); returns the files written.

    Bundle files already in ``folder`` are replaced; other files are left alone. A signed-in reader is refused.
    """
    return list(export_data(session, folder, fmt="csv").files)
