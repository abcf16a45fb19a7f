"""The accessibility statement reads the same, word for word, in every visual format.

Each format is built from the fixture document by its real stage and read back with the tool a
reader's software would use (pdfminer for the PDF, python-docx for Word, html5lib for the web
page); the statement's sentences must be there exactly, and the contact must be a real link.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import html5lib
import pikepdf
import pytest
from lxml import etree
from pdfminer.high_level import extract_text

from pipeline.checks.xhtml_text import block_text
from pipeline.sections import STATEMENT_HEADING
from pipeline.stages import get

CONTACT_SENTENCE = (
    "If something does not work for you, or you need another format, please contact formats@example.org."
)
FORMATS_SENTENCE = (
    "The same report is also available as accessible PDF, Word, large print, "
    "audio (MP3), EPUB, braille and a web page."
)
IMAGES_SENTENCE = (
    "The image that carries meaning has a text description; decorative images "
    "are marked so that screen readers skip them."
)
OPENING = {
    "pdf": "This is the PDF version of Listening Together.",
    "word": "This is the clear print Word version of Listening Together.",
    "large-print": "This is the large print Word version of Listening Together.",
    "html": "This is the web page version of Listening Together.",
    "epub": "This is the e-book version of Listening Together.",
}


def squash(text: str) -> str:
    """Whitespace as a reader hears it: line wraps and runs of spaces are one space."""
    return " ".join(text.split())


def build(name: str, doc, ctx, tmp_path: Path) -> list[Path]:
    stage = get(name)
    out_dir = tmp_path / name
    out_dir.mkdir()
    return stage.build(doc, stage.options(), out_dir, ctx)


def pdf_text(path: Path) -> str:
    return squash(extract_text(str(path)))


def pdf_link_targets(path: Path) -> set[str]:
    with pikepdf.open(path) as pdf:
        return {
            str(annot.A.URI)
            for page in pdf.pages
            for annot in page.get("/Annots", [])
            if "/A" in annot and "/URI" in annot.A
        }


def word_text(path: Path) -> str:
    # Every w:t of every paragraph, hyperlinks included (python-docx's Paragraph.text skips
    # runs inside w:hyperlink in some versions, so read the XML it exposes).
    document = docx.Document(str(path))
    paragraphs = document.element.body.iter(docx.oxml.ns.qn("w:p"))
    return "\n".join(
        squash("".join(t.text or "" for t in p.iter(docx.oxml.ns.qn("w:t")))) for p in paragraphs
    )


def word_link_targets(path: Path) -> set[str]:
    part = docx.Document(str(path)).part
    return {rel.target_ref for rel in part.rels.values() if rel.is_external}


def html_statement(path: Path) -> etree._Element:
    tree = html5lib.parse(path.read_bytes(), treebuilder="lxml", namespaceHTMLElements=False)
    return tree.xpath("//footer//section[@aria-labelledby='accessibility']")[0]


@pytest.mark.parametrize("name", ["pdf", "word", "large-print", "html"])
def test_statement_is_word_for_word_the_same_in_every_format(name, doc, ctx, tmp_path):
    paths = build(name, doc, ctx, tmp_path)
    main = paths[0]
    if name == "pdf":
        text, links = pdf_text(main), pdf_link_targets(main)
    elif name in ("word", "large-print"):
        text, links = word_text(main), word_link_targets(main)
    else:
        section = html_statement(main)
        assert squash(section.findtext("h2")) == STATEMENT_HEADING
        text = squash(block_text(section))
        links = {a.get("href") for a in section.iter("a")}
    statement = squash(text[text.rindex(STATEMENT_HEADING) :])  # past the contents list
    for sentence in (OPENING[name], IMAGES_SENTENCE, FORMATS_SENTENCE, CONTACT_SENTENCE):
        assert sentence in statement, f"{name}: {sentence!r} not in {statement!r}"
    assert "mailto:formats@example.org" in links


def test_epub_statement_page_has_the_same_words(doc, ctx, tmp_path):
    paths = build("epub", doc, ctx, tmp_path)
    epub = next(p for p in paths if p.suffix == ".epub")
    with zipfile.ZipFile(epub) as package:
        name = next(n for n in package.namelist() if n.endswith("accessibility.xhtml"))
        page = etree.fromstring(package.read(name))
    text = squash(block_text(page))
    for sentence in (OPENING["epub"], IMAGES_SENTENCE, FORMATS_SENTENCE, CONTACT_SENTENCE):
        assert sentence in text


# ---------------------------------------------------------------- ids the stages add


def clashing_document(doc, with_main: bool = True):
    """The fixture plus report headings whose ids are the ones a stage would pick for itself
    ("Notes" is `notes`, "Accessibility" is `accessibility`...), and a link to the report's
    own "Notes" heading."""
    import dataclasses

    from pipeline.document import Heading, Link, PageBreak, Paragraph, Text

    extra = (
        Heading(1, (Text("Notes"),), "notes"),
        Paragraph((Text("Our own notes on the year ahead."),)),
        PageBreak(),
        Heading(1, (Text("Accessibility"),), "accessibility"),
        Paragraph(
            (
                Text("How we made our venues step free. Go to "),
                Link("#notes", (Text("our own notes"),)),
                Text("."),
            )
        ),
        Heading(1, (Text("Contents"),), "contents"),
        Paragraph((Text("What the boxes held."),)),
        *((Heading(1, (Text("Main"),), "main"), Paragraph((Text("The main hall."),))) if with_main else ()),
        Heading(1, (Text("Title page"),), "title-page"),
        Paragraph((Text("About the cover."),)),
        Heading(1, (Text("Contents title"),), "contents-title"),
        Paragraph((Text("Naming things."),)),
    )
    # In the e-book the first chapter's notes share its file: "notes-chapter-01" would clash.
    in_first_chapter = (
        Heading(2, (Text("Notes chapter 01"),), "notes-chapter-01"),
        Paragraph((Text("An id the e-book's notes would take."),)),
    )
    last = len(doc.blocks) - 1  # the fixture ends with its Footnotes block
    return dataclasses.replace(
        doc, blocks=doc.blocks[:3] + in_first_chapter + doc.blocks[3:last] + extra + doc.blocks[last:]
    )


@pytest.mark.parametrize("name", ["html", "pdf", "epub", "word", "large-print"])
def test_report_headings_named_like_the_stages_own_pass_every_check(name, doc, ctx, tmp_path):
    # "Main" is left to the next test: checks/html.py still wants the skip link at "#main".
    clashing = clashing_document(doc, with_main=False)
    stage = get(name)
    paths = build(name, clashing, ctx, tmp_path)
    result = stage.check(clashing, stage.options(), paths, ctx)
    errors = [f"{f.message} ({f.where})" for f in result.findings if f.severity == "error"]
    assert not errors, errors


def test_web_page_ids_stay_unique_with_a_report_heading_main(doc, ctx, tmp_path):
    [path] = build("html", clashing_document(doc), ctx, tmp_path)
    tree = html5lib.parse(path.read_bytes(), treebuilder="lxml", namespaceHTMLElements=False)
    ids = [element.get("id") for element in tree.iter() if isinstance(element.tag, str) and element.get("id")]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    main = tree.find(".//main")
    skip = next(tree.iter("a"))
    assert main.get("id") != "main" and skip.get("href") == f"#{main.get('id')}"
    assert squash(block_text(tree.find(".//h2[@id='main']"))) == "Main"
    # every same-page link lands on an element of the page
    for link in tree.iter("a"):
        href = link.get("href") or ""
        if href.startswith("#"):
            assert href[1:] in ids, href


def _page_of_destination(pdf: pikepdf.Pdf, destination) -> int:
    """0-based page a destination (a name, or an explicit [page /XYZ ...] array) points at."""
    if isinstance(destination, (pikepdf.String, pikepdf.Name, str)):
        key = str(destination).lstrip("/")
        names = pikepdf.NameTree(pdf.Root.Names.Dests) if "/Names" in pdf.Root else None
        destination = names[key] if names is not None and key in names else pdf.Root.Dests[key]
    if isinstance(destination, pikepdf.Dictionary):
        destination = destination.D
    return pdf.pages.index(pikepdf.Page(destination[0]))


def _page_with(path: Path, words: str) -> int:
    from pdfminer.high_level import extract_pages

    for number, page in enumerate(extract_pages(str(path))):
        text = squash("".join(getattr(item, "get_text", lambda: "")() for item in page))
        if words in text:
            return number
    raise AssertionError(f"no page holds {words!r}")


def test_pdf_bookmark_and_link_to_a_report_heading_notes_reach_that_heading(doc, ctx, tmp_path):
    [path] = [p for p in build("pdf", clashing_document(doc), ctx, tmp_path) if p.suffix == ".pdf"]
    own_notes = _page_with(path, "Our own notes on the year ahead.")
    notes_section = _page_with(path, "Across five research bids.")
    assert own_notes != notes_section
    with pikepdf.open(path) as pdf:
        with pdf.open_outline() as outline:
            notes = [item for item in outline.root if item.title == "Notes"]
            pages = [
                _page_of_destination(pdf, item.destination if item.destination is not None else item.action)
                for item in notes
            ]
        assert pages == [own_notes, notes_section]
        link_page = _page_with(path, "How we made our venues step free.")
        # internal links on that page (the contents page's links live elsewhere)
        to_own_notes = [
            annot
            for annot in pdf.pages[link_page].get("/Annots", [])
            if annot.get("/Subtype") == "/Link"
            and ("/Dest" in annot or "/A" in annot)
            and "/URI" not in annot.get("/A", {})
        ]
        assert to_own_notes, "the link to the report's Notes heading is missing"
        assert {_page_of_destination(pdf, annot.get("/Dest", annot.get("/A"))) for annot in to_own_notes} == {
            own_notes
        }
