"""What the Word stage reads from LibreOffice's PDF of a document: where pictures and lines of
text are on its pages.

Two readers, each where it is cheapest: pikepdf parses every page's content stream to find
where the pictures are drawn (milliseconds for a 50-page report; pdfminer's full layout
analysis of the same file takes about a second), and pdfminer.six lays out the text of the few
pages that are looked at closely (the contents, and the page before a picture that starts a
page). Coordinates are PDF points, y upwards from the bottom of the page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pikepdf

Matrix = tuple[float, float, float, float, float, float]


class Unreadable(Exception):
    """The PDF could not be read this way: the caller falls back to what needs no reading."""


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


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """m then n (PDF's row-vector convention: the cm operator sets CTM = m x CTM)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def as_matrix(values) -> Matrix:
    a, b, c, d, e, f = (float(v) for v in values)
    return (a, b, c, d, e, f)


def _unit_square(m: Matrix) -> Box:
    a, b, c, d, e, f = m
    xs = [e, a + e, c + e, a + c + e]
    ys = [f, b + f, d + f, b + d + f]
    return Box(min(xs), min(ys), max(xs), max(ys))


@dataclass
class Drawn:
    """What one page draws, from its content stream: each picture's box, and the height (y) of
    every text baseline and path point (rules, cell borders)."""

    images: list[Box]
    marks: list[float]


def _y(m: Matrix, x: float, y: float) -> float:
    return m[1] * x + m[3] * y + m[5]


_OPERATORS = "q Q cm Do BT Td TD Tm Tj TJ ' \" re m l"


def _walk(stream, resources, ctm: Matrix, out: Drawn, depth: int = 0) -> None:
    """Walk a content stream (a page or a form XObject) with its graphics-state stack: an image
    XObject is drawn into the unit square of the current matrix, text starts at the text
    matrix's origin. Hand-written because no library in the runtime gives drawn positions
    without pdfminer's full (and, for every page, slow) layout analysis. Text positioning that
    LibreOffice does not use (T*, leading) is not followed: a mark then sits higher than the
    text, which only makes a page look fuller than it is (fitting.py then looks closer)."""
    stack: list[Matrix] = []
    text: Matrix = IDENTITY
    xobjects = resources.get("/XObject", {}) if resources is not None else {}
    for instruction in pikepdf.parse_content_stream(stream, _OPERATORS):
        if not isinstance(instruction, pikepdf.ContentStreamInstruction):
            continue  # an inline image: never how LibreOffice draws a picture
        operands, op = instruction.operands, str(instruction.operator)
        if op == "q":
            stack.append(ctm)
        elif op == "Q":
            ctm = stack.pop() if stack else ctm
        elif op == "cm":
            ctm = multiply(as_matrix(operands), ctm)
        elif op == "BT":
            text = IDENTITY
        elif op in ("Td", "TD") and len(operands) == 2:
            text = multiply((1.0, 0.0, 0.0, 1.0, float(operands[0]), float(operands[1])), text)
        elif op == "Tm" and len(operands) == 6:
            text = as_matrix(operands)
        elif op in ("Tj", "TJ", "'", '"'):
            out.marks.append(_y(multiply(text, ctm), 0.0, 0.0))
        elif op == "re" and len(operands) == 4:
            x, y, _, height = (float(v) for v in operands)
            out.marks += [_y(ctm, x, y), _y(ctm, x, y + height)]
        elif op in ("m", "l") and len(operands) == 2:
            out.marks.append(_y(ctm, float(operands[0]), float(operands[1])))
        elif op == "Do" and operands:
            xobject = xobjects.get(str(operands[0]))
            if xobject is None:
                continue
            subtype = xobject.get("/Subtype")
            if subtype == "/Image":
                out.images.append(_unit_square(ctm))
            elif subtype == "/Form" and depth < 8:
                matrix = as_matrix(xobject.get("/Matrix", IDENTITY))
                resources_here = xobject.get("/Resources", resources)
                _walk(xobject, resources_here, multiply(matrix, ctm), out, depth + 1)


def page_drawings(pdf_path: Path) -> list[Drawn]:
    """What each page draws (index 0: page 1)."""
    pages: list[Drawn] = []
    try:
        with pikepdf.open(pdf_path) as pdf:
            for page in pdf.pages:
                drawn = Drawn([], [])
                _walk(page, page.obj.get("/Resources"), IDENTITY, drawn)
                pages.append(drawn)
    except (pikepdf.PdfError, ValueError, TypeError) as error:
        raise Unreadable(f"{pdf_path.name}: {error}") from None
    return pages


def page_images(drawings: list[Drawn]) -> list[PageImage]:
    """Every picture drawn, page by page in drawing order."""
    return [PageImage(number, box) for number, page in enumerate(drawings, start=1) for box in page.images]


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
    return dict(iter_pages(pdf_path, pages))


def iter_pages(pdf_path: Path, pages: list[int]) -> Iterator[tuple[int, PageView]]:
    """(page number, view) of the given pages in order, each laid out only when asked for: a
    reader that has seen enough stops early and the later pages cost nothing."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams
    from pdfminer.pdfexceptions import PSException

    wanted = sorted(set(pages))
    try:
        laid_out = extract_pages(str(pdf_path), page_numbers=[p - 1 for p in wanted], laparams=LAParams())
        for number, page in zip(wanted, laid_out):
            yield number, _view(page)
    except PSException as error:
        raise Unreadable(f"{pdf_path.name}: {error}") from None


def _view(page) -> PageView:
    from pdfminer.layout import LTChar, LTComponent, LTTextContainer, LTTextLine

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
    return PageView(sorted(lines, key=lambda line: (-line.box.y1, line.box.x0)), boxes)
