"""Entry point of a speech worker process: one track job (pickled on stdin) -> one MP3 stream.

Run as `python -m pipeline.stages.audio.worker RESULT_PATH` by assemble.render_tracks. The result
(a TrackAudio, or the SynthesisError) is pickled into RESULT_PATH; stdout is not used, because
pyttsx3 prints to it.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from .assemble import render_track
from .synth import SynthesisError


def main(result_path: str) -> int:
    job = pickle.loads(sys.stdin.buffer.read())
    try:
        outcome: object = render_track(job)
    except SynthesisError as error:
        outcome = error
    Path(result_path).write_bytes(pickle.dumps(outcome))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
