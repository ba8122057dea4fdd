"""Grab screenshots of the case's Images tab (issue 21): prior | current with a reader's calipers, the lesion list.

    python tools/screenshot_images.py [--subject ID] [--size 1366x768] [--out docs/screenshots/images-reading.png]

Builds the demo study in a temporary folder (its images are drawn into that folder's cache), signs in as the demo
reader1, measures reader1's targets at every timepoint with calipers on the drawn lesions (the demo generator's
plan says where they are, as a reader's eye would) through the one edit core, then shows the case view's Images
tab with the first target selected and jumped to. Runs offscreen.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from shot_support import (
    SHOTS,
    demo_study,
    open_signed_in,
    panel_context,
    save,
    scratch,
    settle,
    size,
    start_qt,
    wait_until,
)

if TYPE_CHECKING:
    from hccreview.services.session import StudySession


def measure_with_calipers(session: StudySession, subject_id: str, reader: str = "reader1", stretch: float = 0.0) -> int:
    """Measure ``reader``'s targets of ``subject_id`` with calipers on the drawn lesions (the long axis drawn
    ``stretch`` pixels longer, as a reader who disagrees would); returns how many."""
    from hccreview.demo import images as synthetic
    from hccreview.domain.records import LesionKind
    from hccreview.services.review import update_measurement
    from hccreview.store.database import Store
    from hccreview.store.study_data import load_study

    with Store.open(session.path, migrate=False) as system:  # the plan is drawn from the investigator's records
        data = load_study(system, subject_id=subject_id)
    plans = [p for p in synthetic.plan_subject(data, subject_id) if p.phase == synthetic.PORTAL_VENOUS]
    case = session.data()
    targets = {x.lesion_id for x in case.lesions if x.subject_id == subject_id and x.reader == reader
               and x.kind is LesionKind.TARGET}  # fmt: skip
    rows = session.store.rows("measurements", "subject_id = ? AND reader = ?", [subject_id, reader])
    done = 0
    for plan in plans:
        for truth in plan.lesions:
            row = next((r for r in rows if r["lesion_id"] == truth.lesion_id and r["date"] == plan.date.isoformat()
                        and truth.lesion_id in targets), None)  # fmt: skip
            if row is None:
                continue
            caliper = synthetic.truth_caliper(plan, truth, stretch_px=stretch)
            update_measurement(session, measurement_id=int(row["id"]), values={"caliper": caliper},
                               reason="measured on the image (screenshot tool)")  # fmt: skip
            done += 1
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subject", default="HCC-003")
    parser.add_argument("--size", default="1366x768")
    parser.add_argument("--out", type=Path, default=SHOTS / "images-reading.png")
    parser.add_argument(
        "--user",
        choices=("reader1", "adjudicator"),
        default="reader1",
        help="adjudicator: reader2 measures too (longer long axes), both laid over the same images",
    )
    args = parser.parse_args(argv)

    folder = scratch("images-shot")
    os.environ.setdefault("HCCREVIEW_CACHE_DIR", str(folder / "cache"))
    app = start_qt(folder)
    from hccreview.ui.views.case_view import CaseView

    study = demo_study(None, folder)
    session = open_signed_in(study, "reader1")
    measured = measure_with_calipers(session, args.subject)
    session.close()
    if args.user == "adjudicator":
        session = open_signed_in(study, "reader2")
        measured += measure_with_calipers(session, args.subject, "reader2", stretch=9.0)
        session.close()
    session = open_signed_in(study, args.user)
    context = panel_context(session)
    view = CaseView(context)
    view.resize(*size(args.size))
    view.show()
    view.show_subject(args.subject)
    wait_until(app, lambda: view.ready, "the case")
    view.tabs.setCurrentIndex(view.tab_index("images"))
    tab = view.images
    wait_until(app, lambda: tab.images is not None and not tab.images.undrawn and tab.current is not None,
               "the demo images", timeout=120)  # fmt: skip
    tab.lesions.selectRow(0)
    tab.jump_to_selected()
    for pane in (tab.reading.current, tab.reading.prior):
        viewer = pane.viewer
        wait_until(app, lambda v=viewer: v.volume is None or v.volume.is_loaded(v.index), "the slices")
    settle(app, view, context.runner)
    tab.refresh()
    app.processEvents()
    save(view, args.out, f"{args.subject}, {measured} calipers, as {args.user}")
    context.runner.wait()
    session.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
