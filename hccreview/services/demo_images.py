"""The demo study's images, generated on first use (issue 21 item 4).

The demo study registers its synthetic CT series when it is built (``demo.image_index``); their files are drawn
the first time someone opens them, into the user's cache folder (the study's image root), never into the
repository. Drawing a patient's series takes about a second (RLE, 512²); the window runs it in the background with
progress and Cancel, and ``hccreview demo --images`` draws them all at once.

The images show the lesions as the investigator measured them (the demo's simulated truth; readers read them).
Every role sees the same images, as on a real scan; to draw them this module reads the investigator's records
through a connection of its own in the system context, and nothing of those records but the pixels reaches the
user.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from hccreview.demo import images as synthetic
from hccreview.demo.image_index import DEMO_SOURCE
from hccreview.domain.images import ImageInstance, ImageSeries
from hccreview.services.session import StudySession
from hccreview.store import images as index
from hccreview.store.database import Store
from hccreview.store.study_data import load_study

Progress = Callable[[int, int, str], None]

__all__ = ["DemoImagesCancelled", "generate", "missing_series"]

#: Raised when the user cancels: the series finished before stay, none is half-written.
DemoImagesCancelled = synthetic.ImagesCancelled


def _root(session: StudySession) -> Path | None:
    root = index.image_root(session.store)
    return Path(root) if root else None


def _complete(root: Path, series: ImageSeries, paths: list[str]) -> bool:
    return all((root / p).is_file() for p in paths)


def missing_series(
    session: StudySession,
    subject_id: str | None = None,
    *,
    known: Mapping[str, Sequence[ImageInstance]] | None = None,
) -> list[ImageSeries]:
    """The demo series (of one subject, or all) whose files are not drawn yet. ``known``: the series' instances
    when the caller has read them already (the Images tab has), so the index is not read twice."""
    root = _root(session)
    if root is None:
        return []
    out = []
    for s in index.list_series(session.store, subject_id):
        if s.source != DEMO_SOURCE:
            continue
        listed = known.get(s.series_uid) if known is not None else None
        found = listed if listed is not None else index.instances_of(session.store, s.series_uid)
        paths = [i.path for i in found]
        if not _complete(root, s, paths):
            out.append(s)
    return out


def generate(
    session: StudySession,
    subject_id: str | None = None,
    *,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> int:
    """Draw the missing demo series of ``subject_id`` (or of every subject) under the study's image root;
    returns how many series were drawn. ``progress(done, total, text)`` counts series; a cancel raises
    :class:`DemoImagesCancelled` and leaves only complete series."""
    wanted = missing_series(session, subject_id)
    root = _root(session)
    if not wanted or root is None:
        return 0
    subjects = sorted({s.subject_id for s in wanted})
    size = wanted[0].columns
    with Store.open(session.path, migrate=False) as system:  # the system context: sees the drawn records
        data = load_study(system, subject_id=subject_id) if subject_id else load_study(system)
    plans = synthetic.generate_study(data, root, subjects=subjects, size=size, progress=progress, cancelled=cancelled)
    registered = {s.series_uid for s in wanted}
    drawn = [p for p in plans if p.series_uid in registered]
    if len(drawn) != len(registered):  # the plans no longer match the index: say so rather than show other images
        raise RuntimeError(
            f"the demo images of {', '.join(subjects)} no longer match the study's index "
            f"({len(drawn)} of {len(registered)} series); rebuild the demo study"
        )
    return len(drawn)
