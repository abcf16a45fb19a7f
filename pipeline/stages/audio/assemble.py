"""Speech + silence -> MP3, one track at a time, streamed; tracks joined into the book.

Each track (or piece of a long one: pieces_of) is rendered by `render_track` in its own fresh
process: utterances are synthesised one at a time, followed by real silence (zero samples), and
fed straight into a LAME encoder whose output goes to disk, so memory holds one utterance's PCM,
never a book's.

Constant bit rate matters twice: lameenc writes no Xing/Info header, so only CBR lets players
compute the duration exactly; and independently encoded CBR streams with the same settings can be
joined frame by frame (each track and piece starts with an empty bit reservoir), so a section is
the concatenation of its pieces, the book the concatenation of the section files, each encoded
once.
"""

from __future__ import annotations

import os
import pickle
import queue
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path

import lameenc

from ...narration import PlanPart, SectionPlan
from .script import Track
from .synth import SAMPLE_RATE, SAMPLE_WIDTH, DirectSpeaker, SynthesisError

LAME_QUALITY = 3  # LAME's own default: good quality for speech, ~300x real time
SILENCE_CHUNK_SAMPLES = SAMPLE_RATE  # write long silences a second at a time


@dataclass(frozen=True)
class TrackJob:
    track: Track
    rate: int  # words per minute
    bitrate: int  # kbps, constant
    mp3_path: str  # where the raw (untagged) MP3 stream goes
    plan: SectionPlan | None = None  # the track as narration items (sentences with ids)
    source_name: str = ""  # the source file's name, for errors that name a sentence


@dataclass(frozen=True)
class TrackAudio:
    number: int
    mp3_path: str
    part_offsets: tuple[int, ...]  # PCM sample where each part starts, within the track
    pcm_samples: int
    mp3_samples: int  # samples a decoder produces: frames x samples per frame
    item_spans: tuple[tuple[str, int, int], ...] = ()  # (item id, first PCM sample, end sample)

    @property
    def seconds(self) -> float:
        return self.mp3_samples / SAMPLE_RATE


def new_encoder(bitrate: int) -> lameenc.Encoder:
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(bitrate)
    encoder.set_in_sample_rate(SAMPLE_RATE)
    encoder.set_channels(1)
    encoder.set_quality(LAME_QUALITY)
    return encoder


def silence(milliseconds: int) -> Iterable[bytes]:
    samples = SAMPLE_RATE * milliseconds // 1000
    while samples > 0:
        chunk = min(samples, SILENCE_CHUNK_SAMPLES)
        yield bytes(chunk * SAMPLE_WIDTH)
        samples -= chunk


def render_track(job: TrackJob) -> TrackAudio:
    """Synthesise and encode one track (runs in a worker process)."""
    if job.plan is None:
        raise ValueError("a track job needs its narration plan")
    encoder = new_encoder(job.bitrate)
    offsets: list[int] = []
    spans: list[tuple[str, int, int]] = []
    samples = 0
    with open(job.mp3_path, "wb") as mp3:
        speaker = DirectSpeaker()
        for part in job.plan.parts:
            offsets.append(samples)
            for segment in part.segments:
                for item in segment.items:
                    begin = samples
                    for piece in item.spoken:
                        try:
                            pcm = speaker.pcm(piece.text, piece.voice, job.rate)
                        except SynthesisError as error:
                            raise SynthesisError(f"{item.place(job.source_name)}: {error}") from None
                        if not pcm:
                            raise SynthesisError(
                                f"{item.place(job.source_name)}: espeak-ng "
                                f"produced no sound for {piece.text[:60]!r}"
                            )
                        samples += len(pcm) // SAMPLE_WIDTH
                        mp3.write(encoder.encode(pcm))
                    spans.append((item.id, begin, samples))
                for chunk in silence(segment.pause_ms):
                    samples += len(chunk) // SAMPLE_WIDTH
                    mp3.write(encoder.encode(chunk))
        mp3.write(encoder.flush())
    return TrackAudio(
        job.track.number,
        job.mp3_path,
        tuple(offsets),
        samples,
        mp3_decoded_samples(Path(job.mp3_path)),
        tuple(spans),
    )


