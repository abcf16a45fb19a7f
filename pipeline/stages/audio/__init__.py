"""Stage `audio`: a navigable MP3 spoken from the document (pyttsx3 on espeak-ng).

Outputs: <slug>.mp3 (ID3v2.3 with a chapter per heading), audio/NN-<section>.mp3 (one per
level-1 section, for players that ignore chapters), audio/<slug>.m3u8, and <slug>-script.txt
(the spoken script, for proofreading and transcripts).

Modules: script (what is said, from reading.reading_order), normalise (money, dates... as words),
synth (pyttsx3 and its sharp edges), assemble (PCM + silence -> CBR MP3, per track, in fresh
processes), tags (ID3 with chapters in time order), playlist (.m3u8). Check: checks/audio.py.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from ...document import Document
from ...errors import StageFailed
from ...stage_api import BuildContext, CheckResult, Stage
from . import synth
from .synth import SAMPLE_RATE, SynthesisError

# The script (num2words), assembly (lameenc) and tags (mutagen) are imported in the functions
# that use them, not here: the build imports every stage to compute its key, and a no-op build
# should not pay for them.
if TYPE_CHECKING:
    from .assemble import TrackAudio
    from .script import Track
    from .tags import Chapter

VERSION = "1"
ENCODER_DELAY = 576 + 529         # samples LAME puts before the first input sample (measured)
OPENING_GUESS_SECONDS = 20        # the opening's length, before it is synthesised
# Bit rates LAME supports for 22,050 Hz (MPEG-2 layer III) within the allowed range.
CBR_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128)
NAMED_RATES = {"slower": 140, "normal": 175, "faster": 210}   # for request emails


@dataclass(frozen=True)
class AudioOptions:
    voice: str = "gmw/en"         # espeak-ng voice id (British English)
    rate: int = 175               # words per minute; "slower" 140, "faster" 210
    chapter_levels: int = 2       # headings of these levels become ID3 chapters
    bitrate: int = 48             # kbps, constant bit rate
    split: bool = True            # also write one file per section, with a playlist
    split_level: int = 1          # headings of this level or higher start a new section file

    def __post_init__(self) -> None:
        if not 80 <= self.rate <= 400:
            raise ValueError(f"rate must be between 80 and 400 words per minute, not {self.rate} "
                             "(slower is 140, normal 175, faster 210)")
        if self.bitrate not in CBR_BITRATES:
            raise ValueError(f"bitrate must be one of {', '.join(map(str, CBR_BITRATES))} kbps, "
                             f"not {self.bitrate}")
        if not 1 <= self.chapter_levels <= 6:
            raise ValueError(f"chapter_levels must be 1 to 6, not {self.chapter_levels}")
        if not 1 <= self.split_level <= 6:
            raise ValueError(f"split_level must be 1 to 6, not {self.split_level}")
        known = {v.id for v in synth.installed_voices()}
        if self.voice not in known:
            raise ValueError(f"voice '{self.voice}' is not an installed espeak-ng voice. "
                             f"English voices: {', '.join(synth.english_voice_ids())}")


def voice_chooser(doc: Document, options: AudioOptions):
    """Run language -> voice: the chosen voice for the document's language, else espeak's voice
    for that language when it has one (Welsh -> cel/cy), else the chosen voice."""
    document_language = doc.meta.language.lower().split("-")[0]
    cache: dict[str | None, str] = {}

    def voice_for(lang: str | None) -> str:
        if lang not in cache:
            if lang is None or lang.lower().split("-")[0] == document_language:
                cache[lang] = options.voice
            else:
                cache[lang] = synth.voice_for_language(lang) or options.voice
        return cache[lang]

    return voice_for


def _tracks(doc: Document, options: AudioOptions, running_time: str) -> tuple[Track, ...]:
    from .script import ScriptOptions, build_tracks
    script_options = ScriptOptions(options.voice, options.chapter_levels, options.split_level,
                                   doc.meta.pronunciations)
    return build_tracks(doc, script_options, voice_chooser(doc, options), running_time)


def _render(doc: Document, options: AudioOptions, work: Path, ctx: BuildContext
            ) -> tuple[tuple[Track, ...], list[TrackAudio]]:
    """Synthesise the sections, then the opening (which states the total running time)."""
    from .assemble import TrackJob, render_tracks
    from .script import running_time_words
    tracks = _tracks(doc, options, running_time_words(0))
    total = len(tracks)
    done = 0

    def job(track: Track, tag: str = "") -> TrackJob:
        return TrackJob(track, options.rate, options.bitrate,
                        str(work / f"{track.slug}{tag}.mp3"))

    def finished(audio: TrackAudio) -> None:
        nonlocal done
        done += 1
        ctx.progress(done, total, tracks[audio.number - 1].title)

    ctx.progress(0, total, "speaking sections")
    body = render_tracks([job(t) for t in tracks[1:]], ctx.workers, finished)
    body_seconds = sum(audio.seconds for audio in body)
    # The opening says how long the whole recording is, which includes the opening itself:
    # guess its length, synthesise, and say it again if the rounded running time changed.
    running_time = running_time_words(body_seconds + OPENING_GUESS_SECONDS)
    for attempt in range(2):
        tracks = _tracks(doc, options, running_time)
        opening = render_tracks([job(tracks[0], f"-{attempt}")], 1)[0]
        actual = running_time_words(body_seconds + opening.seconds)
        if actual == running_time:
            break
        running_time = actual
    finished(opening)
    return tracks, [opening] + body


def chapters_of(tracks: tuple[Track, ...], audio: list[TrackAudio]) -> tuple[list[Chapter], int]:
    """Chapters with exact times from sample counts; and the total duration in milliseconds."""
    from .tags import Chapter
    starts: list[tuple[str, int]] = []
    track_start = 0
    for track, rendered in zip(tracks, audio):
        for part, offset in zip(track.parts, rendered.part_offsets):
            if part.chapter:
                sample = 0 if not starts else track_start + ENCODER_DELAY + offset
                starts.append((part.title, sample))
        track_start += rendered.mp3_samples
    total_ms = round(track_start * 1000 / SAMPLE_RATE)
    chapters = []
    for index, (title, sample) in enumerate(starts):
        start_ms = round(sample * 1000 / SAMPLE_RATE)
        end_ms = (round(starts[index + 1][1] * 1000 / SAMPLE_RATE) if index + 1 < len(starts)
                  else total_ms)
        chapters.append(Chapter(title, start_ms, end_ms))
    return chapters, total_ms


def build(doc: Document, options: AudioOptions, out_dir: Path, ctx: BuildContext) -> list[Path]:
    from .assemble import join_tracks
    from .script import script_text
    from .tags import write_book_tags
    book = out_dir / f"{ctx.slug}.mp3"
    script_path = out_dir / f"{ctx.slug}-script.txt"
    with tempfile.TemporaryDirectory(prefix="audio-") as work_dir:
        try:
            tracks, audio = _render(doc, options, Path(work_dir), ctx)
        except SynthesisError as error:
            raise StageFailed(f"{book.name}: {error}") from None
        script_path.write_text(script_text(tracks), encoding="utf-8")
        join_tracks(audio, book)
        chapters, total_ms = chapters_of(tracks, audio)
        write_book_tags(book, doc.meta, chapters, total_ms)
        written = [book, script_path]
        if options.split:
            written += _write_sections(doc, ctx, tracks, audio, out_dir / "audio")
    return written


def _write_sections(doc: Document, ctx: BuildContext, tracks: tuple[Track, ...],
                    audio: list[TrackAudio], folder: Path) -> list[Path]:
    from .playlist import Entry, whole_seconds, write_playlist
    from .tags import write_track_tags
    folder.mkdir(parents=True, exist_ok=True)
    written, entries = [], []
    for track, rendered in zip(tracks, audio):
        path = folder / f"{track.slug}.mp3"
        shutil.copyfile(rendered.mp3_path, path)
        duration_ms = round(rendered.seconds * 1000)
        write_track_tags(path, doc.meta, track.title, track.number, len(tracks), duration_ms)
        entries.append(Entry(whole_seconds(rendered.seconds), track.title, path.name))
        written.append(path)
    playlist = folder / f"{ctx.slug}.m3u8"
    write_playlist(playlist, doc.meta.title, entries)
    return written + [playlist]


def check(doc: Document, options: AudioOptions, paths: list[Path], ctx: BuildContext
          ) -> CheckResult:
    from ...checks.audio import check_audio
    return check_audio(doc, options, paths, ctx)


def tool_versions() -> dict[str, str]:
    versions = {"espeak-ng": synth.espeak_version()}
    for package in ("pyttsx3", "lameenc", "mutagen", "miniaudio", "num2words"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "unknown"
    return versions


STAGES = [Stage(name="audio", version=VERSION, options=AudioOptions, build=build, check=check,
                media_types={".mp3": "audio/mpeg", ".m3u8": "audio/x-mpegurl",
                             ".txt": "text/plain"},
                uses_images=False,           # figures are spoken as their alt text only
                tool_versions=tool_versions)]
