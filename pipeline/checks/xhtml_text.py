"""Reading a web page or an e-book's XHTML back as a reader meets it: the text with a break
around every block, and what the source says the page must hold (its headings, its passages in
other languages). Only the checks use these; the renderer is pipeline/xhtml.py."""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from ..document import (
    Document,
    Emphasis,
    Figure,
    Heading,
    Inline,
    Link,
    Paragraph,
    Quote,
    Span,
    Strong,
    Table,
    inline_text,
    iter_blocks,
)


def heading_texts(doc: Document) -> list[tuple[int, str, str]]:
    """(level, text, id) of every top-level heading, in order."""
    return [(b.level, inline_text(b.inlines).strip(), b.id) for b in doc.blocks if isinstance(b, Heading)]


# Elements that start a new line of text: their words must not run into their neighbours'.
_BLOCK_TAGS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "caption",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
    "title",
}
_SKIPPED_TAGS = {"head", "script", "style", "template"}


def local_name(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def block_text(element: etree._Element) -> str:
    """The text a reader sees, with a line break around every block element (lxml's
    text_content() would run "Introduction" and "We ran" together into one word)."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        name = local_name(node)
        if name in _SKIPPED_TAGS:
            return
        # A note reference is its own word: "Again¹" must not read as the word "again1".
        block = name in _BLOCK_TAGS or node.get("role") == "doc-noteref"
        if block:
            parts.append("\n")
        if node.text and name:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append("\n")

    walk(element)
    return "".join(parts)


def span_languages(doc: Document) -> list[str]:
    """Languages of every Span in the document, in order (for the lang checks)."""
    found: list[str] = []

    def walk(inlines: Iterable[Inline]) -> None:
        for node in inlines:
            if isinstance(node, Span):
                found.append(node.lang)
            if isinstance(node, (Emphasis, Strong, Link, Span)):
                walk(node.inlines)

    for block in iter_blocks(doc.blocks):
        if isinstance(block, (Heading, Paragraph)):
            walk(block.inlines)
        elif isinstance(block, Table):
            walk(block.caption)
        elif isinstance(block, Figure):
            walk(block.caption)
        elif isinstance(block, Quote):
            walk(block.attribution)
    return found
