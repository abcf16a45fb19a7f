"""Stage `pdf`: a tagged PDF/UA-1 for screen readers, laid out to clear-print rules.

ReportLab lays the pages out (layout.py); the flowables write marked content as they draw and
record the structure tree (flowables.py, tagging.py); pikepdf writes the tree and the catalogue
entries afterwards (finish.py). The contents page's numbers and "Page 3 of 12" are known only
at the end: they are painted on their pages when the canvas saves (flowables.LateText,
template.LateCanvas), so the story is laid out once (it was twice: measuring, then the real one).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from reportlab.lib.pagesizes import A4, LETTER, landscape
from reportlab.lib.units import cm

from ...document import Document
from ...stage_api import PAGE_MAP, BuildContext, PageMap, PageStart, Stage
from .fonts import SUPPORTED_FAMILIES
from .tagging import StructElem, Tagger

# ReportLab's platypus, pikepdf, pdfminer and checks/pdf are imported inside lay_out, build and
# check, not here: the build imports every stage to compute its key, and a no-op build should
# not pay for them (TaggedDocTemplate lives in template.py for the same reason).

PAPER_SIZES = {"A4": A4, "Letter": LETTER}
MARGIN = 2 * cm
MINIMUM_FONT_SIZE = 12


@dataclass(frozen=True)
class PdfOptions:
    font_size: int = 14
    font_family: str = "Liberation Sans"
    paper: str = "A4"

    def __post_init__(self) -> None:
        if self.font_size < MINIMUM_FONT_SIZE:
            raise ValueError(
                f"font_size must be at least {MINIMUM_FONT_SIZE} (clear print), not {self.font_size}"
            )
        if self.font_size > 72:
            raise ValueError(f"font_size {self.font_size} is too large for a page; use at most 72")
        if self.font_family not in SUPPORTED_FAMILIES:
            raise ValueError(
                f"font_family must be one of {', '.join(SUPPORTED_FAMILIES)}, not '{self.font_family}'"
            )
        if self.paper not in PAPER_SIZES:
            raise ValueError(f"paper must be one of {', '.join(PAPER_SIZES)}, not '{self.paper}'")


@dataclass(frozen=True)
class LaidOut:
    root: StructElem
    block_pages: dict[int, int]  # top-level block index -> page it starts on
    anchor_pages: dict[str, int]  # bookmarked heading's anchor -> its page
    pages: int


def lay_out(
    doc: Document,
    options: PdfOptions,
    path: Path,
) -> LaidOut:
    from .flowables import LatePages, LateText
    from .fonts import register_fonts
    from .layout import Frame, StoryWriter
    from .styles import Styles
    from .template import TaggedDocTemplate

    text_fonts, mono_fonts = register_fonts(options.font_family)
    root = StructElem("Document", lang=doc.meta.language)
    tagger = Tagger(root)
    late = LateText()
    template = TaggedDocTemplate(
        path,
        tagger,
        text_fonts,
        options.font_size,
        doc,
        late,
        MARGIN / 2,
        pagesize=PAPER_SIZES[options.paper],
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN * 1.25,
        title=doc.meta.title,
        author=", ".join(doc.meta.authors),
        subject=doc.meta.description,
        lang=doc.meta.language,
        displayDocTitle=True,
        initialFontName=text_fonts.regular,
        initialFontSize=options.font_size,
        creator="accessible-formats",
    )
    frame = Frame(
        template.width, template.height, landscape_width=landscape(template.pagesize)[0] - 2 * MARGIN
    )
    writer = StoryWriter(doc, Styles(options.font_size, text_fonts, mono_fonts), frame, tagger, late)
    template.build(writer.story())
    writer.name_contents_links(LatePages(dict(tagger.anchor_pages), template.page))
    return LaidOut(root, dict(tagger.block_pages), dict(tagger.anchor_pages), template.page)


def build(doc: Document, options: PdfOptions, out_dir: Path, ctx: BuildContext) -> list[Path]:
    from .finish import write_structure

    pdf_path = out_dir / f"{ctx.slug}.pdf"
    map_path = out_dir / f"{ctx.slug}.pagemap.json"
    with tempfile.TemporaryDirectory(prefix="pdf-stage-") as scratch:
        ctx.progress(0, 3, "laying out")
        final = lay_out(doc, options, Path(scratch) / "layout.pdf")
        ctx.progress(2, 3, "writing the structure tree")
        write_structure(Path(scratch) / "layout.pdf", pdf_path, final.root, doc.meta)
    page_map = PageMap(pdf_path.name, _page_starts(final.block_pages))
    map_path.write_text(json.dumps(page_map.to_json(), indent=1), encoding="utf-8")
    ctx.progress(3, 3, f"{final.pages} pages")
    return [pdf_path, map_path]


def _page_starts(block_pages: dict[int, int]) -> tuple[PageStart, ...]:
    """For each page on which some top-level block starts, the first such block."""
    first_on_page: dict[int, int] = {}
    for index, page in block_pages.items():
        if index < first_on_page.get(page, index + 1):
            first_on_page[page] = index
    return tuple(PageStart(page, first_on_page[page]) for page in sorted(first_on_page))


def check(doc: Document, options: PdfOptions, paths: list[Path], ctx: BuildContext):
    from ...checks.pdf import check_pdf

    pdf = next(path for path in paths if path.suffix == ".pdf")
    return check_pdf(doc, pdf, thorough=ctx.thorough)


def tool_versions() -> dict[str, str]:
    return {name: version(name) for name in ("reportlab", "pikepdf", "pdfminer.six")}


STAGES = [
    Stage(
        name="pdf",
        version="3",  # 3: one layout pass (the late numbers are last in their pages' content)
        options=PdfOptions,
        build=build,
        check=check,
        media_types={".pdf": "application/pdf", ".json": "application/json"},
        tool_versions=tool_versions,
        provides={PAGE_MAP: ".pagemap.json"},
    )
]
