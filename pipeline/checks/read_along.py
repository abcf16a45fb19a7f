"""Read the read-along EPUB back: EPUBCheck on it (it validates the SMIL), and what EPUBCheck
does not check, each by decoding or parsing afresh: every clip inside its MP3's decoded length
(miniaudio) with clipBegin < clipEnd, every media:duration the sum of its clips, every text
reference resolving, and the share of the narrated documents' words inside a synchronised
element."""

from __future__ import annotations

import posixpath
import re
import subprocess
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import miniaudio
from lxml import etree

from ..stage_api import CheckResult, Finding
from .epub import EpubCheckMessage, run_epubcheck

DURATION_TOLERANCE = 0.5  # seconds (issue 12)
MIN_COVERAGE = 0.95
WORD = re.compile(r"\w+")


def parse_clock(value: str) -> float:
    value = value.strip()
    if value.endswith("ms"):
        return float(value[:-2]) / 1000
    if value.endswith("s"):
        return float(value[:-1])
    seconds = 0.0
    for part in value.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


@dataclass
class Overlays:
    """What a reading system would be given, for tests and metrics."""

    clips: list[tuple[str, str, str, float, float]] = field(default_factory=list)
    # (smil, text src resolved, audio resolved, begin, end), in SMIL order
    durations: dict[str, float] = field(default_factory=dict)  # overlay id -> stated
    total: float | None = None
    audio_seconds: dict[str, float] = field(default_factory=dict)
    coverage: float = 0.0
    narrator: str = ""
    active_class: str = ""


def read_overlays(path: Path) -> tuple[Overlays, list[Finding]]:
    where = path.name
    found = Overlays()
    findings: list[Finding] = []
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    container = etree.fromstring(files["META-INF/container.xml"])
    rootfile = container.find(".//{*}rootfile")
    opf_name = rootfile.get("full-path") if rootfile is not None else None
    if opf_name is None:
        return found, [Finding("error", "META-INF/container.xml names no package document", where)]
    base = posixpath.dirname(opf_name)
    opf = etree.fromstring(files[opf_name])
    items = {i.get("id"): i for i in opf.iter("{*}item")}
    for meta in opf.iter("{*}meta"):
        prop = meta.get("property")
        if prop == "media:duration":
            if refines := meta.get("refines"):
                found.durations[refines.lstrip("#")] = parse_clock(meta.text or "0")
            else:
                found.total = parse_clock(meta.text or "0")
        elif prop == "media:narrator":
            found.narrator = meta.text or ""
        elif prop == "media:active-class":
            found.active_class = meta.text or ""
    if not found.narrator:
        findings.append(Finding("error", "no media:narrator", where))
    if not found.active_class:
        findings.append(
            Finding("error", "no media:active-class: the sentence being read is not highlighted", where)
        )
    ids_of: dict[str, set[str]] = {}
    synchronised: dict[str, set[str]] = {}
    overlays = [(i, items.get(i.get("media-overlay"))) for i in items.values() if i.get("media-overlay")]
    if not overlays:
        findings.append(Finding("error", "no content document has a media overlay", where))
    for document_item, smil_item in overlays:
        if smil_item is None:
            findings.append(Finding("error", f"{document_item.get('href')} names a missing overlay", where))
            continue
        smil_name = posixpath.join(base, smil_item.get("href", ""))
        smil = etree.fromstring(files[smil_name])
        folder = posixpath.dirname(smil_name)
        total = 0.0
        for par in smil.iter("{*}par"):
            text, audio = par.find("{*}text"), par.find("{*}audio")
            if text is None or audio is None:
                findings.append(Finding("error", "a par has no text or no audio", f"{where} {smil_name}"))
                continue
            src = posixpath.normpath(posixpath.join(folder, text.get("src", "")))
            document, _, fragment = src.partition("#")
            if document not in ids_of:
                if document not in files:
                    ids_of[document] = set()
                else:
                    tree = etree.fromstring(files[document])
                    ids_of[document] = {i for e in tree.iter() if (i := e.get("id"))}
            if fragment not in ids_of[document]:
                findings.append(
                    Finding("error", f"text {text.get('src')} does not resolve", f"{where} {smil_name}")
                )
            synchronised.setdefault(document, set()).add(fragment)
            audio_name = posixpath.normpath(posixpath.join(folder, audio.get("src", "")))
            if audio_name not in found.audio_seconds:
                try:
                    info = miniaudio.mp3_get_info(files[audio_name])
                    found.audio_seconds[audio_name] = info.num_frames / info.sample_rate
                except (KeyError, miniaudio.DecodeError) as error:
                    findings.append(Finding("error", f"{audio_name} missing or undecodable: {error}", where))
                    found.audio_seconds[audio_name] = 0.0
            begin = parse_clock(audio.get("clipBegin", "0s"))
            end = parse_clock(audio.get("clipEnd", "0s"))
            if not begin < end:
                findings.append(
                    Finding("error", f"clipBegin {begin} is not before clipEnd {end}", f"{where} {smil_name}")
                )
            if end > found.audio_seconds[audio_name] + 1e-6:
                findings.append(
                    Finding(
                        "error",
                        f"a clip ends at {end:.3f} s, after the end of "
                        f"{audio_name} ({found.audio_seconds[audio_name]:.3f} s)",
                        f"{where} {smil_name}",
                    )
                )
            found.clips.append((smil_name, src, audio_name, begin, end))
            total += end - begin
        stated = found.durations.get(smil_item.get("id", ""))
        if stated is None or abs(stated - total) > DURATION_TOLERANCE:
            findings.append(
                Finding(
                    "error",
                    f"media:duration of {smil_item.get('id')} is "
                    f"{stated} but its clips add up to {total:.3f} s",
                    where,
                )
            )
    clip_sum = sum(end - begin for *_, begin, end in found.clips)
    if found.total is None or abs(found.total - clip_sum) > DURATION_TOLERANCE:
        findings.append(
            Finding(
                "error",
                f"the total media:duration is {found.total} but the clips add up to {clip_sum:.3f} s",
                where,
            )
        )
    found.coverage = _coverage(files, synchronised)
    if found.coverage < MIN_COVERAGE:
        findings.append(
            Finding(
                "error",
                f"only {found.coverage:.0%} of the narrated documents' words are in a synchronised sentence",
                where,
            )
        )
    return found, findings


