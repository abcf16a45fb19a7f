"""Read-back check of the audio stage's outputs, with tools and expectations of its own.

Nothing here imports the audio stage: a check that reused the stage's normaliser or playlist
code could not fail where they are wrong. What a listener must meet is written down here
independently, from the source document and the standards:
- The book decodes (miniaudio's dr_mp3, streamed); its duration equals the sum of the section
  files' within 1%.
- ID3v2.3 with a title; a top-level, ordered CTOC whose tree (child CTOCs for sections) holds
  every CHAP frame once; CHAP frames stored in time order, inside the duration; the tree's
  titles and depths equal the document title and the headings down to `chapter_levels` below
  the top level (a report whose only level-1 heading is its title starts at level 2).
- No silent chapter: the RMS level of every chapter's audio is above a floor.
- Every section file decodes and has a track number; the playlist (read here as the M3U8
  standard, RFC 8216, describes it) lists them in order with durations that match.
- The spoken script: carries the source's words in order; never says "dash" where the source
  does not; never announces "Item 3 of 5"; never leaves a year in digits (espeak says "two
  thousand and twenty-three") or reads it digit by digit; keeps each passage in another
  language marked with its language.
- Speech recognition (PocketSphinx, with a language model built from the script) on the start
  of each section hears a stretch of the script, and the sections' stretches come in order
  (a build hears one section; a thorough check, every one: see _sections_to_hear).
"""

from __future__ import annotations

import math
import mmap
import re
import shutil
import tempfile
from array import array
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import pairwise
from operator import mul
from pathlib import Path
from typing import Any

import miniaudio
from mutagen.id3 import ID3, ID3NoHeaderError
from num2words import num2words

from ..document import Document, Span, Table, headings, inline_text, iter_blocks
from ..reading import plain_text
from ..stage_api import BuildContext, CheckResult, Finding
from ..textcompare import in_order_recall, words

TOP_LEVEL, ORDERED = 0x02, 0x01  # CTOC flag bits (ID3v2 chapter addendum, section 4.1)
SILENCE_RMS = 200  # int16 RMS; espeak speech is ~2,000-5,000, digital silence 0
DURATION_TOLERANCE = 0.01  # book vs sum of sections
PLAYLIST_TOLERANCE_SECONDS = 1.0
CHAPTER_EDGE_MS = 100  # slack for "inside the duration"
MIN_SCRIPT_RECALL = 0.95  # share of the source's words (letters only) said in order
# Every 16th sample for RMS: 1,378 a second, plenty to tell speech (~2,000-5,000) from a floor of
# 200 in the shortest chapter; summing every 4th was half of the 3.4 s a 98-minute book's check took.
RMS_STRIDE = 16
ASR_SECONDS = 25  # recognised from the start of each section file
ASR_SAMPLE_RATE = 16000  # what PocketSphinx's en-us model was trained on
MIN_ASR_PRECISION = 0.45  # share of recognised words found in order in the script
# (espeak speech of the text: ~0.55-0.95; another text ~0.2,
# the same words in reverse order ~0.3)
YEAR_CUES = (
    "in",
    "since",
    "from",
    "until",
    "by",
    "of",
    "to",
    "during",
    "before",
    "after",
    "and",
    "report",
    "year",
)


@dataclass(frozen=True)
class ChapterFrame:
    element_id: str
    title: str
    start_ms: int
    end_ms: int


# ---------------------------------------------------------------- decoding


@dataclass
class WindowSums:
    """Sums of squares (exact: integers) and counts of the samples read of each window, and the
    samples decoded."""

    sums: list[int]
    counts: list[int]
    samples: int = 0
    rate: int = 0

    def add(self, other: WindowSums) -> None:
        self.sums = [a + b for a, b in zip(self.sums, other.sums)]
        self.counts = [a + b for a, b in zip(self.counts, other.counts)]
        self.samples += other.samples

    def levels(self) -> list[float]:
        return [math.sqrt(s / c) if c else 0.0 for s, c in zip(self.sums, self.counts)]


def decode_levels(
    path: Path, windows: list[tuple[int, int]], start: Callable[..., Future] | None = None
) -> tuple[int, int, list[float]]:
    """Stream-decode an MP3: (samples, sample rate, RMS of each [start, end) sample window).
    Given `start` (a way to run a call in another process: _beside), the second half of the
    file is decoded there from a frame after the middle, while this process decodes the first
    half (decoding a long book was most of the audio check's time on one core)."""
    cut = _frame_near_middle(path) if start is not None else None
    if cut is None or start is None:
        whole = window_sums(path, windows)
        return whole.samples, whole.rate, whole.levels()
    byte, sample = cut
    tail = start(tail_sums, path, windows, byte, sample)
    head = window_sums(path, windows, stop=sample)
    head.add(tail.result())
    return head.samples, head.rate, head.levels()


