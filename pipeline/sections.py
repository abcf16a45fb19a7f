"""The sections every visual format adds around the report's own text, written once.

Title page lines, the contents entries, the headings the pipeline adds ("Contents", "Notes",
"Accessibility") and their ids, the footnote labels, the accessibility statement and dates in
words. Every writer (PDF, Word, large print, web page, e-book) and every check takes them from
here, so the words are the same in every format and in the report's language (through
pipeline/i18n.py), and an id the pipeline adds never clashes with one of the author's headings.

The statement is model blocks (Paragraph, BulletList, Link inlines), so each stage renders it
with its own block renderer: tagged list and link in the PDF, Word's numbering and hyperlinks,
<ul> and <a> in HTML. Only two things differ between formats, and the stage passes them in: what
the edition is, and the features that edition has (English message ids, translated here).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Set
from dataclasses import dataclass

from babel.lists import format_list

from .document import (
    Block,
    BulletList,
    Document,
    Footnotes,
    Heading,
    Inline,
    Link,
    Paragraph,
    Text,
    figures,
    inline_text,
    iter_blocks,
)
from .i18n import Words, words_for

# English message ids of the headings the pipeline adds; translate with added_heading().
STATEMENT_HEADING = "Accessibility"
CONTENTS_HEADING = "Contents"
NOTES_HEADING = "Notes"
STATEMENT_ID = "accessibility"


def words(doc: Document) -> Words:
    return words_for(doc.meta.language)


def contents_heading(doc: Document) -> str:
    _ = words(doc)
    return _("Contents")


def notes_heading(doc: Document) -> str:
    _ = words(doc)
    return _("Notes")


def statement_heading(doc: Document) -> str:
    _ = words(doc)
    return _("Accessibility")


# ---------------------------------------------------------------- ids


def unique_id(doc: Document, base: str, also_taken: Iterable[str] = ()) -> str:
    """base, or base-2, base-3...: an id for something a stage adds (its contents, notes or
    statement heading, a landmark) that no heading of the report uses, nor any of also_taken.

    The reader derives heading ids from their words, so a report's own heading "Notes" is
    `notes`: a stage that hard-coded that id would make two elements share it (invalid HTML)
    or send links and bookmarks to the wrong one (PDF).
    """
    return free_id(base, heading_ids(doc) | set(also_taken))


def heading_ids(doc: Document) -> frozenset[str]:
    return frozenset(block.id for block in iter_blocks(doc.blocks) if isinstance(block, Heading))


def free_id(base: str, taken: Set[str]) -> str:
    """unique_id with the taken ids given: for a stage that picks an id for each of many parts
    (walking the whole report for each made the EPUB of a book quadratic)."""
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def statement_id(doc: Document) -> str:
    """An id for the statement's heading that no heading of the report already uses."""
    return unique_id(doc, STATEMENT_ID)


@dataclass(frozen=True)
class AddedIds:
    """The ids of everything the visual formats add: none is an id of the report's headings,
    nor another's. Chosen in a fixed order, so every format picks the same ones."""

    statement: str
    title: str
    contents: str
    notes: str
    main: str

    @classmethod
    def for_document(cls, doc: Document) -> AddedIds:
        chosen: list[str] = []
        for base in (STATEMENT_ID, "title-page", "contents", "notes", "main"):
            chosen.append(unique_id(doc, base, chosen))
        return cls(*chosen)


# ---------------------------------------------------------------- contents


@dataclass(frozen=True)
class ContentsEntry:
    level: int  # the heading's level (1 = top)
    text: str
    target: str  # the id of the heading it leads to
    added: bool = False  # a heading the pipeline adds (notes, statement)


def contents_entries(
    doc: Document, ids: AddedIds, *, max_level: int = 6, notes: bool = True, statement: bool = True
) -> list[ContentsEntry]:
    """Every heading of the report up to max_level, the notes where the notes are, and the
    accessibility statement last: the contents of every paged format, and their bookmarks."""
    top = min((b.level for b in doc.blocks if isinstance(b, Heading)), default=1)
    out: list[ContentsEntry] = []
    for block in doc.blocks:
        if isinstance(block, Heading) and block.level <= max_level:
            out.append(ContentsEntry(block.level, " ".join(inline_text(block.inlines).split()), block.id))
        elif isinstance(block, Footnotes) and block.notes and notes:
            out.append(ContentsEntry(top, notes_heading(doc), ids.notes, added=True))
    if statement:
        out.append(ContentsEntry(top, statement_heading(doc), ids.statement, added=True))
    return out


def contents_link_label(doc: Document, text: str, page: int) -> str:
    """What a screen reader announces for a contents entry: "Welcome, page 3"."""
    _ = words(doc)
    return _("{title}, page {page}", title=text, page=page)


def page_label(doc: Document, page: int, pages: int | None = None) -> str:
    _ = words(doc)
    if pages is None:
        return _("Page {page}", page=page)
    return _("Page {page} of {pages}", page=page, pages=pages)


# ---------------------------------------------------------------- title page


@dataclass(frozen=True)
class TitleLines:
    title: str
    subtitle: str
    byline: str  # "By A and B", or ""
    publisher: str  # "Published by X", or "" when X is also the author
    date: str  # in words: "15 March 2024"
    version: str  # "Version 1.0", or ""


