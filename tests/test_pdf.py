"""The screen-reader PDF: built from the fixture, read back by our check and by independent readers
(poppler, pdf.js), and deliberately broken to show the check catches each defect."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from fixture_document import fixture_document

from pipeline import textcompare
from pipeline.checks.pdf import check_pdf, expected_headings
from pipeline.document import Figure, figures
from pipeline.errors import OptionsError
from pipeline.stage_api import BuildContext, PageMap, make_options
from pipeline.stages import get

ROOT = Path(__file__).resolve().parent.parent
PDFJS_SCRIPT = ROOT / "tools" / "pdfjs" / "struct-tree.mjs"
PDFJS_MODULES = ROOT / "tools" / "pdfjs" / "node_modules" / "pdfjs-dist"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One real build of the fixture document, shared by the read-back tests."""
    folder = tmp_path_factory.mktemp("pdf")
    doc = fixture_document(folder / "src")
    ctx = BuildContext(slug="listening-together", source=doc.source)
    out = folder / "out"
    out.mkdir()
    stage = get("pdf")
    return doc, stage.build(doc, stage.options(), out, ctx)


def pdf_of(paths: list[Path]) -> Path:
    return next(path for path in paths if path.suffix == ".pdf")


# ---------------------------------------------------------------- build and check


def test_fixture_builds_and_passes_its_check(doc, ctx, tmp_path):
    stage = get("pdf")
    options = stage.options()
    paths = stage.build(doc, options, tmp_path, ctx)
    assert sorted(path.name for path in paths) == [
        "listening-together.pagemap.json",
        "listening-together.pdf",
    ]
    result = stage.check(doc, options, paths, ctx)
    assert result.passed, result.findings
    assert result.metrics["similarity"] >= 0.99
    assert result.metrics["untagged_marks"] == 0
    assert all("Helvetica" not in font for font in result.metrics["fonts"])
    assert set(stage.media_types) >= {".pdf", ".json"}


def test_catalog_and_metadata(built):
    doc, paths = built
    with pikepdf.open(pdf_of(paths)) as pdf:
        assert pdf.pdf_version == "1.7"
        assert str(pdf.Root.Lang) == "en-GB"
        assert bool(pdf.Root.MarkInfo.Marked)
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle)
        assert str(pdf.docinfo.Title) == doc.meta.title
        meta = pdf.open_metadata()
        assert str(meta["pdfuaid:part"]) == "1"
        assert all(page.obj.Tabs == pikepdf.Name.S for page in pdf.pages)
        outline_titles = []
        with pdf.open_outline() as outline:

            def walk(items):
                for item in items:
                    outline_titles.append(item.title)
                    walk(item.children)

            walk(outline.root)
        assert outline_titles == [text for _, text in expected_headings(doc)]
        # Every link annotation has /Contents and a /StructParent.
        annotations = [a for page in pdf.pages for a in page.obj.get("/Annots", [])]
        assert annotations and all("/StructParent" in a and "/Contents" in a for a in annotations)


def test_page_map_points_at_blocks_on_their_pages(built):
    doc, paths = built
    page_map = PageMap.read(next(path for path in paths if path.suffix == ".json"))
    assert page_map.pdf_name == "listening-together.pdf"
    pages = [start.page for start in page_map.pages]
    blocks = [start.block_index for start in page_map.pages]
    assert pages == sorted(set(pages)) and blocks == sorted(blocks)
    assert page_map.pages[0].page == 3 and page_map.pages[0].block_index == 0  # after contents
    # The fixture's PageBreak (block 11) makes "Money" (block 12) start a new page.
    assert 12 in blocks


def test_options_are_validated():
    stage = get("pdf")
    assert make_options(stage, {"font_size": "16", "paper": "Letter"}).font_size == 16
    with pytest.raises(OptionsError, match="at least 12"):
        make_options(stage, {"font_size": "10"})
    with pytest.raises(OptionsError, match="paper"):
        make_options(stage, {"paper": "A5"})
    with pytest.raises(OptionsError, match="font_family"):
        make_options(stage, {"font_family": "Comic Sans"})


