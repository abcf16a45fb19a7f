"""The audio stage: real synthesis of the fixture document, read back with independent tools."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import wave
from dataclasses import replace
from pathlib import Path

import lameenc
import miniaudio
import pytest
from fixture_document import fixture_document, long_section_document
from mutagen.id3 import CHAP, ID3, TIT2

from pipeline.checks.audio import (
    ASR_SECONDS,
    ScriptModel,
    _decode_start,
    check_book,
    check_recognition,
    check_script,
    decode_levels,
    read_chapters,
    read_m3u8,
    recognise,
    script_model,
    script_problems,
    sentences_of,
)
from pipeline.document import Document, Figure, Heading, LineBreak, Metadata, Paragraph, Text
from pipeline.stage_api import BuildContext, make_options
from pipeline.stages import get
from pipeline.stages.audio import AudioOptions, _tracks, assemble, build, check, voice_chooser
from pipeline.stages.audio.assemble import mp3_decoded_samples
from pipeline.stages.audio.script import script_text
from pipeline.stages.audio.synth import BufferedEspeakDriver, Speaker, SynthesisError
from pipeline.stages.audio.tags import Chapter, write_book_tags

SLUG = "listening-together"
CHAPTERS = ["Listening Together", "Introduction", "What we did", "In pictures", "Money"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One real build of the fixture document, shared by the read-back tests."""
    root = tmp_path_factory.mktemp("audio")
    doc = fixture_document(root / "src")
    out = root / "out"
    out.mkdir()
    calls: list[tuple[int, int, str]] = []
    ctx = BuildContext(
        slug=SLUG,
        source=doc.source,
        workers=2,
        progress=lambda done, total, label: calls.append((done, total, label)),
    )
    options = AudioOptions()
    paths = build(doc, options, out, ctx)
    return doc, options, ctx, out, paths, calls


def _by_name(paths: list[Path]) -> dict[str, Path]:
    return {str(p.relative_to(p.parents[1] if p.parent.name == "audio" else p.parent)): p for p in paths}


# ---------------------------------------------------------------- outputs and the check


def test_outputs_named_and_typed(built):
    *_, paths, _ = built
    names = sorted(_by_name(paths))
    assert names == sorted(
        [
            f"{SLUG}.mp3",
            f"{SLUG}-script.txt",
            "audio/01-opening.mp3",
            "audio/02-introduction.mp3",
            "audio/03-money.mp3",
            f"audio/{SLUG}.m3u8",
            f"{SLUG}.narration.json",
        ]
    )
    stage = get("audio")
    assert stage.version == "4"
    assert {p.suffix for p in paths} <= set(stage.media_types)
    assert stage.media_types[".mp3"] == "audio/mpeg"


def test_read_back_check_passes(built):
    doc, options, ctx, _, paths, _ = built
    result = check(doc, options, paths, ctx)
    assert result.passed, result.findings
    assert result.metrics["chapters"] == 5
    assert result.metrics["chapter_depth"] == 3
    assert result.metrics["asr_precision_min"] >= 0.5
    assert result.metrics["quietest_chapter_rms"] > 1000
    assert result.metrics["script_recall"] >= 0.99
    assert abs(result.metrics["sections_seconds"] - result.metrics["duration_seconds"]) < 0.05


def test_mp3_is_cbr_mono_22050_and_tagged(built):
    _, _, _, out, _, _ = built
    book = out / f"{SLUG}.mp3"
    info = miniaudio.mp3_get_file_info(str(book))
    assert (info.sample_rate, info.nchannels) == (22050, 1)
    tag = ID3(str(book))
    assert tag.version[:2] == (2, 3)
    assert str(tag["TIT2"]) == "Listening Together"
    assert str(tag["TPE1"]) == "Example Co-production Charity"
    assert str(tag["TLAN"]) == "eng"
    assert "formats@example.org" in str(tag.getall("COMM")[0])
    # CBR: every frame the same bit rate, so size / bit rate gives the duration
    audio_bytes = book.stat().st_size - tag.size
    assert abs(audio_bytes * 8 / 48000 - info.duration) < 0.1


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe (ffmpeg) not installed")
def test_ffprobe_lists_chapters_in_order_with_titles(built):
    _, _, _, out, _, _ = built
    report = subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-show_format", "-of", "json", str(out / f"{SLUG}.mp3")],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(report.stdout)
    chapters = data["chapters"]
    assert [c["tags"]["title"] for c in chapters] == CHAPTERS
    starts = [float(c["start_time"]) for c in chapters]
    assert starts == sorted(starts) and starts[0] == 0
    duration = float(data["format"]["duration"])
    assert abs(float(chapters[-1]["end_time"]) - duration) < 0.1
    assert data["format"]["tags"]["title"] == "Listening Together"


