"""Word and large print as they come off a word processor: laid out by LibreOffice (headless),
read back page by page with poppler's pdftotext, independent of the stage's own code.

The contents' page numbers (the PAGEREF results in the .docx) must be the pages LibreOffice
puts the headings on; no page may hold a single row of a table that has more; the contents is a
live TOC field Word can update.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from pipeline.document import Heading, Paragraph, Table, TableCell, Text
from pipeline.stage_api import BuildContext
from pipeline.stages import get

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sources" / "impact-report-2023" / "impact-report-2023.md"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice missing")


def squash(text: str) -> str:
    return " ".join(text.split())


def render(docx_path: Path, out: Path) -> list[str]:
    """LibreOffice's PDF of the document, as the text of each page (pdftotext -layout)."""
    profile = out / "profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(docx_path),
        ],
        capture_output=True,
        timeout=180,
        check=True,
    )
    pdf = out / f"{docx_path.stem}.pdf"
    pages = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout,
        ).group(1)
    )
    return [
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in range(1, pages + 1)
    ]


def build(doc, stage_name: str, out: Path, **settings) -> Path:
    stage = get(stage_name)
    out.mkdir(parents=True, exist_ok=True)
    options = stage.options(**settings)
    paths = stage.build(doc, options, out, BuildContext(slug="impact-report-2023", source=SAMPLE))
    result = stage.check(doc, options, paths, BuildContext(slug="impact-report-2023", source=SAMPLE))
    assert result.passed, [f for f in result.findings if f.severity == "error"]
    return paths[0]


@pytest.fixture(scope="module")
def sample_doc():
    from pipeline.sources import read_source

    return read_source(SAMPLE)


@pytest.fixture(scope="module", params=["word", "large-print"])
def laid_out(request, sample_doc, tmp_path_factory):
    out = tmp_path_factory.mktemp(request.param)
    path = build(sample_doc, request.param, out)
    return request.param, path, render(path, out / "lo")


def contents_entries(path: Path) -> list[tuple[str, str]]:
    """(entry words, page number shown) of each PAGEREF in the TOC field of the body."""
    with zipfile.ZipFile(path) as package:
        body = etree.fromstring(package.read("word/document.xml"))
    entries = []
    for paragraph in body.iter(f"{W}p"):
        instructions = [t.text or "" for t in paragraph.iter(f"{W}instrText")]
        if not any("PAGEREF" in i for i in instructions):
            continue
        texts = [t.text or "" for t in paragraph.iter(f"{W}t")]
        entries.append((squash(texts[0]), texts[-1]))
    return entries


def test_contents_is_a_live_toc_field(laid_out):
    _, path, _ = laid_out
    with zipfile.ZipFile(path) as package:
        body = etree.fromstring(package.read("word/document.xml"))
    instructions = [squash(t.text or "") for t in body.iter(f"{W}instrText")]
    assert any(i.startswith("TOC \\o") and "\\h" in i for i in instructions), instructions[:3]
    begins = sum(1 for f in body.iter(f"{W}fldChar") if f.get(f"{W}fldCharType") == "begin")
    ends = sum(1 for f in body.iter(f"{W}fldChar") if f.get(f"{W}fldCharType") == "end")
    assert begins == ends
    # every entry's leader is a dotted right tab
    tabs = [t for t in body.iter(f"{W}tab") if t.get(f"{W}leader") == "dot"]
    assert len(tabs) == len(contents_entries(path))


def test_contents_page_numbers_are_the_pages_libreoffice_puts_the_headings_on(laid_out):
    name, path, pages = laid_out
    entries = contents_entries(path)
    assert len(entries) >= 10
    contents_page = next(
        i
        for i, text in enumerate(pages)
        if "Contents" in text.splitlines() or any(squash(l) == "Contents" for l in text.splitlines())
    )
    for text, shown in entries:
        assert shown.isdigit(), f"{name}: '{text}' has no page number ({shown!r})"
        # The first page after the contents' own entries where the heading is a line alone.
        found = None
        for number, page in enumerate(pages, start=1):
            lines = [squash(l) for l in page.splitlines()]
            if number - 1 == contents_page:
                lines = (
                    lines[next(i for i, l in enumerate(lines) if l.startswith(entries[-1][0])) + 1 :]
                    if any(l.startswith(entries[-1][0] + ".") for l in lines)
                    else lines
                )
            if text in lines:
                found = number
                break
        assert found == int(shown), f"{name}: '{text}' is on page {found}, contents says {shown}"


