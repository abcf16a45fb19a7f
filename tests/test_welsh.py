"""A report in Welsh goes through every format in Welsh (issue 16).

The Welsh sample (sources/cydgynhyrchu-yn-gymraeg/) is built once into a temporary folder, and
each format is read back with a reader of its own kind, never with the stage's code: lxml for the
web page and the e-book, poppler for the PDF, the Word XML, mutagen for the MP3's tags, liblouis
for the braille. What the tests look for comes from the catalogues themselves: every English
message id the pipeline can add must be absent from the Welsh outputs (unless the author wrote
the same words), and the catalogues must hold every message the code asks for.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from lxml import etree
from lxml import html as lxml_html

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = ROOT / "pipeline"
LOCALE = PIPELINE / "locale"
WELSH_FOLDER = ROOT / "sources" / "cydgynhyrchu-yn-gymraeg"
WELSH_SOURCE = WELSH_FOLDER / "cydgynhyrchu-yn-gymraeg.md"
SLUG = WELSH_SOURCE.stem
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Formats whose words are read back here; audio is slow, so it is built once with the rest.
FORMATS = ("html", "pdf", "word", "large-print", "epub", "braille", "audio", "daisy")


def _catalogue(language: str) -> dict[str, str]:
    with (LOCALE / language / "LC_MESSAGES" / "accessible_formats.po").open("rb") as handle:
        catalog = read_po(handle, locale=language, abort_invalid=True)
    out = {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
        value = message.string[0] if isinstance(message.string, (list, tuple)) else message.string
        out[key] = value or ""
    return out


def _messages_in_code() -> set[str]:
    """Every message id the code passes to a catalogue lookup, as `pybabel extract` finds them."""
    found = set()
    keywords = {"_": None, "ngettext": (1, 2)}
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(PIPELINE), method_map=[("**.py", "python")], keywords=keywords
    ):
        found.add(message[0] if isinstance(message, (list, tuple)) else message)
    return found


def test_every_message_the_code_asks_for_is_in_both_catalogues():
    english, welsh = _catalogue("en"), _catalogue("cy")
    asked = _messages_in_code()
    assert asked, "no catalogue lookups found in pipeline/: the extraction is broken"
    assert sorted(asked - set(english)) == [], "missing from the English catalogue"
    untranslated = sorted(m for m in asked if not welsh.get(m))
    assert untranslated == [], "messages with no Welsh translation"


def test_welsh_translations_keep_their_placeholders():
    for message, translation in _catalogue("cy").items():
        if translation:
            assert set(re.findall(r"{\w+}", translation)) == set(re.findall(r"{\w+}", message)), message


@pytest.fixture(scope="module")
def welsh_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("welsh-outputs")
    command = [sys.executable, "-m", "pipeline", "build", str(WELSH_SOURCE), "--outputs", str(out)]
    for name in FORMATS:
        command += ["--format", name]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return out / SLUG


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def _html_text(path: Path) -> str:
    root = lxml_html.parse(str(path)).getroot()
    for element in root.xpath("//style | //script"):  # CSS is not read by anyone
        element.drop_tree()
    return root.text_content()


def _pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as package:
        parts = [
            n
            for n in package.namelist()
            if re.fullmatch(r"word/(document|footnotes|endnotes|header\d*|footer\d*)\.xml", n)
        ]
        texts = []
        for name in parts:
            root = etree.fromstring(package.read(name))
            for paragraph in root.iter(f"{W}p"):
                texts.append("".join(t.text or "" for t in paragraph.iter(f"{W}t")))
        return "\n".join(texts)


def _epub_text(path: Path) -> str:
    """Every word a reading system can show: content, navigation and the package's metadata
    (less dcterms:conformsTo, a standard's identifier that must stay as the standard spells it)."""
    with zipfile.ZipFile(path) as package:
        texts = []
        for name in package.namelist():
            if name.endswith((".xhtml", ".opf", ".ncx")):
                root = etree.fromstring(package.read(name))
                for meta in root.xpath("//*[@property='dcterms:conformsTo']"):
                    meta.getparent().remove(meta)
                texts.append(" ".join(t.strip() for t in root.itertext() if t.strip()))
        return "\n".join(texts)


def _braille_text(folder: Path) -> str:
    """The BRF back-translated with the table the manifest says the braille was made with."""
    import louis

    table = _manifest(folder)["stages"]["braille"]["checks"]["metrics"]["table"]
    brf = (folder / f"{SLUG}.brf").read_text(encoding="ascii", errors="replace")
    lines = [line for line in brf.replace("\f", "\n").splitlines() if line.strip()]
    return "\n".join(louis.backTranslateString(["en-us-brf.dis", table], line) for line in lines)


def _audio_text(folder: Path) -> str:
    from mutagen.id3 import ID3

    script = (folder / f"{SLUG}-script.txt").read_text(encoding="utf-8")
    tags = ID3(folder / f"{SLUG}.mp3")
    titles = [str(frame) for key, frame in tags.items() if key.startswith(("TIT2", "CHAP", "COMM", "TALB"))]
    return script + "\n" + "\n".join(titles)


def _readers(folder: Path) -> dict[str, str]:
    return {
        "html": _html_text(folder / f"{SLUG}.html"),
        "pdf": _pdf_text(folder / f"{SLUG}.pdf"),
        "word": _docx_text(folder / f"{SLUG}.docx"),
        "large-print": _docx_text(folder / f"{SLUG}-large-print.docx"),
        "epub": _epub_text(folder / f"{SLUG}.epub"),
        "audio": _audio_text(folder),
        "braille": _braille_text(folder),
    }


def _pattern(message: str) -> re.Pattern[str]:
    """A message id as it appears once its placeholders are filled in."""
    literal = [re.escape(part) for part in re.split(r"{\w+}", message)]
    return re.compile(r"(?<!\w)" + r".{1,60}?".join(literal) + r"(?!\w)")


def test_no_english_word_the_pipeline_adds_is_in_any_welsh_format(welsh_build):
    welsh = _catalogue("cy")
    source = WELSH_SOURCE.read_text(encoding="utf-8")
    english = [m for m in _catalogue("en") if welsh.get(m) and welsh[m] != m and re.search(r"[A-Za-z]{3}", m)]
    assert english, "the English catalogue lists no messages"
    found = {}
    for name, text in _readers(welsh_build).items():
        hits = [m for m in english if _pattern(m).search(text) and not _pattern(m).search(source)]
        if hits:
            found[name] = hits
    assert found == {}


def test_every_format_says_it_is_welsh(welsh_build):
    folder = welsh_build
    # web page
    page = lxml_html.parse(str(folder / f"{SLUG}.html")).getroot()
    assert page.get("lang") == "cy"
    assert page.xpath("//*[@lang='en-GB']"), "the English passage lost its language"
    # PDF: /Lang on the catalogue and on the English span's structure element
    import pikepdf

    with pikepdf.open(folder / f"{SLUG}.pdf") as pdf:
        assert str(pdf.Root.Lang) == "cy"
        langs = {
            str(e.get("/Lang"))
            for e in _struct_elements(pdf.Root.StructTreeRoot)
            if e.get("/Lang") is not None
        }
        assert "en-GB" in langs
    # Word and large print: the document default and the English run
    for name in (f"{SLUG}.docx", f"{SLUG}-large-print.docx"):
        with zipfile.ZipFile(folder / name) as package:
            styles = etree.fromstring(package.read("word/styles.xml"))
            default = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
            assert default is not None and default.get(f"{W}val", "").startswith("cy"), name
            body = etree.fromstring(package.read("word/document.xml"))
            run_langs = {e.get(f"{W}val") for e in body.iter(f"{W}lang")}
            assert "en-GB" in run_langs, name
    # EPUB: the package and every content document
    with zipfile.ZipFile(folder / f"{SLUG}.epub") as package:
        opf_name = next(n for n in package.namelist() if n.endswith(".opf"))
        opf = etree.fromstring(package.read(opf_name))
        assert opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "cy"
        assert opf.findtext(".//{http://purl.org/dc/elements/1.1/}language") == "cy"
        for name in package.namelist():
            if name.endswith(".xhtml"):
                root = etree.fromstring(package.read(name))
                assert (
                    root.get("lang") == "cy" or root.get("{http://www.w3.org/XML/1998/namespace}lang") == "cy"
                ), name
    # MP3: ID3 TLAN (ISO 639-2: Welsh is "wel", or "cym")
    from mutagen.id3 import ID3

    assert str(ID3(folder / f"{SLUG}.mp3").get("TLAN")) in ("wel", "cym")
    # DAISY 2.02: the NCC's dc:language, the content document's lang, the English sentence's
    ncc = lxml_html.parse(str(folder / "daisy" / "ncc.html")).getroot()
    assert ncc.xpath("//meta[@name='dc:language']/@content") == ["cy"]
    content = etree.parse(str(folder / "daisy" / "content.html")).getroot()
    assert content.get("lang") == "cy"
    english = [e for e in content.iter() if e.get("lang") == "en-GB"]
    assert english and "Thank you" in "".join(english[0].itertext())
    # braille: the PEF's metadata
    pef = etree.parse(str(folder / f"{SLUG}.pef"))
    assert pef.findtext(".//{http://purl.org/dc/elements/1.1/}language") in ("cy", "cy-GB")


def _struct_elements(node, depth: int = 0):
    import pikepdf

    if depth > 60:
        return
    kids = node.get("/K")
    if kids is None:
        return
    items = kids if isinstance(kids, pikepdf.Array) else [kids]
    for kid in items:
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/S") is not None:
            yield kid
            yield from _struct_elements(kid, depth + 1)


def test_welsh_braille_uses_welsh_tables_and_reads_back(welsh_build):
    entry = _manifest(welsh_build)["stages"]["braille"]
    assert entry["checks"]["metrics"]["table"] == "cy-cy-g2.ctb"
    assert entry["checks"]["passed"] and entry["checks"]["metrics"]["back_translation_recall"] >= 0.98
    # The embosser's file itself, read back with the stage's Welsh table and compared (difflib,
    # not our comparison) with each block of the source: its words come back in order.
    import difflib

    import louis

    from pipeline.document import Document
    from pipeline.readers import read_source
    from pipeline.reading import plain_text
    from pipeline.stages.braille.readback import readback_table

    table = readback_table("cy-cy-g2.ctb")
    brf = (welsh_build / f"{SLUG}.brf").read_text(encoding="ascii")
    lines = [line for line in brf.replace("\f", "\n").splitlines() if line.strip()]
    found = _plain_words(
        " ".join(louis.backTranslateString(["en-us-brf.dis", table], line) for line in lines)
    )
    doc = read_source(WELSH_SOURCE)
    expected = matched = 0
    for block in doc.blocks:
        text = plain_text(Document(doc.meta, (block,)))
        # addresses and code are written in UEB, Welsh braille's base code: read back apart
        words = _plain_words(re.sub(r"\S+@\S+|https?://\S+|\b[A-Z]{2,}(?:-[A-Z0-9]+)+\b", " ", text))
        matcher = difflib.SequenceMatcher(a=words, b=found, autojunk=False)
        expected += len(words)
        matched += sum(m.size for m in matcher.get_matching_blocks())
    assert matched / expected >= 0.98


def test_welsh_braille_spells_out_no_sign_in_english(welsh_build):
    """A sign the braille table lacks is written as its Unicode name ("(bullet)"): in a Welsh
    report that is an English word the pipeline added. The sample has lists, so bullets."""
    import unicodedata

    text = _braille_text(welsh_build).lower()
    source = WELSH_SOURCE.read_text(encoding="utf-8") + "\u2022"  # list items get bullets
    names = {unicodedata.name(char, "").lower() for char in source if ord(char) > 0x7E}
    assert not [name for name in names if name and f"({name})" in text]


def _plain_words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)*", text.lower().replace("\u2019", "'"))


