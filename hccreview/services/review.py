"""Review edits: the user's own lesion measurement or stated timepoint response, and the review state.

Imported source records (the investigator's measurements and responses, cycles, AEs, labs, follow-up) are
read-only in hccreview (DESIGN §4b): a reviewer who disagrees opens a query. Who may change what, locks,
submitted reads and reasons for change are decided by the one write gate below the services
(``store.write_gate``), so undo and redo (:func:`revert`) pass the same checks.

Each call validates first (a :class:`ValidationError` names the field; nothing is saved), writes the change and
its audit entries in one transaction, and returns an :class:`Edit`: the :class:`Changes` for the UI and the old
values, so an undo command can call the same service with them (the undo is itself audited).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.limits import IMPLAUSIBLE_DIAMETER, MAX_DIAMETER_MM
from hccreview.domain.records import LesionStatus, Response
from hccreview.services.session import StudySession
from hccreview.store import audit
from hccreview.store.review_state import REVIEW_STATES
from hccreview.store.review_state import set_review_state as _store_set_review_state

_RESPONSE_CODES = tuple(r.value for r in Response if r not in (Response.MISSING, Response.PENDING))


class ValidationError(ValueError):
    """An edit was refused; ``field`` names what was wrong. Nothing was written."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        super().__init__(f"{field}: {value!r} — {reason}")
        self.field = field
        self.value = value
        self.reason = reason


@dataclass(frozen=True)
class Edit:
    """The result of one review edit: what changed, and the old values (the inverse edit)."""

    changes: Changes
    table: str
    key: Any
    old_values: dict[str, Any]
    new_values: dict[str, Any]


def _number(field: str, value: Any, *, allow_none: bool = True) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if allow_none:
            return None
        raise ValidationError(field, value, "a value is required")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError(field, value, "not a number") from None
    if math.isnan(number) or math.isinf(number):
        raise ValidationError(field, value, "not a finite number")
    if number < 0:
        raise ValidationError(field, value, "a diameter cannot be negative")
    if number > MAX_DIAMETER_MM:
        raise ValidationError(field, value, IMPLAUSIBLE_DIAMETER)
    return number


class StaleDataError(RuntimeError):
    """The row changed (another user or app instance) since the caller loaded it; nothing was written.

    ``current`` holds the row's values now, so the caller can reload and show them; ``differences`` maps each
    field that differs to ``(what the caller saw, what is stored now)``; :attr:`changes` is what the other writer
    touched (published by ``ui.operations.run_write``, so every panel shows what is stored now).
    """

    def __init__(
        self,
        table: str,
        key: Any,
        differences: dict[str, tuple[Any, Any]],
        current: dict[str, Any],
        changed_by: str | None = None,
        changed_at: str | None = None,
        *,
        subject_id: str | None = None,
    ) -> None:
        what = ", ".join(f"{f} was {seen!r}, is now {now!r}" for f, (seen, now) in differences.items())
        who = f"; last changed by {changed_by}" + (f" at {changed_at}" if changed_at else "") if changed_by else ""
        super().__init__(
            f"{table} {key}: changed by another user since you loaded it; reloaded ({what}{who}). Nothing was saved."
        )
        self.table = table
        self.key = key
        self.differences = differences
        self.current = current
        self.changed_by = changed_by  # from the audit trail's newest entry about the row (None: not found)
        self.changed_at = changed_at
        self.subject_id = subject_id or current.get("subject_id")

    @property
    def changes(self) -> Changes:
        """The row's subject and kind (the whole study when the subject is not known)."""
        return Changes.of_table(self.subject_id, self.table)


def stale_error(
    session: StudySession, table: str, key: Any, differences: dict[str, tuple[Any, Any]], current: dict[str, Any]
) -> StaleDataError:
    """A :class:`StaleDataError` naming who last changed the differing fields and when (the audit trail)."""
    entry = audit.last_change(session.store.conn, table, key, sorted(differences))
    by, at = (entry["username"], entry["at_utc"]) if entry else (None, None)
    return StaleDataError(table, key, differences, current, by, at)


