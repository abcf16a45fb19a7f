"""The page template of the pdf stage: moved out of __init__.py, so that importing the stage (to
compute its key) does not import ReportLab's platypus. The page numbers' baseline is given by
the stage (it was MARGIN / 2 there), so this module does not import the package back. The words
known only at the end (page numbers) are late text (flowables.LateText), painted when the
canvas saves (LateCanvas): one layout pass."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import landscape
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, PageTemplate, SimpleDocTemplate
from reportlab.platypus.frames import Frame as ReportLabFrame

from ...document import Document
from ...sections import page_label
from .flowables import LatePages, LateText, install_callbacks
from .fonts import FontFamily
from .tagging import Tagger


class LateCanvas(Canvas):
    """A canvas that keeps every page open until it saves, then paints each page's late text
    (flowables.LateText: the numbers known only at the end) and closes the pages in order:
    ReportLab's own recipe for "page x of y" (keep each page's state at showPage)."""

    late: LateText  # given by TaggedDocTemplate.beforeDocument
    tagger: Tagger

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._kept_pages: list[dict] = []

    def showPage(self):
        self._kept_pages.append(dict(self.__dict__))
        self._startPage()
        # The document names pages by this counter ("Page3"), and bookmarks and links made on
        # the next page refer to it by that name: it must move on now, not at save, or every
        # bookmark would point at the first page (ReportLab's recipe breaks them so).
        self._doc.pageCounter += 1

    def save(self):
        pages = LatePages(dict(self.tagger.anchor_pages), len(self._kept_pages))
        self._doc.pageCounter -= len(self._kept_pages)  # each page is added for real below
        for state in self._kept_pages:
            self.__dict__.update(state)
            self.late.paint(self, pages)
            Canvas.showPage(self)
        Canvas.save(self)


class TaggedDocTemplate(SimpleDocTemplate):
    """Records which top-level block each page starts with and numbers pages as artifacts."""

    def __init__(
        self,
        path: Path,
        tagger: Tagger,
        fonts: FontFamily,
        font_size: int,
        document: Document,
        late: LateText,
        number_baseline: float,
        **kwargs,
    ):
        super().__init__(str(path), **kwargs)
        self.number_baseline = number_baseline  # height of the page numbers above the edge
        self.document = document
        self.late = late  # "Page 3 of 12" is drawn once the number of pages is known
        self.tagger = tagger
        self.fonts = fonts
        self.number_size = font_size

    def build(self, flowables):
        """Portrait pages, and landscape ones for tables too wide for a portrait page (the
        story switches with NextPageTemplate("Landscape") and back with "Later")."""
        self._calc()
        portrait = ReportLabFrame(self.leftMargin, self.bottomMargin, self.width, self.height, id="normal")
        wide, high = landscape(self.pagesize)
        turned = ReportLabFrame(
            self.leftMargin,
            self.bottomMargin,
            wide - self.leftMargin - self.rightMargin,
            high - self.topMargin - self.bottomMargin,
            id="landscape",
        )
        self.addPageTemplates(
            [
                PageTemplate(
                    id="First",
                    frames=portrait,
                    onPage=self.page_number,
                    pagesize=self.pagesize,
                    autoNextPageTemplate="Later",
                ),
                PageTemplate(id="Later", frames=portrait, onPage=self.page_number, pagesize=self.pagesize),
                PageTemplate(id="Landscape", frames=turned, onPage=self.page_number, pagesize=(wide, high)),
            ]
        )
        BaseDocTemplate.build(self, flowables, canvasmaker=LateCanvas)

    def handle_pageBegin(self):
        # SimpleDocTemplate would switch to "Later" at every page: a table on landscape pages
        # must stay landscape until the story switches back.
        self._handle_pageBegin()

    def beforeDocument(self):
        install_callbacks(self.canv, self.tagger)
        self.canv.late, self.canv.tagger = self.late, self.tagger

    def afterFlowable(self, flowable):
        index = getattr(flowable, "block_index", None)
        if index is not None:
            self.tagger.block_drawn(index, self.canv.getPageNumber())

    def page_number(self, canvas, doc):
        """Page numbers: same place (bottom centre) on every page but the cover, which is
        numbered page 1 without saying so; pagination artifacts."""
        number = canvas.getPageNumber()
        if number == 1:
            return
        centre, baseline = canvas._pagesize[0] / 2, self.number_baseline
        font, size, document = self.fonts.regular, self.number_size, self.document

        def label(late, pages: LatePages) -> None:
            late.addLiteral(Tagger.begin_artifact("Pagination"))
            late.setFont(font, size)
            late.drawCentredString(centre, baseline, page_label(document, number, pages.pages))
            late.addLiteral("EMC")

        self.late.place(canvas, label)