def test_playlist_lists_sections_with_durations(built):
    _, _, _, out, _, _ = built
    lines = (out / "audio" / f"{SLUG}.m3u8").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#EXTM3U"
    entries = [line for line in lines if not line.startswith("#")]
    assert entries == ["01-opening.mp3", "02-introduction.mp3", "03-money.mp3"]
    infos = [line for line in lines if line.startswith("#EXTINF:")]
    assert [i.split(",", 1)[1] for i in infos] == ["Listening Together", "Introduction", "Money"]
    for info, entry in zip(infos, entries):
        decoded = miniaudio.mp3_get_file_info(str(out / "audio" / entry)).duration
        assert abs(int(info[len("#EXTINF:") :].split(",")[0]) - decoded) <= 1
        track = ID3(str(out / "audio" / entry))
        assert str(track["TALB"]) == "Listening Together" and "/3" in str(track["TRCK"])


def test_progress_reported_per_section(built):
    *_, calls = built
    assert calls[-1][:2] == (3, 3)
    assert {label for _, _, label in calls[1:]} == {"Listening Together", "Introduction", "Money"}


# ---------------------------------------------------------------- the spoken script


def test_speech_script(built):
    _, _, _, out, _, _ = built
    script = (out / f"{SLUG}-script.txt").read_text(encoding="utf-8")
    opening = script[: script.index("Introduction.")]
    for said in (
        "Listening Together.",
        "Published by Example Co-production Charity",
        "the first of March twenty twenty-four",
        "Running time: about two minutes",
        "5 chapters",
        "read by a synthetic voice, at 175 words a minute",
        "Written by Test Author and Second Author.",
    ):
        assert said in opening
    assert "\nIntroduction.\n" in script and "\nWhat we did.\n" in script
    assert "Table: Table 1: Sessions by kind. 2 rows and 3 columns, read row by row." in script
    assert "Training. Sessions: 21. People: 502." in script
    assert "Talks. Sessions: 19. People: 1,482." in script
    assert (
        "Figure 1: Sessions in twenty twenty-three. Image: Bar chart: 21 training sessions, "
        "19 talks and 11 co-creation sessions."
    ) in script
    assert "\nNote 1: Across five research bids.\n" in script
    # the note follows its paragraph, before the next one
    assert (
        script.index("fifty-four pence.")
        < script.index("Note 1: Across")
        < script.index("Read more at our impact page")
    )
    assert (
        "raised one million, one hundred and seventy-nine thousand, eight hundred and "
        "eighteen pounds and fifty-four pence."
    ) in script
    assert "thirty-five per cent more" in script
    # a list announced once; an unordered list's items without numbers, an ordered list's with
    assert "\nA list of 2 items.\n\nTraining sessions.\n\nA list of 2 items.\n\n1. Planning." in script
    assert "Item" not in script and "Sub-item" not in script
    assert "Quote." in script and "End of quote." in script
    assert "Quote from: A workshop participant." in script
    assert "our impact page" in script and "https://" not in script
    # the line break is a pause between lines, not words run together
    assert "[cy: diolch.]\n\nUse make all to build." in script
    assert script.rstrip().endswith("End of Listening Together.")
    assert "border" not in script  # decorative image skipped


def test_nested_chapter_tree_read_back_with_mutagen(built):
    """The top-level CTOC lists the opening and the level-1 chapters; 'Introduction' has a
    child CTOC holding 'What we did', which has one holding 'In pictures'."""
    _, _, _, out, _, _ = built
    tag = ID3(str(out / f"{SLUG}.mp3"))
    tocs = {f.element_id: f for f in tag.getall("CTOC")}
    chaps = {f.element_id: str(f.sub_frames["TIT2"]) for f in tag.getall("CHAP")}
    top = [toc for toc in tocs.values() if toc.flags & 0x02]
    assert len(top) == 1 and top[0].flags & 0x01

    def titled(ids):
        return [chaps.get(i) or ("toc:" + str(tocs[i].sub_frames["TIT2"])) for i in ids]

    assert titled(top[0].child_element_ids) == [
        "Listening Together",
        "Introduction",
        "toc:Introduction",
        "Money",
    ]
    introduction = tocs[top[0].child_element_ids[2]]
    assert titled(introduction.child_element_ids) == ["What we did", "toc:What we did"]
    what_we_did = tocs[introduction.child_element_ids[1]]
    assert titled(what_we_did.child_element_ids) == ["In pictures"]
    assert not what_we_did.flags & 0x02


def test_welsh_is_spoken_in_a_welsh_voice(doc):
    options = AudioOptions()
    assert voice_chooser(doc, options)("cy") == "cel/cy"
    tracks = _tracks(doc, options, "about two minutes")
    utterances = [u for t in tracks for p in t.parts for s in p.segments for u in s.utterances]
    assert [(u.voice, u.text) for u in utterances if u.lang == "cy"] == [("cel/cy", "diolch.")]
    assert {u.voice for u in utterances if u.lang is None} == {"gmw/en"}


# ---------------------------------------------------------------- determinism


def _serial_and_parallel(doc, ctx, tmp_path) -> dict[int, dict[Path, bytes]]:
    """Every output's bytes of a build with one worker and of one with two, by relative path."""
    outputs = {}
    for workers in (1, 2):
        out = tmp_path / f"workers-{workers}"
        out.mkdir()
        paths = build(doc, AudioOptions(), out, replace(ctx, workers=workers))
        outputs[workers] = {p.relative_to(out): p.read_bytes() for p in paths}
    return outputs


