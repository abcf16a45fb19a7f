"""Word's body (and each note's body) -> the model's blocks.

Two passes, as in Pandoc's Docx reader: `StoryReader` walks the XML into a flat sequence of
paragraph records (style kind, list mark, indentation, inlines) and finished blocks (tables,
figures, page breaks); `assemble` then groups what Word keeps flat: list paragraphs into nested
lists, quote paragraphs into one Quote, captions onto the table or figure beside them.

What Word stores and how it is read:
- tracked changes as if accepted: w:ins/w:moveTo kept, w:del/w:moveFrom dropped;
- comments ignored (ranges, references and the comments part);
- content controls (w:sdt), smart tags, custom XML and simple fields unwrapped to their text;
  complex fields (fldChar begin/separate/end) give their shown result, HYPERLINK and REF \\h
  fields become links;
- text boxes (wps:txbx, v:textbox) are read in place: their blocks follow the paragraph they are
  anchored in; pictures likewise become Figures after their paragraph, since the model's figures
  are blocks;
- w:br type=page, pageBreakBefore and section breaks inside the text become PageBreak;
- paragraphs in the "TOC n" styles are left out: every format builds its own contents list, and a
  copied one would be read out twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ...document import (
    Block,
    BulletList,
    Figure,
    Heading,
    Inline,
    OrderedList,
    PageBreak,
    Paragraph,
    Quote,
    Table,
    TableCell,
    ThematicBreak,
    inline_text,
)
from ...limits import MAX_TABLE_COLUMNS, link_is_allowed
from .images import PictureUnusable
from .inlines import Piece, build_inlines
from .numbering import ListMark
from .styles import indent_twips, is_monospace
from .symbols import SYMBOL_FONTS
from .xml import NS, attr, child, on, q, val

_HYPERLINK_FIELD = re.compile(r'^\s*HYPERLINK\s+(?:"([^"]*)")?\s*(?:\\l\s+"([^"]*)")?', re.I)
_HYPERLINK_ANCHOR = re.compile(r'\\l\s+"([^"]*)"', re.I)
_REF_FIELD = re.compile(r"^\s*(?:REF|PAGEREF|NOTEREF)\s+(\S+).*\\h", re.I)
_QUOTE_INDENT_TWIPS = 360  # a quarter inch: less than that is layout, not a quotation


@dataclass
class RawParagraph:
    kind: str  # from styles.ParagraphStyle.kind
    level: int
    inlines: tuple[Inline, ...]
    line: int | None
    mark: ListMark | None
    indent: int  # left indent beyond the style's own, in twips (0: none)
    style_name: str
    unnumbered: bool = False  # numbering explicitly switched off (w:numId 0): a list item's
    # further paragraph, as Word writes after Backspace on a bullet
    all_bold: bool = False  # every letter is bold (a "fake heading" when the style is Normal)


@dataclass
class RawCaption:
    inlines: tuple[Inline, ...]
    line: int | None


@dataclass
class FieldState:
    """One open complex field: its instruction, and whether its shown result has started."""

    instruction: str = ""
    in_result: bool = False
    link: str | None = None


@dataclass
class _Format:
    bold: bool = False
    italic: bool = False
    code: bool = False
    lang: str | None = None


@dataclass
class ParagraphOut:
    """What walking one paragraph produced: pieces of the current segment and blocks after it."""

    pieces: list[Piece] = field(default_factory=list)
    after: list[Block] = field(default_factory=list)  # figures and text-box blocks
    segments: list[tuple[list[Piece], list[Block]]] = field(default_factory=list)
    bookmarks: list[str] = field(default_factory=list)
    line: int | None = None

    def page_break(self) -> None:
        self.segments.append((self.pieces, self.after))
        self.pieces, self.after = [], []

    def finish(self) -> list[tuple[list[Piece], list[Block]]]:
        self.segments.append((self.pieces, self.after))
        return self.segments

    def text_so_far(self) -> str:
        return "".join(p.text for p in self.pieces if p.kind in ("text", "code"))


class StoryReader:
    """Reads one story (the body, or one note) of one part; shares the document-wide context."""

    def __init__(self, context, part, *, top_level: bool, note_line: int | None = None):
        self.context = context  # body.DocumentContext-like: see reader.py
        self.part = part  # python-docx Part: for relationships (links, pictures)
        self.top_level = top_level  # the body itself (headings allowed) vs a note or a cell
        self.note_line = note_line  # a note's paragraphs report their reference's paragraph
        self.fields: list[FieldState] = []
        self.drop_cap: list[Piece] = []

    # ------------------------------------------------------------ blocks

    def read_blocks(self, container) -> list[Block]:
        return assemble(self._raw_items(container), self, top_level=self.top_level)

    def _raw_items(self, container) -> list:
        items: list = []
        for element in container:
            if element.tag == q("w:p"):
                items.extend(self._paragraph(element))
            elif element.tag == q("w:tbl"):
                table = self._table(element)
                if table is not None:
                    items.append(table)
            elif element.tag == q("w:sdt"):
                content = child(element, "w:sdtContent")
                if content is not None:
                    items.extend(self._raw_items(content))
            elif element.tag in (q("w:customXml"), q("w:ins"), q("w:moveTo"), q("w:smartTag")):
                items.extend(self._raw_items(element))
            elif element.tag == q("mc:AlternateContent"):
                chosen = _alternate_choice(element)
                if chosen is not None:
                    items.extend(self._raw_items(chosen))
            elif element.tag == q("w:altChunk"):
                self.context.skipped_alt_chunk(self.part, attr(element, "r:id"), self.context.last_text)
            # w:sectPr, w:bookmarkStart, w:del, comments... carry no readable content here
        return items

    # ------------------------------------------------------------ paragraphs

    def _line(self, paragraph) -> int | None:
        if self.note_line is not None:
            return self.note_line
        return self.context.paragraph_numbers.get(paragraph)

    def _paragraph(self, paragraph) -> list:
        ppr = child(paragraph, "w:pPr")
        style = self.context.styles.paragraph(val(ppr, "w:pStyle"))
        if style.name.startswith("toc ") or style.name == "toc heading":
            self.context.skip("table of contents (made again from the headings)", paragraph)
            return []
        line = self._line(paragraph)
        out = ParagraphOut(line=line)
        self._walk_children(paragraph, out, _Format(), link=None)
        if attr(child(ppr, "w:framePr"), "w:dropCap") in ("drop", "margin"):
            # A drop cap is a one-letter frame paragraph; its letter starts the next paragraph.
            self.drop_cap = out.pieces
            return []
        if self.drop_cap:
            first = out.segments[0][0] if out.segments else out.pieces
            first[:0] = self.drop_cap
            self.drop_cap = []
        segments = out.finish()
        self.context.record_bookmarks(out.bookmarks, line)

        items: list = []
        if on(ppr, "w:pageBreakBefore"):
            items.append(PageBreak(line=line))
        mark = self._list_mark(ppr, style) if any(s[0] for s in segments) else None
        indent = _relative_indent(ppr, style)
        for index, (pieces, after) in enumerate(segments):
            if index:
                items.append(PageBreak(line=line))
            inlines = build_inlines(pieces)
            if inlines:
                all_bold = all(p.bold for p in pieces if p.kind == "text" and p.text.strip())
                if style.kind == "caption" or _has_seq_field(paragraph):
                    items.append(RawCaption(inlines, line))
                else:
                    items.append(
                        RawParagraph(
                            style.kind,
                            style.level,
                            inlines,
                            line,
                            mark if index == 0 else None,
                            indent,
                            style.name,
                            all_bold=all_bold,
                            unnumbered=val(ppr, "w:numPr/w:numId") == "0",
                        )
                    )
                    mark = None
                self.context.last_text = inline_text(inlines) or self.context.last_text
            items.extend(after)
        if (
            self.top_level
            and child(ppr, "w:sectPr") is not None
            and val(ppr, "w:sectPr/w:type", "nextPage") in ("nextPage", "oddPage", "evenPage")
        ):
            items.append(PageBreak(line=line))
        return items

    def _list_mark(self, ppr, style) -> ListMark | None:
        num_id = val(ppr, "w:numPr/w:numId") or style.num_id
        ilvl = val(ppr, "w:numPr/w:ilvl")
        level = int(ilvl) if ilvl is not None else style.ilvl
        if style.kind == "heading":  # numbered headings ("1.2 Method") stay headings
            return None
        return self.context.numbering.mark(num_id, level)

    # ------------------------------------------------------------ inline walk

    def _walk_children(self, element, out: ParagraphOut, fmt: _Format, link) -> None:
        for node in element:
            self._walk(node, out, fmt, link)

    def _walk(self, node, out: ParagraphOut, fmt: _Format, link) -> None:
        tag = node.tag
        if not isinstance(tag, str):
            return
        if tag == q("w:r"):
            self._run(node, out, link)
        elif tag == q("w:hyperlink"):
            self._walk_children(node, out, fmt, self._checked_link(self._hyperlink_target(node), out) or link)
        elif tag in (q("w:ins"), q("w:moveTo"), q("w:smartTag"), q("w:customXml"), q("w:dir"), q("w:bdo")):
            self._walk_children(node, out, fmt, link)
        elif tag == q("w:sdt"):
            content = child(node, "w:sdtContent")
            if content is not None:
                self._walk_children(content, out, fmt, link)
        elif tag == q("w:fldSimple"):
            self._walk_children(
                node, out, fmt, self._checked_link(_field_link(attr(node, "w:instr", "")), out) or link
            )
        elif tag == q("w:bookmarkStart"):
            name = attr(node, "w:name")
            if name:
                out.bookmarks.append(name)
        elif tag == q("mc:AlternateContent"):
            chosen = _alternate_choice(node)
            if chosen is not None:
                self._walk_children(chosen, out, fmt, link)
        # w:del, w:moveFrom, w:commentRangeStart/End, w:proofErr, w:pPr: nothing to read

    def _hyperlink_target(self, node) -> str | None:
        rel_id = attr(node, "r:id")
        anchor = attr(node, "w:anchor")
        if rel_id and rel_id in self.part.rels:
            target = self.part.rels[rel_id].target_ref
            return f"{target}#{anchor}" if anchor else target
        if anchor:
            return f"#{anchor}"
        return None

    def _checked_link(self, url: str | None, out: ParagraphOut) -> str | None:
        """The link if it may become one (limits.link_is_allowed), else None, with a problem
        naming it once per paragraph: its words stay, as plain text."""
        if not url or link_is_allowed(url):
            return url
        key = (out.line, url)
        if key not in self.context.reported_links:
            self.context.reported_links.add(key)
            self.context.validator.unsafe_link(
                out.line, url, out.text_so_far().strip() or self.context.last_text
            )
        return None

    def _run(self, run, out: ParagraphOut, link) -> None:
        rpr = child(run, "w:rPr")
        if on(rpr, "w:vanish") or on(rpr, "w:specVanish"):
            self.context.skip("hidden text (not shown in Word)", run)
            return  # hidden text: not shown in Word, not read here
        fmt = self._run_format(rpr)
        for node in run:
            tag = node.tag
            if tag == q("w:fldChar"):
                self._field_char(node)
                continue
            if tag == q("w:instrText"):
                if self.fields and not self.fields[-1].in_result:
                    self.fields[-1].instruction += node.text or ""
                continue
            if self.fields and not self.fields[-1].in_result:
                continue  # the field's instruction, not its shown result
            field_link = next((f.link for f in reversed(self.fields) if f.link), None)
            self._run_content(node, out, fmt, self._checked_link(field_link, out) or link)

    def _run_format(self, rpr) -> _Format:
        styled = self.context.styles.run(val(rpr, "w:rStyle"))
        bold = on(rpr, "w:b")
        italic = on(rpr, "w:i")
        lang = self._run_language(rpr) or styled.lang
        return _Format(
            bold=bold if bold is not None else bool(styled.bold),
            italic=italic if italic is not None else bool(styled.italic),
            code=styled.code or is_monospace(attr(child(rpr, "w:rFonts"), "w:ascii")),
            lang=self.context.foreign_language(lang),
        )

    @staticmethod
    def _run_language(rpr) -> str | None:
        lang = child(rpr, "w:lang")
        if lang is None:
            return None
        if on(rpr, "w:rtl") or on(rpr, "w:cs"):
            return attr(lang, "w:bidi") or attr(lang, "w:val")
        return attr(lang, "w:val")

    def _field_char(self, node) -> None:
        kind = attr(node, "w:fldCharType")
        if kind == "begin":
            self.fields.append(FieldState())
        elif kind == "separate" and self.fields:
            state = self.fields[-1]
            state.in_result = True
            state.link = _field_link(state.instruction)
        elif kind == "end" and self.fields:
            self.fields.pop()

    def _run_content(self, node, out: ParagraphOut, fmt: _Format, link) -> None:
        tag = node.tag

        def add(text: str, kind: str = "text") -> None:
            out.pieces.append(
                Piece(
                    text,
                    "code" if fmt.code and kind == "text" else kind,
                    fmt.bold,
                    fmt.italic,
                    fmt.lang,
                    link,
                )
            )

        if tag == q("w:t"):
            if self.part is self.context.main_part:  # notes are counted apart
                self.context.text_runs_read += 1
            add(node.text or "")
        elif tag in (q("w:tab"), q("w:ptab")):
            add(" ")
        elif tag == q("w:br"):
            if attr(node, "w:type") == "page":
                out.page_break()
            elif attr(node, "w:type") != "column":
                add("", "break")
        elif tag == q("w:cr"):
            add("", "break")
        elif tag == q("w:noBreakHyphen"):
            add("\u2011")
        elif tag == q("w:softHyphen"):
            add("\u00ad")
        elif tag == q("w:sym"):
            add(_symbol(attr(node, "w:font"), attr(node, "w:char")))
        elif tag in (q("w:footnoteReference"), q("w:endnoteReference")):
            kind = "footnote" if tag == q("w:footnoteReference") else "endnote"
            note_ref = self.context.notes.reference(kind, attr(node, "w:id"), out.line)
            if note_ref is not None:
                out.pieces.append(Piece("", "note", fmt.bold, fmt.italic, fmt.lang, link, note_ref))
        elif tag == q("w:drawing"):
            self._drawing(node, out)
        elif tag in (q("w:pict"), q("w:object")):
            self._vml(node, out)
        elif tag == q("mc:AlternateContent"):
            chosen = _alternate_choice(node)
            if chosen is not None:
                for inner in chosen:
                    self._run_content(inner, out, fmt, link)
        # w:delText, w:rPr, w:lastRenderedPageBreak, w:footnoteRef, w:annotationRef: nothing

    # ------------------------------------------------------------ pictures and text boxes

    def _drawing(self, drawing, out: ParagraphOut) -> None:
        for textbox in drawing.iter(q("w:txbxContent")):
            out.after.extend(self._textbox_blocks(textbox))
        doc_pr = drawing.find(".//wp:docPr", NS)
        described = doc_pr.get("descr") if doc_pr is not None else None
        titled = doc_pr.get("title") if doc_pr is not None else None
        alt = (described or "").strip() or (titled or "").strip()
        decorative = any(mark.get("val") in ("1", "true") for mark in drawing.iter(q("adec:decorative")))
        for blip in drawing.iter(q("a:blip")):
            rel_id = attr(blip, "r:embed") or attr(blip, "r:link")
            self._figure(rel_id, alt.strip(), decorative, out)

    def _vml(self, node, out: ParagraphOut) -> None:
        for textbox in node.iter(q("w:txbxContent")):
            out.after.extend(self._textbox_blocks(textbox))
        for rect in node.iter(q("v:rect")):
            if rect.get(q("o:hr")) in ("t", "true"):
                out.after.append(ThematicBreak(line=out.line))
        for imagedata in node.iter(q("v:imagedata")):
            shape = imagedata.getparent()
            alt = (shape.get("alt") if shape is not None else None) or imagedata.get(q("o:title")) or ""
            self._figure(attr(imagedata, "r:id"), alt.strip(), False, out)

    def _textbox_blocks(self, textbox) -> list[Block]:
        inner = StoryReader(self.context, self.part, top_level=False, note_line=self.note_line)
        return inner.read_blocks(textbox)

    def _figure(self, rel_id: str | None, alt: str, decorative: bool, out: ParagraphOut) -> None:
        line = out.line
        before = out.text_so_far().strip() or self.context.last_text
        rel = self.part.rels.get(rel_id) if rel_id else None
        if rel is None or rel.is_external:
            self.context.problem_picture_linked(line, before)
            return
        target = rel.target_part
        try:
            src = self.context.images.extract(str(target.partname), target.blob)
        except PictureUnusable as error:
            self.context.problem_picture_unusable(line, before, str(error))
            return
        if not alt and not decorative:
            self.context.problem_no_alt(line, before)
        out.after.append(Figure(src, "" if decorative else alt, (), decorative=decorative, line=line))

    # ------------------------------------------------------------ tables

    def _table(self, table) -> Table | None:
        line = self.context.paragraph_numbers.get(next(table.iter(q("w:p")), None))
        before = self.context.last_text
        columns = len(table.findall(q("w:tblGrid") + "/" + q("w:gridCol")))
        if columns > MAX_TABLE_COLUMNS:
            self.context.validator.table_too_wide(line, before, columns)
        grid: list[list[TableCell]] = []
        header_flags: list[bool] = []
        open_cells: dict[int, tuple[int, int]] = {}  # grid column -> (row, cell index)
        for row in table.findall(q("w:tr")):
            row_cells: list[TableCell] = []
            column = _whole_number(val(row, "w:trPr/w:gridBefore", "0"), 0)
            for cell in _row_cells(row):
                tcpr = child(cell, "w:tcPr")
                span = _whole_number(val(tcpr, "w:gridSpan", "1"), 1)
                merge = child(tcpr, "w:vMerge")
                if (
                    merge is not None
                    and attr(merge, "w:val", "continue") == "continue"
                    and column in open_cells
                ):
                    row_index, cell_index = open_cells[column]
                    above = grid[row_index][cell_index]
                    grid[row_index][cell_index] = replace(above, rowspan=above.rowspan + 1)
                    column += span
                    continue
                cell_reader = StoryReader(self.context, self.part, top_level=False)
                blocks = tuple(cell_reader.read_blocks(cell))
                row_cells.append(TableCell(blocks, colspan=span))
                for covered in range(column, column + span):
                    open_cells.pop(covered, None)
                if merge is not None:  # "restart": later rows may continue it
                    open_cells[column] = (len(grid), len(row_cells) - 1)
                column += span
            grid.append(row_cells)
            header_flags.append(on(child(row, "w:trPr"), "w:tblHeader") is True)
        if not any(grid):
            return None
        header_count = _leading_true(header_flags)
        if header_count == 0 and _first_row_styled_as_header(table):
            header_count = 1
        header_count = min(header_count, len(grid))
        header_count = _extend_over_rowspans(grid, header_count)
        rows = [tuple(cell for cell in row if cell is not None) for row in grid]
        if header_count == 0:
            self.context.problem_table_without_header(line, before)
        return Table((), tuple(rows[:header_count]), tuple(rows[header_count:]), line=line)


# ---------------------------------------------------------------- assembly


def assemble(items: list, reader: StoryReader, *, top_level: bool) -> list[Block]:
    """Group a story's flat items into lists, quotes and captioned tables and figures."""
    blocks: list = []
    index = 0
    while index < len(items):
        item = items[index]
        if isinstance(item, RawParagraph) and item.mark is not None:
            end = _list_run_end(items, index)
            blocks.extend(_build_lists(items[index:end], reader))
            index = end
            continue
        if isinstance(item, RawParagraph) and _is_quote(item):
            end = index
            while (
                end < len(items)
                and isinstance(items[end], RawParagraph)
                and _is_quote(items[end])
                and items[end].mark is None
            ):
                end += 1
            inner = [_plain_block(p, reader, top_level=False) for p in items[index:end]]
            blocks.append(Quote(tuple(b for b in inner if b is not None), line=item.line))
            index = end
            continue
        if isinstance(item, RawParagraph):
            block = _plain_block(item, reader, top_level=top_level)
            if block is not None:
                blocks.append(block)
        else:
            blocks.append(item)
        index += 1
    return _attach_captions(blocks)


