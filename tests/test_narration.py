"""The shared narration: sentences, ids tied to blocks, long sentences, languages, clip times,
and a failed synthesis that names the sentence's place."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fixture_document import long_section_document

from pipeline import narration
from pipeline.document import Document, Heading, Metadata, Paragraph, Span, Text
from pipeline.narration import (
    NarratedSection,
    Narration,
    TimedItem,
    plan_sections,
    section_clips,
    split_long,
    split_sentences,
)
from pipeline.stages.audio import AudioOptions, _tracks, voice_chooser
from pipeline.stages.audio.assemble import TrackJob, render_tracks
from pipeline.stages.audio.synth import SynthesisError


def test_split_sentences_keeps_every_word_and_respects_abbreviations():
    text = "We met Dr. Jones in May. She said: “Yes!” Then we left… Costs were £1.5m, e.g. rent."
    sentences = split_sentences(text)
    assert sentences == [
        "We met Dr. Jones in May.",
        "She said: “Yes!”",
        "Then we left…",
        "Costs were £1.5m, e.g. rent.",
    ]
    assert " ".join(sentences) == text


def test_split_long_cuts_at_clauses_under_the_limit():
    clause = "we asked the people who came what they wanted from the day"
    sentence = ", ".join([clause] * 30) + "."  # 360 words: about two minutes
    pieces = split_long(sentence, rate=175)
    assert len(pieces) >= 3
    assert all(narration.spoken_seconds(p, 175) <= 60 for p in pieces)
    assert " ".join(pieces) == sentence
    assert all(p.endswith(",") or p.endswith(".") for p in pieces)  # at clause boundaries
    assert split_long("A short one.", rate=175) == ["A short one."]


def _doc(blocks) -> Document:
    return Document(Metadata(title="Plan Test", language="en-GB"), tuple(blocks))


def _plans(doc: Document):
    options = AudioOptions()
    tracks = _tracks(doc, options, "about one minute")
    return plan_sections(doc, tracks, options.rate, voice_chooser(doc, options))


def test_ids_are_tied_to_blocks_and_sentences():
    doc = _doc(
        [
            Heading(1, (Text("Start"),), "start"),
            Paragraph((Text("First we met. Then we talked."),)),
            Paragraph((Text("We paid 12 people £40 each."),)),
        ]
    )
    items = [item for plan in _plans(doc) for item in plan.items()]
    by_id = {item.id: item for item in items}
    assert by_id["open-1"].kind == "title"
    assert (by_id["s0-1"].kind, by_id["s0-1"].display, by_id["s0-1"].anchor) == ("heading", "Start", "start")
    assert by_id["s1-1"].display == "First we met." and by_id["s1-2"].display == "Then we talked."
    assert not by_id["s1-2"].unit_start and by_id["s1-1"].unit_start
    # shown as written, spoken as words
    assert by_id["s2-1"].display == "We paid 12 people £40 each."
    assert "forty pounds" in by_id["s2-1"].spoken[0].text
    assert _plans(doc) == _plans(doc)  # the same ids every build


def test_another_language_is_spoken_in_its_voice_and_carries_its_lang():
    doc = _doc(
        [
            Heading(1, (Text("Croeso"),), "croeso"),
            Paragraph((Span((Text("Diolch yn fawr iawn. Mae hi'n braf."),), "cy"),)),
            Paragraph((Text("Back in English."),)),
        ]
    )
    items = {item.id: item for plan in _plans(doc) for item in plan.items()}
    welsh = [items["s1-1"], items["s1-2"]]
    assert all(item.lang == "cy" for item in welsh)
    assert all(piece.voice == "cel/cy" for item in welsh for piece in item.spoken)
    assert items["s2-1"].lang == "en-GB" and items["s2-1"].spoken[0].voice == "gmw/en"


def test_clips_are_contiguous_and_inside_the_section():
    items = (
        TimedItem("a", 0, "heading", 1, "A", "en", 0.0, 1.0),
        TimedItem("b", 1, "paragraph", 0, "B", "en", 1.8, 4.0),
        TimedItem("c", 1, "paragraph", 0, "C", "en", 4.2, 6.0),
    )
    section = NarratedSection(1, "A", "audio/01-a.mp3", 7.5, 0.0, items)
    clips = section_clips(section)
    assert [(c.begin, c.end) for c in clips] == [(0.0, 1.8), (1.8, 4.2), (4.2, 7.5)]
    assert sum(c.end - c.begin for c in clips) == pytest.approx(7.5)


def test_narration_round_trips(tmp_path):
    item = TimedItem("s0-1", 0, "heading", 1, "Start", "en-GB", 0.0, 1.2, 3, "start")
    original = Narration(
        "T",
        "en-GB",
        "espeak-ng",
        "gmw/en",
        175,
        (NarratedSection(1, "T", "audio/01-t.mp3", 2.0, 0.0, (item,)),),
    )
    path = tmp_path / "t.narration.json"
    original.write(path)
    read = Narration.read(path)
    assert read == original and read.folder == tmp_path
    assert narration.clock(74.3712) == "0:01:14.371"
    assert narration.clock(897.6, fraction=False) == "00:14:58"


def test_failed_synthesis_names_the_sentence_and_its_place(tmp_path):
    doc = _doc(
        [
            Heading(1, (Text("Start"),), "start", line=7),
            Paragraph((Text("This one cannot be said."),), line=9),
        ]
    )
    plans = _plans(doc)
    options = AudioOptions()
    tracks = _tracks(doc, options, "about one minute")
    broken = narration.SectionPlan(
        plans[1].number,
        plans[1].title,
        plans[1].slug,
        tuple(
            narration.PlanPart(
                part.title,
                part.level,
                part.chapter,
                tuple(
                    narration.PlanSegment(
                        tuple(
                            narration.Item(
                                i.id,
                                i.block,
                                i.kind,
                                i.level,
                                i.display,
                                i.lang,
                                tuple(
                                    narration.Spoken(p.text, "zz/no-such-voice") if i.block == 1 else p
                                    for p in i.spoken
                                ),
                                i.line,
                            )
                            for i in segment.items
                        ),
                        segment.pause_ms,
                    )
                    for segment in part.segments
                ),
            )
            for part in plans[1].parts
        ),
    )
    job = TrackJob(tracks[1], options.rate, options.bitrate, str(tmp_path / "t.mp3"), broken, "report.md")
    with pytest.raises(SynthesisError) as caught:
        render_tracks([job], workers=1)  # in a speech worker process, as in a build
    message = str(caught.value)
    assert "report.md line 9" in message and "s1-1" in message and "zz/no-such-voice" in message


def _jobs(tmp_path, folder: str = "tracks") -> list[TrackJob]:
    doc = _doc(
        [
            Heading(1, (Text("Start"),), "start", line=1),
            Paragraph((Text("The first section says this, and then it stops."),), line=3),
            Heading(1, (Text("Then"),), "then", line=5),
            Paragraph((Text("A second section, with other words in it, said after."),), line=7),
        ]
    )
    return _jobs_of(doc, tmp_path / folder)


def _jobs_of(doc: Document, out: Path) -> list[TrackJob]:
    """A job for each of the document's tracks, as the audio stage makes them, into `out`."""
    options = AudioOptions()
    tracks = _tracks(doc, options, "about one minute")
    out.mkdir(exist_ok=True)
    return [
        TrackJob(track, options.rate, options.bitrate, str(out / f"{track.slug}.mp3"), plan, "report.md")
        for track, plan in zip(tracks, _plans(doc))
    ]


