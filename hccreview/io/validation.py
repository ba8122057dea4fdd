"""Import problems: errors refuse an import, warnings are kept with the study as findings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hccreview.domain.plain_json import plain_fields

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class ImportProblem:
    """One problem in the input, located by file, row (1-based data row; header is row 0) and field."""

    file: str
    row: int | None
    field: str
    value: str
    reason: str
    severity: Severity = "error"
    subject_id: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.field:
            where += f", field {self.field}"
        value = f" (value {self.value!r})" if self.value != "" else ""
        return f"{where}{value}: {self.reason}"

    def to_dict(self) -> dict[str, object]:
        return plain_fields(self)


@dataclass
class ParsedImport:
    """What an importer read from a source folder, before anything is written.

    ``records`` maps a store table name (``subjects``, ``child_pugh``, ``cycles``, ``adverse_events``,
    ``labs``, ``lesions``, ``measurements``, ``reads``, ``adjudications``, ``follow_up``) to domain records;
    ``settings`` suggests study settings (``title``, ``origin``, ``criteria``...); ``notes`` are informational
    (ignored columns / domains); ``counts`` are rows read per source file.
    """

    records: dict[str, list[object]]
    problems: list[ImportProblem]
    settings: dict[str, object]
    notes: list[str]
    counts: dict[str, int]

    @property
    def errors(self) -> list[ImportProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[ImportProblem]:
        return [p for p in self.problems if p.severity == "warning"]
