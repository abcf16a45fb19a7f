"""DAISY 2.02 full text and full audio: ncc.html, one SMIL 1.0 file per section, content.html.

Choices a reader meets (see TOOLING.md "DAISY"):
- NCC links point at the SMIL <text> ids, not the <par> ids: daisy-player (and older hardware
  players) list headings linked to a par but play nothing from them.
- Every clip runs to where the next sentence begins, so the pause after a sentence is heard and
  a section's clips add up to its MP3: ncc:totalTime is then the book's running time.
- The first heading is the title, <h1 class="title">, as the specification requires.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from lxml import etree

from ... import __version__
from ...document import Document
from ...narration import NarratedSection, Narration, TimedItem, clock, section_clips
from ...stage_api import PageMap
from .content import Unit, page_starts, tag_for, units

XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XHTML_DOCTYPE = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">'
)
SMIL_DOCTYPE = '<!DOCTYPE smil PUBLIC "-//W3C//DTD SMIL 1.0//EN" "http://www.w3.org/TR/REC-smil/SMIL10.dtd">'
CONTENT_NAME = "content.html"
NCC_NAME = "ncc.html"
GENERATOR = f"accessible-formats {__version__}"
CONTENT_STYLE = """body { font-family: Verdana, Arial, sans-serif; line-height: 1.5; }
p.page { text-align: right; }
"""


def x(tag: str) -> str:
    return f"{{{XHTML_NS}}}{tag}"


def smil_name(section: NarratedSection) -> str:
    return Path(section.audio).stem + ".smil"


def audio_name(section: NarratedSection) -> str:
    return Path(section.audio).name


def text_id(item_id: str) -> str:
    return f"t-{item_id}"


def serialise(root: etree._Element, doctype: str) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", doctype=doctype, pretty_print=True)


def xhtml_root(
    lang: str, title: str, meta: list[tuple[str, str, str | None]]
) -> tuple[etree._Element, etree._Element]:
    # lxml takes None as the default namespace's prefix; lxml-stubs allow only str keys.
    root = etree.Element(x("html"), nsmap={None: XHTML_NS})  # type: ignore[dict-item]
    root.set("lang", lang)
    root.set(XML_LANG, lang)
    head = etree.SubElement(root, x("head"))
    etree.SubElement(head, x("meta"), {"http-equiv": "Content-type", "content": "text/html; charset=utf-8"})
    etree.SubElement(head, x("title")).text = title
    for name, content, scheme in meta:
        attributes = {"name": name, "content": content}
        if scheme:
            attributes["scheme"] = scheme
        etree.SubElement(head, x("meta"), attributes)
    return root, head


# ---------------------------------------------------------------- content


def content_document(doc: Document, narration: Narration, identifier: str, page_map: PageMap | None) -> bytes:
    lang = narration.language
    root, head = xhtml_root(
        lang,
        doc.meta.title,
        [
            ("dc:title", doc.meta.title, None),
            ("dc:identifier", identifier, None),
            ("dc:format", "Daisy 2.02", None),
            ("ncc:generator", GENERATOR, None),
        ],
    )
    etree.SubElement(head, x("style"), type="text/css").text = CONTENT_STYLE
    body = etree.SubElement(root, x("body"))
    pages = page_starts(page_map, narration)
    current_list: etree._Element | None = None
    list_block = None
    for unit in units(narration):
        for page in pages.get(unit.first.id, []):
            current_list = None
            marker = etree.SubElement(body, x("p"), {"class": "page"})
            etree.SubElement(marker, x("span"), {"class": "page-normal", "id": f"page-{page}"}).text = str(
                page
            )
        tag = tag_for(unit.first)
        if tag == "li":
            if current_list is None or list_block != unit.first.block:
                current_list = etree.SubElement(body, x("ul"))
                list_block = unit.first.block
            parent = current_list
        else:
            current_list = None
            parent = body
        _unit_element(parent, tag, unit, lang)
    return serialise(root, XHTML_DOCTYPE)


def _unit_element(parent: etree._Element, tag: str, unit: Unit, lang: str) -> None:
    element = etree.SubElement(parent, x(tag))
    first = unit.first
    if first.kind == "title":
        element.set("class", "title")
    elif tag == "p" and first.kind != "paragraph":
        element.set("class", first.kind)
    if len(unit.items) == 1:
        element.set("id", first.id)
        element.text = first.display
        _set_lang(element, first.lang, lang)
        return
    previous = None
    for item in unit.items:
        span = etree.SubElement(element, x("span"), id=item.id)
        span.text = item.display
        _set_lang(span, item.lang, lang)
        if previous is not None:
            previous.tail = " "
        previous = span


def _set_lang(element: etree._Element, item_lang: str, book_lang: str) -> None:
    if item_lang and item_lang != book_lang:
        element.set("lang", item_lang)
        element.set(XML_LANG, item_lang)


# ---------------------------------------------------------------- SMIL


def smil_document(
    narration: Narration, section: NarratedSection, identifier: str, elapsed: float
) -> tuple[bytes, float]:
    """The section's SMIL 1.0 file, and the time it plays for (the sum of its clips)."""
    clips = section_clips(section)
    duration = round(sum(c.end - c.begin for c in clips), 3)
    root = etree.Element("smil")
    head = etree.SubElement(root, "head")
    for name, content in (
        ("dc:format", "Daisy 2.02"),
        ("dc:title", section.title),
        ("dc:identifier", identifier),
        ("ncc:generator", GENERATOR),
        ("ncc:totalElapsedTime", clock(elapsed)),
        ("ncc:timeInThisSmil", clock(duration)),
    ):
        etree.SubElement(head, "meta", name=name, content=content)
    layout = etree.SubElement(head, "layout")
    etree.SubElement(layout, "region", id="txtView")
    body = etree.SubElement(root, "body")
    seq = etree.SubElement(body, "seq", dur=f"{duration:.3f}s")
    for clip in clips:
        par = etree.SubElement(seq, "par", endsync="last", id=f"p-{clip.item.id}")
        etree.SubElement(par, "text", src=f"{CONTENT_NAME}#{clip.item.id}", id=text_id(clip.item.id))
        etree.SubElement(
            par,
            "audio",
            {
                "src": audio_name(section),
                "clip-begin": f"npt={clip.begin:.3f}s",
                "clip-end": f"npt={clip.end:.3f}s",
                "id": f"a-{clip.item.id}",
            },
        )
    return serialise(root, SMIL_DOCTYPE), duration


