"""The narration: the spoken script as sentences tied to the document, with exact clip times.

Written once, beside the model, for every spoken format. The audio stage turns its script (the
Segments of stages/audio/script.py, which say WHAT is said) into a `NarrationPlan` with
`plan_sections`: each segment is split into sentences, and each *item* (what a reader sees
highlighted: a sentence of the source, or a whole unit when the spoken and written sentences do
not line up) gets an id tied to its place in the document, `s<block>-<n>` (top-level block index,
n-th item from that block). The audio stage synthesises each sentence once, records where each
item starts and ends in its section's MP3 (decoded samples, encoder delay included), and writes
the result as `<slug>.narration.json` beside its section MP3s. The DAISY stage and the EPUB's media
overlays are given that file by the build (`BuildContext.narration`) and use those MP3s and times,
so all three agree to the millisecond and speech is synthesised once.

This module knows nothing of stages: it reads the script through the small protocol below.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..document import Document
from ..i18n import words_for
from ..reading import Runs, Unit, runs_text

NARRATION_SUFFIX = ".narration.json"
FORMAT_VERSION = 1
LONGEST_SENTENCE_SECONDS = 60  # longer sentences are split at clause boundaries (issue 12)

# ---------------------------------------------------------------- the script, as we read it


# Read-only members (properties), so the audio stage's frozen dataclasses satisfy them.
class UtteranceLike(Protocol):
    @property
    def text(self) -> str: ...
    @property
    def voice(self) -> str: ...


class SegmentLike(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def utterances(self) -> Sequence[UtteranceLike]: ...
    @property
    def pause_ms(self) -> int: ...
    @property
    def source(self) -> Unit | None: ...


class PartLike(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def level(self) -> int: ...
    @property
    def chapter(self) -> bool: ...
    @property
    def segments(self) -> Sequence[SegmentLike]: ...


class TrackLike(Protocol):
    @property
    def number(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def slug(self) -> str: ...
    @property
    def parts(self) -> Sequence[PartLike]: ...


# ---------------------------------------------------------------- the plan (before synthesis)


@dataclass(frozen=True)
class Spoken:
    """One synthesis call: a sentence (or a clause of a long one) in one voice."""

    text: str
    voice: str
    lang: str = ""  # the passage's language when it is not the report's


@dataclass(frozen=True)
class Item:
    """What a reader sees highlighted while its sentences are spoken."""

    id: str  # "s12-3": block 12, third item from it; "open-1", "close-1"
    block: int  # top-level block index; -1 for the pipeline's own words
    kind: str  # the reading unit kind ("heading", "paragraph", ...), "title",
    # "opening" or "closing"
    level: int  # heading level (1 for the title); list depth; 0 otherwise
    display: str  # the text shown: the source's words, not the spoken form
    lang: str  # BCP 47 language of the words
    spoken: tuple[Spoken, ...]
    line: int | None = None  # source line (Markdown) or paragraph (Word), for errors
    anchor: str = ""  # a heading's id in the document
    unit_start: bool = True  # the first item of its reading unit (a paragraph's first
    # sentence): later ones share its element in a content document

    def place(self, source_name: str = "") -> str:
        """Where the item comes from, for a person: 'report.md line 40, sentence s12-3'."""
        where = (
            f"line {self.line}"
            if self.line
            else (f"block {self.block + 1}" if self.block >= 0 else "the spoken opening or closing")
        )
        prefix = f"{source_name} " if source_name else ""
        return f"{prefix}{where}, sentence {self.id} ({self.display[:50]!r})"


@dataclass(frozen=True)
class PlanSegment:
    items: tuple[Item, ...]
    pause_ms: int


@dataclass(frozen=True)
class PlanPart:
    title: str
    level: int
    chapter: bool
    segments: tuple[PlanSegment, ...]


@dataclass(frozen=True)
class SectionPlan:
    number: int
    title: str
    slug: str
    parts: tuple[PlanPart, ...]

    def items(self) -> Iterable[Item]:
        for part in self.parts:
            for segment in part.segments:
                yield from segment.items


# ---------------------------------------------------------------- the narration (after)


@dataclass(frozen=True)
class TimedItem:
    id: str
    block: int
    kind: str
    level: int
    display: str
    lang: str
    begin: float  # seconds in the section's decoded MP3
    end: float
    line: int | None = None
    anchor: str = ""
    unit_start: bool = True


@dataclass(frozen=True)
class NarratedSection:
    number: int
    title: str
    audio: str  # the section MP3, relative to the narration file's folder
    seconds: float  # the section MP3's decoded duration
    start: float  # where the section starts in the whole book's MP3
    items: tuple[TimedItem, ...]


@dataclass(frozen=True)
class Narration:
    title: str
    language: str
    narrator: str  # "espeak-ng gmw/en at 175 words per minute"
    voice: str
    rate: int
    sections: tuple[NarratedSection, ...]
    version: int = FORMAT_VERSION
    folder: Path | None = field(default=None, compare=False)  # where it was read from

    @property
    def seconds(self) -> float:
        return sum(section.seconds for section in self.sections)

    def audio_path(self, section: NarratedSection) -> Path:
        return (self.folder or Path(".")) / section.audio

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("folder")
        return data

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Narration:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"{path}: narration format {data.get('version')}, "
                f"expected {FORMAT_VERSION}: rebuild the audio"
            )
        sections = tuple(
            NarratedSection(
                s["number"],
                s["title"],
                s["audio"],
                s["seconds"],
                s["start"],
                tuple(TimedItem(**item) for item in s["items"]),
            )
            for s in data["sections"]
        )
        return cls(
            data["title"],
            data["language"],
            data["narrator"],
            data["voice"],
            data["rate"],
            sections,
            data["version"],
            folder=path.parent,
        )


# ---------------------------------------------------------------- sentences

# A sentence ends at . ! ? or … (with closing quotes/brackets) before white space and a word
# that could start a sentence. Hand-written: the splitters on PyPI (nltk's punkt, pysbd) bring
# models or large rule sets for many languages; reports need a predictable rule that both the
# written and the spoken text follow alike.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9À-ÖØ-ÞŴŶ])")
_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "e.g",
    "i.e",
    "etc",
    "no",
    "vs",
    "cf",
    "approx",
    "fig",
    "p",
    "pp",
}
_CLAUSE_BREAK = re.compile(r"(?<=[,;:])\s+|\s+(?=[–—]\s)")


def split_sentences(text: str) -> list[str]:
    """The sentences of a text, in order; joined with spaces they give the text back."""
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return []
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start : match.start()].rstrip()
        last_word = candidate.rsplit(" ", 1)[-1].rstrip(".").lower()
        if last_word in _ABBREVIATIONS:
            continue
        pieces.append(text[start : match.end()].strip())
        start = match.end()
    pieces.append(text[start:].strip())
    return [p for p in pieces if p]


def spoken_seconds(text: str, rate: int) -> float:
    """How long espeak takes to say the text, estimated from its words (rate: words/minute)."""
    return len(text.split()) * 60 / rate


def split_long(text: str, rate: int, limit: float = LONGEST_SENTENCE_SECONDS) -> list[str]:
    """A sentence longer than `limit` seconds of speech, split at clause boundaries (commas,
    semicolons, colons, dashes) into pieces that each fit; at word boundaries when a clause
    alone is too long."""
    if spoken_seconds(text, rate) <= limit:
        return [text]
    max_words = max(1, int(limit * rate / 60))
    clauses: list[str] = []
    for clause in _CLAUSE_BREAK.split(text):
        words = clause.split()
        while len(words) > max_words:
            clauses.append(" ".join(words[:max_words]))
            words = words[max_words:]
        if words:
            clauses.append(" ".join(words))
    pieces: list[str] = []
    for clause in clauses:
        if pieces and len((pieces[-1] + " " + clause).split()) <= max_words:
            pieces[-1] += " " + clause
        else:
            pieces.append(clause)
    return pieces


def split_into(text: str, count: int) -> list[str] | None:
    """The text cut at clause boundaries into exactly `count` pieces of similar length, or None."""
    clauses = [c for c in _CLAUSE_BREAK.split(text) if c.strip()]
    if len(clauses) < count:
        return None
    total = sum(len(c.split()) for c in clauses)
    pieces: list[str] = []
    current: list[str] = []
    done_words = 0
    for index, clause in enumerate(clauses):
        current.append(clause)
        done_words += len(clause.split())
        remaining_clauses = len(clauses) - index - 1
        remaining_pieces = count - len(pieces) - 1
        if remaining_pieces and (
            done_words >= total * (len(pieces) + 1) / count or remaining_clauses == remaining_pieces
        ):
            pieces.append(" ".join(current))
            current = []
    pieces.append(" ".join(current))
    return pieces if len(pieces) == count and all(pieces) else None


# ---------------------------------------------------------------- plan from the script


def display_text(unit: Unit | None, spoken: str, _: Callable[..., str] | None = None) -> str:
    """What the reader sees for a unit: the source's own words (not numbers spelt out); `_` is
    the report language's words (pipeline.i18n) for the few the pipeline adds."""
    if unit is None:
        return spoken
    text = runs_text(tuple(r for r in unit.runs if r.note is None))
    if unit.kind == "figure":
        alt = unit.alt.strip()
        shown_alt = (_("Image: {alt}", alt=alt) if _ else f"Image: {alt}") if alt else ""
        return " ".join(p for p in (shown_alt, text.strip()) if p)
    if unit.kind == "table-row":
        cells = []
        header = runs_text(unit.row_header).strip()
        for cell in unit.cells:
            value = runs_text(cell.runs).strip()
            cells.append(f"{cell.header}: {value}" if cell.header else value)
        return "; ".join(([header] if header else []) + cells) or spoken
    if unit.kind in ("heading", "paragraph", "list-item", "attribution", "note") and text.strip():
        return re.sub(r"\s+", " ", text).strip()
    return spoken