def test_letter_paper_and_larger_type(doc, ctx, tmp_path):
    stage = get("pdf")
    options = make_options(stage, {"paper": "Letter", "font_size": "18"})
    paths = stage.build(doc, options, tmp_path, ctx)
    with pikepdf.open(pdf_of(paths)) as pdf:
        assert [round(float(v)) for v in pdf.pages[0].mediabox] == [0, 0, 612, 792]
    assert stage.check(doc, options, paths, ctx).passed


# ---------------------------------------------------------------- independent readers


def poppler_tree(path: Path) -> dict:
    """`pdfinfo -struct-text` as a tree of {role, text, children} (by indentation)."""
    output = subprocess.run(
        ["pdfinfo", "-struct-text", str(path)], capture_output=True, text=True, check=True
    ).stdout
    root = {"role": "root", "text": "", "children": [], "indent": -1}
    stack = [root]
    for line in output.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("/") or stripped.startswith("Object "):
            continue
        indent = len(line) - len(line.lstrip())
        while stack[-1]["indent"] >= indent:
            stack.pop()
        if stripped.startswith('"'):
            stack[-1]["children"].append(
                {"role": "#text", "text": stripped[1:-1], "children": [], "indent": indent}
            )
            continue
        node = {"role": re.split(r"[ :(]", stripped)[0], "text": "", "children": [], "indent": indent}
        stack[-1]["children"].append(node)
        stack.append(node)
    return root


def text_of(node: dict) -> str:
    if node["role"] == "#text":
        return node["text"]
    return " ".join(text_of(child) for child in node["children"])


def nodes(node: dict, role: str) -> list[dict]:
    found = [node] if node["role"] == role else []
    for child in node["children"]:
        found += nodes(child, role)
    return found


def test_poppler_reads_headings_lists_tables_and_text_in_order(built):
    doc, paths = built
    tree = poppler_tree(pdf_of(paths))
    found = [
        (int(node["role"][1]), " ".join(text_of(node).split()))
        for node in _in_order(tree)
        if re.fullmatch(r"H[1-6]", node["role"])
    ]
    assert found == expected_headings(doc)
    # Lists: two bullet items, the first holding a numbered list of two; then the
    # accessibility statement's own bullet list of features.
    lists = nodes(tree, "L")
    assert len(lists) == 3
    labels = [" ".join(text_of(label).split()) for label in nodes(tree, "Lbl")]
    assert labels[:4] == ["•", "1.", "2.", "•"] and set(labels[4:]) == {"•"}
    # The table: a header row of TH and a TH heading each body row.
    table = nodes(tree, "Table")[0]
    rows = nodes(table, "TR")
    assert [" ".join(text_of(cell).split()) for cell in nodes(rows[0], "TH")] == [
        "Kind",
        "Sessions",
        "People",
    ]
    assert [" ".join(text_of(cell).split()) for cell in nodes(rows[1], "TH")] == ["Training"]
    assert len(nodes(tree, "Figure")) == 1
    assert "Sessions by kind" in text_of(nodes(table, "Caption")[0])
    # The whole text, in structure order, carries the source's words in order.
    recall = textcompare.in_order_recall(textcompare.source_words(doc), textcompare.words(text_of(tree)))
    assert recall >= 0.99


def _in_order(node: dict):
    yield node
    for child in node["children"]:
        yield from _in_order(child)


