"""Render the case packet's key-image page of a discordant demo patient to PNG (issue 22 item 2).

    python tools/screenshot_packet_images.py [--out docs/screenshots/packet-key-images.png]

Builds a 12-patient demo study in a temporary folder; reader1 and reader2 measure the same target of a
discordant patient with calipers that differ (reader2's long axis 4 pixels longer at baseline, 14 at a timepoint
where the reads differ); renders that patient's packet as the adjudicator and rasterises its "Key images" page
with pdftoppm (poppler-utils), as ``tests/report/test_packet_key_images.py`` checks it.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/screenshots/packet-key-images.png")
    args = parser.parse_args()
    from hccreview.demo import images as synthetic
    from hccreview.domain.records import LesionKind
    from hccreview.services import adjudication, auth
    from hccreview.services.adjudication_comparison import case_comparison
    from hccreview.services.demo_study import build_demo_study
    from hccreview.services.reporting import render_report
    from hccreview.services.review import update_measurement
    from hccreview.services.session import open_study
    from hccreview.store.database import Store
    from hccreview.store.study_data import load_study

    with tempfile.TemporaryDirectory() as tmp:
        path = build_demo_study(Path(tmp) / "demo.db", patients=12)
        with open_study(path) as session:
            auth.sign_in(session, "adjudicator", "adjudicator-demo")
            found = [(item.subject_id, row.date) for item in adjudication.discordance_queue(session, "central")
                     for row in case_comparison(session, item.subject_id).rows
                     if row.differs and len(set(row.dates.values())) == 1 and len(row.dates) == 2]  # fmt: skip
        sid, day = found[0]
        with Store.open(path, migrate=False) as system:
            data = load_study(system, subject_id=sid)
        plans = [p for p in synthetic.plan_subject(data, sid) if p.phase == synthetic.PORTAL_VENOUS]
        for plan, stretch2 in ((plans[0], 4.0), (next(p for p in plans if p.date == day), 14.0)):  # baseline, then day
            truth = next(t for t in plan.lesions if t.kind is LesionKind.TARGET)
            for reader, stretch in (("reader1", 0.0), ("reader2", stretch2)):
                with open_study(path) as session:
                    auth.sign_in(session, reader, f"{reader}-demo")
                    row = session.store.rows(
                        "measurements", "subject_id = ? AND reader = ? AND lesion_id = ? AND date = ?",
                        [sid, reader, truth.lesion_id, plan.date.isoformat()])[0]  # fmt: skip
                    caliper = synthetic.truth_caliper(plan, truth, stretch_px=stretch)
                    update_measurement(session, measurement_id=int(row["id"]), values={"caliper": caliper},
                                       reason="measured")  # fmt: skip
        pdf = Path(tmp) / "packet.pdf"
        with open_study(path) as session:
            auth.sign_in(session, "adjudicator", "adjudicator-demo")
            render_report(session, pdf, cases=sid)
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
        texts = {p: subprocess.run(["pdftotext", "-f", str(p), "-l", str(p), str(pdf), "-"], capture_output=True,
                                   text=True, check=True).stdout for p in range(1, pages + 1)}  # fmt: skip
        page = next(p for p, text in texts.items() if "Key images" in text)
        out = Path(args.out)
        subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-r", "100", "-png", "-singlefile", str(pdf),
                        str(out.with_suffix(""))], check=True)  # fmt: skip
        print(f"{out}: page {page} of {sid}'s packet")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
