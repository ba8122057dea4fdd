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

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, overload

from hccreview.domain import calipers
from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.limits import IMPLAUSIBLE_DIAMETER, MAX_DIAMETER_MM
from hccreview.domain.records import LesionStatus, Response
from hccreview.services.session import StudySession
from hccreview.store import audit
from hccreview.store.record_review import marks, restore_marks
from hccreview.store.review_state import REVIEW_STATES, stored_states, write_state
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


@dataclass(frozen=True)
class EditGroup:
    """Row edits made as one (a lesion and its measurement rows, ``services.lesions``): :func:`revert` undoes
    them together, last first, in one transaction, and returns the inverse group."""

    changes: Changes
    edits: tuple[Edit, ...]


#: What a review write returns and :func:`revert` inverts: one row's edit or a group of them.
Undoable = Edit | EditGroup


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
    derive: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Edit:
    """Write ``values`` to one row; with ``expected``, only if the row still holds those values (same transaction).
    ``derive`` adds the fields that follow from the stored row and the change (a typed value drops its caliper)."""
    store = session.store
    with store.transaction():  # BEGIN IMMEDIATE: no other writer between the check and the write
        row = store.get(table, key)
        if expected:
            check_expected(session, table, key, row, expected)
        if derive is not None:
            values = {**values, **derive(row)}
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
    allowed = {"diameter_mm", "short_axis_mm", "viable_mm", "status", "caliper"}
    unknown = set(values) - allowed
    if unknown:
        raise ValidationError(", ".join(sorted(unknown)), None, "not an editable measurement field")
    clean: dict[str, Any] = {}
    drawn = _caliper_values(values, clean) if "caliper" in values else None
    for field, value in values.items():
        if field in clean or field == "caliper":
            continue
        if field == "status":
            try:
                clean[field] = LesionStatus(value).value
            except ValueError:
                choices = ", ".join(s.value for s in LesionStatus)
                raise ValidationError(field, value, f"status must be one of {choices}") from None
        else:
            clean[field] = _number(field, value)
    typed = [f for f in clean if f in calipers.LINE_OF_FIELD] if "caliper" not in values else []

    def derive(row: dict[str, Any]) -> dict[str, Any]:
        """The stored calipers after this edit: a drawn one joins those of the other slices (replacing its own
        lines); a value typed over a caliper is no longer the image's, so its line goes (the others stay)."""
        stored = row.get("caliper") or ""
        if drawn is not None:
            return {"caliper": calipers.dump(calipers.merge(calipers.parse(stored), drawn))}
        changed = [f for f in typed if not _same(row.get(f), clean[f])]
        kept = calipers.after_typed_edit(stored, dict.fromkeys(changed))
        return {"caliper": kept} if kept != stored else {}

    if drawn is None and not clean.get("caliper"):
        return _apply(session, "measurements", measurement_id, clean, reason, expected, derive if typed else None)
    with session.store.transaction():
        edit = _apply(session, "measurements", measurement_id, clean, reason, expected, derive)
        tracked = _ensure_tracking_uid(session, session.store.get("measurements", measurement_id))
    return dataclasses.replace(edit, changes=edit.changes.merge(tracked)) if tracked else edit


def _ensure_tracking_uid(session: StudySession, measurement: dict[str, Any]) -> Changes | None:
    """Give the measured lesion its DICOM tracking UID the first time a caliper binds to it (kept once: an undo of
    the caliper leaves it, so a later SR names the same lesion). None when the lesion already has one."""
    store = session.store
    where = "subject_id = ? AND reader = ? AND lesion_id = ?"
    rows = store.rows("lesions", where, [measurement["subject_id"], measurement["reader"], measurement["lesion_id"]])
    if not rows or rows[0].get("tracking_uid"):
        return None
    store.update("lesions", rows[0]["id"], {"tracking_uid": calipers.new_tracking_uid()})
    return Changes.of(str(measurement["subject_id"]), kinds={ChangeKind.LESIONS})


