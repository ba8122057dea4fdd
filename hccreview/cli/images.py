"""Sub-commands ``hccreview import-images`` and ``hccreview image-root`` (issue 21 item 1): images in the study.

``import-images STUDY.db FOLDER`` scans FOLDER (any depth; headers only) and prints the preview: the series it
would register with the patient, date and visit each matched and how; the unmatched series with their reasons;
the series already registered (unchanged, or changed: replaced only with ``--replace-changed``); the problems by
file and attribute; files that are not DICOM, SR documents and other objects. The TID 1500 SR documents found
beside the images (``services.sr_import``) follow: per document, the patient, date and evaluator it is imported as
(``--sr-evaluator NAME``; default: its observer's name as a key), its lesions and values, its problems, and the
rows and computed responses it would write. ``--apply`` registers the matched series, then imports the SRs
(admin only: ``--user`` once the study has accounts). ``--map FILE.csv`` maps PatientIDs to subject ids
(columns ``PatientID,subject_id``); ``--match-patient-id`` confirms every PatientID equal to a subject id.
``--json`` prints the plan as JSON, with ``applied`` (null without ``--apply``).

``image-root STUDY.db`` prints the image root and what is registered; ``image-root STUDY.db NEW_ROOT --reason R``
re-points it after the folder moved (refused when none of the registered files is under NEW_ROOT; the missing
ones are named otherwise). Exit 0 on success, 1 for refused input (a folder outside the root, a refused sign-in or
role), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys

from hccreview.cli.auth import SignInRefused, add_user_option, refuse, signed_session
from hccreview.cli.progress import add_quiet_option, progress_for
from hccreview.cli.registry import command
from hccreview.services.session import StoreError


def _import_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study", help="study file (.db)")
    p.add_argument("folder", help="folder of DICOM files (searched at any depth)")
    p.add_argument("--apply", action="store_true", help="register the matched series (without it: preview only)")
    p.add_argument(
        "--map", metavar="FILE.csv", default=None, help="PatientID to subject id mapping (PatientID,subject_id)"
    )
    p.add_argument("--match-patient-id", action="store_true",
                   help="confirm every PatientID that equals a subject id of the study")  # fmt: skip
    p.add_argument("--replace-changed", action="store_true",
                   help="with --apply: replace the registered series whose files changed")  # fmt: skip
    p.add_argument("--sr-evaluator", metavar="NAME", default=None,
                   help="import the SR documents found as this evaluator (default: each one's observer)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the preview (and what was applied) as JSON")
    add_user_option(p, what="with --apply on a study with user accounts (an admin)")
    add_quiet_option(p)


@command("import-images", help="index a folder of DICOM images into a study: preview, then --apply",
         arguments=_import_arguments)  # fmt: skip
def _cmd_import_images(args: argparse.Namespace) -> int:
    from hccreview.services.images import ImagesRefused, apply_import, preview_import, read_patient_map
    from hccreview.services.sr_import import SRError, SRImportRefused, apply_sr_import, preview_sr_import

    try:
        patient_map = read_patient_map(args.map) if args.map else None
    except (OSError, ValueError) as exc:
        print(f"hccreview import-images: --map: {exc}", file=sys.stderr)
        return 1
    result = reports = imported = None
    try:
        with signed_session(args, args.study, writes=args.apply) as session:
            with progress_for("import-images", args) as progress:
                plan = preview_import(session, args.folder, patient_map=patient_map,
                                      match_patient_id=args.match_patient_id, progress=progress)  # fmt: skip
            if plan.structured_reports:
                reports = preview_sr_import(session, plan.structured_reports, evaluator=args.sr_evaluator,
                                            images_plan=plan)  # fmt: skip
            if args.apply:
                wanted = [c for c in plan.changed if c.match is not None] if args.replace_changed else []
                replace = [c.series.series_uid for c in wanted]
                result = apply_import(session, plan, replace=replace)
                imported = apply_sr_import(session, reports) if reports is not None else None
    except SignInRefused as exc:
        return refuse("import-images", exc)
    except (ImagesRefused, SRError, SRImportRefused, StoreError, PermissionError) as exc:
        print(f"hccreview import-images: {exc}", file=sys.stderr)
        return 1
    if args.json:
        applied = None if result is None else result.to_json()
        sr = None if reports is None else reports.to_json()
        sr_applied = None if imported is None else imported.summary()
        print(json.dumps({**plan.to_json(), "applied": applied, "sr": sr, "sr_applied": sr_applied}, indent=2))
        return 0
    print("\n".join(plan.lines()))
    if reports is not None:
        print("\n".join(reports.lines()))
    if result is not None:
        print(result.summary())
        if imported is not None:
            print(imported.summary())
    elif plan.matched or plan.changed or (reports is not None and reports.writes):
        print("preview only: nothing was written; run again with --apply to register the matched series"
              + (" and import the SRs" if reports is not None and reports.writes else ""))  # fmt: skip
    else:
        print("preview only: nothing to register")
    return 0


def _root_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study", help="study file (.db)")
    p.add_argument("new_root", nargs="?", default=None, metavar="NEW_ROOT", help="the folder the images moved to")
    p.add_argument("--reason", default=None, help="why the root is re-pointed (required with NEW_ROOT; audited)")
    add_user_option(p, what="with NEW_ROOT on a study with user accounts (an admin)")


@command("image-root", help="show the study's image root, or re-point it after the images moved",
         arguments=_root_arguments)  # fmt: skip
def _cmd_image_root(args: argparse.Namespace) -> int:
    from hccreview.services.images import ImagesRefused, image_root, set_image_root, summary_of_index

    if args.new_root is not None and not (args.reason or "").strip():
        print("hccreview image-root: NEW_ROOT needs --reason R (the change is audited)", file=sys.stderr)
        return 2
    try:
        with signed_session(args, args.study, writes=args.new_root is not None) as session:
            if args.new_root is None:
                root = image_root(session)
                print(f"image root: {root if root is not None else '(none: no image registered yet)'}")
                print(summary_of_index(session))
                return 0
            changed = set_image_root(session, args.new_root, reason=args.reason)
    except SignInRefused as exc:
        return refuse("image-root", exc)
    except (ImagesRefused, StoreError, PermissionError) as exc:
        print(f"hccreview image-root: {exc}", file=sys.stderr)
        return 1
    print(changed.summary())
    return 0