def _is_quote(item: RawParagraph) -> bool:
    """The Quote styles, or (as most authors make quotations) a Normal paragraph indented."""
    return item.kind == "quote" or (
        item.kind == "normal"
        and item.mark is None
        and not item.unnumbered
        and item.indent >= _QUOTE_INDENT_TWIPS
    )


def _plain_block(item: RawParagraph, reader: StoryReader, *, top_level: bool):
    """A non-list paragraph: heading, metadata (title...), or paragraph."""
    if top_level and item.kind in ("title", "subtitle", "author", "date", "abstract"):
        reader.context.take_metadata_paragraph(item.kind, item.inlines)
        return None
    if item.kind == "heading" and top_level and 1 <= item.level <= 6:
        heading_id = reader.context.heading_id(inline_text(item.inlines))
        reader.context.record_heading(heading_id, item)
        return Heading(item.level, item.inlines, heading_id, line=item.line)
    if item.kind == "heading" and top_level and item.level > 6:
        reader.context.problem_heading_too_deep(item)
    if top_level and item.kind == "normal" and item.all_bold:
        reader.context.note_bold_paragraph(item)
    return Paragraph(item.inlines, line=item.line)


def _list_run_end(items: list, start: int) -> int:
    """Index after the list paragraphs (and their indented continuation paragraphs) from start."""
    end = start + 1
    while end < len(items):
        item = items[end]
        if not isinstance(item, (RawParagraph, Figure)):
            break
        if isinstance(item, Figure) or item.mark is not None:
            end += 1
            continue
        if item.kind == "normal" and (
            item.unnumbered
            or item.style_name in ("list paragraph", "list continue", "list continue 2", "list continue 3")
        ):
            end += 1  # an indented paragraph under an item belongs to that item
            continue
        break
    return end


