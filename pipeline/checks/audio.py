"""Read-back check of the audio stage's outputs, with tools other than the ones that wrote them.

- The book decodes (miniaudio's dr_mp3, streamed) and its duration equals the sum of the section
  files' durations within 1%.
- ID3v2.3 with a title; a top-level, ordered CTOC; CHAP frames in time order in the file, inside
  the duration, titled with the document title and then the headings (levels <= chapter_levels)
  in source order; the CTOC lists them in that order too.
- No silent chapter: the RMS level of every chapter's audio is above a floor.
- Every section file decodes and has a track number; the playlist lists them in order with
  durations that match.
- The script is there and carries the source's words in order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from operator import mul
from pathlib import Path
from typing import Any

import miniaudio
from mutagen.id3 import ID3, ID3NoHeaderError

from ..document import Document, Table, headings, inline_text
from ..stage_api import BuildContext, CheckResult, Finding
from ..textcompare import in_order_recall, words
from ..reading import plain_text

SILENCE_RMS = 200                 # int16 RMS; espeak speech is ~2,000-5,000, digital silence 0
DURATION_TOLERANCE = 0.01         # book vs sum of sections
PLAYLIST_TOLERANCE_SECONDS = 1.0
CHAPTER_EDGE_MS = 100             # slack for "inside the duration"
MIN_SCRIPT_RECALL = 0.97          # share of the source's words the script says, in order
RMS_STRIDE = 4                    # sample every 4th sample for RMS: plenty for a level check


@dataclass(frozen=True)
class ChapterFrame:
    element_id: str
    title: str
    start_ms: int
    end_ms: int


def decode_levels(path: Path, windows: list[tuple[int, int]]) -> tuple[int, int, list[float]]:
    """Stream-decode an MP3: (samples, sample rate, RMS of each [start, end) sample window)."""
    info = miniaudio.mp3_get_file_info(str(path))
    sums = [0.0] * len(windows)
    counts = [0] * len(windows)
    position = 0
    for chunk in miniaudio.mp3_stream_file(str(path), frames_to_read=info.sample_rate):
        if info.nchannels > 1:
            chunk = chunk[::info.nchannels]
        end = position + len(chunk)
        for index, (start, stop) in enumerate(windows):
            low, high = max(start, position), min(stop, end)
            if low < high:
                piece = chunk[low - position:high - position:RMS_STRIDE]
                sums[index] += sum(map(mul, piece, piece))
                counts[index] += len(piece)
        position = end
    levels = [math.sqrt(s / c) if c else 0.0 for s, c in zip(sums, counts)]
    return position, info.sample_rate, levels


def read_chapters(tag: ID3) -> tuple[list[ChapterFrame], list[str], Any]:
    """CHAP frames in the order they are stored in the file, the CTOC's child ids, the CTOC."""
    chapters = [ChapterFrame(frame.element_id,
                             str(frame.sub_frames["TIT2"]) if "TIT2" in frame.sub_frames else "",
                             frame.start_time, frame.end_time)
                for frame in tag.values() if frame.FrameID == "CHAP"]
    tocs = [frame for frame in tag.values() if frame.FrameID == "CTOC"]
    toc = tocs[0] if tocs else None
    return chapters, list(toc.child_element_ids) if toc else [], toc


def _expected_titles(doc: Document, chapter_levels: int) -> list[str]:
    """The document title, then every heading of level <= chapter_levels, in source order."""
    return [doc.meta.title] + [inline_text(h.inlines).strip() for h in headings(doc)
                               if h.level <= chapter_levels]


