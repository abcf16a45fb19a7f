"""The DAISY talking book, built for real (pdf + audio + daisy) and read back with tools we did not
write: lxml on the files, ffprobe for MP3 durations and chapters, and daisy-player, a real DAISY
player, driven headless in tmux."""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
import zipfile
from pathlib import Path

import daisy_player
import pytest
from lxml import etree

from pipeline.build import build_report
from pipeline.checks.daisy import read_book

SLUG = "talking-book"
LONG_SENTENCE = (
    "When we asked people what made a session work for them, they told us many things at once, "
    "and we want to keep every one of them in view: that the room was warm and easy to find, "
    "that someone met them at the door and knew their name, that the tea was ready before the "
    "talking started, that the papers came a week ahead in large print and in plain words, "
    "that nobody used a word without saying what it meant, that breaks came every forty "
    "minutes whether or not the agenda was finished, that there was a quiet room for anyone "
    "who needed one, that their travel was paid on the day and not a month later, that the "
    "people with the most power in the room spoke last and listened first, that disagreement "
    "was welcomed rather than smoothed over, that decisions were written down in front of "
    "everyone, that the notes came back within a week for them to correct, that they heard "
    "later what difference their advice had made, that they could bring a friend or a carer "
    "without asking, that the same faces were there from one month to the next, and that, "
    "above all, they were asked back, which for many of them was the clearest sign that what "
    "they had said was worth hearing and that the people running the project meant to go on "
    "hearing it for as long as the work lasted."
)
SOURCE = textwrap.dedent(f"""\
    ---
    title: Talking Together
    subtitle: A short report for the DAISY tests
    authors:
      - Carys Morgan
    publisher: Harbour Lane Listening Project
    date: 2024-05-20
    language: en-GB
    ---

    # Why we listen

    We began this project because people told us nobody asked them first. Over one year we
    met 64 people in eight towns. Each meeting lasted about two hours.

    ## What people said

    {LONG_SENTENCE}

    - The tea mattered more than the slides.
    - People wanted the papers early.

    [Mae'r prosiect hwn wedi dysgu llawer i ni am wrando. Diolch i bawb a ddaeth i siarad.]{{lang=cy}}

    ### Numbers

    | Town    | People |
    |---------|--------|
    | Barry   | 12     |
    | Penarth | 9      |

    # What happens next

    We will meet again in the spring. Everyone who came will hear from us first.
    """)
NO_HEADINGS = textwrap.dedent("""\
    ---
    title: A Note Without Headings
    authors:
      - Carys Morgan
    date: 2024-05-21
    language: en-GB
    ---

    This short note has no headings at all. It still needs to be a book a reader can open.

    It has a second paragraph, so there is something to move through.
    """)


def ncc_path(out: Path) -> Path:
    return out / "daisy" / "ncc.html"


def parse(path: Path) -> etree._ElementTree:
    return etree.parse(str(path), etree.XMLParser(no_network=True, load_dtd=False))


def ffprobe_seconds(path: Path) -> float:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return float(json.loads(result.stdout)["format"]["duration"])


def smil_clips(folder: Path) -> list[dict]:
    """Every par of every SMIL, in NCC order, read with lxml: file, ids, clip times, elapsed."""
    ncc = parse(folder / "ncc.html")
    order: list[str] = []
    for link in ncc.iter("{*}a"):
        name = link.get("href").split("#")[0]
        if name not in order:
            order.append(name)
    clips = []
    for name in order:
        smil = parse(folder / name)
        elapsed = next(
            float(
                re.sub(
                    r"^(\d+):(\d+):([\d.]+)$",
                    lambda m: str(int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])),
                    meta.get("content"),
                )
            )
            for meta in smil.iter("meta")
            if meta.get("name") == "ncc:totalElapsedTime"
        )
        for par in smil.iter("par"):
            text, audio = par.find("text"), par.find("audio")
            clips.append(
                {
                    "smil": name,
                    "text_id": text.get("id"),
                    "src": text.get("src"),
                    "audio": audio.get("src"),
                    "elapsed": elapsed,
                    "begin": float(audio.get("clip-begin")[4:-1]),
                    "end": float(audio.get("clip-end")[4:-1]),
                }
            )
    return clips


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    root = tmp_path_factory.mktemp("daisy")
    source = root / SLUG / f"{SLUG}.md"
    source.parent.mkdir()
    source.write_text(SOURCE, encoding="utf-8")
    out = root / "outputs" / SLUG
    out.mkdir(parents=True)
    result = build_report(source, out, ["pdf", "epub", "daisy"], workers=2, show_progress=False)
    assert not result.failed, result.errors
    return out, result


