"""A one-off build for a request, into outputs/requests/<request-id>/, and what of it is sent.

The standard outputs (outputs/<slug>/) are only ever read: when a request asks for a format with
its default options, and the standard output is current by the build's own rule
(build.current_outputs), the files are copied instead of rebuilt. Everything else is built by
build_report into the request's own folder.

What is attached is exactly what was asked: one file per format, except where the format is a
set (braille: BRF and PEF; DAISY: its zip); audio is the one MP3, or its section files as one
zip when the reader asked for tracks. Sizes are counted as the email carries them (base64).
"""

from __future__ import annotations

import math
import mimetypes
import re
import shutil
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from xml.etree import ElementTree

from .. import stages
from ..errors import OptionsError, PipelineError, StageUnavailable
from ..stage_api import Stage
from .catalogue import CatalogueEntry
from .safety import crash_point
from .understand import FORMAT_LABELS, N_, NEAREST, CannotMake, FormatRequest

# Files a stage writes for other stages, not for readers.
NOT_FOR_READERS = (".pagemap.json", "manifest.json", ".narration.json")
# The reader's files of each format, by how their names end; a format not listed sends every
# file it makes for readers (a new stage is never silently sent without its files).
READER_FILES: dict[str, tuple[str, ...]] = {
    "braille": (".brf", ".pef"),
    "word": (".docx",),
    "large-print": (".docx",),
    "pdf": (".pdf",),
    "epub": (".epub",),
    "html": (".html",),
    "daisy": ("-daisy.zip",),
}
SMALLER_AUDIO_BITRATE = 32  # kbps: the lowest CBR rate of the audio stage, still clear speech
EMAIL_OVERHEAD = 64 * 1024  # headers, the text and HTML bodies, MIME boundaries


@dataclass(frozen=True)
class Said:
    """A sentence for the reader: a message id and its values, translated by reply.py."""

    message: str
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Attachment:
    path: Path
    media_type: str
    role: str = ""  # how the reply describes it: "brf", "mp3", "tracks", ...


@dataclass(frozen=True)
class MadeFormat:
    format: str
    options: tuple[tuple[str, str], ...]
    files: tuple[Attachment, ...]
    reused: bool  # copied from the standard outputs
    smaller: bool = False  # made smaller to fit in an email
    volumes: int = 1  # braille: how many volumes the book has (the reply says)
    sections: tuple[Attachment, ...] = ()  # audio: the section MP3s and playlist, in order
    track_zips: int = 0  # audio split over several emails: how many zips in all


@dataclass(frozen=True)
class Conversion:
    report: CatalogueEntry
    made: tuple[MadeFormat, ...]
    unavailable: tuple[CannotMake, ...]  # formats not available on this machine (yet)
    failed: tuple[tuple[str, str], ...]  # (format, reason) that could not be built
    notes: tuple[Said, ...]  # e.g. an option we could not honour
    folder: Path = Path()  # the request's folder for this report


def plan(requests: tuple[FormatRequest, ...]) -> tuple[list[FormatRequest], list[CannotMake], list[Said]]:
    """Which requested formats can be made here, with options we can honour."""
    ready: list[FormatRequest] = []
    unavailable: list[CannotMake] = []
    notes: list[Said] = []
    for request in requests:
        try:
            stage = stages.get(request.format)
        except StageUnavailable:
            unavailable.append(
                CannotMake(
                    asked=FORMAT_LABELS.get(request.format, request.format),
                    nearest=nearest_available(request.format),
                    why="",
                    not_yet=True,
                )
            )
            continue
        try:
            stages.make_options(stage, request.options_dict)
        except OptionsError as error:
            notes.append(
                Said(
                    N_(
                        "We couldn't make the {format} exactly as you asked ({reason}), "
                        "so we have made our standard {format}."
                    ),
                    (("format", request.format), ("reason", _reason(error))),
                )
            )
            request = FormatRequest(request.format, (), request.tracks)
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


