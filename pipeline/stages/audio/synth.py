"""Speech synthesis with pyttsx3's espeak driver, with each of its sharp edges handled.

The sharp edges (measured with pyttsx3 2.99 on espeak-ng 1.51; see TOOLING.md "Speech"):
1. `runAndWait()` returns as soon as espeak *starts* (espeak synthesises on its own thread and the
   driver writes the WAV at the end-of-message event): we wait for 'finished-utterance'.
2. Several `save_to_file` calls before one `runAndWait` write only the last file: we make exactly
   one `save_to_file` per `runAndWait`.
3. The driver grows its buffer with `bytes +=`, which copies the whole buffer for every chunk, so
   time is quadratic in the length of the text: `BufferedEspeakDriver` keeps a `bytearray` (which
   grows in place), and we also synthesise one paragraph at a time.
4. An unknown voice id (`en-gb`) fails silently, leaving the previous voice in place; the error
   only reaches the 'error' event: we listen for it and raise `SynthesisError`.
5. `save_to_file` prints "Audio saved to ..." to stdout, which would corrupt `--json` output: we
   redirect both `sys.stdout` and file descriptor 1 while the driver runs.
5b. The driver's stop(), called at the end of every runAndWait queue, cancels espeak's pending
   commands, including the rate we just set: `BufferedEspeakDriver.stop` does nothing.
   (`getProperty('rate')` cannot confirm it: espeak resets the value it reports.)
6. SSML is read aloud, not interpreted: we never send markup; pauses are real silence in PCM.
7. espeak carries state from one utterance to the next (libc `rand()` and its own static
   variables), so the same text gives slightly different samples depending on what was spoken
   before in the process. For output that does not depend on the number of workers, every track
   is synthesised in a fresh process (see assemble.render_tracks).
Output is always 22,050 Hz mono 16-bit.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import sys
import tempfile
import threading
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyttsx3
from pyttsx3.drivers import espeak as pyttsx3_espeak

SAMPLE_RATE = 22050
SAMPLE_WIDTH = 2  # bytes: 16-bit mono
DRIVER_NAME = "accessible_espeak"


class SynthesisError(RuntimeError):
    """espeak could not say something: the message says what and what to do."""


class BufferedEspeakDriver(pyttsx3_espeak.EspeakDriver):
    """pyttsx3's espeak driver with a buffer that grows in place.

    The stock driver does `self._data_buffer += chunk` on a `bytes` object, copying the whole
    buffer for every chunk espeak hands back (quadratic: 5,000 words took 29 s instead of 1 s).
    The property below stores a bytearray, so that same `+=` line extends it in place; assigning
    `b""` (as the driver does to reset) starts a fresh bytearray.
    """

    @property
    def _data_buffer(self) -> bytearray:
        return self.__buffer

    @_data_buffer.setter
    def _data_buffer(self, value: bytes | bytearray) -> None:
        self.__buffer = value if isinstance(value, bytearray) else bytearray(value)

    def stop(self) -> None:
        """Do not cancel: pyttsx3 calls stop() at the end of every runAndWait's command queue,
        *before* the queued utterance starts. espeak's IsPlaying() is true while our rate change
        still waits in espeak's own command queue, so the stock stop() cancelled it and the
        utterance came out at the previous rate (seen in about half the calls under load). We
        never interrupt speech, so there is nothing to stop."""


def buildDriver(proxy):
    return BufferedEspeakDriver(proxy)


# pyttsx3 loads drivers by module name from its `drivers` package; registering this module under
# that package lets `pyttsx3.init(DRIVER_NAME)` build our driver through the normal entry point.
sys.modules.setdefault(f"pyttsx3.drivers.{DRIVER_NAME}", sys.modules[__name__])


@dataclass(frozen=True)
class VoiceInfo:
    id: str  # what espeak's SetVoiceByName accepts: "gmw/en"
    name: str  # "English (Great Britain)"
    language: str  # "en-gb"


@contextlib.contextmanager
def stdout_captured() -> Iterator[io.StringIO]:
    """Send everything written to stdout (Python's and fd 1) into a buffer while the block runs.

    The driver's print() runs on espeak's thread, so we swap the process-wide sys.stdout (not a
    thread-local) and also point fd 1 at a temporary file in case C code writes there.
    """
    captured = io.StringIO()
    sys.stdout.flush()
    saved_fd = os.dup(1)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        try:
            with contextlib.redirect_stdout(captured):
                yield captured
        finally:
            sys.stdout.flush()
            os.dup2(saved_fd, 1)
            os.close(saved_fd)
            sink.seek(0)
            captured.write(sink.read().decode("utf-8", "replace"))


class Speaker:
    """One pyttsx3 engine on our driver, saying one utterance at a time into 16-bit PCM."""

    def __init__(self, workdir: Path | None = None):
        self.engine = pyttsx3.init(DRIVER_NAME)
        self._finished = threading.Event()
        self._errors: list[Exception] = []
        self.engine.connect("finished-utterance", self._on_finished)
        self.engine.connect("error", self._on_error)
        self._own_workdir: tempfile.TemporaryDirectory[str] | None = None
        if not workdir:
            self._own_workdir = tempfile.TemporaryDirectory(prefix="speech-")
            workdir = Path(self._own_workdir.name)
        self._workdir = Path(workdir)
        self.last_stdout = ""

    def _on_finished(self, name: str | None = None, completed: bool = True) -> None:
        self._finished.set()

    def _on_error(self, name: str | None = None, exception: Exception | None = None) -> None:
        self._errors.append(exception or RuntimeError("unknown espeak error"))

    def pcm(self, text: str, voice: str, rate: int) -> bytes:
        """16-bit mono PCM at 22,050 Hz of `text` said by `voice` at `rate` words per minute."""
        if not text.strip():
            return b""
        wav_path = self._workdir / "utterance.wav"
        wav_path.unlink(missing_ok=True)
        self._finished.clear()
        self._errors.clear()
        self.engine.setProperty("voice", voice)
        self.engine.setProperty("rate", rate)
        with stdout_captured() as captured:
            self.engine.save_to_file(text, str(wav_path))  # exactly one file per runAndWait
            self.engine.runAndWait()
            finished = self._finished.wait(timeout=60 + len(text) / 50)
        self.last_stdout = captured.getvalue()
        if self._errors:
            raise SynthesisError(
                f"espeak-ng could not use voice '{voice}' at {rate} words per "
                f"minute: {self._errors[0]}. English voices here: "
                f"{', '.join(english_voice_ids())}"
            )
        if not finished or not wav_path.exists():
            raise SynthesisError(f"espeak-ng did not finish speaking {text[:60]!r}")
        with wave.open(str(wav_path), "rb") as wav:
            if (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) != (SAMPLE_RATE, SAMPLE_WIDTH, 1):
                raise SynthesisError(f"espeak-ng wrote unexpected audio: {wav.getparams()}")
            return wav.readframes(wav.getnframes())


@lru_cache(maxsize=1)
def installed_voices() -> tuple[VoiceInfo, ...]:
    engine = pyttsx3.init(DRIVER_NAME)
    return tuple(
        VoiceInfo(v.id, v.name, (v.languages or [""])[0].lower()) for v in engine.getProperty("voices")
    )


def english_voice_ids() -> list[str]:
    return [v.id for v in installed_voices() if v.language.startswith("en")]


def voice_for_language(lang: str) -> str | None:
    """The espeak voice for a BCP 47 tag ("cy" -> "cel/cy", "fr-CA" -> "roa/fr"), or None."""
    wanted = lang.lower().replace("_", "-")
    primary = wanted.split("-")[0]
    voices = installed_voices()
    for match in (
        lambda v: v.language == wanted,
        lambda v: v.id.rsplit("/", 1)[-1] == wanted,
        lambda v: v.language == primary or v.id.rsplit("/", 1)[-1] == primary,
        lambda v: v.language.split("-")[0] == primary,
    ):
        found = [v.id for v in voices if match(v)]
        if found:
            return sorted(found, key=len)[0]
    return None


def espeak_version() -> str:
    return (
        pyttsx3_espeak._espeak.Info(None).decode("utf-8", "replace").split()[0]
        if hasattr(pyttsx3_espeak._espeak, "Info")
        else "unknown"
    )


class DirectSpeaker:
    """espeak-ng itself in synchronous mode, through pyttsx3's own ctypes binding (_espeak).

    Why not the pyttsx3 engine here: every utterance through it costs a WAV file written and read
    back and a 10 ms polling loop (`startLoop` sleeps between iterations), which adds up at one
    call per sentence (a 10,000-word report is about 700 sentences). In AUDIO_OUTPUT_SYNCHRONOUS
    mode `espeak_Synth` returns only when every sample has been handed to our callback: no
    thread, no file, no race with the end-of-message event (pyttsx3 edges 1-3 and 5 do not arise).
    Same library, same voices, same rate parameter, so the speech is the same. Only in a speech
    worker process (assemble.render_tracks): espeak has one synthesis callback per process, and
    this takes it from any pyttsx3 engine there, whose runAndWait would then wait forever."""

    def __init__(self) -> None:
        from pyttsx3.drivers import _espeak

        self._espeak = _espeak
        rate = _espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 500)
        if rate != SAMPLE_RATE:
            raise SynthesisError(f"espeak-ng started at {rate} Hz, expected {SAMPLE_RATE}")
        self._chunks: list[bytes] = []
        self._voice: str | None = None
        self._rate: int | None = None

        def on_samples(wav, count, events):  # called by espeak during Synth
            if count > 0 and wav:
                self._chunks.append(ctypes.string_at(wav, count * SAMPLE_WIDTH))
            return 0

        _espeak.SetSynthCallback(on_samples)

    def pcm(self, text: str, voice: str, rate: int) -> bytes:
        if not text.strip():
            return b""
        if voice != self._voice:
            if self._espeak.SetVoiceByName(voice.encode("utf-8")) != self._espeak.EE_OK:
                raise SynthesisError(
                    f"espeak-ng has no voice '{voice}'. English voices here: {', '.join(english_voice_ids())}"
                )
            self._voice, self._rate = voice, None
        if rate != self._rate:
            self._espeak.SetParameter(self._espeak.RATE, rate, 0)
            self._rate = rate
        self._chunks = []
        status = self._espeak.Synth(text, flags=self._espeak.CHARS_UTF8 | self._espeak.ENDPAUSE)
        if status != self._espeak.EE_OK:
            raise SynthesisError(f"espeak-ng could not speak {text[:60]!r} (status {status})")
        return b"".join(self._chunks)
