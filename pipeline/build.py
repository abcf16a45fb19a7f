"""Run stages for one report and record everything in its manifest.

Each stage builds into a temporary folder beside the outputs and is checked there; only a stage
that built and passed its read-back check has its files renamed into place (atomic on one file
system), and the manifest is rewritten after each stage, so the manifest never points at a file
that is not there and a crash leaves the previous outputs and manifest intact.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import __version__, manifest, stages
from .document import Document, figures
from .errors import OptionsError, PipelineError
from .progress import quiet, stderr_bar
from .sources import read_source, relative_key, report_slug, sha256_file, source_files
from .stage_api import BuildContext, CheckResult, Finding, PageMap, Stage

PAGE_MAP_SUFFIX = ".pagemap.json"
NARRATION_SUFFIX = ".narration.json"


@dataclass
class BuildResult:
    manifest: dict[str, Any]
    failed: list[str] = field(default_factory=list)
    outputs: dict[str, list[Path]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StageJob:
    """One stage to run: everything a worker process needs, all picklable."""
    name: str
    options: Any
    key: str
    tools: dict[str, str]
    page_map_sha256: str = ""     # set when the stage is given the pdf's page map
    narration_sha256: str = ""    # set when the stage is given the audio stage's narration


@dataclass(frozen=True)
class StageRun:
    """What a worker sends back: the files it wrote (in its temp folder) and their check."""
    name: str
    temp_dir: Path | None         # None when the worker died before reporting its folder
    files: tuple[Path, ...] = ()
    check: dict[str, Any] | None = None
    seconds: float = 0.0
    error: str | None = None


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def default_formats() -> list[str]:
    """Every registered format whose module exists (formats not built yet are skipped)."""
    names = []
    for name in stages.available():
        try:
            stages.get(name)
        except PipelineError as error:
            say(f"note: skipping {name}: {error}")
            continue
        names.append(name)
    return names


def build_report(source: Path, out_dir: Path, formats: list[str] | None = None,
                 options: dict[str, dict[str, str]] | None = None, *, workers: int = 2,
                 show_progress: bool = True) -> BuildResult:
    """Build `formats` (default: all) of one report into out_dir; see the module docstring.

    Raises SourceError when the source has problems, and OptionsError when a format or an option
    is wrong; nothing is written then. A stage that fails while building does not stop the
    others: it is named in BuildResult.failed and .errors.
    """
    source = Path(source)
    doc = read_source(source)
    slug = report_slug(source)
    names = list(formats) if formats else default_formats()
    if any(_narration_use(name) == "needs" for name in names) and "audio" not in names:
        names.append("audio")               # the talking book speaks the audio's narration
    result = BuildResult(manifest={})
    jobs, problems = _plan_jobs(doc, source, names, options or {})
    if problems:
        raise OptionsError("; ".join(problems))
    with manifest.lock_for(out_dir):
        _remove_stale_temp(out_dir)
        current = manifest.read(out_dir, slug)
        _record_source(current, doc, source)
        _run_jobs(doc, source, slug, out_dir, jobs, current, result, workers, show_progress)
        manifest.write(out_dir, current)
    result.manifest = current
    return result


def current_outputs(source: Path, out_dir: Path, name: str,
                    options: dict[str, str] | None = None) -> list[Path] | None:
    """The outputs of stage `name` in out_dir when they are exactly what a build of `source`
    with these options would make now (same key: source, images, stage version, options,
    tools, page map; files intact; checks passed), else None. For request emails, which reuse
    the standard outputs instead of building again. Call it holding manifest.lock_for(out_dir)
    if the files are then copied, so no build replaces them meanwhile."""
    if not (out_dir / manifest.MANIFEST_NAME).is_file():
        return None
    doc = read_source(source)
    jobs, problems = _plan_jobs(doc, source, [name], {name: options} if options else {})
    if problems or not jobs:
        return None
    current = manifest.read(out_dir, report_slug(source))
    entry = current["stages"].get(name)
    job = jobs[0]
    if entry and entry.get("page_map"):
        job = _with_page_map(job, out_dir, current) if _page_map(out_dir, current) else job
    if not manifest.is_reusable(out_dir, entry, job.key):
        return None
    return [out_dir / record["path"] for record in entry["outputs"]]


def _plan_jobs(doc: Document, source: Path, names: list[str],
               options: dict[str, dict[str, str]]) -> tuple[list[StageJob], list[str]]:
    """The stages to run with their keys, and every problem with the formats or options asked
    for (a wrong command line is reported before anything is written)."""
    source_sha256, files = sha256_file(source), source_files(doc, source)
    image_paths = {relative_key(f.src, source.parent) for f in figures(doc)}
    digests = {True: manifest.source_digest(source_sha256, files),
               False: manifest.source_digest(source_sha256, {k: v for k, v in files.items()
                                                             if k not in image_paths})}
    jobs: list[StageJob] = []
    problems = [f"unknown format '{name}'. Formats: {', '.join(stages.available())}"
                for name in names if name not in stages.available()]
    problems += [f"options were given for '{name}', which is not being built"
                 for name in options if name not in names]
    for name in stages.available():            # registry order: pdf before its page-map users
        if name not in names:
            continue
        try:
            stage = stages.get(name)
            stage_options = stages.make_options(stage, options.get(name, {}))
        except PipelineError as error:
            problems.append(str(error))
            continue
        tools = stage.tool_versions()
        key = manifest.stage_key(digests[stage.uses_images], name, stage.version,
                                 _options_json(stage_options), tools)
        jobs.append(StageJob(name, stage_options, key, tools))
    return jobs, problems


def _narration_use(name: str) -> str:
    try:
        return stages.get(name).narration
    except PipelineError:
        return ""


def _options_json(options: Any) -> dict[str, Any]:
    return asdict(options)


def _record_source(current: dict[str, Any], doc: Document, source: Path) -> None:
    current["source"] = {"path": _display_path(source), "sha256": sha256_file(source),
                         "files": source_files(doc, source)}
    tools = dict(current.get("pipeline", {}).get("tools", {}))
    tools["python"] = sys.version.split()[0]
    current["pipeline"] = {"version": __version__, "tools": tools}


def _display_path(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def _remove_stale_temp(out_dir: Path) -> None:
    """Temp folders left by a build that crashed (we hold the lock, so none is in use)."""
    for leftover in out_dir.glob(".tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _run_jobs(doc: Document, source: Path, slug: str, out_dir: Path, jobs: list[StageJob],
              current: dict[str, Any], result: BuildResult, workers: int,
              show_progress: bool) -> None:
    """Reuse what is current; run the rest, page-map users after pdf, narration users last."""
    speaking = any(j.name == "audio" for j in jobs)
    third = [j for j in jobs if speaking and stages.get(j.name).narration]
    first = [j for j in jobs if not stages.get(j.name).uses_page_map and j not in third]
    second = [j for j in jobs if stages.get(j.name).uses_page_map and j not in third]
    _run_phase(doc, source, slug, out_dir, first, current, result, workers, show_progress, None)
    page_map = _page_map(out_dir, current) if any(j.name == "pdf" for j in jobs) else None
    if page_map is not None:
        second = [_with_page_map(job, out_dir, current) for job in second]
        third = [_with_page_map(job, out_dir, current) if stages.get(job.name).uses_page_map
                 else job for job in third]
    _run_phase(doc, source, slug, out_dir, second, current, result, workers, show_progress,
               page_map)
    narration = _narration(out_dir, current) if speaking else None
    if narration is not None:
        third = [_with_narration(job, narration) for job in third]
    _run_phase(doc, source, slug, out_dir, third, current, result, workers, show_progress,
               page_map, narration)


def _narration(out_dir: Path, current: dict[str, Any]) -> Path | None:
    entry = current["stages"].get("audio")
    if not entry or entry.get("status") == "failed":
        return None
    for record in entry.get("outputs", []):
        if record["path"].endswith(NARRATION_SUFFIX):
            return out_dir / record["path"]
    return None


def _with_narration(job: StageJob, narration: Path) -> StageJob:
    """A narration user's key also depends on the narration (and so the MP3s) it is given."""
    digest = sha256_file(narration)
    key = manifest.stage_key(job.key, job.name, "", {}, {}, extra="narration:" + digest)
    return StageJob(job.name, job.options, key, job.tools, job.page_map_sha256, digest)


