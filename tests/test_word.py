"""The `word` (clear print) and `large-print` stages, read back with python-docx/lxml and
converted by LibreOffice. Defect tests build a real document, break one thing in its XML and
assert the read-back check catches it."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from fixture_document import fixture_document
from lxml import etree

from pipeline.checks import word as word_check
from pipeline.document import BulletList, Document, Metadata, Paragraph, Table, TableCell, Text
from pipeline.errors import OptionsError, StageFailed
from pipeline.stage_api import BuildContext, make_options
from pipeline.stages import get
from pipeline.textcompare import in_order_recall, source_words, words

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {
    "w": W,
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
SLUG = "listening-together"


def q(tag: str) -> str:
    prefix, name = tag.split(":")
    return f"{{{NS[prefix]}}}{name}"


def build(doc: Document, stage_name: str, out_dir: Path, **settings: str):
    stage = get(stage_name)
    options = make_options(stage, settings)  # the path `--option large-print.font_size=24` takes
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = BuildContext(slug=SLUG, source=doc.source or out_dir / "x.md")
    paths = stage.build(doc, options, out_dir, ctx)
    return stage, options, paths, ctx


def run_check(stage_name: str, doc: Document, path: Path, **settings: str):
    stage = get(stage_name)
    options = make_options(stage, settings)
    return stage.check(doc, options, [path], BuildContext(slug=SLUG, source=path))


def part_xml(path: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(path) as archive:
        return etree.fromstring(archive.read(name))


def mutate(source: Path, target: Path, part: str, change: Callable[[etree._Element], None]) -> Path:
    """Copy a .docx with one XML part changed (the defect under test)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == part:
                root = etree.fromstring(data)
                change(root)
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            new.writestr(item, data)
    return target


def errors(result) -> list[str]:
    return [f.message for f in result.findings if f.severity == "error"]


def paragraph_with(root: etree._Element, text: str, last: bool = False) -> etree._Element:
    """The first (or last: past the contents list) paragraph containing text."""
    found = [p for p in root.iter(q("w:p")) if text in "".join(t.text or "" for t in p.iter(q("w:t")))]
    if not found:
        raise AssertionError(f"no paragraph containing {text!r}")
    return found[-1] if last else found[0]


