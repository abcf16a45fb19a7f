"""Where the Word writer puts blocks, and what a part of the writer (tables.py) may ask of it.

These live apart from writer.py so that tables.py can write cells through the writer without
importing it: writer.py imports tables.py, never the other way round (no import cycle).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from docx.opc.part import Part
from lxml import etree

from ...document import Block, Document, Inline
from .layout import Layout
from .runs import NoteWriter, RunStyle, RunWriter
from .styles import NORMAL


@dataclass
class Sink:
    """Where blocks go: the body (before sectPr), a table cell or a footnote."""

    element: etree._Element
    part: Part  # owns the relationships of links (and images) written here
    body: bool
    width: float  # points available for images and tables
    notes: NoteWriter | None = None
    before: etree._Element | None = None

    def add(self, child: etree._Element) -> None:
        if self.before is not None:
            self.before.addprevious(child)
        else:
            self.element.append(child)


@dataclass(frozen=True)
class BlockContext:
    paragraph_style: str = NORMAL
    list_level: int = -1  # -1: not in a list
    bold: bool = False  # header cells
    in_cell: bool = False
    in_note: bool = False


class BlockWriter(Protocol):
    """What tables.py uses of writer.Writer (which satisfies it)."""

    layout: Layout
    runs: RunWriter
    model: Document

    def style_id(self, name: str) -> str: ...

    def bold_properties(self) -> etree._Element: ...

    def runs_for(
        self, inlines: tuple[Inline, ...], sink: Sink, base: RunStyle = ...
    ) -> list[etree._Element]: ...

    def add_paragraph(
        self,
        sink: Sink,
        children: list[etree._Element],
        style: str,
        *,
        keep_next: bool = False,
        numbering: tuple[int, int] | None = None,
        indent_left: float | None = None,
    ) -> etree._Element: ...

    def write_blocks(self, blocks: tuple[Block, ...], sink: Sink, context: BlockContext) -> None: ...