def _page_map(out_dir: Path, current: dict[str, Any]) -> PageMap | None:
    entry = current["stages"].get("pdf")
    if not entry or entry.get("status") == "failed":
        return None
    for record in entry.get("outputs", []):
        if record["path"].endswith(PAGE_MAP_SUFFIX):
            return PageMap.read(out_dir / record["path"])
    return None


def _with_page_map(job: StageJob, out_dir: Path, current: dict[str, Any]) -> StageJob:
    """A page-map user's key also depends on the page map it will be given."""
    pdf_outputs = current["stages"]["pdf"]["outputs"]
    digest = next(r["sha256"] for r in pdf_outputs if r["path"].endswith(PAGE_MAP_SUFFIX))
    key = manifest.stage_key(job.key, job.name, "", {}, {}, extra=digest)
    return StageJob(job.name, job.options, key, job.tools, page_map_sha256=digest)


def _run_phase(doc: Document, source: Path, slug: str, out_dir: Path, jobs: list[StageJob],
               current: dict[str, Any], result: BuildResult, workers: int, show_progress: bool,
               page_map: PageMap | None, narration: Path | None = None) -> None:
    to_run = []
    for job in jobs:
        entry = current["stages"].get(job.name)
        if manifest.is_reusable(out_dir, entry, job.key):
            entry["status"] = "reused"
            entry["seconds"] = 0.0
            result.outputs[job.name] = [out_dir / r["path"] for r in entry["outputs"]]
            say(f"{job.name}: up to date (reused)")
        else:
            to_run.append(job)
    if not to_run:
        return
    ctx_args = dict(slug=slug, source=source, page_map=page_map,
                    workers=max(1, workers), narration=narration)
    if workers <= 1 or len(to_run) == 1:
        for job in to_run:
            run = run_stage(job, doc, out_dir, ctx_args, show_progress)
            _install(run, job, out_dir, current, result)
        return
    with ProcessPoolExecutor(max_workers=min(workers, len(to_run))) as pool:
        pending: dict[Future, StageJob] = {
            pool.submit(run_stage, job, doc, out_dir, ctx_args, show_progress): job
            for job in to_run}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                job = pending.pop(future)
                try:
                    run = future.result()
                except Exception as error:       # the worker process itself died
                    # Its temp folder is unknown here; the next build clears .tmp-* folders.
                    run = StageRun(job.name, None, error=f"the {job.name} worker died: {error}")
                _install(run, job, out_dir, current, result)


