"""'Ask us for another format': where requests go and what people can ask for.

The request address is looked up in one place, `request_address()`: today the --request-address
option, else the ACCESSIBLE_FORMATS_FROM environment variable (the address request replies come
from). When the service configuration file (accessible-formats.toml, on the requests branch)
lands, read it here and nothing else changes.

The options listed are ones a request email is understood to ask for (pipeline/requests/
understand.py) and the stages accept; tests/test_site.py checks both, so this list cannot drift
from what the pipeline really makes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..i18n import Words
from ..stages.word.options import MAX_FONT_SIZE

ADDRESS_VARIABLE = "ACCESSIBLE_FORMATS_FROM"
LARGE_PRINT_SMALLEST = 16  # UKAAF large print (the large-print stage's own minimum)
SPEECH_RATES = {"slower": 140, "standard": 175, "faster": 210}  # words a minute
BRAILLE_TABLES = {"contracted": "en-ueb-g2.ctb", "uncontracted": "en-ueb-g1.ctb", "welsh": "cy-cy-g2.ctb"}
PAPER_COLOURS = ("cream", "yellow", "blue", "pink", "green", "lilac", "grey")


def request_address(option: str | None = None) -> str:
    """The address people write to for another format, or "" when none is configured."""
    return (option or os.environ.get(ADDRESS_VARIABLE, "")).strip()


@dataclass(frozen=True)
class Offer:
    address: str  # "" when none is configured
    intro: str
    options: tuple[str, ...]
    closing: str


def offer(_: Words, address: str, title: str) -> Offer:
    if address:
        intro = _(
            "If you would like this report in a different format, or one of these with "
            "different settings, please ask us: email {address} and say which report and "
            "what you need. We will send it to you.",
            address=address,
        )
    else:
        intro = _(
            "If you would like this report in a different format, or one of these with "
            "different settings, please ask us and say which report and what you need."
        )
    options = (
        _(
            "Large print in any size from {smallest} to {largest} point, on cream, yellow, blue, "
            "pink, green, lilac or grey paper, or yellow text on black.",
            smallest=LARGE_PRINT_SMALLEST,
            largest=MAX_FONT_SIZE,
        ),
        _(
            "Braille in contracted or uncontracted Unified English Braille, or in Welsh braille, "
            "with the number of cells and lines your embosser takes."
        ),
        _(
            "Audio read more slowly ({slower} words a minute) or faster ({faster} words a "
            "minute) than the standard {standard}.",
            **SPEECH_RATES,
        ),
        _("A Word document in a different font, with wider line spacing, or on coloured paper."),
    )
    closing = _("Please give the report's title, {title}, so we send the right one.", title=title)
    return Offer(address, intro, options, closing)
