"""Tables: a real grid with a marked header row; too wide for a portrait page, a grid on
landscape pages (clear print) or one block per row (large print).

Clear print turns the page, as the PDF does: a section of its own, in landscape, holds the
table (and the headings just before it, which keep with it), between section breaks; the
footer ("Page N of M") and the page numbering carry on through it.

A grid that does not fit the page at large print squeezes words letter by letter or runs off the
page; UKAAF asks for the table to be re-laid out instead, so each row becomes a short block of
"Column: value" lines that keeps together on a page. Large print keeps that even where a
landscape page would hold the grid: at 18 pt and more, a landscape row is a long line to track
across (magnifier and close-reading users lose their place in it), readers have to turn the
page or the document to read on, and the row-by-row form reads in the same order everywhere.
"""

from __future__ import annotations

import dataclasses
from copy import deepcopy

from docx.oxml.ns import qn
from lxml import etree

from ... import reading
from ...document import Paragraph, Table, TableCell, inline_text
from ...i18n import words_for
from ...sections import table_label
from .layout import A4_HEIGHT_PT, CELL_PADDING_PT, Layout, average_character_width, word_width
from .ooxml import PPR_ORDER, find_child, put, text_run, twips, w
from .runs import RunStyle
from .sink import BlockContext, BlockWriter, Sink
from .styles import CAPTION

_EMPTY = TableCell((Paragraph(()),))
MIN_COLUMN_CHARACTERS = 4


def grid(table: Table) -> tuple[list[list[TableCell]], int]:
    """Rows of cells with every span expanded (each covered position repeats its cell), padded
    to one width: Word's checker rejects merged cells, and repeating keeps every cell readable."""
    rows = list(table.header_rows) + list(table.body_rows)
    placed: dict[tuple[int, int], TableCell] = {}
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in placed:
                c += 1
            for dr in range(max(1, cell.rowspan)):
                for dc in range(max(1, cell.colspan)):
                    placed.setdefault((r + dr, c + dc), cell)
            c += max(1, cell.colspan)
    width = max((c for _, c in placed), default=-1) + 1
    height = max(len(rows), max((r for r, _ in placed), default=-1) + 1)
    return [[placed.get((r, c), _EMPTY) for c in range(width)] for r in range(height)], width


def _cell_words(cell: TableCell) -> list[str]:
    return reading.runs_text(reading.cell_runs(cell)).split()


def column_minimums(table: Table, size: float) -> list[float]:
    """Narrowest width each column can take without breaking a word (bold where bold)."""
    cells, width = grid(table)
    minimums = [0.0] * width
    header_count = len(table.header_rows)
    for r, row in enumerate(cells):
        for c, cell in enumerate(row):
            bold = r < header_count or (table.row_headers and c == 0)
            longest = max((word_width(word, size, bold) for word in _cell_words(cell)), default=0)
            minimums[c] = max(minimums[c], longest + CELL_PADDING_PT)
    floor = MIN_COLUMN_CHARACTERS * average_character_width(size) + CELL_PADDING_PT
    return [max(m, floor) for m in minimums]


def fits(table: Table, layout: Layout, width: float | None = None) -> bool:
    return sum(column_minimums(table, layout.body_size)) <= (width or layout.text_width)


def landscape_width(layout: Layout) -> float:
    return A4_HEIGHT_PT - 2 * layout.side_margin


def column_widths(table: Table, layout: Layout, available: float) -> list[float]:
    """Each column its minimum, the rest shared in proportion to how much text it holds."""
    minimums = column_minimums(table, layout.body_size)
    cells, width = grid(table)
    lengths = [sum(len(" ".join(_cell_words(row[c]))) for row in cells) + 1 for c in range(width)]
    spare = max(0.0, available - sum(minimums))
    total = sum(lengths)
    widths = [m + spare * length / total for m, length in zip(minimums, lengths)]
    scale = available / sum(widths) if sum(widths) > available else 1.0
    return [value * scale for value in widths]


def caption_text(table: Table, number: int) -> str:
    return inline_text(table.caption).strip() or f"Table {number}"


def description(table: Table, width: int) -> str:
    parts = [f"A table of {len(table.body_rows)} rows and {width} columns."]
    if table.header_rows:
        parts.append("The first row holds the column headings.")
    if table.row_headers:
        parts.append("The first column heads each row.")
    return " ".join(parts)


