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
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from . import __version__, manifest, stages
from .document import Document, figures
from .errors import OptionsError, PipelineError
from .hashing import relative_key, sha256_file, source_files
from .i18n import words_for
from .manifest import LanguageRecord, Manifest, PipelineRecord, SourceRecord, StageEntry
from .progress import quiet, stderr_bar
from .readers import fingerprint as reader_fingerprint
from .readers import read_source
from .sources import report_slug
from .stage_api import NARRATION, PAGE_MAP, BuildContext, CheckResult, Finding, PageMap, Stage


@dataclass
class BuildResult:
    manifest: dict[str, Any]  # the manifest as written (its JSON form)
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
    # Artefacts the stage is given (name -> file), and their sha256 (part of the key).
    artefacts: dict[str, str] = field(default_factory=dict)
    artefact_sha256: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StageRun:
    """What a worker sends back: the files it wrote (in its temp folder) and their check."""

    name: str
    temp_dir: Path | None  # None when the worker died before reporting its folder
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


def build_report(
    source: Path,
    out_dir: Path,
    formats: list[str] | None = None,
    options: dict[str, dict[str, str]] | None = None,
    *,
    workers: int = 2,
    show_progress: bool = True,
    thorough: bool = False,
) -> BuildResult:
    """Build `formats` (default: all) of one report into out_dir; see the module docstring.
    `thorough` also runs the slow validators in each check (EPUBCheck, every audio section
    heard), as `make check` does: for a build whose files go straight to a reader.

    Raises SourceError when the source has problems, and OptionsError when a format or an option
    is wrong; nothing is written then. A stage that fails while building does not stop the
    others: it is named in BuildResult.failed and .errors.
    """
    source = Path(source)
    slug = report_slug(source)
    report = _Source(source, manifest.read(out_dir, slug))
    names = _with_required_providers(list(formats) if formats else default_formats())
    if any(_narration_use(name) == "needs" for name in names) and "audio" not in names:
        names.append("audio")  # the talking book speaks the audio's narration
    result = BuildResult(manifest={})
    jobs, problems = _plan_jobs(report.inputs, names, options or {})
    if problems:
        raise OptionsError("; ".join(problems))
    try:
        with manifest.lock_for(out_dir):
            _remove_stale_temp(out_dir)
            try:
                current = manifest.read(out_dir, slug)
                _record_source(current, report)
                if current.language.warning:
                    say(f"{slug}: warning: {current.language.warning}")
                scheduler = _Scheduler(
                    report, slug, out_dir, jobs, current, result, workers, show_progress, thorough
                )
                scheduler.run()
                manifest.write(out_dir, current)
            finally:
                _remove_stale_temp(out_dir)  # an interrupted or failed stage's folder too
    except OSError as error:
        raise PipelineError(unwritable(out_dir, error)) from None
    result.manifest = current.to_json()
    return result


def unwritable(folder: Path, error: OSError) -> str:
    """One clear line for a folder the build cannot write: which folder, why, what to do."""
    import errno

    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"cannot write to {_display_path(folder)}: the disk is full; free some space "
            f"(or build into another folder with --outputs) and build again"
        )
    if error.errno == errno.EROFS:
        return (
            f"cannot write to {_display_path(folder)}: the file system is read-only; build "
            f"into another folder with --outputs"
        )
    if error.errno in (errno.EACCES, errno.EPERM):
        return (
            f"cannot write to {_display_path(folder)}: permission denied; make the folder "
            f"writable (chmod u+w) or build into another folder with --outputs"
        )
    return (
        f"cannot write to {_display_path(folder)}: {error.strerror or error}"
        f"{' (' + error.filename + ')' if error.filename else ''}"
    )


