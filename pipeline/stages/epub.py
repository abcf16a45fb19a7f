"""Stage `epub`: an EPUB 3 e-book (outputs/<slug>/<slug>.epub) made with ebooklib.

Content documents: a title page, one XHTML document per top-level section (its notes at its
end), and an accessibility statement; markup from pipeline/xhtml.py, shared with the web page.
The navigation document (toc of every heading, landmarks, and a page-list when the pdf stage's
page map is known) and the package's accessibility metadata are written here. ebooklib writes the
zip, the OPF and the NCX; three things it cannot do are done by a small writer subclass:
`xml:lang` on <package> (ebooklib 0.20 never writes it; DAISY Ace calls that serious), our own
navigation document (ebooklib's has no nested headings below file level and no labels we
control), and a modification time taken from the source rather than the clock.
"""

from __future__ import annotations

import datetime
import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ebooklib import epub
from lxml import etree

from ..document import Document, Figure, Footnotes, Heading, figures, inline_text
from ..errors import StageFailed
from ..i18n import words_for
from ..sections import (
    accessibility_statement,
    contents_heading,
    free_id,
    heading_ids,
    notes_heading,
    statement_heading,
    title_lines,
)
from ..stage_api import BuildContext, CheckResult, PageMap, Stage
from ..xhtml import (
    EPUB_NS,
    XHTML,
    XHTML_NS,
    Renderer,
    TocEntry,
    image_media_type,
    nest_toc,
    page_id,
    toc_list,
)

TITLE_FILE = "title.xhtml"
NAV_FILE = "nav.xhtml"
STATEMENT_FILE = "accessibility.xhtml"
CSS_FILE = "book.css"
STATEMENT_HEADING_ID = "accessibility-statement"
TITLE_HEADING_ID = "title"
CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"

# Relative units only, no colours, no fonts but monospace for code, no justification: the
# reading system's (and so the reader's) font, size, spacing and colour settings win.
CSS = """
body { text-align: start; }
p, li, figcaption, caption, td, th { text-align: start; }
h1, h2, h3, h4, h5, h6 { text-align: start; line-height: 1.25; page-break-after: avoid; }
img { max-width: 100%; height: auto; }
nav li { line-height: 1.5; margin: 0.25em 0; }
figure { margin: 1em 0; page-break-inside: avoid; }
blockquote { margin: 1em 0 1em 1.5em; font-style: italic; }
figure.quote figcaption { font-style: normal; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 0.0625em solid; padding: 0.25em 0.5em; vertical-align: top; }
caption { font-weight: bold; margin-bottom: 0.5em; }
code { font-family: monospace; }
.titlepage p { margin: 0.5em 0; }
.notes { margin-top: 2em; }
.pagebreak { border: 0; height: 0; margin: 0; padding: 0; }
.page-break { page-break-after: always; }
""".strip()


@dataclass(frozen=True)
class EpubOptions:
    claim_conformance: bool = True  # write the EPUB Accessibility 1.1 claim (the check verifies it)
    media_overlays: bool = True  # with audio in the build, also <slug>-read-along.epub: the
    # narration's sentences highlighted as they are spoken

    def __post_init__(self) -> None:
        if not isinstance(self.claim_conformance, bool):
            raise ValueError("claim_conformance must be true or false")


@dataclass(frozen=True)
class Part:
    """One content document: its file, title, the top-level block indices it holds."""

    file_name: str
    title: str
    indices: tuple[int, ...]


# ---------------------------------------------------------------- splitting and page markers


def split_parts(doc: Document) -> list[Part]:
    """One part per top-level heading; blocks before the first heading get a part of their own."""
    heads = [(i, b) for i, b in enumerate(doc.blocks) if isinstance(b, Heading)]
    top = min((b.level for _, b in heads), default=1)
    starts = [i for i, b in heads if b.level == top]
    top_headings = {i: b for i, b in heads if b.level == top}
    parts: list[Part] = []
    if not starts or starts[0] > 0:
        end = starts[0] if starts else len(doc.blocks)
        if any(not isinstance(b, Footnotes) for b in doc.blocks[:end]):
            parts.append(Part("opening.xhtml", doc.meta.title, tuple(range(0, end))))
    for number, start in enumerate(starts, start=1):
        end = starts[number] if number < len(starts) else len(doc.blocks)
        title = inline_text(top_headings[start].inlines).strip()
        parts.append(Part(f"chapter-{number:02d}.xhtml", title, tuple(range(start, end))))
    return parts


