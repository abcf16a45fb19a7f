"""Read-back check of the screen-reader PDF: what a screen reader would meet, verified.

pikepdf reads the catalogue, fonts and structure tree; qpdf's tokeniser (through pikepdf) walks
every page's content stream, which tells which marks are tagged (inside a marked-content sequence
with an MCID), which are artifacts, and which are neither, and whether every tagged character's
code has a Unicode mapping; poppler (`pdfinfo -struct-text`, a reader nobody here wrote) gives
the text of each marked-content reference in structure-tree order, as assistive technology reads
it, and that text is compared with the source's words.

(pdfminer.six interpreted the pages before; its pure-Python tokenising was 1.2 s of a 10,000-word
report's build. Every finding it gave is still given: see tests/test_pdf.py's broken copies.)
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from .. import textcompare
from ..document import Document, Footnotes, Heading, Table, figures, inline_text, iter_blocks

# Headings the PDF adds around the report's own (the title page's title is one more H1).
from ..sections import contents_heading, notes_heading, statement_heading
from ..stage_api import CheckResult, Finding

MINIMUM_SIMILARITY = 0.99
POPPLER_TIMEOUT = 300  # seconds for pdfinfo to read the tags of the largest book
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


# ---------------------------------------------------------------- page content (qpdf)

# Content-stream operators that put marks on the page (PDF 32000-1, 8.5.3 and 9.4.3); `n` ends a
# path without painting it, so it is no mark.
TEXT_OPERATORS = frozenset({"Tj", "TJ", "'", '"'})
PAINT_OPERATORS = frozenset({"S", "s", "f", "F", "f*", "B", "B*", "b", "b*"})


@dataclass
class McidText:
    parts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FontCodes:
    """How a font's character codes read as text: its ToUnicode map over its encoding."""

    characters: dict[int, str]
    width: int  # bytes per code: 2 for a composite (Type0) font, 1 for a simple one


@dataclass
class PageMarks:
    """Every mark on the pages sorted into tagged (by MCID), artifact or untagged, and the text of
    each MCID."""

    texts: dict[tuple[int, int], McidText] = field(default_factory=dict)  # (page index, MCID)
    untagged: Counter[int] = field(default_factory=Counter)  # page (1-based) -> marks
    untagged_kinds: Counter[str] = field(default_factory=Counter)
    mcids: set[tuple[int, int]] = field(default_factory=set)  # (page index, MCID) on the pages
    missing_unicode: int = 0  # tagged characters with no Unicode mapping