@pytest.mark.slow
def test_parallel_build_is_identical_to_serial(doc, ctx, tmp_path):
    outputs = _serial_and_parallel(doc, ctx, tmp_path)
    assert outputs[1].keys() == outputs[2].keys()
    for name in outputs[1]:
        assert outputs[1][name] == outputs[2][name], name


# ---------------------------------------------------------------- broken files fail the check


def test_chapters_out_of_order_fail_the_check(built, tmp_path):
    doc, options, _, out, _, _ = built
    broken = tmp_path / f"{SLUG}.mp3"
    shutil.copyfile(out / f"{SLUG}.mp3", broken)
    tag = ID3(str(broken))
    chapters = sorted(tag.getall("CHAP"), key=lambda c: c.start_time)
    first, second = chapters[1], chapters[2]
    tag.delall("CHAP")
    # swap the times of two chapters: their titles now come out of order
    for chapter, (start, end) in zip(chapters, [(c.start_time, c.end_time) for c in chapters]):
        if chapter is first:
            start, end = second.start_time, second.end_time
        elif chapter is second:
            start, end = first.start_time, first.end_time
        tag.add(
            CHAP(element_id=chapter.element_id, start_time=start, end_time=end, sub_frames=chapter.sub_frames)
        )
    tag.save(str(broken), v2_version=3)
    findings, _ = check_book(doc, options.chapter_levels, broken)
    messages = " ".join(f.message for f in findings if f.severity == "error")
    assert "do not match" in messages


def test_silent_chapter_fails_the_check(built, tmp_path):
    """A book whose middle section is digital silence, tagged like a real one."""
    doc, _, _, out, _, _ = built
    pieces = [out / "audio" / "01-opening.mp3", None, out / "audio" / "03-money.mp3"]
    raw = []
    for piece in pieces:
        if piece is None:
            encoder = lameenc.Encoder()
            encoder.set_bit_rate(48)
            encoder.set_in_sample_rate(22050)
            encoder.set_channels(1)
            raw.append(bytes(encoder.encode(bytes(2 * 22050 * 5)) + encoder.flush()))
        else:
            data = piece.read_bytes()
            raw.append(data[ID3(str(piece)).size :])
    book = tmp_path / "silent.mp3"
    book.write_bytes(b"".join(raw))
    starts, position = [], 0
    for data in raw:
        starts.append(position)
        scratch = tmp_path / "piece.mp3"
        scratch.write_bytes(data)
        position += mp3_decoded_samples(scratch)
    times = [round(s * 1000 / 22050) for s in starts] + [round(position * 1000 / 22050)]
    titles = ["Listening Together", "Introduction", "Money"]
    write_book_tags(
        book, doc.meta, [Chapter(t, times[i], times[i + 1]) for i, t in enumerate(titles)], times[-1]
    )
    findings, _ = check_book(doc, 1, book)
    errors = [f.message for f in findings if f.severity == "error"]
    assert errors == [e for e in errors if "silent" in e] and len(errors) == 1
    assert "'Introduction' is silent" in errors[0]


def test_chap_frames_are_stored_in_time_order(built, tmp_path):
    """mutagen's own writer sorts CHAP frames by size; ours stores them by start time."""
    doc, _, _, out, _, _ = built
    chapters = [
        Chapter("A much longer first chapter title", 0, 1000),
        Chapter("Short", 1000, 2000),
        Chapter("Middling title", 2000, 3000),
    ]
    ours = tmp_path / "ours.mp3"
    shutil.copyfile(out / "audio" / "03-money.mp3", ours)
    write_book_tags(ours, doc.meta, chapters, 3000)
    stored, toc_ids, _ = read_chapters(ID3(str(ours)))
    assert [c.title for c in stored] == [c.title for c in chapters]
    assert toc_ids == [c.element_id for c in stored]

    plain = tmp_path / "plain.mp3"
    shutil.copyfile(out / "audio" / "03-money.mp3", plain)
    tag = ID3()
    for index, chapter in enumerate(chapters):
        tag.add(
            CHAP(
                element_id=f"chp{index}",
                start_time=chapter.start_ms,
                end_time=chapter.end_ms,
                sub_frames=[TIT2(text=[chapter.title])],
            )
        )
    tag.save(str(plain), v2_version=3)
    stored_plain, _, _ = read_chapters(ID3(str(plain)))
    assert [c.title for c in stored_plain] != [c.title for c in chapters]  # the bug we avoid


# ---------------------------------------------------------------- options