def _speech_workers() -> list[str]:
    """The speech worker processes this test process started, and their children."""
    import os

    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue
        if "pipeline.stages.audio.worker" in command and int(stat[1]) == os.getpid():
            found.append(command)
    return found


def test_every_track_is_said_by_a_process_that_has_never_spoken(tmp_path):
    """espeak carries state from one utterance to the next, so one speech worker saying track 2
    after track 1, or track 1 again after track 2, must give the bytes a worker gives that says
    nothing else: each track is said in a fresh child of the worker."""
    first, second = _jobs(tmp_path, "a")[1:3]
    alone = render_tracks([first], workers=1)[0]
    alone_bytes = Path(alone.mp3_path).read_bytes()
    again_first, again_second = _jobs(tmp_path, "b")[1:3]
    both = render_tracks([again_second, again_first], workers=1)
    assert Path(both[1].mp3_path).read_bytes() == alone_bytes
    assert both[1].item_spans == alone.item_spans and both[1].mp3_samples == alone.mp3_samples
    assert not _speech_workers()


def test_a_speech_worker_that_fails_names_the_track_and_says_why(tmp_path):
    """A track whose child cannot write its audio (here: its folder has gone) fails with the
    child's own error, and the other tracks' worker is not left running."""
    jobs = _jobs(tmp_path)
    gone = replace(jobs[2], mp3_path=str(tmp_path / "no-such-folder" / "t.mp3"))
    with pytest.raises(SynthesisError) as caught:
        render_tracks([jobs[1], gone], workers=2)
    message = str(caught.value)
    assert "track 3 ('Then')" in message and "FileNotFoundError" in message and "no-such-folder" in message
    assert not _speech_workers()


def test_a_long_section_is_said_in_pieces_and_joined_with_every_clip_where_it_sounds(tmp_path):
    """A section of more than PIECE_WORDS words is said in pieces of whole parts, in turn on the
    workers, and joined. Every item's clip in the joined section, decoded, is sample for
    sample the same clip decoded from its piece alone: the times account for the encoder's
    delay at the start of each piece."""
    import miniaudio

    from pipeline.stages.audio import ENCODER_DELAY
    from pipeline.stages.audio.assemble import PIECE_WORDS, pieces_of, spoken_words

    section = _jobs_of(long_section_document(), tmp_path / "whole")[1]
    pieces = pieces_of(section)
    assert len(pieces) == 2 and all(spoken_words(p) >= PIECE_WORDS for p in pieces[:-1])
    assert [part for piece in pieces for part in piece.plan.parts] == list(section.plan.parts)
    assert pieces_of(pieces[0]) == [pieces[0]]
    [joined] = render_tracks([section], workers=2)
    alone = render_tracks(pieces_of(_jobs_of(long_section_document(), tmp_path / "pieces")[1]), workers=2)

    def decoded(path: str):
        return miniaudio.decode_file(
            path, output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=22050
        ).samples

    whole_samples = decoded(joined.mp3_path)
    assert len(whole_samples) == joined.mp3_samples == sum(p.mp3_samples for p in alone)
    spans = iter(joined.item_spans)
    moved = 0
    for piece in alone:
        piece_samples = decoded(piece.mp3_path)
        for item, begin, end in piece.item_spans:
            joined_item, joined_begin, joined_end = next(spans)
            assert (joined_item, joined_begin, joined_end) == (item, moved + begin, moved + end)
            clip = whole_samples[ENCODER_DELAY + joined_begin : ENCODER_DELAY + joined_end]
            assert clip == piece_samples[ENCODER_DELAY + begin : ENCODER_DELAY + end], item
        moved += piece.mp3_samples
    first_piece_parts = len(pieces[0].plan.parts)
    assert len(joined.part_offsets) == len(section.plan.parts)
    assert joined.part_offsets[first_piece_parts] == alone[0].mp3_samples
