"""A one-off build for a request, into outputs/requests/<request-id>/.

The standard outputs (outputs/<slug>/) are only ever read: when a request asks for a format with
its default options, and the standard output is current by the build's own rule
(build.current_outputs), the files are copied instead of rebuilt. Everything else is built by
build_report into the request's own folder.
"""
from __future__ import annotations

import mimetypes
import shutil
from dataclasses import dataclass
from pathlib import Path

from .. import stages
from ..errors import OptionsError, PipelineError, StageUnavailable
from ..stage_api import Stage
from .catalogue import CatalogueEntry
from .safety import crash_point
from .understand import FORMAT_LABELS, NEAREST, CannotMake, FormatRequest

# Files a stage writes for other stages, not for readers.
NOT_FOR_READERS = (".pagemap.json", "manifest.json")


@dataclass(frozen=True)
class Attachment:
    path: Path
    media_type: str


@dataclass(frozen=True)
class MadeFormat:
    format: str
    options: tuple[tuple[str, str], ...]
    files: tuple[Attachment, ...]
    reused: bool                  # copied from the standard outputs


@dataclass(frozen=True)
class Conversion:
    report: CatalogueEntry
    made: tuple[MadeFormat, ...]
    unavailable: tuple[CannotMake, ...]       # formats not available on this machine (yet)
    failed: tuple[tuple[str, str], ...]       # (format, reason) that could not be built
    notes: tuple[str, ...]                    # e.g. an option we could not honour


def plan(requests: tuple[FormatRequest, ...]) -> tuple[list[FormatRequest], list[CannotMake],
                                                       list[str]]:
    """Which requested formats can be made here, with options we can honour."""
    ready: list[FormatRequest] = []
    unavailable: list[CannotMake] = []
    notes: list[str] = []
    for request in requests:
        try:
            stage = stages.get(request.format)
        except StageUnavailable as error:
            unavailable.append(CannotMake(asked=FORMAT_LABELS.get(request.format, request.format),
                                          nearest=nearest_available(request.format),
                                          why=f"it is not available yet ({error})"))
            continue
        try:
            stages.make_options(stage, request.options_dict)
        except OptionsError as error:
            label = FORMAT_LABELS.get(request.format, request.format)
            notes.append(f"We couldn't make the {label} exactly as you asked ({_reason(error)}), "
                         f"so we have made our standard {label}.")
            request = FormatRequest(request.format)
        ready.append(request)
    return ready, unavailable, notes


def nearest_available(format_name: str) -> str:
    for candidate in NEAREST.get(format_name, ()):
        try:
            stages.get(candidate)
        except StageUnavailable:
            continue
        return candidate
    return ""


def _reason(error: Exception) -> str:
    text = str(error)
    return text.split(": ", 1)[1] if ": " in text else text


def convert(entry: CatalogueEntry, requests: tuple[FormatRequest, ...], request_dir: Path,
            outputs_dir: Path, *, show_progress: bool = False) -> Conversion:
    ready, unavailable, notes = plan(requests)
    request_dir.mkdir(parents=True, exist_ok=True)
    made: list[MadeFormat] = []
    to_build: list[FormatRequest] = []
    for request in ready:
        reused = _reuse_standard(entry, request, outputs_dir / entry.slug, request_dir)
        if reused is not None:
            made.append(reused)
        else:
            to_build.append(request)
    crash_point("converting")
    failed: list[tuple[str, str]] = []
    if to_build:
        from ..build import build_report
        result = build_report(entry.source, request_dir, [r.format for r in to_build],
                              {r.format: r.options_dict for r in to_build if r.options},
                              show_progress=show_progress)
        for request in to_build:
            if request.format in result.failed or request.format not in result.outputs:
                failed.append((request.format, result.errors.get(request.format, "no output")))
                continue
            stage = stages.get(request.format)
            files = tuple(_attachment(path, stage) for path in result.outputs[request.format]
                          if not path.name.endswith(NOT_FOR_READERS))
            made.append(MadeFormat(request.format, request.options, files, reused=False))
    order = [r.format for r in ready]
    made.sort(key=lambda m: order.index(m.format))
    return Conversion(entry, tuple(made), tuple(unavailable), tuple(failed), tuple(notes))


def _attachment(path: Path, stage: Stage) -> Attachment:
    suffix = next((s for s in stage.media_types if path.name.endswith(s)), path.suffix)
    media_type = stage.media_types.get(suffix) or mimetypes.guess_type(path.name)[0] \
        or "application/octet-stream"
    return Attachment(path, media_type)


def _reuse_standard(entry: CatalogueEntry, request: FormatRequest, standard_dir: Path,
                    request_dir: Path) -> MadeFormat | None:
    """Copy the standard output when it is exactly what a default-options build would make.

    "Exactly" is the build's own rule (build.current_outputs: source and images, stage version,
    options, tool versions, page map, files intact, checks passed), so the two cannot drift.
    The build's lock is held while checking and copying, so no build replaces the files
    meanwhile; lock_for creates the folder, so a missing folder is never locked (or made).
    """
    from ..build import current_outputs
    from ..manifest import lock_for

    stage = stages.get(request.format)
    if stages.make_options(stage, request.options_dict) != stage.options():
        return None
    if not standard_dir.is_dir():
        return None
    with lock_for(standard_dir):
        try:
            outputs = current_outputs(entry.source, standard_dir, request.format, None)
        except (OSError, PipelineError):       # the source cannot be read: build, and say so
            return None
        if outputs is None:
            return None
        files = []
        for path in outputs:
            if path.name.endswith(NOT_FOR_READERS):
                continue
            relative = path.relative_to(standard_dir)
            destination = request_dir / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
            files.append(_attachment(destination, stage))
    return MadeFormat(request.format, request.options, tuple(files), reused=True)