# ---------------------------------------------------------------- the book's files


def test_audio_was_added_and_files_are_in_place(book):
    out, result = book
    assert set(result.outputs) == {"pdf", "epub", "audio", "daisy"}  # daisy brings audio
    folder = out / "daisy"
    names = sorted(p.name for p in folder.iterdir())
    assert "ncc.html" in names and "content.html" in names
    smils = [n for n in names if n.endswith(".smil")]
    mp3s = [n for n in names if n.endswith(".mp3")]
    assert len(smils) == len(mp3s) == 3  # the opening and the two level-1 sections
    assert [Path(n).stem for n in smils] == [Path(n).stem for n in mp3s]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["stages"]["daisy"]["artefacts"]["narration"]  # its key depends on it


def test_ncc_metadata(book):
    out, _ = book
    meta = {m.get("name"): m.get("content") for m in parse(ncc_path(out)).iter("{*}meta") if m.get("name")}
    assert meta["dc:title"] == "Talking Together"
    assert meta["dc:creator"] == "Carys Morgan"
    assert meta["dc:date"] == "2024-05-20"
    assert meta["dc:format"] == "Daisy 2.02"
    assert meta["dc:language"] == "en-GB"
    assert meta["dc:publisher"] == "Harbour Lane Listening Project"
    assert meta["dc:identifier"]
    assert meta["ncc:charset"] == "utf-8"
    assert meta["ncc:multimediaType"] == "audioFullText"
    assert "gmw/en" in meta["ncc:narrator"] and "espeak-ng" in meta["ncc:narrator"]
    assert meta["ncc:pageFront"] == "0" and meta["ncc:pageSpecial"] == "0"
    assert int(meta["ncc:pageNormal"]) >= 1
    body = parse(ncc_path(out)).find("{*}body")
    assert int(meta["ncc:tocItems"]) == len(body)
    first = body[0]
    assert etree.QName(first).localname == "h1" and first.get("class") == "title"


def test_headings_at_their_levels_and_pages_from_the_pdf(book):
    out, _ = book
    body = parse(ncc_path(out)).find("{*}body")
    headings = [
        (int(etree.QName(e).localname[1]), "".join(e.itertext()).strip())
        for e in body
        if re.fullmatch(r"h[1-6]", etree.QName(e).localname)
    ]
    assert headings == [
        (1, "Talking Together. A short report for the DAISY tests."),
        (1, "Why we listen"),
        (2, "What people said"),
        (3, "Numbers"),
        (1, "What happens next"),
    ]
    pages = [e for e in body if e.get("class") == "page-normal"]
    page_map = json.loads(next(out.glob("*.pagemap.json")).read_text())
    body_pages = [p["page"] for p in page_map["pages"]]
    assert [int("".join(p.itertext())) for p in pages] == [
        n for n in body_pages if n >= min(int("".join(p.itertext())) for p in pages)
    ]


def test_every_reference_resolves_and_every_clip_is_inside_its_audio(book):
    out, _ = book
    folder = out / "daisy"
    content_ids = {e.get("id") for e in parse(folder / "content.html").iter() if e.get("id")}
    durations = {p.name: ffprobe_seconds(p) for p in folder.glob("*.mp3")}
    clips = smil_clips(folder)
    assert len(clips) > 20
    for clip in clips:
        file, _, fragment = clip["src"].partition("#")
        assert file == "content.html" and fragment in content_ids, clip
        assert clip["begin"] < clip["end"], clip
        assert clip["end"] <= durations[clip["audio"]] + 0.001, (clip, durations[clip["audio"]])
    for link in parse(ncc_path(out)).iter("{*}a"):
        name, _, fragment = link.get("href").partition("#")
        targets = parse(folder / name).xpath("//*[@id=$id]", id=fragment)
        assert targets and targets[0].tag == "text", link.get("href")