def _caliper_values(values: dict[str, Any], clean: dict[str, Any]) -> calipers.Caliper | None:
    """Put in ``clean`` the values the calipers measure — a line *is* its field's value (issue 21), so a value
    given beside it must agree with the line to the 0.1 mm the grid records. ``values["caliper"]`` is either one
    :class:`~hccreview.domain.calipers.Caliper` just drawn (returned: it joins the stored ones) or the stored
    form of them all (it replaces them; '' removes them)."""
    given = values["caliper"]
    drawn = given if isinstance(given, calipers.Caliper) else None
    try:
        found = (drawn,) if drawn is not None else calipers.parse(str(given or ""))
    except calipers.CaliperError as exc:
        raise ValidationError("caliper", given, str(exc)) from None
    if drawn is None:
        clean["caliper"] = calipers.dump(found)
    for field, mm in calipers.values_of(found).items():
        if values.get(field) is not None and not math.isclose(float(values[field]), mm, abs_tol=0.05):
            raise ValidationError(field, values[field], f"differs from its caliper's {mm:g} mm")
        clean[field] = _number(field, mm)
    return drawn


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


def marks_snapshot(session: StudySession, subject_id: str) -> dict[str, Any]:
    """The signed-in user's review marks and stored state of one patient, with whose they are: the old and new
    values of a review-mark :class:`Edit` (``services.record_review.mark_reviewed``), what :func:`revert` puts back."""
    store = session.store
    rows = marks(store, subject_id).get(subject_id, {})
    keep = ("reviewed_by", "reviewed_at", "reviewed_seq")
    return {
        "user": store.user,
        "marks": {k: {f: r[f] for f in keep} for k, r in rows.items()},
        "state": stored_states(store, subject_id).get(subject_id, "not started"),
    }


def _revert_marks(session: StudySession, edit: Edit, reason: str) -> Edit:
    """Put back the marks and state a review-mark edit replaced, exactly (a "changed since review" kind comes back
    as changed). Only the edit's author may: the marks are theirs alone (PermissionError, nothing written)."""
    store = session.store
    author = edit.old_values.get("user", store.user)
    if author != store.user:
        raise PermissionError(f"{store.user} may not undo {author}'s review marks (sign in as {author})")
    subject_id = str(edit.key)
    with store.transaction():
        current = marks_snapshot(session, subject_id)
        restore_marks(store, subject_id, edit.old_values["marks"], reason=reason)
        write_state(store, subject_id, edit.old_values["state"], reason=reason)
    return Edit(edit.changes, edit.table, subject_id, current, dict(edit.old_values))


#: Fields an undo does not compare with what is stored: the row id (a re-inserted row gets a new one) and a
#: decision's time (the adjudication services stamp it themselves).
_NOT_COMPARED = ("id", "decided_at")


@overload
def revert(session: StudySession, edit: Edit, *, reason: str = ...) -> Edit: ...
@overload
def revert(session: StudySession, edit: EditGroup, *, reason: str = ...) -> EditGroup: ...
@overload
def revert(session: StudySession, edit: Undoable, *, reason: str = ...) -> Undoable: ...
def revert(session: StudySession, edit: Undoable, *, reason: str = "undo") -> Undoable:
    """Undo an edit of one row, audited (a change of its own): an update is written back, an insert deleted, a
    delete inserted again (new id). Returns the inverse edit, so reverting that redoes the edit. The one inverse of
    a row edit: measurements, reads (``reading.undo_read``), decisions (``adjudication.undo_adjudication``), the
    review state, and review marks (``record_review.mark_reviewed``: the user's marks and state of one patient, put
    back as :func:`marks_snapshot` took them; only by their author).

    Refused with :class:`StaleDataError` (nothing written) when the row no longer holds the edit's new values:
    someone else changed it since, and an undo must not overwrite their change.

    An :class:`EditGroup` is undone member by member, last first, each through this function (the same gate,
    stale check and audit), in one transaction: a refused member leaves the whole group as it was.
    """
    if isinstance(edit, EditGroup):
        with session.store.transaction():
            undone = tuple(revert(session, member, reason=reason) for member in reversed(edit.edits))
        return EditGroup(edit.changes, undone)
    if edit.table == "review_status":
        return set_review_state(session, subject_id=edit.key, state=edit.old_values["state"], reason=reason)
    if edit.table == "record_review":
        return _revert_marks(session, edit, reason)
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