@pytest.mark.skipif(
    not PDFJS_MODULES.is_dir() or shutil.which("node") is None,
    reason="pdf.js not installed: run `npm ci --prefix tools/pdfjs`",
)
def test_pdfjs_sees_figure_alt_language_and_text(built):
    doc, paths = built
    output = subprocess.run(
        ["node", str(PDFJS_SCRIPT), str(pdf_of(paths))],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    pages = json.loads(output)
    elements: list[dict] = []
    words: list[str] = []

    def walk(node):
        if node.get("type") == "content":
            words.extend(textcompare.words(node["text"]))
            return
        if "role" in node:
            elements.append(node)
        for child in node.get("children", []):
            walk(child)

    for page in pages:
        if page["tree"]:
            walk(page["tree"])
    alts = [node.get("alt") for node in elements if node["role"] == "Figure"]
    assert alts == [figure.alt for figure in figures(doc) if not figure.decorative]
    spans = [node for node in elements if node["role"] == "Span"]
    assert [span.get("lang") for span in spans] == ["cy"]
    roles = {node["role"] for node in elements}
    assert {
        "H1",
        "H2",
        "H3",
        "L",
        "LI",
        "Lbl",
        "LBody",
        "Table",
        "TR",
        "TH",
        "TD",
        "Figure",
        "Link",
        "Note",
        "Reference",
        "Code",
        "BlockQuote",
        "TOC",
        "TOCI",
        "Caption",
    } <= roles
    assert textcompare.in_order_recall(textcompare.source_words(doc), words) >= 0.99


# ---------------------------------------------------------------- the check catches defects


def broken_copy(built, tmp_path: Path, mutate) -> Path:
    _, paths = built
    target = tmp_path / "broken.pdf"
    with pikepdf.open(pdf_of(paths)) as pdf:
        mutate(pdf)
        pdf.save(target)
    return target


def struct_elements(pdf: pikepdf.Pdf):
    def walk(elem):
        yield elem
        kids = elem.get("/K")
        kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids else []
        for kid in kids:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                yield from walk(kid)

    yield from walk(pdf.Root.StructTreeRoot.K)


def errors(doc, path: Path) -> str:
    result = check_pdf(doc, path)
    assert not result.passed
    return "\n".join(f"{f.where}: {f.message}" for f in result.findings if f.severity == "error")


def test_the_unbroken_build_passes(built):
    doc, paths = built
    assert check_pdf(doc, pdf_of(paths)).passed


def test_catches_untagged_text(built, tmp_path):
    def add_untagged_text(pdf):
        page = pdf.pages[2]
        font = next(iter(page.Resources.Font.keys()))
        page.contents_add(pdf.make_stream(f"BT {font} 12 Tf 72 72 Td (Hidden) Tj ET".encode()))

    assert "page 3" in errors(built[0], broken_copy(built, tmp_path, add_untagged_text))


def test_catches_a_figure_without_alt(built, tmp_path):
    def strip_alt(pdf):
        for elem in struct_elements(pdf):
            if elem.S == pikepdf.Name.Figure:
                del elem["/Alt"]

    assert "alternative text" in errors(built[0], broken_copy(built, tmp_path, strip_alt))


def test_catches_a_skipped_heading_level(built, tmp_path):
    def demote_h2(pdf):
        for elem in struct_elements(pdf):
            if elem.S == pikepdf.Name.H2:
                elem.S = pikepdf.Name.H3  # "What we did" now follows an H1 as an H3

    assert "skipped" in errors(built[0], broken_copy(built, tmp_path, demote_h2))


def test_catches_a_table_without_header_cells(built, tmp_path):
    def th_to_td(pdf):
        for elem in struct_elements(pdf):
            if elem.S == pikepdf.Name.TH:
                elem.S = pikepdf.Name.TD

    assert "TH" in errors(built[0], broken_copy(built, tmp_path, th_to_td))


def test_catches_a_missing_language(built, tmp_path):
    def remove_lang(pdf):
        del pdf.Root["/Lang"]

    assert "/Lang" in errors(built[0], broken_copy(built, tmp_path, remove_lang))


def test_catches_an_unembedded_font(built, tmp_path):
    def swap_to_helvetica(pdf):
        fonts = pdf.pages[0].Resources.Font
        name = next(iter(fonts.keys()))
        fonts[name] = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Font,
                Subtype=pikepdf.Name.Type1,
                BaseFont=pikepdf.Name.Helvetica,
                Encoding=pikepdf.Name.WinAnsiEncoding,
            )
        )

    assert "Helvetica is not embedded" in errors(built[0], broken_copy(built, tmp_path, swap_to_helvetica))


def test_catches_text_missing_from_the_tree(built, tmp_path):
    """A paragraph dropped from the structure tree: its words are no longer read in order."""

    def drop_paragraphs(pdf):
        document = pdf.Root.StructTreeRoot.K
        kids = document.K
        keep = [kid for kid in kids if not (kid.get("/S") == pikepdf.Name.P)]
        document.K = pikepdf.Array(keep)

    message = errors(built[0], broken_copy(built, tmp_path, drop_paragraphs))
    assert "not in the structure tree" in message and "source's words" in message


