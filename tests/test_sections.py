"""The sections every visual format adds (pipeline/sections.py): ids that never clash with the
author's headings, contents entries, title-page lines, dates in words, in the report's language."""

from __future__ import annotations

import dataclasses

from babel.messages.pofile import read_po

from pipeline.document import Document, Footnote, Footnotes, Heading, Metadata, Paragraph, Text
from pipeline.i18n import LOCALE_DIR
from pipeline.sections import (
    AddedIds,
    accessibility_statement,
    contents_entries,
    statement_heading,
    title_lines,
)


def report(*headings: tuple[int, str, str], **meta) -> Document:
    blocks = tuple(Heading(level, (Text(text),), id_) for level, text, id_ in headings)
    notes = Footnotes((Footnote("a", 1, (Paragraph((Text("A note."),)),)),))
    return Document(Metadata(title="Report", **meta), blocks + (notes,))


def test_added_ids_never_take_an_authors_heading_id():
    doc = report(
        (1, "Accessibility", "accessibility"),
        (1, "Notes", "notes"),
        (1, "Contents", "contents"),
        (1, "Main", "main"),
        (1, "Notes", "notes-2"),
    )
    ids = AddedIds.for_document(doc)
    chosen = [ids.statement, ids.title, ids.contents, ids.notes, ids.main]
    authors = {"accessibility", "notes", "contents", "main", "notes-2"}
    assert not set(chosen) & authors and len(set(chosen)) == len(chosen)
    entries = contents_entries(doc, ids)
    # the author's "Notes" and "Accessibility" lead to their own headings; the added ones to
    # the added sections, listed where they are
    assert [(e.text, e.target, e.added) for e in entries] == [
        ("Accessibility", "accessibility", False),
        ("Notes", "notes", False),
        ("Contents", "contents", False),
        ("Main", "main", False),
        ("Notes", "notes-2", False),
        ("Notes", ids.notes, True),
        ("Accessibility", ids.statement, True),
    ]


def test_title_lines_name_the_publisher_once_and_date_in_words():
    same = report(
        authors=("Kettle and Compass",), publisher="Kettle and Compass", date="2024-03-15", version="2.1"
    )
    lines = title_lines(same)
    assert lines.byline == "By Kettle and Compass" and lines.publisher == ""
    assert lines.date == "15 March 2024" and lines.version == "Version 2.1"
    other = title_lines(report(authors=("Ann", "Bryn", "Ceri"), publisher="Us", date="2024"))
    assert other.byline == "By Ann, Bryn and Ceri" and other.publisher == "Published by Us"
    assert other.date == "2024"  # a year stays as the author wrote it


def test_welsh_report_gets_welsh_sections():
    doc = report(authors=("Ann", "Elin"), publisher="Ni", date="2024-03-15", language="cy")
    lines = title_lines(doc)
    assert (lines.byline, lines.publisher, lines.date) == (
        "Gan Ann ac Elin",
        "Cyhoeddwyd gan Ni",
        "15 Mawrth 2024",
    )
    assert (
        title_lines(
            dataclasses.replace(doc, meta=dataclasses.replace(doc.meta, authors=("Ann", "Bryn")))
        ).byline
        == "Gan Ann a Bryn"
    )
    assert statement_heading(doc) == "Hygyrchedd"
    words = " ".join(
        b.inlines[0].text for b in accessibility_statement(doc, "PDF", []) if isinstance(b, Paragraph)
    )
    assert words.startswith("Dyma'r fersiwn PDF o Report.")
    assert "cysylltwch â" in words and "also" not in words


def test_both_catalogues_hold_every_message_id_and_welsh_translates_each():
    catalogues = {}
    for language in ("en", "cy"):
        with (LOCALE_DIR / language / "LC_MESSAGES" / "accessible_formats.po").open("rb") as h:
            catalogues[language] = {m.id: m.string for m in read_po(h) if m.id}
    assert set(catalogues["en"]) == set(catalogues["cy"])
    untranslated = [mid for mid, text in catalogues["cy"].items() if not text]
    assert not untranslated, untranslated
    # every {placeholder} of an id is in its Welsh text
    import re

    for mid, text in catalogues["cy"].items():
        assert set(re.findall(r"\{\w+\}", str(mid))) == set(re.findall(r"\{\w+\}", str(text))), mid
