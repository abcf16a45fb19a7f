"""`make site`: the index, the accessible-versions pages and the staff's build reports, made from
real builds of two reports (the English sample and a short Welsh report), read back with tools
the site does not use to make them: html5lib (strict), ffprobe for the audio, a regular
expression over the PEF, the EPUB's zip, Pillow for the preview images, and axe-core in
headless Chromium at 1280 and 320 px, light and dark.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import html5lib
import pytest
from lxml import html as lxml_html
from PIL import Image

from pipeline.build import build_report
from pipeline.site import build_site
from pipeline.site.facts import resolved_braille_table
from pipeline.stages.braille import readback

ROOT = Path(__file__).resolve().parent.parent
AXE_MODULES = ROOT / "tools" / "axe" / "node_modules"
BROWSER_SCRIPT = Path(__file__).parent / "site_browser.js"
ADDRESS = "formats@kettleandcompass.example.org"
ENGLISH = "impact-report-2023"
WELSH = "adroddiad-blynyddol"

WELSH_SOURCE = """---
title: Gwneud Pethau Gyda'n Gilydd
subtitle: Adroddiad blynyddol Tegell a Chwmpawd
author: Morwenna Price
publisher: Tegell a Chwmpawd
date: 2024-06-01
language: cy
contact: fformatau@tegell.example.org
---

# Croeso {#croeso}

Mae Tegell a Chwmpawd yn elusen fach sy'n helpu pobl i lunio ymchwil gyda'i gilydd. Eleni buom
yn gweithio gyda thri deg o wirfoddolwyr ym mhob rhan o Gymru.

## Beth wnaethon ni {#beth-wnaethon-ni}

Cynhaliwyd deuddeg sesiwn hyfforddi a phedair sgwrs gyhoeddus. Roedd pob sesiwn yn agored i
bawb, ac roedd paned o de yn aros am bawb a ddaeth.

# Diolch {#diolch}

Diolch i bawb a roddodd eu hamser, eu syniadau a'u hamynedd i'r gwaith hwn.
"""


# Welsh braille for the Welsh report (the stage's default is UEB), as staff would build it.
BRAILLE_FOR = {ENGLISH: {}, WELSH: {"braille": {"table": "auto"}}}


def _reader_page(path: Path):
    return lxml_html.parse(str(path)).getroot()


def _text(node) -> str:
    return " ".join(node.text_content().split())


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Both reports built in every format (real stages), then the site made once."""
    tmp = tmp_path_factory.mktemp("site")
    sources, outputs = tmp / "sources", tmp / "outputs"
    shutil.copytree(ROOT / "sources" / ENGLISH, sources / ENGLISH)
    (sources / WELSH).mkdir(parents=True)
    (sources / WELSH / f"{WELSH}.md").write_text(WELSH_SOURCE, encoding="utf-8")
    for slug in (ENGLISH, WELSH):
        result = build_report(
            sources / slug / f"{slug}.md",
            outputs / slug,
            workers=2,
            options=BRAILLE_FOR[slug],
            show_progress=False,
        )
        assert not result.failed, result.errors
    first = build_site(outputs, address=ADDRESS)
    return {"tmp": tmp, "sources": sources, "outputs": outputs, "site": outputs / "site", "first": first}


def pages(site: Path) -> list[Path]:
    """The site's own pages (not the reports' web pages among the downloads)."""
    return [p for p in sorted(site.rglob("*.html")) if "/files/" not in p.as_posix()]


def test_first_run_renders_every_preview_and_writes_every_page(built):
    first, site = built["first"], built["site"]
    assert first.previews.failed == {}
    for slug in (ENGLISH, WELSH):
        assert {
            f"{slug}/{name}"
            for name in ("cover", "pdf-pages", "large-print-page", "word-page", "braille-page")
        } <= set(first.previews.rendered)
    assert {p.relative_to(site).as_posix() for p in pages(site)} == {
        "index.html",
        f"{ENGLISH}/index.html",
        f"{ENGLISH}/build-report.html",
        f"{WELSH}/index.html",
        f"{WELSH}/build-report.html",
    }


