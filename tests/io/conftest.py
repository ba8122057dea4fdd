"""Fixtures for the importer tests: the real pharmaverse SDTM deliveries, read once per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from hccreview.io.validation import ParsedImport


@pytest.fixture(scope="session")
def pharmaverse(sdtm_root: Path) -> Path:
    """The folder holding the ``recist/`` and ``onco/`` deliveries (skips where absent: tests/conftest.py)."""
    return sdtm_root


@pytest.fixture(scope="session")
def recist_parsed(pharmaverse: Path) -> ParsedImport:
    from hccreview.io.sdtm import read_sdtm

    return read_sdtm(pharmaverse / "recist")


@pytest.fixture(scope="session")
def onco_parsed(pharmaverse: Path) -> ParsedImport:
    from hccreview.io.sdtm import read_sdtm

    return read_sdtm(pharmaverse / "onco")


def _raw_domain(folder: Path, domain: str) -> pd.DataFrame:
    """A domain file read independently of the importer (text; blank and NA missing; UTF-8 else cp1252)."""
    path = folder / f"{domain}.csv"
    try:
        path.read_bytes().decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "cp1252"
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=["NA", ""], encoding=encoding)


@pytest.fixture(scope="session")
def raw_domain() -> Callable[[Path, str], pd.DataFrame]:
    """``raw_domain(folder, "tr")``: the file as a plain frame, to count rows against the importer."""
    return _raw_domain
