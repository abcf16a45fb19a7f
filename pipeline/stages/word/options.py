"""Options for the two Word stages: plain data, so a request email can set them by name.

`word` is clear print (RNIB Clear Print: 12 pt minimum, 14 pt by default); `large-print` follows
UKAAF G003 (16 pt minimum, 18 pt by default, any size up to 48 pt on request).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...colour import contrast_ratio

# Paper colours readers ask for (visual stress, Irlen): pale tints that keep black text at AAA
# contrast. Values are the page background as RRGGBB.
PAPER_COLOURS: dict[str, str] = {
    "white": "FFFFFF",
    "cream": "FFFDD0",
    "buff": "F5E6C4",
    "yellow": "FFFF99",
    "blue": "D6E9FF",
    "green": "DDF2D8",
    "pink": "FFE0EC",
    "lilac": "E8DFF5",
    "grey": "E6E6E6",
    "gray": "E6E6E6",
}
_HEX = re.compile(r"^#?([0-9A-Fa-f]{6})$")
MAX_FONT_SIZE = 48
MIN_CONTRAST = 7.0  # WCAG AAA: black text on the chosen paper


def paper_hex(paper_colour: str) -> str:
    """The page background as RRGGBB, or "" for none. ValueError for an unknown colour."""
    value = paper_colour.strip().lower()
    if not value:
        return ""
    if value in PAPER_COLOURS:
        return PAPER_COLOURS[value]
    match = _HEX.match(value)
    if not match:
        raise ValueError(
            f"paper colour '{paper_colour}' is not one we know: use one of "
            f"{', '.join(PAPER_COLOURS)} or a colour like #FFFDD0"
        )
    return match.group(1).upper()


def _validate(options: WordOptions | LargePrintOptions, minimum_size: int, what: str) -> None:
    if isinstance(options.font_size, bool) or not isinstance(options.font_size, int):
        raise ValueError(f"font_size must be a whole number of points, not {options.font_size!r}")
    if options.font_size < minimum_size:
        raise ValueError(f"{what} must be at least {minimum_size} pt; asked for {options.font_size}")
    if options.font_size > MAX_FONT_SIZE:
        raise ValueError(f"font_size can be at most {MAX_FONT_SIZE} pt; asked for {options.font_size}")
    family = options.font_family.strip()
    if not family or len(family) > 31 or not all(ch.isalnum() or ch in " -" for ch in family):
        raise ValueError(
            f"font_family must be a font name such as Arial or Verdana "
            f"(letters, digits, spaces; at most 31 characters), not {options.font_family!r}"
        )
    if not isinstance(options.line_spacing, (int, float)) or isinstance(options.line_spacing, bool):
        raise ValueError(f"line_spacing must be a number such as 1.5, not {options.line_spacing!r}")
    if not 1.15 <= options.line_spacing <= 3.0:
        raise ValueError(f"line_spacing must be between 1.15 and 3; asked for {options.line_spacing}")
    paper = paper_hex(options.paper_colour)  # raises for an unknown colour
    if paper and contrast_ratio(paper, "000000") < MIN_CONTRAST:
        raise ValueError(
            f"paper colour {options.paper_colour} is too dark for black text "
            f"({contrast_ratio(paper, '000000'):.1f}:1, {MIN_CONTRAST:.0f}:1 needed): choose a pale "
            f"colour, or high_contrast=true for yellow text on black"
        )
    if paper and options.high_contrast:
        raise ValueError("choose either a paper colour or high contrast (yellow on black), not both")


@dataclass(frozen=True)
class WordOptions:
    """Clear print for screen-reader users and anyone who wants to edit or copy."""

    font_size: int = 14
    font_family: str = "Arial"
    line_spacing: float = 1.15
    paper_colour: str = ""
    high_contrast: bool = False
    link_addresses: bool = False  # print "(https://...)" after each link's words
    fit_figures: bool = True  # shrink a figure (to 45%) rather than leave a third of a page empty

    def __post_init__(self) -> None:
        _validate(self, 12, "clear print")


@dataclass(frozen=True)
class LargePrintOptions:
    """UKAAF large print."""

    font_size: int = 18
    font_family: str = "Arial"
    line_spacing: float = 1.5
    paper_colour: str = ""
    high_contrast: bool = False
    link_addresses: bool = True  # a printed page cannot be clicked: show where links go
    fit_figures: bool = True  # shrink a figure (to 80%) rather than leave a third of a page empty

    def __post_init__(self) -> None:
        _validate(self, 16, "large print")
