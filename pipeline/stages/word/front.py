"""Title block, contents (a live TOC field), accessibility statement and document properties."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from docx.document import Document as DocxDocument
from lxml import etree

from ...document import Block, Document, Heading, Text

# statement_id is re-exported: the stage asks front for the heading id it bookmarks.
from ...sections import (
    AddedIds,
    accessibility_statement,
    contents_entries,
    contents_heading,
    statement_heading,
    title_lines,
)
from .ooxml import PPR_ORDER, el, find_child, put, run_properties, text_run, twips, w
from .styles import NORMAL, SUBTITLE, TITLE, TOC_LEVELS, heading_style, toc_style
from .writer import BlockContext, Writer

# Shown until the real page numbers are filled in: as wide as any page number of a report
# (three of the widest digit; pages.py proves from the layout that narrower numbers move nothing).
PAGE_PLACEHOLDER = "888"


def write_title_block(writer: Writer, byline: bool = True) -> None:
    lines = title_lines(writer.model)
    writer.add_paragraph(writer.body, [text_run(lines.title)], TITLE)
    if lines.subtitle:
        writer.add_paragraph(writer.body, [text_run(lines.subtitle)], SUBTITLE)
    parts = [lines.byline, lines.publisher, lines.date, lines.version]
    byline_text = ". ".join(part for part in parts if part)
    if byline and byline_text:
        writer.add_paragraph(writer.body, [text_run(byline_text + ".")], NORMAL)


@dataclass
class ContentsEntryRuns:
    """One entry of the contents field: the bookmark its PAGEREF names and the w:t that shows
    the page number (filled in by pages.py once LibreOffice has laid the document out)."""

    text: str
    bookmark: str
    page_text: etree._Element


def _field_runs(
    instruction: str, result: etree._Element | None, rpr: etree._Element | None = None
) -> tuple[list[etree._Element], list[etree._Element]]:
    """(begin, instruction, separate), and (result..., end) of a complex field."""
    instr = w("instrText")
    instr.text = f" {instruction} "
    instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    opening = [
        el("w:r", None, w("fldChar", fldCharType="begin")),
        el("w:r", None, instr),
        el("w:r", None, w("fldChar", fldCharType="separate")),
    ]
    closing = ([result] if result is not None else []) + [el("w:r", None, w("fldChar", fldCharType="end"))]
    return opening, closing


def write_contents(writer: Writer, statement_heading_id: str) -> list[ContentsEntryRuns]:
    """A real table of contents: Word's TOC field (\\o headings 1-3, \\h hyperlinks), whose
    result is already written out, entry by entry, each with a dotted leader to a PAGEREF
    field that holds its page number. It reads and prints right before anyone presses
    "update", and Word's "Update table" rebuilds it from the heading styles as usual."""
    doc = writer.model
    ids = AddedIds.for_document(doc)
    entries = [entry for entry in contents_entries(doc, ids, max_level=TOC_LEVELS, notes=False)]
    writer.add_paragraph(writer.body, [text_run(contents_heading(doc))], heading_style(1))
    right_tab = twips(writer.body.width)
    out: list[ContentsEntryRuns] = []
    top = min((e.level for e in entries), default=1)
    link_rpr = lambda: run_properties(style=writer.style_ids["Hyperlink"])
    for number, entry in enumerate(entries):
        target = statement_heading_id if entry.added else entry.target
        bookmark = writer.bookmarks(target)
        page = text_run(PAGE_PLACEHOLDER)
        ref_open, ref_close = _field_runs(f"PAGEREF {bookmark} \\h", page)
        link = w("hyperlink", anchor=bookmark, history=1)
        link.append(text_run(entry.text, link_rpr()))
        link.append(el("w:r", None, w("tab")))
        for run in ref_open + ref_close:
            link.append(run)
        children: list[etree._Element] = []
        if number == 0:
            toc_open, _ = _field_runs(f'TOC \\o "1-{TOC_LEVELS}" \\h \\z \\u', None)
            children += toc_open
        children.append(link)
        if number == len(entries) - 1:
            children.append(el("w:r", None, w("fldChar", fldCharType="end")))
        paragraph = writer.add_paragraph(
            writer.body, children, toc_style(min(entry.level - top + 1, TOC_LEVELS))
        )
        ppr = find_child(paragraph, w("pPr").tag)
        put(ppr, el("w:tabs", None, w("tab", val="right", leader="dot", pos=right_tab)), PPR_ORDER)
        out.append(ContentsEntryRuns(entry.text, bookmark, find_child(page, w("t").tag)))
    return out


def statement_blocks(
    doc: Document, large_print: bool, font: str, size: int, layout_prints_addresses: bool = False
) -> list[Block]:
    """The accessibility statement every visual format carries, with this edition's facts."""
    edition = "large print Word" if large_print else "clear print Word"
    features: list = [
        ("Set in {font} at {size} point, left aligned.", {"font": font, "size": size}),
        "Real headings you can move between with the navigation pane or a screen reader's "
        "heading list, and a contents list with page numbers that links to them.",
        "Lists that Word numbers, and tables with marked header rows.",
        "Footnotes linked to their place in the text.",
    ]
    if layout_prints_addresses:
        features.append("The address of every link is printed after its words.")
    return accessibility_statement(doc, edition, features)


def write_statement(writer: Writer, heading_id: str, font: str, size: int) -> None:
    """Through the writer's normal block path: Word's own numbering for the list, hyperlink
    runs for the contact, and every run in the document's body styles."""
    writer.write_heading(Heading(1, (Text(statement_heading(writer.model)),), heading_id), writer.body)
    blocks = statement_blocks(
        writer.model, writer.layout.large_print, font, size, writer.layout.link_addresses
    )
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
    core.created = core.modified = created  # reproducible: the report's own date


def _date(text: str) -> dt.datetime:
    for fmt, length in (("%Y-%m-%d", 10), ("%Y-%m", 7), ("%Y", 4)):
        try:
            return dt.datetime.strptime(text[:length], fmt)
        except ValueError:
            continue
    return dt.datetime(2000, 1, 1)
