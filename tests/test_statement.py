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

from pipeline.stages import get
from pipeline.statement import STATEMENT_HEADING
from pipeline.xhtml import block_text

CONTACT_SENTENCE = ("If something does not work for you, or you need another format, please "
                    "contact formats@example.org.")
FORMATS_SENTENCE = ("The same report is also available as accessible PDF, Word, large print, "
                    "audio (MP3), EPUB, braille and a web page.")
IMAGES_SENTENCE = ("The image that carries meaning has a text description; decorative images "
                   "are marked so that screen readers skip them.")
OPENING = {"pdf": "This is the PDF version of Listening Together.",
           "word": "This is the clear print Word version of Listening Together.",
           "large-print": "This is the large print Word version of Listening Together.",
           "html": "This is the web page version of Listening Together.",
           "epub": "This is the e-book version of Listening Together."}


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
        return {str(annot.A.URI) for page in pdf.pages for annot in page.get("/Annots", [])
                if "/A" in annot and "/URI" in annot.A}


def word_text(path: Path) -> str:
    # Every w:t of every paragraph, hyperlinks included (python-docx's Paragraph.text skips
    # runs inside w:hyperlink in some versions, so read the XML it exposes).
    document = docx.Document(str(path))
    paragraphs = document.element.body.iter(docx.oxml.ns.qn("w:p"))
    return "\n".join(squash("".join(t.text or "" for t in p.iter(docx.oxml.ns.qn("w:t"))))
                     for p in paragraphs)


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
    statement = squash(text[text.rindex(STATEMENT_HEADING):])   # past the contents list
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