def test_options_validate_with_clear_messages():
    with pytest.raises(ValueError, match=r"voice 'en-gb' is not one of espeak-ng's British.*gmw/en"):
        AudioOptions(voice="en-gb")
    with pytest.raises(ValueError, match=r"voice 'gmw/en-us' is not one of"):
        AudioOptions(voice="gmw/en-us")
    assert AudioOptions(voice="rp").voice == "gmw/en-gb-x-rp"
    assert AudioOptions(voice="scottish").voice == "gmw/en-gb-scotland"
    with pytest.raises(ValueError, match="notes must be one of paragraph, section"):
        AudioOptions(notes="footer")
    with pytest.raises(ValueError, match="between 80 and 400"):
        AudioOptions(rate=50)
    with pytest.raises(ValueError, match="bitrate must be one of"):
        AudioOptions(bitrate=50)
    assert AudioOptions(voice="gmw/en-gb-x-rp", rate=140, bitrate=64).voice == "gmw/en-gb-x-rp"
    options = make_options(get("audio"), {"rate": "210", "split": "no", "chapter_levels": "1"})
    assert (options.rate, options.split, options.chapter_levels) == (210, False, 1)


# ---------------------------------------------------------------- pyttsx3's sharp edges


@pytest.fixture(scope="module")
def speaker(tmp_path_factory):
    return Speaker(tmp_path_factory.mktemp("speaker"))


def _espeak_frames(text: str, tmp_path: Path) -> int:
    wav = tmp_path / "reference.wav"
    subprocess.run(["espeak-ng", "-v", "gmw/en", "-s", "175", "-w", str(wav), text], check=True)
    with wave.open(str(wav)) as reference:
        return reference.getnframes()


def test_unknown_voice_is_an_error_not_silence(speaker):
    with pytest.raises(SynthesisError, match=r"could not use voice 'en-gb'.*gmw/en"):
        speaker.pcm("Hello there.", "en-gb", 175)
    assert speaker.pcm("Hello there.", "gmw/en", 175)  # the engine still works afterwards


def test_each_utterance_is_complete_when_returned(speaker, tmp_path):
    """runAndWait returns before the WAV is written; pcm() waits for finished-utterance, and
    makes one save_to_file per runAndWait, so each of two texts gets all of its own audio."""
    texts = [
        "Short.",
        "A much longer sentence, so that its audio lasts several seconds more "
        "than the first one does, even at this rate.",
    ]
    for text in texts:
        samples = len(speaker.pcm(text, "gmw/en", 175)) // 2
        expected = _espeak_frames(text, tmp_path)
        assert abs(samples - expected) < 0.03 * expected, text


def test_driver_stdout_is_captured(speaker, capfd):
    speaker.pcm("Nothing on standard output.", "gmw/en", 175)
    captured = capfd.readouterr()
    assert "Audio saved" not in captured.out
    assert "Audio saved" in speaker.last_stdout  # the driver did print; we caught it


def test_driver_buffer_grows_in_place(speaker):
    """The stock driver's `bytes +=` copies the whole buffer per chunk (quadratic time)."""
    driver = speaker.engine.proxy._driver
    assert isinstance(driver, BufferedEspeakDriver)
    driver._data_buffer = b""
    buffer = driver._data_buffer
    driver._data_buffer += b"\x00\x01" * 1000
    assert driver._data_buffer is buffer and len(buffer) == 2000
    driver._data_buffer = b""


def test_rate_changes_duration_every_time(speaker):
    """The stock driver's stop() at the end of runAndWait could cancel the queued rate change,
    so an utterance came out at the previous call's rate."""
    text = "The same words at different speeds."
    lengths = {rate: [] for rate in (140, 210)}
    for rate in (140, 210) * 4:
        lengths[rate].append(len(speaker.pcm(text, "gmw/en", rate)))
    assert max(lengths[210]) < 0.8 * min(lengths[140])


# ---------------------------------------------------------------- a report titled at level 1


def level_two_document(folder: Path) -> Document:
    """A report whose only level-1 heading is its title, with its chapters at level 2."""
    meta = Metadata(title="Annual Review", publisher="Example Charity", date="2024-05", language="en-GB")
    blocks = (
        Heading(1, (Text("Annual Review"),), "annual-review"),
        Paragraph((Text("A short review of our year."),)),
        Heading(2, (Text("Projects"),), "projects"),
        Paragraph((Text("We ran three projects in 2023."),)),
        Heading(3, (Text("Housing"),), "housing"),
        Paragraph((Text("The housing project met tenants monthly."),)),
        Heading(2, (Text("Money"),), "money"),
        Paragraph((Text("We spent most of our money on fees for contributors."),)),
        Heading(2, (Text("Next year"),), "next-year"),
        Paragraph((Text("We will start two more projects."),)),
    )
    return Document(meta, blocks, source=folder / "annual-review.md")


@pytest.fixture(scope="module")
def level_two_built(tmp_path_factory):
    root = tmp_path_factory.mktemp("level-two")
    doc = level_two_document(root)
    ctx = BuildContext(slug="annual-review", source=doc.source, workers=2)
    paths = build(doc, AudioOptions(), root, ctx)
    return doc, ctx, root, paths


