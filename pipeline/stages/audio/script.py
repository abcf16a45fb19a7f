"""The speech script: what is said, in which voice and language, with which pauses, in which
parts and tracks.

The reading order (pipeline/reading.py, shared with braille) decides *what* the listener meets;
this module decides how each unit sounds, the way a narrator reads a report aloud:
- a heading, then a pause that is longer for a higher level;
- a list announced once ("A list of 5 items."), its items read with their numbers only when the
  list is ordered, a short pause between items;
- a table introduced with its caption and size, then row by row as "header: value" pairs;
- a figure's caption and description, or "Figure 1, described in the text." when the
  description only repeats what was just read;
- quotes introduced and closed with a pause around them; the lines of an address or a poem
  with a pause between them;
- notes where the listener expects them (after the paragraph, or at the end of the section);
- passages in another language in that language's voice, the language kept on the utterance.
Every word the audio adds comes from pipeline/i18n.py in the report's language.

Structure: a Script is a sequence of Tracks (one per top-level section by default, plus the
opening), each Track a sequence of Parts (one per chapter-level heading), each Part a sequence
of Segments (a unit of speech followed by a pause), each Segment one or more Utterances (runs in
one voice and language).

A report whose only level-1 heading is its title (the title, then level-2 chapters) is read as
if its level-2 headings were its top level: the title heading joins the opening, and each
level-2 section is a track and a top-level chapter.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from num2words import num2words

from ...document import Document, Heading
from ...i18n import Words, primary_language, words_for
from ...reading import NotePlacement, Run, Runs, Unit, reading_order, runs_text
from .normalise import normalise, supported_language, vocabulary_of

# Pauses in milliseconds. espeak pauses only at punctuation, so structure is carried by silence.
PAUSE_AFTER_HEADING = {1: 1300, 2: 1000, 3: 800}  # by level relative to the top; deeper: 650
PAUSE_AFTER_DEEP_HEADING = 650
PAUSE_BEFORE_HEADING = 900
PAUSE_BETWEEN_CHAPTERS = 1400
PAUSE_AFTER_PARAGRAPH = 500
PAUSE_AFTER_LIST_ANNOUNCEMENT = 350
PAUSE_AFTER_LIST_ITEM = 400
PAUSE_AFTER_TABLE_ROW = 350
PAUSE_BETWEEN_LINES = 350  # the lines of an address or a poem
PAUSE_AROUND_QUOTE = 500
PAUSE_FOR_RULE = 1000
PAUSE_AT_END = 1500
DUPLICATE_DESCRIPTION = 0.7  # share of a description's words just heard: "described in
# the text" instead of reading it again
DUPLICATE_WINDOW = 160  # how many words back "just heard" reaches (a short table and
# the paragraph before it)

SKIP_CHAPTERS = "In players that show chapters you can skip from one heading to the next."

VoiceFor = Callable[[str | None], str]  # a run's language (None: the document's) -> voice id


@dataclass(frozen=True)
class Utterance:
    text: str
    voice: str
    lang: str | None = None  # BCP 47 when the passage is in another language than the report


@dataclass(frozen=True)
class Segment:
    kind: str  # the reading unit kind, or "opening"/"closing"/"list-start"
    utterances: tuple[Utterance, ...]
    pause_ms: int  # silence after the speech
    pause_kind: str = ""  # why the pause: "heading-1", "list-item", "line", "quote"...
    source: Unit | None = field(default=None, compare=False)  # the reading unit it says
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
    title: str  # the heading's text (the document title for the opening)
    level: int  # heading level; 0 for the opening
    chapter: bool  # gets an ID3 chapter
    segments: tuple[Segment, ...]
    depth: int = 1  # place in the chapter tree: 1 top-level, 2 its sections, ...
    heading_id: str = ""  # the heading's id in the document ("" for the opening)


@dataclass(frozen=True)
class Track:
    number: int  # 1-based
    title: str
    slug: str  # for the file name: "02-introduction"
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class ScriptOptions:
    voice: str
    chapter_levels: int  # heading levels that become chapters, counted from the top
    split_level: int  # headings of this level (from the top) or higher start a track
    pronunciations: tuple[tuple[str, str], ...] = field(default=())
    notes: str = "paragraph"  # "paragraph": after the paragraph; "section": end of section
    short_sums: bool = False  # "one point one eight million pounds"
    rate: int = 175  # words per minute, stated in the opening


def top_level(doc: Document) -> int:
    """1, or 2 when the report's only level-1 heading is its title, before every other heading."""
    levels = [b.level for b in doc.blocks if isinstance(b, Heading)]
    if levels.count(1) == 1 and levels[0] == 1 and any(level == 2 for level in levels):
        return 2
    return 1


