"""Everything about the look of one build, decided once from the options.

Sizes are in points; the OOXML writers convert (half-points for w:sz, twentieths for spacing).
"""

from __future__ import annotations

from dataclasses import dataclass

from .options import LargePrintOptions, WordOptions, paper_hex

A4_WIDTH_PT = 595.3  # 210 mm
A4_HEIGHT_PT = 841.9  # 297 mm
CM = 72 / 2.54
MIN_MARGIN_PT = 1.5 * CM  # UKAAF: room to hold the page and for binding
MAX_MARGIN_PT = 3.0 * CM
TARGET_CHARACTERS_PER_LINE = 65  # UKAAF / RNIB: 60-70 characters per line
CELL_PADDING_PT = 5.4 * 2  # Word's default left + right cell margins (108 twips each)
# Code in a sans-serif monospaced face (Courier New is a serif face, hard to read large):
# Consolas comes with Windows and Office; LibreOffice here substitutes DejaVu Sans Mono.
MONOSPACE_FAMILY = "Consolas"
# Helvetica's metrics are Arial's (Liberation Sans is metric-compatible with both), and
# ReportLab carries them built in, so widths can be measured without any font file.
_MEASURE_FONT = "Helvetica"
_SAMPLE = (
    "The quick brown fox jumps over the lazy dog. We ran 21 sessions for 502 people "
    "and raised money, compared with last year, in co-production with our partners."
)


def average_character_width(size: float) -> float:
    """Average width of a character of running English text at `size` points (Arial metrics)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth  # on use: a no-op build skips it

    return stringWidth(_SAMPLE, _MEASURE_FONT, size) / len(_SAMPLE)


def word_width(word: str, size: float, bold: bool = False) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(word, _MEASURE_FONT + ("-Bold" if bold else ""), size)


def margin_for(size: float) -> float:
    """Side margin that leaves about 65 characters per line, within sensible page margins.

    At large sizes A4 portrait cannot hold 60 characters even with the smallest margin; the
    line then simply holds fewer characters, which is what large print readers want.
    """
    wanted = (A4_WIDTH_PT - TARGET_CHARACTERS_PER_LINE * average_character_width(size)) / 2
    return min(MAX_MARGIN_PT, max(MIN_MARGIN_PT, wanted))


@dataclass(frozen=True)
class Layout:
    large_print: bool
    body_size: int
    font_family: str
    line_spacing: float
    paper: str  # RRGGBB page background, "" for none
    text_colour: str  # RRGGBB
    link_colour: str
    background: str  # RRGGBB the text sits on (paper, black, or white)
    side_margin: float
    top_margin: float
    link_addresses: bool = False  # print each link's address after its words (paper readers)

    @property
    def text_width(self) -> float:
        return A4_WIDTH_PT - 2 * self.side_margin

    @property
    def text_height(self) -> float:
        return A4_HEIGHT_PT - 2 * self.top_margin

    def heading_size(self, level: int) -> int:
        """Headings 2-6 pt larger than the body (UKAAF), largest for level 1."""
        return self.body_size + {1: 6, 2: 4}.get(level, 2)

    @property
    def title_size(self) -> int:
        return self.body_size + 8

    @property
    def paragraph_gap(self) -> float:
        """Space after a paragraph: about one line of the body size in large print (UKAAF
        clear and large print guidance); a full 1.5-spaced line (27 pt at 18 pt) pulled lists
        apart and stretched 10 pages to 18."""
        if self.large_print:
            return self.body_size
        return round(self.body_size * 0.75)

    @property
    def characters_per_line(self) -> float:
        return self.text_width / average_character_width(self.body_size)


def layout_for(options: WordOptions | LargePrintOptions) -> Layout:
    large = isinstance(options, LargePrintOptions)
    paper = paper_hex(options.paper_colour)
    if options.high_contrast:
        text, link, background = "FFFF00", "00FFFF", "000000"
        paper = "000000"
    else:
        # Dark blue links: 4.5:1 and more on every paper colour offered.
        text, link, background = "000000", "0B3D91", paper or "FFFFFF"
    margin = margin_for(options.font_size)
    return Layout(
        large_print=large,
        body_size=options.font_size,
        font_family=options.font_family.strip(),
        line_spacing=float(options.line_spacing),
        paper=paper,
        text_colour=text,
        link_colour=link,
        background=background,
        side_margin=margin,
        top_margin=max(MIN_MARGIN_PT, min(margin, 2.0 * CM)),
        link_addresses=bool(options.link_addresses),
    )