def test_level_two_chapters_get_a_track_and_a_chapter_each(level_two_built):
    doc, ctx, root, paths = level_two_built
    names = sorted(p.name for p in paths if p.parent.name == "audio" and p.suffix == ".mp3")
    assert names == ["01-opening.mp3", "02-projects.mp3", "03-money.mp3", "04-next-year.mp3"]
    tag = ID3(str(root / "annual-review.mp3"))
    chapters = sorted(tag.getall("CHAP"), key=lambda c: c.start_time)
    assert [str(c.sub_frames["TIT2"]) for c in chapters] == [
        "Annual Review",
        "Projects",
        "Housing",
        "Money",
        "Next year",
    ]
    top = next(t for t in tag.getall("CTOC") if t.flags & 0x02)
    ids = {c.element_id: str(c.sub_frames["TIT2"]) for c in chapters}
    assert [ids.get(i, "toc") for i in top.child_element_ids] == [
        "Annual Review",
        "Projects",
        "toc",
        "Money",
        "Next year",
    ]
    result = check(doc, AudioOptions(), paths, ctx)
    assert result.passed, result.findings
    script = (root / "annual-review-script.txt").read_text(encoding="utf-8")
    # the title heading is not said twice
    assert script.splitlines().count("Annual Review.") == 1
    assert "Published by Example Charity in May twenty twenty-four." in script


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe (ffmpeg) not installed")
def test_ffprobe_lists_level_two_chapters(level_two_built):
    _, _, root, _ = level_two_built
    report = subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(root / "annual-review.mp3")],
        capture_output=True,
        text=True,
        check=True,
    )
    titles = [c["tags"]["title"] for c in json.loads(report.stdout)["chapters"]]
    assert titles == ["Annual Review", "Projects", "Housing", "Money", "Next year"]


# ---------------------------------------------------------------- the script check can fail


def test_script_check_finds_what_a_listener_must_not_hear(doc, tmp_path):
    bad = tmp_path / "bad-script.txt"
    bad.write_text(
        "Listening Together. Introduction. We ran 21 sessions in 2023. "
        "Item 1 of 2. Training sessions. Reference K C C dash E T H. "
        "Read two zero two four. Diolch.\n",
        encoding="utf-8",
    )
    problems = " ".join(script_problems(doc, bad.read_text(encoding="utf-8")))
    assert "dash" in problems
    assert "announces list items by position" in problems
    assert "diolch" in problems  # the Welsh passage lost its language
    year_doc = replace(doc, blocks=doc.blocks + (Paragraph((Text("Since 2023 and 2024."),)),))
    problems = " ".join(script_problems(year_doc, bad.read_text(encoding="utf-8")))
    assert "leaves the year 2023 in digits" in problems
    assert "reads the year 2024 digit by digit" in problems
    findings, metrics = check_script(doc, bad)
    assert any("only" in f.message for f in findings) and metrics["script_recall"] < 0.95


def test_playlist_is_read_as_the_standard_says(tmp_path):
    playlist = tmp_path / "p.m3u8"
    playlist.write_text(
        "#EXTM3U\n#PLAYLIST:x\n#EXTINF:12.5,Opening\n01-opening.mp3\n# a comment\n#EXTINF:3,\n02-a.mp3\n",
        encoding="utf-8",
    )
    entries = read_m3u8(playlist)
    assert [(e.seconds, e.title, e.location) for e in entries] == [
        (12.5, "Opening", "01-opening.mp3"),
        (3.0, "", "02-a.mp3"),
    ]
    playlist.write_text("#EXTM3U\n02-a.mp3\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 2: '02-a\.mp3' has no #EXTINF"):
        read_m3u8(playlist)


# ---------------------------------------------------------------- script options (no synthesis)


def _script(doc: Document, **options) -> str:
    return script_text(_tracks(doc, AudioOptions(**options), "about two minutes"))


def test_notes_at_the_end_of_the_section(doc):
    script = _script(doc, notes="section")
    # note 1 is referred to in Introduction's first paragraph; read at the end of its part,
    # after the paragraph that follows it
    assert (
        script.index("Read more at our impact page")
        < script.index("Note 1: Across")
        < script.index("What we did.")
    )
    assert _script(doc).index("Note 1: Across") < _script(doc).index("Read more at")


def test_a_figure_that_repeats_the_text_is_not_read_twice(doc):
    chart = next(b for b in doc.blocks if isinstance(b, Figure))
    repeated = replace(chart, alt="Bids won 35% more than last year.", caption=())
    blocks = doc.blocks[:-1] + (repeated,) + doc.blocks[-1:]
    script = _script(replace(doc, blocks=blocks))
    assert "Figure 2, described in the text." in script
    assert script.count("thirty-five per cent more than last year") == 1


def test_address_lines_are_separate_with_a_pause(doc):
    address = Paragraph(
        (
            Text("Unit 4, The Old Chapel"),
            LineBreak(),
            Text("Riverside Lane"),
            LineBreak(),
            Text("Cardiff CF10 3AT"),
        )
    )
    tracks = _tracks(
        replace(doc, blocks=doc.blocks[:1] + (address,) + doc.blocks[1:]), AudioOptions(), "about two minutes"
    )
    segments = [s for p in tracks[1].parts for s in p.segments]
    lines = [s for s in segments if s.pause_kind == "line"][:2]
    assert [s.text for s in lines] == ["Unit 4, The Old Chapel.", "Riverside Lane."]
    following = segments[segments.index(lines[-1]) + 1]
    assert following.text == "Cardiff C F ten, three A T."
    assert all(s.pause_ms >= 300 for s in lines)


