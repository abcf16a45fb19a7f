"""Stage `html`: one self-contained, accessible web page (outputs/<slug>/<slug>.html).

The markup comes from pipeline/xhtml.py (shared with the EPUB); this module adds the page around
it: a skip link, the header, the contents, the main text, the notes and an accessibility
statement, with CSS that follows the reader's font size and colour scheme.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import lxml
from lxml import etree
from lxml import html as lxml_html

from ..document import Document, Figure, Heading
from ..errors import StageFailed
from ..sections import (
    AddedIds,
    accessibility_statement,
    contents_entries,
    contents_heading,
    statement_heading,
    title_lines,
    unique_id,
    words,
)
from ..stage_api import BuildContext, CheckResult, Stage
from ..xhtml import HTML, Renderer, image_media_type, nest_toc, title_line, toc_list

# rem and em only (the reader's font size scales everything), no justified text, colours only
# as a light/dark pair that follows the reader's preference, a visible focus ring, print styles.
CSS = """
:root { color-scheme: light dark; --text: #1b1b1b; --background: #ffffff; --link: #0b4f9c;
  --visited: #5b2a86; --muted: #4a4a4a; --rule: #8a8a8a; --focus: #c24e00; }
@media (prefers-color-scheme: dark) {
  :root { --text: #f0f0f0; --background: #121212; --link: #8cc4ff; --visited: #d3b4ff;
    --muted: #c8c8c8; --rule: #9a9a9a; --focus: #ffb35c; }
  /* Charts drawn for white paper keep a white mount, a frame and a little less glare, so their
     own dark text and lines stay readable on the dark page. */
  figure img, .decorative img { background: #ffffff; padding: 0.5rem; border-radius: 0.25rem;
    border: 0.125rem solid var(--rule); filter: brightness(0.9); box-sizing: border-box; }
}
html { font-size: 100%; }
body { margin: 0 auto; padding: 1rem; max-width: 42rem; font-family: system-ui, sans-serif;
  line-height: 1.5; color: var(--text); background: var(--background); text-align: start;
  overflow-wrap: break-word; }
h1, h2, h3, h4, h5, h6 { line-height: 1.25; margin: 2rem 0 0.75rem; }
p, li, figcaption, td, th { max-width: 70ch; }
a { color: var(--link); text-decoration-thickness: 0.0625rem; text-underline-offset: 0.15em; }
a:visited { color: var(--visited); }
:focus-visible { outline: 0.1875rem solid var(--focus); outline-offset: 0.125rem; }
.skip-link { position: absolute; left: 1rem; top: -10rem; padding: 0.5rem 1rem;
  background: var(--background); color: var(--link); border: 0.125rem solid var(--focus); }
.skip-link:focus { top: 1rem; }
header { border-bottom: 0.0625rem solid var(--rule); padding-bottom: 1rem; }
header h1.title { font-size: 2rem; line-height: 1.2; margin: 1rem 0 0.5rem; }
header .subtitle { font-size: 1.25rem; margin: 0 0 0.5rem; }
header p { color: var(--muted); }
nav ol { padding-left: 1.5rem; }
main:focus { outline: none; }
figure { margin: 1.5rem 0; }
img { max-width: 100%; height: auto; }
a { overflow-wrap: anywhere; }
.table-region { overflow-x: auto; max-width: 100%; margin: 1.5rem 0; }
.table-region:focus-visible { outline-offset: 0.25rem; }
.table-region table { margin: 0; }
figcaption { color: var(--muted); margin-top: 0.5rem; }
.decorative img { display: block; }
blockquote { margin: 1rem 0; padding-left: 1rem; border-left: 0.25rem solid var(--rule);
  font-style: italic; }
figure.quote figcaption { font-style: normal; }
table { border-collapse: collapse; margin: 1.5rem 0; }
caption { text-align: start; font-weight: bold; margin-bottom: 0.5rem; }
th, td { border: 0.0625rem solid var(--rule); padding: 0.375rem 0.75rem; text-align: start;
  vertical-align: top; }
code { font-family: ui-monospace, monospace; font-size: 0.95em; }
hr { border: 0; border-top: 0.0625rem solid var(--rule); margin: 2rem 0; }
sup a { text-decoration: none; padding: 0 0.125rem; }
.notes { border-top: 0.0625rem solid var(--rule); margin-top: 2rem; }
.notes aside { margin: 0.75rem 0; }
.notes p { margin: 0.25rem 0; }
footer { border-top: 0.0625rem solid var(--rule); margin-top: 3rem; }
@media print {
  :root { --text: #000000; --background: #ffffff; --link: #000000; --visited: #000000;
    --muted: #000000; }
  body { max-width: none; }
  .skip-link, nav { display: none; }
  /* On paper a link cannot be followed: print its address after its words. */
  a[href^="http"]::after, a[href^="mailto:"]::after { content: " (" attr(href) ")";
    overflow-wrap: anywhere; }
  .table-region { overflow: visible; }
  h1, h2, h3, h4, h5, h6 { break-after: avoid; }
  figure, table, blockquote { break-inside: avoid; }
  .page-break { break-after: page; }
}
""".strip()


@dataclass(frozen=True)
class HtmlOptions:
    embed_images: bool = True  # images as data: URIs (one file); False: copied beside the page

    def __post_init__(self) -> None:
        if not isinstance(self.embed_images, bool):
            raise ValueError("embed_images must be true or false")


@dataclass(frozen=True)
class PageIds:
    """The ids the page adds around the report: none may be a heading id of the report (a
    heading "Notes" has the id `notes`), nor each other's. The shared ones (statement, notes,
    main...) are the ones every format adds (pipeline/sections.py); the contents heading's id
    is the web page's own."""

    added: AddedIds
    contents: str

    @property
    def main(self) -> str:
        return self.added.main

    @property
    def notes(self) -> str:
        return self.added.notes

    @property
    def statement(self) -> str:
        return self.added.statement

    @property
    def title(self) -> str:
        return self.added.title

    def all(self) -> list[str]:
        return [self.main, self.notes, self.statement, self.title, self.contents, self.added.contents]

    @classmethod
    def for_document(cls, doc: Document) -> PageIds:
        added = AddedIds.for_document(doc)
        taken = [added.statement, added.title, added.contents, added.notes, added.main]
        return cls(added, unique_id(doc, "contents-title", taken))


def images_folder(slug: str) -> str:
    return f"{slug}-images"


class _ImageSources:
    """img src for each figure: a data: URI, or a copy beside the page (recorded to return)."""

    def __init__(self, options: HtmlOptions, out_dir: Path, slug: str):
        self.options, self.out_dir, self.slug = options, out_dir, slug
        self.written: list[Path] = []

    def __call__(self, figure: Figure) -> str:
        try:
            data = figure.src.read_bytes()
        except OSError as error:
            raise StageFailed(
                f"cannot read the image {figure.src}: {error.strerror}. "
                "Check the file exists and is readable, then build again"
            ) from None
        if self.options.embed_images:
            encoded = base64.b64encode(data).decode("ascii")
            return f"data:{image_media_type(figure.src)};base64,{encoded}"
        digest = hashlib.sha256(data).hexdigest()[:12]
        name = f"{images_folder(self.slug)}/{figure.src.stem}-{digest}{figure.src.suffix.lower()}"
        target = self.out_dir / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(figure.src, target)
            self.written.append(target)
        return name


def render_page(doc: Document, options: HtmlOptions, out_dir: Path, slug: str) -> tuple[bytes, list[Path]]:
    images = _ImageSources(options, out_dir, slug)
    ids = PageIds.for_document(doc)
    renderer = Renderer(
        doc,
        HTML,
        image_src=images,
        heading_offset=1 - _top_level(doc) + 1,
        table_regions=True,
        taken_ids=ids.all(),
    )
    _ = words(doc)
    meta = doc.meta
    root = renderer.el(None, "html", lang=meta.language)
    head = renderer.el(root, "head")
    renderer.el(head, "meta", charset="utf-8")
    renderer.el(head, "meta", name="viewport", content="width=device-width, initial-scale=1")
    renderer.el(head, "title", title_line(doc))
    if meta.description:
        renderer.el(head, "meta", name="description", content=meta.description)
    if meta.authors:
        renderer.el(head, "meta", name="author", content=", ".join(meta.authors))
    renderer.el(head, "style", CSS)
    body = renderer.el(root, "body")
    renderer.el(body, "a", _("Skip to main content"), href=f"#{ids.main}", class_="skip-link")
    _header(renderer, body, doc, ids)
    _contents(renderer, body, doc, ids)
    main = renderer.el(body, "main", id=ids.main, tabindex="-1")
    renderer.body_blocks(main, range(len(doc.blocks)))
    all_notes = [n.number for n in doc.footnotes.values()]
    renderer.notes_section(main, renderer.notes.pending + all_notes, heading_level=2, heading_id=ids.notes)
    _statement(renderer, body, doc, ids)
    page = lxml_html.tostring(root, doctype="<!DOCTYPE html>", encoding="utf-8", method="html")
    return page, images.written


def _top_level(doc: Document) -> int:
    return min((b.level for b in doc.blocks if isinstance(b, Heading)), default=1)


def _header(renderer: Renderer, body: etree._Element, doc: Document, ids: PageIds) -> None:
    """The title is the page's one h1; the report's own headings start at h2."""
    lines = title_lines(doc)
    header = renderer.el(body, "header")
    renderer.el(header, "h1", lines.title, class_="title", id=ids.title)
    if lines.subtitle:
        renderer.el(header, "p", lines.subtitle, class_="subtitle")
    if lines.byline:
        renderer.el(header, "p", lines.byline, class_="byline")
    if lines.publisher or lines.date:
        published = renderer.el(header, "p", class_="published")
        if lines.publisher:
            published.text = lines.publisher + (", " if lines.date else "")
        if lines.date:
            renderer.el(published, "time", lines.date, datetime=doc.meta.date)
    if lines.version:
        renderer.el(header, "p", lines.version, class_="version")


def _contents(renderer: Renderer, body: etree._Element, doc: Document, ids: PageIds) -> None:
    entries = contents_entries(doc, ids.added, notes=bool(doc.footnotes))
    flat = [(entry.text, entry.level, f"#{entry.target}") for entry in entries]
    nav = renderer.el(body, "nav", aria_labelledby=ids.contents, class_="contents")
    renderer.el(nav, "h2", contents_heading(doc), id=ids.contents)
    toc_list(renderer, nav, nest_toc(flat))


STATEMENT_FEATURES = [
    "Headings in the order of the report, and a list of contents with links.",
    "A link to skip straight to the main text.",
    "Tables with captions and header cells.",
    "Footnotes linked both ways.",
    "Text that follows your browser's font size, zoom and dark mode.",
]


def _statement(renderer: Renderer, body: etree._Element, doc: Document, ids: PageIds) -> None:
    footer = renderer.el(body, "footer")
    section = renderer.el(footer, "section", aria_labelledby=ids.statement)
    renderer.el(section, "h2", statement_heading(doc), id=ids.statement)
    renderer.blocks(section, accessibility_statement(doc, "web page", STATEMENT_FEATURES))


def build(doc: Document, options: HtmlOptions, out_dir: Path, ctx: BuildContext) -> list[Path]:
    page, images = render_page(doc, options, out_dir, ctx.slug)
    target = out_dir / f"{ctx.slug}.html"
    target.write_bytes(page)
    return [target, *images]


def check(doc: Document, options: HtmlOptions, paths: list[Path], ctx: BuildContext) -> CheckResult:
    from ..checks.html import check_html

    return check_html(doc, options, paths, ctx)


def _tool_versions() -> dict[str, str]:
    lxml_version = lxml.__version__  # type: ignore[attr-defined]  # lxml-stubs omit it; lxml has it
    return {"lxml": lxml_version, "html5lib": metadata.version("html5lib")}


STAGES = [
    Stage(
        name="html",
        version="2",
        options=HtmlOptions,
        build=build,
        check=check,
        media_types={
            ".html": "text/html",
            ".png": "image/png",
            ".jpg": "image/jpeg",
            ".jpeg": "image/jpeg",
            ".gif": "image/gif",
            ".svg": "image/svg+xml",
            ".webp": "image/webp",
        },
        tool_versions=_tool_versions,
    )
]
