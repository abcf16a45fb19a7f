"""Page numbers for the contents, and figures fitted to the page, from LibreOffice's layout of
the finished document.

python-docx writes no layout, so nothing in the writer knows which page a heading lands on.
LibreOffice (headless) lays the document out as a word processor does: the document is
converted to PDF, whose outline (one bookmark per heading, which LibreOffice writes from the
heading styles) says the page of every heading. The numbers go into the contents' PAGEREF
results and the document is saved again.

One layout is enough in the common case: the contents is first written with placeholder
numbers as wide as any page number of the document can be ("888"), and that same layout shows
every entry on one line with room to spare before its number. Real numbers are no wider and sit
after a right-aligned tab, so putting them in cannot move a line break, and so cannot move any
page. Only when that cannot be shown from the layout (an entry wraps or has no room left), or a
figure was shrunk to fit (fitting.py), is the document laid out again, until the numbers shown
are the pages LibreOffice puts the headings on.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from lxml import etree

from ... import libreoffice
from ...errors import StageFailed
from . import fitting
from .pdftext import text_lines
from .pdfview import Line, Unreadable, iter_pages

LAYOUT_TIMEOUT_S = 180
MAX_ROUNDS = 3


def render_pdf(docx_path: Path, out_dir: Path) -> Path:
    """LibreOffice's PDF of the document (pipeline/libreoffice.py: a profile of its own)."""
    program = libreoffice.soffice()
    if program is None:
        raise StageFailed(
            "LibreOffice (soffice) is not installed, so the contents cannot get "
            "page numbers. Install it with `apt-get install "
            "libreoffice-writer-nogui`."
        )
    try:
        layout = libreoffice.lay_out_as_pdf(program, docx_path, out_dir, LAYOUT_TIMEOUT_S)
    except libreoffice.LayoutTimeout as error:
        raise StageFailed(f"{error}; the contents have no page numbers") from None
    if layout.pdf is None:
        raise StageFailed(
            f"LibreOffice could not lay out {docx_path.name} (no PDF written); "
            "the contents have no page numbers"
        )
    return layout.pdf


def heading_pages(pdf_path: Path) -> list[tuple[str, int]]:
    """(title, 1-based page) of every bookmark of the PDF, in document order."""
    out: list[tuple[str, int]] = []
    with pikepdf.open(pdf_path) as pdf:
        with pdf.open_outline() as outline:

            def walk(items) -> None:
                for item in items:
                    destination = item.destination
                    if isinstance(destination, pikepdf.Array) and len(destination):
                        page = pdf.pages.index(pikepdf.Page(destination[0])) + 1
                        out.append((" ".join(str(item.title).split()), page))
                    walk(item.children)

            walk(outline.root)
    return out


def match_pages(entries: list[str], bookmarks: list[tuple[str, int]]) -> list[int | None]:
    """The page of each contents entry: the next bookmark with its words, in order."""
    pages: list[int | None] = []
    position = 0
    for text in entries:
        wanted = " ".join(text.split())
        found = None
        for index in range(position, len(bookmarks)):
            if bookmarks[index][0] == wanted:
                found, position = bookmarks[index][1], index + 1
                break
        pages.append(found)
    return pages


@dataclass(frozen=True)
class FigureFitting:
    """What fitting.py needs to know of the document: its body, the Caption style's id, the
    space after a paragraph (pt), how far a line reaches below its letters (line spacing
    less one, times the size) and how far a picture may shrink."""

    body: etree._Element
    caption_style_id: str
    keeping_style_ids: frozenset[str]  # the headings' styles (they keep with the next paragraph)
    gap: float
    slack: float
    min_scale: float


@dataclass(frozen=True)
class ContentsProof:
    """How to read the contents on LibreOffice's pages: the placeholder every entry shows until
    its number is filled in, and the room (pt) an entry must leave before it."""

    placeholder: str
    room: float


def contents_fit_on_one_line(
    pages: Iterable[tuple[int, list[Line]]], entries: list[str], proof: ContentsProof
) -> bool:
    """Whether every entry is one line ending in the placeholder, with the whole entry before
    it and at least proof.room between its last word and the number. The lines ending in the
    placeholder are taken in order: an entry that wraps shows only its tail on that line."""
    wanted = iter(entries)
    entry = next(wanted, None)
    for _, lines in pages:
        for line in lines:
            if entry is None:
                return True
            chars = [(c, box) for c, box in line.chars if c.strip()]
            shown = "".join(c for c, _ in chars)
            if not shown.endswith(proof.placeholder):
                continue
            words = shown[: -len(proof.placeholder)].rstrip(".")
            if words != "".join(entry.split()).rstrip("."):
                return False
            number_start = chars[-len(proof.placeholder)][1].x0
            last_word = [box for c, box in chars[: -len(proof.placeholder)] if c != "."]
            if not last_word or number_start - last_word[-1].x1 < proof.room:
                return False
            entry = next(wanted, None)
        if entry is None:
            return True  # the pages after are not read
    return False


