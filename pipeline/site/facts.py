"""What the site says about a report, read from its manifest and its outputs only.

Nothing here rebuilds or re-checks a format: the manifest says what was built, with which
options, and whether it passed its checks; the outputs themselves say how long the audio is
(mutagen), how many braille pages and volumes there are (the PEF), what the e-book's contents
are (its nav document) and the report's title, date and language (the web page, else the
e-book's or the PEF's Dublin Core metadata).
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from .. import manifest

PEF_NS = "http://www.daisy.org/ns/2008/pef"
DC_NS = "http://purl.org/dc/elements/1.1/"
OPF_NS = "http://www.idpf.org/2007/opf"
XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
CONTAINER_NS = "urn:oasis:names:tc:opendocument:xmlns:container"

# Files a stage writes for other stages, not for readers.
INTERNAL_SUFFIXES = (".pagemap.json",)


@dataclass(frozen=True)
class OutputFile:
    path: str  # relative to outputs/<slug>/, as the manifest records it
    sha256: str
    bytes: int
    media_type: str


@dataclass(frozen=True)
class Finding:
    severity: str
    message: str
    where: str


@dataclass(frozen=True)
class Chapter:
    title: str
    start_seconds: float


@dataclass(frozen=True)
class TocEntry:
    title: str
    children: tuple[TocEntry, ...] = ()


@dataclass(frozen=True)
class BrailleFacts:
    pages: int
    volumes: int
    cells: int
    lines: int
    first_page: tuple[str, ...]  # rows of Unicode braille, as the PEF has them
    table: str  # the liblouis table the stage used (its option resolved)


@dataclass
class FormatFacts:
    name: str  # the stage name: "pdf", "large-print", "daisy", ...
    status: str  # built, reused or failed (as the last build left it)
    passed: bool  # its read-back checks passed
    intact: bool  # every output is there with its recorded hash
    files: list[OutputFile]
    options: dict[str, Any]
    findings: list[Finding]
    metrics: dict[str, Any]
    error: str = ""  # why the last build of this format failed
    unreadable: str = ""  # why the site could not read an output (then not offered)
    built_at: str = ""
    seconds: float = 0.0
    duration_seconds: float | None = None  # audio
    chapters: list[Chapter] = field(default_factory=list)
    braille: BrailleFacts | None = None
    toc: list[TocEntry] = field(default_factory=list)  # epub

    @property
    def offered(self) -> bool:
        """Shown to readers: built from the current source, checks passed, files intact."""
        return (
            self.status != "failed"
            and self.passed
            and self.intact
            and bool(self.files)
            and not self.unreadable
        )

    def reader_files(self) -> list[OutputFile]:
        return [f for f in self.files if not f.path.endswith(INTERNAL_SUFFIXES)]

    def file_with_suffix(self, suffix: str) -> OutputFile | None:
        """The top-level file with this suffix (section files live in sub-folders)."""
        for record in self.files:
            if record.path.endswith(suffix) and "/" not in record.path:
                return record
        return None


@dataclass(frozen=True)
class ReportMeta:
    title: str
    subtitle: str
    date: str  # ISO date or the author's words
    language: str  # BCP 47


@dataclass
class ReportFacts:
    slug: str
    out_dir: Path
    source_path: str
    source_sha256: str
    meta: ReportMeta
    formats: dict[str, FormatFacts]  # in the manifest's order


def find_reports(outputs: Path, skip: tuple[str, ...] = ("requests", "site")) -> list[Path]:
    """Every outputs/<slug>/ folder that has a manifest, sorted by slug."""
    if not outputs.is_dir():
        return []
    return sorted(p.parent for p in outputs.glob(f"*/{manifest.MANIFEST_NAME}") if p.parent.name not in skip)


def read_report(out_dir: Path) -> ReportFacts:
    record = manifest.read(out_dir, out_dir.name).to_json()  # the JSON form the pages describe
    formats: dict[str, FormatFacts] = {}
    for name, entry in record.get("stages", {}).items():
        formats[name] = _format_facts(out_dir, name, entry)
    meta = _report_meta(out_dir, formats)
    for facts in formats.values():
        if facts.intact:
            try:
                _read_format_details(out_dir, facts, meta.language)
            except Exception as error:  # a damaged output must not stop the site
                facts.unreadable = f"{type(error).__name__}: {error}"
    source = record.get("source", {})
    return ReportFacts(
        slug=out_dir.name,
        out_dir=out_dir,
        source_path=source.get("path", ""),
        source_sha256=source.get("sha256", ""),
        meta=meta,
        formats=formats,
    )


def _format_facts(out_dir: Path, name: str, entry: dict[str, Any]) -> FormatFacts:
    checks = entry.get("checks") or {}
    attempt = entry.get("attempt") or {}
    # A failed build keeps the previous outputs; its own findings are in the attempt.
    shown_checks = (attempt.get("checks") or checks) if entry.get("status") == "failed" else checks
    facts = FormatFacts(
        name=name,
        status=entry.get("status") or "built",
        passed=bool(checks.get("passed")),
        intact=manifest.outputs_intact(out_dir, entry),
        files=[
            OutputFile(r["path"], r["sha256"], int(r["bytes"]), r.get("media_type", ""))
            for r in entry.get("outputs") or []
        ],
        options=dict(entry.get("options") or {}),
        findings=[
            Finding(f.get("severity", "error"), f.get("message", ""), f.get("where", ""))
            for f in shown_checks.get("findings") or []
        ],
        metrics=dict(shown_checks.get("metrics") or {}),
        error=entry.get("error") or "",
        built_at=entry.get("built_at") or "",
        seconds=float(entry.get("seconds") or 0.0),
    )
    return facts


def _read_format_details(out_dir: Path, facts: FormatFacts, language: str) -> None:
    mp3 = facts.file_with_suffix(".mp3")
    if mp3 is not None:
        facts.duration_seconds, facts.chapters = audio_facts(out_dir / mp3.path)
    pef = facts.file_with_suffix(".pef")
    if pef is not None:
        table = resolved_braille_table(facts.options, language)
        facts.braille = braille_facts(out_dir / pef.path, table)
    epub = facts.file_with_suffix(".epub")
    if epub is not None:
        facts.toc = epub_toc(out_dir / epub.path)


# ---------------------------------------------------------------- audio


def audio_facts(path: Path) -> tuple[float, list[Chapter]]:
    """The MP3's length and its ID3 chapters in the order they are heard."""
    from mutagen.id3 import ID3, ID3NoHeaderError
    from mutagen.mp3 import MP3

    # mutagen declares FileType.info as None at class level; MP3() has read it from the file.
    length = float(MP3(path).info.length)  # type: ignore[attr-defined]
    try:
        tags = ID3(path)
    except ID3NoHeaderError:
        return length, []
    chapters = {frame.element_id: frame for frame in tags.getall("CHAP")}
    # The chapters nest (a CTOC per level), and a listener meets them in time order: that is
    # the list a player shows, whatever order the table-of-contents frames are stored in.
    order = sorted(chapters, key=lambda c: chapters[c].start_time)
    found = []
    for element_id in order:
        frame = chapters[element_id]
        titles = [str(sub) for key, sub in frame.sub_frames.items() if key.startswith("TIT2")]
        found.append(Chapter(titles[0] if titles else element_id, frame.start_time / 1000))
    return length, found