def convert(
    entry: CatalogueEntry,
    requests: tuple[FormatRequest, ...],
    request_dir: Path,
    outputs_dir: Path,
    *,
    show_progress: bool = False,
) -> Conversion:
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
        built, failed = _build(entry, to_build, request_dir, show_progress)
        made += built
    order = [r.format for r in ready]
    made.sort(key=lambda m: order.index(m.format))
    tracks = {r.format for r in ready if r.tracks}
    chosen = tuple(_for_reader(m, m.format in tracks, request_dir, entry.slug) for m in made)
    return Conversion(entry, chosen, tuple(unavailable), tuple(failed), tuple(notes), request_dir)


def _build(
    entry: CatalogueEntry, requests: list[FormatRequest], out_dir: Path, show_progress: bool
) -> tuple[list[MadeFormat], list[tuple[str, str]]]:
    from ..build import build_report

    result = build_report(
        entry.source,
        out_dir,
        [r.format for r in requests],
        {r.format: r.options_dict for r in requests if r.options},
        show_progress=show_progress,
        thorough=True,  # the files go straight to the person who asked: every validator runs
    )
    made, failed = [], []
    for request in requests:
        if request.format in result.failed or request.format not in result.outputs:
            failed.append((request.format, result.errors.get(request.format, "no output")))
            continue
        stage = stages.get(request.format)
        files = tuple(
            _attachment(path, stage)
            for path in result.outputs[request.format]
            if not path.name.endswith(NOT_FOR_READERS)
        )
        made.append(MadeFormat(request.format, request.options, files, reused=False))
    return made, failed


def _for_reader(made: MadeFormat, tracks: bool, request_dir: Path, slug: str) -> MadeFormat:
    """Only the files a reader of this format gets, each with its role in the reply."""
    if made.format == "audio":
        return replace(
            made, files=_audio_files(made, tracks, request_dir, slug), sections=_audio_sections(made)
        )
    endings = READER_FILES.get(made.format)
    files = [a for a in made.files if endings is None or a.path.name.endswith(endings)]
    if made.format == "epub":
        # One file a format: the EPUB, not also its read-along edition (made when audio was in
        # the same build: the whole audio again inside it; "read-along" asks for DAISY).
        files = [a for a in files if not a.path.name.endswith("-read-along.epub")]
    volumes = 1
    if made.format == "braille":
        # A book in volumes: <slug>.brf holds every volume (and the PEF its volumes), so the
        # per-volume BRFs would send the same braille twice; the reply says how many volumes.
        files = [a for a in files if not VOLUME_FILE.search(a.path.name)]
        volumes = _braille_volumes(made.files)
    roles = {a.path.suffix for a in files}
    return replace(
        made, volumes=volumes, files=tuple(replace(a, role=_role(made.format, a.path, roles)) for a in files)
    )


VOLUME_FILE = re.compile(r"-volume-\d+\.brf$")
PEF_NAMESPACE = "{http://www.daisy.org/ns/2008/pef}"


def _braille_volumes(files: tuple[Attachment, ...]) -> int:
    """Volumes of the braille: its per-volume BRFs, or the PEF's volumes (8-dot has no BRF)."""
    per_volume = [a for a in files if VOLUME_FILE.search(a.path.name)]
    if per_volume:
        return len(per_volume)
    pef = next((a.path for a in files if a.path.suffix == ".pef"), None)
    if pef is None:
        return 1
    try:
        root = ElementTree.parse(pef).getroot()
    except (OSError, ElementTree.ParseError):
        return 1
    return max(1, len(root.findall(f"{PEF_NAMESPACE}body/{PEF_NAMESPACE}volume")))


def _role(format_name: str, path: Path, suffixes: frozenset[str] | set[str] = frozenset()) -> str:
    if format_name == "braille":
        if path.suffix == ".pef" and ".brf" not in suffixes:
            return "pef-only"  # 8-dot computer braille: PEF, no BRF
        return path.suffix.lstrip(".")  # "brf" or "pef"
    return format_name


def _audio_files(made: MadeFormat, tracks: bool, request_dir: Path, slug: str) -> tuple[Attachment, ...]:
    """The one MP3 (with its chapters); or, for tracks, the section MP3s and playlist as a zip."""
    whole = [a for a in made.files if a.path.name == f"{slug}.mp3"]
    sections = sorted(
        (a for a in made.files if a.path.parent.name == "audio" and a.path.suffix in (".mp3", ".m3u8")),
        key=lambda a: a.path.name,
    )
    if not tracks or not sections:
        return tuple(replace(a, role="mp3") for a in whole)
    archive = request_dir / f"{slug}-tracks{'-smaller' if made.smaller else ''}.zip"
    _zip(archive, [a.path for a in sections], slug)
    return (Attachment(archive, "application/zip", "tracks"),)