@dataclass
class _OpenList:
    level: int
    num_id: str
    ordered: bool
    start: int
    items: list[list[Block]] = field(default_factory=list)
    line: int | None = None

    def block(self) -> Block:
        items = tuple(tuple(item) for item in self.items)
        if self.ordered:
            return OrderedList(items, start=self.start, line=self.line)
        return BulletList(items, line=self.line)


def _build_lists(items: list, reader: StoryReader) -> list[Block]:
    """Nest flat list paragraphs by level; a new numbering instance at a level starts a new list."""
    out: list[Block] = []
    stack: list[_OpenList] = []

    def close_top() -> None:
        finished = stack.pop()
        if stack:
            stack[-1].items[-1].append(finished.block())
        else:
            out.append(finished.block())

    for item in items:
        if isinstance(item, RawParagraph) and item.mark is not None:
            mark = item.mark
            while stack and stack[-1].level > mark.level:
                close_top()
            if (
                stack
                and stack[-1].level == mark.level
                and (stack[-1].num_id != mark.num_id or stack[-1].ordered != mark.ordered)
            ):
                close_top()
            if not stack or stack[-1].level < mark.level:
                if stack and not stack[-1].items:
                    stack[-1].items.append([])
                stack.append(_OpenList(mark.level, mark.num_id, mark.ordered, mark.number, line=item.line))
            stack[-1].items.append([_item_paragraph(item)])
        else:
            block = item if isinstance(item, Figure) else _item_paragraph(item)
            if stack and stack[-1].items:
                stack[-1].items[-1].append(block)
            else:
                out.append(block)
    while stack:
        close_top()
    return out


