"""The Document's blocks and inlines as semantic HTML5, written once for the html and epub stages.

One renderer builds an lxml tree; `Flavour` decides the small differences between the two
outputs: the EPUB's XHTML wants the XHTML namespace, `xml:lang` beside `lang` and `epub:type`
beside the DPUB-ARIA roles, and its internal links may point into another file. Serialising is the
stage's business (HTML syntax for the web page, XML for the e-book).

Markup choices, each for a reason a reader meets:
- every heading keeps the source's level and opens a <section aria-labelledby=...>, so the
  outline a screen reader lists is the author's;
- a figure's alt text describes the image and its caption stays visible text; a decorative image
  gets alt="" and role="presentation" so it is skipped;
- tables get a caption, a thead with th scope="col" (colgroup when spanning) and, when the first
  cell of each row heads it, th scope="row";
- footnote references are DPUB-ARIA doc-noteref links to doc-footnote asides inside a
  doc-endnotes section, each with a doc-backlink back to where it was referenced;
- a quote with an attribution is a figure holding the blockquote and a figcaption (the pattern the
  HTML standard gives for attributions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .document import (
    Block,
    BulletList,
    Code,
    Document,
    Emphasis,
    Figure,
    Footnote,
    Footnotes,
    Heading,
    Inline,
    LineBreak,
    Link,
    NoteRef,
    OrderedList,
    PageBreak,
    Paragraph,
    Quote,
    Span,
    Strong,
    Table,
    TableCell,
    Text,
    ThematicBreak,
    iter_blocks,
)
from .i18n import words_for
from .sections import back_to_reference, note_label, notes_heading, table_label

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True)
class Flavour:
    """What differs between the web page (HTML syntax) and the e-book (XHTML)."""

    xhtml: bool

    def tag(self, name: str) -> str:
        return f"{{{XHTML_NS}}}{name}" if self.xhtml else name


HTML = Flavour(xhtml=False)
XHTML = Flavour(xhtml=True)


def note_id(number: int) -> str:
    return f"note-{number}"


def noteref_id(number: int, occurrence: int = 1) -> str:
    return f"noteref-{number}" if occurrence == 1 else f"noteref-{number}-{occurrence}"


def page_id(page: int) -> str:
    return f"page-{page}"


@dataclass
class NoteState:
    """Which notes were referenced where: notes follow the part that first refers to them."""

    occurrences: dict[int, int] = field(default_factory=dict)  # number -> references so far
    pending: list[int] = field(default_factory=list)  # referenced, not yet written
    home: dict[int, str] = field(default_factory=dict)  # number -> file it was written in


class Renderer:
    """Renders blocks and inlines into lxml elements of one flavour.

    image_src(figure) gives the img src (a data: URI or a path inside the package);
    link_href(url) maps "#heading-id" links to where that id lives (another file in an EPUB);
    note_file is the file being written (EPUB), so a note referenced again from a later file
    links back to the file that holds it; page_starts maps a top-level block index to the printed
    pages that start there (EPUB page-list markers).
    """

    def __init__(
        self,
        doc: Document,
        flavour: Flavour,
        *,
        image_src: Callable[[Figure], str],
        link_href: Callable[[str], str] = lambda url: url,
        page_starts: Mapping[int, tuple[int, ...]] | None = None,
        heading_offset: int = 0,
        table_regions: bool = False,
        taken_ids: Iterable[str] = (),
    ):
        self.doc = doc
        # The web page's title is its one h1, so its report headings go one level down
        # (heading_offset=1); the e-book keeps the author's levels.
        self.heading_offset = heading_offset
        # Tables in a focusable, labelled region that scrolls sideways on a narrow screen, so
        # the page itself never does (the web page; the e-book's reading systems paginate).
        self.table_regions = table_regions
        self.taken_ids = {b.id for b in iter_blocks(doc.blocks) if isinstance(b, Heading)}
        self.taken_ids.update(taken_ids)
        self.table_count = 0
        self.flavour = flavour
        self.image_src = image_src
        self.link_href = link_href
        self.page_starts = page_starts or {}
        self.notes = NoteState()
        self.notes_by_number: dict[int, Footnote] = {n.number: n for n in doc.footnotes.values()}
        self.current_file = ""

    # ------------------------------------------------------------ element helpers

    def el(
        self,
        parent: etree._Element | None,
        tag_name: str,
        text: str | None = None,
        /,
        *,
        epub_type: str | None = None,
        **attrs: str | None,
    ) -> etree._Element:
        """A new element; attribute names use _ for - (aria_label -> aria-label)."""
        tag = self.flavour.tag(tag_name)
        clean = {
            key.rstrip("_").replace("_", "-"): value for key, value in attrs.items() if value is not None
        }
        element = etree.Element(tag, clean) if parent is None else etree.SubElement(parent, tag, clean)
        if text:
            element.text = text
        if epub_type and self.flavour.xhtml:
            element.set(f"{{{EPUB_NS}}}type", epub_type)
        return element

    def set_lang(self, element: etree._Element, lang: str) -> None:
        element.set("lang", lang)
        if self.flavour.xhtml:
            element.set(XML_LANG, lang)

    # ------------------------------------------------------------ top-level blocks with sections

    def body_blocks(
        self, parent: etree._Element, indices: Iterable[int], *, chapter_role: bool = True
    ) -> None:
        """Top-level blocks, each heading opening a section that nests by level.

        Page-break markers for printed pages that start at a block go just before it (inside
        the section a heading opens, so a page-list link lands in the right file).
        """
        stack: list[tuple[int, etree._Element]] = [(0, parent)]
        top_level = min((b.level for b in self.doc.blocks if isinstance(b, Heading)), default=1)
        for index in indices:
            block = self.doc.blocks[index]
            if isinstance(block, Footnotes):
                # notes are written where the stage asks (notes_section); a printed page that
                # starts with them still gets its marker here
                self.page_markers(stack[-1][1], index)
                continue
            if isinstance(block, Heading):
                while stack[-1][0] >= block.level:
                    stack.pop()
                is_chapter = chapter_role and block.level == top_level
                section = self.el(
                    stack[-1][1],
                    "section",
                    aria_labelledby=block.id,
                    role="doc-chapter" if is_chapter else None,
                    epub_type="chapter" if is_chapter else None,
                )
                stack.append((block.level, section))
            self.page_markers(stack[-1][1], index)
            self.block(stack[-1][1], block)

    def page_markers(self, parent: etree._Element, index: int) -> None:
        for page in self.page_starts.get(index, ()):
            # A labelled marker screen readers announce as page 3, the page-list's target. An
            # <hr>, not the usual empty <span>: axe-core counts aria-label on an empty span
            # as a prohibited attribute (serious), and accepts it on hr; CSS makes it invisible.
            self.el(
                parent,
                "hr",
                epub_type="pagebreak",
                role="doc-pagebreak",
                id=page_id(page),
                aria_label=str(page),
                class_="pagebreak",
            )

    # ------------------------------------------------------------ blocks

    def blocks(self, parent: etree._Element, blocks: Iterable[Block]) -> None:
        for block in blocks:
            self.block(parent, block)

    def block(self, parent: etree._Element, block: Block) -> None:
        if isinstance(block, Heading):
            heading = self.el(parent, f"h{self.heading_level(block.level)}", id=block.id)
            self.inlines(heading, block.inlines)
        elif isinstance(block, Paragraph):
            self.inlines(self.el(parent, "p"), block.inlines)
        elif isinstance(block, BulletList):
            self.list_items(self.el(parent, "ul"), block.items)
        elif isinstance(block, OrderedList):
            start = str(block.start) if block.start != 1 else None
            self.list_items(self.el(parent, "ol", start=start), block.items)
        elif isinstance(block, Table):
            self.table(parent, block)
        elif isinstance(block, Figure):
            self.figure(parent, block)
        elif isinstance(block, Quote):
            self.quote(parent, block)
        elif isinstance(block, ThematicBreak):
            self.el(parent, "hr")
        elif isinstance(block, PageBreak):
            # The source's own page break: print styles break the page here; nothing to read.
            self.el(parent, "div", class_="page-break")
        elif isinstance(block, Footnotes):
            pass  # written by notes_section, where the stage places notes
        else:  # pragma: no cover - the model is closed; this guards a new kind
            raise TypeError(f"no HTML for block {type(block).__name__}")

    def heading_level(self, level: int) -> int:
        return min(level + self.heading_offset, 6)

    def new_id(self, base: str) -> str:
        """An id no heading of the report and no other added element uses."""
        candidate, n = base, 1
        while candidate in self.taken_ids:
            n += 1
            candidate = f"{base}-{n}"
        self.taken_ids.add(candidate)
        return candidate

    def list_items(self, parent: etree._Element, items: tuple[tuple[Block, ...], ...]) -> None:
        for item in items:
            li = self.el(parent, "li")
            self.compact_blocks(li, item)

    def compact_blocks(self, parent: etree._Element, blocks: tuple[Block, ...]) -> None:
        """Blocks of a list item or cell: a leading paragraph's text sits in the parent directly
        (a tight list item or a cell needs no <p>); anything after it is a full block."""
        if blocks and isinstance(blocks[0], Paragraph):
            self.inlines(parent, blocks[0].inlines)
            blocks = blocks[1:]
        self.blocks(parent, blocks)

    def table(self, parent: etree._Element, table: Table) -> None:
        self.table_count += 1
        caption_id = None
        if self.table_regions:
            caption_id = self.new_id(f"table-{self.table_count}-caption") if table.caption else None
            parent = self.el(
                parent,
                "div",
                class_="table-region",
                role="region",
                tabindex="0",
                aria_labelledby=caption_id,
                aria_label=None if caption_id else table_label(self.doc, self.table_count),
            )
        element = self.el(parent, "table")
        if table.caption:
            self.inlines(self.el(element, "caption", id=caption_id), table.caption)
        if table.header_rows:
            thead = self.el(element, "thead")
            for row in table.header_rows:
                tr = self.el(thead, "tr")
                for cell in row:
                    scope = "colgroup" if cell.colspan > 1 else "col"
                    self.cell(tr, "th", cell, scope)
        tbody = self.el(element, "tbody")
        for row in table.body_rows:
            tr = self.el(tbody, "tr")
            for position, cell in enumerate(row):
                if table.row_headers and position == 0:
                    self.cell(tr, "th", cell, "rowgroup" if cell.rowspan > 1 else "row")
                else:
                    self.cell(tr, "td", cell, None)

    def cell(self, tr: etree._Element, name: str, cell: TableCell, scope: str | None) -> None:
        element = self.el(
            tr,
            name,
            scope=scope,
            colspan=str(cell.colspan) if cell.colspan > 1 else None,
            rowspan=str(cell.rowspan) if cell.rowspan > 1 else None,
        )
        self.compact_blocks(element, cell.blocks)

    def figure(self, parent: etree._Element, figure: Figure) -> None:
        if figure.decorative:
            holder = self.el(parent, "div", class_="decorative")
            self.el(holder, "img", src=self.image_src(figure), alt="", role="presentation")
            return
        element = self.el(parent, "figure")
        self.el(element, "img", src=self.image_src(figure), alt=figure.alt)
        if figure.caption:
            self.inlines(self.el(element, "figcaption"), figure.caption)

    def quote(self, parent: etree._Element, quote: Quote) -> None:
        holder = self.el(parent, "figure", class_="quote") if quote.attribution else parent
        self.blocks(self.el(holder, "blockquote"), quote.blocks)
        if quote.attribution:
            caption = self.el(holder, "figcaption")
            caption.text = "— "
            self.inlines(caption, quote.attribution)

    # ------------------------------------------------------------ notes

    def notes_section(
        self, parent: etree._Element, numbers: list[int], *, heading_level: int, heading_id: str
    ) -> etree._Element | None:
        """A doc-endnotes section holding the given notes (those not written yet)."""
        todo = [n for n in dict.fromkeys(numbers) if n in self.notes_by_number and n not in self.notes.home]
        if not todo:
            return None
        section = self.el(
            parent,
            "section",
            epub_type="endnotes",
            role="doc-endnotes",
            aria_labelledby=heading_id,
            class_="notes",
        )
        self.el(section, f"h{heading_level}", notes_heading(self.doc), id=heading_id)
        for number in todo:
            self.notes.home[number] = self.current_file
            note = self.notes_by_number[number]
            # A label of its own: several unnamed asides read as identical landmarks.
            aside = self.el(
                section,
                "aside",
                epub_type="footnote",
                role="doc-footnote",
                id=note_id(number),
                aria_label=note_label(self.doc, number),
            )
            self.note_body(aside, note)
        self.notes.pending = [n for n in self.notes.pending if n not in todo]
        return section

    def note_body(self, aside: etree._Element, note: Footnote) -> None:
        first = self.el(aside, "p")
        self.el(first, "span", f"{note.number}. ", class_="note-number")
        blocks = note.blocks
        if blocks and isinstance(blocks[0], Paragraph):
            self.inlines(first, blocks[0].inlines)
            blocks = blocks[1:]
        self.blocks(aside, blocks)
        back = self.el(aside, "p", class_="backlink")
        self.el(
            back,
            "a",
            back_to_reference(self.doc, note.number),
            role="doc-backlink",
            href=f"#{noteref_id(note.number)}",
        )

    # ------------------------------------------------------------ inlines

    def inlines(self, parent: etree._Element, inlines: Iterable[Inline]) -> None:
        for node in inlines:
            self.inline(parent, node)

    def inline(self, parent: etree._Element, node: Inline) -> None:
        if isinstance(node, Text):
            append_text(parent, node.text)
        elif isinstance(node, Emphasis):
            self.inlines(self.el(parent, "em"), node.inlines)
        elif isinstance(node, Strong):
            self.inlines(self.el(parent, "strong"), node.inlines)
        elif isinstance(node, Code):
            self.el(parent, "code", node.text)
        elif isinstance(node, LineBreak):
            self.el(parent, "br")
        elif isinstance(node, Link):
            self.inlines(self.el(parent, "a", href=self.link_href(node.url)), node.inlines)
        elif isinstance(node, Span):
            span = self.el(parent, "span")
            self.set_lang(span, node.lang)
            self.inlines(span, node.inlines)
        elif isinstance(node, NoteRef):
            self.noteref(parent, node)
        else:  # pragma: no cover
            raise TypeError(f"no HTML for inline {type(node).__name__}")

    def noteref(self, parent: etree._Element, node: NoteRef) -> None:
        occurrence = self.notes.occurrences.get(node.number, 0) + 1
        self.notes.occurrences[node.number] = occurrence
        home = self.notes.home.get(node.number)
        target = (
            f"#{note_id(node.number)}"
            if home in (None, self.current_file)
            else f"{home}#{note_id(node.number)}"
        )
        if home is None and node.number not in self.notes.pending:
            self.notes.pending.append(node.number)
        sup = self.el(parent, "sup")
        self.el(
            sup,
            "a",
            str(node.number),
            epub_type="noteref",
            role="doc-noteref",
            href=target,
            id=noteref_id(node.number, occurrence),
            aria_label=note_label(self.doc, node.number),
        )


def append_text(parent: etree._Element, text: str) -> None:
    """Append text after the parent's last child (lxml keeps it in .tail) or inside it."""
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