def current_outputs(
    source: Path, out_dir: Path, name: str, options: dict[str, str] | None = None
) -> list[Path] | None:
    """The outputs of stage `name` in out_dir when they are exactly what a build of `source`
    with these options would make now (same key: source, images, stage version, options,
    tools, page map; files intact; checks passed), else None. For request emails, which reuse
    the standard outputs instead of building again. Call it holding manifest.lock_for(out_dir)
    if the files are then copied, so no build replaces them meanwhile."""
    if not (out_dir / manifest.MANIFEST_NAME).is_file():
        return None
    current = manifest.read(out_dir, report_slug(source))
    jobs, problems = _plan_jobs(_Source(source, current).inputs, [name], {name: options} if options else {})
    if problems or not jobs:
        return None
    entry = current.stages.get(name)
    job = jobs[0]
    if entry is not None and entry.artefacts:
        job = _with_artefacts(job, _artefact_files(out_dir, current, set(entry.artefacts)))
    if entry is None or not manifest.is_reusable(out_dir, entry, job.key):
        return None
    return [out_dir / record.path for record in entry.outputs]


@dataclass(frozen=True)
class SourceInputs:
    """What a reading of the source tells the build's keys and manifest: the source's sha256,
    every file it was made from (images, sidecar) with theirs, which of those are its figures'
    images, and its language."""

    sha256: str
    files: dict[str, str]
    images: frozenset[str]
    language: str

    @classmethod
    def of(cls, doc: Document, source: Path) -> SourceInputs:
        images = frozenset(relative_key(figure.src, source.parent) for figure in figures(doc))
        return cls(sha256_file(source), source_files(doc, source), images, doc.meta.language)


class _Source:
    """A report's source as a build needs it: its inputs at once, its document only when a stage
    is to be built. When the manifest's record of the last reading provably still holds, the
    inputs come from it and a build with nothing to do never reads the source (reading and its
    parsers cost a no-op build about 70 ms a report; see _recorded_inputs)."""

    def __init__(self, path: Path, recorded: Manifest):
        self.path = path
        self._doc: Document | None = None
        inputs = _recorded_inputs(path, recorded)
        if inputs is None:  # a source's problems are reported here, before anything is planned
            self._doc = read_source(path)
            inputs = SourceInputs.of(self._doc, path)
        self.inputs = inputs

    @property
    def doc(self) -> Document:
        if self._doc is None:
            self._doc = read_source(self.path)
        return self._doc


def _recorded_inputs(source: Path, recorded: Manifest) -> SourceInputs | None:
    """The inputs the manifest recorded, when a reading now would find the same: the same reader
    (code and libraries: readers.fingerprint), the same source bytes, the sidecar there exactly
    when it was, and every recorded file still there with its hash (a Word file's pictures live
    in a temporary folder that may have been cleared). None when any of that fails."""
    record = recorded.source
    if not record.reader or record.reader != reader_fingerprint() or not source.is_file():
        return None
    if sha256_file(source) != record.sha256:
        return None
    sidecar = source.with_suffix(".yaml")
    if sidecar.is_file() != (relative_key(sidecar, source.parent) in record.files):
        return None
    for name, sha256 in record.files.items():
        path = source.parent / name  # absolute names (outside the report's folder) stay so
        if not path.is_file() or sha256_file(path) != sha256:
            return None
    return SourceInputs(record.sha256, dict(record.files), frozenset(record.images), recorded.language.tag)


