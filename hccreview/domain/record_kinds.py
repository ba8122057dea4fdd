"""The record kinds a study holds, described once: each kind's table, record class, keys, order and role.

Every layer that goes over "all the record kinds" — the store's schema, loads and primary keys, the CSV bundle's
files, a data transfer's comparison, the access policy, the reader exchange, the per-subject audit view — derives
its list from :data:`RECORD_KINDS` instead of writing the names out again, so a new kind is added here once
(``tests/domain/test_record_kinds.py`` checks the registry against the schema, the records and those layers, and
that no other module holds a literal list of the kinds). A subset is chosen by a flag of the kind, not by a new
list of names.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from hccreview.domain import records as r


@dataclass(frozen=True)
class RecordKind:
    """One kind of record: where it is stored, how it is keyed and ordered, and what it is to the review."""

    #: Store table (also the CSV bundle file's stem and the key of per-kind counts).
    table: str
    #: The frozen dataclass of :mod:`hccreview.domain.records` one row is loaded as.
    record: type
    #: The :class:`~hccreview.domain.records.StudyData` attribute holding the kind's records.
    attr: str
    #: SQL ``ORDER BY`` of a load: the stable order the records are handed out in.
    order_by: str
    #: Primary-key column: ``subject_id`` for one-per-subject kinds, else the integer ``id``.
    key_column: str
    #: Columns that identify a record across deliveries and study files (a transfer matches on them); empty for
    #: review data, which no delivery carries.
    natural_key: tuple[str, ...]
    #: User-facing name, singular and plural ("adverse event", "adverse events").
    label: str
    plural: str
    #: Imported source data (a delivery carries it; a transfer compares it), read-only in review — reads also
    #: take reads entered in hccreview (``entered_by``), which a transfer leaves alone. False: review data only.
    source: bool = True
    #: Clinical source data: hidden from a blinded reader unless the charter lets readers see clinical data.
    clinical: bool = False
    #: Each row belongs to one evaluator (its ``reader`` column: a central reader, the investigator...).
    per_evaluator: bool = False
    #: Delivered in a file of its own (the CSV bundle's ``<table>.csv``); Child-Pugh rides on the subjects' file.
    own_file: bool = True
    #: Date fields whose values are a contact with the patient (last contact, OS censoring: ``domain.contact``).
    contact_dates: tuple[str, ...] = ()
    #: The CSV bundle's duplicate-key check: the columns a row is unique by in its file (empty: not checked), and
    #: the field a duplicate is reported on.
    bundle_key: tuple[str, ...] = ()
    bundle_key_field: str = ""

    @property
    def subject_keyed(self) -> bool:
        """One record per subject, keyed by the subject id (an audited update names the subject in its row key)."""
        return self.key_column == "subject_id"


#: Every record kind, in dependency order (parents first): the order a study is loaded and written in.
RECORD_KINDS: tuple[RecordKind, ...] = (
    RecordKind("subjects", r.Subject, "subjects", "subject_id", "subject_id", ("subject_id",),
               "subject", "subjects", bundle_key=("subject_id",), bundle_key_field="subject_id"),
    RecordKind("child_pugh", r.ChildPughComponents, "child_pugh", "subject_id", "subject_id", ("subject_id",),
               "Child-Pugh", "Child-Pugh", clinical=True, own_file=False),
    RecordKind("cycles", r.Cycle, "cycles", "subject_id, number, id", "id", ("subject_id", "number"),
               "cycle", "cycles", clinical=True, contact_dates=("start_date",),
               bundle_key=("subject_id", "number"), bundle_key_field="number"),
    RecordKind("adverse_events", r.AdverseEvent, "adverse_events", "subject_id, seq, id", "id", ("subject_id", "seq"),
               "adverse event", "adverse events", clinical=True, contact_dates=("onset", "resolution"),
               bundle_key=("subject_id", "seq"), bundle_key_field="seq"),
    RecordKind("labs", r.LabResult, "labs", "subject_id, date, id", "id", ("subject_id", "test", "date"),
               "lab", "labs", clinical=True, contact_dates=("date",)),
    RecordKind("lesions", r.Lesion, "lesions", "subject_id, reader, lesion_id", "id",
               ("subject_id", "reader", "lesion_id"), "lesion", "lesions", per_evaluator=True,
               bundle_key=("subject_id", "reader", "lesion_id"), bundle_key_field="lesion_id"),
    RecordKind("measurements", r.Measurement, "measurements", "subject_id, reader, date, lesion_id, id", "id",
               ("subject_id", "reader", "lesion_id", "date"), "measurement", "measurements", per_evaluator=True,
               contact_dates=("date",), bundle_key=("subject_id", "reader", "lesion_id", "date", "visit"),
               bundle_key_field="date"),
    RecordKind("reads", r.Read, "reads", "subject_id, reader, date, id", "id", ("subject_id", "reader", "date"),
               "read", "reads", per_evaluator=True, contact_dates=("date",),
               bundle_key=("subject_id", "reader", "date", "visit"), bundle_key_field="date"),
    RecordKind("adjudications", r.Adjudication, "adjudications", "subject_id, id", "id", (),
               "adjudication", "adjudications", source=False),
    RecordKind("follow_up", r.FollowUp, "follow_up", "subject_id", "subject_id", ("subject_id",),
               "follow-up", "follow-up", clinical=True, bundle_key=("subject_id",), bundle_key_field="subject_id"),
)  # fmt: skip

#: Each kind by its table (read-only).
by_table: MappingProxyType[str, RecordKind] = MappingProxyType({k.table: k for k in RECORD_KINDS})


def kind(table: str) -> RecordKind:
    """The kind stored in ``table`` (KeyError naming the table when it holds no record kind)."""
    try:
        return by_table[table]
    except KeyError:
        raise KeyError(f"{table!r} is not a record kind's table") from None


def tables(*, source: bool | None = None, subject_keyed: bool | None = None) -> tuple[str, ...]:
    """The kinds' tables in dependency order, optionally only the source (or review) / subject-keyed (or
    id-keyed) kinds."""
    return tuple(
        k.table
        for k in RECORD_KINDS
        if (source is None or k.source == source) and (subject_keyed is None or k.subject_keyed == subject_keyed)
    )
