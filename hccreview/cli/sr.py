"""Sub-command ``hccreview export-sr`` (issue 22 item 3): the reads' DICOM documents, stored or built now.

``export-sr STUDY.db OUT`` writes the documents stored when readers submitted their reads (a Comprehensive SR,
TID 1500 Measurement Report, and a Key Object Selection), byte for byte, to
``OUT/<subject>/<evaluator>/<date>_SR[_<n>].dcm`` and ``_KO[_<n>].dcm``; and, for each evaluator × subject ×
timepoint with at least one caliper and no stored document (a read never submitted in hccreview: imported, the
investigator's), an SR built now from the current data. One line per document says ``new``, ``amended`` (a new
``_<n>`` naming its predecessor) or ``unchanged`` (nothing written), and ``stored`` or ``built now``; its SHA-256
under ``--json``. ``--user`` signs in: a blinded reader exports only their own reads. ``--subject`` (repeatable)
limits the export. Exit 0 on success (also when nothing is measured on images), 1 for refused input (a refused
sign-in, an image missing from the index), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys

from hccreview.cli.auth import PASSWORD_ENV, SignInRefused, refuse, signed_session
from hccreview.cli.registry import command
from hccreview.services.session import StoreError


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study", help="study file (.db)")
    p.add_argument("out", help="folder the SR documents are written under (made when missing)")
    p.add_argument("--subject", action="append", default=None, metavar="ID", help="only this subject (repeatable)")
    p.add_argument("--json", action="store_true", help="print the documents as JSON")
    p.add_argument("--user", default=None, metavar="NAME",
                   help=f"sign in as NAME (password: ${PASSWORD_ENV} or a prompt); optional: a blinded reader "
                   "exports only their own reads")  # fmt: skip


@command("export-sr", help="write the reads' DICOM documents (TID 1500 SR, key object selection)",
         arguments=_arguments)  # fmt: skip
def _cmd_export_sr(args: argparse.Namespace) -> int:
    from hccreview.services.structured_reports import SRError, export_sr

    try:
        with signed_session(args, args.study, writes=False) as session:
            written = export_sr(session, args.out, subjects=args.subject)
    except SignInRefused as exc:
        return refuse("export-sr", exc)
    except (SRError, StoreError, PermissionError, OSError) as exc:
        print(f"hccreview export-sr: {exc}", file=sys.stderr)
        return 1
    if args.json:
        rows = [{"subject_id": d.subject_id, "evaluator": d.evaluator, "date": d.date.isoformat(), "visit": d.visit,
                 "path": str(d.path), "sha256": d.sha256, "lesions": d.lesions, "status": d.status,
                 "predecessor": str(d.predecessor) if d.predecessor else None, "kind": d.kind,
                 "origin": d.origin} for d in written]  # fmt: skip
        print(json.dumps(rows, indent=2))
        return 0
    for d in written:
        print(d.line())
    counts = {s: sum(d.status == s or d.kind == s or d.origin == s for d in written)
              for s in ("new", "amended", "unchanged", "SR", "KOS", "stored", "built now")}  # fmt: skip
    print(f"{len(written)} document(s) ({counts['SR']} SR, {counts['KOS']} KOS; {counts['stored']} stored, "
          f"{counts['built now']} built now): {counts['new']} new, {counts['amended']} amended, "
          f"{counts['unchanged']} unchanged")  # fmt: skip
    return 0