def check_book(doc: Document, chapter_levels: int, book: Path) -> tuple[list[Finding], dict]:
    findings: list[Finding] = []
    name = book.name
    try:
        tag = ID3(str(book))
    except ID3NoHeaderError:
        return [Finding("error", "no ID3 tag: title and chapters are missing", name)], {}
    if tag.version[:2] != (2, 3):
        findings.append(Finding("warning", f"ID3v2.{tag.version[1]}: v2.3 has the widest player "
                                "support", name))
    if not str(tag.get("TIT2", "")).strip():
        findings.append(Finding("error", "the ID3 title (TIT2) is empty", name))
    chapters, toc_ids, toc = read_chapters(tag)
    if toc is None:
        findings.append(Finding("error", "no table of contents (CTOC frame)", name))
    elif not (toc.flags & 1 and toc.flags & 2):   # TOP_LEVEL=1, ORDERED=2
        findings.append(Finding("error", "the CTOC is not marked top-level and ordered", name))

    windows = [(round(c.start_ms * 22.05), round(c.end_ms * 22.05)) for c in chapters]
    samples, rate, levels = decode_levels(book, windows)
    duration_ms = samples * 1000 / rate
    if rate != 22050:     # windows above assume 22,050 Hz: recompute for another rate
        windows = [(c.start_ms * rate // 1000, c.end_ms * rate // 1000) for c in chapters]
        _, _, levels = decode_levels(book, windows)

    starts = [c.start_ms for c in chapters]
    if starts != sorted(starts):
        findings.append(Finding("error", "chapters are stored out of time order (players such "
                                "as ffmpeg list them in stored order): "
                                + ", ".join(f"{c.title} at {c.start_ms} ms" for c in chapters),
                                name))
    if toc_ids and toc_ids != [c.element_id for c in sorted(chapters, key=lambda c: c.start_ms)]:
        findings.append(Finding("error", "the CTOC lists chapters in a different order from "
                                "their start times", name))
    for chapter in chapters:
        if not (0 <= chapter.start_ms < chapter.end_ms <= duration_ms + CHAPTER_EDGE_MS):
            findings.append(Finding("error", f"chapter '{chapter.title}' ({chapter.start_ms}-"
                                    f"{chapter.end_ms} ms) is not inside the recording "
                                    f"({duration_ms:.0f} ms)", name))
    titles = [c.title for c in sorted(chapters, key=lambda c: c.start_ms)]
    expected = _expected_titles(doc, chapter_levels)
    if titles != expected:
        findings.append(Finding("error", f"chapter titles {titles} do not match the document "
                                f"title and headings {expected}", name))
    for chapter, level in zip(chapters, levels):
        if level < SILENCE_RMS:
            findings.append(Finding("error", f"chapter '{chapter.title}' is silent (RMS "
                                    f"{level:.0f}, floor {SILENCE_RMS})", name))
    metrics = {"duration_seconds": round(duration_ms / 1000, 2), "chapters": len(chapters),
               "quietest_chapter_rms": round(min(levels), 1) if levels else None}
    return findings, metrics


def check_sections(book_seconds: float, files: list[Path], playlist: Path | None
                   ) -> tuple[list[Finding], dict]:
    from ..stages.audio.playlist import read_playlist
    findings: list[Finding] = []
    durations: dict[str, float] = {}
    for path in files:
        try:
            info = miniaudio.mp3_get_file_info(str(path))
        except miniaudio.DecodeError as error:
            findings.append(Finding("error", f"does not decode: {error}", path.name))
            continue
        durations[path.name] = info.duration
        try:
            tag = ID3(str(path))
            if "TRCK" not in tag or "TALB" not in tag:
                findings.append(Finding("error", "no track number or album tag", path.name))
        except ID3NoHeaderError:
            findings.append(Finding("error", "no ID3 tag", path.name))
    total = sum(durations.values())
    if book_seconds and abs(total - book_seconds) > DURATION_TOLERANCE * book_seconds:
        findings.append(Finding("error", f"the section files last {total:.1f} s but the whole "
                                f"recording {book_seconds:.1f} s (more than 1% apart)"))
    if playlist is None:
        findings.append(Finding("error", "no .m3u8 playlist for the section files"))
        return findings, {"sections": len(files)}
    try:
        entries = read_playlist(playlist)
    except ValueError as error:
        return findings + [Finding("error", str(error), playlist.name)], {}
    listed = [entry.location for entry in entries]
    if listed != [path.name for path in files]:
        findings.append(Finding("error", f"the playlist lists {listed}, expected the section "
                                f"files in order {[p.name for p in files]}", playlist.name))
    for entry in entries:
        actual = durations.get(entry.location)
        if actual is not None and abs(entry.seconds - actual) > PLAYLIST_TOLERANCE_SECONDS:
            findings.append(Finding("error", f"{entry.location} is listed as {entry.seconds} s "
                                    f"but lasts {actual:.1f} s", playlist.name))
        if not entry.title:
            findings.append(Finding("error", f"{entry.location} has no title", playlist.name))
    return findings, {"sections": len(files), "sections_seconds": round(total, 2)}


def check_script(doc: Document, script: Path | None) -> tuple[list[Finding], dict]:
    if script is None or not script.exists() or not script.read_text(encoding="utf-8").strip():
        return [Finding("error", "the spoken script (-script.txt) is missing or empty")], {}
    from ..stages.audio.normalise import normalise
    # Column headers are spoken with every cell ("Sessions: 21"), not once as a header row, so
    # the in-order comparison leaves header rows out; every body cell still counts.
    without_headers = replace(doc, blocks=tuple(
        replace(block, header_rows=()) if isinstance(block, Table) else block
        for block in doc.blocks))
    expected = words(normalise(plain_text(without_headers), doc.meta.pronunciations))
    recall = in_order_recall(expected, words(script.read_text(encoding="utf-8")))
    findings = []
    if recall < MIN_SCRIPT_RECALL:
        findings.append(Finding("error", f"the script says only {recall:.0%} of the source's "
                                "words in order", script.name))
    return findings, {"script_recall": round(recall, 4)}


def check_audio(doc: Document, options: Any, paths: list[Path], ctx: BuildContext
                ) -> CheckResult:
    by_name = {path.name: path for path in paths}
    book = by_name.get(f"{ctx.slug}.mp3")
    if book is None:
        return CheckResult((Finding("error", f"{ctx.slug}.mp3 was not written"),))
    findings, metrics = check_book(doc, options.chapter_levels, book)
    script_findings, script_metrics = check_script(doc, by_name.get(f"{ctx.slug}-script.txt"))
    findings += script_findings
    metrics.update(script_metrics)
    if options.split:
        sections = sorted(p for p in paths if p.suffix == ".mp3" and p.parent.name == "audio")
        playlist = next((p for p in paths if p.suffix == ".m3u8"), None)
        section_findings, section_metrics = check_sections(
            metrics.get("duration_seconds", 0.0), sections, playlist)
        findings += section_findings
        metrics.update(section_metrics)
    return CheckResult(tuple(findings), metrics)
