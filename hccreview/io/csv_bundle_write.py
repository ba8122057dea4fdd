"""Export of a study as a CSV bundle: the files :func:`hccreview.io.csv_bundle.read_bundle` reads back.

Owns :func:`write_bundle`; the layout (file names, columns, the ``lab_units`` option) is
:mod:`hccreview.io.csv_bundle`'s, the cell text :func:`hccreview.io.csv_bundle_cells.format_cell`'s.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

from hccreview.domain import records as r
from hccreview.io.csv_bundle import LAB_UNITS_KEY, STUDY_FILE, TABLE_FILES, LabUnits, bundle_columns
from hccreview.io.csv_bundle_cells import CHILD_PUGH_COLUMNS, RECORDS, format_cell, record_columns

__all__ = ["write_bundle"]


def write_bundle(data: r.StudyData, folder: Path) -> list[Path]:
    """Write every record kind of ``data`` as a bundle into ``folder`` (created; bundle files replaced).

    UTF-8 with a BOM (so that spreadsheet programs detect it), floats by ``repr`` (exact), None as a blank
    cell, dates ISO 8601; ``study.csv`` says ``lab_units,as_given``. Returns the paths written, ``study.csv``
    first. Raises ValueError for what a bundle cannot hold (two Child-Pugh records of one subject, one of an
    unknown subject, a non-finite number).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    child_pugh: dict[str, r.ChildPughComponents] = {}
    for components in data.child_pugh:
        if components.subject_id in child_pugh:
            raise ValueError(f"two Child-Pugh records for subject {components.subject_id!r}")
        child_pugh[components.subject_id] = components
    orphans = sorted(set(child_pugh) - {s.subject_id for s in data.subjects})
    if orphans:
        raise ValueError(f"Child-Pugh records of subjects not in the study: {', '.join(orphans)}")
    settings = [[f.name, format_cell(getattr(data.settings, f.name))] for f in dataclasses.fields(r.StudySettings)]
    settings.append([LAB_UNITS_KEY, LabUnits.AS_GIVEN.value])  # stored lab values come back as they are
    paths = [_write_csv(folder / STUDY_FILE, ["key", "value"], settings)]
    for table, name in TABLE_FILES.items():
        fields = [c.name for c in record_columns(RECORDS[table])]
        lines = []
        for record in getattr(data, table):
            cells = [format_cell(getattr(record, f)) for f in fields]
            if table == "subjects":
                cp = child_pugh.get(record.subject_id)
                cells += [format_cell(getattr(cp, c)) if cp else "" for c in CHILD_PUGH_COLUMNS]
            lines.append(cells)
        paths.append(_write_csv(folder / name, bundle_columns(table), lines))
    return paths


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path
