"""PEF 1.0 (the DAISY Consortium's Portable Embosser Format), written with lxml.

One PEF volume per braille volume, each with two sections: the preliminary pages (title,
contents) and the body, so an interpoint embosser starts the body on a new sheet. Pages are in
sheet order, blank backs included (as empty pages), so each interpoint volume has an even
number of pages. Rows are the same cells as the BRF lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

PEF_NS = "http://www.daisy.org/ns/2008/pef"
DC_NS = "http://purl.org/dc/elements/1.1/"


@dataclass(frozen=True)
class PefMeta:
    identifier: str
    title: str
    creator: str
    language: str
    date: str
    publisher: str
    description: str


def write_pef(
    volumes: list[list[list[list[str]]]], path: Path, *, meta: PefMeta, cols: int, rows: int, duplex: bool
) -> Path:
    # lxml takes None as the default namespace's prefix; lxml-stubs allow only str keys.
    root = etree.Element(f"{{{PEF_NS}}}pef", nsmap={None: PEF_NS, "dc": DC_NS})  # type: ignore[dict-item]
    root.set("version", "2008-1")
    head = etree.SubElement(root, f"{{{PEF_NS}}}head")
    meta_element = etree.SubElement(head, f"{{{PEF_NS}}}meta")
    # dc:format and dc:identifier are required by PEF 1.0; the rest help a library catalogue it.
    for name, value in (
        ("format", "application/x-pef+xml"),
        ("identifier", meta.identifier),
        ("title", meta.title),
        ("creator", meta.creator),
        ("language", meta.language),
        ("date", meta.date),
        ("publisher", meta.publisher),
        ("description", meta.description),
    ):
        if value:
            etree.SubElement(meta_element, f"{{{DC_NS}}}{name}").text = value
    body = etree.SubElement(root, f"{{{PEF_NS}}}body")
    for sections in volumes:
        volume = etree.SubElement(
            body,
            f"{{{PEF_NS}}}volume",
            cols=str(cols),
            rows=str(rows),
            rowgap="0",
            duplex="true" if duplex else "false",
        )
        for pages in sections:
            if not pages:
                continue
            section = etree.SubElement(volume, f"{{{PEF_NS}}}section")
            for page_lines in pages:
                page = etree.SubElement(section, f"{{{PEF_NS}}}page")
                for line in page_lines:
                    etree.SubElement(page, f"{{{PEF_NS}}}row").text = line or None
    etree.ElementTree(root).write(str(path), xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return path
