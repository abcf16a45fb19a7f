"""The Markdown reader: every construct it understands, every problem it reports (with the line it
names), and the sample report read end to end. All tests read real files from disk."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from pipeline import textcompare
from pipeline.document import (
    BLOCK_KINDS,
    INLINE_KINDS,
    BulletList,
    Code,
    Emphasis,
    Figure,
    Footnotes,
    Heading,
    LineBreak,
    Link,
    NoteRef,
    OrderedList,
    PageBreak,
    Paragraph,
    Quote,
    Span,
    Strong,
    Table,
    ThematicBreak,
    headings,
    inline_text,
    iter_blocks,
)
from pipeline.errors import SourceError
from pipeline.readers.markdown import read_markdown, slugify

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "markdown"
SAMPLE = ROOT / "sources" / "impact-report-2023" / "impact-report-2023.md"


def draw_images(folder: Path) -> None:
    Image.new("RGB", (300, 150), (20, 60, 140)).save(folder / "chart.png")
    Image.new("RGB", (300, 10), (200, 160, 40)).save(folder / "border.png")
    (folder / "broken.png").write_text("this is not a PNG")


def copy_fixture(name: str, tmp_path: Path) -> Path:
    folder = tmp_path / "report"
    folder.mkdir()
    draw_images(folder)
    Image.new("RGB", (10, 10)).save(tmp_path / "outside.png")  # exists, but outside the folder
    target = folder / name
    shutil.copy(FIXTURES / name, target)
    return target


def write_report(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "report"
    folder.mkdir(exist_ok=True)
    draw_images(folder)
    path = folder / "report.md"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[tuple[int | None, str, str]]:
    with pytest.raises(SourceError) as raised:
        read_markdown(path)
    return [(p.line, p.message, p.fix) for p in raised.value.problems]


def inlines_of(block) -> list:
    """Every inline in a block (not in nested blocks), depth first."""
    found = []
    roots = ()
    if isinstance(block, (Heading, Paragraph)):
        roots = block.inlines
    elif isinstance(block, Table):
        roots = block.caption
    elif isinstance(block, Figure):
        roots = block.caption
    elif isinstance(block, Quote):
        roots = block.attribution
    stack = list(roots)
    while stack:
        node = stack.pop(0)
        found.append(node)
        stack[:0] = list(getattr(node, "inlines", ()))
    return found


def all_inlines(doc) -> list:
    return [inline for block in iter_blocks(doc.blocks) for inline in inlines_of(block)]


# ---------------------------------------------------------------- constructs


@pytest.fixture
def constructs(tmp_path):
    return read_markdown(copy_fixture("constructs.md", tmp_path))


def test_front_matter_becomes_metadata(constructs):
    meta = constructs.meta
    assert meta.title == "Every construct"
    assert meta.subtitle == "A reader test"
    assert meta.authors == ("Ann Writer", "Bo Writer")
    assert meta.publisher == "Test Charity"
    assert meta.date == "2024-03-01"
    assert meta.language == "cy"
    assert meta.contact == "formats@example.org"
    assert meta.version == "1.10"  # as written, not the float 1.1
    assert meta.identifier == "978-0-306-40615-7"
    assert meta.aliases == ("the test report", "constructs")
    assert meta.keywords == ("co-production",)
    assert meta.pronunciations == (("NHS", "N H S"), ("PPI", "P P I"))


def test_single_author_and_default_language(tmp_path):
    doc = read_markdown(write_report(tmp_path, "---\ntitle: T\nauthor: Solo\n---\n\n# A\n"))
    assert doc.meta.authors == ("Solo",)
    assert doc.meta.language == "en-GB"


def test_headings_levels_ids_and_lines(constructs):
    found = [(h.level, inline_text(h.inlines), h.id, h.line) for h in headings(constructs)]
    assert found == [
        (1, "Opening words", "opening", 19),
        (2, "Opening words", "opening-words", 26),
        (3, "Lists", "lists", 28),
    ]


def test_duplicate_headings_get_unique_slugs(tmp_path):
    doc = read_markdown(
        write_report(
            tmp_path, "---\ntitle: T\n---\n\n# Menu\n\n## Menu\n\n## Other {#menu-2}\n\n## Croeso i’r caffi\n"
        )
    )
    # The explicit id menu-2 is reserved before slugs are made, so the second Menu gets menu-3.
    assert [h.id for h in headings(doc)] == ["menu", "menu-3", "menu-2", "croeso-ir-caffi"]
    assert slugify("What we did in 2023!") == "what-we-did-in-2023"
    # Accents fold to their letter (ids travel into URL fragments, PDF destinations and SMIL,
    # where "é" is percent-encoded by some tools and not others); other scripts are kept.
    assert slugify("Café  —  Menu") == "cafe-menu"
    assert slugify("Enghraifft: y ffurflen ganiatâd") == "enghraifft-y-ffurflen-ganiatad"
    assert slugify("Привет мир") == "привет-мир"


def test_inline_kinds_in_first_paragraph(constructs):
    paragraph = constructs.blocks[1]
    assert isinstance(paragraph, Paragraph) and paragraph.line == 21
    kinds = [type(node) for node in paragraph.inlines]
    assert Emphasis in kinds and Strong in kinds and Code in kinds and LineBreak in kinds
    link = next(node for node in paragraph.inlines if isinstance(node, Link))
    assert link.url == "https://example.org/x" and inline_text(link.inlines) == "link"
    notes = [node for node in paragraph.inlines if isinstance(node, NoteRef)]
    assert [(n.note_id, n.number) for n in notes] == [("first", 1), ("second", 2), ("first", 1)]
    assert inline_text(paragraph.inlines).startswith(
        "Plain, emphasis, strong, code, a link and a hard\nbreak"
    )


def test_language_spans(constructs):
    paragraph = constructs.blocks[2]
    spans = [node for node in paragraph.inlines if isinstance(node, Span)]
    assert [(s.lang, inline_text(s.inlines)) for s in spans] == [
        ("cy", "Diolch yn fawr"),
        ("en-GB", "English words"),
    ]
    assert isinstance(spans[1].inlines[0], Link)  # {lang=..} after a link wraps the link


def test_nested_lists(constructs):
    lists = [b for b in constructs.blocks if isinstance(b, (BulletList, OrderedList))]
    numbered, bullets, from_three = lists
    assert isinstance(numbered, OrderedList) and numbered.line == 30 and len(numbered.items) == 2
    assert isinstance(numbered.items[0][1], BulletList)
    assert [inline_text(item[0].inlines) for item in numbered.items[0][1].items] == [
        "bullet inside numbered",
        "another",
    ]
    assert isinstance(bullets, BulletList) and isinstance(bullets.items[0][1], OrderedList)
    assert isinstance(from_three, OrderedList) and from_three.start == 3


def test_tables_captions_and_row_headers(constructs):
    first, second = [b for b in constructs.blocks if isinstance(b, Table)]
    assert inline_text(first.caption) == "Kinds of work" and first.row_headers
    assert first.line == 40
    assert [inline_text(c.blocks[0].inlines) for c in first.header_rows[0]] == ["Kind", "Count"]
    assert [inline_text(c.blocks[0].inlines) for c in first.body_rows[0]] == ["Talks", "19"]
    assert first.body_rows[1][1].blocks == ()  # an empty cell holds no blocks
    assert inline_text(second.caption) == "A plain table" and not second.row_headers
    # The caption paragraphs were consumed, not left behind as text.
    assert not any(
        isinstance(b, Paragraph) and "Kinds of work" in inline_text(b.inlines) for b in constructs.blocks
    )


def test_figures(constructs, tmp_path):
    chart, border = [b for b in constructs.blocks if isinstance(b, Figure)]
    assert chart.src == (tmp_path / "report" / "chart.png").resolve() and chart.src.is_absolute()
    assert chart.alt == "A bar chart of three bars"
    assert inline_text(chart.caption) == "Figure 1: Three bars"
    assert not chart.decorative and chart.line == 53
    assert border.decorative and border.alt == "" and border.line == 55


def test_quotes_with_and_without_attribution(constructs):
    attributed, plain = [b for b in constructs.blocks if isinstance(b, Quote)]
    assert inline_text(attributed.blocks[0].inlines) == "Being asked made me feel I mattered."
    assert inline_text(attributed.attribution) == "A workshop participant"
    assert len(attributed.blocks) == 1 and attributed.line == 57
    assert plain.attribution == ()


def test_breaks_code_and_comments(constructs):
    kinds = [type(b) for b in constructs.blocks]
    thematic = kinds.index(ThematicBreak)
    assert kinds[thematic + 1] is PageBreak
    page_break = constructs.blocks[thematic + 1]
    assert page_break.line == 65
    code = constructs.blocks[thematic + 2]
    assert code.inlines == (Code("fenced line one"), LineBreak(), Code("fenced line two"))
    assert not any(
        "author's note" in inline_text(b.inlines) for b in constructs.blocks if isinstance(b, Paragraph)
    )


def test_internal_links_and_footnotes_last(constructs):
    closing = constructs.blocks[-2]
    assert [n.url for n in closing.inlines if isinstance(n, Link)] == ["#opening", "#opening-words"]
    notes = constructs.blocks[-1]
    assert isinstance(notes, Footnotes)
    assert [(n.note_id, n.number) for n in notes.notes] == [("first", 1), ("second", 2), ("third", 3)]
    assert inline_text(notes.notes[1].blocks[0].inlines) == "The second note, on two lines."
    assert notes.line == 76 and notes.notes[2].blocks[0].line == 81
    assert set(constructs.footnotes) == {"first", "second", "third"}


def test_every_block_has_a_source_line(constructs):
    for block in iter_blocks(constructs.blocks):
        assert block.line is not None, block


# ---------------------------------------------------------------- problems


def test_every_problem_is_reported_together_with_its_line(tmp_path):
    found = problems_of(copy_fixture("problems.md", tmp_path))
    expected = [
        (1, "the report has no title"),
        (3, "'xx-Nope' is not a known language tag"),
        (6, "the first heading is level 3"),
        (8, "the image chart.png has no alt text"),
        (10, "the image file missing.png does not exist"),
        (12, "the image broken.png cannot be read as an image"),
        (14, "the image ../outside.png is outside the report's folder"),
        (18, "this heading skips from level 1 to level 3"),
        (20, "raw HTML (<b>) is not supported"),
        (22, 'raw HTML (<div class="box">Raw block</div>) is not supported'),
        (24, "'qq' is not a known language tag"),
        (28, "this table row has 3 cells but the header has 2"),
        (29, "this table row has 1 cell but the header has 2"),
        (31, "the footnote reference [^nowhere] has no note"),
        (31, "the footnote reference [^open is not closed"),
        (33, "the link #no-such-heading points to no heading"),
    ]
    for line, message in expected:
        assert any(l == line and m.startswith(message) for l, m, _ in found), (line, message, found)
    assert all(fix for _, _, fix in found)  # every problem says what to do
    assert len(found) >= len(expected)


def test_problem_text_names_file_line_and_fix(tmp_path):
    path = copy_fixture("problems.md", tmp_path)
    with pytest.raises(SourceError) as raised:
        read_markdown(path)
    text = str(raised.value)
    assert (
        f"{path}:8: the image chart.png has no alt text. Fix: add alt text inside the "
        "brackets: ![a chart of ...](chart.png), or mark the image {.decorative}" in text
    )
    assert f"{path}:20: raw HTML" in text and "not supported" in text


def test_missing_front_matter_is_missing_title(tmp_path):
    found = problems_of(write_report(tmp_path, "# Just a heading\n"))
    assert found[0][:2] == (1, "the report has no title")
    assert "title:" in found[0][2]


@pytest.mark.parametrize(
    "front, line, message",
    [
        ("title: T\nlanguage: en_GB\n", 3, "'en_GB' is not a language tag (BCP 47 uses hyphens)"),
        ("title: T\nlanguage: und\n", 3, "'und' does not name a particular language"),
        ("title: T\ntitel: oops\n", 3, "unknown front matter field 'titel'"),
        ("title: T\ndate: March 2024\n", 3, "the date 'March 2024' is not in the form YYYY-MM-DD"),
        ("title: T\nidentifier: 978-0-306-40615-8\n", 3, "the identifier '978-0-306-40615-8' is"),
        ("title: T\npronunciations: [NHS]\n", 3, "'pronunciations' should map each word"),
        ("title: T\nauthor: A\nauthors: [B]\n", 3, "both 'author' and 'authors' are given"),
        ("title: [unclosed\n", 2, "the front matter is not valid YAML"),
    ],
)
def test_front_matter_problems(tmp_path, front, line, message):
    found = problems_of(write_report(tmp_path, f"---\n{front}---\n\n# Heading\n"))
    assert any(l == line and m.startswith(message) for l, m, _ in found), found


@pytest.mark.parametrize(
    "body, line, message",
    [
        ("![Bars](chart.png) inside text", 7, "the image chart.png is inside a line of text"),
        ("![chart](chart.png)", 7, "the alt text of chart.png is just its file name"),
        ("![Remote](https://example.org/a.png)", 7, "the image https://example.org/a.png is not a file"),
        (
            "Text[^lost].\n\n[^lost]: one\n\n[^spare]: never used",
            11,
            "the footnote [^spare] is never referred to",
        ),
        ("| A | B |\n|---|\n| 1 | 2 |", 7, "this table's header has 2 cells but the line under it has 1"),
        (
            "| A | B |\n|---|---|\n| 1 | 2 |\n: caption too close",
            10,
            "this table caption is read as a row of the table",
        ),
        ("[](https://example.org)", 7, "the link to https://example.org has no text"),
        ("## Twice {#same}\n\n## Again {#same}", 9, "the heading id '#same' is used twice"),
        ("Line one\nline <br> two", 8, "raw HTML (<br>) is not supported"),
    ],
)
def test_body_problems(tmp_path, body, line, message):
    found = problems_of(write_report(tmp_path, f"---\ntitle: T\n---\n\n# Heading\n\n{body}\n"))
    assert any(l == line and m.startswith(message) for l, m, _ in found), found


def test_an_svg_or_other_format_is_refused(tmp_path):
    path = write_report(tmp_path, "---\ntitle: T\n---\n\n# H\n\n![A photo](photo.bmp)\n")
    Image.new("RGB", (4, 4)).save(path.parent / "photo.bmp")
    found = problems_of(path)
    assert found[0][0] == 7 and "is a BMP file" in found[0][1]


# ---------------------------------------------------------------- the sample report


@pytest.fixture(scope="module")
def sample():
    return read_markdown(SAMPLE)


def test_sample_report_reads_without_problems(sample):
    assert sample.meta.title and sample.meta.language == "en-GB"
    assert sample.meta.contact.count("@") == 1
    for field in ("subtitle", "publisher", "date", "description", "version"):
        assert getattr(sample.meta, field), field
    assert len(sample.meta.authors) >= 1
    assert {"annual review", "impact report", "2023 report"} <= set(sample.meta.aliases)
    assert dict(sample.meta.pronunciations)["KCC"] == "K C C"


def test_sample_uses_every_block_and_inline_kind(sample):
    block_kinds = {type(b) for b in iter_blocks(sample.blocks)}
    assert block_kinds == set(BLOCK_KINDS)
    inline_kinds = {type(i) for i in all_inlines(sample)}
    inline_kinds |= {type(i) for n in sample.footnotes.values() for b in n.blocks for i in inlines_of(b)}
    assert inline_kinds == set(INLINE_KINDS)


def test_sample_structure(sample):
    chapters = [h for h in headings(sample) if h.level == 1]
    assert 5 <= len(chapters) <= 8
    assert max(h.level for h in headings(sample)) == 3
    figures = [b for b in iter_blocks(sample.blocks) if isinstance(b, Figure)]
    informative = [f for f in figures if not f.decorative]
    assert len(informative) == 2 and all(f.alt and f.caption for f in informative)
    assert any(f.decorative for f in figures)
    for figure in figures:
        assert figure.src.parent == SAMPLE.parent and figure.src.is_file()
    table = next(b for b in sample.blocks if isinstance(b, Table))
    assert table.caption and table.row_headers
    quote = next(b for b in sample.blocks if isinstance(b, Quote))
    assert quote.attribution
    assert len(sample.footnotes) >= 3
    nested = [
        b
        for b in iter_blocks(sample.blocks)
        if isinstance(b, (BulletList, OrderedList))
        and any(isinstance(inner, (BulletList, OrderedList)) for item in b.items for inner in item)
    ]
    assert {type(b) for b in nested} == {BulletList, OrderedList}  # both ways round
    links = [i for i in all_inlines(sample) if isinstance(i, Link)]
    assert any(link.url.startswith("https://") for link in links)
    assert any(link.url.startswith("#") for link in links)
    spans = [i for i in all_inlines(sample) if isinstance(i, Span)]
    assert ("cy", "Diolch yn fawr") in [(s.lang, inline_text(s.inlines)) for s in spans]


def test_sample_facts_money_and_percentages(sample):
    text = "\n".join(
        inline_text(i.inlines) if hasattr(i, "inlines") else "" for i in iter_blocks(sample.blocks)
    )
    for fact in (
        "£1,179,818.54",
        "£86,078.27",
        "35%",
        "502",
        "1,482",
        "397",
        "298",
        "86 people",
        "50 people",
    ):
        assert fact in text, fact


def test_sample_word_count(sample):
    count = len(textcompare.source_words(sample))
    assert 1500 <= count <= 2500, count


def test_sample_images_are_what_make_charts_draws(tmp_path, monkeypatch):
    """The committed PNGs are the script's output: redraw them and compare what Pillow promises.

    Pillow fills shapes with exactly the colour asked for, but the antialiasing and hinting of text
    belong to the FreeType it was built with, so text edges may differ by a pixel between
    versions: a byte-for-byte comparison fails on another machine for no visible reason. So:
    the same size; exactly as many pixels in each chart colour (the bars: rectangles; within 1%
    for the divider's rounded cups and arcs, whose drawing Pillow has refined between versions);
    and, averaged over 4x4 blocks, no block changed by more than 96 of 255 levels. A glyph edge
    moving by one pixel moves a block by at most 64; a changed character, bar or line moves it by
    far more."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_charts", ROOT / "scripts" / "make_charts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "REPORT_FOLDER", tmp_path)
    for drawn in module.main():
        committed = SAMPLE.parent / drawn.name
        with Image.open(drawn) as new, Image.open(committed) as old:
            assert new.size == old.size, drawn.name
            new_rgb, old_rgb = new.convert("RGB"), old.convert("RGB")
            tolerance = 0.01 if drawn.name == "cups-divider.png" else 0
            for colour in (module.BAR, module.ACCENT):
                drawn_count, committed_count = _pixels_of(new_rgb, colour), _pixels_of(old_rgb, colour)
                assert abs(drawn_count - committed_count) <= tolerance * committed_count, (drawn.name, colour)
            assert _changed_blocks(new_rgb, old_rgb) == 0, drawn.name


def _pixels_of(image, colour) -> int:
    counts = image.getcolors(maxcolors=image.width * image.height)
    return next((count for count, found in counts if found == colour), 0)


def _changed_blocks(first, second, block: int = 4, limit: int = 96) -> int:
    """Blocks of block x block pixels whose average differs by more than `limit` levels in any
    channel."""
    from PIL import ImageChops

    difference = ImageChops.difference(first.reduce(block), second.reduce(block))
    red, green, blue = difference.split()
    largest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    return largest.point(lambda level: 255 if level > limit else 0).histogram()[255]


def test_the_image_comparison_sees_a_changed_label_and_bar(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_charts", ROOT / "scripts" / "make_charts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "REPORT_FOLDER", tmp_path)
    with Image.open(SAMPLE.parent / "people-reached.png") as committed:
        old = committed.convert("RGB")
    rows = module.PEOPLE_REACHED
    one_more = module.horizontal_bar_chart(
        "People reached in 2023, by kind of activity",
        ((rows[0][0], rows[0][1] + 1), *rows[1:]),
        lambda value: f"{value:,.0f} people",
        (module.BAR,),
    )
    assert _changed_blocks(one_more, old) > 0  # "1,483 people"
    shorter = module.horizontal_bar_chart(
        "People reached in 2023, by kind of activity",
        (rows[0], (rows[1][0], rows[1][1] - 10), *rows[2:]),
        lambda value: f"{value:,.0f} people",
        (module.BAR,),
    )
    assert _pixels_of(shorter, module.BAR) != _pixels_of(old, module.BAR)  # 4 pixels shorter


def test_missing_file_and_non_utf8_file_are_source_errors(tmp_path):
    assert "does not exist" in problems_of(tmp_path / "nowhere.md")[0][1]
    latin1 = tmp_path / "latin1.md"
    latin1.write_bytes("---\ntitle: Caf\xe9\n---\n".encode("latin-1"))
    assert "not UTF-8" in problems_of(latin1)[0][1]


def test_a_folder_in_place_of_the_report_file_is_a_clear_error(tmp_path):
    folder = tmp_path / "report.md"
    folder.mkdir()
    with pytest.raises(SourceError) as raised:
        read_markdown(folder)
    assert "the report file cannot be read" in str(raised.value)
