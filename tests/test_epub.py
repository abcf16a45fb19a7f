"""The `epub` stage: real builds of the fixture document checked by EPUBCheck and the stage's own
read-back, broken books (edited zips of real builds) that the check must catch, the page-list
that exists only with a PDF page map, DAISY Ace, and the first chapter rendered in Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from fixture_document import fixture_document
from lxml import etree

from pipeline.document import Figure
from pipeline.stage_api import BuildContext, PageMap, PageStart
from pipeline.stages import get

ROOT = Path(__file__).resolve().parent.parent
ACE_DIR = ROOT / "tools" / "ace"
AXE_DIR = ROOT / "tools" / "axe"
SLUG = "listening-together"
OPF = "EPUB/content.opf"
NAV = "EPUB/nav.xhtml"
CHAPTER = "EPUB/chapter-01.xhtml"


def page_map() -> PageMap:
    # pages 1-3 of the fixture's PDF start at the first heading, the table and "Money"
    return PageMap(f"{SLUG}.pdf", (PageStart(1, 0), PageStart(2, 5), PageStart(3, 12)))


def build_book(doc, folder: Path, page_map: PageMap | None = None) -> tuple[BuildContext, Path]:
    ctx = BuildContext(slug=SLUG, source=doc.source, page_map=page_map, thorough=True)
    folder.mkdir(parents=True, exist_ok=True)
    stage = get("epub")
    [path] = stage.build(doc, stage.options(), folder, ctx)
    return ctx, path


def check_book(doc, ctx, path):
    stage = get("epub")
    return stage.check(doc, stage.options(), [path], ctx)


@pytest.fixture(scope="module")
def fixture_doc(tmp_path_factory):
    return fixture_document(tmp_path_factory.mktemp("epub-src"))


@pytest.fixture(scope="module")
def paged(fixture_doc, tmp_path_factory):
    """The fixture built with a PDF page map, and its check result."""
    ctx, path = build_book(fixture_doc, tmp_path_factory.mktemp("paged"), page_map())
    return ctx, path, check_book(fixture_doc, ctx, path)


@pytest.fixture(scope="module")
def unpaged(fixture_doc, tmp_path_factory):
    ctx, path = build_book(fixture_doc, tmp_path_factory.mktemp("unpaged"))
    return ctx, path, check_book(fixture_doc, ctx, path)


def read(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name).decode("utf-8")


def edited(path: Path, target: Path, name: str, edit) -> Path:
    """A copy of a real book with one file changed (mimetype first and stored, as EPUB needs)."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == name:
                changed = edit(data.decode("utf-8"))
                assert changed != data.decode("utf-8"), f"the edit did not change {name}"
                data = changed.encode("utf-8")
            compress = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            out.writestr(info.filename, data, compress_type=compress)
    return target


def properties(path: Path) -> list[tuple[str, str]]:
    opf = etree.fromstring(read(path, OPF).encode())
    return [(m.get("property"), m.text) for m in opf.iter("{*}meta") if m.get("property")]


# ---------------------------------------------------------------- real builds pass


def test_fixture_book_passes_epubcheck_and_its_check(unpaged, paged):
    for _, _path, result in (unpaged, paged):
        assert result.passed, result.findings
        assert result.metrics["epubcheck"]["errors"] == 0
        assert result.metrics["epubcheck"]["warnings"] == 0
        assert result.metrics["epubcheck"]["fatal"] == 0
        assert result.metrics["similarity"] >= 0.99
        assert result.metrics["conformance_claimed"] is True


def test_package_metadata_tells_the_truth(unpaged):
    _, path, _ = unpaged
    opf = etree.fromstring(read(path, OPF).encode())
    assert opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-GB"
    dc = {el.tag.split("}")[1]: el.text for el in opf.iter("{http://purl.org/dc/elements/1.1/}*")}
    assert dc["title"] == "Listening Together" and dc["language"] == "en-GB"
    creators = [el for el in opf.iter("{http://purl.org/dc/elements/1.1/}creator")]
    assert [el.text for el in creators] == ["Test Author", "Second Author"]
    assert len({el.get("id") for el in creators}) == 2, "each creator needs its own id"
    assert dc["publisher"] == "Example Co-production Charity"
    assert dc["date"] == "2024-03-01" and dc["identifier"].startswith("urn:uuid:")
    props = properties(path)
    features = {v for k, v in props if k == "schema:accessibilityFeature"}
    assert {
        "structuralNavigation",
        "tableOfContents",
        "readingOrder",
        "alternativeText",
        "displayTransformability",
    } <= features
    assert not features & {"pageNavigation", "pageBreakMarkers", "printPageNumbers"}
    assert {v for k, v in props if k == "schema:accessMode"} == {"textual", "visual"}
    assert ("schema:accessModeSufficient", "textual") in props
    assert ("schema:accessibilityHazard", "none") in props
    assert ("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.2 Level AA") in props
    assert ("a11y:certifiedBy", "Example Co-production Charity") in props
    assert "pageBreakSource" not in dict(props)