def write_table(writer: BlockWriter, table: Table, sink: Sink, number: int) -> None:
    """Caption, then a grid or (large print, too wide) one block per row."""
    layout = writer.layout
    caption = (
        writer.runs_for(table.caption, sink)
        if table.caption
        else [text_run(table_label(writer.model, number))]
    )
    if not layout.large_print and sink.body and sink.before is not None and not fits(table, layout):
        _write_landscape(writer, table, sink, number, caption)
        return
    writer.add_paragraph(sink, caption, CAPTION, keep_next=True)
    if layout.large_print and not fits(table, layout):
        _write_rows_as_blocks(writer, table, sink)
    else:
        sink.add(_grid_table(writer, table, sink, number))


def _write_landscape(
    writer: BlockWriter, table: Table, sink: Sink, number: int, caption: list[etree._Element]
) -> None:
    """The table in a landscape section of its own (module docstring)."""
    final = sink.before  # the document's last sectPr: the portrait page and its footer
    assert final is not None
    wide = dataclasses.replace(sink, width=landscape_width(writer.layout))
    # Even landscape may not hold every longest word side by side: the grid is then squeezed
    # (column_widths), as before. Not an error, unlike the PDF: a Word reader can still
    # reflow or zoom the table, and a screen reader reads it cell by cell whatever its width.
    _break_before_landscape(writer, final)
    writer.add_paragraph(wide, caption, CAPTION, keep_next=True)
    wide.add(_grid_table(writer, table, wide, number))
    wide.add(_section_break(_landscape(final)))  # a table cannot hold a section's properties


def _is_landscape_end(element: etree._Element | None) -> bool:
    """The empty paragraph that ends an earlier wide table's landscape section."""
    if element is None or element.tag != qn("w:p") or "".join(map(str, element.itertext())).strip():
        return False
    size = element.find(f"{qn('w:pPr')}/{qn('w:sectPr')}/{qn('w:pgSz')}")
    return size is not None and size.get(qn("w:orient")) == "landscape"


def _break_before_landscape(writer: BlockWriter, final: etree._Element) -> None:
    """End the portrait section before the table, and before the headings that lead into it
    (they keep with it, so they turn with it). Right after another wide table, its landscape
    section simply carries on."""
    heading_ids = {writer.style_id(f"Heading {level}") for level in range(1, 7)}
    first = final.getprevious()
    start = None  # the first element of the landscape section (before the caption)
    while first is not None and first.tag == qn("w:p") and not _is_landscape_end(first):
        style = first.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        if style is None or style.get(qn("w:val")) not in heading_ids:
            break
        if first.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None:
            break
        start, first = first, first.getprevious()
    previous = first
    if previous is not None and _is_landscape_end(previous):
        final.getparent().remove(previous)  # type: ignore[union-attr]
        return
    portrait = deepcopy(final)
    # The break rides on the paragraph before (an empty paragraph of its own could spill onto
    # a page of its own), unless that paragraph is part of a field: the contents' last entry
    # holding a section break lost LibreOffice its footer fields on page 1 ("Page of").
    if (
        previous is not None
        and previous.tag == qn("w:p")
        and previous.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is None
        and next(previous.iter(qn("w:fldChar"), qn("w:instrText")), None) is None
    ):
        ppr = previous.find(qn("w:pPr"))
        if ppr is None:
            ppr = w("pPr")
            previous.insert(0, ppr)
        ppr.append(portrait)
        return
    (start if start is not None else final).addprevious(_section_break(portrait))


def _section_break(section: etree._Element) -> etree._Element:
    """An empty paragraph, one single line with no space around it, that ends a section."""
    paragraph = w("p")
    ppr = w("pPr")
    put(ppr, w("spacing", before=0, after=0, line=240, lineRule="auto"), PPR_ORDER)
    ppr.append(section)
    paragraph.append(ppr)
    return paragraph


def _landscape(final: etree._Element) -> etree._Element:
    """The document's section properties turned: A4 landscape, the same margins and footer."""
    section = deepcopy(final)
    size = find_child(section, qn("w:pgSz"))
    width, height = size.get(qn("w:w"), ""), size.get(qn("w:h"), "")
    size.set(qn("w:w"), height)
    size.set(qn("w:h"), width)
    size.set(qn("w:orient"), "landscape")
    return section