def test_pauses_after_headings_are_longer_for_higher_levels(doc):
    tracks = _tracks(doc, AudioOptions(), "about two minutes")
    pauses = {
        s.pause_kind: s.pause_ms for t in tracks for p in t.parts for s in p.segments if s.kind == "heading"
    }
    assert pauses["heading-1"] > pauses["heading-2"] > pauses["heading-3"] >= 500


def test_a_welsh_report_is_spoken_in_welsh_with_welsh_words_added(doc):
    welsh = replace(doc, meta=replace(doc.meta, language="cy", title="Gwrando Gyda'n Gilydd"))
    tracks = _tracks(welsh, AudioOptions(), "tua dau funud")
    script = script_text(tracks)
    for said in (
        "Llais synthetig sy'n darllen y fersiwn sain hon, ar 175 gair y funud.",
        "Rhestr o 2 eitem.",
        "Dyfyniad.",
        "Diwedd y dyfyniad.",
        "Nodyn 1:",
        "Diwedd Gwrando Gyda'n Gilydd.",
        "35 y cant",
    ):
        assert said in script, said
    for english in ("A list of", "End of", "Quote.", "Note 1", "per cent", "Running time"):
        assert english not in script, english
    voices = {u.voice for t in tracks for p in t.parts for s in p.segments for u in s.utterances}
    assert voices == {"cel/cy"}


def test_short_sums_option(doc):
    assert "one point one eight million pounds" in _script(doc, short_sums=True)


def test_every_word_the_audio_adds_has_a_welsh_translation():
    """Each message the script writes (found in its source as _("...")) is in both catalogues,
    translated in the Welsh one."""
    import re as regex

    from babel.messages.pofile import read_po

    from pipeline.stages.audio import script as script_module

    source = Path(script_module.__file__).read_text(encoding="utf-8")
    used = set(regex.findall(r'_\("((?:[^"\\]|\\.)+)"', source)) | {script_module.SKIP_CHAPTERS}
    assert len(used) > 30
    locale = Path(script_module.__file__).parents[2] / "locale"
    for language in ("en", "cy"):
        with open(locale / language / "LC_MESSAGES" / "accessible_formats.po", "rb") as handle:
            catalogue = {m.id: m.string for m in read_po(handle) if m.id}
        missing = sorted(m for m in used if m not in catalogue)
        assert not missing, (language, missing)
        if language == "cy":
            untranslated = sorted(m for m in used if not catalogue[m] or catalogue[m] == m)
            assert not untranslated, untranslated


def test_a_build_hears_one_section_and_a_thorough_check_hears_every_one(built):
    """Recognition is the slow part of the check: a build hears one section (its other checks
    cover every section), make check and CI hear them all."""
    doc, options, ctx, _, paths, _ = built
    quick = check(doc, options, paths, dataclasses.replace(ctx, thorough=False))
    full = check(doc, options, paths, dataclasses.replace(ctx, thorough=True))
    assert quick.passed and full.passed, (quick.findings, full.findings)
    assert quick.metrics["asr_sections_heard"] == "1/3"
    assert full.metrics["asr_sections_heard"] == "3/3"
    assert full.metrics["asr_precision_min"] >= 0.45


def test_recognition_fails_for_speech_of_another_text(built, level_two_built):
    """The sections of one recording, checked against the script of another, fail."""
    doc, _, _, out, _, _ = built
    _, _, root, paths = level_two_built
    sections = sorted(p for p in paths if p.parent.name == "audio" and p.suffix == ".mp3")
    findings, metrics = check_recognition(doc, sections[1:3], out / f"{SLUG}-script.txt")
    assert len([f for f in findings if "heard little of the script" in f.message]) == 2
    assert metrics["asr_precision_min"] < 0.45
    right, right_metrics = check_recognition(doc, sections[1:3], root / "annual-review-script.txt")
    assert not right and right_metrics["asr_precision_min"] >= 0.45


# ---------------------------------------------------------------- the check, quickly


def test_the_recogniser_hears_the_same_with_only_the_script_words_pronounced(built, tmp_path):
    """The check gives PocketSphinx the pronunciations of the script's words only (loading the
    whole dictionary was most of hearing a section): every pronunciation of every script word
    is kept, nothing else is, and what is heard is word for word what the whole dictionary
    gives."""
    from pocketsphinx import Config

    _, _, _, out, _, _ = built
    text = (out / f"{SLUG}-script.txt").read_text(encoding="utf-8")
    sentences = sentences_of(text)
    model = script_model(sentences, tmp_path)
    whole = Path(Config()["dict"]).read_text(encoding="utf-8").splitlines()
    vocabulary = {w.lower() for s in sentences for w in s.split()}
    wanted = [line for line in whole if line.split(" ", 1)[0].split("(")[0] in vocabulary]
    kept = model.dictionary.read_text(encoding="utf-8").splitlines()
    assert kept == wanted and any("(2)" in line for line in kept)
    section = out / "audio" / "02-introduction.mp3"
    with_whole = ScriptModel(model.language_model, Path(Config()["dict"]))
    heard = recognise(section, model, ASR_SECONDS)
    assert len(heard) > 10 and heard == recognise(section, with_whole, ASR_SECONDS)


