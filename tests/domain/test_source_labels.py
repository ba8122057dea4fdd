"""One name per read source (issue 20 item 2): the GUI, the PDF and the command line say the same words."""

from __future__ import annotations

import pytest

from hccreview.domain.source_labels import reader_name, source_abbreviation, source_label


@pytest.mark.parametrize(
    ("source", "long", "short"),
    [
        ("adjudicated", "Adjudicated (central review)", "Adjudicated"),
        ("investigator", "Investigator", "Investigator"),
        ("computed", "Computed from measurements", "Computed"),
        ("reader:reader1", "Reader reader1", "Reader reader1"),
    ],
)
def test_every_source_has_one_long_and_one_short_name(source: str, long: str, short: str) -> None:
    assert source_label(source) == long
    assert source_label(source, short=True) == short


def test_a_reader_source_is_named_by_its_evaluator() -> None:
    assert reader_name("reader:radiologist-2") == "radiologist-2"
    assert reader_name("investigator") == "investigator"


def test_only_the_narrowest_header_abbreviates() -> None:
    assert [source_abbreviation(s) for s in ("adjudicated", "investigator", "computed", "reader:reader1")] == [
        "adj.", "inv.", "comp.", "reader1"
    ]  # fmt: skip