# ---------------------------------------------------------------- shared pieces of both stages


@dataclass(frozen=True)
class TocEntry:
    """A heading in the contents: its text, level, target (href) and the entries below it."""

    title: str
    level: int
    href: str
    children: tuple[TocEntry, ...] = ()


def nest_toc(flat: list[tuple[str, int, str]]) -> tuple[TocEntry, ...]:
    """Nest (title, level, href) triples by level, as the outline of the headings."""

    def build(start: int, level_floor: int) -> tuple[list[TocEntry], int]:
        out: list[TocEntry] = []
        i = start
        while i < len(flat):
            title, level, href = flat[i]
            if level <= level_floor:
                break
            children, i = build(i + 1, level)
            out.append(TocEntry(title, level, href, tuple(children)))
        return out, i

    entries, _ = build(0, 0)
    return tuple(entries)


def toc_list(renderer: Renderer, parent: etree._Element, entries: tuple[TocEntry, ...]) -> None:
    ol = renderer.el(parent, "ol")
    for entry in entries:
        li = renderer.el(ol, "li")
        renderer.el(li, "a", entry.title, href=entry.href)
        if entry.children:
            toc_list(renderer, li, entry.children)


def human_date(iso: str, language: str = "en-GB") -> str:
    """ "2024-03-01" -> "1 March 2024" in the report's language; a bare year or anything else
    stays as written (pipeline/i18n.py's Babel dates)."""
    return words_for(language).date(iso)


def title_line(doc: Document) -> str:
    meta = doc.meta
    return f"{meta.title}: {meta.subtitle}" if meta.subtitle else meta.title


def image_media_type(path: Path) -> str:
    suffix = path.suffix.lower()
    return {
        ".png": "image/png",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".gif": "image/gif",
        ".svg": "image/svg+xml",
        ".webp": "image/webp",
    }.get(suffix, "application/octet-stream")
