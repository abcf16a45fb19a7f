"""Stage `audio`: a navigable MP3 spoken from the document (pyttsx3 on espeak-ng).

Outputs: <slug>.mp3 (ID3v2.3 with a chapter per heading to level 3, nested: a top-level CTOC of
the top-level chapters, a child CTOC for each chapter's sections), audio/NN-<section>.mp3 (one
per top-level section, for players that ignore chapters), audio/<slug>.m3u8, and <slug>-script.txt
(the spoken script, for proofreading and transcripts).

Modules: script (what is said, from reading.reading_order), normalise (money, dates... as words),
synth (pyttsx3 and its sharp edges), assemble (PCM + silence -> CBR MP3, per track, in fresh
processes), tags (ID3 with chapters in time order), playlist (.m3u8). Check: checks/audio.py.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from ... import narration
from ...document import Document
from ...errors import StageFailed
from ...stage_api import NARRATION, BuildContext, CheckResult, Stage
from . import synth
from .synth import SAMPLE_RATE, SynthesisError

# The script (num2words), assembly (lameenc), tags (mutagen) and playlist are imported in the
# functions that use them, not here: the build imports every stage to compute its key, and a
# no-op build should not pay for them.
if TYPE_CHECKING:
    from .assemble import SpeechWorkers, TrackAudio, TrackJob
    from .script import ScriptOptions, Track
    from .tags import Chapter

VERSION = "4"  # 2: nested chapters, narrator-style script; 3: narration; 4: long sections said in pieces
ENCODER_DELAY = 576 + 529  # samples LAME puts before the first input sample (measured)
OPENING_GUESS_SECONDS = 20  # the opening's length, before it is synthesised
# Bit rates LAME supports for 22,050 Hz (MPEG-2 layer III) within the allowed range.
CBR_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128)
NAMED_RATES = {"slower": 140, "normal": 175, "faster": 210}  # for request emails


# espeak-ng's British English voices, with the short names a request email may use.
BRITISH_VOICES = {
    "british": "gmw/en",
    "rp": "gmw/en-gb-x-rp",
    "scottish": "gmw/en-gb-scotland",
    "lancaster": "gmw/en-gb-x-gbclan",
    "west-midlands": "gmw/en-gb-x-gbcwmd",
}
NOTE_PLACEMENTS = ("paragraph", "section")


def british_voice_ids() -> list[str]:
    """Installed espeak-ng voices for British English and its regional variants."""
    return [
        v.id
        for v in synth.installed_voices()
        if v.language.startswith(("en-gb", "en-uk")) and v.id.startswith("gmw/")
    ]


@dataclass(frozen=True)
class AudioOptions:
    voice: str = "gmw/en"  # espeak-ng voice id (British English) or a name in BRITISH_VOICES
    rate: int = 175  # words per minute; "slower" 140, "faster" 210
    chapter_levels: int = 3  # heading levels that become ID3 chapters, from the top level
    bitrate: int = 48  # kbps, constant bit rate
    split: bool = True  # also write one file per section, with a playlist
    split_level: int = 1  # headings of this level (from the top) start a section file
    notes: str = "paragraph"  # read notes after their paragraph, or at the end of the section
    short_sums: bool = False  # large sums rounded: "one point one eight million pounds"

    def __post_init__(self) -> None:
        if not 80 <= self.rate <= 400:
            raise ValueError(
                f"rate must be between 80 and 400 words per minute, not {self.rate} "
                "(slower is 140, normal 175, faster 210)"
            )
        if self.bitrate not in CBR_BITRATES:
            raise ValueError(
                f"bitrate must be one of {', '.join(map(str, CBR_BITRATES))} kbps, not {self.bitrate}"
            )
        if not 1 <= self.chapter_levels <= 6:
            raise ValueError(f"chapter_levels must be 1 to 6, not {self.chapter_levels}")
        if not 1 <= self.split_level <= 6:
            raise ValueError(f"split_level must be 1 to 6, not {self.split_level}")
        if self.notes not in NOTE_PLACEMENTS:
            raise ValueError(f"notes must be one of {', '.join(NOTE_PLACEMENTS)}, not '{self.notes}'")
        voice = BRITISH_VOICES.get(self.voice.lower(), self.voice)
        british = british_voice_ids()
        by_lower = {v.lower(): v for v in british}
        if voice.lower() not in by_lower:
            raise ValueError(
                f"voice '{self.voice}' is not one of espeak-ng's British English "
                f"voices here: {', '.join(british)} (or "
                f"{', '.join(BRITISH_VOICES)})"
            )
        object.__setattr__(self, "voice", by_lower[voice.lower()])


def voice_chooser(doc: Document, options: AudioOptions):
    """Run language -> voice: English (the report's, or a passage's) in the chosen British voice;
    another language in espeak's voice for it when it has one (Welsh -> cel/cy), else the chosen
    voice. None means the report's own language."""
    cache: dict[str | None, str] = {}

    def voice_for(lang: str | None) -> str:
        if lang not in cache:
            language = lang or doc.meta.language
            if language.lower().split("-")[0] == "en":
                cache[lang] = options.voice
            else:
                cache[lang] = synth.voice_for_language(language) or options.voice
        return cache[lang]

    return voice_for