def _body_row_pages(pages: list[str], rows: list[tuple[str, str]], header: str) -> dict[int, int]:
    """page -> how many of the rows (first word of the first cell, and the second cell's words
    on the same line) it holds, on the pages that show the table's header row."""
    counts: dict[int, int] = {}
    for number, page in enumerate(pages, start=1):
        lines = [squash(l) for l in page.splitlines()]
        if not any(l.startswith(header) for l in lines):
            continue
        here = sum(
            1 for first, second in rows if any(l.startswith(first) and f" {second}" in l for l in lines)
        )
        if here:
            counts[number] = here
    return counts


def test_no_page_holds_a_single_row_of_the_sample_table(laid_out, sample_doc):
    name, _, pages = laid_out
    for table in (b for b in sample_doc.blocks if isinstance(b, Table)):

        def words(cell):
            return squash(" ".join(t.text for p in cell.blocks for t in p.inlines if isinstance(t, Text)))

        rows = [(words(row[0]).split()[0], words(row[1])) for row in table.body_rows]
        header = " ".join(words(cell) for cell in table.header_rows[0])
        counts = _body_row_pages(pages, rows, header)
        assert sum(counts.values()) == len(rows), f"{name}: rows not found {counts}"
        assert all(n > 1 for n in counts.values()), f"{name}: {counts}"


@pytest.mark.parametrize("lead_in", [1, 10])  # 10: the first row fell alone on a page
def test_a_long_table_never_leaves_one_row_alone(sample_doc, tmp_path, lead_in):
    """A 30-row table after a lead-in of varying length: wherever the page breaks, each page
    carries at least two of its rows (the last row never alone under a repeated header)."""
    rows = tuple(
        (TableCell((Paragraph((Text(f"Row{n:02d} place"),)),)), TableCell((Paragraph((Text(str(n * 7)),)),)))
        for n in range(1, 31)
    )
    header = ((TableCell((Paragraph((Text("Place"),)),)), TableCell((Paragraph((Text("People"),)),))),)
    table = Table((Text("Places we visited"),), header, rows)
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
    doc = dataclasses.replace(sample_doc, blocks=(Heading(1, (Text("Places"),), "places"), *lead, table))
    path = build(doc, "large-print", tmp_path / "out")
    pages = render(path, tmp_path / "lo")
    counts = _body_row_pages(pages, [(f"Row{n:02d}", str(n * 7)) for n in range(1, 31)], "Place People")
    assert sum(counts.values()) == 30
    assert len(counts) >= 2, "the table spans pages (else the test shows nothing)"
    assert all(n > 1 for n in counts.values()), counts


def test_large_print_spacing_lists_code_face_and_link_addresses(sample_doc, tmp_path):
    path = build(sample_doc, "large-print", tmp_path / "out")
    with zipfile.ZipFile(path) as package:
        styles = etree.fromstring(package.read("word/styles.xml"))
        body = etree.fromstring(package.read("word/document.xml"))
    by_name = {s.find(f"{W}name").get(f"{W}val"): s for s in styles.iter(f"{W}style")}
    after = by_name["Normal"].find(f"{W}pPr/{W}spacing").get(f"{W}after")
    assert int(after) == 18 * 20, "about one line (18 pt) between paragraphs, not 27 pt"
    listing = by_name["List Paragraph"].find(f"{W}pPr")
    assert listing.find(f"{W}contextualSpacing") is not None, "list items sit together"
    code = [
        r for r in body.iter(f"{W}r") if "KCC-ETH-2023-01" in "".join(t.text or "" for t in r.iter(f"{W}t"))
    ]
    assert code[0].find(f"{W}rPr/{W}rFonts").get(f"{W}ascii") == "Consolas"
    pages = render(path, tmp_path / "lo")
    # the text as a reader follows it across pages: footers left out
    text = squash(" ".join(re.sub(r"Page \d+ of \d+", " ", page) for page in pages))
    assert (
        "read it on our ethics guidance page (https://www.example.org/kettle-and-compass/ethics-guidance)."
    ) in text
    # the mail link's words are its address: not printed twice
    assert "(formats@kettleandcompass.example.org)" not in text
    fonts = subprocess.run(
        ["pdffonts", str(next((tmp_path / "lo").glob("*.pdf")))], capture_output=True, text=True, check=True
    ).stdout
    assert "Mono" in fonts and "Courier" not in fonts and "Serif" not in fonts


