"""The GUI's one vocabulary: how best responses, field names and empty values are written (read sources are
named by :meth:`hccreview.domain.sources.Source.label`, the same words as the PDF and the command line).

Every panel that shows a best overall response or puts a stored field's name in a sentence asks here, so the
header chips, the navigator, the dashboard, the adjudication cards and the messages say the same thing the same
way, and no internal key (``reader:NAME``, ``first_dose``, ``chosen_reader``) reaches the
user. Qt-free: plain functions over strings.

Best response (RECIST 1.1 §4.4, Eisenhauer et al. 2009): confirmation applies to CR and PR only, so a CR / PR
carries "(confirmed)" and every other response stands on its own ("PD", not "PD confirmed"). When the
unconfirmed best response is better than the confirmed one it follows as "· PR (unconfirmed)". "PENDING" (the
adjudication has not decided) is not a response: it is written "pending".
"""

from __future__ import annotations

import re
from typing import Any

#: Responses that need a confirming assessment (RECIST 1.1 §4.4).
CONFIRMABLE = frozenset({"CR", "PR"})
#: Response codes written as words: "PENDING" says the adjudication has not decided, it is no response.
_RESPONSE_WORDS = {"PENDING": "pending"}
#: Stored field names in words (a stale edit, a refused value, an undo text).
FIELD_NAMES = {"diameter_mm": "diameter", "short_axis_mm": "short axis", "viable_mm": "viable diameter",
               "status": "status", "overall": "response", "target": "target response",
               "non_target": "non-target response", "new_lesion": "new lesion", "chosen_reader": "chosen read",
               "adjudicator": "decision maker", "reason_code": "discordance code", "subject_id": "patient",
               "first_dose": "first dose", "kinds": "record kinds", "target_sum_mm": "target sum",
               "stated_overall": "stated response", "computed_overall": "computed response",
               "lesion_id": "lesion", "is_node": "lymph node"}  # fmt: skip
#: A lesion's kind as the reader chooses it (RECIST 1.1 §4.2: targets and non-targets at baseline; §4.3.4: new).
LESION_KIND_NAMES = {"target": "Target lesion", "non-target": "Non-target lesion", "new": "New lesion"}
#: Units of the measured fields.
FIELD_UNITS = {"diameter_mm": " mm", "short_axis_mm": " mm", "viable_mm": " mm"}
_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def response_text(code: str | None) -> str:
    """One response code as shown: "PR", "pending" (no decision yet), "—" (none)."""
    if not code or code == "—":
        return "—"
    text = str(getattr(code, "value", code))
    return _RESPONSE_WORDS.get(text, text)


def best_response_text(confirmed: Any, unconfirmed: Any = None) -> str:
    """A best overall response as a badge says it: "PR (confirmed)", "PD", "SD · PR (unconfirmed)", "pending".

    ``confirmed`` / ``unconfirmed``: response codes (strings or ``Response``); ``unconfirmed`` None when unknown.
    """
    best = str(getattr(confirmed, "value", confirmed) or "")
    loose = str(getattr(unconfirmed, "value", unconfirmed) or "") if unconfirmed is not None else best
    text = f"{best} (confirmed)" if best in CONFIRMABLE else response_text(best)
    if loose and loose != best and loose not in _RESPONSE_WORDS and loose != "—":
        text += f" · {loose} (unconfirmed)"
    return text


def confirmation_note(confirmed: Any, unconfirmed: Any) -> str:
    """What goes beside a best-response chip that shows ``confirmed`` alone: "confirmed" for a CR / PR, "PR
    (unconfirmed)" when the unconfirmed response is better, else nothing (a PD needs no confirmation)."""
    best = str(getattr(confirmed, "value", confirmed) or "")
    text = best_response_text(confirmed, unconfirmed)
    if best in CONFIRMABLE:
        return text.replace(f"{best} (confirmed)", "confirmed", 1)
    return text.partition(" · ")[2]


def rule_text(text: str) -> str:
    """A rules-engine explanation for the user: "PENDING" written "pending" (it is no response)."""
    return re.sub(r"\bPENDING\b", "pending", text)


def words(identifier: str) -> str:
    """Every snake_case identifier in ``identifier`` as words, known ones by name ("first_dose" → "first dose")."""
    return _SNAKE.sub(lambda m: FIELD_NAMES.get(m.group(0), m.group(0).replace("_", " ")), identifier)


def field_label(field: str) -> str:
    """A stored field's name in words ("diameter_mm" → "diameter", "chosen_reader" → "chosen read")."""
    return FIELD_NAMES.get(field, field.replace("_", " "))


def value_text(value: Any, field: str = "", *, empty: str = "—") -> str:
    """A stored value for a sentence: floats without trailing zeros, the field's unit, ``empty`` for nothing."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return empty
    if isinstance(value, float):
        shown = f"{value:.1f}".rstrip("0").rstrip(".")
    else:  # a status is a stored word ("too_small"); any other value (a reader's name) is shown as stored
        shown = words(str(value).strip()) if field == "status" else str(value).strip()
    return shown + FIELD_UNITS.get(field, "")
