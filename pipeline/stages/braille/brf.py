"""BRF: Braille ASCII (North American Braille Computer Code), upper case, CR LF, form feeds.

The 64 cells map to the characters 0x20-0x5F in the standard Braille ASCII order, indexed by the
cell's dot bits (dot 1 = 1 ... dot 6 = 32), which is exactly the offset of the Unicode braille
character from U+2800. It is a fixed standard of 64 entries, so it is written out here; a test
checks it against liblouis' own en-us-brf.dis display table.
"""

from __future__ import annotations

from pathlib import Path

BRAILLE_ASCII = " A1B'K2L@CIF/MSP\"E3H9O6R^DJG>NTQ,*5<-U8V.%[$+X!&;:4\\0Z7(_?W]#Y)="


def to_braille_ascii(cells: str) -> str:
    return "".join(BRAILLE_ASCII[ord(cell) - 0x2800] for cell in cells)


def brf_text(pages: list[list[str]]) -> str:
    """Every line ends CR LF; every page, the last included, ends with a form feed."""
    return "".join("".join(to_braille_ascii(line) + "\r\n" for line in page) + "\f" for page in pages)


def write_brf(pages: list[list[str]], path: Path) -> Path:
    path.write_bytes(brf_text(pages).encode("ascii"))
    return path
