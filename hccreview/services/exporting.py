"""Exporting a study: the CSV bundle of every record (docs/csv-bundle.md), re-importable without loss."""

from __future__ import annotations

from pathlib import Path

from hccreview.io.csv_bundle import write_bundle
from hccreview.services.session import StudySession


def export_bundle(session: StudySession, folder: str | Path) -> list[Path]:
    """Write the open study as a CSV bundle into ``folder`` (created if needed); returns the files written.

    A fresh read of the store (``session.data()``), so the export shows every committed change. Bundle files
    already in ``folder`` are replaced; other files are left alone.
    """
    return write_bundle(session.data(), Path(folder))
