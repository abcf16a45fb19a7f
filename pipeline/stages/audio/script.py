"""The speech script: what is said, in which voice, with which pauses, split into parts and tracks.

The reading order (pipeline/reading.py, shared with braille) decides *what* the listener meets;
this module decides only how each unit sounds: headings with pauses around them, list items with
their position, table rows as "header: value" pairs, images as "Image: <alt text>", quotes
introduced and closed, notes after their paragraph, other languages in their own voice.

Structure: a Script is a sequence of Tracks (one per level-1 section by default, plus the opening),
each Track a sequence of Parts (one per chapter-level heading), each Part a sequence of Segments
(a unit of speech followed by a pause), each Segment one or more Utterances (runs in one voice).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Callable

from ...document import Document, Heading
from ...reading import Run, Runs, Unit, reading_order, runs_text
from .normalise import MONTHS, normalise, words

# Pauses in milliseconds. espeak pauses only at punctuation, so structure is carried by silence.
PAUSE_AFTER_HEADING = 800
PAUSE_BEFORE_HEADING = 800
PAUSE_BETWEEN_CHAPTERS = 1200
PAUSE_AFTER_PARAGRAPH = 450
PAUSE_AFTER_LIST_ITEM = 300
PAUSE_AFTER_TABLE_ROW = 300
PAUSE_FOR_RULE = 1000
PAUSE_AT_END = 1500

VoiceFor = Callable[[str | None], str]   # a run's language (None: the document's) -> voice id


@dataclass(frozen=True)
class Utterance:
    text: str
    voice: str


@dataclass(frozen=True)
class Segment:
    kind: str                     # the reading unit kind, or "opening"/"closing"
    utterances: tuple[Utterance, ...]
    pause_ms: int                 # silence after the speech
    source: Unit | None = field(default=None, compare=False)   # the reading unit it says
                                  # (for the narration's sentence ids; None: the pipeline's words)

    @property
    def text(self) -> str:
        text = ""
        for utterance in self.utterances:
            joiner = "" if not text or utterance.text[:1] in ".,;:!?" else " "
            text += joiner + utterance.text
        return text


@dataclass(frozen=True)
class Part:
    title: str                    # the heading's text (the document title for the opening)
    level: int                    # heading level; 0 for the opening
    chapter: bool                 # gets an ID3 chapter
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Track:
    number: int                   # 1-based
    title: str
    slug: str                     # for the file name: "02-introduction"
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class ScriptOptions:
    voice: str
    chapter_levels: int
    split_level: int
    pronunciations: tuple[tuple[str, str], ...] = field(default=())


def _end_sentence(text: str) -> str:
    text = text.strip()
    if text and text[-1] not in ".!?:;":
        text += "."
    return text


def _slug(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "section"


class ScriptWriter:
    """Turns reading units into segments for one document."""

    def __init__(self, doc: Document, options: ScriptOptions, voice_for: VoiceFor):
        self.doc = doc
        self.options = options
        self.voice_for = voice_for
        self._table_row = 0

    # ------------------------------------------------------------ text to utterances

    def utterances(self, runs: Runs | str, prefix: str = "", suffix: str = "") -> \
            tuple[Utterance, ...]:
        """Runs grouped by voice, each group normalised and ended as a sentence."""
        if isinstance(runs, str):
            runs = (Run(runs),)
        groups: list[tuple[str, list[str]]] = []
        for run in runs:
            if run.note is not None or not run.text:
                continue
            voice = self.voice_for(run.lang)
            text = run.text.replace("\n", " ")
            if groups and groups[-1][0] == voice:
                groups[-1][1].append(text)
            else:
                groups.append((voice, [text]))
        if prefix:
            groups.insert(0, (self.options.voice, [prefix]))
        if suffix:
            groups.append((self.options.voice, [suffix]))
        out = []
        for voice, texts in groups:
            text = "".join(texts)
            if voice == self.options.voice:
                text = normalise(text, self.options.pronunciations)
            else:
                text = re.sub(r"\s+", " ", text).strip()
            if text.strip(" .,;:"):
                out.append(Utterance(text, voice))
        if out:
            last = out[-1]
            out[-1] = Utterance(_end_sentence(last.text), last.voice)
        return tuple(out)

    def segment(self, kind: str, runs: Runs | str, pause_ms: int, prefix: str = "",
                suffix: str = "") -> Segment | None:
        utterances = self.utterances(runs, prefix, suffix)
        return Segment(kind, utterances, pause_ms) if utterances else None

    # ------------------------------------------------------------ reading units

    def unit_segment(self, unit: Unit) -> Segment | None:
        kind = unit.kind
        if kind == "heading":
            return self.segment(kind, unit.runs, PAUSE_AFTER_HEADING)
        if kind == "paragraph":
            return self.segment(kind, unit.runs, PAUSE_AFTER_PARAGRAPH)
        if kind == "list-item":
            return self.segment(kind, unit.runs, PAUSE_AFTER_LIST_ITEM,
                                prefix=self.list_label(unit) + " ")
        if kind == "quote-start":
            return self.segment(kind, "Quote.", 250)
        if kind == "attribution":
            return self.segment(kind, unit.runs, PAUSE_AFTER_PARAGRAPH, prefix="Quote from: ")
        if kind == "quote-end":
            return self.segment(kind, "End of quote.", PAUSE_AFTER_PARAGRAPH)
        if kind == "figure":
            caption = runs_text(unit.runs).strip()
            return self.segment(kind, unit.runs, PAUSE_AFTER_PARAGRAPH,
                                prefix=_end_sentence(f"Image: {unit.alt}") + (" " if caption else ""))
        if kind == "table-start":
            return self.table_start(unit)
        if kind == "table-row":
            return self.table_row(unit)
        if kind == "table-end":
            return self.segment(kind, "End of table.", PAUSE_AFTER_PARAGRAPH)
        if kind == "note":
            return self.segment(kind, unit.runs, PAUSE_AFTER_PARAGRAPH, prefix="Note: ")
        if kind == "rule":
            return Segment(kind, (), PAUSE_FOR_RULE)
        return None               # page breaks: audio has no pages

    @staticmethod
    def list_label(unit: Unit) -> str:
        number, count = unit.position
        item = "Item" if unit.level <= 1 else "Sub-item"
        if unit.label.endswith(".") and unit.label[:-1].isdigit() and int(unit.label[:-1]) != number:
            return f"Number {unit.label[:-1]}."   # an ordered list that starts elsewhere
        return f"{item} {number} of {count}."

    def table_start(self, unit: Unit) -> Segment | None:
        self._table_row = 0
        rows = len(unit.table.body_rows) if unit.table is not None else 0
        caption = runs_text(unit.runs).strip()
        about = f"Table with {rows} {'row' if rows == 1 else 'rows'}, read row by row."
        if caption:
            stop = "" if caption[-1] in ".!?:;" else "."
            return self.segment(unit.kind, unit.runs, PAUSE_AFTER_TABLE_ROW,
                                suffix=f"{stop} {about}")
        return self.segment(unit.kind, about, PAUSE_AFTER_TABLE_ROW)

    def table_row(self, unit: Unit) -> Segment | None:
        self._table_row += 1
        runs: list[Run] = []
        if unit.row_header:
            runs.extend(unit.row_header)
        else:
            runs.append(Run(f"Row {self._table_row}"))
        for cell in unit.cells:
            runs.append(Run(". "))
            if cell.header:
                runs.append(Run(f"{cell.header}: "))
            runs.extend(cell.runs)
        return self.segment(unit.kind, tuple(runs), PAUSE_AFTER_TABLE_ROW)

    # ------------------------------------------------------------ opening and closing

    def opening(self, running_time: str, chapters: int, tracks: int) -> tuple[Segment, ...]:
        meta = self.doc.meta
        title = _end_sentence(meta.title) + (" " + _end_sentence(meta.subtitle)
                                             if meta.subtitle else "")
        details = []
        if meta.publisher:
            details.append(f"Published by {meta.publisher}{self.spoken_date()}.")
        elif meta.date:
            details.append(f"Published{self.spoken_date()}.")
        if meta.authors:
            details.append(f"Written by {', '.join(meta.authors)}.")
        details.append(f"Running time: {running_time}.")
        navigation = (f"This recording has {chapters} {'chapter' if chapters == 1 else 'chapters'}, "
                      "one for each heading. In players that support chapters you can skip "
                      "from one to the next.")
        if tracks > 1:
            navigation += f" Each main section is also a separate track, {tracks} in all."
        parts = [self.segment("opening", title, 700),
                 self.segment("opening", " ".join(details), 600),
                 self.segment("opening", navigation, PAUSE_BETWEEN_CHAPTERS)]
        return tuple(p for p in parts if p is not None)

    def spoken_date(self) -> str:
        date = self.doc.meta.date.strip()
        if re.fullmatch(r"\d{4}", date):
            return f" in {date}"
        if re.fullmatch(r"\d{4}-\d{2}", date):
            year, month = date.split("-")
            return f" in {MONTHS[int(month) - 1]} {year}" if 1 <= int(month) <= 12 else ""
        return f" on {date}" if date else ""

    def closing(self) -> Segment:
        segment = self.segment("closing", f"End of {self.doc.meta.title}.", PAUSE_AT_END)
        assert segment is not None
        return segment


def running_time_words(seconds: float) -> str:
    """'about one hour and five minutes', 'about twelve minutes', 'under one minute'."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "under one minute"
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{words(hours)} {'hour' if hours == 1 else 'hours'}")
    if minutes:
        parts.append(f"{words(minutes)} {'minute' if minutes == 1 else 'minutes'}")
    return "about " + " and ".join(parts)


