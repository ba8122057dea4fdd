"""Building the built-in demo study (placeholder: an empty study until the simulator lands)."""

from __future__ import annotations

from pathlib import Path

from hccreview.services.session import create_study


def build_demo_study(path: str | Path, *, seed: int = 1, patients: int = 40) -> Path:
    """Create the demo study file at ``path``."""
    with create_study(path, title="Demo study"):
        pass
    return Path(path)