def tail_sums(path: Path, windows: list[tuple[int, int]], byte: int, sample: int) -> WindowSums:
    """window_sums of the file from `byte` (a frame's start), whose first sample is `sample`."""
    with tempfile.TemporaryDirectory(prefix="mp3-tail-") as folder:
        tail = Path(folder) / path.name
        with open(path, "rb") as whole, open(tail, "wb") as part:
            whole.seek(byte)
            shutil.copyfileobj(whole, part, 1 << 20)
        return window_sums(tail, windows, first=sample)


def window_sums(
    path: Path, windows: list[tuple[int, int]], first: int = 0, stop: int | None = None
) -> WindowSums:
    """Sums of the windows' samples in an MP3 whose first sample is the book's sample `first`,
    decoded up to the book's sample `stop`: every RMS_STRIDE-th sample counted from the
    window's start, so the same samples are read however the file is cut into chunks or
    parts."""
    info = miniaudio.mp3_get_file_info(str(path))
    found = WindowSums([0] * len(windows), [0] * len(windows), rate=info.sample_rate)
    by_start = sorted(range(len(windows)), key=lambda index: windows[index][0])
    coming = 0  # by_start[coming:] have not begun yet
    open_windows: list[int] = []  # begun and not ended before this chunk
    position = first
    for chunk in miniaudio.mp3_stream_file(str(path), frames_to_read=info.sample_rate):
        if info.nchannels > 1:
            chunk = chunk[:: info.nchannels]
        if stop is not None and position + len(chunk) > stop:
            chunk = chunk[: stop - position]
        end = position + len(chunk)
        while coming < len(by_start) and windows[by_start[coming]][0] < end:
            open_windows.append(by_start[coming])
            coming += 1
        for index in open_windows:
            begin = windows[index][0]
            low = max(begin, position + (begin - position) % RMS_STRIDE)
            high = min(windows[index][1], end)
            if low < high:
                piece = chunk[low - position : high - position : RMS_STRIDE]
                found.sums[index] += sum(map(mul, piece, piece))
                found.counts[index] += len(piece)
        # Only the windows still open are looked at again: a book has a window per chapter.
        open_windows = [index for index in open_windows if windows[index][1] > end]
        position = end
        if stop is not None and position >= stop:
            break
    found.samples = position - first
    return found


# MPEG audio frame headers (ISO/IEC 11172-3 and 13818-3), read here to find a frame to cut at.
# Hand-written, and apart from the stage's own frame reader (a check must not reuse what it
# checks): mutagen reads only the first frame, and miniaudio exposes no frame positions.
_LAYER_III_KBPS = {
    3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),  # MPEG-1
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),  # MPEG-2
    0: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),  # MPEG-2.5
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _frame_near_middle(path: Path) -> tuple[int, int] | None:
    """(byte, first sample) of the first layer III frame after the middle of the file that
    needs no byte of the frames before it (its bit reservoir pointer, main_data_begin, is 0:
    a decoder starting elsewhere drops the first frames, and every later sample would be read
    as an earlier one). Found by walking the frame headers from the first. None where there is
    no such frame after the middle, or the frames cannot be walked: the file is then decoded
    whole, in one process. (LAME's frames need none before them where a track starts.)"""
    try:
        with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _walk_to_middle(data)
    except (OSError, ValueError):  # unreadable or empty: decoding it whole says what is wrong
        return None


def _walk_to_middle(data: mmap.mmap) -> tuple[int, int] | None:
    position = _after_id3v2(data)
    middle = position + (len(data) - position) // 2
    sample = 0
    sizes: dict[bytes, tuple[int, int] | None] = {}  # a book's frames have a few headers
    while position + 6 <= len(data):
        header = data[position : position + 4]
        if header not in sizes:
            sizes[header] = _frame_size(header)
        frame = sizes[header]
        if frame is None:
            return None
        if position >= middle:
            side_info = position + (4 if header[1] & 1 else 6)  # after the CRC, if any
            mpeg1 = (header[1] >> 3) & 3 == 3
            reservoir = data[side_info] << 1 | (data[side_info + 1] >> 7) if mpeg1 else data[side_info]
            if reservoir == 0:
                return position, sample
        position, sample = position + frame[0], sample + frame[1]
    return None