def _audio_sections(made: MadeFormat) -> tuple[Attachment, ...]:
    """The section MP3s in playing order, then the playlist: what a split reply sends."""
    files = [a for a in made.files if a.path.parent.name == "audio" and a.path.suffix in (".mp3", ".m3u8")]
    return tuple(sorted(files, key=lambda a: (a.path.suffix == ".m3u8", a.path.name)))


def _zip(archive: Path, paths: list[Path], folder: str) -> None:
    """A zip that unpacks to one folder named after the report. MP3s are stored, not deflated:
    they do not compress, and storing keeps the zip quick to make."""
    temporary = archive.with_suffix(".zip.part")
    with zipfile.ZipFile(temporary, "w") as handle:
        for path in paths:
            kind = zipfile.ZIP_STORED if path.suffix == ".mp3" else zipfile.ZIP_DEFLATED
            handle.write(path, f"{folder}/{path.name}", compress_type=kind)
    temporary.replace(archive)


def _attachment(path: Path, stage: Stage) -> Attachment:
    suffix = next((s for s in stage.media_types if path.name.endswith(s)), path.suffix)
    media_type = (
        stage.media_types.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )
    return Attachment(path, media_type)


# ------------------------------------------------------------------ fitting in an email


def encoded_size(size: int) -> int:
    """Bytes a file of `size` bytes takes in an email: base64 (4 per 3) in 76-character lines
    with CRLF, as the email package writes it."""
    characters = 4 * math.ceil(size / 3)
    return characters + 2 * math.ceil(characters / 76)


def email_size(conversions: list[Conversion]) -> int:
    return EMAIL_OVERHEAD + sum(
        encoded_size(a.path.stat().st_size) for c in conversions for m in c.made for a in m.files
    )


def fit_to_limit(
    conversions: list[Conversion], limit: int, *, show_progress: bool = False
) -> tuple[list[Conversion], bool]:
    """Conversions whose files fit in one email of `limit` bytes (encoded), and whether they do.

    Too large: audio the reader did not ask a bit rate for is made again at the lowest bit rate
    (speech stays clear; it is mono already). If that is still too large, the caller offers the
    collect link instead of attachments.
    """
    if email_size(conversions) <= limit:
        return conversions, True
    smaller = [_smaller_audio(conversion, show_progress) for conversion in conversions]
    return smaller, email_size(smaller) <= limit


# ------------------------------------------------------------------ several emails
MAX_PARTS = 10  # more emails than this is a burden: the collect link instead
ZIP_MEMBER_OVERHEAD = 128  # a stored member's local header, central entry and data
ZIP_OVERHEAD = 1024  # the end of the central directory, with room to spare


@dataclass(frozen=True)
class _Unit:
    """One piece of a reply that must travel in one email: a file, or one audio section."""

    report: int  # index of its conversion
    made: int  # index of its format in that conversion
    attachment: Attachment
    section: bool = False  # an audio section: zipped with its neighbours in the part

    def size(self) -> int:
        size = self.attachment.path.stat().st_size
        return (
            size + ZIP_MEMBER_OVERHEAD + 2 * len(self.attachment.path.name)
            if self.section
            else encoded_size(size)
        )


def split_into_parts(conversions: list[Conversion], limit: int) -> list[list[Conversion]] | None:
    """The reply's files spread over several emails, each within `limit` (encoded), in order.

    Every file travels whole when it fits in one email; audio too large for one email goes as
    its section MP3s (with the playlist in the last), zipped per email as
    <slug>-tracks-N-of-M.zip, each unpacking into the same folder. None when some file is
    larger than one email can carry, or more than MAX_PARTS emails would be needed: then the
    caller offers the collect link.
    """
    budget = limit - EMAIL_OVERHEAD
    units = _units(conversions, budget)
    if units is None:
        return None
    parts: list[list[_Unit]] = [[]]
    used = 0
    for unit in units:
        size = _part_cost(parts[-1] + [unit]) - used
        if parts[-1] and used + size > budget:
            parts.append([])
            used = 0
            size = _part_cost([unit])
        if size > budget:
            return None
        parts[-1].append(unit)
        used += size
    if len(parts) < 2 or len(parts) > MAX_PARTS:
        return None
    result = _as_conversions(conversions, parts)
    measured = [email_size(part) for part in result]
    return result if max(measured) <= limit else None


