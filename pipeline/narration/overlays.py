"""EPUB 3 media overlays from the narration: a read-along copy of a finished EPUB.

The EPUB stage writes its book as usual; `add_overlays` then copies it, giving every narrated
sentence an id in the content documents (a span per sentence where the element holds plain text,
else the element itself), one SMIL overlay per content document, the section MP3s the narration
names, and the package metadata (media:duration per overlay and in total, media:narrator,
media:active-class with its highlight style). Working on the finished package keeps the EPUB
stage's own code untouched and the plain EPUB byte for byte what it was.

Sentences are found by their words, not by position: the narration's items carry the source's
words (digits as written), and each is matched to the unused element whose text shares the most
words with it, looking a little ahead of the last match first (notes sit at the end of a chapter
while they are spoken after their paragraph). Hand-written because no library aligns a spoken
script with an HTML rendering of the same document.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from . import Narration, clock, section_clips, split_sentences

XHTML_NS = "http://www.w3.org/1999/xhtml"
OPF_NS = "http://www.idpf.org/2007/opf"
SMIL_NS = "http://www.w3.org/ns/SMIL"
EPUB_NS = "http://www.idpf.org/2007/ops"
ACTIVE_CLASS = "-epub-media-overlay-active"
# A strong highlight that stays readable (black on pale yellow, 19:1); reading systems apply it
# to the sentence being read.
ACTIVE_CSS = f"\n.{ACTIVE_CLASS} {{ background-color: #ffff99; color: #000000; }}\n"
HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
SYNC_TAGS = {
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "li",
    "caption",
    "tr",
    "figcaption",
    "figure",
    "dt",
    "dd",
}  # a table row is read as one unit, so it is one element
MIN_SCORE = 0.5  # shared words / mean length: below this, not the same text
LOOK_AHEAD = 25  # candidates searched after the last match before all others
WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


@dataclass
class Candidate:
    document: str  # the content document's path in the package
    element: etree._Element
    words: Counter
    position: int  # document order within its file
    used: bool = False


@dataclass
class Par:
    document: str
    target_id: str
    audio: str  # package path of the MP3
    begin: float
    end: float
    position: tuple[int, int]  # (element position, sentence within it): reading order


@dataclass
class Overlaid:
    pars: list[Par] = field(default_factory=list)
    matched: int = 0
    units: int = 0


def _own_text(element: etree._Element) -> str:
    """The element's text without that of nested sync elements (a list item's own words); a
    figure's is its image's alt text and caption."""
    if etree.QName(element).localname == "figure":
        alts = [img.get("alt", "") for img in element.iter(f"{{{XHTML_NS}}}img")]
        # lxml-stubs type itertext() as str | bytes; on a parsed element lxml yields only str.
        return " ".join(alts + ["".join(element.itertext())])  # type: ignore[arg-type]
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and etree.QName(child).localname in SYNC_TAGS:
            parts.append(child.tail or "")
        else:
            parts.append(
                "".join(child.itertext())  # type: ignore[arg-type]  # as above
                if isinstance(child.tag, str)
                else ""
            )
            parts.append(child.tail or "")
    return "".join(parts)


def _candidates(name: str, root: etree._Element) -> list[Candidate]:
    out = []
    body = root.find(f"{{{XHTML_NS}}}body")
    for position, element in enumerate(body.iter() if body is not None else ()):
        if not isinstance(element.tag, str) or etree.QName(element).localname not in SYNC_TAGS:
            continue
        if etree.QName(element).localname == "figure" and element.find(f".//{{{XHTML_NS}}}img") is None:
            continue
        if any(etree.QName(a).localname in ("nav",) for a in element.iterancestors()):
            continue
        parent = element.getparent()
        if (
            etree.QName(element).localname == "figcaption"
            and parent is not None
            and etree.QName(parent).localname == "figure"
            and parent.find(f".//{{{XHTML_NS}}}img") is not None
        ):
            continue  # matched as part of its figure
        counted = Counter(words(_own_text(element)))
        if counted:
            out.append(Candidate(name, element, counted, position))
    return out


def _score(unit_words: Counter, candidate: Candidate) -> float:
    common = sum((unit_words & candidate.words).values())
    return 2 * common / (sum(unit_words.values()) + sum(candidate.words.values()))


def _best(unit_words: Counter, candidates: list[Candidate], start: int) -> int | None:
    window = range(start, min(len(candidates), start + LOOK_AHEAD))
    for indices in (window, range(len(candidates))):
        scored = [
            (_score(unit_words, candidates[i]), -abs(i - start), i) for i in indices if not candidates[i].used
        ]
        if scored:
            score, _, index = max(scored)
            if score >= MIN_SCORE:
                return index
    return None


def _mark(candidate: Candidate, unit, fallback_id: str) -> list[tuple[str, int]]:
    """Ids on the matched element for each sentence of the unit: spans when the element holds
    one plain text in which the sentences are found in order; else the element's own id."""
    element = candidate.element
    texts = [item.display for item, _ in unit]
    text = element.text if len(element) == 0 else None
    if text and len(texts) > 1:
        spans: list[tuple[int, int]] = []
        cursor = 0
        for item_text in texts:
            found = text.find(item_text, cursor)
            if found < 0:
                break
            spans.append((found, found + len(item_text)))
            cursor = found + len(item_text)
        else:
            element.text = text[: spans[0][0]]
            ids = []
            for index, ((begin, end), (item, _)) in enumerate(zip(spans, unit)):
                span = etree.SubElement(element, f"{{{XHTML_NS}}}span", id=item.id)
                span.text = text[begin:end]
                span.tail = text[end : spans[index + 1][0]] if index + 1 < len(spans) else text[end:]
                ids.append((item.id, index))
            return ids
    element_id = element.get("id")
    if not element_id:
        element.set("id", fallback_id)
        element_id = fallback_id
    return [(element_id, 0)]


