"""Writing SDTM domain frames to a folder: CSV (UTF-8) or SAS XPT v5, never mixing with another delivery.

One file per domain, named by the domain in lower case (``dm.csv`` / ``dm.xpt``), and the derived dataset
``adrs_hccreview.csv`` (always CSV: it is hccreview's own, not an SDTM domain, and the importer ignores it).
A folder that already holds SDTM domain files this export would not replace (e.g. ``ae.csv`` of an older
delivery, or ``dm.xpt`` beside a CSV export) is refused before anything is written: the importer would read a
mixture, or refuse two files for one domain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hccreview.io.sdtm_read import KNOWN_DOMAINS

__all__ = ["ADRS_FILE", "SdtmExport", "write_frames"]

ADRS_FILE = "adrs_hccreview.csv"


@dataclass(frozen=True)
class SdtmExport:
    """What an SDTM export wrote: files, rows per file, and notes on what the format cannot carry."""

    files: tuple[Path, ...]
    rows: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _domain_of(path: Path) -> str | None:
    """The domain the importer would read ``path`` as (its rule in :func:`sdtm_read.find_domain_files`)."""
    if not path.is_file() or path.suffix.lower() not in (".csv", ".xpt"):
        return None
    stem = path.stem.lower()
    domain = stem if stem in KNOWN_DOMAINS else stem.split("_")[0]
    return domain if domain in KNOWN_DOMAINS else None


def _check_folder(folder: Path, names: set[str]) -> None:
    if not folder.exists():
        return
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    foreign = sorted(p.name for p in folder.iterdir() if _domain_of(p) and p.name not in names)
    if foreign:
        raise ValueError(
            f"{folder} already holds other SDTM files ({', '.join(foreign)}); choose an empty folder so that "
            "the export is not mixed with another delivery"
        )


def _write_xpt(frame: pd.DataFrame, path: Path, domain: str) -> None:
    import pyreadstat

    text = frame.fillna("").astype(str)
    pyreadstat.write_xport(text, str(path), table_name=domain.upper(), file_format_version=5)


def write_frames(
    frames: dict[str, pd.DataFrame],
    folder: Path,
    *,
    xpt: bool = False,
    derived: pd.DataFrame | None = None,
    notes: list[str] | None = None,
) -> SdtmExport:
    """Write ``frames`` (domain → text cells) and ``derived`` into ``folder`` (created if needed)."""
    ext = ".xpt" if xpt else ".csv"
    names = {f"{d}{ext}" for d in frames} | {ADRS_FILE}
    _check_folder(folder, names)
    folder.mkdir(parents=True, exist_ok=True)
    files, rows = [], {}
    for domain, frame in frames.items():
        path = folder / f"{domain}{ext}"
        if xpt:
            _write_xpt(frame, path, domain)
        else:
            frame.to_csv(path, index=False, encoding="utf-8")
        files.append(path)
        rows[path.name] = len(frame)
    if derived is not None:
        path = folder / ADRS_FILE
        derived.to_csv(path, index=False, encoding="utf-8")
        files.append(path)
        rows[path.name] = len(derived)
    return SdtmExport(tuple(files), rows, tuple(notes or ()))