def render_tracks(
    jobs: list[TrackJob],
    workers: int,
    on_done: Callable[[TrackAudio], None] = lambda audio: None,
    then: Callable[[list[tuple[TrackJob, TrackAudio]], list[TrackJob]], list[TrackJob]] | None = None,
    speakers: SpeechWorkers | None = None,
) -> list[TrackAudio]:
    """Render every job, each piece in a fresh process (see synth.py, edge 7), in track order.

    A fresh process per piece makes the samples independent of how many workers there are and
    which piece ran before which: serial and parallel builds give identical bytes. Each thread
    of the pool borrows a speech worker (SpeechWorkers: `python -m pipeline.stages.audio.worker`),
    which forks a child that has never spoken for every piece (worker.py). Not a
    multiprocessing pool: "fork"
    from this process would copy espeak's state (voices were listed here) without its
    synthesis thread, and "spawn"/"forkserver" re-import the caller's __main__, which is unsafe
    for scripts and for `python -m pipeline` without a main guard. `speakers` are workers
    started ahead by the caller; without them, this starts its own.

    A track is said in pieces of whole parts (pieces_of), longest first, and joined when its
    last piece is done: a report's sections are often of one length, and as whole tracks the
    last of them kept one core busy while the other waited.

    `then` makes more jobs as soon as at most one piece waits for a worker, from the pieces
    finished so far (each with its job) and those still to finish; their tracks come last in
    the list returned, in its order. (The opening, which says the running time, is spoken while
    the last sections are, instead of after them on one core.)
    """
    tracks = _Tracks()
    for job in jobs:
        tracks.add(job)
    slots = max(1, min(workers, len(tracks.queued) + (then is not None)))
    if speakers is None:
        folder = Path(jobs[0].mp3_path).parent if jobs else Path(tempfile.gettempdir())
        with SpeechWorkers(folder, slots) as own:
            return render_tracks(jobs, workers, on_done, then, own)
    render = speakers.render
    later: list[TrackJob] | None = None  # what `then` made
    asked = {job.mp3_path for job in jobs}
    with ThreadPoolExecutor(max_workers=slots) as pool:
        pending = {pool.submit(render, piece): piece for piece in tracks.longest_first()}
        try:
            while pending or (then is not None and later is None):
                # Once at most one piece waits to start: the jobs `then` makes take a moment to
                # make, and are said on the worker that takes the last piece, or the next free.
                if then is not None and later is None and len(pending) <= slots + 1:
                    later = then(list(tracks.said), list(pending.values()))
                    for job in later:
                        pending.update({pool.submit(render, piece): piece for piece in tracks.add(job)})
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    job, whole = tracks.said_piece(pending.pop(future), future.result())
                    if whole is not None and job.mp3_path in asked:
                        on_done(whole)
            return [tracks.joined[job.mp3_path] for job in [*jobs, *(later or [])]]
        except BaseException:
            # One track failed: say so now instead of synthesising every piece still queued.
            pool.shutdown(wait=True, cancel_futures=True)
            raise


PIECE_WORDS = 300  # about 100 s of speech: a track longer than this is said in pieces


def pieces_of(job: TrackJob) -> list[TrackJob]:
    """The job in pieces of whole parts (a part begins at a heading, after a pause), each of
    at least PIECE_WORDS words but the last; the split follows the words alone, so every build
    makes the same pieces. A job of one piece is itself."""
    if job.plan is None:
        return [job]
    groups: list[list[PlanPart]] = [[]]
    words = 0
    for part in job.plan.parts:
        if words >= PIECE_WORDS:
            groups.append([])
            words = 0
        groups[-1].append(part)
        words += _words_of(part)
    if len(groups) == 1:
        return [job]
    stem = Path(job.mp3_path).with_suffix("")
    return [
        replace(job, mp3_path=f"{stem}.piece-{number}.mp3", plan=replace(job.plan, parts=tuple(parts)))
        for number, parts in enumerate(groups, start=1)
    ]


def spoken_words(job: TrackJob) -> int:
    return sum(map(_words_of, job.plan.parts)) if job.plan is not None else 0