def _plan_jobs(
    inputs: SourceInputs, names: list[str], options: dict[str, dict[str, str]]
) -> tuple[list[StageJob], list[str]]:
    """The stages to run with their keys, and every problem with the formats or options asked
    for (a wrong command line is reported before anything is written)."""
    digests = {
        True: manifest.source_digest(inputs.sha256, inputs.files),
        False: manifest.source_digest(
            inputs.sha256, {k: v for k, v in inputs.files.items() if k not in inputs.images}
        ),
    }
    jobs: list[StageJob] = []
    problems = [
        f"unknown format '{name}'. Formats: {', '.join(stages.available())}"
        for name in names
        if name not in stages.available()
    ]
    problems += [
        f"options were given for '{name}', which is not being built" for name in options if name not in names
    ]
    for name in stages.available():  # registry order (artefact order: _Scheduler)
        if name not in names:
            continue
        try:
            stage = stages.get(name)
            stage_options = stages.make_options(stage, options.get(name, {}))
        except PipelineError as error:
            problems.append(str(error))
            continue
        tools = stage.tool_versions()
        key = manifest.stage_key(
            digests[stage.uses_images], name, stage.version, _options_json(stage_options), tools
        )
        jobs.append(StageJob(name, stage_options, key, tools))
    return jobs, problems


def _narration_use(name: str) -> str:
    try:
        return stages.get(name).narration
    except PipelineError:
        return ""


def _options_json(options: Any) -> dict[str, Any]:
    return asdict(options)


def _record_source(current: Manifest, report: _Source) -> None:
    inputs = report.inputs
    current.source = SourceRecord(
        _display_path(report.path), inputs.sha256, inputs.files, sorted(inputs.images), reader_fingerprint()
    )
    tools = dict(current.pipeline.tools)
    tools["python"] = sys.version.split()[0]
    current.pipeline = PipelineRecord(__version__, tools)
    current.language = _language_record(inputs.language)


def _language_record(language: str) -> LanguageRecord:
    """Which catalogue gave the words the pipeline adds; a language without one is built with
    English words around the author's, and the manifest says so as a warning."""
    words = words_for(language)
    warning = ""
    if words.fallback:
        warning = (
            f"no catalogue for '{language}': the words the pipeline adds "
            f"(contents, page labels, the accessibility statement...) are in English. "
            f"Add pipeline/locale/{words.tag.split('-')[0].lower()}/LC_MESSAGES/"
            f"accessible_formats.po to translate them"
        )
    return LanguageRecord(language, words.language, warning)


