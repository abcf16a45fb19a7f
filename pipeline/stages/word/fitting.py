"""Figures scaled to fit rather than pushed to the next page, in the Word documents.

python-docx has no layout, so the stage reads LibreOffice's layout of the finished document
(pages.py): a picture that starts a page, while the page before it has a third or more of its
text height empty, is shrunk so that it and its caption fit that space, if that keeps it at
`min_scale` of its size or more; then the document is laid out again to see that it moved. The
PDF stage does the same with ReportLab (FittingFigure), with the same 0.45 floor for clear print.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from docx.oxml.ns import qn
from lxml import etree

from .pdfview import Drawn, PageImage, page_drawings, page_images, read_pages

EMU_PER_PT = 12700
WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
SIZE_TOLERANCE_PT = 2.0  # LibreOffice's drawn size against the size written in the .docx
# Lines take more height than their letters (pdfminer's boxes): the last line above the
# space and the caption's last line each reach below their letters by up to (spacing - 1) x
# size; on top of that a few points of LibreOffice's rounding (measured: at 14 pt, 1.15
# spacing, a picture 0.580 of full size fitted where the sum below gave 0.581 and 0.59 did not).
ROUNDING_PT = 8.0
CLEAR_PRINT_MIN_SCALE = 0.45  # the PDF stage's FittingFigure.MIN_SCALE
# Large print sets pictures at the full text width so that their detail and labels are as big
# as the page allows; shrinking one by more than a fifth would undo most of that (a label drawn
# at 20 pt on the page falls to 16 pt, UKAAF's minimum, at four fifths).
LARGE_PRINT_MIN_SCALE = 0.8
MAX_FITS = 4  # figures fitted per document; each costs one more layout


@dataclass
class Picture:
    """A picture of the .docx body (document order), with the size the writer gave it."""

    extents: list[etree._Element]  # wp:extent and a:xfrm/a:ext: both carry cx, cy
    full: tuple[int, int]  # EMU
    fittable: bool  # in the body flow, not after a page or section break
    caption: str  # the caption paragraph's words ("" for none)
    lead: str  # the words of the headings kept with it (keepNext), which move with it

    def scale(self, factor: float) -> None:
        cx, cy = (round(v * factor) for v in self.full)
        for extent in self.extents:
            extent.set("cx", str(cx))
            extent.set("cy", str(cy))


@dataclass(frozen=True)
class Frame:
    """The text area of a portrait page, in PDF points (y up)."""

    top: float
    bottom: float

    @property
    def height(self) -> float:
        return self.top - self.bottom


@dataclass(frozen=True)
class Fit:
    index: int  # into the pictures
    scale: float
    page: int  # the page it started before it was shrunk


def _number(element: etree._Element | None, attribute: str) -> int:
    value = element.get(attribute) if element is not None else None
    if value is None:
        raise LookupError(f"the writer's <{attribute}> is missing")  # pragma: no cover - ours
    return int(value)


def _text(element: etree._Element) -> str:
    return "".join(t.text or "" for t in element.iter(qn("w:t")))


def _squash(text: str) -> str:
    return "".join(text.split())


def _starts_page(paragraph: etree._Element) -> bool:
    """A break before the paragraph (its own page break, or the section before ending)."""
    if paragraph.find(f"{qn('w:pPr')}/{qn('w:pageBreakBefore')}") is not None:
        return True
    previous = paragraph.getprevious()
    return previous is not None and previous.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None


def _keeps_with_next(paragraph: etree._Element, keeping_styles: frozenset[str]) -> bool:
    if paragraph.tag != qn("w:p") or paragraph.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None:
        return False
    if paragraph.find(f"{qn('w:pPr')}/{qn('w:keepNext')}") is not None:
        return True
    style = paragraph.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
    return style is not None and style.get(qn("w:val")) in keeping_styles


def _lead(paragraph: etree._Element, keeping_styles: frozenset[str]) -> list[etree._Element]:
    """The paragraphs just before the picture's that keep with the next (its headings)."""
    lead: list[etree._Element] = []
    previous = paragraph.getprevious()
    while previous is not None and _keeps_with_next(previous, keeping_styles):
        lead.insert(0, previous)
        previous = previous.getprevious()
    return lead


def pictures(body: etree._Element, caption_style_id: str, keeping_styles: frozenset[str]) -> list[Picture]:
    out: list[Picture] = []
    for inline in body.iter(f"{{{WP_NS}}}inline"):
        extent = inline.find(f"{{{WP_NS}}}extent")
        if extent is None:
            continue
        extents = [extent, *inline.iter(f"{{{A_NS}}}ext")]
        extents = [e for e in extents if e.get("cx") is not None]
        paragraph = next(inline.iterancestors(qn("w:p")), None)
        lead = _lead(paragraph, keeping_styles) if paragraph is not None else []
        fittable = (
            paragraph is not None
            and paragraph.getparent() is body
            and not _starts_page(lead[0] if lead else paragraph)
        )
        caption = ""
        following = paragraph.getnext() if paragraph is not None else None
        if following is not None and following.tag == qn("w:p"):
            style = following.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
            if style is not None and style.get(qn("w:val")) == caption_style_id:
                caption = _text(following)
        full = (_number(extent, "cx"), _number(extent, "cy"))
        out.append(Picture(extents, full, fittable, caption, "".join(_text(p) for p in lead)))
    return out


