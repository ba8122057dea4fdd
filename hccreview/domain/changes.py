"""What a write touched: the only thing the UI learns from a write (Anki's OpChanges shape)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Changes:
    """The subject ids and record kinds a write touched; ``study`` means study-wide (settings, an import)."""

    subjects: frozenset[str] = field(default_factory=frozenset)
    kinds: frozenset[str] = field(default_factory=frozenset)
    study: bool = False

    @classmethod
    def of(cls, *subjects: str, kinds: tuple[str, ...] | set[str] = (), study: bool = False) -> Changes:
        return cls(frozenset(subjects), frozenset(kinds), study)

    def merge(self, other: Changes) -> Changes:
        """Both changes together."""
        return Changes(self.subjects | other.subjects, self.kinds | other.kinds, self.study or other.study)

    def touches(self, subject_id: str) -> bool:
        """Whether a view showing ``subject_id`` must refresh."""
        return self.study or subject_id in self.subjects

    @property
    def empty(self) -> bool:
        return not (self.subjects or self.kinds or self.study)
