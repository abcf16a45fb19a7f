"""The document model: one small, closed tree that every reader produces and every stage consumes.

Like Pandoc's AST, the set of node kinds is closed: every stage handles every kind, so no format
silently drops content. Adding a kind means adding it to every stage at once.
All nodes are frozen dataclasses; sequences are tuples so documents are hashable and immutable.
`line` (the source line or Word paragraph number) is kept for error messages only and takes no part
in equality.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# ---------------------------------------------------------------- inlines


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Emphasis:
    inlines: tuple[Inline, ...]


@dataclass(frozen=True)
class Strong:
    inlines: tuple[Inline, ...]


@dataclass(frozen=True)
class Link:
    url: str  # external URL, mailto:, or "#heading-id" for an internal link
    inlines: tuple[Inline, ...]


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class LineBreak:
    pass


@dataclass(frozen=True)
class NoteRef:
    note_id: str  # matches Footnote.note_id
    number: int  # 1-based, in order of first reference


@dataclass(frozen=True)
class Span:
    inlines: tuple[Inline, ...]
    lang: str  # BCP 47, e.g. "cy"


Inline = Text | Emphasis | Strong | Link | Code | LineBreak | NoteRef | Span
INLINE_KINDS = (Text, Emphasis, Strong, Link, Code, LineBreak, NoteRef, Span)

# ---------------------------------------------------------------- blocks


@dataclass(frozen=True)
class Heading:
    level: int  # 1..6
    inlines: tuple[Inline, ...]
    id: str  # unique within the document, usable as an anchor
    line: int | None = field(default=None, compare=False, kw_only=True)


@dataclass(frozen=True)
class Paragraph:
    inlines: tuple[Inline, ...]
    line: int | None = field(default=None, compare=False, kw_only=True)


@dataclass(frozen=True)
class BulletList:
    items: tuple[tuple[Block, ...], ...]  # each item is a block sequence, so lists nest
    line: int | None = field(default=None, compare=False, kw_only=True)


@dataclass(frozen=True)
class OrderedList:
    items: tuple[tuple[Block, ...], ...]
    start: int = 1
    line: int | None = field(default=None, compare=False, kw_only=True)


@dataclass(frozen=True)
class TableCell:
    blocks: tuple[Block, ...]  # usually one Paragraph; Word cells may hold lists
    colspan: int = 1
    rowspan: int = 1


TableRow = tuple[TableCell, ...]


@dataclass(frozen=True)
class Table:
    caption: tuple[Inline, ...]
    header_rows: tuple[TableRow, ...]
    body_rows: tuple[TableRow, ...]
    row_headers: bool = False  # the first cell of each body row heads that row (th scope=row)
    line: int | None = field(default=None, compare=False, kw_only=True)


@dataclass(frozen=True)
class Figure:
    src: Path  # absolute path to the image file
    alt: str  # empty only when decorative
    caption: tuple[Inline, ...]
    decorative: bool = False
    large_src: Path | None = None  # a version for large print (bigger text), from {large=...}
    line: int | None = field(default=None, compare=False, kw_only=True)


@dataclass(frozen=True)
class Quote:
    blocks: tuple[Block, ...]
    attribution: tuple[Inline, ...] = ()
    line: int | None = field(default=None, compare=False, kw_only=True)


@dataclass(frozen=True)
class ThematicBreak:
    line: int | None = field(default=None, compare=False, kw_only=True)


@dataclass(frozen=True)
class PageBreak:
    line: int | None = field(default=None, compare=False, kw_only=True)


@dataclass(frozen=True)
class Footnote:
    note_id: str
    number: int
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Footnotes:
    """All notes of the document, collected in order of first reference (at most one, last)."""

    notes: tuple[Footnote, ...]
    line: int | None = field(default=None, compare=False, kw_only=True)


Block = (
    Heading
    | Paragraph
    | BulletList
    | OrderedList
    | Table
    | Figure
    | Quote
    | ThematicBreak
    | PageBreak
    | Footnotes
)
BLOCK_KINDS = (
    Heading,
    Paragraph,
    BulletList,
    OrderedList,
    Table,
    Figure,
    Quote,
    ThematicBreak,
    PageBreak,
    Footnotes,
)

# ---------------------------------------------------------------- document


@dataclass(frozen=True)
class Metadata:
    title: str
    subtitle: str = ""
    authors: tuple[str, ...] = ()
    publisher: str = ""
    date: str = ""  # ISO 8601 (YYYY or YYYY-MM-DD) as written in the source
    language: str = "en-GB"  # BCP 47
    description: str = ""
    contact: str = ""  # how to ask for another format, for accessibility statements
    version: str = ""
    aliases: tuple[str, ...] = ()  # other names people use for the report (requests)
    keywords: tuple[str, ...] = ()
    pronunciations: tuple[tuple[str, str], ...] = ()  # (word, how to say it), for speech
    identifier: str = ""  # an ISBN or URN from the source; empty -> stages derive one
    # Added for braille running heads (issue 15): front matter `short_title`, empty if none.
    short_title: str = ""


@dataclass(frozen=True)
class Document:
    meta: Metadata
    blocks: tuple[Block, ...]
    source: Path | None = field(default=None, compare=False)  # the file it was read from

    @property
    def footnotes(self) -> dict[str, Footnote]:
        return {
            note.note_id: note
            for block in self.blocks
            if isinstance(block, Footnotes)
            for note in block.notes
        }


# ---------------------------------------------------------------- small shared helpers


def inline_text(inlines: tuple[Inline, ...] | list[Inline], *, with_notes: bool = False) -> str:
    """Plain text of inlines (note references are dropped unless with_notes)."""
    parts: list[str] = []
    for node in inlines:
        if isinstance(node, (Text, Code)):
            parts.append(node.text)
        elif isinstance(node, LineBreak):
            parts.append("\n")
        elif isinstance(node, NoteRef):
            if with_notes:
                parts.append(str(node.number))
        else:
            parts.append(inline_text(node.inlines, with_notes=with_notes))
    return "".join(parts)


def iter_blocks(blocks: tuple[Block, ...]) -> Iterator[Block]:
    """Every block, depth first, including blocks nested in lists, quotes, cells and notes."""
    for block in blocks:
        yield block
        if isinstance(block, (BulletList, OrderedList)):
            for item in block.items:
                yield from iter_blocks(item)
        elif isinstance(block, Quote):
            yield from iter_blocks(block.blocks)
        elif isinstance(block, Table):
            for row in block.header_rows + block.body_rows:
                for cell in row:
                    yield from iter_blocks(cell.blocks)
        elif isinstance(block, Footnotes):
            for note in block.notes:
                yield from iter_blocks(note.blocks)


def headings(doc: Document) -> list[Heading]:
    return [b for b in doc.blocks if isinstance(b, Heading)]


def figures(doc: Document) -> list[Figure]:
    return [b for b in iter_blocks(doc.blocks) if isinstance(b, Figure)]
