"""Building the built-in demo study: the seeded simulator of ``hccreview.demo`` written to a new study file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hccreview.demo.simulate import write_demo_study


def build_demo_study(
    path: str | Path, *, seed: int = 1, patients: int = 40, progress: Callable[[float, str], None] | None = None
) -> Path:
    """Create the demo study file at ``path`` (an existing file is refused with ``StoreError``);
    ``progress(fraction, text)`` is told each step (simulating, writing, demo accounts) on the calling thread."""
    return write_demo_study(path, seed=seed, patients=patients, progress=progress)
