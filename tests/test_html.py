"""The `html` stage: a real build of the fixture document, read back by its check, by lxml, and by
axe-core in headless Chromium; and the check catching each defect it exists for."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from fixture_document import fixture_document
from lxml import html as lxml_html

from pipeline.document import Figure, Table
from pipeline.errors import OptionsError
from pipeline.stage_api import BuildContext, make_options
from pipeline.stages import get

ROOT = Path(__file__).resolve().parent.parent
AXE_DIR = ROOT / "tools" / "axe"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fixture document, built once for the module: (doc, ctx, page path)."""
    tmp = tmp_path_factory.mktemp("html")
    doc = fixture_document(tmp / "src")
    ctx = BuildContext(slug="listening-together", source=doc.source)
    stage = get("html")
    out = tmp / "out"
    out.mkdir()
    paths = stage.build(doc, stage.options(), out, ctx)
    return doc, ctx, paths


def run_check(doc, ctx, paths, options=None):
    stage = get("html")
    return stage.check(doc, options or stage.options(), paths, ctx)


def test_fixture_builds_one_self_contained_page_that_passes_its_check(built):
    doc, ctx, paths = built
    assert [p.name for p in paths] == ["listening-together.html"]
    result = run_check(doc, ctx, paths)
    assert result.passed, result.findings
    assert result.metrics["similarity"] >= 0.99
    tree = lxml_html.parse(str(paths[0])).getroot()
    assert all(img.get("src").startswith("data:image/png;base64,") for img in tree.iter("img"))


def test_page_markup_is_what_readers_rely_on(built):
    _, _, paths = built
    tree = lxml_html.parse(str(paths[0])).getroot()
    assert tree.get("lang") == "en-GB"
    first_link = next(tree.iter("a"))
    assert first_link.get("href") == "#main" and "Skip" in first_link.text
    assert tree.find(".//main").get("id") == "main"
    header = tree.find(".//header")
    assert "Listening Together" in header.text_content()
    assert "Example Co-production Charity" in header.text_content()
    assert header.find(".//time").get("datetime") == "2024-03-01"
    nav_links = [a.get("href") for a in tree.find(".//nav").iter("a")]
    assert nav_links[:4] == ["#introduction", "#what-we-did", "#in-pictures", "#money"]
    # the title is the page's one h1; the report's headings keep their order and relative
    # levels one below it, each opening a labelled section
    assert [" ".join(h.text_content().split()) for h in tree.iter("h1")] == ["Listening Together"]
    assert header.find("h1") is not None
    levels = [(h.tag, h.get("id")) for h in tree.find(".//main").iter("h1", "h2", "h3", "h4")]
    assert levels[:4] == [
        ("h2", "introduction"),
        ("h3", "what-we-did"),
        ("h4", "in-pictures"),
        ("h2", "money"),
    ]
    assert tree.xpath("//section[@aria-labelledby='what-we-did']/h3")
    # the contents come first, named by their own h2
    assert tree.find(".//nav/h2").text == "Contents"
    # table: caption, column headers, row headers
    table = tree.find(".//table")
    assert table.find("caption").text == "Table 1: Sessions by kind"
    assert [th.get("scope") for th in table.find("thead").iter("th")] == ["col"] * 3
    assert [th.get("scope") for th in table.find("tbody").iter("th")] == ["row", "row"]
    # figures and the decorative image
    figure_img = tree.xpath("//figure/img")[0]
    assert figure_img.get("alt").startswith("Bar chart")
    assert tree.xpath("//figure/figcaption")[0].text == "Figure 1: Sessions in 2023"
    decorative = tree.xpath("//img[@role='presentation']")
    assert len(decorative) == 1 and decorative[0].get("alt") == ""
    # language of the Welsh word, quote attribution, notes both ways
    assert tree.xpath("//span[@lang='cy']")[0].text == "diolch"
    assert "A workshop participant" in tree.xpath("//figure[@class='quote']/figcaption")[0].text_content()
    ref = tree.xpath("//a[@role='doc-noteref']")[0]
    note = tree.xpath(f"//*[@id='{ref.get('href')[1:]}']")[0]
    assert note.get("role") == "doc-footnote"
    assert note.getparent().get("role") == "doc-endnotes"
    assert note.xpath(".//a[@role='doc-backlink']")[0].get("href") == f"#{ref.get('id')}"
    statement = tree.xpath("//footer//section[@aria-labelledby='accessibility']")[0]
    assert "formats@example.org" in statement.text_content()