def _item_paragraph(item: RawParagraph) -> Paragraph:
    return Paragraph(item.inlines, line=item.line)


def _attach_captions(blocks: list) -> list[Block]:
    """A Caption paragraph names the table after it, else the table or figure before it, else
    the figure after it (Word puts table captions above and figure captions below by default)."""
    out: list = list(blocks)
    index = 0
    while index < len(out):
        item = out[index]
        if not isinstance(item, RawCaption):
            index += 1
            continue
        after = out[index + 1] if index + 1 < len(out) else None
        before = out[index - 1] if index > 0 else None
        if isinstance(after, Table) and not after.caption:
            out[index + 1] = replace(after, caption=item.inlines)
        elif isinstance(before, (Table, Figure)) and not before.caption:
            out[index - 1] = replace(before, caption=item.inlines)
        elif isinstance(after, Figure) and not after.caption:
            out[index + 1] = replace(after, caption=item.inlines)
        else:
            out[index] = Paragraph(item.inlines, line=item.line)
            index += 1
            continue
        del out[index]
    return out


# ---------------------------------------------------------------- small helpers


def _alternate_choice(element):
    """mc:AlternateContent: read the first Choice (DrawingML, which we understand), never both."""
    choice = element.find("mc:Choice", NS)
    return choice if choice is not None else element.find("mc:Fallback", NS)


