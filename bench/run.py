"""`make bench`: time and peak memory of each stage, and of a no-op rebuild, for the sample report
and for generated reports (50,000 and 100,000 words, written to a temporary folder), so growth can
be read as a ratio. Each stage runs in a fresh process so its peak memory is its own.

Audio on 100,000 words is hours of speech: it is benchmarked by bench/audio_floor.py on the sample
and on 10,000 words instead (set BENCH_AUDIO_LARGE=1 to include it here anyway).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import write_report  # noqa: E402
from pipeline import stages  # noqa: E402
from pipeline.build import default_formats  # noqa: E402

MEMORY_LIMIT_MB = 500
RUN_ONE = """
import json, resource, sys, time
from pathlib import Path
from pipeline.build import build_report
source, out, names = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3].split(",")
started = time.monotonic()
result = build_report(source, out, names, workers=1, show_progress=False)
seconds = time.monotonic() - started
# The stage's own process and the largest of its children (EPUBCheck's Java, audio workers).
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": max(peak_mb, child_mb), "failed": result.failed,
                  "errors": result.errors}))
"""


def run(source: Path, out: Path, names: list[str]) -> dict:
    completed = subprocess.run([sys.executable, "-c", RUN_ONE, str(source), str(out), ",".join(names)],
                               capture_output=True, text=True, cwd=ROOT)
    if completed.returncode != 0:
        return {"seconds": 0, "peak_mb": 0, "failed": names, "errors": {"run": completed.stderr[-500:]}}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def bench_report(label: str, source: Path, out: Path, names: list[str]) -> dict[str, dict]:
    rows = {}
    for name in names:
        rows[name] = run(source, out, [name])
        _print_row(label, name, rows[name])
    # Stages built one at a time had no pdf page map beside them; one full build settles the
    # page-map users, so the next one is the true no-op rebuild.
    run(source, out, names)
    rows["no-op rebuild"] = run(source, out, names)
    _print_row(label, "no-op rebuild", rows["no-op rebuild"])
    return rows


RUN_SPOKEN = RUN_ONE.replace("workers=1", "workers=2")
SPOKEN_TARGET = 1.2               # issue 12: audio + DAISY + read-along EPUB within audio + 20%


def bench_spoken_formats(sample: Path, tmp_path: Path) -> dict[str, dict]:
    """Issue 12: audio, DAISY and the read-along EPUB together against audio alone (speech is
    synthesised once, so the other two should add little), on the sample and 10,000 words,
    each in a fresh outputs folder, with both workers as a normal build has."""
    print(f"\nSpoken formats together against audio alone (target x{SPOKEN_TARGET}):", flush=True)
    rows: dict[str, dict] = {}
    sources = {"sample": sample, "10,000 words": write_report(tmp_path / "spoken-10000", 10_000)}
    for label, source in sources.items():
        timings = {}
        for names in (["audio"], ["audio", "daisy", "epub"]):
            key = "+".join(names)
            out = tmp_path / f"out-{label}-{key}".replace(",", "").replace(" ", "-")
            completed = subprocess.run([sys.executable, "-c", RUN_SPOKEN, str(source), str(out),
                                        ",".join(names)], capture_output=True, text=True,
                                       cwd=ROOT)
            row = json.loads(completed.stdout.strip().splitlines()[-1]) if \
                completed.returncode == 0 else {"seconds": 0, "peak_mb": 0, "failed": names,
                                                 "errors": {"run": completed.stderr[-300:]}}
            timings[key] = rows[f"{label} {key}"] = row
            _print_row(label, key, row)
        alone, together = timings["audio"]["seconds"], timings["audio+daisy+epub"]["seconds"]
        ratio = together / alone if alone else float("nan")
        print(f"  {label}: x{ratio:.2f} {'ok' if ratio <= SPOKEN_TARGET else 'OVER TARGET'}",
              flush=True)
    return rows


def _print_row(label: str, name: str, row: dict) -> None:
    status = "FAILED " + "; ".join(row["errors"].values())[:80] if row["failed"] else \
        ("over memory limit" if row["peak_mb"] > MEMORY_LIMIT_MB else "ok")
    print(f"{label:<18} {name:<14} {row['seconds']:>8.2f} s {row['peak_mb']:>8.0f} MB  {status}",
          flush=True)


def main() -> int:
    names = default_formats()
    # daisy speaks the audio's narration, so it costs what audio costs
    large_names = [n for n in names if n not in ("audio", "daisy")
                   or os.environ.get("BENCH_AUDIO_LARGE")]
    print(f"{'report':<18} {'stage':<14} {'time':>10} {'peak':>11}  status   "
          f"(peak: the larger of the stage's process and its largest child)")
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        tmp_path = Path(tmp)
        sample = ROOT / "sources" / "impact-report-2023" / "impact-report-2023.md"
        results["sample"] = bench_report("sample", sample, tmp_path / "out-sample", names)
        for words in (50_000, 100_000):
            source = write_report(tmp_path / f"bench-{words}", words)
            results[words] = bench_report(f"{words:,} words", source, tmp_path / f"out-{words}",
                                          large_names)
    print("\nGrowth from 50,000 to 100,000 words (2.0 is linear):")
    for name in large_names:
        small, large = results[50_000][name]["seconds"], results[100_000][name]["seconds"]
        print(f"  {name:<14} time x{large / small if small else float('nan'):.2f}   memory "
              f"{results[50_000][name]['peak_mb']:.0f} -> {results[100_000][name]['peak_mb']:.0f} MB")
    audio_floor = ROOT / "bench" / "audio_floor.py"
    if "audio" in names and audio_floor.is_file():
        print("\nAudio against the espeak-ng + lame floor:", flush=True)
        subprocess.run([sys.executable, str(audio_floor), str(sample)], cwd=ROOT)
    if "daisy" in names:
        results["spoken"] = bench_spoken_formats(sample, tmp_path_spoken := Path(
            tempfile.mkdtemp(prefix="bench-spoken-")))
        shutil.rmtree(tmp_path_spoken, ignore_errors=True)
    over = [(label, name) for label, rows in results.items() for name, row in rows.items()
            if row["peak_mb"] > MEMORY_LIMIT_MB or row["failed"]]
    if over:
        print(f"\nOver {MEMORY_LIMIT_MB} MB or failed: {over}")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
