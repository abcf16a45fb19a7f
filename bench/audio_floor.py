"""Audio stage time against the floor: `espeak-ng -w` + `lame` on the same spoken script.

Usage: python bench/audio_floor.py SAMPLE.md [--words 10000] [--workers 2]

For the sample report and a generated report of --words words, builds the audio stage (serial
and with --workers processes), then times espeak-ng writing one WAV of the stage's own script
plus lame encoding it at the same constant bit rate, and prints the ratio stage / floor.
The target is 1.3 or less. The floor has no pauses, chapters, tags or section files.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import write_report  # noqa: E402
from pipeline.readers.markdown import read_markdown  # noqa: E402
from pipeline.stage_api import BuildContext  # noqa: E402
from pipeline.stages.audio import AudioOptions, build  # noqa: E402
from pipeline.textcompare import words  # noqa: E402


def time_stage(doc, slug: str, workers: int, out: Path) -> tuple[float, Path]:
    out.mkdir(parents=True, exist_ok=True)
    ctx = BuildContext(slug=slug, source=doc.source or out, workers=workers)
    started = time.perf_counter()
    build(doc, AudioOptions(), out, ctx)
    return time.perf_counter() - started, out / f"{slug}-script.txt"


def time_floor(script: Path, work: Path, options: AudioOptions) -> float:
    wav, mp3 = work / "floor.wav", work / "floor.mp3"
    started = time.perf_counter()
    subprocess.run(
        ["espeak-ng", "-v", options.voice, "-s", str(options.rate), "-w", str(wav), "-f", str(script)],
        check=True,
    )
    subprocess.run(
        ["lame", "--quiet", "--cbr", "-b", str(options.bitrate), "-m", "m", str(wav), str(mp3)], check=True
    )
    return time.perf_counter() - started


def bench(label: str, doc, workers: int, work: Path) -> list[tuple]:
    rows = []
    options = AudioOptions()
    for count in sorted({1, workers}):
        seconds, script = time_stage(doc, "bench", count, work / f"{label}-{count}")
        floor = time_floor(script, work / f"{label}-{count}", options)
        rows.append(
            (label, len(words(script.read_text(encoding="utf-8"))), count, seconds, floor, seconds / floor)
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sample", type=Path, help="the sample report (.md)")
    parser.add_argument("--words", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="audio-bench-") as temp:
        work = Path(temp)
        rows += bench("sample", read_markdown(args.sample), args.workers, work)
        generated = write_report(work / f"generated-{args.words}", args.words)
        rows += bench(f"{args.words} words", read_markdown(generated), args.workers, work)
    print(f"{'report':<14} {'words':>7} {'workers':>7} {'stage s':>8} {'floor s':>8} {'ratio':>6}")
    for label, count, workers, seconds, floor, ratio in rows:
        flag = "" if ratio <= 1.3 else "  (over 1.3)"
        print(f"{label:<14} {count:>7} {workers:>7} {seconds:>8.2f} {floor:>8.2f} {ratio:>6.2f}{flag}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