def _tampered(paths, tmp_path, edit):
    page = tmp_path / paths[0].name
    page.write_text(edit(paths[0].read_text(encoding="utf-8")), encoding="utf-8")
    return [page]


@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda s: s.replace('alt="Bar chart', 'data-x="Bar chart'), "no alt attribute"),
        (lambda s: s.replace('<html lang="en-GB">', "<html>"), "<html lang>"),
        (lambda s: s.replace('<h4 id="in-pictures">In pictures</h4>', ""), "headings differ"),
        (
            lambda s: s.replace('<header><h1 class="title"', '<header><p class="title"').replace(
                "Together</h1>", "Together</p>", 1
            ),
            "one h1",
        ),
        (lambda s: s.replace('role="region" tabindex="0"', ""), "scroll region"),
        (lambda s: s.replace('<span lang="cy">', "<span>"), "language 'cy'"),
        (lambda s: s.replace('href="#note-2"', 'href="#note-9"'), "goes nowhere"),
        (lambda s: s.replace("</main>", "<p><b>unclosed</main>"), "parse error"),
        (lambda s: s.replace("max-width: 42rem", "max-width: 672px"), "absolute unit"),
        (lambda s: s.replace("text-align: start;", "text-align: justify;", 1), "justifies"),
        (lambda s: s.replace("prefers-color-scheme: dark", "prefers-contrast: more"), "dark"),
        (lambda s: s.replace("The Welsh for thank you is", "The Welsh is"), "words in order"),
    ],
)
def test_check_catches_each_defect(built, tmp_path, edit, expected):
    doc, ctx, paths = built
    result = run_check(doc, ctx, _tampered(paths, tmp_path, edit))
    assert not result.passed
    assert any(expected in f.message for f in result.findings), result.findings


def test_the_words_check_is_strict_enough(built, tmp_path):
    """Dropping three source words out of 82 must fail the 0.99 similarity bar."""
    doc, ctx, paths = built
    result = run_check(doc, ctx, _tampered(paths, tmp_path, lambda s: s.replace("Bids won 35% more", "Bids")))
    assert result.metrics["similarity"] < 0.99 and not result.passed


def test_images_can_be_copied_beside_the_page(tmp_path, doc, ctx):
    stage = get("html")
    options = make_options(stage, {"embed_images": "false"})
    out = tmp_path / "out"
    out.mkdir()
    paths = stage.build(doc, options, out, ctx)
    assert len(paths) == 3 and all(p.is_file() for p in paths)
    assert {p.parent.name for p in paths[1:]} == {"listening-together-images"}
    assert run_check(doc, ctx, paths, options).passed
    with pytest.raises(OptionsError):
        make_options(stage, {"embed_images": "perhaps"})


def test_a_missing_image_is_a_clear_failure(tmp_path, doc, ctx):
    from pipeline.errors import StageFailed

    broken = replace(
        doc,
        blocks=tuple(
            replace(b, src=tmp_path / "gone.png") if isinstance(b, Figure) else b for b in doc.blocks
        ),
    )
    with pytest.raises(StageFailed, match="gone.png"):
        get("html").build(broken, get("html").options(), tmp_path, ctx)


