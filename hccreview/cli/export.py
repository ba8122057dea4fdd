"""``hccreview export STUDY.db --format sdtm|csv OUT``: write the study's data into the folder OUT.

``sdtm``: CDISC SDTM domains (CSV, or SAS XPT v5 with ``--xpt``) plus ``adrs_hccreview.csv``, the responses
hccreview derives (docs/sdtm-export.md); ``csv``: the CSV bundle (docs/csv-bundle.md). The command line is
the unsigned system context. Exit 0 on success, 1 when the study cannot be read or the folder is refused.
"""

from __future__ import annotations

import argparse
import sys

from hccreview.cli.progress import add_quiet_option, progress_for
from hccreview.cli.registry import command


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study", help="study file (.db)")
    p.add_argument("--format", choices=["sdtm", "csv"], required=True)
    p.add_argument("out", metavar="OUT", help="folder to write (created if needed)")
    p.add_argument("--xpt", action="store_true", help="SDTM domains as SAS XPT v5 instead of CSV")
    add_quiet_option(p)


@command("export", help="write the study's data as SDTM domains or a CSV bundle into a folder", arguments=_arguments)
def _cmd_export(args: argparse.Namespace) -> int:
    from hccreview.services.exporting import export_data
    from hccreview.services.session import StoreError, open_study

    if args.xpt and args.format != "sdtm":
        print("hccreview export: --xpt applies to --format sdtm only", file=sys.stderr)
        return 2
    try:
        with open_study(args.study) as session, progress_for("export", args) as progress:
            result = export_data(session, args.out, fmt=args.format, xpt=args.xpt, progress=progress)
    except (StoreError, ValueError, PermissionError) as exc:
        print(f"hccreview export: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"hccreview export: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(result.summary())
    return 0
