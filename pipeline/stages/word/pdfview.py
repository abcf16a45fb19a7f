"""What the Word stage reads from LibreOffice's PDF of a document: where pictures and lines of
text are on its pages.

Two readers, each where it is cheapest: pikepdf parses every page's content stream to find
where the pictures are drawn (milliseconds for a 50-page report; pdfminer's full layout
analysis of the same file takes about a second), and pdfminer.six lays out the text of the few
pages that are looked at closely (the contents, and the page before a picture that starts a
page). Coordinates are PDF points, y upwards from the bottom of the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pikepdf

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass(frozen=True)
class Line:
    """One line of text as pdfminer groups it, with each character's box (for gaps)."""

    text: str
    box: Box
    chars: tuple[tuple[str, Box], ...]


@dataclass(frozen=True)
class PageImage:
    page: int  # 1-based
    box: Box


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """m then n (PDF's row-vector convention: the cm operator sets CTM = m x CTM)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def _matrix(values) -> Matrix:
    a, b, c, d, e, f = (float(v) for v in values)
    return (a, b, c, d, e, f)


def _unit_square(m: Matrix) -> Box:
    a, b, c, d, e, f = m
    xs = [e, a + e, c + e, a + c + e]
    ys = [f, b + f, d + f, b + d + f]
    return Box(min(xs), min(ys), max(xs), max(ys))


def _images_in(stream, resources, ctm: Matrix, out: list[Box], depth: int = 0) -> None:
    """Walk a content stream (a page or a form XObject) with its graphics-state stack: an image
    XObject is drawn into the unit square of the current matrix. Hand-written because no
    library in the runtime exposes drawn image positions without full layout analysis."""
    stack: list[Matrix] = []
    xobjects = resources.get("/XObject", {}) if resources is not None else {}
    for instruction in pikepdf.parse_content_stream(stream, "q Q cm Do"):
        if not isinstance(instruction, pikepdf.ContentStreamInstruction):
            continue  # an inline image: never how LibreOffice draws a picture
        operands, op = instruction.operands, str(instruction.operator)
        if op == "q":
            stack.append(ctm)
        elif op == "Q":
            ctm = stack.pop() if stack else ctm
        elif op == "cm":
            ctm = _multiply(_matrix(operands), ctm)
        elif op == "Do" and operands:
            xobject = xobjects.get(str(operands[0]))
            if xobject is None:
                continue
            subtype = xobject.get("/Subtype")
            if subtype == "/Image":
                out.append(_unit_square(ctm))
            elif subtype == "/Form" and depth < 8:
                matrix = _matrix(xobject.get("/Matrix", IDENTITY))
                resources_here = xobject.get("/Resources", resources)
                _images_in(xobject, resources_here, _multiply(matrix, ctm), out, depth + 1)


def page_images(pdf_path: Path) -> tuple[list[PageImage], float]:
    """Every picture drawn, page by page in drawing order, and the page height of page 1."""
    found: list[PageImage] = []
    with pikepdf.open(pdf_path) as pdf:
        height = float(pdf.pages[0].mediabox[3]) if len(pdf.pages) else 0.0
        for number, page in enumerate(pdf.pages, start=1):
            boxes: list[Box] = []
            _images_in(page, page.obj.get("/Resources"), IDENTITY, boxes)
            found += [PageImage(number, box) for box in boxes]
    return found, height


def _box(item) -> Box:
    return Box(float(item.x0), float(item.y0), float(item.x1), float(item.y1))


@dataclass(frozen=True)
class PageView:
    """One page as pdfminer lays it out: its text lines top to bottom, and the box of
    everything drawn on it (text lines, pictures, rules, cell borders)."""

    lines: list[Line]
    boxes: list[Box]


def read_pages(pdf_path: Path, pages: list[int]) -> dict[int, PageView]:
    """pdfminer's view of the given 1-based pages (one pass over the file)."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTChar, LTComponent, LTTextContainer, LTTextLine

    wanted = sorted(set(pages))
    out: dict[int, PageView] = {}
    laid_out = extract_pages(str(pdf_path), page_numbers=[p - 1 for p in wanted], laparams=LAParams())
    for number, page in zip(wanted, laid_out):
        lines: list[Line] = []
        boxes: list[Box] = []
        for item in page:
            if isinstance(item, LTTextContainer):
                for line in item:
                    if isinstance(line, LTTextLine):
                        chars = tuple((c.get_text(), _box(c)) for c in line if isinstance(c, LTChar))
                        lines.append(Line(line.get_text().strip(), _box(line), chars))
                        boxes.append(_box(line))
            elif isinstance(item, LTComponent):
                boxes.append(_box(item))
        out[number] = PageView(sorted(lines, key=lambda line: (-line.box.y1, line.box.x0)), boxes)
    return out