def page_starts(page_map: PageMap | None, block_count: int) -> dict[int, tuple[int, ...]]:
    """Block index -> printed pages starting there (an index past the end counts as the last)."""
    starts: dict[int, list[int]] = {}
    if page_map is None or block_count == 0:
        return {}
    for start in page_map.pages:
        index = min(max(start.block_index, 0), block_count - 1)
        starts.setdefault(index, []).append(start.page)
    return {index: tuple(pages) for index, pages in starts.items()}


# ---------------------------------------------------------------- XHTML documents


def xhtml_document(
    renderer: Renderer, title: str, lang: str, fill: Callable[[etree._Element], None], *, main: bool = True
) -> bytes:
    """A complete XHTML content document; fill() writes its content (into <main>, so each
    document has the one main landmark screen-reader users jump to)."""
    # lxml takes None as the default namespace's prefix; lxml-stubs allow only str keys.
    root = etree.Element(f"{{{XHTML_NS}}}html", nsmap={None: XHTML_NS, "epub": EPUB_NS})  # type: ignore[dict-item]
    renderer.set_lang(root, lang)
    head = renderer.el(root, "head")
    renderer.el(head, "meta", charset="utf-8")
    renderer.el(head, "title", title)
    renderer.el(head, "link", rel="stylesheet", type="text/css", href=CSS_FILE)
    body = renderer.el(root, "body")
    fill(renderer.el(body, "main") if main else body)
    return etree.tostring(
        root, xml_declaration=True, encoding="utf-8", doctype="<!DOCTYPE html>", pretty_print=True
    )


def title_page(renderer: Renderer, doc: Document) -> bytes:
    meta = doc.meta

    def fill(body: etree._Element) -> None:
        section = renderer.el(
            body, "section", epub_type="titlepage", class_="titlepage", aria_labelledby=TITLE_HEADING_ID
        )
        lines = title_lines(doc)  # the same words, in the report's language, as every format
        renderer.el(section, "h1", meta.title, id=TITLE_HEADING_ID)
        if lines.subtitle:
            renderer.el(section, "p", lines.subtitle, class_="subtitle")
        for line in (lines.byline, lines.publisher):
            if line:
                renderer.el(section, "p", line)
        if lines.date:
            renderer.el(renderer.el(section, "p"), "time", lines.date, datetime=meta.date)
        if lines.version:
            renderer.el(section, "p", lines.version)

    return xhtml_document(renderer, meta.title, meta.language, fill)


def chapter(renderer: Renderer, doc: Document, part: Part, last: bool, notes_id: str) -> bytes:
    """One part's XHTML; notes_id is its notes heading's (notes_heading_ids)."""
    renderer.current_file = part.file_name
    top = top_level(doc)

    def fill(body: etree._Element) -> None:
        renderer.body_blocks(body, part.indices)
        holder = body[-1] if len(body) and etree.QName(body[-1]).localname == "section" else body
        numbers = renderer.notes.pending + ([n.number for n in doc.footnotes.values()] if last else [])
        renderer.notes_section(holder, numbers, heading_level=min(top + 1, 6), heading_id=notes_id)

    return xhtml_document(renderer, part.title, doc.meta.language, fill)


def notes_heading_ids(doc: Document, parts: list[Part]) -> dict[str, str]:
    """Each part's notes heading id, by file: the heading shares its file with the part's
    headings, so it gets an id no heading of the report uses."""
    taken = heading_ids(doc)
    return {part.file_name: free_id(f"notes-{Path(part.file_name).stem}", taken) for part in parts}


def top_level(doc: Document) -> int:
    return min((b.level for b in doc.blocks if isinstance(b, Heading)), default=1)


# The e-book's facts for its statement: English message ids, translated by the sections module.
PAGE_NUMBERS_FEATURE = "Page numbers of the printed PDF, so you can go to a page someone names."
STATEMENT_FEATURES = [
    "A contents list of every heading, and headings in the order of the report.",
    "Text that follows your reading app's font, size, spacing and colour settings.",
    "Tables with captions and header cells.",
    "Footnotes linked both ways, so you can read a note and go back.",
]


def statement_page(renderer: Renderer, doc: Document, with_pages: bool) -> bytes:
    features = list(STATEMENT_FEATURES)
    if with_pages:
        features.append(PAGE_NUMBERS_FEATURE)

    def fill(body: etree._Element) -> None:
        section = renderer.el(body, "section", aria_labelledby=STATEMENT_HEADING_ID)
        renderer.el(section, "h1", statement_heading(doc), id=STATEMENT_HEADING_ID)
        renderer.blocks(section, accessibility_statement(doc, "e-book", features))

    renderer.current_file = STATEMENT_FILE
    return xhtml_document(renderer, statement_heading(doc), doc.meta.language, fill)


