"""Read-back check of the screen-reader PDF: what a screen reader would meet, verified.

pikepdf reads the catalogue, fonts and structure tree; pdfminer.six interprets every page's
content stream, which tells which marks are tagged (inside a marked-content sequence with an
MCID), which are artifacts, and which are neither, and gives the text of each MCID. The text is
then read in structure-tree order, as assistive technology reads it, and compared with the
source's words.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from pdfminer.pdfdevice import PDFDevice
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdffont import PDFUnicodeNotDefined
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser

from .. import textcompare
from ..document import Document, Footnotes, Heading, Table, figures, inline_text, iter_blocks

# Headings the PDF adds around the report's own (the title page's title is one more H1).
from ..sections import contents_heading, notes_heading, statement_heading
from ..stage_api import CheckResult, Finding

MINIMUM_SIMILARITY = 0.99
# Tags whose text runs on in the line of their parent; every other element ends a line.
INLINE_TAGS = frozenset({"Span", "Link", "Reference", "Code", "Quote", "Lbl", "Em", "Strong"})


def expected_headings(doc: Document) -> list[tuple[int, str]]:
    """(level, text) of every heading the PDF must have, in order."""
    out = [(1, doc.meta.title), (1, contents_heading(doc))]
    for block in doc.blocks:
        if isinstance(block, Heading):
            out.append((block.level, _squash(inline_text(block.inlines))))
        elif isinstance(block, Footnotes) and block.notes:
            out.append((1, notes_heading(doc)))
    out.append((1, statement_heading(doc)))
    return out


def _squash(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------- page content (pdfminer)


@dataclass
class McidText:
    parts: list[str] = field(default_factory=list)
    first_y: float | None = None
    last_y: float | None = None


class MarkedContentReader(PDFDevice):
    """A pdfminer device that sorts every mark into tagged (by MCID), artifact or untagged."""

    def __init__(self, resources: PDFResourceManager):
        super().__init__(resources)
        self.page = 0
        self.stack: list[tuple[str, int | None]] = []
        self.texts: dict[tuple[int, int], McidText] = {}
        self.untagged: Counter[int] = Counter()  # page (1-based) -> marks
        self.untagged_kinds: Counter[str] = Counter()
        self.mcids: set[tuple[int, int]] = set()
        self.missing_unicode = 0

    def begin_page(self, page, ctm):
        self.stack = []

    def begin_tag(self, tag, props=None):
        name = getattr(tag, "name", str(tag))
        mcid = props.get("MCID") if isinstance(props, dict) else None
        self.stack.append((name, mcid if isinstance(mcid, int) else None))
        if isinstance(mcid, int):
            self.mcids.add((self.page, mcid))

    def end_tag(self):
        if self.stack:
            self.stack.pop()

    def _owner(self, kind: str) -> int | str | None:
        """The innermost MCID or "artifact" a mark belongs to; None (counted) if neither."""
        for name, mcid in reversed(self.stack):
            if name == "Artifact":
                return "artifact"
            if mcid is not None:
                return mcid
        self.untagged[self.page + 1] += 1
        self.untagged_kinds[kind] += 1
        return None

    def paint_path(self, graphicstate, stroke, fill, evenodd, path):
        if stroke or fill:
            self._owner("path")

    def render_image(self, name, stream):
        self._owner("image")

    def render_string(self, textstate, seq, ncs, graphicstate):
        owner = self._owner("text")
        if not isinstance(owner, int):
            return
        font = textstate.font
        chars: list[str] = []
        for item in seq:
            if isinstance(item, bytes):
                for cid in font.decode(item):
                    try:
                        chars.append(font.to_unichr(cid))
                    except PDFUnicodeNotDefined:
                        self.missing_unicode += 1
                        chars.append("\ufffd")
        entry = self.texts.setdefault((self.page, owner), McidText())
        y = round(textstate.matrix[5], 1)
        # Literally what the page holds, as poppler and copy-and-paste read it: no space is
        # invented at a line break, so words the PDF runs together stay together here and the
        # word comparison below fails ("fromJanuary" is not "from" and "January").
        entry.parts.append("".join(chars))
        if entry.first_y is None:
            entry.first_y = y
        entry.last_y = y


def read_pages(path: Path) -> MarkedContentReader:
    with path.open("rb") as handle:
        document = PDFDocument(PDFParser(handle))
        resources = PDFResourceManager(caching=True)
        reader = MarkedContentReader(resources)
        interpreter = PDFPageInterpreter(resources, reader)
        for index, page in enumerate(PDFPage.create_pages(document)):
            reader.page = index
            interpreter.process_page(page)
    return reader


# ---------------------------------------------------------------- structure tree (pikepdf)


@dataclass
class TreeSummary:
    headings: list[tuple[int, str]] = field(default_factory=list)
    figure_alts: list[str] = field(default_factory=list)
    tables: int = 0
    tables_without_th: int = 0
    text: list[str] = field(default_factory=list)
    referenced: set[tuple[int, int]] = field(default_factory=set)
    annotations_in_tree: set[tuple[int, int]] = field(default_factory=set)
    tags: Counter[str] = field(default_factory=Counter)


class TreeReader:
    def __init__(self, pdf: pikepdf.Pdf, contents: MarkedContentReader):
        self.pages = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
        self.contents = contents
        root = pdf.Root.get("/StructTreeRoot")
        self.role_map = dict(root.get("/RoleMap", {})) if root is not None else {}
        self.summary = TreeSummary()
        self._muted = 0  # > 0 inside the contents list (see element)
        self._last_position: tuple[int, float | None] | None = None

    def read(self, root) -> TreeSummary:
        for kid in _kids(root):
            if isinstance(kid, pikepdf.Dictionary):
                self.element(kid, None)
        return self.summary

    def tag(self, elem) -> str:
        tag = str(elem.get("/S", "/"))[1:]
        mapped = self.role_map.get("/" + tag)
        return str(mapped)[1:] if mapped is not None else tag

    def element(self, elem, page: int | None) -> str:
        """Walk one element; return its text (and append it to the reading-order text)."""
        tag = self.tag(elem)
        self.summary.tags[tag] += 1
        if "/Pg" in elem:
            page = self.pages.get(elem.Pg.objgen, page)
        # The contents list repeats the headings before the body: it is navigation, not the
        # report's text, so it stays out of the reading-order text that is compared.
        self._muted += tag == "TOC"
        pieces: list[str] = []
        for kid in _kids(elem):
            if isinstance(kid, int):
                pieces.append(self.marked(page, kid))
            elif isinstance(kid, pikepdf.Dictionary):
                kind = kid.get("/Type")
                if kind == pikepdf.Name.MCR:
                    kid_page = self.pages.get(kid.Pg.objgen, page) if "/Pg" in kid else page
                    pieces.append(self.marked(kid_page, int(kid.MCID)))
                elif kind == pikepdf.Name.OBJR:
                    self.summary.annotations_in_tree.add(kid.Obj.objgen)
                else:
                    pieces.append(self.element(kid, page))
        text = "".join(pieces)
        self._muted -= tag == "TOC"
        if tag not in INLINE_TAGS:
            self._text("\n")
            self._last_position = None
            text += "\n"
        if tag in {f"H{level}" for level in range(1, 7)}:
            self.summary.headings.append((int(tag[1]), _squash(text)))
        elif tag == "Figure":
            self.summary.figure_alts.append(str(elem.get("/Alt", "")))
        elif tag == "Table":
            self.summary.tables += 1
            if not self._has_descendant(elem, "TH"):
                self.summary.tables_without_th += 1
        return text

    def _has_descendant(self, elem, wanted: str) -> bool:
        for kid in _kids(elem):
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                if self.tag(kid) == wanted or self._has_descendant(kid, wanted):
                    return True
        return False

    def marked(self, page: int | None, mcid: int) -> str:
        if page is None:
            return ""
        self.summary.referenced.add((page, mcid))
        entry = self.contents.texts.get((page, mcid))
        if entry is None:
            return ""
        text = "".join(entry.parts)
        self._last_position = (page, entry.last_y)
        self._text(text)
        return text

    def _text(self, text: str) -> None:
        if not self._muted:
            self.summary.text.append(text)


def _kids(elem) -> list:
    kids = elem.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


# ---------------------------------------------------------------- the check


def check_pdf(doc: Document, path: Path) -> CheckResult:
    findings: list[Finding] = []
    name = path.name

    def error(message: str, where: str = "") -> None:
        findings.append(Finding("error", message, where or name))

    contents = read_pages(path)
    with pikepdf.open(path) as pdf:
        _check_catalog(pdf, doc, error, findings, name)
        fonts = _check_fonts(pdf, error, name)
        root = pdf.Root.get("/StructTreeRoot")
        summary = TreeReader(pdf, contents).read(root) if root is not None else TreeSummary()
        unlinked = _annotations_outside_tree(pdf, summary)
        page_count = len(pdf.pages)

    for page, marks in sorted(contents.untagged.items()):
        error(
            f"{marks} mark(s) on the page are neither tagged nor artifacts "
            f"({', '.join(sorted(contents.untagged_kinds))}); a screen reader skips them",
            f"{name} page {page}",
        )
    orphans = contents.mcids - summary.referenced
    if orphans:
        page, mcid = min(orphans)
        error(
            f"{len(orphans)} marked-content sequence(s) are not in the structure tree (first: MCID {mcid})",
            f"{name} page {page + 1}",
        )
    if contents.missing_unicode:
        error(f"{contents.missing_unicode} character(s) have no Unicode mapping (ToUnicode)")
    for page, count in unlinked:
        error(f"{count} link annotation(s) are not in the structure tree", f"{name} page {page}")

    _check_headings(doc, summary, error)
    _check_figures(doc, summary, error)
    _check_tables(doc, summary, error)

    similarity = textcompare.in_order_recall(
        textcompare.source_words(doc), textcompare.words("".join(summary.text))
    )
    if similarity < MINIMUM_SIMILARITY:
        error(
            f"the text in structure-tree order has only {similarity:.3f} of the source's "
            f"words in order (at least {MINIMUM_SIMILARITY} needed)"
        )
    metrics = {
        "similarity": round(similarity, 4),
        "pages": page_count,
        "untagged_marks": sum(contents.untagged.values()),
        "headings": len(summary.headings),
        "figures": len(summary.figure_alts),
        "tables": summary.tables,
        "fonts": fonts,
        "structure_elements": sum(summary.tags.values()),
    }
    return CheckResult(tuple(findings), metrics)


def _check_catalog(pdf: pikepdf.Pdf, doc: Document, error, findings: list[Finding], name: str) -> None:
    root = pdf.Root
    if root.get("/StructTreeRoot") is None:
        error("the PDF is not tagged: it has no structure tree (StructTreeRoot)")
    mark_info = root.get("/MarkInfo")
    if mark_info is None or not bool(mark_info.get("/Marked", False)):
        error("MarkInfo /Marked is not true: readers will not trust the tags")
    lang = root.get("/Lang")
    if lang is None or not str(lang):
        error("the document has no /Lang: screen readers cannot choose a voice")
    elif str(lang).lower() != doc.meta.language.lower():
        error(f"/Lang is '{lang}' but the report's language is '{doc.meta.language}'")
    preferences = root.get("/ViewerPreferences")
    if preferences is None or not bool(preferences.get("/DisplayDocTitle", False)):
        error("ViewerPreferences /DisplayDocTitle is not true: the window shows the file name")
    title = str(pdf.docinfo.get("/Title", ""))
    if title != doc.meta.title:
        error(f"the Info title is '{title}', not the report's title '{doc.meta.title}'")
    metadata = pdf.open_metadata()
    if str(metadata.get("pdfuaid:part", "")) != "1":
        error("the XMP metadata does not declare PDF/UA-1 (pdfuaid:part 1)")
    if str(metadata.get("dc:title", "")) != doc.meta.title:
        error("the XMP metadata has no dc:title matching the report's title")
    for number, page in enumerate(pdf.pages, start=1):
        if page.obj.get("/Tabs") != pikepdf.Name.S:
            error("the page has no /Tabs /S (tab order by structure)", f"{name} page {number}")
            break
    if pdf.pdf_version < "1.7":
        findings.append(Finding("warning", f"PDF version {pdf.pdf_version}; 1.7 expected", name))


def _fonts_of(resources, seen: set) -> list:
    """Every font dictionary reachable from a resource dictionary, through form XObjects."""
    out: list = []
    if resources is None or (resources.objgen in seen and resources.objgen != (0, 0)):
        return out
    seen.add(resources.objgen)
    for font in dict(resources.get("/Font", {})).values():
        out.append(font)
    for xobject in dict(resources.get("/XObject", {})).values():
        if xobject.get("/Subtype") == pikepdf.Name.Form:
            out += _fonts_of(xobject.get("/Resources"), seen)
    return out


def _check_fonts(pdf: pikepdf.Pdf, error, name: str) -> list[str]:
    seen_resources: set = set()
    checked: dict[tuple, str] = {}
    for page in pdf.pages:
        for font in _fonts_of(page.obj.get("/Resources"), seen_resources):
            if font.objgen in checked:
                continue
            base = str(font.get("/BaseFont", "?"))[1:]
            checked[font.objgen] = base
            descriptor_owner = font
            if font.get("/Subtype") == pikepdf.Name.Type0:
                descriptor_owner = font.DescendantFonts[0]
            descriptor = descriptor_owner.get("/FontDescriptor")
            if descriptor is None or not any(
                key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
            ):
                error(f"the font {base} is not embedded (PDF/UA requires every font embedded)")
            if "/ToUnicode" not in font:
                error(f"the font {base} has no ToUnicode map: its text cannot be read aloud")
    return sorted(set(checked.values()))


def _annotations_outside_tree(pdf: pikepdf.Pdf, summary: TreeSummary) -> list[tuple[int, int]]:
    out = []
    for number, page in enumerate(pdf.pages, start=1):
        missing = sum(
            1
            for annotation in page.obj.get("/Annots", [])
            if annotation.get("/Subtype") == pikepdf.Name.Link
            and annotation.objgen not in summary.annotations_in_tree
        )
        if missing:
            out.append((number, missing))
    return out


def _check_headings(doc: Document, summary: TreeSummary, error) -> None:
    expected = expected_headings(doc)
    found = summary.headings
    previous = 0
    for level, text in found:
        if level > previous + 1:
            error(f"heading level skipped: H{level} '{text}' follows H{previous}")
            break
        previous = level
    if found != expected:
        difference = next(
            (i for i, pair in enumerate(zip(found, expected)) if pair[0] != pair[1]),
            min(len(found), len(expected)),
        )
        got = found[difference] if difference < len(found) else "nothing"
        want = expected[difference] if difference < len(expected) else "nothing"
        error(
            f"the tagged headings differ from the report's: heading {difference + 1} is "
            f"{got}, expected {want} ({len(found)} found, {len(expected)} expected)"
        )


def _check_figures(doc: Document, summary: TreeSummary, error) -> None:
    expected = [figure.alt for figure in figures(doc) if not figure.decorative]
    for number, alt in enumerate(summary.figure_alts, start=1):
        if not alt.strip():
            error(f"figure {number} has no alternative text (/Alt)")
    if [alt for alt in summary.figure_alts] != expected:
        error(
            f"the figures' alt texts differ from the report's: {len(summary.figure_alts)} "
            f"tagged figures, {len(expected)} informative images in the report"
        )


def _check_tables(doc: Document, summary: TreeSummary, error) -> None:
    headed = [
        table
        for table in iter_blocks(doc.blocks)
        if isinstance(table, Table) and (table.header_rows or table.row_headers)
    ]
    if summary.tables_without_th and len(headed) > summary.tables - summary.tables_without_th:
        error(f"{summary.tables_without_th} table(s) have no header cells (TH)")
    tables = sum(1 for block in iter_blocks(doc.blocks) if isinstance(block, Table))
    if summary.tables != tables:
        error(f"{summary.tables} tagged tables, but the report has {tables}")