# The pipeline's own framing words ("Quote.", "End of table.", "End of <title>.") have no element
# in the e-book; matched by their words they would land on the wrong one.
UNMATCHED_KINDS = {"closing", "quote-start", "quote-end", "table-end"}


def _place(unit: list, candidates: list[Candidate], cursor: int) -> int | None:
    first = unit[0][0]
    if first.kind in UNMATCHED_KINDS:
        return None
    # The spoken title is "Title. Subtitle.": the heading on the title page is the title alone.
    text = (
        split_sentences(first.display)[0]
        if first.kind == "title"
        else " ".join(item.display for item, _ in unit)
    )
    unit_words = Counter(words(text))
    return _best(unit_words, candidates, cursor) if unit_words else None


def _whole_title_page(candidate: Candidate) -> Candidate:
    """While the opening says the title, the whole title page is the text it reads: the
    subtitle and the date in words are not said as they are printed ("1 Mehefin 2024" is
    spoken "y cyntaf o Fehefin"), so no sentence of their own would ever match them."""
    section = candidate.element.getparent()
    kinds = (section.get(f"{{{EPUB_NS}}}type") or "").split() if section is not None else []
    if section is None or etree.QName(section).localname != "section" or "titlepage" not in kinds:
        return candidate
    return Candidate(candidate.document, section, candidate.words, candidate.position)


def _pars(candidate: Candidate, unit: list, audio: str) -> list[Par]:
    marks = _mark(candidate, unit, unit[0][0].id)
    if len(marks) == len(unit):
        return [
            Par(candidate.document, target_id, audio, clip.begin, clip.end, (candidate.position, order))
            for (target_id, order), (_, clip) in zip(marks, unit)
        ]
    return [
        Par(
            candidate.document, marks[0][0], audio, unit[0][1].begin, unit[-1][1].end, (candidate.position, 0)
        )
    ]


