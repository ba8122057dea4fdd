"""CTCAE v5.0: the term table, system organ classes, synonyms, attribution and patient-level toxicity tables.

Source: National Cancer Institute, *Common Terminology Criteria for Adverse Events (CTCAE) Version 5.0*,
27 November 2017 (cited below as "CTCAE v5.0, <term>"). Toxicity tables count patients by their worst grade per
term, not events (DESIGN §4). Laboratory grading (units, :func:`~hccreview.domain.ctcae_labs.grade_lab`) is
:mod:`hccreview.domain.ctcae_labs`'s.

The domain does no file I/O: the caller reads ``resources/ctcae_v5.csv`` and passes its rows to
:meth:`TermTable.from_rows`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from hccreview.domain.limits import CTCAE_GRADE_RANGE
from hccreview.domain.plain_json import plain_fields
from hccreview.domain.records import AdverseEvent

# ---------------------------------------------------------------------------------------------- terms, SOCs

MEDDRA_SOCS: frozenset[str] = frozenset(
    {
        "Blood and lymphatic system disorders",
        "Cardiac disorders",
        "Congenital, familial and genetic disorders",
        "Ear and labyrinth disorders",
        "Endocrine disorders",
        "Eye disorders",
        "Gastrointestinal disorders",
        "General disorders and administration site conditions",
        "Hepatobiliary disorders",
        "Immune system disorders",
        "Infections and infestations",
        "Injury, poisoning and procedural complications",
        "Investigations",
        "Metabolism and nutrition disorders",
        "Musculoskeletal and connective tissue disorders",
        "Neoplasms benign, malignant and unspecified (incl cysts and polyps)",
        "Nervous system disorders",
        "Pregnancy, puerperium and perinatal conditions",
        "Psychiatric disorders",
        "Renal and urinary disorders",
        "Reproductive system and breast disorders",
        "Respiratory, thoracic and mediastinal disorders",
        "Skin and subcutaneous tissue disorders",
        "Social circumstances",
        "Surgical and medical procedures",
        "Vascular disorders",
    }
)
"""The 26 MedDRA system organ classes, spelled as CTCAE v5.0 groups its terms."""

_SOC_BY_KEY = {soc.casefold(): soc for soc in MEDDRA_SOCS}

_SYNONYM_GROUPS: dict[str, tuple[str, ...]] = {
    # CTCAE v5.0 term: common names and MedDRA preferred terms (British spellings), case-folded
    "Neutrophil count decreased": ("neutropenia", "neutropaenia"),
    "Platelet count decreased": ("thrombocytopenia", "thrombocytopaenia"),
    "White blood cell decreased": ("leukopenia", "leucopenia"),
    "Lymphocyte count decreased": ("lymphopenia", "lymphopaenia"),
    "Anemia": ("anaemia",),
    "Rash maculo-papular": ("rash", "rash maculopapular", "rash maculo-papular"),
    "Diarrhea": ("diarrhoea",),
    "Fever": ("pyrexia",),
    "Anorexia": ("decreased appetite",),
    "Mucositis oral": ("stomatitis",),
    "Palmar-plantar erythrodysesthesia syndrome": (
        "hand-foot syndrome",
        "hand-foot skin reaction",
        "palmar-plantar erythrodysaesthesia syndrome",
    ),
    "Encephalopathy": ("hepatic encephalopathy",),
    "Upper gastrointestinal hemorrhage": (
        "gastrointestinal hemorrhage",
        "gastrointestinal haemorrhage",
        "upper gastrointestinal haemorrhage",
    ),
    "Edema limbs": ("oedema peripheral", "edema peripheral", "peripheral edema"),
    "Lung infection": ("pneumonia",),
    "Thromboembolic event": ("deep vein thrombosis", "pulmonary embolism"),
    "Peripheral sensory neuropathy": ("neuropathy peripheral",),
    "Weight loss": ("weight decreased",),
    "Blood bilirubin increased": ("hyperbilirubinemia", "hyperbilirubinaemia"),
    "Alanine aminotransferase increased": ("alt increased",),
    "Aspartate aminotransferase increased": ("ast increased",),
    "Creatinine increased": ("blood creatinine increased",),
    "INR increased": ("international normalised ratio increased",),
    "Hypoalbuminemia": ("hypoalbuminaemia",),
    "Hyponatremia": ("hyponatraemia",),
    "Hyperkalemia": ("hyperkalaemia",),
    "Hypokalemia": ("hypokalaemia",),
    "Febrile neutropenia": ("febrile neutropaenia",),
}
SYNONYMS: Mapping[str, str] = {alias: term for term, aliases in _SYNONYM_GROUPS.items() for alias in aliases}
"""Common spellings of an AE that CTCAE v5.0 names differently (keys are case-folded)."""


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def canonical_soc(soc: str) -> str:
    """The MedDRA spelling of a system organ class given in any case (SDTM AEBODSYS is upper case)."""
    text = " ".join(soc.split())
    return _SOC_BY_KEY.get(text.casefold(), text)


@dataclass(frozen=True)
class CtcaeTerm:
    """One CTCAE v5.0 term; ``grades`` holds the defined grades only (CTCAE "-" = grade not available)."""

    term: str
    soc: str
    meddra_code: str | None
    grades: dict[int, str] = field(hash=False)

    @property
    def max_grade(self) -> int:
        """Highest grade the term defines (e.g. 3 for Fatigue, 5 for Diarrhea)."""
        return max(self.grades, default=0)


class TermTable:
    """The CTCAE v5.0 term list, looked up case-insensitively and through :data:`SYNONYMS`."""

    def __init__(self, terms: Iterable[CtcaeTerm]) -> None:
        self._by_key: dict[str, CtcaeTerm] = {}
        for term in terms:
            key = _key(term.term)
            if key in self._by_key:
                raise ValueError(f"duplicate CTCAE term {term.term!r}")
            self._by_key[key] = term

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, str | None]]) -> TermTable:
        """Build from rows with columns term, soc, meddra_code, grade1..grade5 (as csv.DictReader gives)."""
        terms = []
        for n, row in enumerate(rows, start=1):
            term = " ".join((row.get("term") or "").split())
            soc = (row.get("soc") or "").strip()
            if not term:
                raise ValueError(f"CTCAE table row {n}: field 'term' is empty")
            if not soc:
                raise ValueError(f"CTCAE table row {n} ({term}): field 'soc' is empty")
            code = (row.get("meddra_code") or "").strip() or None
            if code is not None and not code.isdigit():
                raise ValueError(f"CTCAE table row {n} ({term}): field 'meddra_code' is not a number: {code!r}")
            grades = {}
            for grade in range(1, 6):
                text = (row.get(f"grade{grade}") or "").strip()
                if text and text != "-":
                    grades[grade] = text
            terms.append(CtcaeTerm(term, canonical_soc(soc), code, grades))
        return cls(terms)

    def lookup(self, term: str) -> CtcaeTerm | None:
        """The table entry for ``term`` (any case, or a synonym such as "Neutropenia"), else None."""
        key = _key(term)
        found = self._by_key.get(key)
        if found is None and key in SYNONYMS:
            found = self._by_key.get(_key(SYNONYMS[key]))
        return found

    def soc_of(self, term: str) -> str | None:
        """System organ class of ``term``, or None when the table does not know it."""
        found = self.lookup(term)
        return found.soc if found else None

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.lookup(term) is not None

    def __iter__(self) -> Iterator[CtcaeTerm]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)


# ---------------------------------------------------------------------------------------------- attribution

ATTRIBUTABLE = frozenset({"possible", "probable", "definite"})
"""CTCAE attribution categories that count as treatment-related (DESIGN §4: possible or stronger)."""
_RELATED_SDTM = {"related", "y", "yes", "possibly related", "probably related", "definitely related"}
_RELATED = ATTRIBUTABLE | _RELATED_SDTM
_NOT_RELATED = {"unrelated", "not related", "unlikely", "unlikely related", "remote", "none", "n", "no"}


def is_attributable(attribution: str) -> bool:
    """True for possible / probable / definite (and SDTM AEREL RELATED, Y); False for unrelated / unlikely
    (and NOT RELATED, REMOTE, NONE, N) or a blank attribution. Any other text raises ValueError naming it."""
    key = _key(attribution or "")
    if key in _RELATED:
        return True
    if not key or key in _NOT_RELATED:
        return False
    raise ValueError(f"unknown attribution {attribution!r}")


# ---------------------------------------------------------------------------------------------- toxicity


SEVERITIES: tuple[str, ...] = ("mild", "moderate", "severe")
"""SDTM ``AESEV`` (CDISC codelist AESEV), mildest first: the intensity a delivery without CTCAE grades carries."""
_SEVERITY_RANK = {name: i for i, name in enumerate(SEVERITIES)}


NO_GRADE = "The data carry no CTCAE grade (severity: mild / moderate / severe)"
"""What a toxicity table says instead of grade columns of zeros when no event carries a grade (issue 23)."""


def carries_grades(rows: Iterable[Mapping[str, object]]) -> bool:
    """True when any patient of the ``stats --json`` toxicity ``rows`` has a graded event of its term (a row's
    ``any_grade`` exceeds its ``ungraded``); False for a delivery with severity only (SDTM AESEV, no AETOXGR)."""

    def count(row: Mapping[str, object], key: str) -> int:
        value = row.get(key, 0)
        return value if isinstance(value, int) else 0

    return any(count(r, "any_grade") > count(r, "ungraded") for r in rows)


def _check_grade(ae: AdverseEvent) -> None:
    low, high = CTCAE_GRADE_RANGE
    if ae.grade is not None and not low <= ae.grade <= high:
        raise ValueError(f"adverse event {ae.subject_id} #{ae.seq}: grade {ae.grade} is not a CTCAE grade {low}-{high}")
    if not ae.term.strip():
        raise ValueError(f"adverse event {ae.subject_id} #{ae.seq}: the term is empty")


ACRONYMS: frozenset[str] = frozenset(
    {"ALT", "AST", "GGT", "ALP", "LDH", "CPK", "CK", "INR", "ECG", "EKG", "QT", "QTC", "AV", "HIV", "HBV", "HCV",
     "COVID-19", "CNS", "DNA", "RNA", "TSH", "ADH", "COPD", "ARDS", "PPE", "CD4", "RBC", "WBC", "ABO", "II", "III",
     "IV", "DVT", "MRSA", "IGA", "IGE", "IGG", "IGM", "NOS"}
)  # fmt: skip
"""Words kept upper case when a term delivered all in capitals is put in sentence case (MedDRA spells them so)."""


def _sentence_word(word: str, first: bool) -> str:
    core = word.strip("()[],;:")
    if core.upper() in ACRONYMS or (any(c.isdigit() for c in core) and any(c.isalpha() for c in core)):
        return word.upper()
    lower = word.lower()
    return lower[:1].upper() + lower[1:] if first else lower


def meddra_case(term: str) -> str:
    """``term`` in MedDRA preferred-term capitalisation: sentence case ("PRURITUS" -> "Pruritus", "application
    site pruritus" -> "Application site pruritus"), acronyms (:data:`ACRONYMS`, words with digits such as
    "CD4") upper case. A term already in mixed case is kept as delivered apart from its first letter
    ("Diarrhoea" stays, not "corrected" to CTCAE's "Diarrhea"). Whitespace is collapsed."""
    text = " ".join(term.split())
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return text
    if not (all(c.isupper() for c in letters) or all(c.islower() for c in letters)):
        return text[:1].upper() + text[1:]
    return " ".join(_sentence_word(w, i == 0) for i, w in enumerate(text.split(" ")))


def canonical_term(term: str, table: TermTable | None = None) -> str:
    """The display spelling of ``term``: the CTCAE table's entry, else a :data:`SYNONYMS` match, else
    :func:`meddra_case` (one case convention whatever case the delivery used: "PRURITUS" and "Pruritus" are one
    term, shown "Pruritus")."""
    text = " ".join(term.split())
    found = table.lookup(text) if table is not None else None
    if found is not None:
        return found.term
    return SYNONYMS.get(_key(text), meddra_case(text))


def _worse(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def worst_grades(aes: Iterable[AdverseEvent], table: TermTable | None = None) -> dict[tuple[str, str], int | None]:
    """Worst CTCAE grade per (subject, term); None when no event of that term carries a grade.

    Terms are merged case-insensitively and through the synonyms (and ``table``, when given).
    """
    names: dict[str, str] = {}
    worst: dict[tuple[str, str], int | None] = {}
    for ae in sorted(aes, key=lambda a: (a.subject_id, a.seq)):
        _check_grade(ae)
        name = names.setdefault(_key(canonical_term(ae.term, table)), canonical_term(ae.term, table))
        key = (ae.subject_id, name)
        worst[key] = _worse(worst[key], ae.grade) if key in worst else ae.grade
    return worst


@dataclass(frozen=True)
class ToxicityRow:
    """Patients (not events) with a term, by their worst grade; ``ungraded``: no grade on any event;
    ``mild`` / ``moderate`` / ``severe``: patients by their worst severity (SDTM ``AESEV``) of the term, the
    only measure of intensity when the data carry no CTCAE grade."""

    term: str
    soc: str
    any_grade: int
    grade3: int
    grade4: int
    grade5: int
    attributable_grade3plus: int
    ungraded: int = 0
    n_enrolled: int = 0
    mild: int = 0
    moderate: int = 0
    severe: int = 0

    @property
    def grade3plus(self) -> int:
        return self.grade3 + self.grade4 + self.grade5

    def _pct(self, n: int) -> float | None:
        return round(100.0 * n / self.n_enrolled, 1) if self.n_enrolled else None

    @property
    def pct_any(self) -> float | None:
        """Percent of enrolled patients with the term at any grade (one decimal)."""
        return self._pct(self.any_grade)

    @property
    def pct_grade3plus(self) -> float | None:
        """Percent of enrolled patients whose worst grade of the term is 3 or more (one decimal)."""
        return self._pct(self.grade3plus)

    def to_dict(self) -> dict[str, object]:
        """The ``stats --json`` toxicity entry (DESIGN §7) plus ungraded and the two percentages."""
        names = ("term", "soc", "any_grade", "grade3", "grade4", "grade5", "attributable_grade3plus", "ungraded")
        return plain_fields(self, (*names, "pct_any", "pct_grade3plus", "mild", "moderate", "severe"))


def toxicity_table(aes: Iterable[AdverseEvent], n_enrolled: int, table: TermTable | None = None) -> list[ToxicityRow]:
    """Per-term patient counts by worst CTCAE v5.0 grade (DESIGN §4), most frequent term first.

    grade3 / grade4 / grade5 count patients whose worst grade of the term is exactly that grade;
    ``attributable_grade3plus`` patients with at least one attributable (possible or stronger) event of the
    term at grade >= 3; ``ungraded`` patients whose events of the term carry no grade (severity only), who
    count in ``any_grade`` and are never given a guessed grade; ``mild`` / ``moderate`` / ``severe`` patients
    by the worst severity among their events of the term (events without one are not counted there). Terms are
    grouped and shown as :func:`canonical_term` gives them. SOC: the AE record's, else the table's.
    """
    if n_enrolled < 0:
        raise ValueError(f"n_enrolled must be >= 0, got {n_enrolled}")
    aes = sorted(aes, key=lambda a: (a.subject_id, a.seq))
    worst = worst_grades(aes, table)
    socs: dict[str, str] = {}
    attributable: dict[str, set[str]] = {}
    severity: dict[tuple[str, str], int] = {}
    for ae in aes:
        name = _key(canonical_term(ae.term, table))
        rank = _SEVERITY_RANK.get(_key(ae.severity or ""))
        if rank is not None:
            severity[(ae.subject_id, name)] = max(rank, severity.get((ae.subject_id, name), rank))
        if ae.soc.strip() and name not in socs:
            socs[name] = canonical_soc(ae.soc)
        if ae.grade is not None and ae.grade >= 3 and is_attributable(ae.attribution):
            attributable.setdefault(name, set()).add(ae.subject_id)
    by_term: dict[str, list[int | None]] = {}
    display: dict[str, str] = {}
    for (_, term), grade in worst.items():
        display[_key(term)] = term
        by_term.setdefault(_key(term), []).append(grade)
    ranks: dict[str, list[int]] = {}
    for (_, key), rank in severity.items():
        ranks.setdefault(key, []).append(rank)
    rows = []
    for key, grades in by_term.items():
        term = display[key]
        soc = socs.get(key) or (table.soc_of(term) if table is not None else None) or ""
        rows.append(
            ToxicityRow(
                term=term,
                soc=soc,
                any_grade=len(grades),
                grade3=grades.count(3),
                grade4=grades.count(4),
                grade5=grades.count(5),
                attributable_grade3plus=len(attributable.get(key, ())),
                ungraded=grades.count(None),
                n_enrolled=n_enrolled,
                mild=ranks.get(key, []).count(0),
                moderate=ranks.get(key, []).count(1),
                severe=ranks.get(key, []).count(2),
            )
        )
    return sorted(rows, key=lambda r: (-r.any_grade, r.term.casefold(), r.term))