def _tracks(doc: Document, options: AudioOptions, running_time: str) -> tuple[Track, ...]:
    from .script import build_tracks

    return build_tracks(doc, _script_options(doc, options), voice_chooser(doc, options), running_time)


def _with_running_time(
    doc: Document, options: AudioOptions, tracks: tuple[Track, ...], running_time: str
) -> tuple[Track, ...]:
    from .script import with_running_time

    return with_running_time(
        doc, _script_options(doc, options), voice_chooser(doc, options), tracks, running_time
    )


def _script_options(doc: Document, options: AudioOptions) -> ScriptOptions:
    from .script import ScriptOptions

    return ScriptOptions(
        options.voice,
        options.chapter_levels,
        options.split_level,
        doc.meta.pronunciations,
        notes=options.notes,
        short_sums=options.short_sums,
        rate=options.rate,
    )


def _render(
    doc: Document, options: AudioOptions, work: Path, ctx: BuildContext, speakers: SpeechWorkers
) -> tuple[tuple[Track, ...], list[TrackAudio]]:
    """Synthesise the sections, then the opening (which states the total running time), on
    the speech workers given."""
    from .assemble import TrackJob, pause_seconds, render_tracks, spoken_words
    from .script import running_time_words

    language = doc.meta.language
    tracks = _tracks(doc, options, running_time_words(0, language))
    total = len(tracks)
    done = 0

    def plans(tracks: tuple[Track, ...]) -> tuple[narration.SectionPlan, ...]:
        return narration.plan_sections(doc, tracks, options.rate, voice_chooser(doc, options))

    body_plans = plans(tracks)

    def job(track: Track, plan: narration.SectionPlan, tag: str = "") -> TrackJob:
        return TrackJob(
            track, options.rate, options.bitrate, str(work / f"{track.slug}{tag}.mp3"), plan, ctx.source.name
        )

    def finished(audio: TrackAudio) -> None:
        nonlocal done
        done += 1
        ctx.progress(done, total, tracks[audio.number - 1].title)

    ctx.progress(0, total, "speaking sections")
    body_jobs = [job(t, p) for t, p in zip(tracks[1:], body_plans[1:])]
    with_running_time: dict[str, tuple[Track, ...]] = {}

    def opening_with(running_time: str, attempt: int) -> TrackJob:
        if running_time not in with_running_time:
            with_running_time[running_time] = _with_running_time(doc, options, tracks, running_time)
        made = with_running_time[running_time]
        return job(made[0], plans(made)[0], f"-{attempt}")

    def opening_seconds(sections_seconds: float, per_word: float) -> float:
        """How long the opening will be: its words at per_word, and its pauses."""
        guess = opening_with(running_time_words(sections_seconds + OPENING_GUESS_SECONDS, language), 0)
        return spoken_words(guess) * per_word + pause_seconds(guess)

    def running_time_for(sections_seconds: float, per_word: float) -> str:
        """The running time to state: the sections' and the opening's own."""
        return running_time_words(sections_seconds + opening_seconds(sections_seconds, per_word), language)

    spoken_beside: list[str] = []  # the running times of the openings said beside the sections

    def opening_jobs(said: list[tuple[TrackJob, TrackAudio]], running: list[TrackJob]) -> list[TrackJob]:
        """The opening, spoken beside the last pieces of the sections with the running time
        foreseen from what has been said and the words of what is still to be said; and with
        the minute before and the minute after, as a section's last pieces can take a minute
        more or less than their words foretell (numbers, tables)."""
        sections_seconds, per_word = _foreseen_sections(options, said, running)
        whole = sections_seconds + opening_seconds(sections_seconds, per_word)
        for shift in (0, -60, 60):
            foreseen = running_time_words(whole + shift, language)
            if foreseen not in spoken_beside:
                spoken_beside.append(foreseen)
        return [opening_with(running_time, n) for n, running_time in enumerate(spoken_beside, start=1)]

    rendered = render_tracks(body_jobs, ctx.workers, finished, then=opening_jobs, speakers=speakers)
    body, openings = rendered[: len(body_jobs)], dict(zip(spoken_beside, rendered[len(body_jobs) :]))

    def opening_saying(running_time: str, attempt: int) -> TrackAudio:
        if running_time in openings:
            return openings[running_time]
        return render_tracks([opening_with(running_time, attempt)], 1, speakers=speakers)[0]

    # What the opening states must not depend on how many workers there were or which piece
    # finished first (serial and parallel builds give the same bytes): the running time is
    # worked out again from every section's length, and an opening spoken beside them is
    # kept only if it states that time. The time includes the opening itself: if the opening's
    # own length moves the rounded time, the opening that states the new time is taken.
    body_seconds = sum(audio.seconds for audio in body)
    running_time = running_time_for(*_foreseen_sections(options, list(zip(body_jobs, body)), []))
    opening = opening_saying(running_time, len(spoken_beside) + 1)  # a file of its own
    actual = running_time_words(body_seconds + opening.seconds, language)
    if actual != running_time:
        running_time = actual
        opening = opening_saying(running_time, len(spoken_beside) + 2)
    finished(opening)
    return with_running_time[running_time], [opening] + body


