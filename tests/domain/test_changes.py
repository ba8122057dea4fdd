"""``domain.changes``: what a write touched. The kinds are an enum whose record kinds are the registry's tables and
whose other members are produced by some write service; a kind's name string is refused."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.record_kinds import RECORD_KINDS

SERVICES = Path(__file__).resolve().parents[2] / "hccreview" / "services"
#: Kinds that are not record kinds: what the review workflow keeps beside the records.
WORKFLOW = {ChangeKind.SIGNATURES, ChangeKind.REVIEW_STATUS, ChangeKind.QUERIES, ChangeKind.BLINDING, ChangeKind.USERS,
            ChangeKind.IMAGES}  # fmt: skip


def test_the_record_kinds_are_the_registrys_tables() -> None:
    assert {ChangeKind(k.table) for k in RECORD_KINDS} == set(ChangeKind) - WORKFLOW
    assert ChangeKind("adverse_events") is ChangeKind.ADVERSE_EVENTS
    assert ChangeKind("users") is ChangeKind.USERS  # the account writes (services.auth), not a record kind
    with pytest.raises(ValueError, match="'sessions' is not a valid ChangeKind"):
        ChangeKind("sessions")  # a sign-in writes no row: no write announces it


def _kinds_named_in_changes(tree: ast.AST) -> set[str]:
    """Names X of every ``ChangeKind.X`` inside a ``Changes(...)`` / ``Changes.of(...)`` call: what a write returns
    (a consumer's set of kinds, such as the dashboard's ``IGNORED_KINDS``, produces nothing)."""
    named: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and "Changes" in ast.unparse(node.func):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "ChangeKind":
                    named.add(sub.attr)
    return named


def test_every_workflow_kind_is_produced_by_a_write_service() -> None:
    produced: set[str] = set()
    for path in SERVICES.glob("*.py"):
        produced |= _kinds_named_in_changes(ast.parse(path.read_text(encoding="utf-8")))
    assert {k.name for k in WORKFLOW} <= produced, "a kind no write produces is dead: remove it"


def test_a_kind_name_string_is_refused() -> None:
    with pytest.raises(TypeError, match=r"Changes.kinds takes ChangeKind members, not \['reads'\]"):
        Changes.of("P1", kinds={"reads"})  # type: ignore[arg-type]


def test_one_row_one_subject_or_the_whole_study() -> None:
    assert Changes.of_table("P1", "measurements") == Changes.of("P1", kinds={ChangeKind.MEASUREMENTS})
    assert Changes.of_table(None, "measurements") == Changes(study=True)
    both = Changes.of("P1", kinds={ChangeKind.READS}).merge(Changes.of("P2", kinds={ChangeKind.QUERIES}))
    assert both == Changes.of("P1", "P2", kinds={ChangeKind.READS, ChangeKind.QUERIES})
    assert both.touches("P2") and not both.touches("P3") and Changes(study=True).touches("P3")


def test_only_says_whether_nothing_but_those_kinds_changed() -> None:
    threads = Changes.of("P1", kinds={ChangeKind.QUERIES})
    assert threads.only(ChangeKind.QUERIES)
    assert not threads.merge(Changes.of("P1", kinds={ChangeKind.READS})).only(ChangeKind.QUERIES)
    assert not Changes(kinds=frozenset({ChangeKind.QUERIES}), study=True).only(ChangeKind.QUERIES)
    assert not Changes.of("P1").only(ChangeKind.QUERIES) and Changes().empty
