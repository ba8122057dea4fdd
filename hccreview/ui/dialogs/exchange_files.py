"""File ▸ Export snapshot for a reader… and File ▸ Export my reads…: ask for the reader / the file, then write
it in the database lane (:mod:`hccreview.services.exchange`) and report in the status bar."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QInputDialog, QWidget

from hccreview.services.session import StudySession
from hccreview.ui.workers import Runner


def _readers(session: StudySession) -> list[str]:
    from hccreview.services.auth import users

    return [u.username for u in users(session) if u.role.value == "reader"]


def _snapshot(session: StudySession, reader: str, out: str) -> Any:
    from hccreview.services.exchange import export_snapshot

    return export_snapshot(session, reader=reader, out=out)


def _package(session: StudySession, user: str, out: str) -> Any:
    from hccreview.services.exchange import export_reads

    return export_reads(session, user=user, out=out)


def export_snapshot_interactive(
    parent: QWidget, session: StudySession, runner: Runner, *, done: Callable[[str], None],
    error: Callable[[BaseException], None],
) -> None:  # fmt: skip
    """Ask which reader and where, then write that reader's blinded snapshot."""
    names = _readers(session)
    if not names:
        error(PermissionError("this study has no reader accounts (File ▸ Users… adds them)"))
        return
    reader, ok = QInputDialog.getItem(parent, "Snapshot for a reader", "Reader:", names, 0, False)
    if not ok:
        return
    start = str(session.path.with_name(f"{session.path.stem}-{reader}.db"))
    out, _ = QFileDialog.getSaveFileName(parent, "Reader snapshot", start, "hccreview studies (*.db)")
    if not out:
        return

    def finished(r: Any) -> None:
        done(f"Wrote {reader}'s snapshot {Path(r.path).name} ({r.counts.get('reads', 0)} of their reads)")

    runner.run(_snapshot, session, reader, out, on_done=finished, on_error=error)


def export_reads_interactive(
    parent: QWidget, session: StudySession, runner: Runner, *, done: Callable[[str], None],
    error: Callable[[BaseException], None],
) -> None:  # fmt: skip
    """Write the signed-in reader's package from this snapshot."""
    user = session.signed_in
    if user is None:
        error(PermissionError("sign in first: a reader exports their own reads"))
        return
    start = str(session.path.with_name(f"{session.path.stem}-{user.username}.hccr"))
    out, _ = QFileDialog.getSaveFileName(parent, "Reader package", start, "Reader packages (*.hccr)")
    if not out:
        return
    out = out if out.endswith(".hccr") else f"{out}.hccr"

    def finished(r: Any) -> None:
        counts = r.manifest["counts"]
        done(f"Wrote {Path(r.path).name}: {counts['reads']} read(s), {counts['measurements']} measurement(s) changed")

    runner.run(_package, session, user.username, out, on_done=finished, on_error=error)