def axe_ready() -> str:
    """Why axe cannot run here, or "" when it can."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not CHROMIUM.exists():
        return "chromium is not installed (/usr/bin/chromium)"
    if not (AXE_DIR / "node_modules" / "axe-core").is_dir():
        return "axe-core is not installed: run `npm ci --prefix tools/axe`"
    return ""


def run_axe(files: list[Path]) -> list[dict]:
    out = subprocess.run(
        ["node", str(AXE_DIR / "run-axe.js"), *map(str, files)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.slow
@pytest.mark.skipif(bool(axe_ready()), reason=axe_ready() or "ready")
def test_axe_finds_no_violations_in_light_or_dark(built):
    _, _, paths = built
    results = run_axe([paths[0]])
    assert {r["scheme"] for r in results} == {"light", "dark"}
    for result in results:
        assert not result["parseError"] and result["headings"] >= 5
        assert result["violations"] == [], result["violations"]


# ---------------------------------------------------------------- the sample at phone width

SAMPLE = Path(__file__).resolve().parent.parent / "sources" / "impact-report-2023" / "impact-report-2023.md"


def sample_page(tmp_path: Path, extra_blocks: tuple = ()) -> tuple[object, Path]:
    from pipeline.sources import read_source

    doc = read_source(SAMPLE)
    if extra_blocks:
        doc = replace(doc, blocks=doc.blocks[:-1] + extra_blocks + doc.blocks[-1:])
    ctx = BuildContext(slug="impact-report-2023", source=SAMPLE)
    stage = get("html")
    paths = stage.build(doc, stage.options(), tmp_path, ctx)
    result = stage.check(doc, stage.options(), paths, ctx)
    assert result.passed, [f for f in result.findings if f.severity == "error"]
    return doc, paths[0]


def wide_table(columns: int) -> Table:
    from pipeline.document import Paragraph as P
    from pipeline.document import TableCell as C
    from pipeline.document import Text as T

    header = (tuple(C((P((T(f"Region heading {n}"),)),)) for n in range(columns)),)
    body = tuple(tuple(C((P((T(f"{row * n:,} people"),)),)) for n in range(columns)) for row in range(1, 4))
    return Table((T(f"A table of {columns} columns"),), header, body)


def viewport(path: Path, *widths: int) -> list[dict]:
    out = subprocess.run(
        ["node", str(AXE_DIR / "viewport.js"), str(path), *map(str, widths), "--dark"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.skipif(bool(axe_ready()), reason=axe_ready() or "ready")
def test_no_sideways_scrolling_at_400_and_320_px_even_with_a_wide_table(tmp_path):
    _, path = sample_page(tmp_path, (wide_table(14),))
    for result in viewport(path, 400, 320):
        assert result["scrollWidth"] <= result["clientWidth"], result
        assert result["wideElements"] == [], result


@pytest.mark.skipif(bool(axe_ready()), reason=axe_ready() or "ready")
def test_sample_page_has_no_axe_violations_light_or_dark(tmp_path):
    _, path = sample_page(tmp_path)
    results = run_axe([path])
    assert {r["scheme"] for r in results} == {"light", "dark"}
    for result in results:
        assert result["violations"] == [], result["violations"]


def test_sample_page_title_regions_dark_images_and_print_links(tmp_path):
    doc, path = sample_page(tmp_path)
    tree = lxml_html.parse(str(path)).getroot()
    assert [h.text_content() for h in tree.iter("h1")] == [doc.meta.title]
    regions = tree.xpath("//div[@role='region'][@tabindex='0']")
    assert len(regions) == len(tree.findall(".//table")) == 1
    caption = regions[0].find("table/caption")
    assert regions[0].get("aria-labelledby") == caption.get("id")
    assert caption.text == "Our activity in 2023 at a glance"
    css = tree.find(".//style").text
    dark = css[css.index("prefers-color-scheme: dark") : css.index("html {")]
    assert "figure img" in dark and "background: #ffffff" in dark and "border" in dark
    printed = css[css.index("@media print") :]
    assert 'a[href^="http"]::after' in printed and 'a[href^="mailto:"]::after' in printed
    assert "attr(href)" in printed
    header = tree.find(".//header")
    assert "15 March 2024" in header.text_content()
    assert header.text_content().count("Kettle and Compass Co-production Collective") == 1
