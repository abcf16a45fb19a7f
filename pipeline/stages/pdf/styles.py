"""Clear-print paragraph styles: one sans-serif family, left aligned, never justified, generous
line spacing (1.5) and paragraph spacing, headings clearly larger and bold, black on white."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from reportlab.lib.colors import black
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle

from .fonts import FontFamily

# Heading size as a multiple of the body size, by level (1..6); the title page is bigger still.
HEADING_SCALE = {1: 1.7, 2: 1.45, 3: 1.25, 4: 1.1, 5: 1.05, 6: 1.0}
TITLE_SCALE = 2.2
LINE_SPACING = 1.5


@dataclass(frozen=True)
class Styles:
    size: int
    text: FontFamily
    mono: FontFamily

    def _style(
        self,
        name: str,
        size: float,
        *,
        bold: bool = False,
        space_before: float = 0,
        space_after: float | None = None,
        keep_with_next: bool = False,
        left_indent: float = 0,
    ) -> ParagraphStyle:
        return ParagraphStyle(
            name,
            fontName=self.text.bold if bold else self.text.regular,
            fontSize=size,
            leading=size * LINE_SPACING,
            alignment=TA_LEFT,
            textColor=black,
            spaceBefore=space_before,
            spaceAfter=self.size * 0.75 if space_after is None else space_after,
            keepWithNext=keep_with_next,
            leftIndent=left_indent,
            bulletFontName=self.text.regular,
            bulletFontSize=self.size,
            bulletIndent=0,
            splitLongWords=True,  # long words and URLs wrap instead of overflowing
            allowWidows=0,
            allowOrphans=0,
        )

    @property
    def body(self) -> ParagraphStyle:
        return _cached(self, "body", 0.0)

    def heading(self, level: int) -> ParagraphStyle:
        return _cached(self, f"h{level}", 0.0)

    def list_item(self, label_width: float) -> ParagraphStyle:
        return _cached(self, "item", round(label_width, 1))

    def contents_entry(self, indent: float, number_width: float) -> ParagraphStyle:
        return _cached(self, f"contents:{round(number_width, 1)}", round(indent, 1))

    @property
    def cell(self) -> ParagraphStyle:
        return _cached(self, "cell", 0.0)

    @property
    def header_cell(self) -> ParagraphStyle:
        return _cached(self, "header-cell", 0.0)

    @property
    def caption(self) -> ParagraphStyle:
        return _cached(self, "caption", 0.0)

    @property
    def figure_caption(self) -> ParagraphStyle:
        return _cached(self, "figcaption", 0.0)

    @property
    def title(self) -> ParagraphStyle:
        return _cached(self, "title", 0.0)

    @property
    def subtitle(self) -> ParagraphStyle:
        return _cached(self, "subtitle", 0.0)


@cache
def _cached(styles: Styles, kind: str, indent: float) -> ParagraphStyle:
    size = styles.size
    if kind == "body":
        return styles._style("Body", size)
    if kind in ("h1", "h2", "h3", "h4", "h5", "h6"):
        level = int(kind[1:])
        heading_size = size * HEADING_SCALE[level]
        return styles._style(
            f"Heading{level}",
            heading_size,
            bold=True,
            space_before=size * (1.2 if level <= 2 else 0.8),
            space_after=size * 0.5,
            keep_with_next=True,
        )
    if kind == "item":
        return styles._style(f"Item{indent}", size, left_indent=indent, space_after=size * 0.4)
    if kind.startswith("contents:"):
        style = styles._style(f"Contents{indent}", size, left_indent=indent, space_after=size * 0.35)
        style.rightIndent = float(kind.split(":")[1])
        return style
    if kind == "cell":
        return styles._style("Cell", size, space_after=size * 0.2)
    if kind == "header-cell":
        return styles._style("HeaderCell", size, bold=True, space_after=size * 0.2)
    if kind == "caption":
        return styles._style("Caption", size, bold=True, space_after=size * 0.5, keep_with_next=True)
    if kind == "figcaption":
        return styles._style("FigureCaption", size, bold=True, space_after=size * 0.75)
    if kind == "title":
        return styles._style("Title", size * TITLE_SCALE, bold=True, space_after=size)
    if kind == "subtitle":
        return styles._style("Subtitle", size * 1.3, space_after=size * 1.5)
    raise KeyError(kind)