def test_identifier_is_stable_for_the_same_report(fixture_doc, tmp_path):
    _, first = build_book(fixture_doc, tmp_path / "a")
    _, second = build_book(fixture_doc, tmp_path / "b")
    identifier = re.compile(r"<dc:identifier[^>]*>([^<]+)<")
    assert identifier.search(read(first, OPF)).group(1) == identifier.search(read(second, OPF)).group(1)


def test_content_documents_are_semantic(unpaged):
    _, path, _ = unpaged
    chapter = read(path, CHAPTER)
    assert 'lang="en-GB" xml:lang="en-GB"' in chapter
    assert '<section aria-labelledby="introduction" role="doc-chapter" epub:type="chapter">' in chapter
    assert '<th scope="row">Training</th>' in chapter and '<th scope="col">Kind</th>' in chapter
    assert 'alt="" role="presentation"' in chapter
    assert '<span lang="cy" xml:lang="cy">diolch</span>' in chapter
    assert 'role="doc-noteref"' in chapter and 'epub:type="footnote"' in chapter
    assert 'role="doc-backlink" href="#noteref-1"' in chapter
    css = read(path, "EPUB/book.css")
    assert "justify" not in css and not re.search(r"\d(px|pt)\b", css)
    assert "color" not in css and "font-size" not in css
    names = zipfile.ZipFile(path).namelist()
    assert {"EPUB/title.xhtml", "EPUB/accessibility.xhtml", "EPUB/toc.ncx", "EPUB/chapter-02.xhtml"} <= set(
        names
    )
    nav = read(path, NAV)
    for landmark in ("titlepage", "toc", "bodymatter", "backmatter"):
        assert f'epub:type="{landmark}"' in nav


# ---------------------------------------------------------------- page-list


def test_page_list_only_with_a_pdf_page_map(paged, unpaged):
    _, with_pages, result = paged
    nav = read(with_pages, NAV)
    assert 'epub:type="page-list"' in nav
    assert re.findall(r'<a href="(chapter-\d+\.xhtml#page-\d+)">(\d+)</a>', nav) == [
        ("chapter-01.xhtml#page-1", "1"),
        ("chapter-01.xhtml#page-2", "2"),
        ("chapter-02.xhtml#page-3", "3"),
    ]
    assert '<hr role="doc-pagebreak" id="page-3" aria-label="3"' in read(with_pages, "EPUB/chapter-02.xhtml")
    props = properties(with_pages)
    assert ("pageBreakSource", f"{SLUG}.pdf") in props
    assert {"pageNavigation", "pageBreakMarkers"} <= {
        v for k, v in props if k == "schema:accessibilityFeature"
    }
    assert result.metrics["pages"] == 3
    _, without_pages, result = unpaged
    assert "page-list" not in read(without_pages, NAV)
    assert "pagebreak" not in read(without_pages, CHAPTER)
    assert result.metrics["pages"] == 0


# ---------------------------------------------------------------- the check catches defects


def failing(doc, ctx, path, expected: str) -> None:
    result = check_book(doc, ctx, path)
    assert not result.passed
    assert any(expected in f.message for f in result.findings), [f.message for f in result.findings]
    # a book that fails its checks must not keep a conformance claim
    assert any("claim would be false" in f.message for f in result.findings)


@pytest.mark.slow
def test_check_catches_an_image_without_alt_while_alternative_text_is_claimed(fixture_doc, unpaged, tmp_path):
    ctx, path, _ = unpaged
    broken = edited(
        path, tmp_path / "no-alt.epub", CHAPTER, lambda s: re.sub(r' alt="Bar chart[^"]*"', "", s)
    )
    failing(fixture_doc, ctx, broken, "claims alternativeText but an image has no text")


@pytest.mark.slow
def test_check_catches_a_missing_package_language(fixture_doc, unpaged, tmp_path):
    ctx, path, _ = unpaged
    broken = edited(path, tmp_path / "no-lang.epub", OPF, lambda s: s.replace(' xml:lang="en-GB"', ""))
    failing(fixture_doc, ctx, broken, "<package> has xml:lang 'None'")


@pytest.mark.slow
def test_check_catches_a_heading_missing_from_the_nav(fixture_doc, unpaged, tmp_path):
    ctx, path, _ = unpaged
    broken = edited(
        path,
        tmp_path / "no-heading.epub",
        NAV,
        lambda s: re.sub(r'\s*<li>\s*<a href="chapter-01.xhtml#in-pictures">In pictures</a>\s*</li>', "", s),
    )
    failing(fixture_doc, ctx, broken, "heading 'In pictures' is missing from the navigation")


@pytest.mark.slow
def test_check_catches_a_broken_page_list_link(fixture_doc, paged, tmp_path):
    ctx, path, _ = paged
    broken = edited(
        path,
        tmp_path / "bad-page.epub",
        NAV,
        lambda s: s.replace('href="chapter-02.xhtml#page-3"', 'href="chapter-02.xhtml#page-30"'),
    )
    failing(fixture_doc, ctx, broken, "page-list link 'chapter-02.xhtml#page-30'")