def body_parts(writer: ScriptWriter) -> tuple[list[Segment], list[Part]]:
    """(segments before the first heading, one Part per heading that starts a part)."""
    options = writer.options
    part_level = max(options.chapter_levels, options.split_level)
    preamble: list[Segment] = []
    parts: list[tuple[Unit, list[Segment]]] = []
    for unit in reading_order(writer.doc, notes="paragraph"):
        if unit.kind == "heading" and unit.level <= part_level and \
                isinstance(writer.doc.blocks[unit.block_index], Heading):
            parts.append((unit, []))
        segment = writer.unit_segment(unit)
        if segment is None:
            continue
        segment = replace(segment, source=unit)
        target = parts[-1][1] if parts else preamble
        if segment.kind == "heading" and target and target[-1].kind != "heading":
            # a heading inside a part: a pause before it as well as after
            last = target[-1]
            target[-1] = replace(last, pause_ms=max(last.pause_ms, PAUSE_BEFORE_HEADING))
        if segment.kind == "rule":
            if target:
                last = target[-1]
                target[-1] = replace(last, pause_ms=last.pause_ms + segment.pause_ms)
            continue
        target.append(segment)
    out = []
    for unit, segments in parts:
        if segments:
            last = segments[-1]
            segments[-1] = replace(last, pause_ms=PAUSE_BETWEEN_CHAPTERS)
        out.append(Part(runs_text(unit.runs).strip(), unit.level,
                        unit.level <= options.chapter_levels, tuple(segments)))
    return preamble, out