def stale_differences(seen: dict[str, Any], now: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The one stale check of every edit: ``{field: (seen, now)}`` for each field of either side whose value
    the caller saw differs from the stored one (numbers within rounding; blank text equals NULL; a field missing
    on one side is None there). Empty when what the caller saw is what is stored."""
    fields = sorted(set(seen) | set(now))
    return {f: (seen.get(f), now.get(f)) for f in fields if not _same(seen.get(f), now.get(f))}


def check_expected(session: StudySession, table: str, key: Any, row: dict[str, Any], expected: dict[str, Any]) -> None:
    """Raise :class:`StaleDataError` when ``row`` no longer holds the ``expected`` values (call inside the
    write transaction, before writing): :func:`stale_differences` over the fields the caller saw."""
    unknown = set(expected) - set(row)
    if unknown:
        raise ValidationError(", ".join(sorted(unknown)), None, f"not a field of {table}")
    differences = stale_differences(expected, {f: row[f] for f in expected})
    if differences:
        raise stale_error(session, table, key, differences, dict(row))


def _same(seen: Any, now: Any) -> bool:
    """Whether a value the caller saw equals the stored one (numbers within rounding; blank text == NULL)."""
    if seen in (None, "") and now in (None, ""):
        return True
    numbers = (int, float)
    if isinstance(seen, numbers) and isinstance(now, numbers) and not isinstance(seen, bool):
        return math.isclose(float(seen), float(now), rel_tol=1e-9, abs_tol=1e-9)
    return bool(seen == now)


def _apply(
    session: StudySession,
    table: str,
    key: Any,
    values: dict[str, Any],
    reason: str | None,
    expected: dict[str, Any] | None = None,
) -> Edit:
    """Write ``values`` to one row; with ``expected``, only if the row still holds those values (same transaction)."""
    store = session.store
    with store.transaction():  # BEGIN IMMEDIATE: no other writer between the check and the write
        row = store.get(table, key)
        if expected:
            check_expected(session, table, key, row, expected)
        old = store.update(table, key, values, reason=reason)
    new = {k: values[k] for k in old}
    subject = row.get("subject_id")
    return Edit(Changes.of_table(subject, table), table, key, old, new)


def update_measurement(
    session: StudySession,
    *,
    measurement_id: int,
    values: dict[str, Any],
    reason: str | None = None,
    expected: dict[str, Any] | None = None,
) -> Edit:
    """Change a lesion measurement's diameters (mm) and / or status: the user's own measurement only, with a
    ``reason`` when a recorded value changes (the write gate, ``store.write_gate``, refuses anything else).

    ``expected``: the values the caller last saw (any fields of the row); when the row no longer holds them,
    :class:`StaleDataError` is raised and nothing is written (two app instances on one file). The same holds
    for :func:`update_read`.
    """
    allowed = {"diameter_mm", "short_axis_mm", "viable_mm", "status"}
    unknown = set(values) - allowed
    if unknown:
        raise ValidationError(", ".join(sorted(unknown)), None, "not an editable measurement field")
    clean: dict[str, Any] = {}
    for field, value in values.items():
        if field == "status":
            try:
                clean[field] = LesionStatus(value).value
            except ValueError:
                choices = ", ".join(s.value for s in LesionStatus)
                raise ValidationError(field, value, f"status must be one of {choices}") from None
        else:
            clean[field] = _number(field, value)
    return _apply(session, "measurements", measurement_id, clean, reason, expected)


def update_read(
    session: StudySession,
    *,
    read_id: int,
    values: dict[str, Any],
    reason: str | None = None,
    expected: dict[str, Any] | None = None,
) -> Edit:
    """Change a reader's stated responses (overall / target / non-target) or new-lesion flag.

    The write gate (``store.write_gate``) refuses another evaluator's read, a submitted read, a locked case and
    a change of an existing value without ``reason`` (:class:`~hccreview.domain.access.AccessDenied`).
    """
    clean: dict[str, Any] = {}
    for field, value in values.items():
        if field in ("overall", "target", "non_target"):
            code = str(value or "").strip().upper()
            if code and code not in _RESPONSE_CODES:
                raise ValidationError(field, value, f"response must be one of {', '.join(_RESPONSE_CODES)}")
            clean[field] = code
        elif field == "new_lesion":
            clean[field] = None if value is None else bool(value)
        else:
            raise ValidationError(field, value, "not an editable read field")
    return _apply(session, "reads", read_id, clean, reason, expected)


def set_review_state(session: StudySession, *, subject_id: str, state: str, reason: str | None = None) -> Edit:
    """Mark a subject not started / in progress / reviewed."""
    if state not in REVIEW_STATES:
        raise ValidationError("state", state, f"review state must be one of {', '.join(REVIEW_STATES)}")
    old = _store_set_review_state(session.store, subject_id, state, reason=reason)
    return Edit(
        Changes.of(subject_id, kinds={ChangeKind.REVIEW_STATUS}),
        "review_status",
        subject_id,
        {"state": old},
        {"state": state},
    )


#: Fields an undo does not compare with what is stored: the row id (a re-inserted row gets a new one) and a
#: decision's time (the adjudication services stamp it themselves).
_NOT_COMPARED = ("id", "decided_at")


def revert(session: StudySession, edit: Edit, *, reason: str = "undo") -> Edit:
    """Undo an edit of one row, audited (a change of its own): an update is written back, an insert deleted, a
    delete inserted again (new id). Returns the inverse edit, so reverting that redoes the edit. The one inverse of
    a row edit: measurements, reads (``reading.undo_read``), decisions (``adjudication.undo_adjudication``).

    Refused with :class:`StaleDataError` (nothing written) when the row no longer holds the edit's new values:
    someone else changed it since, and an undo must not overwrite their change.
    """
    if edit.table == "review_status":
        return set_review_state(session, subject_id=edit.key, state=edit.old_values["state"], reason=reason)
    if not edit.old_values and not edit.new_values:  # nothing had changed: nothing to undo
        return edit
    store = session.store
    with store.transaction():
        if edit.new_values:
            seen = {k: v for k, v in edit.new_values.items() if k not in _NOT_COMPARED}
            check_expected(session, edit.table, edit.key, store.get(edit.table, edit.key), seen)
        if not edit.old_values:  # an insert: delete the row
            old = store.delete(edit.table, edit.key, reason=reason)
            return Edit(edit.changes, edit.table, edit.key, old, {})
        if not edit.new_values:  # a delete: insert the row again
            row = {k: v for k, v in edit.old_values.items() if k != "id"}
            return Edit(edit.changes, edit.table, int(store.insert(edit.table, row, reason=reason)), {}, row)
        old = store.update(edit.table, edit.key, edit.old_values, reason=reason)
    return Edit(edit.changes, edit.table, edit.key, old, dict(edit.old_values))
