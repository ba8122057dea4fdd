"""What every cohort figure shares: the patient gid convention, a fresh (or cleared) figure, the empty figure.

Patient artists carry ``gid="subject:ID"`` (the convention of :mod:`hccreview.report.figures`, so that a patient
id can never be mistaken for another artist's gid such as ``"ref:pd"``) and ``picker=True``; :func:`subject_of`
maps a picked artist back to the patient. Qt-free matplotlib, object-oriented API (no pyplot state). Re-exported
by :mod:`hccreview.report.cohort_figures`.
"""

from __future__ import annotations

from matplotlib.artist import Artist
from matplotlib.figure import Figure

SUBJECT_PREFIX = "subject:"


def subject_gid(subject_id: str) -> str:
    """The gid a patient's artist carries."""
    return SUBJECT_PREFIX + subject_id


def subject_of(artist: Artist) -> str | None:
    """The patient a picked artist belongs to (None for every other artist)."""
    gid = artist.get_gid() or ""
    return gid[len(SUBJECT_PREFIX) :] if gid.startswith(SUBJECT_PREFIX) else None


def new_figure(fig: Figure | None, figsize: tuple[float, float]) -> Figure:
    """A new constrained-layout figure, or ``fig`` cleared for a rebuild."""
    if fig is None:
        return Figure(figsize=figsize, layout="constrained")
    fig.clear()
    fig.set_layout_engine("constrained")
    return fig


def empty_figure(fig: Figure, text: str) -> Figure:
    """A figure that only says why there is nothing to draw."""
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, gid="empty", color="#555555")
    return fig
