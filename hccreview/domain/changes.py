"""What a write touched: the only thing the UI learns from a write (Anki's OpChanges shape).

Every write service returns a result carrying a :class:`Changes` (``hccreview.ui.operations.run_write`` publishes
it on the window's change bus); each panel decides from it what to reload. Changes never leave the program's own
process (the statistics process re-reads the study file and is told nothing of them), so they hold enum members,
not their names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum


class ChangeKind(Enum):
    """One kind of thing a write touches: a record kind (its table, ``domain.record_kinds``) or a piece of the
    review workflow kept beside the records. The value is the table (or setting) name, for messages and logs.

    ``tests/domain/test_changes.py`` checks that every record kind of the registry is here, so a new kind fails
    that test until it is added.
    """

    # record kinds (domain.record_kinds.RECORD_KINDS: a data transfer publishes each source kind it carries)
    SUBJECTS = "subjects"
    CHILD_PUGH = "child_pugh"
    CYCLES = "cycles"
    ADVERSE_EVENTS = "adverse_events"
    LABS = "labs"
    LESIONS = "lesions"
    MEASUREMENTS = "measurements"
    READS = "reads"
    ADJUDICATIONS = "adjudications"
    FOLLOW_UP = "follow_up"
    # review workflow
    SIGNATURES = "signatures"  # an adjudication signed, or its signature superseded by a re-opening
    REVIEW_STATUS = "review_status"  # a patient's review state and per-kind review marks
    QUERIES = "queries"  # query and comment threads and their messages
    BLINDING = "blinding"  # the study's blinding setting (always study-wide)
    USERS = "users"  # an account added, (de)activated or its password set (no patient's records change)
    IMAGES = "images"  # the image index: series registered or replaced, the image root re-pointed


@dataclass(frozen=True)
class Changes:
    """The subject ids and kinds a write touched; ``study`` means study-wide (settings, an import).

    ``kinds`` holds :class:`ChangeKind` members only (a name string is refused: a test ``"reads" in kinds``
    would silently be false).
    """

    subjects: frozenset[str] = field(default_factory=frozenset)
    kinds: frozenset[ChangeKind] = field(default_factory=frozenset)
    study: bool = False

    def __post_init__(self) -> None:
        wrong = [k for k in self.kinds if not isinstance(k, ChangeKind)]
        if wrong:
            raise TypeError(f"Changes.kinds takes ChangeKind members, not {wrong!r}")

    @classmethod
    def of(cls, *subjects: str, kinds: Iterable[ChangeKind] = (), study: bool = False) -> Changes:
        return cls(frozenset(subjects), frozenset(kinds), study)

    @classmethod
    def of_table(cls, subject_id: str | None, table: str) -> Changes:
        """One row of ``table`` changed: that subject's kind, or the whole study when the row has no subject."""
        return cls.of(subject_id, kinds={ChangeKind(table)}) if subject_id else cls(study=True)

    def merge(self, other: Changes) -> Changes:
        """Both changes together."""
        return Changes(self.subjects | other.subjects, self.kinds | other.kinds, self.study or other.study)

    def touches(self, subject_id: str) -> bool:
        """Whether a view showing ``subject_id`` must refresh."""
        return self.study or subject_id in self.subjects

    def only(self, *kinds: ChangeKind) -> bool:
        """Whether the write touched nothing but ``kinds`` of some subjects (not study-wide)."""
        return not self.study and bool(self.kinds) and self.kinds <= set(kinds)

    @property
    def empty(self) -> bool:
        return not (self.subjects or self.kinds or self.study)