def pause_seconds(job: TrackJob) -> float:
    """The silence the job's plan puts between its segments."""
    if job.plan is None:
        return 0.0
    return sum(segment.pause_ms for part in job.plan.parts for segment in part.segments) / 1000


def _words_of(part: PlanPart) -> int:
    return sum(
        len(piece.text.split())
        for segment in part.segments
        for item in segment.items
        for piece in item.spoken
    )


def join_pieces(job: TrackJob, pieces: list[TrackAudio]) -> TrackAudio:
    """The track from its pieces, said in turn: their MP3 streams one after another (each
    starts with an empty bit reservoir, like a track), and each piece's parts and items moved
    on by the samples a decoder gives for the pieces before it (so the encoder's delay at the
    start of a piece sits where it sits in the file)."""
    if len(pieces) == 1 and pieces[0].mp3_path == job.mp3_path:
        return pieces[0]
    offsets: list[int] = []
    spans: list[tuple[str, int, int]] = []
    start = 0
    with open(job.mp3_path, "wb") as whole:
        for piece in pieces:
            offsets += [start + offset for offset in piece.part_offsets]
            spans += [(item, start + begin, start + end) for item, begin, end in piece.item_spans]
            with open(piece.mp3_path, "rb") as part:
                shutil.copyfileobj(part, whole, 1 << 20)
            start += piece.mp3_samples
    pcm_samples = start - pieces[-1].mp3_samples + pieces[-1].pcm_samples
    return TrackAudio(job.track.number, job.mp3_path, tuple(offsets), pcm_samples, start, tuple(spans))


class _Tracks:
    """The pieces of each job, which are said, and the tracks joined so far (by the job's path)."""

    def __init__(self) -> None:
        self.jobs: dict[str, TrackJob] = {}  # a piece's path -> the job it is of
        self.pieces: dict[str, list[TrackJob]] = {}  # a job's path -> its pieces
        self.queued: list[TrackJob] = []
        self.audio: dict[str, TrackAudio] = {}  # a piece's path -> its audio
        self.said: list[tuple[TrackJob, TrackAudio]] = []
        self.joined: dict[str, TrackAudio] = {}

    def add(self, job: TrackJob) -> list[TrackJob]:
        pieces = pieces_of(job)
        self.pieces[job.mp3_path] = pieces
        self.jobs.update({piece.mp3_path: job for piece in pieces})
        self.queued += pieces
        return pieces

    def longest_first(self) -> list[TrackJob]:
        # By words to say: the last piece to start is a short one, so both cores stay busy to
        # the end instead of one waiting while the other says a long one.
        return sorted(self.queued, key=spoken_words, reverse=True)

    def said_piece(self, piece: TrackJob, audio: TrackAudio) -> tuple[TrackJob, TrackAudio | None]:
        """Note a piece said: (its job, the whole track when this was the job's last piece)."""
        self.audio[piece.mp3_path] = audio
        self.said.append((piece, audio))
        job = self.jobs[piece.mp3_path]
        pieces = self.pieces[job.mp3_path]
        if any(p.mp3_path not in self.audio for p in pieces):
            return job, None
        self.joined[job.mp3_path] = join_pieces(job, [self.audio[p.mp3_path] for p in pieces])
        return job, self.joined[job.mp3_path]


def die_with_parent() -> None:
    """In a speech worker, before it starts: the kernel kills it when the process that started
    it dies (PR_SET_PDEATHSIG), so a `kill -9` of a build leaves no speech worker."""
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the worker ends when its track is done
        pass