def _display_path(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def _remove_stale_temp(out_dir: Path) -> None:
    """Temp folders left by a build that crashed (we hold the lock, so none is in use). Stages'
    own temporary folders live inside these (see _stage_temp), so they go too."""
    for leftover in out_dir.glob(".tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _die_with_parent() -> None:
    """Pool worker initializer: on Linux, ask the kernel to kill this worker when the build
    process dies (PR_SET_PDEATHSIG), so a `kill -9` of the build leaves no orphaned workers."""
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: workers end when their pipe closes
        pass


class _Scheduler:
    """Reuses what is current and runs the rest, each stage as soon as the stages of this build
    that provide an artefact it needs are done: epub and braille start when the PDF (and its
    page map) is in, while the Word documents are still being laid out. One pool of workers
    serves the whole build, and it keeps every worker busy: whenever one is free it takes a
    provider's pending check, then the first ready stage, a stage that provides an artefact
    first (others wait for it), then in registry order.

    A provider that others in this build wait for is built and checked as two tasks: its
    artefacts (the PDF's page map) are handed on as soon as it is built, from its temp folder,
    while its check runs beside the stages that use them. Their outputs are installed only after
    the provider passed its check and was installed; if it failed, they are built again without
    its artefacts, as when a provider fails its build."""

    def __init__(
        self,
        report: _Source,
        slug: str,
        out_dir: Path,
        jobs: list[StageJob],
        current: Manifest,
        result: BuildResult,
        workers: int,
        show_progress: bool,
        thorough: bool = False,
    ):
        self.report, self.out_dir, self.current, self.result = report, out_dir, current, result
        self.show_progress = show_progress
        self.waiting = list(jobs)  # registry order (artefact order: providers before users)
        self.originals = {job.name: job for job in jobs}  # before artefacts were added
        self.done: set[str] = set()  # reused, installed or failed
        self.running: dict[Future[StageRun], tuple[StageJob, str]] = {}  # (job, "all" | "build" | "check")
        self.to_check: list[tuple[StageRun, StageJob]] = []  # providers built, check not started
        self.unchecked: set[str] = set()  # providers built whose check has not finished
        self.staged: dict[str, tuple[Path, str]] = {}  # artefact of an unchecked provider -> file
        self.used: dict[str, set[str]] = {}  # stage -> unchecked providers whose artefacts it got
        self.held: dict[str, tuple[StageRun, StageJob]] = {}  # built and checked, not installed yet
        self.checked: dict[str, tuple[StageRun, StageJob]] = {}  # providers checked, not installed yet
        self.workers = max(1, workers)
        self.ctx_args = dict(slug=slug, source=report.path, workers=self.workers, thorough=thorough)
        self.pool: ProcessPoolExecutor | None = None

    def run(self) -> None:
        try:
            while self.waiting or self.running or self.to_check:
                self._settle()
                self._start_ready()
                if self.running:
                    self._collect()
            self._settle()
        finally:
            if self.pool is not None:
                self.pool.shutdown()

    def _ready(self) -> list[StageJob]:
        """Waiting stages none of whose needs a stage still to build provides (all of them if
        they wait on each other, as the phases did)."""
        building = self.waiting + [job for job, kind in self.running.values() if kind != "check"]
        still_to_provide = {a for job in building for a in stages.get(job.name).provides}
        ready = [job for job in self.waiting if not set(stages.get(job.name).needs) & still_to_provide]
        if not ready and not self.running and not self.to_check:
            ready = list(self.waiting)
        return sorted(ready, key=lambda job: not self._awaited(job))

    def _awaited(self, job: StageJob) -> bool:
        """Whether a waiting stage needs an artefact this one provides."""
        wanted = {a for other in self.waiting if other is not job for a in stages.get(other.name).needs}
        return bool(set(stages.get(job.name).provides) & wanted)

    def _start_ready(self) -> None:
        while self.to_check and len(self.running) < self.workers:
            built, job = self.to_check.pop(0)
            self._submit(job, "check", built)
        for job in self._ready():
            if len(self.running) >= self.workers:
                return
            self.waiting.remove(job)
            job = self._given_artefacts(job)
            if self._reuse(job):
                continue
            if self.workers <= 1 or (not self.waiting and not self.running and self.pool is None):
                # one stage left and no pool yet: run it here (no worker to start)
                run = run_stage(job, self.report.doc, self.out_dir, self.ctx_args, self.show_progress)
                self._finish(run, job)
                continue
            self._submit(job, "build" if self._awaited(job) else "all")

    def _given_artefacts(self, job: StageJob) -> StageJob:
        needs = set(stages.get(job.name).needs)
        files = _artefact_files(self.out_dir, self.current, needs, providers=self.done)
        providers = _providers()
        for artefact in needs - set(files):
            if artefact in self.staged:
                files[artefact] = self.staged[artefact]
                self.used.setdefault(job.name, set()).add(providers[artefact][0])
        return _with_artefacts(job, files)

    def _reuse(self, job: StageJob) -> bool:
        entry = self.current.stages.get(job.name)
        if entry is None or not manifest.is_reusable(self.out_dir, entry, job.key):
            return False
        entry.status = "reused"
        entry.seconds = 0.0
        # Their hashes were just confirmed: record their times, so the next build need not hash
        # them (a manifest written before times were recorded, or files restored by a CI cache).
        entry.outputs = [
            replace(record, mtime_ns=(self.out_dir / record.path).stat().st_mtime_ns)
            for record in entry.outputs
        ]
        self.result.outputs[job.name] = [self.out_dir / r.path for r in entry.outputs]
        say(f"{job.name}: up to date (reused)")
        self.done.add(job.name)
        self.used.pop(job.name, None)  # nothing built from an unchecked artefact
        return True

    def _submit(self, job: StageJob, kind: str, built: StageRun | None = None) -> None:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(
                max_workers=min(self.workers, len(self.waiting) + len(self.running) + 1),
                initializer=_die_with_parent,
            )
        try:
            if kind == "check":
                assert built is not None  # a check is of a stage built before
                future = self.pool.submit(
                    check_stage, job, self.report.doc, self.out_dir, self.ctx_args, built
                )
            else:
                future = self.pool.submit(
                    run_stage,
                    job,
                    self.report.doc,
                    self.out_dir,
                    self.ctx_args,
                    self.show_progress,
                    kind == "all",
                )
        except BrokenProcessPool:  # a worker of this pool died: the next stages get a new pool
            self.pool.shutdown(wait=False)
            self.pool = None
            self._submit(job, kind, built)
            return
        self.running[future] = (job, kind)

    def _collect(self) -> None:
        finished, _ = wait(self.running, return_when=FIRST_COMPLETED)
        for future in finished:
            job, kind = self.running.pop(future)
            try:
                run = future.result()
            except Exception as error:  # the worker process itself died
                # Its temp folder is unknown here; the next build clears .tmp-* folders.
                run = StageRun(job.name, None, error=f"the {job.name} worker died: {error}")
            if kind == "build" and run.error is None:
                self._stage_artefacts(run, job)
            elif kind == "check":
                self._provider_checked(run, job)
            else:
                self._built_and_checked(run, job)

    def _stage_artefacts(self, run: StageRun, job: StageJob) -> None:
        """A provider is built: the stages that need its artefacts may start, reading them in its
        temp folder (an artefact may name files beside it: the narration its MP3s), which stays
        in place until they are done."""
        for artefact, suffix in stages.get(job.name).provides.items():
            for path in run.files:
                if Path(path).name.endswith(suffix):
                    self.staged[artefact] = (Path(path), sha256_file(Path(path)))
        self.unchecked.add(job.name)
        self.to_check.append((run, job))

    def _provider_checked(self, run: StageRun, job: StageJob) -> None:
        for artefact in stages.get(job.name).provides:
            self.staged.pop(artefact, None)  # no stage starts from it any more
        self.unchecked.discard(job.name)
        self.checked[job.name] = (run, job)
        self._settle()

    def _built_and_checked(self, run: StageRun, job: StageJob) -> None:
        self.held[job.name] = (run, job)
        self._settle()

    def _users_running(self, provider: str) -> bool:
        return any(provider in self.used.get(job.name, set()) for job, _ in self.running.values())

    def _settle(self) -> None:
        """Install what can be installed: a checked provider once no stage reading its temp
        folder is running, then each stage given its artefacts once it is in (built again
        without them if it failed its check)."""
        for name, (run, job) in list(self.checked.items()):
            if not self._users_running(name):
                del self.checked[name]
                self._finish(run, job)
                if name in self.result.failed and any(name in used for used in self.used.values()):
                    say(f"{name}: the stages given its artefacts are built again without them")
        undecided = self.unchecked | set(self.checked)
        for name, (run, job) in list(self.held.items()):
            used = self.used.get(name, set())
            if used & undecided:
                continue
            del self.held[name]
            self.used.pop(name, None)
            if any(provider in self.result.failed for provider in used):
                if run.temp_dir is not None:
                    shutil.rmtree(run.temp_dir, ignore_errors=True)
                self.waiting.append(self.originals[name])
            else:
                self._finish(run, job)

    def _finish(self, run: StageRun, job: StageJob) -> None:
        _install(run, job, self.out_dir, self.current, self.result)
        self.done.add(job.name)


def _with_required_providers(names: list[str]) -> list[str]:
    """`names` plus the provider of every artefact a named stage cannot do without (a DAISY
    book speaks the audio stage's narration, so asking for daisy builds audio too)."""
    providers = _providers()
    for name in list(names):
        try:
            required = stages.get(name).requires
        except PipelineError:
            continue  # an unknown format is reported by the plan, with the others
        for artefact in required:
            provider = providers.get(artefact, ("", ""))[0]
            if provider and provider not in names:
                names.append(provider)
    return names


def _providers() -> dict[str, tuple[str, str]]:
    """Artefact -> (the stage that provides it, the suffix of the output that carries it)."""
    found: dict[str, tuple[str, str]] = {}
    for name in stages.available():
        try:
            stage = stages.get(name)
        except PipelineError:
            continue
        for artefact, suffix in stage.provides.items():
            found.setdefault(artefact, (name, suffix))
    return found


def _artefact_files(
    out_dir: Path, current: Manifest, wanted: set[str], providers: set[str] | None = None
) -> dict[str, tuple[Path, str]]:
    """Artefact -> (its file, its sha256), for the wanted artefacts whose providing stage has
    passing outputs in place (and, when `providers` is given, is one of those stages)."""
    files: dict[str, tuple[Path, str]] = {}
    for artefact, (stage_name, suffix) in _providers().items():
        if artefact not in wanted or (providers is not None and stage_name not in providers):
            continue
        entry = current.stages.get(stage_name)
        if entry is None or entry.status == "failed":
            continue
        for record in entry.outputs:
            if record.path.endswith(suffix):
                files[artefact] = (out_dir / record.path, record.sha256)
    return files


def _with_artefacts(job: StageJob, files: dict[str, tuple[Path, str]]) -> StageJob:
    """The job given the artefacts it needs; its key then also depends on their hashes."""
    given = {name: files[name] for name in stages.get(job.name).needs if name in files}
    if not given:
        return job
    digests = {name: sha for name, (_, sha) in sorted(given.items())}
    key = manifest.stage_key(job.key, job.name, "", {}, {}, extra=",".join(digests.values()))
    return replace(
        job,
        key=key,
        artefacts={name: str(path) for name, (path, _) in given.items()},
        artefact_sha256=digests,
    )


def _context(job: StageJob, ctx_args: dict[str, Any], show_progress: bool = False) -> BuildContext:
    artefacts = {name: Path(path) for name, path in job.artefacts.items()}
    page_map = PageMap.read(artefacts[PAGE_MAP]) if PAGE_MAP in artefacts else None
    progress = stderr_bar(job.name) if show_progress else quiet
    return BuildContext(
        progress=progress,
        page_map=page_map,
        narration=artefacts.get(NARRATION),
        artefacts=artefacts,
        **ctx_args,
    )


def run_stage(
    job: StageJob,
    doc: Document,
    out_dir: Path,
    ctx_args: dict[str, Any],
    show_progress: bool,
    check: bool = True,
) -> StageRun:
    """Build and check one stage in a fresh temp folder inside out_dir (same file system); with
    check=False only build it (check_stage checks it then)."""
    stage = stages.get(job.name)
    temp_dir = Path(tempfile.mkdtemp(prefix=f".tmp-{job.name}-", dir=out_dir))
    ctx = _context(job, ctx_args, show_progress)
    say(f"{job.name}: building")

    def work() -> tuple[list[Path], CheckResult | None]:
        with _stage_temp(temp_dir):
            files = stage.build(doc, job.options, temp_dir, ctx)
            return files, stage.check(doc, job.options, files, ctx) if check else None

    return _guarded(job, temp_dir, out_dir, time.monotonic(), work)


def check_stage(
    job: StageJob, doc: Document, out_dir: Path, ctx_args: dict[str, Any], built: StageRun
) -> StageRun:
    """The read-back check of a stage that run_stage(check=False) built, on its files in its
    temp folder; the run's seconds are the build's and the check's."""
    stage = stages.get(job.name)
    ctx = _context(job, ctx_args)
    assert built.temp_dir is not None  # a build that wrote files reported its folder
    temp_dir = built.temp_dir

    def work() -> tuple[list[Path], CheckResult | None]:
        with _stage_temp(temp_dir):
            return list(built.files), stage.check(doc, job.options, list(built.files), ctx)

    return _guarded(job, temp_dir, out_dir, time.monotonic() - built.seconds, work)


def _guarded(
    job: StageJob,
    temp_dir: Path,
    out_dir: Path,
    started: float,
    work: Callable[[], tuple[list[Path], CheckResult | None]],
) -> StageRun:
    """Run a stage's work; any error becomes the run's one clear line."""
    try:
        files, check = work()
    except PipelineError as error:
        return StageRun(job.name, temp_dir, seconds=time.monotonic() - started, error=str(error))
    except OSError as error:  # disk full, permissions: one clear line
        return StageRun(
            job.name,
            temp_dir,
            seconds=time.monotonic() - started,
            error=unwritable(Path(error.filename).parent if error.filename else out_dir, error),
        )
    except Exception as error:  # a bug: say so plainly, details on request
        if os.environ.get("ACCESSIBLE_FORMATS_DEBUG"):
            traceback.print_exc()
        message = (
            f"internal error in the {job.name} stage ({type(error).__name__}: {error}); "
            f"set ACCESSIBLE_FORMATS_DEBUG=1 for the traceback and report it"
        )
        return StageRun(job.name, temp_dir, seconds=time.monotonic() - started, error=message)
    return StageRun(
        job.name,
        temp_dir,
        tuple(files),
        check.to_json() if check is not None else None,
        time.monotonic() - started,
    )


class _stage_temp:
    """Everything a stage puts in "temporary" folders (tempfile here, TMPDIR for the tools it
    runs: espeak-ng, Java, LibreOffice) goes inside its own .tmp-<stage>-* folder, so it is
    removed with that folder, and by the next build if this one is killed (kill -9 included)."""

    def __init__(self, temp_dir: Path):
        # absolute: tools run from other folders (LibreOffice writes nothing with a relative TMPDIR)
        self.scratch = (temp_dir / ".scratch").resolve()

    def __enter__(self) -> None:
        self.scratch.mkdir(exist_ok=True)
        self.saved = (tempfile.tempdir, os.environ.get("TMPDIR"))
        tempfile.tempdir = str(self.scratch)
        os.environ["TMPDIR"] = str(self.scratch)

    def __exit__(self, *exc: object) -> None:
        tempfile.tempdir, saved_env = self.saved
        if saved_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_env
        shutil.rmtree(self.scratch, ignore_errors=True)


def _install(run: StageRun, job: StageJob, out_dir: Path, current: Manifest, result: BuildResult) -> None:
    """Move a passing stage's files into place and record it; record a failure otherwise."""
    stage = stages.get(job.name)
    previous = current.stages.get(job.name)
    if run.error is None and run.check is not None and not run.check["passed"]:
        errors = [f["message"] for f in run.check["findings"] if f["severity"] == "error"]
        kept = _keep_failed(run, out_dir)
        run = StageRun(
            run.name,
            run.temp_dir,
            run.files,
            run.check,
            run.seconds,
            error=f"its read-back check failed: {'; '.join(errors[:3])}"
            f"{' (and more)' if len(errors) > 3 else ''}; the failing files "
            f"are in {kept} for inspection",
        )
    if run.error is not None:
        _record_failure(run, job, previous, current, result)
    else:
        entry = _move_into_place(run, job, stage, out_dir)
        current.stages[job.name] = entry
        result.outputs[job.name] = [out_dir / r.path for r in entry.outputs]
        say(f"{job.name}: built in {run.seconds:.1f}s, checks passed")
        manifest.write(out_dir, current)
        _remove_old_outputs(out_dir, previous, entry)
    if run.temp_dir is not None:
        shutil.rmtree(run.temp_dir, ignore_errors=True)
    current.pipeline.tools.update(job.tools)
    manifest.write(out_dir, current)


def _keep_failed(run: StageRun, out_dir: Path) -> Path:
    kept = out_dir / ".failed" / run.name
    shutil.rmtree(kept, ignore_errors=True)
    kept.parent.mkdir(parents=True, exist_ok=True)
    if run.temp_dir is not None:
        shutil.copytree(run.temp_dir, kept)
    return kept


def _record_failure(
    run: StageRun, job: StageJob, previous: StageEntry | None, current: Manifest, result: BuildResult
) -> None:
    # The previous outputs stay in place and stay described by their previous key, so the
    # manifest still tells the truth about every file it lists.
    entry = replace(previous) if previous else StageEntry(checks={"passed": False})
    entry.status, entry.error, entry.seconds = "failed", run.error, round(run.seconds, 3)
    entry.attempt = {"key": job.key, "options": _options_json(job.options), "checks": run.check}
    current.stages[job.name] = entry
    result.failed.append(job.name)
    result.errors[job.name] = run.error or ""
    say(f"{job.name}: FAILED: {run.error}")


def _move_into_place(run: StageRun, job: StageJob, stage: Stage, out_dir: Path) -> StageEntry:
    assert run.temp_dir is not None  # a run with files reported its folder
    records = []
    for path in sorted(run.files):
        relative = Path(path).resolve().relative_to(run.temp_dir.resolve())
        destination = out_dir / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, destination)
        media_type = _media_type(stage, destination)
        records.append(manifest.output_record(out_dir, destination, media_type))
    return StageEntry(
        key=job.key,
        version=stage.version,
        options=_options_json(job.options),
        tools=job.tools,
        artefacts=dict(job.artefact_sha256),
        outputs=records,
        status="built",
        seconds=round(run.seconds, 3),
        error=None,
        checks=run.check,
        built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )


def _media_type(stage: Stage, path: Path) -> str:
    """The media type of the longest suffix the stage lists that the file name ends with
    (".pagemap.json" before ".json")."""
    matches = [suffix for suffix in stage.media_types if path.name.endswith(suffix)]
    return stage.media_types[max(matches, key=len)] if matches else "application/octet-stream"


def _remove_old_outputs(out_dir: Path, previous: StageEntry | None, entry: StageEntry) -> None:
    """Files the stage wrote last time but not this time (after the manifest stopped naming them)."""
    keep = {r.path for r in entry.outputs}
    for record in previous.outputs if previous else []:
        if record.path not in keep:
            stale = out_dir / record.path
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
        source = Path(current.source.path)
        doc = read_source(source)
        results: dict[str, CheckResult] = {}
        for name, entry in current.stages.items():
            if formats and name not in formats:
                continue
            results[name] = _recheck(doc, source, out_dir, name, entry, current)
            entry.checks = results[name].to_json()
            manifest.write(out_dir, current)
    return results


def _recheck(
    doc: Document, source: Path, out_dir: Path, name: str, entry: StageEntry, current: Manifest
) -> CheckResult:
    if not manifest.outputs_intact(out_dir, entry, rehash=True):
        return CheckResult(
            (
                Finding(
                    "error",
                    "an output is missing or was changed since it was built: run `make all` to rebuild it",
                    str(out_dir),
                ),
            )
        )
    stage = stages.get(name)
    options = stages.make_options(stage, entry.options or {})
    files = _artefact_files(out_dir, current, set(entry.artefacts))
    job = StageJob(
        name,
        options,
        entry.key or "",
        entry.tools,
        artefacts={artefact: str(path) for artefact, (path, _) in files.items()},
    )
    ctx = _context(job, dict(slug=out_dir.name, source=source, thorough=True))
    paths = [out_dir / r.path for r in entry.outputs]
    try:
        return stage.check(doc, options, paths, ctx)
    except PipelineError as error:
        return CheckResult((Finding("error", str(error), name),))
