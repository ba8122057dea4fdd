"""Sub-command ``hccreview transfers STUDY.db [--json]``: the data transfers a study received (issue 12 item 1).

One line per transfer (number, UTC time, user, format, source, counts new / changed / removed), then its source
files with their SHA-256; ``--json`` prints the list as JSON (``id``, ``at_utc``, ``username``, ``source``,
``format``, ``files`` [{name, bytes, sha256}], ``counts`` {kind: {new, changed, removed}}, ``subjects``,
``created_study``, ``backup``). Read-only. The import itself (preview, ``--dry-run``) is ``hccreview import``.
Exit 0 on success, 1 when the study cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys

from hccreview.cli.registry import command


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study")
    p.add_argument("--json", action="store_true", help="print the transfers as JSON")


@command("transfers", help="list the data transfers imported into a study (time, files, counts)", arguments=_arguments)
def _cmd_transfers(args: argparse.Namespace) -> int:
    from hccreview.services.session import StoreError, open_study
    from hccreview.services.transfers import list_transfers

    try:
        with open_study(args.study) as session:
            transfers = list_transfers(session.store)
    except StoreError as exc:
        print(f"hccreview transfers: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(transfers, indent=2))
        return 0
    if not transfers:
        print(f"no transfers recorded in {args.study}")
        return 0
    for t in transfers:
        totals = {s: sum(c.get(s, 0) for c in t["counts"].values()) for s in ("new", "changed", "removed")}
        first = " (created the study)" if t["created_study"] else ""
        print(f"transfer {t['id']}{first}: {t['at_utc'][:19]} UTC by {t['username']}, {t['format']} from {t['source']}")
        print(f"  {totals['new']} new, {totals['changed']} changed, {totals['removed']} removed record(s)")
        for kind, c in t["counts"].items():
            if any(c.values()):
                print(f"    {kind.replace('_', ' ')}: {c['new']} new, {c['changed']} changed, {c['removed']} removed")
        for f in t["files"]:
            print(f"  {f['name']} ({f['bytes']} bytes) sha256 {f['sha256']}")
    print(f"{len(transfers)} transfer(s)")
    return 0