def _coverage(files: dict[str, bytes], synchronised: dict[str, set[str]]) -> float:
    """Share of the words in the bodies of the narrated documents that sit inside an element
    a clip points at (the title page's and notes' words count too)."""
    counts: Counter = Counter()
    for document, ids in synchronised.items():
        tree = etree.fromstring(files[document])
        body = tree.find("{*}body")
        for node in body.iter() if body is not None else ():
            if not isinstance(node.tag, str):
                continue
            for text, owner in ((node.text, node), (node.tail, node.getparent())):
                n = len(WORD.findall(text or ""))
                inside = owner is not None and any(
                    e.get("id") in ids for e in [owner, *owner.iterancestors()]
                )
                counts["all"] += n
                counts["covered"] += n if inside else 0
    return counts["covered"] / counts["all"] if counts["all"] else 0.0


class PendingCheck:
    """EPUBCheck on the read-along book started in a thread (it is a Java process of its own), so
    it runs beside the plain book's EPUBCheck instead of after it: the two books' checks take
    the time of one on two cores."""

    def __init__(self, path: Path):
        self.path = path
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._messages = self._pool.submit(run_epubcheck, path)

    def finish(self, plain_result: CheckResult) -> CheckResult:
        try:
            return check_read_along(self.path, plain_result, self._messages.result)
        finally:
            self._pool.shutdown()


def start_read_along_check(path: Path) -> PendingCheck:
    return PendingCheck(path)


def check_read_along(
    path: Path, plain_result: CheckResult, epubcheck=None, *, validate: bool = True
) -> CheckResult:
    """The read-along book's own checks, and EPUBCheck on it when `validate` (make check, CI and
    request replies: the thorough checks). A build skips EPUBCheck here as it does for the plain
    book: its Java start and run were 3.4 s of a 3.5 s read-along stage on the sample, longer
    than everything else the spoken formats add."""
    findings = list(plain_result.findings)
    metrics = dict(plain_result.metrics)
    messages: list[EpubCheckMessage] = []
    if validate:
        try:
            messages = epubcheck() if epubcheck else run_epubcheck(path)
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            findings.append(Finding("error", f"EPUBCheck could not run: {error}", path.name))
    for m in messages:
        if m.severity in ("FATAL", "ERROR", "WARNING"):
            findings.append(
                Finding("error", f"EPUBCheck {m.severity} {m.id}: {m.message}", f"{path.name} {m.where}")
            )
    overlays, more = read_overlays(path)
    findings += more
    metrics["read_along"] = {
        "epubcheck_messages": len(messages) if validate else "not run (make check runs it)",
        "clips": len(overlays.clips),
        "coverage": round(overlays.coverage, 4),
        "seconds": round(overlays.total or 0.0, 3),
    }
    return CheckResult(tuple(findings), metrics)