# ---------------------------------------------------------------- braille


def braille_facts(path: Path, table: str) -> BrailleFacts:
    tree = etree.parse(str(path))
    volumes = tree.findall(f".//{{{PEF_NS}}}volume")
    pages = tree.findall(f".//{{{PEF_NS}}}page")
    first = pages[0].findall(f"{{{PEF_NS}}}row") if pages else []
    columns = int(volumes[0].get("cols", 0)) if volumes else 0
    rows = int(volumes[0].get("rows", 0)) if volumes else 0
    return BrailleFacts(
        pages=len(pages),
        volumes=len(volumes),
        cells=columns,
        lines=rows,
        first_page=tuple(row.text or "" for row in first),
        table=table,
    )


def resolved_braille_table(options: Mapping[str, Any], language: str) -> str:
    """The liblouis table the braille stage used, by liblouis's name for it (cy-cy-g2.ctb, not
    the path of the copy it translated with: that lies in one machine's cache, and a page or a
    preview's key shows the name). The table option may be 'auto' or a language, at the grade
    the stage was given."""
    from ..stages.braille.translate import resolve_table_name

    option = str(options.get("table") or "auto")
    try:
        return resolve_table_name(option, language, int(options.get("grade") or 2))
    except ValueError:  # TableError is one: the page says what the option said
        return option