def _run_languages(runs: Runs, document_language: str) -> set[str]:
    return {run.lang or document_language for run in runs if run.text.strip() and run.note is None}


class Planner:
    """Splits one document's script into items with ids (one Planner per build)."""

    def __init__(self, doc: Document, rate: int, voice_for: Callable[[str | None], str]):
        self.doc = doc
        self.rate = rate
        self.voice_for = voice_for
        self.language = doc.meta.language
        self.words = words_for(doc.meta.language)
        self._count: dict[str, int] = {}

    def next_id(self, stem: str) -> str:
        self._count[stem] = self._count.get(stem, 0) + 1
        return f"{stem}-{self._count[stem]}"

    def segment_items(self, segment: SegmentLike, first_of_book: bool) -> tuple[Item, ...]:
        unit = segment.source
        spoken: list[Spoken] = []
        for utterance in segment.utterances:
            for sentence in split_sentences(utterance.text):
                spoken.extend(
                    Spoken(piece, utterance.voice, getattr(utterance, "lang", None) or "")
                    for piece in split_long(sentence, self.rate)
                )
        if not spoken:
            return ()
        spoken_text = " ".join(s.text for s in spoken)
        display = display_text(unit, spoken_text, self.words)
        kind, level, block = segment.kind, 0, -1
        line, anchor = None, ""
        if unit is not None:
            kind, level, block, anchor = (
                unit.kind,
                unit.level,
                unit.block_index,
                unit.label if unit.kind == "heading" else "",
            )
            line = (
                getattr(self.doc.blocks[unit.block_index], "line", None)
                if 0 <= unit.block_index < len(self.doc.blocks)
                else None
            )
        elif first_of_book:
            kind, level = "title", 1
        lang = self._language(unit, spoken)
        stem = f"s{block}" if block >= 0 else ("close" if segment.kind == "closing" else "open")
        shown = split_sentences(display) if kind != "heading" else [display]
        # Shown sentences that were split for length are split alike, so the two line up.
        shown = self._match_long(shown, spoken, segment)
        if len(shown) == len(spoken) and kind not in ("heading", "title"):
            # One sentence an item: each carries its own language (an English sentence in a
            # Welsh paragraph is marked en-GB), else the unit's.
            return tuple(
                Item(
                    self.next_id(stem),
                    block,
                    kind,
                    level,
                    text,
                    piece.lang or lang,
                    (piece,),
                    line,
                    anchor,
                    unit_start=index == 0,
                )
                for index, (text, piece) in enumerate(zip(shown, spoken))
            )
        return (Item(self.next_id(stem), block, kind, level, display, lang, tuple(spoken), line, anchor),)

    def _match_long(self, shown: list[str], spoken: list[Spoken], segment: SegmentLike) -> list[str]:
        sentences = [s for u in segment.utterances for s in split_sentences(u.text)]
        if len(sentences) != len(shown) or len(sentences) == len(spoken):
            return shown
        out: list[str] = []
        for text, sentence in zip(shown, sentences):
            pieces = len(split_long(sentence, self.rate))
            out.extend((split_into(text, pieces) or [text]) if pieces > 1 else [text])
        return out

    def _language(self, unit: Unit | None, spoken: list[Spoken]) -> str:
        if unit is None:
            return self.language
        runs = unit.runs + unit.row_header + tuple(r for c in unit.cells for r in c.runs)
        langs = _run_languages(runs, self.language)
        if len(langs) == 1:
            only = next(iter(langs))
            # Said in that language's voice (or the document's voice when espeak has none).
            if all(
                piece.voice == self.voice_for(None if only == self.language else only) for piece in spoken
            ):
                return only
        return self.language