def test_total_time_is_the_sum_of_the_clips(book):
    out, _ = book
    folder = out / "daisy"
    clips = smil_clips(folder)
    total = sum(c["end"] - c["begin"] for c in clips)
    meta = {m.get("name"): m.get("content") for m in parse(ncc_path(out)).iter("{*}meta")}
    hours, minutes, seconds = (int(v) for v in meta["ncc:totalTime"].split(":"))
    assert abs(hours * 3600 + minutes * 60 + seconds - total) <= 0.5
    # and the clips cover the audio: the book's running time is the MP3s' running time
    assert abs(total - sum(ffprobe_seconds(p) for p in folder.glob("*.mp3"))) < 0.5


def test_content_is_covered_by_synchronised_sentences(book):
    out, _ = book
    parsed, findings = read_book(out / "daisy")
    assert not findings, findings
    assert parsed.coverage >= 0.95
    content = parse(out / "daisy" / "content.html")
    text = " ".join(content.find("{*}body").itertext())
    for words in (
        "nobody asked them first",
        "The tea mattered more than the slides",
        "Barry",
        "We will meet again in the spring",
    ):
        assert words in text  # the source's words, as written
    assert "64 people" in text  # numbers shown as digits, not spelt out


def test_sentences_have_their_own_ids(book):
    out, _ = book
    content = parse(out / "daisy" / "content.html")
    first = content.xpath("//*[@id='s1-1']")[0]
    assert "".join(first.itertext()).startswith("We began this project")
    second = content.xpath("//*[@id='s1-2']")[0]
    assert "".join(second.itertext()).startswith("Over one year")


def test_welsh_passage_carries_its_language(book):
    out, _ = book
    content = parse(out / "daisy" / "content.html")
    welsh = [e for e in content.iter() if e.get("lang") == "cy"]
    assert welsh, "no element with lang=cy"
    text = " ".join("".join(e.itertext()) for e in welsh)
    assert "Mae'r prosiect hwn" in text and "Diolch i bawb" in text
    assert all(e.get("{http://www.w3.org/XML/1998/namespace}lang") == "cy" for e in welsh)


def test_a_sentence_over_a_minute_is_split_at_clauses(book):
    out, _ = book
    narration = json.loads(next(out.glob("*.narration.json")).read_text())
    items = [i for s in narration["sections"] for i in s["items"]]
    long_items = [
        i
        for i in items
        if "they told us many things at once" in i["display"]
        or (i["display"] and i["display"] in LONG_SENTENCE and len(i["display"]) > 80)
    ]
    assert len(long_items) >= 2  # 270 words: more than a minute at 175 wpm
    for item in items:
        assert item["end"] - item["begin"] <= 60, item["id"]
    pieces = " ".join(i["display"] for i in long_items)
    assert re.sub(r"\W+", "", pieces) == re.sub(r"\W+", "", LONG_SENTENCE)


def test_zip_holds_the_book(book):
    out, _ = book
    with zipfile.ZipFile(out / f"{SLUG}-daisy.zip") as archive:
        assert archive.testzip() is None
        names = {n.split("/", 1)[1] for n in archive.namelist()}
        assert all(n.startswith(f"{SLUG}-daisy/") for n in archive.namelist())
    assert names == {p.name for p in (out / "daisy").iterdir()}


# ---------------------------------------------------------------- the read-along EPUB