# ---------------------------------------------------------------- navigation


def toc_entries(doc: Document, parts: list[Part], notes_ids: dict[str, str]) -> tuple[TocEntry, ...]:
    """Title page, every heading nested by level (with the notes of each part in notes_ids,
    the parts that have notes), the statement."""
    top = top_level(doc)
    flat: list[tuple[str, int, str]] = [(doc.meta.title, top, f"{TITLE_FILE}#{TITLE_HEADING_ID}")]
    for part in parts:
        for index in part.indices:
            block = doc.blocks[index]
            if isinstance(block, Heading):
                flat.append((inline_text(block.inlines).strip(), block.level, f"{part.file_name}#{block.id}"))
        if part.file_name in notes_ids:
            notes_target = f"{part.file_name}#{notes_ids[part.file_name]}"
            flat.append((notes_heading(doc), min(top + 1, 6), notes_target))
    flat.append((statement_heading(doc), top, f"{STATEMENT_FILE}#{STATEMENT_HEADING_ID}"))
    return nest_toc(flat)


def nav_document(
    renderer: Renderer,
    doc: Document,
    toc: tuple[TocEntry, ...],
    first_part: str,
    pages: list[tuple[int, str]],
) -> bytes:
    _ = words_for(doc.meta.language)

    def fill(body: etree._Element) -> None:
        nav = renderer.el(body, "nav", epub_type="toc", role="doc-toc", id="toc", aria_labelledby="toc-title")
        renderer.el(nav, "h1", contents_heading(doc), id="toc-title")
        toc_list(renderer, nav, toc)
        landmarks = renderer.el(
            body, "nav", epub_type="landmarks", hidden="hidden", aria_labelledby="landmarks-title"
        )
        renderer.el(landmarks, "h2", _("Landmarks"), id="landmarks-title")
        ol = renderer.el(landmarks, "ol")
        for kind, href, label in (
            ("titlepage", TITLE_FILE, _("Title page")),
            ("toc", f"{NAV_FILE}#toc", contents_heading(doc)),
            ("bodymatter", first_part, _("Start of the report")),
            ("backmatter", STATEMENT_FILE, _("Accessibility statement")),
        ):
            renderer.el(renderer.el(ol, "li"), "a", label, epub_type=kind, href=href)
        if pages:
            page_list = renderer.el(
                body,
                "nav",
                epub_type="page-list",
                role="doc-pagelist",
                hidden="hidden",
                aria_labelledby="pages-title",
            )
            renderer.el(page_list, "h2", _("Pages"), id="pages-title")
            ol = renderer.el(page_list, "ol")
            for page, file_name in pages:
                renderer.el(renderer.el(ol, "li"), "a", str(page), href=f"{file_name}#{page_id(page)}")

    return xhtml_document(renderer, contents_heading(doc), doc.meta.language, fill, main=False)


def ncx_toc(entries: tuple[TocEntry, ...], counter: Iterator[int] | None = None) -> list:
    """The same outline for the NCX (EPUB 2 reading systems), as ebooklib's Link/Section tuples."""
    counter = counter or itertools.count(1)
    out: list = []
    for entry in entries:
        link = epub.Link(entry.href, entry.title, f"navpoint-{next(counter)}")
        out.append((link, ncx_toc(entry.children, counter)) if entry.children else link)
    return out


# ---------------------------------------------------------------- package metadata


def book_identifier(doc: Document, slug: str) -> str:
    """The source's ISBN/URN, or a UUID that stays the same for the same report."""
    given = doc.meta.identifier.strip()
    if given:
        digits = given.replace("-", "").replace(" ", "")
        if digits.isdigit() and len(digits) in (10, 13):
            return f"urn:isbn:{digits}"
        return given
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'accessible-formats:{slug}')}"


@dataclass(frozen=True)
class A11yClaims:
    """What the package says about the book's accessibility, derived from the document."""

    access_modes: tuple[str, ...]
    features: tuple[str, ...]
    summary: str
    page_source: str = ""
    conformance: bool = False


