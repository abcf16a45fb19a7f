"""The structure tree, built while ReportLab lays out and draws the pages.

ReportLab writes no tags, so the flowables in flowables.py call the Tagger while they draw: it
hands out marked-content ids (MCIDs, numbered per page) and records each as a kid of its
structure element. finish.py then writes the tree into the PDF with pikepdf.

Only the tree is kept; nothing per page survives drawing except the MCID counter of the current
page, so memory grows with the document's structure, not with its page count.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MarkedContent:
    page: int  # 0-based page index
    mcid: int


@dataclass(eq=False)
class StructElem:
    tag: str
    parent: StructElem | None = None
    kids: list[StructElem | MarkedContent] = field(default_factory=list)
    alt: str = ""  # Figure: the alt text; Link: the annotation's /Contents
    lang: str = ""  # Span (and Document): BCP 47
    elem_id: str = ""  # Note: /ID
    attributes: dict[str, object] = field(default_factory=dict)  # /A (Table owner)
    bbox: tuple[float, float, float, float] | None = None  # Figure: on its page
    link_target: str = ""  # Link: URI, or "#name" for an internal destination
    link_lines: list[tuple[int, float]] = field(default_factory=list)  # Link: (page, baseline)

    def add(self, tag: str, **details: object) -> StructElem:
        """A new block-level child, attached now so the tree keeps source order."""
        child = StructElem(tag, self, **details)  # type: ignore[arg-type]
        self.kids.append(child)
        return child

    def detached(self, tag: str, **details: object) -> StructElem:
        """A new inline child, attached when it is first drawn (so it lands between the
        parent's marked content before and after it)."""
        return StructElem(tag, self, **details)  # type: ignore[arg-type]

    def walk(self):
        yield self
        for kid in self.kids:
            if isinstance(kid, StructElem):
                yield from kid.walk()


class Tagger:
    """Hands out MCIDs while pages are drawn and keeps inline elements by key for callbacks."""

    def __init__(self, root: StructElem):
        self.root = root
        self._next_mcid: dict[int, int] = {}  # page index -> the next MCID on it
        self.artifact_depth = 0  # > 0 while drawing repeated table headers and the like
        self._inline: list[StructElem] = []
        self.block_pages: dict[int, int] = {}  # top-level block index -> first page (1-based)
        self.anchor_pages: dict[str, int] = {}  # bookmarked heading's anchor -> its page

    def begin(self, canvas, elem: StructElem) -> str:
        """The BDC operator opening a new marked-content sequence for elem on the current page."""
        page = canvas.getPageNumber() - 1
        # per page: late text (the contents' numbers) goes back to its page when the canvas saves
        mcid = self._next_mcid.get(page, 0)
        self._next_mcid[page] = mcid + 1
        elem.kids.append(MarkedContent(page, mcid))
        return f"/{elem.tag} <</MCID {mcid}>> BDC"

    @staticmethod
    def begin_artifact(kind: str = "") -> str:
        return f"/Artifact <</Type /{kind}>> BDC" if kind else "/Artifact BMC"

    def register_inline(self, elem: StructElem) -> int:
        """A key for an inline element, written into Paragraph markup as an onDraw label."""
        self._inline.append(elem)
        return len(self._inline) - 1

    def inline(self, key: str) -> StructElem:
        return self._inline[int(key)]

    def link_line(self, canvas, elem: StructElem, baseline: float, leading: float = 0) -> None:
        """Record the page and baseline (page space) of a line that holds a Link's text, so
        finish.py can pair each link annotation (one per line) with its Link element. With a
        leading, fill in the lines between the last one recorded and this one."""
        if elem.tag != "Link":
            return
        page = canvas.getPageNumber() - 1
        y = round(baseline + canvas._currentMatrix[5], 2)
        if leading > 0 and elem.link_lines and elem.link_lines[-1][0] == page:
            previous = elem.link_lines[-1][1]
            while previous - leading > y + 0.5:
                previous -= leading
                elem.link_lines.append((page, round(previous, 2)))
        if (page, y) not in elem.link_lines:
            elem.link_lines.append((page, y))

    def block_drawn(self, block_index: int, page: int) -> None:
        self.block_pages.setdefault(block_index, page)