def _epub_overlays(out: Path) -> dict:
    """The read-along EPUB's overlays, parsed here with lxml from the zip."""
    with zipfile.ZipFile(out / f"{SLUG}-read-along.epub") as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    opf_name = etree.fromstring(files["META-INF/container.xml"]).find(".//{*}rootfile").get("full-path")
    base = opf_name.rsplit("/", 1)[0]
    opf = etree.fromstring(files[opf_name])
    meta = [(m.get("property"), m.get("refines"), m.text) for m in opf.iter("{*}meta")]
    clips = []
    for smil_name in (n for n in files if n.endswith(".smil")):
        folder = smil_name.rsplit("/", 1)[0]
        for par in etree.fromstring(files[smil_name]).iter("{*}par"):
            text, audio = par.find("{*}text"), par.find("{*}audio")
            clips.append(
                {
                    "smil": smil_name,
                    "text": text.get("src"),
                    "audio": audio.get("src").rsplit("/", 1)[-1],
                    "begin": float(audio.get("clipBegin")[:-1]),
                    "end": float(audio.get("clipEnd")[:-1]),
                    "folder": folder,
                }
            )
    return {"files": files, "base": base, "meta": meta, "clips": clips}


def test_read_along_epub_passes_epubcheck(book):
    out, result = book
    names = {p.name for p in result.outputs["epub"]}
    assert names == {f"{SLUG}.epub", f"{SLUG}-read-along.epub"}
    from pipeline.checks.epub import run_epubcheck

    messages = run_epubcheck(out / f"{SLUG}-read-along.epub")
    assert [m for m in messages if m.severity in ("FATAL", "ERROR", "WARNING")] == []
    # the plain EPUB stays small: no audio in it
    assert (out / f"{SLUG}.epub").stat().st_size * 5 < (out / f"{SLUG}-read-along.epub").stat().st_size
    with zipfile.ZipFile(out / f"{SLUG}.epub") as plain:
        assert not [n for n in plain.namelist() if n.endswith((".mp3", ".smil"))]


def test_the_build_leaves_epubcheck_of_the_read_along_book_to_make_check(book):
    """A build runs the read-along book's own checks (clips, durations, coverage) but not
    EPUBCheck, as for the plain book; `make check` (check_outputs, thorough) runs EPUBCheck on
    both books and records its messages."""
    out, result = book
    built = result.manifest["stages"]["epub"]["checks"]["metrics"]
    assert built["read_along"]["clips"] > 0
    assert "not run" in built["read_along"]["epubcheck_messages"]
    from pipeline.build import check_outputs

    checked = check_outputs(out, ["epub"])["epub"]
    assert checked.passed, checked.findings
    assert isinstance(checked.metrics["read_along"]["epubcheck_messages"], int)
    assert checked.metrics["epubcheck"]["run"] is True


def test_read_along_metadata_and_clips(book, tmp_path):
    out, _ = book
    overlays = _epub_overlays(out)
    props = {(p, r): t for p, r, t in overlays["meta"]}
    assert "gmw/en" in props[("media:narrator", None)]
    assert props[("media:active-class", None)] == "-epub-media-overlay-active"
    css = b"".join(d for n, d in overlays["files"].items() if n.endswith(".css"))
    assert b".-epub-media-overlay-active" in css
    durations = {r.lstrip("#"): t for p, r, t in overlays["meta"] if p == "media:duration" and r}
    assert durations

    def seconds(clock: str) -> float:
        h, m, s = clock.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)

    total = sum(c["end"] - c["begin"] for c in overlays["clips"])
    assert abs(seconds(props[("media:duration", None)]) - total) <= 0.5
    assert abs(sum(seconds(v) for v in durations.values()) - total) <= 0.5
    decoded = {}
    for name, data in overlays["files"].items():
        if name.endswith(".mp3"):
            path = tmp_path / name.rsplit("/", 1)[-1]
            path.write_bytes(data)
            decoded[path.name] = ffprobe_seconds(path)
    for clip in overlays["clips"]:
        assert clip["begin"] < clip["end"] <= decoded[clip["audio"]] + 0.001, clip
        document, _, fragment = clip["text"].partition("#")
        name = f"{clip['folder']}/{document}".replace("overlays/../", "")
        tree = etree.fromstring(overlays["files"][name])
        assert tree.xpath("//*[@id=$id]", id=fragment), clip["text"]


