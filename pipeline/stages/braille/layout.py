"""Our own braille page formatter: liblouis translates, this lays out pages.

No open-source formatter ships the UKAAF layout, and liblouisutdml's defaults are US EBAE, so the
rules are written here, small and explicit:

- presets: UKAAF (line 1: print page left, running head centred, braille page number right) and
  BANA (line 1: running head centred, print page number right; braille page number bottom right);
- title page and contents page (guide dots, braille page numbers) numbered p1, p2... ; the body is
  numbered 1, 2... ;
- headings: level 1 centred with a blank line before and after, level 2 at cell 5, lower levels at
  cell 7; a heading never ends a page (it keeps with the first line after it);
- paragraphs 3-1, list items 1-3 (two cells deeper per level), quotes indented four cells, figures
  as a transcriber's note, tables as a grid when one fits or else in linear form, notes at the end
  of their section, print page turn indicators from the PDF's page map.
- web and email addresses and code divided only after one of their own symbols (a slash first),
  with no hyphen added, and kept on one page when their lines fit there;
- interpoint: blank backs so a section (a print page break) starts on a right-hand page, whole
  sheets per volume; UKAAF shows the page information line on right-hand pages only;
- running heads: the short title, else the title, else the title before its colon, else words
  dropped from the end (never cut inside a word).

Everything is Unicode braille cells; cell indexes in the code are 0-based ("cell 3" is index 2).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ...document import Document
from ...i18n import words_for
from ...reading import Unit, cell_runs, column_headers, expand_row
from ...stage_api import PageMap
from .translate import (
    ADDRESS_BREAK,
    ADDRESS_START,
    BLANK,
    HYPHEN,
    MARKS,
    SLASH_BREAK,
    Translator,
    number_cells,
    table_display_name,
)

GUIDE_DOT = "\u2810"  # dot 5: contents leaders
SEPARATOR = "\u2812"  # dots 2-5: table header separation line, section break
# Cells that begin a multi-cell sign (indicators, number sign): never split a word after them.
PREFIX_CELLS = set("\u2820\u283c\u2830\u2818\u2828\u2808\u2838\u2810\u2800")
PRELIM_PREFIX = "\u280f"  # the letter p: preliminary pages are p1, p2...
CONTENTS_LEVELS = 3  # headings of these levels are listed on the contents page


@dataclass(frozen=True)
class HeadingStyle:
    first: int | None  # 0-based cell of the first line; None: centred
    runover: int
    blank_before: bool
    blank_after: bool


@dataclass(frozen=True)
class Preset:
    name: str
    number_at_top: bool  # braille page number on line 1 (UKAAF) or the last line (BANA)
    print_page_left: bool  # print page number at the left (UKAAF) or right (BANA) of line 1
    headings: tuple[HeadingStyle, ...]  # by level; deeper levels use the last
    interpoint: bool = False  # the preset's default: embossed on both sides
    right_hand_only: bool = False  # interpoint: page information line on right-hand pages only

    def heading(self, level: int) -> HeadingStyle:
        return self.headings[min(level, len(self.headings)) - 1]

    def reserved_lines(self) -> int:
        return 1 if self.number_at_top else 2

    def print_page_turn(self, number: int, width: int) -> str:
        """The line that marks where a new print page begins."""
        digits = number_cells(number)
        if self.number_at_top:
            # UK practice: dots 5, 2-5 and the page number, centred on a line of its own.
            return centre_line("\u2810\u2812" + digits, width)
        # BANA: a line of dots 3-6 running into the page number at the right margin.
        return HYPHEN * (width - len(digits)) + digits


_HEADINGS = (
    HeadingStyle(None, 0, True, True),
    HeadingStyle(4, 4, True, False),
    HeadingStyle(6, 6, False, False),
)
PRESETS = {
    # UK practice: interpoint, the page information line (print page, running head, braille
    # page) on right-hand pages only. BANA (Braille Formats E.3): numbers on every page.
    "ukaaf": Preset(
        "ukaaf",
        number_at_top=True,
        print_page_left=True,
        headings=_HEADINGS,
        interpoint=True,
        right_hand_only=True,
    ),
    "bana": Preset("bana", number_at_top=False, print_page_left=False, headings=_HEADINGS),
}


# ---------------------------------------------------------------- lines


def wrap(cells: str, width: int, first: int, runover: int) -> list[str]:
    """Fill lines with braille words, breaking only at blank cells. A word longer than a line
    is the only one split: an address (a word with ADDRESS_BREAK marks) after one of its own
    slashes, dots, hyphens... with nothing added, the line ending in ADDRESS_BREAK so pages keep
    it with its continuation; any other word with a hyphen."""
    first, runover = _clamp(first, width), _clamp(runover, width)
    lines: list[str] = []
    line = BLANK * first
    has_word = False
    for word in (w for w in cells.split(BLANK) if visible(w)):
        address = ADDRESS_BREAK in word or ADDRESS_START in word
        while word:
            plain = visible(word)
            room = width - len(line) - (1 if has_word else 0)
            if len(plain) <= room:
                line += (BLANK if has_word else "") + plain
                has_word, word = True, ""
                continue
            fresh_room = width - runover
            if len(plain) <= fresh_room or room < 3:
                if has_word or len(line) > runover:
                    lines.append(line)
                line, has_word = BLANK * runover, False
                if len(plain) <= fresh_room:
                    continue  # never divide a word, address or code when a line will do
                room = fresh_room
            if address and room < fresh_room and _address_break(word, room) is None:
                lines.append(line)  # no break of the address fits here: start a line with it
                line, has_word = BLANK * runover, False
                continue
            if address:
                head, word = _split_address(word, room)
                lines.append((line + (BLANK if has_word else "") + head).rstrip(BLANK) + ADDRESS_BREAK)
            else:
                head, word = _split_word(plain, room)
                line += (BLANK if has_word else "") + head + ("" if head.endswith(HYPHEN) else HYPHEN)
                lines.append(line)
            line, has_word = BLANK * runover, False
    if has_word or not lines:
        lines.append(line)
    return [item if item.endswith(ADDRESS_BREAK) else item.rstrip(BLANK) for item in lines]


def _split_address(word: str, room: int) -> tuple[str, str]:
    """An address cut to fit `room` cells at its last break mark that fits (no hyphen added);
    with no mark in reach, cut at the room, never right after a prefix cell. The rest keeps its
    marks for the next line."""
    best = _address_break(word, room)
    if best is not None:
        return visible(word[:best]), word[best + 1 :]
    plain = visible(word)
    keep = room
    while keep > 1 and plain[keep - 1] in PREFIX_CELLS:
        keep -= 1
    seen = 0
    for index, cell in enumerate(word):  # the same cut in the marked word
        if cell not in MARKS:
            if seen == keep:
                return plain[:keep], word[index:]
            seen += 1
    return plain, ""


def _address_break(word: str, room: int) -> int | None:
    """Index of the break mark to end the line at, or None: the last one after a slash that
    fills at least half the room (so a line does not end on the address's own hyphen or dot,
    which a reader could take as part of the next piece), else the last one that fills at least
    a third (a line is not ended after two cells of an address)."""
    best = slash = None
    for index, cell in enumerate(word):
        if cell == ADDRESS_BREAK:
            length = len(visible(word[:index]))
            if length > room:
                break
            if length >= max(1, room // 3):
                best = index
            if length >= max(1, room // 2) and index and word[index - 1] == SLASH_BREAK:
                slash = index
    return slash if slash is not None else best


def visible(cells: str) -> str:
    for mark in MARKS:
        cells = cells.replace(mark, "")
    return cells


def _clamp(indent: int, width: int) -> int:
    return max(0, min(indent, width // 2))


def _split_word(word: str, room: int) -> tuple[str, str]:
    """Cut a too-long word to fit `room` cells: after one of its own hyphens when one falls in
    the second half of the room (no hyphen added), else with a hyphen added, never right after
    a prefix cell (a capital or number sign must stay with what it marks)."""
    own_hyphen = word.rfind(HYPHEN, 0, room)
    if own_hyphen >= room // 2:
        return word[: own_hyphen + 1], word[own_hyphen + 1 :]
    cut = max(1, room - 1)
    while cut > 1 and word[cut - 1] in PREFIX_CELLS:
        cut -= 1
    return word[:cut], word[cut:]


def centre_line(cells: str, width: int) -> str:
    return BLANK * max(0, (width - len(cells)) // 2) + cells


def centred(cells: str, width: int) -> list[str]:
    """Centred lines, keeping at least two blank cells at each side, and balanced: a title that
    needs two lines is divided near its middle ("Kettle and Compass / impact report 2023"), not
    filled to the margin with one word left over, as a transcriber sets a title page."""
    widest = max(10, width - 4)
    lines = wrap(cells, widest, 0, 0)
    longest_word = max((len(w) for w in visible(cells).split(BLANK)), default=0)
    narrower = widest - 1
    while len(lines) > 1 and narrower >= max(10, longest_word):
        candidate = wrap(cells, narrower, 0, 0)
        if len(candidate) > len(lines):
            break
        lines, narrower = candidate, narrower - 1
    return [centre_line(line, width) for line in lines]


# ---------------------------------------------------------------- blocks and pages


@dataclass
class LayoutBlock:
    lines: list[str]
    blank_before: bool = False
    blank_after: bool = False
    keep_with_next: bool = False  # headings: never the last thing on a page
    keep_together: bool = False  # short tables: do not split across pages when avoidable
    new_page: bool = False
    print_page: int | None = None  # a print page begins here
    toc: tuple[int, str] | None = None  # (heading level, cells) for the contents page
    heading_level: int = 0  # a heading's level: where a volume may begin


@dataclass
class PageText:
    lines: list[str] = field(default_factory=list)
    print_page_at_top: int | None = None
    blank: bool = False  # the empty back of a sheet (interpoint): nothing embossed


@dataclass
class Paginator:
    rows: int  # text lines per page (a right-hand page in interpoint)
    width: int
    preset: Preset
    duplex: bool = False  # interpoint: pages alternate right-hand (even index), left
    rows_left: int | None = None  # text lines of a left-hand page, when it differs
    current_print: int | None = None
    pages: list[PageText] = field(default_factory=list)
    toc: list[tuple[int, str, int]] = field(default_factory=list)  # (level, cells, page index)
    block_pages: list[tuple[int, int]] = field(default_factory=list)  # (block, first page)

    def __post_init__(self) -> None:
        self._new_page()

    def _new_page(self, right_hand: bool = False) -> None:
        if right_hand and self.duplex and len(self.pages) % 2 == 1:
            self.pages.append(PageText(blank=True))  # a section starts on a right-hand page
        self.pages.append(PageText(print_page_at_top=self.current_print))

    def pad_to_sheet(self) -> None:
        """Interpoint: an even number of pages, so what follows starts a new sheet."""
        if self.duplex and len(self.pages) % 2 == 1:
            self.pages.append(PageText(blank=True))

    @property
    def page(self) -> PageText:
        return self.pages[-1]

    @property
    def rows_here(self) -> int:
        left = self.duplex and len(self.pages) % 2 == 0
        return self.rows_left if (left and self.rows_left is not None) else self.rows

    @property
    def free(self) -> int:
        return self.rows_here - len(self.page.lines)

    def _ensure_room(self) -> None:
        if self.free <= 0:
            self._new_page()

    def place_all(self, blocks: list[LayoutBlock], page_limit: int | None = None) -> None:
        """Lay the blocks out; stop once more than page_limit pages are used (a stretch
        measured for a volume is too long by then, whatever follows)."""
        pending_blank = False
        after_heading = False  # no blank line between a heading and what it heads
        turn: int | None = None  # a print page turn waiting for the next line of text
        for index, block in enumerate(blocks):
            if block.new_page and self.page.lines:
                self._new_page(right_hand=True)
                pending_blank = False
            if block.print_page is not None and block.print_page != self.current_print:
                turn = block.print_page
            if not block.lines:
                pending_blank = pending_blank or block.blank_before or block.blank_after
                continue
            blank = (pending_blank or (block.blank_before and not after_heading)) and bool(self.page.lines)
            need = self._lines_kept_together(blocks, index)
            extra = int(blank) + int(turn is not None and bool(self.page.lines))
            if need <= self.rows_here and need + extra > self.free and self.page.lines:
                self._new_page()
                blank = False
            if turn is not None:
                self._print_page_turn(turn)
                turn = None
            if blank and self.page.lines:
                self._ensure_room()
                self.page.lines.append("")
            self._ensure_room()
            self.block_pages.append((index, len(self.pages) - 1))
            if block.toc:
                self.toc.append((block.toc[0], block.toc[1], len(self.pages) - 1))
            for number, line in enumerate(block.lines):
                glued = _glued_run(block.lines, number)
                if (
                    (number == 0 or block.lines[number - 1][-1:] != ADDRESS_BREAK)
                    and glued <= self.rows_here
                    and glued > self.free
                    and self.page.lines
                ):
                    self._new_page()  # an address divided across lines stays on one page
                self._ensure_room()
                self.page.lines.append(line)
            pending_blank = block.blank_after
            if page_limit is not None and len(self.pages) > page_limit:
                return
            after_heading = block.keep_with_next
        if turn is not None:
            self._print_page_turn(turn)

    def _print_page_turn(self, number: int) -> None:
        self.current_print = number
        if self.page.lines and self.free < 2:  # an indicator needs a line of text after it
            self._new_page()
        if not self.page.lines and not self._left_without_page_line():
            self.page.print_page_at_top = number  # shown on the page information line
            return
        self.page.lines.append(self.preset.print_page_turn(number, self.width))

    def _left_without_page_line(self) -> bool:
        """A left-hand page in interpoint UKAAF: no page line to carry a print page number."""
        return self.duplex and self.rows_left is not None and len(self.pages) % 2 == 0

    def _lines_kept_together(self, blocks: list[LayoutBlock], index: int) -> int:
        """Lines that must share a page with the start of blocks[index]: a run of headings plus
        the first line after them, or a whole keep-together block."""
        block = blocks[index]
        if block.keep_together:
            return len(block.lines)
        need, position = 0, index
        while position < len(blocks) and blocks[position].keep_with_next:
            current = blocks[position]
            need += len(current.lines) + (1 if current.blank_after else 0)
            position += 1
        if position == index:
            return 1
        following = next((b for b in blocks[position:] if b.lines), None)
        if following is not None and not following.new_page:
            need += 1 + (1 if following.blank_before and not blocks[position - 1].blank_after else 0)
        return need


def _glued_run(lines: list[str], start: int) -> int:
    """Lines from `start` that must share a page: each line ending in ADDRESS_BREAK continues
    on the next."""
    end = start
    while end < len(lines) - 1 and lines[end].endswith(ADDRESS_BREAK):
        end += 1
    return end - start + 1


# ---------------------------------------------------------------- the body


@dataclass
class BodyBuilder:
    """Reading-order units to layout blocks."""

    translator: Translator
    preset: Preset
    width: int
    page_map: PageMap | None
    blocks: list[LayoutBlock] = field(default_factory=list)
    _in_grid: bool = False
    _print_starts: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.page_map is not None:
            self._print_starts = sorted((p.block_index, p.page) for p in self.page_map.pages)

    def build(self, units: Iterable[Unit]) -> list[LayoutBlock]:
        previous_kind = ""
        page_break_waiting = False
        for unit in units:
            # Notes close the section before them: a page break just before the next heading
            # waits until they are placed, so they stay with their section.
            if unit.kind == "page-break":
                page_break_waiting = True
                continue
            if page_break_waiting and unit.kind != "note":
                self._add([], new_page=True)
                page_break_waiting = False
            start = len(self.blocks)
            if unit.kind == "note" and previous_kind != "note":
                self._notes_label(unit)
            self._unit(unit)
            self._mark_print_page(unit, start)
            previous_kind = unit.kind
        if page_break_waiting:
            self._add([], new_page=True)
        return self.blocks

    def _mark_print_page(self, unit: Unit, first_block: int) -> None:
        if unit.kind == "note":  # notes carry the next section's block index: not its page
            return
        page = None
        while self._print_starts and self._print_starts[0][0] <= unit.block_index:
            page = self._print_starts.pop(0)[1]
        if page is not None:
            if first_block == len(self.blocks):
                self.blocks.append(LayoutBlock([]))
            self.blocks[first_block].print_page = page

    def _add(self, lines: list[str], **flags) -> None:
        self.blocks.append(LayoutBlock(lines, **flags))

    def _text(self, unit: Unit, first: int, runover: int, prefix: str = "") -> list[str]:
        shift = 4 * unit.in_quote
        lines: list[str] = []
        for number, cells in enumerate(self.translator.runs(unit.runs)):
            if number == 0:
                cells = prefix + (BLANK if prefix and cells else "") + cells
                lines += wrap(cells, self.width, first + shift, runover + shift)
            else:
                lines += wrap(cells, self.width, runover + shift, runover + shift)
        return lines

    def _unit(self, unit: Unit) -> None:
        kind = unit.kind
        if self._in_grid and kind in ("table-row", "table-end"):
            if kind == "table-end":
                self._in_grid = False
                self._add([], blank_after=True)
            return
        if kind == "heading":
            self._heading(unit)
        elif kind == "paragraph":
            if unit.level:  # a further paragraph of a list item: at the item's runover
                indent = 2 * unit.level
                self._add(self._text(unit, indent, indent))
            else:
                self._add(self._text(unit, 2, 0))
        elif kind == "list-item":
            indent = 2 * (unit.level - 1)
            label = self.translator.text(unit.label)
            self._add(self._text(unit, indent, indent + 2, prefix=label))
        elif kind in ("quote-start", "quote-end"):
            self._add([], blank_before=True, blank_after=True)
        elif kind == "attribution":
            self._add(self._text(unit, 4, 4))
        elif kind == "figure":
            self._figure(unit)
        elif kind == "table-start":
            self._table_start(unit)
        elif kind == "table-row":
            self._table_row(unit)
        elif kind == "table-end":
            self._add([], blank_after=True)
        elif kind == "rule":
            self._add([centre_line(SEPARATOR * 6, self.width)], blank_before=True, blank_after=True)
        elif kind == "page-break":
            self._add([], new_page=True)
        elif kind == "note":
            marker = self.translator.note_marker(int(unit.label))
            self._add(self._text(unit, 0, 2, prefix=marker))

    def _heading(self, unit: Unit) -> None:
        style = self.preset.heading(unit.level)
        cells = BLANK.join(self.translator.runs(unit.runs))
        shift = 4 * unit.in_quote
        if style.first is None:
            lines = centred(cells, self.width)
        else:
            lines = wrap(cells, self.width, style.first + shift, style.runover + shift)
        toc = (unit.level, cells) if unit.level <= CONTENTS_LEVELS and not unit.in_quote else None
        self._add(
            lines,
            blank_before=style.blank_before,
            blank_after=style.blank_after,
            keep_with_next=True,
            toc=toc,
            heading_level=0 if unit.in_quote else unit.level,
        )

    def _notes_label(self, unit: Unit) -> None:
        style = self.preset.heading(2)
        _ = words_for(self.translator.language)
        lines = wrap(self.translator.text(_("Notes")), self.width, style.first or 0, style.runover)
        self._add(lines, blank_before=True, keep_with_next=True)

    def _figure(self, unit: Unit) -> None:
        shift = 4 * unit.in_quote
        if unit.runs:
            self._add(self._text(unit, 2, 0), blank_before=True)
        _ = words_for(self.translator.language)
        note = self.translator.transcriber_note(
            self.translator.text(_("Image: {description}", description=unit.alt))
        )
        self._add(wrap(note, self.width, 6 + shift, 4 + shift), blank_before=not unit.runs, blank_after=True)

    # ------------------------------------------------------------ tables

    def _table_start(self, unit: Unit) -> None:
        caption = self._text(unit, 0, 2) if unit.runs else []
        grid = self._grid(unit) if unit.table is not None else None
        if grid is not None:
            self._in_grid = True
            self._add(caption + grid, blank_before=True, keep_together=True)
            return
        if caption:
            self._add(caption, blank_before=True, keep_with_next=True)
        headers = column_headers(unit.table) if unit.table is not None else []
        if headers:
            _ = words_for(self.translator.language)
            listing = self.translator.text(_("Columns: {names}", names=", ".join(headers)))
            shift = 4 * unit.in_quote
            self._add(wrap(listing, self.width, shift, shift + 2), blank_before=not caption)

    def _table_row(self, unit: Unit) -> None:
        """Linear form: the row's own header at cell 1, then 'Column: value' lines at cell 3
        (runovers at cell 5); without a row header the first pair starts at cell 1."""
        shift = 4 * unit.in_quote
        lines: list[str] = []
        if unit.row_header:
            lines += wrap(BLANK.join(self.translator.runs(unit.row_header)), self.width, shift, shift + 4)
        for number, cell in enumerate(unit.cells):
            value = BLANK.join(self.translator.runs(cell.runs))
            label = self.translator.text(f"{cell.header}:") if cell.header else ""
            cells = label + (BLANK if label and value else "") + value
            first = 0 if (number == 0 and not unit.row_header) else 2
            lines += wrap(cells, self.width, first + shift, 4 + shift)
        self._add(lines)

    def _grid(self, unit: Unit) -> list[str] | None:
        """The table as columns when every cell fits on one line within the width; else None."""
        table = unit.table
        if table is None:
            return None
        rows_cells = []
        all_rows = table.header_rows + table.body_rows
        if any(c.rowspan > 1 or c.colspan > 1 for row in all_rows for c in row):
            return None
        headers = column_headers(table)
        if headers:
            rows_cells.append([self.translator.text(h) for h in headers])
        for row in table.body_rows:
            rows_cells.append(
                [visible(BLANK.join(self.translator.runs(cell_runs(c)))) for c in expand_row(row)]
            )
        columns = max(len(r) for r in rows_cells) if rows_cells else 0
        if columns == 0 or any(len(r) != columns for r in rows_cells):
            return None
        widths = [max(len(r[i]) for r in rows_cells) for i in range(columns)]
        shift = 4 * unit.in_quote
        if shift + sum(widths) + 2 * (columns - 1) > self.width:
            return None
        gap = BLANK * 2

        def line(cells: list[str]) -> str:
            return (BLANK * shift + gap.join(c.ljust(w, BLANK) for c, w in zip(cells, widths))).rstrip(BLANK)

        lines = [line(r) for r in rows_cells]
        if headers:
            lines.insert(1, line([SEPARATOR * w for w in widths]))
        return lines


# ---------------------------------------------------------------- title and contents


def title_blocks(
    doc: Document,
    translator: Translator,
    width: int,
    *,
    volume: int = 1,
    volumes: int = 1,
    transcriber: str = "",
) -> list[LayoutBlock]:
    """The transcriber's title page: the print edition's title, authors (one a line, so no
    conjunction to translate), publisher (unless it only repeats an author) and date, then the
    braille edition's facts in the report's language: code, volume, transcriber if named."""
    meta = doc.meta
    _ = words_for(meta.language)
    blocks = [LayoutBlock(centred(visible(translator.text(meta.title)), width), blank_after=True)]
    if meta.subtitle:
        blocks.append(LayoutBlock(centred(visible(translator.text(meta.subtitle)), width), blank_after=True))
    for author in meta.authors:
        blocks.append(LayoutBlock(centred(visible(translator.text(author)), width)))
    authors = {a.strip().casefold() for a in meta.authors}
    publisher = meta.publisher if meta.publisher.strip().casefold() not in authors else ""
    print_lines = [value for value in (publisher, _.date(meta.date) if meta.date else "") if value]
    for number, value in enumerate(print_lines):
        blocks.append(LayoutBlock(centred(visible(translator.text(value)), width), blank_before=number == 0))
    code = _("Braille code: {code}", code=code_name(translator.table, _))
    blocks.append(LayoutBlock(wrap(translator.text(code), width, 0, 2), blank_before=True))
    if volumes > 1:
        blocks.append(
            LayoutBlock(
                wrap(
                    translator.text(_("Volume {number} of {total}", number=volume, total=volumes)),
                    width,
                    0,
                    2,
                )
            )
        )
    if transcriber:
        blocks.append(
            LayoutBlock(wrap(translator.text(_("Transcribed by {name}", name=transcriber)), width, 0, 2))
        )
    return blocks


def code_name(table: str, _) -> str:
    """The braille code in words, in the report's language."""
    names = {
        "en-ueb-g2.ctb": _("Unified English Braille, contracted (grade 2)"),
        "en-ueb-g1.ctb": _("Unified English Braille, uncontracted (grade 1)"),
        "cy-cy-g2.ctb": _("Welsh braille, contracted (grade 2)"),
        "cy-cy-g1.utb": _("Welsh braille, uncontracted (grade 1)"),
        "en-gb-comp8.ctb": _("Computer braille, 8-dot"),
    }
    return names.get(Path(table).name, table_display_name(table))


