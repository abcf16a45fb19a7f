"""The lines of text on a few pages of LibreOffice's PDF of a Word document, each character with
its box, read from the content streams with pikepdf.

Written by hand, not taken from pdfminer.six, for speed: the contents proof (pages.py) reads
the contents pages of every Word document the pipeline makes, and pdfminer's pure-Python
tokenizer took 0.26-0.48 s for the three contents pages of a 10,000-word report here, about a
third of the LibreOffice layout it checks; qpdf's tokenizer (through pikepdf) reads the same
pages in a few hundredths of a second. It understands what LibreOffice writes: simple fonts
with one byte a character, a ToUnicode map and a Widths array, text placed with Td/TD/Tm/T*.
Anything else (a composite font, a font without a ToUnicode map) raises Unreadable, and the
caller reads the page with pdfminer instead. tests/test_print_pages.py holds this reader to
pdfminer's reading of real LibreOffice PDFs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from .pdfview import IDENTITY, Box, Line, Matrix, Unreadable, as_matrix, multiply

_OPERATORS = "q Q cm BT Tf Td TD Tm T* TL Tc Tw Tz Ts Tj TJ ' \""
# Baselines closer than this (pt) are one line: LibreOffice puts every run of a line on the
# same baseline; superscripts (a note's number) sit higher and are left on a line of their own.
SAME_LINE_PT = 0.5
_HEX_PAIR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>")
_HEX_RANGE = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]*>|\[[^\]]*\])")


@dataclass(frozen=True)
class SimpleFont:
    """What placing a character needs: its width (thousandths of the size) and its text."""

    widths: dict[int, float]
    text: dict[int, str]
    descent: float  # the font's box below and above the baseline, thousandths of the size
    ascent: float


def _utf16(hex_digits: bytes) -> str:
    return bytes.fromhex(hex_digits.decode("ascii")).decode("utf-16-be", errors="replace")


def _to_unicode(cmap: bytes) -> dict[int, str]:
    """A ToUnicode CMap's bfchar and bfrange entries, for one-byte codes."""
    for space in re.findall(rb"begincodespacerange(.*?)endcodespacerange", cmap, re.S):
        if any(len(low) != 2 for low, _ in _HEX_PAIR.findall(space)):
            raise Unreadable("a font with codes longer than one byte")
    text: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, target in _HEX_PAIR.findall(block):
            text[int(code, 16)] = _utf16(target)
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, target in _HEX_RANGE.findall(block):
            first, last = int(low, 16), int(high, 16)
            if target.startswith(b"["):
                for code, each in zip(range(first, last + 1), re.findall(rb"<([0-9A-Fa-f]*)>", target)):
                    text[code] = _utf16(each)
            else:
                start = _utf16(target[1:-1])
                for offset, code in enumerate(range(first, last + 1)):
                    text[code] = start[:-1] + chr(ord(start[-1]) + offset) if start else ""
    return text


def simple_font(font) -> SimpleFont:
    if font.get("/Subtype") not in ("/TrueType", "/Type1") or "/ToUnicode" not in font:
        raise Unreadable(f"a font this reader does not place ({font.get('/Subtype')})")
    first = int(font.get("/FirstChar", 0))
    widths = {first + index: float(width) for index, width in enumerate(font.get("/Widths", []))}
    descriptor = font.get("/FontDescriptor", {})
    box = [float(v) for v in descriptor.get("/FontBBox", [0, -200, 0, 800])]
    return SimpleFont(widths, _to_unicode(font.ToUnicode.read_bytes()), box[1], box[3])


@dataclass
class _TextState:
    """The PDF text state, as far as placing characters needs it (PDF 32000 9.3)."""

    font: SimpleFont | None = None
    size: float = 0.0
    char_spacing: float = 0.0
    word_spacing: float = 0.0
    scale: float = 1.0
    leading: float = 0.0
    rise: float = 0.0
    matrix: Matrix = IDENTITY
    line_matrix: Matrix = IDENTITY
    glyphs: list[tuple[float, str, Box]] = field(default_factory=list)  # baseline, text, box

    def next_line(self, tx: float, ty: float) -> None:
        self.line_matrix = multiply((1.0, 0.0, 0.0, 1.0, tx, ty), self.line_matrix)
        self.matrix = self.line_matrix

    def show(self, codes: bytes, ctm: Matrix) -> None:
        if self.font is None:
            raise Unreadable("text shown before a font is chosen")
        for code in codes:
            width = self.font.widths.get(code, 0.0) / 1000 * self.size
            placed = multiply(multiply((self.scale, 0.0, 0.0, 1.0, 0.0, self.rise), self.matrix), ctm)
            x0, baseline = placed[4], placed[5]
            x1 = placed[0] * width + x0
            below = placed[3] * self.font.descent / 1000 * self.size
            above = placed[3] * self.font.ascent / 1000 * self.size
            box = Box(min(x0, x1), baseline + below, max(x0, x1), baseline + above)
            self.glyphs.append((baseline, self.font.text.get(code, "\ufffd"), box))
            space = self.word_spacing if code == 32 else 0.0
            self.move((width + self.char_spacing + space) * self.scale)

    def move(self, tx: float) -> None:
        self.matrix = multiply((1.0, 0.0, 0.0, 1.0, tx, 0.0), self.matrix)