# ---------------------------------------------------------------- epub


def epub_toc(path: Path) -> list[TocEntry]:
    """The e-book's contents as its nav document (the toc nav) lists them."""
    with zipfile.ZipFile(path) as book:
        opf_path = _opf_path(book, path)
        opf = etree.fromstring(book.read(opf_path))
        item = next(
            (i for i in opf.iter(f"{{{OPF_NS}}}item") if "nav" in (i.get("properties") or "").split()), None
        )
        if item is None:
            return []
        href = item.get("href")
        if href is None:
            raise ValueError(f"{path}: the nav item in {opf_path} has no href")
        nav_path = str(PurePosixPath(opf_path).parent / href)
        nav_doc = etree.fromstring(book.read(nav_path.lstrip("./")))
    for nav in nav_doc.iter(f"{{{XHTML_NS}}}nav"):
        if nav.get(f"{{{EPUB_NS}}}type") == "toc":
            top = nav.find(f"{{{XHTML_NS}}}ol")
            return _toc_entries(top) if top is not None else []
    return []


def _opf_path(book: zipfile.ZipFile, path: Path) -> str:
    """Where the package document is, as the e-book's container names it."""
    container = etree.fromstring(book.read("META-INF/container.xml"))
    rootfile = container.find(f".//{{{CONTAINER_NS}}}rootfile")
    full_path = rootfile.get("full-path") if rootfile is not None else None
    if full_path is None:
        raise ValueError(f"{path}: META-INF/container.xml names no rootfile full-path")
    return full_path


def _toc_entries(ol: etree._Element) -> list[TocEntry]:
    entries = []
    for li in ol.findall(f"{{{XHTML_NS}}}li"):
        label = li.find(f"{{{XHTML_NS}}}a")
        if label is None:
            label = li.find(f"{{{XHTML_NS}}}span")
        # lxml-stubs type itertext() as str | bytes; on a parsed element lxml yields only str.
        text = "".join(label.itertext()) if label is not None else ""  # type: ignore[arg-type]
        title = " ".join(text.split())
        inner = li.find(f"{{{XHTML_NS}}}ol")
        entries.append(TocEntry(title, tuple(_toc_entries(inner)) if inner is not None else ()))
    return entries


# ---------------------------------------------------------------- title, date, language


def _report_meta(out_dir: Path, formats: dict[str, FormatFacts]) -> ReportMeta:
    """From the web page's header, else the e-book's or the PEF's Dublin Core, else the slug."""
    readers = ((".html", _meta_from_html), (".epub", _meta_from_epub), (".pef", _meta_from_pef))
    for suffix, reader in readers:
        for facts in formats.values():
            record = facts.file_with_suffix(suffix)
            if record is not None and facts.intact:
                try:
                    return reader(out_dir / record.path)
                except (OSError, ValueError, KeyError, AttributeError, etree.Error, zipfile.BadZipFile):
                    continue
    return ReportMeta(title=out_dir.name, subtitle="", date="", language="en-GB")


def _meta_from_html(path: Path) -> ReportMeta:
    root = lxml_html.parse(str(path)).getroot()
    header = root.find(".//header")
    title = header.find(".//*[@class='title']")
    subtitle = header.find(".//*[@class='subtitle']")
    time = header.find(".//time")
    if title is None:
        raise ValueError("no title in the page header")
    return ReportMeta(
        title=title.text_content().strip(),
        subtitle=subtitle.text_content().strip() if subtitle is not None else "",
        date=time.get("datetime", "") if time is not None else "",
        language=root.get("lang") or "en-GB",
    )


def _dublin_core(metadata: etree._Element) -> ReportMeta:
    def text(name: str) -> str:
        found = metadata.find(f".//{{{DC_NS}}}{name}")
        return (found.text or "").strip() if found is not None else ""

    if not text("title"):
        raise ValueError("no dc:title")
    return ReportMeta(
        title=text("title"), subtitle="", date=text("date"), language=text("language") or "en-GB"
    )


def _meta_from_epub(path: Path) -> ReportMeta:
    with zipfile.ZipFile(path) as book:
        return _dublin_core(etree.fromstring(book.read(_opf_path(book, path))))


def _meta_from_pef(path: Path) -> ReportMeta:
    return _dublin_core(etree.parse(str(path)).getroot())