def _after_id3v2(data: mmap.mmap) -> int:
    if data[:3] != b"ID3" or len(data) < 10:
        return 0
    size = (data[6] & 0x7F) << 21 | (data[7] & 0x7F) << 14 | (data[8] & 0x7F) << 7 | (data[9] & 0x7F)
    return 10 + size + (10 if data[5] & 0x10 else 0)  # a footer, in ID3v2.4


def _frame_size(header: bytes) -> tuple[int, int] | None:
    """(bytes, samples) of the layer III frame this header starts, or None if it is not one."""
    if header[0] != 0xFF or header[1] & 0xE0 != 0xE0 or (header[1] >> 1) & 3 != 1:
        return None
    version = (header[1] >> 3) & 3
    bitrate_index, rate_index = header[2] >> 4, (header[2] >> 2) & 3
    if version == 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    kbps, rate = _LAYER_III_KBPS[version][bitrate_index], _SAMPLE_RATES[version][rate_index]
    samples = 1152 if version == 3 else 576
    padding = (header[2] >> 1) & 1
    return samples // 8 * kbps * 1000 // rate + padding, samples


# ---------------------------------------------------------------- chapters


def read_chapters(tag: ID3) -> tuple[list[ChapterFrame], list[str], Any]:
    """CHAP frames in the order they are stored in the file, the top CTOC's child ids, the CTOC."""
    chapters = [
        ChapterFrame(
            frame.element_id,
            str(frame.sub_frames["TIT2"]) if "TIT2" in frame.sub_frames else "",
            frame.start_time,
            frame.end_time,
        )
        for frame in tag.values()
        if frame.FrameID == "CHAP"
    ]
    tocs = [frame for frame in tag.values() if frame.FrameID == "CTOC"]
    top = [frame for frame in tocs if frame.flags & TOP_LEVEL] or tocs
    toc = top[0] if top else None
    return chapters, list(toc.child_element_ids) if toc else [], toc


def chapter_tree(tag: ID3) -> tuple[list[tuple[str, str, int]], list[str]]:
    """Walk the CTOC tree from the top level: (element id, title, depth) of each CHAP in tree
    order, and any problems (an id listed twice, a child that does not exist, a cycle)."""
    chaps = {f.element_id: f for f in tag.values() if f.FrameID == "CHAP"}
    tocs = {f.element_id: f for f in tag.values() if f.FrameID == "CTOC"}
    tops = [toc for toc in tocs.values() if toc.flags & TOP_LEVEL]
    problems: list[str] = []
    if len(tops) != 1:
        return [], [f"{len(tops)} top-level CTOC frames (expected exactly one)"]
    out: list[tuple[str, str, int]] = []
    seen: set[str] = set()

    def walk(toc: Any, depth: int) -> None:
        if not toc.flags & ORDERED:
            problems.append(f"the CTOC '{toc.element_id}' is not marked ordered")
        for child in toc.child_element_ids:
            if child in seen:
                problems.append(f"'{child}' is listed twice in the chapter tree")
                continue
            seen.add(child)
            if child in chaps:
                frame = chaps[child]
                title = str(frame.sub_frames["TIT2"]) if "TIT2" in frame.sub_frames else ""
                out.append((child, title, depth))
            elif child in tocs:
                walk(tocs[child], depth + 1)
            else:
                problems.append(
                    f"the CTOC '{toc.element_id}' lists '{child}', which is neither "
                    "a chapter nor a table of contents"
                )

    seen.add(tops[0].element_id)
    walk(tops[0], 1)
    missing = sorted(set(chaps) - seen)
    if missing:
        problems.append(f"chapters not in the tree: {', '.join(missing)}")
    return out, problems


def first_level(doc: Document) -> int:
    """The level a listener's top-level chapters are at: 2 when the only level-1 heading is the
    report's title and comes before every other heading (the title, then level-2 chapters)."""
    levels = [h.level for h in headings(doc)]
    return 2 if levels and levels[0] == 1 and levels.count(1) == 1 and 2 in levels else 1


def expected_chapters(doc: Document, chapter_levels: int) -> list[tuple[str, int]]:
    """(title, depth): the document title, then every heading down to `chapter_levels` below
    the top level, in source order. A title heading at level 1 above level-2 chapters is the
    opening, not a chapter of its own."""
    top = first_level(doc)
    out = [(doc.meta.title, 1)]
    for heading in headings(doc):
        text = inline_text(heading.inlines).replace("\n", " ").strip()
        if top == 2 and heading.level == 1:
            continue  # the title: said in the opening
        depth = heading.level - top + 1
        if 1 <= depth <= chapter_levels:
            out.append((text, depth))
    return out


