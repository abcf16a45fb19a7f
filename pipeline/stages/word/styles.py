"""Styles, page set-up, background and footer: the look of the document, set explicitly.

python-docx's template uses 11 pt theme fonts, en-US and blue headings at 4:1 contrast, so every
style the writer uses is rebuilt here from the layout (nothing is inherited from the template
except the style's identity, which is what Word's navigation pane and screen readers rely on).
"""

from __future__ import annotations

import re

from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn
from docx.shared import Pt
from lxml import etree

from .layout import Layout
from .ooxml import PPR_ORDER, el, find_child, put, run_properties, text_run, twips, w

# Style names the writer uses (Word's built-in names, so Word recognises them as such).
TITLE, SUBTITLE, NORMAL, QUOTE, CAPTION = "Title", "Subtitle", "Normal", "Quote", "Caption"
LIST_PARAGRAPH, FOOTER = "List Paragraph", "Footer"
HYPERLINK, FOOTNOTE_TEXT, FOOTNOTE_REFERENCE = "Hyperlink", "footnote text", "footnote reference"
TOC_LEVELS = 3


def heading_style(level: int) -> str:
    return f"Heading {level}"


def toc_style(level: int) -> str:
    return f"toc {level}"


def configure(document: DocxDocument, layout: Layout, language: str) -> None:
    """Every style, the defaults, the page and the background, from the layout."""
    _document_defaults(document, layout, language)
    body = layout.body_size
    gap = layout.paragraph_gap
    _define(
        document,
        NORMAL,
        WD_STYLE_TYPE.PARAGRAPH,
        None,
        layout,
        run=dict(size=body, colour=layout.text_colour, bold=False, italic=False),
        spacing_after=gap,
    )
    _define(
        document,
        TITLE,
        WD_STYLE_TYPE.PARAGRAPH,
        NORMAL,
        layout,
        run=dict(size=layout.title_size, bold=True),
        spacing_after=gap,
        keep_next=True,
    )
    _define(
        document,
        SUBTITLE,
        WD_STYLE_TYPE.PARAGRAPH,
        NORMAL,
        layout,
        run=dict(size=body + 2, bold=True, italic=False),
        spacing_after=gap,
        keep_next=True,
    )
    for level in range(1, 7):
        _define(
            document,
            heading_style(level),
            WD_STYLE_TYPE.PARAGRAPH,
            NORMAL,
            layout,
            run=dict(size=layout.heading_size(level), bold=True, italic=False),
            spacing_before=round(gap * (1.5 if level <= 2 else 1)),
            spacing_after=gap / 2,
            keep_next=True,
            outline_level=level - 1,
        )
    _define(
        document,
        QUOTE,
        WD_STYLE_TYPE.PARAGRAPH,
        NORMAL,
        layout,
        run=dict(size=body, italic=False),
        indent=2 * body,
        left_bar=True,
    )
    _define(
        document,
        CAPTION,
        WD_STYLE_TYPE.PARAGRAPH,
        NORMAL,
        layout,
        run=dict(size=body, bold=True, italic=False),
    )
    # Items of a list sit tight together (contextual spacing: no gap between paragraphs of the
    # same style) and the list as a whole is followed by the paragraph gap.
    _define(
        document,
        LIST_PARAGRAPH,
        WD_STYLE_TYPE.PARAGRAPH,
        NORMAL,
        layout,
        run=dict(size=body),
        spacing_after=gap,
        contextual=True,
    )
    _define(document, FOOTER, WD_STYLE_TYPE.PARAGRAPH, NORMAL, layout, run=dict(size=body), spacing_after=0)
    _define(
        document,
        FOOTNOTE_TEXT,
        WD_STYLE_TYPE.PARAGRAPH,
        NORMAL,
        layout,
        run=dict(size=body),
        spacing_after=gap / 2,
    )
    for level in range(1, TOC_LEVELS + 1):
        _define(
            document,
            toc_style(level),
            WD_STYLE_TYPE.PARAGRAPH,
            NORMAL,
            layout,
            run=dict(size=body),
            spacing_after=gap / 2,
            indent=(level - 1) * 1.5 * body,
        )
    _define(
        document,
        HYPERLINK,
        WD_STYLE_TYPE.CHARACTER,
        None,
        layout,
        run=dict(colour=layout.link_colour, underline=True),
    )
    # A superscript number is drawn at about two thirds of the size, which large print forbids:
    # there the reference is a full-size number in brackets (added by the writer).
    _define(
        document,
        FOOTNOTE_REFERENCE,
        WD_STYLE_TYPE.CHARACTER,
        None,
        layout,
        run=dict(vert_align="baseline" if layout.large_print else "superscript"),
    )


def _document_defaults(document: DocxDocument, layout: Layout, language: str) -> None:
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault"))
    rpr_default.clear()
    rpr = run_properties(
        font=layout.font_family, size=layout.body_size, colour=layout.text_colour, lang=language
    )
    find_child(rpr, qn("w:lang")).set(qn("w:bidi"), "ar-SA")
    rpr_default.append(rpr)
    ppr_default = defaults.find(qn("w:pPrDefault"))
    ppr_default.clear()
    ppr = w("pPr")
    # Widow and orphan control: no paragraph leaves one line alone at a page's foot or head.
    put(ppr, w("widowControl"), PPR_ORDER)
    put(ppr, _spacing(layout, after=layout.paragraph_gap), PPR_ORDER)
    put(ppr, w("jc", val="left"), PPR_ORDER)
    ppr_default.append(ppr)
    # The theme's font language decides spelling of theme text; keep it with the document's.
    theme_lang = document.settings.element.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:val"), language)


