"""The accessibility statement ("how to ask for another format"), written once for every format.

The statement is model blocks (Paragraph, BulletList, Link inlines), so each visual stage (PDF,
Word, large print, web page, e-book) renders it with its own block renderer: the words are the
same everywhere, and the markup is each format's own (tagged list and link in the PDF, Word's
numbering and hyperlinks, <ul> and <a> in HTML). Only two things differ between formats, and the
stage passes them in: what the edition is, and the features that edition has.
"""
from __future__ import annotations

import re

from typing import Iterable

from .document import (Block, BulletList, Document, Heading, Inline, Link, Paragraph, Text,
                       figures, iter_blocks)

STATEMENT_HEADING = "Accessibility"
STATEMENT_ID = "accessibility"
# Headings the visual formats add around the report's own, the same words in each format.
CONTENTS_HEADING = "Contents"
NOTES_HEADING = "Notes"

# Every format the pipeline makes for a reader, named as a reader would ask for it.
OTHER_FORMATS = "accessible PDF, Word, large print, audio (MP3), EPUB, braille and a web page"


def unique_id(doc: Document, base: str, also_taken: Iterable[str] = ()) -> str:
    """base, or base-2, base-3...: an id for something a stage adds (its contents, notes or
    statement heading, a landmark) that no heading of the report uses, nor any of also_taken.

    The reader derives heading ids from their words, so a report's own heading "Notes" is
    `notes`: a stage that hard-coded that id would make two elements share it (invalid HTML)
    or send links and bookmarks to the wrong one (PDF).
    """
    taken = {block.id for block in iter_blocks(doc.blocks) if isinstance(block, Heading)}
    taken.update(also_taken)
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def statement_id(doc: Document) -> str:
    """An id for the statement's heading that no heading of the report already uses."""
    return unique_id(doc, STATEMENT_ID)


def contact_inlines(contact: str) -> tuple[Inline, ...]:
    """A contact as a link when it is an email address or a web address."""
    contact = contact.strip().removeprefix("mailto:")
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", contact):
        return (Link(f"mailto:{contact}", (Text(contact),)),)
    if contact.startswith(("http://", "https://")):
        return (Link(contact, (Text(contact),)),)
    return (Text(contact),)


def opening_sentence(doc: Document, what: str) -> str:
    return (f"This is the {what} version of {doc.meta.title}. It was made to work with screen "
            "readers, braille displays, magnification and the reader's own font, size and "
            "colour settings.")


def formats_sentence() -> str:
    return f"The same report is also available as {OTHER_FORMATS}."


def contact_sentence_start() -> str:
    """The words before the contact; the contact itself follows, then a full stop."""
    return "If something does not work for you, or you need another format, please contact "


def accessibility_statement(doc: Document, what: str, features: list[str]) -> list[Block]:
    """The statement every visual format carries, under the heading STATEMENT_HEADING.

    what names the edition ("PDF", "large print Word", "web page", "e-book"); features are the
    facts of that edition, one bullet each.
    """
    meaningful = [f for f in figures(doc) if not f.decorative]
    lines: list[Block] = [Paragraph((Text(opening_sentence(doc, what)),))]
    if features:
        lines.append(BulletList(tuple((Paragraph((Text(feature),)),) for feature in features)))
    if meaningful and not all(f.alt.strip() for f in meaningful):
        lines.append(Paragraph((Text("Some images do not have a text description yet; "
                                     "please tell us if you need one."),)))
    elif meaningful:
        described = "The image that carries meaning has" if len(meaningful) == 1 else \
            f"All {len(meaningful)} images that carry meaning have"
        lines.append(Paragraph((Text(f"{described} a text description; decorative images are "
                                     "marked so that screen readers skip them."),)))
    lines.append(Paragraph((Text(formats_sentence()),)))
    # Without a contact, the publisher is still someone a reader can ask.
    contact = doc.meta.contact.strip() or doc.meta.publisher.strip()
    if contact:
        lines.append(Paragraph((Text(contact_sentence_start()), *contact_inlines(contact),
                                Text("."))))
    return lines
