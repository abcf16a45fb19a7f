"""The page template of the pdf stage: moved out of __init__.py unchanged, so that importing the
stage (to compute its key) does not import ReportLab's platypus."""
from __future__ import annotations

from pathlib import Path

from reportlab.platypus import SimpleDocTemplate

from . import MARGIN
from .flowables import install_callbacks
from .fonts import FontFamily
from .tagging import Tagger


class TaggedDocTemplate(SimpleDocTemplate):
    """Records which top-level block each page starts with and numbers pages as artifacts."""

    def __init__(self, path: Path, tagger: Tagger, fonts: FontFamily, font_size: int, **kwargs):
        super().__init__(str(path), **kwargs)
        self.tagger = tagger
        self.fonts = fonts
        self.number_size = font_size

    def beforeDocument(self):
        install_callbacks(self.canv, self.tagger)

    def afterFlowable(self, flowable):
        index = getattr(flowable, "block_index", None)
        if index is not None:
            self.tagger.block_drawn(index, self.canv.getPageNumber())

    def page_number(self, canvas, doc):
        """Page numbers: same place (bottom centre) on every page; pagination artifacts."""
        canvas.saveState()
        canvas.addLiteral(self.tagger.begin_artifact("Pagination"))
        canvas.setFont(self.fonts.regular, self.number_size)
        canvas.drawCentredString(self.pagesize[0] / 2, MARGIN / 2,
                                 f"Page {canvas.getPageNumber()}")
        canvas.addLiteral("EMC")
        canvas.restoreState()