def test_only_the_start_of_a_section_is_decoded_for_hearing_and_it_is_the_same_start(built):
    _, _, _, out, _, _ = built
    section = out / "audio" / "02-introduction.mp3"
    whole = miniaudio.decode_file(
        str(section), output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=16000
    ).samples
    start = _decode_start(section, 3.5)
    assert len(start) == 56_000 and start == whole[:56_000]
    assert _decode_start(section, None) == whole


def test_chapter_levels_are_the_rms_of_their_windows_in_any_order(built):
    """decode_levels follows only the windows still open; windows out of order, overlapping,
    empty or past the end get the RMS of every 16th of their samples, counted from the
    window's start, read independently here."""
    _, _, _, out, _, _ = built
    book = out / f"{SLUG}.mp3"
    samples = miniaudio.decode_file(
        str(book), output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=22050
    ).samples
    n = len(samples)
    windows = [(n // 2, n), (0, n // 3), (n // 4, n // 2 + 7), (100, 100), (n + 10, n + 99), (5, 22_055)]
    total, rate, levels = decode_levels(book, windows)
    assert (total, rate) == (n, 22050)
    for (start, stop), level in zip(windows, levels):
        piece = samples[start:stop:16]
        expected = (sum(s * s for s in piece) / len(piece)) ** 0.5 if piece else 0.0
        assert level == pytest.approx(expected, rel=1e-12), (start, stop)
    assert levels[1] > 1000 and levels[3] == levels[4] == 0.0


def test_a_book_decoded_in_two_processes_gives_the_levels_of_one(built, tmp_path):
    """With a second process, the book's second half is decoded there from the first frame after
    the middle that needs no earlier byte (where a track starts): the samples and every
    chapter's level are exactly those of decoding it whole. A book with no such frame after
    its middle is decoded whole."""
    from pipeline.checks.audio import _beside, _frame_near_middle

    _, _, _, out, _, _ = built
    book = out / f"{SLUG}.mp3"
    chapters, _, _ = read_chapters(ID3(str(book)))
    windows = [(round(c.start_ms * 22.05), round(c.end_ms * 22.05)) for c in chapters]
    byte, sample = _frame_near_middle(book)
    data = book.read_bytes()
    assert byte > (ID3(str(book)).size + len(data)) // 2 and data[byte] == 0xFF and data[byte + 4] == 0
    sections = sorted((out / "audio").glob("*.mp3"))
    assert sample == sum(map(_decoded_samples, sections[:2]))  # where the third section starts
    with _beside(2) as start:
        assert decode_levels(book, windows, start) == decode_levels(book, windows)
    one_track = tmp_path / "one.mp3"
    raw = (out / "audio" / "02-introduction.mp3").read_bytes()
    one_track.write_bytes(raw[ID3(str(out / "audio" / "02-introduction.mp3")).size :])
    assert _frame_near_middle(one_track) is None


def _decoded_samples(path: Path) -> int:
    return len(
        miniaudio.decode_file(
            str(path), output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=22050
        ).samples
    )


def test_the_check_hears_beside_the_decoding_and_still_fails_speech_of_another_text(
    built, level_two_built, tmp_path
):
    """With two workers the check hears the section in a process of its own while it decodes
    the book: its findings are those of one worker, and speech that is not the script still
    fails it."""
    doc, options, ctx, out, paths, _ = built
    one = check(doc, options, paths, dataclasses.replace(ctx, workers=1))
    two = check(doc, options, paths, dataclasses.replace(ctx, workers=2))
    assert one.passed and two.passed and one.metrics == two.metrics
    _, _, root, _ = level_two_built
    swapped = tmp_path / "out"
    shutil.copytree(out, swapped)
    other_speech = sorted((root / "audio").glob("*.mp3"))
    for ours, theirs in zip(sorted((swapped / "audio").glob("*.mp3")), other_speech):
        shutil.copyfile(theirs, ours)
    moved = [swapped / p.relative_to(out) for p in paths]
    result = check(doc, options, moved, dataclasses.replace(ctx, workers=2, thorough=True))
    assert [f.where for f in result.findings if "heard little of the script" in f.message] == [
        "02-introduction.mp3",
        "03-money.mp3",
    ], result.findings


def test_the_opening_is_spoken_beside_the_last_sections(doc, ctx, tmp_path):
    """The opening (which states the running time) is made while sections are still being said,
    from what has been said and what is still to be said, and is said three times: with the
    running time foreseen, and with the minute before and after."""
    calls = []
    real = assemble.render_tracks

    def watched(jobs, workers, on_done=lambda audio: None, then=None, speakers=None):
        def noted(said, running):
            made = then(said, running)
            calls.append(([job.track.number for job, _ in said], [job.track.number for job in running], made))
            return made

        return real(jobs, workers, on_done, noted if then else None, speakers)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(assemble, "render_tracks", watched)
        paths = build(doc, AudioOptions(), tmp_path, replace(ctx, workers=2))
    assert len(calls) == 1
    said, running, made = calls[0]
    assert sorted(said + running) == [2, 3] and running, calls
    stated = [
        next(p.text for item in job.plan.items() for p in item.spoken if "Running time" in p.text)
        for job in made
    ]
    assert [job.track.number for job in made] == [1, 1, 1] and len(set(stated)) == 3, stated
    assert any("about two minutes" in text for text in stated)
    script = next(p for p in paths if p.name.endswith("-script.txt")).read_text(encoding="utf-8")
    assert "Running time: about two minutes." in script


def test_an_opening_foreseen_wrongly_is_said_again_with_the_recording_s_running_time(
    doc, ctx, tmp_path, monkeypatch
):
    """The running time foreseen while sections are still being said is only a guess: when it
    is wrong (here: ten minutes too long), the opening is said again with the time of the
    recording as it came out, so the files are those of a serial build (which foresees nothing:
    every section is said before the opening)."""
    import pipeline.stages.audio as audio_stage

    real = audio_stage._foreseen_sections

    def far_off(options, said, running):
        seconds, per_word = real(options, said, running)
        return (seconds + 600 if running else seconds), per_word

    monkeypatch.setattr(audio_stage, "_foreseen_sections", far_off)
    outputs = _serial_and_parallel(doc, ctx, tmp_path)
    assert outputs[1] == outputs[2]
    script = outputs[2][Path(f"{SLUG}-script.txt")].decode("utf-8")
    assert "Running time: about two minutes." in script


def test_another_running_time_changes_only_the_opening_as_building_the_script_again_would(doc):
    """The stage tries several running times for the opening: putting one into tracks already
    built gives exactly the tracks the script builds with it, English and Welsh."""
    from pipeline.readers import read_source
    from pipeline.stages.audio import _with_running_time
    from pipeline.stages.audio.script import running_time_words

    sources = Path(__file__).resolve().parent.parent / "sources"
    welsh = read_source(sources / "cydgynhyrchu-yn-gymraeg" / "cydgynhyrchu-yn-gymraeg.md")
    before_any_heading = Document(
        Metadata(title="Notes Before", language="en-GB"),
        (
            Paragraph((Text("A word before any heading, said in the opening track."),)),
            Paragraph((Text("And a second paragraph before it."),)),
            Heading(1, (Text("One"),), "one"),
            Paragraph((Text("The first section."),)),
            Heading(1, (Text("Two"),), "two"),
            Paragraph((Text("The second section."),)),
        ),
    )
    assert len(_tracks(before_any_heading, AudioOptions(), "x")[0].parts[0].segments) > 4
    for report in (doc, welsh, before_any_heading):
        options = AudioOptions(notes="section") if report is doc else AudioOptions()
        built = _tracks(report, options, "about one minute")
        for minutes in (2, 59, 61, 98):
            stated = running_time_words(minutes * 60, report.meta.language)
            assert _with_running_time(report, options, built, stated) == _tracks(report, options, stated)
            assert _with_running_time(report, options, built, stated) != built


def _ffprobe_chapters(book: Path) -> list[tuple[str, float]]:
    report = subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(book)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [(c["tags"]["title"], float(c["start_time"])) for c in json.loads(report.stdout)["chapters"]]


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe (ffmpeg) not installed")
def test_a_section_said_in_pieces_keeps_every_chapter_where_its_heading_is_said(tmp_path, monkeypatch):
    """A section of 560 words is said in two pieces and joined. As a player lists them (ffprobe),
    its chapters are those of the same section said whole, each starting no earlier and at most
    a tenth of a second later (the encoder's lead-in at the join); each starts in silence, with
    speech within a second and a half; and the book passes its read-back check."""
    doc = long_section_document()
    ctx = BuildContext(slug="long", source=tmp_path / "long.md", workers=2)
    pieced_out, whole_out = tmp_path / "pieced", tmp_path / "whole"
    pieced_out.mkdir()
    whole_out.mkdir()
    paths = build(doc, AudioOptions(), pieced_out, ctx)
    assert check(doc, AudioOptions(), paths, ctx).passed
    monkeypatch.setattr(assemble, "PIECE_WORDS", 10**9)
    build(doc, AudioOptions(), whole_out, ctx)
    pieced, whole = _ffprobe_chapters(pieced_out / "long.mp3"), _ffprobe_chapters(whole_out / "long.mp3")
    assert [title for title, _ in pieced] == [title for title, _ in whole]
    assert "Part 4" in [title for title, _ in pieced]
    moved = [p - w for (_, p), (_, w) in zip(pieced, whole)]
    assert all(0 <= shift <= 0.1 for shift in moved) and max(moved) > 0, moved
    samples = miniaudio.decode_file(
        str(pieced_out / "long.mp3"),
        output_format=miniaudio.SampleFormat.SIGNED16,
        nchannels=1,
        sample_rate=22050,
    ).samples
    for title, start in pieced[1:]:
        at = round(start * 22050)
        assert max(map(abs, samples[at - 2205 : at])) < 300, title  # the 100 ms before: quiet
        assert max(map(abs, samples[at : at + 33075])) > 3000, title  # spoken within 1.5 s
