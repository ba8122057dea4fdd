"""One ``Source`` type with one wording (issue 20): a read source is a ``str`` made by ``Source.parse``, which
knows its kind, its reader and how the GUI, the PDF and the command line name it."""

from __future__ import annotations

import json

import pytest

from hccreview.domain.sources import Source, available_sources, default_source, parse_source
from tests.domain.test_sources import study


@pytest.mark.parametrize(
    ("text", "key", "kind", "reader"),
    [
        ("adjudicated", "adjudicated", "adjudicated", None),
        (" Investigator ", "investigator", "investigator", None),
        ("COMPUTED", "computed", "computed", None),
        ("reader:RADIOLOGIST 1", "reader:RADIOLOGIST 1", "reader", "RADIOLOGIST 1"),
        ("Reader: radiologist-2 ", "reader:radiologist-2", "reader", "radiologist-2"),
    ],
)
def test_parse_gives_the_key_its_kind_and_its_reader(text: str, key: str, kind: str, reader: str | None) -> None:
    source = Source.parse(text)
    assert isinstance(source, Source) and isinstance(source, str)
    assert (str(source), source.kind, source.reader) == (key, kind, reader)
    assert parse_source(text) == (kind, reader)  # the older spelling reads the same Source
    assert Source(text) == source and Source.parse(source) is source


@pytest.mark.parametrize("bad", ["", "reader:", "reader:  ", "nonsense", "readers:x", "adjudicated2"])
def test_an_unknown_source_is_refused_with_the_choices(bad: str) -> None:
    expected = f"unknown source {bad!r} (use adjudicated, investigator, computed or reader:NAME)"
    with pytest.raises(ValueError) as refused:
        Source.parse(bad)
    assert str(refused.value) == expected
    with pytest.raises(ValueError, match="unknown source"):
        parse_source(bad)
    with pytest.raises(ValueError, match="unknown source"):
        Source(bad)


@pytest.mark.parametrize(
    ("text", "long", "short", "abbreviation"),
    [
        ("adjudicated", "Adjudicated (central review)", "Adjudicated", "adj."),
        ("investigator", "Investigator", "Investigator", "inv."),
        ("computed", "Computed from measurements", "Computed", "comp."),
        ("reader:reader1", "Reader reader1", "Reader reader1", "reader1"),
    ],
)
def test_every_source_has_one_long_one_short_name_and_one_abbreviation(
    text: str, long: str, short: str, abbreviation: str
) -> None:
    source = Source.parse(text)
    assert source.label() == long
    assert source.label(short=True) == short
    assert source.abbreviation == abbreviation  # only the navigator's narrow BOR column abbreviates


def test_a_source_is_its_key_wherever_a_string_goes() -> None:
    source = Source.parse("Reader:reader1")
    assert source == "reader:reader1" and str.__eq__("reader:reader1", source)  # either side
    assert hash(source) == hash("reader:reader1")
    assert {"reader:reader1": 3}[source] == 3 and {source: 3}["reader:reader1"] == 3
    assert source in ["investigator", "reader:reader1"] and source != "reader:reader2"
    assert f"{source}" == "reader:reader1" and source.startswith("reader:")
    assert (
        json.dumps({source: [source, Source.parse("computed")]}) == '{"reader:reader1": ["reader:reader1", "computed"]}'
    )
    assert json.loads(json.dumps(source)) == source


def test_a_readers_source_keeps_the_name_as_the_reads_spell_it() -> None:
    assert Source.of_reader("RADIOLOGIST 1") == "reader:RADIOLOGIST 1"
    assert Source.of_reader("RADIOLOGIST 1").label() == "Reader RADIOLOGIST 1"
    with pytest.raises(ValueError, match=r"a reader source needs the reader's name \(reader:NAME\)"):
        Source.of_reader(" ")


def test_the_sources_a_study_answers_are_sources() -> None:
    data = study()
    sources = available_sources(data)
    assert all(isinstance(s, Source) for s in sources) and isinstance(default_source(data), Source)
    assert [s.label(short=True) for s in sources] == [
        "Adjudicated", "Investigator", "Reader RADIOLOGIST 1", "Reader RADIOLOGIST 2"
    ]  # fmt: skip
    assert default_source(data).label() == "Adjudicated (central review)"