def test_index_lists_each_report_with_date_language_and_cover(built):
    site = built["site"]
    root = _reader_page(site / "index.html")
    assert root.get("lang") == "en-GB"  # mixed languages: the index is in English
    items = root.xpath("//li[@class='report']")
    assert [_text(i.xpath(".//h2")[0]) for i in items] == [
        "Gwneud Pethau Gyda'n Gilydd",
        "Doing It Together",
    ] or [_text(i.xpath(".//h2")[0]) for i in items] == ["Doing It Together", "Gwneud Pethau Gyda'n Gilydd"]
    by_title = {_text(i.xpath(".//h2")[0]): i for i in items}
    english, welsh = by_title["Doing It Together"], by_title["Gwneud Pethau Gyda'n Gilydd"]
    assert "15 March 2024" in _text(english) and "English" in _text(english)
    # The Welsh entry: its title and date carry lang="cy" and the date is in Welsh words.
    assert welsh.xpath(".//h2")[0].get("lang") == "cy"
    assert "1 Mehefin 2024" in _text(welsh) and "Welsh" in _text(welsh)
    for item in items:
        cover = site / item.xpath(".//img")[0].get("src")
        with Image.open(cover) as image:
            assert image.width == 240 and image.height > 300  # A4 portrait
            assert image.convert("L").getextrema()[0] < 100  # the title's dark text


def test_accessible_versions_page_describes_every_format(built):
    out, site = built["outputs"] / ENGLISH, built["site"] / ENGLISH
    root = _reader_page(site / "index.html")
    text = _text(root)
    assert root.get("lang") == "en-GB"
    assert _text(root.xpath("//h1")[0]) == "Doing It Together: accessible versions"
    headings = [_text(h) for h in root.xpath("//h3")]
    assert headings == [
        "Screen reader friendly PDF",
        "Screen reader friendly Word document",
        "Large print Word document (18 point)",
        "Audio (MP3)",
        "DAISY talking book",
        "EPUB e-book",
        "Braille",
    ]
    # the report itself as a web page
    read = root.xpath("//a[starts-with(., 'Read Doing It Together as a web page')]")[0]
    assert (site / read.get("href")).read_bytes() == (out / f"{ENGLISH}.html").read_bytes()
    # audio length as ffprobe measures it, in words
    probe = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "json",
            str(out / f"{ENGLISH}.mp3"),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    seconds = round(float(json.loads(probe.stdout)["format"]["duration"]))
    assert f"{seconds // 60} minutes {seconds % 60} seconds" in text
    # braille pages and volumes as the PEF has them
    pef = (out / f"{ENGLISH}.pef").read_text(encoding="utf-8")
    braille = root.xpath("//section[h3='Braille']")[0]
    facts = dict(zip([_text(d) for d in braille.xpath(".//dt")], [_text(d) for d in braille.xpath(".//dd")]))
    assert facts["Braille pages"] == str(len(re.findall(r"<page[\s/>]", pef)))
    assert facts["Volumes"] == str(len(re.findall(r"<volume\b", pef)))
    # file sizes in kB / MB, each download byte-identical to its output
    pdf = root.xpath("//section[h3='Screen reader friendly PDF']")[0]
    assert f"{round((out / f'{ENGLISH}.pdf').stat().st_size / 1000)} kB" in _text(pdf)
    for link in root.xpath("//a[@download]"):
        href = link.get("href")
        assert href.startswith("files/"), href
        copy = site / unquote(href)
        assert copy.read_bytes() == (out / href[len("files/") :]).read_bytes()
    assert "How to open it: Open it with Microsoft Word" in text
    # ask us: the address as a mailto link and what people can ask for
    ask = root.xpath("//section[h2='Ask us for another format']")[0]
    assert ask.xpath(".//a/@href") == [f"mailto:{ADDRESS}"]
    options = " ".join(_text(li) for li in ask.xpath(".//li"))
    for wanted in (
        "16 to 48 point",
        "uncontracted",
        "Welsh braille",
        "140 words a minute",
        "210 words a minute",
    ):
        assert wanted in options