def run_with(root: etree._Element, text: str) -> etree._Element:
    for run in root.iter(q("w:r")):
        if text in "".join(t.text or "" for t in run.iter(q("w:t"))):
            return run
    raise AssertionError(f"no run containing {text!r}")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fixture document built once by both stages: {stage name: (doc, path)}."""
    folder = tmp_path_factory.mktemp("word")
    doc = fixture_document(folder / "src")
    out = {}
    for name in ("word", "large-print"):
        _, _, paths, _ = build(doc, name, folder / name)
        out[name] = (doc, paths[0])
    return out


# ---------------------------------------------------------------- registry and options


def test_one_module_registers_both_stages_with_their_outputs(built):
    word, large = get("word"), get("large-print")
    assert word.build.__module__ == large.build.__module__ == "pipeline.stages.word"
    assert built["word"][1].name == f"{SLUG}.docx"
    assert built["large-print"][1].name == f"{SLUG}-large-print.docx"
    assert word.options().font_size == 14 and large.options().font_size == 18
    for stage in (word, large):
        fields = set(stage.options.__dataclass_fields__)
        assert fields == {
            "font_size",
            "font_family",
            "line_spacing",
            "paper_colour",
            "high_contrast",
            "link_addresses",
            "fit_figures",
        }
        assert stage.options().link_addresses is (stage is large)
        assert stage.media_types[".docx"].endswith("wordprocessingml.document")
        assert "python-docx" in stage.tool_versions()


@pytest.mark.parametrize(
    "stage_name, settings, message",
    [
        ("large-print", {"font_size": "12"}, "large print must be at least 16 pt; asked for 12"),
        ("large-print", {"font_size": "49"}, "at most 48"),
        ("word", {"font_size": "11"}, "clear print must be at least 12 pt; asked for 11"),
        ("word", {"line_spacing": "1.0"}, "line_spacing must be between 1.15 and 3"),
        ("word", {"paper_colour": "tartan"}, "paper colour 'tartan' is not one we know"),
        ("word", {"paper_colour": "#333333"}, "too dark for black text"),
        ("word", {"paper_colour": "cream", "high_contrast": "yes"}, "not both"),
        ("word", {"font_family": ""}, "font_family must be a font name"),
    ],
)
def test_invalid_options_are_refused_with_a_clear_message(stage_name, settings, message):
    with pytest.raises(OptionsError, match=re.escape(message)):
        make_options(get(stage_name), settings)


def test_option_values_by_name_are_accepted():
    stage = get("large-print")
    for colour in ("cream", "yellow", "blue", "pink", "white", "#FFFDD0", "FFFDD0"):
        assert make_options(stage, {"paper_colour": colour}).paper_colour == colour
    options = make_options(stage, {"font_size": "24", "high_contrast": "true", "line_spacing": "2"})
    assert (options.font_size, options.high_contrast, options.line_spacing) == (24, True, 2.0)
    with pytest.raises(ValueError, match="large print must be at least 16 pt; asked for 12"):
        stage.options(font_size=12)


# ---------------------------------------------------------------- both documents pass


@pytest.mark.parametrize("stage_name, minimum", [("word", 12), ("large-print", 18)])
def test_both_documents_pass_the_read_back_check(built, stage_name, minimum):
    doc, path = built[stage_name]
    result = run_check(stage_name, doc, path)
    assert result.passed, result.findings
    assert [f for f in result.findings if f.severity == "warning"] == []
    assert result.metrics["similarity"] >= 0.99
    assert result.metrics["footnote_similarity"] == 1.0
    assert result.metrics["smallest_text_pt"] >= minimum
    assert result.metrics["footnotes"] == 2
    assert result.metrics["pictures_described"] == 1 and result.metrics["pictures_decorative"] == 1


def test_reading_order_text_holds_the_source_words(built):
    doc, path = built["word"]
    text = word_check.reading_text(part_xml(path, "word/document.xml").find(q("w:body")))
    assert in_order_recall(source_words(doc), words(text)) == 1.0
    assert "Across five research bids" not in text  # notes are in footnotes.xml, not the body


# ---------------------------------------------------------------- every node kind, in the XML


def test_structure_screen_readers_navigate_by(built):
    doc, path = built["word"]
    document = docx.Document(str(path))
    styles = [(p.style.name, p.text) for p in document.paragraphs]
    assert ("Title", "Listening Together") in styles
    assert ("Subtitle", "A test report") in styles
    assert ("Heading 1", "Introduction") in styles
    assert ("Heading 2", "What we did") in styles
    assert ("Heading 3", "In pictures") in styles
    assert ("Quote", "Being asked made me feel I mattered.") in styles
    assert ("Caption", "Figure 1: Sessions in 2023") in styles
    assert ("Caption", "Table 1: Sessions by kind") in styles
    core = document.core_properties
    assert (core.title, core.language, core.author) == (
        "Listening Together",
        "en-GB",
        "Test Author; Second Author",
    )
    assert core.subject == "A short report used by the tests." and core.keywords == "co-production"
    body = part_xml(path, "word/document.xml")
    # Contents: links to bookmarks on the headings.
    anchors = [h.get(q("w:anchor")) for h in body.iter(q("w:hyperlink")) if h.get(q("w:anchor"))]
    bookmarks = {b.get(q("w:name")) for b in body.iter(q("w:bookmarkStart"))}
    assert {"introduction", "what_we_did", "in_pictures", "money"} <= set(anchors) <= bookmarks
    # Lists: real numbering with nesting levels, not typed bullets.
    # (the accessibility statement's feature list, after the report, is left out here)
    paragraphs = list(body.iter(q("w:p")))
    statement = max(
        i
        for i, p in enumerate(paragraphs)  # the heading, not its contents entry
        if "".join(p.itertext()).strip() == "Accessibility"
    )
    levels = {
        p.findtext(".//w:t", namespaces=NS): p.find("w:pPr/w:numPr/w:ilvl", NS).get(q("w:val"))
        for p in paragraphs[:statement]
        if p.find("w:pPr/w:numPr", NS) is not None
    }
    assert levels == {"Training sessions": "0", "Planning": "1", "Delivery": "1", "Talks and events": "0"}
    # External hyperlink with its text.
    link = next(h for h in body.iter(q("w:hyperlink")) if h.get(q("r:id")))
    assert "".join(link.itertext()) == "our impact page"
    assert document.part.rels[link.get(q("r:id"))].target_ref == "https://example.org/impact"


def test_footnotes_are_real_footnotes(built):
    _, path = built["word"]
    body = part_xml(path, "word/document.xml")
    references = [r.get(q("w:id")) for r in body.iter(q("w:footnoteReference"))]
    notes = part_xml(path, "word/footnotes.xml")
    texts = {
        n.get(q("w:id")): "".join(n.itertext()).strip()
        for n in notes.iter(q("w:footnote"))
        if n.get(q("w:type")) is None
    }
    assert [texts[i] for i in references] == ["Across five research bids.", "Compared with 2022."]
    for note in notes.iter(q("w:footnote")):
        if note.get(q("w:type")) is None:
            assert note.find(".//w:footnoteRef", NS) is not None


def test_inline_kinds(built):
    doc, path = built["large-print"]
    body = part_xml(path, "word/document.xml")
    # Span -> a run with w:lang cy-GB.
    assert run_with(body, "diolch").find("w:rPr/w:lang", NS).get(q("w:val")) == "cy-GB"
    # Code -> monospace at the body size (no smaller size set on the run).
    code = run_with(body, "make all")
    assert code.find("w:rPr/w:rFonts", NS).get(q("w:ascii")) == "Consolas"
    assert code.find("w:rPr/w:sz", NS) is None
    # LineBreak -> w:br inside the paragraph.
    assert paragraph_with(body, "Read more at").find(".//w:br", NS) is not None
    # Emphasis is bold, never italic, in large print.
    emphasis = run_with(body, "502 people")
    assert emphasis.find("w:rPr/w:b", NS) is not None and emphasis.find("w:rPr/w:i", NS) is None
    # NoteRef -> footnoteReference, bracketed at full size rather than superscript.
    styles = part_xml(path, "word/styles.xml")
    reference_style = styles.find(".//w:style[@w:styleId='footnotereference']", NS)
    assert reference_style.find("w:rPr/w:vertAlign", NS).get(q("w:val")) == "baseline"
    clear_body = part_xml(built["word"][1], "word/document.xml")
    assert run_with(clear_body, "502 people").find("w:rPr/w:i", NS) is not None


def test_block_kinds(built):
    _, path = built["word"]
    body = part_xml(path, "word/document.xml")
    # PageBreak -> page break before "Money"; ThematicBreak -> a border on it, no empty paragraph.
    money = paragraph_with(body, "Money", last=True)
    assert money.find("w:pPr/w:pageBreakBefore", NS) is not None
    assert money.find("w:pPr/w:pBdr/w:top", NS) is not None
    # Table: header row marked, caption and description, row headers bold.
    table = body.find(".//w:tbl", NS)
    rows = table.findall("w:tr", NS)
    assert rows[0].find("w:trPr/w:tblHeader", NS) is not None
    assert rows[1].find("w:trPr/w:tblHeader", NS) is None
    assert table.find("w:tblPr/w:tblCaption", NS).get(q("w:val")) == "Table 1: Sessions by kind"
    assert "first column heads each row" in table.find("w:tblPr/w:tblDescription", NS).get(q("w:val"))
    assert table.find("w:tblPr/w:tblLook", NS).get(q("w:firstColumn")) == "1"
    assert run_with(rows[1], "Training").find("w:rPr/w:b", NS) is not None
    assert run_with(rows[1], "21").find("w:rPr/w:b", NS) is None
    # Figures inline with alt text and title; the decorative one marked decorative.
    pictures = list(body.iter(q("wp:docPr")))
    assert not list(body.iter(q("wp:anchor")))
    drawing_ids = [picture.get("id") for picture in pictures]
    assert len(pictures) >= 2 and len(set(drawing_ids)) == len(drawing_ids), drawing_ids
    assert pictures[0].get("descr").startswith("Bar chart: 21 training sessions")
    assert pictures[0].get("title") == "Figure 1: Sessions in 2023"
    decorative = pictures[1].find(
        ".//{http://schemas.microsoft.com/office/drawing/2017/decorative}decorative"
    )
    assert decorative is not None and decorative.get("val") == "1"
    # The picture keeps with its caption.
    assert (
        pictures[0].getparent().getparent().getparent().getparent().find("w:pPr/w:keepNext", NS) is not None
    )


def test_page_setup_footer_and_statement(built):
    for name in ("word", "large-print"):
        _, path = built[name]
        section = docx.Document(str(path)).sections[0]
        assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
        footer = section.footer._element
        assert "PAGE" in " ".join(t.text or "" for t in footer.iter(q("w:instrText")))
        assert footer.find(".//w:pStyle", NS).get(q("w:val")) == "Footer"
    body = part_xml(built["large-print"][1], "word/document.xml")
    assert paragraph_with(body, "This is the large print Word version of Listening Together") is not None
    assert paragraph_with(body, "please contact formats@example.org") is not None


# ---------------------------------------------------------------- sizes and options


@pytest.mark.parametrize("size", ["24", "36"])
def test_large_print_at_24_and_36_pt_pass_the_check(tmp_path, doc, size):
    _, options, paths, ctx = build(doc, "large-print", tmp_path / size, font_size=size)
    result = get("large-print").check(doc, options, paths, ctx)
    assert result.passed, result.findings
    assert result.metrics["smallest_text_pt"] == int(size)
    styles = part_xml(paths[0], "word/styles.xml")
    heading = styles.find(".//w:style[@w:styleId='Heading1']/w:rPr/w:sz", NS)
    assert int(heading.get(q("w:val"))) / 2 - int(size) in range(2, 7)


def test_paper_colour_and_high_contrast(tmp_path, doc):
    _, options, paths, ctx = build(doc, "large-print", tmp_path / "cream", paper_colour="cream")
    assert get("large-print").check(doc, options, paths, ctx).passed
    assert part_xml(paths[0], "word/document.xml").find("w:background", NS).get(q("w:color")) == "FFFDD0"
    _, options, paths, ctx = build(doc, "large-print", tmp_path / "hc", high_contrast="yes")
    result = get("large-print").check(doc, options, paths, ctx)
    assert result.passed, result.findings
    root = part_xml(paths[0], "word/document.xml")
    assert root.find("w:background", NS).get(q("w:color")) == "000000"
    styles = part_xml(paths[0], "word/styles.xml")
    assert styles.find(".//w:docDefaults//w:color", NS).get(q("w:val")) == "FFFF00"


def test_wide_table_becomes_one_block_per_row_in_large_print(tmp_path):
    headers = [
        "Region",
        "Sessions",
        "Participants",
        "Volunteers",
        "Organisations",
        "Satisfaction",
        "Recommendation",
    ]
    rows = [
        ["Northumberland", "21", "502", "38", "12", "94%", "Definitely"],
        ["Pembrokeshire", "19", "1,482", "41", "9", "91%", "Probably"],
    ]
    cell = lambda text: TableCell((Paragraph((Text(text),)),))
    list_cell = TableCell(
        (
            Paragraph((Text("Notes"),)),
            BulletList(((Paragraph((Text("first point"),)),), (Paragraph((Text("second point"),)),))),
        )
    )
    table = Table(
        (Text("Table 2: Sessions by region"),),
        header_rows=(tuple(cell(h) for h in headers),),
        body_rows=tuple(tuple(cell(v) for v in row) for row in rows),
        row_headers=True,
    )
    small = Table(
        (Text("Table 3: Notes"),),
        header_rows=((cell("Kind"), cell("Detail")),),
        body_rows=((cell("Workshop"), list_cell),),
    )
    doc = Document(Metadata(title="Wide tables"), (table, small))
    _, options, paths, ctx = build(doc, "large-print", tmp_path / "lp")
    result = get("large-print").check(doc, options, paths, ctx)
    assert result.passed, result.findings
    assert result.metrics["similarity"] == 1.0
    body = part_xml(paths[0], "word/document.xml")
    tables = body.findall(".//w:tbl", NS)
    assert len(tables) == 1  # the 7-column table is re-laid out, the 2 not
    texts = ["".join(p.itertext()) for p in body.iter(q("w:p"))]
    assert "Region: Northumberland" in texts and "Recommendation: Definitely" in texts
    assert "Participants: 1,482" in texts
    first = paragraph_with(body, "Region: Northumberland")
    assert first.find("w:pPr/w:keepNext", NS) is not None  # a row keeps together
    # A list inside a cell is real numbering inside the cell.
    assert tables[0].find(".//w:numPr", NS) is not None
    # Clear print keeps both as grids (screen readers navigate tables), the wide one on
    # landscape pages of its own: a section break before it and after it, the page turned.
    _, options, paths, ctx = build(doc, "word", tmp_path / "word")
    result = get("word").check(doc, options, paths, ctx)
    assert result.passed and result.metrics["landscape_sections"] == 1, errors(result)
    body = part_xml(paths[0], "word/document.xml").find("w:body", NS)
    assert len(body.findall(".//w:tbl", NS)) == 2
    breaks = body.findall("w:p/w:pPr/w:sectPr", NS)
    assert len(breaks) == 2
    portrait, landscape = (b.find("w:pgSz", NS) for b in breaks)
    assert portrait.get(q("w:orient")) is None and int(portrait.get(q("w:w"))) < int(portrait.get(q("w:h")))
    assert landscape.get(q("w:orient")) == "landscape"
    assert int(landscape.get(q("w:w"))) > int(landscape.get(q("w:h")))
    final = body.find("w:sectPr/w:footerReference", NS).get(q("r:id"))
    assert all(b.find("w:footerReference", NS).get(q("r:id")) == final for b in breaks)
    # the wide table sits between the two breaks; its columns as wide as its longest words
    children = list(body)
    wide = body.findall("w:tbl", NS)[0]
    first, second = (children.index(b.getparent().getparent()) for b in breaks)
    assert first < children.index(wide) < second
    grid = [int(g.get(q("w:w"))) / 20 for g in wide.findall("w:tblGrid/w:gridCol", NS)]
    assert sum(grid) > 600 and min(grid) > 60, grid  # wider than any portrait text area
    # the check catches a turned page not marked landscape
    broken = mutate(
        paths[0],
        tmp_path / "unmarked.docx",
        "word/document.xml",
        lambda root: [
            size.attrib.pop(q("w:orient"))
            for size in root.iter(q("w:pgSz"))
            if size.get(q("w:orient")) == "landscape"
        ],
    )
    found = errors(run_check("word", doc, broken))
    assert any(e.startswith("a section's page shape and its orientation mark disagree") for e in found)


def test_missing_image_is_a_clear_stage_failure(tmp_path, doc):
    from dataclasses import replace

    from pipeline.document import Figure

    broken = replace(doc, blocks=(Figure(tmp_path / "nowhere.png", "A chart", ()),))
    with pytest.raises(StageFailed, match="image not found: .*nowhere.png"):
        build(broken, "word", tmp_path / "out")


# ---------------------------------------------------------------- defects the check must catch


def _remove_alt_text(root):
    picture = next(p for p in root.iter(q("wp:docPr")) if p.get("descr"))
    del picture.attrib["descr"]


def _footnote_at_12_pt(root):
    run = run_with(root, "Across five research bids")
    rpr = run.find("w:rPr", NS)
    if rpr is None:
        rpr = etree.SubElement(run, q("w:rPr"))
        run.insert(0, rpr)
    etree.SubElement(rpr, q("w:sz")).set(q("w:val"), "24")


def _footnote_style_at_12_pt(root):
    style = root.find(".//w:style[@w:styleId='footnotetext']", NS)
    style.find("w:rPr/w:sz", NS).set(q("w:val"), "24")


def _italic_run(root):
    run = run_with(root, "Bids won")
    rpr = run.find("w:rPr", NS)
    if rpr is None:
        rpr = etree.Element(q("w:rPr"))
        run.insert(0, rpr)
    rpr.insert(0, etree.Element(q("w:i")))


def _underlined_run(root):
    run = run_with(root, "Bids won")
    rpr = etree.Element(q("w:rPr"))
    etree.SubElement(rpr, q("w:u")).set(q("w:val"), "single")
    run.insert(0, rpr)


def _skip_heading_level(root):
    paragraph = paragraph_with(root, "What we did", last=True)
    paragraph.find("w:pPr/w:pStyle", NS).set(q("w:val"), "Heading4")


def _drop_table_header(root):
    header = root.find(".//w:tblHeader", NS)
    header.getparent().remove(header)


def _drop_document_language(root):
    lang = root.find(".//w:docDefaults//w:lang", NS)
    lang.getparent().remove(lang)


def _drop_span_language(root):
    lang = run_with(root, "diolch").find("w:rPr/w:lang", NS)
    lang.getparent().remove(lang)


def _justify(root):
    ppr = paragraph_with(root, "Bids won").find("w:pPr", NS)
    etree.SubElement(ppr, q("w:jc")).set(q("w:val"), "both")


def _empty_spacer(root):
    paragraph_with(root, "Bids won").addprevious(etree.Element(q("w:p")))


def _drop_paragraph(root):
    paragraph = paragraph_with(root, "Bids won")
    paragraph.getparent().remove(paragraph)


def _float_picture(root):
    inline = next(root.iter(q("wp:inline")))
    inline.tag = q("wp:anchor")


def _shrink_picture(root):
    extent = next(e for e in root.iter(q("wp:extent")) if int(e.get("cy")) > 1_000_000)
    extent.set("cx", str(int(extent.get("cx")) // 2))
    extent.set("cy", str(int(extent.get("cy")) // 2))


def _split_picture_from_caption(root):
    keep = next(root.iter(q("wp:inline"))).getparent().getparent().getparent().find("w:pPr/w:keepNext", NS)
    keep.getparent().remove(keep)


def _heading_loses_its_style(root):
    """ "Introduction" as Normal text: the count of Heading paragraphs would still reach the
    report's because the stage adds Contents and Accessibility headings."""
    paragraph = paragraph_with(root, "Introduction", last=True)
    style = paragraph.find("w:pPr/w:pStyle", NS)
    style.getparent().remove(style)