def test_clear_print_word_keeps_links_as_words_only(sample_doc, tmp_path):
    path = build(sample_doc, "word", tmp_path / "out")
    with zipfile.ZipFile(path) as package:
        text = "".join(
            t.text or "" for t in etree.fromstring(package.read("word/document.xml")).iter(f"{W}t")
        )
    assert "(https://www.example.org" not in text
    path = build(sample_doc, "word", tmp_path / "on", link_addresses=True)
    with zipfile.ZipFile(path) as package:
        text = "".join(
            t.text or "" for t in etree.fromstring(package.read("word/document.xml")).iter(f"{W}t")
        )
    assert "(https://www.example.org/kettle-and-compass/ethics-guidance)" in text


def test_footnotes_keep_a_line_of_space_above_the_footer(laid_out):
    """On LibreOffice's pages, every footnote's last line ends at least a line (the body size)
    above the top of the footer's "Page N of M"."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer, LTTextLine

    name, path, _ = laid_out
    pdf = next(path.parent.joinpath("lo").glob("*.pdf"))
    body = 18 if name == "large-print" else 14
    checked = 0
    for page in extract_pages(str(pdf)):
        lines = [
            line
            for box in page
            if isinstance(box, LTTextContainer)
            for line in box
            if isinstance(line, LTTextLine)
        ]
        footer = [l for l in lines if re.match(r"Page \d+ of \d+", l.get_text().strip())]
        notes = [
            l
            for l in lines
            if re.match(r"\d+ ", l.get_text().strip())
            and any(words in l.get_text() for words in ("PPI stands", "Several funders", "The guidance was"))
        ]
        if footer and notes:
            top = max(f.y1 for f in footer)
            # the notes' lines: from the first note's first line down to the footer
            notes = [l for l in lines if l.y1 <= max(n.y1 for n in notes) + 1 and l.y0 > top]
            gap = min(n.y0 for n in notes) - top
            assert gap >= body * 0.9, f"{name}: {gap:.1f} pt between a footnote and the footer"
            checked += 1
    assert checked >= 2


def _big_text_chart(path: Path, labels: list[str]) -> None:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf", 110)
    picture = Image.new("RGB", (1400, 160 * len(labels) + 40), "white")
    draw = ImageDraw.Draw(picture)
    for row, label in enumerate(labels):
        draw.text((40, 40 + row * 160), label, fill="black", font=font)
        draw.rectangle((700, 50 + row * 160, 700 + 500 // (row + 1), 130 + row * 160), fill=(20, 60, 140))
    picture.save(path)


def test_large_print_warns_of_small_text_in_images_and_uses_the_large_version(tmp_path):
    from pipeline.sources import read_source

    stage = get("large-print")
    ctx = BuildContext(slug="impact-report-2023", source=SAMPLE)
    doc = read_source(SAMPLE)
    paths = (
        stage.build(doc, stage.options(), tmp_path / "plain", ctx)
        if (tmp_path / "plain").mkdir() is None
        else None
    )
    warnings = [
        f for f in stage.check(doc, stage.options(), paths, ctx).findings if "smaller than 18 pt" in f.message
    ]
    assert len(warnings) == 1 and "(2 places)" in warnings[0].message
    assert "people reached" in warnings[0].where and "money won" in warnings[0].where
    # the author adds large-print versions of the charts: no warning, and they are the ones used
    folder = tmp_path / "source"
    shutil.copytree(SAMPLE.parent, folder)
    _big_text_chart(folder / "people-large.png", ["Talks", "Training", "Co-creation", "Cuppa"])
    _big_text_chart(folder / "funding-large.png", ["Research teams", "Us"])
    source = folder / SAMPLE.name
    text = source.read_text(encoding="utf-8")
    text = text.replace('kind of activity")', 'kind of activity"){large=people-large.png}')
    text = text.replace('bids in 2023")', 'bids in 2023"){large=funding-large.png}')
    source.write_text(text, encoding="utf-8")
    doc = read_source(source)
    assert [f.large_src.name for f in doc.blocks if getattr(f, "large_src", None)] == [
        "people-large.png",
        "funding-large.png",
    ]
    out = tmp_path / "large"
    out.mkdir()
    paths = stage.build(doc, stage.options(), out, ctx)
    result = stage.check(doc, stage.options(), paths, ctx)
    assert result.passed
    assert not [f for f in result.findings if "smaller than 18 pt" in f.message]
    with zipfile.ZipFile(paths[0]) as package:
        media = {package.read(n) for n in package.namelist() if n.startswith("word/media/")}
    assert (folder / "people-large.png").read_bytes() in media
    assert (folder / "people-reached.png").read_bytes() not in media
    # clear print keeps the ordinary image
    word = get("word")
    (tmp_path / "word").mkdir()
    with zipfile.ZipFile(word.build(doc, word.options(), tmp_path / "word", ctx)[0]) as package:
        media = {package.read(n) for n in package.namelist() if n.startswith("word/media/")}
    assert (folder / "people-reached.png").read_bytes() in media


def test_a_missing_large_print_image_is_a_source_problem_with_its_line(tmp_path):
    from pipeline.errors import SourceError
    from pipeline.sources import read_source

    folder = tmp_path / "report"
    shutil.copytree(SAMPLE.parent, folder)
    source = folder / SAMPLE.name
    source.write_text(
        source.read_text(encoding="utf-8").replace(
            'kind of activity")', 'kind of activity"){large=no-such-chart.png}'
        ),
        encoding="utf-8",
    )
    with pytest.raises(SourceError, match=r"impact-report-2023.md:88: .*no-such-chart.png"):
        read_source(source)


def test_word_check_catches_a_contents_without_page_numbers(laid_out, sample_doc, tmp_path):
    name, path, _ = laid_out
    broken = tmp_path / path.name
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/document.xml":
                body = etree.fromstring(data)
                for paragraph in body.iter(f"{W}p"):
                    if any("PAGEREF" in (i.text or "") for i in paragraph.iter(f"{W}instrText")):
                        list(paragraph.iter(f"{W}t"))[-1].text = ""
                        break
                data = etree.tostring(body, xml_declaration=True, encoding="UTF-8", standalone=True)
            target.writestr(item, data)
    stage = get(name)
    result = stage.check(
        sample_doc, stage.options(), [broken], BuildContext(slug="impact-report-2023", source=SAMPLE)
    )
    assert not result.passed
    assert any("shows no page number" in f.message for f in result.findings)


def _pdf_images(pdf: Path) -> list[tuple[int, float]]:
    """(page, height in pt) of each picture, from poppler's pdfimages -list."""
    out = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines()[2:]:
        cells = line.split()
        if len(cells) > 13 and cells[2] == "image":
            found.append((int(cells[0]), int(cells[4]) / float(cells[13]) * 72))
    return found