def a11y_claims(doc: Document, options: EpubOptions, page_map: PageMap | None) -> A11yClaims:
    meaningful = [f for f in figures(doc) if not f.decorative]
    all_described = all(f.alt.strip() for f in meaningful)
    features = ["structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability"]
    if meaningful and all_described:
        features.append("alternativeText")
    if page_map is not None:
        features += ["pageBreakMarkers", "pageNavigation"]
    modes = ("textual", "visual") if meaningful else ("textual",)
    # The summary a reading system shows the reader: in the report's language.
    _ = words_for(doc.meta.language)
    summary = (
        _(
            "This e-book has a contents list of every heading, headings in reading order, "
            "tables with headers and footnotes linked both ways. Its text can be resized "
            "and recoloured by the reading app."
        )
        + " "
    )
    if meaningful:
        summary += (
            _(
                "Every image that carries meaning has a text description; decorative "
                "images are hidden from screen readers."
            )
            if all_described
            else _("Some images have no text description.")
        ) + " "
    if page_map is not None:
        summary += _("Page numbers match the printed PDF ({pdf}).", pdf=page_map.pdf_name) + " "
    summary += _("It has no flashing, motion or sound hazards.")
    return A11yClaims(
        modes,
        tuple(features),
        summary.strip(),
        page_source=page_map.pdf_name if page_map else "",
        conformance=options.claim_conformance and all_described,
    )


def add_metadata(book: epub.EpubBook, doc: Document, claims: A11yClaims) -> None:
    meta = doc.meta
    creators = meta.authors or ((meta.publisher,) if meta.publisher else ())
    for number, author in enumerate(creators, start=1):
        # ebooklib gives every creator the id "creator" unless told otherwise: ids must be unique.
        book.add_author(author, uid=f"creator{number}")
    if meta.publisher:
        book.add_metadata("DC", "publisher", meta.publisher)
    if meta.date:
        book.add_metadata("DC", "date", meta.date)
    if meta.description:
        book.add_metadata("DC", "description", meta.description)
    for keyword in meta.keywords:
        book.add_metadata("DC", "subject", keyword)

    def prop(name: str, value: str) -> None:
        book.add_metadata(None, "meta", value, {"property": name})

    for mode in claims.access_modes:
        prop("schema:accessMode", mode)
    prop("schema:accessModeSufficient", "textual")
    for feature in claims.features:
        prop("schema:accessibilityFeature", feature)
    prop("schema:accessibilityHazard", "none")
    prop("schema:accessibilitySummary", claims.summary)
    if claims.page_source:
        prop("pageBreakSource", claims.page_source)
    if claims.conformance:
        prop("dcterms:conformsTo", CONFORMANCE)
        prop("a11y:certifiedBy", meta.publisher or "accessible-formats")


class _Writer(epub.EpubWriter):
    """ebooklib's writer plus the package's xml:lang and our own navigation document."""

    def __init__(self, name: str, book: epub.EpubBook, nav: bytes, options: dict):
        super().__init__(name, book, options)
        self.nav_bytes = nav

    def _write_opf_file(self, root: etree._Element) -> None:
        root.set("{http://www.w3.org/XML/1998/namespace}lang", self.book.language)
        super()._write_opf_file(root)

    def _get_nav(self, item: epub.EpubNav) -> bytes:
        return self.nav_bytes


# ---------------------------------------------------------------- build


def build(doc: Document, options: EpubOptions, out_dir: Path, ctx: BuildContext) -> list[Path]:
    book = epub.EpubBook()
    book.set_identifier(book_identifier(doc, ctx.slug))
    book.set_title(doc.meta.title)
    book.set_language(doc.meta.language)
    claims = a11y_claims(doc, options, ctx.page_map)
    add_metadata(book, doc, claims)

    images = _PackageImages(book)
    parts = split_parts(doc)
    ids = {
        b.id: part.file_name
        for part in parts
        for i in part.indices
        if isinstance(b := doc.blocks[i], Heading)
    }
    starts = page_starts(ctx.page_map, len(doc.blocks))
    renderer = Renderer(
        doc, XHTML, image_src=images, page_starts=starts, link_href=lambda url: _internal_href(url, ids)
    )

    css = epub.EpubItem(uid="css", file_name=CSS_FILE, media_type="text/css", content=CSS.encode("utf-8"))
    book.add_item(css)
    documents = [("title", TITLE_FILE, title_page(renderer, doc))]
    notes_ids = notes_heading_ids(doc, parts)
    with_notes: dict[str, str] = {}
    for number, part in enumerate(parts):
        notes_id = notes_ids[part.file_name]
        content = chapter(renderer, doc, part, number == len(parts) - 1, notes_id)
        if f'id="{notes_id}"'.encode() in content:
            with_notes[part.file_name] = notes_id
        documents.append((Path(part.file_name).stem, part.file_name, content))
        ctx.progress(number + 1, len(parts), "epub chapters")
    documents.append(
        ("accessibility", STATEMENT_FILE, statement_page(renderer, doc, with_pages=bool(starts)))
    )
    pages = [
        (page, part.file_name) for part in parts for index in part.indices for page in starts.get(index, ())
    ]

    items = []
    for uid, file_name, content in documents:
        item = epub.EpubItem(
            uid=uid, file_name=file_name, media_type="application/xhtml+xml", content=content
        )
        book.add_item(item)
        items.append(item)
    toc = toc_entries(doc, parts, with_notes)
    book.toc = ncx_toc(toc)
    nav_item = epub.EpubNav(file_name=NAV_FILE)
    book.add_item(nav_item)
    book.add_item(epub.EpubNcx())
    book.spine = [items[0], nav_item, *items[1:]]
    nav = nav_document(renderer, doc, toc, parts[0].file_name if parts else STATEMENT_FILE, pages)

    target = out_dir / f"{ctx.slug}.epub"
    writer = _Writer(
        str(target),
        book,
        nav,
        {
            "epub2_guide": False,
            "epub3_landmark": False,
            "epub3_pages": False,
            "raise_exceptions": True,
            "mtime": _modified(doc, ctx),
        },
    )
    writer.process()
    writer.write()
    if options.media_overlays and ctx.narration is not None:
        return [target, _read_along(target, ctx, ctx.narration)]
    return [target]


