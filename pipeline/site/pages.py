"""The site's pages as lxml trees: the index, each report's accessible-versions page, and each
report's build report for staff.

Markup choices, each for someone who uses it: every page has `lang` (the report's language, and
`lang` again on anything in another language), a skip link to <main>, one h1 and headings in
order, a breadcrumb <nav>, lists and tables with captions for what is a list or a table, links
that say where they go, and no script needed to read anything (the build report's one small
script only adds chapter seeking to an audio player that works without it). CSS (site.css) is
in rem, reflows at 320 px and follows the reader's light or dark preference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from ..i18n import Words, primary_language, words_for
from .facts import FormatFacts, ReportFacts, TocEntry
from .offer import offer
from .wording import (
    READER_ORDER,
    clock,
    duration_words,
    file_kind,
    file_label,
    file_size,
    format_words,
    language_name,
    primary_first,
    when_words,
)

CSS_NAME = "site.css"
FILES_FOLDER = "files"
PREVIEWS_FOLDER = "previews"
VERSIONS_PAGE = "index.html"
BUILD_PAGE = "build-report.html"

# Seeking for the chapter list: progressive enhancement. Without it each chapter link opens the
# MP3 at that time (a media fragment, #t=seconds); with it the player on the page seeks instead.
SEEK_SCRIPT = """
document.addEventListener("click", function (event) {
  var link = event.target.closest("a[data-seek]");
  if (!link) { return; }
  var player = document.getElementById(link.getAttribute("data-player"));
  if (!player) { return; }
  event.preventDefault();
  player.currentTime = parseFloat(link.getAttribute("data-seek"));
  player.play();
  player.focus();
});
""".strip()


def el(parent: etree._Element | None, tag: str, text: str | None = None, **attrs: Any) -> etree._Element:
    """An element with attributes (class_ -> class, aria_label -> aria-label)."""
    names = {k.rstrip("_").replace("_", "-"): str(v) for k, v in attrs.items() if v is not None}
    node = etree.Element(tag, names) if parent is None else etree.SubElement(parent, tag, names)
    if text:
        node.text = text
    return node


def serialise(root: etree._Element) -> bytes:
    return lxml_html.tostring(root, doctype="<!DOCTYPE html>", encoding="utf-8", method="html")


@dataclass(frozen=True)
class PageShell:
    root: etree._Element
    main: etree._Element


def shell(
    _: Words, title: str, css_href: str, crumbs: list[tuple[str, str | None]], noindex: bool = False
) -> PageShell:
    """html/head/body with skip link, breadcrumb and <main>; crumbs: (label, href or None)."""
    root = el(None, "html", lang=_.tag)
    head = el(root, "head")
    el(head, "meta", charset="utf-8")
    el(head, "meta", name="viewport", content="width=device-width, initial-scale=1")
    el(head, "title", title)
    if noindex:
        el(head, "meta", name="robots", content="noindex")
    el(head, "link", rel="stylesheet", href=css_href)
    body = el(root, "body")
    el(body, "a", _("Skip to main content"), href="#main", class_="skip-link")
    header = el(body, "header")
    nav = el(header, "nav", aria_label=_("Breadcrumb"))
    trail = el(nav, "ol", class_="breadcrumb")
    for label, href in crumbs:
        item = el(trail, "li")
        if href:
            el(item, "a", label, href=href)
        else:
            el(item, "span", label, aria_current="page")
    main = el(body, "main", id="main", tabindex="-1")
    return PageShell(root, main)


def _heading_id(text: str, used: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    used.add(candidate)
    return candidate


def _section(
    parent: etree._Element, level: int, heading: str, used: set[str], **attrs: Any
) -> etree._Element:
    ident = _heading_id(heading, used)
    section = el(parent, "section", aria_labelledby=ident, **attrs)
    el(section, f"h{level}", heading, id=ident)
    return section


def ordered_formats(report: ReportFacts) -> list[FormatFacts]:
    known = [report.formats[n] for n in READER_ORDER if n in report.formats]
    others = [f for n, f in report.formats.items() if n not in READER_ORDER]
    return known + others


def _date_line(_: Words, report: ReportFacts) -> str:
    return _.date(report.meta.date) if report.meta.date else ""


# ---------------------------------------------------------------- index


@dataclass(frozen=True)
class IndexEntry:
    report: ReportFacts
    thumbnail: str | None  # href relative to the site root


def index_page(entries: list[IndexEntry], site_language: str) -> bytes:
    _ = words_for(site_language)
    title = _("Reports and their accessible versions")
    page = shell(_, title, CSS_NAME, [(_("All reports"), None)])
    el(page.main, "h1", title)
    if not entries:
        el(page.main, "p", _("No reports have been built yet: run make all, then make site."))
    listing = el(page.main, "ul", class_="reports")
    for entry in entries:
        report = entry.report
        words = words_for(report.meta.language)
        other = primary_language(report.meta.language) != primary_language(site_language)
        item = el(listing, "li", class_="report")
        if entry.thumbnail:
            # Decorative beside the title link: the link's words say where it goes.
            el(item, "img", src=entry.thumbnail, alt="", class_="cover", width="120")
        text = el(item, "div", class_="report-text")
        heading = el(text, "h2", lang=report.meta.language if other else None)
        el(heading, "a", report.meta.title, href=f"{report.slug}/{VERSIONS_PAGE}")
        if report.meta.subtitle:
            el(text, "p", report.meta.subtitle, lang=report.meta.language if other else None)
        facts = el(text, "dl", class_="facts")
        if report.meta.date:
            el(facts, "dt", _("Published"))
            date = el(facts, "dd", lang=report.meta.language if other else None)
            el(date, "time", words.date(report.meta.date), datetime=report.meta.date) if re.fullmatch(
                r"\d{4}-\d{2}-\d{2}", report.meta.date
            ) else setattr(date, "text", report.meta.date)
        el(facts, "dt", _("Language"))
        el(facts, "dd", language_name(_, report.meta.language))
        el(facts, "dt", _("Versions"))
        el(facts, "dd", str(sum(1 for f in report.formats.values() if f.offered)))
        staff = el(text, "p", class_="staff-link")
        link = el(staff, "a", href=f"{report.slug}/{BUILD_PAGE}")
        words_around = _("Build report for staff: {title}", title=report.meta.title)
        if other:  # the title inside the index's sentence keeps the report's language
            before, _sep, after = words_around.partition(report.meta.title)
            link.text = before
            el(link, "span", report.meta.title, lang=report.meta.language).tail = after
        else:
            link.text = words_around
    return serialise(page.root)


# ---------------------------------------------------------------- accessible versions


def versions_page(report: ReportFacts, address: str, section_titles: dict[str, str]) -> bytes:
    _ = words_for(report.meta.language)
    meta = report.meta
    title = _("{title}: accessible versions", title=meta.title)
    page = shell(_, title, f"../{CSS_NAME}", [(_("All reports"), f"../{VERSIONS_PAGE}"), (meta.title, None)])
    used: set[str] = {"main"}
    el(page.main, "h1", title)
    if meta.subtitle:
        el(page.main, "p", meta.subtitle, class_="subtitle")
    if meta.date:
        published = el(page.main, "p", _("Published") + ": ", class_="published")
        el(published, "time", _date_line(_, report), datetime=meta.date) if re.fullmatch(
            r"\d{4}-\d{2}-\d{2}", meta.date
        ) else setattr(published, "text", (published.text or "") + meta.date)
    # The web page is the report itself: read here, not listed again among the downloads.
    offered = [f for f in ordered_formats(report) if f.offered and f.name != "html"]
    html = report.formats.get("html")
    page_file = html.file_with_suffix(".html") if html is not None and html.offered else None
    if html is not None and page_file is not None:
        read = _section(page.main, 2, _("Read it on this website"), used)
        p = el(read, "p")
        el(p, "a", _("Read {title} as a web page", title=meta.title), href=f"{FILES_FOLDER}/{page_file.path}")
        el(read, "p", format_words(_, html).who_for)
        keep = el(el(read, "ul", class_="downloads"), "li")
        link = el(
            keep,
            "a",
            _("Download the web page to read without an internet connection"),
            href=f"{FILES_FOLDER}/{page_file.path}",
            download=PurePosixPath(page_file.path).name,
        )
        link.tail = f" ({file_kind(page_file)}, {file_size(_, page_file.bytes)})"
    downloads = _section(page.main, 2, _("Download a version"), used)
    if not offered:
        el(downloads, "p", _("No versions are ready yet."))
    for facts in offered:
        _format_block(_, downloads, facts, used, section_titles)
    ask = _section(page.main, 2, _("Ask us for another format"), used, class_="ask")
    words = offer(_, address, meta.title)
    intro = el(ask, "p")
    _text_with_link(intro, words.intro, address, f"mailto:{address}" if address else None)
    el(ask, "p", _("We can make, for example:"))
    options = el(ask, "ul")
    for option in words.options:
        el(options, "li", option)
    el(ask, "p", words.closing)
    footer = el(page.root.find("body"), "footer")
    p = el(footer, "p")
    el(p, "a", _("Build report for staff"), href=BUILD_PAGE)
    return serialise(page.root)


def _text_with_link(parent: etree._Element, text: str, needle: str, href: str | None) -> None:
    """Put `text` in parent, turning the first `needle` in it into a link to href."""
    if not href or not needle or needle not in text:
        parent.text = text
        return
    before, after = text.split(needle, 1)
    parent.text = before
    link = el(parent, "a", needle, href=href)
    link.tail = after


def _format_block(
    _: Words, parent: etree._Element, facts: FormatFacts, used: set[str], section_titles: dict[str, str]
) -> None:
    words = format_words(_, facts)
    block = _section(parent, 3, words.label, used, class_="format")
    el(block, "p", words.who_for)
    details = el(block, "dl", class_="facts")
    files = primary_first(facts)
    if files and facts.name != "braille":  # braille: two main files, each sized below
        el(details, "dt", _("File size"))
        el(details, "dd", file_size(_, files[0].bytes))
    if facts.duration_seconds:
        el(details, "dt", _("Length"))
        el(details, "dd", duration_words(_, facts.duration_seconds))
    if facts.chapters:
        el(details, "dt", _("Chapters"))
        el(details, "dd", str(len(facts.chapters)))
    if facts.braille is not None:
        el(details, "dt", _("Braille pages"))
        el(details, "dd", str(facts.braille.pages))
        el(details, "dt", _("Volumes"))
        el(details, "dd", str(facts.braille.volumes))
        el(details, "dt", _("Braille code"))
        el(details, "dd", braille_code_name(_, facts.braille.table))
    links = el(block, "ul", class_="downloads")
    extra = [f for f in files if "/" in f.path]
    for record in [f for f in files if "/" not in f.path]:
        _download(_, links, facts, record, section_titles)
    if extra:
        more = el(block, "details")
        el(more, "summary", _("One file for each section ({count} files)", count=len(extra)))
        sections = el(more, "ul", class_="downloads")
        for record in extra:
            _download(_, sections, facts, record, section_titles)
    el(block, "p", _("How to open it: {how}", how=words.how_to_open))


def _download(
    _: Words, parent: etree._Element, facts: FormatFacts, record: Any, section_titles: dict[str, str]
) -> None:
    item = el(parent, "li")
    label = file_label(_, facts, record, section_titles)
    link = el(
        item,
        "a",
        _("Download: {label}", label=label),
        href=f"{FILES_FOLDER}/{record.path}",
        download=PurePosixPath(record.path).name,
    )
    link.tail = f" ({file_kind(record)}, {file_size(_, record.bytes)})"


def braille_code_name(_: Words, table: str) -> str:
    """The braille code in the page's language; other tables by liblouis's own display name."""
    welsh_contracted = _("Welsh braille, contracted")
    names = {
        "en-ueb-g2.ctb": _("Unified English Braille, contracted (grade 2)"),
        "en-ueb-g1.ctb": _("Unified English Braille, uncontracted (grade 1)"),
        "cy-cy-g2.ctb": welsh_contracted,
        "cy.tbl": welsh_contracted,
        "cy-cy-g1.utb": _("Welsh braille, uncontracted"),
    }
    return names.get(Path(table).name) or _table_display_name(table)


def _table_display_name(table: str) -> str:
    """liblouis tables say what they are in a '#-display-name:' header line."""
    try:
        with open(
            Path("/usr/share/liblouis/tables") / Path(table).name, encoding="utf-8", errors="replace"
        ) as handle:
            for line in handle:
                if line.startswith("#-display-name:"):
                    return f"{line.split(':', 1)[1].strip()} ({table})"
                if line.strip() and not line.startswith("#"):
                    break
    except OSError:
        pass
    return table


# ---------------------------------------------------------------- build report


@dataclass(frozen=True)
class FixHint:
    line: int | None  # 1-based line in the source, when the passage was found
    quote: str  # the passage the finding quotes


def build_page(report: ReportFacts, previews: dict[str, Any], hints: dict[tuple[str, int], FixHint]) -> bytes:
    _ = words_for(report.meta.language)
    meta = report.meta
    title = _("Build report: {title}", title=meta.title)
    page = shell(
        _,
        title,
        f"../{CSS_NAME}",
        [(_("All reports"), f"../{VERSIONS_PAGE}"), (meta.title, VERSIONS_PAGE), (_("Build report"), None)],
        noindex=True,
    )
    used: set[str] = {"main"}
    el(page.main, "h1", title)
    intro = el(page.main, "p")
    intro.text = _(
        "For staff: what the last build made from {source}, whether each format "
        "passed its checks, and previews of the real files.",
        source=report.source_path or report.slug,
    )
    _summary_table(_, page.main, report, used)
    for facts in ordered_formats(report):
        _format_report(_, page.main, report, facts, previews, hints, used)
    if any(f.offered and f.chapters for f in report.formats.values()):
        script = el(page.root.find("body"), "script")
        script.text = SEEK_SCRIPT
    return serialise(page.root)


def status_words(_: Words, facts: FormatFacts) -> str:
    if facts.status == "failed":
        return _("The last build failed")
    if facts.unreadable:
        return _("The site could not read a file")
    if not facts.intact:
        return _("A file is missing or was changed after the build")
    if not facts.passed:
        return _("Checks failed")
    if facts.status == "reused":
        return _("Passed (up to date, reused)")
    return _("Passed")


def _summary_table(_: Words, parent: etree._Element, report: ReportFacts, used: set[str]) -> None:
    # Two columns, so the table fits 320 px in Welsh too (a third column broke words there).
    section = _section(parent, 2, _("Summary"), used)
    table = el(section, "table", class_="summary")
    el(table, "caption", _("Each format and its checks"))
    head = el(el(table, "thead"), "tr")
    for label in (_("Format"), _("Result")):
        el(head, "th", label, scope="col")
    body = el(table, "tbody")
    for facts in ordered_formats(report):
        row = el(body, "tr")
        cell = el(row, "th", scope="row")
        el(cell, "a", format_words(_, facts).label, href=f"#{_format_anchor(facts)}")
        result = el(row, "td", class_="bad" if not facts.offered else "good")
        el(result, "span", status_words(_, facts))
        if facts.findings:
            el(result, "br")
            findings = _("Findings")
            el(result, "span", f"{findings}: {len(facts.findings)}")


def _format_anchor(facts: FormatFacts) -> str:
    return f"format-{facts.name}"


def _format_report(
    _: Words,
    parent: etree._Element,
    report: ReportFacts,
    facts: FormatFacts,
    previews: dict[str, Any],
    hints: dict[tuple[str, int], FixHint],
    used: set[str],
) -> None:
    words = format_words(_, facts)
    anchor = _format_anchor(facts)
    used.add(anchor)
    section = el(parent, "section", aria_labelledby=anchor, class_="format")
    el(section, "h2", words.label, id=anchor)
    state = el(section, "p", class_="status")
    strong = el(state, "strong", status_words(_, facts))
    if facts.status == "failed":
        strong.tail = ". " + _("Readers are not offered this format until it builds again. Why:") + " "
        el(state, "span", facts.error, lang=None if _.language == "en" else "en")
    elif facts.unreadable:
        strong.tail = ": "
        el(state, "span", facts.unreadable, lang=None if _.language == "en" else "en")
    elif facts.built_at and facts.seconds < 1:
        strong.tail = ". " + _("Built on {when} in under a second.", when=when_words(_, facts.built_at))
    elif facts.built_at:
        strong.tail = ". " + _(
            "Built on {when} in {seconds} seconds.",
            when=when_words(_, facts.built_at),
            seconds=_.number(round(facts.seconds, 1)),
        )
    _findings(_, section, report, facts, hints)
    _previews(_, section, report, facts, previews)
    _measurements(_, section, facts)


def _findings(
    _: Words,
    parent: etree._Element,
    report: ReportFacts,
    facts: FormatFacts,
    hints: dict[tuple[str, int], FixHint],
) -> None:
    if not facts.findings:
        el(parent, "p", _("The checks found nothing to fix."))
        return
    el(parent, "h3", _("What the checks found"))
    listing = el(parent, "ol", class_="findings")
    severity = {"error": _("Must fix"), "warning": _("Worth fixing"), "info": _("For information")}
    for number, finding in enumerate(facts.findings):
        item = el(listing, "li", class_=f"finding {finding.severity}")
        head = el(item, "p")
        strong = el(head, "strong", severity.get(finding.severity, finding.severity) + ":")
        strong.tail = " "
        # The checks write English: say so, so a Welsh page's screen reader switches voice.
        el(head, "span", finding.message, lang=None if _.language == "en" else "en")
        if finding.where:
            el(item, "p", _("Found in: {where}", where=finding.where))
        hint = hints.get((facts.name, number))
        source = report.source_path or _("the source")
        empty = re.fullmatch(r"the (\w+) property is empty", finding.message)
        if empty:
            el(
                item,
                "p",
                _(
                    "Where to fix it: add {field} to the front matter of {source} (in a "
                    "Word source, to its document properties), then build again.",
                    field=empty.group(1),
                    source=source,
                ),
            )
        elif hint is not None and hint.line:
            el(
                item,
                "p",
                _(
                    "Where to fix it: {source}, line {line} (\u201c{quote}\u201d), then build again.",
                    source=source,
                    line=hint.line,
                    quote=hint.quote,
                ),
            )
        elif hint is not None:
            el(
                item,
                "p",
                _(
                    "Where to fix it: the passage \u201c{quote}\u201d in {source}, then build again.",
                    source=source,
                    quote=hint.quote,
                ),
            )
        else:
            el(
                item,
                "p",
                _(
                    "Where to fix it: if {source} is right here, the fault is in the "
                    "pipeline: send this build report to its developers.",
                    source=source,
                ),
            )


def _previews(
    _: Words, parent: etree._Element, report: ReportFacts, facts: FormatFacts, previews: dict[str, Any]
) -> None:
    name = facts.name
    if not facts.offered:
        return
    if name == "pdf":
        _page_images(_, parent, previews.get("pdf-pages"), _("Page {page} of the PDF"))
    elif name in ("large-print", "word"):
        _page_images(
            _,
            parent,
            previews.get(f"{name}-page"),
            _("Page {page} of the Word document, as LibreOffice lays it out"),
        )
    elif name == "braille":
        _braille_preview(_, parent, previews.get("braille-page"))
    elif name == "audio":
        _audio_preview(_, parent, facts)
    elif name == "epub":
        _epub_preview(_, parent, facts.toc)
    elif name == "html":
        p = el(parent, "p")
        record = facts.file_with_suffix(".html")
        if record is not None:
            el(p, "a", _("Open the web page"), href=f"{FILES_FOLDER}/{record.path}")
    _files_list(_, parent, facts)


def _files_list(_: Words, parent: etree._Element, facts: FormatFacts) -> None:
    more = el(parent, "details")
    el(more, "summary", _("Files ({count})", count=len(facts.files)))
    listing = el(more, "ul", class_="files")
    for record in facts.files:
        item = el(listing, "li")
        if facts.offered:
            el(item, "a", record.path, href=f"{FILES_FOLDER}/{record.path}")
        else:
            el(item, "span", record.path)
        el(item, "span", f" ({file_size(_, record.bytes)})")


def _preview_failed(_: Words, parent: etree._Element, data: dict[str, Any] | None) -> bool:
    if data is None:
        return True
    if data.get("error"):
        el(parent, "p", _("No preview: {error}", error=data["error"]), class_="bad")
        return True
    return False


def _page_images(_: Words, parent: etree._Element, data: dict[str, Any] | None, caption: str) -> None:
    if data is None or _preview_failed(_, parent, data):
        return
    el(parent, "h3", _("Preview"))
    gallery = el(parent, "div", class_="pages")
    for page in data.get("pages", []):
        figure = el(gallery, "figure", class_="page")
        text = page.get("text", "")
        label = caption.format(page=page["page"]) if "{page}" in caption else caption
        begins = " ".join(text.split()[:12])
        el(
            figure,
            "img",
            src=f"{PREVIEWS_FOLDER}/{page['file']}",
            alt=_("{label}. It begins: {text}", label=label, text=begins) if begins else label,
            loading="lazy",
        )
        el(figure, "figcaption", label)
        if text:
            more = el(figure, "details")
            el(more, "summary", _("Text on this page"))
            el(more, "p", text)
    if data.get("page_count"):
        el(parent, "p", _("{count} pages in all.", count=data["page_count"]))


def _braille_preview(_: Words, parent: etree._Element, data: dict[str, Any] | None) -> None:
    if data is None or _preview_failed(_, parent, data):
        return
    el(parent, "h3", _("Preview"))
    table = el(parent, "table", class_="braille")
    el(
        table,
        "caption",
        _(
            "The first braille page, line by line, beside what liblouis reads back from it ({table})",
            table=Path(data.get("table", "")).name,  # a table given by its path: its name
        ),
    )
    head = el(el(table, "thead"), "tr")
    for label in (_("Line"), _("Braille"), _("Read back as")):
        el(head, "th", label, scope="col")
    body = el(table, "tbody")
    for number, (cells, text) in enumerate(zip(data["rows"], data["back_translation"]), 1):
        row = el(body, "tr")
        el(row, "th", str(number), scope="row")
        el(row, "td", cells or "\u00a0", class_="cells", lang="en-Brai")
        el(row, "td", text or "\u00a0", class_="back")


def _audio_preview(_: Words, parent: etree._Element, facts: FormatFacts) -> None:
    record = facts.file_with_suffix(".mp3")
    if record is None:
        return
    href = f"{FILES_FOLDER}/{record.path}"
    el(parent, "h3", _("Listen"))
    player_id = f"player-{facts.name}"
    audio = el(
        parent,
        "audio",
        controls="controls",
        preload="metadata",
        src=href,
        id=player_id,
        aria_label=_("The whole report, read aloud"),
    )
    el(audio, "a", _("Download the MP3"), href=href)  # for browsers without <audio>
    if facts.duration_seconds:
        el(parent, "p", _("Length: {length}.", length=duration_words(_, facts.duration_seconds)))
    if not facts.chapters:
        return
    el(parent, "h3", _("Chapters"))
    listing = el(parent, "ol", class_="chapters")
    for chapter in facts.chapters:
        item = el(listing, "li")
        start = f"{chapter.start_seconds:.3f}".rstrip("0").rstrip(".")
        link = el(item, "a", chapter.title, href=f"{href}#t={start}", data_seek=start, data_player=player_id)
        link.tail = " "
        el(item, "span", _("starts at {time}", time=clock(chapter.start_seconds)), class_="time")


def _epub_preview(_: Words, parent: etree._Element, toc: list[TocEntry]) -> None:
    el(parent, "h3", _("The e-book's contents"))
    if not toc:
        el(parent, "p", _("The e-book has no contents list."), class_="bad")
        return
    _toc_list(el(parent, "ol", class_="toc"), toc)


def _toc_list(parent: etree._Element, entries: list[TocEntry] | tuple[TocEntry, ...]) -> None:
    for entry in entries:
        item = el(parent, "li", entry.title)
        if entry.children:
            _toc_list(el(item, "ol"), entry.children)


def _measurements(_: Words, parent: etree._Element, facts: FormatFacts) -> None:
    if not facts.metrics and not facts.options:
        return
    more = el(parent, "details")
    el(more, "summary", _("Measurements and options (for developers)"))
    listing = el(more, "dl", class_="facts")
    for key, value in [*facts.metrics.items(), *facts.options.items()]:
        el(listing, "dt", str(key).replace("_", " "))
        el(listing, "dd", _value(value))


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(map(_value, value))
    return str(value)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write only when the bytes differ, so an unchanged site is left alone."""
    from ..manifest import write_atomic

    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    write_atomic(path, data)
    return True