def _foreseen_sections(
    options: AudioOptions, said: list[tuple[TrackJob, TrackAudio]], running: list[TrackJob]
) -> tuple[float, float]:
    """(the seconds all the sections will last, the seconds a spoken word takes): from what has
    been said (at the speaking rate when nothing has been yet), and the words and pauses of
    what is still being said (the pauses are known to the millisecond; a section's last piece
    can be mostly pauses)."""
    from .assemble import pause_seconds, spoken_words

    said_words = sum(spoken_words(job) for job, _ in said)
    speech_seconds = sum(audio.seconds - pause_seconds(job) for job, audio in said)
    per_word = speech_seconds / said_words if said_words else 60 / options.rate
    still = sum(spoken_words(job) * per_word + pause_seconds(job) for job in running)
    return sum(audio.seconds for _, audio in said) + still, per_word


def chapters_of(tracks: tuple[Track, ...], audio: list[TrackAudio]) -> tuple[list[Chapter], int]:
    """Chapters with exact times from sample counts; and the total duration in milliseconds."""
    from .tags import Chapter

    starts: list[tuple[str, int, int]] = []
    track_start = 0
    for track, rendered in zip(tracks, audio):
        for part, offset in zip(track.parts, rendered.part_offsets):
            if part.chapter:
                # A track's first part starts with the track (its encoder lead-in included), as
                # the narration's first clip of a section does: chapters and clips agree.
                sample = track_start + (ENCODER_DELAY + offset if offset else 0)
                starts.append((part.title, sample, part.depth))
        track_start += rendered.mp3_samples
    total_ms = round(track_start * 1000 / SAMPLE_RATE)
    chapters = []
    for index, (title, sample, depth) in enumerate(starts):
        start_ms = round(sample * 1000 / SAMPLE_RATE)
        end_ms = round(starts[index + 1][1] * 1000 / SAMPLE_RATE) if index + 1 < len(starts) else total_ms
        chapters.append(Chapter(title, start_ms, end_ms, depth))
    return chapters, total_ms