class SpeechWorkers:
    """Speech workers started ahead, so that their start (Python and the pipeline's imports)
    overlaps the making of the script; lent to the threads that say pieces, one piece each at
    a time. Started and closed by one thread, which outlives them: the kernel kills a worker
    when the thread that started it ends (PR_SET_PDEATHSIG)."""

    def __init__(self, folder: Path, count: int):
        self._all = [SpeechWorker(folder) for _ in range(max(1, count))]
        self._free: queue.SimpleQueue[SpeechWorker] = queue.SimpleQueue()
        for worker in self._all:
            self._free.put(worker)

    def render(self, job: TrackJob) -> TrackAudio:
        worker = self._free.get()
        try:
            return worker.render(job)
        finally:
            self._free.put(worker)

    def close(self) -> None:
        for worker in self._all:
            worker.close()

    def __enter__(self) -> SpeechWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SpeechWorker:
    """One `python -m pipeline.stages.audio.worker` process, which forks a fresh child for each
    piece it renders (worker.py says why). One piece at a time."""

    def __init__(self, folder: Path):
        package_root = str(Path(__file__).resolve().parents[3])
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])),
        }
        self._stderr_path = Path(tempfile.mkstemp(prefix="speech-worker-", suffix=".stderr", dir=folder)[1])
        with open(self._stderr_path, "wb") as stderr:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "pipeline.stages.audio.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=env,
                preexec_fn=die_with_parent,
            )

    def render(self, job: TrackJob) -> TrackAudio:
        result_path = Path(job.mp3_path).with_suffix(".result")
        result_path.unlink(missing_ok=True)  # only this child's result may be read below
        payload = pickle.dumps(job)
        assert self._process.stdin is not None and self._process.stdout is not None
        said_before = self._stderr_path.stat().st_size  # what earlier tracks' children wrote
        try:
            self._process.stdin.write(f"{len(payload)} {result_path}\n".encode() + payload)
            self._process.stdin.flush()
            answer = self._process.stdout.readline()
        except OSError:  # the worker itself died: its stderr says why
            answer = b""
        if not result_path.exists():
            # The answer is the child's exit status; none means the worker itself stopped.
            how = f"exit status {answer.decode().strip()}" if answer else "the speech worker stopped"
            raise SynthesisError(
                f"the speech worker for track {job.track.number} ('{job.track.title}') failed "
                f"({how}): {_tail(self._stderr_path, said_before)}"
            )
        outcome = pickle.loads(result_path.read_bytes())
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def close(self) -> None:
        if self._process.stdin is not None:
            try:
                self._process.stdin.close()
            except OSError:
                pass
        self._process.wait()


def _tail(path: Path, start: int) -> str:
    try:
        with open(path, "rb") as text:
            text.seek(start)
            return text.read().decode("utf-8", "replace").strip()[-2000:]
    except OSError:
        return ""


# ---------------------------------------------------------------- MP3 frames

# MPEG audio layer III bit rates (kbps) by version and index, and sample rates.
_BITRATES = {
    "1": (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    "2": (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def mp3_frames(data: bytes) -> list[tuple[int, int]]:
    """(offset, length) of each MPEG layer III frame in a raw stream (no ID3 tag).

    Hand-written because we need exact frame counts of our own CBR output (for durations and
    chapter times) and no installed library exposes frame boundaries.
    """
    frames = []
    position = 0
    while position + 4 <= len(data):
        b1, b2 = data[position + 1], data[position + 2]
        version_bits = (b1 >> 3) & 3
        if data[position] != 0xFF or (b1 & 0xE0) != 0xE0 or version_bits == 1 or ((b1 >> 1) & 3) != 1:
            raise ValueError(f"not an MPEG layer III frame at byte {position}")
        bitrate = _BITRATES["1" if version_bits == 3 else "2"][b2 >> 4] * 1000
        sample_rate = _SAMPLE_RATES[version_bits][(b2 >> 2) & 3]
        padding = (b2 >> 1) & 1
        length = (144 if version_bits == 3 else 72) * bitrate // sample_rate + padding
        frames.append((position, length))
        position += length
    return frames


def samples_per_frame(data: bytes) -> int:
    return 1152 if data and (data[1] >> 3) & 3 == 3 else 576


def mp3_decoded_samples(path: Path) -> int:
    data = path.read_bytes()
    return len(mp3_frames(data)) * samples_per_frame(data)


def join_tracks(tracks: list[TrackAudio], book_path: Path) -> None:
    """The book: the tracks' raw MP3 streams one after another (valid for CBR, see above)."""
    with open(book_path, "wb") as book:
        for audio in tracks:
            with open(audio.mp3_path, "rb") as track:
                shutil.copyfileobj(track, book, 1 << 20)