def _units(conversions: list[Conversion], budget: int) -> list[_Unit] | None:
    units: list[_Unit] = []
    for report, conversion in enumerate(conversions):
        for index, made in enumerate(conversion.made):
            for attachment in made.files:
                too_big = encoded_size(attachment.path.stat().st_size) > budget
                if made.format == "audio" and too_big and made.sections:
                    units += [_Unit(report, index, a, section=True) for a in made.sections]
                elif too_big:
                    return None  # one file larger than an email: it cannot be split
                else:
                    units.append(_Unit(report, index, attachment))
    return units


def _part_cost(units: list[_Unit]) -> int:
    """Encoded bytes of one email's files: whole files, plus one zip per format's sections."""
    cost = sum(u.size() for u in units if not u.section)
    zips: dict[tuple[int, int], int] = {}
    for unit in units:
        if unit.section:
            zips[(unit.report, unit.made)] = zips.get((unit.report, unit.made), ZIP_OVERHEAD) + unit.size()
    return cost + sum(encoded_size(size) for size in zips.values())


def _as_conversions(conversions: list[Conversion], parts: list[list[_Unit]]) -> list[list[Conversion]]:
    """Each email's share of the conversions; audio sections zipped, numbered across emails."""
    groups: dict[tuple[int, int], int] = {}
    for part in parts:
        for key in {(u.report, u.made) for u in part if u.section}:
            groups[key] = groups.get(key, 0) + 1
    numbers: dict[tuple[int, int], int] = {}
    result: list[list[Conversion]] = []
    for part in parts:
        shares: list[Conversion] = []
        for report, conversion in enumerate(conversions):
            made_here: list[MadeFormat] = []
            for index, made in enumerate(conversion.made):
                mine = [u for u in part if (u.report, u.made) == (report, index)]
                if not mine:
                    continue
                files = [u.attachment for u in mine if not u.section]
                sections = [u.attachment.path for u in mine if u.section]
                if sections:
                    key = (report, index)
                    numbers[key] = numbers.get(key, 0) + 1
                    slug = conversion.report.slug
                    archive = conversion.folder / (
                        f"{slug}-tracks-{numbers[key]}-of-{groups[key]}"
                        f"{'-smaller' if made.smaller else ''}.zip"
                    )
                    _zip(archive, sections, slug)
                    files.append(Attachment(archive, "application/zip", "tracks-part"))
                made_here.append(replace(made, files=tuple(files), track_zips=groups.get((report, index), 0)))
            if made_here:
                shares.append(replace(conversion, made=tuple(made_here)))
        result.append(shares)
    return result


def _smaller_audio(conversion: Conversion, show_progress: bool) -> Conversion:
    made = list(conversion.made)
    for index, item in enumerate(made):
        options = dict(item.options)
        if item.format != "audio" or "bitrate" in options or item.smaller:
            continue
        options["bitrate"] = str(SMALLER_AUDIO_BITRATE)
        request = FormatRequest("audio", tuple(sorted(options.items())))
        folder = conversion.folder / "smaller"
        built, failed = _build(conversion.report, [request], folder, show_progress)
        if failed:
            continue  # the full-quality files stay; the collect link is offered
        tracks = any(a.role == "tracks" for a in item.files)
        made[index] = _for_reader(
            replace(built[0], smaller=True, options=item.options), tracks, folder, conversion.report.slug
        )
    return replace(conversion, made=tuple(made))


def _reuse_standard(
    entry: CatalogueEntry, request: FormatRequest, standard_dir: Path, request_dir: Path
) -> MadeFormat | None:
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
        except (OSError, PipelineError):  # the source cannot be read: build, and say so
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