def test_catches_characters_without_a_unicode_mapping(built, tmp_path):
    """A font whose ToUnicode map lost its entries (only the space kept): the glyphs are drawn,
    but a screen reader cannot say them. The check reads the codes through the map itself (qpdf
    tokens, pdfminer's CMap parser), so the unmapped characters are counted."""
    import re

    def forget_mappings(pdf):
        fonts = pdf.pages[2].Resources.Font
        for key in fonts.keys():
            data = fonts[key].ToUnicode.read_bytes().decode("latin-1")
            kept = re.sub(
                r"\d+ beginbfchar\n.*?endbfchar", "1 beginbfchar\n<20> <0020>\nendbfchar", data, flags=re.S
            )
            fonts[key].ToUnicode = pdf.make_stream(kept.encode("latin-1"))

    message = errors(built[0], broken_copy(built, tmp_path, forget_mappings))
    assert re.search(r"\d+ character\(s\) have no Unicode mapping", message), message


def test_the_thorough_check_reads_the_same_text_as_poppler(built):
    """`make check` (thorough) also has poppler read the tags (`pdfinfo -struct-text`): every
    marked-content reference of the tree must read the same in poppler as in the build's own
    reading of the content streams, and on the real build it does."""
    doc, paths = built
    result = check_pdf(doc, pdf_of(paths), thorough=True)
    assert result.passed, result.findings
    ctx = BuildContext(slug="listening-together", source=doc.source, thorough=True)
    stage = get("pdf")
    assert stage.check(doc, stage.options(), paths, ctx).passed


def test_a_source_with_a_missing_image_fails_clearly(doc, ctx, tmp_path):
    from dataclasses import replace

    from pipeline.errors import StageFailed

    blocks = tuple(
        replace(block, src=tmp_path / "missing.png") if isinstance(block, Figure) else block
        for block in doc.blocks
    )
    stage = get("pdf")
    with pytest.raises(StageFailed, match="missing.png"):
        stage.build(replace(doc, blocks=blocks), stage.options(), tmp_path, ctx)


# ---------------------------------------------------------------- the sample, as a reader meets it

SAMPLE = ROOT / "sources" / "impact-report-2023" / "impact-report-2023.md"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from pipeline.sources import read_source

    doc = read_source(SAMPLE)
    out = tmp_path_factory.mktemp("sample-pdf")
    stage = get("pdf")
    paths = stage.build(doc, stage.options(), out, BuildContext(slug="impact-report-2023", source=SAMPLE))
    return doc, pdf_of(paths)


def _struct_strings(path: Path) -> list[str]:
    text = subprocess.run(
        ["pdfinfo", "-struct-text", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return [line.strip()[1:-1] for line in text.splitlines() if line.strip().startswith('"')]


def test_poppler_struct_text_keeps_a_space_between_words_across_line_ends(sample):
    """Every word poppler reads from the tags is a word of the source or of the sections the
    PDF adds; a word made of two source words run together ("tookpart") is the defect."""
    doc, path = sample
    source_vocabulary = set(textcompare.words(SAMPLE.read_text(encoding="utf-8")))
    from pipeline.reading import plain_text
    from pipeline.sections import accessibility_statement, contents_heading, title_lines

    added = (
        " ".join(plain_text(doc.__class__(doc.meta, tuple(accessibility_statement(doc, "PDF", [])))).split())
        + " "
        + " ".join(title_lines(doc).__dict__.values())
    )
    vocabulary = (
        source_vocabulary
        | set(textcompare.words(added))
        | set(
            textcompare.words(
                contents_heading(doc) + " Notes Accessibility Tagged screen readers "
                "headings lists tables header cells read order bookmarks every "
                "heading contents page links clear sans serif typeface point left "
                "aligned footnote numbers link notes 14"
            )
        )
        | {str(n) for n in range(1, 100)}
    )  # page numbers of the contents
    strings = _struct_strings(path)
    pdf_words = [w for s in strings for w in textcompare.words(s)]
    unknown = sorted({w for w in pdf_words if w not in vocabulary})
    joined = [
        w
        for w in unknown
        if any(w[:i] in source_vocabulary and w[i:] in source_vocabulary for i in range(1, len(w)))
    ]
    assert not joined, f"words run together in the tagged text: {joined[:10]}"
    assert not unknown, f"words in the tagged text that are not the report's: {unknown[:10]}"
    # and the paragraph that used to read "research,services" and "makethem" reads right
    assert any(
        "we believe that research, services and decisions are better when the people "
        "they affect help to make them from the start." in s
        for s in strings
    )


def _page_texts(path: Path) -> list[str]:
    pages = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout,
        ).group(1)
    )
    return [
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in range(1, pages + 1)
    ]