def _read_along(plain: Path, ctx: BuildContext, narration: Path) -> Path:
    from ..narration import Narration
    from ..narration.overlays import add_overlays

    target = plain.with_name(f"{ctx.slug}-read-along.epub")
    add_overlays(plain, target, Narration.read(narration))
    return target


def _internal_href(url: str, ids: dict[str, str]) -> str:
    if url.startswith("#") and url[1:] in ids:
        return f"{ids[url[1:]]}{url}"
    return url


def _modified(doc: Document, ctx: BuildContext) -> datetime.datetime:
    """dcterms:modified from the source file, so the same source gives the same package
    (the report's date when the file cannot be read, then the clock)."""
    try:
        stamp = ctx.source.stat().st_mtime
    except (OSError, AttributeError):
        try:
            return datetime.datetime.fromisoformat(doc.meta.date)
        except ValueError:
            return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    return datetime.datetime.fromtimestamp(int(stamp), datetime.UTC).replace(tzinfo=None)


class _PackageImages:
    """Each figure's image once in the package under images/, named by content."""

    def __init__(self, book: epub.EpubBook):
        self.book = book
        self.names: dict[Path, str] = {}

    def __call__(self, figure: Figure) -> str:
        if figure.src in self.names:
            return self.names[figure.src]
        try:
            data = figure.src.read_bytes()
        except OSError as error:
            raise StageFailed(
                f"cannot read the image {figure.src}: {error.strerror}. "
                "Check the file exists and is readable, then build again"
            ) from None
        name = f"images/image-{len(self.names) + 1:02d}{figure.src.suffix.lower()}"
        self.book.add_item(
            epub.EpubItem(
                uid=f"image-{len(self.names) + 1}",
                file_name=name,
                media_type=image_media_type(figure.src),
                content=data,
            )
        )
        self.names[figure.src] = name
        return name


def check(doc: Document, options: EpubOptions, paths: list[Path], ctx: BuildContext) -> CheckResult:
    from ..checks.epub import check_epub

    plain = [p for p in paths if not p.name.endswith("-read-along.epub")]
    read_along = [p for p in paths if p.name.endswith("-read-along.epub")]
    if read_along and ctx.thorough:  # its EPUBCheck runs beside the plain book's
        from ..checks.read_along import start_read_along_check

        pending = start_read_along_check(read_along[0])
    result = check_epub(doc, options, plain, ctx)
    if not read_along:
        return result
    if ctx.thorough:
        return pending.finish(result)
    from ..checks.read_along import check_read_along

    return check_read_along(read_along[0], result, validate=False)  # EPUBCheck: make check


def _tool_versions() -> dict[str, str]:
    from ..tool_versions import epubcheck_version

    return {"ebooklib": metadata.version("EbookLib"), "epubcheck": epubcheck_version()}


STAGES = [
    Stage(
        name="epub",
        version="2",
        options=EpubOptions,
        build=build,
        check=check,
        media_types={".epub": "application/epub+zip"},
        uses_page_map=True,
        narration="uses",
        tool_versions=_tool_versions,
    )
]