def test_the_welsh_report_speaks_welsh(built):
    root = _reader_page(built["site"] / WELSH / "index.html")
    text = _text(root)
    assert root.get("lang") == "cy"
    assert "Gwneud Pethau Gyda'n Gilydd: fersiynau hygyrch" in text
    for welsh in (
        "Neidio i’r prif gynnwys",
        "Lawrlwytho fersiwn",
        "Gofynnwch i ni am fformat arall",
        "Cyhoeddwyd: 1 Mehefin 2024",
        "Braille Cymraeg, wedi’i gyfangu",
    ):
        assert welsh in text, welsh
    for english in ("Download a version", "Ask us", "How to open it", "minutes"):
        assert english not in text, english
    staff = _reader_page(built["site"] / WELSH / "build-report.html")
    report = _text(staff)
    assert "Adroddiad adeiladu" in report and "Wedi pasio" in report
    # The checks' findings are English: marked so, inside the Welsh page; the empty keywords
    # property (the Welsh source has none) points at the front matter.
    messages = staff.xpath("//ol[contains(@class, 'findings')]//span")
    assert messages and all(span.get("lang") == "en" for span in messages)
    keywords = [
        li
        for li in staff.xpath("//ol[contains(@class, 'findings')]/li")
        if "keywords property is empty" in _text(li)
    ]
    assert keywords and "ychwanegwch keywords at y pennyn YAML" in _text(keywords[0])
    # The braille preview names liblouis's Welsh table, not the path of the read-back copy in
    # this machine's cache (a path that made the page scroll sideways on a phone), and reads
    # the braille back as the Welsh it is.
    braille = staff.xpath("//table[contains(@class, 'braille')]")[0]
    assert _text(braille.xpath("caption")[0]).endswith("(cy-cy-g2.ctb)")
    assert any(
        r.xpath("td")[1].text_content().strip() == "Gwneud Pethau Gyda'n Gilydd"
        for r in braille.xpath("tbody/tr")
    )
    cache = str(readback.cache_folder())
    for made in (built["site"] / WELSH).rglob("*"):
        if made.suffix in (".html", ".json"):
            assert cache not in made.read_text("utf-8"), made


def test_the_site_names_the_braille_table_the_stage_used_at_its_grade():
    assert resolved_braille_table({"table": "auto", "grade": 1}, "cy") == "cy-cy-g1.utb"
    assert resolved_braille_table({"table": "auto", "grade": 2}, "cy") == "cy-cy-g2.ctb"
    assert resolved_braille_table({"table": "ueb-g1"}, "cy") == "en-ueb-g1.ctb"
    assert resolved_braille_table({"table": "no-such-table.ctb"}, "en") == "no-such-table.ctb"


def test_build_report_shows_checks_and_previews_from_the_real_files(built):
    out, site = built["outputs"] / ENGLISH, built["site"] / ENGLISH
    root = _reader_page(site / "build-report.html")
    rows = root.xpath("//table[caption='Each format and its checks']/tbody/tr")
    assert len(rows) == 8 and all(_text(r.xpath("td")[0]).startswith("Passed") for r in rows)
    # PDF: the first three pages as pdftoppm images, each different and not blank
    pdf = root.xpath("//section[@aria-labelledby='format-pdf']")[0]
    images = [site / img.get("src") for img in pdf.xpath(".//img")]
    assert len(images) == 3
    digests = set()
    for path in images:
        with Image.open(path) as image:
            assert image.width == 700 and image.convert("L").getextrema()[0] < 100
            digests.add(hashlib.sha256(image.tobytes()).hexdigest())
    assert len(digests) == 3
    assert pdf.xpath(".//img")[1].get("alt").startswith("Page 2 of the PDF. It begins: Contents")
    # Word files through LibreOffice: the large print's first page shows the title
    large = root.xpath("//section[@aria-labelledby='format-large-print']")[0]
    assert "It begins: Doing It Together" in large.xpath(".//img")[0].get("alt")
    # braille: the PEF's first page, row for row, beside its back-translation
    first_page = re.search(r"<page>(.*?)</page>", (out / f"{ENGLISH}.pef").read_text("utf-8"), re.S).group(1)
    pef_rows = [m.group(1) or "" for m in re.finditer(r"<row(?:/>|>([^<]*)</row>)", first_page)]
    table = root.xpath("//table[contains(@class, 'braille')]")[0]
    shown = [
        (r.xpath("td")[0].text_content(), r.xpath("td")[1].text_content()) for r in table.xpath("tbody/tr")
    ]
    assert [cells.replace("\u00a0", "") for cells, _ in shown] == pef_rows
    assert any(back.strip() == "Doing It Together" for _, back in shown)
    # audio: a player without script, and every chapter ffprobe lists, with its start time
    audio = root.xpath("//audio")[0]
    assert audio.get("controls") is not None and (site / audio.get("src")).is_file()
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(out / f"{ENGLISH}.mp3")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    chapters = sorted(json.loads(probe.stdout)["chapters"], key=lambda c: float(c["start_time"]))
    links = root.xpath("//ol[@class='chapters']//a")
    assert [_text(a) for a in links] == [c["tags"]["title"] for c in chapters]
    for link, chapter in zip(links, chapters):
        assert link.get("href").startswith(audio.get("src") + "#t=")
        assert abs(float(link.get("data-seek")) - float(chapter["start_time"])) < 0.01
    assert root.xpath("//script") and "currentTime" in root.xpath("//script")[0].text
    # the e-book's contents, as its nav document lists them
    with zipfile.ZipFile(out / f"{ENGLISH}.epub") as book:
        nav = next(n for n in book.namelist() if n.endswith("nav.xhtml"))
        toc_nav = re.search(r'<nav[^>]*epub:type="toc".*?</nav>', book.read(nav).decode("utf-8"), re.S).group(
            0
        )
        nav_titles = re.findall(r"<a [^>]*>([^<]+)</a>", toc_nav)
    toc = [li.text.strip() for li in root.xpath("//ol[@class='toc']//li")]
    assert toc == nav_titles


