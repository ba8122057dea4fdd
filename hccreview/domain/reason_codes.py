"""Discordance reason codes: why the adjudicator sided with one central read (issue 12 item 4).

When two blinded central readers disagree, the adjudicator picks the read that stands and records *why* the
reads differed, so that the sponsor can see which kinds of disagreement drive adjudication. Sources:

- Ford RR, O'Neal M, Moskowitz SC, Fraunberger J. "Adjudication Rates between Readers in Blinded Independent
  Central Review of Oncology Studies." J Clin Trials 2016;6(5):289 — BICR data of 79 oncology trials: 42 % of
  cases needed adjudication; the rate grows with the number of adjudication variables and depends on the
  number of target lesions and of assessment timepoints.
- Amit O, Mannino F, Stone AM, Bushnell W, Denne J, Helterbrand J, Burger HU. "Blinded independent central
  review of progression in cancer clinical trials: results from a meta-analysis." Eur J Cancer
  2011;47(12):1772-1778 — discordance between local and central assessment of progression (PFS).
- U.S. FDA, "Clinical Trial Imaging Endpoint Process Standards", Guidance for Industry, 2018 — the imaging
  charter describes the two-reader-plus-adjudicator paradigm and how reader disagreement is adjudicated.

The seven categories (new-lesion detection, target-lesion selection, measurement variability, non-target
assessment, image quality / not evaluable, timing of progression, other) are this workstation's grouping of
the causes of reader disagreement that RECIST-based BICR raises; they are not a published standard code
list, and none of the sources above defines them as such. ``other`` needs a free-text explanation. Pure
module: no Qt, no SQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

OTHER = "other"


@dataclass(frozen=True)
class ReasonCode:
    """One discordance reason: a stable ``code`` (stored), a short ``label`` and a one-line ``description``."""

    code: str
    label: str
    description: str


#: The reason codes in display order; ``code`` values are stored in the study file and never renamed.
REASON_CODES: tuple[ReasonCode, ...] = (
    ReasonCode("new_lesion", "New-lesion detection",
               "One reader saw (or called equivocal) a new lesion the other did not"),
    ReasonCode("target_selection", "Target-lesion selection",
               "The readers chose different target lesions at baseline, so their sums differ"),
    ReasonCode("measurement", "Measurement variability",
               "Same lesions, different diameters: the change crosses a response threshold for one reader only"),
    ReasonCode("non_target", "Non-target assessment",
               "The readers differ on unequivocal progression or complete response of non-target disease"),
    ReasonCode("image_quality", "Image quality / not evaluable",
               "Missing, incomplete or poor-quality images: one reader called a timepoint not evaluable"),
    ReasonCode("pd_timing", "Timing of progression",
               "Both readers saw progression, at different timepoints"),
    ReasonCode(OTHER, "Other", "Any other reason; explain it in the free text"),
)  # fmt: skip

_BY_CODE = {r.code: r for r in REASON_CODES}


class ReasonCodeError(ValueError):
    """A reason code or its free text was refused; ``field`` names what was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def codes() -> tuple[str, ...]:
    """The stored codes, in display order."""
    return tuple(r.code for r in REASON_CODES)


def label(code: str | None) -> str:
    """The display label of ``code`` ("not recorded" for None, the code itself when unknown)."""
    if code is None:
        return "not recorded"
    known = _BY_CODE.get(code)
    return known.label if known else code


def validate(code: str | None, other_text: str | None = "") -> tuple[str, str]:
    """The normalised ``(code, other_text)``: a known code is required; ``other`` needs its free text.

    The text is kept (stripped) for any code, as an optional note; it is required only for ``other``.
    """
    value = (code or "").strip()
    if not value:
        raise ReasonCodeError("reason_code", "choose a discordance reason code")
    if value not in _BY_CODE:
        raise ReasonCodeError("reason_code", f"unknown code {value!r}; choose one of {', '.join(codes())}")
    text = (other_text or "").strip()
    if value == OTHER and not text:
        raise ReasonCodeError("reason_other", "the reason code 'other' needs a free-text explanation")
    return value, text


def count_codes(values: Iterable[str | None]) -> dict[str, int]:
    """``{code: n}`` over every known code (zeros included, display order), plus ``"not_recorded"`` for None."""
    tally = Counter(values)
    out = {code: tally.get(code, 0) for code in codes()}
    out["not_recorded"] = tally.get(None, 0)
    return out


def count_rows(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """``(label, n)`` rows of :func:`count_codes` for a table; "not recorded" only when non-zero."""
    rows = [(label(code), int(counts.get(code, 0))) for code in codes()]
    if counts.get("not_recorded"):
        rows.append((label(None), int(counts["not_recorded"])))
    return rows
