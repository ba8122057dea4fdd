"""Sub-commands that make or check a study file: ``open`` (named for ``--help``), ``init``, ``verify``, ``demo``."""

from __future__ import annotations

import argparse
import sys

from hccreview.cli.progress import add_quiet_option, progress_for
from hccreview.cli.registry import command
from hccreview.services.session import StoreError, create_study
from hccreview.services.verify import verify_study


def _open_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study", help="study file (.db)")


@command("open", help="open a study file in the GUI", arguments=_open_arguments)
def _cmd_open(args: argparse.Namespace) -> int:
    """The GUI is started by the entry point (``hccreview.__main__``) before the command line is parsed, and the
    command line may not import ``ui``; ``open`` is registered here so that ``hccreview --help`` lists it."""
    print("usage: hccreview open STUDY.db (the GUI starts from the hccreview program)", file=sys.stderr)
    return 2


def _init_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study")
    p.add_argument("--title", required=True)
    p.add_argument("--criteria", choices=["recist1.1", "mrecist"], default="recist1.1")


@command("init", help="create an empty study file", arguments=_init_arguments)
def _cmd_init(args: argparse.Namespace) -> int:
    try:
        with create_study(args.study, title=args.title, criteria=args.criteria) as session:
            s = session.settings()
    except StoreError as exc:
        print(f"hccreview init: {exc}", file=sys.stderr)
        return 1
    print(f"created {args.study}: {s.title} ({s.criteria.value})")
    return 0


#: The checks of ``verify`` in words (the store names them by their SQLite pragma or table).
_CHECK_WORDS = {
    "integrity_check": "database integrity",
    "foreign_key_check": "references between records",
    "audit_append_only": "audit trail is append-only",
    "signatures": "electronic signatures",
    "reader_packages": "merged reader packages",
    "audit_chain": "audit trail hash chain",
    "image_files": "image files",
    "dicom_documents": "DICOM documents of submitted reads (SR, KOS)",
}


def _study_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("study")


@command("verify", arguments=_study_argument,
         help="check a study file: integrity, references, audit chain, image files, DICOM documents")  # fmt: skip
def _cmd_verify(args: argparse.Namespace) -> int:
    try:
        checks = verify_study(args.study)
    except StoreError as exc:
        print(f"hccreview verify: {exc}", file=sys.stderr)
        return 1
    for check in checks:
        print(f"{'ok  ' if check.ok else 'FAIL'} {_CHECK_WORDS.get(check.name, check.name.replace('_', ' '))}: "
              f"{check.detail}")  # fmt: skip
    failed = [c for c in checks if not c.ok]
    print(f"{args.study}: {'verified' if not failed else f'{len(failed)} check(s) failed'}")
    return 0 if not failed else 1


def _demo_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--patients", type=int, default=40)
    p.add_argument(
        "--images",
        action="store_true",
        help="draw the synthetic CT series now (about 0.9 GB for 40 patients) instead of on first view",
    )
    add_quiet_option(p)


@command("demo", help="build the seeded demo study", arguments=_demo_arguments)
def _cmd_demo(args: argparse.Namespace) -> int:
    from hccreview.services.demo_study import build_demo_study

    try:
        with progress_for("demo", args) as progress:
            build_demo_study(args.study, seed=args.seed, patients=args.patients, progress=progress)
    except StoreError as exc:
        print(f"hccreview demo: {exc}", file=sys.stderr)
        return 1
    print(f"created demo study {args.study} (seed {args.seed}, {args.patients} patients)")
    if args.images:
        return _draw_demo_images(args)
    return 0


def _draw_demo_images(args: argparse.Namespace) -> int:
    """``demo --images``: draw every demo series now instead of on first view (issue 21 item 4)."""
    from hccreview.services import demo_images, images
    from hccreview.services.session import open_study

    with open_study(args.study) as session, progress_for("demo --images", args) as progress:
        missing = demo_images.missing_series(session)
        print(f"drawing {len(missing)} synthetic CT series (about {len(missing) * 3} MB, RLE) ...")
        drawn = demo_images.generate(
            session, progress=lambda done, total, text: progress(done / max(total, 1), f"series {done}/{total} {text}")
        )
        root = images.image_root(session)
    print(f"drew {drawn} series under {root}")
    return 0
