"""Imported adverse events checked against the packaged CTCAE v5.0 term table (``resources/ctcae_v5.csv``).

Two findings, both warnings (the event is kept as reported; review decides):

- a grade the term does not define (CTCAE v5.0 marks such grades "-", e.g. no grade 4 or 5 for Fatigue), one
  finding per row, naming the file, row and grade field;
- terms the table does not hold. hccreview packages the 62 terms its grading and demo use, not all ~840 CTCAE
  terms, and real deliveries code AEs in MedDRA preferred terms: one finding per file names how many distinct
  terms (and rows) that is, with the row of each of the first few, rather than one line per row. Such events
  keep their own row in the toxicity table; their grades are not checked against CTCAE definitions.
"""

from __future__ import annotations

import csv
import functools
import importlib.resources
from collections.abc import Iterable

from hccreview.domain.ctcae import TermTable
from hccreview.io.validation import ImportProblem

#: How many unknown terms the per-file finding names.
EXAMPLES = 5


@functools.cache
def packaged_terms() -> TermTable:
    """The packaged CTCAE v5.0 term table."""
    path = importlib.resources.files("hccreview.resources") / "ctcae_v5.csv"
    # Traversable.open passes text options on to io.TextIOWrapper (importlib.resources docs); typeshed's overloads
    # name only encoding and errors
    with path.open(encoding="utf-8", newline="") as fh:  # type: ignore[call-overload]  # typeshed omits newline
        return TermTable.from_rows(csv.DictReader(fh))


def term_findings(
    file: str, term_field: str, grade_field: str, rows: Iterable[tuple[int, str, int | None, str | None]]
) -> list[ImportProblem]:
    """Warnings for ``rows`` of (data row, term, grade, subject) of one file (module docstring)."""
    table = packaged_terms()
    unknown: dict[str, list[int]] = {}
    out = []
    for row, term, grade, subject in rows:
        entry = table.lookup(term)
        if entry is None:
            unknown.setdefault(" ".join(term.split()), []).append(row)
        elif grade is not None and entry.grades and grade not in entry.grades:
            defined = ", ".join(str(g) for g in sorted(entry.grades))
            out.append(ImportProblem(
                file, row, grade_field, str(grade),
                f"CTCAE v5.0 defines no grade {grade} for {entry.term} (only {defined}); kept as reported",
                "warning", subject,
            ))  # fmt: skip
    if unknown:
        ordered = sorted(unknown.items(), key=lambda item: item[1][0])
        examples = ", ".join(f"{term!r} (row {rs[0]})" for term, rs in ordered[:EXAMPLES])
        n_rows = sum(len(rs) for rs in unknown.values())
        out.append(ImportProblem(
            file, ordered[0][1][0], term_field, ordered[0][0],
            f"{len(unknown)} distinct terms in {n_rows} rows are not in hccreview's CTCAE v5.0 term table "
            f"({len(table)} terms packaged), e.g. {examples}: kept as reported, grades not checked against "
            "CTCAE definitions", "warning",
        ))  # fmt: skip
    return out