def _spacing(layout: Layout, *, after: float, before: float = 0) -> etree._Element:
    return w(
        "spacing",
        before=twips(before),
        after=twips(after),
        line=round(240 * layout.line_spacing),
        lineRule="auto",
    )


def _define(
    document: DocxDocument,
    name: str,
    kind: WD_STYLE_TYPE,
    based_on: str | None,
    layout: Layout,
    *,
    run: dict,
    spacing_after: float | None = None,
    spacing_before: float = 0,
    keep_next: bool = False,
    outline_level: int | None = None,
    indent: float = 0,
    left_bar: bool = False,
    contextual: bool = False,
) -> None:
    styles = document.styles
    try:
        style = styles[name]
    except KeyError:
        style = styles.add_style(name, kind)
    element = style.element
    if based_on:
        style.base_style = styles[based_on]
    for old in element.findall(qn("w:pPr")) + element.findall(qn("w:rPr")):
        element.remove(old)
    if kind == WD_STYLE_TYPE.PARAGRAPH:
        ppr = w("pPr")
        if keep_next:
            put(ppr, w("keepNext"), PPR_ORDER)
            put(ppr, w("keepLines"), PPR_ORDER)
        if left_bar:
            put(
                ppr,
                el("w:pBdr", None, w("left", val="single", sz=24, space=8, color=layout.text_colour)),
                PPR_ORDER,
            )
        if spacing_after is not None or spacing_before:
            put(
                ppr,
                _spacing(
                    layout,
                    after=spacing_after if spacing_after is not None else layout.paragraph_gap,
                    before=spacing_before,
                ),
                PPR_ORDER,
            )
        if indent:
            put(ppr, w("ind", left=twips(indent)), PPR_ORDER)
        if contextual:
            put(ppr, w("contextualSpacing"), PPR_ORDER)
        put(ppr, w("jc", val="left"), PPR_ORDER)
        if outline_level is not None:
            put(ppr, w("outlineLvl", val=outline_level), PPR_ORDER)
        element.append(ppr)
    font = layout.font_family if kind == WD_STYLE_TYPE.PARAGRAPH else ""
    colour = run.pop("colour", layout.text_colour if kind == WD_STYLE_TYPE.PARAGRAPH else "")
    element.append(run_properties(font=font, colour=colour, **run))
    style.hidden = False
    style.quick_style = True


def configure_page(document: DocxDocument, layout: Layout, page_label: str) -> None:
    """A4 pages and the footer: `page_label` is the report's "Page {page} of {pages}" (its
    language's words), whose placeholders become PAGE and NUMPAGES fields. A4 portrait,
    margins from the layout."""
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Pt(595.3), Pt(841.9)
    section.left_margin = section.right_margin = Pt(layout.side_margin)
    section.top_margin = Pt(layout.top_margin)
    section.header_distance = section.footer_distance = Pt(layout.top_margin / 2)
    # The footer's line sits in the bottom margin: leave it a line of its own and a line's
    # space above it, so the last footnote is never pressed against "Page 3 of 9".
    section.bottom_margin = Pt(
        layout.top_margin / 2 + layout.body_size * layout.line_spacing + layout.body_size
    )
    section.different_first_page_header_footer = False
    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]._p
    for child in list(paragraph):
        paragraph.remove(child)
    ppr = w("pPr")
    put(ppr, w("pStyle", val=document.styles[FOOTER].style_id), PPR_ORDER)
    paragraph.append(ppr)
    fields = {"{page}": "PAGE", "{pages}": "NUMPAGES"}
    for piece in re.split(r"(\{page\}|\{pages\})", page_label):
        parts = _field(fields[piece], "1") if piece in fields else ([text_run(piece)] if piece else [])
        for part in parts:
            paragraph.append(part)


def _field(instruction: str, placeholder: str) -> list[etree._Element]:
    """A complex field (begin, instruction, separate, result, end) that Word and LibreOffice update."""
    instr = w("instrText")
    instr.text = f" {instruction} "
    instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return [
        el("w:r", None, w("fldChar", fldCharType="begin")),
        el("w:r", None, instr),
        el("w:r", None, w("fldChar", fldCharType="separate")),
        text_run(placeholder),
        el("w:r", None, w("fldChar", fldCharType="end")),
    ]


def configure_background(document: DocxDocument, layout: Layout) -> None:
    """A page colour (paper colour or black for high contrast) that Word shows on screen."""
    if not layout.paper or layout.paper == "FFFFFF":
        return
    root = document.element
    for old in root.findall(qn("w:background")):
        root.remove(old)
    root.insert(0, w("background", color=layout.paper))
    settings = document.settings.element
    if settings.find(qn("w:displayBackgroundShape")) is None:
        zoom = settings.find(qn("w:zoom"))
        marker = w("displayBackgroundShape")
        if zoom is not None:
            zoom.addnext(marker)
        else:
            settings.insert(0, marker)