def run_stage(job: StageJob, doc: Document, out_dir: Path, ctx_args: dict[str, Any],
              show_progress: bool) -> StageRun:
    """Build and check one stage in a fresh temp folder inside out_dir (same file system)."""
    stage = stages.get(job.name)
    temp_dir = Path(tempfile.mkdtemp(prefix=f".tmp-{job.name}-", dir=out_dir))
    progress = stderr_bar(job.name) if show_progress else quiet
    ctx = BuildContext(progress=progress, **ctx_args)
    started = time.monotonic()
    say(f"{job.name}: building")
    try:
        files = stage.build(doc, job.options, temp_dir, ctx)
        check = stage.check(doc, job.options, files, ctx)
    except PipelineError as error:
        return StageRun(job.name, temp_dir, seconds=time.monotonic() - started, error=str(error))
    except Exception as error:                   # a bug: say so plainly, details on request
        if os.environ.get("ACCESSIBLE_FORMATS_DEBUG"):
            traceback.print_exc()
        message = (f"internal error in the {job.name} stage ({type(error).__name__}: {error}); "
                   f"set ACCESSIBLE_FORMATS_DEBUG=1 for the traceback and report it")
        return StageRun(job.name, temp_dir, seconds=time.monotonic() - started, error=message)
    return StageRun(job.name, temp_dir, tuple(files), check.to_json(),
                    time.monotonic() - started)


def _install(run: StageRun, job: StageJob, out_dir: Path, current: dict[str, Any],
             result: BuildResult) -> None:
    """Move a passing stage's files into place and record it; record a failure otherwise."""
    stage = stages.get(job.name)
    previous = current["stages"].get(job.name) or {}
    if run.error is None and run.check is not None and not run.check["passed"]:
        errors = [f["message"] for f in run.check["findings"] if f["severity"] == "error"]
        kept = _keep_failed(run, out_dir)
        run = StageRun(run.name, run.temp_dir, run.files, run.check, run.seconds,
                       error=f"its read-back check failed: {'; '.join(errors[:3])}"
                             f"{' (and more)' if len(errors) > 3 else ''}; the failing files "
                             f"are in {kept} for inspection")
    if run.error is not None:
        _record_failure(run, job, previous, current, result)
    else:
        entry = _move_into_place(run, job, stage, out_dir)
        current["stages"][job.name] = entry
        result.outputs[job.name] = [out_dir / r["path"] for r in entry["outputs"]]
        say(f"{job.name}: built in {run.seconds:.1f}s, checks passed")
        manifest.write(out_dir, current)
        _remove_old_outputs(out_dir, previous, entry)
    if run.temp_dir is not None:
        shutil.rmtree(run.temp_dir, ignore_errors=True)
    current["pipeline"].setdefault("tools", {}).update(job.tools)
    manifest.write(out_dir, current)


