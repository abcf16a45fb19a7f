"""Read-back check of the `html` stage: parse the page with real parsers and verify what a reader
depends on (valid markup, alt text, the source's headings, languages, working links, notes linked
both ways, CSS that respects the reader's settings, the source's words in order)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import html5lib
from lxml import html as lxml_html

from .. import textcompare
from ..document import Document, figures
from ..stage_api import BuildContext, CheckResult, Finding
from .xhtml_text import block_text, heading_texts, span_languages

MIN_SIMILARITY = 0.99
# Absolute lengths ignore the reader's font size; only rem/em/%/ch and unitless values are used.
_ABSOLUTE_UNIT = re.compile(r"(?<![\w.-])-?\d*\.?\d+(px|pt|pc|cm|mm|in)\b")


def check_html(doc: Document, options, paths: list[Path], ctx: BuildContext) -> CheckResult:
    page = next((p for p in paths if p.suffix == ".html"), None)
    if page is None:
        return CheckResult((Finding("error", "the build wrote no .html file"),))
    data = page.read_bytes()
    where = page.name
    findings: list[Finding] = []
    findings += _validate(data, where)
    tree = lxml_html.document_fromstring(data)
    findings += _language(doc, tree, where)
    findings += _images(doc, tree, where, options, page.parent)
    findings += _headings(doc, tree, where)
    findings += _links(tree, where)
    findings += _tables(tree, where)
    findings += _notes(doc, tree, where)
    findings += _landmarks(tree, where)
    findings += _css(tree, where)
    body = tree.find("body")
    expected = textcompare.source_words(doc)
    actual = textcompare.words(block_text(body)) if body is not None else []
    similarity = textcompare.in_order_recall(expected, actual)
    if similarity < MIN_SIMILARITY:
        findings.append(
            Finding(
                "error",
                f"the page carries only {similarity:.3f} of the "
                f"source's words in order (needs {MIN_SIMILARITY})",
                where,
            )
        )
    metrics = {
        "similarity": round(similarity, 4),
        "source_words": len(expected),
        "bytes": len(data),
        "images": len(tree.findall(".//img")),
        "headings": len(heading_texts(doc)),
    }
    return CheckResult(tuple(findings), metrics)


def _validate(data: bytes, where: str) -> list[Finding]:
    """html5lib implements the HTML standard's parsing algorithm; any parse error is an error."""
    parser = html5lib.HTMLParser(strict=False, namespaceHTMLElements=False)
    parser.parse(data)
    return [
        Finding(
            "error",
            f"HTML parse error '{code}' {vars_ or ''}".strip(),
            f"{where} line {line} column {column}",
        )
        for (line, column), code, vars_ in parser.errors
    ]


def _language(doc: Document, tree, where: str) -> list[Finding]:
    findings = []
    if tree.get("lang") != doc.meta.language:
        findings.append(
            Finding(
                "error",
                f"<html lang> is '{tree.get('lang')}', the report's language is '{doc.meta.language}'",
                where,
            )
        )
    page_langs = Counter(el.get("lang") for el in tree.iter("span") if el.get("lang"))
    for lang, count in Counter(span_languages(doc)).items():
        if page_langs[lang] < count:
            findings.append(
                Finding(
                    "error",
                    f"{count} passage(s) in language '{lang}' in the "
                    f"source, {page_langs[lang]} marked with lang on the page",
                    where,
                )
            )
    return findings


def _images(doc: Document, tree, where: str, options, folder: Path) -> list[Finding]:
    findings = []
    meaningful = [f for f in figures(doc) if not f.decorative]
    shown = 0
    for img in tree.iter("img"):
        alt = img.get("alt")
        src = img.get("src", "")
        if alt is None:
            findings.append(Finding("error", f"an image has no alt attribute (src {src[:40]})", where))
        elif img.get("role") == "presentation":
            if alt:
                findings.append(Finding("error", "a decorative image has alt text", where))
        elif not alt.strip():
            findings.append(Finding("error", "a meaningful image has empty alt text", where))
        else:
            shown += 1
        if options.embed_images and not src.startswith("data:"):
            findings.append(Finding("error", f"image {src} is not embedded", where))
        if not src.startswith("data:") and not (folder / src).is_file():
            findings.append(Finding("error", f"image {src} is missing beside the page", where))
    if shown != len(meaningful):
        findings.append(
            Finding(
                "error",
                f"the source has {len(meaningful)} meaningful images, the page shows {shown} with alt text",
                where,
            )
        )
    return findings