def _destination_index(pdf: pikepdf.Pdf, destination) -> int:
    if isinstance(destination, pikepdf.Dictionary):
        destination = destination.D
    return pdf.pages.index(pikepdf.Page(destination[0]))


def test_every_bookmark_and_contents_link_lands_on_its_heading_page(sample):
    """Followed as a reader follows them: the page a bookmark or a contents link goes to has
    the heading as a line of its own (pdftotext, not the stage's or the check's reading)."""
    _, path = sample
    pages = [[" ".join(line.split()) for line in page.splitlines()] for page in _page_texts(path)]
    with pikepdf.open(path) as pdf:
        with pdf.open_outline() as outline:
            stack, seen = list(outline.root), 0
            while stack:
                item = stack.pop()
                stack.extend(item.children)
                target = _destination_index(pdf, item.destination or item.action)
                assert str(item.title) in pages[target], (str(item.title), target + 1)
                seen += 1
        assert seen > 10
        for annotation in pdf.pages[1].obj.get("/Annots", []):
            if "/Dest" in annotation or "/D" in annotation.get("/A", {}):
                title = str(annotation.Contents).rsplit(", ", 1)[0]
                target = _destination_index(pdf, annotation.get("/Dest", annotation.get("/A")))
                assert title in pages[target], (title, target + 1)


def test_catches_bookmarks_and_links_that_go_to_the_wrong_page(built, tmp_path):
    def send_everything_to_the_first_page(pdf):
        first = pdf.pages[0].obj
        with pdf.open_outline() as outline:
            stack = list(outline.root)
            while stack:
                item = stack.pop()
                stack.extend(item.children)
                item.destination = pikepdf.Array([first, pikepdf.Name.Fit])
        for page in pdf.pages:
            for annotation in page.obj.get("/Annots", []):
                if "/Dest" in annotation:
                    annotation.Dest = pikepdf.Array([first, pikepdf.Name.Fit])

    found = errors(built[0], broken_copy(built, tmp_path, send_everything_to_the_first_page))
    assert "the bookmark" in found and "goes to page 1, but the heading is on page" in found
    assert "the link" in found


def test_contents_lists_every_bookmark_with_the_page_it_is_on(sample):
    doc, path = sample
    pages = _page_texts(path)
    contents = pages[1]
    with pikepdf.open(path) as pdf:
        with pdf.open_outline() as outline:
            titles = []

            def walk(items):
                for item in items:
                    titles.append(item.title)
                    walk(item.children)

            walk(outline.root)
    listed = [t for t in titles if t not in (doc.meta.title, "Contents")]
    entries = {}
    for line in contents.splitlines():
        match = re.match(r"\s*(.+?)\s*(?:\.\s*)*\s+(\d+)\s*$", line)
        if match and not match.group(1).startswith("Page"):  # the footer
            entries[match.group(1).strip()] = int(match.group(2))
    assert list(entries) == listed, "every bookmarked section is in the contents, in order"
    for title, page in entries.items():
        # the heading is a line of its own on that page (pdftotext, independent of the stage)
        lines = [" ".join(l.split()) for l in pages[page - 1].splitlines()]
        assert title in lines, f"{title!r} is not on page {page}"
        earlier = [" ".join(l.split()) for p in pages[2 : page - 1] for l in p.splitlines()]
        assert title not in earlier or title in ("Notes",), f"{title!r} appears before {page}"
    # the numbers are right aligned: every number ends in the same column
    ends = {
        len(line.rstrip())
        for line in contents.splitlines()
        if re.search(r"\d\s*$", line) and "Page" not in line
    }
    assert len(ends) == 1, ends
    # dotted leaders are drawn as artifacts: the tagged entry reads "Welcome 3"
    assert "Welcome 3" in _struct_strings(path)[:40] or any(s == " 3" for s in _struct_strings(path)[:40])