def _margins(path: Path) -> tuple[float, float, float]:
    """(page height, top margin, bottom margin) in pt, from the document's last section."""
    with zipfile.ZipFile(path) as package:
        body = etree.fromstring(package.read("word/document.xml"))
    section = body.findall(f".//{W}sectPr")[-1]
    height = int(section.find(f"{W}pgSz").get(f"{W}h")) / 20
    margins = section.find(f"{W}pgMar")
    return height, int(margins.get(f"{W}top")) / 20, int(margins.get(f"{W}bottom")) / 20


def _text_height(path: Path) -> float:
    height, top, bottom = _margins(path)
    return height - top - bottom


def _empty_below_text(path: Path, pdf: Path, page: int) -> float:
    """The height (pt) between the lowest word of the page's text area (poppler's pdftotext
    -bbox; the footer, in the bottom margin, left out) and the bottom of the text area."""
    height, _, bottom = _margins(path)
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lows = [float(y) for y in re.findall(r'<word [^>]*yMax="([\d.]+)"', out)]
    lows = [y for y in lows if y < height - bottom]
    return height - bottom - max(lows)


def _shown_pages_match(path: Path, pages: list[str]) -> None:
    """Each contents entry's number is the first page that has its heading alone on a line (a
    heading two lines long: the first page, after the contents, with its words in a row)."""
    leaders = [n for n, page in enumerate(pages, start=1) if re.search(r"\.{5,}\s*\d+$", page, re.M)]
    for text, shown in contents_entries(path):
        alone = [n for n, page in enumerate(pages, start=1) if text in map(squash, page.splitlines())]
        wrapped = [n for n, page in enumerate(pages, start=1) if n > max(leaders) and text in squash(page)]
        found = (alone or wrapped)[0]
        assert found == int(shown), f"'{text}' is on page {found}, contents says {shown}"