def build_tracks(doc: Document, options: ScriptOptions, voice_for: VoiceFor,
                 running_time: str) -> tuple[Track, ...]:
    """The whole script as tracks: the opening (with the running time given) and the sections."""
    writer = ScriptWriter(doc, options, voice_for)
    preamble, parts = body_parts(writer)
    if parts:
        last = parts[-1]
        parts[-1] = Part(last.title, last.level, last.chapter,
                         last.segments + (writer.closing(),))
    else:
        preamble.append(writer.closing())
    grouped: list[list[Part]] = []
    for part in parts:
        if part.level <= options.split_level or not grouped:
            grouped.append([part])
        else:
            grouped[-1].append(part)
    chapters = 1 + sum(part.chapter for part in parts)
    opening = writer.opening(running_time, chapters, len(grouped) + 1)
    opening_part = Part(doc.meta.title, 0, True, opening + tuple(preamble))
    tracks = [Track(1, doc.meta.title, "01-opening", (opening_part,))]
    width = 2 if len(grouped) < 99 else 3
    for number, group in enumerate(grouped, start=2):
        tracks.append(Track(number, group[0].title,
                            f"{number:0{width}d}-{_slug(group[0].title)}", tuple(group)))
    if width == 3:
        tracks[0] = Track(1, doc.meta.title, "001-opening", (opening_part,))
    return tuple(tracks)



def script_text(tracks: tuple[Track, ...]) -> str:
    """The spoken script as plain text: a paragraph per segment, headings set apart."""
    lines: list[str] = []
    for track in tracks:
        for part in track.parts:
            for segment in part.segments:
                if segment.utterances:
                    lines.append(segment.text)
                    lines.append("")
    return "\n".join(lines).rstrip() + "\n"