def _statement_bullet_loses_numbering(root):
    numbering = paragraph_with(root, "Footnotes linked to their place").find("w:pPr/w:numPr", NS)
    numbering.getparent().remove(numbering)


def _report_item_loses_numbering(root):
    numbering = paragraph_with(root, "Talks and events").find("w:pPr/w:numPr", NS)
    numbering.getparent().remove(numbering)


def _contact_link_unlinked(root):
    """The statement's contact as plain text: the report's own link count alone would pass."""
    link = next(
        h
        for h in root.iter(q("w:hyperlink"))
        if "formats@example.org" in "".join(t.text or "" for t in h.iter(q("w:t")))
    )
    for run in list(link):
        link.addprevious(run)
    link.getparent().remove(link)


def _duplicate_drawing_id(root):
    """The second picture given the first one's drawing id (Word says such a file is damaged)."""
    first, second = list(root.iter(q("wp:docPr")))[:2]
    second.set("id", first.get("id"))


DEFECTS = [
    ("heading as Normal text", "word/document.xml", _heading_loses_its_style, "not the report's headings"),
    (
        "statement bullet without numbering",
        "word/document.xml",
        _statement_bullet_loses_numbering,
        "accessibility statement's",
    ),
    (
        "report list item without numbering",
        "word/document.xml",
        _report_item_loses_numbering,
        "use Word list numbering; the report has 4 list items",
    ),
    ("statement contact not a link", "word/document.xml", _contact_link_unlinked, "external hyperlinks"),
    ("picture narrower than the page", "word/document.xml", _shrink_picture, "narrower than the text width"),
    (
        "picture split from caption",
        "word/document.xml",
        _split_picture_from_caption,
        "split from its caption",
    ),
    ("picture without alt text", "word/document.xml", _remove_alt_text, "no alt text"),
    ("12 pt footnote run", "word/footnotes.xml", _footnote_at_12_pt, "smaller than 18 pt"),
    ("12 pt footnote style", "word/styles.xml", _footnote_style_at_12_pt, "smaller than 18 pt"),
    ("italic run", "word/document.xml", _italic_run, "italic text in large print"),
    ("underlined run", "word/document.xml", _underlined_run, "underlined text"),
    ("skipped heading level", "word/document.xml", _skip_heading_level, "skips a level"),
    ("table without header row", "word/document.xml", _drop_table_header, "without a header row"),
    ("missing document language", "word/styles.xml", _drop_document_language, "missing document language"),
    ("Welsh without w:lang", "word/document.xml", _drop_span_language, "not marked with w:lang"),
    ("justified paragraph", "word/document.xml", _justify, "justified"),
    ("empty spacer paragraph", "word/document.xml", _empty_spacer, "empty paragraph"),
    ("missing text", "word/document.xml", _drop_paragraph, "of the report's words in order"),
    ("floating picture", "word/document.xml", _float_picture, "floating picture"),
    ("two pictures with one drawing id", "word/document.xml", _duplicate_drawing_id, "the same drawing id"),
]