# ---------------------------------------------------------------- NCC


def ncc_document(
    doc: Document,
    narration: Narration,
    identifier: str,
    page_map: PageMap | None,
    total_seconds: float,
    file_count: int,
) -> bytes:
    meta = doc.meta
    pages = page_starts(page_map, narration)
    entries: list[tuple[str, object, NarratedSection]] = []
    for section in narration.sections:
        for item in section.items:
            for page in pages.get(item.id, []):
                entries.append(("page", page, section))
            if item.kind in ("title", "heading"):
                entries.append(("heading", item, section))
    headings = [e for e in entries if e[0] == "heading"]
    depth = max((getattr(e[1], "level", 1) for e in headings), default=1)
    page_numbers = [int(e[1]) for e in entries if e[0] == "page"]  # type: ignore[call-overload]
    date = meta.date if len(meta.date) == 10 else ""
    metadata: list[tuple[str, str, str | None]] = [
        ("dc:title", meta.title, None),
        ("dc:creator", ", ".join(meta.authors) or meta.publisher or meta.title, None),
        ("dc:date", date or meta.date, "yyyy-mm-dd" if date else None),
        ("dc:format", "Daisy 2.02", None),
        ("dc:identifier", identifier, None),
        ("dc:language", narration.language, "ISO 639"),
        ("dc:publisher", meta.publisher or ", ".join(meta.authors) or meta.title, None),
        ("ncc:charset", "utf-8", None),
        ("ncc:depth", str(min(depth, 6)), None),
        ("ncc:files", str(file_count), None),
        ("ncc:generator", GENERATOR, None),
        ("ncc:maxPageNormal", str(max(page_numbers, default=0)), None),
        ("ncc:multimediaType", "audioFullText", None),
        ("ncc:narrator", narration.narrator, None),
        ("ncc:pageFront", "0", None),
        ("ncc:pageNormal", str(len(page_numbers)), None),
        ("ncc:pageSpecial", "0", None),
        ("ncc:tocItems", str(len(entries)), None),
        ("ncc:totalTime", clock(total_seconds, fraction=False), None),
    ]
    if meta.subtitle:
        metadata.append(("dc:description", meta.subtitle, None))
    root, _ = xhtml_root(narration.language, meta.title, metadata)
    body = etree.SubElement(root, etree.QName(XHTML_NS, "body"))
    for number, (kind, value, section) in enumerate(entries, start=1):
        if kind == "page":
            span = etree.SubElement(body, x("span"), {"class": "page-normal", "id": f"nav-{number}"})
            target = next(i for i in section.items if pages.get(i.id) and value in pages[i.id])
            link = etree.SubElement(span, x("a"), href=f"{smil_name(section)}#{text_id(target.id)}")
            link.text = str(value)
            continue
        item = cast(TimedItem, value)  # an entry that is not a page holds its item
        element = etree.SubElement(body, x(tag_for(item)), id=f"nav-{number}")
        if item.kind == "title":
            element.set("class", "title")
        link = etree.SubElement(element, x("a"), href=f"{smil_name(section)}#{text_id(item.id)}")
        link.text = item.display
    return serialise(root, XHTML_DOCTYPE)
