"""How a read source is named to people — one wording for the GUI, the PDF documents, the services and the
command line (issue 20 item 2).

A source key (:mod:`hccreview.domain.sources`: ``adjudicated``, ``investigator``, ``computed``, ``reader:NAME``)
never reaches the user: menus, plot titles, table headers, captions and ``hccreview stats`` all ask
:func:`source_label`. Its long form names the source on its own ("Adjudicated (central review)"); the short form
fits a chip, a narrow column header or a list of every source ("Adjudicated"). A reader is "Reader NAME" either
way. Inside a sentence the label stands as a name ("differs from Adjudicated (central review)"), not lower-cased.
Only the navigator's narrow BOR column abbreviates (:func:`source_abbreviation`, "BOR (adj.)"; its tooltip gives
the label).
"""

from __future__ import annotations

from hccreview.domain.sources import ADJUDICATED, COMPUTED, INVESTIGATOR, READER_PREFIX

#: The long names: menus, the dashboard's source box, plot titles, PDF tables and headings.
SOURCE_NAMES = {
    ADJUDICATED: "Adjudicated (central review)",
    INVESTIGATOR: "Investigator",
    COMPUTED: "Computed from measurements",
}
#: The short names: chips, narrow column headers, tooltips listing every source.
SOURCE_SHORT = {ADJUDICATED: "Adjudicated", INVESTIGATOR: "Investigator", COMPUTED: "Computed"}
#: The abbreviations of the navigator's BOR column header only.
SOURCE_ABBREVIATIONS = {ADJUDICATED: "adj.", INVESTIGATOR: "inv.", COMPUTED: "comp."}


def reader_name(source: str) -> str:
    """The evaluator of a ``reader:NAME`` source (the source itself otherwise)."""
    return source.removeprefix(READER_PREFIX) if source.startswith(READER_PREFIX) else source


def source_label(source: str, *, short: bool = False) -> str:
    """A read source for people: "Adjudicated (central review)", "Investigator", "Computed from measurements",
    "Reader reader1"; ``short`` gives "Adjudicated", "Computed" (a reader keeps "Reader NAME")."""
    if source.startswith(READER_PREFIX):
        return f"Reader {reader_name(source)}"
    return (SOURCE_SHORT if short else SOURCE_NAMES).get(source, source)


def source_abbreviation(source: str) -> str:
    """A source in the narrowest header: "adj.", "inv.", "comp.", a reader's name."""
    return reader_name(source) if source.startswith(READER_PREFIX) else SOURCE_ABBREVIATIONS.get(source, source)


__all__ = ["SOURCE_ABBREVIATIONS", "SOURCE_NAMES", "SOURCE_SHORT", "reader_name", "source_abbreviation", "source_label"]
