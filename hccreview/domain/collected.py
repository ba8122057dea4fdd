"""What a study collects: the baseline fields, Child-Pugh and CTCAE grades its records carry at all.

hccreview was built for an HCC trial, but real deliveries are not all HCC studies (the pharmaverse ``onco`` SDTM
set is an Alzheimer's pilot with oncology responses added: no Child-Pugh, BCLC, AFP, ECOG or CTCAE grade). A
screen shows a field the study does not collect as *absent*, not as missing for every patient: "BCLC —" on
every case and "Child-Pugh A 0 / B 0 / C 0" in the statistics say nothing true about such a study (issue 23).

Rules (each a fact of the records, never of the study's title or origin):

- A baseline field is collected when at least one subject has a value (a blank text or None is no value).
- **Child-Pugh** is collected when at least one subject has ascites or encephalopathy recorded: the two
  clinical components only a Child-Pugh assessment records. Bilirubin, albumin and INR are routine laboratory
  values (an SDTM import fills them from LB for every study), so alone they do not make a Child-Pugh study.
- **CTCAE grade**: at least one adverse event carries a grade (SDTM ``AETOXGR``); **severity**: at least one
  carries a severity (``AESEV``: mild / moderate / severe) instead.
- **Arms**: the distinct arms of the subjects who are not screen failures.

The subgroups a cohort analysis can be split by (:meth:`Collected.subgroups`) follow from the same facts: arm
(two or more arms), Child-Pugh class, sex, age group (< 65 / ≥ 65 years), ECOG, extrahepatic disease.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hccreview.domain.plain_json import plain_fields
from hccreview.domain.records import AdverseEvent, ChildPughComponents, Subject

#: Age at or above which a subject is in the older age group (the usual ≥ 65 years split of oncology trials).
AGE_GROUP_CUT = 65


@dataclass(frozen=True)
class Collected:
    """Which fields the study's records carry (module docstring); the HCC ones are False for a non-HCC study."""

    child_pugh: bool = False
    bclc: bool = False
    ecog: bool = False
    afp: bool = False
    etiology: bool = False
    macrovascular_invasion: bool = False
    prior_sorafenib: bool = False
    extrahepatic: bool = False
    sex: bool = False
    age: bool = False
    ctcae_grade: bool = False
    severity: bool = False
    arms: tuple[str, ...] = ()

    @classmethod
    def everything(cls) -> Collected:
        """Every field collected (the HCC study hccreview was built for): what a screen assumes without facts."""
        return cls(True, True, True, True, True, True, True, True, True, True, True, True)

    def subgroups(self) -> tuple[str, ...]:
        """The subgroup dimensions the data holds, in display order: "arm" (two or more arms), "child_pugh",
        "sex", "age_group", "ecog", "extrahepatic"."""
        have = {"arm": len(self.arms) >= 2, "child_pugh": self.child_pugh, "sex": self.sex, "age_group": self.age,
                "ecog": self.ecog, "extrahepatic": self.extrahepatic}  # fmt: skip
        return tuple(name for name, present in have.items() if present)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON, with the subgroup list (``stats --json`` ``collected``)."""
        return {**plain_fields(self), "subgroups": list(self.subgroups())}


def _given(value: object) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def collected(
    subjects: Iterable[Subject],
    child_pugh: Iterable[ChildPughComponents] = (),
    adverse_events: Iterable[AdverseEvent] = (),
) -> Collected:
    """What ``subjects`` and their Child-Pugh components and adverse events carry (module docstring)."""
    people = list(subjects)
    aes = list(adverse_events)

    def any_of(attr: str) -> bool:
        return any(_given(getattr(s, attr)) for s in people)

    arms = sorted({s.arm.strip() for s in people if not s.screen_failure and s.arm.strip()})
    return Collected(
        child_pugh=any(_given(c.ascites) or _given(c.encephalopathy) for c in child_pugh),
        bclc=any_of("bclc_stage"),
        ecog=any_of("ecog"),
        afp=any_of("afp_ng_ml"),
        etiology=any_of("etiology"),
        macrovascular_invasion=any_of("macrovascular_invasion"),
        prior_sorafenib=any_of("prior_sorafenib"),
        extrahepatic=any_of("extrahepatic"),
        sex=any_of("sex"),
        age=any_of("age"),
        ctcae_grade=any(ae.grade is not None for ae in aes),
        severity=any(_given(ae.severity) for ae in aes),
        arms=tuple(arms),
    )


__all__ = ["AGE_GROUP_CUT", "Collected", "collected"]