def date_in_words(doc: Document) -> str:
    return words(doc).date(doc.meta.date) if doc.meta.date else ""


def authors_in_words(doc: Document) -> str:
    """ "A, B and C" in the report's language (Babel's list patterns: "A a B" in Welsh)."""
    authors = [a for a in doc.meta.authors if a.strip()]
    if not authors:
        return ""
    locale = words(doc)._locale
    joined = format_list(authors, locale=locale) if locale is not None else ", ".join(authors)
    # CLDR gives Welsh "a(c)": the word is "ac" before a vowel and "a" before a consonant.
    if " a(c) " in joined:
        before, after = joined.rsplit(" a(c) ", 1)
        joined = f"{before} {'ac' if after[:1].lower() in 'aeiouwyâêîôûŵŷ' else 'a'} {after}"
    return joined


def title_lines(doc: Document) -> TitleLines:
    _ = words(doc)
    meta = doc.meta
    authors = authors_in_words(doc)
    publisher = meta.publisher.strip()
    # A publisher who is the (only) author is named once, in the byline.
    if publisher and publisher.casefold() in {a.strip().casefold() for a in meta.authors}:
        publisher = ""
    return TitleLines(
        title=meta.title,
        subtitle=meta.subtitle,
        byline=_("By {authors}", authors=authors) if authors else "",
        publisher=_("Published by {publisher}", publisher=publisher) if publisher else "",
        date=date_in_words(doc),
        version=_("Version {version}", version=meta.version) if meta.version else "",
    )


# ---------------------------------------------------------------- notes, tables, figures


def note_label(doc: Document, number: int) -> str:
    _ = words(doc)
    return _("Note {number}", number=number)


def back_to_reference(doc: Document, number: int) -> str:
    _ = words(doc)
    return _("Back to reference {number}", number=number)


def table_label(doc: Document, number: int) -> str:
    _ = words(doc)
    return _("Table {number}", number=number)


def image_label(doc: Document, alt: str) -> str:
    _ = words(doc)
    return _("Image: {alt}", alt=alt)


# ---------------------------------------------------------------- the accessibility statement


def contact_inlines(contact: str) -> tuple[Inline, ...]:
    """A contact as a link when it is an email address or a web address."""
    contact = contact.strip().removeprefix("mailto:")
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", contact):
        return (Link(f"mailto:{contact}", (Text(contact),)),)
    if contact.startswith(("http://", "https://")):
        return (Link(contact, (Text(contact),)),)
    return (Text(contact),)


def opening_sentence(doc: Document, what: str) -> str:
    _ = words(doc)
    return _(
        "This is the {what} version of {title}. It was made to work with screen "
        "readers, braille displays, magnification and the reader's own font, size and "
        "colour settings.",
        what=_(what),
        title=doc.meta.title,
    )


def formats_sentence(doc: Document) -> str:
    _ = words(doc)
    return _(
        "The same report is also available as {formats}.",
        formats=_("accessible PDF, Word, large print, audio (MP3), EPUB, braille and a web page"),
    )


def contact_sentence_start(doc: Document) -> str:
    """The words before the contact; the contact itself follows, then a full stop."""
    _ = words(doc)
    return _("If something does not work for you, or you need another format, please contact ")


def images_sentence(doc: Document) -> str:
    _ = words(doc)
    meaningful = [f for f in figures(doc) if not f.decorative]
    if not meaningful:
        return ""
    if not all(f.alt.strip() for f in meaningful):
        return _("Some images do not have a text description yet; please tell us if you need one.")
    if len(meaningful) == 1:
        return _(
            "The image that carries meaning has a text description; decorative images "
            "are marked so that screen readers skip them."
        )
    return _(
        "All {n} images that carry meaning have a text description; decorative images "
        "are marked so that screen readers skip them.",
        n=len(meaningful),
    )


Feature = "str | tuple[str, dict[str, object]]"  # a message id, or one with its values


def accessibility_statement(doc: Document, what: str, features: list) -> list[Block]:
    """The statement every visual format carries, under statement_heading(doc).

    what names the edition ("PDF", "large print Word", "web page", "e-book"); features are the
    facts of that edition, one bullet each: English message ids (or (id, values) pairs for
    ids with {placeholders}), translated here.
    """
    _ = words(doc)

    def feature_text(feature) -> str:
        if isinstance(feature, tuple):
            return _(feature[0], **feature[1])
        return _(feature)

    lines: list[Block] = [Paragraph((Text(opening_sentence(doc, what)),))]
    if features:
        lines.append(BulletList(tuple((Paragraph((Text(feature_text(feature)),)),) for feature in features)))
    images = images_sentence(doc)
    if images:
        lines.append(Paragraph((Text(images),)))
    lines.append(Paragraph((Text(formats_sentence(doc)),)))
    # Without a contact, the publisher is still someone a reader can ask.
    contact = doc.meta.contact.strip() or doc.meta.publisher.strip()
    if contact:
        lines.append(Paragraph((Text(contact_sentence_start(doc)), *contact_inlines(contact), Text("."))))
    return lines