def _end_sentence(text: str) -> str:
    text = text.strip()
    if text and text[-1] not in ".!?:;":
        text += "."
    return text


def _slug(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "section"


def _content_words(text: str) -> list[str]:
    return [
        w
        for w in re.findall(r"[\w£$€.,%]+", text.lower().replace(",", ""))
        if len(w) > 3 or any(c.isdigit() for c in w)
    ]


def repeats(description: str, heard: str) -> bool:
    """True when most of a description's content words (and all its numbers) were just heard."""
    said = _content_words(description)
    if not said:
        return False
    before = set(_content_words(heard))
    numbers = [w.strip(".") for w in said if any(c.isdigit() for c in w)]
    if any(n not in {b.strip(".") for b in before} for n in numbers):
        return False
    return (
        sum(w.strip(".") in {b.strip(".") for b in before} for w in said) / len(said) >= DUPLICATE_DESCRIPTION
    )


def number_words(n: int, language: str) -> str:
    lang = "cy" if language == "cy" else "en_GB"
    return num2words(n, lang=lang)


class ScriptWriter:
    """Turns reading units into segments for one document."""

    def __init__(self, doc: Document, options: ScriptOptions, voice_for: VoiceFor):
        self.doc = doc
        self.options = options
        self.voice_for = voice_for
        self.language = primary_language(doc.meta.language)
        self._ = words_for(doc.meta.language)
        self.top = top_level(doc)
        self.vocabulary = vocabulary_of(
            " ".join(
                [doc.meta.title, doc.meta.publisher, doc.meta.subtitle]
                + [runs_text(u.runs) for u in reading_order(doc)]
            )
        )
        self._table_row = 0
        self._figures = 0
        self._recent: list[str] = []  # the source words last said, for figures

    @property
    def words(self) -> Words:
        return self._

    # ------------------------------------------------------------ text to utterances

    def speak(self, text: str, lang: str | None) -> str:
        """Normalised for its language when the normaliser knows it; else spaces tidied."""
        language = supported_language(lang or self.doc.meta.language)
        if language is None:
            return re.sub(r"\s+", " ", text).strip()
        return normalise(
            text,
            self.options.pronunciations,
            vocabulary=self.vocabulary,
            short_sums=self.options.short_sums,
            language=language,
        )

    def utterances(self, runs: Runs | str, prefix: str = "", suffix: str = "") -> tuple[Utterance, ...]:
        """Runs grouped by language, each group normalised and ended as a sentence."""
        if isinstance(runs, str):
            runs = (Run(runs),)
        groups: list[tuple[str | None, list[str]]] = []
        for run in runs:
            if run.note is not None or not run.text:
                continue
            lang = run.lang if run.lang and primary_language(run.lang) != self.language else None
            text = run.text.replace("\n", " ")
            if groups and groups[-1][0] == lang:
                groups[-1][1].append(text)
            else:
                groups.append((lang, [text]))
        out: list[Utterance] = []
        for lang, texts in groups:
            text = self.speak("".join(texts), lang)
            if text.strip(" .,;:"):
                out.append(Utterance(text, self.voice_for(lang), lang))
        if prefix and out:
            # the words the audio adds, joined to the text they introduce when in its language
            said = self.speak(prefix, None)
            first = out[0]
            out[0:1] = (
                [Utterance(f"{said} {first.text}", first.voice, None)]
                if first.lang is None
                else [Utterance(said, self.voice_for(None)), first]
            )
        elif prefix:
            out = [Utterance(self.speak(prefix, None), self.voice_for(None))]
        if suffix:
            said = self.speak(suffix, None)
            if out and out[-1].lang is None:
                last = out[-1]
                out[-1] = Utterance(f"{_end_sentence(last.text)} {said}", last.voice, None)
            elif out:
                last = out[-1]
                out[-1] = Utterance(_end_sentence(last.text), last.voice, last.lang)
                out.append(Utterance(said, self.voice_for(None)))
            else:
                out = [Utterance(said, self.voice_for(None))]
        out = [u for u in out if u.text.strip(" .,;:")]
        if out:
            last = out[-1]
            out[-1] = Utterance(_end_sentence(last.text), last.voice, last.lang)
        return tuple(out)

    def segment(
        self,
        kind: str,
        runs: Runs | str,
        pause_ms: int,
        prefix: str = "",
        suffix: str = "",
        pause_kind: str = "",
    ) -> Segment | None:
        utterances = self.utterances(runs, prefix, suffix)
        if not utterances:
            return None
        self.heard(runs_text(runs) if not isinstance(runs, str) else runs)
        return Segment(kind, utterances, pause_ms, pause_kind or kind)

    def heard(self, text: str) -> None:
        self._recent = (self._recent + text.split())[-DUPLICATE_WINDOW:]

    def lines(self, kind: str, runs: Runs, pause_ms: int, prefix: str = "") -> list[Segment]:
        """A paragraph with line breaks (an address, a poem): one segment per line, a pause
        between lines, the paragraph's own pause after the last."""
        pieces: list[list[Run]] = [[]]
        for run in runs:
            if run.text == "\n" and run.note is None:
                pieces.append([])
            else:
                pieces[-1].append(run)
        if len(pieces) == 1:
            segment = self.segment(kind, runs, pause_ms, prefix=prefix)
            return [segment] if segment else []
        out = []
        for index, piece in enumerate(pieces):
            segment = self.segment(
                kind,
                tuple(piece),
                PAUSE_BETWEEN_LINES,
                prefix=prefix if index == 0 else "",
                pause_kind="line",
            )
            if segment:
                out.append(segment)
        if out:
            last = out[-1]
            out[-1] = replace(last, pause_ms=pause_ms, pause_kind=kind)
        return out

    # ------------------------------------------------------------ reading units

    def heading_pause(self, level: int) -> int:
        return PAUSE_AFTER_HEADING.get(level - self.top + 1, PAUSE_AFTER_DEEP_HEADING)

    def unit_segments(self, unit: Unit) -> list[Segment]:
        _ = self._
        kind = unit.kind
        one = None
        if kind == "heading":
            one = self.segment(
                kind,
                tuple(Run(" ") if r.text == "\n" else r for r in unit.runs),
                self.heading_pause(unit.level),
                pause_kind=f"heading-{max(1, unit.level - self.top + 1)}",
            )
        elif kind == "paragraph":
            return self.lines(kind, unit.runs, PAUSE_AFTER_PARAGRAPH)
        elif kind == "list-item":
            return self.list_item(unit)
        elif kind == "quote-start":
            one = self.segment(kind, _("Quote."), PAUSE_AROUND_QUOTE, pause_kind="quote")
        elif kind == "attribution":
            one = self.segment(kind, unit.runs, PAUSE_AFTER_PARAGRAPH, prefix=_("Quote from:"))
        elif kind == "quote-end":
            one = self.segment(kind, _("End of quote."), PAUSE_AROUND_QUOTE, pause_kind="quote")
        elif kind == "figure":
            one = self.figure(unit)
        elif kind == "table-start":
            one = self.table_start(unit)
        elif kind == "table-row":
            one = self.table_row(unit)
        elif kind == "table-end":
            one = self.segment(kind, _("End of table."), PAUSE_AFTER_PARAGRAPH)
        elif kind == "note":
            one = self.segment(kind, unit.runs, PAUSE_AFTER_PARAGRAPH, prefix=_("Note {n}:", n=unit.label))
        elif kind == "rule":
            return [Segment(kind, (), PAUSE_FOR_RULE, "rule")]
        return [one] if one is not None else []  # page breaks: audio has no pages

    def list_item(self, unit: Unit) -> list[Segment]:
        out = []
        number, count = unit.position
        if number == 1:
            message = self._("A list of one item.") if count == 1 else self._("A list of {n} items.", n=count)
            announcement = self.segment("list-start", message, PAUSE_AFTER_LIST_ANNOUNCEMENT)
            if announcement:
                out.append(announcement)
        ordered = unit.label.endswith(".") and unit.label[:-1].isdigit()
        prefix = f"{unit.label[:-1]}." if ordered else ""
        out += self.lines(unit.kind, unit.runs, PAUSE_AFTER_LIST_ITEM, prefix=prefix)
        return out

    def figure(self, unit: Unit) -> Segment | None:
        _ = self._
        self._figures += 1
        caption = runs_text(unit.runs).strip()
        heard = " ".join(self._recent) + " " + caption  # the caption is said first
        numbered = re.match(r"(?i)(figure|ffigur)\s+\d+", caption)
        label = numbered.group(0) if numbered else _("Figure {n}", n=self._figures)
        if unit.alt and repeats(unit.alt, heard):
            if caption:
                return self.segment(
                    unit.kind, unit.runs, PAUSE_AFTER_PARAGRAPH, suffix=_("Described in the text.")
                )
            return self.segment(
                unit.kind, _("{figure}, described in the text.", figure=label), PAUSE_AFTER_PARAGRAPH
            )
        description = _end_sentence(_("Image: {description}", description=unit.alt)) if unit.alt else ""
        if caption:
            return self.segment(unit.kind, unit.runs, PAUSE_AFTER_PARAGRAPH, suffix=description)
        return self.segment(unit.kind, f"{label}. {description}", PAUSE_AFTER_PARAGRAPH)

    def table_start(self, unit: Unit) -> Segment | None:
        _ = self._
        self._table_row = 0
        table = unit.table
        rows = len(table.body_rows) if table is not None else 0
        columns = (
            max(
                (sum(max(1, c.colspan) for c in row) for row in (table.header_rows + table.body_rows)),
                default=0,
            )
            if table is not None
            else 0
        )
        rows_said = _("one row") if rows == 1 else _("{n} rows", n=rows)
        columns_said = _("one column") if columns == 1 else _("{n} columns", n=columns)
        caption = runs_text(unit.runs).strip()
        if caption:
            return self.segment(
                unit.kind,
                unit.runs,
                PAUSE_AFTER_TABLE_ROW,
                prefix=_("Table:"),
                suffix=_("{rows} and {columns}, read row by row.", rows=rows_said, columns=columns_said),
            )
        return self.segment(
            unit.kind,
            _("A table of {rows} and {columns}, read row by row.", rows=rows_said, columns=columns_said),
            PAUSE_AFTER_TABLE_ROW,
        )

    def table_row(self, unit: Unit) -> Segment | None:
        self._table_row += 1
        runs: list[Run] = []
        if unit.row_header:
            runs.extend(unit.row_header)
        else:
            runs.append(Run(self._("Row {n}", n=self._table_row)))
        for cell in unit.cells:
            runs.append(Run(". "))
            if cell.header:
                runs.append(Run(f"{cell.header}: "))
            runs.extend(cell.runs)
        return self.segment(unit.kind, tuple(runs), PAUSE_AFTER_TABLE_ROW)

    # ------------------------------------------------------------ opening and closing

    def opening(self, running_time: str, chapters: int, tracks: int) -> tuple[Segment, ...]:
        _ = self._
        meta = self.doc.meta
        title = _end_sentence(meta.title) + (" " + _end_sentence(meta.subtitle) if meta.subtitle else "")
        details = []
        date = self.spoken_date()
        on_a_day = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta.date.strip()))
        if meta.publisher and date:
            details.append(
                _("Published by {publisher} on {date}.", publisher=meta.publisher, date=date)
                if on_a_day
                else _("Published by {publisher} in {date}.", publisher=meta.publisher, date=date)
            )
        elif meta.publisher:
            details.append(_("Published by {publisher}.", publisher=meta.publisher))
        elif date:
            details.append(
                _("Published on {date}.", date=date) if on_a_day else _("Published in {date}.", date=date)
            )
        if meta.authors:
            authors = list(meta.authors)
            names = (
                authors[0]
                if len(authors) == 1
                else _("{first} and {last}", first=", ".join(authors[:-1]), last=authors[-1])
            )
            details.append(_("Written by {authors}.", authors=names))
        voice = _(
            "This audio version is read by a synthetic voice, at {rate} words a minute.",
            rate=self.options.rate,
        )
        details.append(_("Running time: {time}.", time=running_time))
        navigation = (
            _("This recording has one chapter.")
            if chapters == 1
            else _("This recording has {n} chapters, one for each heading.", n=chapters)
        )
        navigation += " " + _(SKIP_CHAPTERS)
        if tracks > 1:
            navigation += " " + _("Each main section is also a separate track, {n} in all.", n=tracks)
        parts = [
            self.segment("opening", title, 700, pause_kind="opening"),
            self.segment("opening", voice, 500, pause_kind="opening"),
            self.segment("opening", " ".join(details), 600, pause_kind="opening"),
            self.segment("opening", navigation, PAUSE_BETWEEN_CHAPTERS, pause_kind="chapter"),
        ]
        return tuple(p for p in parts if p is not None)

    def spoken_date(self) -> str:
        """The publication date as the report's locale writes it ('15 March 2024'); a year or
        year and month as written. The normaliser then says it ('the fifteenth of March ...')."""
        date = self.doc.meta.date.strip()
        if re.fullmatch(r"\d{4}-\d{2}", date):
            return self._.date(date + "-01").split(" ", 1)[1]
        return self._.date(date) if date else ""

    def closing(self) -> Segment:
        segment = self.segment("closing", self._("End of {title}.", title=self.doc.meta.title), PAUSE_AT_END)
        assert segment is not None
        return segment


