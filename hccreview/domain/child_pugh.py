"""Child-Pugh score and class from the baseline components.

Source: Pugh RNH, Murray-Lyon IM, Dawson JL, Pietroni MC, Williams R. "Transection of the oesophagus for
bleeding oesophageal varices", Br J Surg 1973;60:646–649, with the INR in place of the prothrombin time as
commonly tabulated (DESIGN §4):

=================  =========  ==============  ==============
component          1 point    2 points        3 points
=================  =========  ==============  ==============
bilirubin mg/dL    < 2        2 – 3           > 3
albumin g/dL       > 3.5      2.8 – 3.5       < 2.8   (ALBUMIN_30 variant: 3.0 – 3.5 / < 3.0)
INR                < 1.7      1.7 – 2.3       > 2.3
ascites            none       mild            moderate – severe
encephalopathy     none       grade 1 – 2     grade 3 – 4
=================  =========  ==============  ==============

Total 5–6 = class A, 7–9 = B, 10–15 = C. Both ends of a middle band belong to it (bilirubin 3.0 is 2 points,
albumin 3.5 is 2 points). The albumin cut-off is a study setting (:class:`ChildPughVariant`) and the score
records which one was used.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hccreview.domain.records import ChildPughComponents, ChildPughVariant

COMPONENTS = ("bilirubin", "albumin", "inr", "ascites", "encephalopathy")
_ALBUMIN_LOW = {ChildPughVariant.ALBUMIN_28: 2.8, ChildPughVariant.ALBUMIN_30: 3.0}

_ASCITES = {
    "none": 1,
    "absent": 1,
    "no": 1,
    "slight": 2,
    "mild": 2,
    "controlled": 2,
    "mild/controlled": 2,
    "moderate": 3,
    "severe": 3,
    "moderate-severe": 3,
    "moderate to severe": 3,
    "moderate/severe": 3,
    "refractory": 3,
}
_ENCEPHALOPATHY = {
    "none": 1,
    "absent": 1,
    "no": 1,
    "0": 1,
    "grade 0": 1,
    "1": 2,
    "2": 2,
    "1-2": 2,
    "grade 1": 2,
    "grade 2": 2,
    "grade 1-2": 2,
    "mild": 2,
    "controlled": 2,
    "suppressed with medication": 2,
    "3": 3,
    "4": 3,
    "3-4": 3,
    "grade 3": 3,
    "grade 4": 3,
    "grade 3-4": 3,
    "severe": 3,
    "refractory": 3,
    "coma": 3,
}


def _r(x: float) -> float:
    """10 significant digits, so that a converted 34.2 µmol/L / 17.1 lands exactly on 2.0 mg/dL."""
    return float(f"{x:.10g}")


def _normalise(text: str) -> str:
    s = " ".join(text.strip().lower().replace("_", " ").replace("–", "-").replace("—", "-").split())
    return re.sub(r"grade(\d)", r"grade \1", s.replace(" - ", "-").replace(" / ", "/"))


def _missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def bilirubin_points(mg_dl: float) -> int:
    """Pugh 1973: bilirubin < 2 mg/dL -> 1, 2–3 -> 2, > 3 -> 3."""
    v = _check_number("bilirubin", mg_dl)
    return 1 if v < 2.0 else 2 if v <= 3.0 else 3


def albumin_points(g_dl: float, variant: ChildPughVariant = ChildPughVariant.ALBUMIN_28) -> int:
    """Pugh 1973: albumin > 3.5 g/dL -> 1, 2.8–3.5 -> 2, < 2.8 -> 3 (ALBUMIN_30: 3.0 instead of 2.8)."""
    v = _check_number("albumin", g_dl)
    return 1 if v > 3.5 else 2 if v >= _ALBUMIN_LOW[ChildPughVariant(variant)] else 3


def inr_points(inr: float) -> int:
    """INR (for Pugh's prothrombin time): < 1.7 -> 1, 1.7–2.3 -> 2, > 2.3 -> 3."""
    v = _check_number("inr", inr)
    return 1 if v < 1.7 else 2 if v <= 2.3 else 3


def ascites_points(text: str) -> int:
    """Pugh 1973 ascites: none / absent -> 1; slight, mild, controlled -> 2; moderate, severe -> 3."""
    return _lookup("ascites", text, _ASCITES)


def encephalopathy_points(text: str) -> int:
    """Pugh 1973 encephalopathy: none -> 1; grade 1–2 (mild, controlled) -> 2; grade 3–4 (severe) -> 3."""
    return _lookup("encephalopathy", text, _ENCEPHALOPATHY)


def _lookup(name: str, text: str, table: dict[str, int]) -> int:
    key = _normalise(str(text))
    if key not in table:
        raise ValueError(f"Child-Pugh {name}: unknown value {text!r} (accepted: {', '.join(sorted(table))})")
    return table[key]


def _check_number(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value) or value < 0:
        raise ValueError(f"Child-Pugh {name}: invalid value {value!r}")
    return _r(float(value))


def child_pugh_class(total: int) -> str:
    """Pugh 1973: total 5–6 -> "A", 7–9 -> "B", 10–15 -> "C"."""
    if not 5 <= total <= 15:
        raise ValueError(f"Child-Pugh total {total} outside 5-15")
    return "A" if total <= 6 else "B" if total <= 9 else "C"


@dataclass(frozen=True)
class ChildPughScore:
    """Points per component, the total and class (None while any component is missing), and the variant."""

    subject_id: str
    points: dict[str, int] = field(hash=False)
    total: int | None
    cls: str | None
    missing: tuple[str, ...]
    variant: ChildPughVariant

    def to_dict(self) -> dict[str, object]:
        return {
            "subject_id": self.subject_id,
            "points": dict(self.points),
            "total": self.total,
            "class": self.cls,
            "missing": list(self.missing),
            "variant": str(self.variant),
        }


def child_pugh_score(
    components: ChildPughComponents, variant: ChildPughVariant = ChildPughVariant.ALBUMIN_28
) -> ChildPughScore:
    """Child-Pugh score of one subject (Pugh et al., Br J Surg 1973;60:646–649).

    A missing component (None, NaN, blank text) is listed in ``missing`` and leaves ``total`` and ``cls``
    None: a partial sum is not a Child-Pugh score. Unknown text raises ValueError naming field and value.
    """
    variant = ChildPughVariant(variant)
    raw = {
        "bilirubin": components.bilirubin_mg_dl,
        "albumin": components.albumin_g_dl,
        "inr": components.inr,
        "ascites": components.ascites,
        "encephalopathy": components.encephalopathy,
    }
    scorers: dict[str, Callable[[Any], int]] = {  # Any: each scorer checks its own value (number or text)
        "bilirubin": bilirubin_points,
        "albumin": lambda v: albumin_points(v, variant),
        "inr": inr_points,
        "ascites": ascites_points,
        "encephalopathy": encephalopathy_points,
    }
    points: dict[str, int] = {}
    missing = []
    for name in COMPONENTS:
        if _missing(raw[name]):
            missing.append(name)
        else:
            points[name] = scorers[name](raw[name])
    total = sum(points.values()) if not missing else None
    cls = child_pugh_class(total) if total is not None else None
    return ChildPughScore(components.subject_id, points, total, cls, tuple(missing), variant)
