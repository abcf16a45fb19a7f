"""Tables: a real grid with a marked header row, or (large print, too wide) one block per row.

A grid that does not fit the page at large print squeezes words letter by letter or runs off the
page; UKAAF asks for the table to be re-laid out instead, so each row becomes a short block of
"Column: value" lines that keeps together on a page.
"""

from __future__ import annotations

from lxml import etree

from ... import reading
from ...document import Paragraph, Table, TableCell, inline_text
from ...i18n import words_for
from ...sections import table_label
from .layout import CELL_PADDING_PT, Layout, average_character_width, word_width
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


def fits(table: Table, layout: Layout) -> bool:
    return sum(column_minimums(table, layout.body_size)) <= layout.text_width


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
    writer.add_paragraph(sink, caption, CAPTION, keep_next=True)
    if layout.large_print and not fits(table, layout):
        _write_rows_as_blocks(writer, table, sink)
    else:
        sink.add(_grid_table(writer, table, sink, number))


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
