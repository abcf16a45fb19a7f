"""The Document as a tagged ReportLab story: title page, contents, body, notes, accessibility.

Every block kind of the model becomes flowables plus structure elements; every inline kind
becomes Paragraph markup, with `<onDraw>` callbacks around the inline elements that need their
own tag (Link, Span with /Lang, Code, Reference).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from PIL import Image as PILImage
from reportlab.lib.colors import Color, black
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Indenter, NextPageTemplate, Spacer
from reportlab.platypus import PageBreak as PageBreakFlowable

from ...document import (
    Block,
    BulletList,
    Code,
    Document,
    Emphasis,
    Figure,
    Footnotes,
    Heading,
    Inline,
    LineBreak,
    Link,
    NoteRef,
    OrderedList,
    PageBreak,
    Paragraph,
    Quote,
    Span,
    Strong,
    Table,
    TableCell,
    Text,
    ThematicBreak,
    headings,
    inline_text,
    iter_blocks,
)
from ...errors import StageFailed
from ...sections import (
    AddedIds,
    accessibility_statement,
    contents_entries,
    contents_heading,
    contents_link_label,
    notes_heading,
    statement_heading,
    title_lines,
)
from .flowables import (
    ArtifactRule,
    ContentsLine,
    FittingFigure,
    LatePages,
    LateText,
    ParagraphTags,
    TableTagging,
    TaggedImage,
    TaggedParagraph,
    TaggedTable,
)
from .styles import Styles
from .tagging import StructElem, Tagger

HEADER_BACKGROUND = Color(0.90, 0.90, 0.90)  # black text on it: contrast above 15:1
NUMBER_COLUMN = "999"  # the contents' page numbers get a column as wide as this


@dataclass(frozen=True)
class Frame:
    width: float
    height: float
    landscape_width: float = 0.0  # the frame's width on a landscape page (wide tables)


class StoryWriter:
    """Builds the story and, alongside it, the structure tree (Document root)."""

    def __init__(
        self,
        doc: Document,
        styles: Styles,
        frame: Frame,
        tagger: Tagger,
        late: LateText,
    ):
        self.doc = doc
        self.styles = styles
        self.frame = frame
        self.tagger = tagger
        self.root = tagger.root
        self.late = late  # the contents' page numbers, drawn once the last page is laid out
        self.contents_links: list[tuple[StructElem, str, str]] = []  # (Link, words, anchor)
        # Anchors and bookmark keys the PDF adds: none may be a heading id of the report (its
        # heading "Notes" has the id `notes`), or links and bookmarks would go to the wrong one.
        self.ids = AddedIds.for_document(doc)
        self.statement_id = self.ids.statement
        self.title_id = self.ids.title
        self.contents_id = self.ids.contents
        self.notes_id = self.ids.notes
        self.anchors = {heading.id for heading in headings(doc)} | {self.statement_id}
        self.note_numbers = {note.number for note in doc.footnotes.values()}
        self.previous_outline_level = 0

    # ------------------------------------------------------------ whole document

    def story(self) -> list[Flowable]:
        out: list[Flowable] = []
        out += self.title_page()
        out += self.contents_page()
        for index, block in enumerate(self.doc.blocks):
            out += self.block(block, self.root, index, indent=0)
        out += self.accessibility_statement()
        return out

    def title_page(self) -> list[Flowable]:
        lines = title_lines(self.doc)
        out = [
            Spacer(1, self.styles.size * 4),
            self.paragraph(
                escape(lines.title),
                self.styles.title,
                self.root.add("H1"),
                None,
                outline=(lines.title, self.title_id),
                anchor=self.title_id,
            ),
        ]
        rest = [
            (lines.subtitle, self.styles.subtitle),
            (lines.byline, self.styles.body),
            (lines.publisher, self.styles.body),
            (lines.date, self.styles.body),
            (lines.version, self.styles.body),
        ]
        for text, style in rest:
            if text:
                out.append(self.paragraph(escape(text), style, self.root.add("P"), None))
        out.append(PageBreakFlowable())
        return out

    def contents_page(self) -> list[Flowable]:
        """Every bookmarked section (the report's headings, the notes, the statement), each
        with a dotted leader to its page number, right aligned; the whole line is the link."""
        heading = contents_heading(self.doc)
        out: list[Flowable] = [
            self.paragraph(
                escape(heading),
                self.styles.heading(1),
                self.root.add("H1"),
                None,
                outline=(heading, self.contents_id),
                anchor=self.contents_id,
            )
        ]
        toc = self.root.add("TOC")
        number_width = (
            stringWidth(NUMBER_COLUMN, self.styles.text.regular, self.styles.size) + self.styles.size * 1.5
        )
        top = min((h.level for h in headings(self.doc)), default=1)
        for entry in contents_entries(self.doc, self.ids):
            item = toc.add("TOCI")
            link = item.detached("Link", link_target=f"#{entry.target}")  # alt: name_contents_links
            self.contents_links.append((link, entry.text, entry.target))
            key = self.tagger.register_inline(link)
            markup = (
                f'<onDraw name="tag_open" label="{key}"/>{escape(entry.text)}'
                f'<onDraw name="tag_close" label="{key}"/>'
            )
            indent = self.styles.size * 1.5 * max(entry.level - top, 0)
            line = ContentsLine(markup, self.styles.contents_entry(indent, number_width))
            line.setup(self.tagger, ParagraphTags(item), None)
            line.contents(link, self.late, entry.target, self.styles.text.regular, self.styles.size)
            out.append(line)
        out.append(PageBreakFlowable())
        return out

    def name_contents_links(self, pages: LatePages) -> None:
        """Each contents Link's name for screen readers ("Welcome, page 3"), once pages are known."""
        for link, text, anchor in self.contents_links:
            link.alt = contents_link_label(self.doc, text, int(pages.number_of(anchor)))

    def accessibility_statement(self) -> list[Flowable]:
        """The statement every visual format carries, through the normal block path: tagged
        H1, P, L/LI/Lbl/LBody and Link like the report's own blocks."""
        features: list = [
            "Tagged for screen readers: headings, lists and tables with header cells, "
            "read in the order of the report.",
            "Bookmarks for every heading, and a contents page that links to them.",
            ("A clear sans-serif typeface at {size} point, left aligned.", {"size": self.styles.size}),
            "Footnote numbers that link to their notes.",
        ]
        heading = Heading(1, (Text(statement_heading(self.doc)),), self.statement_id)
        out = [self.heading(heading, self.root, None)]
        blocks = accessibility_statement(self.doc, "PDF", features)
        out += self.blocks(tuple(blocks), self.root, None, 0)
        return out

    # ------------------------------------------------------------ blocks

    def block(self, block: Block, parent: StructElem, index: int | None, indent: float) -> list[Flowable]:
        if isinstance(block, Heading):
            return [self.heading(block, parent, index)]
        if isinstance(block, Paragraph):
            elem = parent.add("P")
            return [self.paragraph(self.inline_markup(block.inlines, elem), self.styles.body, elem, index)]
        if isinstance(block, (BulletList, OrderedList)):
            return self.item_list(block, parent, index, indent)
        if isinstance(block, Table):
            return self.table(block, parent, index, indent)
        if isinstance(block, Figure):
            return self.figure(block, parent, index, indent)
        if isinstance(block, Quote):
            return self.quote(block, parent, index, indent)
        if isinstance(block, ThematicBreak):
            return [
                ArtifactRule(
                    width="100%",
                    thickness=1,
                    color=black,
                    spaceBefore=self.styles.size * 0.5,
                    spaceAfter=self.styles.size,
                )
            ]
        if isinstance(block, PageBreak):
            return [PageBreakFlowable()]
        if isinstance(block, Footnotes):
            return self.footnotes(block, parent, index)
        raise TypeError(f"pdf: no layout for {type(block).__name__}")

    def blocks(
        self, blocks: tuple[Block, ...], parent: StructElem, index: int | None, indent: float
    ) -> list[Flowable]:
        out: list[Flowable] = []
        for block in blocks:
            out += self.block(block, parent, index, indent)
        return out

    @staticmethod
    def indented(flowables: list[Flowable], by: float) -> list[Flowable]:
        """Flowables in a frame narrowed on the left. `indent` arguments elsewhere are the total
        narrowing already applied, used to size tables and images."""
        return [Indenter(left=by), *flowables, Indenter(left=-by)] if flowables else []

    def heading(self, heading: Heading, parent: StructElem, index: int | None) -> Flowable:
        elem = parent.add(f"H{heading.level}")
        return self.paragraph(
            self.inline_markup(heading.inlines, elem),
            self.styles.heading(heading.level),
            elem,
            index,
            outline=(inline_text(heading.inlines), heading.id, heading.level),
            anchor=heading.id,
        )

    def paragraph(
        self,
        markup: str,
        style,
        elem: StructElem,
        index: int | None,
        *,
        outline: tuple | None = None,
        anchor: str = "",
        label: str | None = None,
        label_elem: StructElem | None = None,
    ) -> TaggedParagraph:
        if anchor:
            markup = f"<a name={quoteattr(anchor)}/>" + markup
        outline_entry = None
        if outline:
            title, key = outline[0], outline[1]
            level = outline[2] if len(outline) > 2 else 1
            # Outlines may not skip a level (ReportLab refuses), so a skip nests one deeper only.
            level = min(level, self.previous_outline_level + 1)
            self.previous_outline_level = level
            outline_entry = (title, key, level - 1)
        flowable = TaggedParagraph(markup, style, bulletText=label)
        return flowable.setup(self.tagger, ParagraphTags(elem, label=label_elem), index, outline_entry)

    # Not named `list`: a method of that name hides the built-in from the annotations below it.
    def item_list(
        self, block: BulletList | OrderedList, parent: StructElem, index: int | None, indent: float
    ) -> list[Flowable]:
        ordered = isinstance(block, OrderedList)
        labels = [
            f"{block.start + n}." if isinstance(block, OrderedList) else "\u2022"
            for n in range(len(block.items))
        ]
        size = self.styles.size
        label_width = max(stringWidth(label, self.styles.text.regular, size) for label in labels)
        label_width = max(label_width + size * 0.6, size * 1.4)
        list_elem = parent.add(
            "L", attributes={"O": "List", "ListNumbering": "Decimal" if ordered else "Disc"}
        )
        out: list[Flowable] = []
        for label, item in zip(labels, block.items):
            out += self.list_item(label, item, list_elem, index, indent, label_width)
        return out

    def list_item(
        self,
        label: str,
        item: tuple[Block, ...],
        list_elem: StructElem,
        index: int | None,
        indent: float,
        label_width: float,
    ) -> list[Flowable]:
        item_elem = list_elem.add("LI")
        label_elem = item_elem.add("Lbl")
        body = item_elem.add("LBody")
        first_inlines: tuple[Inline, ...] = ()
        rest = item
        if item and isinstance(item[0], Paragraph):
            first_inlines, rest = item[0].inlines, item[1:]
        first = body.add("P")
        # The label is the paragraph's bullet, hanging in the indent; when the item does not
        # start with a paragraph, a non-breaking space carries the label alone.
        markup = self.inline_markup(first_inlines, first) if first_inlines else "\u00a0"
        out: list[Flowable] = [
            self.paragraph(
                markup, self.styles.list_item(label_width), first, index, label=label, label_elem=label_elem
            )
        ]
        out += self.indented(self.blocks(rest, body, index, indent + label_width), label_width)
        return out

    def quote(self, block: Quote, parent: StructElem, index: int | None, indent: float) -> list[Flowable]:
        elem = parent.add("BlockQuote")
        by = self.styles.size * 2
        out = self.blocks(block.blocks, elem, index, indent + by)
        if block.attribution:
            attribution = elem.add("P")
            markup = "\u2014\u00a0" + self.inline_markup(block.attribution, attribution)
            out.append(self.paragraph(markup, self.styles.body, attribution, index))
        return self.indented(out, by)

    def figure(self, block: Figure, parent: StructElem, index: int | None, indent: float) -> list[Flowable]:
        path = Path(block.src)
        try:
            with PILImage.open(path) as picture:
                pixel_width, pixel_height = picture.size
        except (OSError, ValueError) as error:
            raise StageFailed(
                f"pdf: cannot read the image {path}: {error}. Check that the file "
                f"exists and is a PNG or JPEG."
            ) from None
        available = self.frame.width - indent
        width = min(pixel_width * 0.75, available)  # 96 px per inch
        height = width * pixel_height / pixel_width
        if height > self.frame.height * 0.6:
            height = self.frame.height * 0.6
            width = height * pixel_width / pixel_height
        image = TaggedImage(str(path), width=width, height=height, hAlign="LEFT")
        if block.decorative:
            image.setup(self.tagger, None, index)
            return [image, Spacer(1, self.styles.size * 0.5)]
        group = parent.add("Div")
        image.setup(self.tagger, group.add("Figure", alt=block.alt), index)
        caption_flowable = None
        if block.caption:
            caption = group.add("Caption")
            caption_flowable = self.paragraph(
                self.inline_markup(block.caption, caption), self.styles.figure_caption, caption, index
            )
        return [FittingFigure(image, self.styles.size * 0.3, caption_flowable, self.frame.height)]

    def table(self, block: Table, parent: StructElem, index: int | None, indent: float) -> list[Flowable]:
        table_elem = parent.add("Table")
        out: list[Flowable] = []
        if block.caption:
            caption = table_elem.add("Caption")
            out.append(
                self.paragraph(
                    self.inline_markup(block.caption, caption), self.styles.caption, caption, index
                )
            )
        rows = block.header_rows + block.body_rows
        columns = max((sum(cell.colspan for cell in row) for row in rows), default=0)
        if not columns:
            return out
        widths, turn = self.column_widths(block, columns, self.frame.width - indent)
        grid, spans, header_cells = self.table_grid(block, table_elem, columns)
        # FONT: cells otherwise select Helvetica (never embedded) before drawing their contents.
        style = [
            ("FONT", (0, 0), (-1, -1), self.styles.text.regular, self.styles.size),
            ("GRID", (0, 0), (-1, -1), 0.75, black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), self.styles.size * 0.4),
            ("RIGHTPADDING", (0, 0), (-1, -1), self.styles.size * 0.4),
            *spans,
        ]
        if block.header_rows:
            style.append(("BACKGROUND", (0, 0), (-1, len(block.header_rows) - 1), HEADER_BACKGROUND))
        table = TaggedTable(
            grid,
            colWidths=widths,
            style=style,
            repeatRows=len(block.header_rows),
            hAlign="LEFT",
            renderCB=TableTagging(self.tagger, header_cells),
        )
        table.block_index = index
        table.full_page_height = self.frame.height
        out.append(table)
        out.append(Spacer(1, self.styles.size * 0.75))
        if turn:
            # Too wide for a portrait page, not for a landscape one: the table has landscape
            # pages of its own, and the report goes on in portrait after it.
            return [
                NextPageTemplate("Landscape"),
                PageBreakFlowable(),
                *out,
                NextPageTemplate("Later"),
                PageBreakFlowable(),
            ]
        return out

    def column_widths(self, block: Table, columns: int, available: float) -> tuple[list[float], bool]:
        """Each column at least as wide as its longest word (bold in header cells), so no word
        is ever split inside a cell; the rest of the width shared by how much text each column
        holds. (widths, True) when only a landscape page is wide enough."""
        padding = self.styles.size * 0.8 + 1.5
        minimum = [self.styles.size * 2.0] * columns
        amount = [1.0] * columns
        for row_number, row in enumerate(block.header_rows + block.body_rows):
            header = row_number < len(block.header_rows)
            column = 0
            for cell_number, cell in enumerate(row):
                if column >= columns:
                    break
                bold = header or (block.row_headers and cell_number == 0)
                font = self.styles.text.bold if bold else self.styles.text.regular
                text = " ".join(
                    inline_text(b.inlines)
                    if isinstance(b, Paragraph)
                    else " ".join(
                        inline_text(p.inlines) for p in iter_blocks((b,)) if isinstance(p, Paragraph)
                    )
                    for b in cell.blocks
                )
                longest = max(
                    (stringWidth(word, font, self.styles.size) for word in text.split()), default=0.0
                )
                if cell.colspan == 1:
                    minimum[column] = max(minimum[column], longest + padding)
                    amount[column] += stringWidth(text, font, self.styles.size)
                column += cell.colspan
        needed = sum(minimum)
        turn = False
        if needed > available:
            wide = self.frame.landscape_width - (self.frame.width - available)
            if needed > wide:
                where = f" (line {block.line})" if block.line else ""
                caption = inline_text(block.caption).strip() or "a table"
                raise StageFailed(
                    f"pdf: the table '{caption}'{where} has {columns} columns whose longest "
                    f"words need {needed / cm:.1f} cm side by side at {self.styles.size} pt, "
                    f"but even a landscape page holds {wide / cm:.1f} cm. Split it into "
                    f"narrower tables, or shorten its longest words (headings such as "
                    f"'Organisations' can be abbreviated with a note), then build again."
                )
            available, turn = wide, True
        spare = available - needed
        total = sum(amount)
        return [m + spare * a / total for m, a in zip(minimum, amount)], turn

    def table_grid(self, block: Table, table_elem: StructElem, columns: int):
        """Rows of cell flowable lists (spanned-over places empty), SPAN commands, and the ids
        of header cells (so a repeated header row can be drawn as an artifact)."""
        rows = block.header_rows + block.body_rows
        grid: list[list[object]] = [["" for _ in range(columns)] for _ in rows]
        taken = [[False] * columns for _ in rows]
        spans: list[tuple] = []
        header_cells: set[int] = set()
        for row_number, row in enumerate(rows):
            is_header_row = row_number < len(block.header_rows)
            row_elem = table_elem.add("TR")
            column = 0
            for cell_number, cell in enumerate(row):
                while column < columns and taken[row_number][column]:
                    column += 1
                if column >= columns:
                    break
                row_header = block.row_headers and cell_number == 0 and not is_header_row
                contents = self.cell(cell, row_elem, is_header_row, row_header)
                grid[row_number][column] = contents
                if is_header_row:
                    header_cells.add(id(contents))
                last_column = min(column + cell.colspan, columns) - 1
                last_row = min(row_number + cell.rowspan, len(rows)) - 1
                for r in range(row_number, last_row + 1):
                    for c in range(column, last_column + 1):
                        taken[r][c] = True
                if (last_column, last_row) != (column, row_number):
                    spans.append(("SPAN", (column, row_number), (last_column, last_row)))
                column = last_column + 1
        return grid, spans, header_cells

    def cell(
        self, cell: TableCell, row_elem: StructElem, is_header_row: bool, row_header: bool
    ) -> list[Flowable]:
        attributes: dict[str, object] = {"O": "Table"}
        if is_header_row or row_header:
            attributes["Scope"] = "Column" if is_header_row else "Row"
        if cell.colspan > 1:
            attributes["ColSpan"] = cell.colspan
        if cell.rowspan > 1:
            attributes["RowSpan"] = cell.rowspan
        elem = row_elem.add("TH" if (is_header_row or row_header) else "TD", attributes=attributes)
        style = self.styles.header_cell if (is_header_row or row_header) else self.styles.cell
        out: list[Flowable] = []
        for block in cell.blocks:
            if isinstance(block, Paragraph):
                paragraph = elem.add("P")
                out.append(
                    self.paragraph(self.inline_markup(block.inlines, paragraph), style, paragraph, None)
                )
            else:
                out += self.block(block, elem, None, 0)
        return out

    def footnotes(self, block: Footnotes, parent: StructElem, index: int | None) -> list[Flowable]:
        if not block.notes:
            return []
        heading = notes_heading(self.doc)
        out = [
            self.paragraph(
                escape(heading),
                self.styles.heading(1),
                parent.add("H1"),
                index,
                outline=(heading, self.notes_id),
                anchor=self.notes_id,
            )
        ]
        for note in block.notes:
            note_elem = parent.add("Note", elem_id=f"note-{note.number}")
            rest = note.blocks
            first_inlines: tuple[Inline, ...] = ()
            if rest and isinstance(rest[0], Paragraph):
                first_inlines, rest = rest[0].inlines, rest[1:]
            first = note_elem.add("P")
            markup = f"{note.number}.\u00a0" + self.inline_markup(first_inlines, first)
            out.append(self.paragraph(markup, self.styles.body, first, index, anchor=f"note-{note.number}"))
            out += self.blocks(rest, note_elem, index, 0)
        return out

    # ------------------------------------------------------------ inlines

    def inline_markup(self, inlines: tuple[Inline, ...], parent: StructElem) -> str:
        return "".join(self.inline(node, parent) for node in inlines)

    def tagged(self, elem: StructElem, inner: str) -> str:
        key = self.tagger.register_inline(elem)
        return f'<onDraw name="tag_open" label="{key}"/>{inner}<onDraw name="tag_close" label="{key}"/>'

    def inline(self, node: Inline, parent: StructElem) -> str:
        if isinstance(node, Text):
            return escape(node.text)
        if isinstance(node, Emphasis):
            return f"<i>{self.inline_markup(node.inlines, parent)}</i>"
        if isinstance(node, Strong):
            return f"<b>{self.inline_markup(node.inlines, parent)}</b>"
        if isinstance(node, Code):
            elem = parent.detached("Code")
            return self.tagged(elem, f'<font face="{self.styles.mono.regular}">{escape(node.text)}</font>')
        if isinstance(node, LineBreak):
            return "<br/>"
        if isinstance(node, Span):
            elem = parent.detached("Span", lang=node.lang)
            return self.tagged(elem, self.inline_markup(node.inlines, elem))
        if isinstance(node, Link):
            return self.link(node, parent)
        if isinstance(node, NoteRef):
            return self.note_reference(node, parent)
        raise TypeError(f"pdf: no layout for {type(node).__name__}")

    def link(self, node: Link, parent: StructElem) -> str:
        url = node.url
        text = inline_text(node.inlines)
        if url.startswith("#") and url[1:] not in self.anchors:
            # A link to nowhere would make ReportLab fail at save: keep the words, drop the link.
            return self.inline_markup(node.inlines, parent)
        elem = parent.detached("Link", alt=text or url, link_target=url)
        inner = self.inline_markup(node.inlines, elem)
        # Colour, not underline: ReportLab draws underlines outside the text object, untagged.
        return self.tagged(elem, f'<a href={quoteattr(url)} color="#0645AD">{inner}</a>')

    def note_reference(self, node: NoteRef, parent: StructElem) -> str:
        reference = parent.detached("Reference")
        marker = f"<super>{node.number}</super>"
        if node.number in self.note_numbers:
            link = reference.detached("Link", alt=f"note {node.number}", link_target=f"#note-{node.number}")
            marker = self.tagged(link, f'<a href="#note-{node.number}">{marker}</a>')
        return self.tagged(reference, marker)