def running_time_words(seconds: float, language: str = "en") -> str:
    """'about one hour and five minutes', 'about twelve minutes', 'under one minute'."""
    _ = words_for(language)
    code = primary_language(language)
    minutes = round(seconds / 60)
    if minutes < 1:
        return _("under one minute")
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(_("one hour") if hours == 1 else _("{n} hours", n=number_words(hours, code)))
    if minutes:
        parts.append(_("one minute") if minutes == 1 else _("{n} minutes", n=number_words(minutes, code)))
    duration = parts[0] if len(parts) == 1 else _("{first} and {last}", first=parts[0], last=parts[1])
    return _("about {duration}", duration=duration)


def _with_pause(segment: Segment, pause_ms: int, kind: str | None = None) -> Segment:
    return replace(segment, pause_ms=pause_ms, pause_kind=kind or segment.pause_kind)


def body_parts(writer: ScriptWriter) -> tuple[list[Segment], list[Part]]:
    """(segments before the first part, one Part per heading that starts a part)."""
    options = writer.options
    top = writer.top
    chapter_level = top + options.chapter_levels - 1
    part_level = max(chapter_level, top + options.split_level - 1)
    notes: NotePlacement = "section" if options.notes == "section" else "paragraph"
    preamble: list[Segment] = []
    parts: list[tuple[Unit, list[Segment]]] = []
    title_seen = False
    for unit in reading_order(writer.doc, notes=notes, section_level=part_level):
        is_heading = unit.kind == "heading" and isinstance(writer.doc.blocks[unit.block_index], Heading)
        if is_heading and top == 2 and unit.level == 1 and not title_seen:
            # The report's title heading: part of the opening, said only if it differs.
            title_seen = True
            if runs_text(unit.runs).strip() == writer.doc.meta.title.strip():
                continue
        elif is_heading and top <= unit.level <= part_level:
            parts.append((unit, []))
        target = parts[-1][1] if parts else preamble
        for segment in writer.unit_segments(unit):
            segment = replace(segment, source=unit)
            if segment.kind == "heading" and target and target[-1].kind != "heading":
                # a heading inside a part: a pause before it as well as after
                last = target[-1]
                target[-1] = _with_pause(last, max(last.pause_ms, PAUSE_BEFORE_HEADING))
            if segment.kind == "rule":
                if target:
                    last = target[-1]
                    target[-1] = _with_pause(last, last.pause_ms + segment.pause_ms, "rule")
                continue
            target.append(segment)
    out = []
    for unit, segments in parts:
        if segments:
            segments[-1] = _with_pause(segments[-1], PAUSE_BETWEEN_CHAPTERS, "chapter")
        out.append(
            Part(
                runs_text(unit.runs).replace("\n", " ").strip(),
                unit.level,
                unit.level <= chapter_level,
                tuple(segments),
                depth=unit.level - top + 1,
                heading_id=unit.label,
            )
        )
    return preamble, out