def test_cover_has_no_page_number_and_dates_in_words(sample):
    doc, path = sample
    pages = _page_texts(path)
    assert "Page" not in pages[0]
    assert "15 March 2024" in pages[0] and "2024-03-15" not in pages[0]
    assert f"Page 2 of {len(pages)}" in pages[1]
    # the publisher is named once on the cover, the authors with "and"
    assert pages[0].count("Kettle and Compass Co-production Collective") == 1
    assert "By Morwenna Price and Idris Okafor-Jones" in " ".join(pages[0].split())


def test_welsh_report_gets_welsh_added_words(tmp_path):
    """Every word the PDF adds around a Welsh report is Welsh: contents, footer, title page,
    the date, the statement's heading (the catalogue, pipeline/locale/cy)."""
    import dataclasses

    from pipeline.sources import read_source

    doc = read_source(SAMPLE)
    doc = dataclasses.replace(
        doc,
        meta=dataclasses.replace(doc.meta, language="cy", authors=("Morwenna Price", "Idris Okafor-Jones")),
    )
    stage = get("pdf")
    ctx = BuildContext(slug="adroddiad", source=SAMPLE)
    paths = stage.build(doc, stage.options(), tmp_path, ctx)
    result = stage.check(doc, stage.options(), paths, ctx)
    assert result.passed, [f.message for f in result.findings if f.severity == "error"]
    pages = _page_texts(pdf_of(paths))
    cover = " ".join(pages[0].split())
    assert "15 Mawrth 2024" in cover and "Gan Morwenna Price ac Idris Okafor-Jones" in cover
    assert "Cyhoeddwyd gan" in cover and "Fersiwn 1.0" in cover
    assert pages[1].split()[0] == "Cynnwys"
    assert f"Tudalen 2 o {len(pages)}" in pages[1]
    assert "Hygyrchedd" in pages[-1] and "Dyma'r fersiwn PDF o Doing It Together" in " ".join(
        pages[-1].split()
    )


# ---------------------------------------------------------------- tables on pages


def _rows_table(rows: int, columns: int = 2, word: str = "place"):
    from pipeline.document import Paragraph, Table, TableCell, Text

    header = (
        tuple(TableCell((Paragraph((Text("Place" if c == 0 else f"Region {c}"),)),)) for c in range(columns)),
    )
    body = tuple(
        tuple(
            TableCell((Paragraph((Text(f"Row{n:02d} {word}" if c == 0 else f"{n * 7 + c}"),)),))
            for c in range(columns)
        )
        for n in range(1, rows + 1)
    )
    return Table((Text("Places we visited"),), header, body)


def _table_doc(table, lead_in: int):
    import dataclasses

    from pipeline.document import Heading, Paragraph, Text
    from pipeline.sources import read_source

    doc = read_source(SAMPLE)
    lead = tuple(
        Paragraph(
            (
                Text(
                    "A paragraph of lead-in text that fills a line or two of the "
                    "page before the table starts, so that the break moves."
                ),
            )
        )
        for _ in range(lead_in)
    )
    return dataclasses.replace(doc, blocks=(Heading(1, (Text("Places"),), "places"), *lead, table))


def _build(doc, tmp_path: Path) -> Path:
    stage = get("pdf")
    tmp_path.mkdir(parents=True, exist_ok=True)
    ctx = BuildContext(slug="tables", source=SAMPLE)
    paths = stage.build(doc, stage.options(), tmp_path, ctx)
    result = stage.check(doc, stage.options(), paths, ctx)
    assert result.passed, [f.message for f in result.findings if f.severity == "error"]
    return pdf_of(paths)


def test_no_page_holds_one_row_of_a_table_alone(tmp_path):
    """Tables of 18 to 31 rows after lead-ins of different lengths: the page break falls at
    every place in the table, so without the rule some page holds a single row (the last one
    under a repeated header, or the first one under its header at the foot of a page)."""
    seen_splits = 0
    for rows in range(18, 32):
        lead_in = rows % 5
        path = _build(_table_doc(_rows_table(rows), lead_in), tmp_path / str(rows))
        counts = [len(re.findall(r"^\s*Row\d\d", page, re.M)) for page in _page_texts(path)]
        counts = [c for c in counts if c]
        assert sum(counts) == rows
        seen_splits += len(counts) > 1
        assert all(c >= 2 for c in counts), f"{rows} rows, lead-in {lead_in}: {counts}"
    assert seen_splits >= 5