def test_every_page_parses_without_html5lib_errors(built):
    for page in pages(built["site"]):
        parser = html5lib.HTMLParser(strict=True)
        parser.parse(page.read_bytes())
        assert not parser.errors, (page, parser.errors[:3])


def test_every_link_and_file_the_pages_name_exists(built):
    site = built["site"].resolve()
    checked = 0
    for page in pages(site):
        root = _reader_page(page)
        ids = set(root.xpath("//@id"))
        for node in root.xpath("//*[@href or @src]"):
            url = node.get("href") or node.get("src")
            parts = urlsplit(url)
            if parts.scheme == "mailto":
                assert parts.path == ADDRESS
                continue
            assert not parts.scheme and not parts.netloc, f"{page}: {url} is not relative"
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            assert target.is_file(), f"{page.relative_to(site)}: {url} names nothing"
            assert site in target.parents, f"{page}: {url} points outside the site"
            if parts.fragment and target == page:
                assert parts.fragment in ids, f"{page}: #{parts.fragment} goes nowhere"
            elif parts.fragment and target.suffix == ".html":
                assert parts.fragment in set(_reader_page(target).xpath("//@id"))
            elif parts.fragment:
                assert re.fullmatch(r"t=\d+(\.\d+)?", parts.fragment), url  # media fragment
            checked += 1
    assert checked > 100


def test_an_unchanged_site_does_no_work(built):
    again = build_site(built["outputs"], address=ADDRESS)
    assert again.previews.rendered == [] and again.previews.failed == {}
    assert len(again.previews.reused) == len(built["first"].previews.rendered)
    assert again.pages_written == [] and again.files_linked == []


