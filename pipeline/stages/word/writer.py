"""The document model -> WordprocessingML body, footnotes and contents.

Every node kind of pipeline/document.py is handled here (inlines in runs.py, tables in
tables.py). Elements are built with lxml because python-docx has no API for most of what an
accessible document needs (footnotes, bookmarks, internal links, numbering, decorative images).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from docx.document import Document as DocxDocument
from docx.image.exceptions import UnrecognizedImageError
from docx.image.image import Image
from docx.oxml.ns import qn
from docx.oxml.shape import CT_Inline
from lxml import etree

from ... import reading
from ...document import (
    Block,
    BulletList,
    Document,
    Figure,
    Footnote,
    Footnotes,
    Heading,
    Inline,
    OrderedList,
    PageBreak,
    Paragraph,
    Quote,
    Table,
    ThematicBreak,
    inline_text,
)
from ...errors import StageFailed
from ...sections import image_label
from .footnotes import FootnotesPart
from .layout import Layout
from .numbering import Numbering
from .ooxml import PPR_ORDER, el, emu, find_child, put, run_properties, text_run, twips, w
from .runs import RunStyle, RunWriter
from .sink import BlockContext, Sink
from .styles import (
    CAPTION,
    FOOTNOTE_REFERENCE,
    FOOTNOTE_TEXT,
    HYPERLINK,
    LIST_PARAGRAPH,
    NORMAL,
    QUOTE,
    heading_style,
)
from .tables import write_table

DECORATIVE_URI = "{C183D7F6-B498-43B3-948B-1728B52AA6E4}"
DECORATIVE_NS = "http://schemas.microsoft.com/office/drawing/2017/decorative"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"


class BookmarkNames:
    """Heading id -> Word bookmark name (letters, digits, underscores; at most 40; unique)."""

    def __init__(self, ids: list[str]):
        self._names: dict[str, str] = {}
        used: set[str] = set()
        for heading_id in ids:
            base = re.sub(r"[^A-Za-z0-9_]", "_", heading_id)
            if not base[:1].isalpha():
                base = "h_" + base
            name, n = base[:40], 1
            while name.lower() in used:
                n += 1
                name = f"{base[:36]}_{n}"
            used.add(name.lower())
            self._names[heading_id] = name

    def __call__(self, heading_id: str) -> str:
        return self._names.get(heading_id) or BookmarkNames([heading_id])._names[heading_id]


class Writer:
    def __init__(
        self,
        docx: DocxDocument,
        model: Document,
        layout: Layout,
        language: str,
        extra_heading_ids: list[str],
        progress=None,
    ):
        self.docx = docx
        self.progress = progress
        self.model = model
        self.layout = layout
        self.language = language
        self.numbering = Numbering(docx, layout)
        self.footnotes = FootnotesPart(docx)
        ids = [b.id for b in model.blocks if isinstance(b, Heading)] + extra_heading_ids
        self.bookmarks = BookmarkNames(ids)
        self._style_id_by_name: dict[str, str] = {}
        self._last_shape_id: int | None = None
        self.style_ids = {name: self.style_id(name) for name in (HYPERLINK, FOOTNOTE_REFERENCE)}
        self.runs = RunWriter(layout, language, self.style_ids, self.bookmarks)
        self.notes_by_number: dict[int, Footnote] = {n.number: n for n in model.footnotes.values()}
        self.pending_page_break = False
        self.pending_rule = False
        self._bookmark_id = 0
        self._table_number = 0
        self.notes_written: list[int] = []
        self._note_marked = True  # False while a note's first paragraph is still to come
        body = docx.element.body
        self.body = Sink(
            body,
            docx.part,
            body=True,
            width=layout.text_width,
            notes=self.write_note,
            before=body.find(qn("w:sectPr")),
        )

    # ------------------------------------------------------------ helpers
    def style_id(self, name: str) -> str:
        # Kept once found: python-docx looks a style up by name with an XPath search of every
        # style, which was 14% of the Word stage's Python time at 50,000 words (py-spy).
        if name not in self._style_id_by_name:
            self._style_id_by_name[name] = self.docx.styles[name].style_id
        return self._style_id_by_name[name]

    def bold_properties(self) -> etree._Element:
        return run_properties(bold=True)

    def runs_for(
        self, inlines: tuple[Inline, ...], sink: Sink, base: RunStyle = RunStyle()
    ) -> list[etree._Element]:
        return self.runs.runs(reading.runs_of(inlines), sink.part, sink.notes, base)

    def add_paragraph(
        self,
        sink: Sink,
        children: list[etree._Element],
        style: str,
        *,
        keep_next: bool = False,
        numbering: tuple[int, int] | None = None,
        indent_left: float | None = None,
    ) -> etree._Element:
        paragraph = w("p")
        ppr = w("pPr")
        put(ppr, w("pStyle", val=self.style_id(style)), PPR_ORDER)
        if keep_next:
            put(ppr, w("keepNext"), PPR_ORDER)
        if numbering:
            put(
                ppr, el("w:numPr", None, w("ilvl", val=numbering[1]), w("numId", val=numbering[0])), PPR_ORDER
            )
        if indent_left is not None:
            put(ppr, w("ind", left=twips(indent_left)), PPR_ORDER)
        if sink.body:
            self._apply_pending(ppr)
        paragraph.append(ppr)
        for child in children:
            paragraph.append(child)
        sink.add(paragraph)
        return paragraph

    def _apply_pending(self, ppr: etree._Element) -> None:
        if self.pending_page_break:
            put(ppr, w("pageBreakBefore"), PPR_ORDER)
            self.pending_page_break = False
        if self.pending_rule:
            # A thematic break is a rule above the next paragraph: a border, not an empty line.
            put(
                ppr,
                el("w:pBdr", None, w("top", val="single", sz=12, space=12, color=self.layout.text_colour)),
                PPR_ORDER,
            )
            self.pending_rule = False

    # ------------------------------------------------------------ blocks
    def write_document_blocks(self) -> None:
        total = len(self.model.blocks)
        for index, block in enumerate(self.model.blocks, start=1):
            self.write_block(block, self.body, BlockContext())
            if self.progress and (index % 50 == 0 or index == total):
                self.progress(index, total, "blocks")

    def write_blocks(self, blocks: tuple[Block, ...], sink: Sink, context: BlockContext) -> None:
        for block in blocks:
            self.write_block(block, sink, context)

    def write_block(self, block: Block, sink: Sink, context: BlockContext) -> None:
        if isinstance(block, Heading):
            self.write_heading(block, sink)
        elif isinstance(block, Paragraph):
            self._paragraph(block, sink, context)
        elif isinstance(block, (BulletList, OrderedList)):
            self._list(block, sink, context)
        elif isinstance(block, Table):
            self._table_number += 1
            write_table(self, block, sink, self._table_number)
        elif isinstance(block, Figure):
            self._figure(block, sink, context)
        elif isinstance(block, Quote):
            self._quote(block, sink, context)
        elif isinstance(block, ThematicBreak):
            self._rule(sink)
        elif isinstance(block, PageBreak):
            if sink.body:
                self.pending_page_break = True
        elif isinstance(block, Footnotes):
            pass  # each note is written into footnotes.xml at its first reference
        else:  # pragma: no cover - the model is closed
            raise StageFailed(f"the Word stage does not know the block {type(block).__name__}")

    def write_heading(self, heading: Heading, sink: Sink) -> etree._Element:
        self._bookmark_id += 1
        bookmark_id = self._bookmark_id
        children = [
            w("bookmarkStart", id=bookmark_id, name=self.bookmarks(heading.id)),
            *self.runs_for(heading.inlines, sink),
            w("bookmarkEnd", id=bookmark_id),
        ]
        return self.add_paragraph(sink, children, heading_style(min(max(heading.level, 1), 6)))

    def _paragraph(
        self, block: Paragraph, sink: Sink, context: BlockContext, numbering: tuple[int, int] | None = None
    ) -> None:
        if not inline_text(block.inlines, with_notes=True).strip():
            return  # an empty paragraph would be a spacer: spacing does that job
        children = self.runs_for(block.inlines, sink, RunStyle(bold=context.bold))
        if context.in_note and not self._note_marked:
            children = self.runs.note_mark() + children
            self._note_marked = True
        style = context.paragraph_style
        indent = None
        if numbering:
            style = LIST_PARAGRAPH
        elif context.list_level >= 0 and style == NORMAL:
            style = LIST_PARAGRAPH
            indent = self.numbering.indent(context.list_level)[0]
        self.add_paragraph(sink, children, style, numbering=numbering, indent_left=indent)

    def _list(self, block: BulletList | OrderedList, sink: Sink, context: BlockContext) -> None:
        level = min(context.list_level + 1, 8)
        ordered = isinstance(block, OrderedList)
        num_id = self.numbering.new_list(ordered, level, block.start if isinstance(block, OrderedList) else 1)
        inner = replace(context, list_level=level)
        for item in block.items:
            rest = item
            if item and isinstance(item[0], Paragraph):
                self._paragraph(item[0], sink, inner, numbering=(num_id, level))
                rest = item[1:]
            self.write_blocks(rest, sink, inner)

    def _quote(self, block: Quote, sink: Sink, context: BlockContext) -> None:
        inner = replace(context, paragraph_style=QUOTE)
        self.write_blocks(block.blocks, sink, inner)
        if block.attribution:
            children = [text_run("— ")] + self.runs_for(block.attribution, sink)
            self.add_paragraph(sink, children, QUOTE)

    def _rule(self, sink: Sink) -> None:
        if sink.body:
            self.pending_rule = True
            return
        paragraphs = sink.element.findall(qn("w:p"))
        if paragraphs:
            ppr = find_child(paragraphs[-1], qn("w:pPr"))
            put(
                ppr,
                el("w:pBdr", None, w("bottom", val="single", sz=12, space=12, color=self.layout.text_colour)),
                PPR_ORDER,
            )

    # ------------------------------------------------------------ figures
    def _figure(self, figure: Figure, sink: Sink, context: BlockContext) -> None:
        caption = self.runs_for(figure.caption, sink) if figure.caption else []
        if context.in_note:
            # Pictures cannot sit in footnotes.xml here (no image relationship there): the
            # description stands in for it.
            if not figure.decorative:
                self.add_paragraph(sink, [text_run(image_label(self.model, figure.alt))], FOOTNOTE_TEXT)
            return
        if self.layout.large_print and figure.large_src is not None:
            figure = replace(figure, src=figure.large_src)  # the author's large-print image
        inline = self._picture(figure, sink.width)
        drawing = el("w:r", None, el("w:drawing", None, inline))
        paragraph = self.add_paragraph(sink, [drawing], NORMAL, keep_next=bool(caption))
        # Single line spacing: the line holding the picture is the picture's height, not 1.15
        # times it (fitting.py measures and shrinks the picture itself). keepNext on the
        # picture keeps it on the caption's page (never split from it).
        spacing = w("spacing", line=240, lineRule="auto")
        if caption:
            spacing.set(qn("w:after"), "0")
        put(find_child(paragraph, qn("w:pPr")), spacing, PPR_ORDER)
        if caption:
            self.add_paragraph(sink, caption, CAPTION)

    def _picture(self, figure: Figure, available: float) -> etree._Element:
        path = Path(figure.src)
        if not path.is_file():
            raise StageFailed(
                f"image not found: {path}. Fix: put the image beside the report "
                f"or correct its path in the source"
            )
        try:
            image = Image.from_file(str(path))
        except UnrecognizedImageError:
            raise StageFailed(
                f"{path}: Word cannot hold this image format. Fix: save it as PNG "
                f"or JPEG and point the report at that file"
            ) from None
        natural = image.px_width / (image.horz_dpi or 96) * 72
        aspect = image.px_height / image.px_width
        width = available if self.layout.large_print else min(natural, available)
        # Leave room on the page for the caption: at most 3/4 of the text height.
        max_height = self.layout.text_height * 0.75
        if width * aspect > max_height:
            width = max_height / aspect
        # StoryPart.new_pic_inline, less its search of the whole document for the largest id
        # on every picture (quadratic: 7% of the stage's Python time at 50,000 words).
        relationship, image_part = self.docx.part.get_or_add_image(str(path))
        cx, cy = image_part.scaled_dimensions(emu(width), emu(width * aspect))
        inline = CT_Inline.new_pic_inline(self._next_shape_id(), relationship, image_part.filename, cx, cy)
        doc_pr = find_child(inline, qn("wp:docPr"))
        title = inline_text(figure.caption).strip()
        if figure.decorative:
            doc_pr.set("descr", "")
            ext_list = etree.SubElement(doc_pr, f"{{{A_NS}}}extLst")
            ext = etree.SubElement(ext_list, f"{{{A_NS}}}ext", uri=DECORATIVE_URI)
            decorative = etree.SubElement(
                ext, f"{{{DECORATIVE_NS}}}decorative", nsmap={"adec": DECORATIVE_NS}
            )
            decorative.set("val", "1")
        else:
            doc_pr.set("descr", figure.alt)
            doc_pr.set("title", title or figure.alt[:80])
            for c_nv_pr in inline.iter(qn("pic:cNvPr")):
                c_nv_pr.set("descr", figure.alt)
        return inline

    def _next_shape_id(self) -> int:
        """A drawing id no other element of the document has: after the largest the template
        has (searched once), each picture takes the next."""
        if self._last_shape_id is None:
            self._last_shape_id = self.docx.part.next_id - 1
        self._last_shape_id += 1
        return self._last_shape_id

    # ------------------------------------------------------------ footnotes
    def write_note(self, number: int) -> int:
        note = self.notes_by_number.get(number)
        if note is None:
            raise StageFailed(
                f"note {number} is referred to but has no text. Fix: add the "
                f"footnote [^{number}] to the source"
            )
        note_id, element = self.footnotes.new_note()
        sink = Sink(element, self.footnotes.part, body=False, width=self.layout.text_width, notes=None)
        self._note_marked = False
        self.write_blocks(note.blocks, sink, BlockContext(paragraph_style=FOOTNOTE_TEXT, in_note=True))
        if not self._note_marked:  # a note with no paragraph of its own: the mark alone
            self.add_paragraph(sink, self.runs.note_mark(), FOOTNOTE_TEXT)
        self._note_marked = True
        self.notes_written.append(number)
        return note_id