def add_overlays(plain: Path, target: Path, narration: Narration) -> Overlaid:
    """Write `target`: the EPUB at `plain` with media overlays from `narration`."""
    with zipfile.ZipFile(plain) as source:
        files = {name: source.read(name) for name in source.namelist()}
    container = etree.fromstring(files["META-INF/container.xml"])
    opf_name = _attribute(_required(container.find(".//{*}rootfile"), "rootfile"), "full-path")
    base = posixpath.dirname(opf_name)
    opf = etree.fromstring(files[opf_name])
    manifest = _required(opf.find(f"{{{OPF_NS}}}manifest"), "manifest")
    spine_ids = [ref.get("idref") for ref in _required(opf.find(f"{{{OPF_NS}}}spine"), "spine")]
    by_id = {item.get("id"): item for item in manifest}
    documents: dict[str, etree._Element] = {}
    candidates: list[Candidate] = []
    for idref in spine_ids:
        item = by_id[idref]
        if "nav" in (item.get("properties") or "").split():
            continue
        name = posixpath.join(base, _attribute(item, "href"))
        documents[name] = etree.fromstring(files[name])
        candidates += _candidates(name, documents[name])

    result = Overlaid()
    title: tuple | None = None  # the opening's title: its words, (item, clip), its audio
    audio_files: dict[str, Path] = {}
    cursor = 0
    for section in narration.sections:
        audio = posixpath.join(base, "audio", Path(section.audio).name)
        clips = section_clips(section)
        units: list[list] = []
        for clip in clips:
            if clip.item.unit_start or not units:
                units.append([])
            units[-1].append((clip.item, clip))
        for unit in units:
            result.units += 1
            # The whole unit (a paragraph) first; failing that each sentence on its own (the
            # spoken opening's "Published by ... Written by ..." is two lines of the title page).
            for group in (
                [unit] if _place(unit, candidates, cursor) is not None else [[member] for member in unit]
            ):
                index = _place(group, candidates, cursor)
                if index is None:
                    continue
                candidate = candidates[index]
                candidate.used = True
                if group[0][0].kind == "title":
                    candidate = _whole_title_page(candidate)
                    # the title as printed (the spoken item says "twenty twenty-four")
                    title = (Counter(words(narration.title)), group[0], audio)
                if cursor <= index < cursor + LOOK_AHEAD:
                    cursor = index + 1
                result.matched += 1
                audio_files[audio] = narration.audio_path(section)
                result.pars += _pars(candidate, group, audio)
    if title is not None:
        result.pars += _repeated_title(candidates, *title)
    _write(files, opf_name, opf, documents, result, audio_files, narration, target)
    return result


def _repeated_title(candidates: list[Candidate], title_words: Counter, title: tuple, audio: str) -> list[Par]:
    """A heading that repeats the title is not said again (the opening has just said it), so
    no sentence of its own matches it: it is read with the opening's title clip, which is what
    a reader who starts at that chapter hears the book called."""
    item, clip = title
    pars = []
    for candidate in candidates:
        if (
            candidate.used
            or candidate.words != title_words
            or etree.QName(candidate.element).localname not in HEADING_TAGS
        ):
            continue
        candidate.used = True
        [(target_id, _)] = _mark(candidate, [(item, clip)], f"{item.id}-heading")[:1]
        pars.append(Par(candidate.document, target_id, audio, clip.begin, clip.end, (candidate.position, 0)))
    return pars