@pytest.mark.parametrize(("name", "lead_in", "floor"), [("word", 4, 0.45), ("large-print", 6, 0.8)])
def test_a_figure_that_would_leave_a_third_of_a_page_empty_shrinks_onto_it(
    sample_doc, tmp_path, name, lead_in, floor
):
    """A tall chart after lead-in paragraphs does not fit under them at full size. With fitting
    off it goes to the next page and leaves a third or more of the page before it empty; on, it
    is on that page, smaller (not below the floor: 45% clear print, 80% large print), with its
    caption. pdfimages and pdftotext -bbox (poppler) read LibreOffice's pages."""
    from PIL import Image, ImageDraw

    from pipeline.document import Figure

    tall = tmp_path / "tall-chart.png"
    picture = Image.new("RGB", (800, 900), "white")
    ImageDraw.Draw(picture).rectangle((100, 100, 300, 850), fill=(30, 60, 140))
    picture.save(tall)
    chart = dataclasses.replace(
        next(b for b in sample_doc.blocks if isinstance(b, Figure) and not b.decorative), src=tall
    )
    lead = tuple(
        Paragraph(
            (Text(f"Lead-in paragraph {n} that is long enough to wrap onto a second line of the page"),)
        )
        for n in range(lead_in)
    )
    after = Paragraph((Text("After the chart."),))
    doc = dataclasses.replace(
        sample_doc, blocks=(Heading(1, (Text("Figures"),), "figures"), *lead, chart, after)
    )
    seen = {}
    for fit in (False, True):
        out = tmp_path / str(fit)
        path = build(doc, name, out / "out", fit_figures=fit)
        pages = render(path, out / "lo")
        pdf = next((out / "lo").glob("*.pdf"))
        (page, height), *_ = _pdf_images(pdf)
        caption_page = next(n for n, text in enumerate(pages, start=1) if "Figure 1: People reached" in text)
        seen[fit] = (page, height, caption_page, _empty_below_text(path, pdf, page - 1 if page > 1 else 1))
        _shown_pages_match(path, pages)
    (page_off, full, _, empty_before), (page_on, height, caption_on, _) = seen[False], seen[True]
    assert page_off > 1 and empty_before >= _text_height(path) / 3, seen  # the gap, fitting off
    assert page_on == page_off - 1 and caption_on == page_on, seen  # on the page before, captioned
    assert floor * full <= height < full - 1, seen  # smaller, not below the floor