def test_heading_check_compares_levels_and_words_exactly(built):
    doc, path = built["word"]
    headings = word_check.expected_headings(doc)
    assert headings[0] == (1, "Contents") and headings[-1] == (1, "Accessibility")
    assert headings[1:-1] == [(1, "Introduction"), (2, "What we did"), (3, "In pictures"), (1, "Money")]


@pytest.mark.parametrize("label, part, change, message", DEFECTS, ids=[d[0] for d in DEFECTS])
def test_check_catches_defect(built, tmp_path, label, part, change, message):
    doc, path = built["large-print"]
    broken = mutate(path, tmp_path / "broken.docx", part, change)
    found = errors(run_check("large-print", doc, broken))
    assert any(message in text for text in found), found


# ---------------------------------------------------------------- LibreOffice

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.slow
@pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice (soffice) is not installed here; CI installs libreoffice-writer-nogui",
)
@pytest.mark.parametrize("stage_name", ["word", "large-print"])
def test_libreoffice_converts_both_documents(built, tmp_path, stage_name):
    doc, path = built[stage_name]
    profile = tmp_path / "profile"
    done = subprocess.run(
        [
            SOFFICE,
            "--headless",
            f"-env:UserInstallation=file://{profile}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    pdf = tmp_path / (path.stem + ".pdf")
    assert done.returncode == 0 and pdf.exists(), done.stderr
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    # -layout keeps each table row on one line (plain mode reads a table column by column).
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert in_order_recall(source_words(doc), words(text)) >= 0.99
    assert "Across five research bids" in text  # the footnote made it too
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "A4" in info