def plan_sections(
    doc: Document, tracks: Sequence[TrackLike], rate: int, voice_for: Callable[[str | None], str]
) -> tuple[SectionPlan, ...]:
    """The script's tracks as sections of items with ids; the split is the same every build."""
    planner = Planner(doc, rate, voice_for)
    plans = []
    first = True
    for track in tracks:
        parts = []
        for part in track.parts:
            segments = []
            for segment in part.segments:
                items = planner.segment_items(segment, first)
                if items:
                    first = False
                segments.append(PlanSegment(items, segment.pause_ms))
            parts.append(PlanPart(part.title, part.level, part.chapter, tuple(segments)))
        plans.append(SectionPlan(track.number, track.title, track.slug, tuple(parts)))
    return tuple(plans)


def narrator_name(voice: str, rate: int) -> str:
    return f"espeak-ng synthetic voice {voice} at {rate} words per minute"


@dataclass(frozen=True)
class Clip:
    """An item's audio as a player is given it: contiguous with the next item's, so that the
    pause after a sentence plays with it and the clips of a section add up to its audio."""

    item: TimedItem
    begin: float
    end: float


def section_clips(section: NarratedSection) -> list[Clip]:
    """Each item from where its speech begins to where the next item's begins (the last one to
    the end of the section's MP3). Every clip has begin < end and lies inside the file."""
    clips = []
    items = section.items
    for index, item in enumerate(items):
        end = items[index + 1].begin if index + 1 < len(items) else section.seconds
        end = min(max(end, item.end), section.seconds)
        clips.append(Clip(item, item.begin, round(end, 3)))
    return clips


def clock(seconds: float, fraction: bool = True) -> str:
    """'0:01:14.371' (fraction) or '00:01:14' (whole seconds, rounded): DAISY's clock values."""
    if not fraction:
        whole = round(seconds)
        return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"
