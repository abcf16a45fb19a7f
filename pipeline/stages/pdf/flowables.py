"""ReportLab flowables that write marked content while they draw.

Every mark a page gets is either inside a marked-content sequence with an MCID (recorded in the
structure tree by the Tagger) or inside an /Artifact sequence. Marked-content operators inside a
paragraph go into its text object (BT ... ET), so sequences never straddle a text object.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from reportlab.platypus import Image, Paragraph, Table
from reportlab.platypus.flowables import HRFlowable

from .tagging import StructElem, Tagger


@dataclass(eq=False)
class ParagraphTags:
    """Tag state shared by every part of a paragraph that splits across pages: the element it
    belongs to and the inline elements open at the end of the part drawn last."""
    elem: StructElem
    label: StructElem | None = None            # list item label (drawn as the bullet)
    stack: list[StructElem] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.stack = [self.elem]


class TaggedParagraph(Paragraph):
    """A Paragraph whose text is marked content of its structure element.

    Inline elements (Link, Span, Code, Reference) are opened and closed by `<onDraw>` callbacks
    in the markup (see install_callbacks), which close the current sequence and open one for
    the inline element, then reopen the parent's afterwards.
    """
    tagger: Tagger
    tags: ParagraphTags
    block_index: int | None = None
    outline: tuple[str, str, int] | None = None   # (title, destination, level) for headings

    def setup(self, tagger: Tagger, tags: ParagraphTags, block_index: int | None,
              outline: tuple[str, str, int] | None = None) -> "TaggedParagraph":
        self.tagger, self.tags, self.block_index, self.outline = tagger, tags, block_index, outline
        self._label_open = False
        return self

    def split(self, availWidth, availHeight):
        parts = super().split(availWidth, availHeight)
        for number, part in enumerate(parts):
            if part is not self:
                part.setup(self.tagger, self.tags, self.block_index,
                           self.outline if number == 0 else None)
        return parts

    def draw(self):
        canvas = self.canv
        if self.tagger.artifact_depth:
            canvas.addLiteral(self.tagger.begin_artifact())
            super().draw()
            canvas.addLiteral("EMC")
            return
        if self.outline:
            title, key, level = self.outline
            canvas.addOutlineEntry(title, key, level=level, closed=level > 1)
        self.tagger.current = self.tags
        if self.bulletText and self.tags.label is not None:
            canvas.addLiteral(self.tagger.begin(canvas, self.tags.label))
            self._label_open = True
        super().draw()
        if self._label_open:      # a paragraph without lines still closes its label
            canvas.addLiteral("EMC")
            self._label_open = False
        self.tagger.current = None

    def beginText(self, x=0, y=0):
        """Paragraph.drawPara calls this after drawing the bullet and before the text."""
        text_object = super().beginText(x, y)
        canvas = self.canv
        if self._label_open:
            canvas.addLiteral("EMC")
            self._label_open = False
        text_object._code.append(self.tagger.begin(canvas, self.tags.stack[-1]))
        self.tagger.link_line(canvas, self.tags.stack[-1], y)
        write_code = text_object.getCode

        def close_then_write() -> str:
            text_object._code.append("EMC")
            return write_code()
        text_object.getCode = close_then_write
        return text_object


def install_callbacks(canvas, tagger: Tagger) -> None:
    """The `<onDraw name="tag_open|tag_close" label="key"/>` callbacks used in markup."""

    def tag_open(canvas, kind, key):
        text_object = canvas._curr_tx_info["tx"]
        state = tagger.current
        elem = tagger.inline(key)
        if elem not in elem.parent.kids:      # first time drawn: attach in drawing order
            elem.parent = state.stack[-1]
            elem.parent.kids.append(elem)
        text_object._code.append("EMC")
        state.stack.append(elem)
        text_object._code.append(tagger.begin(canvas, elem))
        tagger.link_line(canvas, elem, canvas._curr_tx_info["cur_y"])

    def tag_close(canvas, kind, key):
        text_object = canvas._curr_tx_info["tx"]
        state = tagger.current
        text_object._code.append("EMC")
        info = canvas._curr_tx_info
        tagger.link_line(canvas, state.stack[-1], info["cur_y"], info["leading"])
        if len(state.stack) > 1:
            state.stack.pop()
        text_object._code.append(tagger.begin(canvas, state.stack[-1]))

    canvas.setNamedCB("tag_open", tag_open)
    canvas.setNamedCB("tag_close", tag_close)


class TaggedImage(Image):
    """An image as a Figure element (with its bounding box) or, when decorative, an Artifact."""

    def setup(self, tagger: Tagger, elem: StructElem | None,
              block_index: int | None) -> "TaggedImage":
        self.tagger, self.elem, self.block_index = tagger, elem, block_index
        return self

    def drawOn(self, canvas, x, y, _sW=0):
        if self.elem is None or self.tagger.artifact_depth:
            canvas.addLiteral(self.tagger.begin_artifact())
            super().drawOn(canvas, x, y, _sW)
            canvas.addLiteral("EMC")
            return
        canvas.addLiteral(self.tagger.begin(canvas, self.elem))
        super().drawOn(canvas, x, y, _sW)
        canvas.addLiteral("EMC")
        # The canvas may be translated (inside a table cell): the box is in page space.
        _, _, _, _, dx, dy = canvas._currentMatrix
        self.elem.bbox = (round(x + dx, 2), round(y + dy, 2),
                          round(x + dx + self.drawWidth, 2), round(y + dy + self.drawHeight, 2))


class ArtifactRule(HRFlowable):
    """A horizontal rule: decoration, so an Artifact."""

    def draw(self):
        self.canv.addLiteral(Tagger.begin_artifact())
        super().draw()
        self.canv.addLiteral("EMC")


class TableTagging:
    """Table(renderCB=...): backgrounds and grid lines are artifacts, and a header row repeated
    on a later page is an artifact (its cells are tagged where they were first drawn)."""

    def __init__(self, tagger: Tagger, header_cells: set[int]):
        self.tagger = tagger
        self.header_cells = header_cells       # id() of each header row's cell contents
        self.drawn_header_cells: set[int] = set()
        self.row_is_artifact = False

    def __call__(self, table, command, *args):
        canvas = table.canv
        if command in ("startBG", "startLines"):
            canvas.addLiteral(Tagger.begin_artifact())
        elif command in ("endBG", "endLines"):
            canvas.addLiteral("EMC")
        elif command == "startRow":
            cells = {id(value) for value in table._cellvalues[args[0]]} & self.header_cells
            self.row_is_artifact = bool(cells & self.drawn_header_cells)
            self.drawn_header_cells |= cells
            if self.row_is_artifact:
                self.tagger.artifact_depth += 1
        elif command == "endRow" and self.row_is_artifact:
            self.tagger.artifact_depth -= 1
            self.row_is_artifact = False


class TaggedTable(Table):
    """A Table that reports the top-level block it belongs to, like the other flowables."""
    block_index: int | None = None

    def split(self, availWidth, availHeight):
        parts = super().split(availWidth, availHeight)
        for part in parts:
            part.block_index = self.block_index
        return parts
