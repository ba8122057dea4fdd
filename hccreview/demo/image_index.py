"""The demo study's image index (issue 21 item 4): its synthetic series registered when the study is built.

The demo's images are generated on first use (``services.demo_images``) into the user's cache folder, never
committed; what the study holds from the start is their index — the same rows an import of the generated folder
would write — computed from the generator's deterministic plans (UIDs, geometry, paths) without drawing a
pixel. The files carry no hash in the index (``sha256`` empty, ``source`` "demo"): they are regenerated, not
delivered, so ``verify`` checks a demo image only once it exists.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hccreview.demo import images
from hccreview.domain.images import ImageInstance, ImageSeries
from hccreview.domain.records import StudyData
from hccreview.store import images as index
from hccreview.store.database import Store

#: The ``source`` of a demo series in the index.
DEMO_SOURCE = "demo"


def demo_index(
    data: StudyData, *, size: int = 512, seed: int = images.DEFAULT_SEED, registered_by: str = ""
) -> tuple[list[ImageSeries], list[ImageInstance]]:
    """The index rows of every demo subject's synthetic series (no file is read or written)."""
    now = datetime.now(UTC).replace(microsecond=0)
    syntax = str(images.cache_transfer_syntax())
    series: list[ImageSeries] = []
    instances: list[ImageInstance] = []
    for subject in data.subjects:
        for plan in images.plan_subject(data, subject.subject_id, size=size, seed=seed):
            series.append(ImageSeries(
                series_uid=plan.series_uid, study_uid=plan.study_uid, subject_id=plan.subject_id, date=plan.date,
                modality="CT", rows=plan.size, columns=plan.size, row_spacing=plan.spacing_mm,
                column_spacing=plan.spacing_mm, instances=len(plan.sop_uids), registered_at=now, visit=plan.visit,
                study_date=plan.date, timepoint_id=plan.visit, description=plan.description,
                phase=plan.phase, frame_of_reference_uid=plan.frame_of_reference_uid,
                slice_thickness=plan.slice_mm, orientation="1\\0\\0\\0\\1\\0", acquisition_plane=True,
                source=DEMO_SOURCE, registered_by=registered_by,
            ))  # fmt: skip
            for k, sop in enumerate(plan.sop_uids):
                x, y, z = plan.image_position(k)
                instances.append(ImageInstance(
                    sop_instance_uid=sop, series_uid=plan.series_uid, path=f"{plan.folder}/IM{k + 1:05d}.dcm",
                    slice_location=z, instance_number=k + 1, position=f"{x:g}\\{y:g}\\{z:g}",
                    transfer_syntax=syntax,
                ))  # fmt: skip
    return series, instances


def register_demo_images(store: Store, data: StudyData, *, size: int = 512) -> Path:
    """Register the demo's synthetic series and point the image root at their cache folder (the study being
    built: the caller holds the BUILD scope). Returns the image root."""
    root = images.default_root(images.fingerprint(data, size=size))
    series, instances = demo_index(data, size=size, registered_by=store.user)
    with store.transaction():
        index.set_image_root(store, str(root), reason="demo images: generated on first use into the user cache")
        index.register(store, series, instances, note="demo images (synthetic CT, generated on first use)")
    return root


__all__ = ["DEMO_SOURCE", "demo_index", "register_demo_images"]
