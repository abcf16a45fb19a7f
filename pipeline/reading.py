"""Reading order for the linear formats (speech and braille), written once, beside the model.

A Document is a tree; a listener or a braille reader meets it as a line of units: a heading, a
paragraph, list item 2 of 3, a table row read as "header: value" pairs, an image's description,
a note. Both the audio and braille stages walk `reading_order(doc)` and decide only how each unit
sounds or is laid out, so the two formats cannot disagree about what the document says.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

from .document import (
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
    TableRow,
    Text,
    ThematicBreak,
    inline_text,
    iter_blocks,
)


@dataclass(frozen=True)
class Run:
    """A stretch of text with one set of attributes."""

    text: str
    emphasis: bool = False
    strong: bool = False
    code: bool = False
    lang: str | None = None  # None: the document's language
    link: str | None = None  # the URL when the run is (part of) a link's text
    note: int | None = None  # set on a note reference marker: the note's number; text is ""


Runs = tuple[Run, ...]


@dataclass(frozen=True)
class Cell:
    header: str  # the column header's text ("" when the table has none)
    runs: Runs


UnitKind = Literal[
    "heading",
    "paragraph",
    "list-item",
    "quote-start",
    "quote-end",
    "attribution",
    "figure",
    "table-start",
    "table-row",
    "table-end",
    "rule",
    "page-break",
    "note",
]


@dataclass(frozen=True)
class Unit:
    kind: UnitKind
    block_index: int  # index of the top-level block it comes from (page map, chapters)
    runs: Runs = ()  # heading/paragraph/list item/attribution/note text; figure caption;
    # table-start caption
    level: int = 0  # heading level; list depth (1 outermost); quote depth
    label: str = ""  # list item label ("3." or "•"); note number; heading id
    position: tuple[int, int] = (0, 0)  # list item: (number in list, items in list)
    alt: str = ""  # figure: the alt text
    row_header: Runs = ()  # table-row: the row's own header cell, when the table has one
    cells: tuple[Cell, ...] = ()  # table-row: the other cells with their column headers
    table: Table | None = field(default=None, compare=False)  # table-start: the whole table,
    # for formats that can lay out a grid when it fits
    in_quote: int = 0  # quote depth the unit sits in (0: not quoted)


NotePlacement = Literal["paragraph", "section", "end"]


def runs_of(inlines: tuple[Inline, ...], **style: object) -> Runs:
    """Flatten inlines to runs, carrying emphasis, language and links down to the text."""
    runs: list[Run] = []
    for node in inlines:
        if isinstance(node, Text):
            runs.append(Run(node.text, **style))  # type: ignore[arg-type]
        elif isinstance(node, Code):
            runs.append(Run(node.text, **{**style, "code": True}))  # type: ignore[arg-type]
        elif isinstance(node, LineBreak):
            runs.append(Run("\n", **style))  # type: ignore[arg-type]
        elif isinstance(node, NoteRef):
            runs.append(Run("", **{**style, "note": node.number}))  # type: ignore[arg-type]
        elif isinstance(node, Emphasis):
            runs.extend(runs_of(node.inlines, **{**style, "emphasis": True}))
        elif isinstance(node, Strong):
            runs.extend(runs_of(node.inlines, **{**style, "strong": True}))
        elif isinstance(node, Span):
            runs.extend(runs_of(node.inlines, **{**style, "lang": node.lang}))
        elif isinstance(node, Link):
            runs.extend(runs_of(node.inlines, **{**style, "link": node.url}))
    return tuple(runs)


def runs_text(runs: Runs) -> str:
    return "".join(run.text for run in runs)


def runs_language(runs: Runs) -> str | None:
    """The language tag every word of the runs is marked with (a passage wholly in another
    language: a bilingual report's other part), or None when any text is unmarked or mixed.
    Added for braille (each part brailled with its own table); speech may use it for voices."""
    tags = {run.lang for run in runs if run.text.strip()}
    return tags.pop() if len(tags) == 1 and None not in tags else None


def note_numbers(runs: Runs) -> list[int]:
    return [run.note for run in runs if run.note is not None]


def reading_order(doc: Document, notes: NotePlacement = "paragraph", section_level: int = 1) -> list[Unit]:
    """The document as a line of units, decorative images left out.

    notes: "paragraph" puts each note right after the unit that first refers to it (speech);
    "section" collects them at the end of the section (headings of `section_level` or higher
    start a new section) (braille); "end" leaves them all at the end.
    """
    all_notes = doc.footnotes
    units: list[Unit] = []
    pending: list[int] = []  # note numbers waiting for the end of their section
    emitted: set[int] = set()
    by_number = {note.number: note for note in all_notes.values()}

    def note_units(numbers: list[int], block_index: int) -> list[Unit]:
        out = []
        for number in numbers:
            if number in emitted or number not in by_number:
                continue
            emitted.add(number)
            note = by_number[number]
            out.append(Unit("note", block_index, _blocks_runs(note.blocks), label=str(number)))
        return out

    for index, block in enumerate(doc.blocks):
        if isinstance(block, Footnotes):
            continue
        if isinstance(block, Heading) and notes == "section" and block.level <= section_level:
            # Notes belong to the section that is ending: give them its last block's index.
            units.extend(note_units(pending, index - 1))
            pending.clear()
        for unit in _block_units(block, index, depth=0, quote_depth=0):
            units.append(unit)
            numbers = (
                note_numbers(unit.runs)
                + note_numbers(unit.row_header)
                + [n for c in unit.cells for n in note_numbers(c.runs)]
            )
            if notes == "paragraph":
                units.extend(note_units(numbers, index))
            else:
                pending.extend(numbers)
    units.extend(note_units(pending + sorted(by_number), max(0, len(doc.blocks) - 1)))
    return units


def _block_units(block: Block, index: int, depth: int, quote_depth: int) -> Iterator[Unit]:
    if isinstance(block, Heading):
        yield Unit(
            "heading", index, runs_of(block.inlines), level=block.level, label=block.id, in_quote=quote_depth
        )
    elif isinstance(block, Paragraph):
        yield Unit("paragraph", index, runs_of(block.inlines), in_quote=quote_depth)
    elif isinstance(block, (BulletList, OrderedList)):
        yield from _list_units(block, index, depth + 1, quote_depth)
    elif isinstance(block, Quote):
        yield Unit("quote-start", index, level=quote_depth + 1, in_quote=quote_depth)
        for inner in block.blocks:
            yield from _block_units(inner, index, depth, quote_depth + 1)
        if block.attribution:
            yield Unit("attribution", index, runs_of(block.attribution), in_quote=quote_depth + 1)
        yield Unit("quote-end", index, level=quote_depth + 1, in_quote=quote_depth)
    elif isinstance(block, Figure):
        if not block.decorative:
            yield Unit("figure", index, runs_of(block.caption), alt=block.alt, in_quote=quote_depth)
    elif isinstance(block, Table):
        yield from _table_units(block, index, quote_depth)
    elif isinstance(block, ThematicBreak):
        yield Unit("rule", index, in_quote=quote_depth)
    elif isinstance(block, PageBreak):
        yield Unit("page-break", index, in_quote=quote_depth)


def _list_units(block: BulletList | OrderedList, index: int, depth: int, quote_depth: int) -> Iterator[Unit]:
    count = len(block.items)
    for number, item in enumerate(block.items, start=1):
        if isinstance(block, OrderedList):
            label = f"{block.start + number - 1}."
        else:
            label = "•"
        # The item's first paragraph is the item's text; anything after it (more paragraphs,
        # a nested list) follows at the same or a deeper level.
        first, rest = _split_first_paragraph(item)
        yield Unit(
            "list-item",
            index,
            first,
            level=depth,
            label=label,
            position=(number, count),
            in_quote=quote_depth,
        )
        for inner in rest:
            if isinstance(inner, (BulletList, OrderedList)):
                yield from _list_units(inner, index, depth + 1, quote_depth)
            else:
                for unit in _block_units(inner, index, depth, quote_depth):
                    yield replace(unit, level=unit.level or depth) if unit.kind == "paragraph" else unit


def _split_first_paragraph(item: tuple[Block, ...]) -> tuple[Runs, tuple[Block, ...]]:
    if item and isinstance(item[0], Paragraph):
        return runs_of(item[0].inlines), item[1:]
    return (), item


def _table_units(table: Table, index: int, quote_depth: int) -> Iterator[Unit]:
    headers = column_headers(table)
    yield Unit("table-start", index, runs_of(table.caption), table=table, in_quote=quote_depth)
    for row in table.body_rows:
        cells = expand_row(row)
        row_header: Runs = ()
        start = 0
        if table.row_headers and cells:
            row_header, start = cell_runs(cells[0]), 1
        pairs = tuple(
            Cell(headers[i] if i < len(headers) else "", cell_runs(cells[i]))
            for i in range(start, len(cells))
        )
        yield Unit("table-row", index, row_header=row_header, cells=pairs, in_quote=quote_depth)
    yield Unit("table-end", index, in_quote=quote_depth)


def expand_row(row: TableRow) -> list[TableCell]:
    """A row with each spanned cell repeated once per column it covers."""
    out: list[TableCell] = []
    for cell in row:
        out.extend([cell] * max(1, cell.colspan))
    return out


def column_headers(table: Table) -> list[str]:
    """One header text per column: header rows joined top to bottom ("2023 Sessions")."""
    if not table.header_rows:
        return []
    columns: list[list[str]] = []
    for row in table.header_rows:
        for i, cell in enumerate(expand_row(row)):
            while len(columns) <= i:
                columns.append([])
            text = runs_text(cell_runs(cell)).strip()
            if text and (not columns[i] or columns[i][-1] != text):
                columns[i].append(text)
    return [" ".join(parts) for parts in columns]


def cell_runs(cell: TableCell) -> Runs:
    return _blocks_runs(cell.blocks)


def _blocks_runs(blocks: tuple[Block, ...]) -> Runs:
    """Runs of a short block sequence (a cell, a note), paragraphs joined by a space."""
    runs: list[Run] = []
    for block in iter_blocks(blocks):
        if isinstance(block, (Paragraph, Heading)):
            if runs:
                runs.append(Run(" "))
            runs.extend(runs_of(block.inlines))
    return tuple(runs)


def plain_text(doc: Document) -> str:
    """The body text every format must carry, in document order: headings, paragraphs, list
    items, table captions and cells (row by row), figure captions, quotes and attributions.

    Footnote bodies and alt text are left out on purpose: formats place notes differently
    (after the paragraph, at the end of the section or document) and carry alt text outside the
    visible text (PDF /Alt); their checks verify those separately.
    """
    parts: list[str] = []
    for block in doc.blocks:
        _plain(block, parts)
    return "\n".join(parts)


def _plain(block: Block, parts: list[str]) -> None:
    if isinstance(block, (Heading, Paragraph)):
        parts.append(inline_text(block.inlines))
    elif isinstance(block, (BulletList, OrderedList)):
        for item in block.items:
            for inner in item:
                _plain(inner, parts)
    elif isinstance(block, Quote):
        for inner in block.blocks:
            _plain(inner, parts)
        parts.append(inline_text(block.attribution))
    elif isinstance(block, Table):
        parts.append(inline_text(block.caption))
        for row in block.header_rows + block.body_rows:
            for cell in row:
                for inner in cell.blocks:
                    _plain(inner, parts)
    elif isinstance(block, Figure):
        parts.append(inline_text(block.caption))