def _wide_table(caption: str) -> Table:
    """Ten columns whose longest words side by side are wider than a portrait page."""

    def cell(text: str) -> TableCell:
        return TableCell((Paragraph((Text(text),)),))

    header = (tuple(cell("Place" if c == 0 else f"Region {c}") for c in range(10)),)
    rows = tuple(
        tuple(cell(f"Row{n:02d} Organisations" if c == 0 else str(n * c)) for c in range(10))
        for n in range(1, 5)
    )
    return Table((Text(caption),), header, rows)


def _page_sizes(pdf: Path, count: int) -> list[tuple[float, float]]:
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", str(count), str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    return [(float(w), float(h)) for w, h in re.findall(r"size:\s+([\d.]+) x ([\d.]+)", info)]


def test_wide_tables_one_after_another_share_one_landscape_section(sample_doc, tmp_path):
    """Right after the contents, then two more with a heading between: one landscape section
    (pages 2-3), portrait before and after, and every page's footer counts ("Page 1 of 4"; a
    break on the contents' last entry once left page 1 with "Page of")."""
    doc = dataclasses.replace(
        sample_doc,
        blocks=(
            _wide_table("First wide"),
            Heading(2, (Text("Second"),), "second"),
            _wide_table("Second wide"),
            _wide_table("Third wide"),
            Paragraph((Text("Text after."),)),
            Heading(1, (Text("After"),), "after"),
        ),
    )
    path = build(doc, "word", tmp_path / "out")
    pages = render(path, tmp_path / "lo")
    sizes = _page_sizes(next((tmp_path / "lo").glob("*.pdf")), len(pages))
    assert [w > h for w, h in sizes] == [False, True, True, False], sizes
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page, page
    _shown_pages_match(path, pages)


def test_a_wide_table_gets_a_landscape_section_between_portrait_pages(sample_doc, tmp_path):
    """Clear print: a table whose longest words do not fit side by side on a portrait page is on
    a landscape page of its own (its heading with it), the pages before and after portrait, the
    footer counting on, every word whole in its cell; the contents' numbers still right."""

    table = _wide_table("Places we visited")
    doc = dataclasses.replace(
        sample_doc,
        blocks=(
            Heading(1, (Text("Before"),), "before"),
            Paragraph((Text("Text before the wide table."),)),
            Heading(2, (Text("Wide table"),), "wide"),
            table,
            Paragraph((Text("Text after the wide table."),)),
            Heading(1, (Text("After"),), "after"),
        ),
    )
    path = build(doc, "word", tmp_path / "out")
    pages = render(path, tmp_path / "lo")
    sizes = _page_sizes(next((tmp_path / "lo").glob("*.pdf")), len(pages))
    turned = [n for n, (width, height) in enumerate(sizes, start=1) if width > height]
    assert len(turned) == 1 and 1 < turned[0] < len(pages), sizes
    page = pages[turned[0] - 1]
    assert "Wide table" in page and "Places we visited" in page
    assert f"Page {turned[0]} of {len(pages)}" in page
    words = page.split()
    assert words.count("Organisations") == 4 and words.count("Region") == 9, page
    assert "Text before the wide table." in pages[turned[0] - 2]
    assert "Text after the wide table." in pages[turned[0]]
    _shown_pages_match(path, pages)


@pytest.fixture
def layouts(monkeypatch):
    """Counts LibreOffice's layouts of Word documents (the stage's soffice runs)."""
    from pipeline.stages.word import pages as word_pages

    runs: list[Path] = []
    real = word_pages.render_pdf

    def counting(docx_path: Path, out_dir: Path) -> Path:
        runs.append(docx_path)
        return real(docx_path, out_dir)

    monkeypatch.setattr(word_pages, "render_pdf", counting)
    return runs


@pytest.mark.parametrize("name", ["word", "large-print"])
def test_one_layout_numbers_the_contents_when_every_entry_fits_its_line(sample_doc, tmp_path, layouts, name):
    path = build(sample_doc, name, tmp_path / "out")
    assert len(layouts) == 1, "the first layout proves the numbers; no second one is needed"
    _shown_pages_match(path, render(path, tmp_path / "lo"))


