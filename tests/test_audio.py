"""The audio stage: real synthesis of the fixture document, read back with independent tools."""
from __future__ import annotations

import json
import shutil
import subprocess
import wave
from dataclasses import replace
from pathlib import Path

import lameenc
import miniaudio
import pytest
from mutagen.id3 import CHAP, ID3, TIT2

from fixture_document import fixture_document
from pipeline.checks.audio import check_book, read_chapters
from pipeline.stage_api import BuildContext, make_options
from pipeline.stages import get
from pipeline.stages.audio import AudioOptions, _tracks, build, check, voice_chooser
from pipeline.stages.audio.assemble import mp3_decoded_samples
from pipeline.stages.audio.synth import BufferedEspeakDriver, Speaker, SynthesisError
from pipeline.stages.audio.tags import Chapter, write_book_tags

SLUG = "listening-together"
CHAPTERS = ["Listening Together", "Introduction", "What we did", "Money"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One real build of the fixture document, shared by the read-back tests."""
    root = tmp_path_factory.mktemp("audio")
    doc = fixture_document(root / "src")
    out = root / "out"
    out.mkdir()
    calls: list[tuple[int, int, str]] = []
    ctx = BuildContext(slug=SLUG, source=doc.source, workers=2,
                       progress=lambda done, total, label: calls.append((done, total, label)))
    options = AudioOptions()
    paths = build(doc, options, out, ctx)
    return doc, options, ctx, out, paths, calls


def _by_name(paths: list[Path]) -> dict[str, Path]:
    return {str(p.relative_to(p.parents[1] if p.parent.name == "audio" else p.parent)): p
            for p in paths}


# ---------------------------------------------------------------- outputs and the check


def test_outputs_named_and_typed(built):
    doc, options, ctx, out, paths, _ = built
    names = sorted(_by_name(paths))
    assert names == sorted([f"{SLUG}.mp3", f"{SLUG}-script.txt", "audio/01-opening.mp3",
                            "audio/02-introduction.mp3", "audio/03-money.mp3",
                            f"audio/{SLUG}.m3u8", f"{SLUG}.narration.json"])
    stage = get("audio")
    assert stage.version == "2"
    assert {p.suffix for p in paths} <= set(stage.media_types)
    assert stage.media_types[".mp3"] == "audio/mpeg"


def test_read_back_check_passes(built):
    doc, options, ctx, out, paths, _ = built
    result = check(doc, options, paths, ctx)
    assert result.passed, result.findings
    assert result.metrics["chapters"] == 4
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
    report = subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-show_format", "-of",
                             "json", str(out / f"{SLUG}.mp3")], capture_output=True, text=True,
                            check=True)
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
        assert abs(int(info[len("#EXTINF:"):].split(",")[0]) - decoded) <= 1
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
    opening = script[:script.index("Introduction.")]
    for said in ("Listening Together.", "Published by Example Co-production Charity",
                 "the first of March twenty twenty-four", "Running time: about two minutes",
                 "4 chapters"):
        assert said in opening
    assert "\nIntroduction.\n" in script and "\nWhat we did.\n" in script
    assert "Training. Sessions: 21. People: 502." in script
    assert "Talks. Sessions: 19. People: 1,482." in script
    assert "Image: Bar chart: 21 training sessions, 19 talks and 11 co-creation sessions." in script
    assert "Figure 1: Sessions in 2023." in script
    assert "\nNote: Across five research bids.\n" in script
    # the note follows its paragraph, before the next one
    assert script.index("fifty-four pence.") < script.index("Note: Across") < \
        script.index("Read more at our impact page")
    assert ("raised one million, one hundred and seventy-nine thousand, eight hundred and "
            "eighteen pounds and fifty-four pence.") in script
    assert "thirty-five per cent more" in script
    assert "Item 1 of 2. Training sessions." in script and "Sub-item 2 of 2. Delivery." in script
    assert "Quote." in script and "End of quote." in script
    assert "our impact page" in script and "https://" not in script
    assert script.rstrip().endswith("End of Listening Together.")
    assert "border" not in script                            # decorative image skipped


def test_welsh_is_spoken_in_a_welsh_voice(doc):
    options = AudioOptions()
    assert voice_chooser(doc, options)("cy") == "cel/cy"
    tracks = _tracks(doc, options, "about two minutes")
    utterances = [u for t in tracks for p in t.parts for s in p.segments for u in s.utterances]
    assert [u.voice for u in utterances if u.text == "diolch"] == ["cel/cy"]
    assert {u.voice for u in utterances if u.text != "diolch"} == {"gmw/en"}


# ---------------------------------------------------------------- determinism


@pytest.mark.slow
def test_parallel_build_is_identical_to_serial(doc, ctx, tmp_path):
    outputs = {}
    for workers in (1, 2):
        out = tmp_path / f"workers-{workers}"
        out.mkdir()
        paths = build(doc, AudioOptions(), out, replace(ctx, workers=workers))
        outputs[workers] = {p.relative_to(out): p.read_bytes() for p in paths}
    assert outputs[1].keys() == outputs[2].keys()
    for name in outputs[1]:
        assert outputs[1][name] == outputs[2][name], name


# ---------------------------------------------------------------- broken files fail the check


def test_chapters_out_of_order_fail_the_check(built, tmp_path):
    doc, options, ctx, out, _, _ = built
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
        tag.add(CHAP(element_id=chapter.element_id, start_time=start, end_time=end,
                     sub_frames=chapter.sub_frames))
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
            raw.append(data[ID3(str(piece)).size:])
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
    write_book_tags(book, doc.meta, [Chapter(t, times[i], times[i + 1])
                                     for i, t in enumerate(titles)], times[-1])
    findings, metrics = check_book(doc, 1, book)
    errors = [f.message for f in findings if f.severity == "error"]
    assert errors == [e for e in errors if "silent" in e] and len(errors) == 1
    assert "'Introduction' is silent" in errors[0]


def test_chap_frames_are_stored_in_time_order(built, tmp_path):
    """mutagen's own writer sorts CHAP frames by size; ours stores them by start time."""
    doc, _, _, out, _, _ = built
    chapters = [Chapter("A much longer first chapter title", 0, 1000),
                Chapter("Short", 1000, 2000), Chapter("Middling title", 2000, 3000)]
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
        tag.add(CHAP(element_id=f"chp{index}", start_time=chapter.start_ms,
                     end_time=chapter.end_ms, sub_frames=[TIT2(text=[chapter.title])]))
    tag.save(str(plain), v2_version=3)
    stored_plain, _, _ = read_chapters(ID3(str(plain)))
    assert [c.title for c in stored_plain] != [c.title for c in chapters]   # the bug we avoid


# ---------------------------------------------------------------- options


def test_options_validate_with_clear_messages():
    with pytest.raises(ValueError, match=r"voice 'en-gb' is not an installed.*gmw/en"):
        AudioOptions(voice="en-gb")
    with pytest.raises(ValueError, match="between 80 and 400"):
        AudioOptions(rate=50)
    with pytest.raises(ValueError, match="bitrate must be one of"):
        AudioOptions(bitrate=50)
    assert AudioOptions(voice="gmw/en-gb-x-rp", rate=140, bitrate=64).rate == 140
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
    assert speaker.pcm("Hello there.", "gmw/en", 175)      # the engine still works afterwards


def test_each_utterance_is_complete_when_returned(speaker, tmp_path):
    """runAndWait returns before the WAV is written; pcm() waits for finished-utterance, and
    makes one save_to_file per runAndWait, so each of two texts gets all of its own audio."""
    texts = ["Short.", "A much longer sentence, so that its audio lasts several seconds more "
                       "than the first one does, even at this rate."]
    for text in texts:
        samples = len(speaker.pcm(text, "gmw/en", 175)) // 2
        expected = _espeak_frames(text, tmp_path)
        assert abs(samples - expected) < 0.03 * expected, text


def test_driver_stdout_is_captured(speaker, capfd):
    speaker.pcm("Nothing on standard output.", "gmw/en", 175)
    captured = capfd.readouterr()
    assert "Audio saved" not in captured.out
    assert "Audio saved" in speaker.last_stdout          # the driver did print; we caught it


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
