"""Read-back check for the Word documents (clear print and large print).

Reopens each .docx with python-docx and reads its XML parts with lxml, then verifies what a
machine can verify of the issue's rules: structure a screen reader navigates by (heading styles
without skipped levels, real numbering, table header rows, alt text, real footnotes, links),
document properties and languages, and what a large-print reader must never meet (a run whose
effective size - run, character style, paragraph style, table style, document defaults - is
below the body size; italic or underlined text that is not a link; superscripts; capitals as
emphasis). Finally the text in reading order must contain the source's words in order.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docx
import langcodes
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from lxml import etree
from reportlab.pdfbase.pdfmetrics import stringWidth

from ..colour import contrast_ratio
from ..document import (
    BulletList,
    Document,
    Figure,
    Heading,
    Link,
    NoteRef,
    OrderedList,
    Paragraph,
    Span,
    Table,
    figures,
    inline_text,
    iter_blocks,
)
from ..sections import accessibility_statement, contents_heading, statement_heading
from ..stage_api import CheckResult, Finding
from ..textcompare import in_order_recall, source_words, words
from .image_text import smallest_printed_text_pt

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
DECORATIVE_NS = "http://schemas.microsoft.com/office/drawing/2017/decorative"
MIN_SIMILARITY = 0.99
A4 = (11906, 16838)  # twentieths of a point
JUSTIFIED = {"both", "distribute", "thaiDistribute", "lowKashida", "mediumKashida", "highKashida"}
MAX_EXAMPLES = 5
_SAMPLE = (
    "The quick brown fox jumps over the lazy dog. We ran 21 sessions for 502 people "
    "and raised money, compared with last year, in co-production with our partners."
)


@dataclass(frozen=True)
class WordRules:
    large_print: bool
    body_size: int  # points
    minimum_size: float  # no run may be smaller (large print: the body size)
    language: str  # Word form, "en-GB"
    text_colour: str = "000000"
    background: str = "FFFFFF"


# ---------------------------------------------------------------- style resolution


def _on(element: etree._Element | None) -> bool | None:
    """A toggle property (w:b, w:i, w:caps): absent None, <w:i/> True, w:val="0" False."""
    if element is None:
        return None
    return element.get(qn("w:val"), "true").lower() not in ("0", "false", "off")


_RPR, _PARAGRAPH, _TABLE = qn("w:rPr"), qn("w:p"), qn("w:tbl")


class Styles:
    """Effective run and paragraph properties through the style chain (ECMA-376 17.7.2)."""

    def __init__(self, styles_root: etree._Element):
        self.by_id = {s.get(qn("w:styleId")): s for s in styles_root.iter(qn("w:style"))}
        # Style id -> the rPr of each style of its chain: styles do not change while a document
        # is checked, and every run of a long report resolved the same few chains again.
        self._chain_rprs: dict[str | None, list[etree._Element | None]] = {}
        defaults = styles_root.find(qn("w:docDefaults"))
        self.default_rpr = (
            defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}") if defaults is not None else None
        )
        self.default_ppr = (
            defaults.find(f"{qn('w:pPrDefault')}/{qn('w:pPr')}") if defaults is not None else None
        )
        self.default_paragraph = next(
            (
                sid
                for sid, s in self.by_id.items()
                if s.get(qn("w:type")) == "paragraph" and s.get(qn("w:default")) in ("1", "true")
            ),
            None,
        )
        self.default_table = next(
            (
                sid
                for sid, s in self.by_id.items()
                if s.get(qn("w:type")) == "table" and s.get(qn("w:default")) in ("1", "true")
            ),
            None,
        )

    def chain(self, style_id: str | None) -> list[etree._Element]:
        out, seen = [], set()
        while style_id and style_id in self.by_id and style_id not in seen:
            seen.add(style_id)
            style = self.by_id[style_id]
            out.append(style)
            based = style.find(qn("w:basedOn"))
            style_id = based.get(qn("w:val")) if based is not None else None
        return out

    def name(self, style_id: str | None) -> str:
        style = self.by_id.get(style_id or "")
        node = style.find(qn("w:name")) if style is not None else None
        return node.get(qn("w:val"), "") if node is not None else ""

    def paragraph_style(self, paragraph: etree._Element) -> str | None:
        node = paragraph.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        return node.get(qn("w:val")) if node is not None else self.default_paragraph

    def chain_rprs(self, style_id: str | None) -> list[etree._Element | None]:
        """The rPr of each style in the chain of `style_id`, strongest first."""
        if style_id not in self._chain_rprs:
            self._chain_rprs[style_id] = [s.find(_RPR) for s in self.chain(style_id)]
        return self._chain_rprs[style_id]

    def run_layers(self, run: etree._Element) -> list[etree._Element]:
        """rPr elements from strongest to weakest for one run."""
        rpr = run.find(_RPR)
        layers: list[etree._Element | None] = [rpr]
        run_style = rpr.find(qn("w:rStyle")) if rpr is not None else None
        if run_style is not None:
            layers += self.chain_rprs(run_style.get(qn("w:val")))
        paragraph = next(run.iterancestors(_PARAGRAPH), None)
        if paragraph is not None:
            layers += self.chain_rprs(self.paragraph_style(paragraph))
        table = next(run.iterancestors(_TABLE), None)
        if table is not None:
            node = table.find(f"{qn('w:tblPr')}/{qn('w:tblStyle')}")
            table_style = node.get(qn("w:val")) if node is not None else self.default_table
            layers += self.chain_rprs(table_style)
        layers.append(self.default_rpr)
        return [layer for layer in layers if layer is not None]

    def run_property(
        self, run: etree._Element, tag: str, layers: list[etree._Element] | None = None
    ) -> etree._Element | None:
        """The strongest w:<tag> for the run (pass `layers` to reuse one run's resolution)."""
        for layer in layers if layers is not None else self.run_layers(run):
            node = layer.find(qn(f"w:{tag}"))
            if node is not None:
                return node
        return None

    def paragraph_property(self, paragraph: etree._Element, tag: str, attribute: str) -> str | None:
        """An attribute of a pPr child (spacing/after, jc/val) through the paragraph's styles."""
        layers = [paragraph.find(qn("w:pPr"))]
        layers += [s.find(qn("w:pPr")) for s in self.chain(self.paragraph_style(paragraph))]
        layers.append(self.default_ppr)
        return self.style_layers_property(layers, tag, attribute)

    def style_property(self, style_id: str, tag: str, attribute: str) -> str | None:
        layers = [s.find(qn("w:pPr")) for s in self.chain(style_id)] + [self.default_ppr]
        return self.style_layers_property(layers, tag, attribute)

    @staticmethod
    def style_layers_property(layers, tag: str, attribute: str) -> str | None:
        for layer in layers:
            if layer is None:
                continue
            node = layer.find(qn(f"w:{tag}"))
            if node is not None and node.get(qn(f"w:{attribute}")) is not None:
                return node.get(qn(f"w:{attribute}"))
        return None


# ---------------------------------------------------------------- reading the package


@dataclass
class Story:
    """One XML part with text: the body, the footnotes, a header or footer."""

    name: str
    root: etree._Element


@dataclass
class Package:
    path: Path
    document: object  # docx.Document
    styles: Styles
    body: etree._Element
    stories: list[Story]
    footnotes: etree._Element | None
    numbering: etree._Element | None


def _part_xml(part) -> etree._Element:
    element = getattr(part, "element", None)
    return element if element is not None else etree.fromstring(part.blob)


def open_package(path: Path) -> Package:
    document = docx.Document(str(path))
    main = document.part
    styles = Styles(document.styles.element)
    stories = [Story("document.xml", document.element)]
    footnotes = None
    for rel in main.rels.values():
        if rel.is_external:
            continue
        if rel.reltype == RT.FOOTNOTES:
            footnotes = _part_xml(rel.target_part)
            stories.append(Story("footnotes.xml", footnotes))
        elif rel.reltype in (RT.HEADER, RT.FOOTER):
            stories.append(Story(rel.target_part.partname.split("/")[-1], _part_xml(rel.target_part)))
    numbering = None
    try:
        numbering = document.part.numbering_part.element
    except (KeyError, NotImplementedError):
        pass
    return Package(path, document, styles, document.element.body, stories, footnotes, numbering)


def _text(element: etree._Element) -> str:
    parts = []
    for node in element.iter(qn("w:t"), qn("w:br"), qn("w:tab"), qn("w:cr")):
        parts.append(node.text or "" if node.tag == qn("w:t") else " ")
    return "".join(parts)


def _snippet(element: etree._Element) -> str:
    paragraph = element if element.tag == qn("w:p") else next(element.iterancestors(qn("w:p")), element)
    text = " ".join(_text(paragraph).split())
    return f"'{text[:50]}{'...' if len(text) > 50 else ''}'"


def reading_text(body: etree._Element) -> str:
    """The body's text in reading order: paragraphs, and tables row by row, cell by cell."""
    parts: list[str] = []

    def walk(container: etree._Element) -> None:
        for child in container:
            if child.tag == qn("w:p"):
                parts.append(_text(child))
            elif child.tag in (
                qn("w:tbl"),
                qn("w:tr"),
                qn("w:tc"),
                qn("w:sdt"),
                qn("w:sdtContent"),
                qn("w:customXml"),
            ):
                walk(child)

    walk(body)
    return "\n".join(parts)


# ---------------------------------------------------------------- the check


class Report:
    """Findings grouped by rule, so 400 small runs make one finding with examples, not 400."""

    def __init__(self, path: Path):
        self.path = path
        self.grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.single: list[Finding] = []

    def add(self, severity: str, message: str, where: str = "") -> None:
        self.single.append(Finding(severity, message, f"{self.path.name} {where}".strip()))

    def many(self, severity: str, message: str, where: str) -> None:
        self.grouped[(severity, message)].append(where)

    def findings(self) -> list[Finding]:
        out = list(self.single)
        for (severity, message), places in self.grouped.items():
            examples = "; ".join(places[:MAX_EXAMPLES])
            more = f" and {len(places) - MAX_EXAMPLES} more" if len(places) > MAX_EXAMPLES else ""
            out.append(
                Finding(severity, f"{message} ({len(places)} places)", f"{self.path.name}: {examples}{more}")
            )
        return out


def check(doc: Document, rules: WordRules, paths: list[Path]) -> CheckResult:
    findings: list[Finding] = []
    metrics: dict[str, object] = {}
    docx_paths = [p for p in paths if p.suffix == ".docx"]
    if not docx_paths:
        return CheckResult((Finding("error", "no .docx file was written"),), {})
    for path in docx_paths:
        report = Report(path)
        try:
            package = open_package(path)
        except Exception as error:  # any failure to open is the finding itself
            report.add("error", f"python-docx cannot open the file: {error}")
            findings += report.findings()
            continue
        file_metrics = check_package(doc, rules, package, report)
        findings += report.findings()
        if len(docx_paths) == 1:
            metrics.update(file_metrics)
        else:
            metrics[path.name] = file_metrics
    return CheckResult(tuple(findings), metrics)


def check_package(doc: Document, rules: WordRules, package: Package, report: Report) -> dict:
    metrics: dict[str, object] = {}
    for rule in (
        _properties,
        _language,
        _headings,
        _contents,
        _pictures,
        _tables,
        _runs,
        _paragraphs,
        _lists,
        _links,
        _page,
        _footnotes,
        _similarity,
    ):
        metrics.update(rule(doc, rules, package, report) or {})
    return metrics


def _properties(doc, rules, package, report) -> dict:
    core = package.document.core_properties
    if not (core.title or "").strip():
        report.add(
            "error",
            "the document has no title (core property title): set it so screen "
            "readers and the title bar announce the report, not the file name",
        )
    elif core.title.strip() != doc.meta.title.strip():
        report.add(
            "warning", f"the title property '{core.title}' differs from the report's title '{doc.meta.title}'"
        )
    if not (core.language or "").strip():
        report.add("error", "the document language property is not set")
    for name, value in (("author", core.author), ("subject", core.subject), ("keywords", core.keywords)):
        if not (value or "").strip():
            report.add("warning", f"the {name} property is empty")
    return {"title": core.title}


def _primary(tag: str) -> str:
    try:
        return langcodes.Language.get(tag).language or tag.split("-")[0].lower()
    except (ValueError, langcodes.LanguageTagError):
        return tag.split("-")[0].lower()


def _language(doc, rules, package, report) -> dict:
    default = package.styles.default_rpr
    lang = default.find(qn("w:lang")) if default is not None else None
    value = lang.get(qn("w:val")) if lang is not None else None
    if not value:
        report.add(
            "error",
            "missing document language: the default style (docDefaults) has no "
            "w:lang, so screen readers and spelling use the reader's own language",
            "styles.xml",
        )
    elif value.lower() != rules.language.lower():
        report.add(
            "error", f"the document language is {value}, the report's is {rules.language}", "styles.xml"
        )
    # Every other-language passage must sit in runs marked with its language.
    pieces: dict[str, list[str]] = defaultdict(list)
    for story in package.stories:
        for run in story.root.iter(qn("w:r")):
            node = package.styles.run_property(run, "lang")
            run_lang = node.get(qn("w:val")) if node is not None else ""
            if run_lang and value and run_lang.lower() != value.lower():
                pieces[_primary(run_lang)].append(_text(run))
    # Joined and spaced once per language (joining them again for every passage was quadratic).
    marked = {primary: " ".join("".join(texts).split()) for primary, texts in pieces.items()}
    spans = [
        inline
        for block in iter_blocks(doc.blocks)
        for inline in _inlines_of(block)
        if isinstance(inline, Span)
    ]
    for span in spans:
        text = " ".join(_span_text(span).split())
        primary = _primary(span.lang)
        if primary == _primary(rules.language) or not text:
            continue
        if text not in marked.get(primary, ""):
            report.many(
                "error",
                "text in another language is not marked with w:lang "
                "(a screen reader would read it with the wrong voice)",
                f"'{text[:40]}' ({span.lang})",
            )
    return {"language": value, "other_language_passages": len(spans)}


def _inlines_of(block) -> Iterator:
    """Every inline of a block (not of nested blocks), descending into inline containers."""
    inlines = []
    if isinstance(block, (Paragraph, Heading)):
        inlines = list(block.inlines)
    elif isinstance(block, Table):
        inlines = list(block.caption)
    elif isinstance(block, Figure):
        inlines = list(block.caption)
    elif hasattr(block, "attribution"):
        inlines = list(block.attribution)
    stack = inlines[::-1]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(getattr(node, "inlines", ())[::-1])


def _span_text(span: Span) -> str:
    return inline_text(span.inlines)


_HEADING = re.compile(r"^heading ([1-9])$", re.IGNORECASE)


def _squash(text: str) -> str:
    return " ".join(text.split())


def expected_headings(doc: Document) -> list[tuple[int, str]]:
    """(level, text) of every Heading-styled paragraph the body must have, in order: the
    contents heading, the report's headings (nested ones too: the writer styles a heading in a
    quote or cell as a heading; notes are in footnotes.xml), the statement heading."""
    in_notes = {id(inner) for note in doc.footnotes.values() for inner in iter_blocks(note.blocks)}
    own = [b for b in iter_blocks(doc.blocks) if isinstance(b, Heading) and id(b) not in in_notes]
    return [
        (1, contents_heading(doc)),
        *((min(max(b.level, 1), 6), _squash(inline_text(b.inlines))) for b in own),
        (1, statement_heading(doc)),
    ]


def _heading_paragraphs(package) -> Iterator[tuple[int, etree._Element]]:
    for paragraph in package.body.iter(qn("w:p")):
        match = _HEADING.match(package.styles.name(package.styles.paragraph_style(paragraph)))
        if match:
            yield int(match.group(1)), paragraph


def _headings(doc, rules, package, report) -> dict:
    previous = 0
    found: list[tuple[int, str]] = []
    for level, paragraph in _heading_paragraphs(package):
        if level > previous + 1:
            report.many(
                "error",
                "a heading skips a level (screen reader users lose their place in the outline)",
                f"{_snippet(paragraph)} is Heading {level} after "
                f"{'the start' if not previous else f'Heading {previous}'}",
            )
        if not _text(paragraph).strip():
            report.many("error", "an empty heading", "document.xml")
        found.append((level, _squash(_text(paragraph))))
        previous = level
    # Exactly, in order: a count would let a heading that lost its style hide behind the
    # headings the stage adds (Contents, the statement).
    expected = expected_headings(doc)
    if found != expected:
        missing = [f"Heading {level} '{text}'" for level, text in expected if (level, text) not in found]
        extra = [f"Heading {level} '{text}'" for level, text in found if (level, text) not in expected]
        detail = (
            "; ".join(
                part
                for part in (
                    f"missing {', '.join(missing[:MAX_EXAMPLES])}" if missing else "",
                    f"unexpected {', '.join(extra[:MAX_EXAMPLES])}" if extra else "",
                )
                if part
            )
            or "the order differs"
        )
        report.add(
            "error",
            f"the Heading-styled paragraphs are not the report's headings "
            f"({len(found)} found, {len(expected)} expected: {detail})",
        )
    return {"headings": len(found)}


def _contents(doc, rules, package, report) -> dict:
    """A contents that works on paper: Word's TOC field, and every entry's PAGEREF showing a
    page number (pages.py fills them in from LibreOffice's layout; the test that they are the
    right pages reads LibreOffice's own rendering, tests/test_print_pages.py)."""
    instructions = [" ".join((node.text or "").split()) for node in package.body.iter(qn("w:instrText"))]
    if not any(i.startswith("TOC ") for i in instructions):
        report.add("error", "the contents is not a Word TOC field: Word cannot update it")
        return {"contents_entries": 0}
    entries = 0
    for paragraph in package.body.iter(qn("w:p")):
        if not any("PAGEREF" in (n.text or "") for n in paragraph.iter(qn("w:instrText"))):
            continue
        entries += 1
        shown = [t.text or "" for t in paragraph.iter(qn("w:t"))]
        if not shown or not shown[-1].strip().isdigit():
            report.many(
                "error", "a contents entry shows no page number", f"document.xml {_snippet(paragraph)}"
            )
    expected = sum(1 for b in doc.blocks if isinstance(b, Heading) and b.level <= 3) + 1
    if entries != expected:
        report.add(
            "error",
            f"the contents has {entries} entries with page numbers; the report "
            f"has {expected} headings to list (levels 1-3 and the statement)",
        )
    return {"contents_entries": entries}


def _statement_heading(doc, package) -> etree._Element | None:
    """The statement's heading paragraph (the last Heading 1 with its words), or None."""
    found = [
        p
        for level, p in _heading_paragraphs(package)
        if level == 1 and _squash(_text(p)) == statement_heading(doc)
    ]
    return found[-1] if found else None


def _is_decorative(doc_pr: etree._Element) -> bool:
    return any(node.get("val") in ("1", "true") for node in doc_pr.iter(f"{{{DECORATIVE_NS}}}decorative"))


def _pictures(doc, rules, package, report) -> dict:
    described, decorative, descriptions = 0, 0, []
    drawing_ids: set[str] = set()
    for story in package.stories:
        for _anchor in story.root.iter(f"{{{WP_NS}}}anchor"):
            report.many(
                "error",
                "a floating picture (wrap around text): screen readers may skip "
                "it and reading order breaks; make it inline",
                story.name,
            )
        for inline in story.root.iter(f"{{{WP_NS}}}inline"):
            doc_pr = inline.find(f"{{{WP_NS}}}docPr")
            if doc_pr is None:
                continue
            if doc_pr.get("id") in drawing_ids:  # Word reports such a file as damaged
                report.many(
                    "error",
                    "two pictures have the same drawing id: Word may say the file is damaged",
                    f"{story.name} picture '{doc_pr.get('name', '')}'",
                )
            drawing_ids.add(doc_pr.get("id", ""))
            descr = (doc_pr.get("descr") or "").strip()
            if _is_decorative(doc_pr):
                decorative += 1
            elif descr:
                described += 1
                descriptions.append(descr)
                if not (doc_pr.get("title") or "").strip():
                    report.many(
                        "warning", "a picture has alt text but no title", f"{story.name} '{descr[:40]}'"
                    )
            else:
                report.many(
                    "error",
                    "a picture has no alt text and is not marked decorative",
                    f"{story.name} picture '{doc_pr.get('name', '')}'",
                )
        for _ in story.root.iter(qn("w:txbxContent"), "{urn:schemas-microsoft-com:vml}textbox"):
            report.many("error", "text in a text box: screen readers often skip it", story.name)
    _picture_layout(rules, package, report)
    if rules.large_print:
        _picture_text_size(rules, package, report)
    for figure in (f for f in figures(doc) if not f.decorative):
        if figure.alt.strip() and figure.alt.strip() not in descriptions:
            report.many(
                "error",
                "a figure's alt text from the source is missing from the pictures",
                f"'{figure.alt[:40]}'",
            )
    return {"pictures_described": described, "pictures_decorative": decorative}


def _picture_text_size(rules, package, report) -> None:
    """Large print: warn when a described picture likely holds text smaller than the large
    print minimum once printed at its size on the page (see image_text.py)."""
    A = "http://schemas.openxmlformats.org/drawingml/2006/main"
    R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    part = package.document.part
    for inline in package.body.iter(f"{{{WP_NS}}}inline"):
        doc_pr = inline.find(f"{{{WP_NS}}}docPr")
        if doc_pr is None or _is_decorative(doc_pr):
            continue
        blip = next(inline.iter(f"{{{A}}}blip"), None)
        rel_id = blip.get(f"{{{R}}}embed") if blip is not None else None
        if not rel_id or rel_id not in part.rels:
            continue
        width_pt = int(inline.find(f"{{{WP_NS}}}extent").get("cx")) / 12700
        try:
            size = smallest_printed_text_pt(part.rels[rel_id].target_part.blob, width_pt)
        except (OSError, ValueError):
            continue
        if size is not None and size < rules.minimum_size:
            name = (doc_pr.get("descr") or doc_pr.get("name") or "")[:50]
            report.many(
                "warning",
                f"a picture likely holds text smaller than "
                f"{rules.minimum_size:g} pt when printed: give the source a "
                f"large-print version drawn with bigger text, "
                f"![alt](chart.png){{large=chart-large.png}}",
                f"'{name}' about {size:.0f} pt",
            )


def _picture_layout(rules, package, report) -> None:
    """A picture stays on its caption's page (keepNext); large print: full text width."""
    sect = package.body.find(qn("w:sectPr"))
    size, margins = sect.find(qn("w:pgSz")), sect.find(qn("w:pgMar"))
    text_width = (
        int(size.get(qn("w:w"))) - int(margins.get(qn("w:left"))) - int(margins.get(qn("w:right")))
    ) * 635  # twips -> EMU
    text_height = (
        int(size.get(qn("w:h"))) - int(margins.get(qn("w:top"))) - int(margins.get(qn("w:bottom")))
    ) * 635
    for inline in package.body.iter(f"{{{WP_NS}}}inline"):
        paragraph = next(inline.iterancestors(qn("w:p")), None)
        if paragraph is None or next(inline.iterancestors(qn("w:tc")), None) is not None:
            continue
        where = f"document.xml picture '{inline.find(f'{{{WP_NS}}}docPr').get('name', '')}'"
        following = paragraph.getnext()
        if (
            following is not None
            and following.tag == qn("w:p")
            and package.styles.name(package.styles.paragraph_style(following)).lower() == "caption"
            and package.styles.paragraph_property(paragraph, "keepNext", "val") is None
            and paragraph.find(f"{qn('w:pPr')}/{qn('w:keepNext')}") is None
        ):
            report.many("error", "a picture can be split from its caption (no keepNext)", where)
        extent = inline.find(f"{{{WP_NS}}}extent")
        width, height = int(extent.get("cx")), int(extent.get("cy"))
        # Full text width (or, for a tall picture, three quarters of the text height), or at
        # least four fifths of that: the stage may shrink a picture that far so that it fits
        # the page before rather than leave a third of that page empty.
        if rules.large_print and width < 0.79 * text_width and height < 0.59 * text_height:
            report.many(
                "error",
                "a picture narrower than the text width in large print",
                f"{where} {width / 12700:.0f} of {text_width / 12700:.0f} pt",
            )
        if width > text_width * 1.01:
            report.many("error", "a picture wider than the text area", where)


def _tables(doc, rules, package, report) -> dict:
    count = 0
    for story in package.stories:
        for index, table in enumerate(story.root.iter(qn("w:tbl")), start=1):
            count += 1
            where = f"{story.name} table {index}"
            first_row = table.find(qn("w:tr"))
            if first_row is None or first_row.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is None:
                report.many(
                    "error",
                    "a table without a header row (w:tblHeader): screen readers "
                    "cannot announce column headings, and the row does not "
                    "repeat on each page",
                    where,
                )
            table_pr = table.find(qn("w:tblPr"))
            if table_pr is None or table_pr.find(qn("w:tblCaption")) is None:
                report.many("error", "a table without a caption (w:tblCaption)", where)
            if any(True for _ in table.iter(qn("w:vMerge"))) or any(
                int(g.get(qn("w:val"), "1")) > 1 for g in table.iter(qn("w:gridSpan"))
            ):
                report.many("error", "a table with merged cells (screen readers misreport them)", where)
    return {"tables": count}


def _run_has_content(run: etree._Element) -> bool:
    return any((t.text or "").strip() for t in run.iter(qn("w:t"))) or any(
        True for _ in run.iter(qn("w:footnoteReference"), qn("w:footnoteRef"), qn("w:sym"))
    )


def _runs(doc, rules, package, report) -> dict:
    styles = package.styles
    smallest, checked = None, 0
    for story in package.stories:
        for run in story.root.iter(qn("w:r")):
            if not _run_has_content(run):
                continue
            checked += 1
            layers = styles.run_layers(run)
            # Called in this iteration only; the defaults bind this run (B023).
            prop = lambda tag, run=run, layers=layers: styles.run_property(run, tag, layers)
            # Where a finding is, made only for a finding: it reads the run's whole paragraph.
            where = lambda story=story, run=run: f"{story.name} {_snippet(run)}"
            size_node = prop("sz")
            size = int(size_node.get(qn("w:val"))) / 2 if size_node is not None else 10.0
            smallest = size if smallest is None else min(smallest, size)
            if size < rules.minimum_size:
                report.many("error", f"text smaller than {rules.minimum_size:g} pt", f"{where()} {size:g} pt")
            in_link = next(run.iterancestors(qn("w:hyperlink")), None) is not None
            vert = prop("vertAlign")
            if (
                rules.large_print
                and vert is not None
                and vert.get(qn("w:val")) in ("superscript", "subscript")
            ):
                report.many(
                    "error", "superscript or subscript text is drawn smaller than the body size", where()
                )
            if rules.large_print and _on(prop("i")):
                report.many("error", "italic text in large print (use bold for emphasis)", where())
            underline = prop("u")
            if (
                rules.large_print
                and underline is not None
                and underline.get(qn("w:val"), "single") != "none"
                and not in_link
            ):
                report.many("error", "underlined text that is not a link in large print", where())
            if rules.large_print and (_on(prop("caps")) or _on(prop("smallCaps"))):
                report.many("error", "capitals used for emphasis in large print", where())
            colour = prop("color")
            value = colour.get(qn("w:val")) if colour is not None else "auto"
            if value != "auto" and re.fullmatch(r"[0-9A-Fa-f]{6}", value or ""):
                ratio = contrast_ratio(value, rules.background)
                if ratio < 4.5:
                    report.many(
                        "error",
                        f"text colour {value} has {ratio:.1f}:1 contrast with the page (4.5:1 needed)",
                        where(),
                    )
    _numbering_sizes(rules, package, report)
    return {"runs_checked": checked, "smallest_text_pt": smallest}


def _numbering_sizes(rules, package, report) -> None:
    """List markers take the level's rPr: a small one shows a small bullet or number."""
    if package.numbering is None:
        return
    used = {n.get(qn("w:val")) for n in package.body.iter(qn("w:numId"))}
    abstract_of = {
        num.get(qn("w:numId")): num.find(qn("w:abstractNumId")).get(qn("w:val"))
        for num in package.numbering.findall(qn("w:num"))
    }
    wanted = {abstract_of.get(n) for n in used}
    for abstract in package.numbering.findall(qn("w:abstractNum")):
        if abstract.get(qn("w:abstractNumId")) not in wanted:
            continue
        for size in abstract.iter(qn("w:sz")):
            if int(size.get(qn("w:val"))) / 2 < rules.minimum_size:
                report.many(
                    "error",
                    f"list markers smaller than {rules.minimum_size:g} pt",
                    f"numbering.xml list {abstract.get(qn('w:abstractNumId'))}",
                )


def _is_empty(paragraph: etree._Element) -> bool:
    if _text(paragraph).strip():
        return False
    contentful = (
        qn("w:drawing"),
        qn("w:pict"),
        qn("w:object"),
        qn("w:footnoteReference"),
        qn("w:fldChar"),
        qn("w:fldSimple"),
        qn("w:sym"),
        qn("w:separator"),
        qn("w:continuationSeparator"),
    )
    return not any(True for _ in paragraph.iter(*contentful))


def _paragraphs(doc, rules, package, report) -> dict:
    styles = package.styles
    for story in package.stories:
        for index, paragraph in enumerate(story.root.iter(qn("w:p")), start=1):
            parent = paragraph.getparent()
            jc = styles.paragraph_property(paragraph, "jc", "val")
            where = f"{story.name} paragraph {index} {_snippet(paragraph)}"
            if jc in JUSTIFIED:
                report.many("error", "justified text (uneven word spacing is hard to read)", where)
            elif rules.large_print and jc in ("center", "right", "end") and _text(paragraph).strip():
                report.many("warning", "text not left aligned in large print", where)
            if _is_empty(paragraph):
                sole_in_cell = parent.tag == qn("w:tc") and len(parent.findall(qn("w:p"))) == 1
                last_in_body = (
                    parent.tag == qn("w:body")
                    and paragraph.getnext() is not None
                    and paragraph.getnext().tag == qn("w:sectPr")
                    and paragraph.getprevious() is not None
                    and paragraph.getprevious().tag == qn("w:tbl")
                )
                # A section break (a landscape page for a wide table) is a paragraph mark
                # holding the section's properties: nothing a screen reader announces.
                section_break = paragraph.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None
                if not (sole_in_cell or last_in_body or section_break):
                    report.many(
                        "error",
                        "an empty paragraph used for spacing (screen readers "
                        "announce 'blank'; use paragraph spacing)",
                        where,
                    )
    normal = styles.default_paragraph or "Normal"
    line = styles.style_property(normal, "spacing", "line")
    rule = styles.style_property(normal, "spacing", "lineRule") or "auto"
    if rule == "auto" and (line is None or int(line) < 276):
        report.add("error", f"line spacing below 1.15 (w:line={line})", "styles.xml Normal")
    after = styles.style_property(normal, "spacing", "after")
    if rules.large_print and (after is None or int(after) < rules.body_size * 20):
        report.add(
            "error",
            "less than one blank line's worth of space between paragraphs "
            f"(spacing after {int(after or 0) / 20:g} pt, body {rules.body_size} pt)",
            "styles.xml Normal",
        )
    return {"line_spacing": int(line) / 240 if line else None}


def _is_numbered(paragraph: etree._Element) -> bool:
    return paragraph.find(f"{qn('w:pPr')}/{qn('w:numPr')}") is not None


def _lists(doc, rules, package, report) -> dict:
    paragraphs = [p for story in package.stories for p in story.root.iter(qn("w:p"))]
    typed = [
        p for p in paragraphs if not _is_numbered(p) and re.match(r"^\s*([•◦▪\-\*]|\d+[.)])\s", _text(p))
    ]
    for paragraph in typed:
        report.many(
            "error",
            "a typed bullet or number instead of Word list numbering",
            f"document.xml {_snippet(paragraph)}",
        )
    # The statement's own bullets (its features) follow its heading: what is not the
    # statement's fixed paragraphs there is a feature item, and must be numbered.
    statement = _statement_heading(doc, package)
    after = list(statement.itersiblings(qn("w:p"))) if statement is not None else []
    in_statement = {id(p) for p in after}
    fixed = len(accessibility_statement(doc, "", []))
    statement_items = max(len(after) - fixed, 0)
    numbered_statement = sum(1 for p in after if _is_numbered(p))
    numbered_report = sum(1 for p in paragraphs if _is_numbered(p) and id(p) not in in_statement)
    items = sum(len(b.items) for b in iter_blocks(doc.blocks) if isinstance(b, (BulletList, OrderedList)))
    if numbered_report != items:
        report.add(
            "error",
            f"{numbered_report} paragraphs of the report use Word list "
            f"numbering; the report has {items} list items",
        )
    if numbered_statement != statement_items:
        report.add(
            "error",
            f"{numbered_statement} of the accessibility statement's "
            f"{statement_items} list items use Word list numbering",
        )
    return {"list_items": numbered_report + numbered_statement}


def _external_links(blocks) -> int:
    return sum(
        1
        for block in iter_blocks(tuple(blocks))
        for node in _inlines_of(block)
        if isinstance(node, Link) and not node.url.startswith("#")
    )


def _links(doc, rules, package, report) -> dict:
    bookmarks = {b.get(qn("w:name")) for s in package.stories for b in s.root.iter(qn("w:bookmarkStart"))}
    external = 0
    for story in package.stories:
        for link in story.root.iter(qn("w:hyperlink")):
            anchor = link.get(qn("w:anchor"))
            if anchor is not None and anchor not in bookmarks:
                report.many(
                    "error",
                    "an internal link to a bookmark that does not exist",
                    f"{story.name} {_snippet(link)} -> {anchor}",
                )
            if link.get(qn("r:id")):
                external += 1
            if not _text(link).strip():
                report.many("error", "a link with no text", story.name)
    # The report's links and the statement's (its contact); its features carry none.
    wanted = _external_links(doc.blocks) + _external_links(accessibility_statement(doc, "", []))
    if external != wanted:
        report.add(
            "error",
            f"{external} external hyperlinks in the document; the report and "
            f"its accessibility statement have {wanted}",
        )
    return {"hyperlinks": external}


def _page(doc, rules, package, report) -> dict:
    sect = package.body.find(qn("w:sectPr"))
    size = sect.find(qn("w:pgSz")) if sect is not None else None
    if size is None:
        report.add("error", "no page size set")
        return {}
    width, height = int(size.get(qn("w:w"))), int(size.get(qn("w:h")))
    if abs(width - A4[0]) > 20 or abs(height - A4[1]) > 20 or size.get(qn("w:orient")) == "landscape":
        report.add("error", f"the page is not A4 portrait ({width / 20:g} x {height / 20:g} pt)")
    margins = sect.find(qn("w:pgMar"))
    text_width = (width - int(margins.get(qn("w:left"))) - int(margins.get(qn("w:right")))) / 20
    per_character = stringWidth(_SAMPLE, "Helvetica", rules.body_size) / len(_SAMPLE)
    per_line = round(text_width / per_character)
    if per_line > 75:
        report.add(
            "warning",
            f"about {per_line} characters per line at {rules.body_size} pt (60-70 is easiest to read)",
        )
    footers = [s for s in package.stories if s.name.startswith("footer")]
    has_page = any(
        "PAGE" in (node.text or "").split() for s in footers for node in s.root.iter(qn("w:instrText"))
    ) or any(
        "PAGE" in (node.get(qn("w:instr")) or "").split()
        for s in footers
        for node in s.root.iter(qn("w:fldSimple"))
    )
    if not has_page:
        report.add("error", "no page number field in the footer")
    turned = _sections(package, report)
    return {"characters_per_line": per_line, "text_width_pt": text_width, "landscape_sections": turned}


def _sections(package, report) -> int:
    """Section breaks inside the body (a wide table's landscape pages): each an A4 page either
    way round, marked landscape when it is wider than tall (Word and printers go by the mark),
    continuing the page numbers and keeping the same footer."""
    turned = 0
    final = package.body.find(qn("w:sectPr"))
    footer = final.find(qn("w:footerReference")) if final is not None else None
    for index, sect in enumerate(package.body.iter(qn("w:sectPr")), start=1):
        if sect is final:
            continue
        where = f"document.xml section {index}"
        size = sect.find(qn("w:pgSz"))
        if size is None:
            report.many("error", "a section without a page size", where)
            continue
        width, height = int(size.get(qn("w:w"), "0")), int(size.get(qn("w:h"), "0"))
        landscape = width > height
        turned += landscape
        if abs(min(width, height) - A4[0]) > 20 or abs(max(width, height) - A4[1]) > 20:
            report.many(
                "error", f"a section whose page is not A4 ({width / 20:g} x {height / 20:g} pt)", where
            )
        if landscape != (size.get(qn("w:orient")) == "landscape"):
            report.many("error", "a section's page shape and its orientation mark disagree", where)
        numbering = sect.find(qn("w:pgNumType"))
        if numbering is not None and numbering.get(qn("w:start")):
            report.many("error", "a section restarts the page numbers ('Page N of M' would repeat)", where)
        own = sect.find(qn("w:footerReference"))
        if footer is not None and own is not None and own.get(qn("r:id")) != footer.get(qn("r:id")):
            report.many("error", "a section with another footer than the document's", where)
    return turned


def _footnotes(doc, rules, package, report) -> dict:
    references = sum(1 for _ in package.body.iter(qn("w:footnoteReference")))
    in_notes = {id(inner) for note in doc.footnotes.values() for inner in iter_blocks(note.blocks)}
    expected = sum(
        1
        for block in iter_blocks(doc.blocks)
        if id(block) not in in_notes
        for node in _inlines_of(block)
        if isinstance(node, NoteRef)
    )
    if references < expected:
        report.add(
            "error",
            f"{references} footnote references in the text; the report has "
            f"{expected} (notes must be real footnotes, w:footnoteReference)",
        )
    notes_text = ""
    if package.footnotes is not None:
        notes_text = " ".join(
            _text(n)
            for n in package.footnotes.findall(qn("w:footnote"))
            if n.get(qn("w:type")) in (None, "normal")
        )
    note_words = []
    for note in sorted(doc.footnotes.values(), key=lambda n: n.number):
        for block in iter_blocks(note.blocks):
            if isinstance(block, (Paragraph, Heading)):
                note_words += words(inline_text(block.inlines))
    recall = in_order_recall(note_words, words(notes_text))
    if recall < MIN_SIMILARITY:
        report.add(
            "error", f"the footnotes hold only {recall:.1%} of the notes' words in order", "footnotes.xml"
        )
    return {"footnotes": references, "footnote_similarity": round(recall, 4)}


def _similarity(doc, rules, package, report) -> dict:
    recall = in_order_recall(source_words(doc), words(reading_text(package.body)))
    if recall < MIN_SIMILARITY:
        report.add(
            "error",
            f"the document holds only {recall:.1%} of the report's words in "
            f"order ({MIN_SIMILARITY:.0%} needed)",
        )
    return {"similarity": round(recall, 4)}


__all__ = ["Styles", "WordRules", "check", "open_package", "reading_text"]