def _page_glyphs(page: pikepdf.Page) -> list[tuple[float, str, Box]]:
    fonts: dict[str, SimpleFont] = {}
    resources = page.obj.get("/Resources")
    font_table = resources.get("/Font") if resources is not None else None
    state = _TextState()
    ctm, stack = IDENTITY, []
    for instruction in pikepdf.parse_content_stream(page, _OPERATORS):
        if not isinstance(instruction, pikepdf.ContentStreamInstruction):
            continue
        operands, op = instruction.operands, str(instruction.operator)
        if op == "q":
            stack.append(ctm)
        elif op == "Q":
            ctm = stack.pop() if stack else ctm
        elif op == "cm":
            ctm = multiply(as_matrix(operands), ctm)
        elif op == "BT":
            state.matrix = state.line_matrix = IDENTITY
        elif op == "Tf":
            name = str(operands[0])
            if name not in fonts:
                if font_table is None or name not in font_table:
                    raise Unreadable(f"a font the page does not name ({name})")
                fonts[name] = simple_font(font_table[name])
            state.font, state.size = fonts[name], float(operands[1])
        elif op in ("Td", "TD"):
            tx, ty = float(operands[0]), float(operands[1])
            if op == "TD":
                state.leading = -ty
            state.next_line(tx, ty)
        elif op == "Tm":
            state.matrix = state.line_matrix = as_matrix(operands)
        elif op == "T*":
            state.next_line(0.0, -state.leading)
        elif op in ("TL", "Tc", "Tw", "Tz", "Ts"):
            _set(state, op, float(operands[0]))
        elif op == "Tj":
            state.show(bytes(operands[0]), ctm)
        elif op == "TJ":
            for item in operands[0]:
                if isinstance(item, pikepdf.String):
                    state.show(bytes(item), ctm)
                else:
                    state.move(-float(item) / 1000 * state.size * state.scale)
        else:  # ' and ": next line, then show (with spacing set first for ")
            if op == '"':
                state.word_spacing, state.char_spacing = float(operands[0]), float(operands[1])
            state.next_line(0.0, -state.leading)
            state.show(bytes(operands[-1]), ctm)
    return state.glyphs


def _set(state: _TextState, op: str, value: float) -> None:
    if op == "TL":
        state.leading = value
    elif op == "Tc":
        state.char_spacing = value
    elif op == "Tw":
        state.word_spacing = value
    elif op == "Tz":
        state.scale = value / 100
    else:
        state.rise = value


def _lines(glyphs: list[tuple[float, str, Box]]) -> list[Line]:
    """Characters on one baseline, left to right; lines top to bottom."""
    lines: list[Line] = []
    group: list[tuple[float, str, Box]] = []
    for glyph in sorted(glyphs, key=lambda g: -g[0]):
        if group and group[0][0] - glyph[0] > SAME_LINE_PT:
            lines.append(_line(group))
            group = []
        group.append(glyph)
    if group:
        lines.append(_line(group))
    return lines


def _line(group: list[tuple[float, str, Box]]) -> Line:
    chars = tuple((text, box) for _, text, box in sorted(group, key=lambda g: g[2].x0))
    boxes = [box for _, box in chars]
    outline = Box(
        min(b.x0 for b in boxes), min(b.y0 for b in boxes), max(b.x1 for b in boxes), max(b.y1 for b in boxes)
    )
    return Line("".join(text for text, _ in chars).strip(), outline, chars)


def text_lines(pdf_path: Path, pages: list[int]) -> Iterator[tuple[int, list[Line]]]:
    """(page number, its lines) of the given 1-based pages in order, each read only when asked
    for. Raises Unreadable for a page this reader cannot place (module docstring)."""
    try:
        with pikepdf.open(pdf_path) as pdf:
            for number in sorted(set(pages)):
                if 1 <= number <= len(pdf.pages):
                    yield number, _lines(_page_glyphs(pdf.pages[number - 1]))
    except (pikepdf.PdfError, KeyError, IndexError, ValueError, TypeError) as error:
        raise Unreadable(f"{pdf_path.name}: {error}") from None