def _headings(doc: Document, tree, where: str) -> list[Finding]:
    main = tree.find(".//main")
    if main is None:
        return [Finding("error", "the page has no <main>", where)]
    notes = set(main.xpath(".//section[@role='doc-endnotes']//*"))
    found = [
        (int(el.tag[1]), " ".join(el.text_content().split()), el.get("id"))
        for el in main.iter("h1", "h2", "h3", "h4", "h5", "h6")
        if el not in notes
    ]
    # The page's title is its one h1; the report's top level is h2 and the rest follow.
    top = min((level for level, _, _ in heading_texts(doc)), default=1)
    expected = [
        (min(level + 2 - top, 6), " ".join(text.split()), id_) for level, text, id_ in heading_texts(doc)
    ]
    h1s = [" ".join(h.text_content().split()) for h in tree.iter("h1")]
    if h1s != [" ".join(doc.meta.title.split())]:
        return [Finding("error", f"the page must have one h1, the report's title; it has {h1s[:3]}", where)]
    if found != expected:
        missing = [h for h in expected if h not in found]
        extra = [h for h in found if h not in expected]
        return [
            Finding(
                "error",
                "the page's headings differ from the source's "
                f"(missing or changed: {missing[:3]}; unexpected: {extra[:3]})",
                where,
            )
        ]
    nav = tree.find(".//nav")
    if nav is None:
        return [Finding("error", "the page has no contents (<nav>)", where)]
    targets = {a.get("href") for a in nav.iter("a")}
    return [
        Finding("error", f"heading '{text}' is missing from the contents", where)
        for _, text, id_ in expected
        if f"#{id_}" not in targets
    ]


def _links(tree, where: str) -> list[Finding]:
    findings = []
    ids = Counter(el.get("id") for el in tree.iter() if isinstance(el.tag, str) and el.get("id"))
    findings += [Finding("error", f"id '{id_}' is used {n} times", where) for id_, n in ids.items() if n > 1]
    for a in tree.iter("a"):
        href = a.get("href")
        if href is None:
            findings.append(Finding("error", f"a link without href: '{a.text_content()}'", where))
        elif href.startswith("#") and href[1:] not in ids:
            findings.append(Finding("error", f"link to {href} goes nowhere", where))
        elif not " ".join(a.text_content().split()) and not a.get("aria-label"):
            findings.append(Finding("error", f"link to {href} has no text", where))
    return findings


def _tables(tree, where: str) -> list[Finding]:
    findings = []
    for number, table in enumerate(tree.iter("table"), start=1):
        caption = table.find("caption")
        if caption is None or not caption.text_content().strip():
            findings.append(Finding("error", f"table {number} has no caption", where))
        # A wide table scrolls inside its own region, which a keyboard user can reach (tabindex)
        # and a screen reader names by the caption; the page itself never scrolls sideways.
        region = table.getparent()
        labelled = region is not None and (
            (
                region.get("aria-labelledby")
                and caption is not None
                and region.get("aria-labelledby") == caption.get("id")
            )
            or (region.get("aria-label") or "").strip()
        )
        if region is None or region.get("role") != "region" or region.get("tabindex") != "0" or not labelled:
            findings.append(
                Finding(
                    "error",
                    f"table {number} is not in a focusable scroll region labelled by its caption",
                    where,
                )
            )
        for th in table.iter("th"):
            if th.get("scope") not in ("col", "row", "colgroup", "rowgroup"):
                findings.append(Finding("error", f"a header cell of table {number} has no scope", where))
    return findings


def _notes(doc: Document, tree, where: str) -> list[Finding]:
    findings = []
    notes = {el.get("id"): el for el in tree.xpath("//*[@role='doc-footnote']")}
    refs = tree.xpath("//a[@role='doc-noteref']")
    if len(notes) != len(doc.footnotes):
        findings.append(
            Finding("error", f"the source has {len(doc.footnotes)} notes, the page {len(notes)}", where)
        )
    for ref in refs:
        if ref.get("href", "")[1:] not in notes:
            findings.append(Finding("error", f"note reference {ref.get('href')} goes nowhere", where))
    ref_ids = {ref.get("id") for ref in refs}
    for id_, note in notes.items():
        back = note.xpath(".//a[@role='doc-backlink']")
        if not back or back[0].get("href", "")[1:] not in ref_ids:
            findings.append(Finding("error", f"note {id_} has no working link back", where))
    return findings


def _landmarks(tree, where: str) -> list[Finding]:
    findings = []
    first_link = next(tree.iter("a"), None)
    main = tree.find(".//main")
    main_id = main.get("id") if main is not None else "main"
    if first_link is None or first_link.get("href") != f"#{main_id}":
        findings.append(Finding("error", "the first link is not a skip link to the main text", where))
    for name in ("header", "nav", "main", "footer"):
        if tree.find(f".//{name}") is None:
            findings.append(Finding("error", f"the page has no <{name}>", where))
    return findings


def _css(tree, where: str) -> list[Finding]:
    css = "\n".join(style.text or "" for style in tree.iter("style"))
    findings = []
    if match := _ABSOLUTE_UNIT.search(css):
        findings.append(
            Finding(
                "error",
                f"CSS uses an absolute unit ('{match.group(0)}'): use "
                "rem or em so text follows the reader's size",
                where,
            )
        )
    if "justify" in css:
        findings.append(Finding("error", "CSS justifies text (uneven spacing is hard to read)", where))
    for needed, why in (
        ("prefers-color-scheme: dark", "a dark colour scheme"),
        ("@media print", "print styles"),
        (":focus-visible", "a visible focus"),
    ):
        if needed not in css:
            findings.append(Finding("error", f"CSS lacks {why} ({needed})", where))
    return findings