def test_a_contents_entry_that_wraps_gets_a_second_layout_and_right_numbers(sample_doc, tmp_path, layouts):
    """An entry two lines long in the contents: the first layout cannot show that the real
    numbers leave its lines alone, so the document is laid out again; the numbers are right."""
    long = (
        "What we learned from a long year of listening to the people who use the services "
        "we study, and what we will change"
    )
    blocks = tuple(
        dataclasses.replace(b, inlines=(Text(long),)) if isinstance(b, Heading) and b.id == "thank-you" else b
        for b in sample_doc.blocks
    )
    assert any(isinstance(b, Heading) and squash(inline_words(b)) == long for b in blocks)
    path = build(dataclasses.replace(sample_doc, blocks=blocks), "word", tmp_path / "out")
    pages = render(path, tmp_path / "lo")
    contents = next(page for page in pages if "Contents" in page.splitlines())
    assert "What we learned from a long year" in contents
    assert not any(long in squash(line) for line in contents.splitlines()), "it wraps"
    assert len(layouts) == 2
    _shown_pages_match(path, pages)


def inline_words(heading: Heading) -> str:
    return " ".join(t.text for t in heading.inlines if isinstance(t, Text))


def test_word_then_large_print_in_one_worker_both_lay_out(tmp_path):
    """A build worker runs one stage after another, each in its own temporary folder, which the
    build removes when the stage is done: the second LibreOffice layout in the same process must
    not depend on anything the first left in its folder (it did: a profile template)."""
    from pipeline.build import build_report

    source = tmp_path / "sources" / "two-layouts" / "two-layouts.md"
    source.parent.mkdir(parents=True)
    source.write_text(
        "---\ntitle: Two layouts\nlanguage: en-GB\n---\n\n# First part\n\nSome words.\n\n"
        "# Second part\n\nMore words.\n",
        encoding="utf-8",
    )
    result = build_report(source, tmp_path / "out", ["word", "large-print"], workers=1, show_progress=False)
    assert not result.failed, result.errors
    assert set(result.outputs) == {"word", "large-print"}


def _tiny_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("A heading", level=1)
    document.add_paragraph("One short paragraph to lay out.")
    document.save(str(path))
    return path


def test_every_layout_profile_is_a_kept_one_that_says_this_libreoffice_has_run(tmp_path, monkeypatch):
    """LibreOffice counts any start whose profile does not record its version as the first after
    an upgrade, and runs its graphics render tests (about 1 s of a 1.7 s layout here), leaving
    GraphicsRenderTests.log in the profile. The profile each layout gets records the version,
    and after the first layout it is a copy of the one that layout left in the cache folder."""
    from contextlib import contextmanager

    from pipeline import libreoffice

    document = _tiny_docx(tmp_path / "tiny.docx")
    # A fresh profile LibreOffice makes for itself: it runs the tests (the control).
    bare = tmp_path / "bare-profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={bare.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "bare"),
            str(document),
        ],
        capture_output=True,
        timeout=180,
        check=True,
    )
    assert (bare / "user" / "GraphicsRenderTests.log").is_file()
    # The helper's layouts, first with no template to copy and then from the one the first
    # left in the user's cache folder (where any later process finds it): neither runs them.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    real = libreoffice.prepared_profile
    seen: list[tuple[bool, str, bool]] = []
    marker = Path("user") / "left-by-the-first-run"

    @contextmanager
    def watched():
        with real() as profile:
            copied = (profile / marker).exists()
            yield profile
            settings = (profile / "user" / libreoffice.SETTINGS_FILE).read_text("utf-8")
            seen.append(((profile / "user" / "GraphicsRenderTests.log").exists(), settings, copied))

    monkeypatch.setattr(libreoffice, "prepared_profile", watched)
    template = libreoffice.PROFILES.folder()
    assert template is not None and not template.exists()
    template.mkdir(parents=True)  # a template whose files were cleared away: made again
    libreoffice.lay_out_as_pdf("soffice", document, tmp_path / "first", 180)
    assert (template / "user" / libreoffice.SETTINGS_FILE).is_file()
    (template / marker).write_text("a file only the kept template has")
    layout = libreoffice.lay_out_as_pdf("soffice", document, tmp_path / "from-template", 180)
    assert layout.pdf is not None and layout.pdf.stat().st_size > 0, layout.stderr
    assert [copied for _, _, copied in seen] == [False, True]
    version = libreoffice.installed_version()
    assert version and re.fullmatch(r"\d+\.\d+", version)
    assert [tests_ran for tests_ran, _, _ in seen] == [False, False]
    for _, settings, _ in seen:
        assert f'"ooSetupLastVersion" oor:op="fuse"><value>{version}</value>' in settings
        assert "ooSetupInstCompleted" in settings  # LibreOffice's own settings are still there


