"""Rows of query / comment threads and of adjudication reason codes (issue 12 items 3-4). The SQL lives here.

Writes go through :class:`~hccreview.store.database.Store`'s audited ``insert`` / ``update`` / ``delete``
(21 CFR Part 11 §11.10(e)); the callers (``services.queries``, ``services.adjudication``) hold the
transaction. Visibility under blinding (:func:`visible_sql`): a blinded reader-role viewer sees no thread
attached to another reader's lesion or measurement, none opened by another reader, and no message written by
another reader (DESIGN §1: readers are blinded to each other's reads; FDA *Clinical Trial Imaging Endpoint
Process Standards*, 2018).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from hccreview.domain.access import Capability
from hccreview.domain.records import Role
from hccreview.store.audit import utc_now
from hccreview.store.database import Store

REASON_TABLE = "adjudication_reason_codes"


def visible_sql(blinded: str | None, alias: str = "q", *, clinical: bool = True) -> tuple[str, list[Any]]:
    """A WHERE fragment keeping the threads ``blinded`` (a blinded reader's name; None = everything) may see;
    without ``clinical`` (the access policy hides clinical data) threads on adverse events are left out."""
    hide_ae = "" if clinical else f" AND {alias}.target_kind <> 'adverse_event'"
    if blinded is None:
        return "1" + hide_ae, []
    return (
        f"({alias}.target_reader IN ('', ?) AND ({alias}.opened_role <> 'reader' OR {alias}.opened_by = ?)){hide_ae}",
        [blinded, blinded],
    )


def thread_rows(
    store: Store,
    *,
    blinded: str | None,
    subject_id: str | None = None,
    states: Sequence[str] | None = None,
    kind: str | None = None,
    query_id: int | None = None,
) -> list[dict[str, Any]]:
    """Thread rows visible to ``blinded`` (see :func:`visible_sql`), by patient then opening time."""
    where, params = visible_sql(blinded, clinical=store.access.may(Capability.SEE_CLINICAL))
    clauses = [where]
    if subject_id is not None:
        clauses.append("q.subject_id = ?")
        params.append(subject_id)
    if kind is not None:
        clauses.append("q.kind = ?")
        params.append(kind)
    if states is not None:
        clauses.append(f"q.state IN ({', '.join('?' * len(states))})")
        params += list(states)
    if query_id is not None:
        clauses.append("q.id = ?")
        params.append(query_id)
    sql = f"SELECT q.* FROM queries q WHERE {' AND '.join(clauses)} ORDER BY q.subject_id, q.opened_at, q.id"
    cursor = store.conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def message_rows(store: Store, query_ids: Iterable[int], *, blinded: str | None) -> dict[int, list[dict[str, Any]]]:
    """Messages per thread id, oldest first; a blinded reader's view leaves out other readers' messages."""
    ids = sorted(set(query_ids))
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if not ids:
        return out
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        for row in store.rows("query_messages", f"query_id IN ({', '.join('?' * len(part))})", part,
                              order_by="at, id"):  # fmt: skip
            if blinded is not None and row["author_role"] == Role.READER.value and row["author"] != blinded:
                row = {**row, "text": "", "hidden": True}
            out[int(row["query_id"])].append(row)
    return out


def open_counts(store: Store, *, blinded: str | None) -> dict[str, int]:
    """Open queries per patient (comments and answered / closed queries not counted)."""
    where, params = visible_sql(blinded, clinical=store.access.may(Capability.SEE_CLINICAL))
    sql = f"SELECT q.subject_id, count(*) FROM queries q WHERE q.kind = 'query' AND q.state = 'open' AND {where} "
    return {str(sid): int(n) for sid, n in store.conn.execute(sql + "GROUP BY q.subject_id", params)}


def record_row(store: Store, table: str, key: int) -> dict[str, Any] | None:
    """One lesion / measurement / adverse-event row by id (None when absent)."""
    try:
        return store.get(table, key)
    except KeyError:
        return None


def visit_labels(store: Store, subject_id: str) -> list[str]:
    """The visit labels of a patient's assessments and reads (for a thread on a visit)."""
    sql = ("SELECT visit FROM measurements WHERE subject_id = ? AND visit <> '' UNION "
           "SELECT visit FROM reads WHERE subject_id = ? AND visit <> '' ORDER BY 1")  # fmt: skip
    return [str(r[0]) for r in store.conn.execute(sql, [subject_id, subject_id])]


def target_rows(store: Store, subject_id: str) -> dict[str, list[dict[str, Any]]]:
    """A patient's lesions, measurements and adverse events (with ids), for choosing a thread's target."""
    return {
        "lesion": store.rows("lesions", "subject_id = ?", [subject_id], order_by="reader, lesion_id"),
        "measurement": store.rows("measurements", "subject_id = ?", [subject_id], order_by="reader, date, lesion_id"),
        "adverse_event": store.rows("adverse_events", "subject_id = ?", [subject_id], order_by="seq, id"),
    }


# ---------------------------------------------------------------------------------------------- reason codes
def reason_code(store: Store, adjudication_id: int) -> tuple[str, str] | None:
    """``(code, other_text)`` of one decision, or None when none was recorded."""
    rows = store.rows(REASON_TABLE, "adjudication_id = ?", [adjudication_id])
    return (str(rows[0]["code"]), str(rows[0]["other_text"])) if rows else None


def reason_codes(store: Store) -> dict[int, tuple[str, str]]:
    """``{adjudication id: (code, other_text)}`` of every decision with a code."""
    return {int(r["adjudication_id"]): (str(r["code"]), str(r["other_text"])) for r in store.rows(REASON_TABLE)}


def set_reason_code(store: Store, adjudication_id: int, value: tuple[str, str] | None, *, reason: str) -> None:
    """Write (insert / update) or remove one decision's code, audited; the caller validated it.

    A signed decision's code cannot change: the schema's triggers refuse it (the service refuses first).
    """
    current = reason_code(store, adjudication_id)
    if current == value:
        return
    with store.transaction():
        if value is None:
            store.delete(REASON_TABLE, adjudication_id, reason=reason)
        elif current is None:
            row = {"adjudication_id": adjudication_id, "code": value[0], "other_text": value[1],
                   "recorded_by": store.user, "recorded_at": utc_now()}  # fmt: skip
            store.insert(REASON_TABLE, row, reason=reason)
        else:
            store.update(REASON_TABLE, adjudication_id,
                         {"code": value[0], "other_text": value[1], "recorded_by": store.user,
                          "recorded_at": utc_now()}, reason=reason)  # fmt: skip