def test_read_along_covers_the_chapters(book):
    out, _ = book
    from pipeline.checks.read_along import read_overlays

    found, findings = read_overlays(out / f"{SLUG}-read-along.epub")
    assert not findings, findings
    assert found.coverage >= 0.95
    overlays = _epub_overlays(out)
    welsh = [
        e
        for name, data in overlays["files"].items()
        if name.endswith(".xhtml")
        for e in etree.fromstring(data).iter()
        if e.get("lang") == "cy"
    ]
    assert welsh and any(e.get("id") for e in welsh for e in [e, *e.iterancestors()])


# ---------------------------------------------------------------- one synthesis for all


def test_mp3_chapters_start_where_the_daisy_headings_start(book):
    out, _ = book
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(out / f"{SLUG}.mp3")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    chapters = {c["tags"]["title"]: float(c["start_time"]) for c in json.loads(probe.stdout)["chapters"]}
    ncc = parse(ncc_path(out))
    by_text_id = {c["text_id"]: c for c in smil_clips(out / "daisy")}
    compared = 0
    for heading in ncc.find("{*}body"):
        if not re.fullmatch(r"h[12]", etree.QName(heading).localname):
            continue
        title = "".join(heading.itertext()).strip()
        clip = by_text_id[heading.find("{*}a").get("href").split("#")[1]]
        daisy_start = clip["elapsed"] + clip["begin"]
        key = "Talking Together" if heading.get("class") == "title" else title
        assert abs(chapters[key] - daisy_start) <= 0.0015, (title, chapters[key], daisy_start)
        compared += 1
    assert compared == 4
    # ... and where the read-along EPUB's clips for those headings begin, in the same MP3s
    overlays = _epub_overlays(out)
    section_start = {Path(c["audio"]).name: c["elapsed"] for c in smil_clips(out / "daisy")}
    heading_texts = {}
    for name, data in overlays["files"].items():
        if name.endswith(".xhtml"):
            for element in etree.fromstring(data).iter():
                if (
                    isinstance(element.tag, str)
                    and re.fullmatch(r"h[12]", etree.QName(element).localname)
                    and element.get("id")
                ):
                    heading_texts[element.get("id")] = "".join(element.itertext()).strip()
                # the spoken title reads the whole title page: its section is the clip's text
                if (
                    isinstance(element.tag, str)
                    and etree.QName(element).localname == "section"
                    and "titlepage" in (element.get("{http://www.idpf.org/2007/ops}type") or "")
                    and element.get("id")
                ):
                    heading_texts[element.get("id")] = "".join(element.find("{*}h1").itertext()).strip()
    epub_starts = {
        heading_texts[c["text"].split("#")[1]]: section_start[c["audio"]] + c["begin"]
        for c in overlays["clips"]
        if c["text"].split("#")[1] in heading_texts
    }
    for title in ("Why we listen", "What people said", "What happens next"):
        assert abs(epub_starts[title] - chapters[title]) <= 0.0015, title
    assert abs(epub_starts["Talking Together"] - chapters["Talking Together"]) <= 0.0015


# ---------------------------------------------------------------- a real player


@pytest.mark.skipif(
    bool(daisy_player.missing_tools()),
    reason=f"needs {', '.join(daisy_player.missing_tools())} (make setup-test)",
)
def test_daisy_player_lists_headings_and_plays_every_clip(book, tmp_path):
    out, _ = book
    player = daisy_player.open_book(out / "daisy", tmp_path / "player")
    try:
        screen = player.wait_for("total length", timeout=30)
        assert "pages" in screen
        listed = daisy_player.listed_items(player.wait_for("What happens next", timeout=10))
        assert listed == [
            (1, "Talking Together. A short report for the DAISY tests"),
            (1, "Why we listen"),
            (2, "What people said"),
            (3, "Numbers"),
            (1, "What happens next"),
        ], screen
        player.keys("Enter")
        player.wait_for("PLAYER-EXITED", timeout=120)
        played = player.played_seconds()
    finally:
        player.close()
    expected = [c["end"] - c["begin"] for c in smil_clips(out / "daisy")]
    # daisy-player 13 plays a clip again when its page-number lookup succeeds (it scans the
    # content for the next number), so what it plays contains every clip, in order, with repeats.
    position = 0
    for seconds in played:
        if position < len(expected) and abs(seconds - expected[position]) < 0.25:
            position += 1
    assert position == len(expected), (position, len(expected), played[:20], expected[:20])


