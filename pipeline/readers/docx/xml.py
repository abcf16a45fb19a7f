"""Namespaces and tiny XML helpers shared by the Word reader's modules."""

from __future__ import annotations

from typing import overload

from lxml import etree

NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "pic": "http://schemas.openxmlformats.org/drawingml/2006/picture",
    "v": "urn:schemas-microsoft-com:vml",
    "o": "urn:schemas-microsoft-com:office:office",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "adec": "http://schemas.microsoft.com/office/drawing/2017/decorative",
}


def q(name: str) -> str:
    """'w:p' -> '{namespace}p' (Clark notation, as lxml uses)."""
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


# With a text default the answer is always text: the overloads let callers rely on it.
@overload
def attr(element, name: str, default: str) -> str: ...
@overload
def attr(element, name: str, default: None = None) -> str | None: ...
def attr(element, name: str, default: str | None = None) -> str | None:
    if element is None:
        return default
    return element.get(q(name), default)


def child(element, path: str):
    return None if element is None else element.find(path, NS)


@overload
def val(element, path: str, default: str) -> str: ...
@overload
def val(element, path: str, default: None = None) -> str | None: ...
def val(element, path: str, default: str | None = None) -> str | None:
    """The w:val attribute of the first element at path below element."""
    return attr(child(element, path), "w:val", default)


def on(element, path: str) -> bool | None:
    """A Word on/off property (w:b, w:i...): None when absent, else its truth value."""
    found = child(element, path)
    if found is None:
        return None
    return attr(found, "w:val", "true") not in ("false", "0", "off", "none")


def local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def parse_part(blob: bytes):
    """Parse a part's XML without resolving entities (no billion-laughs, no external files)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(blob, parser)