def test_no_alternative_text_claim_when_an_image_lacks_alt(fixture_doc, tmp_path):
    """The build derives its claims from the document: an undescribed image drops
    alternativeText and the conformance claim (and the check then fails the build)."""
    undescribed = replace(
        fixture_doc,
        blocks=tuple(
            replace(b, alt="") if isinstance(b, Figure) and not b.decorative else b
            for b in fixture_doc.blocks
        ),
    )
    _, path = build_book(undescribed, tmp_path)
    props = properties(path)
    assert "alternativeText" not in {v for k, v in props if k == "schema:accessibilityFeature"}
    assert "dcterms:conformsTo" not in dict(props)
    assert "Some images have no text description" in dict(props)["schema:accessibilitySummary"]


# ---------------------------------------------------------------- DAISY Ace and Chromium


def ace_ready() -> str:
    if shutil.which("node") is None:
        return "node is not installed"
    if not Path("/usr/bin/chromium").exists():
        return "chromium is not installed (/usr/bin/chromium)"
    if not (ACE_DIR / "node_modules" / ".bin" / "ace-cli").exists():
        return "DAISY Ace is not installed: run `PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefix tools/ace`"
    return ""


def run_ace(path: Path, report_dir: Path) -> dict:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(report_dir),
        "PUPPETEER_EXECUTABLE_PATH": str(ACE_DIR / "chromium-headless"),
    }
    out = subprocess.run(
        [
            str(ACE_DIR / "node_modules" / ".bin" / "ace-cli"),
            "--silent",
            "--outdir",
            str(report_dir / "ace"),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    report = report_dir / "ace" / "report.json"
    assert report.exists(), out.stdout + out.stderr
    return json.loads(report.read_text(encoding="utf-8"))


def ace_violations(report: dict) -> list[tuple[str, str, str]]:
    return [
        (b["earl:test"]["earl:impact"], b["earl:test"]["dct:title"], b["earl:test"]["dct:description"])
        for a in report["assertions"]
        for b in a.get("assertions", [])
    ]


@pytest.mark.slow
@pytest.mark.skipif(bool(ace_ready()), reason=ace_ready() or "ready")
def test_daisy_ace_finds_nothing_serious(paged, unpaged, tmp_path):
    for name, (_, path, _) in (("paged", paged), ("unpaged", unpaged)):
        report = run_ace(path, tmp_path / name)
        violations = ace_violations(report)
        assert not [v for v in violations if v[0] in ("serious", "critical")], violations
        assert violations == [], violations  # today not even minor ones
        assert report["properties"]["hasPageBreaks"] is (name == "paged")
        assert not report["a11y-metadata"]["missing"] or set(report["a11y-metadata"]["missing"]) <= {
            "a11y:certifierCredential",
            "a11y:certifierReport",
        }


@pytest.mark.slow
@pytest.mark.skipif(
    not (AXE_DIR / "node_modules" / "playwright-core").is_dir() or not Path("/usr/bin/chromium").exists(),
    reason="playwright-core (npm ci --prefix tools/axe) or chromium missing",
)
def test_content_documents_render_in_chromium_without_errors(paged, tmp_path):
    """Chromium parses each XHTML document as XML (a <parsererror> page otherwise) and axe-core
    checks the rendered document, in light and dark colour schemes."""
    _, path, _ = paged
    with zipfile.ZipFile(path) as archive:
        archive.extractall(tmp_path)
    files = [
        tmp_path / "EPUB" / name
        for name in (
            "title.xhtml",
            "nav.xhtml",
            "chapter-01.xhtml",
            "chapter-02.xhtml",
            "accessibility.xhtml",
        )
    ]
    out = subprocess.run(
        ["node", str(AXE_DIR / "run-axe.js"), *map(str, files)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)
    assert len(results) == 10
    for result in results:
        assert result["contentType"] == "application/xhtml+xml"
        assert not result["parseError"] and result["headings"] >= 1 and result["textLength"] > 20
        # the navigation document holds <nav> elements, not a <main>: that best-practice
        # rule (moderate) is the only one allowed to fire, and only there
        allowed = {"landmark-one-main"} if result["file"].endswith("nav.xhtml") else set()
        unexpected = [v for v in result["violations"] if v["id"] not in allowed]
        assert unexpected == [], (result["file"], unexpected)


def test_a_part_s_notes_heading_takes_an_id_no_report_heading_has(fixture_doc, tmp_path):
    """Each part's notes heading is `notes-<file>` unless a heading of the report already has
    that id (ids are picked once for the whole book, not by walking the report for each part)."""
    from pipeline.document import Heading, Paragraph, Text

    clashing = Heading(2, (Text("Notes chapter 01"),), "notes-chapter-01")
    doc = replace(fixture_doc, blocks=(*fixture_doc.blocks, clashing, Paragraph((Text("Last words."),))))
    ctx, path = build_book(doc, tmp_path)
    chapter = read(path, CHAPTER)
    assert 'id="notes-chapter-01-2"' in chapter and 'id="notes-chapter-01"' not in chapter
    assert 'href="chapter-01.xhtml#notes-chapter-01-2"' in read(path, NAV)
    assert check_book(doc, ctx, path).passed