# ---------------------------------------------------------------- bad input


def test_report_without_headings_is_one_navigable_section(tmp_path):
    source = tmp_path / "note" / "note.md"
    source.parent.mkdir()
    source.write_text(NO_HEADINGS, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    result = build_report(source, out, ["daisy"], workers=2, show_progress=False)
    assert not result.failed, result.errors
    body = parse(out / "daisy" / "ncc.html").find("{*}body")
    assert [etree.QName(e).localname for e in body] == ["h1"]
    assert body[0].get("class") == "title"
    clips = smil_clips(out / "daisy")
    assert len({c["smil"] for c in clips}) == 1
    content = " ".join(parse(out / "daisy" / "content.html").find("{*}body").itertext())
    assert "something to move through" in content


def test_without_a_narration_no_book_is_written(tmp_path):
    source = tmp_path / "note" / "note.md"
    source.parent.mkdir()
    source.write_text(NO_HEADINGS, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    result = build_report(
        source, out, ["daisy"], {"audio": {"split": "false"}}, workers=1, show_progress=False
    )
    assert "daisy" in result.failed
    assert "narration" in result.errors["daisy"] and "split" in result.errors["daisy"]
    assert not (out / "daisy").exists()
    assert not list(out.glob("*-daisy.zip"))
    assert not list(out.glob(".tmp-*"))


# ---------------------------------------------------------------- DAISY 3 (last: rebuilds daisy)


def test_daisy3_from_the_same_narration(book, tmp_path):
    out, _ = book
    source = next(out.parent.parent.glob(f"{SLUG}/{SLUG}.md"))
    result = build_report(
        source, out, ["pdf", "daisy"], {"daisy": {"daisy3": "true"}}, workers=2, show_progress=False
    )
    assert not result.failed, result.errors
    assert (
        json.loads((out / "manifest.json").read_text())["stages"]["audio"]["status"] == "reused"
    )  # no second synthesis
    folder = out / "daisy3"
    opf = parse(folder / "book.opf")
    meta = {m.get("name"): m.get("content") for m in opf.iter("{*}meta")}
    assert meta["dtb:multimediaType"] == "audioFullText"
    assert [e.text for e in opf.iter("{http://purl.org/dc/elements/1.1/}Format")] == ["ANSI/NISO Z39.86-2005"]
    ncx = parse(folder / "navigation.ncx")
    labels = [(p.get("class"), p.find("{*}navLabel/{*}text").text) for p in ncx.iter("{*}navPoint")]
    assert labels[1:] == [
        ("level1", "Why we listen"),
        ("level2", "What people said"),
        ("level3", "Numbers"),
        ("level1", "What happens next"),
    ]
    book_xml = parse(folder / "book.xml")
    sents = {s.get("id"): s for s in book_xml.iter("{*}sent")}
    for par in (p for smil in folder.glob("*.smil") for p in parse(smil).iter("{*}par")):
        assert par.find("{*}text").get("src").split("#")[1] in sents
    # the same clips as the DAISY 2.02 book
    clips2 = sorted((c["audio"], round(c["begin"], 3), round(c["end"], 3)) for c in smil_clips(out / "daisy"))
    clips3 = []
    for smil in folder.glob("*.smil"):
        for audio in parse(smil).iter("{*}audio"):
            h, m, s = audio.get("clipBegin").split(":")
            h2, m2, s2 = audio.get("clipEnd").split(":")
            clips3.append(
                (
                    audio.get("src"),
                    round(int(h) * 3600 + int(m) * 60 + float(s), 3),
                    round(int(h2) * 3600 + int(m2) * 60 + float(s2), 3),
                )
            )
    assert sorted(clips3) == clips2
    if not daisy_player.missing_tools():
        player = daisy_player.open_book(folder, tmp_path / "player3")
        try:
            screen = player.wait_for("What happens next", timeout=30)
        finally:
            player.close()
        assert "Why we listen" in screen and "Numbers" in screen
