"""Read a DAISY 2.02 book back as a player would: NCC -> SMIL -> content and audio.

Independent of the writer: the XML is parsed afresh with lxml, the MP3s are decoded with miniaudio
(dr_mp3), not measured by our own frame counter, and times are read from the SMIL attributes.
What it finds wrong is what a reader would meet: a heading that goes nowhere, a sentence that
cannot be highlighted, a clip past the end of its audio (players stop or skip), a running time
that is not the book's.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import miniaudio
from lxml import etree

from ..document import Document
from ..stage_api import BuildContext, CheckResult, Finding

NCC_REQUIRED = (
    "dc:title",
    "dc:creator",
    "dc:date",
    "dc:format",
    "dc:identifier",
    "dc:language",
    "dc:publisher",
    "ncc:charset",
    "ncc:generator",
    "ncc:narrator",
    "ncc:pageFront",
    "ncc:pageNormal",
    "ncc:pageSpecial",
    "ncc:tocItems",
    "ncc:totalTime",
    "ncc:multimediaType",
)
TOTAL_TIME_TOLERANCE = 0.5  # seconds (issue 12)
MIN_COVERAGE = 0.95  # share of the content's words inside a synchronised element
HEADING = re.compile(r"h[1-6]")
WORD = re.compile(r"\w+")


def local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def parse_clock(value: str) -> float:
    """'npt=1.5s', '12.3s', '0:01:14.371', '00:01:14' -> seconds."""
    value = value.strip()
    if value.startswith("npt="):
        value = value[4:]
    if value.endswith("s") and ":" not in value:
        return float(value[:-1])
    parts = [float(p) for p in value.split(":")]
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds


def decoded_seconds(path: Path) -> float:
    info = miniaudio.mp3_get_file_info(str(path))
    return info.num_frames / info.sample_rate


@dataclass
class Book:
    """What the check learns reading the book, for the tests and the metrics."""

    folder: Path
    headings: list[tuple[int, str, str]] = field(default_factory=list)  # (level, text, href)
    pages: list[str] = field(default_factory=list)
    clips: list[tuple[str, str, float, float]] = field(default_factory=list)  # smil, id, b, e
    smil_seconds: dict[str, float] = field(default_factory=dict)
    smil_start: dict[str, float] = field(default_factory=dict)  # ncc:totalElapsedTime
    audio_seconds: dict[str, float] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    coverage: float = 0.0


def read_book(folder: Path) -> tuple[Book, list[Finding]]:
    book = Book(folder)
    findings: list[Finding] = []
    ncc_path = folder / "ncc.html"
    try:
        ncc = etree.parse(str(ncc_path), etree.XMLParser(no_network=True, load_dtd=False))
    except (OSError, etree.XMLSyntaxError) as error:
        return book, [Finding("error", f"the NCC cannot be read: {error}", "ncc.html")]
    for meta in ncc.iter("{*}meta"):
        if name := meta.get("name"):
            book.meta[name] = meta.get("content", "")
    for name in NCC_REQUIRED:
        if not book.meta.get(name, "").strip():
            findings.append(Finding("error", f"the NCC has no {name} metadata", "ncc.html"))
    if book.meta.get("dc:format") != "Daisy 2.02":
        findings.append(Finding("error", "dc:format is not 'Daisy 2.02'", "ncc.html"))
    if book.meta.get("ncc:multimediaType") != "audioFullText":
        findings.append(Finding("error", "ncc:multimediaType is not audioFullText", "ncc.html"))
    body = ncc.find("{*}body")
    entries = [e for e in body] if body is not None else []
    if not entries or local(entries[0]) != "h1" or entries[0].get("class") != "title":
        findings.append(Finding("error", 'the NCC\'s first entry is not <h1 class="title">', "ncc.html"))
    smil_cache: dict[str, etree._ElementTree] = {}
    content_cache: dict[str, etree._ElementTree] = {}
    for entry in entries:
        link = entry.find("{*}a")
        href = link.get("href") if link is not None else None
        if link is None or not href:
            findings.append(Finding("error", f"NCC entry {entry.get('id')} has no link", "ncc.html"))
            continue
        # lxml-stubs type itertext() as str | bytes; on a parsed element lxml yields only str.
        text = "".join(link.itertext()).strip()  # type: ignore[arg-type]
        if HEADING.fullmatch(local(entry)):
            book.headings.append((int(local(entry)[1]), text, href))
        elif entry.get("class") == "page-normal":
            book.pages.append(text)
        findings += _resolve_ncc_link(folder, href, smil_cache)
    for name, count in (("ncc:tocItems", len(entries)), ("ncc:pageNormal", len(book.pages))):
        if book.meta.get(name) and book.meta[name] != str(count):
            findings.append(
                Finding("error", f"{name} says {book.meta[name]}, the NCC has {count}", "ncc.html")
            )
    smil_names = _smil_order(entries)
    for name in smil_names:
        findings += _read_smil(book, folder, name, smil_cache, content_cache)
    total = sum(book.smil_seconds.values())
    stated = parse_clock(book.meta.get("ncc:totalTime", "0"))
    if abs(stated - total) > TOTAL_TIME_TOLERANCE:
        findings.append(
            Finding(
                "error", f"ncc:totalTime is {stated:.1f} s but the clips add up to {total:.1f} s", "ncc.html"
            )
        )
    findings += _coverage(book, content_cache)
    return book, findings


def _smil_order(entries: list[etree._Element]) -> list[str]:
    names: list[str] = []
    for entry in entries:
        link = entry.find("{*}a")
        href = link.get("href") if link is not None else None
        if href:
            name = href.split("#")[0]
            if name not in names:
                names.append(name)
    return names


def _load(folder: Path, name: str, cache: dict[str, etree._ElementTree]) -> etree._ElementTree | None:
    if name not in cache:
        path = folder / name
        if not path.is_file():
            return None
        try:
            cache[name] = etree.parse(str(path), etree.XMLParser(no_network=True, load_dtd=False))
        except etree.XMLSyntaxError:
            return None
    return cache[name]


def _resolve_ncc_link(folder: Path, href: str, cache: dict) -> list[Finding]:
    name, _, fragment = href.partition("#")
    smil = _load(folder, name, cache)
    if smil is None:
        return [Finding("error", f"the NCC links to {name}, which is missing or not XML", "ncc.html")]
    # An element-selecting XPath gives a list of elements (lxml-stubs type every kind of result).
    target = cast(list[etree._Element], smil.xpath("//*[@id=$id]", id=fragment))
    if not target:
        return [Finding("error", f"the NCC links to {href}, which is not in {name}", "ncc.html")]
    if local(target[0]) != "text":
        return [
            Finding(
                "error",
                f"the NCC links to the {local(target[0])} {href}: players play only from a <text> element",
                "ncc.html",
            )
        ]
    return []


def _read_smil(book: Book, folder: Path, name: str, smil_cache: dict, content_cache: dict) -> list[Finding]:
    findings: list[Finding] = []
    smil = _load(folder, name, smil_cache)
    if smil is None:
        return [Finding("error", f"{name} is missing or not XML", name)]
    sum_clips = 0.0
    for meta in smil.iter("meta"):
        if meta.get("name") == "ncc:totalElapsedTime":
            book.smil_start[name] = parse_clock(meta.get("content", "0"))
    for par in smil.iter("par"):
        text = par.find("text")
        audio = par.find("audio")
        where = f"{name} par {par.get('id')}"
        if text is None or audio is None:
            findings.append(Finding("error", "a par without both text and audio", where))
            continue
        src, _, fragment = (text.get("src") or "").partition("#")
        content = _load(folder, src, content_cache)
        if content is None or not content.xpath("//*[@id=$id]", id=fragment):
            findings.append(Finding("error", f"text {text.get('src')} does not resolve", where))
        audio_name = audio.get("src") or ""
        if audio_name not in book.audio_seconds:
            path = folder / audio_name
            try:
                book.audio_seconds[audio_name] = decoded_seconds(path)
            except (OSError, miniaudio.DecodeError) as error:
                findings.append(Finding("error", f"{audio_name} does not decode: {error}", where))
                book.audio_seconds[audio_name] = 0.0
        begin = parse_clock(audio.get("clip-begin", "npt=0s"))
        end = parse_clock(audio.get("clip-end", "npt=0s"))
        if not begin < end:
            findings.append(
                Finding("error", f"clip-begin {begin:.3f} s is not before clip-end {end:.3f} s", where)
            )
        if end > book.audio_seconds[audio_name] + 1e-6:
            findings.append(
                Finding(
                    "error",
                    f"the clip ends at {end:.3f} s, after the end of "
                    f"{audio_name} ({book.audio_seconds[audio_name]:.3f} s)",
                    where,
                )
            )
        book.clips.append((name, fragment, begin, end))
        sum_clips += end - begin
    book.smil_seconds[name] = sum_clips
    seq = smil.find(".//seq")
    dur = seq.get("dur") if seq is not None else None
    if dur and abs(parse_clock(dur) - sum_clips) > 0.01:
        findings.append(
            Finding("error", f"seq dur {dur} is not the sum of its clips ({sum_clips:.3f} s)", name)
        )
    return findings


def _coverage(book: Book, content_cache: dict) -> list[Finding]:
    """Share of the words of the content documents' bodies inside an element a clip points at
    (a text node belongs to its element; a tail to the element's parent)."""
    referenced = {fragment for _, fragment, _, _ in book.clips}

    def synchronised(element: etree._Element | None) -> bool:
        while element is not None:
            if element.get("id") in referenced:
                return True
            element = element.getparent()
        return False

    total = covered = 0
    for tree in content_cache.values():
        body = tree.find("{*}body")
        if body is None:
            continue
        for node in body.iter():
            if not isinstance(node.tag, str):
                continue
            for words, owner in (
                (len(WORD.findall(node.text or "")), node),
                (len(WORD.findall(node.tail or "")), node.getparent()),
            ):
                total += words
                covered += words if synchronised(owner) else 0
    book.coverage = covered / total if total else 0.0
    if book.coverage < MIN_COVERAGE:
        return [
            Finding(
                "error",
                f"only {book.coverage:.0%} of the content's words are in a synchronised sentence",
                "content",
            )
        ]
    return []


def check_zip(zip_path: Path, folder: Path) -> list[Finding]:
    try:
        with zipfile.ZipFile(zip_path) as archive:
            bad = archive.testzip()
            names = {
                Path(n).relative_to(Path(n).parts[0]).as_posix()
                for n in archive.namelist()
                if not n.endswith("/")
            }
    except (OSError, zipfile.BadZipFile) as error:
        return [Finding("error", f"the zip cannot be read: {error}", zip_path.name)]
    findings = []
    if bad:
        findings.append(Finding("error", f"{bad} is damaged in the zip", zip_path.name))
    expected = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    if names != expected:
        findings.append(
            Finding(
                "error",
                f"the zip does not hold exactly the book's files "
                f"(missing {sorted(expected - names)[:3]}, extra "
                f"{sorted(names - expected)[:3]})",
                zip_path.name,
            )
        )
    return findings


def check_daisy(doc: Document, options: Any, paths: list[Path], ctx: BuildContext) -> CheckResult:
    ncc = next((p for p in paths if p.name == "ncc.html" and p.parent.name == "daisy"), None)
    if ncc is None:
        return CheckResult((Finding("error", "no daisy/ncc.html was written", "daisy"),))
    book, findings = read_book(ncc.parent)
    zip_path = next((p for p in paths if p.name == f"{ctx.slug}-daisy.zip"), None)
    if zip_path is None:
        findings.append(Finding("error", f"no {ctx.slug}-daisy.zip was written", "daisy"))
    else:
        findings += check_zip(zip_path, ncc.parent)
    if not book.headings:
        findings.append(
            Finding("error", "the NCC lists no headings: the book cannot be navigated", "ncc.html")
        )
    metrics: dict[str, Any] = {
        "headings": len(book.headings),
        "pages": len(book.pages),
        "clips": len(book.clips),
        "coverage": round(book.coverage, 4),
        "seconds": round(sum(book.smil_seconds.values()), 3),
    }
    if getattr(options, "daisy3", False):
        more, metrics3 = check_daisy3(paths, ctx)
        findings += more
        metrics.update(metrics3)
    return CheckResult(tuple(findings), metrics)


def check_daisy3(paths: list[Path], ctx: BuildContext) -> tuple[list[Finding], dict[str, Any]]:
    """DAISY 3 read back: the OPF's files exist, NCX -> SMIL -> DTBook references resolve, clips
    lie inside their decoded MP3s, and dtb:totalTime is the sum of the clips."""
    opf_path = next((p for p in paths if p.suffix == ".opf" and p.parent.name == "daisy3"), None)
    if opf_path is None:
        return [Finding("error", "no daisy3/*.opf was written", "daisy3")], {}
    folder = opf_path.parent
    findings: list[Finding] = []
    opf = _load(folder, opf_path.name, {})
    if opf is None:
        return [Finding("error", f"{opf_path.name} is not readable XML", "daisy3")], {}
    cache: dict[str, etree._ElementTree] = {}
    for item in opf.iter("{*}item"):
        if not (folder / item.get("href", "")).is_file():
            findings.append(
                Finding("error", f"the OPF lists {item.get('href')}, which is missing", opf_path.name)
            )
    stated = next(
        (parse_clock(m.get("content", "")) for m in opf.iter("{*}meta") if m.get("name") == "dtb:totalTime"),
        None,
    )
    ncx_href = next((href for i in opf.iter("{*}item") if (href := i.get("href", "")).endswith(".ncx")), "")
    ncx = _load(folder, ncx_href, cache) if ncx_href else None
    if ncx is None:
        return findings + [Finding("error", "no readable NCX", "daisy3")], {}
    nav_points = list(ncx.iter("{*}navPoint"))
    for content in ncx.iter("{*}content"):
        name, _, fragment = content.get("src", "").partition("#")
        smil = _load(folder, name, cache)
        if smil is None or not smil.xpath("//*[@id=$id]", id=fragment):
            findings.append(
                Finding("error", f"the NCX points at {content.get('src')}, which does not resolve", ncx_href)
            )
    total = 0.0
    seconds: dict[str, float] = {}
    clips = 0
    for itemref in opf.iter("{*}itemref"):
        item = next(i for i in opf.iter("{*}item") if i.get("id") == itemref.get("idref"))
        item_href = item.get("href", "")
        smil = _load(folder, item_href, cache)
        if smil is None:
            findings.append(Finding("error", f"{item_href} is not readable", "daisy3"))
            continue
        for par in smil.iter("{*}par"):
            text, audio = par.find("{*}text"), par.find("{*}audio")
            if text is None or audio is None:
                findings.append(Finding("error", "a par has no text or no audio", item_href))
                continue
            name, _, fragment = text.get("src", "").partition("#")
            book = _load(folder, name, cache)
            if book is None or not book.xpath("//*[@id=$id]", id=fragment):
                findings.append(Finding("error", f"text {text.get('src')} does not resolve", item_href))
            src = audio.get("src", "")
            if src not in seconds:
                try:
                    seconds[src] = decoded_seconds(folder / src)
                except (OSError, miniaudio.DecodeError):
                    findings.append(Finding("error", f"{src} does not decode", item_href))
                    seconds[src] = 0.0
            begin = parse_clock(audio.get("clipBegin", ""))
            end = parse_clock(audio.get("clipEnd", ""))
            if not begin < end or end > seconds[src] + 1e-6:
                findings.append(
                    Finding(
                        "error",
                        f"clip {begin:.3f}-{end:.3f} s is not inside {src} ({seconds[src]:.3f} s)",
                        item_href,
                    )
                )
            total += end - begin
            clips += 1
    if stated is None or abs(stated - total) > TOTAL_TIME_TOLERANCE:
        findings.append(
            Finding("error", f"dtb:totalTime {stated} is not the clips' sum {total:.3f} s", opf_path.name)
        )
    zip_path = next((p for p in paths if p.name == f"{ctx.slug}-daisy3.zip"), None)
    findings += (
        check_zip(zip_path, folder)
        if zip_path
        else [Finding("error", f"no {ctx.slug}-daisy3.zip was written", "daisy3")]
    )
    return findings, {"daisy3_nav_points": len(nav_points), "daisy3_clips": clips}
