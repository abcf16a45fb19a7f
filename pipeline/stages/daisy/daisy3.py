"""DAISY 3 (ANSI/NISO Z39.86-2005) from the same narration: OPF, NCX, DTBook, SMIL, resources.

For library players that take only DAISY 3. The DTBook holds the text with a <sent> per
narrated sentence (smilref to its par); each section has a SMIL 2.0 (DAISY profile) file whose
clips are the same as the DAISY 2.02 book's; the NCX lists every heading (navPoint, nested by
level) and every printed page (pageList).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import cast

from lxml import etree

from ...document import Document
from ...narration import NarratedSection, Narration, clock, section_clips
from ...stage_api import BuildContext
from .content import page_starts, tag_for, units
from .daisy202 import GENERATOR, audio_name

DTBOOK_NS = "http://www.daisy.org/z3986/2005/dtbook/"
NCX_NS = "http://www.daisy.org/z3986/2005/ncx/"
SMIL_NS = "http://www.w3.org/2001/SMIL20/"
OPF_NS = "http://openebook.org/namespaces/oeb-package/1.0/"
DC_NS = "http://purl.org/dc/elements/1.1/"
RES_NS = "http://www.daisy.org/z3986/2005/resource/"
DTBOOK_NAME = "book.xml"
NCX_NAME = "navigation.ncx"
OPF_NAME = "book.opf"
RES_NAME = "resources.res"
DOCTYPES = {
    "dtbook": '<!DOCTYPE dtbook PUBLIC "-//NISO//DTD dtbook 2005-3//EN" '
    '"http://www.daisy.org/z3986/2005/dtbook-2005-3.dtd">',
    "ncx": '<!DOCTYPE ncx PUBLIC "-//NISO//DTD ncx 2005-1//EN" '
    '"http://www.daisy.org/z3986/2005/ncx-2005-1.dtd">',
    "smil": '<!DOCTYPE smil PUBLIC "-//NISO//DTD dtbsmil 2005-2//EN" '
    '"http://www.daisy.org/z3986/2005/dtbsmil-2005-2.dtd">',
    "package": '<!DOCTYPE package PUBLIC "+//ISBN 0-9673008-1-9//DTD OEB 1.2 Package//EN" '
    '"http://openebook.org/dtds/oeb-1.2/oebpkg12.dtd">',
    "resources": "",
}


def smil3_name(section: NarratedSection) -> str:
    return Path(section.audio).stem + ".smil"


def _write(path: Path, root: etree._Element, kind: str) -> Path:
    # lxml writes no doctype for doctype=None; lxml-stubs want a str there, and type the
    # result str | bytes although encoding="utf-8" gives bytes.
    data = etree.tostring(
        root,
        xml_declaration=True,
        encoding="utf-8",
        doctype=DOCTYPES[kind] or None,  # type: ignore[arg-type]
        pretty_print=True,
    )
    path.write_bytes(cast(bytes, data))
    return path


def dtbook(doc: Document, narration: Narration, identifier: str, ctx: BuildContext) -> etree._Element:
    d = lambda tag: f"{{{DTBOOK_NS}}}{tag}"
    # Here and below: lxml takes None as the default namespace's prefix; lxml-stubs allow only
    # str keys in nsmap.
    root = etree.Element(d("dtbook"), nsmap={None: DTBOOK_NS}, version="2005-3")  # type: ignore[dict-item]
    root.set("{http://www.w3.org/XML/1998/namespace}lang", narration.language)
    head = etree.SubElement(root, d("head"))
    for name, content in (
        ("dtb:uid", identifier),
        ("dc:Title", doc.meta.title),
        ("dc:Creator", ", ".join(doc.meta.authors) or doc.meta.publisher or doc.meta.title),
        ("dc:Language", narration.language),
        ("dc:Publisher", doc.meta.publisher or doc.meta.title),
        ("dc:Date", doc.meta.date),
        ("dc:Identifier", identifier),
    ):
        if content:
            etree.SubElement(head, d("meta"), name=name, content=content)
    book = etree.SubElement(root, d("book"))
    front = etree.SubElement(book, d("frontmatter"))
    etree.SubElement(front, d("doctitle")).text = doc.meta.title
    body = etree.SubElement(book, d("bodymatter"))
    levels: list[etree._Element] = [body]
    pages = page_starts(ctx.page_map, narration)
    for unit in units(narration):
        first = unit.first
        for page in pages.get(first.id, []):
            etree.SubElement(
                _level_holder(levels, d), d("pagenum"), id=f"page-{page}", page="normal"
            ).text = str(page)
        tag = tag_for(first)
        if tag.startswith("h"):
            level = int(tag[1])
            del levels[min(level, len(levels)) :]
            while len(levels) < level:
                levels.append(etree.SubElement(levels[-1], d(f"level{len(levels)}")))
            holder = etree.SubElement(levels[-1], d(f"level{level}"))
            levels.append(holder)
            element = etree.SubElement(holder, d(f"h{level}"))
        else:
            element = etree.SubElement(_level_holder(levels, d), d("p"))
        for index, item in enumerate(unit.items):
            sent = etree.SubElement(
                element, d("sent"), id=item.id, smilref=f"{smil3_name(unit.section)}#t-{item.id}"
            )
            sent.text = item.display
            if item.lang != narration.language:
                sent.set("{http://www.w3.org/XML/1998/namespace}lang", item.lang)
            if index:
                element[index - 1].tail = " "
    return root


def _level_holder(levels: list[etree._Element], d) -> etree._Element:
    if len(levels) == 1:  # text before any heading: an untitled level1
        levels.append(etree.SubElement(levels[0], d("level1")))
    return levels[-1]


def smil(
    narration: Narration, section: NarratedSection, identifier: str, elapsed: float
) -> tuple[etree._Element, float]:
    s = lambda tag: f"{{{SMIL_NS}}}{tag}"
    clips = section_clips(section)
    duration = round(sum(c.end - c.begin for c in clips), 3)
    root = etree.Element(s("smil"), nsmap={None: SMIL_NS})  # type: ignore[dict-item]
    head = etree.SubElement(root, s("head"))
    for name, content in (
        ("dtb:uid", identifier),
        ("dtb:generator", GENERATOR),
        ("dtb:totalElapsedTime", clock(elapsed)),
    ):
        etree.SubElement(head, s("meta"), name=name, content=content)
    body = etree.SubElement(root, s("body"))
    seq = etree.SubElement(body, s("seq"), id="seq-1", dur=clock(duration), fill="remove")
    for clip in clips:
        par = etree.SubElement(seq, s("par"), id=f"p-{clip.item.id}")
        etree.SubElement(par, s("text"), id=f"t-{clip.item.id}", src=f"{DTBOOK_NAME}#{clip.item.id}")
        etree.SubElement(
            par, s("audio"), src=audio_name(section), clipBegin=clock(clip.begin), clipEnd=clock(clip.end)
        )
    return root, duration


def ncx(
    doc: Document, narration: Narration, identifier: str, ctx: BuildContext, total: float
) -> etree._Element:
    n = lambda tag: f"{{{NCX_NS}}}{tag}"
    pages = page_starts(ctx.page_map, narration)
    headings = [
        (item, section)
        for section in narration.sections
        for item in section.items
        if item.kind in ("title", "heading")
    ]
    page_targets = [
        (page, item, section)
        for section in narration.sections
        for item in section.items
        for page in pages.get(item.id, [])
    ]
    root = etree.Element(n("ncx"), nsmap={None: NCX_NS}, version="2005-1")  # type: ignore[dict-item]
    root.set("{http://www.w3.org/XML/1998/namespace}lang", narration.language)
    head = etree.SubElement(root, n("head"))
    depth = max((item.level for item, _ in headings), default=1)
    for name, content in (
        ("dtb:uid", identifier),
        ("dtb:depth", str(depth)),
        ("dtb:generator", GENERATOR),
        ("dtb:totalPageCount", str(len(page_targets))),
        ("dtb:maxPageNumber", str(max((p for p, _, _ in page_targets), default=0))),
    ):
        etree.SubElement(head, n("meta"), name=name, content=content)
    title = etree.SubElement(etree.SubElement(root, n("docTitle")), n("text"))
    title.text = doc.meta.title
    if doc.meta.authors:
        etree.SubElement(etree.SubElement(root, n("docAuthor")), n("text")).text = ", ".join(doc.meta.authors)
    nav_map = etree.SubElement(root, n("navMap"))
    order = 0
    stack: list[tuple[int, etree._Element]] = [(0, nav_map)]
    for item, section in headings:
        order += 1
        while stack[-1][0] >= item.level:
            stack.pop()
        point = etree.SubElement(
            stack[-1][1],
            n("navPoint"),
            id=f"nav-{order}",
            playOrder=str(order),
            attrib={"class": f"level{item.level}"},
        )
        etree.SubElement(etree.SubElement(point, n("navLabel")), n("text")).text = item.display
        etree.SubElement(point, n("content"), src=f"{smil3_name(section)}#t-{item.id}")
        stack.append((item.level, point))
    if page_targets:
        page_list = etree.SubElement(root, n("pageList"))
        for page, item, section in page_targets:
            order += 1
            target = etree.SubElement(
                page_list,
                n("pageTarget"),
                id=f"page-target-{page}",
                type="normal",
                value=str(page),
                playOrder=str(order),
            )
            etree.SubElement(etree.SubElement(target, n("navLabel")), n("text")).text = str(page)
            etree.SubElement(target, n("content"), src=f"{smil3_name(section)}#t-{item.id}")
    return root


def opf(
    doc: Document, narration: Narration, identifier: str, files: list[Path], total: float
) -> etree._Element:
    o = lambda tag: f"{{{OPF_NS}}}{tag}"
    root = etree.Element(
        o("package"),
        nsmap={None: OPF_NS},  # type: ignore[dict-item]
        attrib={"unique-identifier": "uid"},
    )
    metadata = etree.SubElement(root, o("metadata"))
    dc = etree.SubElement(metadata, o("dc-metadata"), nsmap={"dc": DC_NS, "oebpackage": OPF_NS})
    for tag, value in (
        ("Format", "ANSI/NISO Z39.86-2005"),
        ("Title", doc.meta.title),
        ("Creator", ", ".join(doc.meta.authors) or doc.meta.publisher or doc.meta.title),
        ("Publisher", doc.meta.publisher or doc.meta.title),
        ("Date", doc.meta.date),
        ("Language", narration.language),
        ("Identifier", identifier),
    ):
        if value:
            element = etree.SubElement(dc, f"{{{DC_NS}}}{tag}")
            element.text = value
            if tag == "Identifier":
                element.set("id", "uid")
    x = etree.SubElement(metadata, o("x-metadata"))
    for name, content in (
        ("dtb:multimediaType", "audioFullText"),
        ("dtb:multimediaContent", "audio,text"),
        ("dtb:totalTime", clock(total)),
        ("dtb:narrator", narration.narrator),
        ("dtb:producedDate", doc.meta.date or ""),
    ):
        if content:
            etree.SubElement(x, o("meta"), name=name, content=content)
    manifest = etree.SubElement(root, o("manifest"))
    types = {
        ".xml": "application/x-dtbook+xml",
        ".ncx": "application/x-dtbncx+xml",
        ".smil": "application/smil",
        ".mp3": "audio/mpeg",
        ".res": "application/x-dtbresource+xml",
    }
    etree.SubElement(manifest, o("item"), id="opf", href=OPF_NAME, attrib={"media-type": "text/xml"})
    spine_ids = []
    for number, path in enumerate(files, start=1):
        item_id = {NCX_NAME: "ncx", RES_NAME: "resource"}.get(path.name, f"item-{number}")
        etree.SubElement(
            manifest, o("item"), id=item_id, href=path.name, attrib={"media-type": types[path.suffix]}
        )
        if path.suffix == ".smil":
            spine_ids.append(item_id)
    spine = etree.SubElement(root, o("spine"))
    for item_id in spine_ids:
        etree.SubElement(spine, o("itemref"), idref=item_id)
    return root


def resources(narration: Narration) -> etree._Element:
    r = lambda tag: f"{{{RES_NS}}}{tag}"
    root = etree.Element(r("resources"), nsmap={None: RES_NS}, version="2005-1")  # type: ignore[dict-item]
    scope = etree.SubElement(root, r("scope"), nsuri=NCX_NS)
    page = etree.SubElement(
        scope, r("nodeSet"), id="page-set", select="//smilCustomTest[@bookStruct='PAGE_NUMBER']"
    )
    resource = etree.SubElement(page, r("resource"), id="page-resource")
    resource.set("{http://www.w3.org/XML/1998/namespace}lang", narration.language)
    etree.SubElement(resource, r("text")).text = "page"
    return root


def write_daisy3(
    doc: Document, narration: Narration, identifier: str, ctx: BuildContext, folder: Path
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for section in narration.sections:
        target = folder / audio_name(section)
        shutil.copyfile(narration.audio_path(section), target)
        written.append(target)
    elapsed = 0.0
    for section in narration.sections:
        root, seconds = smil(narration, section, identifier, elapsed)
        written.append(_write(folder / smil3_name(section), root, "smil"))
        elapsed += seconds
    written.append(_write(folder / DTBOOK_NAME, dtbook(doc, narration, identifier, ctx), "dtbook"))
    written.append(_write(folder / NCX_NAME, ncx(doc, narration, identifier, ctx, elapsed), "ncx"))
    written.append(_write(folder / RES_NAME, resources(narration), "resources"))
    written.append(_write(folder / OPF_NAME, opf(doc, narration, identifier, written, elapsed), "package"))
    return written