def _field_link(instruction: str) -> str | None:
    match = _HYPERLINK_FIELD.match(instruction or "")
    if match and (match.group(1) or match.group(2)):
        anchor = match.group(2) or (_HYPERLINK_ANCHOR.search(instruction) or [None, None])[1]
        if match.group(1):
            return f"{match.group(1)}#{anchor}" if anchor else match.group(1)
        return f"#{anchor}"
    ref = _REF_FIELD.match(instruction or "")
    if ref:
        return f"#{ref.group(1)}"
    return None


def _has_seq_field(paragraph) -> bool:
    instructions = [attr(f, "w:instr", "") for f in paragraph.iter(q("w:fldSimple"))]
    instructions += [t.text or "" for t in paragraph.iter(q("w:instrText"))]
    return any(re.match(r"\s*SEQ\s+(Table|Figure|Chart|Picture)\b", text, re.I) for text in instructions)


def _whole_number(text: str | None, default: int) -> int:
    """A count from the XML (gridSpan, gridBefore); a damaged value counts as the default
    rather than stopping the whole reading with a traceback."""
    try:
        return max(0, int(text or default))
    except ValueError:
        return default


def _symbol(font: str | None, code: str | None) -> str:
    """w:sym: a character of a symbol font, by its position in that font, as Unicode."""
    try:
        number = int(code or "", 16)
    except ValueError:
        return ""
    if 0xF000 <= number <= 0xF0FF:  # fonts put their symbols in the private use area
        number -= 0xF000
    table = SYMBOL_FONTS.get((font or "").strip().lower())
    if table is None:
        return chr(number) if number >= 0x100 else ""
    return table.get(number, "")