def contents_blocks(toc: list[tuple[int, str, str]], translator: Translator, width: int) -> list[LayoutBlock]:
    """Entries with guide dots (dot 5) out to the braille page number at the right margin;
    levels indented two cells each, runovers two cells beyond the deepest level."""
    _ = words_for(translator.language)
    blocks = [LayoutBlock(centred(translator.text(_("Contents")), width), blank_after=True)]
    deepest = max((level for level, _, _ in toc), default=1)
    runover = 2 * (deepest - 1) + 2
    for level, cells, number in toc:
        cells = visible(cells)
        text_width = width - len(number) - 4  # room for " ⠐⠐ " and the number
        lines = wrap(cells, text_width, 2 * (level - 1), runover)
        last = lines[-1]
        dots = width - len(last) - len(number) - 2
        lines[-1] = last + BLANK + GUIDE_DOT * dots + BLANK + number
        blocks.append(LayoutBlock(lines))
    return blocks


# ---------------------------------------------------------------- framing pages


@dataclass(frozen=True)
class Geometry:
    cells: int
    lines: int


def page_number_cells(number: int, prelim: bool) -> str:
    return (PRELIM_PREFIX if prelim else "") + number_cells(number)


def frame(
    pages: list[PageText],
    geometry: Geometry,
    preset: Preset,
    running_heads: list[str],
    prelim: bool,
    *,
    first_number: int = 1,
    duplex: bool = False,
    show_running_head: bool = True,
) -> list[list[str]]:
    """Full pages: the page information line(s) around each page's text, every page exactly
    `geometry.lines` lines (so a bottom page number is always on the last line). A blank back
    is an empty page. In interpoint, UKAAF puts the page information line on right-hand pages
    only (a left-hand page is text from line 1, its number implied); BANA numbers every side."""
    framed: list[list[str]] = []
    for index, page in enumerate(pages):
        if page.blank:
            framed.append([])
            continue
        number = first_number + index
        right_hand = not duplex or index % 2 == 0
        braille_number = page_number_cells(number, prelim)
        print_number = number_cells(page.print_page_at_top) if page.print_page_at_top is not None else ""
        heads = running_heads if (show_running_head and not (prelim and index == 0)) else []
        if preset.number_at_top:
            top = (
                [_information_line(geometry.cells, print_number, heads, braille_number)]
                if right_hand or not preset.right_hand_only
                else []
            )
        else:
            top = [_information_line(geometry.cells, "", heads, print_number)]
        lines = top + page.lines
        while len(lines) < geometry.lines - (0 if preset.number_at_top else 1):
            lines.append("")
        if not preset.number_at_top:
            lines.append(BLANK * (geometry.cells - len(braille_number)) + braille_number)
        framed.append([visible(line).rstrip(BLANK) for line in lines])
    return framed


def _information_line(width: int, left: str, heads: list[str], right: str) -> str:
    """Left and right items at the margins, the running head centred between them with at least
    three blank cells either side. `heads` are the running heads a transcriber would use, best
    first (the short title, the title, the title before its colon); when none fits, words are
    dropped from the end of the last one, never cut inside a word."""
    candidates = [[w for w in visible(head).split(BLANK) if w] for head in heads if head]
    tries = list(candidates[:-1])
    if candidates:
        last = candidates[-1]
        tries += [last[:n] for n in range(len(last), 0, -1)]
    for words in tries:
        head = BLANK.join(words)
        start = (width - len(head)) // 2
        if start >= len(left) + 3 and start + len(head) + 3 <= width - len(right):
            line = list(left.ljust(width, BLANK))
            line[start : start + len(head)] = head
            line[width - len(right) :] = right
            return "".join(line)
    return (left.ljust(width - len(right), BLANK) + right) if right else left
