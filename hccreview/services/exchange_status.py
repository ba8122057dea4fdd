"""The adjudication site's view of the reader exchange (issue 11 item 4): per reader, the packages merged
(when, by whom, what they changed) and the patients the reader has completed (the reader's worklist)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from hccreview.domain.access import Capability
from hccreview.domain.records import Role
from hccreview.services.reading import reader_worklist
from hccreview.services.session import StudySession
from hccreview.store import exchange as xstore

__all__ = ["ReaderProgress", "reader_progress"]


@dataclass(frozen=True)
class ReaderProgress:
    """One central reader's progress at the adjudication site."""

    reader: str
    full_name: str
    patients: int
    completed: list[str]
    in_progress: list[str]
    not_started: list[str]
    packages: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def reader_progress(session: StudySession) -> list[ReaderProgress]:
    """Every reader account's progress and merged packages (adjudicator / admin, or the command line)."""
    session.access.require(Capability.SEE_OTHER_READS)  # other readers' progress (DESIGN §4b)
    store = session.store
    packages = xstore.merged_packages(store)
    out = []
    for account in store.rows("users", "role = ?", [Role.READER.value], order_by="username"):
        name = account["username"]
        items = reader_worklist(session, reader=name)
        by_status: dict[str, list[str]] = {"done": [], "in progress": [], "not started": []}
        for item in items:
            by_status[item.status].append(item.subject_id)
        mine = [p for p in packages if p["username"] == name]
        out.append(ReaderProgress(
            name, account["full_name"], len(items), by_status["done"], by_status["in progress"],
            by_status["not started"], mine,
        ))  # fmt: skip
    return out