def _grid_table(writer: BlockWriter, table: Table, sink: Sink, number: int) -> etree._Element:
    layout = writer.layout
    cells, width = grid(table)
    widths = column_widths(table, layout, sink.width)
    header_count = len(table.header_rows)
    tbl = w("tbl")
    tbl_pr = w("tblPr")
    tbl_pr.append(w("tblStyle", val=writer.style_id("Table Grid")))
    tbl_pr.append(w("tblW", w=5000, type="pct"))
    borders = w("tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(w(side, val="single", sz=8, space=0, color=layout.text_colour))
    tbl_pr.append(borders)
    tbl_pr.append(
        w(
            "tblLook",
            val="0000",
            firstRow=int(header_count > 0),
            lastRow=0,
            firstColumn=int(table.row_headers),
            lastColumn=0,
            noHBand=1,
            noVBand=1,
        )
    )
    tbl_pr.append(
        w("tblCaption", val=(inline_text(table.caption).strip() or table_label(writer.model, number))[:255])
    )
    tbl_pr.append(w("tblDescription", val=description(table, width)))
    tbl.append(tbl_pr)
    tbl_grid = w("tblGrid")
    for value in widths:
        tbl_grid.append(w("gridCol", w=twips(value)))
    tbl.append(tbl_grid)
    for r, row in enumerate(cells):
        tr = w("tr")
        tr_pr = w("trPr")
        tr_pr.append(w("cantSplit"))
        if r < header_count:
            tr_pr.append(w("tblHeader"))  # marks the header row; Word repeats it on each page
        tr.append(tr_pr)
        for c, cell in enumerate(row):
            bold = r < header_count or (table.row_headers and c == 0)
            tr.append(_cell(writer, cell, widths[c], bold, sink))
        if _keeps_with_next_row(r, header_count, len(cells)):
            for ppr in tr.iter(w("pPr").tag):
                put(ppr, w("keepNext"), PPR_ORDER)
        tbl.append(tr)
    return tbl


def _keeps_with_next_row(row: int, header_count: int, rows: int) -> bool:
    """Rows held to the next one (keepNext on their paragraphs), so that no page shows one row
    of the table alone: the header rows and the first body row go together to the next page,
    and the last row always has the one before it for company."""
    last = rows - 1
    return row < last and (row <= header_count or row == last - 1)


def _cell(writer: BlockWriter, cell: TableCell, width: float, bold: bool, sink: Sink) -> etree._Element:
    tc = w("tc")
    tc_pr = w("tcPr")
    tc_pr.append(w("tcW", w=twips(width), type="dxa"))
    tc.append(tc_pr)
    inner = Sink(tc, sink.part, body=False, width=width - CELL_PADDING_PT, notes=sink.notes)
    writer.write_blocks(cell.blocks, inner, BlockContext(bold=bold, in_cell=True))
    paragraphs = tc.findall(w("p").tag)
    if not paragraphs:
        tc.append(w("p"))  # a cell must end with a paragraph (schema)
    else:
        ppr = paragraphs[-1].find(w("pPr").tag)
        if ppr is None:
            ppr = w("pPr")
            paragraphs[-1].insert(0, ppr)
        put(ppr, w("spacing", after=0), PPR_ORDER)
    return tc


def _write_rows_as_blocks(writer: BlockWriter, table: Table, sink: Sink) -> None:
    layout = writer.layout
    headers = reading.column_headers(table)
    if headers:
        intro = words_for(writer.model.meta.language)(
            "This table is shown one row at a time. Columns: {columns}.", columns=", ".join(headers)
        )
        writer.add_paragraph(sink, [text_run(intro)], "Normal", keep_next=True)
    for row in table.body_rows:
        cells = reading.expand_row(row)
        lines: list[list[etree._Element]] = []
        for index, cell in enumerate(cells):
            header = headers[index] if index < len(headers) else ""
            value = writer.runs.runs(
                reading.cell_runs(cell),
                sink.part,
                sink.notes,
                RunStyle(bold=table.row_headers and index == 0),
            )
            label = [text_run(f"{header}: ", writer.bold_properties())] if header else []
            lines.append(label + value)
        for index, line in enumerate(lines):
            last = index == len(lines) - 1
            paragraph = writer.add_paragraph(sink, line, "Normal", keep_next=not last)
            ppr = find_child(paragraph, w("pPr").tag)
            # One block per row: the gap goes between rows, lines of a row sit together.
            put(
                ppr, w("spacing", before=twips(layout.paragraph_gap) if index == 0 else 0, after=0), PPR_ORDER
            )
