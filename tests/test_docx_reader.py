"""The Word reader: Pandoc's test documents, the author-facing checks, and hostile files.

Small documents are made here with python-docx (and a little raw WordprocessingML where
python-docx has no API, e.g. tracked changes), so no binary fixtures are committed.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from pandoc_native import meta_agrees, ours, parse_native, theirs
from PIL import Image

from pipeline.document import (
    BulletList,
    Figure,
    Footnotes,
    Heading,
    Link,
    OrderedList,
    PageBreak,
    Paragraph,
    Quote,
    Span,
    Strong,
    Table,
    Text,
    inline_text,
    iter_blocks,
)
from pipeline.errors import SourceError
from pipeline.readers.docx import parse_docx, read_docx
from pipeline.readers.docx.images import cache_folder
from pipeline.readers.docx.package import MAX_RATIO

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "pandoc-docx"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus/pandoc-docx")
CORPUS_FILES = sorted(CORPUS.glob("*.docx"))

# Where our reading differs from Pandoc's on purpose. Each entry: why, and the one adjustment of
# Pandoc's side that undoes exactly that difference (the test checks both: that the difference is
# real, and that nothing else differs).
KNOWN_DIFFERENCES = {
    "comments": (
        "Pandoc's reading keeps comment text (comment-start spans); comments are "
        "notes to co-authors, not the report, so we ignore them",
        {"drop_span_classes": frozenset({"comment-start"})},
    ),
    "track_changes_scrubbed_metadata": (
        "Pandoc's expected reading shows every tracked change (--track-changes=all) and the "
        "comment; we read the document as if all changes were accepted",
        {"drop_span_classes": frozenset({"deletion", "comment-start"})},
    ),
    "definition_list": (
        "our model has no definition list: Word's Definition Term / "
        "Definition paragraphs are read as plain paragraphs in order",
        {"flatten_definition_lists": True},
    ),
    "table_captions_with_field": (
        "'See Table 1' links to a bookmark on a table caption; our internal links point at "
        "headings, and no heading comes before these tables, so the words stay and the link "
        "goes (a link that leads nowhere is worse than plain text)",
        {"unlink_internal": True},
    ),
}


def _read_corpus(name: str):
    reading = parse_docx(CORPUS / f"{name}.docx")
    assert reading.document is not None, reading.problems
    native = parse_native((CORPUS / f"{name}.native").read_text(encoding="utf-8"))
    return reading, native


def _agrees(document, native, **adjust) -> bool:
    mine, pandoc = ours(document), theirs(native, **adjust)
    return (
        mine["blocks"] == pandoc["blocks"]
        and mine["notes"] == pandoc["notes"]
        and meta_agrees(mine["meta"], pandoc["meta"])
    )


# ---------------------------------------------------------------- the corpus


def test_corpus_is_complete():
    assert len(CORPUS_FILES) == 32
    assert all(path.with_suffix(".native").is_file() for path in CORPUS_FILES)


@pytest.mark.parametrize("name", [path.stem for path in CORPUS_FILES])
def test_corpus_file_agrees_with_pandoc_or_differs_as_named(name):
    reading, native = _read_corpus(name)
    if name in KNOWN_DIFFERENCES:
        _why, adjustment = KNOWN_DIFFERENCES[name]
        assert not _agrees(reading.document, native), f"{name} now agrees: drop its entry"
        assert _agrees(reading.document, native, **adjustment), (
            f"{name} differs from Pandoc by more than the named difference"
        )
    else:
        mine, pandoc = ours(reading.document), theirs(native)
        assert mine["blocks"] == pandoc["blocks"]
        assert mine["notes"] == pandoc["notes"]
        assert meta_agrees(mine["meta"], pandoc["meta"])


def test_at_least_27_of_32_agree_and_each_other_is_named():
    agreeing, differing = [], []
    for path in CORPUS_FILES:
        reading, native = _read_corpus(path.stem)
        (agreeing if _agrees(reading.document, native) else differing).append(path.stem)
    assert len(agreeing) >= 27, differing
    assert set(differing) == set(KNOWN_DIFFERENCES)


def test_corpus_structure_is_really_compared():
    """The comparison sees nesting, list starts and table spans (it would catch a flat reader)."""
    lists, _ = _read_corpus("lists")
    nested = lists.document.blocks[2]
    assert isinstance(nested, BulletList)
    inner = nested.items[1][1]
    assert isinstance(inner, BulletList) and isinstance(inner.items[0][1], BulletList)
    assert [inline_text(p.inlines) for p in inner.items[0][1].items[0]] == ["four", "Sub paragraph"]
    continuing, _ = _read_corpus("lists_continuing")
    assert [b.start for b in continuing.document.blocks if isinstance(b, OrderedList)] == [1, 4]
    restarting, _ = _read_corpus("lists_restarting")
    assert [b.start for b in restarting.document.blocks if isinstance(b, OrderedList)] == [2, 1]
    spans, _ = _read_corpus("table_header_rowspan")
    table = spans.document.blocks[0]
    assert isinstance(table, Table)
    assert any(cell.rowspan == 2 for cell in table.header_rows[0])
    assert any(cell.colspan > 1 for row in table.header_rows for cell in row)


def test_corpus_notes_links_metadata_and_pictures():
    notes, _ = _read_corpus("notes")
    footnotes = notes.document.blocks[-1]
    assert isinstance(footnotes, Footnotes)
    assert [inline_text(n.blocks[0].inlines) for n in footnotes.notes] == [
        "My note.",
        "This is an endnote at the end of the document.",
    ]
    assert [n.note_id[:2] for n in footnotes.notes] == ["fn", "en"]

    links, _ = _read_corpus("links")
    urls = [
        node.url
        for block in links.document.blocks
        if isinstance(block, Paragraph)
        for node in block.inlines
        if isinstance(node, Link)
    ]
    assert urls == [
        "http://google.com",
        "http://pandoc.org/README.html#synopsis",
        "#a-section-for-testing-link-targets",
        "#a-section-for-testing-link-targets",
    ]
    heading_ids = {b.id for b in links.document.blocks if isinstance(b, Heading)}
    assert "a-section-for-testing-link-targets" in heading_ids

    metadata, _ = _read_corpus("metadata")
    meta = metadata.document.meta
    assert meta.title == "This Is the Title"
    assert meta.authors == ("Mary Ann Evans", "Aurore Dupin")
    assert meta.date == "2014-07-28"

    images, _ = _read_corpus("inline_images")
    figures = [b for b in iter_blocks(images.document.blocks) if isinstance(b, Figure)]
    assert [f.alt for f in figures] == [
        "This one is green and looks like Sideshow Bob.",
        "This one is reddish, and looks like a heart that has leaked out.",
    ]
    for figure in figures:
        assert figure.src.is_absolute() and figure.src.is_file()
        assert figure.src.parent.parent == cache_folder("x").parent
        with Image.open(figure.src) as image:
            assert image.width > 0


def test_corpus_picture_without_alt_is_reported_with_place():
    reading, _ = _read_corpus("image_vml")
    problems = [p for p in reading.problems if "alt text" in p.message]
    assert len(problems) == 1
    assert problems[0].line == 3
    assert "after 'It should follow below:'" in problems[0].message
    assert "Edit Alt Text" in problems[0].fix and "Mark as decorative" in problems[0].fix


# ---------------------------------------------------------------- building small documents


def _png(tmp_path: Path, name: str = "chart.png", colour: str = "navy") -> Path:
    path = tmp_path / name
    Image.new("RGB", (40, 30), colour).save(path)
    return path


def _new(title: str | None = "Listening Together") -> docx.document.Document:
    document = docx.Document()
    if title is not None:
        document.add_paragraph(title, style="Title")
    return document


def _save(document, tmp_path: Path, name: str = "report.docx") -> Path:
    path = tmp_path / name
    document.save(str(path))
    return path


def _problems(path: Path) -> list:
    with pytest.raises(SourceError) as raised:
        read_docx(path)
    return raised.value.problems


def _set_alt(run, *, descr: str | None = None, title: str | None = None, decorative: bool = False) -> None:
    doc_pr = run._r.xpath(".//wp:docPr")[0]
    if descr is not None:
        doc_pr.set("descr", descr)
    if title is not None:
        doc_pr.set("title", title)
    if decorative:
        doc_pr.append(
            parse_xml(
                '<a:extLst xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
                '<a:ext uri="{C183D7F6-B498-43B3-948B-1728B52AA6E4}">'
                '<adec:decorative xmlns:adec="http://schemas.microsoft.com/office/drawing/2017/'
                'decorative" val="1"/></a:ext></a:extLst>'
            )
        )


def _no_header_row(table) -> None:
    look = table._tbl.tblPr.find(qn("w:tblLook"))
    look.set(qn("w:firstRow"), "0")
    look.set(qn("w:val"), "0000")


def _valid_document(tmp_path: Path) -> Path:
    document = _new()
    document.add_heading("Introduction", level=1)
    document.add_paragraph("Figure 1 shows the sessions we ran in 2023.")
    run = document.add_paragraph().add_run()
    run.add_picture(str(_png(tmp_path)))
    _set_alt(run, descr="Bar chart: 21 training sessions and 19 talks.")
    document.add_paragraph("Figure 1: Sessions in 2023", style="Caption")
    document.add_heading("Money", level=2)
    table = document.add_table(rows=2, cols=2)
    for cell, text in zip(table.rows[0].cells + table.rows[1].cells, ["Kind", "Sessions", "Training", "21"]):
        cell.text = text
    return _save(document, tmp_path)


def test_a_clean_document_reads_without_problems(tmp_path):
    doc = read_docx(_valid_document(tmp_path))
    assert doc.meta.title == "Listening Together"
    assert doc.meta.language == "en-US"  # python-docx's template: docDefaults w:lang en-US
    figure = next(b for b in doc.blocks if isinstance(b, Figure))
    assert figure.alt == "Bar chart: 21 training sessions and 19 talks."
    assert inline_text(figure.caption) == "Figure 1: Sessions in 2023"
    table = next(b for b in doc.blocks if isinstance(b, Table))
    assert len(table.header_rows) == 1 and len(table.body_rows) == 1
    assert [h.id for h in doc.blocks if isinstance(h, Heading)] == ["introduction", "money"]


# ---------------------------------------------------------------- validation, in Word's words


def test_picture_without_alt_text_names_paragraph_and_words(tmp_path):
    document = _new()
    document.add_heading("Results", level=1)
    document.add_paragraph("Figure 1 shows the number of sessions by month in 2023.")
    document.add_paragraph().add_run().add_picture(str(_png(tmp_path)))
    problems = _problems(_save(document, tmp_path))
    assert len(problems) == 1
    problem = problems[0]
    assert problem.line == 4  # Title, heading, text, then the picture's paragraph
    assert problem.message == "the picture after 'Figure 1 shows the number...' has no alt text"
    assert problem.fix.startswith("right-click the picture > Edit Alt Text")
    assert "Mark as decorative" in problem.fix
    assert str(problem).startswith(f"{tmp_path / 'report.docx'}:4: ")


def test_decorative_picture_and_title_fallback_need_no_alt(tmp_path):
    document = _new()
    document.add_heading("Results", level=1)
    border = document.add_paragraph().add_run()
    border.add_picture(str(_png(tmp_path, "border.png", "gold")))
    _set_alt(border, decorative=True)
    titled = document.add_paragraph("Sessions: ").add_run()
    titled.add_picture(str(_png(tmp_path)))
    _set_alt(titled, title="Sessions by month")
    doc = read_docx(_save(document, tmp_path))
    figures = [b for b in doc.blocks if isinstance(b, Figure)]
    assert [(f.decorative, f.alt) for f in figures] == [(True, ""), (False, "Sessions by month")]
    assert figures[0].src.read_bytes() != figures[1].src.read_bytes()


def test_bold_normal_paragraph_that_looks_like_a_heading(tmp_path):
    document = _new()
    document.add_heading("Introduction", level=1)
    document.add_paragraph("We ran many sessions this year.")
    document.add_paragraph().add_run("Our partners").bold = True
    document.add_paragraph("We worked with twelve groups.")
    sentence = document.add_paragraph().add_run("This whole sentence is bold for emphasis.")
    sentence.bold = True
    problems = _problems(_save(document, tmp_path))
    assert len(problems) == 1
    assert problems[0].line == 4
    assert problems[0].message == (
        "the paragraph 'Our partners' looks like a heading (bold "
        "text on a line of its own) but uses the Normal style"
    )
    assert "Home > Styles" in problems[0].fix and "Heading 2" in problems[0].fix


def test_skipped_heading_level(tmp_path):
    document = _new()
    document.add_heading("Introduction", level=1)
    document.add_heading("Method in detail", level=3)
    document.add_paragraph("Text.")
    problems = _problems(_save(document, tmp_path))
    assert len(problems) == 1
    assert problems[0].line == 3
    assert problems[0].message == (
        "the heading 'Method in detail' is Heading 3, but the heading "
        "before it, 'Introduction', is Heading 1, so a level is "
        "skipped"
    )
    assert "make it Heading 2" in problems[0].fix


def test_table_without_header_row(tmp_path):
    document = _new()
    document.add_heading("Money", level=1)
    document.add_paragraph("The table below shows income by source.")
    table = document.add_table(rows=2, cols=2)
    for cell, text in zip(table.rows[0].cells + table.rows[1].cells, ["A", "1", "B", "2"]):
        cell.text = text
    _no_header_row(table)
    problems = _problems(_save(document, tmp_path))
    assert len(problems) == 1
    assert problems[0].line == 4  # the table's first paragraph
    assert problems[0].message == ("the table after 'The table below shows income...' has no header row")
    assert "Header Row" in problems[0].fix and "Repeat Header Rows" in problems[0].fix


def test_empty_title(tmp_path):
    document = _new(title=None)
    document.add_heading("Introduction", level=1)
    document.add_paragraph("Text.")
    problems = _problems(_save(document, tmp_path))
    assert len(problems) == 1
    assert problems[0].line is None
    assert problems[0].message == "the document has no title"
    assert "Title style" in problems[0].fix and "File > Info > Properties" in problems[0].fix


def test_all_problems_are_reported_together(tmp_path):
    document = _new(title=None)
    document.add_heading("Deep start", level=2)
    document.add_paragraph().add_run().add_picture(str(_png(tmp_path)))
    document.add_paragraph().add_run("Fake heading").bold = True
    document.add_paragraph("More text.")
    problems = _problems(_save(document, tmp_path))
    messages = " | ".join(p.message for p in problems)
    assert len(problems) == 4, messages
    assert "no title" in messages and "Heading 2" in messages
    assert "no alt text" in messages and "looks like a heading" in messages


def test_title_from_core_properties_counts(tmp_path):
    document = _new(title=None)
    document.core_properties.title = "From the properties"
    document.add_heading("Introduction", level=1)
    assert read_docx(_save(document, tmp_path)).meta.title == "From the properties"


# ---------------------------------------------------------------- structure from Word


def test_lists_nest_restart_and_sit_in_cells(tmp_path):
    document = _new()
    document.add_heading("Lists", level=1)
    document.add_paragraph("First", style="List Number")
    document.add_paragraph("Second", style="List Number")
    point = document.add_paragraph("A point", style="List Bullet")
    point._p.get_or_add_pPr().get_or_add_numPr().get_or_add_ilvl().val = 1  # Tab in Word
    document.add_paragraph("Third", style="List Number")
    table = document.add_table(rows=2, cols=1)
    table.rows[0].cells[0].text = "Header"
    cell = table.rows[1].cells[0]
    cell.paragraphs[0].text = "Cell item one"
    cell.paragraphs[0].style = document.styles["List Bullet"]
    cell.add_paragraph("Cell item two", style="List Bullet")
    doc = read_docx(_save(document, tmp_path))
    numbered = next(b for b in doc.blocks if isinstance(b, OrderedList))
    assert [inline_text(item[0].inlines) for item in numbered.items] == ["First", "Second", "Third"]
    assert isinstance(numbered.items[1][1], BulletList)
    table = next(b for b in doc.blocks if isinstance(b, Table))
    cell_list = table.body_rows[0][0].blocks[0]
    assert isinstance(cell_list, BulletList) and len(cell_list.items) == 2


def test_merged_cells_become_spans(tmp_path):
    document = _new()
    document.add_heading("Table", level=1)
    table = document.add_table(rows=3, cols=3)
    for row_index, row in enumerate(table.rows):
        for column, cell in enumerate(row.cells):
            cell.text = f"r{row_index}c{column}"
    table.cell(0, 0).merge(table.cell(0, 1))  # gridSpan 2
    table.cell(1, 0).merge(table.cell(2, 0))  # vMerge restart/continue
    doc = read_docx(_save(document, tmp_path))
    table = next(b for b in doc.blocks if isinstance(b, Table))
    assert [(c.colspan, c.rowspan) for c in table.header_rows[0]] == [(2, 1), (1, 1)]
    assert [(c.colspan, c.rowspan) for c in table.body_rows[0]] == [(1, 2), (1, 1), (1, 1)]
    assert [(c.colspan, c.rowspan) for c in table.body_rows[1]] == [(1, 1), (1, 1)]


def _append_xml(paragraph, xml: str) -> None:
    for element in parse_xml(f"<w:wrap {nsdecls('w', 'r')}>{xml}</w:wrap>"):
        paragraph._p.append(element)


def test_tracked_changes_fields_controls_and_languages(tmp_path):
    document = _new()
    document.add_heading("Words", level=1)
    changed = document.add_paragraph()
    _append_xml(
        changed,
        '<w:r><w:t xml:space="preserve">We ran </w:t></w:r>'
        '<w:del w:id="1" w:author="A"><w:r><w:delText>twenty</w:delText></w:r>'
        '</w:del><w:ins w:id="2" w:author="A"><w:r><w:t>21</w:t></w:r></w:ins>'
        '<w:r><w:t xml:space="preserve"> sessions</w:t></w:r>'
        '<w:commentRangeStart w:id="3"/><w:r><w:commentReference w:id="3"/>'
        "</w:r>",
    )
    field = document.add_paragraph()
    _append_xml(
        field,
        '<w:r><w:t xml:space="preserve">See </w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> HYPERLINK "https://example.org/'
        'impact" </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/>'
        "</w:r><w:r><w:t>our impact page</w:t></w:r>"
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        '<w:sdt><w:sdtContent><w:r><w:t xml:space="preserve"> today</w:t></w:r>'
        "</w:sdtContent></w:sdt>",
    )
    welsh = document.add_paragraph()
    _append_xml(
        welsh,
        '<w:r><w:t xml:space="preserve">Thank you is </w:t></w:r>'
        '<w:r><w:rPr><w:lang w:val="cy-GB"/></w:rPr><w:t>diolch</w:t></w:r>'
        '<w:r><w:rPr><w:lang w:val="en-GB"/></w:rPr><w:t xml:space="preserve">'
        " and colour</w:t></w:r>",
    )
    broken = document.add_paragraph("Before the break")
    broken.runs[0].add_break(WD_BREAK.PAGE)
    broken.add_run("after the break")
    doc = read_docx(_save(document, tmp_path))
    texts = [inline_text(b.inlines) for b in doc.blocks if isinstance(b, Paragraph)]
    assert texts[0] == "We ran 21 sessions"
    link_paragraph = [b for b in doc.blocks if isinstance(b, Paragraph)][1]
    assert Link("https://example.org/impact", (Text("our impact page"),)) in link_paragraph.inlines
    assert texts[1] == "See our impact page today"
    welsh_paragraph = [b for b in doc.blocks if isinstance(b, Paragraph)][2]
    assert Span((Text("diolch"),), "cy-GB") in welsh_paragraph.inlines
    assert not any(
        isinstance(i, Span) and i.lang.startswith("en") for i in welsh_paragraph.inlines
    )  # en-GB in an en-US document: no switch
    tail = list(doc.blocks[-3:])
    assert isinstance(tail[1], PageBreak)
    assert [inline_text(tail[0].inlines), inline_text(tail[2].inlines)] == [
        "Before the break",
        "after the break",
    ]


def test_quotes_bold_and_italic(tmp_path):
    document = _new()
    document.add_heading("Voices", level=1)
    paragraph = document.add_paragraph()
    paragraph.add_run("Very ").bold = True
    both = paragraph.add_run("important results.")
    both.bold = both.italic = True
    document.add_paragraph("Being asked made me feel I mattered.", style="Quote")
    document.add_paragraph("It changed how we work.", style="Intense Quote")
    doc = read_docx(_save(document, tmp_path))
    strong = doc.blocks[1].inlines[0]
    assert isinstance(strong, Strong) and inline_text(strong.inlines) == "Very important results."
    quote = doc.blocks[2]
    assert isinstance(quote, Quote) and len(quote.blocks) == 2


def test_sidecar_wins_over_core_properties(tmp_path):
    document = _new(title=None)
    document.core_properties.title = "Old template title"
    document.core_properties.author = "Microsoft Office User"
    document.core_properties.keywords = "co-production; listening"
    document.add_heading("Introduction", level=1)
    path = _save(document, tmp_path, "impact-2023.docx")
    (tmp_path / "impact-2023.yaml").write_text(
        "title: Listening Together\nauthors: [Test Author]\naliases: [the listening report]\n"
        "contact: formats@example.org\nlanguage: cy\ndate: 2024-03-01\n"
        "pronunciations:\n  NHS: N H S\n",
        encoding="utf-8",
    )
    meta = read_docx(path).meta
    assert meta.title == "Listening Together"
    assert meta.authors == ("Test Author",)
    assert meta.aliases == ("the listening report",)
    assert meta.contact == "formats@example.org"
    assert meta.language == "cy"
    assert meta.date == "2024-03-01"
    assert meta.pronunciations == (("NHS", "N H S"),)
    assert meta.keywords == ("co-production", "listening")  # from core properties


def test_sidecar_mistakes_are_problems(tmp_path):
    path = _valid_document(tmp_path)
    (tmp_path / "report.yaml").write_text(
        "contcat: x@example.org\nlanguage: not a language\n", encoding="utf-8"
    )
    messages = [p.message for p in _problems(path)]
    assert "unknown metadata key 'contcat'" in messages
    assert "'not a language' is not a language tag" in messages


def test_pictures_are_content_addressed_and_reused(tmp_path):
    path = _valid_document(tmp_path)
    first = next(b for b in read_docx(path).blocks if isinstance(b, Figure)).src
    second = next(b for b in read_docx(path).blocks if isinstance(b, Figure)).src
    assert first == second and first.is_file()
    import hashlib

    assert first.parent.name == hashlib.sha256(path.read_bytes()).hexdigest()
    assert tmp_path not in first.parents  # nothing written beside the source


# ---------------------------------------------------------------- hostile and broken files


def _single_problem(path: Path) -> str:
    problems = _problems(path)
    assert len(problems) == 1 and problems[0].line is None
    return str(problems[0])


def test_corrupt_docx(tmp_path):
    good = _valid_document(tmp_path).read_bytes()
    broken = tmp_path / "broken.docx"
    broken.write_bytes(good[: len(good) // 2])
    text = _single_problem(broken)
    assert "damaged" in text or "not a Word .docx file" in text
    assert "Traceback" not in text


def test_renamed_zip_of_something_else(tmp_path):
    renamed = tmp_path / "photos.docx"
    with zipfile.ZipFile(renamed, "w") as archive:
        archive.writestr("holiday.txt", "not a report")
    assert "zip archive, not a Word document" in _single_problem(renamed)

    workbook = tmp_path / "budget.docx"
    with zipfile.ZipFile(workbook, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert "an Excel workbook, not a Word document" in _single_problem(workbook)

    old_doc = tmp_path / "old.docx"
    old_doc.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    assert "older Word .doc" in _single_problem(old_doc)


def test_zip_bomb_is_refused_before_reading(tmp_path):
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        with archive.open("word/document.xml", "w") as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(16):
                member.write(chunk)
    info = zipfile.ZipFile(bomb).getinfo("word/document.xml")
    assert info.file_size / info.compress_size > MAX_RATIO
    text = _single_problem(bomb)
    assert "zip bomb" in text and "word/document.xml" in text


def test_declared_size_over_the_cap_is_refused(tmp_path, monkeypatch):
    from pipeline.readers.docx import package

    monkeypatch.setattr(package, "MAX_MEMBER_BYTES", 1000)
    assert "zip bomb" in _single_problem(_valid_document(tmp_path))


def test_missing_file(tmp_path):
    assert "does not exist" in _single_problem(tmp_path / "nothing.docx")


def test_parse_returns_document_with_problems(tmp_path):
    document = _new(title=None)
    document.add_heading("Introduction", level=1)
    reading = parse_docx(_save(document, tmp_path))
    assert reading.document is not None and len(reading.problems) == 1


def test_damaged_part_inside_a_valid_zip(tmp_path):
    good = _valid_document(tmp_path)
    damaged = tmp_path / "damaged.docx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "word/styles.xml":
                data = data[: len(data) // 2]
            target.writestr(info, data)
    assert "damaged" in _single_problem(damaged)


def test_a_picture_too_large_to_decode_safely_is_unusable_not_a_crash():
    import io
    import struct
    import zlib

    from PIL import Image as PILImage

    from pipeline.readers.docx.images import ImageStore, PictureUnusable

    buffer = io.BytesIO()
    PILImage.new("RGB", (1, 1)).save(buffer, "PNG")
    png = bytearray(buffer.getvalue())
    header = b"IHDR" + struct.pack(">II", 30000, 30000) + bytes(png[24:29])  # claims 30000²
    png[12:29] = header
    png[29:33] = struct.pack(">I", zlib.crc32(header))
    with pytest.raises(PictureUnusable):
        ImageStore("0" * 64).extract("word/media/huge.png", bytes(png))