def check_book(
    doc: Document, chapter_levels: int, book: Path, start: Callable[..., Future] | None = None
) -> tuple[list[Finding], dict]:
    findings: list[Finding] = []
    name = book.name
    try:
        tag = ID3(str(book))
    except ID3NoHeaderError:
        return [Finding("error", "no ID3 tag: title and chapters are missing", name)], {}
    if tag.version[:2] != (2, 3):
        findings.append(
            Finding("warning", f"ID3v2.{tag.version[1]}: v2.3 has the widest player support", name)
        )
    if not str(tag.get("TIT2", "")).strip():
        findings.append(Finding("error", "the ID3 title (TIT2) is empty", name))
    chapters, _, toc = read_chapters(tag)
    if toc is None:
        findings.append(Finding("error", "no table of contents (CTOC frame)", name))
    elif not (toc.flags & TOP_LEVEL and toc.flags & ORDERED):
        findings.append(Finding("error", "the CTOC is not marked top-level and ordered", name))
    tree, problems = chapter_tree(tag) if toc is not None else ([], [])
    findings += [Finding("error", problem, name) for problem in problems]

    windows = [(round(c.start_ms * 22.05), round(c.end_ms * 22.05)) for c in chapters]
    samples, rate, levels = decode_levels(book, windows, start)
    duration_ms = samples * 1000 / rate
    if rate != 22050:  # windows above assume 22,050 Hz: recompute for another rate
        windows = [(c.start_ms * rate // 1000, c.end_ms * rate // 1000) for c in chapters]
        _, _, levels = decode_levels(book, windows, start)

    starts = [c.start_ms for c in chapters]
    if starts != sorted(starts):
        findings.append(
            Finding(
                "error",
                "chapters are stored out of time order (players such "
                "as ffmpeg list them in stored order): "
                + ", ".join(f"{c.title} at {c.start_ms} ms" for c in chapters),
                name,
            )
        )
    by_time = [c.element_id for c in sorted(chapters, key=lambda c: c.start_ms)]
    if tree and [element_id for element_id, _, _ in tree] != by_time:
        findings.append(
            Finding(
                "error", "the chapter tree lists chapters in a different order from their start times", name
            )
        )
    for chapter in chapters:
        if not (0 <= chapter.start_ms < chapter.end_ms <= duration_ms + CHAPTER_EDGE_MS):
            findings.append(
                Finding(
                    "error",
                    f"chapter '{chapter.title}' ({chapter.start_ms}-"
                    f"{chapter.end_ms} ms) is not inside the recording "
                    f"({duration_ms:.0f} ms)",
                    name,
                )
            )
    titles = [c.title for c in sorted(chapters, key=lambda c: c.start_ms)]
    expected = expected_chapters(doc, chapter_levels)
    if titles != [title for title, _ in expected]:
        findings.append(
            Finding(
                "error",
                f"chapter titles {titles} do not match the document "
                f"title and headings {[t for t, _ in expected]}",
                name,
            )
        )
    elif tree and [(title, depth) for _, title, depth in tree] != expected:
        findings.append(
            Finding(
                "error",
                "the chapter tree's nesting does not follow the heading "
                f"levels: {[(t, d) for _, t, d in tree]}, expected {expected}",
                name,
            )
        )
    for chapter, level in zip(chapters, levels):
        if level < SILENCE_RMS:
            findings.append(
                Finding(
                    "error",
                    f"chapter '{chapter.title}' is silent (RMS {level:.0f}, floor {SILENCE_RMS})",
                    name,
                )
            )
    metrics = {
        "duration_seconds": round(duration_ms / 1000, 2),
        "chapters": len(chapters),
        "chapter_depth": max((d for _, _, d in tree), default=0),
        "quietest_chapter_rms": round(min(levels), 1) if levels else None,
    }
    return findings, metrics


# ---------------------------------------------------------------- section files and playlist


@dataclass(frozen=True)
class PlaylistEntry:
    seconds: float
    title: str
    location: str


def read_m3u8(path: Path) -> list[PlaylistEntry]:
    """An extended M3U playlist as RFC 8216 (section 4.3) describes it: '#EXTM3U' first, then
    '#EXTINF:<duration>,[<title>]' before each URI line; other '#' lines are tags or comments.
    Raises ValueError naming the line when it is malformed."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != "#EXTM3U":
        raise ValueError(f"{path.name} line 1: expected #EXTM3U")
    entries: list[PlaylistEntry] = []
    pending: tuple[float, str] | None = None
    for number, line in enumerate(lines[1:], start=2):
        line = line.strip()
        if line.startswith("#EXTINF:"):
            duration, _, title = line[len("#EXTINF:") :].partition(",")
            try:
                pending = (float(duration), title.strip())
            except ValueError:
                raise ValueError(f"{path.name} line {number}: bad duration '{duration}'") from None
        elif line and not line.startswith("#"):
            if pending is None:
                raise ValueError(f"{path.name} line {number}: '{line}' has no #EXTINF before it")
            entries.append(PlaylistEntry(pending[0], pending[1], line))
            pending = None
    return entries


def check_sections(
    book_seconds: float, files: list[Path], playlist: Path | None
) -> tuple[list[Finding], dict]:
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
    names = [path.name for path in files]
    if names != sorted(names):
        findings.append(Finding("error", f"the section files do not sort in reading order: {names}"))
    total = sum(durations.values())
    if book_seconds and abs(total - book_seconds) > DURATION_TOLERANCE * book_seconds:
        findings.append(
            Finding(
                "error",
                f"the section files last {total:.1f} s but the whole "
                f"recording {book_seconds:.1f} s (more than 1% apart)",
            )
        )
    if playlist is None:
        findings.append(Finding("error", "no .m3u8 playlist for the section files"))
        return findings, {"sections": len(files)}
    try:
        entries = read_m3u8(playlist)
    except ValueError as error:
        return findings + [Finding("error", str(error), playlist.name)], {}
    listed = [entry.location for entry in entries]
    if listed != names:
        findings.append(
            Finding(
                "error",
                f"the playlist lists {listed}, expected the section files in order {names}",
                playlist.name,
            )
        )
    for entry in entries:
        actual = durations.get(entry.location)
        if actual is not None and abs(entry.seconds - actual) > PLAYLIST_TOLERANCE_SECONDS:
            findings.append(
                Finding(
                    "error",
                    f"{entry.location} is listed as {entry.seconds} s but lasts {actual:.1f} s",
                    playlist.name,
                )
            )
        if not entry.title:
            findings.append(Finding("error", f"{entry.location} has no title", playlist.name))
    return findings, {"sections": len(files), "sections_seconds": round(total, 2)}


# ---------------------------------------------------------------- the spoken script


def _letter_words(text: str, pronunciations: tuple[tuple[str, str], ...]) -> list[str]:
    """Words made only of letters, after the report's own pronunciations: what any reading of
    the text must say whatever it does with numbers, symbols and addresses."""
    for word, spoken in pronunciations:
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", spoken, text)
    text = re.sub(r"\S+@\S+|\b\S+\.(?:org|com|uk|net)\S*|https?://\S+", " ", text)
    return [w for w in words(text) if w.isalpha()]


def _source_years(text: str) -> set[int]:
    return {int(y) for y in re.findall(r"(?<![\d.,£$€])\b((?:1[5-9]|20)\d\d)\b(?![.,]\d)", text)}


def script_problems(doc: Document, script: str) -> list[str]:
    """What a listener must not hear, written down independently of the stage."""
    problems = []
    source = plain_text(doc)
    said = script.lower()
    if " dash " in f" {said} " and "dash" not in source.lower():
        problems.append(f'says "dash" {said.count("dash")} times, which the source never does')
    announced = re.findall(r"\b(?:sub-)?item \d+ of \d+", said)
    if announced:
        problems.append(
            f"announces list items by position ({len(announced)} times, e.g. "
            f'"{announced[0]}"): a list is announced once'
        )
    if doc.meta.language.lower().startswith("en"):
        for year in sorted(_source_years(source)):
            cue = rf"\b(?:{'|'.join(YEAR_CUES)})\s+{year}\b"
            if re.search(cue, said):
                problems.append(
                    f'leaves the year {year} in digits (espeak says "{num2words(year, lang="en_GB")}")'
                )
            digit_by_digit = " ".join(num2words(int(d), lang="en_GB") for d in str(year))
            oh = digit_by_digit.replace("zero", "oh")
            if digit_by_digit in said or oh in said:
                problems.append(f"reads the year {year} digit by digit")
            if 2010 <= year <= 2099 and num2words(year, lang="en_GB") in said:
                problems.append(f'reads the year {year} as a number ("{num2words(year, lang="en_GB")}")')
    for block in iter_blocks(doc.blocks):
        for span in _spans(getattr(block, "inlines", ())):
            text = inline_text(span.inlines).strip()
            marked = re.search(rf"\[{re.escape(span.lang)}: {re.escape(text)}", script, re.IGNORECASE)
            if text and not marked:
                problems.append(
                    f'the {span.lang} passage "{text}" is not marked with its language in the script'
                )
    return problems


def _spans(inlines: Any) -> list[Span]:
    out: list[Span] = []
    for node in inlines or ():
        if isinstance(node, Span):
            out.append(node)
        elif hasattr(node, "inlines"):
            out.extend(_spans(node.inlines))
    return out


def check_script(doc: Document, script: Path | None) -> tuple[list[Finding], dict]:
    if script is None or not script.exists() or not script.read_text(encoding="utf-8").strip():
        return [Finding("error", "the spoken script (-script.txt) is missing or empty")], {}
    text = script.read_text(encoding="utf-8")
    # Column headers are spoken with every cell ("Sessions: 21"), not once as a header row, so
    # the in-order comparison leaves header rows out; every body cell still counts.
    without_headers = replace(
        doc,
        blocks=tuple(
            replace(block, header_rows=()) if isinstance(block, Table) else block for block in doc.blocks
        ),
    )
    expected = _letter_words(plain_text(without_headers), doc.meta.pronunciations)
    recall = in_order_recall(expected, words(text))
    findings = []
    if recall < MIN_SCRIPT_RECALL:
        findings.append(
            Finding("error", f"the script says only {recall:.0%} of the source's words in order", script.name)
        )
    findings += [Finding("error", problem, script.name) for problem in script_problems(doc, text)]
    return findings, {"script_recall": round(recall, 4)}


# ---------------------------------------------------------------- speech recognition


@dataclass(frozen=True)
class ScriptModel:
    """What PocketSphinx hears with: a language model of the script and the pronunciations of
    its words."""

    language_model: Path
    dictionary: Path


def script_model(sentences: list[str], folder: Path) -> ScriptModel:
    return ScriptModel(language_model(sentences, folder), script_dictionary(sentences, folder))


def language_model(sentences: list[str], folder: Path) -> Path:
    """An ARPA trigram model of the given sentences (PocketSphinx's own builder)."""
    from pocketsphinx.lm import ArpaBoLM

    model = ArpaBoLM(text="\n".join(sentences), case="lower", add_start=True)
    model.compute()
    path = folder / "script.arpa"
    model.write_file(str(path))
    return path


def script_dictionary(sentences: list[str], folder: Path) -> Path:
    """PocketSphinx's own US English pronunciations of the script's words only. The decoder
    can only hear words of its language model, so the rest of the 134,000-word dictionary
    changes nothing heard, but loading it took 2-3 s of every decoder's start (most of
    hearing a section in a build)."""
    from pocketsphinx import Config

    vocabulary = {word.lower() for sentence in sentences for word in sentence.split()}
    kept: list[str] = []
    with open(Config()["dict"], encoding="utf-8") as whole:
        for line in whole:
            word = line.split(" ", 1)[0]
            if word.split("(", 1)[0] in vocabulary:  # "word(2)": another pronunciation
                kept.append(line)
    path = folder / "script.dict"
    path.write_text("".join(kept), encoding="utf-8")
    return path


def sentences_of(text: str) -> list[str]:
    return [
        " ".join(w for w in words(piece) if w.isalpha())
        for piece in re.split(r"[.!?:;\n]+", text)
        if any(c.isalpha() for c in piece)
    ]


def speech_chunks(
    samples: Any, rate: int, longest_seconds: float = 20.0, silence_ms: int = 200
) -> list[tuple[int, int]]:
    """[start, end) sample ranges of at most `longest_seconds`, cut in the middle of silences
    (the stage's pauses are digital silence), so that no word is cut in two."""
    frame = rate // 100  # 10 ms
    quiet_frames = silence_ms // 10
    cuts = [0]
    run = 0
    for index in range(len(samples) // frame):
        piece = samples[index * frame : (index + 1) * frame]
        if max(piece, default=0) < 60 and -min(piece, default=0) < 60:
            run += 1
            continue
        if run >= quiet_frames:
            cuts.append((index - run // 2) * frame)
        run = 0
    cuts.append(len(samples))
    chunks: list[tuple[int, int]] = []
    start = 0
    longest = int(longest_seconds * rate)
    for previous, cut in pairwise(cuts):
        if cut - start > longest and previous > start:
            chunks.append((start, previous))
            start = previous
    if start < len(samples):
        chunks.append((start, len(samples)))
    return chunks


def recognise(mp3: Path, model: ScriptModel, seconds: float | None = None) -> list[str]:
    """Words PocketSphinx hears in an MP3 (or its first `seconds`), one chunk between silences
    at a time."""
    from pocketsphinx import Decoder

    samples = _decode_start(mp3, seconds)
    decoder = Decoder(
        lm=str(model.language_model),
        dict=str(model.dictionary),
        samprate=ASR_SAMPLE_RATE,
        logfn="/dev/null",
    )
    heard: list[str] = []
    for start, end in speech_chunks(samples, ASR_SAMPLE_RATE):
        decoder.start_utt()
        decoder.process_raw(samples[start:end].tobytes(), full_utt=True)
        decoder.end_utt()
        if decoder.hyp() is not None:
            heard += decoder.hyp().hypstr.split()
    return heard


def _decode_start(mp3: Path, seconds: float | None) -> array:
    """Mono 16-bit samples at the recogniser's rate: the first `seconds` only (a build hears
    the start of a section of several minutes), or all of it."""
    if seconds is None:
        return miniaudio.decode_file(
            str(mp3),
            output_format=miniaudio.SampleFormat.SIGNED16,
            nchannels=1,
            sample_rate=ASR_SAMPLE_RATE,
        ).samples
    wanted = int(seconds * ASR_SAMPLE_RATE)
    samples = array("h")
    for chunk in miniaudio.stream_file(
        str(mp3),
        output_format=miniaudio.SampleFormat.SIGNED16,
        nchannels=1,
        sample_rate=ASR_SAMPLE_RATE,
        frames_to_read=ASR_SAMPLE_RATE,
    ):
        samples.extend(chunk)
        if len(samples) >= wanted:
            break
    return samples[:wanted]


def best_stretch(heard: list[str], script_words: list[str], after: int) -> tuple[float, int]:
    """(share of heard words found in order, start) for the stretch of the script, starting at or
    after `after`, that best explains what was heard."""
    if not heard:
        return 0.0, after
    width = 3 * len(heard)
    best = (0.0, after)
    for start in range(after, max(after + 1, len(script_words) - len(heard) // 2), 5):
        score = in_order_recall(heard, script_words[start : start + width])
        if score > best[0]:
            best = (score, start)
    return best


def check_recognition(
    doc: Document, sections: list[Path], script: Path | None, workers: int = 1
) -> tuple[list[Finding], dict]:
    """The start of each section, recognised, is a stretch of the script, in reading order.
    English only: PocketSphinx has no Welsh model (the voice is checked in the manifest).
    Sections are heard on `workers` processes side by side (PocketSphinx uses one core; it was
    14 of the sample's 19 s of audio stage on one)."""
    if not doc.meta.language.lower().startswith("en") or script is None or not sections:
        return [], {}
    try:
        import pocketsphinx  # noqa: F401
    except ImportError:
        return [Finding("warning", "PocketSphinx is not installed: speech not recognised")], {}
    text = script.read_text(encoding="utf-8")
    script_words = [w for w in words(text) if w.isalpha()]
    findings: list[Finding] = []
    scores: list[float] = []
    position = 0
    with tempfile.TemporaryDirectory(prefix="asr-") as folder:
        model = script_model(sentences_of(text), Path(folder))
        for section, heard in zip(sections, _heard(sections, model, workers)):
            score, start = best_stretch(heard, script_words, position)
            scores.append(score)
            if score < MIN_ASR_PRECISION:
                findings.append(
                    Finding(
                        "error",
                        f"speech recognition heard little of the script "
                        f"at its place ({score:.0%} of {len(heard)} words): "
                        f'"{" ".join(heard[:12])} ..."',
                        section.name,
                    )
                )
            position = start
    return findings, {
        "asr_precision_min": round(min(scores), 3),
        "asr_precision_mean": round(sum(scores) / len(scores), 3),
    }


def _heard(sections: list[Path], model: ScriptModel, workers: int) -> list[list[str]]:
    """What PocketSphinx hears at the start of each section, in order."""
    if workers <= 1 or len(sections) <= 1:
        return [recognise(section, model, ASR_SECONDS) for section in sections]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(workers, len(sections))) as pool:
        return list(pool.map(recognise, sections, [model] * len(sections), [ASR_SECONDS] * len(sections)))


def _sections_to_hear(sections: list[Path], thorough: bool) -> list[Path]:
    """Every section in a thorough check (make check, CI, a reply to a request); in a build,
    the first section long enough to hear ASR_SECONDS of. Recognition is the slow part of the
    check (15.6 s of a 10,000-word report's on two cores): a build keeps the checks that find
    silence, wrong lengths and missing text in every section (levels, pace, the script), and
    one section heard shows the voice speaks the script; make check hears them all, as it runs
    EPUBCheck."""
    if thorough:
        return sections
    for section in sections:
        if miniaudio.mp3_get_file_info(str(section)).duration >= ASR_SECONDS:
            return [section]
    return sections[:1]


# Speaking rates a listener can follow, in words a minute: espeak's range at the rates the stage
# allows (80-400) is wider, so a section outside this is text that was not spoken, or silence.
PLAUSIBLE_PACE = (60, 320)
MIN_WORDS_FOR_PACE = 25  # a short section's pace is mostly its pauses


def check_pace(narration: Path | None, sections: list[Path]) -> tuple[list[Finding], dict]:
    """Each section's length against its words (from the narration the stage wrote, read as
    JSON), and the voice that read the report: what stands in for speech recognition where
    PocketSphinx has no model for the language (Welsh)."""
    if narration is None:
        return [], {}
    import json

    try:
        data = json.loads(narration.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return [Finding("error", f"the narration cannot be read: {error}", narration.name)], {}
    by_name = {path.name: path for path in sections}
    findings: list[Finding] = []
    paces: list[float] = []
    for section in data.get("sections", []):
        audio = by_name.get(Path(section.get("audio", "")).name)
        count = sum(len(words(item.get("display", ""))) for item in section.get("items", []))
        if audio is None or count < MIN_WORDS_FOR_PACE:
            continue
        seconds = miniaudio.mp3_get_file_info(str(audio)).duration
        pace = count / (seconds / 60) if seconds else 0.0
        paces.append(pace)
        if not PLAUSIBLE_PACE[0] <= pace <= PLAUSIBLE_PACE[1]:
            findings.append(
                Finding(
                    "error",
                    f"{count} words in {seconds:.1f} s is {pace:.0f} "
                    f"words a minute: the speech does not fit the text",
                    audio.name,
                )
            )
    metrics = {
        "voice": data.get("voice", ""),
        "pace_wpm_min": round(min(paces), 1) if paces else None,
        "pace_wpm_max": round(max(paces), 1) if paces else None,
    }
    return findings, metrics


def check_audio(doc: Document, options: Any, paths: list[Path], ctx: BuildContext) -> CheckResult:
    by_name = {path.name: path for path in paths}
    book = by_name.get(f"{ctx.slug}.mp3")
    if book is None:
        return CheckResult((Finding("error", f"{ctx.slug}.mp3 was not written"),))
    script = by_name.get(f"{ctx.slug}-script.txt")
    sections = sorted(p for p in paths if p.suffix == ".mp3" and p.parent.name == "audio")
    heard = _sections_to_hear(sections or [book], ctx.thorough)
    with _beside(ctx.workers) as start:
        # PocketSphinx and the book's decoding each keep a core busy, and neither lets the other
        # run in a thread (the GIL): the sections are heard, and the second half of the book is
        # decoded, in other processes meanwhile.
        recognition = start(check_recognition, doc, heard, script, ctx.workers)
        findings, metrics = check_book(doc, options.chapter_levels, book, start if ctx.workers > 1 else None)
        script_findings, script_metrics = check_script(doc, script)
        findings += script_findings
        metrics.update(script_metrics)
        if options.split:
            playlist = next((p for p in paths if p.suffix == ".m3u8"), None)
            section_findings, section_metrics = check_sections(
                metrics.get("duration_seconds", 0.0), sections, playlist
            )
            findings += section_findings
            metrics.update(section_metrics)
        pace_findings, pace_metrics = check_pace(by_name.get(f"{ctx.slug}.narration.json"), sections)
        findings += pace_findings
        metrics.update(pace_metrics)
        asr_findings, asr_metrics = recognition.result()
    metrics["asr_sections_heard"] = f"{len(heard)}/{len(sections or [book])}"
    findings += asr_findings
    metrics.update(asr_metrics)
    return CheckResult(tuple(findings), metrics)


@contextmanager
def _beside(workers: int) -> Iterator[Callable[..., Future]]:
    """A way to start calls in other processes (as many at once as there are workers) when
    there is a second worker to use, or (one worker) to make them here and now; either way the
    result is a Future's."""
    if workers <= 1:

        def here(function: Callable[..., Any], *args: Any) -> Future:
            done: Future = Future()
            done.set_result(function(*args))
            return done

        yield here
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield pool.submit