def _numbers_fit(pages: list[int], placeholder: str) -> bool:
    return all(len(str(page)) <= len(placeholder) for page in pages)


def fill_contents_pages(
    docx_path: Path,
    entries: list,
    save: Callable[[], None],
    proof: ContentsProof,
    figures: FigureFitting | None = None,
) -> list[int]:
    """Lay the saved document out, fit figures (when asked), write each entry's page into its
    PAGEREF result and save; lay out again only when the layout cannot show that the numbers
    stay right (module docstring). entries are front.ContentsEntryRuns."""
    texts = [e.text for e in entries]
    with tempfile.TemporaryDirectory(prefix="word-pages-") as scratch:
        rounds = iter(range(1, 100))

        def lay_out() -> Path:
            folder = Path(scratch) / f"{next(rounds)}"
            folder.mkdir()
            return render_pdf(docx_path, folder)

        pdf = lay_out()
        if figures is not None:
            pdf = _fit_figures(pdf, figures, save, lay_out)
        pages = _pages(docx_path, texts, pdf)
        proven = _numbers_fit(pages, proof.placeholder) and _proven(pdf, pages, texts, proof)
        shown = pages
        for _ in range(MAX_ROUNDS):
            for entry, page in zip(entries, pages):
                entry.page_text.text = str(page)
            save()
            shown = pages
            if proven:
                return shown
            pages = _pages(docx_path, texts, lay_out())
            if pages == shown:  # laid out with its numbers in, the document keeps them
                return shown
    return shown


def _proven(pdf: Path, pages: list[int], texts: list[str], proof: ContentsProof) -> bool:
    """contents_fit_on_one_line on the pages up to the first entry's (where the contents ends),
    read by pdftext.py, or by pdfminer where that reader cannot place a page; a PDF neither
    can read proves nothing (then the document is laid out again)."""
    wanted = list(range(1, (pages[0] if pages else 1) + 1))
    try:
        return contents_fit_on_one_line(text_lines(pdf, wanted), texts, proof)
    except Unreadable:
        pass
    try:
        return contents_fit_on_one_line(_pdfminer_lines(pdf, wanted), texts, proof)
    except Unreadable:
        return False


def _pdfminer_lines(pdf: Path, wanted: list[int]) -> Iterator[tuple[int, list[Line]]]:
    return ((number, view.lines) for number, view in iter_pages(pdf, wanted))


def _pages(docx_path: Path, texts: list[str], pdf: Path) -> list[int]:
    pages = match_pages(texts, heading_pages(pdf))
    missing = [text for text, page in zip(texts, pages) if page is None]
    if missing:
        raise StageFailed(
            f"LibreOffice's layout of {docx_path.name} has no heading "
            f"'{missing[0]}'; the contents cannot be numbered"
        )
    return [page for page in pages if page is not None]


def _fit_figures(pdf: Path, figures: FigureFitting, save: Callable[[], None], lay_out) -> Path:
    """Shrink, one at a time, each picture that starts a page after a page a third or more
    empty (fitting.py), keeping the shrink only if the next layout shows it moved up. Each
    picture fitted costs one layout; a document whose pictures all fit costs none."""
    found = fitting.pictures(figures.body, figures.caption_style_id, figures.keeping_style_ids)
    if not any(p.fittable for p in found):
        return pdf
    page_frame = fitting.frame(figures.body)
    tried: set[int] = set()
    for _ in range(fitting.MAX_FITS):
        try:
            fit = fitting.plan_fit(
                pdf, found, page_frame, figures.gap, figures.slack, figures.min_scale, tried
            )
        except Unreadable:
            fit = None  # the pictures stay as written: nothing to gain from guessing
        if fit is None:
            break
        tried.add(fit.index)
        found[fit.index].scale(fit.scale)
        save()
        shrunk = lay_out()
        if _moved(shrunk, found, fit):
            pdf = shrunk
        else:  # back to full size: the document is again the one `pdf` shows
            found[fit.index].scale(1.0)
            save()
    return pdf


def _moved(pdf: Path, found: list[fitting.Picture], fit: fitting.Fit) -> bool:
    try:
        return fitting.moved(pdf, found, fit)
    except Unreadable:
        return False
