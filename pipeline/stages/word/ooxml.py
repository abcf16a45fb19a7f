"""Small helpers for writing WordprocessingML with lxml.

python-docx covers paragraphs and runs but not footnotes, bookmarks, internal hyperlinks,
numbering definitions, table captions or decorative images, so the writer builds elements
directly; these helpers keep child order schema-correct (Word refuses files whose pPr/rPr
children are out of order, LibreOffice silently drops them).
"""

from __future__ import annotations

from collections.abc import Iterable

import langcodes
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree

# Schema order of rPr and pPr children (ECMA-376 Part 1, 17.3.2.28 and 17.3.1.26), the ones we use.
RPR_ORDER = [
    "rStyle",
    "rFonts",
    "b",
    "bCs",
    "i",
    "iCs",
    "caps",
    "smallCaps",
    "strike",
    "noProof",
    "vanish",
    "color",
    "spacing",
    "sz",
    "szCs",
    "highlight",
    "u",
    "shd",
    "vertAlign",
    "lang",
]
PPR_ORDER = [
    "pStyle",
    "keepNext",
    "keepLines",
    "pageBreakBefore",
    "widowControl",
    "numPr",
    "pBdr",
    "shd",
    "tabs",
    "spacing",
    "ind",
    "contextualSpacing",
    "jc",
    "outlineLvl",
    "rPr",
]


def el(tag: str, attrs: dict[str, str] | None = None, *children: etree._Element) -> etree._Element:
    """An element `w:tag` (or any prefix:tag) with prefixed attributes and children."""
    element = OxmlElement(tag)
    for key, value in (attrs or {}).items():
        element.set(qn(key) if ":" in key else qn(f"w:{key}"), str(value))
    for child in children:
        element.append(child)
    return element


def w(tag: str, **attrs: object) -> etree._Element:
    """Shorthand: w("sz", val=28) -> <w:sz w:val="28"/>."""
    return el(f"w:{tag}", {k: str(v) for k, v in attrs.items()})


def find_child(parent: etree._Element, tag: str) -> etree._Element:
    """The child that the writer (or python-docx's template) has already put there."""
    child = parent.find(tag)
    if child is None:
        raise LookupError(f"<{etree.QName(parent).localname}> has no {tag} child")
    return child


def put(parent: etree._Element, child: etree._Element, order: list[str]) -> etree._Element:
    """Insert child into parent at its schema position, replacing one of the same tag."""
    name = etree.QName(child).localname
    for existing in parent.findall(child.tag):
        parent.remove(existing)
    rank = order.index(name) if name in order else len(order)
    for index, sibling in enumerate(parent):
        sibling_name = etree.QName(sibling).localname
        if sibling_name in order and order.index(sibling_name) > rank:
            parent.insert(index, child)
            return child
    parent.append(child)
    return child


def run_properties(
    *,
    style: str = "",
    font: str = "",
    size: float | None = None,
    bold: bool | None = None,
    italic: bool | None = None,
    underline: bool | None = None,
    colour: str = "",
    lang: str = "",
    vert_align: str = "",
) -> etree._Element:
    """A w:rPr with the given properties in schema order (None: not set, inherit)."""
    rpr = w("rPr")
    if style:
        put(rpr, w("rStyle", val=style), RPR_ORDER)
    if font:
        put(rpr, el("w:rFonts", {"ascii": font, "hAnsi": font, "cs": font, "eastAsia": font}), RPR_ORDER)
    if bold is not None:
        put(rpr, w("b", val=int(bold)), RPR_ORDER)
        put(rpr, w("bCs", val=int(bold)), RPR_ORDER)
    if italic is not None:
        put(rpr, w("i", val=int(italic)), RPR_ORDER)
        put(rpr, w("iCs", val=int(italic)), RPR_ORDER)
    if colour:
        put(rpr, w("color", val=colour), RPR_ORDER)
    if size is not None:
        put(rpr, w("sz", val=half_points(size)), RPR_ORDER)
        put(rpr, w("szCs", val=half_points(size)), RPR_ORDER)
    if underline is not None:
        put(rpr, w("u", val="single" if underline else "none"), RPR_ORDER)
    if vert_align:
        put(rpr, w("vertAlign", val=vert_align), RPR_ORDER)
    if lang:
        put(rpr, w("lang", val=lang), RPR_ORDER)
    return rpr


def half_points(size: float) -> int:
    return round(size * 2)


def twips(points: float) -> int:
    return round(points * 20)


def emu(points: float) -> int:
    return round(points * 12700)


def text_run(text: str, rpr: etree._Element | None = None) -> etree._Element:
    run = w("r")
    if rpr is not None and len(rpr):
        run.append(rpr)
    node = w("t")
    node.text = text
    if text != text.strip():
        node.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    run.append(node)
    return run


def paragraph_text(paragraph: etree._Element) -> str:
    return "".join(t.text or "" for t in paragraph.iter(qn("w:t")))


def word_language(tag: str) -> str:
    """A BCP 47 tag as Word wants it, language-REGION ("cy" -> "cy-GB", "en" -> "en-US").

    Word's language list (and its spelling and speech choices) is keyed by language and region;
    a bare "cy" is not in it, so likely regions are filled in by CLDR data through langcodes.
    """
    language = langcodes.Language.get(tag)
    if not language.territory:
        language = language.maximize()
    region = language.territory or ""
    return f"{language.language}-{region}" if region else str(language.language)


def append_all(parent: etree._Element, children: Iterable[etree._Element]) -> None:
    for child in children:
        parent.append(child)