class MarkScanner:
    """Walks each page's content stream as qpdf tokenises it (pikepdf.parse_content_stream, in
    C++): the marked-content stack says who owns each mark, and each tagged string's character
    codes are read through its font's ToUnicode CMap (parsed by pdfminer's CMap reader) over its
    encoding, as pdfminer's interpreter did. Hand-written because no library reports marks that
    lie outside marked content; it follows only marked content, fonts and XObjects."""

    def __init__(self) -> None:
        self.marks = PageMarks()
        self._fonts: dict[tuple[int, int], FontCodes | None] = {}
        self.page = 0

    def scan(self, pdf: pikepdf.Pdf) -> PageMarks:
        for index, page in enumerate(pdf.pages):
            self.page = index
            self._walk(page.obj, page.obj.get("/Resources"), [], frozenset())
        return self.marks

    def _walk(self, owner, resources, stack: list[tuple[str, int | None]], forms: frozenset) -> None:
        saved_fonts: list = []
        font = None
        for instruction in pikepdf.parse_content_stream(owner):
            operands, op = instruction.operands, str(instruction.operator)
            if op in ("BDC", "BMC"):
                self._begin(operands, stack)
            elif op == "EMC":
                if stack:
                    stack.pop()
            elif op == "q":
                saved_fonts.append(font)
            elif op == "Q":
                font = saved_fonts.pop() if saved_fonts else font
            elif op == "Tf" and operands:
                font = _resource(resources, "/Font", operands[0])
            elif op in TEXT_OPERATORS:
                owner_mcid = self._owner(stack, "text")
                if isinstance(owner_mcid, int):
                    self._text(owner_mcid, font, operands)
            elif op in PAINT_OPERATORS:
                self._owner(stack, "path")
            elif op == "INLINE IMAGE":
                self._owner(stack, "image")
            elif op == "Do" and operands:
                xobject = _resource(resources, "/XObject", operands[0])
                if not isinstance(xobject, pikepdf.Stream):
                    continue
                if xobject.get("/Subtype") == pikepdf.Name.Form and xobject.objgen not in forms:
                    # A form's marks belong to the marked content around its Do.
                    inner = xobject.get("/Resources", resources)
                    self._walk(xobject, inner, stack, forms | {xobject.objgen})
                elif xobject.get("/Subtype") == pikepdf.Name.Image:
                    self._owner(stack, "image")

    def _begin(self, operands, stack: list[tuple[str, int | None]]) -> None:
        name = str(operands[0])[1:] if operands else ""
        mcid = None
        if len(operands) > 1 and isinstance(operands[1], pikepdf.Dictionary):
            value = operands[1].get("/MCID")
            mcid = int(value) if isinstance(value, int) else None
        stack.append((name, mcid))
        if mcid is not None:
            self.marks.mcids.add((self.page, mcid))

    def _owner(self, stack: list[tuple[str, int | None]], kind: str) -> int | str | None:
        """The innermost MCID or "artifact" a mark belongs to; None (counted) if neither."""
        for name, mcid in reversed(stack):
            if name == "Artifact":
                return "artifact"
            if mcid is not None:
                return mcid
        self.marks.untagged[self.page + 1] += 1
        self.marks.untagged_kinds[kind] += 1
        return None

    def _text(self, mcid: int, font, operands) -> None:
        codes = self._codes(font)
        chars: list[str] = []
        for data in (item for operand in operands for item in _strings(operand)):
            if codes is None:  # no usable font: nothing of it can be read aloud
                self.marks.missing_unicode += len(data)
                chars.append("\ufffd" * len(data))
                continue
            for start in range(0, len(data) - codes.width + 1, codes.width):
                char = codes.characters.get(int.from_bytes(data[start : start + codes.width], "big"))
                if char is None:
                    self.marks.missing_unicode += 1
                    char = "\ufffd"
                chars.append(char)
        # Literally what the page holds, as poppler and copy-and-paste read it: no space is
        # invented at a line break, so words the PDF runs together stay together here and the
        # word comparison below fails ("fromJanuary" is not "from" and "January").
        self.marks.texts.setdefault((self.page, mcid), McidText()).parts.append("".join(chars))

    def _codes(self, font) -> FontCodes | None:
        if not isinstance(font, pikepdf.Dictionary):
            return None
        if font.objgen not in self._fonts or font.objgen == (0, 0):
            self._fonts[font.objgen] = _font_codes(font)
        return self._fonts[font.objgen]


def _strings(operand) -> list[bytes]:
    if isinstance(operand, pikepdf.String):
        return [bytes(operand)]
    if isinstance(operand, pikepdf.Array):
        return [bytes(item) for item in operand if isinstance(item, pikepdf.String)]
    return []


def _resource(resources, kind: str, name):
    if not isinstance(resources, pikepdf.Dictionary) or not isinstance(name, pikepdf.Name):
        return None
    group = resources.get(kind)
    return group.get(str(name)) if isinstance(group, pikepdf.Dictionary) else None


def _font_codes(font) -> FontCodes:
    """A font's code -> text map: its ToUnicode CMap (pdfminer's CMap parser) over, for a simple
    font, its encoding (pdfminer's encoding tables), as pdfminer's own fonts read them."""
    from io import BytesIO

    from pdfminer.cmapdb import CMapParser, FileUnicodeMap
    from pdfminer.encodingdb import EncodingDB
    from pdfminer.psparser import LIT

    composite = font.get("/Subtype") == pikepdf.Name.Type0
    characters: dict[int, str] = {}
    if not composite:
        encoding = font.get("/Encoding")
        name, differences = "StandardEncoding", []
        if isinstance(encoding, pikepdf.Name):
            name = str(encoding)[1:]
        elif isinstance(encoding, pikepdf.Dictionary):
            name = str(encoding.get("/BaseEncoding", "/StandardEncoding"))[1:]
            differences = [
                int(item) if isinstance(item, int) else LIT(str(item)[1:])
                for item in encoding.get("/Differences", [])
            ]
        characters.update(EncodingDB.get_encoding(name, differences))
    stream = font.get("/ToUnicode")
    if isinstance(stream, pikepdf.Stream):
        unicode_map = FileUnicodeMap()
        CMapParser(unicode_map, BytesIO(stream.read_bytes())).run()
        characters.update(unicode_map.cid2unichr)
    return FontCodes(characters, 2 if composite else 1)