def test_formats_the_site_does_not_know_yet_appear_with_generic_words(built, tmp_path, monkeypatch):
    """A DAISY stage (another branch) and any other new stage show once a manifest has them;
    a failed stage is shown to staff with its findings and kept from readers."""
    outputs = tmp_path / "outputs"
    shutil.copytree(built["outputs"] / ENGLISH, outputs / ENGLISH)
    out = outputs / ENGLISH
    with zipfile.ZipFile(out / f"{ENGLISH}-daisy.zip", "w") as book:
        book.writestr("ncc.html", "<html><head><title>Doing It Together</title></head></html>")
    (out / f"{ENGLISH}.tactile").write_bytes(b"tactile graphics")
    record = json.loads((out / "manifest.json").read_text(encoding="utf-8"))

    def entry(path: str, media_type: str) -> dict:
        data = (out / path).read_bytes()
        return {
            "key": "k",
            "status": "built",
            "options": {},
            "built_at": "2026-12-02T04:00:00Z",
            "seconds": 2.5,
            "outputs": [
                {
                    "path": path,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "bytes": len(data),
                    "media_type": media_type,
                }
            ],
            "checks": {"passed": True, "findings": [], "metrics": {}},
        }

    record["stages"]["daisy"] = entry(f"{ENGLISH}-daisy.zip", "application/zip")
    record["stages"]["tactile-graphics"] = entry(f"{ENGLISH}.tactile", "application/x-tactile")
    pdf = record["stages"]["pdf"]
    pdf.update(
        status="failed",
        error="its read-back check failed: a heading is missing",
        attempt={
            "checks": {
                "passed": False,
                "metrics": {},
                "findings": [
                    {
                        "severity": "error",
                        "message": "the heading 'Who we are' is not tagged as a heading",
                        "where": f"{ENGLISH}.pdf page 3",
                    }
                ],
            }
        },
    )
    # An e-book damaged in a way its recorded hash agrees with: the site reads what it can.
    (out / f"{ENGLISH}.epub").write_bytes(b"not a zip")
    record["stages"]["epub"]["outputs"] = entry(f"{ENGLISH}.epub", "application/epub+zip")["outputs"]
    (out / "manifest.json").write_text(json.dumps(record), encoding="utf-8")
    monkeypatch.delenv("ACCESSIBLE_FORMATS_FROM", raising=False)
    result = build_site(outputs)
    assert any("no request address" in w for w in result.warnings)
    versions = _reader_page(outputs / "site" / ENGLISH / "index.html")
    labels = [_text(h) for h in versions.xpath("//h3")]
    assert "DAISY talking book" in labels and "Tactile graphics version" in labels
    assert "Screen reader friendly PDF" not in labels  # failed: not offered
    assert "EPUB e-book" not in labels  # unreadable: not offered
    assert any("epub is not offered" in w and "BadZipFile" in w for w in result.warnings)
    daisy = versions.xpath("//section[h3='DAISY talking book']")[0]
    assert daisy.xpath(".//a[@download]/@href") == [f"files/{ENGLISH}-daisy.zip"]
    assert "Dolphin EasyReader" in _text(daisy)
    ask = versions.xpath("//section[h2='Ask us for another format']")[0]
    assert not ask.xpath(".//a") and "please ask us and say which report" in _text(ask)
    staff = _reader_page(outputs / "site" / ENGLISH / "build-report.html")
    section = staff.xpath("//section[@aria-labelledby='format-pdf']")[0]
    text = _text(section)
    assert "The last build failed" in text and "a heading is missing" in text
    assert "Must fix: the heading 'Who we are' is not tagged as a heading" in text
    source_lines = (built["sources"] / ENGLISH / f"{ENGLISH}.md").read_text("utf-8").splitlines()
    line = next(n for n, t in enumerate(source_lines, 1) if "Who we are" in t)
    assert f"line {line} (“Who we are”)" in text
    assert not section.xpath(".//img")  # no preview of a failed build
    epub = _text(staff.xpath("//section[@aria-labelledby='format-epub']")[0])
    assert "The site could not read a file: BadZipFile" in epub


def test_the_site_command(built, tmp_path):
    cli = [
        sys.executable,
        "-m",
        "pipeline",
        "site",
        "--outputs",
        str(built["outputs"]),
        "--site",
        str(tmp_path / "copy"),
        "--request-address",
        ADDRESS,
        "--json",
    ]
    done = subprocess.run(cli, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.lstrip().startswith("{"), (done.stdout[:1500], done.stderr[-1500:])
    summary = json.loads(done.stdout)
    assert sorted(summary["reports"]) == sorted([ENGLISH, WELSH])
    assert "site:" in done.stderr and "previews rendered" in done.stderr
    empty = subprocess.run(
        [sys.executable, "-m", "pipeline", "site", "--outputs", str(tmp_path / "nothing")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert empty.returncode == 2 and "run `make all` first" in empty.stderr


def test_what_the_page_offers_is_what_the_pipeline_makes():
    from pipeline.errors import OptionsError
    from pipeline.requests import understand
    from pipeline.site import offer
    from pipeline.stages import get, make_options
    from pipeline.stages.braille.translate import check_table
    from pipeline.stages.word.options import PAPER_COLOURS

    large = get("large-print")
    for size in (offer.LARGE_PRINT_SMALLEST, offer.MAX_FONT_SIZE):
        make_options(large, {"font_size": str(size)})
    for size in (offer.LARGE_PRINT_SMALLEST - 1, offer.MAX_FONT_SIZE + 1):
        with pytest.raises(OptionsError):
            make_options(large, {"font_size": str(size)})
    assert {k: str(v) for k, v in offer.SPEECH_RATES.items() if k != "standard"} == understand.SPEECH_RATE
    assert make_options(get("audio"), {}).rate == offer.SPEECH_RATES["standard"]
    for table in offer.BRAILLE_TABLES.values():
        check_table(table)
    assert set(offer.PAPER_COLOURS) <= set(PAPER_COLOURS)


def test_every_site_message_is_in_both_catalogues():
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    found = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT / "pipeline" / "site"), method_map=[("**.py", "python")], keywords={"_": None}
        )
    }
    assert len(found) > 100
    for language in ("en", "cy"):
        path = ROOT / "pipeline" / "locale" / language / "LC_MESSAGES" / "accessible_formats.po"
        with path.open("rb") as handle:
            catalogue = {m.id: m.string for m in read_po(handle) if m.id}
        assert found <= set(catalogue), sorted(found - set(catalogue))[:5]
        if language == "cy":
            untranslated = [
                m for m in found if not catalogue[m] or (catalogue[m] == m and m not in ("Braille",))
            ]
            assert untranslated == []