def test_a_wide_table_gets_landscape_pages_and_keeps_words_whole(tmp_path):
    table = _rows_table(4, columns=10, word="Organisations")
    path = _build(_table_doc(table, 2), tmp_path)
    with pikepdf.open(path) as pdf:
        sizes = [tuple(round(float(v)) for v in page.mediabox[2:]) for page in pdf.pages]
    assert (842, 595) in sizes and sizes[0] == (595, 842) and sizes[-1] == (595, 842)
    # every cell's words whole in the tagged text (poppler), header cells included
    strings = _struct_strings(path)
    for n in range(1, 5):
        assert f"Row{n:02d} Organisations" in strings
    assert [f"Region {c}" for c in range(1, 10)] == [s for s in strings if s.startswith("Region")]


def test_a_table_too_wide_even_for_landscape_is_a_clear_source_problem(tmp_path):
    from pipeline.errors import StageFailed

    table = _rows_table(3, columns=80)
    with pytest.raises(StageFailed, match=r"'Places we visited'.*80 columns.*landscape"):
        _build(_table_doc(table, 0), tmp_path)


def test_a_figure_shrinks_to_fit_rather_than_leave_a_third_of_a_page_empty(tmp_path):
    """A chart after lead-ins of every length: whenever it goes to the next page, the page
    before has less than a third of its text area empty; when it shrinks, it keeps at least
    45% of its size and its caption stays under it (pdfminer's view of the pages)."""
    import dataclasses

    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTFigure, LTImage, LTTextContainer
    from PIL import Image, ImageDraw

    from pipeline.document import Heading, Paragraph, Text
    from pipeline.sources import read_source

    doc = read_source(SAMPLE)
    tall = tmp_path / "tall-chart.png"
    picture = Image.new("RGB", (800, 900), "white")
    ImageDraw.Draw(picture).rectangle((100, 100, 300, 850), fill=(30, 60, 140))
    picture.save(tall)
    chart = dataclasses.replace(next(f for f in figures(doc) if not f.decorative), src=tall)
    frame_bottom, frame_height = 2.5 / 2.54 * 72, 841.9 - 2 / 2.54 * 72 - 2.5 / 2.54 * 72
    moved = 0
    heights: list[float] = []
    for lead_in in range(0, 15, 2):  # 0 to 14 paragraphs of two lines: 53 pt steps
        lead = tuple(
            Paragraph(
                (
                    Text(
                        f"Lead-in paragraph {n} that is long enough to wrap onto "
                        "a second line of the page at fourteen point type."
                    ),
                )
            )
            for n in range(lead_in)
        )
        story = dataclasses.replace(doc, blocks=(Heading(1, (Text("Charts"),), "charts"), *lead, chart))
        path = _build(story, tmp_path / str(lead_in))
        pages = list(extract_pages(str(path)))
        # The chart: an image, or a figure (a form XObject, in pdfminer's words) holding one.
        image_page, image_box = next(
            (number, item.bbox)
            for number, page in enumerate(pages)
            for item in page
            if isinstance(item, LTImage)
            or (isinstance(item, LTFigure) and any(isinstance(part, LTImage) for part in item))
        )
        caption_page = next(
            number
            for number, page in enumerate(pages)
            for item in page
            if isinstance(item, LTTextContainer) and "Figure 1:" in item.get_text()
        )
        assert caption_page == image_page
        previous = pages[image_page - 1]
        texts = [
            item.bbox[1]
            for item in previous
            if isinstance(item, LTTextContainer)
            and "Page " not in item.get_text()
            and item.bbox[1] > frame_bottom - 5
        ]
        if texts and image_page >= 3 and previous.pageid > 2:
            empty = min(texts) - frame_bottom
            assert empty < frame_height / 3, f"lead-in {lead_in}: {empty:.0f} pt left empty"
            moved += 1
        heights.append(image_box[3] - image_box[1])
    full = max(heights)
    shrunk = sum(1 for h in heights if h < full - 1)
    assert all(h >= 0.45 * full - 1 for h in heights), heights
    assert moved and shrunk, (moved, shrunk, heights)