def build_tracks(
    doc: Document, options: ScriptOptions, voice_for: VoiceFor, running_time: str
) -> tuple[Track, ...]:
    """The whole script as tracks: the opening (with the running time given) and the sections."""
    writer = ScriptWriter(doc, options, voice_for)
    preamble, parts = body_parts(writer)
    if parts:
        last = parts[-1]
        parts[-1] = Part(
            last.title,
            last.level,
            last.chapter,
            last.segments + (writer.closing(),),
            last.depth,
            last.heading_id,
        )
    else:
        preamble.append(writer.closing())
    split_level = writer.top + options.split_level - 1
    grouped: list[list[Part]] = []
    for part in parts:
        if part.level <= split_level or not grouped:
            grouped.append([part])
        else:
            grouped[-1].append(part)
    chapters = 1 + sum(part.chapter for part in parts)
    opening = writer.opening(running_time, chapters, len(grouped) + 1)
    opening_part = Part(doc.meta.title, 0, True, opening + tuple(preamble), depth=1)
    width = 2 if len(grouped) < 99 else 3
    tracks = [Track(1, doc.meta.title, f"{1:0{width}d}-opening", (opening_part,))]
    for number, group in enumerate(grouped, start=2):
        tracks.append(
            Track(number, group[0].title, f"{number:0{width}d}-{_slug(group[0].title)}", tuple(group))
        )
    return tuple(tracks)


