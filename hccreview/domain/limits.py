"""Plausibility limits shared by the importers (``io``: a delivered value outside is an error) and review edits
(``services.review``: refused), so that what an import refuses a review edit refuses too."""

from __future__ import annotations

#: The largest plausible lesion diameter (long axis, short axis, viable part): larger is a unit error.
MAX_DIAMETER_MM = 1000.0
#: Age at enrolment, in years (both bounds allowed).
AGE_RANGE_YEARS = (0, 130)
#: CTCAE grade of an adverse event (both bounds allowed; the store's schema checks the same range).
CTCAE_GRADE_RANGE = (1, 5)

#: Why a diameter over :data:`MAX_DIAMETER_MM` is refused, worded the same by an import and a review edit.
IMPLAUSIBLE_DIAMETER = f"implausible diameter (over {MAX_DIAMETER_MM:g} mm)"