def browser_ready() -> str:
    if shutil.which("node") is None:
        return "node is not installed"
    if not Path("/usr/bin/chromium").exists():
        return "chromium is not installed (/usr/bin/chromium)"
    if not (AXE_MODULES / "axe-core").is_dir():
        return "axe-core is not installed: run `make setup-test`"
    return ""


@pytest.mark.slow
@pytest.mark.skipif(bool(browser_ready()), reason=browser_ready() or "ready")
def test_axe_finds_nothing_on_any_page_light_or_dark_at_1280_and_320_px(built):
    files = pages(built["site"])
    done = subprocess.run(
        ["node", str(BROWSER_SCRIPT), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NODE_PATH": str(AXE_MODULES)},
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert len(results) == len(files) * 4
    for result in results:
        where = f"{Path(result['file']).relative_to(built['site'])} {result['scheme']} {result['width']}px"
        assert result["violations"] == [], (where, result["violations"])
        assert result["scrollWidth"] <= result["clientWidth"], f"{where} scrolls sideways"
        assert result["lang"] in ("en-GB", "cy") and result["h1"] == 1, where
        assert result["firstFocus"] == "#main" and result["afterSkip"] == "main", where
    # With script, a chapter link chosen from the keyboard moves the page's player there.
    seeks = [r["seek"] for r in results if r["seek"]]
    assert len(seeks) == 2  # one build report per report has audio
    for seek in seeks:
        assert seek["target"] > 0 and seek["target"] - 0.1 <= seek["at"] <= seek["target"] + 3
        assert seek["focus"] == "AUDIO" and "t=" not in seek["url"]  # script, not navigation


def test_a_changed_source_re_renders_only_that_reports_previews(built):
    """Last: it edits the Welsh source and rebuilds that report."""
    source = built["sources"] / WELSH / f"{WELSH}.md"
    before = source.read_text(encoding="utf-8")
    after = before.replace("thri deg o wirfoddolwyr", "phedwar deg o wirfoddolwyr")
    assert after != before
    source.write_text(after, encoding="utf-8")
    result = build_report(
        source, built["outputs"] / WELSH, workers=2, options=BRAILLE_FOR[WELSH], show_progress=False
    )
    assert not result.failed
    site = build_site(built["outputs"], address=ADDRESS)
    assert site.previews.rendered and all(r.startswith(f"{WELSH}/") for r in site.previews.rendered)
    assert {r for r in site.previews.reused if r.startswith(f"{ENGLISH}/")} == {
        r for r in built["first"].previews.rendered if r.startswith(f"{ENGLISH}/")
    }
    assert f"{ENGLISH}/index.html" in site.pages_unchanged
    assert f"{ENGLISH}/build-report.html" in site.pages_unchanged
    assert all(f.startswith(f"{WELSH}/") for f in site.files_linked)
    page = _reader_page(built["site"] / WELSH / "build-report.html")
    assert "phedwar deg" in " ".join(page.xpath("//details/p/text()"))