def build(doc: Document, options: AudioOptions, out_dir: Path, ctx: BuildContext) -> list[Path]:
    from .assemble import SpeechWorkers, join_tracks
    from .script import script_text
    from .tags import write_book_tags

    book = out_dir / f"{ctx.slug}.mp3"
    script_path = out_dir / f"{ctx.slug}-script.txt"
    with tempfile.TemporaryDirectory(prefix="audio-") as work_dir:
        try:
            # The speech workers start now, while the script is made.
            with SpeechWorkers(Path(work_dir), ctx.workers) as speakers:
                tracks, audio = _render(doc, options, Path(work_dir), ctx, speakers)
            plans = narration.plan_sections(doc, tracks, options.rate, voice_chooser(doc, options))
        except SynthesisError as error:
            raise StageFailed(f"{book.name}: {error}") from None
        script_path.write_text(script_text(tracks), encoding="utf-8")
        join_tracks(audio, book)
        chapters, total_ms = chapters_of(tracks, audio)
        write_book_tags(book, doc.meta, chapters, total_ms)
        written = [book, script_path]
        if options.split:
            written += _write_sections(doc, ctx, tracks, audio, out_dir / "audio")
            written.append(_write_narration(doc, options, ctx, tracks, plans, audio, out_dir))
    return written


def _write_sections(
    doc: Document, ctx: BuildContext, tracks: tuple[Track, ...], audio: list[TrackAudio], folder: Path
) -> list[Path]:
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


def _write_narration(
    doc: Document,
    options: AudioOptions,
    ctx: BuildContext,
    tracks: tuple[Track, ...],
    plans: tuple[narration.SectionPlan, ...],
    audio: list[TrackAudio],
    out_dir: Path,
) -> Path:
    """<slug>.narration.json: every item's clip in its section MP3 (decoded time, so the
    encoder's delay is counted), for the DAISY and read-along EPUB stages."""
    sections = []
    start = 0.0
    for track, plan, rendered in zip(tracks, plans, audio):
        by_id = {item.id: item for item in plan.items()}
        items = tuple(
            narration.TimedItem(
                item.id,
                item.block,
                item.kind,
                item.level,
                item.display,
                item.lang,
                _seconds(ENCODER_DELAY + begin if index else 0),
                _seconds(ENCODER_DELAY + end),
                item.line,
                item.anchor,
                item.unit_start,
            )
            for index, (item_id, begin, end) in enumerate(rendered.item_spans)
            for item in (by_id[item_id],)
        )
        sections.append(
            narration.NarratedSection(
                track.number,
                track.title,
                f"audio/{track.slug}.mp3",
                # floored: no clip may end past the audio
                math.floor(rendered.seconds * 1000) / 1000,
                round(start, 3),
                items,
            )
        )
        start += rendered.seconds
    path = out_dir / f"{ctx.slug}{narration.NARRATION_SUFFIX}"
    # The voice that reads the report's own language (a Welsh report: cel/cy), as DAISY's
    # narrator and the audio check record it; passages in other languages keep their own.
    voice = voice_chooser(doc, options)(None)
    narration.Narration(
        doc.meta.title,
        doc.meta.language,
        narration.narrator_name(voice, options.rate),
        voice,
        options.rate,
        tuple(sections),
    ).write(path)
    return path


def _seconds(samples: int) -> float:
    return round(samples / SAMPLE_RATE, 3)


def check(doc: Document, options: AudioOptions, paths: list[Path], ctx: BuildContext) -> CheckResult:
    from ...checks.audio import check_audio

    return check_audio(doc, options, paths, ctx)


def tool_versions() -> dict[str, str]:
    versions = {"espeak-ng": synth.espeak_version()}
    for package in ("pyttsx3", "lameenc", "mutagen", "miniaudio", "num2words", "pocketsphinx"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "unknown"
    return versions


STAGES = [
    Stage(
        name="audio",
        version=VERSION,
        options=AudioOptions,
        build=build,
        check=check,
        media_types={
            ".mp3": "audio/mpeg",
            ".m3u8": "audio/x-mpegurl",
            ".txt": "text/plain",
            ".json": "application/json",
        },
        uses_images=False,  # figures are spoken as their alt text only
        tool_versions=tool_versions,
        provides={NARRATION: narration.NARRATION_SUFFIX},
    )
]