def _relative_indent(ppr, style) -> int:
    """How much further in than its style the paragraph is set (0 without direct indentation)."""
    ind = child(ppr, "w:ind")
    return 0 if ind is None else indent_twips(ind) - style.indent


def _row_cells(row):
    """The row's w:tc elements, looking through content controls and custom XML wrappers."""
    for element in row:
        if element.tag == q("w:tc"):
            yield element
        elif element.tag in (q("w:sdt"), q("w:customXml")):
            content = child(element, "w:sdtContent") if element.tag == q("w:sdt") else element
            if content is not None:
                yield from _row_cells(content)


def _leading_true(flags: list[bool]) -> int:
    count = 0
    for flag in flags:
        if not flag:
            break
        count += 1
    return count


def _first_row_styled_as_header(table) -> bool:
    """Table Design > Header Row: w:tblLook firstRow="1", or bit 0x0020 of the older w:val."""
    look = child(table, "w:tblPr/w:tblLook")
    if look is None:
        return False
    first_row = attr(look, "w:firstRow")
    if first_row is not None:
        return first_row in ("1", "true", "on")
    try:
        return bool(int(attr(look, "w:val", "0"), 16) & 0x0020)
    except ValueError:
        return False


def _extend_over_rowspans(grid: list[list[TableCell]], header_count: int) -> int:
    """A header cell merged down into the next rows makes those rows header rows too."""
    count = header_count
    changed = True
    while changed:
        changed = False
        for row_index in range(count):
            for cell in grid[row_index]:
                if row_index + cell.rowspan > count:
                    count = min(row_index + cell.rowspan, len(grid))
                    changed = True
    return count