def _placed(lines) -> list[tuple[str, float, float]]:
    """Every character shown, with where it starts and ends across the page (rounded), in one
    order whatever the lines. Heights are left out: the proof reads none, and pdfminer takes
    a character's height from a different part of the font than pdftext.py does."""
    chars = [(text, box) for line in lines for text, box in line.chars if text.strip()]
    return sorted((text, round(b.x0, 2), round(b.x1, 2)) for text, b in chars)


def _leader_lines(lines) -> list[str]:
    """The lines a contents entry is on: words, a dot leader, a page number."""
    shown = ["".join(text for text, _ in line.chars if text.strip()) for line in lines]
    return [text for text in shown if re.search(r"\.{5,}\d+$", text)]


def test_the_contents_proof_reads_every_page_as_pdfminer_does(laid_out):
    """pdftext.py (pikepdf, hand-written for speed) against pdfminer.six on LibreOffice's PDF of
    each document: every character at the same place on every page, and the contents lines
    the same lines (pdfminer puts a list's bullet on a line of its own, this reader on its
    baseline's line; the proof reads only lines ending in a number)."""
    from pipeline.stages.word.pdftext import text_lines
    from pipeline.stages.word.pdfview import iter_pages

    _, path, shown_pages = laid_out
    pdf = path.parent / "lo" / f"{path.stem}.pdf"
    numbers = list(range(1, len(shown_pages) + 1))
    fast = dict(text_lines(pdf, numbers))
    assert sorted(fast) == numbers
    leader_lines = 0
    for number, view in iter_pages(pdf, numbers):
        assert _placed(fast[number]) == _placed(view.lines), f"page {number}"
        assert _leader_lines(fast[number]) == _leader_lines(view.lines), f"page {number}"
        leader_lines += len(_leader_lines(view.lines))
    assert leader_lines >= 5, "the contents was read"


def test_a_font_the_fast_reader_cannot_place_falls_back_to_pdfminer(laid_out, tmp_path, monkeypatch):
    """Fonts without a ToUnicode map: pdftext.py refuses the page and pdfminer reads it."""
    import pikepdf

    from pipeline.stages.word import pages as word_pages
    from pipeline.stages.word.pdftext import text_lines
    from pipeline.stages.word.pdfview import Unreadable

    _, path, _ = laid_out
    stripped = tmp_path / "stripped.pdf"
    with pikepdf.open(path.parent / "lo" / f"{path.stem}.pdf") as pdf:
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                if "/ToUnicode" in font:  # fonts are shared between pages
                    del font["/ToUnicode"]
        pdf.save(stripped)
    with pytest.raises(Unreadable):
        list(text_lines(stripped, [1]))
    read_by_pdfminer: list[list[int]] = []
    real = word_pages.iter_pages

    def counting(pdf_path, wanted):
        read_by_pdfminer.append(wanted)
        return real(pdf_path, wanted)

    monkeypatch.setattr(word_pages, "iter_pages", counting)
    proof = word_pages.ContentsProof(placeholder="888", room=12.0)
    assert word_pages._proven(stripped, [2], ["Introduction"], proof) is False
    assert read_by_pdfminer == [[1, 2]]
