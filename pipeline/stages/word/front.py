"""Title block, contents list, accessibility statement and document properties."""
from __future__ import annotations

import datetime as dt

from docx.document import Document as DocxDocument

from ...document import Block, Document, Heading, Text, inline_text
# statement_id is re-exported: the stage asks front for the heading id it bookmarks.
from ...sections import STATEMENT_HEADING, accessibility_statement, statement_id  # noqa: F401
from .ooxml import run_properties, text_run, w
from .styles import NORMAL, SUBTITLE, TITLE, TOC_LEVELS, heading_style, toc_style
from .writer import BlockContext, Writer

CONTENTS_HEADING = "Contents"


def write_title_block(writer: Writer, byline: bool = True) -> None:
    meta = writer.model.meta
    writer.add_paragraph(writer.body, [text_run(meta.title)], TITLE)
    if meta.subtitle:
        writer.add_paragraph(writer.body, [text_run(meta.subtitle)], SUBTITLE)
    byline_parts = [", ".join(meta.authors), meta.publisher, meta.date,
                    f"Version {meta.version}" if meta.version else ""]
    byline_text = ". ".join(part for part in byline_parts if part)
    if byline and byline_text:
        writer.add_paragraph(writer.body, [text_run(byline_text + ".")], NORMAL)


def write_contents(writer: Writer, statement_heading_id: str) -> None:
    """A static list of links to bookmarks on the headings: works in every Word, in LibreOffice
    and for a screen reader without Word having to update a TOC field first."""
    entries = [(b.level, inline_text(b.inlines).strip(), b.id)
               for b in writer.model.blocks if isinstance(b, Heading) and b.level <= TOC_LEVELS]
    entries.append((1, STATEMENT_HEADING, statement_heading_id))
    writer.add_paragraph(writer.body, [text_run(CONTENTS_HEADING)], heading_style(1))
    for level, text, heading_id in entries:
        link = w("hyperlink", anchor=writer.bookmarks(heading_id), history=1)
        link.append(text_run(text, run_properties(style=writer.style_ids["Hyperlink"])))
        writer.add_paragraph(writer.body, [link], toc_style(level))


def statement_blocks(doc: Document, large_print: bool, font: str, size: int) -> list[Block]:
    """The accessibility statement every visual format carries, with this edition's facts."""
    edition = "large print Word" if large_print else "clear print Word"
    features = [
        f"Set in {font} at {size} point, left aligned.",
        "Real headings you can move between with the navigation pane or a screen reader's "
        "heading list, and a contents list that links to them.",
        "Lists that Word numbers, and tables with marked header rows.",
        "Footnotes linked to their place in the text.",
    ]
    return accessibility_statement(doc, edition, features)


def write_statement(writer: Writer, heading_id: str, font: str, size: int) -> None:
    """Through the writer's normal block path: Word's own numbering for the list, hyperlink
    runs for the contact, and every run in the document's body styles."""
    writer.write_heading(Heading(1, (Text(STATEMENT_HEADING),), heading_id), writer.body)
    blocks = statement_blocks(writer.model, writer.layout.large_print, font, size)
    writer.write_blocks(tuple(blocks), writer.body, BlockContext())


def set_properties(docx: DocxDocument, doc: Document, language: str) -> None:
    meta = doc.meta
    core = docx.core_properties
    core.title = meta.title
    core.subject = meta.description or meta.subtitle
    core.comments = meta.description
    core.author = "; ".join(meta.authors) or meta.publisher
    core.last_modified_by = meta.publisher or core.author
    core.language = language
    core.keywords = ", ".join(meta.keywords)
    core.category = "Report"
    core.revision = 1
    created = _date(meta.date)
    core.created = core.modified = created      # reproducible: the report's own date


def _date(text: str) -> dt.datetime:
    for fmt, length in (("%Y-%m-%d", 10), ("%Y-%m", 7), ("%Y", 4)):
        try:
            return dt.datetime.strptime(text[:length], fmt)
        except ValueError:
            continue
    return dt.datetime(2000, 1, 1)