def test_welsh_audio_is_spoken_by_the_welsh_voice(welsh_build):
    """No speech recogniser reads Welsh here: the voice is confirmed by what the manifest records
    for it, and each chapter's length must fit its words at a speaking rate."""
    entry = _manifest(welsh_build)["stages"]["audio"]
    metrics = entry["checks"]["metrics"]
    assert metrics["voice"] == "cel/cy"
    assert 60 <= metrics["pace_wpm_min"] <= metrics["pace_wpm_max"] <= 320
    from mutagen.mp3 import MP3

    path = welsh_build / f"{SLUG}.mp3"
    seconds = MP3(path).info.length
    words = len((welsh_build / f"{SLUG}-script.txt").read_text(encoding="utf-8").split())
    assert 60 <= words / (seconds / 60) <= 260, (words, seconds)
    narration = json.loads((welsh_build / f"{SLUG}.narration.json").read_text(encoding="utf-8"))
    langs = {item["lang"] for section in narration["sections"] for item in section["items"]}
    assert {"cy", "en-GB"} <= langs  # the English passage keeps its language


def _build_html(source: Path, outputs: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pipeline", "build", str(source), "--format", "html"]
    return subprocess.run(
        [*command, "--outputs", str(outputs)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_a_language_without_a_catalogue_falls_back_to_english_with_a_warning(tmp_path):
    source = tmp_path / "rapport.md"
    source.write_text("---\ntitle: Rapport\nlanguage: fr\n---\n\n# Bonjour\n\nUn texte.\n", encoding="utf-8")
    result = _build_html(source, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "no catalogue for 'fr'" in result.stderr
    manifest = _manifest(tmp_path / "out" / "rapport")
    assert manifest["language"]["catalogue"] == "en"
    assert "fr" in manifest["language"]["warning"]
    page = lxml_html.parse(str(tmp_path / "out" / "rapport" / "rapport.html")).getroot()
    assert page.get("lang") == "fr"


def test_an_unknown_language_tag_is_a_clear_error_with_file_and_line(tmp_path):
    source = tmp_path / "bad.md"
    source.write_text("---\ntitle: T\nlanguage: xx-YY\n---\n\n# H\n\nText.\n", encoding="utf-8")
    result = _build_html(source, tmp_path / "out")
    assert result.returncode != 0
    assert f"{source}:3:" in result.stderr and "xx-YY" in result.stderr
    assert "Traceback" not in result.stderr
