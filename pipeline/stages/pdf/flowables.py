"""ReportLab flowables that write marked content while they draw.

Every mark a page gets is either inside a marked-content sequence with an MCID (recorded in the
structure tree by the Tagger) or inside an /Artifact sequence. Marked-content operators inside a
paragraph go into its text object (BT ... ET), so sequences never straddle a text object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reportlab.platypus import Flowable, Image, Paragraph, Table
from reportlab.platypus.flowables import HRFlowable

from .tagging import StructElem, Tagger


@dataclass(eq=False)
class ParagraphTags:
    """Tag state shared by every part of a paragraph that splits across pages: the element it
    belongs to and the inline elements open at the end of the part drawn last."""

    elem: StructElem
    label: StructElem | None = None  # list item label (drawn as the bullet)
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
    outline: tuple[str, str, int] | None = None  # (title, destination, level) for headings

    def setup(
        self,
        tagger: Tagger,
        tags: ParagraphTags,
        block_index: int | None,
        outline: tuple[str, str, int] | None = None,
    ) -> TaggedParagraph:
        self.tagger, self.tags, self.block_index, self.outline = tagger, tags, block_index, outline
        self._label_open = False
        return self

    def split(self, availWidth, availHeight):
        parts = super().split(availWidth, availHeight)
        for number, part in enumerate(parts):
            if part is not self:
                part.setup(self.tagger, self.tags, self.block_index, self.outline if number == 0 else None)
            # Every part but the last continues on the next page: its last line is not the
            # paragraph's last, so it ends with a word space too.
            part.continues = number < len(parts) - 1 or getattr(self, "continues", False)
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
            self.tagger.anchor_pages.setdefault(key, canvas.getPageNumber())
        self.tagger.current = self.tags
        if self.bulletText and self.tags.label is not None:
            canvas.addLiteral(self.tagger.begin(canvas, self.tags.label))
            self._label_open = True
        super().draw()
        if self._label_open:  # a paragraph without lines still closes its label
            canvas.addLiteral("EMC")
            self._label_open = False
        self.tagger.current = None

    def beginText(self, x=0, y=0):
        """Paragraph.drawPara calls this after drawing the bullet and before the text."""
        text_object = super().beginText(x, y)
        canvas = self.canv
        if self.tagger.artifact_depth:  # drawn again as an artifact (a repeated header)
            return text_object
        if self._label_open:
            canvas.addLiteral("EMC")
            self._label_open = False
        text_object._code.append(self.tagger.begin(canvas, self.tags.stack[-1]))
        self.tagger.link_line(canvas, self.tags.stack[-1], y)
        self._space_at_line_ends(text_object)
        write_code = text_object.getCode

        def close_then_write() -> str:
            text_object._code.append("EMC")
            return write_code()

        text_object.getCode = close_then_write
        return text_object

    def _space_at_line_ends(self, text_object) -> None:
        """End every line but the paragraph's last with a space character.

        ReportLab breaks lines at spaces and drops the space, so the content stream holds
        "research," and "services" with nothing between them: poppler, copy and paste, reflow
        and text-to-speech that read the tags literally run the words together. Each line is
        written by one `_textOut(text, TStar=1)` (T* moves to the next line), so the space goes
        in there: invisible at the end of a left-aligned line, and a word boundary in the text.
        A line broken inside a long word (splitLongWords) gets no space.
        """
        lines = getattr(getattr(self, "blPara", None), "lines", None) or []
        broken_words = _lines_broken_inside_a_word(self.blPara) if lines else set()
        total = len(lines)
        ends_with_space = self.continues if hasattr(self, "continues") else False
        text_out = text_object._textOut
        state = {"line": 0}

        def text_out_with_space(text, TStar=0):
            if TStar:
                line = state["line"]
                state["line"] += 1
                if (
                    (line < total - 1 or ends_with_space)
                    and line not in broken_words
                    and not text.endswith((" ", "\u00a0", "-", "\u2010", "\u2014"))
                ):
                    text = text + " "
            return text_out(text, TStar)

        text_object._textOut = text_out_with_space


PAGE_NUMBER_PLACEHOLDER = 999  # a contents entry whose heading was never drawn (should not happen)


@dataclass(frozen=True)
class LatePages:
    """What is known only once the last page is laid out."""

    anchor_pages: dict[str, int]  # bookmarked heading's anchor -> its page
    pages: int

    def number_of(self, anchor: str) -> str:
        return str(self.anchor_pages.get(anchor, PAGE_NUMBER_PLACEHOLDER))


class LateText:
    """Marks whose words are known only when the whole story is laid out: the contents' page
    numbers (and their leaders) and "Page 3 of 12". Each is put where it goes while the page is
    drawn and painted there when the canvas saves (template.LateCanvas keeps every page open
    until then, as ReportLab's "page x of y" recipe does), so these words never move anything
    and one layout pass is enough. Hand-written: platypus only offers laying the story out again
    (multiBuild). A painter writes its own marked content (the Link's sequence, the artifact)."""

    def __init__(self) -> None:
        # page -> (the transformation where it was put, painter)
        self._marks: dict[int, list[tuple[tuple[float, ...], Callable[[Any, LatePages], None]]]] = {}

    def place(self, canvas, paint: Callable[[Any, LatePages], None]) -> None:
        self._marks.setdefault(canvas.getPageNumber(), []).append((tuple(canvas._currentMatrix), paint))

    def paint(self, canvas, pages: LatePages) -> None:
        """Paint the marks of the page the canvas is on, each in the coordinates it was put in."""
        for matrix, paint in self._marks.get(canvas.getPageNumber(), []):
            canvas.saveState()
            canvas.resetTransforms()
            canvas.transform(*matrix)
            paint(canvas, pages)
            canvas.restoreState()


class ContentsLine(TaggedParagraph):
    """A contents entry: the heading's words (wrapping short of the number column), a dotted
    leader (an artifact) and the page number right aligned, both in the entry's Link element;
    one link annotation covers the whole entry, so the number is clickable too."""

    def contents(
        self, link: StructElem, late: LateText, destination: str, font: str, size: float
    ) -> ContentsLine:
        self.link, self.late, self.destination = link, late, destination
        self.number_font, self.number_size = font, size
        return self

    def split(self, availWidth, availHeight):
        return []  # an entry never splits: it moves to the next page

    def draw(self):
        super().draw()
        canvas = self.canv
        if not self.link.link_lines:  # nothing drawn (should not happen)
            return
        page_index, baseline = self.link.link_lines[-1]
        y = baseline - canvas._currentMatrix[5]
        right = self.width
        text_end = self.style.leftIndent + self._last_line_width()
        font, size, destination = self.number_font, self.number_size, self.destination
        gap = size * 0.5

        tagger, link = self.tagger, self.link

        def leader(late, pages: LatePages) -> None:
            number_width = late.stringWidth(pages.number_of(destination), font, size)
            late.addLiteral(tagger.begin_artifact("Layout"))
            late.setLineWidth(size * 0.12)
            late.setLineCap(1)
            late.setDash([0, size * 0.4])
            if right - number_width - gap > text_end + gap:
                late.line(text_end + gap, y + 1, right - number_width - gap, y + 1)
            late.addLiteral("EMC")

        def number(late, pages: LatePages) -> None:
            late.addLiteral(tagger.begin(late, link))
            late.setFont(font, size)
            # The space first: the tagged text reads "Welcome 3", not "Welcome3".
            late.drawRightString(right, y, " " + pages.number_of(destination))
            late.addLiteral("EMC")

        self.late.place(canvas, leader)
        self.late.place(canvas, number)
        canvas.linkRect("", self.destination, (0, 0, right, self.height), relative=1, thickness=0)

    def _last_line_width(self) -> float:
        lines = self.blPara.lines
        last = lines[-1]
        extra = getattr(last, "extraSpace", None)
        if extra is None:
            extra = last[0]
        available = self.width - self.style.leftIndent - self.style.rightIndent
        return max(0.0, available - extra)


def _line_words(line) -> str:
    words = getattr(line, "words", None)
    if words is None:  # kind 0: (extra space, [word, ...])
        words = line[1]
        return " ".join(words)
    return "".join(getattr(frag, "text", "") for frag in words)


def _lines_broken_inside_a_word(para) -> set[int]:
    """Lines whose last word runs on into the next line (a word too long for the line)."""
    out: set[int] = set()
    lines = para.lines
    for index in range(len(lines) - 1):
        end, start = _line_words(lines[index]), _line_words(lines[index + 1])
        if (
            end
            and start
            and not end[-1].isspace()
            and not start[0].isspace()
            and getattr(lines[index], "lineBreak", False) is False
            and _is_split_word(end, start)
        ):
            out.add(index)
    return out


def _is_split_word(end: str, start: str) -> bool:
    """ReportLab's splitLongWords cuts a word that is wider than the whole line: the two
    pieces have no space between them in the source either. Such a line ends without a space
    exactly when its last piece is longer than what usually ends a line; we only need to catch
    URLs and long numbers, which contain no spaces and fill the line."""
    last_word = end.split()[-1] if end.split() else ""
    return len(last_word) > 25 and " " not in end.strip()


def install_callbacks(canvas, tagger: Tagger) -> None:
    """The `<onDraw name="tag_open|tag_close" label="key"/>` callbacks used in markup."""

    def tag_open(canvas, kind, key):
        if tagger.artifact_depth:
            return
        text_object = canvas._curr_tx_info["tx"]
        state = tagger.current
        elem = tagger.inline(key)
        if elem not in elem.parent.kids:  # first time drawn: attach in drawing order
            elem.parent = state.stack[-1]
            elem.parent.kids.append(elem)
        text_object._code.append("EMC")
        state.stack.append(elem)
        text_object._code.append(tagger.begin(canvas, elem))
        tagger.link_line(canvas, elem, canvas._curr_tx_info["cur_y"])

    def tag_close(canvas, kind, key):
        if tagger.artifact_depth:
            return
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

    def setup(self, tagger: Tagger, elem: StructElem | None, block_index: int | None) -> TaggedImage:
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
        self.elem.bbox = (
            round(x + dx, 2),
            round(y + dy, 2),
            round(x + dx + self.drawWidth, 2),
            round(y + dy + self.drawHeight, 2),
        )


class FittingFigure(Flowable):
    """A figure and its caption, kept together, that shrinks to fit the space left on the page
    rather than move to the next page and leave a third of this one empty. Images are at most
    0.6 of the text height, so a third of the page (less the caption) holds them at 0.45 of
    their size or more; below MIN_SCALE the figure moves on at full size."""

    MIN_SCALE = 0.45

    def __init__(self, image: TaggedImage, gap: float, caption: Paragraph | None, frame_height: float):
        super().__init__()
        self.image, self.gap, self.caption = image, gap, caption
        self.frame_height = frame_height
        self.natural = (image.drawWidth, image.drawHeight)
        self.block_index = image.block_index
        self.spaceAfter = caption.style.spaceAfter if caption is not None else gap
        self._caption_height = 0.0

    def wrap(self, availWidth, availHeight):
        width, height = self.natural
        caption = self.caption.wrap(availWidth, availHeight)[1] if self.caption else 0.0
        self._caption_height = caption
        scale = 1.0
        if height + self.gap + caption > availHeight and availHeight >= self.frame_height / 3:
            fitted = (availHeight - self.gap - caption) / height
            if fitted >= self.MIN_SCALE:
                scale = fitted
        self.image.drawWidth, self.image.drawHeight = width * scale, height * scale
        self.width = availWidth
        self.height = self.image.drawHeight + self.gap + caption
        return self.width, self.height

    def split(self, availWidth, availHeight):
        return []  # figure and caption never part

    def draw(self):
        canvas = self.canv
        self.image.drawOn(canvas, 0, self._caption_height + self.gap)
        if self.caption is not None:
            self.caption.drawOn(canvas, 0, 0)


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
        self.header_cells = header_cells  # id() of each header row's cell contents
        self.drawn_header_cells: set[int] = set()
        self.row_is_artifact = False

    def __call__(self, table, command, *args):
        canvas = table.canv
        if command in ("startBG", "startLines"):
            canvas.addLiteral(Tagger.begin_artifact())
        elif command in ("endBG", "endLines"):
            canvas.addLiteral("EMC")
        elif command == "startRow":
            # A part of a split table after the first begins with the repeated header rows:
            # their cells were tagged where first drawn. (ReportLab copies the repeated rows'
            # cell values, so they cannot be told apart by identity alone.)
            repeated = getattr(table, "continuation", False) and args[0] < _repeat_rows(table)
            cells = {id(value) for value in table._cellvalues[args[0]]} & self.header_cells
            self.row_is_artifact = repeated or bool(cells & self.drawn_header_cells)
            self.drawn_header_cells |= cells
            if self.row_is_artifact:
                self.tagger.artifact_depth += 1
        elif command == "endRow" and self.row_is_artifact:
            self.tagger.artifact_depth -= 1
            self.row_is_artifact = False


def _repeat_rows(table) -> int:
    rows = table.repeatRows
    return rows if isinstance(rows, int) else len(rows)


class TaggedTable(Table):
    """A Table that reports the top-level block it belongs to, like the other flowables, and
    never leaves one row alone on a page: not the first body row at the foot of a page under
    its header, nor the last row at the top of the next under the repeated header."""

    block_index: int | None = None
    full_page_height: float = 0.0

    def _getFirstPossibleSplitRowPosition(self, availHeight, ignoreSpans=0):
        split_at = super()._getFirstPossibleSplitRowPosition(availHeight, ignoreSpans)
        header = self.repeatRows if isinstance(self.repeatRows, int) else len(self.repeatRows)
        rows = len(self._rowHeights)
        if split_at <= 0 or rows - header < 2:
            return split_at
        if rows - split_at == 1:  # the last row would go on alone
            split_at -= 1
        fresh_page = availHeight >= self.full_page_height * 0.95
        if split_at - header < 2 and not fresh_page:
            return 0  # header and one row: all of it to the next page
        return split_at

    def split(self, availWidth, availHeight):
        parts = super().split(availWidth, availHeight)
        for number, part in enumerate(parts):
            part.block_index = self.block_index
            part.full_page_height = self.full_page_height
            part.continuation = getattr(self, "continuation", False) or number > 0
        return parts