def start_poppler_reading(path: Path) -> subprocess.Popen:
    """poppler's reading of the tags (`pdfinfo -struct-text`), started at once: it runs on the
    other core while qpdf and pikepdf read the rest."""
    return subprocess.Popen(
        ["pdfinfo", "-struct-text", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def poppler_texts(reading: subprocess.Popen, name: str) -> tuple[list[str], str]:
    """The text of every marked-content reference of the structure tree, in tree order, as
    poppler reads it (each is one quoted line of its output; "Object n g" lines are annotation
    references; element lines carry no quotes), and what went wrong if poppler could not read."""
    try:
        out, err = reading.communicate(timeout=POPPLER_TIMEOUT)
    except subprocess.TimeoutExpired:
        reading.kill()
        reading.communicate()
        return [], f"poppler (pdfinfo) took over {POPPLER_TIMEOUT} s to read the tags of {name}"
    if reading.returncode != 0:
        problem = err.decode("utf-8", "replace").strip()[:300]
        return [], f"poppler (pdfinfo -struct-text) cannot read the tags of {name}: {problem}"
    texts: list[str] = []
    pending: list[str] | None = None  # a text that holds a line break goes on over lines
    for line in out.decode("utf-8", "replace").split("\n"):
        if pending is not None:
            pending.append(line)
            if line.endswith('"'):
                texts.append("\n".join(pending)[:-1])
                pending = None
            continue
        stripped = line.lstrip()
        if not stripped.startswith('"'):
            continue
        if len(stripped) > 1 and stripped.endswith('"'):
            texts.append(stripped[1:-1])
        else:
            pending = [stripped[1:]]
    return texts, ""


# ---------------------------------------------------------------- structure tree (pikepdf)


@dataclass
class TreeSummary:
    headings: list[tuple[int, str]] = field(default_factory=list)
    heading_pages: list[tuple[str, int | None]] = field(default_factory=list)  # (text, page index)
    figure_alts: list[str] = field(default_factory=list)
    tables: int = 0
    tables_without_th: int = 0
    text: list[str] = field(default_factory=list)
    referenced: set[tuple[int, int]] = field(default_factory=set)
    annotations_in_tree: set[tuple[int, int]] = field(default_factory=set)
    tags: Counter[str] = field(default_factory=Counter)


class TreeReader:
    def __init__(self, pdf: pikepdf.Pdf, contents: PageMarks):
        self.pages = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
        self.contents = contents
        # The text of each marked-content reference in the order the walk meets them (poppler's
        # reading of the tree lists the same, in the same order: see _compare_with_poppler).
        self.reference_texts: list[str] = []
        root = pdf.Root.get("/StructTreeRoot")
        self.role_map = dict(root.get("/RoleMap", {})) if root is not None else {}
        self.summary = TreeSummary()
        self._muted = 0  # > 0 inside the contents list (see element)
        self._marked_pages: list[int | None] = []  # the page of each reference, in walk order

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
        first_reference = len(self._marked_pages)
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
            text += "\n"
        if tag in {f"H{level}" for level in range(1, 7)}:
            self.summary.headings.append((int(tag[1]), _squash(text)))
            shown_on = [p for p in self._marked_pages[first_reference:] if p is not None]
            self.summary.heading_pages.append((_squash(text), shown_on[0] if shown_on else page))
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
        self._marked_pages.append(page)
        if page is None:
            self.reference_texts.append("")
            return ""
        self.summary.referenced.add((page, mcid))
        entry = self.contents.texts.get((page, mcid))
        text = "".join(entry.parts) if entry is not None else ""
        self.reference_texts.append(text)
        if entry is not None:
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


def check_pdf(doc: Document, path: Path, *, thorough: bool = False) -> CheckResult:
    """What a screen reader meets in the PDF, against the source. `thorough` (make check, CI,
    request replies) also has poppler read the tags and must read the same text in the same
    order as this check does (0.4 s more on 10,000 words; poppler renders a page per MCID)."""
    findings: list[Finding] = []
    name = path.name

    def error(message: str, where: str = "") -> None:
        findings.append(Finding("error", message, where or name))

    # poppler reads the tags at once, on the other core, while pikepdf and qpdf read the rest.
    reading = start_poppler_reading(path) if thorough else None
    try:
        with pikepdf.open(path) as pdf:
            contents = MarkScanner().scan(pdf)
            _check_catalog(pdf, doc, error, findings, name)
            fonts = _check_fonts(pdf, error, name)
            root = pdf.Root.get("/StructTreeRoot")
            reader = TreeReader(pdf, contents)
            summary = reader.read(root) if root is not None else TreeSummary()
            unlinked = _annotations_outside_tree(pdf, summary)
            page_count = len(pdf.pages)
            _check_destinations(pdf, summary, error, name)
        if reading is not None:
            _compare_with_poppler(reader.reference_texts, *poppler_texts(reading, name), error)
    finally:
        if reading is not None and reading.poll() is None:
            reading.kill()
            reading.communicate()
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


def _compare_with_poppler(ours: list[str], poppler: list[str], problem: str, error) -> None:
    """Each marked-content reference of the tree must read the same in poppler as here."""
    if problem:
        error(problem)
        return
    if len(poppler) != len(ours):
        error(
            f"poppler reads {len(poppler)} marked-content references in the structure tree, "
            f"this check {len(ours)}: readers do not agree on what the tree holds"
        )
        return
    differing = [n for n, (a, b) in enumerate(zip(ours, poppler)) if a != b]
    if differing:
        first = differing[0]
        error(
            f"{len(differing)} tagged text(s) read differently by poppler; the first, reference "
            f"{first + 1}: poppler reads {poppler[first][:60]!r}, this check {ours[first][:60]!r}"
        )


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


def _destination_page(pdf: pikepdf.Pdf, destination, pages: dict) -> int | None:
    """The page index an explicit destination ([page /XYZ ...]) goes to; None for a named one."""
    if isinstance(destination, pikepdf.Dictionary) and "/D" in destination:
        destination = destination.D
    if (
        isinstance(destination, pikepdf.Array)
        and len(destination)
        and isinstance(destination[0], pikepdf.Dictionary)
    ):
        return pages.get(destination[0].objgen)
    return None


def _check_destinations(pdf: pikepdf.Pdf, summary: TreeSummary, error, name: str) -> None:
    """Each bookmark goes to the page its heading is tagged on, and each link inside the PDF
    to a page that holds a heading: a reader who follows one lands where it says."""
    pages = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
    headings = list(summary.heading_pages)
    with pdf.open_outline() as outline:
        entries: list = []
        stack = list(reversed(list(outline.root)))
        while stack:
            item = stack.pop()
            entries.append(item)
            stack.extend(reversed(list(item.children)))
        for item in entries:
            title = _squash(str(item.title))
            target = _destination_page(
                pdf, item.destination if item.destination is not None else item.action, pages
            )
            found = next((i for i, (text, _) in enumerate(headings) if text == title), None)
            if target is None or found is None:
                continue
            heading_page = headings.pop(found)[1]
            if heading_page is not None and target != heading_page:
                error(
                    f"the bookmark '{item.title}' goes to page {target + 1}, but the heading is on "
                    f"page {heading_page + 1}",
                )
    # A link named after a heading ("Welcome, page 3" in the contents; "the value of
    # co-production" in the text) goes to a page that heading is on.
    heading_pages_by_text: dict[str, set[int]] = {}
    for text, shown_on in summary.heading_pages:
        if shown_on is not None:
            heading_pages_by_text.setdefault(text.casefold(), set()).add(shown_on)
    for index, pdf_page in enumerate(pdf.pages):
        for annotation in pdf_page.obj.get("/Annots", []):
            if annotation.get("/Subtype") != pikepdf.Name.Link or "/Contents" not in annotation:
                continue
            label = _squash(re.sub(r",[^,]*$", "", str(annotation.Contents))).casefold()
            goal = annotation.get("/Dest", annotation.get("/A"))
            target = _destination_page(pdf, goal, pages) if goal is not None else None
            wanted = heading_pages_by_text.get(label) or heading_pages_by_text.get(
                _squash(str(annotation.Contents)).casefold()
            )
            if target is not None and wanted and target not in wanted:
                error(
                    f"the link '{annotation.Contents}' goes to page {target + 1}, but its heading "
                    f"is on page {min(wanted) + 1}",
                    f"{name} page {index + 1}",
                )


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