def _write(
    files: dict[str, bytes],
    opf_name: str,
    opf: etree._Element,
    documents: dict[str, etree._Element],
    result: Overlaid,
    audio_files: dict[str, Path],
    narration: Narration,
    target: Path,
) -> None:
    base = posixpath.dirname(opf_name)
    manifest = _required(opf.find(f"{{{OPF_NS}}}manifest"), "manifest")
    metadata = _required(opf.find(f"{{{OPF_NS}}}metadata"), "metadata")
    by_href = {posixpath.join(base, _attribute(item, "href")): item for item in manifest}
    total = 0.0
    for number, (name, root) in enumerate(documents.items(), start=1):
        pars = sorted((p for p in result.pars if p.document == name), key=lambda p: p.position)
        if not pars:
            continue
        files[name] = etree.tostring(
            root, xml_declaration=True, encoding="utf-8", doctype="<!DOCTYPE html>", pretty_print=True
        )
        smil_name = posixpath.join(base, "overlays", Path(name).stem + ".smil")
        files[smil_name] = _smil(name, smil_name, pars)
        overlay_id = f"overlay-{number}"
        etree.SubElement(
            manifest,
            f"{{{OPF_NS}}}item",
            id=overlay_id,
            href=posixpath.relpath(smil_name, base),
            attrib={"media-type": "application/smil+xml"},
        )
        by_href[name].set("media-overlay", overlay_id)
        seconds = sum(p.end - p.begin for p in pars)
        total += seconds
        _meta(metadata, "media:duration", clock(seconds), refines=f"#{overlay_id}")
    _meta(metadata, "media:duration", clock(total))
    _meta(metadata, "media:narrator", narration.narrator)
    _meta(metadata, "media:active-class", ACTIVE_CLASS)
    _meta(metadata, "schema:accessMode", "auditory")
    _meta(metadata, "schema:accessibilityFeature", "synchronizedAudioText")
    for number, (name, path) in enumerate(sorted(audio_files.items()), start=1):
        files[name] = path.read_bytes()
        etree.SubElement(
            manifest,
            f"{{{OPF_NS}}}item",
            id=f"audio-{number}",
            href=posixpath.relpath(name, base),
            attrib={"media-type": "audio/mpeg"},
        )
    for name, item in by_href.items():
        if item.get("media-type") == "text/css" and name in files:
            files[name] = files[name] + ACTIVE_CSS.encode("utf-8")
    files[opf_name] = etree.tostring(opf, xml_declaration=True, encoding="utf-8", pretty_print=True)
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), files.pop("mimetype"), compress_type=zipfile.ZIP_STORED)
        for name, data in files.items():
            archive.writestr(
                name,
                data,
                compress_type=zipfile.ZIP_STORED if name.endswith(".mp3") else zipfile.ZIP_DEFLATED,
            )


def _required(found: etree._Element | None, what: str) -> etree._Element:
    """An element the EPUB writer always puts in the package (a clear error if it is not)."""
    if found is None:
        raise ValueError(f"the EPUB has no {what}")
    return found


def _attribute(element: etree._Element, name: str) -> str:
    value = element.get(name)
    if value is None:
        raise ValueError(f"the EPUB's <{etree.QName(element).localname}> has no {name}")
    return value


def _meta(metadata: etree._Element, prop: str, value: str, refines: str | None = None) -> None:
    element = etree.SubElement(metadata, f"{{{OPF_NS}}}meta", property=prop)
    if refines:
        element.set("refines", refines)
    element.text = value


def _smil(document: str, smil_name: str, pars: list[Par]) -> bytes:
    # lxml takes None as the default namespace's prefix; lxml-stubs allow only str keys.
    root = etree.Element(
        f"{{{SMIL_NS}}}smil",
        nsmap={None: SMIL_NS, "epub": EPUB_NS},  # type: ignore[dict-item]
        version="3.0",
    )
    body = etree.SubElement(root, f"{{{SMIL_NS}}}body")
    folder = posixpath.dirname(smil_name)
    text_href = posixpath.relpath(document, folder)
    seq = etree.SubElement(body, f"{{{SMIL_NS}}}seq", id="seq-1", attrib={f"{{{EPUB_NS}}}textref": text_href})
    for number, par in enumerate(pars, start=1):
        element = etree.SubElement(seq, f"{{{SMIL_NS}}}par", id=f"par-{number}")
        etree.SubElement(element, f"{{{SMIL_NS}}}text", src=f"{text_href}#{par.target_id}")
        etree.SubElement(
            element,
            f"{{{SMIL_NS}}}audio",
            src=posixpath.relpath(par.audio, folder),
            clipBegin=f"{par.begin:.3f}s",
            clipEnd=f"{par.end:.3f}s",
        )
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