def with_running_time(
    doc: Document, options: ScriptOptions, voice_for: VoiceFor, tracks: tuple[Track, ...], running_time: str
) -> tuple[Track, ...]:
    """build_tracks' tracks with the opening stating another running time: the same as
    building them again with it (the opening's segments are the same four whatever the time
    says), without saying the whole report's script again (0.14 s of a 10,000-word report's
    0.16 s), which the audio stage does for each running time it tries."""
    writer = ScriptWriter(doc, options, voice_for)
    chapters = 1 + sum(part.chapter for track in tracks[1:] for part in track.parts)
    opening = writer.opening(running_time, chapters, len(tracks))
    first = tracks[0].parts[0]
    preamble = first.segments[len(opening) :]
    return (replace(tracks[0], parts=(replace(first, segments=opening + preamble),)), *tracks[1:])


def script_text(tracks: tuple[Track, ...]) -> str:
    """The spoken script as plain text: a paragraph per segment, headings set apart; a passage
    in another language is marked with its language, "[cy: Diolch yn fawr]"."""
    lines: list[str] = []
    for track in tracks:
        for part in track.parts:
            for segment in part.segments:
                if segment.utterances:
                    lines.append(segment_text(segment))
                    lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def segment_text(segment: Segment) -> str:
    text = ""
    for utterance in segment.utterances:
        said = f"[{utterance.lang}: {utterance.text}]" if utterance.lang else utterance.text
        joiner = "" if not text or said[:1] in ".,;:!?" else " "
        text += joiner + said
    return text