def frame(body: etree._Element) -> Frame:
    """The text area from the document's (portrait) page set-up."""
    size, margins = (
        body.find(f"{qn('w:sectPr')}/{qn('w:pgSz')}"),
        body.find(f"{qn('w:sectPr')}/{qn('w:pgMar')}"),
    )
    height = _number(size, qn("w:h")) / 20
    return Frame(height - _number(margins, qn("w:top")) / 20, _number(margins, qn("w:bottom")) / 20)


def matched_images(drawings: list[Drawn], found: list[Picture]) -> list[PageImage] | None:
    """The drawn image of each picture, in document order; None when LibreOffice's pictures do
    not pair off with the document's one by one at their written sizes (then nothing is fitted:
    guessing which picture is which could shrink the wrong one)."""
    images = page_images(drawings)
    if len(images) != len(found):
        return None
    for image, picture in zip(images, found):
        cx, cy = (_number(picture.extents[0], name) / EMU_PER_PT for name in ("cx", "cy"))
        if abs(image.box.width - cx) > SIZE_TOLERANCE_PT or abs(image.box.height - cy) > SIZE_TOLERANCE_PT:
            return None
    return images


def plan_fit(
    pdf_path: Path,
    found: list[Picture],
    page_frame: Frame,
    gap: float,
    slack: float,
    min_scale: float,
    tried: set[int],
) -> Fit | None:
    """The first picture, not yet tried, that starts a page after a page a third or more empty,
    and the scale at which it and its caption fit that space (None if there is none)."""
    drawings = page_drawings(pdf_path)
    images = matched_images(drawings, found)
    if images is None:
        return None
    for index, (image, picture) in enumerate(zip(images, found)):
        if index in tried or not picture.fittable or image.page == 1:
            continue
        # Quick looks at the content streams before pdfminer's closer one: something above it
        # on its page, or the page before less than a third empty (its lowest baseline or
        # rule is at or above its lowest letters, so this never rules out a page that is).
        if not picture.lead and image.box.y1 < page_frame.top - gap - slack:
            continue
        marks = [y for y in drawings[image.page - 2].marks if page_frame.bottom - 1 <= y < page_frame.top]
        lowest = min(marks, default=page_frame.top)
        if lowest - page_frame.bottom < page_frame.height / 3:
            continue
        # A heading moving up with it brings its space before (at most 1.5 gaps).
        above = gap * (2.5 if picture.lead else 1) + 2 * slack + ROUNDING_PT
        fit = _fit(pdf_path, index, image, picture, page_frame, above, min_scale)
        if fit is not None:
            return fit
    return None


def _fit(
    pdf_path: Path,
    index: int,
    image: PageImage,
    picture: Picture,
    page_frame: Frame,
    above: float,
    min_scale: float,
) -> Fit | None:
    """above: the space between the page's last line (its letters) and the picture, and under
    the caption's letters, beyond the picture and caption themselves."""
    views = read_pages(pdf_path, [image.page - 1, image.page])
    here, before = views[image.page], views[image.page - 1]
    # In the text area (the footer is below it; letters may reach a little above its top).
    within = lambda box: page_frame.bottom - 1 <= box.y0 < page_frame.top
    over = lambda box: within(box) and box.y0 >= image.box.y1 - 1
    lines_over = [line for line in here.lines if over(line.box)]
    if sum(1 for box in here.boxes if over(box)) != len(lines_over):
        return None  # a rule or a picture above it: not the first thing on its page
    if "".join(_squash(line.text) for line in lines_over) != _squash(picture.lead):
        return None  # more than its own headings above it on its page
    top = max((line.box.y1 for line in lines_over), default=image.box.y1)
    bottom = image.box.y0
    if picture.caption:
        wanted, seen = _squash(picture.caption), ""
        for line in (below for below in here.lines if below.box.y1 <= image.box.y0 + 1):
            seen += _squash(line.text)
            bottom = line.box.y0
            if len(seen) >= len(wanted):
                break
        if seen != wanted:
            return None  # the caption is not where it should be: leave the picture alone
    content = [box for box in before.boxes if within(box)]
    empty = (min(box.y0 for box in content) if content else page_frame.top) - page_frame.bottom
    if empty < page_frame.height / 3:
        return None
    picture_height = image.box.height
    rest = top - bottom - picture_height  # its headings, the caption and the space between
    scale = (empty - above - rest) / picture_height
    if not min_scale <= scale < 1:
        return None
    return Fit(index, round(scale, 3), image.page)


def moved(pdf_path: Path, found: list[Picture], fit: Fit) -> bool:
    """Whether the shrunk picture now sits on an earlier page than before."""
    images = matched_images(page_drawings(pdf_path), found)
    return images is not None and images[fit.index].page < fit.page