def _keep_failed(run: StageRun, out_dir: Path) -> Path:
    kept = out_dir / ".failed" / run.name
    shutil.rmtree(kept, ignore_errors=True)
    kept.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(run.temp_dir, kept)
    return kept


def _record_failure(run: StageRun, job: StageJob, previous: dict[str, Any],
                    current: dict[str, Any], result: BuildResult) -> None:
    # The previous outputs stay in place and stay described by their previous key, so the
    # manifest still tells the truth about every file it lists.
    entry = dict(previous) if previous else {"key": None, "version": None, "options": None,
                                             "outputs": [], "checks": {"passed": False}}
    entry.update(status="failed", error=run.error, seconds=round(run.seconds, 3),
                 attempt={"key": job.key, "options": _options_json(job.options),
                          "checks": run.check})
    current["stages"][job.name] = entry
    result.failed.append(job.name)
    result.errors[job.name] = run.error or ""
    say(f"{job.name}: FAILED: {run.error}")


def _move_into_place(run: StageRun, job: StageJob, stage: Stage, out_dir: Path) -> dict[str, Any]:
    records = []
    for path in sorted(run.files):
        relative = Path(path).resolve().relative_to(run.temp_dir.resolve())
        destination = out_dir / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, destination)
        media_type = stage.media_types.get(_suffix(destination), "application/octet-stream")
        records.append(manifest.output_record(out_dir, destination, media_type))
    return {"key": job.key, "version": stage.version, "options": _options_json(job.options),
            "tools": job.tools, "page_map": job.page_map_sha256 or None,
            "narration": job.narration_sha256 or None,
            "outputs": records, "status": "built",
            "seconds": round(run.seconds, 3), "error": None, "checks": run.check,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def _suffix(path: Path) -> str:
    """The media-type suffix: '.pagemap.json' and '.m3u8' style compound names first."""
    name = path.name
    for compound in (PAGE_MAP_SUFFIX,):
        if name.endswith(compound):
            return compound
    return path.suffix


def _remove_old_outputs(out_dir: Path, previous: dict[str, Any], entry: dict[str, Any]) -> None:
    """Files the stage wrote last time but not this time (after the manifest stopped naming them)."""
    keep = {r["path"] for r in entry["outputs"]}
    for record in previous.get("outputs") or []:
        if record["path"] not in keep:
            stale = out_dir / record["path"]
            stale.unlink(missing_ok=True)
            parent = stale.parent
            while parent != out_dir and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent


def check_outputs(out_dir: Path, formats: list[str] | None = None) -> dict[str, CheckResult]:
    """Run the read-back checks of every stage recorded in out_dir's manifest again, on the files
    as they are now, and store the results in the manifest (`make check`)."""
    with manifest.lock_for(out_dir):
        current = manifest.read(out_dir, out_dir.name)
        source = Path(current.get("source", {}).get("path", ""))
        doc = read_source(source)
        results: dict[str, CheckResult] = {}
        for name, entry in current["stages"].items():
            if formats and name not in formats:
                continue
            results[name] = _recheck(doc, source, out_dir, name, entry, current)
            entry["checks"] = results[name].to_json()
            manifest.write(out_dir, current)
    return results


def _recheck(doc: Document, source: Path, out_dir: Path, name: str,
             entry: dict[str, Any], current: dict[str, Any]) -> CheckResult:
    if not manifest.outputs_intact(out_dir, entry):
        return CheckResult((Finding("error", "an output is missing or was changed since it was "
                                    "built: run `make all` to rebuild it", str(out_dir)),))
    stage = stages.get(name)
    options = stages.make_options(stage, entry.get("options") or {})
    page_map = _page_map(out_dir, current) if entry.get("page_map") else None
    ctx = BuildContext(slug=out_dir.name, source=source, page_map=page_map)
    paths = [out_dir / r["path"] for r in entry["outputs"]]
    try:
        return stage.check(doc, options, paths, ctx)
    except PipelineError as error:
        return CheckResult((Finding("error", str(error), name),))
