"""The speech worker: a process that has imported everything a track needs and has never spoken,
which forks a fresh child for each track (or piece of one: assemble.pieces_of) it is asked for.

Run as `python -m pipeline.stages.audio.worker` by assemble.SpeechWorkers, one per build worker.
Requests come on stdin, each a line "<bytes> <result path>" and then that many bytes of a
pickled TrackJob. For each, a child is forked; it renders the job and pickles the result (a
TrackAudio, or the SynthesisError) into the result path (anything else that goes wrong, to the
worker's stderr). When it has exited, the worker answers with a line holding its exit status.

Why a fork of a process that has never spoken, rather than a fresh Python process per track:
espeak carries state from one utterance to the next (synth.py, edge 7), so every job must be
said by a process in which espeak starts fresh. A child forked from this process is that: espeak
is loaded here but never initialised, no thread runs here (a fork copies only the calling
thread), and nothing here calls libc's rand(). Starting Python and importing the pipeline for
every track cost about 0.15 s a track (2 s of the 28 s of work a 10,000-word report's audio is).
stdout is the answer channel, so a child's stdout goes to /dev/null (pyttsx3 prints to it).
"""

from __future__ import annotations

import os
import pickle
import sys
import traceback
from pathlib import Path

from .assemble import die_with_parent, render_track
from .synth import SynthesisError


def render_into(job_bytes: bytes, result_path: str) -> None:
    job = pickle.loads(job_bytes)
    try:
        outcome: object = render_track(job)
    except SynthesisError as error:
        outcome = error
    Path(result_path).write_bytes(pickle.dumps(outcome))


def _child(job_bytes: bytes, result_path: str) -> int:
    """In the forked child: stdout to /dev/null, no stdin, then the track."""
    try:
        die_with_parent()
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        os.close(0)
        render_into(job_bytes, result_path)
        return 0
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        sys.stderr.flush()


def serve() -> int:
    requests, answers = sys.stdin.buffer, sys.stdout
    while header := requests.readline():
        size, result_path = header.decode("utf-8").rstrip("\n").split(" ", 1)
        job_bytes = requests.read(int(size))
        answers.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child never returns into this loop, whatever happens
            code = 1
            try:
                code = _child(job_bytes, result_path)
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        answers.write(f"{os.waitstatus_to_exitcode(status)}\n")
        answers.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(serve())
